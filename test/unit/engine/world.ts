import { randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { NumberMode, PRIVILEGE_AREAS, PrivilegeLevel, ProfileScope, UserKind, type PrivilegeArea } from '../../../src/entities/enums';
import { Call, CallAttempt, CallTraceEntry } from '../../../src/entities/call.entity';
import { ExternalDestination } from '../../../src/entities/external-destination.entity';
import { UserLogin } from '../../../src/entities/user-login.entity';
import type { UserPrincipal } from '../../../src/auth/principal';
import { loadConfig } from '../../../src/config';
import type { CallRouter } from '../../../src/engine/front';
import type { CallRouterOptions } from '../../../src/engine/types';
import { createLogger } from '../../../src/logger';
import { ManualScheduler } from '../../../src/platform/scheduler';
import { openEventBus, type EventBus, type TelephonyInstructionEvent } from '../../../src/realtime/event-bus';
import type { AttemptOutcome } from '../../../src/routing/state-machine';
import { createServices, type Services } from '../../../src/services';
import type { CallFlowNodeFields } from '../../../src/services/call-flow.service';
import type { ExternalDestinationFields } from '../../../src/services/external-destination.service';
import type { QueueFields, QueueGroupFields } from '../../../src/services/queue.service';
import { MemoryCapacityStore } from '../../../src/store/capacity-store';
import type { MemoryDestinationHealthStore } from '../../../src/store/destination-health-store';
import { openDataSource } from '../../../src/store/data-source';
import { DESTINATION_LEASE_MS, openLiveState, TIMER_CLAIM_MS, type LiveState } from '../../../src/store/live-state';
import { MemoryTimerStore } from '../../../src/store/timer-store';
import { scratchDatabase } from '../../support/dialects';

/*
 * The engine in process on a virtual clock: the services over an embedded database in a temporary file and
 * the in-memory live state, every part of it (the engine's loops and instants, slot leases, timers) on one
 * ManualScheduler that moves only when a test advances it. Instructions to the connector are collected, not
 * sent. Configuration goes through the services, as the API would.
 */

/** Monday 15 June 2026, 12:00 UTC (13:00 in London): inside Mon-Fri 09:00-17:00 Europe/London. */
export const MONDAY_NOON = Date.UTC(2026, 5, 15, 12);

/** An instruction as one instance sent it. */
export type Sent = TelephonyInstructionEvent & { instance: number };

/** One gateway instance: its services (the engine among them) over the shared database and live state. */
export interface Instance {
  readonly index: number;
  readonly services: Services;
  readonly router: CallRouter;
  /** Starts its loops (due timers, sweep, overdue attempts, lease renewal) on the shared clock. */
  start(): void;
  /** The instance dies: its loops stop and it routes nothing more. */
  stop(): Promise<void>;
}

export interface WorldOptions {
  /** Timing of the engine's loops; the sweep and lease renewal are off unless asked for, so tests see what events and timers do. */
  routing?: Omit<CallRouterOptions, 'logger' | 'scheduler'>;
  /** Where the virtual clock starts. */
  startAt?: number;
}

const OFF = 3_600_000_000;

export class EngineWorld {
  readonly sent: Sent[] = [];
  private readonly instances: Instance[] = [];
  /** The company the world configured (its connector reports for it). */
  companyId = '';
  private actorPrincipal: UserPrincipal | null = null;

  private constructor(
    readonly clock: ManualScheduler,
    readonly dataSource: DataSource,
    readonly live: LiveState,
    private readonly bus: EventBus,
    private readonly options: WorldOptions,
    private readonly dispose: () => Promise<void>,
  ) {}

  /** A world with one running instance and one company whose administrator configures it. */
  static async create(options: WorldOptions = {}): Promise<EngineWorld> {
    const clock = new ManualScheduler(options.startAt ?? MONDAY_NOON);
    const db = await scratchDatabase('sqlite');
    const dataSource = await openDataSource(db.database);
    const now = () => clock.now();
    const base = await openLiveState(null);
    // The stores whose state runs out with time (slot leases, timers and their claims) read the virtual clock.
    const live: LiveState = {
      ...base,
      capacity: new MemoryCapacityStore(DESTINATION_LEASE_MS, now, (r) => (base.health as MemoryDestinationHealthStore).backedOffUntil(r.companyId, r.destinationId)),
      timers: new MemoryTimerStore(TIMER_CLAIM_MS, now),
    };
    const bus = await openEventBus(null, 'engine-test');
    const world = new EngineWorld(clock, dataSource, live, bus, options, async () => {
      await bus.close();
      await live.close();
      await dataSource.destroy();
      await db.dispose();
    });
    const first = world.instance();
    first.start();
    await world.provision();
    return world;
  }

  /** The instance created with the world (started). */
  get first(): Instance {
    return this.instances[0]!;
  }

  /** The first instance's engine. */
  get router(): CallRouter {
    return this.instances[0]!.router;
  }

  get services(): Services {
    return this.instances[0]!.services;
  }

  get actor(): UserPrincipal {
    return this.actorPrincipal!;
  }

  /**
   * Another gateway instance over the same database and live state (not started); `wrap` gives it its own view
   * of the live state (e.g. one whose writes are slow, as over a slow link to Redis).
   */
  instance(wrap: (live: LiveState) => LiveState = (live) => live): Instance {
    const index = this.instances.length;
    const config = loadConfig({ NODE_ENV: 'test', DATABASE_URL: 'sqlite::memory:', LOG_LEVEL: 'silent', SEED_DEMO: 'false', JWT_SECRET: 'engine-test-jwt-secret-0123456789abcdef0123' });
    const services = createServices(this.dataSource, wrap(this.live), this.bus, {
      jwtSecret: config.jwtSecret!, jwtTtlSec: config.jwtTtlSec, platformApiKey: null, authThrottle: config.authThrottle, statistics: config.statistics,
      logger: createLogger('silent'), scheduler: this.clock,
      routing: { tickMs: 50, sweepMs: OFF, renewMs: OFF, repairMs: OFF, ...this.options.routing },
    });
    // The connector: every instruction is collected with the instance that sent it.
    services.instructions.send = async (_companyId, instruction) => void this.sent.push({ ...instruction, instance: index });
    const instance: Instance = { index, services, router: services.router, start: () => services.router.start(), stop: () => services.router.stop() };
    this.instances.push(instance);
    return instance;
  }

  private async provision(): Promise<void> {
    const company = await this.services.companies.create({ name: 'Engine test', slug: `engine-${randomUUID().slice(0, 8)}`, timeZone: 'Europe/London', adminUsername: 'admin', adminPassword: 'admin-password-123' });
    const admin = await this.dataSource.getRepository(UserLogin).findOneByOrFail({ companyId: company.id, username: 'admin' });
    this.companyId = company.id;
    const privileges = Object.fromEntries(PRIVILEGE_AREAS.map((a) => [a, PrivilegeLevel.MODIFY])) as Record<PrivilegeArea, PrivilegeLevel>;
    this.actorPrincipal = {
      kind: 'user', companyId: company.id, userId: admin.id, userKind: UserKind.COMPANY_ADMIN, privileges,
      profile: { id: admin.externalDestinationsProfileId!, scope: ProfileScope.ALL, destinationIds: new Set() }, tokenExp: Math.floor(this.clock.now() / 1000) + 3600, tokenVersion: 0,
    };
  }

  get company(): string {
    return this.companyId;
  }

  async close(): Promise<void> {
    for (const i of this.instances) await i.stop();
    await this.dispose();
  }

  // ---------------------------------------------------------------- time

  /** Moves the virtual clock forward, firing the engine's loops on the way. */
  async advance(ms: number): Promise<void> {
    await this.clock.advance(ms);
  }

  /**
   * Waits until `check` answers something truthy, letting the engine's promise chains (database and live
   * state) run in between; the clock does not move. Gives up after a bounded number of turns.
   */
  async until<T>(check: () => Promise<T | null | undefined | false> | T | null | undefined | false, what: string): Promise<T> {
    for (let turn = 0; turn < 4_000; turn += 1) {
      const value = await check();
      if (value) return value;
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    throw new Error(`never happened: ${what}`);
  }

  /** Lets what was started settle: every pending pass and effect has had its turns. */
  async settle(turns = 200): Promise<void> {
    for (let i = 0; i < turns; i += 1) await new Promise<void>((resolve) => setImmediate(resolve));
  }

  // ---------------------------------------------------------------- configuration, through the services

  async agent(name: string, status: 'AVAILABLE' | 'ON_BREAK' | 'LOGGED_OUT' = 'AVAILABLE'): Promise<string> {
    const agent = await this.services.agents.create(this.actor, { name: `${name} ${randomUUID().slice(0, 4)}` });
    if (status !== 'LOGGED_OUT') await this.setStatus(agent.id, status);
    return agent.id;
  }

  async setStatus(agentId: string, status: 'AVAILABLE' | 'ON_BREAK' | 'LOGGED_OUT'): Promise<void> {
    await this.services.agents.setStatus(this.actor, agentId, status);
  }

  async destination(overrides: Partial<ExternalDestinationFields> = {}): Promise<string> {
    const d = await this.services.destinations.create(this.actor, {
      name: `Destination ${randomUUID().slice(0, 8)}`, numberMode: NumberMode.FULL_NUMBER, number: '+442079460958', ...overrides,
    });
    return d.id;
  }

  async group(agentIds: string[], destinationIds: string[] = []): Promise<string> {
    const g = await this.services.agentGroups.create(this.actor, { name: `Group ${randomUUID().slice(0, 8)}`, agentIds, externalDestinationIds: destinationIds });
    return g.id;
  }

  async queue(groups: QueueGroupFields[], settings: Partial<QueueFields> = {}): Promise<string> {
    const q = await this.services.queues.create(this.actor, { name: `Queue ${randomUUID().slice(0, 8)}`, groups, ...settings });
    return q.id;
  }

  async timeRange(rules: Array<{ daysOfWeek?: number[]; startTime: string; endTime: string }>, timeZone = 'Europe/London'): Promise<string> {
    const r = await this.services.schedules.timeRanges.create(this.actor, { name: `Hours ${randomUUID().slice(0, 6)}`, timeZone, rules });
    return r.id;
  }

  async holidays(dates: string[], timeZone = 'Europe/London'): Promise<string> {
    const h = await this.services.schedules.holidayLists.create(this.actor, { name: `Holidays ${randomUUID().slice(0, 6)}`, timeZone, holidays: dates.map((date) => ({ date, name: 'Bank holiday' })) });
    return h.id;
  }

  /** Publishes a flow answering a fresh service number; returns the number. */
  async flow(nodes: CallFlowNodeFields[]): Promise<string> {
    const serviceNumber = `+4420794${String(Math.floor(Math.random() * 100_000)).padStart(5, '0')}`;
    const flow = await this.services.callFlows.create(this.actor, { name: `Flow ${randomUUID().slice(0, 6)}`, serviceNumbers: [serviceNumber], nodes });
    await this.services.callFlows.publish(this.actor, flow.id, new Date(this.clock.now()));
    return serviceNumber;
  }

  // ---------------------------------------------------------------- the connector

  enqueue(queueId: string, extra: { priority?: number; serviceNumber?: string } = {}): Promise<Call> {
    return this.router.enqueue(this.companyId, { connectorCallId: randomUUID(), queueId, ...extra });
  }

  startCall(serviceNumber: string): Promise<Call> {
    return this.router.startCall(this.companyId, { connectorCallId: randomUUID(), serviceNumber });
  }

  outcome(attemptId: string, outcome: AttemptOutcome): Promise<CallAttempt> {
    return this.router.reportOutcome(this.companyId, { eventId: randomUUID(), attemptId, outcome });
  }

  endCall(callId: string, reason: 'COMPLETED' | 'CALLER_HUNG_UP'): Promise<Call> {
    return this.router.endCall(this.companyId, { eventId: randomUUID(), callId, reason });
  }

  /** The destination of `attemptId` hands its call back (a fresh event id unless one is given). */
  returnCall(attemptId: string, extra: { reason?: string; eventId?: string; queueId?: string | null; context?: Array<{ key: string; value: string }> } = {}): Promise<Call> {
    return this.router.returnCall(this.companyId, { eventId: randomUUID(), reason: 'the caller asked for a person', attemptId, ...extra });
  }

  /** Instructions of one kind (for one call). */
  of(kind: TelephonyInstructionEvent['kind'], callId?: string): Sent[] {
    return this.sent.filter((i) => i.kind === kind && (callId === undefined || i.callId === callId));
  }

  /** Waits for the `count`-th instruction of a kind for a call, and answers it. */
  async instructed(kind: TelephonyInstructionEvent['kind'], callId: string, count = 1): Promise<Sent> {
    return this.until(() => this.of(kind, callId)[count - 1], `${kind} #${count} for call ${callId} (sent: ${this.sent.map((i) => i.kind).join(', ')})`);
  }

  // ---------------------------------------------------------------- the record

  callRow(callId: string): Promise<Call> {
    return this.dataSource.getRepository(Call).findOneByOrFail({ id: callId });
  }

  attempts(callId: string): Promise<CallAttempt[]> {
    return this.dataSource.getRepository(CallAttempt).find({ where: { callId }, order: { startedAt: 'ASC' } });
  }

  traceOf(callId: string): Promise<CallTraceEntry[]> {
    return this.dataSource.getRepository(CallTraceEntry).find({ where: { callId }, order: { seq: 'ASC' } });
  }

  /** The trace's summaries, one line each. */
  async story(callId: string): Promise<string> {
    return (await this.traceOf(callId)).map((e) => `${e.step}: ${e.summary}`).join('\n');
  }

  destinationRow(id: string): Promise<ExternalDestination> {
    return this.dataSource.getRepository(ExternalDestination).findOneByOrFail({ id });
  }

  async health(destinationId: string) {
    return (await this.live.health.getMany(this.companyId, [destinationId])).get(destinationId)!;
  }

  slots(destinationId: string) {
    return this.live.capacity.counts({ companyId: this.companyId, destinationId });
  }

  agentLive(agentId: string) {
    return this.live.agents.get(this.companyId, agentId);
  }
}
