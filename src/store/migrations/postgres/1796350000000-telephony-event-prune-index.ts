import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Applied telephony event ids are forgotten after 30 days (decision 039): an index on the time received. */
export class TelephonyEventPruneIndex1796350000000 implements MigrationInterface {
  name = 'TelephonyEventPruneIndex1796350000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query("CREATE INDEX \"idx_telephony_event_received\" ON \"telephony_event\"  (\"receivedAt\") ");
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query("DROP INDEX \"public\".\"idx_telephony_event_received\"");
  }
}
