import { QueryFailedError, type DataSource, type FindOptionsRelations, type EntityManager, type EntityTarget, type ObjectLiteral, type SelectQueryBuilder } from 'typeorm';
import { errors, isDomainError, type DomainError } from '../errors';
import { inSpan } from '../platform/tracing';
import { Company } from '../entities/company.entity';
import { compareCodePoints } from '../platform/code-point-order';
import { nameKey } from '../routing/names';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Whether a string can be an id at all (anything else is simply "not found", never a database error). */
export function isId(value: string): boolean {
  return UUID.test(value);
}

/**
 * The one spelling of an id: ids are UUIDs, which name the same row in any letter case (PostgreSQL's uuid
 * type ignores case, SQLite's text does not), so every lookup, in the database or in memory, uses lower case.
 */
export function canonicalId(id: string): string {
  return id.toLowerCase();
}

/** Whether a driver error is a unique-constraint violation (PostgreSQL 23505, SQLite SQLITE_CONSTRAINT_UNIQUE). */
export function isUniqueViolation(error: unknown): boolean {
  const code = driverCode(error);
  return code === '23505' || code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}

/** Whether a driver error is a foreign-key violation (a referenced row vanished or is still referenced). */
export function isForeignKeyViolation(error: unknown): boolean {
  const code = driverCode(error);
  return code === '23503' || code === 'SQLITE_CONSTRAINT_FOREIGNKEY';
}

function driverCode(error: unknown): string | undefined {
  return error instanceof QueryFailedError ? (error.driverError as { code?: string } | undefined)?.code : undefined;
}

/** Socket errors of a connection to the database that could not be made or was lost. */
const CONNECTION_ERRNOS = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);
/** PostgreSQL codes of a server going away or not taking connections: admin, crash and immediate shutdown, cannot connect now. */
const UNAVAILABLE_SQLSTATES = new Set(['57P01', '57P02', '57P03']);
/** What the PostgreSQL driver says (without a code) of a connection that was lost or could not be made in time. */
const LOST_CONNECTION = /Connection terminated|timeout exceeded when trying to connect|connection error and is not queryable|Client was closed and is not queryable/i;

/** When a client should try again after the database could not be reached (a server restart takes seconds). */
export const DATABASE_RETRY_AFTER_SEC = 5;

/**
 * Whether an error says the database cannot be reached for now (connection refused, reset or lost, the server
 * shutting down or starting up, connection exceptions of SQLSTATE class 08), as opposed to a statement it
 * refused. THE one place such failures are recognised: what is retryable once the server is back.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  // The error itself, then what it wraps (TypeORM's driverError, a cause), a few levels at most.
  let current: unknown = error;
  for (let depth = 0; depth < 4 && current !== null && typeof current === 'object'; depth += 1) {
    const { code, message, driverError, cause } = current as { code?: unknown; message?: unknown; driverError?: unknown; cause?: unknown };
    if (typeof code === 'string' && (CONNECTION_ERRNOS.has(code) || UNAVAILABLE_SQLSTATES.has(code) || /^08[0-9A-Z]{3}$/.test(code))) return true;
    if (typeof message === 'string' && LOST_CONNECTION.test(message)) return true;
    current = driverError ?? cause;
  }
  return false;
}

/** The domain error a database failure is answered with when the database cannot be reached; undefined for any other error. */
export function databaseUnavailableError(error: unknown): DomainError | undefined {
  if (isDomainError(error)) return isDomainError(error, 'SERVICE_UNAVAILABLE') ? error : undefined;
  return isDatabaseUnavailable(error) ? errors.unavailable('The service is unavailable for now; retry later', DATABASE_RETRY_AFTER_SEC) : undefined;
}

const CONCURRENT_CHANGE = 'CONCURRENT_CHANGE';

/** Whether an error is inTransaction's CONFLICT for two requests that changed the same thing at once (a retry reads the winner's). */
export function isConcurrentChange(error: unknown): boolean {
  return isDomainError(error, 'CONFLICT') && error.details.reason === CONCURRENT_CHANGE;
}

