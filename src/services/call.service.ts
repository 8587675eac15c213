import type { DataSource } from 'typeorm';
import { DestinationScope } from '../auth/destination-scope';
import type { ConnectorPrincipal, UserPrincipal } from '../auth/principal';
import { Agent } from '../entities/agent.entity';
import { Call, CallAttempt, CallTraceEntry } from '../entities/call.entity';
import { ExternalDestination } from '../entities/external-destination.entity';
import { Queue } from '../entities/queue.entity';
import { findOwned } from '../store/persistence';

/** Who may read calls: a user (with its destination scope) or the company's telephony connector (sees all). */
export type CallReader = UserPrincipal | ConnectorPrincipal;

/** Whether the reader may know which destination (and number) a call used: THE destination scope, or a connector. */
export function seesDestination(reader: CallReader, destination: { id: string; companyId: string }): boolean {
  return reader.kind === 'connector' ? destination.companyId === reader.companyId : DestinationScope.of(reader).canSee(destination);
}

/** A trace entry as a reader may see it: ids of destinations it may not see are null. */
export interface VisibleTraceEntry {
  at: Date;
  step: string;
  summary: string;
  considered: Array<{ kind: string; id: string | null }>;
  skipped: Array<{ kind: string; resourceId: string | null; reason: string; detail: string }>;
  chosen: { kind: string; resourceId: string | null; priority: number | null; detail: string } | null;
}

/** Reads of calls, their attempts and trace, under the reader's visibility. */
export class CallService {
  constructor(private readonly dataSource: DataSource) {}

  /** A call of the reader's company; NOT_FOUND otherwise (another company's id included). */
  get(reader: CallReader, id: string): Promise<Call> {
    return findOwned(this.dataSource.manager, Call, reader.companyId, id, { what: 'Call' });
  }

  queue(companyId: string, queueId: string): Promise<Queue | null> {
    return this.dataSource.getRepository(Queue).findOneBy({ id: queueId, companyId });
  }

  attempts(callId: string): Promise<CallAttempt[]> {
    return this.dataSource.getRepository(CallAttempt).find({ where: { callId }, order: { startedAt: 'ASC', id: 'ASC' } });
  }

  /** The attempt's agent or destination as the reader may see it: a hidden destination shows only that one was used. */
  async target(reader: CallReader, attempt: Pick<CallAttempt, 'agentId' | 'destinationId' | 'companyId'>): Promise<Agent | ExternalDestination | { hidden: true } | null> {
    if (attempt.agentId !== null) return this.dataSource.getRepository(Agent).findOneBy({ id: attempt.agentId, companyId: attempt.companyId });
    const ref = { id: attempt.destinationId!, companyId: attempt.companyId };
    if (!seesDestination(reader, ref)) return { hidden: true };
    return this.dataSource.getRepository(ExternalDestination).findOneBy(ref);
  }

  /** The number an attempt dialled, for readers who may see its destination. */
  number(reader: CallReader, attempt: Pick<CallAttempt, 'destinationId' | 'companyId' | 'number'>): string | null {
    if (attempt.destinationId === null) return null;
    return seesDestination(reader, { id: attempt.destinationId, companyId: attempt.companyId }) ? attempt.number : null;
  }

  /** The trace, oldest first; destinations the reader may not see keep their place and reasons, never their ids. */
  async trace(reader: CallReader, call: Pick<Call, 'id' | 'companyId'>): Promise<VisibleTraceEntry[]> {
    const rows = await this.dataSource.getRepository(CallTraceEntry).find({ where: { callId: call.id }, order: { seq: 'ASC' } });
    const visible = (kind: string, id: string | null) =>
      id === null || id === '*' ? null : kind !== 'DESTINATION' || seesDestination(reader, { id, companyId: call.companyId }) ? id : null;
    return rows.map((r) => ({
      at: r.at,
      step: r.step,
      summary: r.summary,
      considered: r.considered.map((c) => ({ kind: c.kind, id: visible(c.kind, c.id) })),
      skipped: r.skipped.map((s) => ({ kind: s.kind, resourceId: visible(s.kind, s.resourceId), reason: s.reason, detail: s.detail })),
      chosen: r.chosen === null ? null : { kind: r.chosen.kind, resourceId: visible(r.chosen.kind, r.chosen.id), priority: r.chosen.priority, detail: r.chosen.detail },
    }));
  }
}
