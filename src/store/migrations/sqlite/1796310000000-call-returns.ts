import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Calls handed back by external destinations (decision 036). Added in place (no table rebuild): rebuilding
 * "call" or "queue" would drop and re-create tables others refer to, which with foreign keys on (an undo runs
 * in a transaction, where they cannot be turned off) deletes the referring rows by cascade.
 */
export class CallReturns1796310000000 implements MigrationInterface {
  name = 'CallReturns1796310000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query("ALTER TABLE \"queue\" ADD COLUMN \"returnedCallsToExternal\" boolean NOT NULL DEFAULT (0)");
    await queryRunner.query("ALTER TABLE \"call\" ADD COLUMN \"returnCount\" integer NOT NULL DEFAULT (0)");
    await queryRunner.query("ALTER TABLE \"call\" ADD COLUMN \"returnReason\" varchar(200)");
    await queryRunner.query("ALTER TABLE \"call\" ADD COLUMN \"returnedAt\" datetime");
    await queryRunner.query("ALTER TABLE \"call_attempt\" ADD COLUMN \"returnReason\" varchar(200)");
    await queryRunner.query("ALTER TABLE \"stat_destination_bucket\" ADD COLUMN \"returned\" integer NOT NULL DEFAULT (0)");
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query("ALTER TABLE \"stat_destination_bucket\" DROP COLUMN \"returned\"");
    await queryRunner.query("ALTER TABLE \"call_attempt\" DROP COLUMN \"returnReason\"");
    await queryRunner.query("ALTER TABLE \"call\" DROP COLUMN \"returnedAt\"");
    await queryRunner.query("ALTER TABLE \"call\" DROP COLUMN \"returnReason\"");
    await queryRunner.query("ALTER TABLE \"call\" DROP COLUMN \"returnCount\"");
    await queryRunner.query("ALTER TABLE \"queue\" DROP COLUMN \"returnedCallsToExternal\"");
  }
}
