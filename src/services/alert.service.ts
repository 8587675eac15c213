import type { Logger } from 'pino';
import type { DataSource } from 'typeorm';
import { DestinationScope } from '../auth/destination-scope';
import { atLeast, type UserPrincipal } from '../auth/principal';
import { AlertState, AlertThresholds } from '../entities/alert.entity';
import { Call, CallAttempt } from '../entities/call.entity';
import { PrivilegeLevel } from '../entities/enums';
import { Queue } from '../entities/queue.entity';
import { loggableError } from '../errors';
import { InputChecker } from '../input-checker';
import type { Scheduler } from '../platform/scheduler';
import type { EventBus } from '../realtime/event-bus';
import type { StatisticsService } from './statistics.service';
import type { AuditTrail } from './audit-trail';
import { inTransaction } from '../store/persistence';
import { DEFAULT_SERVICE_LEVEL_SEC } from '../statistics/figures';

export const ALERT_KINDS = ['QUEUE_OLDEST_WAIT', 'QUEUE_SERVICE_LEVEL', 'DESTINATION_BACKOFFS'] as const;
export type AlertKind = (typeof ALERT_KINDS)[number];

/** A company's thresholds; null is off. */
export interface Thresholds {
  queueOldestWaitSec: number | null;
  queueServiceLevelBelow: number | null;
  destinationBackoffs: number | null;
  destinationBackoffWindowMin: number | null;
}

export type ThresholdsInput = Partial<Thresholds>;

/** An alert raised or cleared (`raised: false`) for one queue or destination. */
export interface AlertEvent {
  kind: AlertKind;
  queueId: string | null;
  destinationId: string | null;
  raised: boolean;
  /** What was measured: seconds waited, a service level (0 to 1), a number of back-offs. */
  value: number;
  threshold: number;
  at: Date;
}

export interface AlertOptions {
  /** How often the oldest waits and back-offs are compared with the thresholds (ms). */
  everyMs: number;
  /** How often today's service levels are (they cost a statistics read per company). */
  serviceLevelEveryMs: number;
}

export const ALERT_DEFAULTS: AlertOptions = { everyMs: 1_000, serviceLevelEveryMs: 15_000 };

const OFF: Thresholds = { queueOldestWaitSec: null, queueServiceLevelBelow: null, destinationBackoffs: null, destinationBackoffWindowMin: null };

/** Whether a user may see an alert: queues with VIEW on queues; a destination's with VIEW on destinations and the destination in its profile. */
export function maySee(user: UserPrincipal, alert: Pick<AlertEvent, 'queueId' | 'destinationId'>): boolean {
  if (alert.queueId !== null) return atLeast(user.privileges.queues, PrivilegeLevel.VIEW);
  return atLeast(user.privileges.externalDestinations, PrivilegeLevel.VIEW) && DestinationScope.of(user).canSee({ id: alert.destinationId!, companyId: user.companyId });
}

/**
 * Alert thresholds per company and the alerts they raise (docs/decisions/028-alert-thresholds.md). Every
 * instance compares what it measures with the thresholds on the injected scheduler; a raise or a clear is
 * written to `alert_state` as a compare-and-set, and only the instance whose write changed the row publishes
 * it, so subscribers see each change once whatever the number of instances.
 */
