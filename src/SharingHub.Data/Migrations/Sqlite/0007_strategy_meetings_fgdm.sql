-- 0007 strategy meetings, family group decision making at each decision point, escalation of overdue information requests.
CREATE TABLE "StrategyMeetings" (
    "Id" TEXT NOT NULL CONSTRAINT "PK_StrategyMeetings" PRIMARY KEY,
    "EnquiryId" TEXT NOT NULL,
    "HeldAt" INTEGER NOT NULL,
    "Attendees" TEXT NOT NULL,
    "Contributions" BLOB NULL,
    "Decisions" BLOB NULL,
    "OwningAgency" TEXT NOT NULL,
    "DataClass" TEXT NOT NULL,
    "CreatedAt" INTEGER NOT NULL,
    "UpdatedAt" INTEGER NOT NULL,
    "Version" INTEGER NOT NULL,
    CONSTRAINT "FK_StrategyMeetings_Agencies_OwningAgency" FOREIGN KEY ("OwningAgency") REFERENCES "Agencies" ("Code") ON DELETE RESTRICT,
    CONSTRAINT "FK_StrategyMeetings_Enquiries_EnquiryId" FOREIGN KEY ("EnquiryId") REFERENCES "Enquiries" ("Id") ON DELETE RESTRICT
);
CREATE INDEX "IX_StrategyMeetings_EnquiryId" ON "StrategyMeetings" ("EnquiryId");
CREATE INDEX "IX_StrategyMeetings_OwningAgency" ON "StrategyMeetings" ("OwningAgency");
CREATE TABLE "EnquiryFgdm" (
    "Id" TEXT NOT NULL CONSTRAINT "PK_EnquiryFgdm" PRIMARY KEY,
    "EnquiryId" TEXT NOT NULL,
    "DecisionPoint" TEXT NOT NULL,
    "Status" TEXT NOT NULL,
    "RecordedAt" INTEGER NOT NULL,
    "RecordedBy" TEXT NOT NULL,
    CONSTRAINT "FK_EnquiryFgdm_Enquiries_EnquiryId" FOREIGN KEY ("EnquiryId") REFERENCES "Enquiries" ("Id") ON DELETE CASCADE
);
CREATE INDEX "IX_EnquiryFgdm_EnquiryId" ON "EnquiryFgdm" ("EnquiryId");
ALTER TABLE "InformationRequests" ADD COLUMN "EscalatedAt" INTEGER NULL;
