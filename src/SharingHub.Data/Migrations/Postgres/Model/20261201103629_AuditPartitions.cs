using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace SharingHub.Data.Migrations.Postgres
{
    /// <summary>
    /// The audit log becomes a table partitioned by month of RecordedAt (see Audit/AuditPartitions): the entries are
    /// moved into one partition per month from the oldest entry's month to three months ahead, with a default partition
    /// for anything outside; the indexes are made again on the partitioned table; the primary key is (Sequence,
    /// RecordedAt). The EF model is unchanged (its key is still Sequence, which stays unique by the audit writer's lock).
    /// A later migration that alters AuditEntries' columns works on the partitioned table as on a plain one.
    /// </summary>
    public partial class AuditPartitions : Migration
    {
        private const string Convert = """
            DO $$
            DECLARE
              index_defs text[];
              def text;
              m timestamp;
              last_month timestamp := date_trunc('month', now() AT TIME ZONE 'UTC') + interval '3 months';
            BEGIN
              SELECT coalesce(array_agg(indexdef), '{}') INTO index_defs FROM pg_indexes
                WHERE schemaname = current_schema() AND tablename = 'AuditEntries' AND indexname <> 'PK_AuditEntries';
              ALTER TABLE "AuditEntries" RENAME TO "AuditEntries_unpartitioned";
              ALTER TABLE "AuditEntries_unpartitioned" RENAME CONSTRAINT "PK_AuditEntries" TO "PK_AuditEntries_unpartitioned";
              FOR def IN SELECT unnest(index_defs) LOOP
                EXECUTE format('DROP INDEX %s', substring(def FROM 'INDEX ("[^"]+")'));
              END LOOP;
              CREATE TABLE "AuditEntries" (LIKE "AuditEntries_unpartitioned" INCLUDING DEFAULTS INCLUDING STORAGE INCLUDING COMPRESSION)
                PARTITION BY RANGE ("RecordedAt");
              ALTER TABLE "AuditEntries" ADD CONSTRAINT "PK_AuditEntries" PRIMARY KEY ("Sequence", "RecordedAt");
              FOR def IN SELECT unnest(index_defs) LOOP
                EXECUTE replace(def, '"AuditEntries_unpartitioned"', '"AuditEntries"');
              END LOOP;
              CREATE TABLE "AuditEntries_default" PARTITION OF "AuditEntries" DEFAULT;
              m := date_trunc('month', coalesce((SELECT min("RecordedAt") FROM "AuditEntries_unpartitioned"), now()) AT TIME ZONE 'UTC');
              IF m < last_month - interval '120 months' THEN
                m := last_month - interval '120 months'; -- older entries (a clock far off) go to the default partition
              END IF;
              WHILE m <= last_month LOOP
                PERFORM sharinghub_audit_partition(m AT TIME ZONE 'UTC');
                m := m + interval '1 month';
              END LOOP;
              INSERT INTO "AuditEntries" SELECT * FROM "AuditEntries_unpartitioned";
              DROP TABLE "AuditEntries_unpartitioned";
            END $$;
            """;

        private const string Revert = """
            DO $$
            DECLARE
              index_defs text[];
              def text;
            BEGIN
              SELECT coalesce(array_agg(indexdef), '{}') INTO index_defs FROM pg_indexes
                WHERE schemaname = current_schema() AND tablename = 'AuditEntries' AND indexname <> 'PK_AuditEntries';
              CREATE TABLE "AuditEntries_plain" (LIKE "AuditEntries" INCLUDING DEFAULTS INCLUDING STORAGE INCLUDING COMPRESSION);
              INSERT INTO "AuditEntries_plain" SELECT * FROM "AuditEntries";
              DROP TABLE "AuditEntries";
              ALTER TABLE "AuditEntries_plain" RENAME TO "AuditEntries";
              ALTER TABLE "AuditEntries" ADD CONSTRAINT "PK_AuditEntries" PRIMARY KEY ("Sequence");
              FOR def IN SELECT unnest(index_defs) LOOP
                EXECUTE replace(replace(def, ' ON ONLY ', ' ON '), 'CREATE INDEX', 'CREATE INDEX IF NOT EXISTS');
              END LOOP;
            END $$;
            """;

        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql(SharingHub.Data.Audit.AuditPartitions.FunctionSql);
            migrationBuilder.Sql(Convert);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql(Revert);
            migrationBuilder.Sql("DROP FUNCTION IF EXISTS sharinghub_audit_partition(timestamptz)");
        }
    }
}
