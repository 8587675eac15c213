import {
  MAX_INSTANT_NODES, startFlow, stepFlow, validateFlow,
  type FlowContext, type FlowEvent, type FlowGraph, type FlowNode, type FlowNodeType, type FlowProblem, type FlowReferences, type FlowStep,
} from '../../src/routing/call-flow';
import { withContext } from '../../src/engine/call-context';

const NOW = Date.UTC(2026, 10, 23, 19, 30, 0);

/** A node with its branches given as { name: target }. */
const node = (id: string, type: FlowNodeType, fields: Partial<FlowNode> = {}, branches: Record<string, string> = {}): FlowNode => ({
  id, type, ...fields, branches: Object.entries(branches).map(([name, to]) => ({ name, to })),
});

const refs: FlowReferences = {
  queues: new Set(['q-sales']),
  destinations: new Set(['d-night', 'd-partner']),
  timeRanges: new Set(['tr-office', 'tr-saturday', ...Array.from({ length: 31 }, (_, i) => `tr-${i + 1}`)]),
  holidayLists: new Set(['hl-uk']),
};

/** Holidays go to the night service; otherwise office hours to the sales queue, outside them to the night service. */
const outOfHours = (): FlowNode[] => [
  node('start', 'START', {}, { next: 'holiday' }),
  node('holiday', 'BRANCH_ON_HOLIDAY', { holidayListId: 'hl-uk' }, { Holiday: 'night', NotHoliday: 'hours' }),
  node('hours', 'BRANCH_ON_TIME_RANGES', { timeRangeIds: ['tr-office', 'tr-saturday'] }, { Match1: 'sales', Match2: 'sales', NotMatched: 'night' }),
  node('sales', 'QUEUE', { queueId: 'q-sales' }),
  node('night', 'ROUTE_TO_EXTERNAL_DESTINATION', { externalDestinationId: 'd-night' }, { LimitReached: 'bye' }),
  node('bye', 'DISCONNECT'),
];

/** Every way out of the queue goes to a partner; a partner at its limit gets an apology and the call ends. */
const overflow = (): FlowNode[] => [
  node('start', 'START', {}, { next: 'sales' }),
  node('sales', 'QUEUE', { queueId: 'q-sales' }, { Full: 'partner', Timeout: 'partner', NoAgents: 'partner' }),
  node('partner', 'ROUTE_TO_EXTERNAL_DESTINATION', { externalDestinationId: 'd-partner' }, { LimitReached: 'sorry' }),
  node('sorry', 'PLAY_MESSAGE', { message: 'All our partners are busy. Please call again later.' }, { next: 'bye' }),
  node('bye', 'DISCONNECT'),
];

const validate = (nodes: FlowNode[]) => validateFlow({ nodes }, refs);
/** The flow with the node `id` replaced by `change(node)` (or removed when it returns null). */
const edit = (nodes: FlowNode[], id: string, change: (n: FlowNode) => FlowNode | null): FlowNode[] =>
  nodes.flatMap((n) => (n.id === id ? [change(n)].filter((x): x is FlowNode => x !== null) : [n]));
const withBranches = (branches: Record<string, string>) => (n: FlowNode): FlowNode => node(n.id, n.type, n, branches);
const problem = (nodeId: string | null, message: string): FlowProblem => ({ nodeId, message });

