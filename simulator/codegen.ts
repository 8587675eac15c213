import { join, relative } from 'node:path';
import type { CodegenConfig } from '@graphql-codegen/cli';

/*
 * GraphQL Code Generator for the simulator (`npm run codegen`): from the committed schema.graphql and the
 * simulator's own operations (operations.ts), the variables and results of each operation and the enums and
 * inputs they use, into generated/graphql.ts. The typescript-operations plugin emits those enums and inputs
 * itself (only the ones the operations reach), so the schema-wide typescript plugin is not needed. A unit test
 * regenerates the file in memory and fails when the committed one differs.
 */

const ROOT = join(__dirname, '..');

/** The generated file, relative to the repository root. */
export const GENERATED_FILE = relative(ROOT, join(__dirname, 'generated', 'graphql.ts'));

const config: CodegenConfig = {
  schema: join(ROOT, 'schema.graphql'),
  documents: [join(__dirname, 'operations.ts')],
  generates: {
    [join(ROOT, GENERATED_FILE)]: {
      plugins: ['typescript-operations'],
      config: {
        // Enums as unions of strings: the file holds types only, nothing at run time.
        enumType: 'string-literal',
        // A scalar without a type here fails generation instead of becoming `any`.
        strictScalars: true,
        scalars: { Date: 'string', DateTime: 'string' },
      },
    },
  },
  silent: true,
  errorsOnly: true,
};

export default config;