/** SQLite has one connection: transactions must not interleave on it, so they run one after another. */
const sqliteQueues = new WeakMap<DataSource, Promise<unknown>>();

/** What a transaction's work may ask of the transaction besides its queries. */
export interface TransactionEffects {
  /**
   * Runs `effect` once the transaction has committed, after the work, in the order registered (never when it
   * rolled back). inTransaction resolves once every effect has finished. An effect must not throw.
   */
  afterCommit(effect: () => Promise<void> | void): void;
  /** Per-transaction notes of helpers (e.g. one authority-version move per company). */
  readonly memo: Map<string, unknown>;
}

interface BeforeCommit {
  key: string;
  state: unknown;
  run: () => Promise<void>;
}

const beforeCommitHooks = new WeakMap<EntityManager, BeforeCommit[]>();

/**
 * The state of a helper that writes at the end of the transaction `m` (inTransaction's), made on first use: its
 * `flush` runs once, inside the transaction, after the work and before the commit (so a retry or a rollback
 * takes it along). Throws outside inTransaction: whatever needs it must not write without a transaction.
 */
export function beforeCommit<S>(m: EntityManager, key: string, make: () => S, flush: (state: S) => Promise<void>): S {
  const hooks = beforeCommitHooks.get(m);
  if (hooks === undefined) throw new Error(`${key}: this write must run inside inTransaction`);
  const existing = hooks.find((h) => h.key === key);
  if (existing) return existing.state as S;
  const state = make();
  hooks.push({ key, state, run: () => flush(state) });
  return state;
}

/**
 * Runs `work` in one transaction: everything or nothing is written. A constraint violation that slipped past
 * the service's own checks (two requests racing) becomes CONFLICT. Effects registered with `afterCommit` run
 * once it committed (events are published after commit, never for a change that did not happen).
 */
export async function inTransaction<T>(dataSource: DataSource, work: (manager: EntityManager, tx: TransactionEffects) => Promise<T>): Promise<T> {
  const effects: Array<() => Promise<void> | void> = [];
  const tx: TransactionEffects = { afterCommit: (effect) => void effects.push(effect), memo: new Map() };
  const run = async () => {
    effects.length = 0;
    tx.memo.clear();
    try {
      return await dataSource.transaction(async (manager) => {
        const hooks: BeforeCommit[] = [];
        beforeCommitHooks.set(manager, hooks);
        try {
          const result = await work(manager, tx);
          // Hooks may register more hooks (never the same key twice): run until none is left.
          for (let i = 0; i < hooks.length; i += 1) await hooks[i]!.run();
          return result;
        } finally {
          beforeCommitHooks.delete(manager);
        }
      });
    } catch (error) {
      if (isUniqueViolation(error) || isForeignKeyViolation(error)) {
        throw errors.conflict('A conflicting change was made at the same time; re-read and retry', { reason: CONCURRENT_CHANGE });
      }
      throw databaseUnavailableError(error) ?? error;
    }
  };
  // The transaction's span ends at its commit (or rollback); the effects that follow it run outside it.
  const result = await inSpan('db.transaction', { 'db.system': dataSource.options.type }, () => onSqliteQueue(dataSource, run));
  for (const effect of effects) await effect();
  return result;
}

/**
 * Runs `read` where it sees only committed rows. PostgreSQL: at once (each statement sees what was committed
 * when it starts). SQLite: its one connection is shared with the transactions, which see their own
 * uncommitted writes, so the read waits its turn behind the transactions queued before it. Reads that must
 * never see half of a change (the companies held in memory) go through here.
 */
export function committedRead<T>(dataSource: DataSource, read: () => Promise<T>): Promise<T> {
  return onSqliteQueue(dataSource, read).catch((error: unknown) => {
    throw databaseUnavailableError(error) ?? error;
  });
}

