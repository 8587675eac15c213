import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';

/**
 * The fences between the layers of src/ (decision 019). Each folder of src is a unit, and so is each file
 * directly in src (errors.ts, gateway.ts...). Imports are read from the source text (type-only ones too: a
 * fence is about what a layer knows of). A fence on a folder that does not exist (yet, or any more) holds
 * trivially.
 */

const SRC = join(__dirname, '..', '..', 'src');

/** Every .ts file under a folder of src, as paths relative to src with `/`; none when the folder does not exist. */
function filesUnder(folder: string): string[] {
  const walk = (dir: string): string[] =>
    readdirSync(dir).flatMap((name) => {
      const path = join(dir, name);
      return statSync(path).isDirectory() ? walk(path) : path.endsWith('.ts') ? [relative(SRC, path).split(sep).join('/')] : [];
    });
  const root = join(SRC, folder);
  return existsSync(root) ? walk(root) : [];
}

const ALL_FILES = filesUnder('.');

/** What a file imports: `import ... from`, `export ... from`, `import '...'`, `import('...')` and `require('...')`. */
function specifiersOf(file: string): string[] {
  const text = readFileSync(join(SRC, file), 'utf8');
  const found = [
    ...text.matchAll(/^\s*(?:import|export)\s[^;'"]*?from\s*'([^']+)'/gm),
    ...text.matchAll(/^\s*import\s*'([^']+)'/gm),
    ...text.matchAll(/\b(?:import|require)\(\s*'([^']+)'\s*\)/g),
  ];
  return found.map((m) => m[1]!);
}

/** The unit a path of src belongs to: its folder (`services/`) or, directly in src, the file itself (`errors.ts`). */
function unitOf(path: string): string {
  const slash = path.indexOf('/');
  return slash < 0 ? path : `${path.slice(0, slash + 1)}`;
}

/** The path in src a relative specifier names (`services/index.ts` for a folder), or null when it is a package or outside src. */
function targetOf(file: string, spec: string): string | null {
  if (!spec.startsWith('.')) return null;
  const absolute = resolve(SRC, dirname(file), spec);
  const path = relative(SRC, absolute).split(sep).join('/');
  if (path.startsWith('..')) return null;
  if (existsSync(`${absolute}.ts`)) return `${path}.ts`;
  if (existsSync(absolute) && statSync(absolute).isDirectory()) return `${path}/index.ts`;
  // Not there (being moved while this runs): by its name, as a file.
  return path.endsWith('.ts') ? path : `${path}.ts`;
}

interface Import {
  /** The importing file, relative to src. */
  from: string;
  spec: string;
  /** The file it names in src, or null for a package. */
  to: string | null;
}

const IMPORTS: readonly Import[] = ALL_FILES.flatMap((from) => specifiersOf(from).map((spec) => ({ from, spec, to: targetOf(from, spec) })));

const importsIn = (unit: string) => IMPORTS.filter((i) => unitOf(i.from) === unit);
const describeImport = (i: Import) => `${i.from} imports ${i.spec}`;

/** The packages the pure folders may use: computations on values, no I/O. */
const PURE_PACKAGES = /^(luxon|libphonenumber-js|csv-stringify\/sync)(\/|$)/;
/** Reading the clock or waiting on it. */
const CLOCK = /\bDate\.now\(|new Date\(\)|\bperformance\.now\(|\bprocess\.hrtime|\bsetTimeout\(|\bsetInterval\(|\bsetImmediate\(/;

/**
 * Folders whose files must not import these units (folders end in `/`). Each fence lists what its layer
 * must never know of; everything else it may import.
 */
const FORBIDDEN: ReadonlyArray<{ unit: string; never: readonly string[]; why: string }> = [
  {
    unit: 'realtime/',
    never: ['resolvers/', 'services/', 'http/', 'auth/', 'schema.ts', 'gateway.ts'],
    why: 'the socket layer is generic over its principal and context: it receives authentication, contexts, admission and execution as functions',
  },
  { unit: 'store/', never: ['resolvers/', 'http/', 'realtime/'], why: 'the store raises domain errors and knows no transport' },
  { unit: 'auth/', never: ['resolvers/', 'http/', 'realtime/'], why: 'authentication raises domain errors and knows no transport' },
  { unit: 'services/', never: ['resolvers/', 'http/'], why: 'services raise domain errors; the GraphQL edge maps them' },
  // The call engine may import routing, store, live, platform, realtime (event-bus types), entities and errors.
  { unit: 'engine/', never: ['resolvers/', 'http/', 'schema.ts', 'gateway.ts'], why: 'the call engine runs below the GraphQL edge' },
  { unit: 'entities/', never: ['resolvers/', 'http/', 'services/'], why: 'entities are data' },
];

/**
 * Imports allowed across a fence or inside a cycle, each with its reason. An entry that no longer matches an
 * import must be removed (the list only shrinks).
 */
const ALLOWED: ReadonlyArray<{ from: string; to: string; why: string }> = [
];

const allowed = (i: Import) => i.to !== null && ALLOWED.some((a) => a.from === i.from && a.to === i.to);

describe('the layout of src/', () => {
  it.each(['routing/', 'statistics/'])('keeps %s pure: it imports nothing outside itself but pure packages, and never reads the clock', (unit) => {
    const offences: string[] = [];
    for (const i of importsIn(unit)) {
      if (i.to === null ? !PURE_PACKAGES.test(i.spec) : unitOf(i.to) !== unit) offences.push(describeImport(i));
    }
    for (const file of filesUnder(unit)) {
      if (CLOCK.test(readFileSync(join(SRC, file), 'utf8'))) offences.push(`${file} reads the clock`);
    }
    expect(offences).toEqual([]);
  });

  it.each(FORBIDDEN.map((f) => [f.unit, f] as const))('fences %s', (_unit, fence) => {
    const offences = importsIn(fence.unit)
      .filter((i) => i.to !== null && fence.never.includes(unitOf(i.to)) && !allowed(i))
      .map((i) => `${describeImport(i)} (${fence.why})`);
    expect(offences).toEqual([]);
  });

  it('lets only main.ts import the gateway, and nothing import main.ts', () => {
    const offences = IMPORTS.filter((i) => (i.to === 'gateway.ts' && i.from !== 'main.ts') || i.to === 'main.ts').map(describeImport);
    expect(offences).toEqual([]);
  });

  it('has no import cycle among the folders (and files) of src', () => {
    /** unit -> unit -> the imports that make the edge */
    const edges = new Map<string, Map<string, Import[]>>();
    for (const i of IMPORTS) {
      if (i.to === null || allowed(i)) continue;
      const a = unitOf(i.from);
      const b = unitOf(i.to);
      if (a === b) continue;
      const out = edges.get(a) ?? new Map<string, Import[]>();
      edges.set(a, out);
      out.set(b, [...(out.get(b) ?? []), i]);
    }
    expect(cyclesOf(edges).map((cycle) => describeCycle(cycle, edges))).toEqual([]);
  });

  it('keeps its allow-list current: every allowed import still exists', () => {
    const stale = ALLOWED.filter((a) => !IMPORTS.some((i) => i.from === a.from && i.to === a.to)).map((a) => `${a.from} -> ${a.to}`);
    expect(stale).toEqual([]);
  });
});

/** The strongly connected components of more than one unit (Tarjan), each as its units in order. */
function cyclesOf(edges: ReadonlyMap<string, ReadonlyMap<string, unknown>>): string[][] {
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (v: string) => {
    index.set(v, next);
    low.set(v, next);
    next += 1;
    stack.push(v);
    onStack.add(v);
    for (const w of edges.get(v)?.keys() ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v)!, index.get(w)!));
      }
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1) found.push(component.sort());
    }
  };
  for (const v of [...edges.keys()].sort()) if (!index.has(v)) visit(v);
  return found;
}

/** A cycle as the imports between its units: `a/ -> b/ (a/x.ts imports ../b/y)`. */
function describeCycle(units: readonly string[], edges: ReadonlyMap<string, ReadonlyMap<string, readonly Import[]>>): string {
  const inside = new Set(units);
  const lines: string[] = [];
  for (const a of units) {
    for (const [b, imports] of edges.get(a) ?? []) {
      if (inside.has(b)) lines.push(`${a} -> ${b} (${imports.map(describeImport).join('; ')})`);
    }
  }
  return `cycle among ${units.join(', ')}: ${lines.join(' | ')}`;
}
