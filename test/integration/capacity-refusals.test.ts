import { randomUUID } from 'node:crypto';
import { DataSource, type DataSourceOptions, type EntityManager } from 'typeorm';
import { Call, CallTraceEntry } from '../../src/entities/call.entity';
import { CapacityRefusal } from '../../src/entities/capacity-refusal.entity';
import { Company } from '../../src/entities/company.entity';
import { NumberMode } from '../../src/entities/enums';
import { ExternalDestination } from '../../src/entities/external-destination.entity';
import { StatisticsService, toCsv } from '../../src/services/statistics.service';
import { destinationFigures, type RefusalRecord } from '../../src/statistics/figures';
import { recordCapacityRefusals } from '../../src/store/capacity-refusals';
import { createDataSource, openDataSource } from '../../src/store/data-source';
import { inTransaction } from '../../src/store/persistence';
import { POSTGRES_MIGRATIONS } from '../../src/store/migrations/postgres';
import { SQLITE_MIGRATIONS } from '../../src/store/migrations/sqlite';
import { dialects, scratchDatabase } from '../support/dialects';

jest.setTimeout(60_000);

/**
 * Capacity refusals are records of their own (docs/decisions/008-statistics.md): the migration that adds
 * them fills them from the trace entries written before, so figures over old data do not move, and
 * `recordCapacityRefusals` writes them with each entry from then on; statistics read them.
 */

const FROM = Date.UTC(2026, 2, 2, 9, 0);
const RANGE = { from: FROM, to: FROM + 3_600_000, now: FROM + 7_200_000 };
const MIN = 60_000;

type Skipped = CallTraceEntry['skipped'];
const full = (destinationId: string) => ({ kind: 'DESTINATION', resourceId: destinationId, reason: 'DESTINATION_AT_CAPACITY', detail: 'at capacity 2/2' });

async function company(m: EntityManager, slug: string): Promise<string> {
  const id = randomUUID();
  await m.getRepository(Company).insert({ id, name: slug, slug, timeZone: 'Europe/London' });
  return id;
}

async function call(m: EntityManager, companyId: string): Promise<{ id: string; companyId: string }> {
  const id = randomUUID();
  // Only the columns the table had then (later migrations add others the entity now has).
  const columns = ['id', 'companyId', 'connectorCallId', 'queueId', 'priority', 'state', 'enqueuedAt', 'eligiblePriorities', 'lastOfferEndedAt'];
  await m.createQueryBuilder().insert().into(Call, columns).values({
    id, companyId, connectorCallId: `c-${id}`, queueId: null, priority: 0, state: 'FAILED', enqueuedAt: new Date(FROM), eligiblePriorities: [], lastOfferEndedAt: {},
  }).updateEntity(false).execute();
  return { id, companyId };
}

async function destinations(m: EntityManager, companyId: string, n: number): Promise<Array<{ id: string; name: string }>> {
  const rows = Array.from({ length: n }, (_, i) => ({ id: randomUUID(), name: `D${i + 1}` }));
  // Only the columns the table had then (later migrations add others the entity now has).
  const columns = ['id', 'companyId', 'version', 'name', 'numberMode', 'number', 'maxSimultaneousCalls'];
  for (const r of rows) {
    await m.createQueryBuilder().insert().into(ExternalDestination, columns).values({ ...r, companyId, version: 1, numberMode: NumberMode.FULL_NUMBER, number: '+442079460958', maxSimultaneousCalls: 2 }).updateEntity(false).execute();
  }
  return rows;
}

/** A trace entry as the engine writes one (its next seq), without refusal records. */
async function entry(m: EntityManager, c: { id: string; companyId: string }, at: number, skipped: Skipped): Promise<void> {
  const seq = (await m.getRepository(CallTraceEntry).countBy({ callId: c.id })) + 1;
  await m.getRepository(CallTraceEntry).insert({
    companyId: c.companyId, callId: c.id, seq, at: new Date(at), step: 'ROUTE', summary: 'routing', considered: [], skipped, chosen: null, facts: { words: ['routing'] },
  });
}

