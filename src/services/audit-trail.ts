import type { Logger } from 'pino';
import type { DataSource, EntityManager } from 'typeorm';
import type { PlatformPrincipal, RequestInfo, UserPrincipal } from '../auth/principal';
import type { Agent } from '../entities/agent.entity';
import type { AlertThresholds } from '../entities/alert.entity';
import type { AgentGroup } from '../entities/agent-group.entity';
import { AuditEntry, type AuditAction, type AuditEntityKind } from '../entities/audit-entry.entity';
import type { StoredFlowNode } from '../entities/call-flow.entity';
import type { Company } from '../entities/company.entity';
import type { ConnectorApiKey } from '../entities/connector-api-key.entity';
import type { ExternalDestination } from '../entities/external-destination.entity';
import type { ExternalDestinationsProfile } from '../entities/external-destinations-profile.entity';
import type { Queue, QueueGroup } from '../entities/queue.entity';
import type { Role } from '../entities/role.entity';
import { UserLogin } from '../entities/user-login.entity';
import { loggableError } from '../errors';
import { compareCodePoints } from '../platform/code-point-order';
import { beforeCommit, inTransaction } from '../store/persistence';

type Snapshot = Record<string, unknown>;
type Named = Pick<ExternalDestination, 'id' | 'name'>;

const byNameThenId = (a: Named, b: Named) => compareCodePoints(a.name, b.name) || compareCodePoints(a.id, b.id);
const sortedIds = (rows: ReadonlyArray<{ id: string }>) => rows.map((r) => r.id).sort(compareCodePoints);
/** Destinations referred to by a list, in the API's shape (ExternalDestinationRef), as a reader who sees them all reads it. */
const destinationRefs = (rows: readonly Named[]) =>
  [...rows].sort(byNameThenId).map((d) => ({ hidden: false, destination: { id: d.id, name: d.name } }));
const schedule = (s: { name: string; timeZone: string; rules?: unknown; holidays?: unknown }) =>
  ({ name: s.name, timeZone: s.timeZone, ...(s.rules === undefined ? {} : { rules: s.rules }), ...(s.holidays === undefined ? {} : { holidays: s.holidays }) });

/**
 * What an entry keeps of each kind of object: its configuration as a reader who may see everything reads it
 * through the API (a destination referred to by a list as `{ hidden, destination }`, by a flow node as
 * `externalDestinationId` with `externalDestinationHidden`), so that a reader's scope hides it the same way
 * (AuditLogService). Only the fields named here are kept: password hashes, key secrets and token versions never.
 */
