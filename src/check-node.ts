import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { nodeVersionProblem } from './platform/node-version';

/*
 * Imported first by main.ts, before anything that may need a newer Node.js: an unsupported version ends the
 * start with one line (exit code 2) instead of a failure deep inside a dependency.
 */
const required = (JSON.parse(readFileSync(join(__dirname, '..', '..', 'package.json'), 'utf8')) as { engines?: { node?: string } }).engines?.node;
const problem = required === undefined ? null : nodeVersionProblem(process.versions.node, required);
if (problem !== null) {
  process.stderr.write(`Gateway failed to start: ${problem}\n`);
  process.exit(2);
}
