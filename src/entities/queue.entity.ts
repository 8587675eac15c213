import { Field, Int, ObjectType } from 'type-graphql';
import { Column, Entity, JoinColumn, ManyToOne, OneToMany, PrimaryGeneratedColumn, Unique } from 'typeorm';
import { AgentGroup } from './agent-group.entity';
import { CompanyOwned } from './base';

/** Defaults and ranges of queue settings (DOMAIN.md §2). */
export const QUEUE_LIMITS = {
  agentRingTimeoutSec: { min: 5, max: 300, default: 15 },
  agentRetrySec: { min: 0, max: 3_600, default: 5 },
  wrapUpSec: { min: 0, max: 3_600, default: 0 },
  maxQueueLength: { min: 0, max: 100_000, default: 0 },
  maxWaitSec: { min: 0, max: 86_400, default: 0 },
  groups: { min: 1, max: 5 },
  queueLengthAbove: { min: 0, max: 100_000 },
  oldestWaitAboveSec: { min: 0, max: 86_400 },
} as const;

@ObjectType({ simpleResolvers: true, description: 'Where calls wait: 1-5 agent groups in priority order, with overflow conditions for groups 2-5.' })
@Entity('queue')
@Unique('uq_queue_company_name', ['companyId', 'name'])
export class Queue extends CompanyOwned {
  @Field({ description: 'Unique within the company ignoring letter case and Unicode variants, 1-100 readable characters.' })
  @Column({ type: 'varchar', length: 100 })
  name: string;

  @Field(() => Int, { description: 'Seconds an agent (not an external destination) rings before the call moves on (5-300, default 15).' })
  @Column({ type: 'integer', default: QUEUE_LIMITS.agentRingTimeoutSec.default })
  agentRingTimeoutSec: number;

  @Field(() => Int, { description: 'Seconds before an agent who missed a call is offered one again (0-3600, default 5).' })
  @Column({ type: 'integer', default: QUEUE_LIMITS.agentRetrySec.default })
  agentRetrySec: number;

  @Field(() => Int, { description: 'Seconds of wrap-up after an agent\'s call (0-3600, default 0).' })
  @Column({ type: 'integer', default: QUEUE_LIMITS.wrapUpSec.default })
  wrapUpSec: number;

  @Field(() => Int, { description: 'Most calls waiting at once; 0 means no limit (default 0).' })
  @Column({ type: 'integer', default: QUEUE_LIMITS.maxQueueLength.default })
  maxQueueLength: number;

  @Field(() => Int, { description: 'Most seconds a call waits before it leaves by the Timeout branch; 0 means no limit (default 0).' })
  @Column({ type: 'integer', default: QUEUE_LIMITS.maxWaitSec.default })
  maxWaitSec: number;

  @Field({ description: 'Whether a call an external destination handed back (returnCall) may be offered to external destinations again; false (the default): to regular agents only.' })
  @Column({ type: 'boolean', default: false })
  returnedCallsToExternal: boolean;

  @OneToMany(() => QueueGroup, (g) => g.queue, { cascade: true })
  groups: QueueGroup[];
}

/** One group of a queue at one priority, with the conditions that make it eligible (priorities 2-5). */
@Entity('queue_group')
@Unique('uq_queue_group_priority', ['queueId', 'priority'])
@Unique('uq_queue_group_group', ['queueId', 'groupId'])
export class QueueGroup {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ type: 'uuid' })
  queueId: string;

  @ManyToOne(() => Queue, (q) => q.groups, { onDelete: 'CASCADE', orphanedRowAction: 'delete' })
  @JoinColumn({ name: 'queueId' })
  queue: Queue;

  @Column({ type: 'uuid' })
  groupId: string;

  @ManyToOne(() => AgentGroup, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'groupId' })
  group: AgentGroup;

  @Column({ type: 'integer' })
  priority: number;

  @Column({ type: 'integer', nullable: true })
  queueLengthAbove: number | null;

  @Column({ type: 'integer', nullable: true })
  oldestWaitAboveSec: number | null;

  @Column({ type: 'boolean', default: false })
  noAgentsLoggedIn: boolean;
}
