import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Capacity refusals as records of their own (docs/decisions/008-statistics.md): a destination's `limitReached`
 * reads them instead of matching text in trace entries. The table is filled from the trace entries written
 * before, one row per entry and destination it skipped as DESTINATION_AT_CAPACITY, with the entry's company,
 * call and time, so figures over those entries stay what they were.
 */
export class CapacityRefusals1796200000000 implements MigrationInterface {
  name = 'CapacityRefusals1796200000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query("CREATE TABLE \"capacity_refusal\" (\"id\" uuid NOT NULL DEFAULT gen_random_uuid(), \"companyId\" uuid NOT NULL, \"callId\" uuid NOT NULL, \"destinationId\" uuid NOT NULL, \"at\" TIMESTAMP NOT NULL, CONSTRAINT \"PK_01337069928ff55a8a2986cda75\" PRIMARY KEY (\"id\"))");
    await queryRunner.query("CREATE INDEX \"IDX_5a2968f94a7188ea151e84a9d5\" ON \"capacity_refusal\"  (\"companyId\") ");
    await queryRunner.query("CREATE INDEX \"IDX_0b49ec31e036700fe67391f01b\" ON \"capacity_refusal\"  (\"callId\") ");
    await queryRunner.query("CREATE INDEX \"idx_capacity_refusal_destination_at\" ON \"capacity_refusal\"  (\"companyId\", \"destinationId\", \"at\") ");
    await queryRunner.query("ALTER TABLE \"capacity_refusal\" ADD CONSTRAINT \"FK_5a2968f94a7188ea151e84a9d50\" FOREIGN KEY (\"companyId\") REFERENCES \"company\"(\"id\") ON DELETE CASCADE ON UPDATE NO ACTION");
    await queryRunner.query("ALTER TABLE \"capacity_refusal\" ADD CONSTRAINT \"FK_0b49ec31e036700fe67391f01bf\" FOREIGN KEY (\"callId\") REFERENCES \"call\"(\"id\") ON DELETE CASCADE ON UPDATE NO ACTION");
    // The backfill: each skip of a destination for capacity in an entry's `skipped` (JSON text), once per entry
    // and destination. Destination ids are UUIDs; a skip naming anything else cannot count for a destination.
    await queryRunner.query(`INSERT INTO "capacity_refusal" ("companyId", "callId", "destinationId", "at")
      SELECT r."companyId", r."callId", r."destinationId"::uuid, r."at"
      FROM (
        SELECT DISTINCT t."id" AS "entryId", t."companyId", t."callId", s ->> 'resourceId' AS "destinationId", t."at"
        FROM "call_trace_entry" t CROSS JOIN LATERAL json_array_elements(t."skipped"::json) s
        WHERE t."skipped" LIKE '%DESTINATION_AT_CAPACITY%'
          AND json_typeof(t."skipped"::json) = 'array'
          AND json_typeof(s) = 'object'
          AND s ->> 'kind' = 'DESTINATION'
          AND s ->> 'reason' = 'DESTINATION_AT_CAPACITY'
          AND s ->> 'resourceId' ~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'
      ) r`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query("ALTER TABLE \"capacity_refusal\" DROP CONSTRAINT \"FK_0b49ec31e036700fe67391f01bf\"");
    await queryRunner.query("ALTER TABLE \"capacity_refusal\" DROP CONSTRAINT \"FK_5a2968f94a7188ea151e84a9d50\"");
    await queryRunner.query("DROP INDEX \"public\".\"idx_capacity_refusal_destination_at\"");
    await queryRunner.query("DROP INDEX \"public\".\"IDX_0b49ec31e036700fe67391f01b\"");
    await queryRunner.query("DROP INDEX \"public\".\"IDX_5a2968f94a7188ea151e84a9d5\"");
    await queryRunner.query("DROP TABLE \"capacity_refusal\"");
  }
}
