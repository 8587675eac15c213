import { registerEnumType } from 'type-graphql';
import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import { Company } from './company.entity';

/** What an audit entry is about. */
export const AUDIT_ENTITY_KINDS = {
  COMPANY: 'COMPANY',
  ROLE: 'ROLE',
  USER_LOGIN: 'USER_LOGIN',
  EXTERNAL_DESTINATIONS_PROFILE: 'EXTERNAL_DESTINATIONS_PROFILE',
  CONNECTOR_API_KEY: 'CONNECTOR_API_KEY',
  EXTERNAL_DESTINATION: 'EXTERNAL_DESTINATION',
  AGENT: 'AGENT',
  AGENT_GROUP: 'AGENT_GROUP',
  QUEUE: 'QUEUE',
  TIME_RANGE: 'TIME_RANGE',
  HOLIDAY_LIST: 'HOLIDAY_LIST',
  CALL_FLOW: 'CALL_FLOW',
  ALERT_THRESHOLDS: 'ALERT_THRESHOLDS',
  CAPACITY_POOL: 'CAPACITY_POOL',
} as const;
export type AuditEntityKind = keyof typeof AUDIT_ENTITY_KINDS;

/** What happened: a configuration change, or a security event (decision 031). */
export const AUDIT_ACTIONS = {
  CREATED: 'CREATED',
  UPDATED: 'UPDATED',
  DELETED: 'DELETED',
  PUBLISHED: 'PUBLISHED',
  RESUMED: 'RESUMED',
  REVOKED: 'REVOKED',
  DEACTIVATED: 'DEACTIVATED',
  REACTIVATED: 'REACTIVATED',
  PRIVILEGES_CHANGED: 'PRIVILEGES_CHANGED',
  PASSWORD_CHANGED: 'PASSWORD_CHANGED',
  SIGN_IN_FAILED: 'SIGN_IN_FAILED',
} as const;
export type AuditAction = keyof typeof AUDIT_ACTIONS;

/** Who acted. */
export const AUDIT_ACTOR_KINDS = { USER: 'USER', PLATFORM: 'PLATFORM', ANONYMOUS: 'ANONYMOUS', SYSTEM: 'SYSTEM' } as const;
export type AuditActorKind = keyof typeof AUDIT_ACTOR_KINDS;

/**
 * One entry of a company's audit log: a configuration change or a security event, written in the transaction
 * of the change it describes (a sign-in failure in a write of its own). `before` and `after` are JSON text of
 * the fields that changed, never a secret. Read newest first per company; purged by age.
 */
@Entity('audit_entry')
@Index('idx_audit_entry_company_at', ['companyId', 'at', 'id'])
@Index('idx_audit_entry_at', ['at'])
export class AuditEntry {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ type: 'uuid' })
  companyId: string;

  @ManyToOne(() => Company, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'companyId' })
  company?: Company;

  @Column({ type: Date })
  at: Date;

  @Column({ type: 'varchar', length: 12 })
  actorKind: AuditActorKind;

  /** The user's id; null for the platform operator, an anonymous caller and the system. */
  @Column({ type: 'uuid', nullable: true })
  actorId: string | null;

  /** The user's username when it acted; for a failed sign-in, the username that was tried. */
  @Column({ type: 'varchar', length: 100, nullable: true })
  actorName: string | null;

  @Column({ type: 'varchar', length: 64, nullable: true })
  requestId: string | null;

  @Column({ type: 'varchar', length: 64, nullable: true })
  clientAddress: string | null;

  @Column({ type: 'varchar', length: 40 })
  entityKind: AuditEntityKind;

  @Column({ type: 'uuid', nullable: true })
  entityId: string | null;

  @Column({ type: 'varchar', length: 24 })
  action: AuditAction;

  @Column({ type: 'text', nullable: true })
  before: string | null;

  @Column({ type: 'text', nullable: true })
  after: string | null;
}

registerEnumType(AUDIT_ENTITY_KINDS, { name: 'AuditEntityKind', description: 'What an audit entry is about.' });
registerEnumType(AUDIT_ACTIONS, {
  name: 'AuditAction',
  description:
    'What happened. Configuration changes: CREATED, UPDATED, DELETED, PUBLISHED (a call flow), RESUMED (a suspended destination). Security events: REVOKED (a connector API key; CREATED for a new one), DEACTIVATED and REACTIVATED (a user login), PRIVILEGES_CHANGED (a role update that changed its privileges), PASSWORD_CHANGED (no values shown), SIGN_IN_FAILED (a failed sign-in the throttle let through).',
});
registerEnumType(AUDIT_ACTOR_KINDS, {
  name: 'AuditActorKind',
  description: 'USER: a user login; PLATFORM: the platform operator; ANONYMOUS: a caller signing in; SYSTEM: the gateway itself (a company the demo seed provisions).',
});
