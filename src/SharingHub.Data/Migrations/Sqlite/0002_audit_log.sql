-- 0002 the tamper-evident audit log: columns the IG officer searches by, and signed checkpoints.
ALTER TABLE "AuditEntries" ADD COLUMN "Decision" TEXT NOT NULL DEFAULT 'none';
ALTER TABLE "AuditEntries" ADD COLUMN "IsOverride" INTEGER NOT NULL DEFAULT 0;
ALTER TABLE "AuditEntries" ADD COLUMN "Subjects" TEXT NOT NULL DEFAULT '|';
ALTER TABLE "AuditEntries" ADD COLUMN "Owners" TEXT NOT NULL DEFAULT '|';
CREATE INDEX "IX_AuditEntries_Actor_RecordedAt" ON "AuditEntries" ("Actor", "RecordedAt");

CREATE TABLE "AuditCheckpoints" (
    "TreeSize" INTEGER NOT NULL CONSTRAINT "PK_AuditCheckpoints" PRIMARY KEY,
    "RootHash" BLOB NOT NULL,
    "CreatedAt" INTEGER NOT NULL,
    "KeyId" TEXT NOT NULL,
    "Signature" BLOB NOT NULL
);
