import { Column, Entity, Index, JoinColumn, ManyToOne } from 'typeorm';
import { CompanyScoped } from './base';
import { Call } from './call.entity';

/**
 * A call a destination refused for capacity: queue routing passed the destination over because it was full,
 * or a flow node found it full. Written with the trace entry that says so (src/store/capacity-refusals.ts),
 * from the entry's facts (src/routing/capacity-refusals.ts); a destination's `limitReached` counts the
 * distinct calls of its refusals (docs/decisions/008-statistics.md).
 */
@Entity('capacity_refusal')
@Index('idx_capacity_refusal_destination_at', ['companyId', 'destinationId', 'at'])
@Index('idx_capacity_refusal_company_at', ['companyId', 'at'])
export class CapacityRefusal extends CompanyScoped {
  @Index()
  @Column({ type: 'uuid' })
  callId: string;

  @ManyToOne(() => Call, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'callId' })
  call?: Call;

  /** The destination that was full (no foreign key: history outlives a deleted destination). */
  @Column({ type: 'uuid' })
  destinationId: string;

  /** When the refusal happened: the time of the trace entry that records it. */
  @Column({ type: Date })
  at: Date;
}
