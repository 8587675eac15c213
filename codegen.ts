import { join } from 'node:path';
import type { CodegenConfig } from '@graphql-codegen/cli';

/*
 * GraphQL Code Generator (`npm run codegen`) for the two clients of the public API in this repository: from the
 * committed schema.graphql and each client's own operations, the variables and results of each operation and
 * the enums and inputs they reach (the typescript-operations plugin emits only those), as types only: nothing
 * at run time, so neither the simulator nor the dashboard bundle grows. Both clients get the same settings.
 * test/unit/codegen.test.ts regenerates every output in memory and fails when a committed one differs.
 */

/** One client's generated file from its operations, with the settings every client shares. */
function operationTypes(documents: string): CodegenConfig['generates'][string] {
  return {
    documents: join(__dirname, documents),
    plugins: ['typescript-operations'],
    config: {
      // Enums as unions of strings: the file holds types only, nothing at run time.
      enumType: 'string-literal',
      // A scalar without a type here fails generation instead of becoming `any`.
      strictScalars: true,
      scalars: { Date: 'string', DateTime: 'string' },
    },
  };
}

const config: CodegenConfig = {
  schema: join(__dirname, 'schema.graphql'),
  generates: {
    // The simulator's operations (it imports nothing from src/: decision 018).
    [join(__dirname, 'simulator', 'generated', 'graphql.ts')]: operationTypes('simulator/operations.ts'),
    // The dashboard's, every template literal marked as GraphQL in its queries (decision 032).
    [join(__dirname, 'web', 'dashboard', 'generated', 'graphql.ts')]: operationTypes('web/dashboard/queries.ts'),
  },
  silent: true,
  errorsOnly: true,
};

export default config;
