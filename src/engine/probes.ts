import type { EntityManager } from 'typeorm';
import { DestinationProbe, type ProbeOutcome } from '../entities/destination-probe.entity';
import { NumberMode } from '../entities/enums';
import { ExternalDestination } from '../entities/external-destination.entity';
import { errors } from '../errors';
import type { ModelChanges } from '../live/model-changes';
import { probesNow, successesInARow } from '../routing/destination-state';
import { endDestinationHold } from '../store/destination-hold';
import { deleteInBatches, findOwned, inTransaction } from '../store/persistence';
import type { Effects } from './effects';
import { timerId, type Timers } from './timers';
import type { EngineContext } from './types';

/** How long ended probes are kept (ms): as far back as a statistics range reaches (93 days). */
export const PROBE_RETENTION_MS = 93 * 86_400_000;


/** The prefix of the event ids of the gateway's own probe timeouts (reported through the outcome path, once each). */
export const PROBE_TIMEOUT_EVENT = 'probe-timeout:';

/** What a probe's outcome does once it is committed. */
export interface ProbeEffect {
  readonly probe: DestinationProbe;
  /** A success ends the back-off running now. */
  readonly endsBackoff: boolean;
  /** The configured number of successes in a row while suspended: the destination is resumed. */
  readonly resumes: boolean;
  /** The destination stays suspended after it (a success short of the count): its failure count is kept. */
  readonly staysSuspended: boolean;
}

/** The number a destination's probe dials: its own probe number, or a FULL_NUMBER destination's number. */
export function probeNumberOf(row: Pick<ExternalDestination, 'probeNumber' | 'numberMode' | 'number'>): string | null {
  return row.probeNumber ?? (row.numberMode === NumberMode.FULL_NUMBER ? row.number : null);
}

/**
 * Health probing (docs/decisions/037-health-probing.md): while a destination with a probe is backed off or
 * suspended, a PROBE_DESTINATION goes to the connector at the probe's interval (one durable timer per
 * destination, so one instance sends each); the connector reports each outcome once (the gateway's timeout
 * counts as failed). A success ends the back-off early; the configured number of successes in a row since the
 * suspension resumes it. Probes take no slot and write no call's trace: their records are their own.
 */
export class Probes {
  constructor(
    private readonly ctx: EngineContext,
    private readonly effects: Effects,
    private readonly timers: Timers,
    private readonly changes: ModelChanges,
    /** Routes the queues that can use the destinations (a probe ended what held them back). */
    private readonly freed: (companyId: string, destinationIds: readonly string[]) => Promise<void>,
  ) {}

  /**
   * Starts probing a destination that was backed off or suspended, if it has a probe: its first probe after one
   * interval. Starting it again (another failure) is harmless: a probe due less than an interval after the last
   * one sent is skipped, so the destination keeps one round of probes.
   */
  async watch(companyId: string, row: Pick<ExternalDestination, 'id' | 'probeIntervalSec'>): Promise<void> {
    if (row.probeIntervalSec === null) return;
    await this.next(companyId, row.id, row.probeIntervalSec);
  }

  private next(companyId: string, destinationId: string, intervalSec: number): Promise<void> {
    const at = this.ctx.time.now() + intervalSec * 1000;
    return this.timers.schedule(timerId.probe(destinationId, at), intervalSec * 1000, { t: 'probe', companyId, destinationId });
  }

  /** A destination's configuration changed: if it is held back now and has a probe, probing starts. */
  async watchIfHeld(companyId: string, destinationId: string): Promise<void> {
    const row = await this.heldBack(companyId, destinationId);
    if (row !== null) await this.watch(companyId, row);
  }

  /** The destination's row when its probe is to be sent now (see probesNow), null otherwise. */
  private async heldBack(companyId: string, destinationId: string): Promise<ExternalDestination | null> {
    const row = await this.ctx.dataSource.getRepository(ExternalDestination).findOneBy({ id: destinationId, companyId });
    if (row === null || row.probeIntervalSec === null) return null;
    const health = (await this.ctx.live.health.getMany(companyId, [destinationId])).get(destinationId);
    return probesNow(row, health?.backedOffUntil ?? null, this.ctx.time.now()) ? row : null;
  }

