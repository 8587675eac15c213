import type { DataSource, EntityTarget } from 'typeorm';
import type { UserPrincipal } from '../auth/principal';
import { HolidayList, TimeRange } from '../entities/schedule.entity';
import { checkHolidayList, checkTimeRange, normaliseHolidayList, normaliseTimeRange } from '../routing/schedule';
import { assertNameFree, checkExpectedVersion, findOwned, inTransaction, listOwned, lockCompanyNames, updateVersioned, type Page, type PageArgs } from '../store/persistence';
import { flowsUsing, usedByFlows, type FlowReferenceKind } from './flow-references';
import type { AuditTrail } from './audit-trail';
import { InputChecker } from '../input-checker';

export interface TimeRangeFields {
  name: string;
  timeZone: string;
  rules: Array<{ daysOfWeek?: number[] | null; dates?: string[] | null; startTime: string; endTime: string }>;
}

export interface HolidayListFields {
  name: string;
  timeZone: string;
  holidays: Array<{ date: string; name?: string | null; startTime?: string | null; endTime?: string | null }>;
}

interface Kind<E, F> {
  entity: EntityTarget<E>;
  what: string;
  /** What its audit entries are about. */
  audited: 'TIME_RANGE' | 'HOLIDAY_LIST';
  /** How call flow nodes refer to it (where-used before delete). */
  reference: FlowReferenceKind;
  /** The checked, normalised columns of an input (BAD_USER_INPUT lists every problem). */
  columns(input: F): Partial<E>;
}

/** The routing core's problems (paths like `input.rules.0.startTime`) as this API's paths (`input.rules[0].startTime`). */
function reportProblems(c: InputChecker, problems: Array<{ field: string; message: string }>): void {
  for (const p of problems) c.fail(p.field.replace(/^input\./, '').replace(/\.(\d+)(?=\.|$)/g, '[$1]'), p.message);
}

const TIME_RANGES: Kind<TimeRange, TimeRangeFields> = {
  entity: TimeRange,
  what: 'Time range',
  audited: 'TIME_RANGE',
  reference: 'timeRange',
  columns(input) {
    const c = new InputChecker();
    const name = c.name('name', input.name);
    const spec = { name, timeZone: input.timeZone, rules: input.rules.map((r) => ({ daysOfWeek: r.daysOfWeek ?? null, dates: r.dates ?? null, startTime: r.startTime, endTime: r.endTime })) };
    reportProblems(c, checkTimeRange(spec));
    c.done();
    const normal = normaliseTimeRange(spec);
    return { name, timeZone: normal.timeZone, rules: normal.rules };
  },
};

const HOLIDAY_LISTS: Kind<HolidayList, HolidayListFields> = {
  entity: HolidayList,
  what: 'Holiday list',
  audited: 'HOLIDAY_LIST',
  reference: 'holidayList',
  columns(input) {
    const c = new InputChecker();
    const name = c.name('name', input.name);
    const spec = {
      name, timeZone: input.timeZone,
      holidays: input.holidays.map((h) => ({ date: h.date, name: h.name?.trim() || null, startTime: h.startTime ?? null, endTime: h.endTime ?? null })),
    };
    for (const [i, h] of spec.holidays.entries()) if (h.name !== null) c.name(`holidays[${i}].name`, h.name);
    reportProblems(c, checkHolidayList(spec));
    c.done();
    const normal = normaliseHolidayList(spec);
    return { name, timeZone: normal.timeZone, holidays: normal.holidays };
  },
};

/** Time ranges and holiday lists: one service for both kinds of schedule (the `schedules` privilege). */
export class ScheduleService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly audit: AuditTrail,
  ) {}

  readonly timeRanges = this.kind(TIME_RANGES);
  readonly holidayLists = this.kind(HOLIDAY_LISTS);

  private kind<E extends TimeRange | HolidayList, F>(k: Kind<E, F>) {
    const ds = () => this.dataSource;
    const audit = () => this.audit;
    return {
      list: (actor: UserPrincipal, page: PageArgs): Promise<Page<E>> => listOwned(ds(), k.entity, actor.companyId, 'name', page),
      get: (actor: UserPrincipal, id: string): Promise<E> => findOwned(ds().manager, k.entity, actor.companyId, id, { what: k.what }),
      create: (actor: UserPrincipal, input: F): Promise<E> => {
        const columns = k.columns(input);
        return inTransaction(ds(), async (m) => {
          await assertNameFree(m, k.entity, actor.companyId, 'name', columns.name as string, null, 'input.name');
          const saved = (await m.getRepository(k.entity).save(m.create(k.entity, { ...columns, companyId: actor.companyId } as never))) as E;
          audit().record(m, actor, { kind: k.audited, id: saved.id, action: 'CREATED', after: saved });
          return saved;
        });
      },
      update: (actor: UserPrincipal, id: string, input: F, expectedVersion?: number | null): Promise<E> => {
        const columns = k.columns(input);
        return inTransaction(ds(), async (m) => {
          await lockCompanyNames(m, actor.companyId); // names are compared under the company lock, taken first
          const current = await findOwned(m, k.entity, actor.companyId, id, { what: k.what, lock: 'write' });
          checkExpectedVersion(current.version, expectedVersion);
          await assertNameFree(m, k.entity, actor.companyId, 'name', columns.name as string, current.id, 'input.name');
          await updateVersioned(m, k.entity, current.id, current.version, columns as never);
          const updated = await m.getRepository(k.entity).findOneByOrFail({ id: current.id } as never);
          audit().record(m, actor, { kind: k.audited, id: current.id, action: 'UPDATED', before: current, after: updated });
          return updated;
        });
      },
      /**
       * Deletes one that no call flow uses (its draft, its published version or a version a call in progress
       * runs: flowsUsing); CONFLICT names the flows that do, as [{id, name}] in `extensions.callFlows`.
       */
      delete: (actor: UserPrincipal, id: string): Promise<string> =>
        inTransaction(ds(), async (m) => {
          await lockCompanyNames(m, actor.companyId); // the company first, as publishing takes it: a publish naming it waits or is seen
          const current = await findOwned(m, k.entity, actor.companyId, id, { what: k.what, lock: 'write' });
          const flows = await flowsUsing(m, actor.companyId, k.reference, current.id);
          if (flows.length > 0) throw usedByFlows(`The ${k.what.toLowerCase()}`, flows);
          await m.getRepository(k.entity).delete({ id: current.id } as never);
          audit().record(m, actor, { kind: k.audited, id: current.id, action: 'DELETED', before: current });
          return current.id;
        }),
    };
  }
}