const SNAPSHOTS = {
  COMPANY: (c: Pick<Company, 'name' | 'slug' | 'timeZone'>) => ({ name: c.name, slug: c.slug, timeZone: c.timeZone }),
  ROLE: (r: Pick<Role, 'name' | 'privileges'>) => ({ name: r.name, privileges: { ...r.privileges } }),
  USER_LOGIN: (u: Pick<UserLogin, 'username' | 'kind' | 'active' | 'externalDestinationsProfileId'> & { roles: ReadonlyArray<{ id: string }> }) =>
    ({ username: u.username, kind: u.kind, active: u.active, roleIds: sortedIds(u.roles), externalDestinationsProfileId: u.externalDestinationsProfileId }),
  EXTERNAL_DESTINATIONS_PROFILE: (p: Pick<ExternalDestinationsProfile, 'name' | 'scope'> & { destinations: readonly Named[] }) =>
    ({ name: p.name, scope: p.scope, destinations: destinationRefs(p.destinations) }),
  CONNECTOR_API_KEY: (k: Pick<ConnectorApiKey, 'name' | 'revokedAt'>) => ({ name: k.name, revokedAt: k.revokedAt }),
  EXTERNAL_DESTINATION: (d: ExternalDestination) => ({
    name: d.name, description: d.description, enabled: d.enabled, numberMode: d.numberMode, number: d.number, prefix: d.prefix,
    lastDigits: d.lastDigits, matchPrefix: d.matchPrefix, maxSimultaneousCalls: d.maxSimultaneousCalls, outdialTimeoutSec: d.outdialTimeoutSec,
    busyBackoffSec: d.busyBackoffSec, noAnswerBackoffSec: d.noAnswerBackoffSec, failureBackoffSec: d.failureBackoffSec,
    retryIntervalSec: d.retryIntervalSec, maxConsecutiveFailures: d.maxConsecutiveFailures,
    probe: (d.probeIntervalSec ?? null) === null ? null
      : { intervalSec: d.probeIntervalSec, timeoutSec: d.probeTimeoutSec, successesToResume: d.probeSuccessesToResume, number: d.probeNumber },
  }),
  AGENT: (a: Pick<Agent, 'name' | 'userLoginId'>) => ({ name: a.name, userLoginId: a.userLoginId }),
  AGENT_GROUP: (g: { name: string; agents: ReadonlyArray<{ id: string }>; externalDestinations: readonly Named[] }
    & Partial<Pick<AgentGroup, 'externalDistribution' | 'destinationShares' | 'shareWindow'>>) => ({
    name: g.name, agentIds: sortedIds(g.agents), externalDestinations: destinationRefs(g.externalDestinations),
    externalDistribution: g.externalDistribution ?? 'MOST_SPARE', shareWindow: g.shareWindow ?? 100,
    // Targets as references (a reader who may not see a destination reads neither it nor its target).
    externalDestinationShares: destinationRefs(g.externalDestinations.filter((d) => g.destinationShares?.[d.id] !== undefined))
      .map((ref) => ({ ...ref, percent: g.destinationShares![ref.destination!.id]! })),
  }),
  QUEUE: (q: Pick<Queue, 'name' | 'agentRingTimeoutSec' | 'agentRetrySec' | 'wrapUpSec' | 'maxQueueLength' | 'maxWaitSec'> & Partial<Pick<Queue, 'returnedCallsToExternal'>>
    & { groups: ReadonlyArray<Pick<QueueGroup, 'groupId' | 'priority' | 'queueLengthAbove' | 'oldestWaitAboveSec' | 'noAgentsLoggedIn'>> }) => ({
    name: q.name, agentRingTimeoutSec: q.agentRingTimeoutSec, agentRetrySec: q.agentRetrySec, wrapUpSec: q.wrapUpSec,
    maxQueueLength: q.maxQueueLength, maxWaitSec: q.maxWaitSec, returnedCallsToExternal: q.returnedCallsToExternal ?? false,
    groups: [...q.groups].sort((a, b) => a.priority - b.priority).map((g) => ({
      groupId: g.groupId, priority: g.priority, queueLengthAbove: g.queueLengthAbove, oldestWaitAboveSec: g.oldestWaitAboveSec, noAgentsLoggedIn: g.noAgentsLoggedIn,
    })),
  }),
  CAPACITY_POOL: (p: { name: string; maxSimultaneousCalls: number; externalDestinations: readonly Named[] }) =>
    ({ name: p.name, maxSimultaneousCalls: p.maxSimultaneousCalls, externalDestinations: destinationRefs(p.externalDestinations) }),
  TIME_RANGE: schedule,
  HOLIDAY_LIST: schedule,
  CALL_FLOW: (f: { name: string; serviceNumbers: readonly string[]; nodes: readonly StoredFlowNode[]; publishedVersion: number | null }) => ({
    name: f.name, serviceNumbers: [...f.serviceNumbers].sort(compareCodePoints),
    nodes: f.nodes.map((n) => ({ ...n, externalDestinationHidden: false })), publishedVersion: f.publishedVersion,
  }),
  ALERT_THRESHOLDS: (t: Pick<AlertThresholds, 'queueOldestWaitSec' | 'queueServiceLevelBelow' | 'destinationBackoffs' | 'destinationBackoffWindowMin'>) => ({
    queueOldestWaitSec: t.queueOldestWaitSec, queueServiceLevelBelow: t.queueServiceLevelBelow,
    destinationBackoffs: t.destinationBackoffs, destinationBackoffWindowMin: t.destinationBackoffWindowMin,
  }),
} satisfies Record<AuditEntityKind, (subject: never) => Snapshot>;

/** What a service hands over for each kind: the object (or the parts of it that its snapshot keeps). */
export type AuditSubject<K extends AuditEntityKind> = Parameters<(typeof SNAPSHOTS)[K]>[0];

/** One change a service records: the object before (null for a creation) and after (null for a deletion). */
export interface AuditedChange<K extends AuditEntityKind> {
  kind: K;
  id: string | null;
  action: AuditAction;
  before?: AuditSubject<K> | null;
  after?: AuditSubject<K> | null;
}

/** At most this many sign-in failures of one company are recorded per minute on one instance; the rest are only logged. */
export const SIGN_IN_FAILURES_PER_MINUTE = 60;
/** Longest text kept of a username that was tried (a failed sign-in). */
const TRIED_NAME_MAX = 100;

/**
 * Who makes a change, in which company: a user (as the GraphQL edge hands it to services, with its request), or
 * the platform operator provisioning a company (none: the demo seed's provisioning, recorded as SYSTEM).
 */
export type ChangedBy = UserPrincipal | { companyId: string; platform: PlatformPrincipal | null };

type Row = Pick<AuditEntry, 'companyId' | 'entityKind' | 'entityId' | 'action' | 'before' | 'after'>;
type Actor = Pick<AuditEntry, 'actorKind' | 'actorId' | 'actorName' | 'requestId' | 'clientAddress'>;

/**
 * THE audit trail (decision 031): every configuration change and security event of a company is recorded here,
 * in the system of record. Changes are recorded in the transaction that makes them (a `beforeCommit` hook writes
 * the transaction's entries after its work, so a change that rolls back leaves none, and none commits without
 * them), with who made them and in which request (`ChangedBy`, the principal's `request`). Values are JSON of
 * the fields that changed, taken through SNAPSHOTS, so no secret is ever written.
 */
export class AuditTrail {
  /** The minute and count of sign-in failures recorded per company on this instance. */
  private readonly failures = new Map<string, { minute: number; count: number }>();