describe('validateFlow', () => {
  it.each([
    ['an out-of-hours flow (holiday, then office hours, to a queue or a night service)', outOfHours()],
    ['an overflow flow (queue full, timed out or unstaffed to a partner, then an apology)', overflow()],
    ['a loop through a QUEUE that passes a WAIT (timed out, a message, a pause, back to the queue)',
      edit(overflow(), 'sales', withBranches({ Timeout: 'hold', Full: 'partner' })).concat(
        node('hold', 'PLAY_MESSAGE', { message: 'Please keep holding.' }, { next: 'pause' }), node('pause', 'WAIT', { waitSec: 30 }, { next: 'sales' }))],
    ['a loop through a ROUTE_TO_EXTERNAL_DESTINATION that passes a WAIT (busy, an apology, a pause, try again)',
      edit(overflow(), 'partner', withBranches({ LimitReached: 'sorry', Busy: 'hold' })).concat(
        node('hold', 'PLAY_MESSAGE', { message: 'Please hold.' }, { next: 'pause' }), node('pause', 'WAIT', { waitSec: 10 }, { next: 'partner' }))],
  ])('publishes %s with no problem', (_, nodes) => {
    expect(validate(nodes)).toEqual([]);
  });

  it('lists every problem of a flow at once, node by node, each with its node id', () => {
    const nodes: FlowNode[] = [
      node('start', 'START', { queueId: 'q-sales' }, { next: 'hours' }),
      node('hours', 'BRANCH_ON_TIME_RANGES', { timeRangeIds: ['tr-office', 'tr-gone'] }, { Match1: 'sales', Match3: 'sales' }),
      node('sales', 'QUEUE', { queueId: 'q-other-company' }, { Full: 'partner', Busy: 'partner' }),
      node('partner', 'ROUTE_TO_EXTERNAL_DESTINATION', {}, { Busy: 'nowhere' }),
      node('partner', 'DISCONNECT'),
      node('orphan', 'PLAY_MESSAGE', {}),
    ];
    expect(validate(nodes)).toEqual([
      problem('start', 'queueId is not used by a START node'),
      problem('hours', 'time range tr-gone not found'),
      problem('hours', 'branch Match3 has no time range: the node has 2 time ranges'),
      problem('hours', 'branch Match2 must be wired'),
      problem('hours', 'branch NotMatched must be wired'),
      problem('sales', 'queue not found'),
      problem('sales', 'Busy is not a branch of a QUEUE node (Timeout, Full, NoAgents)'),
      problem('partner', 'externalDestinationId is required'),
      problem('partner', 'branch Busy leads to nowhere, which is not in the flow'),
      problem('partner', 'branch LimitReached must be wired'),
      problem('partner', 'another node has the same id; ids must be unique'),
      problem('orphan', 'message is required'),
      problem('orphan', 'branch next must be wired'),
      problem('orphan', 'unreachable from START'),
    ]);
  });

  const chainOfMessages = (n: number): FlowNode[] =>
    Array.from({ length: n }, (_, i) => node(`m${i + 1}`, 'PLAY_MESSAGE', { message: `part ${i + 1}` }, { next: i + 1 < n ? `m${i + 2}` : 'bye' }));

  it.each<[string, FlowNode[], FlowProblem[]]>([
    ['a flow with no START', edit(overflow(), 'start', () => null), [problem(null, 'the flow needs a START node')]],
    ['a flow with two STARTs', [...overflow(), node('start2', 'START', {}, { next: 'sales' })], [
      problem('start', 'the flow has 2 START nodes; it needs exactly one'),
      problem('start2', 'the flow has 2 START nodes; it needs exactly one'),
    ]],
    ['a flow of more than 200 nodes', edit(overflow(), 'sorry', withBranches({ next: 'm1' })).concat(chainOfMessages(197)), [
      problem(null, 'a flow has at most 200 nodes (this one has 202)'),
    ]],
    ['two nodes with one id', [...overflow(), node('bye', 'DISCONNECT')], [problem('bye', 'another node has the same id; ids must be unique')]],
    ['an id with a space', edit(edit(overflow(), 'bye', (n) => ({ ...n, id: 'bye now' })), 'sorry', withBranches({ next: 'bye now' })), [
      problem('bye now', 'the id must be 1-64 letters, digits, _ or -'),
    ]],
    ['an id of 65 characters', edit(edit(overflow(), 'bye', (n) => ({ ...n, id: 'b'.repeat(65) })), 'sorry', withBranches({ next: 'b'.repeat(65) })), [
      problem('b'.repeat(65), 'the id must be 1-64 letters, digits, _ or -'),
    ]],
    ['a node of an unknown type', [...overflow(), node('vm', 'VOICEMAIL' as FlowNodeType)], [
      problem('vm', 'unknown node type VOICEMAIL'),
      problem('vm', 'unreachable from START'),
    ]],
    ['a branch of another node type', edit(overflow(), 'sales', withBranches({ Full: 'partner', Busy: 'partner' })), [
      problem('sales', 'Busy is not a branch of a QUEUE node (Timeout, Full, NoAgents)'),
    ]],
    ['a branch out of DISCONNECT', edit(overflow(), 'bye', withBranches({ next: 'sorry' })), [
      problem('bye', 'next is not a branch of a DISCONNECT node (it has none)'),
    ]],
    ['a Match branch beyond the time ranges', edit(outOfHours(), 'hours', withBranches({ Match1: 'sales', Match2: 'sales', Match3: 'sales', NotMatched: 'night' })), [
      problem('hours', 'branch Match3 has no time range: the node has 2 time ranges'),
    ]],
    ['a Match branch not numbered from 1', edit(outOfHours(), 'hours', withBranches({ Match0: 'sales', Match1: 'sales', Match2: 'sales', NotMatched: 'night' })), [
      problem('hours', 'Match0 is not a branch of a BRANCH_ON_TIME_RANGES node (Match1..MatchN, NotMatched)'),
    ]],
    ['31 time ranges', edit(outOfHours(), 'hours', (n) => node('hours', n.type, { timeRangeIds: Array.from({ length: 31 }, (_, i) => `tr-${i + 1}`) }, {
      ...Object.fromEntries(Array.from({ length: 31 }, (_, i) => [`Match${i + 1}`, 'sales'])), NotMatched: 'night',
    })), [
      problem('hours', 'at most 30 time ranges (this node has 31)'),
      problem('hours', 'branch Match31 is beyond the 30 time ranges a node may have'),
    ]],
    ['one time range listed twice', edit(outOfHours(), 'hours', (n) => ({ ...n, timeRangeIds: ['tr-office', 'tr-office'] })), [
      problem('hours', 'time range tr-office is listed twice'),
    ]],
    ['a branch name used twice', edit(overflow(), 'sales', (n) => ({ ...n, branches: [...n.branches, { name: 'Full', to: 'bye' }] })), [
      problem('sales', 'branch Full is wired more than once'),
    ]],
    ['a branch to a node that is not in the flow', edit(overflow(), 'sales', withBranches({ Full: 'partner', Timeout: 'partnr' })), [
      problem('sales', 'branch Timeout leads to partnr, which is not in the flow'),
    ]],
    ['a QUEUE with no queueId', edit(overflow(), 'sales', (n) => ({ ...n, queueId: null })), [problem('sales', 'queueId is required')]],
    ['a ROUTE_TO_EXTERNAL_DESTINATION with no externalDestinationId', edit(overflow(), 'partner', (n) => ({ ...n, externalDestinationId: undefined })), [
      problem('partner', 'externalDestinationId is required'),
    ]],
    ['a BRANCH_ON_HOLIDAY with no holidayListId', edit(outOfHours(), 'holiday', (n) => ({ ...n, holidayListId: '' })), [problem('holiday', 'holidayListId is required')]],
    ['a BRANCH_ON_TIME_RANGES with no time range', edit(outOfHours(), 'hours', (n) => node('hours', n.type, { timeRangeIds: [] }, { NotMatched: 'sales' })), [
      problem('hours', 'timeRangeIds needs at least one time range'),
    ]],
    ['a PLAY_MESSAGE with a blank message', edit(overflow(), 'sorry', (n) => ({ ...n, message: '  ' })), [problem('sorry', 'message is required')]],
    ['a message on a QUEUE', edit(overflow(), 'sales', (n) => ({ ...n, message: 'hello' })), [problem('sales', 'message is not used by a QUEUE node')]],
    ['a queue on a START', edit(overflow(), 'start', (n) => ({ ...n, queueId: 'q-sales' })), [problem('start', 'queueId is not used by a START node')]],
    ['time ranges on a DISCONNECT', edit(overflow(), 'bye', (n) => ({ ...n, timeRangeIds: ['tr-office'] })), [problem('bye', 'timeRangeIds is not used by a DISCONNECT node')]],
    ['a holiday list on a PLAY_MESSAGE', edit(overflow(), 'sorry', (n) => ({ ...n, holidayListId: 'hl-uk' })), [problem('sorry', 'holidayListId is not used by a PLAY_MESSAGE node')]],
    ['a queue of another company (not visible: not found)', edit(overflow(), 'sales', (n) => ({ ...n, queueId: 'q-other-company' })), [problem('sales', 'queue not found')]],
    ['an unknown external destination', edit(overflow(), 'partner', (n) => ({ ...n, externalDestinationId: 'd-hidden' })), [problem('partner', 'external destination not found')]],
    ['an unknown holiday list', edit(outOfHours(), 'holiday', (n) => ({ ...n, holidayListId: 'hl-fr' })), [problem('holiday', 'holiday list not found')]],
    ['an unknown time range', edit(outOfHours(), 'hours', (n) => ({ ...n, timeRangeIds: ['tr-office', 'tr-sunday'] })), [problem('hours', 'time range tr-sunday not found')]],
    ['START.next unwired', edit(overflow(), 'start', withBranches({})), [
      problem('start', 'branch next must be wired'),
      ...['sales', 'partner', 'sorry', 'bye'].map((id) => problem(id, 'unreachable from START')),
    ]],
    ['PLAY_MESSAGE.next unwired', edit(overflow(), 'sorry', withBranches({})), [problem('sorry', 'branch next must be wired'), problem('bye', 'unreachable from START')]],
    ['LimitReached unwired', edit(overflow(), 'partner', withBranches({ Busy: 'sorry' })), [problem('partner', 'branch LimitReached must be wired')]],
    ['Match2 unwired', edit(outOfHours(), 'hours', withBranches({ Match1: 'sales', NotMatched: 'night' })), [problem('hours', 'branch Match2 must be wired')]],
    ['NotMatched unwired', edit(outOfHours(), 'hours', withBranches({ Match1: 'sales', Match2: 'sales' })), [problem('hours', 'branch NotMatched must be wired')]],
    ['Holiday unwired', edit(outOfHours(), 'holiday', withBranches({ NotHoliday: 'hours' })), [problem('holiday', 'branch Holiday must be wired')]],
    ['NotHoliday unwired', edit(outOfHours(), 'holiday', withBranches({ Holiday: 'night' })), [
      problem('holiday', 'branch NotHoliday must be wired'),
      problem('hours', 'unreachable from START'),
      problem('sales', 'unreachable from START'),
    ]],
    ['a node nothing leads to', [...overflow(), node('spare', 'DISCONNECT')], [problem('spare', 'unreachable from START')]],
    ['a node reached only through a branch its node does not have', [...edit(overflow(), 'bye', withBranches({ next: 'spare' })), node('spare', 'DISCONNECT')], [
      problem('bye', 'next is not a branch of a DISCONNECT node (it has none)'),
      problem('spare', 'unreachable from START'),
    ]],
    ['a branch node wired to itself', edit(outOfHours(), 'holiday', withBranches({ Holiday: 'night', NotHoliday: 'holiday' })), [
      problem('holiday', 'loop through holiday with no WAIT node: a call would go round it without pausing'),
      problem('hours', 'unreachable from START'),
      problem('sales', 'unreachable from START'),
    ]],
    ['two branch nodes wired to each other', edit(outOfHours(), 'hours', withBranches({ Match1: 'sales', Match2: 'sales', NotMatched: 'holiday' })), [
      problem('holiday', 'loop through holiday, hours with no WAIT node: a call would go round it without pausing'),
    ]],
    ['a loop of messages (a message waits for nobody)', [...edit(overflow(), 'sorry', withBranches({ next: 'again' })), node('again', 'PLAY_MESSAGE', { message: 'Still busy.' }, { next: 'sorry' })], [
      problem('sorry', 'loop through sorry, again with no WAIT node: a call would go round it without pausing'),
      problem('bye', 'unreachable from START'),
    ]],
    ['a message leading back to START', [node('start', 'START', {}, { next: 'welcome' }), node('welcome', 'PLAY_MESSAGE', { message: 'Welcome.' }, { next: 'start' })], [
      problem('start', 'loop through start, welcome with no WAIT node: a call would go round it without pausing'),
    ]],
  ])('refuses %s', (_, nodes, expected) => {
    expect(validate(nodes)).toEqual(expected);
  });
});