/** The refusals as statistics read them before they had records of their own: the skips for capacity in a company's trace entries. */
async function refusalsFromTraces(ds: DataSource, companyId: string): Promise<Map<string, RefusalRecord[]>> {
  const out = new Map<string, RefusalRecord[]>();
  for (const e of await ds.getRepository(CallTraceEntry).find({ where: { companyId }, order: { at: 'ASC' } })) {
    for (const skip of e.skipped) {
      if (skip.kind !== 'DESTINATION' || skip.reason !== 'DESTINATION_AT_CAPACITY') continue;
      out.set(skip.resourceId, [...(out.get(skip.resourceId) ?? []), { callId: e.callId, at: e.at.getTime() }]);
    }
  }
  return out;
}

describe.each(dialects())('capacity refusals (%s)', (dialect) => {
  it('are filled from the trace entries written before the migration, and the figures over those entries stay exactly the same', async () => {
    const db = await scratchDatabase(dialect);
    const migrations = dialect === 'postgres' ? POSTGRES_MIGRATIONS : SQLITE_MIGRATIONS;
    const refusals = migrations.findIndex((m) => m.name === 'CapacityRefusals1796200000000');
    expect(refusals).toBeGreaterThan(0);
    // The database as it was before the refusal records: every earlier migration.
    const before = new DataSource({ ...createDataSource(db.database).options, migrations: migrations.slice(0, refusals) } as DataSourceOptions);
    let ds: DataSource | null = null;
    try {
      await before.initialize();
      await before.runMigrations({ transaction: 'each' });
      const m = before.manager;
      const own = await company(m, 'own');
      const other = await company(m, 'other');
      const rows = await destinations(m, own, 4);
      const [d1, d2, d3, d4] = rows.map((r) => r.id) as [string, string, string, string];
      const c1 = await call(m, own);
      const c2 = await call(m, own);
      const c3 = await call(m, own);
      const elsewhere = await call(m, other);
      // c1: d1 and d2 full (d1 named twice in one entry), d1 full again later in the same interval, then in the next one.
      await entry(m, c1, FROM + 5 * MIN, [full(d1), full(d2), full(d1), { kind: 'GROUP', resourceId: randomUUID(), reason: 'GROUP_NOT_ELIGIBLE', detail: 'not yet' }]);
      await entry(m, c1, FROM + 10 * MIN, [full(d1)]);
      await entry(m, c1, FROM + 20 * MIN, [full(d1)]);
      // c2: d1 backed off (not a refusal), d3 full; a skip of another reason that only mentions capacity in its words.
      await entry(m, c2, FROM + 40 * MIN, [{ kind: 'DESTINATION', resourceId: d1, reason: 'DESTINATION_BACKED_OFF', detail: 'backed off' }, full(d3)]);
      await entry(m, c2, FROM + 41 * MIN, [{ kind: 'AGENT', resourceId: randomUUID(), reason: 'AGENT_BUSY', detail: 'DESTINATION_AT_CAPACITY' }]);
      // c3: d1 full before the range and at its end (outside both), d4 full in it; a skip naming no destination id.
      await entry(m, c3, FROM - MIN, [full(d1)]);
      await entry(m, c3, RANGE.to, [full(d1)]);
      await entry(m, c3, FROM + 59 * MIN, [full(d4), full('not-a-destination')]);
      await entry(m, c3, FROM + 59 * MIN + 1, []);
      // Another company's call refused by the same destination.
      await entry(m, elsewhere, FROM + 5 * MIN, [full(d1)]);
      const legacy = await refusalsFromTraces(before, own);
      const expected = rows.map((r) => ({ ...r, figures: destinationFigures([], legacy.get(r.id) ?? [], RANGE) }));
      await before.destroy();

      ds = await openDataSource(db.database);
      const records = await ds.getRepository(CapacityRefusal).find({ where: { companyId: own } });
      const of = (destinationId: string) => records.filter((r) => r.destinationId === destinationId).map((r) => [r.callId, r.at.getTime()]).sort((a, b) => Number(a[1]) - Number(b[1]));
      // One record per entry and destination, at the entry's time, for the entry's call.
      expect(of(d1)).toEqual([[c3.id, FROM - MIN], [c1.id, FROM + 5 * MIN], [c1.id, FROM + 10 * MIN], [c1.id, FROM + 20 * MIN], [c3.id, RANGE.to]]);
      expect(of(d2)).toEqual([[c1.id, FROM + 5 * MIN]]);
      expect(of(d3)).toEqual([[c2.id, FROM + 40 * MIN]]);
      expect(of(d4)).toEqual([[c3.id, FROM + 59 * MIN]]);
      expect(await ds.getRepository(CapacityRefusal).find({ where: { companyId: other } })).toEqual([
        expect.objectContaining({ callId: elsewhere.id, destinationId: d1, at: new Date(FROM + 5 * MIN) }),
      ]);
      expect(records.every((r) => /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/.test(r.id))).toBe(true);

      const statistics = new StatisticsService(ds, () => RANGE.now);
      const figures = await statistics.destinationFigures(own, rows, RANGE);
      expect(figures).toEqual(expected);
      const limit = (i: number) => figures[i]!.figures;
      expect(limit(0).total.limitReached).toBe(1);
      expect(limit(0).intervals.map((f) => f.limitReached)).toEqual([1, 1, 0, 0]);
      expect([limit(1).total.limitReached, limit(2).total.limitReached, limit(3).total.limitReached]).toEqual([1, 1, 1]);
      expect(limit(3).intervals.map((f) => f.limitReached)).toEqual([0, 0, 0, 1]);
      // The rebuild command prints the same figures, totals and per interval.
      for (const perInterval of [false, true]) {
        expect(await statistics.companyCsv(own, 'DESTINATIONS', RANGE, perInterval)).toBe(await toCsv(expected as unknown as Parameters<typeof toCsv>[0], RANGE, 'Europe/London', perInterval));
      }

      // Undone, the table goes; done again, it is filled again from the same entries.
      // (the migrations after it are undone first, then it)
      for (let i = refusals; i < migrations.length; i += 1) await ds.undoLastMigration({ transaction: 'each' });
      expect(await ds.createQueryRunner().hasTable('capacity_refusal')).toBe(false);
      await ds.runMigrations({ transaction: 'each' });
      expect(await ds.getRepository(CapacityRefusal).countBy({ companyId: own })).toBe(records.length);
      expect(await statistics.destinationFigures(own, rows, RANGE)).toEqual(expected);
    } finally {
      if (before.isInitialized) await before.destroy();
      if (ds?.isInitialized) await ds.destroy();
      await db.dispose();
    }
  });

  describe('written with each trace entry', () => {
    let db: Awaited<ReturnType<typeof scratchDatabase>>;
    let ds: DataSource;
    beforeAll(async () => {
      db = await scratchDatabase(dialect);
      ds = await openDataSource(db.database);
    });
    afterAll(async () => {
      await ds?.destroy();
      await db?.dispose();
    });

    /** What the engine's `trace(m, call, entry)` does: the entry, then its refusal records, in one transaction. */
    async function trace(m: EntityManager, c: { id: string; companyId: string }, input: { at: number; skipped?: Skipped }): Promise<void> {
      await entry(m, c, input.at, input.skipped ?? []);
      await recordCapacityRefusals(m, c, input);
    }

    it('records each destination an entry skips for capacity, once, in the entry\'s transaction; statistics count the calls', async () => {
      const own = await company(ds.manager, 'written');
      const rows = await destinations(ds.manager, own, 2);
      const [d1, d2] = rows.map((r) => r.id) as [string, string];
      const c1 = await call(ds.manager, own);
      const c2 = await call(ds.manager, own);
      await inTransaction(ds, async (m) => {
        await trace(m, c1, { at: FROM + MIN, skipped: [full(d1), full(d1), full(d2), { kind: 'DESTINATION', resourceId: d2, reason: 'DESTINATION_RETRY_WAIT', detail: 'waits' }] });
        await trace(m, c1, { at: FROM + 2 * MIN });
        await trace(m, c2, { at: FROM + 20 * MIN, skipped: [{ kind: 'AGENT', resourceId: randomUUID(), reason: 'AGENT_BUSY', detail: 'on a call' }] });
        await trace(m, c2, { at: FROM + 30 * MIN, skipped: [full(d1)] });
      });
      // An entry whose transaction rolls back leaves no refusal either.
      await expect(inTransaction(ds, async (m) => {
        await trace(m, c2, { at: FROM + 31 * MIN, skipped: [full(d2)] });
        throw new Error('rolled back');
      })).rejects.toThrow('rolled back');

      const records = await ds.getRepository(CapacityRefusal).find({ where: { companyId: own } });
      const key = (r: { callId: string; destinationId: string; at: number }) => `${r.at} ${r.destinationId} ${r.callId}`;
      expect(records.map((r) => key({ ...r, at: r.at.getTime() })).sort()).toEqual([
        { callId: c1.id, destinationId: d1, at: FROM + MIN }, { callId: c1.id, destinationId: d2, at: FROM + MIN }, { callId: c2.id, destinationId: d1, at: FROM + 30 * MIN },
      ].map(key).sort());

      const statistics = new StatisticsService(ds, () => RANGE.now);
      const [f1, f2] = await statistics.destinationFigures(own, rows, RANGE);
      expect(f1!.figures.total).toMatchObject({ limitReached: 2, offered: 0 });
      expect(f1!.figures.intervals.map((i) => i.limitReached)).toEqual([1, 0, 1, 0]);
      expect(f2!.figures.total.limitReached).toBe(1);
      // The rebuild command (and statisticsCsv) read the same records.
      const csv = (await statistics.companyCsv(own, 'DESTINATIONS', RANGE, false)).split('\r\n').map((line) => line.split(','));
      const column = csv[0]!.indexOf('limitReached');
      expect(csv.slice(1, 3).map((line) => [line[1], line[column]])).toEqual([['D1', '2'], ['D2', '1']]);
    });

    it('reads many refusals page by page and many destinations a batch at a time, each record counted against the question\'s limit', async () => {
      const own = await company(ds.manager, 'many');
      const busy = randomUUID();
      const others = Array.from({ length: 150 }, () => randomUUID());
      await inTransaction(ds, async (m) => {
        for (let i = 0; i < 300; i += 1) {
          const c = await call(m, own);
          // Two calls a minute for 150 minutes: 120 in the hour of the range.
          await trace(m, c, { at: FROM - 30 * MIN + Math.floor(i / 2) * MIN, skipped: [full(busy), ...(i < others.length ? [full(others[i]!)] : [])] });
        }
      });
      const rows = [{ id: busy, name: 'Busy' }, ...others.map((id, i) => ({ id, name: `Other ${i}` }))];
      const statistics = new StatisticsService(ds, () => RANGE.now);
      const range = { from: FROM - 30 * MIN, to: FROM + 2 * 3_600_000, now: FROM + 3 * 3_600_000 };
      const figures = await statistics.destinationFigures(own, rows, range);
      expect(figures[0]!.figures.total.limitReached).toBe(300);
      expect(figures[0]!.figures.intervals.slice(0, 10).map((i) => i.limitReached)).toEqual([30, 30, 30, 30, 30, 30, 30, 30, 30, 30]);
      expect(figures.slice(1).every((f) => f.figures.total.limitReached === 1)).toBe(true);
      expect(figures.slice(1).map((f) => f.figures.intervals.findIndex((i) => i.limitReached === 1))).toEqual(others.map((_, i) => Math.floor(Math.floor(i / 2) / 15)));

      // The same from the records alone (the reference path), whose every record counts against the limit; the
      // figures above read the buckets inside the range (decision 025), a few rows, whatever the number of calls.
      expect(await new StatisticsService(ds, () => RANGE.now, null, 'records').destinationFigures(own, rows, range)).toEqual(figures);
      const bounded = new StatisticsService(ds, () => RANGE.now, { maxRecords: 299, maxCsvRows: 1_000, source: 'records' }, 'records');
      await expect(bounded.destinationFigures(own, rows.slice(0, 1), range)).rejects.toMatchObject({ extensions: { code: 'QUERY_TOO_COMPLEX', maxRecords: 299 } });
      const enough = new StatisticsService(ds, () => RANGE.now, { maxRecords: 300, maxCsvRows: 1_000, source: 'records' }, 'records');
      expect((await enough.destinationFigures(own, rows.slice(0, 1), range))[0]!.figures.total.limitReached).toBe(300);
      const buckets = new StatisticsService(ds, () => RANGE.now, { maxRecords: 299, maxCsvRows: 1_000, source: 'buckets' });
      expect((await buckets.destinationFigures(own, rows.slice(0, 1), range))[0]!.figures.total.limitReached).toBe(300);
    });
  });
});
