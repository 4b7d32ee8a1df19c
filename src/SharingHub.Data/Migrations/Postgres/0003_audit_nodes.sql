-- 0003 complete subtrees of the audit Merkle tree, so inclusion and consistency proofs are logarithmic.
CREATE TABLE "AuditNodes" (
    "Level" integer NOT NULL,
    "NodeIndex" bigint NOT NULL,
    "Hash" bytea NOT NULL,
    CONSTRAINT "PK_AuditNodes" PRIMARY KEY ("Level", "NodeIndex")
);
