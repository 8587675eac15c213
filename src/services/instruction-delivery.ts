import { randomUUID } from 'node:crypto';
import { Repeater } from '@graphql-yoga/subscription';
import type { Logger } from 'pino';
import { In, type DataSource } from 'typeorm';
import type { ConnectorPrincipal } from '../auth/principal';
import { loggableError } from '../errors';
import type { LiveModels } from '../live/live-models';
import { noMeter, type Meter } from '../platform/meter';
import { inSpan } from '../platform/tracing';
import type { Scheduler } from '../platform/scheduler';
import type { AddressedInstruction, EventBus, TelephonyInstructionEvent } from '../realtime/event-bus';
import type { CompanyModel } from '../live/company-model';
import type { ConnectorSession, ConnectorSessionStore } from '../store/connector-session-store';
import { Instruction } from '../entities/instruction.entity';

/** How long a connector session stays registered without renewal (its instance died). */
export const SESSION_LEASE_MS = 15_000;
/** How often an instance renews the sessions it holds. */
export const SESSION_RENEW_MS = 5_000;

/** An instruction as a connector receives it: with its place in the company's log (0 when it could not be logged). */
export type SequencedInstruction = TelephonyInstructionEvent & { seq: number };

/** Redelivery of outstanding instructions (docs/decisions/023-instructions-at-least-once.md). */
export interface RedeliveryOptions {
  /** An instruction not acknowledged this long after it was delivered is delivered again. */
  redeliverAfterMs: number;
  /** How often a company's outstanding instructions are looked at (while this instance holds a session of it). */
  sweepMs: number;
  /** Deliveries of one instruction at most (the first included); it stays outstanding (resumed) after. */
  maxDeliveries: number;
}

export const REDELIVERY_DEFAULTS: RedeliveryOptions = { redeliverAfterMs: 5_000, sweepMs: 1_000, maxDeliveries: 5 };

/** Pruning of the instruction log (docs/decisions/023-instructions-at-least-once.md). */
export interface PruningOptions {
  /** An acknowledged instruction is deleted this long after its acknowledgement. */
  acknowledgedRetentionMs: number;
  /** An instruction never acknowledged is deleted this long after it was logged. */
  outstandingRetentionMs: number;
  /** How often each instance prunes (every instance may: deleting is idempotent and skips rows another is deleting). */
  pruneEveryMs: number;
  /** Rows deleted by one statement at most. */
  pruneBatch: number;
  /** Statements of one pruning at most (the rest waits for the next one). */
  pruneMaxBatches: number;
}

export const PRUNING_DEFAULTS: PruningOptions = {
  acknowledgedRetentionMs: 24 * 3_600_000, outstandingRetentionMs: 7 * 24 * 3_600_000, pruneEveryMs: 10 * 60_000, pruneBatch: 1_000, pruneMaxBatches: 50,
};

/** The options of the delivery service: redelivery and pruning. */
export type InstructionOptions = RedeliveryOptions & PruningOptions;

/** The kinds no outcome report answers: acknowledged only explicitly when delivered to a session that declared it acknowledges. */
const EXPLICITLY_ACKNOWLEDGED: ReadonlySet<string> = new Set(['CANCEL_ATTEMPT', 'DISCONNECT', 'PLAY_MESSAGE']);

/** Whether an instruction of `kind` delivered to `session` waits for the connector's acknowledgement (not the records'). */
export function explicitAckFor(kind: string, session: Pick<ConnectorSession, 'acknowledges'> | null): boolean {
  return session?.acknowledges === true && EXPLICITLY_ACKNOWLEDGED.has(kind);
}

/** One logged instruction and where it was delivered last. */
export interface LoggedInstruction {
  instruction: SequencedInstruction;
  deliveredTo: string | null;
  deliveredAt: number | null;
  deliveries: number;
  /** Acknowledged only by the connector (delivered last to a session that acknowledges), not by the records. */
  explicitAck: boolean;
}

/**
 * The durable per-company instruction log: written right before an instruction is handed to delivery, each
 * outstanding until acknowledged (explicitly, or by the outcome it asks for, as the records show it).
 */
