import type { DataSource } from 'typeorm';
import { Authenticator } from '../auth/authenticate';
import type { LiveState } from '../store/live-state';
import { AgentGroupService } from './agent-group.service';
import { AgentService } from './agent.service';
import { CompanyService } from './company.service';
import { ConnectorApiKeyService } from './connector-api-key.service';
import { ExternalDestinationService } from './external-destination.service';
import { ExternalDestinationsProfileService } from './external-destinations-profile.service';
import { QueueService } from './queue.service';
import { RoleService } from './role.service';
import { SessionService } from './session.service';
import { UserLoginService } from './user-login.service';

export interface ServiceOptions {
  jwtSecret: string;
  jwtTtlSec: number;
  platformApiKey: string | null;
}

/** Every service of the gateway, built once over one data source. */
export function createServices(dataSource: DataSource, live: LiveState, options: ServiceOptions) {
  const authenticator = new Authenticator(dataSource, options.jwtSecret, options.platformApiKey);
  return {
    authenticator,
    companies: new CompanyService(dataSource),
    sessions: new SessionService(dataSource, authenticator, options.jwtSecret, options.jwtTtlSec),
    roles: new RoleService(dataSource),
    userLogins: new UserLoginService(dataSource),
    profiles: new ExternalDestinationsProfileService(dataSource),
    connectorKeys: new ConnectorApiKeyService(dataSource),
    destinations: new ExternalDestinationService(dataSource, live),
    agents: new AgentService(dataSource, live),
    agentGroups: new AgentGroupService(dataSource),
    queues: new QueueService(dataSource),
  };
}

export type Services = ReturnType<typeof createServices>;
