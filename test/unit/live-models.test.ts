import { Company } from '../../src/entities/company.entity';
import { ExternalDestination } from '../../src/entities/external-destination.entity';
import type { ModelRows } from '../../src/live/company-model';
import type { Change } from '../../src/routing/vocabulary';
import { LiveModels } from '../../src/live/live-models';
import { createLogger } from '../../src/logger';
import { ManualScheduler } from '../../src/platform/scheduler';
import { MemoryAuthorityVersionStore } from '../../src/store/authority-version-store';

const C = 'company-1';

/**
 * A system of record in memory: a company's version and destination names, with every read counted. A read
 * can be held back (`hold`) to see what the models do while it is in flight.
 */
class FakeRecord {
  version = 1;
  names = new Map<string, string>([['d1', 'First']]);
  exists = true;
  reads = { all: 0, changed: [] as Change[][], versions: 0 };
  failNext: Error | null = null;
  private held: Array<() => void> | null = null;

  /** Commits a change: the version moves and a destination is renamed. */
  commit(id: string, name: string | null): { companyId: string; version: number; changes: Change[] } {
    this.version += 1;
    if (name === null) this.names.delete(id);
    else this.names.set(id, name);
    return { companyId: C, version: this.version, changes: [{ kind: 'destination', id }] };
  }

  hold(): void {
    this.held = [];
  }

  release(): void {
    for (const r of this.held ?? []) r();
    this.held = null;
  }

  private async gate(): Promise<void> {
    if (this.held !== null) await new Promise<void>((r) => this.held!.push(r));
    if (this.failNext !== null) {
      const e = this.failNext;
      this.failNext = null;
      throw e;
    }
  }

  private rows(ids: readonly string[] | null) {
    const wanted = ids ?? [...this.names.keys()];
    const rows = wanted.filter((id) => this.names.has(id)).map((id) => Object.assign(new ExternalDestination(), { id, companyId: C, name: this.names.get(id)! }));
    return { ids, rows };
  }

  readonly loader = {
    all: async (companyId: string): Promise<{ version: number; rows: ModelRows }> => {
      this.reads.all += 1;
      // As the loader: a company that is gone reads at the highest version (its empty model never ages).
      const version = this.exists ? this.version : Number.MAX_SAFE_INTEGER;
      await this.gate();
      const company = this.exists ? Object.assign(new Company(), { id: companyId, authorityVersion: version }) : null;
      return { version, rows: { company: { row: company }, destinations: this.rows(null) } };
    },
    changed: async (_companyId: string, changes: readonly Change[]): Promise<ModelRows> => {
      this.reads.changed.push([...changes]);
      await this.gate();
      return { destinations: this.rows(changes.map((c) => c.id)) };
    },
    versions: async (ids: readonly string[]): Promise<Map<string, number>> => {
      this.reads.versions += 1;
      return new Map(this.exists ? ids.map((id) => [id, this.version]) : []);
    },
  };
}

function setup() {
  const record = new FakeRecord();
  const scheduler = new ManualScheduler();
  const copies = new MemoryAuthorityVersionStore();
  const models = new LiveModels(record.loader, copies, { scheduler, logger: createLogger('silent') });
  models.start();
  const heard: string[] = [];
  models.onChanged((id) => heard.push(id));
  return { record, scheduler, copies, models, heard };
}

const nameOf = async (models: LiveModels, id: string) => (await models.get(C)).destinations.get(id)?.name;

