import type { DataSource, EntityManager } from 'typeorm';
import { DestinationScope } from '../auth/destination-scope';
import type { UserPrincipal } from '../auth/principal';
import { DestinationProbe } from '../entities/destination-probe.entity';
import { DESTINATION_LIMITS, ExternalDestination } from '../entities/external-destination.entity';
import { NumberMode } from '../entities/enums';
import { errors } from '../errors';
import { destinationState, probesNow, successesInARow, type DestinationState } from '../routing/destination-state';
import { isInternationalPrefix, isMatchPrefix } from '../routing/phone-number';
import type { LiveModels } from '../live/live-models';
import type { ModelChanges } from '../live/model-changes';
import type { AuditTrail } from './audit-trail';
import type { LiveState } from '../store/live-state';
import { destinationSnapshot } from '../engine/destination-snapshot';
import { systemScheduler, type Scheduler } from '../platform/scheduler';
import { flowsUsing } from './flow-references';
import type { RoutingHooks } from './routing-hooks';
import {
  assertNameFree, canonicalId, checkExpectedVersion, findOwned, inTransaction, type LockMode, pageOfRows, updateVersioned, type Page, type PageArgs,
} from '../store/persistence';
import { InputChecker } from '../input-checker';
import { endDestinationHold } from '../store/destination-hold';

/** Configuration of a destination as a client sends it. Absent (undefined) keeps the current value on update. */
export interface ExternalDestinationFields {
  name: string;
  description?: string | null;
  enabled?: boolean | null;
  numberMode: NumberMode;
  number?: string | null;
  prefix?: string | null;
  lastDigits?: number | null;
  matchPrefix?: string | null;
  maxSimultaneousCalls?: number | null;
  outdialTimeoutSec?: number | null;
  busyBackoffSec?: number | null;
  noAnswerBackoffSec?: number | null;
  failureBackoffSec?: number | null;
  retryIntervalSec?: number | null;
  maxConsecutiveFailures?: number | null;
  /** Health probing: absent keeps the current probe, null removes it (decision 037). */
  probe?: ProbeFields | null;
}

export interface ProbeFields {
  intervalSec?: number | null;
  timeoutSec?: number | null;
  successesToResume?: number | null;
  number?: string | null;
}

export interface ExternalDestinationFilter {
  nameContains?: string | null;
  enabled?: boolean | null;
}

type Config = Omit<ExternalDestination, 'id' | 'companyId' | 'company' | 'version' | 'createdAt' | 'updatedAt' | 'suspendedAt' | 'capacityPoolId'>;

const TIMEOUTS = [
  'outdialTimeoutSec', 'busyBackoffSec', 'noAnswerBackoffSec', 'failureBackoffSec', 'retryIntervalSec', 'maxConsecutiveFailures',
] as const;

