BEGIN TRANSACTION;
CREATE TABLE "audit_events" (
        "id" INTEGER NOT NULL PRIMARY KEY,
        "at" TEXT NOT NULL,
        "run_id" INTEGER NOT NULL,
        "profile_id" INTEGER NOT NULL,
        "entity" TEXT NOT NULL,
        "gp_key" TEXT NOT NULL COLLATE NOCASE,
        "mailchimp_id" TEXT COLLATE NOCASE,
        "email" TEXT COLLATE NOCASE,
        "action" TEXT NOT NULL,
        "reason" TEXT, "http_status" INTEGER, "error_title" TEXT, "error_detail" TEXT, "payload_hash" TEXT, "customer_number" TEXT COLLATE NOCASE, "customer_name" TEXT COLLATE NOCASE, "amount" TEXT, "currency" TEXT,
        FOREIGN KEY ("run_id") REFERENCES "runs" ("id") ON DELETE CASCADE,
        FOREIGN KEY ("profile_id") REFERENCES "profiles" ("id") ON DELETE CASCADE);
INSERT INTO "audit_events" VALUES(1,'2025-01-15T08:30:00.000000+00:00',1,1,'customer','AARONFIT0001','5d41402abc4b2a76b9719d911017c592','aaron@example.com','created',NULL,NULL,NULL,NULL,'h-aaron',NULL,NULL,NULL,NULL);
INSERT INTO "audit_events" VALUES(2,'2025-01-15T08:30:00.000000+00:00',1,1,'order','INV00001','INV00001',NULL,'created',NULL,NULL,NULL,NULL,'h-inv1','AARONFIT0001','Aaron Fitz Electrical','4320.15','USD');
INSERT INTO "audit_events" VALUES(3,'2025-01-15T08:30:00.000000+00:00',1,1,'customer','BAKERSEM0001',NULL,'bad@','failed','invalid e-mail',400,'Invalid Resource','email looks fake',NULL,NULL,NULL,NULL,NULL);
CREATE TABLE "batch_jobs" (
        "profile_id" INTEGER NOT NULL,
        "batch_id" TEXT NOT NULL,
        "operations" TEXT NOT NULL,
        "submitted_at" TEXT NOT NULL,
        PRIMARY KEY ("profile_id", "batch_id"),
        FOREIGN KEY ("profile_id") REFERENCES "profiles" ("id") ON DELETE CASCADE) WITHOUT ROWID;
CREATE TABLE "batch_work" (
        "profile_id" INTEGER NOT NULL,
        "work_key" TEXT NOT NULL,
        "item" TEXT NOT NULL,
        "updated_at" TEXT NOT NULL,
        PRIMARY KEY ("profile_id", "work_key"),
        FOREIGN KEY ("profile_id") REFERENCES "profiles" ("id") ON DELETE CASCADE) WITHOUT ROWID;
CREATE TABLE "failure_ledger" (
        "id" INTEGER NOT NULL PRIMARY KEY,
        "profile_id" INTEGER NOT NULL,
        "entity" TEXT NOT NULL, "gp_key" TEXT NOT NULL,
        "attempts" INTEGER NOT NULL, "category" TEXT NOT NULL, "next_retry_at" TEXT,
        "last_error_title" TEXT, "last_error_detail" TEXT, "last_http_status" INTEGER,
        "first_failed_at" TEXT NOT NULL, "last_failed_at" TEXT NOT NULL,
        "content_hash" TEXT, "dismissed" INTEGER NOT NULL, "email" TEXT, "customer_number" TEXT, "customer_name" TEXT,
        FOREIGN KEY ("profile_id") REFERENCES "profiles" ("id") ON DELETE CASCADE);
INSERT INTO "failure_ledger" VALUES(1,1,'customer','BAKERSEM0001',1,'permanent',NULL,'Invalid Resource',NULL,400,'2025-01-15T08:30:00.000000+00:00','2025-01-15T08:30:00.000000+00:00','h-baker',0,'bad@','BAKERSEM0001','Baker''s Emporium');
CREATE TABLE "meta" ("key" TEXT NOT NULL PRIMARY KEY, "value" TEXT NOT NULL);
INSERT INTO "meta" VALUES('schema_version','5');
INSERT INTO "meta" VALUES('created_at','2025-01-15T08:30:00.000000+00:00');
CREATE TABLE "profile_state" (
        "id" INTEGER NOT NULL PRIMARY KEY,
        "profile_id" INTEGER NOT NULL,
        "key" TEXT NOT NULL, "value" TEXT NOT NULL, "updated_at" TEXT NOT NULL,
        FOREIGN KEY ("profile_id") REFERENCES "profiles" ("id") ON DELETE CASCADE);
