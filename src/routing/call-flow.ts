import type { Millis } from './types';

/**
 * Call flows: a graph of nodes a call walks from START when it dials a service number. Validation lists
 * every problem of a draft at once (a publisher fixes them in one go); execution is a pure step function a
 * service drives: each step walks the instant nodes and stops at the first that needs the outside world.
 */

/** The kinds of node; the API's CallFlowNodeType enum is built from this list. */
export const FLOW_NODE_TYPES = {
  START: 'START',
  BRANCH_ON_TIME_RANGES: 'BRANCH_ON_TIME_RANGES',
  BRANCH_ON_HOLIDAY: 'BRANCH_ON_HOLIDAY',
  QUEUE: 'QUEUE',
  ROUTE_TO_EXTERNAL_DESTINATION: 'ROUTE_TO_EXTERNAL_DESTINATION',
  PLAY_MESSAGE: 'PLAY_MESSAGE',
  SET_CONTEXT: 'SET_CONTEXT',
  WAIT: 'WAIT',
  DISCONNECT: 'DISCONNECT',
} as const;
export type FlowNodeType = keyof typeof FLOW_NODE_TYPES;

export interface FlowBranch {
  readonly name: string;
  /** The id of the node it leads to. */
  readonly to: string;
}

/** One node as published; the fields a type does not use are null or absent. */
export interface FlowNode {
  readonly id: string;
  readonly type: FlowNodeType;
  readonly queueId?: string | null;
  readonly externalDestinationId?: string | null;
  readonly holidayListId?: string | null;
  /** In the order of the branches Match1..MatchN. */
  readonly timeRangeIds?: readonly string[] | null;
  readonly message?: string | null;
  /** WAIT: how long the call pauses, in seconds (1..MAX_WAIT_SEC). */
  readonly waitSec?: number | null;
  /** SET_CONTEXT: the entries it adds to the call's context (a key already there takes the new value). */
  readonly context?: ReadonlyArray<{ readonly key: string; readonly value: string }> | null;
  readonly branches: readonly FlowBranch[];
}

export interface FlowGraph {
  readonly nodes: readonly FlowNode[];
}

/** The ids a flow may name: those of the publisher's company that the publisher can see (others read as not found). */
export interface FlowReferences {
  readonly queues: ReadonlySet<string>;
  readonly destinations: ReadonlySet<string>;
  readonly timeRanges: ReadonlySet<string>;
  readonly holidayLists: ReadonlySet<string>;
}

/** One reason a flow cannot be published; `nodeId` null when it concerns the whole flow. */
export interface FlowProblem {
  readonly nodeId: string | null;
  readonly message: string;
}

export const MAX_FLOW_NODES = 200;
export const MAX_TIME_RANGES = 30;
/** Most instant nodes (START, BRANCH_*) one step walks before it gives up on the flow as looping. */
export const MAX_INSTANT_NODES = 200;
/** The longest pause of a WAIT node, in seconds (an hour: longer holds are a queue's job). */
export const MAX_WAIT_SEC = 3600;
/**
 * How often one call may arrive at one node (its visits are counted over the whole call): the next arrival
 * ends the call, so even a loop that waits cannot hold a caller and a line for ever.
 */
export const MAX_NODE_VISITS = 20;

const NODE_ID = /^[A-Za-z0-9_-]{1,64}$/;
const MATCH = /^Match([1-9][0-9]*)$/;

type FieldName = 'queueId' | 'externalDestinationId' | 'holidayListId' | 'timeRangeIds' | 'message' | 'waitSec' | 'context';
const FIELDS: readonly FieldName[] = ['queueId', 'externalDestinationId', 'holidayListId', 'timeRangeIds', 'message', 'waitSec', 'context'];

interface NodeSpec {
  /** The one field the type needs, if any; every other field must be left out. */
  readonly field: FieldName | null;
  /** Named branches (BRANCH_ON_TIME_RANGES adds Match1..MatchN, one per time range). */
  readonly branches: readonly string[];
  /** Branches a call may take without a sensible default, so they must lead somewhere. */
  readonly mandatory: readonly string[];
}

