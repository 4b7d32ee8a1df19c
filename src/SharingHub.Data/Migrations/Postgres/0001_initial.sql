-- 0001 initial schema for Postgres: the record model, audit table and wrapped data keys.
-- Generated from the EF model with 'sharinghub db script --engine Postgres', then reviewed. Never edit once shipped.
CREATE TABLE "Agencies" (
    "Code" character varying(32) NOT NULL,
    "Name" character varying(128) NOT NULL,
    CONSTRAINT "PK_Agencies" PRIMARY KEY ("Code")
);


CREATE TABLE "AuditEntries" (
    "Sequence" bigint NOT NULL,
    "RecordedAt" timestamp with time zone NOT NULL,
    "RequestId" character varying(64) NOT NULL,
    "Agency" character varying(32) NOT NULL,
    "Actor" character varying(256) NOT NULL,
    "Purpose" character varying(64),
    "EnquiryId" uuid,
    "Action" character varying(64) NOT NULL,
    "Outcome" character varying(32) NOT NULL,
    "Body" text NOT NULL,
    "PreviousHash" bytea NOT NULL,
    "EntryHash" bytea NOT NULL,
    CONSTRAINT "PK_AuditEntries" PRIMARY KEY ("Sequence")
);


CREATE TABLE "DataKeys" (
    "KeyId" character varying(128) NOT NULL,
    "Agency" character varying(32) NOT NULL,
    "DataClass" character varying(64) NOT NULL,
    "Generation" integer NOT NULL,
    "KekId" character varying(128) NOT NULL,
    "WrappedKey" bytea NOT NULL,
    "CreatedAt" timestamp with time zone NOT NULL,
    "DestroyedAt" timestamp with time zone,
    CONSTRAINT "PK_DataKeys" PRIMARY KEY ("KeyId")
);


CREATE TABLE "Enquiries" (
    "Id" uuid NOT NULL,
    "Reference" character varying(64) NOT NULL,
    "Status" character varying(40) NOT NULL,
    "OpenedAt" timestamp with time zone NOT NULL,
    "ClosedAt" timestamp with time zone,
    "Outcome" character varying(40),
    "LeadPractitioner" character varying(256) NOT NULL,
    "Grounds" bytea,
    "OwningAgency" character varying(32) NOT NULL,
    "DataClass" character varying(64) NOT NULL,
    "CreatedAt" timestamp with time zone NOT NULL,
    "UpdatedAt" timestamp with time zone NOT NULL,
    "Version" bigint NOT NULL,
    CONSTRAINT "PK_Enquiries" PRIMARY KEY ("Id"),
    CONSTRAINT "FK_Enquiries_Agencies_OwningAgency" FOREIGN KEY ("OwningAgency") REFERENCES "Agencies" ("Code") ON DELETE RESTRICT
);


CREATE TABLE "Events" (
    "Id" uuid NOT NULL,
    "OccurredAt" timestamp with time zone NOT NULL,
    "Category" character varying(64) NOT NULL,
    "Significance" character varying(40) NOT NULL,
    "Summary" bytea NOT NULL,
    "Detail" bytea,
    "SourceReference" character varying(128),
    "OwningAgency" character varying(32) NOT NULL,
    "DataClass" character varying(64) NOT NULL,
    "CreatedAt" timestamp with time zone NOT NULL,
    "UpdatedAt" timestamp with time zone NOT NULL,
    "Version" bigint NOT NULL,
    CONSTRAINT "PK_Events" PRIMARY KEY ("Id"),
    CONSTRAINT "FK_Events_Agencies_OwningAgency" FOREIGN KEY ("OwningAgency") REFERENCES "Agencies" ("Code") ON DELETE RESTRICT
);


CREATE TABLE "Households" (
    "Id" uuid NOT NULL,
    "Reference" character varying(64) NOT NULL,
    "Address" bytea,
    "OwningAgency" character varying(32) NOT NULL,
    "DataClass" character varying(64) NOT NULL,
    "CreatedAt" timestamp with time zone NOT NULL,
    "UpdatedAt" timestamp with time zone NOT NULL,
    "Version" bigint NOT NULL,
    CONSTRAINT "PK_Households" PRIMARY KEY ("Id"),
    CONSTRAINT "FK_Households_Agencies_OwningAgency" FOREIGN KEY ("OwningAgency") REFERENCES "Agencies" ("Code") ON DELETE RESTRICT
);


