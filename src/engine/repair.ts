import { In } from 'typeorm';
import { Agent } from '../entities/agent.entity';
import { CallAttempt } from '../entities/call.entity';
import { ExternalDestination } from '../entities/external-destination.entity';
import type { AgentLive } from '../store/agent-state-store';
import type { Effects } from './effects';
import { OPEN_ATTEMPT, type EngineContext } from './types';

/** How often the repair sweep runs when the options leave it out (ms). */
export const REPAIR_EVERY_MS = 10_000;

/** How long a reservation or slot must stay unexplained before it is repaired, when the options leave it out (ms). */
export const REPAIR_GRACE_MS = 30_000;

/** Routes what a repair freed (the queues that can use those agents and destinations). */
export type RouteFreed = (companyId: string, freed: { agentIds: string[]; destinationIds: string[] }) => Promise<void>;

/** Something held in live state that no open attempt explains, as first seen. */
interface Unexplained {
  since: number;
}

/**
 * Repairs live state that no open attempt explains (docs/decisions/020-repair-sweeps.md): an agent held for a
 * call (RESERVED, RINGING, ON_CALL) with no open attempt of that call for that agent, and a destination slot
 * leased for an attempt that is not open in the system of record. Either is repaired only once it has stayed
 * the same and unexplained for `graceMs`, so an offer between its claim and its commit is never undone: the
 * agent goes back to IDLE by a compare-and-set on its activity and call (announced, like every agent change),
 * the slot is released (announced), each is logged as a warning, and the queues that can use them are routed.
 */
export class RepairSweep {
  private readonly seen = new Map<string, Unexplained>();
  private running = false;

  constructor(
    private readonly ctx: EngineContext,
    private readonly effects: Effects,
    private readonly route: RouteFreed,
    private readonly graceMs: number = REPAIR_GRACE_MS,
  ) {}

  async run(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      await this.sweep();
    } finally {
      this.running = false;
    }
  }

  private async sweep(): Promise<void> {
    const now = this.ctx.time.now();
    // Live state first, then the open attempts: an offer committed between the two reads is explained.
    const held = await this.heldNow();
    const open = await this.ctx.dataSource.getRepository(CallAttempt).find({
      where: { state: In([...OPEN_ATTEMPT]) }, select: { id: true, callId: true, agentId: true },
    });
    const openIds = new Set(open.map((a) => a.id));
    const openAgentCalls = new Set(open.filter((a) => a.agentId !== null).map((a) => `${a.agentId}/${a.callId}`));

    const stillSeen = new Set<string>();
    const freed = new Map<string, { agentIds: string[]; destinationIds: string[] }>();
    const freedOf = (companyId: string) => {
      let f = freed.get(companyId);
      if (f === undefined) freed.set(companyId, (f = { agentIds: [], destinationIds: [] }));
      return f;
    };
    /** How long `key` has been unexplained when that is at least the grace period (it is then forgotten), or null. */
    const due = (key: string): number | null => {
      stillSeen.add(key);
      const first = this.seen.get(key);
      if (first === undefined) {
        this.seen.set(key, { since: now });
        return null;
      }
      if (now - first.since < this.graceMs) return null;
      this.seen.delete(key);
      return now - first.since;
    };

    for (const { companyId, agentId, live } of held.agents) {
      if (openAgentCalls.has(`${agentId}/${live.callId}`)) continue;
      // The same state (sequence number) all along: any change of the agent starts the grace again.
      const key = `agent/${companyId}/${agentId}/${live.callId}/${live.seq}`;
      const unexplainedMs = due(key);
      if (unexplainedMs === null) continue;
      const repaired = await this.effects.agent(companyId, agentId, { activity: [live.activity], callId: live.callId }, { activity: 'IDLE', callId: null });
      if (repaired === null) continue;
      this.ctx.logger.warn({ companyId, agentId, callId: live.callId, activity: live.activity, unexplainedMs }, 'repair: agent held for a call with no open attempt of it, set back to IDLE');
      freedOf(companyId).agentIds.push(agentId);
    }

    for (const { companyId, destinationId, attemptId } of held.slots) {
      if (openIds.has(attemptId)) continue;
      const key = `slot/${companyId}/${destinationId}/${attemptId}`;
      const unexplainedMs = due(key);
      if (unexplainedMs === null) continue;
      if (!(await this.ctx.live.capacity.release({ companyId, destinationId }, attemptId))) continue;
      this.ctx.logger.warn({ companyId, destinationId, attemptId, unexplainedMs }, 'repair: slot leased for an attempt that is not open, released');
      this.effects.announce(companyId, { destinations: [destinationId] });
      freedOf(companyId).destinationIds.push(destinationId);
    }

    // What is explained again (or gone) is forgotten: a later lapse starts its grace afresh.
    for (const key of [...this.seen.keys()]) if (!stillSeen.has(key)) this.seen.delete(key);

    for (const [companyId, f] of freed) {
      await this.route(companyId, f).catch((err) => this.ctx.logger.error({ err, companyId }, 'routing after a repair failed'));
    }
  }

  /** Every agent held for a call and every leased slot, per company, from the live state. */
  private async heldNow(): Promise<{
    agents: Array<{ companyId: string; agentId: string; live: AgentLive }>;
    slots: Array<{ companyId: string; destinationId: string; attemptId: string }>;
  }> {
    const [agentRows, destinationRows] = await Promise.all([
      this.ctx.dataSource.getRepository(Agent).find({ select: { id: true, companyId: true } }),
      this.ctx.dataSource.getRepository(ExternalDestination).find({ select: { id: true, companyId: true } }),
    ]);
    const agents: Array<{ companyId: string; agentId: string; live: AgentLive }> = [];
    for (const [companyId, ids] of byCompany(agentRows)) {
      for (const [agentId, live] of await this.ctx.live.agents.getMany(companyId, ids)) {
        if (live.callId !== null) agents.push({ companyId, agentId, live });
      }
    }
    const slots = (await Promise.all(destinationRows.map(async ({ companyId, id }) =>
      (await this.ctx.live.capacity.holders({ companyId, destinationId: id })).map((attemptId) => ({ companyId, destinationId: id, attemptId }))))).flat();
    return { agents, slots };
  }
}

function byCompany(rows: ReadonlyArray<{ id: string; companyId: string }>): Map<string, string[]> {
  const map = new Map<string, string[]>();
  for (const { id, companyId } of rows) {
    const ids = map.get(companyId);
    if (ids === undefined) map.set(companyId, [id]);
    else ids.push(id);
  }
  return map;
}

/** The repair sweep as a loop's work (see CallRouter.start). */
export function repairSweep(ctx: EngineContext, effects: Effects, route: RouteFreed, graceMs?: number): () => Promise<void> {
  const sweep = new RepairSweep(ctx, effects, route, graceMs);
  return () => sweep.run();
}
