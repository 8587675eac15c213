import { spareCapacity } from './destination-state';
import type {
  AgentBlockReason, AgentSnapshot, Choice, DestinationSnapshot, Millis, QueueGroupSnapshot, QueueSnapshot, RoutingDecision, Skip, SkipReason, WaitingCall,
} from './types';

/** Most agents a decision names one by one in its skips; the rest are counted per reason. */
const NAMED_AGENT_SKIPS = 20;

export interface RoutingInput {
  readonly call: WaitingCall;
  readonly queue: QueueSnapshot;
  readonly agents: ReadonlyMap<string, AgentSnapshot>;
  readonly destinations: ReadonlyMap<string, DestinationSnapshot>;
  readonly now: Millis;
}

const seconds = (ms: number) => Math.floor(ms / 1000);
const clock = (t: Millis) => new Date(t).toISOString().slice(11, 19);

/** Why an agent cannot be offered a call now, or null when it can (cheap: no text is built). */
export function agentBlocker(agent: AgentSnapshot, now: Millis): AgentBlockReason | null {
  if (agent.status === 'LOGGED_OUT') return 'AGENT_LOGGED_OUT';
  if (agent.status === 'ON_BREAK') return 'AGENT_ON_BREAK';
  if (agent.activity === 'WRAP_UP' && (agent.wrapUpUntil === null || agent.wrapUpUntil > now)) return 'AGENT_WRAP_UP';
  if (agent.activity !== 'IDLE' && agent.activity !== 'WRAP_UP') return 'AGENT_BUSY';
  if (agent.notBefore !== null && agent.notBefore > now) return 'AGENT_RETRY_WAIT';
  return null;
}

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
  const spare = spareCapacity(d);
  if (spare === 0) return { ok: false, reason: 'DESTINATION_AT_CAPACITY', detail: `at capacity ${d.connectingCalls + d.activeCalls}/${d.maxSimultaneousCalls}` };
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
  const { queue, now, agents } = input;
  if (rule.queueLengthAbove !== null && queue.waitingCalls > rule.queueLengthAbove) {
    return `${queue.waitingCalls} calls waiting, more than ${rule.queueLengthAbove}`;
  }
  const oldestWait = queue.oldestWaitingSince === null ? 0 : seconds(now - queue.oldestWaitingSince);
  if (rule.oldestWaitAboveSec !== null && oldestWait > rule.oldestWaitAboveSec) {
    return `oldest call waiting ${oldestWait} s, more than ${rule.oldestWaitAboveSec} s`;
  }
  if (rule.noAgentsLoggedIn && earlier.every((g) => g.agentIds.every((id) => (agents.get(id)?.status ?? 'LOGGED_OUT') === 'LOGGED_OUT'))) {
    return 'no agent of the earlier groups is logged in';
  }
  return null;
}

/** Whether every destination of a group is unusable for the call and no agent of it is free (so it overflows at once). */
function groupExhausted(group: QueueGroupSnapshot, input: RoutingInput): boolean {
  if (group.destinationIds.length === 0) return false;
  const noDestination = group.destinationIds.every((id) => {
    const d = input.destinations.get(id);
    return d === undefined || !destinationAvailability(d, input.call, input.now).ok;
  });
  const noAgent = group.agentIds.every((id) => {
    const a = input.agents.get(id);
    return a === undefined || agentBlocker(a, input.now) !== null;
  });
  return noDestination && noAgent;
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

  // Agents first: any eligible group, longest idle first. Only the first agents passed over are described
  // one by one; the rest are counted per reason, so a decision over 10 000 agents builds no 10 000 texts.
  let bestAgent: { agent: AgentSnapshot; priority: number } | null = null;
  const agentSkips: Skip[] = [];
  const moreSkipped = new Map<SkipReason, number>();
  const skipAgent = (agent: AgentSnapshot, reason: SkipReason) => {
    if (agentSkips.length < NAMED_AGENT_SKIPS) {
      const detail = reason === 'LONGER_IDLE_AGENT_FIRST' ? 'another agent has been idle longer' : describeAgentBlock(agent, reason, now);
      agentSkips.push({ kind: 'AGENT', resourceId: agent.id, reason, detail });
    } else {
      moreSkipped.set(reason, (moreSkipped.get(reason) ?? 0) + 1);
    }
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
      if (bestAgent === null || agent.idleSince < bestAgent.agent.idleSince || (agent.idleSince === bestAgent.agent.idleSince && agent.id < bestAgent.agent.id)) {
        if (bestAgent !== null) skipAgent(bestAgent.agent, 'LONGER_IDLE_AGENT_FIRST');
        bestAgent = { agent, priority: group.priority };
      } else {
        skipAgent(agent, 'LONGER_IDLE_AGENT_FIRST');
      }
    }
  }
  skipped.push(...agentSkips);
  for (const [reason, n] of moreSkipped) skipped.push({ kind: 'AGENT', resourceId: '*', reason, detail: `${n} more agents` });

  // A destination in several eligible groups counts once, at its best priority.
  const seenDestinations = new Set<string>();
  const destinationIds = eligible
    .flatMap((g) => g.destinationIds.map((id) => ({ id, priority: g.priority })))
    .filter(({ id }) => {
      if (seenDestinations.has(id)) return false;
      seenDestinations.add(id);
      return true;
    });
  if (bestAgent !== null) {
    for (const { id } of destinationIds) {
      considered.push(id);
      skipped.push({ kind: 'DESTINATION', resourceId: id, reason: 'AGENT_AVAILABLE_FIRST', detail: 'a regular agent is available' });
    }
    const idle = seconds(now - bestAgent.agent.idleSince);
    const chosen: Choice = { kind: 'AGENT', id: bestAgent.agent.id, priority: bestAgent.priority, detail: `agent idle for ${idle} s` };
    return decision(input, eligibility, considered, skipped, chosen, `offered to an agent of group ${chosen.priority} (idle ${idle} s)`);
  }

  // No agent: destinations by group priority, then most spare capacity.
  let best: { id: string; priority: number; spare: number } | null = null;
  const destinationSkips: Skip[] = [];
  for (const { id, priority } of destinationIds) {
    considered.push(id);
    const destination = input.destinations.get(id);
    if (destination === undefined) continue;
    const availability = destinationAvailability(destination, call, now);
    if (!availability.ok) {
      destinationSkips.push({ kind: 'DESTINATION', resourceId: id, reason: availability.reason, detail: availability.detail });
      continue;
    }
    const better = best === null || priority < best.priority || (priority === best.priority && (availability.spare > best.spare || (availability.spare === best.spare && id < best.id)));
    const loser = better ? best : { id, priority, spare: availability.spare };
    if (loser !== null) destinationSkips.push({ kind: 'DESTINATION', resourceId: loser.id, reason: 'LESS_SPARE_CAPACITY', detail: 'another destination has more spare capacity or a higher priority' });
    if (better) best = { id, priority, spare: availability.spare };
  }
  skipped.push(...destinationSkips);
  if (best !== null) {
    const spare = best.spare === Infinity ? 'unlimited capacity' : `${best.spare} spare`;
    const chosen: Choice = { kind: 'DESTINATION', id: best.id, priority: best.priority, detail: spare };
    return decision(input, eligibility, considered, skipped, chosen, `no agent available; offered to an external destination of group ${best.priority} (${spare})`);
  }
  return decision(input, eligibility, considered, skipped, null, 'no agent or destination available; the call keeps its place in the queue');
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
