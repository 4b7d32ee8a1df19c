-- 0001 initial schema for Sqlite: the record model, audit table and wrapped data keys.
-- Generated from the EF model with 'sharinghub db script --engine Sqlite', then reviewed. Never edit once shipped.
CREATE TABLE "Agencies" (
    "Code" TEXT NOT NULL CONSTRAINT "PK_Agencies" PRIMARY KEY,
    "Name" TEXT NOT NULL
);


CREATE TABLE "AuditEntries" (
    "Sequence" INTEGER NOT NULL CONSTRAINT "PK_AuditEntries" PRIMARY KEY,
    "RecordedAt" INTEGER NOT NULL,
    "RequestId" TEXT NOT NULL,
    "Agency" TEXT NOT NULL,
    "Actor" TEXT NOT NULL,
    "Purpose" TEXT NULL,
    "EnquiryId" TEXT NULL,
    "Action" TEXT NOT NULL,
    "Outcome" TEXT NOT NULL,
    "Body" TEXT NOT NULL,
    "PreviousHash" BLOB NOT NULL,
    "EntryHash" BLOB NOT NULL
);


CREATE TABLE "DataKeys" (
    "KeyId" TEXT NOT NULL CONSTRAINT "PK_DataKeys" PRIMARY KEY,
    "Agency" TEXT NOT NULL,
    "DataClass" TEXT NOT NULL,
    "Generation" INTEGER NOT NULL,
    "KekId" TEXT NOT NULL,
    "WrappedKey" BLOB NOT NULL,
    "CreatedAt" INTEGER NOT NULL,
    "DestroyedAt" INTEGER NULL
);


CREATE TABLE "Enquiries" (
    "Id" TEXT NOT NULL CONSTRAINT "PK_Enquiries" PRIMARY KEY,
    "Reference" TEXT NOT NULL,
    "Status" TEXT NOT NULL,
    "OpenedAt" INTEGER NOT NULL,
    "ClosedAt" INTEGER NULL,
    "Outcome" TEXT NULL,
    "LeadPractitioner" TEXT NOT NULL,
    "Grounds" BLOB NULL,
    "OwningAgency" TEXT NOT NULL,
    "DataClass" TEXT NOT NULL,
    "CreatedAt" INTEGER NOT NULL,
    "UpdatedAt" INTEGER NOT NULL,
    "Version" INTEGER NOT NULL,
    CONSTRAINT "FK_Enquiries_Agencies_OwningAgency" FOREIGN KEY ("OwningAgency") REFERENCES "Agencies" ("Code") ON DELETE RESTRICT
);


CREATE TABLE "Events" (
    "Id" TEXT NOT NULL CONSTRAINT "PK_Events" PRIMARY KEY,
    "OccurredAt" INTEGER NOT NULL,
    "Category" TEXT NOT NULL,
    "Significance" TEXT NOT NULL,
    "Summary" BLOB NOT NULL,
    "Detail" BLOB NULL,
    "SourceReference" TEXT NULL,
    "OwningAgency" TEXT NOT NULL,
    "DataClass" TEXT NOT NULL,
    "CreatedAt" INTEGER NOT NULL,
    "UpdatedAt" INTEGER NOT NULL,
    "Version" INTEGER NOT NULL,
    CONSTRAINT "FK_Events_Agencies_OwningAgency" FOREIGN KEY ("OwningAgency") REFERENCES "Agencies" ("Code") ON DELETE RESTRICT
);


CREATE TABLE "Households" (
    "Id" TEXT NOT NULL CONSTRAINT "PK_Households" PRIMARY KEY,
    "Reference" TEXT NOT NULL,
    "Address" BLOB NULL,
    "OwningAgency" TEXT NOT NULL,
    "DataClass" TEXT NOT NULL,
    "CreatedAt" INTEGER NOT NULL,
    "UpdatedAt" INTEGER NOT NULL,
    "Version" INTEGER NOT NULL,
    CONSTRAINT "FK_Households_Agencies_OwningAgency" FOREIGN KEY ("OwningAgency") REFERENCES "Agencies" ("Code") ON DELETE RESTRICT
);


