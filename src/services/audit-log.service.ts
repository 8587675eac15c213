import type { Logger } from 'pino';
import type { DataSource } from 'typeorm';
import { DestinationScope } from '../auth/destination-scope';
import type { UserPrincipal } from '../auth/principal';
import { AuditEntry, type AuditAction, type AuditActorKind, type AuditEntityKind } from '../entities/audit-entry.entity';
import { errors, loggableError } from '../errors';
import type { Scheduler } from '../platform/scheduler';
import { canonicalId, committedRead, inTransaction, isId, PAGE_DEFAULT, PAGE_MAX, type Page, type PageArgs } from '../store/persistence';
import { routesToHidden } from './flow-references';

/** Narrows the audit log; every condition given must hold. */
export interface AuditLogFilter {
  /** Entries at or after this instant. */
  from?: Date | null;
  /** Entries before this instant. */
  to?: Date | null;
  /** Entries made by this user login. */
  actorId?: string | null;
  entityKinds?: readonly AuditEntityKind[] | null;
  entityId?: string | null;
  actions?: readonly AuditAction[] | null;
}

/** An entry as one reader may see it. */
export interface AuditEntryView {
  id: string;
  at: Date;
  actor: { kind: AuditActorKind; id: string | null; name: string | null };
  requestId: string | null;
  clientAddress: string | null;
  entityKind: AuditEntityKind;
  /** Null when the entry is about a destination the reader may not see (`entityHidden`), or names no object. */
  entityId: string | null;
  entityHidden: boolean;
  action: AuditAction;
  before: string | null;
  after: string | null;
}

const DAY_MS = 86_400_000;
/** How often entries past their retention are purged. */
export const AUDIT_PURGE_EVERY_MS = 10 * 60_000;
/** Entries deleted per statement while purging (a long backlog goes in short transactions). */
const PURGE_BATCH = 1000;

/**
 * Reading the audit log (decision 031), newest first, under the reader's destination scope; and purging it by
 * age, on the injected scheduler. Entries are written by the AuditTrail.
 */
export class AuditLogService {
  private readonly stops: Array<() => void> = [];
  private pass: Promise<unknown> | null = null;

  constructor(
    private readonly dataSource: DataSource,
    private readonly time: Pick<Scheduler, 'now' | 'every'>,
    /** Entries are kept this many days. */
    readonly retentionDays: number,
    private readonly logger: Logger,
  ) {}

  /**
   * One page of the reader's company's entries, newest first. An entry about a destination the reader may not
   * see keeps its place without its id or values (`entityHidden`), and destinations inside other entries' values
   * read as the API shows them to this reader (decision 015); asking for a hidden destination's id finds nothing.
   */
  async list(reader: UserPrincipal, filter: AuditLogFilter, page: PageArgs): Promise<Page<AuditEntryView>> {
    const first = pageSize(page);
    const cursor = page.after ? decodeCursor(page.after) : null;
    const scope = DestinationScope.of(reader);
    const canSee = (id: string) => scope.canSee({ id, companyId: reader.companyId });
    // An id that cannot name anything finds nothing, like another company's.
    if ((filter.actorId && !isId(filter.actorId)) || (filter.entityId && !isId(filter.entityId))) return emptyPage();
    const qb = this.dataSource.getRepository(AuditEntry).createQueryBuilder('a').where('a.companyId = :companyId', { companyId: reader.companyId });
    if (filter.from) qb.andWhere('a.at >= :from', { from: filter.from });
    if (filter.to) qb.andWhere('a.at < :to', { to: filter.to });
    if (filter.actorId) qb.andWhere('a.actorId = :actorId', { actorId: canonicalId(filter.actorId) });
    if (filter.entityKinds?.length) qb.andWhere('a.entityKind IN (:...kinds)', { kinds: filter.entityKinds });
    if (filter.actions?.length) qb.andWhere('a.action IN (:...actions)', { actions: filter.actions });
    if (filter.entityId) {
      const entityId = canonicalId(filter.entityId);
      qb.andWhere('a.entityId = :entityId', { entityId });
      if (!canSee(entityId)) qb.andWhere('a.entityKind <> :destination', { destination: 'EXTERNAL_DESTINATION' });
    }
    return committedRead(this.dataSource, async () => {
      const totalCount = await qb.clone().getCount();
      if (cursor !== null) qb.andWhere('(a.at < :cursorAt OR (a.at = :cursorAt AND a.id < :cursorId))', { cursorAt: cursor.at, cursorId: cursor.id });
      const rows = await qb.orderBy('a.at', 'DESC').addOrderBy('a.id', 'DESC').take(first + 1).getMany();
      const nodes = rows.slice(0, first);
      const last = nodes[nodes.length - 1];
      return {
        nodes: nodes.map((row) => present(row, canSee)),
        pageInfo: { hasNextPage: rows.length > first, endCursor: last ? encodeCursor(last) : null },
        totalCount,
      };
    });
  }

