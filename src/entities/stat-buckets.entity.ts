import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { Company } from './company.entity';

/*
 * Pre-aggregated statistics (docs/decisions/025-statistics-buckets.md): one row per resource and 15-minute
 * bucket (`bucket` = floor(epoch ms / 900 000)) with any activity, worked out from the records of that quarter
 * hour once it is over and sealed (stat_seal), worked out again when a later write touches it
 * (src/store/stat-seal.ts). No foreign key to the resource: history outlives a deleted agent, queue or
 * destination. A resource without a row in a sealed quarter hour had nothing in it.
 */

/**
 * A company's quarter hour whose bucket rows hold every figure of its records (`sealed`), or one a write
 * touched after it was over (not sealed: read from the records until it is sealed again). Every such write
 * raises `version`: a seal worked out from records read before a write is not written.
 */
@Entity('stat_seal')
export class StatSeal {
  @PrimaryColumn({ type: 'uuid' }) companyId: string;
  @PrimaryColumn({ type: 'integer' }) bucket: number;
  @Column({ type: 'boolean', default: false }) sealed: boolean;
  @Column({ type: 'integer', default: 0 }) version: number;

  @ManyToOne(() => Company, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'companyId' })
  company?: Company;
}

@Entity('stat_destination_bucket')
@Index('idx_stat_destination_bucket_company', ['companyId', 'bucket'])
export class StatDestinationBucket {
  @PrimaryColumn({ type: 'uuid' }) companyId: string;
  @PrimaryColumn({ type: 'uuid' }) destinationId: string;
  @PrimaryColumn({ type: 'integer' }) bucket: number;
  @Column({ type: 'integer', default: 0 }) offered: number;
  @Column({ type: 'integer', default: 0 }) callsHandled: number;
  @Column({ type: 'integer', default: 0 }) answered: number;
  @Column({ type: 'integer', default: 0 }) busy: number;
  @Column({ type: 'integer', default: 0 }) noAnswer: number;
  @Column({ type: 'integer', default: 0 }) failed: number;
  @Column({ type: 'integer', default: 0 }) limitReached: number;
  @Column({ type: 'integer', default: 0 }) cancelledByCaller: number;
  @Column({ type: 'integer', default: 0 }) returned: number;
  @Column({ type: 'integer', default: 0 }) talkTimeSec: number;
  @Column({ type: 'integer', default: 0 }) timeToAnswerSumSec: number;
  @Column({ type: 'integer', default: 0 }) timeToAnswerMaxSec: number;
  /** Seconds of the bucket covered by back-off windows. */
  @Column({ type: 'integer', default: 0 }) backedOffSec: number;
  @Column({ type: 'integer', default: 0 }) peakSimultaneousCalls: number;

  @ManyToOne(() => Company, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'companyId' })
  company?: Company;
}

/**
 * For the distinct counts of a range (callsHandled, limitReached): a call's bucket with attempts (OFFER) or
 * refusals (REFUSAL) at one destination, and its previous such bucket. Distinct calls of buckets [A, B) =
 * Σ per-bucket counts − links with A ≤ prevBucket and bucket < B.
 */
@Entity('stat_destination_link')
@Index('idx_stat_destination_link_bucket', ['companyId', 'destinationId', 'kind', 'bucket'])
export class StatDestinationLink {
  @PrimaryColumn({ type: 'uuid' }) companyId: string;
  @PrimaryColumn({ type: 'uuid' }) destinationId: string;
  @PrimaryColumn({ type: 'varchar', length: 8 }) kind: string;
  @PrimaryColumn({ type: 'uuid' }) callId: string;
  @PrimaryColumn({ type: 'integer' }) bucket: number;
  @Column({ type: 'integer' }) prevBucket: number;

  @ManyToOne(() => Company, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'companyId' })
  company?: Company;
}

