import { Column, Entity, Index } from 'typeorm';
import { CompanyScoped } from './base';

/** How a probe ended; the API's ProbeOutcome enum is built from this list. */
export const PROBE_OUTCOMES = { SUCCEEDED: 'SUCCEEDED', FAILED: 'FAILED', TIMED_OUT: 'TIMED_OUT' } as const;
export type ProbeOutcome = keyof typeof PROBE_OUTCOMES;

/**
 * One health probe of an external destination (decision 037): a test call the connector places while the
 * destination is backed off or suspended, never a caller's. Its own record: it takes no slot, writes no call's
 * trace, and its statistics are counted from these rows.
 */
@Entity('destination_probe')
@Index('idx_destination_probe_destination_sent', ['companyId', 'destinationId', 'sentAt'])
// Pruning by age, over every company (decision 037).
@Index('idx_destination_probe_sent', ['sentAt'])
export class DestinationProbe extends CompanyScoped {
  /** The destination probed (no foreign key: history outlives a deleted destination). */
  @Column({ type: 'uuid' })
  destinationId: string;

  /** The E.164 number dialled. */
  @Column({ type: 'varchar', length: 16 })
  number: string;

  @Column({ type: 'integer' })
  timeoutSec: number;

  @Column({ type: Date })
  sentAt: Date;

  /** Null while the probe is out. */
  @Column({ type: 'varchar', length: 16, nullable: true })
  outcome: ProbeOutcome | null;

  @Column({ type: Date, nullable: true })
  endedAt: Date | null;
}
