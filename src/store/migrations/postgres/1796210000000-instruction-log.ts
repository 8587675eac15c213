import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The instruction log (docs/decisions/023-instructions-at-least-once.md): every telephony instruction the
 * gateway issues, per company in `seq` order, outstanding until acknowledged, so that it is delivered again
 * and a reconnecting connector can ask what it missed.
 */
export class InstructionLog1796210000000 implements MigrationInterface {
  name = 'InstructionLog1796210000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query("CREATE TABLE \"instruction\" (\"id\" uuid NOT NULL DEFAULT gen_random_uuid(), \"companyId\" uuid NOT NULL, \"seq\" integer NOT NULL, \"kind\" character varying(32) NOT NULL, \"payload\" text NOT NULL, \"callId\" uuid NOT NULL, \"attemptId\" uuid, \"createdAt\" TIMESTAMP NOT NULL, \"acknowledgedAt\" TIMESTAMP, \"deliveredTo\" character varying(64), \"deliveredAt\" TIMESTAMP, \"deliveries\" integer NOT NULL DEFAULT '0', CONSTRAINT \"PK_dd8def68dee37e3f878d0f8673a\" PRIMARY KEY (\"id\"))");
    await queryRunner.query("CREATE INDEX \"IDX_1ac9175f112da970d076abdac2\" ON \"instruction\"  (\"companyId\") ");
    await queryRunner.query("CREATE INDEX \"idx_instruction_outstanding\" ON \"instruction\"  (\"companyId\", \"acknowledgedAt\") ");
    await queryRunner.query("CREATE UNIQUE INDEX \"idx_instruction_company_seq\" ON \"instruction\"  (\"companyId\", \"seq\") ");
    await queryRunner.query("ALTER TABLE \"instruction\" ADD CONSTRAINT \"FK_1ac9175f112da970d076abdac2a\" FOREIGN KEY (\"companyId\") REFERENCES \"company\"(\"id\") ON DELETE CASCADE ON UPDATE NO ACTION");
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query("ALTER TABLE \"instruction\" DROP CONSTRAINT \"FK_1ac9175f112da970d076abdac2a\"");
    await queryRunner.query("DROP INDEX \"public\".\"idx_instruction_company_seq\"");
    await queryRunner.query("DROP INDEX \"public\".\"idx_instruction_outstanding\"");
    await queryRunner.query("DROP INDEX \"public\".\"IDX_1ac9175f112da970d076abdac2\"");
    await queryRunner.query("DROP TABLE \"instruction\"");
  }
}