describe('LiveModels', () => {
  it('reads a company whole on first use and serves it from memory afterwards', async () => {
    const { record, models } = setup();
    expect(models.peek(C)).toBeUndefined();
    expect(await nameOf(models, 'd1')).toBe('First');
    expect(await nameOf(models, 'd1')).toBe('First');
    expect(models.peek(C)?.version).toBe(1);
    expect(record.reads.all).toBe(1);
  });

  it('reads only the rows a change names when the change follows the version it holds, and tells listeners', async () => {
    const { record, models, heard } = setup();
    await models.get(C);
    heard.length = 0;
    await models.receive(record.commit('d1', 'Renamed'));
    expect(await nameOf(models, 'd1')).toBe('Renamed');
    expect(record.reads).toMatchObject({ all: 1, changed: [[{ kind: 'destination', id: 'd1' }]] });
    expect(heard).toEqual([C]);
  });

  it('reads the company whole when a change does not follow the version it holds (one was missed)', async () => {
    const { record, models } = setup();
    await models.get(C);
    record.commit('d2', 'Missed');
    await models.receive(record.commit('d1', 'Renamed'));
    expect(await nameOf(models, 'd2')).toBe('Missed');
    expect(record.reads.all).toBe(2);
    expect(models.peek(C)?.version).toBe(3);
  });

  it('ignores a change it already holds, such as its own arriving again through the bus', async () => {
    const { record, models } = setup();
    await models.get(C);
    const change = record.commit('d1', 'Renamed');
    await models.receive(change);
    await models.receive(change);
    expect(record.reads.changed).toHaveLength(1);
  });

  it('ignores changes of companies it does not hold', async () => {
    const { record, models } = setup();
    await models.receive(record.commit('d1', 'Renamed'));
    expect(record.reads).toMatchObject({ all: 0, changed: [] });
  });

  it('makes reads wait while a change is applied, so nothing it knows to be out of date is served', async () => {
    const { record, models } = setup();
    await models.get(C);
    record.hold();
    const applied = models.receive(record.commit('d1', 'Renamed'));
    expect(models.peek(C)).toBeUndefined();
    let answered: string | undefined;
    const read = nameOf(models, 'd1').then((n) => (answered = n));
    await new Promise((r) => setImmediate(r));
    expect(answered).toBeUndefined();
    record.release();
    await Promise.all([applied, read]);
    expect(answered).toBe('Renamed');
  });

  it('drops what it holds and reads it again at the first check after the version moved without its change arriving', async () => {
    const { record, scheduler, copies, models, heard } = setup();
    await models.get(C);
    heard.length = 0;
    const missed = record.commit('d1', 'Renamed');
    await copies.raise(C, missed.version);
    expect(await nameOf(models, 'd1')).toBe('First');
    await scheduler.advance(999);
    expect(await nameOf(models, 'd1')).toBe('First');
    await scheduler.advance(1);
    expect(await nameOf(models, 'd1')).toBe('Renamed');
    expect(heard).toEqual([C]);
  });

  it('reads the version from the system of record when its copy is missing (Redis restarted empty) and raises the copy', async () => {
    const { record, scheduler, copies, models } = setup();
    await models.get(C);
    record.commit('d1', 'Renamed');
    await scheduler.advance(1_000);
    expect(record.reads.versions).toBe(1);
    expect(await nameOf(models, 'd1')).toBe('Renamed');
    expect(await copies.get([C])).toEqual(new Map([[C, 2]]));
  });

  it('reads the system of record every tenth check even when the copies answer, so a copy that was never raised cannot hide a change', async () => {
    const { record, scheduler, copies, models } = setup();
    await models.get(C);
    await copies.raise(C, 1);
    record.commit('d1', 'Renamed'); // committed, but the instance that made it died before raising the copy
    await scheduler.advance(9_000);
    expect(record.reads.versions).toBe(0);
    expect(await nameOf(models, 'd1')).toBe('First');
    await scheduler.advance(1_000);
    expect(record.reads.versions).toBe(1);
    expect(await nameOf(models, 'd1')).toBe('Renamed');
  });

  it('drops a company that is gone from the system of record at the next record check, and reads it no more after that', async () => {
    const { record, scheduler, copies, models } = setup();
    await models.get(C);
    await copies.raise(C, 5);
    record.exists = false;
    await scheduler.advance(10_000);
    expect((await models.get(C)).company).toBeNull();
    const reads = record.reads.all;
    await scheduler.advance(30_000);
    expect(record.reads.all).toBe(reads);
  });

  it('fails the reads waiting for a load that failed, and reads again on the next use', async () => {
    const { record, models } = setup();
    record.failNext = new Error('database unreachable');
    await expect(models.get(C)).rejects.toThrow('database unreachable');
    expect(await nameOf(models, 'd1')).toBe('First');
    expect(record.reads.all).toBe(2);
  });

  it('drops a model whose change could not be applied, tells listeners (what was held is no longer trusted), and reads it whole on the next use', async () => {
    const { record, models, heard } = setup();
    await models.get(C);
    heard.length = 0;
    record.failNext = new Error('database unreachable');
    await expect(models.receive(record.commit('d1', 'Renamed'))).rejects.toThrow('database unreachable');
    expect(models.peek(C)).toBeUndefined();
    expect(heard).toEqual([C]);
    expect(await nameOf(models, 'd1')).toBe('Renamed');
    expect(record.reads.all).toBe(2);
  });

  it('reads again at the next check a company whose change could not be applied, with no request needed', async () => {
    const { record, scheduler, models } = setup();
    await models.get(C);
    record.failNext = new Error('database unreachable');
    await expect(models.receive(record.commit('d1', 'Renamed'))).rejects.toThrow('database unreachable');
    await scheduler.advance(1_000);
    expect(models.peek(C)?.destinations.get('d1')?.name).toBe('Renamed');
  });

  it('answers a read that waited for a failed change by reading the company again, not with that failure', async () => {
    const { record, models } = setup();
    await models.get(C);
    record.hold();
    record.failNext = new Error('database unreachable');
    const applied = models.receive(record.commit('d1', 'Renamed'));
    const read = nameOf(models, 'd1');
    record.release();
    await expect(applied).rejects.toThrow('database unreachable');
    expect(await read).toBe('Renamed');
  });

  it('stops checking once stopped', async () => {
    const { record, scheduler, models } = setup();
    await models.get(C);
    await models.stop();
    record.commit('d1', 'Renamed');
    await scheduler.advance(20_000);
    expect(record.reads.versions).toBe(0);
    expect(scheduler.size).toBe(0);
  });
});
