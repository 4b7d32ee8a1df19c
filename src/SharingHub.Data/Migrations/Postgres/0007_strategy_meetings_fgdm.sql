-- 0007 strategy meetings, family group decision making at each decision point, escalation of overdue information requests.
CREATE TABLE "StrategyMeetings" (
    "Id" uuid NOT NULL,
    "EnquiryId" uuid NOT NULL,
    "HeldAt" timestamp with time zone NOT NULL,
    "Attendees" text[] NOT NULL,
    "Contributions" bytea,
    "Decisions" bytea,
    "OwningAgency" character varying(32) NOT NULL,
    "DataClass" character varying(64) NOT NULL,
    "CreatedAt" timestamp with time zone NOT NULL,
    "UpdatedAt" timestamp with time zone NOT NULL,
    "Version" bigint NOT NULL,
    CONSTRAINT "PK_StrategyMeetings" PRIMARY KEY ("Id"),
    CONSTRAINT "FK_StrategyMeetings_Agencies_OwningAgency" FOREIGN KEY ("OwningAgency") REFERENCES "Agencies" ("Code") ON DELETE RESTRICT,
    CONSTRAINT "FK_StrategyMeetings_Enquiries_EnquiryId" FOREIGN KEY ("EnquiryId") REFERENCES "Enquiries" ("Id") ON DELETE RESTRICT
);
CREATE INDEX "IX_StrategyMeetings_EnquiryId" ON "StrategyMeetings" ("EnquiryId");
CREATE INDEX "IX_StrategyMeetings_OwningAgency" ON "StrategyMeetings" ("OwningAgency");
CREATE TABLE "EnquiryFgdm" (
    "Id" uuid NOT NULL,
    "EnquiryId" uuid NOT NULL,
    "DecisionPoint" character varying(64) NOT NULL,
    "Status" character varying(40) NOT NULL,
    "RecordedAt" timestamp with time zone NOT NULL,
    "RecordedBy" character varying(256) NOT NULL,
    CONSTRAINT "PK_EnquiryFgdm" PRIMARY KEY ("Id"),
    CONSTRAINT "FK_EnquiryFgdm_Enquiries_EnquiryId" FOREIGN KEY ("EnquiryId") REFERENCES "Enquiries" ("Id") ON DELETE CASCADE
);
CREATE INDEX "IX_EnquiryFgdm_EnquiryId" ON "EnquiryFgdm" ("EnquiryId");
ALTER TABLE "InformationRequests" ADD COLUMN "EscalatedAt" timestamp with time zone NULL;
