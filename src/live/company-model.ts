import type { Agent } from '../entities/agent.entity';
import type { AgentGroup } from '../entities/agent-group.entity';
import type { Company } from '../entities/company.entity';
import type { ExternalDestination } from '../entities/external-destination.entity';
import type { ExternalDestinationsProfile } from '../entities/external-destinations-profile.entity';
import type { CapacityPool } from '../entities/capacity-pool.entity';
import type { Queue, QueueGroup } from '../entities/queue.entity';
import type { Role } from '../entities/role.entity';
import type { UserKind } from '../entities/enums';
import { effectivePrivileges, type ConnectorPrincipal, type UserPrincipal } from '../auth/principal';
import { secretsEqual } from '../auth/secrets';
import { compareCodePoints } from '../platform/code-point-order';

/**
 * One company as an instance holds it in memory: its authority (users, roles, profiles, connector keys) and
 * the configuration reads are served from (destinations, groups, queues, agents), at one authority version.
 * Pure: it is filled from rows a loader read, and answers principals and reads with no I/O. Rows it hands
 * out are shared by every request and must not be changed by readers.
 */

/** What the model keeps of a user login: never its password hash. */
export interface UserRecord {
  readonly id: string;
  readonly companyId: string;
  readonly kind: UserKind;
  readonly active: boolean;
  readonly tokenVersion: number;
  readonly profileId: string | null;
  readonly roleIds: readonly string[];
}

export interface ProfileRecord {
  readonly row: ExternalDestinationsProfile;
  readonly destinationIds: ReadonlySet<string>;
}

export interface KeyRecord {
  readonly id: string;
  readonly companyId: string;
  readonly secretHash: string;
  readonly revoked: boolean;
}

export interface GroupRecord {
  readonly row: AgentGroup;
  readonly agentIds: readonly string[];
  readonly destinationIds: readonly string[];
}

export interface QueueRecord {
  readonly row: Queue;
  /** By priority. */
  readonly groups: readonly QueueGroup[];
}


/**
 * Rows read for a model: per kind, either every row of the company (`ids` null) or the rows of the listed
 * ids (an id without a row was deleted). A kind left out is unchanged.
 */
export interface ModelRows {
  company?: { row: Company | null };
  users?: Slice<UserRecord>;
  roles?: Slice<Role>;
  profiles?: Slice<ProfileRecord>;
  keys?: Slice<KeyRecord>;
  destinations?: Slice<ExternalDestination>;
  groups?: Slice<GroupRecord>;
  queues?: Slice<QueueRecord>;
  agents?: Slice<Agent>;
  pools?: Slice<CapacityPool>;
}

export interface Slice<T> {
  /** null: these are all rows of the company. */
  readonly ids: readonly string[] | null;
  readonly rows: readonly T[];
}

type Keyed = { readonly id: string };
const idOf = (x: { id: string } | { row: { id: string } }): string => ('row' in x ? x.row.id : x.id);

/** Orders rows as lists page them: by name, then by id. */
export function byNameThenId(a: { name: string; id: string }, b: { name: string; id: string }): number {
  return compareCodePoints(a.name, b.name) || compareCodePoints(a.id, b.id);
}

/** Principals per token kept between two changes of a company. */
const TOKENS_MAX = 10_000;

/** Orders members of a group or profile as they were always shown: by name, in the runtime's collation. */
const byLocaleName = (a: { name: string }, b: { name: string }) => a.name.localeCompare(b.name);

export class CompanyModel {
  company: Company | null = null;
  readonly users = new Map<string, UserRecord>();
  readonly roles = new Map<string, Role>();
  readonly profiles = new Map<string, ProfileRecord>();
  readonly keys = new Map<string, KeyRecord>();
  readonly destinations = new Map<string, ExternalDestination>();
  readonly groups = new Map<string, GroupRecord>();
  readonly queues = new Map<string, QueueRecord>();
  readonly agents = new Map<string, Agent>();
  readonly pools = new Map<string, CapacityPool>();

  /** Answers derived from the rows, built on first use and dropped by every change. */
  private derived = new Derived();

  constructor(
    readonly companyId: string,
    /** The authority version these rows are at (or newer than). */
    public version: number,
  ) {}

