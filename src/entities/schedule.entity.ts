import { GraphQLScalarType } from 'graphql';
import { LocalDateResolver } from 'graphql-scalars';
import { Field, Int, ObjectType } from 'type-graphql';
import { Column, Entity, Unique } from 'typeorm';
import { CompanyOwned } from './base';

/** A calendar date `YYYY-MM-DD` (no time, no zone): graphql-scalars' LocalDate checks, under API.md's name. */
export const DateScalar = new GraphQLScalarType({ ...LocalDateResolver.toConfig(), name: 'Date', description: 'A calendar date, YYYY-MM-DD.' });

@ObjectType({ simpleResolvers: true, description: 'When a rule of a time range applies.' })
export class TimeRangeRuleView {
  @Field(() => [Int], { nullable: true, description: 'ISO days of the week, 1 = Monday .. 7 = Sunday; null with no dates means every day.' })
  daysOfWeek: number[] | null;

  @Field(() => [DateScalar], { nullable: true, description: 'Particular dates (YYYY-MM-DD).' })
  dates: string[] | null;

  @Field({ description: 'Local start time, HH:MM (inclusive).' })
  startTime: string;

  @Field({ description: 'Local end time, HH:MM (exclusive); 24:00 is the end of the day.' })
  endTime: string;
}

@ObjectType({ simpleResolvers: true, description: 'Opening hours: rules of days and local times, in an IANA time zone (correct across daylight-saving changes).' })
@Entity('time_range')
@Unique('uq_time_range_company_name', ['companyId', 'name'])
export class TimeRange extends CompanyOwned {
  @Field({ description: 'Unique within the company ignoring letter case and Unicode variants, 1-100 readable characters.' })
  @Column({ type: 'varchar', length: 100 })
  name: string;

  @Field({ description: 'IANA time zone the rules are read in, e.g. Europe/London.' })
  @Column({ type: 'varchar', length: 64 })
  timeZone: string;

  @Field(() => [TimeRangeRuleView], { description: 'The range is open when any rule applies.' })
  @Column({ type: 'simple-json' })
  rules: TimeRangeRuleView[];
}

@ObjectType({ simpleResolvers: true, description: 'One holiday: a whole day, or hours of it.' })
export class HolidayView {
  @Field(() => DateScalar, { description: 'The date, YYYY-MM-DD, in the list\'s time zone.' })
  date: string;

  @Field(() => String, { nullable: true, description: 'e.g. Christmas Day.' })
  name: string | null;

  @Field(() => String, { nullable: true, description: 'Local start time HH:MM; null with endTime null = all day.' })
  startTime: string | null;

  @Field(() => String, { nullable: true, description: 'Local end time HH:MM (exclusive).' })
  endTime: string | null;
}

@ObjectType({ simpleResolvers: true, description: 'A list of holidays, in an IANA time zone.' })
@Entity('holiday_list')
@Unique('uq_holiday_list_company_name', ['companyId', 'name'])
export class HolidayList extends CompanyOwned {
  @Field({ description: 'Unique within the company ignoring letter case and Unicode variants, 1-100 readable characters.' })
  @Column({ type: 'varchar', length: 100 })
  name: string;

  @Field({ description: 'IANA time zone the dates and hours are read in.' })
  @Column({ type: 'varchar', length: 64 })
  timeZone: string;

  @Field(() => [HolidayView], { description: 'The holidays, by date.' })
  @Column({ type: 'simple-json' })
  holidays: HolidayView[];
}