const SPECS: Readonly<Record<FlowNodeType, NodeSpec>> = {
  START: { field: null, branches: ['next'], mandatory: ['next'] },
  BRANCH_ON_TIME_RANGES: { field: 'timeRangeIds', branches: ['NotMatched'], mandatory: ['NotMatched'] },
  BRANCH_ON_HOLIDAY: { field: 'holidayListId', branches: ['Holiday', 'NotHoliday'], mandatory: ['Holiday', 'NotHoliday'] },
  // Unwired, a queue's outcome ends the call: the queue itself decided the caller cannot wait longer.
  QUEUE: { field: 'queueId', branches: ['Timeout', 'Full', 'NoAgents'], mandatory: [] },
  // LimitReached happens at once and often (a busy partner), so a flow must say where such calls go.
  // Returned: the destination answered and handed the call back (returnCall); unwired, it falls back to Failure.
  ROUTE_TO_EXTERNAL_DESTINATION: { field: 'externalDestinationId', branches: ['LimitReached', 'Busy', 'Timeout', 'Failure', 'Returned'], mandatory: ['LimitReached'] },
  PLAY_MESSAGE: { field: 'message', branches: ['next'], mandatory: ['next'] },
  SET_CONTEXT: { field: 'context', branches: ['next'], mandatory: ['next'] },
  WAIT: { field: 'waitSec', branches: ['next'], mandatory: ['next'] },
  DISCONNECT: { field: null, branches: [], mandatory: [] },
};

/**
 * The nodes every loop must pass. Only WAIT: a queue answers Full or NoAgents at once and a destination
 * that is backed off, suspended or full answers Busy or LimitReached at once, so a loop through them (and
 * a message, which offers the call to nobody) would go round as fast as the gateway can send instructions.
 */
const WAITING: ReadonlySet<string> = new Set<FlowNodeType>(['WAIT']);

const isNodeType = (type: string): type is FlowNodeType => Object.hasOwn(FLOW_NODE_TYPES, type);

/** Whether a field holds something: null, undefined, '' and [] all mean "left out". */
function present<T extends string | readonly unknown[] | number>(value: T | null | undefined): value is T {
  return value !== null && value !== undefined && (typeof value === 'number' || value.length > 0);
}

const timeRangesOf = (node: FlowNode): readonly string[] => node.timeRangeIds ?? [];

/** Whether `name` is a branch this node can take (Match_i only up to its time ranges, at most MAX_TIME_RANGES). */
function isBranchOf(node: FlowNode, name: string): boolean {
  if (!isNodeType(node.type)) return false;
  if (SPECS[node.type].branches.includes(name)) return true;
  const match = node.type === 'BRANCH_ON_TIME_RANGES' ? MATCH.exec(name) : null;
  return match !== null && Number(match[1]) <= Math.min(timeRangesOf(node).length, MAX_TIME_RANGES);
}

/** The branches of this node that must be wired: the type's own, and for time ranges one Match per range. */
function mandatoryBranches(node: FlowNode): string[] {
  const spec = SPECS[node.type];
  if (node.type !== 'BRANCH_ON_TIME_RANGES') return [...spec.mandatory];
  const n = Math.min(timeRangesOf(node).length, MAX_TIME_RANGES);
  return [...Array.from({ length: n }, (_, i) => `Match${i + 1}`), ...spec.mandatory];
}

const timeRangeCount = (n: number) => (n === 1 ? 'one time range' : `${n} time ranges`);

/**
 * Every reason `flow` cannot be published, grouped by node in flow order (whole-flow problems first); empty
 * when it can. Never stops at the first problem.
 */
