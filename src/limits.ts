import { costLimitRule } from '@escape.tech/graphql-armor-cost-limit';
import { maxAliasesRule } from '@escape.tech/graphql-armor-max-aliases';
import { maxDepthRule } from '@escape.tech/graphql-armor-max-depth';
import {
  BREAK, GraphQLError, Kind, validate, valueFromASTUntyped, visit, type ArgumentNode, type DefinitionNode, type DocumentNode, type FieldNode,
  type FragmentDefinitionNode, type GraphQLSchema, type SelectionNode, type ValidationContext, type ValidationRule, type ValueNode,
} from 'graphql';
import type { Limits, StatisticsLimits } from './config';
import { errors, type DomainError } from './errors';

const report = (ctx: ValidationContext | null, error: GraphQLError) =>
  ctx?.reportError(new GraphQLError(error.message.replace(/^Syntax Error: /, ''), { extensions: { code: 'QUERY_TOO_COMPLEX' } }));
const COMMON = { exposeLimits: true, propagateOnRejection: false, onReject: [report] };

/**
 * The depth and alias limits as graphql-js validation rules (the request admission, http/admission.ts, runs
 * them on every transport). A rejection is a validation error coded QUERY_TOO_COMPLEX (HTTP 400).
 */
export function limitRules(limits: Limits): ValidationRule[] {
  return [
    maxDepthRule({ ...COMMON, n: limits.maxDepth, flattenFragments: true }),
    maxAliasesRule({ ...COMMON, n: limits.maxAliases, allowList: [] }),
  ] as ValidationRule[];
}

/** Which resources a statistics question covers. */
export type StatisticsResourceKind = 'DESTINATIONS' | 'AGENTS' | 'QUEUES';

/** What the statistics part of the cost needs to know of the caller (decision 016). */
export interface StatisticsSizes {
  /** How many resources of a kind the caller may see: what a list form without `ids` and the CSV cover. */
  resources(kind: StatisticsResourceKind): number;
  /** Most rows of one `statisticsCsv(perInterval: true)`. */
  limits: StatisticsLimits;
}

/** The statistics fields whose `intervals` are counted, by field name (`todayStats` is on destinations, agents and queues). */
const STATISTICS_FIELDS: Readonly<Record<string, { kind: StatisticsResourceKind; list: boolean } | 'today'>> = {
  externalDestinationStats: { kind: 'DESTINATIONS', list: false },
  externalDestinationStatsList: { kind: 'DESTINATIONS', list: true },
  agentStats: { kind: 'AGENTS', list: false },
  agentStatsList: { kind: 'AGENTS', list: true },
  queueStats: { kind: 'QUEUES', list: false },
  queueStatsList: { kind: 'QUEUES', list: true },
  todayStats: 'today',
};
const INTERVAL_MS = 15 * 60_000;
/** The longest range a statistics question may cover (a longer one is refused by the question itself). */
const MAX_RANGE_MS = 93 * 86_400_000;
/** The most 15-minute intervals of one local day (the day the clocks go back). */
const TODAY_INTERVALS = 100;
const STATISTICS_HINT =
  'Statistics: each 15-minute interval of each resource counts as an object of `intervals` (93 days hold 8 928 of them); narrow from/to, pass fewer ids, select fewer interval fields, or leave `intervals` out (totals cost the same for any range).';

/** How many 15-minute intervals [from, to) overlaps; 1 when the range is not valid (the question refuses it with its own error). */
function intervalsOf(from: unknown, to: unknown): number {
  const a = typeof from === 'string' || typeof from === 'number' ? new Date(from).getTime() : NaN;
  const b = typeof to === 'string' || typeof to === 'number' ? new Date(to).getTime() : NaN;
  if (!Number.isFinite(a) || !Number.isFinite(b) || b <= a || b - a > MAX_RANGE_MS) return 1;
  return Math.ceil((b - Math.floor(a / INTERVAL_MS) * INTERVAL_MS) / INTERVAL_MS);
}

