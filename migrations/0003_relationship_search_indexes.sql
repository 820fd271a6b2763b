DROP INDEX "relationships_user_name_idx";--> statement-breakpoint
CREATE INDEX "relationships_search_trgm_idx" ON "relationships" USING gin (("name" || ' ' || "email" || ' ' || "phone") gin_trgm_ops) WITH (fastupdate=false);--> statement-breakpoint
CREATE INDEX "relationships_user_name_idx" ON "relationships" USING btree ("user_id",lower("name"),"id");