export interface InstructionLog {
  /** Logs an instruction (delivered to `deliveredTo`, or to none yet; `explicitAck` when that session acknowledges it); its seq. */
  append(companyId: string, instruction: TelephonyInstructionEvent, deliveredTo: string | null, at: number, explicitAck?: boolean): Promise<number>;
  /** Acknowledges the company's instructions among `ids` (others are ignored); how many of `ids` are the company's. */
  acknowledge(companyId: string, ids: readonly string[], at: number): Promise<number>;
  /**
   * Acknowledges what the records show done: the attempt of a RING_AGENT, DIAL_EXTERNAL or CANCEL_ATTEMPT no
   * longer rings; the call of a PLAY_MESSAGE or DISCONNECT ended. Never an `explicitAck` one.
   */
  settle(companyId: string, at: number): Promise<void>;
  /** The company's outstanding instructions (after `afterSeq` when given), in seq order. */
  outstanding(companyId: string, afterSeq: number | null): Promise<LoggedInstruction[]>;
  /** Records a delivery (with `explicitAck` for that session), unless another one was recorded since `deliveries` was read; whether it was. */
  delivered(companyId: string, id: string, deliveries: number, to: string, at: number, explicitAck?: boolean): Promise<boolean>;
  /**
   * Deletes, of every company, at most `batch` instructions acknowledged before `acknowledgedBefore` or logged
   * before `createdBefore` and never acknowledged, but never a company's last one (its seq goes on from it); how
   * many. Safe to run on several instances at once.
   */
  prune(acknowledgedBefore: number, createdBefore: number, batch: number): Promise<number>;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const CALL_ENDED = "'ENDED', 'ABANDONED', 'FAILED'";

/** The log in the system of record (the `instruction` table). */
export class DatabaseInstructionLog implements InstructionLog {
  constructor(private readonly dataSource: DataSource) {}

  private get repo() {
    return this.dataSource.getRepository(Instruction);
  }

  async append(companyId: string, instruction: TelephonyInstructionEvent, deliveredTo: string | null, at: number, explicitAck = false): Promise<number> {
    // One statement: seq is the company's highest plus one, read by the INSERT itself; two instances taking the
    // same one meet the unique index, and the later tries again. (A scalar subquery in VALUES rather than
    // INSERT ... SELECT, so that PostgreSQL types each parameter from its column.)
    const [sql, parameters] = this.dataSource.driver.escapeQueryWithParameters(
      `INSERT INTO "instruction" ("id", "companyId", "seq", "kind", "payload", "callId", "attemptId", "createdAt", "acknowledgedAt", "deliveredTo", "deliveredAt", "deliveries", "explicitAck")
       VALUES (:id, :companyId, (SELECT COALESCE(MAX(p."seq"), 0) + 1 FROM "instruction" p WHERE p."companyId" = :companyId), :kind, :payload, :callId, :attemptId, :createdAt, NULL, :deliveredTo, :deliveredAt, :deliveries, :explicitAck)
       RETURNING "seq"`,
      {
        id: instruction.instructionId, companyId, kind: instruction.kind, payload: JSON.stringify(instruction), callId: instruction.callId, attemptId: instruction.attemptId,
        createdAt: new Date(at), deliveredTo, deliveredAt: deliveredTo === null ? null : new Date(at), deliveries: deliveredTo === null ? 0 : 1, explicitAck,
      },
    );
    for (let attempt = 1; ; attempt += 1) {
      try {
        const rows = (await this.dataSource.query(sql, parameters)) as Array<{ seq: number | string }>;
        return Number(rows[0]!.seq);
      } catch (err) {
        if (attempt >= 5) throw err;
      }
    }
  }

  async acknowledge(companyId: string, ids: readonly string[], at: number): Promise<number> {
    const known = [...new Set(ids)].filter((id) => UUID.test(id));
    if (known.length === 0) return 0;
    await this.repo.createQueryBuilder().update(Instruction).set({ acknowledgedAt: new Date(at) })
      .where({ companyId, id: In(known) }).andWhere('"acknowledgedAt" IS NULL').execute();
    return this.repo.count({ where: { companyId, id: In(known) } });
  }