function argumentValue(node: FieldNode, name: string, variables: Record<string, unknown> | undefined): unknown {
  const arg = node.arguments?.find((a) => a.name.value === name);
  if (arg === undefined) return undefined;
  return arg.value.kind === Kind.VARIABLE ? variables?.[arg.value.name.value] : valueFromASTUntyped(arg.value, variables);
}

const withFirst = (node: FieldNode, n: number): FieldNode =>
  node.arguments?.some((a) => a.name.value === 'first' || a.name.value === 'last')
    ? node
    : { ...node, arguments: [...(node.arguments ?? []), { kind: Kind.ARGUMENT, name: { kind: Kind.NAME, value: 'first' }, value: { kind: Kind.INT, value: String(Math.max(1, n)) } }] };

/**
 * An `intervals` field counts as many objects as its page holds: `first` (when given, whatever its value: the
 * field refuses one out of bounds itself) but never more than the range's intervals.
 */
function pageOfIntervals(node: FieldNode, inRange: number, variables: Record<string, unknown> | undefined): FieldNode {
  const first = argumentValue(node, 'first', variables);
  const count = typeof first === 'number' && Number.isFinite(first) ? Math.min(Math.max(1, Math.floor(first)), inRange) : inRange;
  const others = (node.arguments ?? []).filter((a) => a.name.value !== 'first');
  return { ...node, arguments: [...others, { kind: Kind.ARGUMENT, name: { kind: Kind.NAME, value: 'first' }, value: { kind: Kind.INT, value: String(Math.max(1, count)) } }] };
}

/**
 * The cost limit, checked once the variables are known: list sizes such as `first: $n` count with their
 * real value (the cost rule alone would see no number and under-count). Statistics count their interval rows
 * (decision 016): a field's `intervals` as a list of as many objects as [from, to) has 15-minute intervals
 * (`todayStats`: 100), a list form as many resources as `ids` names or, without `ids`, as the caller may see
 * (`sizes`; 1 when unknown); `statisticsCsv(perInterval: true)` may have at most `sizes.limits.maxCsvRows`
 * rows (resources x intervals). Returns the refusals (QUERY_TOO_COMPLEX), empty if fine.
 */
export function checkCost(
  schema: GraphQLSchema, document: DocumentNode, variables: Record<string, unknown> | undefined, limits: Limits, sizes?: StatisticsSizes,
): readonly DomainError[] {
  const problems: DomainError[] = [];
  /** Interval counts of the statistics fields being visited (fragments are flattened first, so each `intervals` is inside its own). */
  const open: number[] = [];
  let most = 1;
  let intervalsAsked = false;
  visit(document, {
    Field(node: FieldNode) {
      const spec = STATISTICS_FIELDS[node.name.value];
      if (spec !== undefined) most = Math.max(most, spec === 'today' ? TODAY_INTERVALS : intervalsOf(argumentValue(node, 'from', variables), argumentValue(node, 'to', variables)));
      if (node.name.value === 'statisticsCsv' && argumentValue(node, 'perInterval', variables) === true) {
        const kind = String(argumentValue(node, 'kind', variables)) as StatisticsResourceKind;
        const intervals = intervalsOf(argumentValue(node, 'from', variables), argumentValue(node, 'to', variables));
        const resources = sizes?.resources(kind) ?? 1;
        const maxRows = sizes?.limits.maxCsvRows ?? Infinity;
        if (resources * intervals > maxRows) problems.push(csvTooLarge(resources, intervals, maxRows));
      }
    },
  });
  const inlined = visit(withoutFragments(document), {
    Argument(node: ArgumentNode) {
      if (node.value.kind !== Kind.VARIABLE) return undefined;
      const value = variables?.[node.value.name.value];
      return value === undefined ? undefined : { ...node, value: toValueNode(value) };
    },
    Field: {
      enter(node: FieldNode) {
        const spec = STATISTICS_FIELDS[node.name.value];
        if (spec !== undefined) {
          open.push(spec === 'today' ? TODAY_INTERVALS : intervalsOf(argumentValue(node, 'from', variables), argumentValue(node, 'to', variables)));
          if (spec === 'today' || !spec.list) return undefined;
          const ids = argumentValue(node, 'ids', variables);
          return withFirst(node, Array.isArray(ids) ? ids.length : (sizes?.resources(spec.kind) ?? 1));
        }
        if (node.name.value !== 'intervals') return undefined;
        intervalsAsked = true;
        return pageOfIntervals(node, open.at(-1) ?? most, variables);
      },
      leave(node: FieldNode) {
        if (STATISTICS_FIELDS[node.name.value] !== undefined) open.pop();
      },
    },
  });
  const cost = validate(schema, inlined, [costLimitRule({ ...COMMON, maxCost: limits.maxCost }) as ValidationRule]);
  for (const error of cost) problems.push(errors.tooComplex(intervalsAsked ? `${error.message} ${STATISTICS_HINT}` : error.message));
  return problems;
}

