ALTER TABLE "ingest_log" ADD COLUMN "status" text DEFAULT 'complete' NOT NULL;--> statement-breakpoint
ALTER TABLE "ingest_log" ADD COLUMN "node_id" text;--> statement-breakpoint
ALTER TABLE "ingest_log" ADD COLUMN "lease_expires_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "ingest_log" ADD COLUMN "finished_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "ingest_log" ADD COLUMN "error_code" text;--> statement-breakpoint
CREATE INDEX "ingest_log_owner_corpus_idx" ON "ingest_log" USING btree ("owner_id","corpus","id");--> statement-breakpoint
CREATE INDEX "ingest_log_running_idx" ON "ingest_log" USING btree ("lease_expires_at") WHERE "ingest_log"."status" = 'running';