-- 0002 the tamper-evident audit log: columns the IG officer searches by, and signed checkpoints.
ALTER TABLE "AuditEntries" ADD COLUMN "Decision" character varying(8) NOT NULL DEFAULT 'none';
ALTER TABLE "AuditEntries" ADD COLUMN "IsOverride" boolean NOT NULL DEFAULT FALSE;
ALTER TABLE "AuditEntries" ADD COLUMN "Subjects" text NOT NULL DEFAULT '|';
ALTER TABLE "AuditEntries" ADD COLUMN "Owners" text NOT NULL DEFAULT '|';
CREATE INDEX "IX_AuditEntries_Actor_RecordedAt" ON "AuditEntries" ("Actor", "RecordedAt");

CREATE TABLE "AuditCheckpoints" (
    "TreeSize" bigint NOT NULL,
    "RootHash" bytea NOT NULL,
    "CreatedAt" timestamp with time zone NOT NULL,
    "KeyId" character varying(64) NOT NULL,
    "Signature" bytea NOT NULL,
    CONSTRAINT "PK_AuditCheckpoints" PRIMARY KEY ("TreeSize")
);
