import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The context a call carries (decision 035). Added in place (no table rebuild): rebuilding "call" would drop
 * and re-create the table its attempts and trace entries refer to, which with foreign keys on (an undo runs
 * in a transaction, where they cannot be turned off) deletes them by cascade.
 */
export class CallContext1796300000000 implements MigrationInterface {
  name = 'CallContext1796300000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query("ALTER TABLE \"call\" ADD COLUMN \"context\" text NOT NULL DEFAULT ('[]')");
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query("ALTER TABLE \"call\" DROP COLUMN \"context\"");
  }
}
