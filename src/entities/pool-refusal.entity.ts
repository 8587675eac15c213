import { Column, Entity, Index } from 'typeorm';
import { CompanyScoped } from './base';

/**
 * A call a capacity pool refused for its limit (a member had a slot, the pool had none): one per trace entry and
 * pool, counted once per call by the pool's statistics (decision 038). No foreign keys: history outlives a pool.
 */
@Entity('pool_refusal')
@Index('idx_pool_refusal_pool_at', ['companyId', 'poolId', 'at'])
export class PoolRefusal extends CompanyScoped {
  @Column({ type: 'uuid' })
  poolId: string;

  @Column({ type: 'uuid' })
  callId: string;

  @Column({ type: Date })
  at: Date;
}
