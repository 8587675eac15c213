import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Ended health probes are deleted by age over every company (decision 037): an index on the time sent. */
export class ProbePruneIndex1796340000000 implements MigrationInterface {
  name = 'ProbePruneIndex1796340000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query("CREATE INDEX \"idx_destination_probe_sent\" ON \"destination_probe\" (\"sentAt\") ");
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query("DROP INDEX \"idx_destination_probe_sent\"");
  }
}
