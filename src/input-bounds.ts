import {
  getNamedType, getNullableType, isInputObjectType, isListType, isScalarType, Kind, TypeInfo, valueFromASTUntyped, visit, visitWithTypeInfo,
  type DocumentNode, type GraphQLInputType, type GraphQLSchema,
} from 'graphql';
import type { InputProblem } from './errors';

/**
 * Bounds of every string and number a request carries (decision 016), checked on every transport before an
 * operation runs, so that no argument can make the gateway do unbounded work (a 90 000-character search
 * text, a negative service level). They are ceilings: the services keep their own, tighter checks (a name is
 * at most 100 characters, a ring time 5-300 s) and their messages; these only stop what no check should ever
 * have to look at.
 *
 * Strings are measured in UTF-16 code units (what a JavaScript string's length counts; the services count
 * characters after Unicode normalisation, so a ceiling leaves room for a decomposed form of a valid value).
 */
export interface Bound {
  /** Longest string. */
  maxLength?: number;
  /** Range of a number. */
  min?: number;
  max?: number;
  /** Checked by the service that takes it, with its own range and message (listed here for completeness). */
  service?: string;
}

/** Longest string of each scalar type, unless BOUNDS names the argument or field. */
export const DEFAULT_MAX_LENGTH: Readonly<Record<string, number>> = { ID: 100, String: 1000, DateTime: 100, Date: 100 };
/** Range of every Int and Float that BOUNDS does not name: no number of this API is negative. */
export const DEFAULT_RANGE = { min: 0, max: 2_147_483_647 } as const;

const NAME = { maxLength: 400 };
const PHONE = { maxLength: 100 };

/** Bounds by argument or input field name (the same name means the same thing everywhere in this API). */
export const BOUNDS: Readonly<Record<string, Bound>> = {
  // Names (the services allow 100 characters) and what is compared with them.
  name: NAME, username: NAME, adminUsername: NAME, companySlug: NAME, slug: NAME, nameContains: NAME,
  // Passwords (sign-in hashes at most 200 characters).
  password: { maxLength: 400 }, adminPassword: { maxLength: 400 },
  // Telephone numbers and prefixes (E.164 has at most 15 digits; spaces are allowed).
  number: PHONE, prefix: PHONE, matchPrefix: PHONE, serviceNumber: PHONE, serviceNumbers: PHONE,
  // A caller id is never a reason to refuse a call (decision 013): a longer one is kept cut at 200 characters.
  callerNumber: { maxLength: 4000 },
  timeZone: { maxLength: 100 }, startTime: { maxLength: 100 }, endTime: { maxLength: 100 },
  // A message played to callers (500 characters).
  message: { maxLength: 2000 },
  // Page cursors hold a name and an id.
  after: { maxLength: 2000 },
  // Numbers no service checks.
  serviceLevelSec: { min: 0, max: 3600 },
  expectedVersion: { min: 0, max: 2_147_483_647 },
  // Numbers their services check, with their own ranges and messages (every problem of an input at once).
  first: { service: 'pagination: 1-500' },
  priority: { service: 'enqueueCall: 0-1000' },
  maxSimultaneousCalls: { service: 'external destinations: 1-10000 or null' },
  outdialTimeoutSec: { service: 'external destinations: 5-300' },
  busyBackoffSec: { service: 'external destinations: 0-86400' },
  noAnswerBackoffSec: { service: 'external destinations: 0-86400' },
  failureBackoffSec: { service: 'external destinations: 1-86400' },
  retryIntervalSec: { service: 'external destinations: 1-86400' },
  maxConsecutiveFailures: { service: 'external destinations: 0-1000' },
  percent: { service: 'agent groups: 0-100 per destination, 100 in all for WEIGHTED_SHARE' },
  shareWindow: { service: 'agent groups: 10-10000' },
  lastDigits: { service: 'external destinations' },
  agentRingTimeoutSec: { service: 'queues' }, agentRetrySec: { service: 'queues' }, wrapUpSec: { service: 'queues' },
  maxQueueLength: { service: 'queues' }, maxWaitSec: { service: 'queues' },
  queueLengthAbove: { service: 'queues' }, oldestWaitAboveSec: { service: 'queues' },
  daysOfWeek: { service: 'time ranges: 1-7' },
};