export function validateFlow(flow: FlowGraph, refs: FlowReferences): FlowProblem[] {
  const nodes = flow.nodes;
  // Each problem keeps the position of its node (-1: the whole flow) so the list reads node by node.
  const found: Array<{ at: number; problem: FlowProblem }> = [];
  const report = (at: number, message: string) => found.push({ at, problem: { nodeId: at < 0 ? null : nodes[at]!.id, message } });

  if (nodes.length > MAX_FLOW_NODES) report(-1, `a flow has at most ${MAX_FLOW_NODES} nodes (this one has ${nodes.length})`);
  const starts = nodes.flatMap((n, i) => (n.type === 'START' ? [i] : []));
  if (starts.length === 0) report(-1, 'the flow needs a START node');
  if (starts.length > 1) for (const i of starts) report(i, `the flow has ${starts.length} START nodes; it needs exactly one`);

  // The node a call reaches by an id is the first with that id; later ones are reported and never run.
  const byId = new Map<string, number>();
  nodes.forEach((node, i) => {
    if (!NODE_ID.test(node.id)) report(i, 'the id must be 1-64 letters, digits, _ or -');
    if (!byId.has(node.id)) byId.set(node.id, i);
    else report(i, 'another node has the same id; ids must be unique');
  });

  nodes.forEach((node, i) => {
    if (!isNodeType(node.type)) {
      report(i, `unknown node type ${String(node.type)}`);
      return;
    }
    checkFields(node, refs, (message) => report(i, message));
    checkBranches(node, byId, (message) => report(i, message));
  });

  // Execution follows only branches valid for their node that lead to a node (the first of an id).
  const edges = nodes.map((node, i) =>
    byId.get(node.id) !== i ? [] : node.branches.flatMap((b) => (isBranchOf(node, b.name) && byId.has(b.to) ? [byId.get(b.to)!] : [])),
  );

  if (starts.length > 0) {
    const reached = new Set<number>(starts.filter((i) => byId.get(nodes[i]!.id) === i));
    const pending = [...reached];
    while (pending.length > 0) {
      for (const next of edges[pending.pop()!]!) {
        if (!reached.has(next)) {
          reached.add(next);
          pending.push(next);
        }
      }
    }
    nodes.forEach((node, i) => {
      if (!reached.has(i) && byId.get(node.id) === i) report(i, 'unreachable from START');
    });
  }

  const neverWaits = (i: number) => !WAITING.has(nodes[i]!.type);
  for (const loop of loopsOf(edges.map((next, i) => (neverWaits(i) ? next.filter(neverWaits) : [])))) {
    const ids = loop.map((i) => nodes[i]!.id);
    report(loop[0]!, `loop through ${ids.join(', ')} with no WAIT node: a call would go round it without pausing`);
  }

  // sort is stable: within a node, problems keep the order they were found in.
  return found.sort((a, b) => a.at - b.at).map((f) => f.problem);
}

/** The type's own field present and known; every other type's field left out. */
function checkFields(node: FlowNode, refs: FlowReferences, report: (message: string) => void): void {
  const spec = SPECS[node.type];
  for (const field of FIELDS) {
    if (field !== spec.field && present(node[field])) report(`${field} is not used by a ${node.type} node`);
  }
  switch (node.type) {
    case 'QUEUE':
      if (!present(node.queueId)) report('queueId is required');
      else if (!refs.queues.has(node.queueId)) report('queue not found');
      break;
    case 'ROUTE_TO_EXTERNAL_DESTINATION':
      if (!present(node.externalDestinationId)) report('externalDestinationId is required');
      else if (!refs.destinations.has(node.externalDestinationId)) report('external destination not found');
      break;
    case 'BRANCH_ON_HOLIDAY':
      if (!present(node.holidayListId)) report('holidayListId is required');
      else if (!refs.holidayLists.has(node.holidayListId)) report('holiday list not found');
      break;
    case 'BRANCH_ON_TIME_RANGES': {
      const ids = timeRangesOf(node);
      if (ids.length === 0) report('timeRangeIds needs at least one time range');
      if (ids.length > MAX_TIME_RANGES) report(`at most ${MAX_TIME_RANGES} time ranges (this node has ${ids.length})`);
      const seen = new Set<string>();
      for (const id of ids) {
        // A range listed twice can never match the second time: its Match branch would be dead.
        if (seen.has(id)) report(`time range ${id} is listed twice`);
        else if (!refs.timeRanges.has(id)) report(`time range ${id} not found`);
        seen.add(id);
      }
      break;
    }
    case 'PLAY_MESSAGE':
      if (!present(node.message?.trim())) report('message is required');
      break;
    case 'SET_CONTEXT':
      if (!present(node.context)) report('context needs at least one entry');
      break;
    case 'WAIT':
      if (!present(node.waitSec)) report('waitSec is required');
      else if (!isWaitSec(node.waitSec)) report(`waitSec must be a whole number of seconds from 1 to ${MAX_WAIT_SEC}`);
      break;
    default:
      break;
  }
}

