import { Agent } from './agent.entity';
import { AlertState, AlertThresholds } from './alert.entity';
import { AgentGroup } from './agent-group.entity';
import { AuditEntry } from './audit-entry.entity';
import { Call, CallAttempt, CallTraceEntry, TelephonyEvent } from './call.entity';
import { CapacityRefusal } from './capacity-refusal.entity';
import { Instruction } from './instruction.entity';
import { DestinationProbe } from './destination-probe.entity';
import { CapacityPool } from './capacity-pool.entity';
import { PoolRefusal } from './pool-refusal.entity';
import { CallFlow, CallFlowNumber, CallFlowVersion } from './call-flow.entity';
import { Company } from './company.entity';
import { HolidayList, TimeRange } from './schedule.entity';
import { ConnectorApiKey } from './connector-api-key.entity';
import { ExternalDestination } from './external-destination.entity';
import { ExternalDestinationsProfile } from './external-destinations-profile.entity';
import { Queue, QueueGroup } from './queue.entity';
import { Role } from './role.entity';
import { StatAgentBucket, StatDestinationBucket, StatDestinationLink, StatQueueBucket, StatQueueWait, StatSeal, StatDestinationSpan } from './stat-buckets.entity';
import { UserLogin } from './user-login.entity';

export { Agent, AgentGroup, AlertState, AuditEntry, AlertThresholds, Call, CapacityPool, CapacityRefusal, DestinationProbe, PoolRefusal, Instruction, CallFlow, CallFlowNumber, CallFlowVersion, HolidayList, TimeRange, CallAttempt, CallTraceEntry, Company, ConnectorApiKey, ExternalDestination, ExternalDestinationsProfile, Queue, QueueGroup, Role, StatAgentBucket, StatDestinationBucket, StatDestinationLink, StatQueueBucket, StatQueueWait, StatSeal, StatDestinationSpan, TelephonyEvent, UserLogin };

/** Every entity the data source maps. */
export const ENTITIES = [
  Company,
  AlertThresholds,
  AlertState,
  Role,
  UserLogin,
  ExternalDestinationsProfile,
  ConnectorApiKey,
  CapacityPool,
  ExternalDestination,
  Agent,
  AgentGroup,
  Queue,
  QueueGroup,
  Call,
  CallAttempt,
  CallTraceEntry,
  CapacityRefusal,
  Instruction,
  DestinationProbe,
  PoolRefusal,
  TelephonyEvent,
  TimeRange,
  HolidayList,
  CallFlow,
  CallFlowNumber,
  CallFlowVersion,
  StatDestinationBucket,
  StatDestinationLink,
  StatAgentBucket,
  StatQueueBucket,
  StatQueueWait,
  StatSeal,
  StatDestinationSpan,
  AuditEntry,
];
