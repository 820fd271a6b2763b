ALTER TABLE "interaction_segments" ADD COLUMN "speaker_name" varchar(255);--> statement-breakpoint
ALTER TABLE "interaction_segments" ADD COLUMN "relationship_id" integer;--> statement-breakpoint
ALTER TABLE "interactions" ADD COLUMN "notes_run_id" varchar(64);--> statement-breakpoint
ALTER TABLE "interaction_segments" ADD CONSTRAINT "interaction_segments_relationship_id_relationships_id_fk" FOREIGN KEY ("relationship_id") REFERENCES "public"."relationships"("id") ON DELETE set null ON UPDATE no action;