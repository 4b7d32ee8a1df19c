-- 0010 the links a person record had when its agency erased it (crypto-shredded its identity fields),
-- so the agency's entries stay in the child's chronology, shown as from an erased record, instead of vanishing.
CREATE TABLE "ErasedLinks" (
    "ErasedPersonId" uuid NOT NULL,
    "LinkedPersonId" uuid NOT NULL,
    "ErasedAt" timestamp with time zone NOT NULL,
    CONSTRAINT "PK_ErasedLinks" PRIMARY KEY ("ErasedPersonId", "LinkedPersonId")
);
CREATE INDEX "IX_ErasedLinks_LinkedPersonId" ON "ErasedLinks" ("LinkedPersonId");
