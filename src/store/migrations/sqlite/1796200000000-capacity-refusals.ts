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
    await queryRunner.query("CREATE TABLE \"capacity_refusal\" (\"id\" varchar PRIMARY KEY NOT NULL, \"companyId\" varchar NOT NULL, \"callId\" varchar NOT NULL, \"destinationId\" varchar NOT NULL, \"at\" datetime NOT NULL, CONSTRAINT \"FK_5a2968f94a7188ea151e84a9d50\" FOREIGN KEY (\"companyId\") REFERENCES \"company\" (\"id\") ON DELETE CASCADE ON UPDATE NO ACTION, CONSTRAINT \"FK_0b49ec31e036700fe67391f01bf\" FOREIGN KEY (\"callId\") REFERENCES \"call\" (\"id\") ON DELETE CASCADE ON UPDATE NO ACTION)");
    await queryRunner.query("CREATE INDEX \"IDX_5a2968f94a7188ea151e84a9d5\" ON \"capacity_refusal\" (\"companyId\") ");
    await queryRunner.query("CREATE INDEX \"IDX_0b49ec31e036700fe67391f01b\" ON \"capacity_refusal\" (\"callId\") ");
    await queryRunner.query("CREATE INDEX \"idx_capacity_refusal_destination_at\" ON \"capacity_refusal\" (\"companyId\", \"destinationId\", \"at\") ");
    // The backfill: each skip of a destination for capacity in an entry's `skipped` (a JSON array), once per
    // entry and destination; ids are random version 4 UUIDs, as the entity would make them.
    await queryRunner.query(`INSERT INTO "capacity_refusal" ("id", "companyId", "callId", "destinationId", "at")
      SELECT lower(hex(randomblob(4))) || '-' || lower(hex(randomblob(2))) || '-4' || substr(lower(hex(randomblob(2))), 2) || '-'
          || substr('89ab', 1 + (abs(random()) % 4), 1) || substr(lower(hex(randomblob(2))), 2) || '-' || lower(hex(randomblob(6))),
        r."companyId", r."callId", r."destinationId", r."at"
      FROM (
        SELECT DISTINCT t."id" AS "entryId", t."companyId", t."callId", json_extract(s."value", '$.resourceId') AS "destinationId", t."at"
        FROM "call_trace_entry" t, json_each(CASE WHEN json_valid(t."skipped") THEN t."skipped" ELSE '[]' END) s
        WHERE t."skipped" LIKE '%DESTINATION_AT_CAPACITY%'
          AND s."type" = 'object'
          AND json_extract(s."value", '$.kind') = 'DESTINATION'
          AND json_extract(s."value", '$.reason') = 'DESTINATION_AT_CAPACITY'
          AND json_type(s."value", '$.resourceId') = 'text'
          AND json_extract(s."value", '$.resourceId') <> ''
      ) r`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query("DROP INDEX \"idx_capacity_refusal_destination_at\"");
    await queryRunner.query("DROP INDEX \"IDX_0b49ec31e036700fe67391f01b\"");
    await queryRunner.query("DROP INDEX \"IDX_5a2968f94a7188ea151e84a9d5\"");
    await queryRunner.query("DROP TABLE \"capacity_refusal\"");
  }
}