CREATE TABLE "People" (
    "Id" TEXT NOT NULL CONSTRAINT "PK_People" PRIMARY KEY,
    "Kind" TEXT NOT NULL,
    "GivenName" BLOB NOT NULL,
    "FamilyName" BLOB NOT NULL,
    "BirthDate" BLOB NOT NULL,
    "Sex" TEXT NULL,
    "Address" BLOB NULL,
    "FamilyNameIndex" BLOB NULL,
    "BirthDateIndex" BLOB NULL,
    "OwningAgency" TEXT NOT NULL,
    "DataClass" TEXT NOT NULL,
    "CreatedAt" INTEGER NOT NULL,
    "UpdatedAt" INTEGER NOT NULL,
    "Version" INTEGER NOT NULL,
    CONSTRAINT "FK_People_Agencies_OwningAgency" FOREIGN KEY ("OwningAgency") REFERENCES "Agencies" ("Code") ON DELETE RESTRICT
);


CREATE TABLE "EnquiryMembers" (
    "Id" TEXT NOT NULL CONSTRAINT "PK_EnquiryMembers" PRIMARY KEY,
    "EnquiryId" TEXT NOT NULL,
    "Agency" TEXT NOT NULL,
    "UserSubject" TEXT NOT NULL,
    "Role" TEXT NOT NULL,
    "AddedAt" INTEGER NOT NULL,
    "RemovedAt" INTEGER NULL,
    CONSTRAINT "FK_EnquiryMembers_Enquiries_EnquiryId" FOREIGN KEY ("EnquiryId") REFERENCES "Enquiries" ("Id") ON DELETE CASCADE
);


CREATE TABLE "InformationRequests" (
    "Id" TEXT NOT NULL CONSTRAINT "PK_InformationRequests" PRIMARY KEY,
    "EnquiryId" TEXT NOT NULL,
    "RequestedAgency" TEXT NOT NULL,
    "RequestedAt" INTEGER NOT NULL,
    "DueAt" INTEGER NOT NULL,
    "Status" TEXT NOT NULL,
    "Question" BLOB NULL,
    "OwningAgency" TEXT NOT NULL,
    "DataClass" TEXT NOT NULL,
    "CreatedAt" INTEGER NOT NULL,
    "UpdatedAt" INTEGER NOT NULL,
    "Version" INTEGER NOT NULL,
    CONSTRAINT "FK_InformationRequests_Agencies_OwningAgency" FOREIGN KEY ("OwningAgency") REFERENCES "Agencies" ("Code") ON DELETE RESTRICT,
    CONSTRAINT "FK_InformationRequests_Enquiries_EnquiryId" FOREIGN KEY ("EnquiryId") REFERENCES "Enquiries" ("Id") ON DELETE RESTRICT
);


CREATE TABLE "Consents" (
    "Id" TEXT NOT NULL CONSTRAINT "PK_Consents" PRIMARY KEY,
    "SubjectPersonId" TEXT NOT NULL,
    "GrantorPersonId" TEXT NULL,
    "Grantor" TEXT NOT NULL,
    "Decision" TEXT NOT NULL,
    "Status" TEXT NOT NULL,
    "RecipientAgencies" TEXT NOT NULL,
    "Purposes" TEXT NOT NULL,
    "DataClasses" TEXT NOT NULL,
    "PeriodStart" INTEGER NOT NULL,
    "PeriodEnd" INTEGER NULL,
    "WithdrawnAt" INTEGER NULL,
    "OwningAgency" TEXT NOT NULL,
    "DataClass" TEXT NOT NULL,
    "CreatedAt" INTEGER NOT NULL,
    "UpdatedAt" INTEGER NOT NULL,
    "Version" INTEGER NOT NULL,
    CONSTRAINT "FK_Consents_Agencies_OwningAgency" FOREIGN KEY ("OwningAgency") REFERENCES "Agencies" ("Code") ON DELETE RESTRICT,
    CONSTRAINT "FK_Consents_People_GrantorPersonId" FOREIGN KEY ("GrantorPersonId") REFERENCES "People" ("Id") ON DELETE RESTRICT,
    CONSTRAINT "FK_Consents_People_SubjectPersonId" FOREIGN KEY ("SubjectPersonId") REFERENCES "People" ("Id") ON DELETE RESTRICT
);


