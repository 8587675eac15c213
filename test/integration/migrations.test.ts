import { randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { openDataSource } from '../../src/store/data-source';
import { dialects, scratchDatabase } from '../support/dialects';

/** Undoes migrations, newest first, until the one named `name` is undone too. */
async function undoThrough(ds: DataSource, name: string): Promise<void> {
  const later = ds.migrations.length - ds.migrations.findIndex((m) => m.name === name);
  for (let i = 0; i < later; i += 1) await ds.undoLastMigration({ transaction: 'each' });
}

describe.each(dialects())('migrations on %s', (dialect) => {
  it('build exactly the schema the entities describe (no pending change)', async () => {
    const db = await scratchDatabase(dialect);
    const ds = await openDataSource(db.database);
    try {
      const pending = await ds.driver.createSchemaBuilder().log();
      expect(pending.upQueries.map((q) => q.query)).toEqual([]);
    } finally {
      await ds.destroy();
      await db.dispose();
    }
  });

  it("carry a queue bucket's waits, kept as JSON before, into wait rows and the default service level's columns, and back", async () => {
    const db = await scratchDatabase(dialect);
    const ds = await openDataSource(db.database);
    try {
      await undoThrough(ds, 'QueueWaits1796270000000');
      const p = (i: number) => (dialect === 'postgres' ? `$${i}` : '?');
      const company = randomUUID();
      const queue = randomUUID();
      await ds.query(`INSERT INTO company (id, name, slug, "timeZone") VALUES (${p(1)}, ${p(2)}, ${p(3)}, ${p(4)})`, [company, 'Waits', `waits-${company.slice(0, 8)}`, 'Europe/London']);
      const bucket = `INSERT INTO stat_queue_bucket ("companyId", "queueId", bucket, offered, settled, waits) VALUES (${p(1)}, ${p(2)}, ${p(3)}, ${p(4)}, ${p(5)}, ${p(6)})`;
      await ds.query(bucket, [company, queue, 7, 9, 6, JSON.stringify({ 'AGENT:12': 3, 'AGENT:25': 1, 'DESTINATION:20': 2, 'NONE:4': 1 })]);
      await ds.query(bucket, [company, queue, 8, 1, 0, '{}']);
      await ds.runMigrations({ transaction: 'each' });
      const waits = await ds.query(`SELECT bucket, "answeredBy", "waitSec", calls FROM stat_queue_wait WHERE "companyId" = ${p(1)} ORDER BY "answeredBy", "waitSec"`, [company]);
      expect(waits.map((w: Record<string, unknown>) => [Number(w.bucket), w.answeredBy, Number(w.waitSec), Number(w.calls)])).toEqual([
        [7, 'AGENT', 12, 3], [7, 'AGENT', 25, 1], [7, 'DESTINATION', 20, 2], [7, 'NONE', 4, 1],
      ]);
      const rows = await ds.query(`SELECT bucket, offered, answered, "waitSumSec", "answeredWithin", "agentsWithin" FROM stat_queue_bucket WHERE "companyId" = ${p(1)} ORDER BY bucket`, [company]);
      expect(rows.map((r: Record<string, unknown>) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, Number(v)])))).toEqual([
        { bucket: 7, offered: 9, answered: 7, waitSumSec: 3 * 12 + 25 + 2 * 20 + 4, answeredWithin: 6, agentsWithin: 3 },
        { bucket: 8, offered: 1, answered: 0, waitSumSec: 0, answeredWithin: 0, agentsWithin: 0 },
      ]);
      await undoThrough(ds, 'QueueWaits1796270000000');
      const [back] = await ds.query(`SELECT waits FROM stat_queue_bucket WHERE "companyId" = ${p(1)} AND bucket = 7`, [company]);
      expect(JSON.parse(back.waits)).toEqual({ 'AGENT:12': 3, 'AGENT:25': 1, 'DESTINATION:20': 2, 'NONE:4': 1 });
    } finally {
      await ds.destroy();
      await db.dispose();
    }
  });

  it('give the audit log to roles with MODIFY in every area (the Administrator role) and to no other role', async () => {
    const db = await scratchDatabase(dialect);
    const ds = await openDataSource(db.database);
    try {
      await undoThrough(ds, 'AuditLog1796280000000');
      const p = (i: number) => (dialect === 'postgres' ? `$${i}` : '?');
      const company = randomUUID();
      await ds.query(`INSERT INTO company (id, name, slug, "timeZone") VALUES (${p(1)}, ${p(2)}, ${p(3)}, ${p(4)})`, [company, 'Roles', `roles-${company.slice(0, 8)}`, 'Europe/London']);
      const areas = ['Externaldestinations', 'Queues', 'Agentgroups', 'Agents', 'Callflows', 'Schedules', 'Statistics', 'Users'];
      const role = async (name: string, levels: string[]) => {
        const id = randomUUID();
        const columns = areas.map((a) => `"priv${a}"`).join(', ');
        const values = levels.map((_, i) => p(i + 4)).join(', ');
        await ds.query(`INSERT INTO role (id, "companyId", version, name, ${columns}) VALUES (${p(1)}, ${p(2)}, 1, ${p(3)}, ${values})`, [id, company, name, ...levels]);
        return id;
      };
      const admin = await role('Administrator', areas.map(() => 'MODIFY'));
      const almost = await role('Almost', [...areas.slice(1).map(() => 'MODIFY'), 'VIEW']);
      await ds.runMigrations({ transaction: 'each' });
      const rows: Array<{ id: string; level: string }> = await ds.query(`SELECT id, "privAuditlog" AS level FROM role WHERE "companyId" = ${p(1)}`, [company]);
      expect(Object.fromEntries(rows.map((r) => [r.id, r.level]))).toEqual({ [admin]: 'MODIFY', [almost]: 'NONE' });
    } finally {
      await ds.destroy();
      await db.dispose();
    }
  });

  it('run once: opening the same database again applies nothing', async () => {
    const db = await scratchDatabase(dialect);
    try {
      await (await openDataSource(db.database)).destroy();
      const ds = await openDataSource(db.database);
      expect(await ds.showMigrations()).toBe(false);
      await ds.destroy();
    } finally {
      await db.dispose();
    }
  });
});
