import type { Logger } from 'pino';
import type { DataSource } from 'typeorm';
import { Authenticator } from '../auth/authenticate';
import { AuthThrottle } from '../auth/throttle';
import { AUDIT_RETENTION_DAYS_DEFAULT, type AuthThrottleConfig, type StatisticsLimits } from '../config';
import type { EventBus } from '../realtime/event-bus';
import type { LiveState } from '../store/live-state';
import { AgentGroupService } from './agent-group.service';
import { AgentService } from './agent.service';
import { CallRouter } from '../engine/front';
import { LiveRebuild } from '../engine/live-rebuild';
import { QueueDirectory } from '../engine/queue-directory';
import type { LivePublisher } from '../engine/types';
import { clocked } from '../engine/timers';
import type { CallRouterOptions } from '../engine/types';
import { CallService } from './call.service';
import { CallFlowService } from './call-flow.service';
import { StatisticsService } from './statistics.service';
import { ScheduleService } from './schedule.service';
import { CompanyService } from './company.service';
import { ConnectorApiKeyService } from './connector-api-key.service';
import { CapacityPoolService } from './capacity-pool.service';
import { ExternalDestinationService } from './external-destination.service';
import { ExternalDestinationsProfileService } from './external-destinations-profile.service';
import { QueueService } from './queue.service';
import { StatisticsExport } from './statistics-export';
import { AlertService, type AlertOptions } from './alert.service';
import { AuditLogService } from './audit-log.service';
import { AuditTrail } from './audit-trail';
import { RoleService } from './role.service';
import type { RoutingHooks } from './routing-hooks';
import { DatabaseInstructionLog, InstructionDelivery, type InstructionOptions } from './instruction-delivery';
import { LiveModels } from '../live/live-models';
import { ModelChanges } from '../live/model-changes';
import { ModelLoader } from '../live/model-loader';
import { noMeter, type Meter } from '../platform/meter';
import { systemScheduler, type Scheduler } from '../platform/scheduler';
import { LiveUpdatesService } from './live-updates.service';
import { SessionService } from './session.service';
import { UserLoginService } from './user-login.service';
import { setStatisticsClock } from '../store/stat-buckets';
import { StatisticsSealer } from '../store/stat-seal';

export interface ServiceOptions {
  jwtSecret: string;
  jwtTtlSec: number;
  platformApiKey: string | null;
  /** Throttling of failed sign-ins and connector keys (decision 016). */
  authThrottle: AuthThrottleConfig;
  /** Bounds of one statistics question (decision 016). */
  statistics: StatisticsLimits;
  /** Days the audit log keeps its entries (decision 031; AUDIT_RETENTION_DAYS_DEFAULT when left out). */
  auditRetentionDays?: number;
  logger: Logger;
  /** Timing of the router's loops (tests shorten them). */
  routing?: Omit<CallRouterOptions, 'logger'>;
  /** Time for the logic that waits outside the router (version checks, session renewals); tests move it. */
  scheduler?: Scheduler;
  /** How often alert thresholds are compared with what is measured (decision 028). */
  alerts?: Partial<AlertOptions>;
  /** Redelivery of unacknowledged telephony instructions and pruning of their log (decision 023). */
  instructions?: Partial<InstructionOptions>;
  /** Where routing and delivery count what they do (the gateway's metrics; nowhere when left out). */
  meter?: Meter;
}