  async settle(companyId: string, at: number): Promise<void> {
    await this.repo.createQueryBuilder().update(Instruction).set({ acknowledgedAt: new Date(at) })
      .where('"companyId" = :companyId AND "acknowledgedAt" IS NULL AND "explicitAck" = false', { companyId })
      // Each outstanding row looks up its own attempt or call by id (EXISTS), so the cost follows what is
      // outstanding, not the company's history of attempts and calls.
      .andWhere(`(("kind" IN ('RING_AGENT', 'DIAL_EXTERNAL', 'CANCEL_ATTEMPT') AND EXISTS (SELECT 1 FROM "call_attempt" a WHERE a."id" = "instruction"."attemptId" AND a."state" <> 'RINGING'))
        OR ("kind" IN ('PLAY_MESSAGE', 'DISCONNECT') AND EXISTS (SELECT 1 FROM "call" c WHERE c."id" = "instruction"."callId" AND c."state" IN (${CALL_ENDED})))
        OR ("kind" = 'PROBE_DESTINATION' AND EXISTS (SELECT 1 FROM "destination_probe" p WHERE p."id" = "instruction"."attemptId" AND p."outcome" IS NOT NULL)))`)
      .execute();
  }

  async outstanding(companyId: string, afterSeq: number | null): Promise<LoggedInstruction[]> {
    const q = this.repo.createQueryBuilder('i').where('i.companyId = :companyId AND i.acknowledgedAt IS NULL', { companyId });
    if (afterSeq !== null) q.andWhere('i.seq > :afterSeq', { afterSeq });
    const rows = await q.orderBy('i.seq', 'ASC').getMany();
    return rows.map((r) => ({
      instruction: { ...(JSON.parse(r.payload) as TelephonyInstructionEvent), seq: r.seq },
      deliveredTo: r.deliveredTo, deliveredAt: r.deliveredAt === null ? null : r.deliveredAt.getTime(), deliveries: r.deliveries, explicitAck: r.explicitAck,
    }));
  }

  async delivered(companyId: string, id: string, deliveries: number, to: string, at: number, explicitAck = false): Promise<boolean> {
    const result = await this.repo.createQueryBuilder().update(Instruction)
      .set({ deliveredTo: to, deliveredAt: new Date(at), deliveries: deliveries + 1, explicitAck })
      .where({ companyId, id, deliveries }).execute();
    return (result.affected ?? 0) > 0;
  }

  async prune(acknowledgedBefore: number, createdBefore: number, batch: number): Promise<number> {
    // Rows another instance is deleting right now are left to it (PostgreSQL); SQLite has one writer anyway.
    // Each company's last row stays, so its next seq never goes back (a connector resumes with afterSeq).
    const skipLocked = this.dataSource.driver.options.type === 'postgres' ? ' FOR UPDATE SKIP LOCKED' : '';
    const result = await this.repo.createQueryBuilder().delete().from(Instruction)
      .where(`"id" IN (SELECT p."id" FROM "instruction" p
        WHERE (p."acknowledgedAt" < :acknowledgedBefore OR (p."acknowledgedAt" IS NULL AND p."createdAt" < :createdBefore))
          AND p."seq" < (SELECT MAX(q."seq") FROM "instruction" q WHERE q."companyId" = p."companyId")
        LIMIT :batch${skipLocked})`,
      { acknowledgedBefore: new Date(acknowledgedBefore), createdBefore: new Date(createdBefore), batch: Math.max(1, Math.floor(batch)) })
      .execute();
    return result.affected ?? 0;
  }
}

/** The log in memory (tests of the delivery alone): nothing is done by the records here, only acknowledgements. */
export class MemoryInstructionLog implements InstructionLog {
  private readonly companies = new Map<string, Array<LoggedInstruction & { createdAt: number; acknowledgedAt: number | null }>>();

  private of(companyId: string) {
    let rows = this.companies.get(companyId);
    if (rows === undefined) this.companies.set(companyId, (rows = []));
    return rows;
  }

  /** The highest seq each company had (kept when its rows are pruned). */
  private readonly seqs = new Map<string, number>();