  /**
   * A destination's probe is due: sent when the destination still has a probe, is enabled, and is backed off or
   * suspended, with the next one timed; otherwise probing stops (a later back-off starts it again).
   */
  async due(companyId: string, destinationId: string): Promise<void> {
    const row = await this.heldBack(companyId, destinationId);
    const number = row === null ? null : probeNumberOf(row);
    if (row === null || row.probeIntervalSec === null || number === null) return;
    const now = this.ctx.time.now();
    const last = await this.ctx.dataSource.getRepository(DestinationProbe).findOne({ where: { companyId, destinationId }, order: { sentAt: 'DESC' }, select: { id: true, sentAt: true } });
    if (last !== null && now - last.sentAt.getTime() < row.probeIntervalSec * 1000) return;
    const timeoutSec = row.probeTimeoutSec ?? 1;
    const probe = await this.ctx.dataSource.getRepository(DestinationProbe).save(
      this.ctx.dataSource.getRepository(DestinationProbe).create({ companyId, destinationId, number, timeoutSec, sentAt: new Date(now), outcome: null, endedAt: null }),
    );
    await this.timers.schedule(timerId.probeTimeout(probe.id), timeoutSec * 1000, { t: 'probeTimeout', companyId, probeId: probe.id });
    await this.next(companyId, destinationId, row.probeIntervalSec);
    this.ctx.meter.probe('sent');
    this.effects.instruct(companyId, { kind: 'PROBE_DESTINATION', callId: probe.id, attemptId: probe.id, destinationId, number, ringTimeoutSec: timeoutSec });
    this.effects.announce(companyId, { destinations: [destinationId] });
  }

  /**
   * A probe's outcome on its record (in the event's transaction): CONFLICT when it already ended. Works out what
   * it does: a success ends the back-off; the configured successes in a row (probes sent since the suspension)
   * resume a suspended destination.
   */
  async record(m: EntityManager, companyId: string, probeId: string, outcome: ProbeOutcome, now: number): Promise<ProbeEffect> {
    const probe = await findOwned(m, DestinationProbe, companyId, probeId, { what: 'Probe', field: 'input.probeId', lock: 'write' });
    if (probe.outcome !== null) throw errors.conflict(`The probe already ended (${probe.outcome})`, { field: 'input.probeId', state: probe.outcome });
    probe.outcome = outcome;
    probe.endedAt = new Date(now);
    await m.getRepository(DestinationProbe).update({ id: probe.id }, { outcome, endedAt: probe.endedAt });
    const none: ProbeEffect = { probe, endsBackoff: false, resumes: false, staysSuspended: false };
    if (outcome !== 'SUCCEEDED') return none;
    const row = await m.getRepository(ExternalDestination).findOneBy({ id: probe.destinationId, companyId });
    if (row === null) return none;
    if (row.suspendedAt === null || row.probeSuccessesToResume === null) return { ...none, endsBackoff: true };
    const latest = await m.getRepository(DestinationProbe).createQueryBuilder('p').select(['p.id', 'p.outcome'])
      .where('p.companyId = :companyId AND p.destinationId = :destinationId AND p.sentAt >= :since AND p.outcome IS NOT NULL', { companyId, destinationId: row.id, since: row.suspendedAt })
      .orderBy('p.sentAt', 'DESC').addOrderBy('p.id', 'DESC').limit(row.probeSuccessesToResume).getMany();
    const resumes = successesInARow(latest.map((p) => p.outcome)) >= row.probeSuccessesToResume;
    return { ...none, endsBackoff: true, resumes, staysSuspended: !resumes };
  }

  /** After commit: the back-off ended in the records and the live health, a suspension cleared, the queues routed. */
  async apply(companyId: string, effect: ProbeEffect, now: number): Promise<void> {
    this.ctx.meter.probe(effect.probe.outcome === 'SUCCEEDED' ? 'succeeded' : 'failed');
    const destinationId = effect.probe.destinationId;
    if (effect.endsBackoff) {
      await inTransaction(this.ctx.dataSource, async (m, tx) => {
        // The change begins first: every change of a company's configuration locks the company before its rows.
        if (effect.resumes) (await this.changes.begin(m, tx, companyId)).add('destination', destinationId);
        const resumed = await endDestinationHold(m, destinationId, new Date(now), effect.resumes);
        if (resumed) this.ctx.logger.info({ companyId, destinationId, probeId: effect.probe.id }, 'destination resumed by its health probe');
      });
      // A suspended destination not yet resumed keeps its failure count (the next failure is still counted from it).
      if (!effect.staysSuspended) await this.ctx.live.health.reset(companyId, destinationId);
      await this.freed(companyId, [destinationId]);
    }
    this.effects.announce(companyId, { destinations: [destinationId] });
  }

  /** Deletes the ended probes sent longer ago than the retention (a probe still out is kept); answers how many. */
  async prune(): Promise<number> {
    const before = new Date(this.ctx.time.now() - PROBE_RETENTION_MS);
    return deleteInBatches(this.ctx.dataSource, 'destination_probe', '"sentAt" < :before AND "outcome" IS NOT NULL', { before });
  }
}
