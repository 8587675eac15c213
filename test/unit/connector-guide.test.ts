import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  buildSchema, execute, getVariableValues, Kind, NoDeprecatedCustomRule, parse, specifiedRules, validate, type DocumentNode, type GraphQLSchema,
  type OperationDefinitionNode,
} from 'graphql';

/*
 * The connector guide (docs/connector-guide.md) cannot drift from schema.graphql: every example in it is checked
 * here against the committed schema.
 *   ```graphql          a document: parsed and validated (no deprecated field either);
 *   ```json variables   the variables of the GraphQL block above it: coerced to that operation's variable types;
 *   ```json response    the answer of the GraphQL block above it: executed against the schema with its own `data`
 *                       as the root value, so its fields, nesting, enums and nulls must be exactly what that
 *                       operation answers;
 *   ```json             any other JSON (whole, or one value per line for WebSocket messages): each `query` in it
 *                       is validated like a GraphQL block, with its `variables`.
 */

const ROOT = join(__dirname, '..', '..');
const GUIDE = readFileSync(join(ROOT, 'docs', 'connector-guide.md'), 'utf8');
const SCHEMA: GraphQLSchema = buildSchema(readFileSync(join(ROOT, 'schema.graphql'), 'utf8'));

interface Block {
  /** The fence's info string: `graphql`, `json variables`, ... */
  info: string;
  text: string;
  /** Line of the opening fence (1-based), to name the example. */
  line: number;
  /** The nearest GraphQL block above this one. */
  graphql: Block | null;
  /** The variables given to that GraphQL block, when a `json variables` block follows it before this one. */
  variables: Block | null;
}