  /** Deletes the entries older than the retention at `now`; answers how many. */
  async purge(now = this.time.now()): Promise<number> {
    const cutoff = new Date(now - this.retentionDays * DAY_MS);
    let purged = 0;
    for (;;) {
      const deleted = await inTransaction(this.dataSource, async (m) => {
        const oldest = m.getRepository(AuditEntry).createQueryBuilder('o').select('o.id').where('o.at < :cutoff', { cutoff }).limit(PURGE_BATCH);
        const result = await m.createQueryBuilder().delete().from(AuditEntry)
          .where(`id IN (${oldest.getQuery()})`).setParameters(oldest.getParameters()).execute();
        return result.affected ?? 0;
      });
      purged += deleted;
      if (deleted < PURGE_BATCH) return purged;
    }
  }

  /** Purges every AUDIT_PURGE_EVERY_MS (one pass at a time) until `stop`. */
  start(): void {
    this.stops.push(this.time.every(AUDIT_PURGE_EVERY_MS, () => {
      if (this.pass !== null) return;
      this.pass = this.purge()
        .catch((err: unknown) => this.logger.warn({ err: loggableError(err) }, 'purging the audit log failed (tried again at the next tick)'))
        .finally(() => { this.pass = null; });
    }));
  }

  /** Stops purging, and waits for a pass in progress. */
  async stop(): Promise<void> {
    for (const stop of this.stops.splice(0)) stop();
    await this.pass;
  }
}

/** An entry as a reader may see it: an entry about a hidden destination without its id or values, hidden references hidden. */
function present(row: AuditEntry, canSee: (destinationId: string) => boolean): AuditEntryView {
  const hidden = row.entityKind === 'EXTERNAL_DESTINATION' && row.entityId !== null && !canSee(row.entityId);
  const values = (json: string | null) => (hidden || json === null ? null : JSON.stringify(hideDestinations(JSON.parse(json), canSee)));
  return {
    id: row.id,
    at: row.at,
    actor: { kind: row.actorKind, id: row.actorId, name: row.actorName },
    requestId: row.requestId,
    clientAddress: row.clientAddress,
    entityKind: row.entityKind,
    entityId: hidden ? null : row.entityId,
    entityHidden: hidden,
    action: row.action,
    before: values(row.before),
    after: values(row.after),
  };
}

type Ref = { hidden: boolean; destination: { id: string } | null };
const isRef = (value: unknown): value is Ref =>
  typeof value === 'object' && value !== null && 'hidden' in value && 'destination' in value;
const isHiddenRef = (value: unknown) => isRef(value) && value.hidden;

/**
 * Destinations inside recorded values, as the API shows them to this reader: a reference from a list
 * (`{ hidden, destination }`) becomes `{ hidden: true, destination: null }`, listed after the visible ones; a flow
 * node's `externalDestinationId` becomes null with `externalDestinationHidden: true` (decisions 001 and 015).
 */
function hideDestinations(value: unknown, canSee: (destinationId: string) => boolean): unknown {
  if (Array.isArray(value)) {
    const items = value.map((v) => hideDestinations(v, canSee));
    return [...items.filter((v) => !isHiddenRef(v)), ...items.filter(isHiddenRef)];
  }
  if (typeof value !== 'object' || value === null) return value;
  if (isRef(value)) return value.destination !== null && canSee(canonicalId(value.destination.id)) ? value : { hidden: true, destination: null };
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) out[key] = hideDestinations(v, canSee);
  const node = out as { externalDestinationId?: unknown };
  if (typeof node.externalDestinationId === 'string' && routesToHidden({ externalDestinationId: node.externalDestinationId }, canSee)) {
    return { ...out, externalDestinationId: null, externalDestinationHidden: true };
  }
  return out;
}

function emptyPage<T>(): Page<T> {
  return { nodes: [], pageInfo: { hasNextPage: false, endCursor: null }, totalCount: 0 };
}

function pageSize(args: PageArgs): number {
  const first = args.first ?? PAGE_DEFAULT;
  if (!Number.isInteger(first) || first < 1 || first > PAGE_MAX) throw errors.badInput([{ field: 'first', message: `must be from 1 to ${PAGE_MAX}` }]);
  return first;
}

/** The cursor after an entry: its instant and id (entries are read newest first, then by id). */
function encodeCursor(row: Pick<AuditEntry, 'at' | 'id'>): string {
  return Buffer.from(JSON.stringify([row.at.toISOString(), row.id])).toString('base64url');
}

function decodeCursor(cursor: string): { at: Date; id: string } {
  try {
    const value: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (Array.isArray(value) && value.length === 2 && typeof value[0] === 'string' && typeof value[1] === 'string' && isId(value[1])) {
      const at = new Date(value[0]);
      if (!Number.isNaN(at.getTime())) return { at, id: canonicalId(value[1]) };
    }
  } catch {
    // fall through to the coded error
  }
  throw errors.badInput([{ field: 'after', message: 'is not a cursor returned by this list' }]);
}