function onSqliteQueue<T>(dataSource: DataSource, work: () => Promise<T>): Promise<T> {
  if (dataSource.options.type === 'postgres') return work();
  const previous = sqliteQueues.get(dataSource) ?? Promise.resolve();
  const next = previous.then(work, work);
  sqliteQueues.set(dataSource, next.catch(() => undefined));
  return next;
}

/**
 * Row locks for a read inside a transaction (PostgreSQL; SQLite already runs transactions one at a time):
 * `write` for the row a change or delete is about, `read` for rows a change refers to, so a concurrent
 * delete waits for (and then sees) the new reference.
 */
export type LockMode = 'read' | 'write';

function withLock<T extends ObjectLiteral>(manager: EntityManager, qb: SelectQueryBuilder<T>, lock: LockMode | undefined): SelectQueryBuilder<T> {
  if (lock === undefined || manager.connection.options.type !== 'postgres' || !manager.queryRunner?.isTransactionActive) return qb;
  return qb.setLock(lock === 'write' ? 'pessimistic_write' : 'pessimistic_read');
}

export interface FindOptions<T> {
  /** What the object is called in the NOT_FOUND message. */
  what: string;
  /** The input that carried the id, when it was an input. */
  field?: string;
  relations?: FindOptionsRelations<T>;
  lock?: LockMode;
}

/**
 * Loads one row of the caller's company by id, or throws NOT_FOUND: the same answer for a malformed id, a
 * missing row and another company's row.
 */
export async function findOwned<T extends ObjectLiteral & { companyId: string }>(
  manager: EntityManager,
  entity: EntityTarget<T>,
  companyId: string,
  id: string,
  options: FindOptions<T>,
): Promise<T> {
  if (!isId(id)) throw errors.notFound(options.what, options.field);
  id = canonicalId(id);
  if (options.lock !== undefined) {
    // Lock the row alone first (PostgreSQL refuses FOR UPDATE beside outer joins), then load its relations.
    const locked = await withLock(manager, manager.getRepository(entity).createQueryBuilder('r').where('r.id = :id AND r.companyId = :companyId', { id, companyId }), options.lock).getOne();
    if (locked === null) throw errors.notFound(options.what, options.field);
    if (options.relations === undefined) return locked;
  }
  const row = await manager.getRepository(entity).findOne({ where: { id, companyId } as never, relations: options.relations });
  if (row === null) throw errors.notFound(options.what, options.field);
  return row;
}

/**
 * Loads rows of the caller's company for a list of ids (in the order given), or throws NOT_FOUND naming the
 * first bad one as `field[i]` (or `field(i)`). Duplicates are refused as BAD_USER_INPUT. The rows are locked
 * for reading: they are references of the change being made.
 */
export async function findAllOwned<T extends ObjectLiteral & { id: string; companyId: string }>(
  manager: EntityManager,
  entity: EntityTarget<T>,
  companyId: string,
  ids: readonly string[],
  what: string,
  field: string | ((index: number) => string),
  isVisible: (row: T) => boolean = () => true,
): Promise<T[]> {
  const at = typeof field === 'string' ? (i: number) => `${field}[${i}]` : field;
  ids = ids.map(canonicalId);
  const dup = ids.findIndex((id, i) => ids.indexOf(id) !== i);
  if (dup >= 0) throw errors.badInput([{ field: at(dup), message: 'is listed twice' }]);
  const valid = ids.filter(isId);
  const rows = valid.length === 0 ? [] : await withLock(manager, manager.getRepository(entity).createQueryBuilder('r')
    .where('r.companyId = :companyId AND r.id IN (:...ids)', { companyId, ids: valid }), 'read')
    .getMany();
  const byId = new Map(rows.filter(isVisible).map((r) => [r.id, r]));
  return ids.map((id, i) => {
    const row = byId.get(id);
    if (row === undefined) throw errors.notFound(what, at(i));
    return row;
  });
}

/**
 * Writes `patch` to a row only if its version is still `version`, bumping the version; CONFLICT otherwise.
 * This is the optimistic-concurrency guard of every update.
 */
