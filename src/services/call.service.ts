import { In, type DataSource } from 'typeorm';
import { DestinationScope } from '../auth/destination-scope';
import type { ConnectorPrincipal, UserPrincipal } from '../auth/principal';
import { Agent } from '../entities/agent.entity';
import { Call, CallAttempt, CallTraceEntry } from '../entities/call.entity';
import { ExternalDestination } from '../entities/external-destination.entity';
import { Queue } from '../entities/queue.entity';
import { idsIn, refsOf, renderTrace, scrubIds, scrubLegacyText, type LegacyLens } from '../routing/trace-words';
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

  /**
   * The trace, oldest first; destinations the reader may not see keep their place and reasons, never their ids,
   * names or numbers. Words are rendered for this reader from each entry's facts ("a destination you cannot
   * see"); an entry written before facts were kept is scrubbed of every id it names, and of the reason of a
   * number that could not be built for a hidden destination. Any id left in any text is scrubbed the same way.
   */
  async trace(reader: CallReader, call: Pick<Call, 'id' | 'companyId'>): Promise<VisibleTraceEntry[]> {
    const rows = await this.dataSource.getRepository(CallTraceEntry).find({ where: { callId: call.id }, order: { seq: 'ASC' } });
    const sees = (id: string) => seesDestination(reader, { id, companyId: call.companyId });
    const visible = (kind: string, id: string | null) => (id === null || id === '*' ? null : kind !== 'DESTINATION' || sees(id) ? id : null);
    const lens = await this.lens(call.companyId, rows, sees);
    const scrub = (text: string) => scrubIds(text, lens);
    return rows.map((r) => {
      const hiddenChoice = r.chosen !== null && r.chosen.kind === 'DESTINATION' && !sees(r.chosen.id);
      return {
        at: r.at,
        step: r.step,
        summary: r.facts ? scrub(renderTrace(r.facts, lens)) : scrubLegacyText(r.summary, lens, hiddenChoice),
        considered: r.considered.map((c) => ({ kind: c.kind, id: visible(c.kind, c.id) })),
        skipped: r.skipped.map((s) => ({ kind: s.kind, resourceId: visible(s.kind, s.resourceId), reason: s.reason, detail: scrub(s.detail) })),
        chosen: r.chosen === null ? null : { kind: r.chosen.kind, resourceId: visible(r.chosen.kind, r.chosen.id), priority: r.chosen.priority, detail: scrub(r.chosen.detail) },
      };
    });
  }

  /**
   * How the resources named by these entries read for the reader: the destinations and queues their facts
   * reference, and any id met in their text, looked up in one read each. Names only of what the reader sees.
   */
  private async lens(companyId: string, rows: readonly CallTraceEntry[], sees: (id: string) => boolean): Promise<LegacyLens> {
    const ids = new Set<string>();
    for (const r of rows) {
      for (const ref of r.facts ? refsOf(r.facts) : []) ids.add(ref.id);
      const texts = [r.facts ? r.facts.words.filter((w): w is string => typeof w === 'string').join(' ') : r.summary, ...r.skipped.map((s) => s.detail), r.chosen?.detail ?? ''];
      for (const text of texts) for (const id of idsIn(text)) ids.add(id);
    }
    const wanted = [...ids].filter((id) => /^[0-9a-f-]{36}$/i.test(id));
    const [destinations, queues] = wanted.length === 0 ? [[], []] : await Promise.all([
      this.dataSource.getRepository(ExternalDestination).find({ where: { id: In(wanted), companyId }, select: { id: true, name: true } }),
      this.dataSource.getRepository(Queue).find({ where: { id: In(wanted), companyId }, select: { id: true, name: true } }),
    ]);
    const destinationNames = new Map(destinations.map((d) => [d.id, d.name]));
    const queueNames = new Map(queues.map((q) => [q.id, q.name]));
    return {
      destination: (id) => (sees(id) ? { visible: true, name: destinationNames.get(id) ?? null } : { visible: false, name: null }),
      queue: (id) => ({ name: queueNames.get(id) ?? null }),
      kindOf: (id) => (destinationNames.has(id) ? 'DESTINATION' : queueNames.has(id) ? 'QUEUE' : null),
    };
  }
}