@Entity('stat_agent_bucket')
@Index('idx_stat_agent_bucket_company', ['companyId', 'bucket'])
export class StatAgentBucket {
  @PrimaryColumn({ type: 'uuid' }) companyId: string;
  @PrimaryColumn({ type: 'uuid' }) agentId: string;
  @PrimaryColumn({ type: 'integer' }) bucket: number;
  @Column({ type: 'integer', default: 0 }) offered: number;
  @Column({ type: 'integer', default: 0 }) answered: number;
  @Column({ type: 'integer', default: 0 }) missed: number;
  @Column({ type: 'integer', default: 0 }) talkTimeSec: number;
  @Column({ type: 'integer', default: 0 }) wrapUpSec: number;

  @ManyToOne(() => Company, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'companyId' })
  company?: Company;
}

@Entity('stat_queue_bucket')
@Index('idx_stat_queue_bucket_company', ['companyId', 'bucket'])
export class StatQueueBucket {
  @PrimaryColumn({ type: 'uuid' }) companyId: string;
  @PrimaryColumn({ type: 'uuid' }) queueId: string;
  @PrimaryColumn({ type: 'integer' }) bucket: number;
  @Column({ type: 'integer', default: 0 }) offered: number;
  @Column({ type: 'integer', default: 0 }) answeredByAgents: number;
  @Column({ type: 'integer', default: 0 }) answeredByExternal: number;
  @Column({ type: 'integer', default: 0 }) overflowedToExternal: number;
  @Column({ type: 'integer', default: 0 }) abandoned: number;
  /** Calls whose wait is over (answered or ended): the service level's denominator. */
  @Column({ type: 'integer', default: 0 }) settled: number;
  @Column({ type: 'integer', default: 0 }) longestWaitSec: number;
  /** Talk time plus wrap-up of the answered calls that ended, and how many they are. */
  @Column({ type: 'integer', default: 0 }) handleTimeSec: number;
  @Column({ type: 'integer', default: 0 }) handled: number;
  /** Answered calls, and the sum of their waits in whole seconds rounded up. */
  @Column({ type: 'integer', default: 0 }) answered: number;
  @Column({ type: 'integer', default: 0 }) waitSumSec: number;
  /** Of those, answered within the default service level (DEFAULT_SERVICE_LEVEL_SEC), and of those by agents. */
  @Column({ type: 'integer', default: 0 }) answeredWithin: number;
  @Column({ type: 'integer', default: 0 }) agentsWithin: number;

  @ManyToOne(() => Company, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'companyId' })
  company?: Company;
}

/**
 * A queue's answered calls of a bucket (by when they entered the queue) by who answered them ('AGENT',
 * 'DESTINATION', 'NONE') and their wait in whole seconds rounded up: a question for a service level other
 * than the default sums the calls with a wait at most that long.
 */
@Entity('stat_queue_wait')
@Index('idx_stat_queue_wait_company', ['companyId', 'bucket'])
export class StatQueueWait {
  @PrimaryColumn({ type: 'uuid' }) companyId: string;
  @PrimaryColumn({ type: 'uuid' }) queueId: string;
  @PrimaryColumn({ type: 'integer' }) bucket: number;
  @PrimaryColumn({ type: 'varchar', length: 12 }) answeredBy: string;
  @PrimaryColumn({ type: 'integer' }) waitSec: number;
  @Column({ type: 'integer' }) calls: number;

  @ManyToOne(() => Company, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'companyId' })
  company?: Company;
}

/**
 * Per destination: the longest an attempt of it lasted with its back-off (from its start to the later of its
 * end and its back-off's end), in whole seconds, as far as the sealed quarter hours know (the sealer raises
 * it): how far before a time an attempt that still overlaps it can have started, when it ended in a sealed
 * quarter hour.
 */
@Entity('stat_destination_span')
export class StatDestinationSpan {
  @PrimaryColumn({ type: 'uuid' }) companyId: string;
  @PrimaryColumn({ type: 'uuid' }) destinationId: string;
  @Column({ type: 'integer', default: 0 }) longestSpanSec: number;

  @ManyToOne(() => Company, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'companyId' })
  company?: Company;
}