export async function updateVersioned<T extends ObjectLiteral>(
  manager: EntityManager,
  entity: EntityTarget<T>,
  id: string,
  version: number,
  patch: Record<string, unknown>,
): Promise<void> {
  const result = await manager
    .createQueryBuilder()
    .update(entity)
    .set({ ...patch, version: () => 'version + 1' } as never)
    .where('id = :id AND version = :version', { id, version })
    .execute();
  if (result.affected !== 1) {
    throw errors.conflict('The object was changed by someone else; re-read it and retry', { field: 'expectedVersion' });
  }
}

/** Refuses a stale `expectedVersion` with CONFLICT before any write. */
export function checkExpectedVersion(current: number, expected: number | null | undefined): void {
  if (expected !== null && expected !== undefined && expected !== current) {
    throw errors.conflict(`Stale version: expected ${expected}, current is ${current}`, {
      field: 'expectedVersion',
      currentVersion: current,
    });
  }
}

/**
 * Serialises changes of a company's names: locks the company row (PostgreSQL; SQLite runs transactions one at a
 * time), as `ModelChanges.begin` already does for the changes it records. Call it first in a transaction that
 * changes a name of kinds whose changes are not recorded there (schedules, call flows), so the company is, as
 * everywhere, the first lock taken. Locking it again in the same transaction is free.
 */
export async function lockCompanyNames(manager: EntityManager, companyId: string): Promise<void> {
  if (manager.connection.options.type !== 'postgres' || !manager.queryRunner?.isTransactionActive) return;
  // FOR NO KEY UPDATE, the lock ModelChanges.begin's UPDATE takes: it does not block inserts referring to the company.
  await manager.getRepository(Company).createQueryBuilder('c').select('c.id').where('c.id = :companyId', { companyId })
    .setLock('for_no_key_update').getOne();
}

/**
 * Refuses a name already used by another row of the same kind in the company with CONFLICT. Names are the same
 * when their keys are (`nameKey`: NFKC, case-folded, white space collapsed), which no collation answers alike
 * on SQLite and PostgreSQL: so the company's names of that kind are compared here, under the company lock
 * (`lockCompanyNames`) that serialises every change of them. A row keeping its own name (in key terms) is never
 * refused, so rows named alike before this rule can still be changed.
 */
export async function assertNameFree<T extends ObjectLiteral>(
  manager: EntityManager,
  entity: EntityTarget<T>,
  companyId: string,
  column: string,
  value: string,
  exceptId: string | null,
  field: string,
): Promise<void> {
  await lockCompanyNames(manager, companyId);
  const key = nameKey(value);
  const rows = await manager.getRepository(entity).createQueryBuilder('r')
    .select('r.id', 'id').addSelect(`r.${column}`, 'name')
    .where('r.companyId = :companyId', { companyId })
    .getRawMany<{ id: string; name: string }>();
  if (exceptId !== null && rows.some((r) => r.id === exceptId && nameKey(r.name) === key)) return;
  // The other row's own spelling is not shown: it may be a destination the caller may not see.
  if (rows.some((r) => r.id !== exceptId && nameKey(r.name) === key)) {
    throw errors.conflict(`"${value}" is already used in this company (names are compared ignoring letter case and Unicode variants)`, { field });
  }
}

export interface PageArgs {
  first?: number | null;
  after?: string | null;
}

export interface Page<T> {
  nodes: T[];
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
  totalCount: number;
}

export const PAGE_DEFAULT = 50;
export const PAGE_MAX = 500;

/** One page of every row of a company, ordered by `sortColumn` (see paginate). */
export function listOwned<T extends ObjectLiteral & { id: string; companyId: string }>(
  dataSource: DataSource,
  entity: EntityTarget<T>,
  companyId: string,
  sortColumn: string,
  page: PageArgs,
): Promise<Page<T>> {
  return paginate(dataSource.getRepository(entity).createQueryBuilder('r').where('r.companyId = :companyId', { companyId }), sortColumn, page);
}

/**
 * One page of a company-scoped list, ordered by `sortColumn` then id, with an opaque keyset cursor (stable
 * under inserts, unlike offsets). `qb` already holds every filter.
 */