const isWaitSec = (value: unknown): value is number => Number.isInteger(value) && (value as number) >= 1 && (value as number) <= MAX_WAIT_SEC;

/** Branch names valid for the type and used once, targets in the flow, mandatory branches wired. */
function checkBranches(node: FlowNode, byId: ReadonlyMap<string, number>, report: (message: string) => void): void {
  const named = new Set<string>();
  for (const branch of node.branches) {
    const match = MATCH.exec(branch.name);
    if (!isBranchOf(node, branch.name)) {
      if (node.type === 'BRANCH_ON_TIME_RANGES' && match !== null && Number(match[1]) > MAX_TIME_RANGES) {
        report(`branch ${branch.name} is beyond the ${MAX_TIME_RANGES} time ranges a node may have`);
      } else if (node.type === 'BRANCH_ON_TIME_RANGES' && match !== null) {
        report(`branch ${branch.name} has no time range: the node has ${timeRangeCount(timeRangesOf(node).length)}`);
      } else {
        const allowed = node.type === 'BRANCH_ON_TIME_RANGES' ? 'Match1..MatchN, NotMatched' : SPECS[node.type].branches.join(', ');
        report(`${branch.name} is not a branch of a ${node.type} node (${allowed || 'it has none'})`);
      }
    } else if (named.has(branch.name)) report(`branch ${branch.name} is wired more than once`);
    if (!byId.has(branch.to)) report(`branch ${branch.name} leads to ${branch.to}, which is not in the flow`);
    named.add(branch.name);
  }
  for (const name of mandatoryBranches(node)) if (!named.has(name)) report(`branch ${name} must be wired`);
}

/**
 * The cycles of a graph given as successor lists: its strongly connected components with more than one
 * node or a node leading to itself, each in node order. Iterative (Tarjan), so no recursion depth limit.
 */
function loopsOf(next: readonly (readonly number[])[]): number[][] {
  const order = new Array<number>(next.length).fill(-1);
  const low = new Array<number>(next.length).fill(0);
  const onStack = new Array<boolean>(next.length).fill(false);
  const stack: number[] = [];
  const loops: number[][] = [];
  let counter = 0;
  const visit = (v: number) => {
    order[v] = low[v] = counter++;
    stack.push(v);
    onStack[v] = true;
  };
  for (let root = 0; root < next.length; root++) {
    if (order[root] !== -1) continue;
    visit(root);
    const frames: Array<{ v: number; i: number }> = [{ v: root, i: 0 }];
    while (frames.length > 0) {
      const frame = frames[frames.length - 1]!;
      const successors = next[frame.v]!;
      if (frame.i < successors.length) {
        const w = successors[frame.i++]!;
        if (order[w] === -1) {
          visit(w);
          frames.push({ v: w, i: 0 });
        } else if (onStack[w]) low[frame.v] = Math.min(low[frame.v]!, order[w]!);
        continue;
      }
      frames.pop();
      const parent = frames[frames.length - 1];
      if (parent !== undefined) low[parent.v] = Math.min(low[parent.v]!, low[frame.v]!);
      if (low[frame.v] !== order[frame.v]) continue;
      const component: number[] = [];
      let w: number;
      do {
        w = stack.pop()!;
        onStack[w] = false;
        component.push(w);
      } while (w !== frame.v);
      if (component.length > 1 || successors.includes(frame.v)) loops.push(component.sort((a, b) => a - b));
    }
  }
  return loops.sort((a, b) => a[0]! - b[0]!);
}

// ---------------------------------------------------------------------------------------------------------
// Execution

/** Where a call is in its flow: the node it waits at (or ended at). */
export interface FlowPosition {
  readonly nodeId: string;
}

/** What the service does next with the call. */
export type FlowAction =
  | { readonly kind: 'ENTER_QUEUE'; readonly queueId: string }
  | { readonly kind: 'ROUTE_EXTERNAL'; readonly destinationId: string }
  | { readonly kind: 'PLAY_MESSAGE'; readonly message: string }
  | { readonly kind: 'WAIT'; readonly seconds: number }
  | { readonly kind: 'DISCONNECT'; readonly reason: string };

