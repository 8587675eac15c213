import { Arg, Authorized, Ctx, Field, Float, ID, InputType, Int, Mutation, ObjectType, Query, Resolver, Root, Subscription, registerEnumType } from 'type-graphql';
import { ALERT_KINDS, type AlertEvent, type AlertKind, type Thresholds } from '../services/alert.service';
import { actor, currentUser, type GatewayContext } from './context';

const AlertKindEnum = Object.fromEntries(ALERT_KINDS.map((k) => [k, k])) as Record<AlertKind, AlertKind>;
registerEnumType(AlertKindEnum, {
  name: 'AlertKind',
  description: 'What an alert is about.',
  valuesConfig: {
    QUEUE_OLDEST_WAIT: { description: "A queue's oldest waiting call waited longer than queueOldestWaitSec." },
    QUEUE_SERVICE_LEVEL: { description: "A queue's service level today (answered within 20 s) fell below queueServiceLevelBelow." },
    DESTINATION_BACKOFFS: { description: 'A destination backed off destinationBackoffs times or more within destinationBackoffWindowMin minutes.' },
  },
});

@ObjectType('AlertThresholds', { simpleResolvers: true, description: "A company's alert thresholds: each null is off. Dashboards colour cells by them; crossing one raises an alert." })
export class AlertThresholdsView {
  @Field(() => Int, { nullable: true, description: "Seconds a queue's oldest waiting call may wait before an alert (1 to 86 400)." })
  queueOldestWaitSec: number | null;

  @Field(() => Float, { nullable: true, description: "A queue's service level today below this share (above 0, at most 1) raises an alert." })
  queueServiceLevelBelow: number | null;

  @Field(() => Int, { nullable: true, description: 'Back-offs of one destination within the window that raise an alert (1 to 1 000; set with the window).' })
  destinationBackoffs: number | null;

  @Field(() => Int, { nullable: true, description: 'The window of destinationBackoffs, in minutes (1 to 1 440).' })
  destinationBackoffWindowMin: number | null;
}

@InputType('AlertThresholdsInput', { description: 'Thresholds to set; a field left out keeps its value, null switches it off.' })
export class AlertThresholdsInput {
  @Field(() => Int, { nullable: true, description: "Seconds a queue's oldest waiting call may wait before an alert (1 to 86 400); null: off." })
  queueOldestWaitSec?: number | null;

  @Field(() => Float, { nullable: true, description: "A queue's service level today below this share (above 0, at most 1) raises an alert; null: off." })
  queueServiceLevelBelow?: number | null;

  @Field(() => Int, { nullable: true, description: 'Back-offs of one destination within the window that raise an alert (1 to 1 000); null: off. Set with the window.' })
  destinationBackoffs?: number | null;

  @Field(() => Int, { nullable: true, description: 'The window of destinationBackoffs, in minutes (1 to 1 440); null: off.' })
  destinationBackoffWindowMin?: number | null;
}

@ObjectType('Alert', { simpleResolvers: true, description: 'An alert raised, or cleared (raised: false), for one queue or one destination.' })
export class AlertView {
  @Field(() => AlertKindEnum, { description: 'What the alert is about.' })
  kind: AlertKind;

  @Field(() => ID, { nullable: true, description: 'The queue, for queue alerts.' })
  queueId: string | null;

  @Field(() => ID, { nullable: true, description: 'The destination, for destination alerts.' })
  destinationId: string | null;

  @Field({ description: 'Raised (true) or cleared (false).' })
  raised: boolean;

  @Field(() => Float, { description: 'What was measured: seconds waited, a service level (0 to 1), or back-offs in the window.' })
  value: number;

  @Field(() => Float, { description: 'The threshold it was compared with.' })
  threshold: number;

  @Field({ description: 'When it was raised or cleared (UTC).' })
  at: Date;
}

/** Alert thresholds (admins set them; every user reads them) and the alerts they raise. */
@Resolver()
export class AlertResolver {
  @Authorized('USER')
  @Query(() => AlertThresholdsView, { description: "Your company's alert thresholds." })
  alertThresholds(@Ctx() ctx: GatewayContext): Promise<Thresholds> {
    return ctx.services.alerts.thresholds(actor(ctx).companyId);
  }

  @Authorized('ADMIN')
  @Mutation(() => AlertThresholdsView, { description: "Sets your company's alert thresholds (admins). BAD_USER_INPUT names each value out of its range." })
  setAlertThresholds(@Ctx() ctx: GatewayContext, @Arg('input', () => AlertThresholdsInput) input: AlertThresholdsInput): Promise<Thresholds> {
    return ctx.services.alerts.setThresholds(actor(ctx), input);
  }

  @Authorized('USER')
  @Query(() => [AlertView], { description: 'The alerts raised now that you may see (queue alerts with VIEW on queues; destination alerts for the destinations your profile shows).' })
  activeAlerts(@Ctx() ctx: GatewayContext): Promise<AlertEvent[]> {
    return ctx.services.alerts.active(actor(ctx));
  }

  @Authorized('USER')
  @Subscription(() => AlertView, {
    description: 'Alerts as they are raised and cleared, each delivered only if you may see its queue or destination at that moment.',
    subscribe: ({ context }) => (context as GatewayContext).services.liveUpdates.alertUpdates(() => currentUser(context as GatewayContext)),
  })
  alerts(@Root() alert: AlertEvent): AlertView {
    return alert;
  }
}
