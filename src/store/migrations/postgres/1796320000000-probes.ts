import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Health probes of external destinations (decision 037). */
export class Probes1796320000000 implements MigrationInterface {
  name = 'Probes1796320000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query("CREATE TABLE \"destination_probe\" (\"id\" uuid NOT NULL DEFAULT gen_random_uuid(), \"companyId\" uuid NOT NULL, \"destinationId\" uuid NOT NULL, \"number\" character varying(16) NOT NULL, \"timeoutSec\" integer NOT NULL, \"sentAt\" TIMESTAMP NOT NULL, \"outcome\" character varying(16), \"endedAt\" TIMESTAMP, CONSTRAINT \"PK_c732115f3be49de4ab6020e4d00\" PRIMARY KEY (\"id\"))");
    await queryRunner.query("CREATE INDEX \"IDX_54ff531bea872de4b52d66abfd\" ON \"destination_probe\"  (\"companyId\") ");
    await queryRunner.query("CREATE INDEX \"idx_destination_probe_destination_sent\" ON \"destination_probe\"  (\"companyId\", \"destinationId\", \"sentAt\") ");
    await queryRunner.query("ALTER TABLE \"external_destination\" ADD \"probeIntervalSec\" integer");
    await queryRunner.query("ALTER TABLE \"external_destination\" ADD \"probeTimeoutSec\" integer");
    await queryRunner.query("ALTER TABLE \"external_destination\" ADD \"probeSuccessesToResume\" integer");
    await queryRunner.query("ALTER TABLE \"external_destination\" ADD \"probeNumber\" character varying(16)");
    await queryRunner.query("ALTER TABLE \"destination_probe\" ADD CONSTRAINT \"FK_54ff531bea872de4b52d66abfd8\" FOREIGN KEY (\"companyId\") REFERENCES \"company\"(\"id\") ON DELETE CASCADE ON UPDATE NO ACTION");
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query("ALTER TABLE \"destination_probe\" DROP CONSTRAINT \"FK_54ff531bea872de4b52d66abfd8\"");
    await queryRunner.query("ALTER TABLE \"external_destination\" DROP COLUMN \"probeNumber\"");
    await queryRunner.query("ALTER TABLE \"external_destination\" DROP COLUMN \"probeSuccessesToResume\"");
    await queryRunner.query("ALTER TABLE \"external_destination\" DROP COLUMN \"probeTimeoutSec\"");
    await queryRunner.query("ALTER TABLE \"external_destination\" DROP COLUMN \"probeIntervalSec\"");
    await queryRunner.query("DROP INDEX \"public\".\"idx_destination_probe_destination_sent\"");
    await queryRunner.query("DROP INDEX \"public\".\"IDX_54ff531bea872de4b52d66abfd\"");
    await queryRunner.query("DROP TABLE \"destination_probe\"");
  }
}