  async append(companyId: string, instruction: TelephonyInstructionEvent, deliveredTo: string | null, at: number, explicitAck = false): Promise<number> {
    const rows = this.of(companyId);
    const seq = (this.seqs.get(companyId) ?? 0) + 1;
    this.seqs.set(companyId, seq);
    rows.push({
      instruction: { ...instruction, seq }, deliveredTo, deliveredAt: deliveredTo === null ? null : at, deliveries: deliveredTo === null ? 0 : 1, explicitAck,
      createdAt: at, acknowledgedAt: null,
    });
    return seq;
  }

  async acknowledge(companyId: string, ids: readonly string[], at: number): Promise<number> {
    const wanted = new Set(ids);
    const rows = this.of(companyId).filter((r) => wanted.has(r.instruction.instructionId));
    for (const r of rows) r.acknowledgedAt ??= at;
    return rows.length;
  }

  async settle(): Promise<void> {}

  async outstanding(companyId: string, afterSeq: number | null): Promise<LoggedInstruction[]> {
    return this.of(companyId)
      .filter((r) => r.acknowledgedAt === null && (afterSeq === null || r.instruction.seq > afterSeq))
      .map(({ createdAt: _c, acknowledgedAt: _a, ...r }) => ({ ...r }));
  }

  async delivered(companyId: string, id: string, deliveries: number, to: string, at: number, explicitAck = false): Promise<boolean> {
    const row = this.of(companyId).find((r) => r.instruction.instructionId === id);
    if (row === undefined || row.deliveries !== deliveries) return false;
    Object.assign(row, { deliveredTo: to, deliveredAt: at, deliveries: deliveries + 1, explicitAck });
    return true;
  }

  async prune(acknowledgedBefore: number, createdBefore: number, batch: number): Promise<number> {
    let deleted = 0;
    for (const [companyId, rows] of this.companies) {
      const kept = rows.filter((r) => {
        const old = r.acknowledgedAt === null ? r.createdAt < createdBefore : r.acknowledgedAt < acknowledgedBefore;
        if (!old || deleted >= batch) return true;
        deleted += 1;
        return false;
      });
      this.companies.set(companyId, kept);
    }
    return deleted;
  }
}

/**
 * Telephony instructions, each addressed to one live connector session of the company, in turn (round
 * robin over the sessions registered by every instance), so one slow or early session cannot take them
 * all. A session counts only while its key is valid: a revoked key's sessions get nothing more, here and on
 * every instance (the instance delivering checks too), and their sockets are closed by the socket server.
 *
 * At least once (docs/decisions/023-instructions-at-least-once.md): each instruction is logged (with its
 * company's next seq) right before it is addressed, and stays outstanding until acknowledged, by the
 * outcome it asks for or by the connector. One not acknowledged `redeliverAfterMs` after its delivery is
 * delivered again, with the same id, to another live session when there is one, by a sweep each instance
 * runs for the companies it holds sessions of; a new session receives the company's outstanding ones
 * first, in seq order.
 */
export class InstructionDelivery {
  /** This instance's sessions: session id -> how to hand it an instruction. */
  private readonly local = new Map<string, { keyId: string; companyId: string; acknowledges: boolean; deliver: (instruction: SequencedInstruction) => void }>();
  /** One listener (and one redelivery sweep) per company with local sessions, with how many sessions use it. */
  private readonly channels = new Map<string, { off: () => void; stopSweep: () => void; sessions: number }>();
  private readonly redelivery: InstructionOptions;

  constructor(
    private readonly bus: EventBus,
    private readonly sessions: ConnectorSessionStore,
    private readonly models: LiveModels,
    private readonly scheduler: Scheduler,
    private readonly logger: Logger,
    private readonly log: InstructionLog = new MemoryInstructionLog(),
    options: Partial<InstructionOptions> = {},
    private readonly meter: Meter = noMeter,
  ) {
    this.redelivery = { ...REDELIVERY_DEFAULTS, ...PRUNING_DEFAULTS, ...options };
  }

  /** Cancels the pruning job (null while stopped), and the pruning running. */
  private stopPruning: (() => void) | null = null;
  private pruning: Promise<number> | null = null;