/**
 * The document with every fragment (named or inline) replaced by its selections where it is used, so that a
 * selection costs what its fields cost written out: the cost rule alone counts a fragment as one more level
 * (and an object), so a client that names its selections would pay more for the same answer. For costing
 * only (type conditions are dropped: every branch counts); the document was validated (no fragment cycles).
 */
export function withoutFragments(document: DocumentNode): DocumentNode {
  const fragments = new Map(document.definitions.filter((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION).map((d) => [d.name.value, d]));
  if (fragments.size === 0 && !hasInlineFragment(document)) return document;
  const flatten = (selections: readonly SelectionNode[]): SelectionNode[] => selections.flatMap((s): SelectionNode[] => {
    if (s.kind === Kind.FRAGMENT_SPREAD) return flatten(fragments.get(s.name.value)?.selectionSet.selections ?? []);
    if (s.kind === Kind.INLINE_FRAGMENT) return flatten(s.selectionSet.selections);
    return [s.selectionSet === undefined ? s : { ...s, selectionSet: { ...s.selectionSet, selections: flatten(s.selectionSet.selections) } }];
  });
  const definitions = document.definitions
    .filter((d) => d.kind !== Kind.FRAGMENT_DEFINITION)
    .map((d): DefinitionNode => (d.kind === Kind.OPERATION_DEFINITION ? { ...d, selectionSet: { ...d.selectionSet, selections: flatten(d.selectionSet.selections) } } : d));
  return { ...document, definitions };
}

function hasInlineFragment(document: DocumentNode): boolean {
  let found = false;
  visit(document, {
    InlineFragment() {
      found = true;
      return BREAK;
    },
  });
  return found;
}

/** The refusal of a CSV export with more rows than allowed, saying how to narrow it. */
export function csvTooLarge(resources: number, intervals: number, maxRows: number): DomainError {
  const rows = resources * intervals;
  return errors.tooComplex(
    `statisticsCsv(perInterval: true) would have ${rows} rows (${resources} resources x ${intervals} intervals of 15 minutes), over the limit of ${maxRows}: narrow from/to (at most ${Math.max(1, Math.floor(maxRows / Math.max(1, resources)))} intervals, ${Math.max(0, Math.floor((maxRows / Math.max(1, resources)) / 96))} days, for ${resources} resources) or export totals (perInterval: false)`,
    { rows, maxRows },
  );
}

/** Whether a document asks for statistics (its cost then depends on who asks, and is not kept per document). */
export function asksStatistics(document: DocumentNode): boolean {
  let found = false;
  visit(document, {
    Field(node: FieldNode) {
      if (STATISTICS_FIELDS[node.name.value] !== undefined || node.name.value === 'statisticsCsv') {
        found = true;
        return BREAK;
      }
      return undefined;
    },
  });
  return found;
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