CREATE TABLE "People" (
    "Id" uuid NOT NULL,
    "Kind" character varying(40) NOT NULL,
    "GivenName" bytea NOT NULL,
    "FamilyName" bytea NOT NULL,
    "BirthDate" bytea NOT NULL,
    "Sex" character varying(16),
    "Address" bytea,
    "FamilyNameIndex" bytea,
    "BirthDateIndex" bytea,
    "OwningAgency" character varying(32) NOT NULL,
    "DataClass" character varying(64) NOT NULL,
    "CreatedAt" timestamp with time zone NOT NULL,
    "UpdatedAt" timestamp with time zone NOT NULL,
    "Version" bigint NOT NULL,
    CONSTRAINT "PK_People" PRIMARY KEY ("Id"),
    CONSTRAINT "FK_People_Agencies_OwningAgency" FOREIGN KEY ("OwningAgency") REFERENCES "Agencies" ("Code") ON DELETE RESTRICT
);


CREATE TABLE "EnquiryMembers" (
    "Id" uuid NOT NULL,
    "EnquiryId" uuid NOT NULL,
    "Agency" character varying(32) NOT NULL,
    "UserSubject" character varying(256) NOT NULL,
    "Role" character varying(32) NOT NULL,
    "AddedAt" timestamp with time zone NOT NULL,
    "RemovedAt" timestamp with time zone,
    CONSTRAINT "PK_EnquiryMembers" PRIMARY KEY ("Id"),
    CONSTRAINT "FK_EnquiryMembers_Enquiries_EnquiryId" FOREIGN KEY ("EnquiryId") REFERENCES "Enquiries" ("Id") ON DELETE CASCADE
);


CREATE TABLE "InformationRequests" (
    "Id" uuid NOT NULL,
    "EnquiryId" uuid NOT NULL,
    "RequestedAgency" character varying(32) NOT NULL,
    "RequestedAt" timestamp with time zone NOT NULL,
    "DueAt" timestamp with time zone NOT NULL,
    "Status" character varying(40) NOT NULL,
    "Question" bytea,
    "OwningAgency" character varying(32) NOT NULL,
    "DataClass" character varying(64) NOT NULL,
    "CreatedAt" timestamp with time zone NOT NULL,
    "UpdatedAt" timestamp with time zone NOT NULL,
    "Version" bigint NOT NULL,
    CONSTRAINT "PK_InformationRequests" PRIMARY KEY ("Id"),
    CONSTRAINT "FK_InformationRequests_Agencies_OwningAgency" FOREIGN KEY ("OwningAgency") REFERENCES "Agencies" ("Code") ON DELETE RESTRICT,
    CONSTRAINT "FK_InformationRequests_Enquiries_EnquiryId" FOREIGN KEY ("EnquiryId") REFERENCES "Enquiries" ("Id") ON DELETE RESTRICT
);


CREATE TABLE "Consents" (
    "Id" uuid NOT NULL,
    "SubjectPersonId" uuid NOT NULL,
    "GrantorPersonId" uuid,
    "Grantor" character varying(40) NOT NULL,
    "Decision" character varying(40) NOT NULL,
    "Status" character varying(40) NOT NULL,
    "RecipientAgencies" text[] NOT NULL,
    "Purposes" text[] NOT NULL,
    "DataClasses" text[] NOT NULL,
    "PeriodStart" timestamp with time zone NOT NULL,
    "PeriodEnd" timestamp with time zone,
    "WithdrawnAt" timestamp with time zone,
    "OwningAgency" character varying(32) NOT NULL,
    "DataClass" character varying(64) NOT NULL,
    "CreatedAt" timestamp with time zone NOT NULL,
    "UpdatedAt" timestamp with time zone NOT NULL,
    "Version" bigint NOT NULL,
    CONSTRAINT "PK_Consents" PRIMARY KEY ("Id"),
    CONSTRAINT "FK_Consents_Agencies_OwningAgency" FOREIGN KEY ("OwningAgency") REFERENCES "Agencies" ("Code") ON DELETE RESTRICT,
    CONSTRAINT "FK_Consents_People_GrantorPersonId" FOREIGN KEY ("GrantorPersonId") REFERENCES "People" ("Id") ON DELETE RESTRICT,
    CONSTRAINT "FK_Consents_People_SubjectPersonId" FOREIGN KEY ("SubjectPersonId") REFERENCES "People" ("Id") ON DELETE RESTRICT
);