/** The bound that applies to a value of scalar `type` under argument or field `name`. */
export function boundOf(name: string, type: string): Bound {
  const own = BOUNDS[name];
  if (type === 'Int' || type === 'Float') return own?.service !== undefined ? own : { ...DEFAULT_RANGE, ...own };
  const maxLength = type === 'String' || type === 'ID' ? (own?.maxLength ?? DEFAULT_MAX_LENGTH[type]) : DEFAULT_MAX_LENGTH[type];
  return maxLength === undefined ? {} : { maxLength };
}

/**
 * Every string over its length and number out of its range in an operation's arguments, literal or from
 * variables, as `{ field, message }` with the input path (`filter.nameContains`, `input.groups[1].name`,
 * `serviceLevelSec`), the way the services name fields. Values of the wrong type are left to graphql-js.
 */
export function boundsProblems(schema: GraphQLSchema, document: DocumentNode, variables: Record<string, unknown> | undefined): InputProblem[] {
  const problems = new Map<string, string>();
  const defaults = new Map<string, unknown>();
  for (const definition of document.definitions) {
    if (definition.kind !== Kind.OPERATION_DEFINITION) continue;
    for (const v of definition.variableDefinitions ?? []) {
      if (v.defaultValue !== undefined) defaults.set(v.variable.name.value, valueFromASTUntyped(v.defaultValue));
    }
  }
  const values = { ...Object.fromEntries(defaults), ...(variables ?? {}) };

  const check = (value: unknown, type: GraphQLInputType, path: string, name: string) => {
    if (value === null || value === undefined) return;
    const nullable = getNullableType(type);
    if (isListType(nullable)) {
      if (Array.isArray(value)) value.forEach((item, i) => check(item, nullable.ofType, `${path}[${i}]`, name));
      else check(value, nullable.ofType, path, name);
      return;
    }
    if (isInputObjectType(nullable)) {
      if (typeof value !== 'object' || Array.isArray(value)) return;
      const fields = nullable.getFields();
      for (const [key, v] of Object.entries(value as Record<string, unknown>)) {
        const field = fields[key];
        if (field) check(v, field.type, `${path}.${key}`, key);
      }
      return;
    }
    if (!isScalarType(nullable) || problems.has(path)) return;
    const bound = boundOf(name, nullable.name);
    if (typeof value === 'string' && bound.maxLength !== undefined && value.length > bound.maxLength) {
      problems.set(path, `must be at most ${bound.maxLength} characters (got ${value.length})`);
    } else if (typeof value === 'number' && bound.min !== undefined && bound.max !== undefined && (value < bound.min || value > bound.max)) {
      problems.set(path, `must be from ${bound.min} to ${bound.max}`);
    }
  };

  const typeInfo = new TypeInfo(schema);
  visit(document, visitWithTypeInfo(typeInfo, {
    Argument(node) {
      const argument = typeInfo.getArgument();
      if (!argument) return;
      const value = node.value.kind === Kind.VARIABLE ? values[node.value.name.value] : valueFromASTUntyped(node.value, values);
      check(value, argument.type, node.name.value, node.name.value);
    },
  }));
  return [...problems].map(([field, message]) => ({ field, message }));
}

/** Every argument and input field of the schema with its scalar type and bound (for the decision and its test). */
export function boundsOfSchema(schema: GraphQLSchema): Array<{ coordinate: string; type: string; bound: Bound }> {
  const out: Array<{ coordinate: string; type: string; bound: Bound }> = [];
  for (const type of Object.values(schema.getTypeMap())) {
    if (type.name.startsWith('__')) continue;
    if (isInputObjectType(type)) {
      for (const field of Object.values(type.getFields())) {
        const named = getNamedType(field.type);
        if (isScalarType(named)) out.push({ coordinate: `${type.name}.${field.name}`, type: named.name, bound: boundOf(field.name, named.name) });
      }
    } else if ('getFields' in type && typeof type.getFields === 'function') {
      for (const field of Object.values(type.getFields() as Record<string, { name: string; args?: ReadonlyArray<{ name: string; type: GraphQLInputType }> }>)) {
        for (const arg of field.args ?? []) {
          const named = getNamedType(arg.type);
          if (isScalarType(named)) out.push({ coordinate: `${type.name}.${field.name}(${arg.name}:)`, type: named.name, bound: boundOf(arg.name, named.name) });
        }
      }
    }
  }
  return out;
}
