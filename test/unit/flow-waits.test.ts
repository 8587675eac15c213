import {
  arrivalsOf, MAX_NODE_VISITS, MAX_WAIT_SEC, startFlow, stepFlow, validateFlow,
  type FlowContext, type FlowEvent, type FlowNode, type FlowNodeType, type FlowReferences, type FlowStep,
} from '../../src/routing/call-flow';

/** The loop rule (every loop passes a WAIT node), the WAIT node, and the cap on a call's visits to one node. */

const node = (id: string, type: FlowNodeType, fields: Partial<FlowNode> = {}, branches: Record<string, string> = {}): FlowNode => ({
  id, type, ...fields, branches: Object.entries(branches).map(([name, to]) => ({ name, to })),
});

const refs: FlowReferences = { queues: new Set(['q-sales']), destinations: new Set(['d-partner']), timeRanges: new Set(), holidayLists: new Set(['hl-uk']) };
const validate = (nodes: FlowNode[]) => validateFlow({ nodes }, refs);
const context = (visits?: Map<string, number>): FlowContext => ({
  now: Date.UTC(2026, 10, 23, 19, 30),
  visits,
  timeRange: () => ({ match: false, detail: 'outside' }),
  holidays: () => ({ holiday: false, detail: 'not a holiday' }),
});

/** Busy: an apology, then (with `pause`) a WAIT, then the same destination again. */
const retryLoop = (pause: number | null): FlowNode[] => [
  node('start', 'START', {}, { next: 'ext' }),
  node('ext', 'ROUTE_TO_EXTERNAL_DESTINATION', { externalDestinationId: 'd-partner' }, { LimitReached: 'bye', Busy: 'sorry' }),
  node('sorry', 'PLAY_MESSAGE', { message: 'The line is busy; please hold.' }, { next: pause === null ? 'ext' : 'pause' }),
  ...(pause === null ? [] : [node('pause', 'WAIT', { waitSec: pause }, { next: 'ext' })]),
  node('bye', 'DISCONNECT'),
];

describe('the loop rule: every loop passes a WAIT node', () => {
  it('refuses a Busy → message → same destination loop, naming the loop by its nodes', () => {
    expect(validate(retryLoop(null))).toEqual([{ nodeId: 'ext', message: 'loop through ext, sorry with no WAIT node: a call would go round it without pausing' }]);
  });

  it('refuses a NoAgents → message → same queue loop: a queue refuses at once too', () => {
    const nodes = [
      node('start', 'START', {}, { next: 'sales' }),
      node('sales', 'QUEUE', { queueId: 'q-sales' }, { NoAgents: 'sorry' }),
      node('sorry', 'PLAY_MESSAGE', { message: 'Nobody is here.' }, { next: 'sales' }),
    ];
    expect(validate(nodes)).toEqual([{ nodeId: 'sales', message: 'loop through sales, sorry with no WAIT node: a call would go round it without pausing' }]);
  });

  it('refuses each loop that avoids the WAIT, even when another way round passes one', () => {
    const nodes = edit(retryLoop(5), 'ext', { LimitReached: 'bye', Busy: 'sorry', Failure: 'ext' });
    expect(validate(nodes)).toEqual([{ nodeId: 'ext', message: 'loop through ext with no WAIT node: a call would go round it without pausing' }]);
  });

  it('publishes the same loop once it passes a WAIT node', () => {
    expect(validate(retryLoop(5))).toEqual([]);
  });

  it('publishes a WAIT node wired to itself (each round pauses)', () => {
    expect(validate([node('start', 'START', {}, { next: 'pause' }), node('pause', 'WAIT', { waitSec: 1 }, { next: 'pause' })])).toEqual([]);
  });

  it.each<[string, Partial<FlowNode>, string]>([
    ['no waitSec', {}, 'waitSec is required'],
    ['0 seconds', { waitSec: 0 }, `waitSec must be a whole number of seconds from 1 to ${MAX_WAIT_SEC}`],
    ['more than the cap', { waitSec: MAX_WAIT_SEC + 1 }, `waitSec must be a whole number of seconds from 1 to ${MAX_WAIT_SEC}`],
    ['a fraction', { waitSec: 1.5 }, `waitSec must be a whole number of seconds from 1 to ${MAX_WAIT_SEC}`],
    ['a message on it', { waitSec: 5, message: 'Hold on' }, 'message is not used by a WAIT node'],
  ])('refuses a WAIT with %s', (_, fields, message) => {
    const nodes = [node('start', 'START', {}, { next: 'pause' }), node('pause', 'WAIT', fields, { next: 'bye' }), node('bye', 'DISCONNECT')];
    expect(validate(nodes)).toEqual([{ nodeId: 'pause', message }]);
  });

  it('refuses seconds on a node that does not wait, and an unwired WAIT', () => {
    const nodes = [node('start', 'START', {}, { next: 'pause' }), node('pause', 'WAIT', { waitSec: 5 }), node('bye', 'DISCONNECT', { waitSec: 5 })];
    expect(validate(nodes)).toEqual([
      { nodeId: 'pause', message: 'branch next must be wired' },
      { nodeId: 'bye', message: 'waitSec is not used by a DISCONNECT node' },
      { nodeId: 'bye', message: 'unreachable from START' },
    ]);
  });
});