const RANGES: Record<string, string> = { 'tr-office': 'Mon-Fri 09:00-17:00 Europe/London', 'tr-saturday': 'Sat 10:00-13:00 Europe/London' };

/** A context with the answers given: `open` lists the ranges that match now; every question is recorded with its time. */
function context(open: string[] = [], holiday = false): FlowContext & { asked: Array<[string, number]> } {
  const asked: Array<[string, number]> = [];
  return {
    now: NOW,
    asked,
    timeRange: (id, at) => {
      asked.push([id, at]);
      return { match: open.includes(id), detail: `${open.includes(id) ? 'inside' : 'outside'} ${RANGES[id] ?? id}` };
    },
    holidays: (id, at) => {
      asked.push([id, at]);
      return holiday ? { holiday: true, detail: `Christmas Day in ${id}` } : { holiday: false, detail: `not a holiday in ${id}` };
    },
  };
}

/** The walk in short: each node, with the branch it took. */
const path = (step: FlowStep) => step.trace.map((t) => (t.branch === null ? t.nodeId : `${t.nodeId}:${t.branch}`));
const graph = (nodes: FlowNode[]): FlowGraph => ({ nodes });

describe('startFlow', () => {
  it.each<[string, FlowContext, string[], FlowStep['action']]>([
    ['a holiday goes to the night service', context(['tr-office'], true), ['start:next', 'holiday:Holiday', 'night'], { kind: 'ROUTE_EXTERNAL', destinationId: 'd-night' }],
    ['office hours go to the sales queue', context(['tr-office']), ['start:next', 'holiday:NotHoliday', 'hours:Match1', 'sales'], { kind: 'ENTER_QUEUE', queueId: 'q-sales' }],
    ['Saturday morning takes the second range', context(['tr-saturday']), ['start:next', 'holiday:NotHoliday', 'hours:Match2', 'sales'], { kind: 'ENTER_QUEUE', queueId: 'q-sales' }],
    ['outside every range goes to the night service', context([]), ['start:next', 'holiday:NotHoliday', 'hours:NotMatched', 'night'], { kind: 'ROUTE_EXTERNAL', destinationId: 'd-night' }],
  ])('walks the out-of-hours flow: %s', (_, ctx, expectedPath, action) => {
    const step = startFlow(graph(outOfHours()), ctx);
    expect(path(step)).toEqual(expectedPath);
    expect(step.action).toEqual(action);
    expect(step.position).toEqual({ nodeId: expectedPath[expectedPath.length - 1] });
  });

  it('traces every node with its type, branch and the reason in words', () => {
    const step = startFlow(graph(outOfHours()), context([]));
    expect(step.trace).toEqual([
      { nodeId: 'start', nodeType: 'START', branch: 'next', detail: 'the call enters the flow' },
      { nodeId: 'holiday', nodeType: 'BRANCH_ON_HOLIDAY', branch: 'NotHoliday', detail: 'not a holiday in hl-uk' },
      { nodeId: 'hours', nodeType: 'BRANCH_ON_TIME_RANGES', branch: 'NotMatched', detail: 'outside Mon-Fri 09:00-17:00 Europe/London; outside Sat 10:00-13:00 Europe/London' },
      { nodeId: 'night', nodeType: 'ROUTE_TO_EXTERNAL_DESTINATION', branch: null, detail: 'the call is offered to external destination d-night' },
    ]);
  });

  it('asks the context about its own time and stops at the first range that matches', () => {
    const both = context(['tr-office', 'tr-saturday']);
    const step = startFlow(graph(outOfHours()), both);
    expect(path(step)).toContain('hours:Match1');
    expect(step.trace[2]?.detail).toBe('inside Mon-Fri 09:00-17:00 Europe/London');
    expect(both.asked).toEqual([['hl-uk', NOW], ['tr-office', NOW]]);
  });

  it('cannot enter a flow without exactly one START, and says so', () => {
    const step = startFlow(graph(edit(overflow(), 'start', () => null)), context());
    expect(step).toEqual({ position: null, action: { kind: 'DISCONNECT', reason: 'the call flow has 0 START nodes, so it cannot be entered' }, trace: [] });
  });

  it('gives up on a flow that loops without waiting after 200 instant nodes, and says why', () => {
    const nodes = [node('start', 'START', {}, { next: 'spin' }), node('spin', 'BRANCH_ON_HOLIDAY', { holidayListId: 'hl-uk' }, { Holiday: 'spin', NotHoliday: 'spin' })];
    expect(validate(nodes).map((p) => p.message)).toEqual([expect.stringContaining('loop through spin')]);
    const step = startFlow(graph(nodes), context());
    expect(step.action).toEqual({ kind: 'DISCONNECT', reason: 'the call flow loops without ever waiting' });
    expect(step.position).toEqual({ nodeId: 'spin' });
    expect(step.trace).toHaveLength(MAX_INSTANT_NODES + 1);
    expect(step.trace[MAX_INSTANT_NODES]).toEqual({
      nodeId: 'spin', nodeType: 'BRANCH_ON_HOLIDAY', branch: null,
      detail: 'stopped after 200 nodes without reaching a queue, a destination or a message: the flow goes round a loop',
    });
  });
});