INSERT INTO "profile_state" VALUES(1,1,'backfill_in_progress','false','2025-01-15T08:30:00.000000+00:00');
CREATE TABLE "profiles" (
        "id" INTEGER NOT NULL PRIMARY KEY,
        "name" TEXT NOT NULL,
        "settings" TEXT NOT NULL,
        "schedule" TEXT NOT NULL,
        "created_at" TEXT NOT NULL, "updated_at" TEXT NOT NULL);
INSERT INTO "profiles" VALUES(1,'golden','{"filters":{"customer_classes":["RETAIL"]},"gp":{"company":"TWO","spn_host":"gp01.corp.example","url":"https://gp.example:443","username":"CORP\\sync"},"mailchimp":{"list_id":"a1b2c3","store_id":"gp-two"}}','{"every_minutes":15}','2025-01-15T08:30:00.000000+00:00','2025-01-15T08:30:00.000000+00:00');
CREATE TABLE "runs" (
        "id" INTEGER NOT NULL PRIMARY KEY,
        "profile_id" INTEGER NOT NULL,
        "kind" TEXT NOT NULL,
        "started_at" TEXT NOT NULL, "finished_at" TEXT,
        "outcome" TEXT, "counts" TEXT NOT NULL, "error_summary" TEXT,
        FOREIGN KEY ("profile_id") REFERENCES "profiles" ("id") ON DELETE CASCADE);
INSERT INTO "runs" VALUES(1,1,'full','2025-01-15T08:30:00.000000+00:00','2025-01-15T08:32:00.000000+00:00','partial','{"customer":{"created":1,"failed":1},"order":{"created":1}}',NULL);
ANALYZE "sqlite_master";
INSERT INTO "sqlite_stat1" VALUES('audit_events','audit_events_customer_name','3 2');
INSERT INTO "sqlite_stat1" VALUES('audit_events','audit_events_customer_number','3 2');
INSERT INTO "sqlite_stat1" VALUES('audit_events','audit_events_action','3 2');
INSERT INTO "sqlite_stat1" VALUES('audit_events','audit_events_email','3 1');
INSERT INTO "sqlite_stat1" VALUES('audit_events','audit_events_mailchimp_id','3 1');
INSERT INTO "sqlite_stat1" VALUES('audit_events','audit_events_gp_key','3 1');
INSERT INTO "sqlite_stat1" VALUES('audit_events','audit_events_entity','3 2');
INSERT INTO "sqlite_stat1" VALUES('audit_events','audit_events_profile_id','3 3');
INSERT INTO "sqlite_stat1" VALUES('audit_events','audit_events_run_id','3 3');
INSERT INTO "sqlite_stat1" VALUES('audit_events','audit_events_at','3 3');
CREATE TABLE "state_changes" (
        "profile_id" INTEGER NOT NULL PRIMARY KEY,
        "changes" INTEGER NOT NULL);
INSERT INTO "state_changes" VALUES(1,3);
CREATE TABLE "synced_records" (
        "profile_id" INTEGER NOT NULL,
        "entity" TEXT NOT NULL, "gp_key" TEXT NOT NULL,
        "content_hash" TEXT NOT NULL, "remote_id" TEXT, "remote_email" TEXT,
        "last_synced_at" TEXT NOT NULL,
        PRIMARY KEY ("profile_id", "entity", "gp_key"),
        FOREIGN KEY ("profile_id") REFERENCES "profiles" ("id") ON DELETE CASCADE) WITHOUT ROWID;
INSERT INTO "synced_records" VALUES(1,'customer','AARONFIT0001','h-aaron','5d41402abc4b2a76b9719d911017c592','aaron@example.com','2025-01-15T08:30:00.000000+00:00');
INSERT INTO "synced_records" VALUES(1,'order','INV00001','h-inv1','INV00001',NULL,'2025-01-15T08:30:00.000000+00:00');
CREATE INDEX "runs_profile_id" ON "runs" ("profile_id");
CREATE INDEX "audit_events_at" ON "audit_events" ("at");
CREATE INDEX "audit_events_run_id" ON "audit_events" ("run_id");
CREATE INDEX "audit_events_profile_id" ON "audit_events" ("profile_id");
CREATE INDEX "audit_events_entity" ON "audit_events" ("entity");
CREATE INDEX "audit_events_gp_key" ON "audit_events" ("gp_key");
CREATE INDEX "audit_events_mailchimp_id" ON "audit_events" ("mailchimp_id");
CREATE INDEX "audit_events_email" ON "audit_events" ("email");
CREATE INDEX "audit_events_action" ON "audit_events" ("action");
CREATE UNIQUE INDEX "failure_ledger_profile_id_entity_gp_key" ON "failure_ledger" ("profile_id", "entity", "gp_key");
CREATE INDEX "failure_ledger_profile_id_dismissed_next_retry_at" ON "failure_ledger" ("profile_id", "dismissed", "next_retry_at");
CREATE UNIQUE INDEX "profile_state_profile_id_key" ON "profile_state" ("profile_id", "key");
CREATE UNIQUE INDEX "profiles_name" ON "profiles" ("name");
CREATE INDEX "audit_events_customer_number" ON "audit_events" ("customer_number");
CREATE INDEX "audit_events_customer_name" ON "audit_events" ("customer_name");
CREATE TRIGGER "synced_records_insert_counts" AFTER INSERT ON "synced_records" BEGIN
        INSERT INTO "state_changes" ("profile_id", "changes") VALUES (NEW."profile_id", 1)
        ON CONFLICT ("profile_id") DO UPDATE SET "changes" = "changes" + 1;
    END;