export async function paginate<T extends ObjectLiteral & { id: string }>(
  qb: SelectQueryBuilder<T>,
  sortColumn: string,
  args: PageArgs,
): Promise<Page<T>> {
  const first = pageSize(args);
  const alias = qb.alias;
  const totalCount = await qb.clone().getCount();
  if (args.after) {
    const [key, id] = decodeCursor(args.after);
    qb.andWhere(`(${alias}.${sortColumn} > :cursorKey OR (${alias}.${sortColumn} = :cursorKey AND ${alias}.id > :cursorId))`, {
      cursorKey: key,
      cursorId: id,
    });
  }
  const rows = await qb.orderBy(`${alias}.${sortColumn}`, 'ASC').addOrderBy(`${alias}.id`, 'ASC').take(first + 1).getMany();
  const nodes = rows.slice(0, first);
  const last = nodes[nodes.length - 1];
  return {
    nodes,
    pageInfo: { hasNextPage: rows.length > first, endCursor: last ? encodeCursor(String(last[sortColumn]), last.id) : null },
    totalCount,
  };
}

/**
 * One page of rows held in memory, already ordered by name then id in code-point order (the order
 * `paginate` reads them in from SQLite and from PostgreSQL's C collation), with the same cursors.
 */
export function pageOfRows<T extends { id: string; name: string }>(rows: readonly T[], args: PageArgs): Page<T> {
  const first = pageSize(args);
  let start = 0;
  if (args.after) {
    const [key, id] = decodeCursor(args.after);
    // The first row after the cursor: binary search over (name, id).
    let lo = 0;
    let hi = rows.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const row = rows[mid]!;
      if ((compareCodePoints(row.name, key) || compareCodePoints(row.id, id)) <= 0) lo = mid + 1;
      else hi = mid;
    }
    start = lo;
  }
  const nodes = rows.slice(start, start + first);
  const last = nodes[nodes.length - 1];
  return {
    nodes,
    pageInfo: { hasNextPage: start + first < rows.length, endCursor: last ? encodeCursor(last.name, last.id) : null },
    totalCount: rows.length,
  };
}

function pageSize(args: PageArgs): number {
  const first = args.first ?? PAGE_DEFAULT;
  if (!Number.isInteger(first) || first < 1 || first > PAGE_MAX) {
    throw errors.badInput([{ field: 'first', message: `must be from 1 to ${PAGE_MAX}` }]);
  }
  return first;
}

function encodeCursor(key: string, id: string): string {
  return Buffer.from(JSON.stringify([key, id])).toString('base64url');
}

function decodeCursor(cursor: string): [string, string] {
  try {
    const value: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    // Sort keys are names, which never hold control characters; a forged one must not reach the database.
    if (Array.isArray(value) && value.length === 2 && typeof value[0] === 'string' && !/[\u0000-\u001f]/.test(value[0])
      && typeof value[1] === 'string' && isId(value[1])) {
      return [value[0], value[1]];
    }
  } catch {
    // fall through to the coded error
  }
  throw errors.badInput([{ field: 'after', message: 'is not a cursor returned by this list' }]);
}

/** Rows one deleting statement of deleteInBatches removes at most: a large backlog goes in short statements, not one long lock. */
const DELETE_BATCH = 5_000;

/**
 * Deletes the rows of `table` that `where` selects (over every company: records kept for a while only), in
 * statements of at most DELETE_BATCH rows each; answers how many.
 */
export async function deleteInBatches(dataSource: DataSource, table: string, where: string, parameters: Record<string, unknown>): Promise<number> {
  let total = 0;
  for (;;) {
    const result = await dataSource.createQueryBuilder().delete().from(table)
      .where(`"id" IN (SELECT t."id" FROM "${table}" t WHERE ${where} LIMIT ${DELETE_BATCH})`, parameters)
      .execute();
    const n = result.affected ?? 0;
    total += n;
    if (n < DELETE_BATCH) return total;
  }
}
