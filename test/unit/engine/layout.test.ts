import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

/*
 * The engine's layout (docs/decisions/017-engine-layout.md): one idea per file, imports pointing one way, and
 * time read only through the injected scheduler.
 */

const SRC = join(__dirname, '..', '..', '..', 'src');
const ENGINE = join(SRC, 'engine');

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : path.endsWith('.ts') ? [path] : [];
  });
}

/** Every module a file imports or re-exports (static imports, `import type`, dynamic `import(...)` and `require(...)`). */
function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const statics = [...text.matchAll(/^\s*(?:import|export)[^'"]*from\s+'([^']+)'/gm)].map((m) => m[1]!);
  const bare = [...text.matchAll(/^\s*import\s+'([^']+)'/gm)].map((m) => m[1]!);
  const dynamic = [...text.matchAll(/\b(?:import|require)\(\s*'([^']+)'\s*\)/g)].map((m) => m[1]!);
  return [...statics, ...bare, ...dynamic];
}

/** The file a relative import names (null for packages). */
function fileOf(from: string, spec: string): string | null {
  if (!spec.startsWith('.')) return null;
  const base = resolve(dirname(from), spec);
  for (const candidate of [`${base}.ts`, join(base, 'index.ts'), base]) if (existsSync(candidate) && statSync(candidate).isFile()) return candidate;
  return `${base}.ts`;
}

/** Every cycle of a directed graph, each once, as the list of its nodes from its smallest one. */
function cyclesOf(graph: Map<string, string[]>): string[][] {
  const cycles = new Map<string, string[]>();
  const visit = (node: string, path: string[]) => {
    const at = path.indexOf(node);
    if (at >= 0) {
      const cycle = path.slice(at);
      const start = cycle.indexOf([...cycle].sort()[0]!);
      const canonical = [...cycle.slice(start), ...cycle.slice(0, start)];
      cycles.set(canonical.join(' -> '), canonical);
      return;
    }
    for (const next of graph.get(node) ?? []) visit(next, [...path, node]);
  };
  for (const node of graph.keys()) visit(node, []);
  return [...cycles.values()];
}

const engineFiles = () => filesUnder(ENGINE);
const name = (file: string) => relative(SRC, file);

describe('the layout of src/engine', () => {
  it('has its parts in files of their own, as decision 017 draws them', () => {
    const parts = ['front', 'queue-pass', 'offer', 'flow-runner', 'closing', 'timers', 'call-records', 'effects', 'events', 'types'];
    expect(parts.filter((part) => !existsSync(join(ENGINE, `${part}.ts`)))).toEqual([]);
    expect(existsSync(join(SRC, 'services', 'call-router.ts'))).toBe(false);
  });

  it('has no import cycle among its files or folders', () => {
    const files = engineFiles();
    const graph = new Map<string, string[]>();
    const folders = new Map<string, Set<string>>();
    for (const file of files) {
      const targets = importsOf(file).map((spec) => fileOf(file, spec)).filter((t): t is string => t !== null && t.startsWith(`${ENGINE}/`));
      graph.set(name(file), targets.map(name));
      const folder = relative(ENGINE, dirname(file)) || '.';
      for (const t of targets) {
        const other = relative(ENGINE, dirname(t)) || '.';
        if (other !== folder) folders.set(folder, (folders.get(folder) ?? new Set()).add(other));
      }
    }
    expect(graph.size).toBeGreaterThan(5);
    expect(cyclesOf(graph).map((c) => c.join(' -> '))).toEqual([]);
    expect(cyclesOf(new Map([...folders].map(([k, v]) => [k, [...v]]))).map((c) => c.join(' -> '))).toEqual([]);
  });

  it('finds a cycle when there is one (the check itself)', () => {
    expect(cyclesOf(new Map([['a', ['b']], ['b', ['c']], ['c', ['a']], ['d', ['a']]]))).toEqual([['a', 'b', 'c']]);
    expect(cyclesOf(new Map([['a', ['b']], ['b', []]]))).toEqual([]);
  });

  it('imports nothing from the GraphQL resolvers or the HTTP layer, nor anything of the services (which build the engine)', () => {
    const offences: string[] = [];
    for (const file of engineFiles()) {
      for (const spec of importsOf(file)) {
        const target = fileOf(file, spec);
        if (target === null) continue;
        const where = relative(SRC, target);
        if (where.startsWith('resolvers/') || where.startsWith('http/')) offences.push(`${name(file)} imports ${spec}`);
        // The services build the engine (services/index.ts): any other import of them would be a cycle of folders.
        if (where.startsWith('services/')) offences.push(`${name(file)} imports ${spec}`);
      }
    }
    expect(offences).toEqual([]);
  });

  it('reads time only through the injected scheduler: in the engine, the live-state stores and the routing services', () => {
    const files = [
      ...engineFiles(),
      ...['timer-store', 'capacity-store', 'agent-state-store', 'destination-health-store'].map((f) => join(SRC, 'store', `${f}.ts`)),
      ...['agent.service', 'external-destination.service', 'live-updates.service'].map((f) => join(SRC, 'services', `${f}.ts`)),
    ];
    const offences: string[] = [];
    for (const file of files) {
      const lines = readFileSync(file, 'utf8').split('\n');
      lines.forEach((line, i) => {
        const code = line.replace(/\/\/.*$/, '');
        if (/\bDate\.now\b|new Date\(\s*\)|\bset(?:Timeout|Interval)\s*\(/.test(code)) offences.push(`${name(file)}:${i + 1}: ${line.trim()}`);
      });
    }
    expect(offences).toEqual([]);
  });
});
