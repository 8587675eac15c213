import { agentBlocker } from './agent-blocker';
import type { FreeAgentIndex } from './agent-index';
import { ownSpareCapacity, spareCapacity } from './destination-state';
import { pickDestination, type Candidate } from './distribution';
import type {
  AgentBlockReason, AgentSnapshot, Choice, DestinationSnapshot, Millis, QueueGroupSnapshot, QueueSnapshot, RoutingDecision, Skip, SkipReason, WaitingCall,
} from './types';

/** Most agents a decision names one by one in its skips; the rest are counted per reason. */
const NAMED_AGENT_SKIPS = 20;

export interface RoutingInput {
  readonly call: WaitingCall;
  readonly queue: QueueSnapshot;
  /** Read only when there is no `agentIndex`. */
  readonly agents: ReadonlyMap<string, AgentSnapshot>;
  readonly destinations: ReadonlyMap<string, DestinationSnapshot>;
  readonly now: Millis;
  /**
   * Free agents per group, kept up to date by the caller. When present, the agents and their groups come
   * from it (not from `agents` nor the groups' `agentIds`), and the decision costs O(groups · log n) in
   * agents instead of a scan of every agent; it is the same decision when both describe the same agents.
   */
  readonly agentIndex?: FreeAgentIndex;
}

const seconds = (ms: number) => Math.floor(ms / 1000);
const clock = (t: Millis) => new Date(t).toISOString().slice(11, 19);

/** The words a supervisor reads for an agent passed over for `reason`. */
export function describeAgentBlock(agent: AgentSnapshot, reason: SkipReason, now: Millis): string {
  switch (reason) {
    case 'AGENT_LOGGED_OUT':
      return 'logged out';
    case 'AGENT_ON_BREAK':
      return 'on break';
    case 'AGENT_WRAP_UP':
      return agent.wrapUpUntil === null ? 'in wrap-up' : `in wrap-up for ${seconds(agent.wrapUpUntil - now)} s more`;
    case 'AGENT_RETRY_WAIT':
      return `missed a call; offered again in ${seconds((agent.notBefore ?? now) - now)} s`;
    default:
      return agent.activity.toLowerCase().replace('_', ' ');
  }
}

/** Whether a destination can take this call now, or why not. */
export function destinationAvailability(
  d: DestinationSnapshot,
  call: WaitingCall,
  now: Millis,
): { ok: true; spare: number } | { ok: false; reason: SkipReason; detail: string } {
  if (!d.enabled) return { ok: false, reason: 'DESTINATION_DISABLED', detail: 'disabled' };
  if (d.suspended) return { ok: false, reason: 'DESTINATION_SUSPENDED', detail: `suspended after ${d.consecutiveFailures} consecutive failures` };
  if (d.backedOffUntil !== null && d.backedOffUntil > now) {
    return { ok: false, reason: 'DESTINATION_BACKED_OFF', detail: `backed off until ${clock(d.backedOffUntil)} UTC` };
  }
  if (ownSpareCapacity(d) === 0) return { ok: false, reason: 'DESTINATION_AT_CAPACITY', detail: `at capacity ${d.connectingCalls + d.activeCalls}/${d.maxSimultaneousCalls}` };
  const spare = spareCapacity(d);
  if (spare === 0) return { ok: false, reason: 'POOL_AT_CAPACITY', detail: `its capacity pool is at capacity ${d.pool!.used}/${d.pool!.max}` };
  const lastEnded = call.lastOfferEndedAt[d.id];
  if (lastEnded !== undefined && lastEnded + d.retryIntervalSec * 1000 > now) {
    return { ok: false, reason: 'DESTINATION_RETRY_WAIT', detail: `this call may be offered again in ${seconds(lastEnded + d.retryIntervalSec * 1000 - now + 999)} s` };
  }
  return { ok: true, spare };
}