export class AlertService {
  private readonly options: AlertOptions;
  private readonly stops: Array<() => void> = [];
  private lastServiceLevelAt = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly dataSource: DataSource,
    private readonly bus: EventBus,
    private readonly statistics: StatisticsService,
    private readonly time: Scheduler,
    private readonly logger: Logger,
    private readonly audit: AuditTrail,
    options: Partial<AlertOptions> = {},
  ) {
    this.options = { ...ALERT_DEFAULTS, ...options };
  }

  async thresholds(companyId: string): Promise<Thresholds> {
    const row = await this.dataSource.getRepository(AlertThresholds).findOneBy({ companyId });
    return row === null ? { ...OFF } : pick(row);
  }

  /** Sets the thresholds given (others keep theirs); BAD_USER_INPUT naming each one out of its range. */
  async setThresholds(actor: UserPrincipal, input: ThresholdsInput): Promise<Thresholds> {
    const { companyId } = actor;
    const c = new InputChecker();
    const current = await this.thresholds(companyId);
    const next: Thresholds = { ...current };
    if (input.queueOldestWaitSec !== undefined) next.queueOldestWaitSec = c.optionalInt('queueOldestWaitSec', input.queueOldestWaitSec, { min: 1, max: 86_400 });
    if (input.queueServiceLevelBelow !== undefined) {
      const v = input.queueServiceLevelBelow;
      if (v !== null && !(v > 0 && v <= 1)) c.fail('queueServiceLevelBelow', 'must be above 0 and at most 1');
      next.queueServiceLevelBelow = v;
    }
    if (input.destinationBackoffs !== undefined) next.destinationBackoffs = c.optionalInt('destinationBackoffs', input.destinationBackoffs, { min: 1, max: 1_000 });
    if (input.destinationBackoffWindowMin !== undefined) next.destinationBackoffWindowMin = c.optionalInt('destinationBackoffWindowMin', input.destinationBackoffWindowMin, { min: 1, max: 1_440 });
    if ((next.destinationBackoffs === null) !== (next.destinationBackoffWindowMin === null)) {
      c.fail('destinationBackoffWindowMin', 'is set together with destinationBackoffs (both, or neither)');
    }
    c.done();
    await inTransaction(this.dataSource, async (m) => {
      await m.getRepository(AlertThresholds).save({ companyId, ...next, updatedAt: new Date(this.time.now()) });
      this.audit.record(m, actor, { kind: 'ALERT_THRESHOLDS', id: companyId, action: 'UPDATED', before: current, after: next });
    });
    return next;
  }

  /** The alerts raised now that the user may see. */
  async active(user: UserPrincipal): Promise<AlertEvent[]> {
    const rows = await this.dataSource.getRepository(AlertState).find({ where: { companyId: user.companyId, raised: true }, order: { changedAt: 'ASC' } });
    return rows.map(eventOf).filter((a) => maySee(user, a));
  }

  start(): void {
    // A look that fails (the database unreachable, the gateway closing) is logged; the next tick looks again.
    this.stops.push(this.time.every(this.options.everyMs, () => {
      // A tick while a look runs is skipped (looks never pile up on a slow database).
      if (this.look !== null) return;
      this.evaluateAll().catch((err: unknown) => this.logger.warn({ err: loggableError(err) }, 'looking at alert thresholds failed (tried again at the next tick)'));
    }));
  }

  /** Stops looking, and waits for a look in progress (so nothing reads after the gateway closed its database). */
  async stop(): Promise<void> {
    for (const stop of this.stops.splice(0)) stop();
    await this.look?.catch(() => undefined);
  }

  /** The look in progress, if any. */
  private look: Promise<void> | null = null;

  /** One look at every company with thresholds, started after the one in progress (if any) ended. */
  async evaluateAll(): Promise<void> {
    while (this.look !== null) await this.look.catch(() => undefined);
    const look = this.lookOnce().finally(() => {
      if (this.look === look) this.look = null;
    });
    this.look = look;
    return look;
  }

  private async lookOnce(): Promise<void> {
    const now = this.time.now();
    const withServiceLevel = now - this.lastServiceLevelAt >= this.options.serviceLevelEveryMs;
    if (withServiceLevel) this.lastServiceLevelAt = now;
    for (const row of await this.dataSource.getRepository(AlertThresholds).find()) {
      await this.evaluate(row.companyId, pick(row), now, withServiceLevel).catch((err: unknown) =>
        this.logger.warn({ err: loggableError(err), companyId: row.companyId }, 'evaluating alert thresholds failed (tried again at the next look)'));
    }
  }

  /** Compares what is measured now with the company's thresholds, and raises or clears alerts. */
  async evaluate(companyId: string, thresholds: Thresholds, now: number, withServiceLevel = true): Promise<void> {
    const measured: Array<{ kind: AlertKind; resourceId: string; value: number; threshold: number; raise: boolean }> = [];
    const judged = new Set<AlertKind>();
    if (thresholds.queueOldestWaitSec !== null) {
      judged.add('QUEUE_OLDEST_WAIT');
      const rows = await this.dataSource.getRepository(Call).createQueryBuilder('c').select('c.queueId', 'queueId').addSelect('MIN(c.enqueuedAt)', 'oldest')
        .where('c.companyId = :companyId AND c.queueId IS NOT NULL', { companyId }).andWhere("c.state IN ('QUEUED', 'OFFERING')")
        .groupBy('c.queueId').getRawMany<{ queueId: string; oldest: string | Date }>();
      for (const r of rows) {
        const waited = Math.max(0, Math.floor((now - new Date(r.oldest).getTime()) / 1000));
        measured.push({ kind: 'QUEUE_OLDEST_WAIT', resourceId: r.queueId, value: waited, threshold: thresholds.queueOldestWaitSec, raise: waited > thresholds.queueOldestWaitSec });
      }
    }
    if (thresholds.destinationBackoffs !== null && thresholds.destinationBackoffWindowMin !== null) {
      judged.add('DESTINATION_BACKOFFS');
      const since = new Date(now - thresholds.destinationBackoffWindowMin * 60_000);
      const rows = await this.dataSource.getRepository(CallAttempt).createQueryBuilder('a').select('a.destinationId', 'destinationId').addSelect('COUNT(*)', 'n')
        .where('a.companyId = :companyId AND a.destinationId IS NOT NULL AND a.backoffUntil IS NOT NULL AND a.endedAt >= :since', { companyId, since })
        .groupBy('a.destinationId').getRawMany<{ destinationId: string; n: string | number }>();
      for (const r of rows) {
        const n = Number(r.n);
        measured.push({ kind: 'DESTINATION_BACKOFFS', resourceId: r.destinationId, value: n, threshold: thresholds.destinationBackoffs, raise: n >= thresholds.destinationBackoffs });
      }
    }
    if (thresholds.queueServiceLevelBelow !== null && withServiceLevel) {
      judged.add('QUEUE_SERVICE_LEVEL');
      const queues = await this.dataSource.getRepository(Queue).find({ where: { companyId }, select: { id: true, name: true } });
      const figures = await this.statistics.queueFigures(companyId, queues, await this.statistics.today(companyId), DEFAULT_SERVICE_LEVEL_SEC, { intervals: false });
      for (const q of figures) {
        const level = (q.figures.total as { serviceLevel?: number | null }).serviceLevel ?? null;
        if (level === null) continue;
        measured.push({ kind: 'QUEUE_SERVICE_LEVEL', resourceId: q.id, value: level, threshold: thresholds.queueServiceLevelBelow, raise: level < thresholds.queueServiceLevelBelow });
      }
    }
    const raised = await this.dataSource.getRepository(AlertState).find({ where: { companyId, raised: true } });
    const isRaised = new Set(raised.map((r) => r.key));
    const at = new Date(now);
    for (const m of measured) {
      if (m.raise && !isRaised.has(keyOf(m.kind, m.resourceId))) await this.change(companyId, m.kind, m.resourceId, true, m.value, m.threshold, at);
    }
    // Cleared: raised and no longer over its threshold (not measured: no call waits, no back-off in the window), or its threshold switched off.
    const over = new Set(measured.filter((m) => m.raise).map((m) => keyOf(m.kind, m.resourceId)));
    const switchedOff = (kind: AlertKind) =>
      kind === 'QUEUE_OLDEST_WAIT' ? thresholds.queueOldestWaitSec === null : kind === 'DESTINATION_BACKOFFS' ? thresholds.destinationBackoffs === null : thresholds.queueServiceLevelBelow === null;
    for (const r of raised) {
      const kind = r.kind as AlertKind;
      if (over.has(r.key) || (!judged.has(kind) && !switchedOff(kind))) continue;
      const value = measured.find((m) => keyOf(m.kind, m.resourceId) === r.key)?.value ?? 0;
      await this.change(companyId, kind, r.resourceId, false, value, r.threshold, at);
    }
  }

  /** Writes a raise or a clear unless it is already so; publishes it when this write changed the row. */
  private async change(companyId: string, kind: AlertKind, resourceId: string, raise: boolean, value: number, threshold: number, at: Date): Promise<void> {
    const [sql, parameters] = this.dataSource.driver.escapeQueryWithParameters(
      `INSERT INTO "alert_state" ("companyId", "key", "kind", "resourceId", "raised", "value", "threshold", "changedAt")
       VALUES (:companyId, :key, :kind, :resourceId, :raised, :value, :threshold, :at)
       ON CONFLICT ("companyId", "key") DO UPDATE SET "raised" = excluded."raised", "value" = excluded."value", "threshold" = excluded."threshold", "changedAt" = excluded."changedAt"
       WHERE "alert_state"."raised" <> excluded."raised"
       RETURNING "key"`,
      { companyId, key: keyOf(kind, resourceId), kind, resourceId, raised: raise, value, threshold, at },
    );
    const rows = (await this.dataSource.query(sql, parameters)) as unknown[];
    if (rows.length === 0) return;
    const event = eventOf({ kind, resourceId, raised: raise, value, threshold, changedAt: at });
    this.bus.publishUpdate(companyId, 'alert', resourceId, { ...event, at: at.getTime() });
  }
}

function keyOf(kind: AlertKind, resourceId: string): string {
  return `${kind}:${resourceId}`;
}

function pick(row: Thresholds): Thresholds {
  return {
    queueOldestWaitSec: row.queueOldestWaitSec, queueServiceLevelBelow: row.queueServiceLevelBelow,
    destinationBackoffs: row.destinationBackoffs, destinationBackoffWindowMin: row.destinationBackoffWindowMin,
  };
}

function eventOf(row: Pick<AlertState, 'kind' | 'resourceId' | 'raised' | 'value' | 'threshold' | 'changedAt'>): AlertEvent {
  const kind = row.kind as AlertKind;
  const onDestination = kind === 'DESTINATION_BACKOFFS';
  return {
    kind, queueId: onDestination ? null : row.resourceId, destinationId: onDestination ? row.resourceId : null,
    raised: Boolean(row.raised), value: Number(row.value), threshold: Number(row.threshold), at: new Date(row.changedAt),
  };
}
