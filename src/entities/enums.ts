import { registerEnumType } from 'type-graphql';
import { DESTINATION_STATES } from '../routing/destination-state';
import { AGENT_ACTIVITIES } from '../routing/state-machine';
import { AGENT_STATUSES } from '../routing/types';

/** Level of a privilege in one area; a user's effective level is the highest among its roles. */
export enum PrivilegeLevel {
  NONE = 'NONE',
  VIEW = 'VIEW',
  MODIFY = 'MODIFY',
}

/** The areas a role grants privileges in (DOMAIN.md §1). */
export const PRIVILEGE_AREAS = [
  'externalDestinations',
  'queues',
  'agentGroups',
  'agents',
  'callFlows',
  'schedules',
  'statistics',
  'users',
  'auditLog',
] as const;
export type PrivilegeArea = (typeof PRIVILEGE_AREAS)[number];

export enum UserKind {
  COMPANY_ADMIN = 'COMPANY_ADMIN',
  SUPERVISOR = 'SUPERVISOR',
  AGENT = 'AGENT',
}

export enum ProfileScope {
  ALL = 'ALL',
  SELECTED = 'SELECTED',
}

export enum NumberMode {
  FULL_NUMBER = 'FULL_NUMBER',
  PREFIX_PLUS_LAST_DIGITS = 'PREFIX_PLUS_LAST_DIGITS',
  PREFIX_REPLACING_MATCHED_PREFIX = 'PREFIX_REPLACING_MATCHED_PREFIX',
}

registerEnumType(PrivilegeLevel, {
  name: 'PrivilegeLevel',
  description: 'Access in one area: NONE (nothing), VIEW (read), MODIFY (read and change).',
});
registerEnumType(UserKind, {
  name: 'UserKind',
  description:
    'What a user login is. COMPANY_ADMIN manages users, roles, profiles and keys; SUPERVISOR and COMPANY_ADMIN may change resources their roles allow; AGENT never changes configuration.',
});
registerEnumType(ProfileScope, {
  name: 'ProfileScope',
  description: 'ALL: every external destination of the company; SELECTED: only the listed ones.',
});
registerEnumType(NumberMode, {
  name: 'NumberMode',
  description:
    'How the number dialled for a call is built. FULL_NUMBER: `number` as is. PREFIX_PLUS_LAST_DIGITS: `prefix` followed by the last `lastDigits` digits of the dialled service number. PREFIX_REPLACING_MATCHED_PREFIX: when the service number starts with `matchPrefix`, that part is replaced by `prefix`.',
});

registerEnumType(AGENT_STATUSES, {
  name: 'AgentStatus',
  description: 'LOGGED_OUT: takes no calls; AVAILABLE: may be offered calls; ON_BREAK: logged in, takes no calls.',
});
registerEnumType(AGENT_ACTIVITIES, {
  name: 'AgentActivity',
  description: 'IDLE: free; RESERVED: chosen for a call; RINGING: being offered it; ON_CALL: talking; WRAP_UP: finishing after a call.',
});
registerEnumType(DESTINATION_STATES, {
  name: 'DestinationState',
  description:
    'AVAILABLE: may take a call; AT_CAPACITY: connecting + active calls reached maxSimultaneousCalls; BACKED_OFF: no calls until backedOffUntil; SUSPENDED: too many consecutive failures, until someone resumes it; DISABLED: switched off in its configuration.',
});
