import { Column, Entity, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { Company } from './company.entity';

/**
 * A company's alert thresholds (docs/decisions/028-alert-thresholds.md): each null is off. Cells of the
 * supervisor's screen are coloured by them and crossing one is published as an alert.
 */
@Entity('alert_thresholds')
export class AlertThresholds {
  @PrimaryColumn({ type: 'uuid' })
  companyId: string;

  @ManyToOne(() => Company, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'companyId' })
  company?: Company;

  /** A queue's oldest waiting call has waited longer than this (s). */
  @Column({ type: 'integer', nullable: true })
  queueOldestWaitSec: number | null;

  /** Today's service level of a queue is below this share (0 to 1). */
  @Column({ type: 'float', nullable: true })
  queueServiceLevelBelow: number | null;

  /** A destination backed off at least this many times within `destinationBackoffWindowMin` minutes. */
  @Column({ type: 'integer', nullable: true })
  destinationBackoffs: number | null;

  @Column({ type: 'integer', nullable: true })
  destinationBackoffWindowMin: number | null;

  @Column({ type: Date })
  updatedAt: Date;
}

/**
 * Whether an alert of one kind is raised for one resource now: the row a raise or a clear changes with a
 * compare-and-set, so among instances evaluating the same thresholds exactly one publishes each change.
 */
@Entity('alert_state')
export class AlertState {
  @PrimaryColumn({ type: 'uuid' })
  companyId: string;

  @ManyToOne(() => Company, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'companyId' })
  company?: Company;

  /** `<kind>:<resource id>`. */
  @PrimaryColumn({ type: 'varchar', length: 80 })
  key: string;

  @Column({ type: 'varchar', length: 32 })
  kind: string;

  @Column({ type: 'uuid' })
  resourceId: string;

  @Column({ type: 'boolean' })
  raised: boolean;

  /** The measured value when it last changed, and the threshold it was compared with. */
  @Column({ type: 'float' })
  value: number;

  @Column({ type: 'float' })
  threshold: number;

  @Column({ type: Date })
  changedAt: Date;
}
