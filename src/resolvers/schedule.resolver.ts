import { Arg, Args, Authorized, Ctx, ID, Int, Mutation, Query, Resolver } from 'type-graphql';
import { HolidayList, TimeRange } from '../entities/schedule.entity';
import { actor, type GatewayContext } from './context';
import { PageArgsInput } from './types/connection';
import { HolidayListConnection, HolidayListInput, TimeRangeConnection, TimeRangeInput } from './types/flow.types';

@Resolver()
export class ScheduleResolver {
  @Authorized('schedules:VIEW')
  @Query(() => TimeRangeConnection, { description: 'The company\'s time ranges, by name.' })
  timeRanges(@Ctx() ctx: GatewayContext, @Args() page: PageArgsInput): Promise<TimeRangeConnection> {
    return ctx.services.schedules.timeRanges.list(actor(ctx), page);
  }

  @Authorized('schedules:VIEW')
  @Query(() => TimeRange, { nullable: true, description: 'One time range; NOT_FOUND when missing.' })
  timeRange(@Ctx() ctx: GatewayContext, @Arg('id', () => ID) id: string): Promise<TimeRange> {
    return ctx.services.schedules.timeRanges.get(actor(ctx), id);
  }

  @Authorized('schedules:MODIFY')
  @Mutation(() => TimeRange, { description: 'Creates a time range; BAD_USER_INPUT lists every problem (zone, times, days, dates).' })
  createTimeRange(@Ctx() ctx: GatewayContext, @Arg('input') input: TimeRangeInput): Promise<TimeRange> {
    return ctx.services.schedules.timeRanges.create(actor(ctx), input);
  }

  @Authorized('schedules:MODIFY')
  @Mutation(() => TimeRange, { description: 'Replaces a time range; CONFLICT when `expectedVersion` is stale. Published flows use the new hours at once.' })
  updateTimeRange(@Ctx() ctx: GatewayContext, @Arg('id', () => ID) id: string, @Arg('input') input: TimeRangeInput, @Arg('expectedVersion', () => Int, { nullable: true }) expectedVersion?: number): Promise<TimeRange> {
    return ctx.services.schedules.timeRanges.update(actor(ctx), id, input, expectedVersion);
  }

  @Authorized('schedules:MODIFY')
  @Mutation(() => ID, { description: 'Deletes a time range; CONFLICT while call flows (a draft, the published version, or a version a call in progress runs) use it, naming them as extensions.callFlows [{id, name}].' })
  deleteTimeRange(@Ctx() ctx: GatewayContext, @Arg('id', () => ID) id: string): Promise<string> {
    return ctx.services.schedules.timeRanges.delete(actor(ctx), id);
  }

  @Authorized('schedules:VIEW')
  @Query(() => HolidayListConnection, { description: 'The company\'s holiday lists, by name.' })
  holidayLists(@Ctx() ctx: GatewayContext, @Args() page: PageArgsInput): Promise<HolidayListConnection> {
    return ctx.services.schedules.holidayLists.list(actor(ctx), page);
  }

  @Authorized('schedules:VIEW')
  @Query(() => HolidayList, { nullable: true, description: 'One holiday list; NOT_FOUND when missing.' })
  holidayList(@Ctx() ctx: GatewayContext, @Arg('id', () => ID) id: string): Promise<HolidayList> {
    return ctx.services.schedules.holidayLists.get(actor(ctx), id);
  }

  @Authorized('schedules:MODIFY')
  @Mutation(() => HolidayList, { description: 'Creates a holiday list; BAD_USER_INPUT lists every problem.' })
  createHolidayList(@Ctx() ctx: GatewayContext, @Arg('input') input: HolidayListInput): Promise<HolidayList> {
    return ctx.services.schedules.holidayLists.create(actor(ctx), input);
  }

  @Authorized('schedules:MODIFY')
  @Mutation(() => HolidayList, { description: 'Replaces a holiday list; CONFLICT when `expectedVersion` is stale.' })
  updateHolidayList(@Ctx() ctx: GatewayContext, @Arg('id', () => ID) id: string, @Arg('input') input: HolidayListInput, @Arg('expectedVersion', () => Int, { nullable: true }) expectedVersion?: number): Promise<HolidayList> {
    return ctx.services.schedules.holidayLists.update(actor(ctx), id, input, expectedVersion);
  }

  @Authorized('schedules:MODIFY')
  @Mutation(() => ID, { description: 'Deletes a holiday list; CONFLICT while call flows (a draft, the published version, or a version a call in progress runs) use it, naming them as extensions.callFlows [{id, name}].' })
  deleteHolidayList(@Ctx() ctx: GatewayContext, @Arg('id', () => ID) id: string): Promise<string> {
    return ctx.services.schedules.holidayLists.delete(actor(ctx), id);
  }
}
