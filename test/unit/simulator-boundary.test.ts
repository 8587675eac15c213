import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';

const ROOT = join(__dirname, '..', '..');
const SIMULATOR = join(ROOT, 'simulator');

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : path.endsWith('.ts') ? [path] : [];
  });
}

/** Every module a source names: `import ... from`, `export ... from`, `import '...'`, `import('...')`, `require('...')`. */
function specifiersOf(source: string): string[] {
  return [...source.matchAll(/(?:\bfrom|\bimport|\bimport\s*\(|\brequire\s*\()\s*['"]([^'"]+)['"]/g)].map((m) => m[1]!);
}

/** Why `spec`, named by `file`, reaches outside the simulator; null when it is the simulator's own file or a package. */
function offence(file: string, spec: string): string | null {
  const where = relative(ROOT, file);
  if (spec.startsWith('.') || spec.startsWith('/')) {
    const target = resolve(dirname(file), spec);
    if (target !== SIMULATOR && !target.startsWith(SIMULATOR + sep)) return `${where} imports ${spec} (${relative(ROOT, target)})`;
    return null;
  }
  // A bare specifier is a package (or a Node built-in); none of them may be a way into the server's sources.
  if (/(^|\/)src(\/|$)/.test(spec)) return `${where} imports ${spec}`;
  return null;
}

describe('the simulator is a client of schema.graphql only', () => {
  it('imports nothing from src/ (or anywhere else outside simulator/): only packages and its own files', () => {
    const files = filesUnder(SIMULATOR);
    expect(files.length).toBeGreaterThan(0);
    const offences = files.flatMap((file) =>
      specifiersOf(readFileSync(file, 'utf8'))
        .map((spec) => offence(file, spec))
        .filter((o): o is string => o !== null),
    );
    expect(offences).toEqual([]);
  });

  it('notices every form of import that would cross the line', () => {
    const file = join(SIMULATOR, 'example.ts');
    const source = [
      "import { createLogger } from '../src/logger';",
      "import type {\n  AttemptOutcome,\n} from '../src/routing/state-machine';",
      "export { INSTRUCTION_KINDS } from '../src/realtime/event-bus';",
      "import '../src/config';",
      "const lazy = import('../scripts/demo');",
      "const old = require('../src/gateway');",
      "import { Simulator } from './simulator';",
      "import pino from 'pino';",
    ].join('\n');
    expect(specifiersOf(source).map((spec) => offence(file, spec)).filter(Boolean)).toEqual([
      'simulator/example.ts imports ../src/logger (src/logger)',
      'simulator/example.ts imports ../src/routing/state-machine (src/routing/state-machine)',
      'simulator/example.ts imports ../src/realtime/event-bus (src/realtime/event-bus)',
      'simulator/example.ts imports ../src/config (src/config)',
      'simulator/example.ts imports ../scripts/demo (scripts/demo)',
      'simulator/example.ts imports ../src/gateway (src/gateway)',
    ]);
  });
});
