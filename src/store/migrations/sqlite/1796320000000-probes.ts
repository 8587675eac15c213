import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Health probes of external destinations (decision 037). The destination's settings are added in place (no
 * table rebuild: "external_destination" is referred to by profiles and groups, whose rows a rebuild with
 * foreign keys on would delete by cascade); the probes' own table is new.
 */
export class Probes1796320000000 implements MigrationInterface {
  name = 'Probes1796320000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query("CREATE TABLE \"destination_probe\" (\"id\" varchar PRIMARY KEY NOT NULL, \"companyId\" varchar NOT NULL, \"destinationId\" varchar NOT NULL, \"number\" varchar(16) NOT NULL, \"timeoutSec\" integer NOT NULL, \"sentAt\" datetime NOT NULL, \"outcome\" varchar(16), \"endedAt\" datetime, CONSTRAINT \"FK_54ff531bea872de4b52d66abfd8\" FOREIGN KEY (\"companyId\") REFERENCES \"company\" (\"id\") ON DELETE CASCADE ON UPDATE NO ACTION)");
    await queryRunner.query("CREATE INDEX \"IDX_54ff531bea872de4b52d66abfd\" ON \"destination_probe\" (\"companyId\") ");
    await queryRunner.query("CREATE INDEX \"idx_destination_probe_destination_sent\" ON \"destination_probe\" (\"companyId\", \"destinationId\", \"sentAt\") ");
    await queryRunner.query("ALTER TABLE \"external_destination\" ADD COLUMN \"probeIntervalSec\" integer");
    await queryRunner.query("ALTER TABLE \"external_destination\" ADD COLUMN \"probeTimeoutSec\" integer");
    await queryRunner.query("ALTER TABLE \"external_destination\" ADD COLUMN \"probeSuccessesToResume\" integer");
    await queryRunner.query("ALTER TABLE \"external_destination\" ADD COLUMN \"probeNumber\" varchar(16)");
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query("ALTER TABLE \"external_destination\" DROP COLUMN \"probeNumber\"");
    await queryRunner.query("ALTER TABLE \"external_destination\" DROP COLUMN \"probeSuccessesToResume\"");
    await queryRunner.query("ALTER TABLE \"external_destination\" DROP COLUMN \"probeTimeoutSec\"");
    await queryRunner.query("ALTER TABLE \"external_destination\" DROP COLUMN \"probeIntervalSec\"");
    await queryRunner.query("DROP INDEX \"idx_destination_probe_destination_sent\"");
    await queryRunner.query("DROP INDEX \"IDX_54ff531bea872de4b52d66abfd\"");
    await queryRunner.query("DROP TABLE \"destination_probe\"");
  }
}