  /** Applies rows a loader read (all of the company, or a change's); derived answers are rebuilt on next use. */
  apply(rows: ModelRows, version: number): void {
    if (rows.company !== undefined) this.company = rows.company.row;
    replace(this.users, rows.users);
    replace(this.roles, rows.roles);
    replace(this.keys, rows.keys);
    replace(this.queues, rows.queues);
    replace(this.pools, rows.pools);
    const goneDestinations = replace(this.destinations, rows.destinations);
    const goneAgents = replace(this.agents, rows.agents);
    replace(this.profiles, rows.profiles);
    replace(this.groups, rows.groups);
    // What the database's cascades did to the rows not re-read: a deleted destination leaves its groups and
    // profiles, a deleted agent its groups, a deleted user its agent.
    if (goneDestinations.length > 0 || goneAgents.length > 0) {
      const gone = new Set([...goneDestinations, ...goneAgents]);
      for (const [id, g] of this.groups) {
        if (g.agentIds.some((a) => gone.has(a)) || g.destinationIds.some((d) => gone.has(d))) {
          this.groups.set(id, { row: g.row, agentIds: g.agentIds.filter((a) => !gone.has(a)), destinationIds: g.destinationIds.filter((d) => !gone.has(d)) });
        }
      }
      for (const [id, p] of this.profiles) {
        if (goneDestinations.some((d) => p.destinationIds.has(d))) {
          this.profiles.set(id, { row: p.row, destinationIds: new Set([...p.destinationIds].filter((d) => !gone.has(d))) });
        }
      }
    }
    if (rows.users !== undefined && rows.users.ids !== null) {
      for (const userId of rows.users.ids) {
        if (this.users.has(userId)) continue;
        for (const [id, agent] of this.agents) {
          if (agent.userLoginId === userId) this.agents.set(id, Object.assign(Object.create(Object.getPrototypeOf(agent) as object) as Agent, agent, { userLoginId: null }));
        }
      }
    }
    this.version = Math.max(this.version, version);
    this.derived = new Derived();
  }

  /** The company's capacity pools, by name then id. */
  poolsByName(): CapacityPool[] {
    return [...this.pools.values()].sort(byNameThenId);
  }

  /** The destinations of a capacity pool, by name. */
  destinationsOfPool(poolId: string): ExternalDestination[] {
    return [...this.destinations.values()].filter((d) => d.capacityPoolId === poolId).sort(byLocaleName);
  }

  // ---------------------------------------------------------------- principals

  /**
   * The principal a user token stands for now: null when the company or login is gone, the login inactive,
   * or the token's version no longer the login's (re-passworded, deactivated).
   */
  userPrincipal(userId: string, tokenVersion: number, tokenExp: number): UserPrincipal | null {
    if (this.company === null) return null;
    let base = this.derived.principals.get(userId);
    if (base === undefined) {
      const user = this.users.get(userId);
      base = user === undefined || !user.active ? null : this.buildPrincipal(user);
      this.derived.principals.set(userId, base);
    }
    if (base === null || base.tokenVersion !== tokenVersion) return null;
    // One object per token (a principal also carries its token's expiry), so what is derived from it is kept.
    const key = `${userId}:${tokenExp}`;
    let principal = this.derived.tokens.get(key);
    if (principal === undefined) {
      principal = { ...base, tokenExp };
      // Tokens of a company seen since its last change; expired ones are not looked for, so a bound suffices.
      if (this.derived.tokens.size >= TOKENS_MAX) this.derived.tokens.clear();
      this.derived.tokens.set(key, principal);
    }
    return principal;
  }

  private buildPrincipal(user: UserRecord): UserPrincipal {
    const roles = user.roleIds.map((id) => this.roles.get(id)).filter((r): r is Role => r !== undefined);
    const profile = user.profileId === null ? undefined : this.profiles.get(user.profileId);
    return {
      kind: 'user',
      companyId: this.companyId,
      userId: user.id,
      userKind: user.kind,
      privileges: effectivePrivileges(user.kind, roles),
      profile: profile === undefined ? null : { id: profile.row.id, scope: profile.row.scope, destinationIds: profile.destinationIds },
      tokenExp: 0,
      tokenVersion: user.tokenVersion,
    };
  }

  /** The principal of a connector key whose secret hashes to `secretHash`: null when unknown, revoked or wrong. */
  connectorPrincipal(keyId: string, secretHash: string): ConnectorPrincipal | null {
    if (this.company === null) return null;
    const key = this.keys.get(keyId);
    if (key === undefined || key.revoked || !secretsEqual(secretHash, key.secretHash)) return null;
    let principal = this.derived.connectors.get(keyId);
    if (principal === undefined) {
      principal = { kind: 'connector', companyId: this.companyId, keyId };
      this.derived.connectors.set(keyId, principal);
    }
    return principal;
  }

  /** Whether a connector key may still act (exists, not revoked). */
  keyValid(keyId: string): boolean {
    const key = this.keys.get(keyId);
    return this.company !== null && key !== undefined && !key.revoked;
  }