/** Every service of the gateway, built once over one data source, one live state and one event bus. */
export function createServices(dataSource: DataSource, live: LiveState, bus: EventBus, options: ServiceOptions) {
  const scheduler = options.scheduler ?? systemScheduler;
  const meter = options.meter ?? noMeter;
  // The companies held in memory (authority and configuration), fed by committed changes.
  const models = new LiveModels(new ModelLoader(dataSource), live.versions, { scheduler, logger: options.logger });
  bus.listenModelChanges((event) => models.receive(event));
  bus.onReconnect(() => void models.check());
  const changes = new ModelChanges(dataSource, bus, live.versions, options.logger);
  const throttle = new AuthThrottle(live.throttle, options.authThrottle, options.logger);
  const authenticator = new Authenticator(dataSource, models, options.jwtSecret, options.platformApiKey, throttle);
  const instructions = new InstructionDelivery(bus, live.sessions, models, scheduler, options.logger, new DatabaseInstructionLog(dataSource), options.instructions, meter);
  // After Redis was away (it may have restarted empty), sessions are registered again at once.
  bus.onReconnect(() => void instructions.registerAgain());
  // Routing's one clock: the scheduler's, or a clock a test sets (its loops and timers still on the scheduler).
  const time = options.routing?.clock ? clocked(scheduler, options.routing.clock) : scheduler;
  // Every configuration change and security event is recorded through it, in the change's transaction (decision 031).
  const audit = new AuditTrail(dataSource, () => time.now(), options.logger);
  const callFlows = new CallFlowService(dataSource, audit, () => time.now());
  const quietly = (what: string) => (err: unknown) => options.logger.error({ err }, what);
  // The hooks reach the router and the live updates built below (configuration services are built first).
  const hooks: RoutingHooks = {
    resourcesFreed: (companyId, resources) => router.pumpUsing(companyId, resources).catch(quietly('routing after a freed resource failed')),
    destinationChanged: (companyId, id) => liveUpdates.destinationChanged(companyId, id).catch(quietly('publishing a destination update failed')),
    poolChanged: (companyId, id) => liveUpdates.poolChanged(companyId, id).catch(quietly('publishing a capacity pool update failed')),
    destinationConfigured: (companyId, id) => router.probeIfHeld(companyId, id).catch(quietly('starting a destination\'s health probe failed')),
    agentChanged: (companyId, id, state) => publisher.agentChanged(companyId, id, state),
  };
  const destinations = new ExternalDestinationService(dataSource, live, hooks, models, changes, audit, time);
  // What each queue pass needs, kept up to date by events instead of read per pass; it hears this
  // instance's agent changes first (with their whole state), then the live updates publish them.
  const directory = new QueueDirectory(models, live, bus, { logger: options.logger, scheduler, now: () => time.now() });
  const capacityPools = new CapacityPoolService(dataSource, live, hooks, models, changes, audit, () => time.now());
  const liveUpdates = new LiveUpdatesService(dataSource, live, bus, destinations, models, time, directory, capacityPools);
  // A wrap-up or retry wait that ends changes a queue's free agents with no event: its update is published then.
  directory.onHoldsEnded((companyId, queueId) => void liveUpdates.queueChanged(companyId, queueId).catch(quietly('publishing a queue update failed')));
  const publisher: LivePublisher = {
    destinationChanged: (companyId, id) => liveUpdates.destinationChanged(companyId, id),
    queueChanged: (companyId, id) => liveUpdates.queueChanged(companyId, id),
    agentChanged: (companyId, id, state) => {
      directory.agentChanged(companyId, id, state);
      liveUpdates.agentChanged(companyId, id, state);
    },
  };
  // Rebuilds the live state from the system of record when Redis was emptied or replaced (decision 022).
  const liveRebuild = new LiveRebuild({ dataSource, live, time, logger: options.logger, meter });
  const router = new CallRouter(dataSource, live, instructions, changes, callFlows, publisher, { ...options.routing, scheduler, logger: options.logger, meter, loadQueue: directory.loader() });
  // Statistics read the routing clock: which quarter hours are over when a record is written, and sealed.
  setStatisticsClock(dataSource, () => time.now());
  const statistics = new StatisticsService(dataSource, () => time.now(), options.statistics, options.statistics.source, new StatisticsSealer(dataSource, time, options.logger));
  return {
    /** Routing's one clock (the instants live states are read at). */
    clock: time,
    authenticator,
    bus,
    models,
    changes,
    router,
    liveRebuild,
    directory,
    calls: new CallService(dataSource),
    companies: new CompanyService(dataSource, audit),
    sessions: new SessionService(dataSource, authenticator, options.jwtSecret, options.jwtTtlSec, throttle, audit),
    roles: new RoleService(dataSource, changes, audit),
    userLogins: new UserLoginService(dataSource, changes, audit),
    profiles: new ExternalDestinationsProfileService(dataSource, changes, audit),
    connectorKeys: new ConnectorApiKeyService(dataSource, changes, audit, () => time.now()),
    destinations,
    /** Capacity pools shared by external destinations (decision 038). */
    capacityPools,
    liveUpdates,
    /** Telephony instructions, each to one live connector session of the company in turn; `start` and `stop` its log's pruning. */
    instructions,
    agents: new AgentService(dataSource, live, hooks, models, changes, audit, time),
    agentGroups: new AgentGroupService(dataSource, models, changes, audit),
    queues: new QueueService(dataSource, models, changes, audit),
    schedules: new ScheduleService(dataSource, audit),
    statistics,
    /** Alert thresholds and the alerts they raise (decision 028); `start` and `stop` its evaluation. */
    alerts: new AlertService(dataSource, bus, statistics, time, options.logger, audit, options.alerts),
    /** The audit log read under the reader's scope (decision 031); `start` and `stop` its purge by age. */
    auditLog: new AuditLogService(dataSource, time, options.auditRetentionDays ?? AUDIT_RETENTION_DAYS_DEFAULT, options.logger),
    /** The statistics CSV as a download that streams (decision 027). */
    statisticsExport: new StatisticsExport(dataSource, statistics),
    callFlows,
  };
}

export type Services = ReturnType<typeof createServices>;
