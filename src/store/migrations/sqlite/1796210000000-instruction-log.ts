import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The instruction log (docs/decisions/023-instructions-at-least-once.md): every telephony instruction the
 * gateway issues, per company in `seq` order, outstanding until acknowledged, so that it is delivered again
 * and a reconnecting connector can ask what it missed.
 */
export class InstructionLog1796210000000 implements MigrationInterface {
  name = 'InstructionLog1796210000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query("CREATE TABLE \"instruction\" (\"id\" varchar PRIMARY KEY NOT NULL, \"companyId\" varchar NOT NULL, \"seq\" integer NOT NULL, \"kind\" varchar(32) NOT NULL, \"payload\" text NOT NULL, \"callId\" varchar NOT NULL, \"attemptId\" varchar, \"createdAt\" datetime NOT NULL, \"acknowledgedAt\" datetime, \"deliveredTo\" varchar(64), \"deliveredAt\" datetime, \"deliveries\" integer NOT NULL DEFAULT (0), CONSTRAINT \"FK_1ac9175f112da970d076abdac2a\" FOREIGN KEY (\"companyId\") REFERENCES \"company\" (\"id\") ON DELETE CASCADE ON UPDATE NO ACTION)");
    await queryRunner.query("CREATE INDEX \"IDX_1ac9175f112da970d076abdac2\" ON \"instruction\" (\"companyId\") ");
    await queryRunner.query("CREATE INDEX \"idx_instruction_outstanding\" ON \"instruction\" (\"companyId\", \"acknowledgedAt\") ");
    await queryRunner.query("CREATE UNIQUE INDEX \"idx_instruction_company_seq\" ON \"instruction\" (\"companyId\", \"seq\") ");
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query("DROP INDEX \"idx_instruction_company_seq\"");
    await queryRunner.query("DROP INDEX \"idx_instruction_outstanding\"");
    await queryRunner.query("DROP INDEX \"IDX_1ac9175f112da970d076abdac2\"");
    await queryRunner.query("DROP TABLE \"instruction\"");
  }
}
