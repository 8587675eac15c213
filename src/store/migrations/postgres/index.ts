import { Initial1795471581026 } from './1795471581026-initial';
import { DestinationSuspension1795473660338 } from './1795473660338-destination-suspension';
import { Calls1795475242639 } from './1795475242639-calls';
import { CallFlows1795477577441 } from './1795477577441-call-flows';
import { Statistics1795485938357 } from './1795485938357-statistics';
import { AuthorityVersion1796187706579 } from './1796187706579-authority-version';
import { CallerIds1796195151244 } from './1796195151244-caller-ids';
import { TraceFacts1796195395531 } from './1796195395531-trace-facts';
import { CapacityRefusals1796200000000 } from './1796200000000-capacity-refusals';
import { InstructionLog1796210000000 } from './1796210000000-instruction-log';
import { InstructionExplicitAck1796220000000 } from './1796220000000-instruction-explicit-ack';

import { AlertThresholds1796240000000 } from './1796240000000-alert-thresholds';
import { StatisticsBuckets1796250000000 } from './1796250000000-statistics-buckets';
import { WaitingCallIndexes1796260000000 } from './1796260000000-waiting-call-indexes';
import { QueueWaits1796270000000 } from './1796270000000-queue-waits';
import { AuditLog1796280000000 } from './1796280000000-audit-log';
import { GroupDistribution1796290000000 } from './1796290000000-group-distribution';
import { CallContext1796300000000 } from './1796300000000-call-context';
import { CallReturns1796310000000 } from './1796310000000-call-returns';
import { Probes1796320000000 } from './1796320000000-probes';
import { Pools1796330000000 } from './1796330000000-pools';
import { ProbePruneIndex1796340000000 } from './1796340000000-probe-prune-index';
import { TelephonyEventPruneIndex1796350000000 } from './1796350000000-telephony-event-prune-index';

/** Every postgres migration, oldest first. */
export const POSTGRES_MIGRATIONS: Function[] = [Initial1795471581026, DestinationSuspension1795473660338, Calls1795475242639, CallFlows1795477577441, Statistics1795485938357, AuthorityVersion1796187706579, CallerIds1796195151244, TraceFacts1796195395531, CapacityRefusals1796200000000, InstructionLog1796210000000, InstructionExplicitAck1796220000000, AlertThresholds1796240000000, StatisticsBuckets1796250000000, WaitingCallIndexes1796260000000, QueueWaits1796270000000, AuditLog1796280000000, GroupDistribution1796290000000, CallContext1796300000000, CallReturns1796310000000, Probes1796320000000, Pools1796330000000, ProbePruneIndex1796340000000, TelephonyEventPruneIndex1796350000000];
