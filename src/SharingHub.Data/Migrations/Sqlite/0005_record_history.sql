-- 0005 earlier versions of records (FHIR vread and history), stored as sealed as the records themselves.
CREATE TABLE "RecordHistory" (
    "RecordId" TEXT NOT NULL,
    "Version" INTEGER NOT NULL,
    "RecordType" TEXT NOT NULL,
    "OwningAgency" TEXT NOT NULL,
    "DataClass" TEXT NOT NULL,
    "UpdatedAt" INTEGER NOT NULL,
    "Snapshot" BLOB NOT NULL,
    CONSTRAINT "PK_RecordHistory" PRIMARY KEY ("RecordId", "Version")
);