CREATE TABLE "EnquirySubjects" (
    "EnquiryId" uuid NOT NULL,
    "PersonId" uuid NOT NULL,
    "Role" character varying(32) NOT NULL,
    CONSTRAINT "PK_EnquirySubjects" PRIMARY KEY ("EnquiryId", "PersonId"),
    CONSTRAINT "FK_EnquirySubjects_Enquiries_EnquiryId" FOREIGN KEY ("EnquiryId") REFERENCES "Enquiries" ("Id") ON DELETE CASCADE,
    CONSTRAINT "FK_EnquirySubjects_People_PersonId" FOREIGN KEY ("PersonId") REFERENCES "People" ("Id") ON DELETE RESTRICT
);


CREATE TABLE "EventSubjects" (
    "EventId" uuid NOT NULL,
    "PersonId" uuid NOT NULL,
    CONSTRAINT "PK_EventSubjects" PRIMARY KEY ("EventId", "PersonId"),
    CONSTRAINT "FK_EventSubjects_Events_EventId" FOREIGN KEY ("EventId") REFERENCES "Events" ("Id") ON DELETE CASCADE,
    CONSTRAINT "FK_EventSubjects_People_PersonId" FOREIGN KEY ("PersonId") REFERENCES "People" ("Id") ON DELETE RESTRICT
);


CREATE TABLE "HouseholdMembers" (
    "HouseholdId" uuid NOT NULL,
    "PersonId" uuid NOT NULL,
    "Role" character varying(32) NOT NULL,
    CONSTRAINT "PK_HouseholdMembers" PRIMARY KEY ("HouseholdId", "PersonId"),
    CONSTRAINT "FK_HouseholdMembers_Households_HouseholdId" FOREIGN KEY ("HouseholdId") REFERENCES "Households" ("Id") ON DELETE CASCADE,
    CONSTRAINT "FK_HouseholdMembers_People_PersonId" FOREIGN KEY ("PersonId") REFERENCES "People" ("Id") ON DELETE RESTRICT
);


CREATE TABLE "Involvements" (
    "Id" uuid NOT NULL,
    "PersonId" uuid NOT NULL,
    "Service" character varying(64) NOT NULL,
    "Status" character varying(40) NOT NULL,
    "StartedAt" timestamp with time zone NOT NULL,
    "EndedAt" timestamp with time zone,
    "Team" character varying(128),
    "LeadWorker" bytea,
    "Summary" bytea,
    "OwningAgency" character varying(32) NOT NULL,
    "DataClass" character varying(64) NOT NULL,
    "CreatedAt" timestamp with time zone NOT NULL,
    "UpdatedAt" timestamp with time zone NOT NULL,
    "Version" bigint NOT NULL,
    CONSTRAINT "PK_Involvements" PRIMARY KEY ("Id"),
    CONSTRAINT "FK_Involvements_Agencies_OwningAgency" FOREIGN KEY ("OwningAgency") REFERENCES "Agencies" ("Code") ON DELETE RESTRICT,
    CONSTRAINT "FK_Involvements_People_PersonId" FOREIGN KEY ("PersonId") REFERENCES "People" ("Id") ON DELETE RESTRICT
);


CREATE TABLE "PersonIdentifiers" (
    "Id" uuid NOT NULL,
    "PersonId" uuid NOT NULL,
    "Kind" character varying(40) NOT NULL,
    "Value" bytea NOT NULL,
    "ValueIndex" bytea NOT NULL,
    CONSTRAINT "PK_PersonIdentifiers" PRIMARY KEY ("Id"),
    CONSTRAINT "FK_PersonIdentifiers_People_PersonId" FOREIGN KEY ("PersonId") REFERENCES "People" ("Id") ON DELETE CASCADE
);


CREATE TABLE "Referrals" (
    "Id" uuid NOT NULL,
    "SubjectPersonId" uuid NOT NULL,
    "ReceivedAt" timestamp with time zone NOT NULL,
    "DecisionDueAt" timestamp with time zone NOT NULL,
    "Decision" character varying(40),
    "DecidedAt" timestamp with time zone,
    "Concern" bytea NOT NULL,
    "ReferrerIdentity" bytea,
    "OwningAgency" character varying(32) NOT NULL,
    "DataClass" character varying(64) NOT NULL,
    "CreatedAt" timestamp with time zone NOT NULL,
    "UpdatedAt" timestamp with time zone NOT NULL,
    "Version" bigint NOT NULL,
    CONSTRAINT "PK_Referrals" PRIMARY KEY ("Id"),
    CONSTRAINT "FK_Referrals_Agencies_OwningAgency" FOREIGN KEY ("OwningAgency") REFERENCES "Agencies" ("Code") ON DELETE RESTRICT,
    CONSTRAINT "FK_Referrals_People_SubjectPersonId" FOREIGN KEY ("SubjectPersonId") REFERENCES "People" ("Id") ON DELETE RESTRICT
);


