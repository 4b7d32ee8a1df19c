-- 0004 blind indexes over postcodes (people and households), for lookups without plaintext.
ALTER TABLE "People" ADD COLUMN "PostcodeIndex" BLOB NULL;
ALTER TABLE "Households" ADD COLUMN "PostcodeIndex" BLOB NULL;
CREATE INDEX "IX_People_PostcodeIndex" ON "People" ("PostcodeIndex");
CREATE INDEX "IX_Households_PostcodeIndex" ON "Households" ("PostcodeIndex");