CREATE TABLE "EnquirySubjects" (
    "EnquiryId" TEXT NOT NULL,
    "PersonId" TEXT NOT NULL,
    "Role" TEXT NOT NULL,
    CONSTRAINT "PK_EnquirySubjects" PRIMARY KEY ("EnquiryId", "PersonId"),
    CONSTRAINT "FK_EnquirySubjects_Enquiries_EnquiryId" FOREIGN KEY ("EnquiryId") REFERENCES "Enquiries" ("Id") ON DELETE CASCADE,
    CONSTRAINT "FK_EnquirySubjects_People_PersonId" FOREIGN KEY ("PersonId") REFERENCES "People" ("Id") ON DELETE RESTRICT
);


CREATE TABLE "EventSubjects" (
    "EventId" TEXT NOT NULL,
    "PersonId" TEXT NOT NULL,
    CONSTRAINT "PK_EventSubjects" PRIMARY KEY ("EventId", "PersonId"),
    CONSTRAINT "FK_EventSubjects_Events_EventId" FOREIGN KEY ("EventId") REFERENCES "Events" ("Id") ON DELETE CASCADE,
    CONSTRAINT "FK_EventSubjects_People_PersonId" FOREIGN KEY ("PersonId") REFERENCES "People" ("Id") ON DELETE RESTRICT
);


CREATE TABLE "HouseholdMembers" (
    "HouseholdId" TEXT NOT NULL,
    "PersonId" TEXT NOT NULL,
    "Role" TEXT NOT NULL,
    CONSTRAINT "PK_HouseholdMembers" PRIMARY KEY ("HouseholdId", "PersonId"),
    CONSTRAINT "FK_HouseholdMembers_Households_HouseholdId" FOREIGN KEY ("HouseholdId") REFERENCES "Households" ("Id") ON DELETE CASCADE,
    CONSTRAINT "FK_HouseholdMembers_People_PersonId" FOREIGN KEY ("PersonId") REFERENCES "People" ("Id") ON DELETE RESTRICT
);


CREATE TABLE "Involvements" (
    "Id" TEXT NOT NULL CONSTRAINT "PK_Involvements" PRIMARY KEY,
    "PersonId" TEXT NOT NULL,
    "Service" TEXT NOT NULL,
    "Status" TEXT NOT NULL,
    "StartedAt" INTEGER NOT NULL,
    "EndedAt" INTEGER NULL,
    "Team" TEXT NULL,
    "LeadWorker" BLOB NULL,
    "Summary" BLOB NULL,
    "OwningAgency" TEXT NOT NULL,
    "DataClass" TEXT NOT NULL,
    "CreatedAt" INTEGER NOT NULL,
    "UpdatedAt" INTEGER NOT NULL,
    "Version" INTEGER NOT NULL,
    CONSTRAINT "FK_Involvements_Agencies_OwningAgency" FOREIGN KEY ("OwningAgency") REFERENCES "Agencies" ("Code") ON DELETE RESTRICT,
    CONSTRAINT "FK_Involvements_People_PersonId" FOREIGN KEY ("PersonId") REFERENCES "People" ("Id") ON DELETE RESTRICT
);


CREATE TABLE "PersonIdentifiers" (
    "Id" TEXT NOT NULL CONSTRAINT "PK_PersonIdentifiers" PRIMARY KEY,
    "PersonId" TEXT NOT NULL,
    "Kind" TEXT NOT NULL,
    "Value" BLOB NOT NULL,
    "ValueIndex" BLOB NOT NULL,
    CONSTRAINT "FK_PersonIdentifiers_People_PersonId" FOREIGN KEY ("PersonId") REFERENCES "People" ("Id") ON DELETE CASCADE
);


CREATE TABLE "Referrals" (
    "Id" TEXT NOT NULL CONSTRAINT "PK_Referrals" PRIMARY KEY,
    "SubjectPersonId" TEXT NOT NULL,
    "ReceivedAt" INTEGER NOT NULL,
    "DecisionDueAt" INTEGER NOT NULL,
    "Decision" TEXT NULL,
    "DecidedAt" INTEGER NULL,
    "Concern" BLOB NOT NULL,
    "ReferrerIdentity" BLOB NULL,
    "OwningAgency" TEXT NOT NULL,
    "DataClass" TEXT NOT NULL,
    "CreatedAt" INTEGER NOT NULL,
    "UpdatedAt" INTEGER NOT NULL,
    "Version" INTEGER NOT NULL,
    CONSTRAINT "FK_Referrals_Agencies_OwningAgency" FOREIGN KEY ("OwningAgency") REFERENCES "Agencies" ("Code") ON DELETE RESTRICT,
    CONSTRAINT "FK_Referrals_People_SubjectPersonId" FOREIGN KEY ("SubjectPersonId") REFERENCES "People" ("Id") ON DELETE RESTRICT
);


