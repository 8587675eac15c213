import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Capacity pools (decision 038). */
export class Pools1796330000000 implements MigrationInterface {
  name = 'Pools1796330000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query("CREATE TABLE \"capacity_pool\" (\"id\" uuid NOT NULL DEFAULT gen_random_uuid(), \"companyId\" uuid NOT NULL, \"version\" integer NOT NULL, \"createdAt\" TIMESTAMP NOT NULL DEFAULT now(), \"updatedAt\" TIMESTAMP NOT NULL DEFAULT now(), \"name\" character varying(100) NOT NULL, \"maxSimultaneousCalls\" integer NOT NULL, CONSTRAINT \"uq_capacity_pool_company_name\" UNIQUE (\"companyId\", \"name\"), CONSTRAINT \"PK_dfd5cf879d5866b25c0958a8815\" PRIMARY KEY (\"id\"))");
    await queryRunner.query("CREATE INDEX \"IDX_e96fa5d521ab9a072e01363ddf\" ON \"capacity_pool\"  (\"companyId\") ");
    await queryRunner.query("CREATE TABLE \"pool_refusal\" (\"id\" uuid NOT NULL DEFAULT gen_random_uuid(), \"companyId\" uuid NOT NULL, \"poolId\" uuid NOT NULL, \"callId\" uuid NOT NULL, \"at\" TIMESTAMP NOT NULL, CONSTRAINT \"PK_e20b9e884c3c34214b49eee4110\" PRIMARY KEY (\"id\"))");
    await queryRunner.query("CREATE INDEX \"IDX_ca375c59bc9e4931318823ab6c\" ON \"pool_refusal\"  (\"companyId\") ");
    await queryRunner.query("CREATE INDEX \"idx_pool_refusal_pool_at\" ON \"pool_refusal\"  (\"companyId\", \"poolId\", \"at\") ");
    await queryRunner.query("ALTER TABLE \"external_destination\" ADD \"capacityPoolId\" uuid");
    await queryRunner.query("ALTER TABLE \"call_attempt\" ADD \"poolId\" uuid");
    await queryRunner.query("CREATE INDEX \"idx_call_attempt_pool_started\" ON \"call_attempt\"  (\"companyId\", \"poolId\", \"startedAt\") ");
    await queryRunner.query("ALTER TABLE \"capacity_pool\" ADD CONSTRAINT \"FK_e96fa5d521ab9a072e01363ddfe\" FOREIGN KEY (\"companyId\") REFERENCES \"company\"(\"id\") ON DELETE CASCADE ON UPDATE NO ACTION");
    await queryRunner.query("ALTER TABLE \"pool_refusal\" ADD CONSTRAINT \"FK_ca375c59bc9e4931318823ab6ca\" FOREIGN KEY (\"companyId\") REFERENCES \"company\"(\"id\") ON DELETE CASCADE ON UPDATE NO ACTION");
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query("ALTER TABLE \"pool_refusal\" DROP CONSTRAINT \"FK_ca375c59bc9e4931318823ab6ca\"");
    await queryRunner.query("ALTER TABLE \"capacity_pool\" DROP CONSTRAINT \"FK_e96fa5d521ab9a072e01363ddfe\"");
    await queryRunner.query("DROP INDEX \"public\".\"idx_call_attempt_pool_started\"");
    await queryRunner.query("ALTER TABLE \"call_attempt\" DROP COLUMN \"poolId\"");
    await queryRunner.query("ALTER TABLE \"external_destination\" DROP COLUMN \"capacityPoolId\"");
    await queryRunner.query("DROP INDEX \"public\".\"idx_pool_refusal_pool_at\"");
    await queryRunner.query("DROP INDEX \"public\".\"IDX_ca375c59bc9e4931318823ab6c\"");
    await queryRunner.query("DROP TABLE \"pool_refusal\"");
    await queryRunner.query("DROP INDEX \"public\".\"IDX_e96fa5d521ab9a072e01363ddf\"");
    await queryRunner.query("DROP TABLE \"capacity_pool\"");
  }
}
