-- 0009 an agency marks a person's address as a protected detail (a refuge): decided as address.confidential.
ALTER TABLE "People" ADD COLUMN "AddressConfidential" boolean NOT NULL DEFAULT FALSE;