export type QueueOutcome = 'Timeout' | 'Full' | 'NoAgents';
export type ExternalOutcome = 'LimitReached' | 'Busy' | 'Timeout' | 'Failure' | 'Returned';

/** How the node the call waited at ended, as the service saw it. */
export type FlowEvent =
  | { readonly kind: 'QUEUE_ENDED'; readonly branch: QueueOutcome }
  | { readonly kind: 'EXTERNAL_ENDED'; readonly branch: ExternalOutcome }
  | { readonly kind: 'MESSAGE_PLAYED' }
  | { readonly kind: 'WAIT_ENDED' };

/**
 * The world a step may ask about, so this module does not know how schedules are computed. `detail`
 * says in words why, e.g. "outside Mon-Fri 09:00-17:00 Europe/London".
 */
export interface FlowContext {
  readonly now: Millis;
  /** How often the call arrived at each node before this step (none when left out). */
  readonly visits?: ReadonlyMap<string, number>;
  /** The most arrivals of the call at one node (MAX_NODE_VISITS when left out). */
  readonly maxNodeVisits?: number;
  timeRange(id: string, at: Millis): { match: boolean; detail: string };
  holidays(id: string, at: Millis): { holiday: boolean; detail: string };
}

/** One node walked: the branch taken (null when the call stopped there) and why. */
export interface FlowTraceEntry {
  readonly nodeId: string;
  readonly nodeType: FlowNodeType;
  readonly branch: string | null;
  readonly detail: string;
}

export interface FlowStep {
  /** The node the call now waits at or ended at; null only when the flow has no single START to enter. */
  readonly position: FlowPosition | null;
  readonly action: FlowAction;
  readonly trace: readonly FlowTraceEntry[];
  /** What SET_CONTEXT nodes walked in this step add to the call's context, in order (a later one of a key wins). */
  readonly context?: ReadonlyArray<{ readonly key: string; readonly value: string }>;
}

const QUEUE_OUTCOMES: Readonly<Record<QueueOutcome, string>> = {
  Timeout: 'the call waited the longest the queue allows',
  Full: 'the queue was full',
  NoAgents: 'no agent of the queue was logged in',
};

const EXTERNAL_OUTCOMES: Readonly<Record<ExternalOutcome, string>> = {
  LimitReached: 'the destination was at its limit of simultaneous calls',
  Busy: 'the destination was busy',
  Timeout: 'the destination did not answer in time',
  Failure: 'the call to the destination failed',
  Returned: 'the destination answered and handed the call back',
};

/** A walk in progress: the trace so far and how many instant nodes it has passed. */
class Walk {
  readonly trace: FlowTraceEntry[] = [];
  /** Entries SET_CONTEXT nodes added during this walk. */
  readonly context: Array<{ key: string; value: string }> = [];
  instantNodes = 0;
  private readonly byId = new Map<string, FlowNode>();
  /** Arrivals at each node during this walk (added to the call's earlier ones from the context). */
  private readonly arrived = new Map<string, number>();

  constructor(flow: FlowGraph, readonly ctx: FlowContext) {
    // The first node of an id is the one that runs, as validation assumes.
    for (const node of flow.nodes) if (!this.byId.has(node.id)) this.byId.set(node.id, node);
  }

  node(id: string): FlowNode | undefined {
    return this.byId.get(id);
  }

  note(node: FlowNode, branch: string | null, detail: string): void {
    this.trace.push({ nodeId: node.id, nodeType: node.type, branch, detail });
  }

  stop(node: FlowNode, action: FlowAction): FlowStep {
    return { position: { nodeId: node.id }, action, trace: this.trace, ...(this.context.length > 0 ? { context: this.context } : {}) };
  }

  /** Ends the call at `node`: the trace says why in `detail`, the action in `reason`. */
  end(node: FlowNode, detail: string, reason: string): FlowStep {
    this.note(node, null, detail);
    return this.stop(node, { kind: 'DISCONNECT', reason });
  }