CREATE TABLE "Relationships" (
    "Id" uuid NOT NULL,
    "PersonId" uuid NOT NULL,
    "RelatedPersonId" uuid NOT NULL,
    "Kind" character varying(40) NOT NULL,
    "HasParentalResponsibility" boolean NOT NULL,
    "OwningAgency" character varying(32) NOT NULL,
    "DataClass" character varying(64) NOT NULL,
    "CreatedAt" timestamp with time zone NOT NULL,
    "UpdatedAt" timestamp with time zone NOT NULL,
    "Version" bigint NOT NULL,
    CONSTRAINT "PK_Relationships" PRIMARY KEY ("Id"),
    CONSTRAINT "FK_Relationships_Agencies_OwningAgency" FOREIGN KEY ("OwningAgency") REFERENCES "Agencies" ("Code") ON DELETE RESTRICT,
    CONSTRAINT "FK_Relationships_People_PersonId" FOREIGN KEY ("PersonId") REFERENCES "People" ("Id") ON DELETE RESTRICT,
    CONSTRAINT "FK_Relationships_People_RelatedPersonId" FOREIGN KEY ("RelatedPersonId") REFERENCES "People" ("Id") ON DELETE RESTRICT
);


CREATE TABLE "States" (
    "Id" uuid NOT NULL,
    "PersonId" uuid NOT NULL,
    "Code" character varying(64) NOT NULL,
    "StartedAt" timestamp with time zone NOT NULL,
    "EndedAt" timestamp with time zone,
    "Detail" bytea,
    "OwningAgency" character varying(32) NOT NULL,
    "DataClass" character varying(64) NOT NULL,
    "CreatedAt" timestamp with time zone NOT NULL,
    "UpdatedAt" timestamp with time zone NOT NULL,
    "Version" bigint NOT NULL,
    CONSTRAINT "PK_States" PRIMARY KEY ("Id"),
    CONSTRAINT "FK_States_Agencies_OwningAgency" FOREIGN KEY ("OwningAgency") REFERENCES "Agencies" ("Code") ON DELETE RESTRICT,
    CONSTRAINT "FK_States_People_PersonId" FOREIGN KEY ("PersonId") REFERENCES "People" ("Id") ON DELETE RESTRICT
);


CREATE TABLE "InformationResponses" (
    "Id" uuid NOT NULL,
    "RequestId" uuid NOT NULL,
    "RespondedAt" timestamp with time zone NOT NULL,
    "Kind" character varying(40) NOT NULL,
    "Content" bytea,
    "Reason" bytea,
    "OwningAgency" character varying(32) NOT NULL,
    "DataClass" character varying(64) NOT NULL,
    "CreatedAt" timestamp with time zone NOT NULL,
    "UpdatedAt" timestamp with time zone NOT NULL,
    "Version" bigint NOT NULL,
    CONSTRAINT "PK_InformationResponses" PRIMARY KEY ("Id"),
    CONSTRAINT "FK_InformationResponses_Agencies_OwningAgency" FOREIGN KEY ("OwningAgency") REFERENCES "Agencies" ("Code") ON DELETE RESTRICT,
    CONSTRAINT "FK_InformationResponses_InformationRequests_RequestId" FOREIGN KEY ("RequestId") REFERENCES "InformationRequests" ("Id") ON DELETE RESTRICT
);


INSERT INTO "Agencies" ("Code", "Name")
VALUES ('education', 'Education');
INSERT INTO "Agencies" ("Code", "Name")
VALUES ('health', 'Health (ICB and NHS providers)');
INSERT INTO "Agencies" ("Code", "Name")
VALUES ('la', 'Local authority children''s services');
INSERT INTO "Agencies" ("Code", "Name")
VALUES ('police', 'Police');
INSERT INTO "Agencies" ("Code", "Name")
VALUES ('probation', 'Probation');


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



