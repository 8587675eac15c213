import { openDataSource } from '../../src/store/data-source';
import { dialects, scratchDatabase } from '../support/dialects';

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
