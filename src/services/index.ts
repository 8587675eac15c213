import type { Logger } from 'pino';
import type { DataSource } from 'typeorm';
import { Authenticator } from '../auth/authenticate';
import type { EventBus } from '../realtime/event-bus';
import type { LiveState } from '../store/live-state';
import { AgentGroupService } from './agent-group.service';
import { AgentService } from './agent.service';
import { CallRouter, type CallRouterOptions } from './call-router';
import { CallService } from './call.service';
import { CallFlowService } from './call-flow.service';
import { StatisticsService } from './statistics.service';
import { ScheduleService } from './schedule.service';
import { CompanyService } from './company.service';
import { ConnectorApiKeyService } from './connector-api-key.service';
import { ExternalDestinationService } from './external-destination.service';
import { ExternalDestinationsProfileService } from './external-destinations-profile.service';
import { QueueService } from './queue.service';
import { RoleService } from './role.service';
import type { RoutingHooks } from './routing-hooks';
import { instructionsForSession } from './instruction-delivery';
import { LiveUpdatesService } from './live-updates.service';
import { SessionService } from './session.service';
import { UserLoginService } from './user-login.service';

export interface ServiceOptions {
  jwtSecret: string;
  jwtTtlSec: number;
  platformApiKey: string | null;
  logger: Logger;
  /** Timing of the router's loops (tests shorten them). */
  routing?: Omit<CallRouterOptions, 'logger'>;
}

/** Every service of the gateway, built once over one data source, one live state and one event bus. */
export function createServices(dataSource: DataSource, live: LiveState, bus: EventBus, options: ServiceOptions) {
  const authenticator = new Authenticator(dataSource, options.jwtSecret, options.platformApiKey);
  const callFlows = new CallFlowService(dataSource);
  const quietly = (what: string) => (err: unknown) => options.logger.error({ err }, what);
  // The hooks reach the router and the live updates built below (configuration services are built first).
  const hooks: RoutingHooks = {
    resourcesFreed: (companyId) => router.pumpCompany(companyId).catch(quietly('routing after a freed resource failed')),
    destinationChanged: (companyId, id) => liveUpdates.destinationChanged(companyId, id).catch(quietly('publishing a destination update failed')),
    agentChanged: (companyId, id, state) => liveUpdates.agentChanged(companyId, id, state),
  };
  const destinations = new ExternalDestinationService(dataSource, live, hooks, options.routing?.clock);
  const liveUpdates = new LiveUpdatesService(dataSource, live, bus, destinations, authenticator);
  const router = new CallRouter(dataSource, live, bus, callFlows, liveUpdates, { ...options.routing, logger: options.logger });
  return {
    authenticator,
    bus,
    router,
    calls: new CallService(dataSource),
    companies: new CompanyService(dataSource),
    sessions: new SessionService(dataSource, authenticator, options.jwtSecret, options.jwtTtlSec),
    roles: new RoleService(dataSource),
    userLogins: new UserLoginService(dataSource),
    profiles: new ExternalDestinationsProfileService(dataSource),
    connectorKeys: new ConnectorApiKeyService(dataSource),
    destinations,
    liveUpdates,
    /** The company's telephony instructions for one connector session (each instruction to one session). */
    instructionsForSession: (companyId: string) => instructionsForSession(bus, live.claims, companyId),
    agents: new AgentService(dataSource, live, hooks),
    agentGroups: new AgentGroupService(dataSource),
    queues: new QueueService(dataSource),
    schedules: new ScheduleService(dataSource),
    statistics: new StatisticsService(dataSource, options.routing?.clock),
    callFlows,
  };
}

export type Services = ReturnType<typeof createServices>;
