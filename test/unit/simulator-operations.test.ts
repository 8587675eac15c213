import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildSchema, parse, validate } from 'graphql';
import { OPERATIONS } from '../../src/telephony/connector-client';

describe("the simulator's GraphQL operations", () => {
  const schema = buildSchema(readFileSync(join(__dirname, '..', '..', 'schema.graphql'), 'utf8'));

  it.each(Object.entries(OPERATIONS))('%s is valid against the published schema', (_name, source) => {
    expect(validate(schema, parse(source)).map((e) => e.message)).toEqual([]);
  });
});