CREATE TABLE "Relationships" (
    "Id" TEXT NOT NULL CONSTRAINT "PK_Relationships" PRIMARY KEY,
    "PersonId" TEXT NOT NULL,
    "RelatedPersonId" TEXT NOT NULL,
    "Kind" TEXT NOT NULL,
    "HasParentalResponsibility" INTEGER NOT NULL,
    "OwningAgency" TEXT NOT NULL,
    "DataClass" TEXT NOT NULL,
    "CreatedAt" INTEGER NOT NULL,
    "UpdatedAt" INTEGER NOT NULL,
    "Version" INTEGER NOT NULL,
    CONSTRAINT "FK_Relationships_Agencies_OwningAgency" FOREIGN KEY ("OwningAgency") REFERENCES "Agencies" ("Code") ON DELETE RESTRICT,
    CONSTRAINT "FK_Relationships_People_PersonId" FOREIGN KEY ("PersonId") REFERENCES "People" ("Id") ON DELETE RESTRICT,
    CONSTRAINT "FK_Relationships_People_RelatedPersonId" FOREIGN KEY ("RelatedPersonId") REFERENCES "People" ("Id") ON DELETE RESTRICT
);


CREATE TABLE "States" (
    "Id" TEXT NOT NULL CONSTRAINT "PK_States" PRIMARY KEY,
    "PersonId" TEXT NOT NULL,
    "Code" TEXT NOT NULL,
    "StartedAt" INTEGER NOT NULL,
    "EndedAt" INTEGER NULL,
    "Detail" BLOB NULL,
    "OwningAgency" TEXT NOT NULL,
    "DataClass" TEXT NOT NULL,
    "CreatedAt" INTEGER NOT NULL,
    "UpdatedAt" INTEGER NOT NULL,
    "Version" INTEGER NOT NULL,
    CONSTRAINT "FK_States_Agencies_OwningAgency" FOREIGN KEY ("OwningAgency") REFERENCES "Agencies" ("Code") ON DELETE RESTRICT,
    CONSTRAINT "FK_States_People_PersonId" FOREIGN KEY ("PersonId") REFERENCES "People" ("Id") ON DELETE RESTRICT
);


CREATE TABLE "InformationResponses" (
    "Id" TEXT NOT NULL CONSTRAINT "PK_InformationResponses" PRIMARY KEY,
    "RequestId" TEXT NOT NULL,
    "RespondedAt" INTEGER NOT NULL,
    "Kind" TEXT NOT NULL,
    "Content" BLOB NULL,
    "Reason" BLOB NULL,
    "OwningAgency" TEXT NOT NULL,
    "DataClass" TEXT NOT NULL,
    "CreatedAt" INTEGER NOT NULL,
    "UpdatedAt" INTEGER NOT NULL,
    "Version" INTEGER NOT NULL,
    CONSTRAINT "FK_InformationResponses_Agencies_OwningAgency" FOREIGN KEY ("OwningAgency") REFERENCES "Agencies" ("Code") ON DELETE RESTRICT,
    CONSTRAINT "FK_InformationResponses_InformationRequests_RequestId" FOREIGN KEY ("RequestId") REFERENCES "InformationRequests" ("Id") ON DELETE RESTRICT
);


INSERT INTO "Agencies" ("Code", "Name")
VALUES ('education', 'Education');
SELECT changes();

INSERT INTO "Agencies" ("Code", "Name")
VALUES ('health', 'Health (ICB and NHS providers)');
SELECT changes();

INSERT INTO "Agencies" ("Code", "Name")
VALUES ('la', 'Local authority children''s services');
SELECT changes();

INSERT INTO "Agencies" ("Code", "Name")
VALUES ('police', 'Police');
SELECT changes();

INSERT INTO "Agencies" ("Code", "Name")
VALUES ('probation', 'Probation');
SELECT changes();



CREATE INDEX "IX_AuditEntries_Agency_RecordedAt" ON "AuditEntries" ("Agency", "RecordedAt");


