import { Column, Entity, Index } from 'typeorm';
import { CompanyScoped } from './base';

/**
 * One telephony instruction as the gateway issued it (docs/decisions/023-instructions-at-least-once.md): its
 * id is the instruction id the connector sees, `seq` orders a company's instructions, and the row is
 * outstanding until `acknowledgedAt` is set (by the outcome it asks for or by the connector; only by the
 * connector when `explicitAck`). Pruned after a retention (acknowledged) or a longer one (outstanding).
 */
@Entity('instruction')
@Index('idx_instruction_company_seq', ['companyId', 'seq'], { unique: true })
@Index('idx_instruction_outstanding', ['companyId', 'acknowledgedAt'])
@Index('idx_instruction_prune', ['acknowledgedAt', 'createdAt'])
export class Instruction extends CompanyScoped {
  /** Per company, increasing in the order the instructions were issued. */
  @Column({ type: 'integer' })
  seq: number;

  @Column({ type: 'varchar', length: 32 })
  kind: string;

  /** The instruction as it travels (every field), JSON. */
  @Column({ type: 'text' })
  payload: string;

  /** The call it is about (no foreign key: the log outlives nothing it needs). */
  @Column({ type: 'uuid' })
  callId: string;

  @Column({ type: 'uuid', nullable: true })
  attemptId: string | null;

  @Column({ type: Date })
  createdAt: Date;

  /** Null while outstanding. */
  @Column({ type: Date, nullable: true })
  acknowledgedAt: Date | null;

  /** The connector session it was last delivered to, and when; null when no session was live. */
  @Column({ type: 'varchar', length: 64, nullable: true })
  deliveredTo: string | null;

  @Column({ type: Date, nullable: true })
  deliveredAt: Date | null;

  /** How many times it was delivered. */
  @Column({ type: 'integer', default: 0 })
  deliveries: number;

  /**
   * Acknowledged only explicitly (acknowledgeTelephonyInstructions), not by the records: a CANCEL_ATTEMPT,
   * DISCONNECT or PLAY_MESSAGE last delivered to a session that declared it acknowledges. Set at each delivery.
   */
  @Column({ type: 'boolean', default: false })
  explicitAck: boolean;
}
