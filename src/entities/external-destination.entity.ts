import { Field, Int, ObjectType } from 'type-graphql';
import { Column, Entity, Unique } from 'typeorm';
import { CompanyOwned } from './base';
import { NumberMode } from './enums';

/** Defaults and ranges of a destination's own timeouts (DOMAIN.md §2); validation and the schema read them here. */
export const DESTINATION_LIMITS = {
  maxSimultaneousCalls: { min: 1, max: 10_000 },
  outdialTimeoutSec: { min: 5, max: 300, default: 30 },
  busyBackoffSec: { min: 0, max: 86_400, default: 60 },
  noAnswerBackoffSec: { min: 0, max: 86_400, default: 0 },
  failureBackoffSec: { min: 1, max: 86_400, default: 5 },
  retryIntervalSec: { min: 1, max: 86_400, default: 5 },
  maxConsecutiveFailures: { min: 0, max: 1_000, default: 0 },
  lastDigits: { min: 1, max: 15 },
  probeIntervalSec: { min: 5, max: 3_600, default: 30 },
  probeTimeoutSec: { min: 1, max: 300, default: 10 },
  probeSuccessesToResume: { min: 1, max: 20, default: 2 },
} as const;

@ObjectType({
  simpleResolvers: true,
  description:
    'A destination outside the contact centre (an external contact centre, an AI virtual agent): fundamentally a telephone number. It may take several calls at once and is tried only when no regular agent is available.',
})
@Entity('external_destination')
@Unique('uq_external_destination_company_name', ['companyId', 'name'])
export class ExternalDestination extends CompanyOwned {
  @Field({ description: 'Unique within the company ignoring letter case and Unicode variants, 1-100 readable characters.' })
  @Column({ type: 'varchar', length: 100 })
  name: string;

  @Field(() => String, { nullable: true, description: 'Free text, up to 250 characters.' })
  @Column({ type: 'varchar', length: 250, nullable: true })
  description: string | null;

  @Field({ description: 'A disabled destination receives no calls.' })
  @Column({ type: 'boolean', default: true })
  enabled: boolean;

  @Field(() => NumberMode, { description: 'How the dialled number is built for each call.' })
  @Column({ type: 'varchar', length: 40 })
  numberMode: NumberMode;

  @Field(() => String, { nullable: true, description: 'FULL_NUMBER: the E.164 number dialled, e.g. +442079460958.' })
  @Column({ type: 'varchar', length: 16, nullable: true })
  number: string | null;

  @Field(() => String, {
    nullable: true,
    description: 'PREFIX_* modes: the leading part of the dialled number, starting with + and the country code.',
  })
  @Column({ type: 'varchar', length: 16, nullable: true })
  prefix: string | null;

  @Field(() => Int, {
    nullable: true,
    description: 'PREFIX_PLUS_LAST_DIGITS: how many trailing digits of the dialled service number follow the prefix (1-15).',
  })
  @Column({ type: 'integer', nullable: true })
  lastDigits: number | null;

  @Field(() => String, {
    nullable: true,
    description: 'PREFIX_REPLACING_MATCHED_PREFIX: the leading part of the service number that `prefix` replaces.',
  })
  @Column({ type: 'varchar', length: 16, nullable: true })
  matchPrefix: string | null;

  @Field(() => Int, {
    nullable: true,
    description:
      'Most calls connecting or connected at once, across every gateway instance (1-10000); null means unlimited.',
  })
  @Column({ type: 'integer', nullable: true })
  maxSimultaneousCalls: number | null;

  @Field(() => Int, { description: 'Seconds a call to this destination may ring before it counts as no answer (5-300, default 30).' })
  @Column({ type: 'integer', default: DESTINATION_LIMITS.outdialTimeoutSec.default })
  outdialTimeoutSec: number;

  @Field(() => Int, { description: 'Seconds no call is sent after a busy outcome (0-86400, default 60).' })
  @Column({ type: 'integer', default: DESTINATION_LIMITS.busyBackoffSec.default })
  busyBackoffSec: number;

  @Field(() => Int, { description: 'Seconds no call is sent after a call rang out unanswered (0-86400, default 0).' })
  @Column({ type: 'integer', default: DESTINATION_LIMITS.noAnswerBackoffSec.default })
  noAnswerBackoffSec: number;

  @Field(() => Int, {
    description: 'Seconds no call is sent after a failed attempt (1-86400, default 5); also the floor that stops tight retry loops.',
  })
  @Column({ type: 'integer', default: DESTINATION_LIMITS.failureBackoffSec.default })
  failureBackoffSec: number;

  @Field(() => Int, {
    description: 'Seconds before the same call may be offered to this destination again (1-86400, default 5).',
  })
  @Column({ type: 'integer', default: DESTINATION_LIMITS.retryIntervalSec.default })
  retryIntervalSec: number;

  @Field(() => Int, {
    description: 'Consecutive failed attempts after which the destination is suspended until resumed (0 = never, up to 1000).',
  })
  @Column({ type: 'integer', default: DESTINATION_LIMITS.maxConsecutiveFailures.default })
  maxConsecutiveFailures: number;

  /**
   * Health probing (decision 037): how often a probe is sent while the destination is backed off or suspended
   * (seconds); null: no probe. The other probe settings are null exactly when this is.
   */
  @Column({ type: 'integer', nullable: true })
  probeIntervalSec: number | null;

  /** Seconds a probe may take before it counts as failed (less than the interval). */
  @Column({ type: 'integer', nullable: true })
  probeTimeoutSec: number | null;

  /** Consecutive successful probes that resume a suspended destination. */
  @Column({ type: 'integer', nullable: true })
  probeSuccessesToResume: number | null;

  /** The E.164 number a probe dials (FULL_NUMBER: the destination's own number when left out). */
  @Column({ type: 'varchar', length: 16, nullable: true })
  probeNumber: string | null;

  /** The capacity pool it belongs to (at most one); null when none. Set through the pool (createCapacityPool, updateCapacityPool). */
  @Column({ type: 'uuid', nullable: true })
  capacityPoolId: string | null;

  /** When routing suspended the destination (too many consecutive failures); null while not suspended. Durable until resumed. */
  @Column({ type: Date, nullable: true })
  suspendedAt: Date | null;
}
