import { getNamedType, isAbstractType, isObjectType } from 'graphql';
import { getMetadataStorage } from 'type-graphql';
import { buildGatewaySchema } from '../../src/schema';

/**
 * Two rules the compiled execution of operations relies on.
 *
 * Object types resolve their plain fields with graphql-js's default resolver (`simpleResolvers`: no
 * type-graphql wrapper per field, which a list of 50 destinations pays hundreds of times per request). That
 * skips every per-field rule, so a plain field must never carry one: a field that needs authorisation or a
 * middleware is a field resolver, where the rule always runs.
 *
 * Compiled operations resolve an abstract type (a union or an interface a field returns) without awaiting:
 * its resolveType must answer synchronously (type-graphql's own wrapper is async).
 */
describe('the schema, as compiled execution relies on it', () => {
  it('gives plain fields of object types no authorisation or middleware (those belong to field resolvers, which always apply them)', async () => {
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

  it('resolves every union or interface a field returns with a synchronous function that answers a type name', async () => {
    const schema = await buildGatewaySchema();
    const returned = new Set<string>();
    for (const type of Object.values(schema.getTypeMap())) {
      if (!isObjectType(type) || type.name.startsWith('__')) continue;
      for (const field of Object.values(type.getFields())) {
        const named = getNamedType(field.type);
        if (isAbstractType(named)) returned.add(named.name);
      }
    }
    expect([...returned]).toEqual(['AttemptTarget']);
    for (const name of returned) {
      const type = schema.getType(name);
      if (!isAbstractType(type)) throw new Error(`${name} is not abstract`);
      expect(type.resolveType?.constructor.name).toBe('Function');
      expect(type.resolveType!({ id: 'x', hidden: true }, {}, {} as never, type)).toBe('HiddenExternalDestination');
    }
  });
});