/** Validates a destination's configuration against its current values (or defaults); every problem at once. */
function checkConfig(input: ExternalDestinationFields, current: Config | null): Config {
  const c = new InputChecker();
  const pick = <K extends keyof Config>(key: K, value: Config[K] | undefined, fallback: Config[K]): Config[K] =>
    value === undefined ? (current ? current[key] : fallback) : value;
  const mode = input.numberMode;
  const out: Config = {
    name: c.name('name', input.name),
    description: input.description === undefined ? (current?.description ?? null) : c.text('description', input.description, 250),
    enabled: input.enabled ?? current?.enabled ?? true,
    numberMode: mode,
    number: null,
    prefix: null,
    lastDigits: null,
    matchPrefix: null,
    maxSimultaneousCalls: c.optionalInt('maxSimultaneousCalls', pick('maxSimultaneousCalls', input.maxSimultaneousCalls, null), DESTINATION_LIMITS.maxSimultaneousCalls),
    outdialTimeoutSec: 0,
    busyBackoffSec: 0,
    noAnswerBackoffSec: 0,
    failureBackoffSec: 0,
    retryIntervalSec: 0,
    maxConsecutiveFailures: 0,
    probeIntervalSec: null,
    probeTimeoutSec: null,
    probeSuccessesToResume: null,
    probeNumber: null,
  };
  for (const key of TIMEOUTS) {
    const range = DESTINATION_LIMITS[key];
    out[key] = c.int(key, input[key] ?? (current ? current[key] : range.default), range);
  }
  const onlyFor = (modes: string) => `is used only by the ${modes} number mode${modes.includes(' or ') ? 's' : ''}`;
  if (mode === NumberMode.FULL_NUMBER) {
    out.number = c.phoneNumber('number', input.number ?? (current?.numberMode === mode ? current.number : null));
    c.absent('prefix', input.prefix, onlyFor('PREFIX_PLUS_LAST_DIGITS or PREFIX_REPLACING_MATCHED_PREFIX'));
    c.absent('lastDigits', input.lastDigits, onlyFor('PREFIX_PLUS_LAST_DIGITS'));
    c.absent('matchPrefix', input.matchPrefix, onlyFor('PREFIX_REPLACING_MATCHED_PREFIX'));
  } else {
    const same = current?.numberMode === mode;
    c.absent('number', input.number, onlyFor('FULL_NUMBER'));
    const prefix = input.prefix ?? (same ? current.prefix : null);
    if (!prefix) c.fail('prefix', 'is required');
    else if (!isInternationalPrefix(prefix)) c.fail('prefix', 'must be + followed by 1 to 15 digits (country code first)');
    out.prefix = prefix;
    if (mode === NumberMode.PREFIX_PLUS_LAST_DIGITS) {
      out.lastDigits = c.int('lastDigits', input.lastDigits ?? (same ? current.lastDigits : null), DESTINATION_LIMITS.lastDigits);
      c.absent('matchPrefix', input.matchPrefix, onlyFor('PREFIX_REPLACING_MATCHED_PREFIX'));
    } else {
      const match = input.matchPrefix ?? (same ? current.matchPrefix : null);
      if (!match) c.fail('matchPrefix', 'is required');
      else if (!isMatchPrefix(match)) c.fail('matchPrefix', 'must be 1 to 15 digits, optionally after +');
      out.matchPrefix = match;
      c.absent('lastDigits', input.lastDigits, onlyFor('PREFIX_PLUS_LAST_DIGITS'));
    }
  }
  Object.assign(out, checkProbe(c, input.probe, current, mode));
  c.done();
  return out;
}

type ProbeConfig = Pick<Config, 'probeIntervalSec' | 'probeTimeoutSec' | 'probeSuccessesToResume' | 'probeNumber'>;

/**
 * A destination's probe: left out keeps the current one, null removes it; given, each setting takes its
 * default when left out. The timeout must be shorter than the interval (one probe out at a time), and a probe
 * needs a number to dial: its own, or for FULL_NUMBER the destination's.
 */
function checkProbe(c: InputChecker, probe: ProbeFields | null | undefined, current: Config | null, mode: NumberMode): ProbeConfig {
  if (probe === undefined) {
    return current === null
      ? { probeIntervalSec: null, probeTimeoutSec: null, probeSuccessesToResume: null, probeNumber: null }
      : { probeIntervalSec: current.probeIntervalSec, probeTimeoutSec: current.probeTimeoutSec, probeSuccessesToResume: current.probeSuccessesToResume, probeNumber: current.probeNumber };
  }
  if (probe === null) return { probeIntervalSec: null, probeTimeoutSec: null, probeSuccessesToResume: null, probeNumber: null };
  const limits = DESTINATION_LIMITS;
  const interval = c.int('probe.intervalSec', probe.intervalSec ?? limits.probeIntervalSec.default, limits.probeIntervalSec);
  const timeout = c.int('probe.timeoutSec', probe.timeoutSec ?? Math.min(limits.probeTimeoutSec.default, interval - 1), limits.probeTimeoutSec);
  if (timeout >= interval) c.fail('probe.timeoutSec', `must be shorter than probe.intervalSec (${interval} s): one probe is out at a time`);
  const successes = c.int('probe.successesToResume', probe.successesToResume ?? limits.probeSuccessesToResume.default, limits.probeSuccessesToResume);
  const number = probe.number === null || probe.number === undefined ? null : c.phoneNumber('probe.number', probe.number);
  if (number === null && mode !== NumberMode.FULL_NUMBER) c.fail('probe.number', 'is required for the PREFIX_* number modes: the number a probe dials');
  return { probeIntervalSec: interval, probeTimeoutSec: timeout, probeSuccessesToResume: successes, probeNumber: number };
}