  /** Starts pruning the log every `pruneEveryMs` (each instance may: see `prune`). */
  start(): void {
    if (this.stopPruning !== null) return;
    this.stopPruning = this.scheduler.every(this.redelivery.pruneEveryMs, () => void this.pruneOnce());
  }

  /** Stops pruning; waits for a pruning in progress. */
  async stop(): Promise<void> {
    this.stopPruning?.();
    this.stopPruning = null;
    await this.pruning;
  }

  /** One pruning at a time on this instance; a failure is logged (and retried at the next one). */
  pruneOnce(): Promise<number> {
    this.pruning ??= this.prune()
      .catch((err: unknown) => {
        this.logger.warn({ err: loggableError(err) }, 'pruning the telephony instruction log failed (retried at the next pruning)');
        return 0;
      })
      .finally(() => {
        this.pruning = null;
      });
    return this.pruning;
  }

  /**
   * Deletes, in batches of `pruneBatch` (at most `pruneMaxBatches`), the instructions acknowledged more than
   * `acknowledgedRetentionMs` ago and those never acknowledged logged more than `outstandingRetentionMs` ago;
   * how many. Instances pruning at once delete each row once (a delete of a row gone is nothing).
   */
  async prune(): Promise<number> {
    const now = this.scheduler.now();
    const { acknowledgedRetentionMs, outstandingRetentionMs, pruneBatch, pruneMaxBatches } = this.redelivery;
    let deleted = 0;
    for (let i = 0; i < pruneMaxBatches; i += 1) {
      const n = await this.log.prune(now - acknowledgedRetentionMs, now - outstandingRetentionMs, pruneBatch);
      deleted += n;
      if (n < pruneBatch) break;
    }
    if (deleted > 0) this.logger.info({ deleted }, 'old telephony instructions pruned');
    return deleted;
  }

  /**
   * Registers every session this instance holds again now (their entries may be gone: Redis restarted
   * empty), instead of at their next renewal.
   */
  async registerAgain(): Promise<void> {
    await Promise.all([...this.local.entries()].map(([sessionId, s]) =>
      this.sessions.register(s.companyId, { sessionId, keyId: s.keyId, acknowledges: s.acknowledges }, SESSION_LEASE_MS).catch((err: unknown) =>
        this.logger.warn({ err: loggableError(err), companyId: s.companyId }, 'registering a connector session again failed (retried at the next renewal)'))));
  }

  /** Sends in progress per company: an instance publishes a company's instructions in the order it issued them. */
  private readonly order = new Map<string, Promise<void>>();

  /**
   * Addresses an instruction to the company's next live session with a valid key (dropped when it has none).
   * Instructions of one call may reach different sessions: a connector's sessions must each be able to act
   * on any call of the company.
   */
  send(companyId: string, instruction: TelephonyInstructionEvent): Promise<void> {
    const previous = this.order.get(companyId) ?? Promise.resolve();
    const next = previous.then(() => this.address(companyId, instruction)).catch((err: unknown) =>
      this.logger.error({ err: loggableError(err), companyId, kind: instruction.kind }, 'addressing a telephony instruction failed'));
    this.order.set(companyId, next);
    void next.then(() => {
      if (this.order.get(companyId) === next) this.order.delete(companyId);
    });
    return next;
  }

  /** The company's live sessions whose key is valid, and the next turn of its round robin. */
  private async valid(companyId: string): Promise<{ turn: number; valid: ConnectorSession[] }> {
    const [{ turn, sessions }, model] = await Promise.all([this.sessions.candidates(companyId), this.models.get(companyId)]);
    return { turn, valid: sessions.filter((s) => model.keyValid(s.keyId)) };
  }

  private address(companyId: string, instruction: TelephonyInstructionEvent): Promise<void> {
    const attributes = { 'company.id': companyId, 'instruction.id': instruction.instructionId, 'instruction.kind': instruction.kind, 'call.id': instruction.callId };
    return inSpan('instruction.send', attributes, async (span) => {
      const sessionId = await this.addressNow(companyId, instruction);
      span.setAttribute('instruction.session', sessionId ?? 'none');
    });
  }

