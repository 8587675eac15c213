import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';
import { buildSchema, Kind, parse, print, validate, type OperationDefinitionNode, type SelectionSetNode } from 'graphql';
import * as dashboard from '../../web/dashboard/queries';

const ROOT = join(__dirname, '..', '..');

/** The configurations `npm run codegen` runs, read from the script itself (so a configuration added there is checked here). */
function codegenConfigs(): string[] {
  const script = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts.codegen ?? '';
  return [...script.matchAll(/--config\s+(\S+)/g)].map((m) => m[1]!);
}

/** The generated files the clients import (repository-relative): each must be among the outputs checked. */
const GENERATED = ['simulator/generated/graphql.ts', 'web/dashboard/generated/graphql.ts'];

/*
 * The code generator is made of ES modules that Jest's module loader cannot load, so the generation runs in a
 * child Node process: each configuration `npm run codegen` uses, through the generator's programmatic API, with
 * the outputs kept in memory (nothing is written).
 */
const REGENERATE = `
import { generate, loadCodegenConfig } from '@graphql-codegen/cli';
const outputs = [];
for (const configFilePath of process.argv.slice(1)) {
  const { config } = await loadCodegenConfig({ configFilePath });
  for (const { filename, content } of await generate({ ...config, cwd: process.cwd() }, false)) outputs.push({ config: configFilePath, filename, content });
}
process.stdout.write(JSON.stringify(outputs));
`;

interface Output {
  config: string;
  filename: string;
  content: string;
}

async function regenerate(configs: string[]): Promise<Output[]> {
  const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '--eval', REGENERATE, ...configs], {
    cwd: ROOT, maxBuffer: 16 * 1024 * 1024, timeout: 60_000,
  });
  return JSON.parse(stdout) as Output[];
}

describe('the GraphQL types generated from schema.graphql', () => {
  let outputs: Output[];

  beforeAll(async () => {
    outputs = await regenerate(codegenConfigs());
  }, 90_000);

  it("cover the simulator's and the dashboard's generated files, from the one configuration `npm run codegen` runs", () => {
    expect(codegenConfigs()).toEqual(['codegen.ts']);
    expect(outputs.map((o) => relative(ROOT, o.filename)).sort()).toEqual([...GENERATED].sort());
  });

  it.each(GENERATED)('%s matches schema.graphql and its operations (run `npm run codegen` after changing either)', (file) => {
    const output = outputs.find((o) => relative(ROOT, o.filename) === file);
    expect(output).toBeDefined();
    expect(readFileSync(join(ROOT, file), 'utf8')).toBe(output!.content);
  });
});

/** The selection set reached from an operation's root by response keys (aliases or names), printed. */
function selectionSetAt(text: string, path: readonly string[]): SelectionSetNode {
  const operation = parse(text).definitions.find((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION)!;
  let set: SelectionSetNode = operation.selectionSet;
  for (const key of path) {
    const field = set.selections.find((s) => s.kind === Kind.FIELD && (s.alias ?? s.name).value === key);
    if (field === undefined || field.kind !== Kind.FIELD || field.selectionSet === undefined) throw new Error(`no selection at ${path.join('.')}`);
    set = field.selectionSet;
  }
  return set;
}

const selectionAt = (text: string, path: readonly string[]): string => print(selectionSetAt(text, path));

const fieldNames = (text: string, path: readonly string[]): string[] =>
  selectionSetAt(text, path).selections.flatMap((s) => (s.kind === Kind.FIELD ? [s.name.value] : []));

describe("the dashboard's operations", () => {
  const source = readFileSync(join(ROOT, 'web', 'dashboard', 'queries.ts'), 'utf8');

  it('are each declared with the generated types of their own name', () => {
    const declared = [...source.matchAll(/typed<(\w+), (\w+)>\(\/\* GraphQL \*\/ `(query|mutation|subscription) (\w+)/g)];
    expect(declared.length).toBeGreaterThanOrEqual(14);
    for (const [, result, variables, kind, name] of declared) {
      const suffix = kind![0]!.toUpperCase() + kind!.slice(1);
      expect({ name, result, variables }).toEqual({ name, result: `${name}${suffix}`, variables: `${name}${suffix}Variables` });
    }
    // Every operation text marked as GraphQL is among them.
    expect(source.match(/\/\* GraphQL \*\/ `(query|mutation|subscription) /g)?.length).toBe(declared.length);
  });

  it('build re-reads by id that schema.graphql accepts, for every kind and batch size, selecting what the full reads select', () => {
    const schema = buildSchema(readFileSync(join(ROOT, 'schema.graphql'), 'utf8'));
    const fullReads = { destination: ['DESTINATIONS', 'externalDestinations'], queue: ['QUEUES', 'queues'], agent: ['AGENTS', 'agents'] } as const;
    for (const [kind, [read, field]] of Object.entries(fullReads) as Array<[keyof typeof fullReads, readonly [keyof typeof dashboard, string]]>) {
      const node = selectionAt(dashboard[read] as string, [field, 'nodes']);
      for (const count of [1, 2, 10]) {
        const text = dashboard.rereadQuery(kind, count);
        expect({ kind, count, errors: validate(schema, parse(text)).map((e) => e.message) }).toEqual({ kind, count, errors: [] });
        for (let i = 0; i < count; i += 1) expect(selectionAt(text, [`r${i}`])).toBe(node);
      }
    }
  });

  it('select each kind of state alike wherever it is read, streamed or answered', () => {
    const same = (what: string, ...places: Array<[keyof typeof dashboard, string[]]>) => {
      const selections = places.map(([operation, path]) => selectionAt(dashboard[operation] as string, path));
      expect({ what, selections }).toEqual({ what, selections: places.map(() => selections[0]) });
    };
    same('a destination\'s live state', ['DESTINATIONS', ['externalDestinations', 'nodes', 'live']], ['RESUME', ['resumeExternalDestination', 'live']], ['DESTINATION_UPDATES', ['externalDestinationUpdates']]);
    same('a queue\'s live state', ['QUEUES', ['queues', 'nodes', 'live']], ['QUEUE_UPDATES', ['queueUpdates']]);
    same('an agent\'s live state', ['AGENTS', ['agents', 'nodes', 'live']], ['AGENT_UPDATES', ['agentUpdates']]);
    same('an alert', ['ALERTS_NOW', ['activeAlerts']], ['ALERT_UPDATES', ['alerts']]);
    same('a destination\'s figures', ['FIGURES', ['list']], ['FIGURES_AND_CHART', ['list']]);
    // The charted destination's row is taken from the chart's field: it selects every figure of a row.
    const row = fieldNames(dashboard.FIGURES, ['list']);
    expect(row.filter((f) => !fieldNames(dashboard.FIGURES_AND_CHART, ['chart']).includes(f))).toEqual([]);
  });
});