CREATE TRIGGER "synced_records_update_counts" AFTER UPDATE ON "synced_records" BEGIN
        INSERT INTO "state_changes" ("profile_id", "changes") VALUES (NEW."profile_id", 1)
        ON CONFLICT ("profile_id") DO UPDATE SET "changes" = "changes" + 1;
    END;
CREATE TRIGGER "synced_records_delete_counts" AFTER DELETE ON "synced_records" BEGIN
        INSERT INTO "state_changes" ("profile_id", "changes") VALUES (OLD."profile_id", 1)
        ON CONFLICT ("profile_id") DO UPDATE SET "changes" = "changes" + 1;
    END;
CREATE TRIGGER "failure_ledger_insert_counts" AFTER INSERT ON "failure_ledger" BEGIN
        INSERT INTO "state_changes" ("profile_id", "changes") VALUES (NEW."profile_id", 1)
        ON CONFLICT ("profile_id") DO UPDATE SET "changes" = "changes" + 1;
    END;
CREATE TRIGGER "failure_ledger_update_counts" AFTER UPDATE ON "failure_ledger" BEGIN
        INSERT INTO "state_changes" ("profile_id", "changes") VALUES (NEW."profile_id", 1)
        ON CONFLICT ("profile_id") DO UPDATE SET "changes" = "changes" + 1;
    END;
CREATE TRIGGER "failure_ledger_delete_counts" AFTER DELETE ON "failure_ledger" BEGIN
        INSERT INTO "state_changes" ("profile_id", "changes") VALUES (OLD."profile_id", 1)
        ON CONFLICT ("profile_id") DO UPDATE SET "changes" = "changes" + 1;
    END;
CREATE TRIGGER "batch_jobs_insert_counts" AFTER INSERT ON "batch_jobs" BEGIN
        INSERT INTO "state_changes" ("profile_id", "changes") VALUES (NEW."profile_id", 1)
        ON CONFLICT ("profile_id") DO UPDATE SET "changes" = "changes" + 1;
    END;
CREATE TRIGGER "batch_jobs_update_counts" AFTER UPDATE ON "batch_jobs" BEGIN
        INSERT INTO "state_changes" ("profile_id", "changes") VALUES (NEW."profile_id", 1)
        ON CONFLICT ("profile_id") DO UPDATE SET "changes" = "changes" + 1;
    END;
CREATE TRIGGER "batch_jobs_delete_counts" AFTER DELETE ON "batch_jobs" BEGIN
        INSERT INTO "state_changes" ("profile_id", "changes") VALUES (OLD."profile_id", 1)
        ON CONFLICT ("profile_id") DO UPDATE SET "changes" = "changes" + 1;
    END;
CREATE TRIGGER "batch_work_insert_counts" AFTER INSERT ON "batch_work" BEGIN
        INSERT INTO "state_changes" ("profile_id", "changes") VALUES (NEW."profile_id", 1)
        ON CONFLICT ("profile_id") DO UPDATE SET "changes" = "changes" + 1;
    END;
CREATE TRIGGER "batch_work_update_counts" AFTER UPDATE ON "batch_work" BEGIN
        INSERT INTO "state_changes" ("profile_id", "changes") VALUES (NEW."profile_id", 1)
        ON CONFLICT ("profile_id") DO UPDATE SET "changes" = "changes" + 1;
    END;
CREATE TRIGGER "batch_work_delete_counts" AFTER DELETE ON "batch_work" BEGIN
        INSERT INTO "state_changes" ("profile_id", "changes") VALUES (OLD."profile_id", 1)
        ON CONFLICT ("profile_id") DO UPDATE SET "changes" = "changes" + 1;
    END;
COMMIT;
