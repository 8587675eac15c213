import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A group's distribution over its external destinations and the group an offer came from (decision 034).
 * Columns are added in place (no table rebuild): rebuilding agent_group would drop and re-create a table other
 * tables refer to, which with foreign keys on (an undo runs in a transaction, where they cannot be turned
 * off) cascades to the rows that refer to it.
 */
export class GroupDistribution1796290000000 implements MigrationInterface {
  name = 'GroupDistribution1796290000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query("ALTER TABLE \"agent_group\" ADD COLUMN \"externalDistribution\" varchar(20) NOT NULL DEFAULT ('MOST_SPARE')");
    await queryRunner.query("ALTER TABLE \"agent_group\" ADD COLUMN \"destinationOrder\" text NOT NULL DEFAULT ('[]')");
    await queryRunner.query("ALTER TABLE \"agent_group\" ADD COLUMN \"destinationShares\" text NOT NULL DEFAULT ('{}')");
    await queryRunner.query("ALTER TABLE \"agent_group\" ADD COLUMN \"shareWindow\" integer NOT NULL DEFAULT (100)");
    await queryRunner.query("ALTER TABLE \"call_attempt\" ADD COLUMN \"groupId\" varchar");
    await queryRunner.query("CREATE INDEX \"idx_call_attempt_group_started\" ON \"call_attempt\" (\"companyId\", \"groupId\", \"startedAt\") ");
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query("DROP INDEX \"idx_call_attempt_group_started\"");
    await queryRunner.query("ALTER TABLE \"call_attempt\" DROP COLUMN \"groupId\"");
    await queryRunner.query("ALTER TABLE \"agent_group\" DROP COLUMN \"shareWindow\"");
    await queryRunner.query("ALTER TABLE \"agent_group\" DROP COLUMN \"destinationShares\"");
    await queryRunner.query("ALTER TABLE \"agent_group\" DROP COLUMN \"destinationOrder\"");
    await queryRunner.query("ALTER TABLE \"agent_group\" DROP COLUMN \"externalDistribution\"");
  }
}