/** Why an overflow group's own conditions hold now, or null when none does. */
function overflowHolds(group: QueueGroupSnapshot, input: RoutingInput, earlier: readonly QueueGroupSnapshot[]): string | null {
  const rule = group.overflow;
  if (rule === null) return 'always receives calls';
  const { queue, now, agents, agentIndex } = input;
  if (rule.queueLengthAbove !== null && queue.waitingCalls > rule.queueLengthAbove) {
    return `${queue.waitingCalls} calls waiting, more than ${rule.queueLengthAbove}`;
  }
  const oldestWait = queue.oldestWaitingSince === null ? 0 : seconds(now - queue.oldestWaitingSince);
  if (rule.oldestWaitAboveSec !== null && oldestWait > rule.oldestWaitAboveSec) {
    return `oldest call waiting ${oldestWait} s, more than ${rule.oldestWaitAboveSec} s`;
  }
  if (rule.noAgentsLoggedIn && (agentIndex === undefined ? noneLoggedIn(earlier, agents) : noneLoggedInIndexed(earlier, agentIndex, now))) {
    return 'no agent of the earlier groups is logged in';
  }
  return null;
}

/** Whether every destination of a group is unusable for the call and no agent of it is free (so it overflows at once). */
function groupExhausted(group: QueueGroupSnapshot, input: RoutingInput): boolean {
  if (group.destinationIds.length === 0) return false;
  const noDestination = input.call.agentsOnly === true || group.destinationIds.every((id) => {
    const d = input.destinations.get(id);
    return d === undefined || !destinationAvailability(d, input.call, input.now).ok;
  });
  if (!noDestination) return false;
  if (input.agentIndex !== undefined) return input.agentIndex.counts([group.groupId], input.now).FREE === 0;
  return group.agentIds.every((id) => {
    const a = input.agents.get(id);
    return a === undefined || agentBlocker(a, input.now) !== null;
  });
}

function noneLoggedIn(groups: readonly QueueGroupSnapshot[], agents: ReadonlyMap<string, AgentSnapshot>): boolean {
  return groups.every((g) => g.agentIds.every((id) => (agents.get(id)?.status ?? 'LOGGED_OUT') === 'LOGGED_OUT'));
}

function noneLoggedInIndexed(groups: readonly QueueGroupSnapshot[], index: FreeAgentIndex, now: Millis): boolean {
  const counts = index.counts(groups.map((g) => g.groupId), now);
  return Object.values(counts).reduce((sum, n) => sum + n, 0) === counts.AGENT_LOGGED_OUT;
}

/**
 * Which groups of the queue may take the call now: priority 1 always; a later group once one of its
 * overflow conditions holds, or at once when the group before it is eligible but all its destinations are
 * full or backed off (and none of its agents free). Eligibility is sticky per call.
 */
export function eligibleGroups(input: RoutingInput): { priorities: number[]; skipped: Skip[]; reasons: string[] } {
  const priorities: number[] = [];
  const skipped: Skip[] = [];
  const reasons: string[] = [];
  const groups = input.queue.groups;
  groups.forEach((group, index) => {
    const earlier = groups.slice(0, index);
    const previous = groups[index - 1];
    let why: string | null;
    if (input.call.eligiblePriorities.includes(group.priority)) why = 'already eligible for this call';
    else why = overflowHolds(group, input, earlier);
    if (why === null && previous !== undefined && priorities.includes(previous.priority) && groupExhausted(previous, input)) {
      why = `every destination of group ${previous.priority} is full or backed off`;
    }
    if (why === null) {
      skipped.push({ kind: 'GROUP', resourceId: group.groupId, reason: 'GROUP_NOT_ELIGIBLE', detail: `group ${group.priority} not yet eligible` });
    } else {
      priorities.push(group.priority);
      reasons.push(`group ${group.priority}: ${why}`);
    }
  });
  return { priorities, skipped, reasons };
}

/**
 * Decides where a waiting call goes now: an available regular agent of any eligible group (longest idle
 * first), otherwise an external destination (group priority, then most spare capacity), otherwise nowhere
 * yet. Every resource looked at is in `considered`; every one passed over is in `skipped` with its reason.
 */