  // ---------------------------------------------------------------- reads

  /** Every destination of the company, by name then id. */
  destinationsByName(): readonly ExternalDestination[] {
    return (this.derived.destinationsByName ??= [...this.destinations.values()].sort(byNameThenId));
  }

  /**
   * The destinations of a set of ids (a SELECTED profile's, as a principal carries it), by name then id;
   * kept per set object, so every principal of a profile shares one list and a principal that still carries
   * an older set gets the list of that set.
   */
  destinationsOf(ids: ReadonlySet<string>): readonly ExternalDestination[] {
    let list = this.derived.destinationsOfSet.get(ids);
    if (list === undefined) {
      list = [...ids].map((id) => this.destinations.get(id)).filter((d): d is ExternalDestination => d !== undefined).sort(byNameThenId);
      this.derived.destinationsOfSet.set(ids, list);
    }
    return list;
  }

  groupsByName(): readonly AgentGroup[] {
    return (this.derived.groupsByName ??= [...this.groups.values()].map((g) => g.row).sort(byNameThenId));
  }

  queuesByName(): readonly Queue[] {
    return (this.derived.queuesByName ??= [...this.queues.values()].map((q) => q.row).sort(byNameThenId));
  }

  agentsByName(): readonly Agent[] {
    return (this.derived.agentsByName ??= [...this.agents.values()].sort(byNameThenId));
  }

  /** The agents of a group, by name. */
  agentsOfGroup(groupId: string): Agent[] {
    return this.members(this.groups.get(groupId)?.agentIds, this.agents);
  }

  /** Every destination of a group (visible or not: the caller decides what to show), by name. */
  destinationsOfGroup(groupId: string): ExternalDestination[] {
    return this.members(this.groups.get(groupId)?.destinationIds, this.destinations);
  }

  /** Every destination a profile lists, by name. */
  destinationsOfProfile(profileId: string): ExternalDestination[] {
    const profile = this.profiles.get(profileId);
    return this.members(profile === undefined ? undefined : [...profile.destinationIds], this.destinations);
  }

  /** The groups a destination belongs to, by name. */
  groupsOfDestination(destinationId: string): AgentGroup[] {
    let index = this.derived.groupsOfDestination;
    if (index === undefined) {
      index = new Map();
      for (const g of this.groups.values()) {
        for (const d of g.destinationIds) {
          let list = index.get(d);
          if (list === undefined) index.set(d, (list = []));
          list.push(g.row);
        }
      }
      for (const list of index.values()) list.sort(byLocaleName);
      this.derived.groupsOfDestination = index;
    }
    return index.get(destinationId) ?? [];
  }

  /** The roles of a user, by name. */
  rolesOfUser(userId: string): Role[] {
    return this.members(this.users.get(userId)?.roleIds, this.roles);
  }

  /** A queue's groups in priority order. */
  groupsOfQueue(queueId: string): readonly QueueGroup[] {
    return this.queues.get(queueId)?.groups ?? [];
  }

  private members<T extends Keyed & { name: string }>(ids: readonly string[] | undefined, rows: ReadonlyMap<string, T>): T[] {
    if (ids === undefined) return [];
    return ids.map((id) => rows.get(id)).filter((r): r is T => r !== undefined).sort(byLocaleName);
  }
}

class Derived {
  readonly principals = new Map<string, UserPrincipal | null>();
  readonly tokens = new Map<string, UserPrincipal>();
  readonly connectors = new Map<string, ConnectorPrincipal>();
  readonly destinationsOfSet = new WeakMap<ReadonlySet<string>, readonly ExternalDestination[]>();
  destinationsByName: readonly ExternalDestination[] | undefined;
  groupsByName: readonly AgentGroup[] | undefined;
  queuesByName: readonly Queue[] | undefined;
  agentsByName: readonly Agent[] | undefined;
  groupsOfDestination: Map<string, AgentGroup[]> | undefined;
}

/** Replaces a map's rows with a slice's; returns the ids the slice deleted. */
function replace<T extends Keyed | { row: Keyed }>(map: Map<string, T>, slice: Slice<T> | undefined): string[] {
  if (slice === undefined) return [];
  const gone: string[] = [];
  if (slice.ids === null) {
    const present = new Set(slice.rows.map(idOf));
    for (const id of map.keys()) if (!present.has(id)) gone.push(id);
    map.clear();
  } else {
    const present = new Set(slice.rows.map(idOf));
    for (const id of slice.ids) {
      if (!present.has(id) && map.delete(id)) gone.push(id);
    }
  }
  for (const row of slice.rows) map.set(idOf(row), row);
  return gone;
}