function edit(nodes: FlowNode[], id: string, branches: Record<string, string>): FlowNode[] {
  return nodes.map((n) => (n.id === id ? node(n.id, n.type, n, branches) : n));
}

describe('the WAIT node', () => {
  it('stops the call with the seconds to wait, and goes on by next when the wait ends', () => {
    const graph = { nodes: retryLoop(7) };
    const busy = stepFlow(graph, { nodeId: 'ext' }, { kind: 'EXTERNAL_ENDED', branch: 'Busy' }, context());
    expect(busy.action).toEqual({ kind: 'PLAY_MESSAGE', message: 'The line is busy; please hold.' });
    const played = stepFlow(graph, busy.position!, { kind: 'MESSAGE_PLAYED' }, context());
    expect(played.position).toEqual({ nodeId: 'pause' });
    expect(played.action).toEqual({ kind: 'WAIT', seconds: 7 });
    expect(played.trace.at(-1)).toEqual({ nodeId: 'pause', nodeType: 'WAIT', branch: null, detail: 'the call waits 7 s' });
    const waited = stepFlow(graph, played.position!, { kind: 'WAIT_ENDED' }, context());
    expect(waited.trace[0]).toEqual({ nodeId: 'pause', nodeType: 'WAIT', branch: 'next', detail: 'the call waited 7 s' });
    expect(waited.action).toEqual({ kind: 'ROUTE_EXTERNAL', destinationId: 'd-partner' });
  });

  it('ends the call when another event claims to end a wait', () => {
    const step = stepFlow({ nodes: retryLoop(7) }, { nodeId: 'pause' }, { kind: 'MESSAGE_PLAYED' }, context());
    expect(step.action).toEqual({ kind: 'DISCONNECT', reason: 'the call flow lost track of the call' });
  });

  it('counts as arrivals every node a step reached, but not the node the call left', () => {
    const graph = { nodes: retryLoop(7) };
    expect(arrivalsOf(startFlow(graph, context()), null)).toEqual(['start', 'ext']);
    const waited = stepFlow(graph, { nodeId: 'pause' }, { kind: 'WAIT_ENDED' }, context());
    expect(arrivalsOf(waited, { nodeId: 'pause' })).toEqual(['ext']);
    const self = { nodes: [node('start', 'START', {}, { next: 'pause' }), node('pause', 'WAIT', { waitSec: 1 }, { next: 'pause' })] };
    expect(arrivalsOf(stepFlow(self, { nodeId: 'pause' }, { kind: 'WAIT_ENDED' }, context()), { nodeId: 'pause' })).toEqual(['pause']);
  });
});

describe('the cap on a call\'s visits to one node', () => {
  /** Drives the retry loop as the engine does: busy, message played, wait ended, again, counting arrivals. */
  function driveRetries(rounds: number): FlowStep[] {
    const graph = { nodes: retryLoop(1) };
    const visits = new Map<string, number>();
    const count = (step: FlowStep, from: { nodeId: string } | null) => {
      for (const id of arrivalsOf(step, from)) visits.set(id, (visits.get(id) ?? 0) + 1);
      return step;
    };
    const steps = [count(startFlow(graph, context(visits)), null)];
    const events: FlowEvent[] = [{ kind: 'EXTERNAL_ENDED', branch: 'Busy' }, { kind: 'MESSAGE_PLAYED' }, { kind: 'WAIT_ENDED' }];
    for (let i = 0; i < rounds * 3; i += 1) {
      const last = steps.at(-1)!;
      if (last.action.kind === 'DISCONNECT') break;
      steps.push(count(stepFlow(graph, last.position!, events[i % 3]!, context(visits)), last.position));
    }
    return steps;
  }

  it(`lets a call arrive at a node ${MAX_NODE_VISITS} times and ends it at the next arrival, saying why`, () => {
    const steps = driveRetries(MAX_NODE_VISITS + 5);
    const offers = steps.filter((s) => s.action.kind === 'ROUTE_EXTERNAL');
    expect(offers).toHaveLength(MAX_NODE_VISITS);
    const last = steps.at(-1)!;
    expect(last.position).toEqual({ nodeId: 'ext' });
    expect(last.action).toEqual({ kind: 'DISCONNECT', reason: `the call reached node ext of the call flow more than ${MAX_NODE_VISITS} times` });
    expect(last.trace.at(-1)).toEqual({
      nodeId: 'ext', nodeType: 'ROUTE_TO_EXTERNAL_DESTINATION', branch: null,
      detail: `the call has already been at this node ${MAX_NODE_VISITS} times, the most a call may: the flow ends it here`,
    });
  });

  it('counts the visits the engine hands in from earlier steps, and takes a smaller cap from the context', () => {
    const graph = { nodes: retryLoop(1) };
    const step = stepFlow(graph, { nodeId: 'pause' }, { kind: 'WAIT_ENDED' }, { ...context(new Map([['ext', 3]])), maxNodeVisits: 3 });
    expect(step.action).toEqual({ kind: 'DISCONNECT', reason: 'the call reached node ext of the call flow more than 3 times' });
    const fresh = stepFlow(graph, { nodeId: 'pause' }, { kind: 'WAIT_ENDED' }, { ...context(new Map([['ext', 2]])), maxNodeVisits: 3 });
    expect(fresh.action).toEqual({ kind: 'ROUTE_EXTERNAL', destinationId: 'd-partner' });
  });
});
