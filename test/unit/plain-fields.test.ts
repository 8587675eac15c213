import { getMetadataStorage } from 'type-graphql';
import { buildGatewaySchema } from '../../src/schema';

/**
 * Object types resolve their plain fields with graphql-js's default resolver (`simpleResolvers`: no
 * type-graphql wrapper per field, which a list of 50 destinations pays hundreds of times per request). That
 * skips every per-field rule, so a plain field must never carry one: a field that needs authorisation or a
 * middleware is a field resolver, where the rule always runs.
 */
describe('plain fields of object types', () => {
  it('carry no authorisation or middleware (those belong to field resolvers, which always apply them)', async () => {
    await buildGatewaySchema();
    const storage = getMetadataStorage();
    const resolved = new Set(storage.fieldResolvers.map((r) => `${r.getObjectType?.()?.name}.${r.methodName}`));
    const guarded = storage.fields
      .filter((f) => !resolved.has(`${f.target.name}.${f.name}`))
      .filter((f) => (f.roles !== undefined && f.roles.length > 0) || (f.middlewares?.length ?? 0) > 0)
      .map((f) => `${f.target.name}.${f.name}`);
    expect(storage.fields.length).toBeGreaterThan(100);
    expect(guarded).toEqual([]);
  });
});
