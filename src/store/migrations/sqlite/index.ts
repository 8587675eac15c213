import { Initial1795471580312 } from './1795471580312-initial';
import { DestinationSuspension1795473659663 } from './1795473659663-destination-suspension';
import { Calls1795475241934 } from './1795475241934-calls';
import { CallFlows1795477576302 } from './1795477576302-call-flows';
import { Statistics1795485937755 } from './1795485937755-statistics';
import { AuthorityVersion1796187704821 } from './1796187704821-authority-version';
import { CallerIds1796195148276 } from './1796195148276-caller-ids';
import { TraceFacts1796195388578 } from './1796195388578-trace-facts';
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

/** Every sqlite migration, oldest first. */
export const SQLITE_MIGRATIONS: Function[] = [Initial1795471580312, DestinationSuspension1795473659663, Calls1795475241934, CallFlows1795477576302, Statistics1795485937755, AuthorityVersion1796187704821, CallerIds1796195148276, TraceFacts1796195388578, CapacityRefusals1796200000000, InstructionLog1796210000000, InstructionExplicitAck1796220000000, AlertThresholds1796240000000, StatisticsBuckets1796250000000, WaitingCallIndexes1796260000000, QueueWaits1796270000000, AuditLog1796280000000, GroupDistribution1796290000000, CallContext1796300000000, CallReturns1796310000000, Probes1796320000000, Pools1796330000000, ProbePruneIndex1796340000000, TelephonyEventPruneIndex1796350000000];