  /** Logs the instruction and publishes it to the session chosen for it; that session (null: none live, kept). */
  private async addressNow(companyId: string, instruction: TelephonyInstructionEvent): Promise<string | null> {
    const { turn, valid } = await this.valid(companyId);
    const target = valid.length === 0 ? null : valid[turn % valid.length]!;
    let seq = 0;
    try {
      seq = await this.log.append(companyId, instruction, target?.sessionId ?? null, this.scheduler.now(), explicitAckFor(instruction.kind, target));
    } catch (err) {
      // Not logged: delivered once (at most once, as before the log).
      this.logger.error({ err: loggableError(err), companyId, kind: instruction.kind }, 'logging a telephony instruction failed (delivered once, not again)');
    }
    if (target === null) {
      this.meter.instruction('unaddressed');
      this.logger.debug({ companyId, kind: instruction.kind, callId: instruction.callId }, 'no live connector session: instruction kept for the next one');
      return null;
    }
    this.bus.publishInstruction(companyId, { ...instruction, seq, sessionId: target.sessionId } as AddressedInstruction);
    this.meter.instruction('delivered');
    return target.sessionId;
  }

  /**
   * Acknowledges the company's instructions among `ids` (another company's, or unknown ones, are ignored);
   * how many of them are the company's. Repeating it changes nothing.
   */
  async acknowledge(companyId: string, ids: readonly string[]): Promise<number> {
    const acknowledged = await this.log.acknowledge(companyId, ids, this.scheduler.now());
    this.meter.instruction('acknowledged', acknowledged);
    return acknowledged;
  }

  /** Acknowledges what the records show done (an outcome reported, a call ended); failures are logged. */
  async settle(companyId: string): Promise<void> {
    await this.log.settle(companyId, this.scheduler.now()).catch((err: unknown) =>
      this.logger.warn({ err: loggableError(err), companyId }, 'acknowledging instructions by the records failed (retried at the next sweep)'));
  }

  /** Delivers again, in seq order, the company's instructions not acknowledged in time. */
  async sweep(companyId: string): Promise<void> {
    await this.settle(companyId);
    const now = this.scheduler.now();
    const due = (await this.log.outstanding(companyId, null)).filter((r) =>
      r.deliveries < this.redelivery.maxDeliveries && (r.deliveredAt === null || r.deliveredAt + this.redelivery.redeliverAfterMs <= now));
    if (due.length === 0) return;
    const { turn, valid } = await this.valid(companyId);
    if (valid.length === 0) return;
    for (const [i, r] of due.entries()) {
      // Another session than the one that let it lapse, when there is one.
      const others = valid.filter((s) => s.sessionId !== r.deliveredTo);
      const pool = others.length > 0 ? others : valid;
      const target = pool[(turn + i) % pool.length]!;
      // Another instance sweeping the same company may have taken it: then it is theirs.
      if (!(await this.log.delivered(companyId, r.instruction.instructionId, r.deliveries, target.sessionId, now, explicitAckFor(r.instruction.kind, target)))) continue;
      this.logger.debug({ companyId, instructionId: r.instruction.instructionId, deliveries: r.deliveries + 1 }, 'telephony instruction delivered again');
      this.bus.publishInstruction(companyId, { ...r.instruction, sessionId: target.sessionId } as AddressedInstruction);
      this.meter.instruction('redelivered');
    }
  }