/** Runs a call through `nodes` as a service would: start, then one step per event reported. */
function drive(nodes: FlowNode[], events: FlowEvent[], ctx: FlowContext = context()): FlowStep[] {
  const steps = [startFlow(graph(nodes), ctx)];
  for (const event of events) steps.push(stepFlow(graph(nodes), steps[steps.length - 1]!.position!, event, ctx));
  return steps;
}

describe('stepFlow', () => {
  it.each<[string, 'Full' | 'Timeout' | 'NoAgents']>([
    ['full', 'Full'],
    ['timed-out', 'Timeout'],
    ['unstaffed', 'NoAgents'],
  ])('follows the overflow flow from a %s queue to the partner, an apology and the end', (_, branch) => {
    const steps = drive(overflow(), [{ kind: 'QUEUE_ENDED', branch }, { kind: 'EXTERNAL_ENDED', branch: 'LimitReached' }, { kind: 'MESSAGE_PLAYED' }]);
    expect(steps.map((s) => s.action.kind)).toEqual(['ENTER_QUEUE', 'ROUTE_EXTERNAL', 'PLAY_MESSAGE', 'DISCONNECT']);
    expect(steps.map((s) => s.position?.nodeId)).toEqual(['sales', 'partner', 'sorry', 'bye']);
    expect(steps.map(path)).toEqual([
      ['start:next', 'sales'],
      [`sales:${branch}`, 'partner'],
      ['partner:LimitReached', 'sorry'],
      ['sorry:next', 'bye'],
    ]);
    expect(steps[2]!.action).toEqual({ kind: 'PLAY_MESSAGE', message: 'All our partners are busy. Please call again later.' });
    expect(steps[3]!.action).toEqual({ kind: 'DISCONNECT', reason: 'the call flow ends the call (node bye)' });
  });

  const destinationFlow = (branches: Record<string, string>): FlowNode[] => [
    node('start', 'START', {}, { next: 'partner' }),
    node('partner', 'ROUTE_TO_EXTERNAL_DESTINATION', { externalDestinationId: 'd-partner' }, branches),
    node('on-busy', 'PLAY_MESSAGE', { message: 'The line is busy.' }, { next: 'bye' }),
    node('on-failure', 'PLAY_MESSAGE', { message: 'We could not connect you.' }, { next: 'bye' }),
    node('bye', 'DISCONNECT'),
  ];

  it.each<[string, Record<string, string>, 'Busy' | 'Timeout' | 'Failure', string[], string]>([
    ['a wired Busy is followed', { LimitReached: 'bye', Busy: 'on-busy', Failure: 'on-failure' }, 'Busy',
      ['partner:Busy', 'on-busy'], 'the destination was busy'],
    ['an unwired Busy falls back to Failure', { LimitReached: 'bye', Failure: 'on-failure' }, 'Busy',
      ['partner:Failure', 'on-failure'], 'the destination was busy; Busy is not wired, so it falls back to Failure'],
    ['an unwired Timeout falls back to Failure', { LimitReached: 'bye', Busy: 'on-busy', Failure: 'on-failure' }, 'Timeout',
      ['partner:Failure', 'on-failure'], 'the destination did not answer in time; Timeout is not wired, so it falls back to Failure'],
    ['an unwired Busy with no Failure ends the call', { LimitReached: 'bye' }, 'Busy',
      ['partner'], 'the destination was busy; neither Busy nor Failure is wired, so the call ends here'],
    ['an unwired Failure ends the call', { LimitReached: 'bye', Busy: 'on-busy' }, 'Failure',
      ['partner'], 'the call to the destination failed; Failure is not wired, so the call ends here'],
  ])('after an external destination: %s', (_, branches, outcome, expectedPath, detail) => {
    const nodes = destinationFlow(branches);
    const step = stepFlow(graph(nodes), { nodeId: 'partner' }, { kind: 'EXTERNAL_ENDED', branch: outcome }, context());
    expect(path(step)).toEqual(expectedPath);
    expect(step.trace[0]?.detail).toBe(detail);
    if (expectedPath.length === 1) {
      expect(step.position).toEqual({ nodeId: 'partner' });
      expect(step.action).toEqual({ kind: 'DISCONNECT', reason: expect.stringContaining('the call flow does not say where to go next') });
    } else {
      expect(step.action.kind).toBe('PLAY_MESSAGE');
    }
  });

  it('ends the call when a queue ends the wait by a branch that is not wired', () => {
    const step = stepFlow(graph(outOfHours()), { nodeId: 'sales' }, { kind: 'QUEUE_ENDED', branch: 'Timeout' }, context());
    expect(step).toEqual({
      position: { nodeId: 'sales' },
      action: { kind: 'DISCONNECT', reason: 'the call waited the longest the queue allows and the call flow does not say where to go next' },
      trace: [{ nodeId: 'sales', nodeType: 'QUEUE', branch: null, detail: 'the call waited the longest the queue allows; Timeout is not wired, so the call ends here' }],
    });
  });

  it('goes round a loop through a queue as often as the queue sends the call back', () => {
    const nodes = edit(overflow(), 'sales', withBranches({ Timeout: 'hold', Full: 'partner' })).concat(node('hold', 'PLAY_MESSAGE', { message: 'Please keep holding.' }, { next: 'sales' }));
    const timedOut: FlowEvent = { kind: 'QUEUE_ENDED', branch: 'Timeout' };
    const steps = drive(nodes, [timedOut, { kind: 'MESSAGE_PLAYED' }, timedOut, { kind: 'MESSAGE_PLAYED' }]);
    expect(steps.map((s) => s.position?.nodeId)).toEqual(['sales', 'hold', 'sales', 'hold', 'sales']);
    expect(steps[4]!.action).toEqual({ kind: 'ENTER_QUEUE', queueId: 'q-sales' });
  });

  it('walks the instant nodes after a waiting node in the same step', () => {
    const nodes = [
      node('start', 'START', {}, { next: 'welcome' }),
      node('welcome', 'PLAY_MESSAGE', { message: 'Welcome.' }, { next: 'hours' }),
      node('hours', 'BRANCH_ON_TIME_RANGES', { timeRangeIds: ['tr-office'] }, { Match1: 'sales', NotMatched: 'bye' }),
      node('sales', 'QUEUE', { queueId: 'q-sales' }),
      node('bye', 'DISCONNECT'),
    ];
    expect(validate(nodes)).toEqual([]);
    const step = stepFlow(graph(nodes), { nodeId: 'welcome' }, { kind: 'MESSAGE_PLAYED' }, context());
    expect(path(step)).toEqual(['welcome:next', 'hours:NotMatched', 'bye']);
    expect(step.trace[1]?.detail).toBe('outside Mon-Fri 09:00-17:00 Europe/London');
    expect(step.action).toEqual({ kind: 'DISCONNECT', reason: 'the call flow ends the call (node bye)' });
  });

  it.each<[string, string, FlowEvent, FlowStep]>([
    ['a message reported played while the call waits in a queue', 'sales', { kind: 'MESSAGE_PLAYED' }, {
      position: { nodeId: 'sales' },
      action: { kind: 'DISCONNECT', reason: 'the call flow lost track of the call' },
      trace: [{ nodeId: 'sales', nodeType: 'QUEUE', branch: null, detail: 'MESSAGE_PLAYED cannot end a QUEUE node' }],
    }],
    ['a queue outcome reported for an external destination', 'partner', { kind: 'QUEUE_ENDED', branch: 'Full' }, {
      position: { nodeId: 'partner' },
      action: { kind: 'DISCONNECT', reason: 'the call flow lost track of the call' },
      trace: [{ nodeId: 'partner', nodeType: 'ROUTE_TO_EXTERNAL_DESTINATION', branch: null, detail: 'QUEUE_ENDED cannot end a ROUTE_TO_EXTERNAL_DESTINATION node' }],
    }],
    ['an event at a node that never waits', 'start', { kind: 'MESSAGE_PLAYED' }, {
      position: { nodeId: 'start' },
      action: { kind: 'DISCONNECT', reason: 'the call flow lost track of the call' },
      trace: [{ nodeId: 'start', nodeType: 'START', branch: null, detail: 'MESSAGE_PLAYED cannot end a START node' }],
    }],
    ['a position the flow does not have', 'gone', { kind: 'MESSAGE_PLAYED' }, {
      position: { nodeId: 'gone' },
      action: { kind: 'DISCONNECT', reason: 'the call flow has no node gone, so the call cannot continue' },
      trace: [],
    }],
  ])('ends the call, saying why, on %s', (_, at, event, expected) => {
    expect(stepFlow(graph(overflow()), { nodeId: at }, event, context())).toEqual(expected);
  });
});