/** A destination's live state as clients see it. */
export interface DestinationLive {
  destinationId: string;
  seq: number;
  state: DestinationState;
  connectingCalls: number;
  activeCalls: number;
  maxSimultaneousCalls: number | null;
  backedOffUntil: Date | null;
  consecutiveFailures: number;
  at: Date;
}

/** External destinations: every read and change goes through the caller's DestinationScope. */
export class ExternalDestinationService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly live: LiveState,
    private readonly routing: RoutingHooks,
    private readonly models: LiveModels,
    private readonly changes: ModelChanges,
    private readonly audit: AuditTrail,
    /** The routing clock: live states are read at its instants, and a resume that ends a back-off early records its instant. */
    private readonly time: Scheduler = systemScheduler,
  ) {}

  /**
   * The live state of destinations the caller already may see (capacity across instances, health,
   * suspension): one batched read of each live-state store for all of them.
   */
  async liveStates(companyId: string, destinations: readonly ExternalDestination[], now = this.time.now()): Promise<DestinationLive[]> {
    const ids = destinations.map((d) => d.id);
    const [slots, health, seqs] = await Promise.all([
      this.live.capacity.countsMany(companyId, ids), this.live.health.getMany(companyId, ids), this.live.sequences.current(companyId, 'destination', ids),
    ]);
    return destinations.map((d) => {
        const counts = slots.get(d.id)!;
        const h = health.get(d.id)!;
        const snapshot = destinationSnapshot(d, counts, h);
        return {
          destinationId: d.id,
          seq: seqs.get(d.id) ?? 0,
          state: destinationState(snapshot, now),
          connectingCalls: counts.connecting,
          activeCalls: counts.active,
          maxSimultaneousCalls: d.maxSimultaneousCalls,
          backedOffUntil: h.backedOffUntil !== null && h.backedOffUntil > now ? new Date(h.backedOffUntil) : null,
          consecutiveFailures: h.consecutiveFailures,
          at: new Date(now),
        };
      });
  }

  /**
   * Puts a destination back in the pool: clears a suspension, any back-off and the failure count. Needs
   * the right to change it. Suspension is live state, so the configuration's version does not change.
   */
  async resume(actor: UserPrincipal, id: string): Promise<ExternalDestination> {
    const destination = await inTransaction(this.dataSource, async (m, tx) => {
      const changed = await this.changes.begin(m, tx, actor.companyId);
      const current = await this.getChangeable(actor, id, m);
      changed.add('destination', current.id);
      this.audit.record(m, actor, { kind: 'EXTERNAL_DESTINATION', id: current.id, action: 'RESUMED' });
      // Resuming clears the back-off too: the back-off still running ends now, so statistics count it up to here.
      await endDestinationHold(m, current.id, new Date(this.time.now()), true);
      return { ...current, suspendedAt: null } as ExternalDestination;
    });
    await this.live.health.reset(actor.companyId, destination.id);
    await this.routing.destinationChanged(actor.companyId, destination.id);
    await this.routing.resourcesFreed(actor.companyId, { destinationIds: [destination.id] });
    return destination;
  }

  /**
   * Where a destination's probing stands (one indexed read of its latest probes): whether probes are sent now
   * (a probe, and backed off or suspended), the latest probe, and the successes in a row (since the suspension
   * while suspended).
   */
  async probeStatus(companyId: string, destination: ExternalDestination): Promise<{ probing: boolean; lastProbe: DestinationProbe | null; consecutiveSuccesses: number }> {
    const now = this.time.now();
    const health = (await this.live.health.getMany(companyId, [destination.id])).get(destination.id);
    const probing = probesNow(destination, health?.backedOffUntil ?? null, now);
    const q = this.dataSource.getRepository(DestinationProbe).createQueryBuilder('p')
      .where('p.companyId = :companyId AND p.destinationId = :id', { companyId, id: destination.id });
    if (destination.suspendedAt !== null) q.andWhere('p.sentAt >= :since', { since: destination.suspendedAt });
    const recent = await q.orderBy('p.sentAt', 'DESC').addOrderBy('p.id', 'DESC').limit(DESTINATION_LIMITS.probeSuccessesToResume.max + 1).getMany();
    const lastProbe = recent[0] ?? (destination.suspendedAt === null ? null : await this.lastProbe(companyId, destination.id));
    return { probing, lastProbe, consecutiveSuccesses: successesInARow(recent.map((p) => p.outcome)) };
  }

  private lastProbe(companyId: string, destinationId: string): Promise<DestinationProbe | null> {
    return this.dataSource.getRepository(DestinationProbe).findOne({ where: { companyId, destinationId }, order: { sentAt: 'DESC', id: 'DESC' } });
  }

  /** A destination's probes sent in [from, to), by how they ended (one grouped count along its index). */
  async probeStatistics(companyId: string, destinationId: string, range: { from: number; to: number }): Promise<{ sent: number; succeeded: number; failed: number; timedOut: number; pending: number }> {
    const rows = await this.dataSource.getRepository(DestinationProbe).createQueryBuilder('p')
      .select('p.outcome', 'outcome').addSelect('COUNT(*)', 'n')
      .where('p.companyId = :companyId AND p.destinationId = :destinationId AND p.sentAt >= :from AND p.sentAt < :to', { companyId, destinationId, from: new Date(range.from), to: new Date(range.to) })
      .groupBy('p.outcome').getRawMany<{ outcome: string | null; n: string | number }>();
    const count = (outcome: string | null) => Number(rows.find((r) => r.outcome === outcome)?.n ?? 0);
    const out = { succeeded: count('SUCCEEDED'), failed: count('FAILED'), timedOut: count('TIMED_OUT'), pending: count(null) };
    return { sent: out.succeeded + out.failed + out.timedOut + out.pending, ...out };
  }

  /** One page of the destinations the caller may see, by name (from memory). */
  async list(actor: UserPrincipal, filter: ExternalDestinationFilter | null | undefined, page: PageArgs): Promise<Page<ExternalDestination>> {
    const model = this.models.peek(actor.companyId) ?? (await this.models.get(actor.companyId));
    let rows = DestinationScope.of(actor).visibleIn(model);
    if (filter?.nameContains) {
      const needle = foldAscii(filter.nameContains);
      rows = rows.filter((d) => foldAscii(d.name).includes(needle));
    }
    if (filter?.enabled !== null && filter?.enabled !== undefined) {
      const enabled = filter.enabled;
      rows = rows.filter((d) => d.enabled === enabled);
    }
    return pageOfRows(rows, page);
  }

  /**
   * A destination the caller may see, or NOT_FOUND (also for another company's id and hidden ones): from
   * memory, or from the database when a change reads it in its transaction (with a lock).
   */
  async get(actor: UserPrincipal, id: string, manager?: EntityManager, lock?: LockMode): Promise<ExternalDestination> {
    const destination = manager === undefined
      ? ((this.models.peek(actor.companyId) ?? (await this.models.get(actor.companyId))).destinations.get(canonicalId(id)) ?? null)
      : await findOwned(manager, ExternalDestination, actor.companyId, id, { what: 'External destination', lock });
    if (destination === null || !DestinationScope.of(actor).canSee(destination)) throw errors.notFound('External destination');
    return destination;
  }

  async create(actor: UserPrincipal, input: ExternalDestinationFields): Promise<ExternalDestination> {
    const scope = DestinationScope.of(actor);
    if (!scope.canModify) throw errors.forbidden('Defining external destinations needs the External destinations Modify privilege and a profile');
    const config = checkConfig(input, null);
    return inTransaction(this.dataSource, async (m, tx) => {
      const changed = await this.changes.begin(m, tx, actor.companyId);
      await assertNameFree(m, ExternalDestination, actor.companyId, 'name', config.name, null, 'input.name');
      const saved = await m.getRepository(ExternalDestination).save(m.create(ExternalDestination, { ...config, companyId: actor.companyId }));
      changed.add('destination', saved.id);
      this.audit.record(m, actor, { kind: 'EXTERNAL_DESTINATION', id: saved.id, action: 'CREATED', after: saved });
      // A user limited to SELECTED destinations keeps seeing what it creates: the destination joins its profile.
      if (scope.joinsProfileId !== null) {
        await m.createQueryBuilder().insert().into('profile_destination').values({ profileId: scope.joinsProfileId, destinationId: saved.id }).execute();
        changed.add('profile', scope.joinsProfileId);
      }
      return saved;
    });
  }

  async update(actor: UserPrincipal, id: string, input: ExternalDestinationFields, expectedVersion?: number | null): Promise<ExternalDestination> {
    const updated = await this.updateConfig(actor, id, input, expectedVersion);
    await this.routing.destinationChanged(actor.companyId, updated.id);
    await this.routing.destinationConfigured(actor.companyId, updated.id);
    return updated;
  }

  private updateConfig(actor: UserPrincipal, id: string, input: ExternalDestinationFields, expectedVersion?: number | null): Promise<ExternalDestination> {
    return inTransaction(this.dataSource, async (m, tx) => {
      const changed = await this.changes.begin(m, tx, actor.companyId);
      const current = await this.getChangeable(actor, id, m);
      changed.add('destination', current.id);
      checkExpectedVersion(current.version, expectedVersion);
      const config = checkConfig(input, current);
      await assertNameFree(m, ExternalDestination, actor.companyId, 'name', config.name, current.id, 'input.name');
      await updateVersioned(m, ExternalDestination, current.id, current.version, { ...config });
      const updated = await m.getRepository(ExternalDestination).findOneByOrFail({ id: current.id });
      this.audit.record(m, actor, { kind: 'EXTERNAL_DESTINATION', id: current.id, action: 'UPDATED', before: current, after: updated });
      return updated;
    });
  }

  /**
   * Deletes a destination that no group and no call flow uses; CONFLICT names the groups (`extensions.groups`)
   * and the flows (`extensions.callFlows`: a draft, a published version or a version a call in progress runs,
   * see flowsUsing) that still do, each as [{id, name}].
   */
  async delete(actor: UserPrincipal, id: string): Promise<string> {
    return inTransaction(this.dataSource, async (m, tx) => {
      const changed = await this.changes.begin(m, tx, actor.companyId);
      const current = await this.getChangeable(actor, id, m);
      changed.add('destination', current.id);
      const groups: Array<{ id: string; name: string }> = await m
        .createQueryBuilder()
        .select(['g.id AS id', 'g.name AS name'])
        .from('agent_group', 'g')
        .innerJoin('agent_group_destination', 'gd', 'gd.groupId = g.id')
        .where('gd.destinationId = :id', { id: current.id })
        .orderBy('g.name')
        .getRawMany();
      const flows = await flowsUsing(m, actor.companyId, 'destination', current.id);
      if (groups.length > 0 || flows.length > 0) {
        const users = [
          ...(groups.length > 0 ? [`agent groups: ${groups.map((g) => g.name).join(', ')}`] : []),
          ...(flows.length > 0 ? [`call flows: ${flows.map((f) => f.name).join(', ')}`] : []),
        ];
        throw errors.conflict(`The destination is used by ${users.join('; ')}`, {
          ...(groups.length > 0 ? { groups: groups.map((g) => ({ id: g.id, name: g.name })) } : {}),
          ...(flows.length > 0 ? { callFlows: flows } : {}),
        });
      }
      await m.getRepository(ExternalDestination).delete({ id: current.id });
      this.audit.record(m, actor, { kind: 'EXTERNAL_DESTINATION', id: current.id, action: 'DELETED', before: current });
      return current.id;
    });
  }

  /** A destination the caller may change: NOT_FOUND when it cannot see it, FORBIDDEN when it may only look. */
  private async getChangeable(actor: UserPrincipal, id: string, m: EntityManager): Promise<ExternalDestination> {
    const destination = await this.get(actor, id, m, 'write');
    if (!DestinationScope.of(actor).canChange(destination)) {
      throw errors.forbidden('Changing external destinations needs the External destinations Modify privilege');
    }
    return destination;
  }
}

/** Lower-cases ASCII letters only: name filters are case-insensitive for ASCII letters (as the schema says). */
function foldAscii(text: string): string {
  return text.replace(/[A-Z]+/g, (letters) => letters.toLowerCase());
}