export function routeCall(input: RoutingInput): RoutingDecision {
  const { now, call } = input;
  const eligibility = eligibleGroups(input);
  const eligible = input.queue.groups.filter((g) => eligibility.priorities.includes(g.priority));
  const considered: string[] = [];
  const skipped: Skip[] = [...eligibility.skipped];

  // Agents first: any eligible group, longest idle first.
  const bestAgent = input.agentIndex === undefined
    ? scanAgents(eligible, input, considered, skipped)
    : indexedAgents(eligible, input.agentIndex, now, considered, skipped);

  // A destination in several eligible groups counts once, at its best priority.
  const seenDestinations = new Set<string>();
  const destinationIds: { id: string; priority: number }[] = [];
  for (const g of eligible) {
    for (const id of g.destinationIds) {
      if (seenDestinations.has(id)) continue;
      seenDestinations.add(id);
      destinationIds.push({ id, priority: g.priority });
    }
  }
  if (bestAgent !== null) {
    for (const { id } of destinationIds) {
      considered.push(id);
      skipped.push({ kind: 'DESTINATION', resourceId: id, reason: 'AGENT_AVAILABLE_FIRST', detail: 'a regular agent is available' });
    }
    const idle = seconds(now - bestAgent.agent.idleSince);
    const chosen: Choice = { kind: 'AGENT', id: bestAgent.agent.id, priority: bestAgent.priority, detail: `agent idle for ${idle} s` };
    return decision(input, eligibility, considered, skipped, chosen, `offered to an agent of group ${chosen.priority} (idle ${idle} s)`);
  }

  // No agent: the first group (by priority) with a destination that can take the call, and of its
  // destinations the one its distribution picks.
  const available = new Map<number, Candidate[]>();
  for (const { id, priority } of destinationIds) {
    considered.push(id);
    const destination = input.destinations.get(id);
    if (destination === undefined) continue;
    if (call.agentsOnly === true) {
      skipped.push({ kind: 'DESTINATION', resourceId: id, reason: 'RETURNED_TO_AGENTS', detail: 'an external destination handed the call back: this queue offers it to regular agents only' });
      continue;
    }
    const availability = destinationAvailability(destination, call, now);
    if (!availability.ok) {
      skipped.push({ kind: 'DESTINATION', resourceId: id, reason: availability.reason, detail: availability.detail });
      continue;
    }
    available.set(priority, [...(available.get(priority) ?? []), { id, spare: availability.spare }]);
  }
  const groupOf = (priority: number) => eligible.find((g) => g.priority === priority)!;
  const priorities = [...available.keys()].sort((a, b) => a - b);
  if (priorities.length > 0) {
    const first = groupOf(priorities[0]!);
    const pick = pickDestination(first.distribution, available.get(first.priority)!, first.destinationIds);
    for (const loser of pick.passedOver) skipped.push({ kind: 'DESTINATION', resourceId: loser.id, reason: loser.reason, detail: loser.detail });
    for (const later of priorities.slice(1)) {
      for (const c of available.get(later)!) skipped.push({ kind: 'DESTINATION', resourceId: c.id, reason: 'LESS_SPARE_CAPACITY', detail: 'another destination has more spare capacity or a higher priority' });
    }
    const chosen: Choice = { kind: 'DESTINATION', id: pick.chosen.id, priority: first.priority, detail: pick.detail };
    return decision(input, eligibility, considered, skipped, chosen, `no agent available; offered to an external destination of group ${first.priority} (${pick.detail})`);
  }
  return decision(input, eligibility, considered, skipped, null, 'no agent or destination available; the call keeps its place in the queue');
}

type AgentChoice = { agent: AgentSnapshot; priority: number } | null;

/**
 * Names the agents passed over, in the order they are met: only the first NAMED_AGENT_SKIPS one by one, so
 * a decision over 10 000 agents builds no 10 000 texts.
 */
class AgentSkips {
  readonly named: Skip[] = [];
  readonly namedPerReason = new Map<SkipReason, number>();

  constructor(private readonly now: Millis) {}

  get full(): boolean {
    return this.named.length >= NAMED_AGENT_SKIPS;
  }

  /** Names the agent; false (and nothing named) once the list is full. */
  add(agent: AgentSnapshot, reason: SkipReason): boolean {
    if (this.full) return false;
    const detail = reason === 'LONGER_IDLE_AGENT_FIRST' ? 'another agent has been idle longer' : describeAgentBlock(agent, reason, this.now);
    this.named.push({ kind: 'AGENT', resourceId: agent.id, reason, detail });
    this.namedPerReason.set(reason, (this.namedPerReason.get(reason) ?? 0) + 1);
    return true;
  }
}

const longerIdle = (a: AgentSnapshot, b: AgentSnapshot) => a.idleSince < b.idleSince || (a.idleSince === b.idleSince && a.id < b.id);
const moreAgents = (reason: SkipReason, n: number): Skip => ({ kind: 'AGENT', resourceId: '*', reason, detail: `${n} more agents` });

