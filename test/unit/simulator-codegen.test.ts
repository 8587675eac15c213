import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { GENERATED_FILE } from '../../simulator/codegen';

const ROOT = join(__dirname, '..', '..');

/*
 * The code generator is made of ES modules that Jest's module loader cannot load, so the generation runs in a
 * child Node process: the configuration `npm run codegen` uses, through the generator's programmatic API, with
 * the output kept in memory (nothing is written).
 */
const REGENERATE = `
import { generate, loadCodegenConfig } from '@graphql-codegen/cli';
const { config } = await loadCodegenConfig({ configFilePath: 'simulator/codegen.ts' });
const outputs = await generate({ ...config, cwd: process.cwd() }, false);
process.stdout.write(JSON.stringify(outputs.map(({ filename, content }) => ({ filename, content }))));
`;

async function regenerate(): Promise<Array<{ filename: string; content: string }>> {
  const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '--eval', REGENERATE], {
    cwd: ROOT, maxBuffer: 16 * 1024 * 1024, timeout: 60_000,
  });
  return JSON.parse(stdout) as Array<{ filename: string; content: string }>;
}

describe("the simulator's generated GraphQL types", () => {
  it("match schema.graphql and the simulator's operations (run `npm run codegen` after changing either)", async () => {
    const outputs = await regenerate();
    expect(outputs.map((o) => o.filename)).toEqual([join(ROOT, GENERATED_FILE)]);
    expect(readFileSync(join(ROOT, GENERATED_FILE), 'utf8')).toBe(outputs[0]!.content);
  }, 90_000);
});