  constructor(
    private readonly dataSource: DataSource,
    private readonly now: () => number,
    private readonly logger: Logger,
  ) {}

  /**
   * Records a change made in the transaction `m` (inTransaction's); written just before it commits. Of an
   * object before and after, only the fields that changed are kept; an UPDATED that changed nothing is not a
   * change and is not recorded.
   */
  record<K extends AuditEntityKind>(m: EntityManager, by: ChangedBy, change: AuditedChange<K>): void {
    const pending = beforeCommit(m, 'audit-trail', () => ({ by, rows: [] as Row[] }), (p) => this.write(m, p.by, p.rows));
    const snapshot = SNAPSHOTS[change.kind] as (subject: AuditSubject<K>) => Snapshot;
    let before = change.before ? snapshot(change.before) : null;
    let after = change.after ? snapshot(change.after) : null;
    if (before !== null && after !== null) {
      const changed = changedOnly(before, after);
      if (changed === null && change.action === 'UPDATED') return;
      [before, after] = changed ?? [null, null];
    }
    pending.rows.push({
      companyId: by.companyId, entityKind: change.kind, entityId: change.id, action: change.action,
      before: before === null ? null : JSON.stringify(before), after: after === null ? null : JSON.stringify(after),
    });
  }

  /**
   * A failed sign-in into an existing company (`userId`: the login the username names, if any), in a write of
   * its own. Only failures the throttle let through reach here, and at most SIGN_IN_FAILURES_PER_MINUTE per
   * company and minute on this instance are recorded, so a flood cannot grow the log without bound (every
   * failure is logged anyway). A failure to record is logged, and the sign-in is still refused as it was.
   */
  async signInFailed(companyId: string, userId: string | null, username: string, address: string | null, requestId: string | null): Promise<void> {
    const now = this.now();
    if (!this.admitFailure(companyId, now)) return;
    const row: Row & Actor & Pick<AuditEntry, 'at'> = {
      companyId, entityKind: 'USER_LOGIN', entityId: userId, action: 'SIGN_IN_FAILED', before: null, after: null, at: new Date(now),
      actorKind: 'ANONYMOUS', actorId: null, actorName: triedName(username),
      requestId: requestId?.slice(0, 64) ?? null, clientAddress: address?.slice(0, 64) ?? null,
    };
    try {
      await inTransaction(this.dataSource, (m) => m.getRepository(AuditEntry).insert(row));
    } catch (err) {
      this.logger.warn({ err: loggableError(err), companyId }, 'recording a failed sign-in in the audit log failed');
    }
  }

  private admitFailure(companyId: string, now: number): boolean {
    const minute = Math.floor(now / 60_000);
    const seen = this.failures.get(companyId);
    if (seen === undefined || seen.minute !== minute) {
      this.failures.set(companyId, { minute, count: 1 });
      return true;
    }
    if (seen.count >= SIGN_IN_FAILURES_PER_MINUTE) return false;
    seen.count += 1;
    return true;
  }

  private async write(m: EntityManager, by: ChangedBy, rows: Row[]): Promise<void> {
    if (rows.length === 0) return;
    const actor = await actorOf(m, by);
    const at = new Date(this.now());
    await m.getRepository(AuditEntry).insert(rows.map((r) => ({ ...r, ...actor, at })));
  }
}

/** A username a failed sign-in tried, as kept: its first characters, control and format characters replaced (it is anyone's text). */
function triedName(username: string): string {
  return [...username].slice(0, TRIED_NAME_MAX).join('').replace(/[\p{Cc}\p{Cf}]/gu, '\uFFFD');
}

/** The request columns of an entry. */
function requestColumns(request: RequestInfo | undefined): Pick<AuditEntry, 'requestId' | 'clientAddress'> {
  return { requestId: request?.id.slice(0, 64) ?? null, clientAddress: request?.clientAddress?.slice(0, 64) ?? null };
}

/** Who made the changes of a transaction: a user (with its username), the platform operator, or the system. */
async function actorOf(m: EntityManager, by: ChangedBy): Promise<Actor> {
  if ('platform' in by) {
    return by.platform === null
      ? { actorKind: 'SYSTEM', actorId: null, actorName: null, ...requestColumns(undefined) }
      : { actorKind: 'PLATFORM', actorId: null, actorName: null, ...requestColumns(by.platform.request) };
  }
  const user = await m.getRepository(UserLogin).findOne({ where: { id: by.userId }, select: { id: true, username: true } });
  return { actorKind: 'USER', actorId: by.userId, actorName: user?.username ?? null, ...requestColumns(by.request) };
}

/** The fields whose values differ, before and after; null when none does. */
function changedOnly(before: Snapshot, after: Snapshot): [Snapshot, Snapshot] | null {
  const b: Snapshot = {};
  const a: Snapshot = {};
  for (const key of new Set([...Object.keys(before), ...Object.keys(after)])) {
    if (JSON.stringify(before[key]) === JSON.stringify(after[key])) continue;
    b[key] = before[key];
    a[key] = after[key];
  }
  return Object.keys(a).length === 0 ? null : [b, a];
}
