import { Field, ID, InputType, ObjectType } from 'type-graphql';
import { AUDIT_ACTIONS, AUDIT_ACTOR_KINDS, AUDIT_ENTITY_KINDS, type AuditAction, type AuditActorKind, type AuditEntityKind } from '../../entities/audit-entry.entity';
import { Connection } from './connection';

@ObjectType('AuditActor', { simpleResolvers: true, description: 'Who made an audited change or caused a security event.' })
export class AuditActorView {
  @Field(() => AUDIT_ACTOR_KINDS, { description: 'A user, the platform operator, an anonymous caller (a sign-in) or the gateway itself.' })
  kind: AuditActorKind;

  @Field(() => ID, { nullable: true, description: 'USER: the user login\'s id (filter on it with `actorId`); otherwise null.' })
  id: string | null;

  @Field(() => String, { nullable: true, description: 'USER: the username when it acted; ANONYMOUS: the username a failed sign-in tried; otherwise null.' })
  name: string | null;
}

@ObjectType('AuditEntry', {
  simpleResolvers: true,
  description:
    'One entry of the company\'s audit log: a configuration change or a security event, recorded in the same transaction as the change (a change that was refused or rolled back has none). '
    + 'An entry about an external destination the reader may not see shows it hidden: `entityHidden` true, `entityId`, `before` and `after` null; inside other entries\' values a destination the reader may not see reads as the API shows it (`{ "hidden": true, "destination": null }` in a list, `externalDestinationId: null` with `externalDestinationHidden: true` in a call flow node).',
})
export class AuditEntryView {
  @Field(() => ID, { description: 'Opaque identifier.' })
  id: string;

  @Field({ description: 'When it happened (UTC).' })
  at: Date;

  @Field(() => AuditActorView, { description: 'Who did it.' })
  actor: AuditActorView;

  @Field(() => String, { nullable: true, description: 'The request it was made in (the `x-request-id` of its answer); null for work outside a request (the demo seed).' })
  requestId: string | null;

  @Field(() => String, { nullable: true, description: 'The client address of that request.' })
  clientAddress: string | null;

  @Field(() => AUDIT_ENTITY_KINDS, { description: 'What it is about.' })
  entityKind: AuditEntityKind;

  @Field(() => ID, { nullable: true, description: 'The object it is about; null when that is a destination the reader may not see (`entityHidden`), or when it names none (a failed sign-in with an unknown username).' })
  entityId: string | null;

  @Field({ description: 'True when the entry is about an external destination the reader may not see: its id and values are left out.' })
  entityHidden: boolean;

  @Field(() => AUDIT_ACTIONS, { description: 'What happened.' })
  action: AuditAction;

  @Field(() => String, { nullable: true, description: 'JSON object of the fields that changed, as they were before (the whole object for DELETED); null when there is none. Never holds a secret (password hashes, key secrets, tokens).' })
  before: string | null;

  @Field(() => String, { nullable: true, description: 'JSON object of the fields that changed, as they are after (the whole object for CREATED); null when there is none.' })
  after: string | null;
}

@ObjectType({ simpleResolvers: true, description: 'A page of audit log entries, newest first.' })
export class AuditEntryConnection extends Connection(AuditEntryView) {}

@InputType({ description: 'Narrows the audit log; every condition given must hold.' })
export class AuditLogFilter {
  @Field(() => Date, { nullable: true, description: 'Entries at or after this instant.' })
  from?: Date | null;

  @Field(() => Date, { nullable: true, description: 'Entries before this instant.' })
  to?: Date | null;

  @Field(() => ID, { nullable: true, description: 'Entries made by this user login.' })
  actorId?: string | null;

  @Field(() => [AUDIT_ENTITY_KINDS], { nullable: true, description: 'Entries about these kinds of object.' })
  entityKinds?: AuditEntityKind[] | null;

  @Field(() => ID, { nullable: true, description: 'Entries about this object (an external destination the reader may not see matches nothing).' })
  entityId?: string | null;

  @Field(() => [AUDIT_ACTIONS], { nullable: true, description: 'Entries of these actions and security events.' })
  actions?: AuditAction[] | null;
}
