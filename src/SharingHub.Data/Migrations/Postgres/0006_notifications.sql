-- 0006 the notification outbox: what each partner system is to be told, delivered durably with retries.
CREATE TABLE "Notifications" (
    "Id" uuid NOT NULL,
    "Agency" character varying(32) NOT NULL,
    "Kind" character varying(64) NOT NULL,
    "Payload" text NOT NULL,
    "CreatedAt" timestamp with time zone NOT NULL,
    "DueAt" timestamp with time zone NOT NULL,
    "Attempts" integer NOT NULL,
    "NextAttemptAt" timestamp with time zone NOT NULL,
    "DeliveredAt" timestamp with time zone NULL,
    "DeadAt" timestamp with time zone NULL,
    "LastError" character varying(300) NULL,
    CONSTRAINT "PK_Notifications" PRIMARY KEY ("Id")
);
CREATE INDEX "IX_Notifications_Pending" ON "Notifications" ("DeliveredAt", "DeadAt", "NextAttemptAt");
CREATE INDEX "IX_Notifications_Agency" ON "Notifications" ("Agency");
