-- 0006 the notification outbox: what each partner system is to be told, delivered durably with retries.
CREATE TABLE "Notifications" (
    "Id" TEXT NOT NULL CONSTRAINT "PK_Notifications" PRIMARY KEY,
    "Agency" TEXT NOT NULL,
    "Kind" TEXT NOT NULL,
    "Payload" TEXT NOT NULL,
    "CreatedAt" INTEGER NOT NULL,
    "DueAt" INTEGER NOT NULL,
    "Attempts" INTEGER NOT NULL,
    "NextAttemptAt" INTEGER NOT NULL,
    "DeliveredAt" INTEGER NULL,
    "DeadAt" INTEGER NULL,
    "LastError" TEXT NULL
);
CREATE INDEX "IX_Notifications_Pending" ON "Notifications" ("DeliveredAt", "DeadAt", "NextAttemptAt");
CREATE INDEX "IX_Notifications_Agency" ON "Notifications" ("Agency");