/** The fenced code blocks of a Markdown text, in order. */
function fencedBlocks(markdown: string): Block[] {
  const out: Block[] = [];
  const lines = markdown.split('\n');
  let open: { info: string; line: number; body: string[] } | null = null;
  let lastGraphql: Block | null = null;
  let lastVariables: Block | null = null;
  lines.forEach((text, i) => {
    const fence = /^```(.*)$/.exec(text);
    if (open === null) {
      if (fence) open = { info: fence[1]!.trim(), line: i + 1, body: [] };
      return;
    }
    if (fence && fence[1]!.trim() === '') {
      const block: Block = { info: open.info, text: open.body.join('\n'), line: open.line, graphql: lastGraphql, variables: lastVariables };
      out.push(block);
      if (block.info === 'graphql') {
        lastGraphql = block;
        lastVariables = null;
      }
      if (block.info === 'json variables') lastVariables = block;
      open = null;
      return;
    }
    open.body.push(text);
  });
  if (open !== null) throw new Error(`a code block opened at line ${(open as { line: number }).line} is never closed`);
  return out;
}

const BLOCKS = fencedBlocks(GUIDE);
const GRAPHQL = BLOCKS.filter((b) => b.info === 'graphql');
const VARIABLES = BLOCKS.filter((b) => b.info === 'json variables');
const RESPONSES = BLOCKS.filter((b) => b.info === 'json response');
const PLAIN_JSON = BLOCKS.filter((b) => b.info === 'json');

/** Every problem graphql-js finds with a document: syntax, validation, deprecated fields. */
function documentProblems(text: string): string[] {
  let document: DocumentNode;
  try {
    document = parse(text);
  } catch (error) {
    return [(error as Error).message];
  }
  return validate(SCHEMA, document, [...specifiedRules, NoDeprecatedCustomRule]).map((e) => e.message);
}

/** The operation of a document that `variables` or an answer belong to: the named one, else the only one. */
function operationOf(document: DocumentNode, name?: string): OperationDefinitionNode {
  const operations = document.definitions.filter((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION);
  const operation = name === undefined ? (operations.length === 1 ? operations[0] : undefined) : operations.find((o) => o.name?.value === name);
  if (operation === undefined) throw new Error(name === undefined ? 'the GraphQL block above holds more than one operation' : `no operation ${name}`);
  return operation;
}

/** Problems of `variables` for an operation: every one declared, each of its declared type, every required one given. */
function variableProblems(operation: OperationDefinitionNode, variables: unknown): string[] {
  if (typeof variables !== 'object' || variables === null || Array.isArray(variables)) return ['variables must be an object'];
  const declared = new Set((operation.variableDefinitions ?? []).map((v) => v.variable.name.value));
  const undeclared = Object.keys(variables).filter((k) => !declared.has(k)).map((k) => `$${k} is not declared by ${operation.name?.value ?? 'the operation'}`);
  const coerced = getVariableValues(SCHEMA, operation.variableDefinitions ?? [], variables as Record<string, unknown>);
  return [...undeclared, ...(coerced.errors ?? []).map((e) => e.message)];
}

/** JSON of a block: the whole text, or one value per non-empty line (WebSocket messages). */
function jsonValues(text: string): unknown[] {
  try {
    return [JSON.parse(text)];
  } catch {
    return text.split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as unknown);
  }
}

/** Every object with a string `query` inside a JSON value (an HTTP body, a graphql-ws subscribe message). */
function requestsIn(value: unknown): Array<{ query: string; variables?: unknown; operationName?: string }> {
  if (Array.isArray(value)) return value.flatMap(requestsIn);
  if (typeof value !== 'object' || value === null) return [];
  const own = typeof (value as { query?: unknown }).query === 'string' ? [value as { query: string; variables?: unknown; operationName?: string }] : [];
  return [...own, ...Object.values(value).flatMap(requestsIn)];
}

const name = (b: Block) => `line ${b.line}`;

describe('the connector guide', () => {
  it('has GraphQL examples, each followed by what it needs', () => {
    expect(GRAPHQL.length).toBeGreaterThanOrEqual(10);
    for (const b of [...VARIABLES, ...RESPONSES]) expect({ at: name(b), follows: b.graphql !== null }).toEqual({ at: name(b), follows: true });
    // The WebSocket messages carry the subscription as a client sends it: it is checked too.
    expect(PLAIN_JSON.flatMap((b) => jsonValues(b.text).flatMap(requestsIn)).map((r) => r.query)).toEqual([expect.stringMatching(/^subscription Instructions/)]);
    // Every fence is one of the kinds checked here or an illustration that is no GraphQL (diagrams).
    for (const b of BLOCKS) expect({ at: name(b), info: b.info }).toEqual({ at: name(b), info: expect.stringMatching(/^(graphql|json|json variables|json response|mermaid)$/) });
  });

  it('shows every operation schema.graphql gives to connectors', () => {
    const roots = [SCHEMA.getQueryType()!, SCHEMA.getMutationType()!, SCHEMA.getSubscriptionType()!];
    const forConnectors = roots.flatMap((type) => Object.values(type.getFields()))
      .filter((f) => /^Connector only/.test(f.description ?? ''))
      .map((f) => f.name);
    expect(forConnectors).toEqual(expect.arrayContaining(['enqueueCall', 'startCall', 'reportAttemptOutcome', 'endCall', 'acknowledgeTelephonyInstructions', 'telephonyInstructions']));
    const used = new Set<string>();
    for (const b of GRAPHQL) {
      for (const d of parse(b.text).definitions) {
        if (d.kind !== Kind.OPERATION_DEFINITION) continue;
        for (const s of d.selectionSet.selections) if (s.kind === Kind.FIELD) used.add(s.name.value);
      }
    }
    expect([...forConnectors, 'call'].filter((f) => !used.has(f))).toEqual([]);
  });

  it.each(GRAPHQL.map((b) => [name(b), b] as const))('has a GraphQL example at %s that schema.graphql accepts, with no deprecated field', (_at, block) => {
    expect(documentProblems(block.text)).toEqual([]);
  });

  it.each(VARIABLES.map((b) => [name(b), b] as const))('has variables at %s that the operation above them accepts', (_at, block) => {
    const operation = operationOf(parse(block.graphql!.text));
    expect(variableProblems(operation, JSON.parse(block.text))).toEqual([]);
  });

  it.each(RESPONSES.map((b) => [name(b), b] as const))('has an answer at %s shaped exactly as the operation above it answers', async (_at, block) => {
    const document = parse(block.graphql!.text);
    const operation = operationOf(document);
    const example = JSON.parse(block.text) as { data: Record<string, unknown> };
    expect(Object.keys(example)).toEqual(['data']);
    // The example's data is the root value: default resolvers read it back through the operation's selection,
    // so a field not selected is dropped, a field missing is null (an error when non-null), an enum value is checked.
    const variableValues = block.variables === null ? {} : (JSON.parse(block.variables.text) as Record<string, unknown>);
    const result = await execute({ schema: SCHEMA, document, operationName: operation.name?.value, rootValue: example.data, variableValues });
    expect(result.errors?.map((e) => e.message) ?? []).toEqual([]);
    expect(result.data).toEqual(example.data);
  });

  it.each(PLAIN_JSON.map((b) => [name(b), b] as const))('has JSON at %s whose queries and variables schema.graphql accepts', (_at, block) => {
    const problems: string[] = [];
    for (const request of jsonValues(block.text).flatMap(requestsIn)) {
      const found = documentProblems(request.query);
      problems.push(...found);
      if (found.length === 0 && request.variables !== undefined) problems.push(...variableProblems(operationOf(parse(request.query), request.operationName), request.variables));
    }
    expect(problems).toEqual([]);
  });
});
