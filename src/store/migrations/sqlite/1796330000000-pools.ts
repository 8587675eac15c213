import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Capacity pools (decision 038): their table and their refusals', and the columns added in place (no table
 * rebuild: "external_destination" and "call_attempt" are referred to by other tables, whose rows a rebuild
 * with foreign keys on would delete by cascade).
 */
export class Pools1796330000000 implements MigrationInterface {
  name = 'Pools1796330000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query("CREATE TABLE \"capacity_pool\" (\"id\" varchar PRIMARY KEY NOT NULL, \"companyId\" varchar NOT NULL, \"version\" integer NOT NULL, \"createdAt\" datetime NOT NULL DEFAULT (datetime('now')), \"updatedAt\" datetime NOT NULL DEFAULT (datetime('now')), \"name\" varchar(100) NOT NULL, \"maxSimultaneousCalls\" integer NOT NULL, CONSTRAINT \"uq_capacity_pool_company_name\" UNIQUE (\"companyId\", \"name\"), CONSTRAINT \"FK_e96fa5d521ab9a072e01363ddfe\" FOREIGN KEY (\"companyId\") REFERENCES \"company\" (\"id\") ON DELETE CASCADE ON UPDATE NO ACTION)");
    await queryRunner.query("CREATE INDEX \"IDX_e96fa5d521ab9a072e01363ddf\" ON \"capacity_pool\" (\"companyId\") ");
    await queryRunner.query("CREATE TABLE \"pool_refusal\" (\"id\" varchar PRIMARY KEY NOT NULL, \"companyId\" varchar NOT NULL, \"poolId\" varchar NOT NULL, \"callId\" varchar NOT NULL, \"at\" datetime NOT NULL, CONSTRAINT \"FK_ca375c59bc9e4931318823ab6ca\" FOREIGN KEY (\"companyId\") REFERENCES \"company\" (\"id\") ON DELETE CASCADE ON UPDATE NO ACTION)");
    await queryRunner.query("CREATE INDEX \"IDX_ca375c59bc9e4931318823ab6c\" ON \"pool_refusal\" (\"companyId\") ");
    await queryRunner.query("CREATE INDEX \"idx_pool_refusal_pool_at\" ON \"pool_refusal\" (\"companyId\", \"poolId\", \"at\") ");
    await queryRunner.query("ALTER TABLE \"external_destination\" ADD COLUMN \"capacityPoolId\" varchar");
    await queryRunner.query("ALTER TABLE \"call_attempt\" ADD COLUMN \"poolId\" varchar");
    await queryRunner.query("CREATE INDEX \"idx_call_attempt_pool_started\" ON \"call_attempt\" (\"companyId\", \"poolId\", \"startedAt\") ");
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query("DROP INDEX \"idx_call_attempt_pool_started\"");
    await queryRunner.query("ALTER TABLE \"call_attempt\" DROP COLUMN \"poolId\"");
    await queryRunner.query("ALTER TABLE \"external_destination\" DROP COLUMN \"capacityPoolId\"");
    await queryRunner.query("DROP INDEX \"idx_pool_refusal_pool_at\"");
    await queryRunner.query("DROP INDEX \"IDX_ca375c59bc9e4931318823ab6c\"");
    await queryRunner.query("DROP TABLE \"pool_refusal\"");
    await queryRunner.query("DROP INDEX \"IDX_e96fa5d521ab9a072e01363ddf\"");
    await queryRunner.query("DROP TABLE \"capacity_pool\"");
  }
}
