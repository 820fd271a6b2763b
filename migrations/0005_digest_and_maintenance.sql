ALTER TABLE "interactions" ADD COLUMN "processing_updated_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "relationships" ADD COLUMN "contact_interval_days" integer;