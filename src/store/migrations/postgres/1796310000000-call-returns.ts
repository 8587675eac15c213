import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Calls handed back by external destinations (decision 036). */
export class CallReturns1796310000000 implements MigrationInterface {
  name = 'CallReturns1796310000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query("ALTER TABLE \"queue\" ADD \"returnedCallsToExternal\" boolean NOT NULL DEFAULT false");
    await queryRunner.query("ALTER TABLE \"call\" ADD \"returnCount\" integer NOT NULL DEFAULT '0'");
    await queryRunner.query("ALTER TABLE \"call\" ADD \"returnReason\" character varying(200)");
    await queryRunner.query("ALTER TABLE \"call\" ADD \"returnedAt\" TIMESTAMP");
    await queryRunner.query("ALTER TABLE \"call_attempt\" ADD \"returnReason\" character varying(200)");
    await queryRunner.query("ALTER TABLE \"stat_destination_bucket\" ADD \"returned\" integer NOT NULL DEFAULT '0'");
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
