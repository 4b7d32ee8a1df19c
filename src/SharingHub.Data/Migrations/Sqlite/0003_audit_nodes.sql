-- 0003 complete subtrees of the audit Merkle tree, so inclusion and consistency proofs are logarithmic.
CREATE TABLE "AuditNodes" (
    "Level" INTEGER NOT NULL,
    "NodeIndex" INTEGER NOT NULL,
    "Hash" BLOB NOT NULL,
    CONSTRAINT "PK_AuditNodes" PRIMARY KEY ("Level", "NodeIndex")
);