/** Without an index: every agent of the eligible groups, each once, in group order (appends to considered and skipped). */
function scanAgents(eligible: readonly QueueGroupSnapshot[], input: RoutingInput, considered: string[], skipped: Skip[]): AgentChoice {
  const { now } = input;
  let best: AgentChoice = null;
  const skips = new AgentSkips(now);
  const moreSkipped = new Map<SkipReason, number>();
  const skipAgent = (agent: AgentSnapshot, reason: SkipReason) => {
    if (!skips.add(agent, reason)) moreSkipped.set(reason, (moreSkipped.get(reason) ?? 0) + 1);
  };
  const seen = new Set<string>();
  for (const group of eligible) {
    for (const id of group.agentIds) {
      if (seen.has(id)) continue;
      seen.add(id);
      considered.push(id);
      const agent = input.agents.get(id);
      if (agent === undefined) continue;
      const blocker = agentBlocker(agent, now);
      if (blocker !== null) {
        skipAgent(agent, blocker);
        continue;
      }
      if (best === null || longerIdle(agent, best.agent)) {
        if (best !== null) skipAgent(best.agent, 'LONGER_IDLE_AGENT_FIRST');
        best = { agent, priority: group.priority };
      } else {
        skipAgent(agent, 'LONGER_IDLE_AGENT_FIRST');
      }
    }
  }
  skipped.push(...skips.named);
  for (const [reason, n] of moreSkipped) skipped.push(moreAgents(reason, n));
  return best;
}

/** The order the counted (not named) agents are listed in when an index is used. */
const COUNTED_REASONS: readonly (AgentBlockReason | 'LONGER_IDLE_AGENT_FIRST')[] = [
  'AGENT_LOGGED_OUT', 'AGENT_ON_BREAK', 'AGENT_BUSY', 'AGENT_WRAP_UP', 'AGENT_RETRY_WAIT', 'LONGER_IDLE_AGENT_FIRST',
];

/**
 * With an index: the best agent from its free heaps; the named skips by walking the eligible groups' agents
 * as a scan does until NAMED_AGENT_SKIPS are named (the scan's names when the groups list their agents in
 * the order they joined the index); the rest counted from the index's counts. Appends to considered and skipped.
 */
function indexedAgents(eligible: readonly QueueGroupSnapshot[], index: FreeAgentIndex, now: Millis, considered: string[], skipped: Skip[]): AgentChoice {
  const groupIds = eligible.map((g) => g.groupId);
  const found = index.longestIdle(groupIds, now);
  const best = found === null ? null : { agent: found.agent, priority: eligible.find((g) => g.groupId === found.groupId)!.priority };
  const skips = new AgentSkips(now);
  let bestSoFar: AgentSnapshot | null = null;
  // Each agent met names one, except the first free one: NAMED_AGENT_SKIPS + 1 agents name them all.
  for (const { agent, reason } of index.firstAgents(groupIds, now, NAMED_AGENT_SKIPS + 1)) {
    if (skips.full) break;
    considered.push(agent.id);
    if (reason !== null) skips.add(agent, reason);
    else if (bestSoFar === null || longerIdle(agent, bestSoFar)) {
      if (bestSoFar !== null) skips.add(bestSoFar, 'LONGER_IDLE_AGENT_FIRST');
      bestSoFar = agent;
    } else skips.add(agent, 'LONGER_IDLE_AGENT_FIRST');
  }
  if (best !== null && !considered.includes(best.agent.id)) considered.push(best.agent.id);
  const counts = index.counts(groupIds, now);
  skipped.push(...skips.named);
  for (const reason of COUNTED_REASONS) {
    const total = reason === 'LONGER_IDLE_AGENT_FIRST' ? Math.max(0, counts.FREE - 1) : counts[reason];
    const more = total - (skips.namedPerReason.get(reason) ?? 0);
    if (more > 0) skipped.push(moreAgents(reason, more));
  }
  return best;
}

function decision(
  input: RoutingInput,
  eligibility: { priorities: number[]; reasons: string[] },
  considered: string[],
  skipped: Skip[],
  chosen: Choice | null,
  summary: string,
): RoutingDecision {
  return {
    at: input.now,
    step: 'ROUTE',
    eligiblePriorities: eligibility.priorities,
    considered,
    skipped,
    chosen,
    summary: `${summary}. Eligible: ${eligibility.reasons.join('; ')}`,
  };
}