  /** Takes `branch` out of `node`, or ends the call there when it leads nowhere. */
  follow(node: FlowNode, branch: string, detail: string): FlowNode | FlowStep {
    const wire = node.branches.find((b) => b.name === branch);
    if (wire === undefined) return this.end(node, `${detail}; ${branch} is not wired, so the call ends here`, `${detail} and the call flow does not say where to go next`);
    const target = this.byId.get(wire.to);
    if (target === undefined) return this.end(node, `${detail}; ${branch} leads to ${wire.to}, which is not in the flow`, `the call flow leads to a missing node ${wire.to}`);
    this.note(node, branch, detail);
    return target;
  }

  /** Walks from `node` through instant nodes to the first that needs the outside world. */
  run(from: FlowNode | FlowStep): FlowStep {
    let node = from;
    const cap = this.ctx.maxNodeVisits ?? MAX_NODE_VISITS;
    while (!('action' in node)) {
      const instant = node.type === 'START' || node.type === 'BRANCH_ON_HOLIDAY' || node.type === 'BRANCH_ON_TIME_RANGES' || node.type === 'SET_CONTEXT';
      // Visits are capped where the call does something: every loop passes such a node (a valid one a WAIT),
      // so that bounds the instant nodes too; a loop of instant nodes alone is MAX_INSTANT_NODES' job.
      const visits = (this.ctx.visits?.get(node.id) ?? 0) + (this.arrived.get(node.id) ?? 0);
      this.arrived.set(node.id, (this.arrived.get(node.id) ?? 0) + 1);
      if (!instant && visits >= cap) {
        return this.end(
          node,
          `the call has already been at this node ${visits} times, the most a call may: the flow ends it here`,
          `the call reached node ${node.id} of the call flow more than ${cap} times`,
        );
      }
      if (instant && this.instantNodes >= MAX_INSTANT_NODES) {
        return this.end(
          node,
          `stopped after ${MAX_INSTANT_NODES} nodes without reaching a queue, a destination or a message: the flow goes round a loop`,
          'the call flow loops without ever waiting',
        );
      }
      if (instant) this.instantNodes++;
      node = this.visit(node);
    }
    return node;
  }

  private visit(node: FlowNode): FlowNode | FlowStep {
    const { ctx } = this;
    switch (node.type) {
      case 'START':
        return this.follow(node, 'next', 'the call enters the flow');
      case 'BRANCH_ON_HOLIDAY': {
        if (!node.holidayListId) return this.end(node, 'the node names no holiday list', 'the call flow is incomplete');
        const day = ctx.holidays(node.holidayListId, ctx.now);
        return this.follow(node, day.holiday ? 'Holiday' : 'NotHoliday', day.detail);
      }
      case 'BRANCH_ON_TIME_RANGES': {
        const details: string[] = [];
        const ids = timeRangesOf(node).slice(0, MAX_TIME_RANGES);
        for (const [i, id] of ids.entries()) {
          const range = ctx.timeRange(id, ctx.now);
          details.push(range.detail);
          if (range.match) return this.follow(node, `Match${i + 1}`, details.join('; '));
        }
        return this.follow(node, 'NotMatched', details.join('; ') || 'no time range to match');
      }
      case 'QUEUE':
        if (!node.queueId) return this.end(node, 'the node names no queue', 'the call flow is incomplete');
        this.note(node, null, `the call waits in queue ${node.queueId}`);
        return this.stop(node, { kind: 'ENTER_QUEUE', queueId: node.queueId });
      case 'ROUTE_TO_EXTERNAL_DESTINATION':
        if (!node.externalDestinationId) return this.end(node, 'the node names no external destination', 'the call flow is incomplete');
        this.note(node, null, `the call is offered to external destination ${node.externalDestinationId}`);
        return this.stop(node, { kind: 'ROUTE_EXTERNAL', destinationId: node.externalDestinationId });
      case 'PLAY_MESSAGE':
        if (!node.message) return this.end(node, 'the node has no message', 'the call flow is incomplete');
        this.note(node, null, 'the caller hears a message');
        return this.stop(node, { kind: 'PLAY_MESSAGE', message: node.message });
      case 'WAIT':
        if (!isWaitSec(node.waitSec)) return this.end(node, 'the node has no valid number of seconds to wait', 'the call flow is incomplete');
        this.note(node, null, `the call waits ${node.waitSec} s`);
        return this.stop(node, { kind: 'WAIT', seconds: node.waitSec });
      case 'SET_CONTEXT': {
        const entries = node.context ?? [];
        for (const { key, value } of entries) this.context.push({ key, value });
        return this.follow(node, 'next', `the call's context is set: ${entries.map((e) => e.key).join(', ') || 'nothing'}`);
      }
      case 'DISCONNECT':
        return this.end(node, 'the flow ends the call here', `the call flow ends the call (node ${node.id})`);
      default:
        return this.end(node, `unknown node type ${String(node.type)}`, 'the call flow is incomplete');
    }
  }
}

