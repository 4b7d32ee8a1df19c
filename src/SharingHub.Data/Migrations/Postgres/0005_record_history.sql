-- 0005 earlier versions of records (FHIR vread and history), stored as sealed as the records themselves.
CREATE TABLE "RecordHistory" (
    "RecordId" uuid NOT NULL,
    "Version" bigint NOT NULL,
    "RecordType" character varying(64) NOT NULL,
    "OwningAgency" character varying(32) NOT NULL,
    "DataClass" character varying(64) NOT NULL,
    "UpdatedAt" timestamp with time zone NOT NULL,
    "Snapshot" bytea NOT NULL,
    CONSTRAINT "PK_RecordHistory" PRIMARY KEY ("RecordId", "Version")
);