CREATE INDEX "IX_AuditEntries_RecordedAt" ON "AuditEntries" ("RecordedAt");


CREATE INDEX "IX_Consents_GrantorPersonId" ON "Consents" ("GrantorPersonId");


CREATE INDEX "IX_Consents_OwningAgency" ON "Consents" ("OwningAgency");


CREATE INDEX "IX_Consents_SubjectPersonId" ON "Consents" ("SubjectPersonId");


CREATE UNIQUE INDEX "IX_DataKeys_Agency_DataClass_Generation" ON "DataKeys" ("Agency", "DataClass", "Generation");


CREATE INDEX "IX_Enquiries_OwningAgency" ON "Enquiries" ("OwningAgency");


CREATE UNIQUE INDEX "IX_Enquiries_Reference" ON "Enquiries" ("Reference");


CREATE INDEX "IX_EnquiryMembers_Agency_UserSubject" ON "EnquiryMembers" ("Agency", "UserSubject");


CREATE INDEX "IX_EnquiryMembers_EnquiryId" ON "EnquiryMembers" ("EnquiryId");


CREATE INDEX "IX_EnquirySubjects_PersonId" ON "EnquirySubjects" ("PersonId");


CREATE INDEX "IX_EventSubjects_PersonId" ON "EventSubjects" ("PersonId");


CREATE INDEX "IX_Events_OccurredAt" ON "Events" ("OccurredAt");


CREATE INDEX "IX_Events_OwningAgency" ON "Events" ("OwningAgency");


CREATE UNIQUE INDEX "IX_Events_OwningAgency_SourceReference" ON "Events" ("OwningAgency", "SourceReference");


CREATE INDEX "IX_HouseholdMembers_PersonId" ON "HouseholdMembers" ("PersonId");


CREATE INDEX "IX_Households_OwningAgency" ON "Households" ("OwningAgency");


CREATE UNIQUE INDEX "IX_Households_OwningAgency_Reference" ON "Households" ("OwningAgency", "Reference");


CREATE INDEX "IX_InformationRequests_EnquiryId" ON "InformationRequests" ("EnquiryId");


CREATE INDEX "IX_InformationRequests_OwningAgency" ON "InformationRequests" ("OwningAgency");


CREATE INDEX "IX_InformationRequests_RequestedAgency_Status_DueAt" ON "InformationRequests" ("RequestedAgency", "Status", "DueAt");


CREATE INDEX "IX_InformationResponses_OwningAgency" ON "InformationResponses" ("OwningAgency");


CREATE INDEX "IX_InformationResponses_RequestId" ON "InformationResponses" ("RequestId");


CREATE INDEX "IX_Involvements_OwningAgency" ON "Involvements" ("OwningAgency");


CREATE INDEX "IX_Involvements_PersonId_Status" ON "Involvements" ("PersonId", "Status");


CREATE INDEX "IX_People_BirthDateIndex" ON "People" ("BirthDateIndex");


CREATE INDEX "IX_People_FamilyNameIndex" ON "People" ("FamilyNameIndex");


CREATE INDEX "IX_People_OwningAgency" ON "People" ("OwningAgency");


CREATE INDEX "IX_PersonIdentifiers_Kind_ValueIndex" ON "PersonIdentifiers" ("Kind", "ValueIndex");


CREATE INDEX "IX_PersonIdentifiers_PersonId" ON "PersonIdentifiers" ("PersonId");


CREATE INDEX "IX_Referrals_Decision_DecisionDueAt" ON "Referrals" ("Decision", "DecisionDueAt");


CREATE INDEX "IX_Referrals_OwningAgency" ON "Referrals" ("OwningAgency");


CREATE INDEX "IX_Referrals_SubjectPersonId" ON "Referrals" ("SubjectPersonId");


CREATE INDEX "IX_Relationships_OwningAgency" ON "Relationships" ("OwningAgency");


CREATE INDEX "IX_Relationships_PersonId" ON "Relationships" ("PersonId");


CREATE INDEX "IX_Relationships_RelatedPersonId" ON "Relationships" ("RelatedPersonId");


CREATE INDEX "IX_States_OwningAgency" ON "States" ("OwningAgency");


CREATE INDEX "IX_States_PersonId" ON "States" ("PersonId");