  /**
   * The instructions of one new connector session, until it ends (its subscription or socket closes): first
   * the company's outstanding ones (after `afterSeq` when given), in seq order, then the live ones. A session
   * that `acknowledges` (declared by the connector) gets its CANCEL_ATTEMPT, DISCONNECT and PLAY_MESSAGE again
   * until it acknowledges them; for one that does not, the records acknowledge them, as before.
   */
  session(principal: ConnectorPrincipal, afterSeq: number | null = null, acknowledges = false): AsyncIterable<SequencedInstruction> {
    const { companyId, keyId } = principal;
    const sessionId = randomUUID();
    const register = () =>
      this.sessions.register(companyId, { sessionId, keyId, acknowledges }, SESSION_LEASE_MS).catch((err: unknown) =>
        this.logger.warn({ err: loggableError(err), companyId }, 'registering a connector session failed (retried at the next renewal)'));
    return new Repeater<SequencedInstruction>(async (push, stop) => {
      // Live instructions wait until the outstanding ones went out; the ids sent then are not sent twice.
      let held: SequencedInstruction[] | null = [];
      const resumed = new Set<string>();
      this.local.set(sessionId, {
        keyId, companyId, acknowledges,
        deliver: (instruction) => {
          if (held !== null) held.push(instruction);
          else void push(instruction);
        },
      });
      this.listen(companyId);
      await register();
      const stopRenewing = this.scheduler.every(SESSION_RENEW_MS, () => void register());
      try {
        await this.settle(companyId);
        const backlog = await this.log.outstanding(companyId, afterSeq);
        const now = this.scheduler.now();
        for (const r of backlog) {
          resumed.add(r.instruction.instructionId);
          void push(r.instruction);
          // Its redelivery time starts again from now, for this session.
          await this.log.delivered(companyId, r.instruction.instructionId, r.deliveries, sessionId, now, explicitAckFor(r.instruction.kind, { acknowledges })).catch(() => false);
        }
      } catch (err) {
        this.logger.warn({ err: loggableError(err), companyId }, 'reading the outstanding telephony instructions failed (they come with the redelivery)');
      }
      const live = held;
      held = null;
      for (const instruction of live) if (!resumed.has(instruction.instructionId)) void push(instruction);
      await stop;
      stopRenewing();
      this.local.delete(sessionId);
      this.unlisten(companyId);
      await this.sessions.remove(companyId, sessionId).catch((err: unknown) =>
        this.logger.warn({ err: loggableError(err), companyId }, 'removing a connector session failed (it lapses with its lease)'));
    });
  }

  private listen(companyId: string): void {
    const channel = this.channels.get(companyId);
    if (channel !== undefined) {
      channel.sessions += 1;
      return;
    }
    // Deliveries wait, in order, while the company's authority is being read again (a change in progress).
    let waiting: Promise<void> | null = null;
    const deliver = (instruction: AddressedInstruction, model: CompanyModel) => {
      const session = this.local.get(instruction.sessionId);
      // The key may have been revoked since the instruction was addressed: nothing more for its sessions.
      if (session === undefined || !model.keyValid(session.keyId)) return;
      const { sessionId: _, ...plain } = instruction as AddressedInstruction & { seq?: number };
      session.deliver({ ...plain, seq: plain.seq ?? 0 });
    };
    const off = this.bus.listenInstructions(companyId, (instruction) => {
      if (!this.local.has(instruction.sessionId)) return;
      const model = waiting === null ? this.models.peek(companyId) : undefined;
      if (model !== undefined) return deliver(instruction, model);
      const next: Promise<void> = (waiting ?? Promise.resolve())
        .then(() => this.models.get(companyId))
        // Authority that cannot be read now is not extended: the instruction is dropped.
        .then((current) => deliver(instruction, current), () => undefined)
        .finally(() => {
          if (waiting === next) waiting = null;
        });
      waiting = next;
    });
    const stopSweep = this.scheduler.every(this.redelivery.sweepMs, () => void this.sweepOnce(companyId));
    this.channels.set(companyId, { off, stopSweep, sessions: 1 });
  }

  private unlisten(companyId: string): void {
    const channel = this.channels.get(companyId);
    if (channel === undefined) return;
    channel.sessions -= 1;
    if (channel.sessions > 0) return;
    channel.off();
    channel.stopSweep();
    this.channels.delete(companyId);
  }

  /** Sweeps running, per company: a sweep does not start while the last one runs. */
  private readonly sweeping = new Set<string>();

  private async sweepOnce(companyId: string): Promise<void> {
    if (this.sweeping.has(companyId)) return;
    this.sweeping.add(companyId);
    try {
      await this.sweep(companyId);
    } catch (err) {
      this.logger.warn({ err: loggableError(err), companyId }, 'delivering telephony instructions again failed (retried at the next sweep)');
    } finally {
      this.sweeping.delete(companyId);
    }
  }
}