describe('a SET_CONTEXT node', () => {
  const refs = { queues: new Set(['q1']), destinations: new Set<string>(), timeRanges: new Set<string>(), holidayLists: new Set<string>() };
  const flow = (context: Array<{ key: string; value: string }> | null) => ({
    nodes: [
      { id: 'start', type: 'START' as const, branches: [{ name: 'next', to: 'set' }] },
      { id: 'set', type: 'SET_CONTEXT' as const, context, branches: [{ name: 'next', to: 'again' }] },
      { id: 'again', type: 'SET_CONTEXT' as const, context: [{ key: 'tier', value: 'gold' }], branches: [{ name: 'next', to: 'queue' }] },
      { id: 'queue', type: 'QUEUE' as const, queueId: 'q1', branches: [] },
    ],
  });
  const ctx = { now: 0, timeRange: () => ({ match: false, detail: '' }), holidays: () => ({ holiday: false, detail: '' }) };

  it('needs at least one entry, and no other node may carry one', () => {
    expect(validateFlow(flow([]), refs)).toEqual([{ nodeId: 'set', message: 'context needs at least one entry' }]);
    const message = { id: 'm', type: 'PLAY_MESSAGE' as const, message: 'hi', context: [{ key: 'a', value: 'b' }], branches: [] };
    expect(validateFlow({ nodes: [...flow([{ key: 'a', value: 'b' }]).nodes, message] }, refs).map((p) => p.message)).toContain('context is not used by a PLAY_MESSAGE node');
  });

  it('adds its entries to the step as the call walks through, in order, without stopping there', () => {
    const step = startFlow(flow([{ key: 'intent', value: 'sales' }, { key: 'tier', value: 'silver' }]), ctx);
    expect(step.action).toEqual({ kind: 'ENTER_QUEUE', queueId: 'q1' });
    expect(step.context).toEqual([{ key: 'intent', value: 'sales' }, { key: 'tier', value: 'silver' }, { key: 'tier', value: 'gold' }]);
    expect(step.trace.map((t) => [t.nodeId, t.branch])).toEqual([['start', 'next'], ['set', 'next'], ['again', 'next'], ['queue', null]]);
    expect(step.trace[1]!.detail).toBe("the call's context is set: intent, tier");
  });

  it('is merged into the call\'s context key by key: a key already there takes the new value in place', () => {
    expect(withContext([{ key: 'tier', value: 'silver' }, { key: 'lang', value: 'en' }], [{ key: 'tier', value: 'gold' }, { key: 'new', value: '1' }]))
      .toEqual([{ key: 'tier', value: 'gold' }, { key: 'lang', value: 'en' }, { key: 'new', value: '1' }]);
  });
});