/** The first step of a call entering `flow`: from START to the first node that waits, plays or ends. */
export function startFlow(flow: FlowGraph, ctx: FlowContext): FlowStep {
  const starts = flow.nodes.filter((n) => n.type === 'START');
  if (starts.length !== 1) {
    return { position: null, action: { kind: 'DISCONNECT', reason: `the call flow has ${starts.length} START nodes, so it cannot be entered` }, trace: [] };
  }
  const walk = new Walk(flow, ctx);
  return walk.run(starts[0]!);
}

/**
 * The next step of a call waiting `at` a node once `event` says how that node ended: follows the branch it
 * names and walks on. An unwired ROUTE_TO_EXTERNAL_DESTINATION branch falls back to Failure, then ends the
 * call; an unwired QUEUE branch ends the call. Anything the flow cannot follow ends the call with a reason,
 * so a caller is never left without an instruction.
 */
export function stepFlow(flow: FlowGraph, at: FlowPosition, event: FlowEvent, ctx: FlowContext): FlowStep {
  const walk = new Walk(flow, ctx);
  const node = walk.node(at.nodeId);
  if (node === undefined) {
    return { position: at, action: { kind: 'DISCONNECT', reason: `the call flow has no node ${at.nodeId}, so the call cannot continue` }, trace: [] };
  }
  const mismatch = () => walk.end(node, `${event.kind} cannot end a ${node.type} node`, 'the call flow lost track of the call');

  if (node.type === 'QUEUE') {
    if (event.kind !== 'QUEUE_ENDED' || !Object.hasOwn(QUEUE_OUTCOMES, event.branch)) return mismatch();
    return walk.run(walk.follow(node, event.branch, QUEUE_OUTCOMES[event.branch]));
  }

  if (node.type === 'ROUTE_TO_EXTERNAL_DESTINATION') {
    if (event.kind !== 'EXTERNAL_ENDED' || !Object.hasOwn(EXTERNAL_OUTCOMES, event.branch)) return mismatch();
    const detail = EXTERNAL_OUTCOMES[event.branch];
    const wired = (name: string) => node.branches.some((b) => b.name === name);
    if (wired(event.branch)) return walk.run(walk.follow(node, event.branch, detail));
    if (event.branch !== 'Failure' && wired('Failure')) {
      return walk.run(walk.follow(node, 'Failure', `${detail}; ${event.branch} is not wired, so it falls back to Failure`));
    }
    const unwired = event.branch === 'Failure' ? 'Failure is not wired' : `neither ${event.branch} nor Failure is wired`;
    return walk.end(node, `${detail}; ${unwired}, so the call ends here`, `${detail} and the call flow does not say where to go next`);
  }

  if (node.type === 'PLAY_MESSAGE') {
    if (event.kind !== 'MESSAGE_PLAYED') return mismatch();
    return walk.run(walk.follow(node, 'next', 'the message was played'));
  }

  if (node.type === 'WAIT') {
    if (event.kind !== 'WAIT_ENDED') return mismatch();
    return walk.run(walk.follow(node, 'next', `the call waited ${node.waitSec ?? 0} s`));
  }

  return mismatch();
}

/**
 * The nodes a step arrived at, in order, from its trace: every node of a first step; after stepFlow, every
 * node but the one the call left (the first entry is the node `from` the call was waiting at).
 */
export function arrivalsOf(step: FlowStep, from: FlowPosition | null): string[] {
  const ids = step.trace.map((t) => t.nodeId);
  return from !== null && ids[0] === from.nodeId ? ids.slice(1) : ids;
}
