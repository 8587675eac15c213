import { costLimitRule } from '@escape.tech/graphql-armor-cost-limit';
import { maxAliasesRule } from '@escape.tech/graphql-armor-max-aliases';
import { maxDepthRule } from '@escape.tech/graphql-armor-max-depth';
import {
  GraphQLError, Kind, validate, visit, type ArgumentNode, type DocumentNode, type GraphQLSchema, type ValidationContext,
  type ValidationRule, type ValueNode,
} from 'graphql';
import type { Limits } from './config';

const report = (ctx: ValidationContext | null, error: GraphQLError) =>
  ctx?.reportError(new GraphQLError(error.message.replace(/^Syntax Error: /, ''), { extensions: { code: 'QUERY_TOO_COMPLEX' } }));
const COMMON = { exposeLimits: true, propagateOnRejection: false, onReject: [report] };

/**
 * The depth and alias limits as graphql-js validation rules, for every transport that executes operations
 * (HTTP now, WebSocket later). A rejection is a validation error coded QUERY_TOO_COMPLEX (HTTP 400).
 */
export function limitRules(limits: Limits): ValidationRule[] {
  return [
    maxDepthRule({ ...COMMON, n: limits.maxDepth, flattenFragments: true }),
    maxAliasesRule({ ...COMMON, n: limits.maxAliases, allowList: [] }),
  ] as ValidationRule[];
}

/**
 * The cost limit, checked once the variables are known: list sizes such as `first: $n` count with their
 * real value (the cost rule alone would see no number and under-count). Returns the errors, empty if fine.
 */
export function checkCost(schema: GraphQLSchema, document: DocumentNode, variables: Record<string, unknown> | undefined, limits: Limits): readonly GraphQLError[] {
  const inlined = visit(document, {
    Argument(node: ArgumentNode) {
      if (node.value.kind !== Kind.VARIABLE) return undefined;
      const value = variables?.[node.value.name.value];
      return value === undefined ? undefined : { ...node, value: toValueNode(value) };
    },
  });
  return validate(schema, inlined, [costLimitRule({ ...COMMON, maxCost: limits.maxCost }) as ValidationRule]);
}

function toValueNode(value: unknown): ValueNode {
  if (value === null) return { kind: Kind.NULL };
  if (typeof value === 'number') return Number.isInteger(value) ? { kind: Kind.INT, value: String(value) } : { kind: Kind.FLOAT, value: String(value) };
  if (typeof value === 'boolean') return { kind: Kind.BOOLEAN, value };
  if (Array.isArray(value)) return { kind: Kind.LIST, values: value.map(toValueNode) };
  if (typeof value === 'object') {
    return {
      kind: Kind.OBJECT,
      fields: Object.entries(value as Record<string, unknown>).map(([name, v]) => ({ kind: Kind.OBJECT_FIELD, name: { kind: Kind.NAME, value: name }, value: toValueNode(v) })),
    };
  }
  return { kind: Kind.STRING, value: String(value) };
}

/** What is wrong with an operation before it runs: a NUL character (its input path), or its cost. */
export interface OperationProblems {
  nul: string | null;
  cost: readonly GraphQLError[];
}

/** The answers for documents sent without variables, which depend on the document alone. */
const fixedProblems = new WeakMap<DocumentNode, OperationProblems>();

/**
 * The checks every transport runs once an operation is parsed and validated: a NUL character anywhere in
 * its inputs, and its cost with its variables' values. Documents are cached by the server, so for one sent
 * without variables the answer is worked out once.
 */
export function operationProblems(schema: GraphQLSchema, document: DocumentNode, variables: Record<string, unknown> | null | undefined, limits: Limits): OperationProblems {
  const fixed = variables === null || variables === undefined || Object.keys(variables).length === 0;
  if (fixed) {
    const known = fixedProblems.get(document);
    if (known !== undefined) return known;
  }
  const problems = { nul: findNulCharacter(document, variables ?? undefined), cost: checkCost(schema, document, variables ?? undefined, limits) };
  if (fixed) fixedProblems.set(document, problems);
  return problems;
}

/**
 * Finds a NUL character in any string a request carries (literal arguments and variables), which no
 * field accepts and PostgreSQL cannot store. Returns the input path of the first one (the argument name
 * for a variable passed as an argument), or null.
 */
export function findNulCharacter(document: DocumentNode, variables: Record<string, unknown> | undefined): string | null {
  const argumentOf = new Map<string, string>();
  let found: string | null = null;
  visit(document, {
    Argument(node: ArgumentNode) {
      if (node.value.kind === Kind.VARIABLE) argumentOf.set(node.value.name.value, node.name.value);
      else if (found === null) found = pathOfNul(literalValue(node.value), node.name.value);
    },
  });
  for (const [name, value] of Object.entries(variables ?? {})) {
    found ??= pathOfNul(value, argumentOf.get(name) ?? name);
  }
  return found;
}

function literalValue(node: ValueNode): unknown {
  switch (node.kind) {
    case Kind.STRING:
      return node.value;
    case Kind.LIST:
      return node.values.map(literalValue);
    case Kind.OBJECT:
      return Object.fromEntries(node.fields.map((f) => [f.name.value, literalValue(f.value)]));
    default:
      return null;
  }
}

function pathOfNul(value: unknown, path: string): string | null {
  if (typeof value === 'string') return value.includes('\u0000') ? path : null;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i += 1) {
      const p = pathOfNul(value[i], `${path}[${i}]`);
      if (p) return p;
    }
  } else if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      const p = pathOfNul(v, `${path}.${k}`);
      if (p) return p;
    }
  }
  return null;
}
