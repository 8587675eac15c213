import 'reflect-metadata';
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { buildGatewaySchema, printGatewaySchema } from '../src/schema';

/** Writes schema.graphql at the repository root from the resolvers. */
async function main(): Promise<void> {
  const file = resolve(__dirname, '..', '..', 'schema.graphql');
  writeFileSync(file, printGatewaySchema(await buildGatewaySchema()));
  process.stdout.write(`wrote ${file}\n`);
}

void main();
