CREATE TABLE "auth_tokens" (
	"id" serial PRIMARY KEY NOT NULL,
	"user_id" integer NOT NULL,
	"key_hash" varchar(64) NOT NULL,
	"user_agent" varchar(255) DEFAULT '' NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "face_signatures" (
	"id" serial PRIMARY KEY NOT NULL,
	"user_id" integer NOT NULL,
	"relationship_id" integer,
	"embedding" vector(128) NOT NULL,
	"sample_count" integer DEFAULT 1 NOT NULL,
	"thumbnail_path" text,
	"first_seen_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_seen_at" timestamp with time zone DEFAULT now() NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "identified_participants" (
	"id" serial PRIMARY KEY NOT NULL,
	"interaction_id" integer NOT NULL,
	"relationship_id" integer,
	"face_signature_id" integer,
	"voice_signature_id" integer,
	"confidence" real NOT NULL,
	"first_seen_at" double precision NOT NULL
);
--> statement-breakpoint
CREATE TABLE "interaction_participants" (
	"interaction_id" integer NOT NULL,
	"relationship_id" integer NOT NULL,
	CONSTRAINT "interaction_participants_interaction_id_relationship_id_pk" PRIMARY KEY("interaction_id","relationship_id")
);
--> statement-breakpoint
CREATE TABLE "interaction_segments" (
	"id" serial PRIMARY KEY NOT NULL,
	"interaction_id" integer NOT NULL,
	"start_seconds" double precision NOT NULL,
	"end_seconds" double precision NOT NULL,
	"text" text NOT NULL,
	"voice_signature_id" integer
);
--> statement-breakpoint
CREATE TABLE "interactions" (
	"id" serial PRIMARY KEY NOT NULL,
	"user_id" integer NOT NULL,
	"interaction_type" varchar(20) NOT NULL,
	"title" varchar(255) DEFAULT '' NOT NULL,
	"occurred_at" timestamp with time zone DEFAULT now() NOT NULL,
	"duration_seconds" integer,
	"summary" text DEFAULT '' NOT NULL,
	"transcription" text DEFAULT '' NOT NULL,
	"processing_status" varchar(20) DEFAULT 'NONE' NOT NULL,
	"processing_error" text DEFAULT '' NOT NULL,
	"media_path" text,
	"media_filename" varchar(255),
	"media_content_type" varchar(255),
	"media_size" double precision,
	"media_duration_seconds" double precision,
	"search_vector" "tsvector" GENERATED ALWAYS AS (setweight(to_tsvector('english', coalesce("interactions"."title", '')), 'A') || setweight(to_tsvector('english', coalesce("interactions"."summary", '')), 'B') || setweight(to_tsvector('english', coalesce("interactions"."transcription", '')), 'C')) STORED,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "notes" (
	"id" serial PRIMARY KEY NOT NULL,
	"user_id" integer NOT NULL,
	"relationship_id" integer NOT NULL,
	"interaction_id" integer,
	"text" text NOT NULL,
	"category" varchar(20) DEFAULT 'OTHER' NOT NULL,
	"importance" real DEFAULT 0.5 NOT NULL,
	"status" varchar(20) DEFAULT 'ACTIVE' NOT NULL,
	"source" varchar(20) DEFAULT 'MANUAL' NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "relationships" (
	"id" serial PRIMARY KEY NOT NULL,
	"user_id" integer NOT NULL,
	"name" varchar(255) NOT NULL,
	"relationship_type" varchar(20) NOT NULL,
	"email" varchar(254) DEFAULT '' NOT NULL,
	"phone" varchar(50) DEFAULT '' NOT NULL,
	"company" varchar(255) DEFAULT '' NOT NULL,
	"birthday" date,
	"how_we_met" text DEFAULT '' NOT NULL,
	"tags" text[] DEFAULT '{}'::text[] NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "users" (
	"id" serial PRIMARY KEY NOT NULL,
	"username" varchar(150) NOT NULL,
	"email" varchar(254) DEFAULT '' NOT NULL,
	"password_hash" text NOT NULL,
	"first_name" varchar(150) DEFAULT '' NOT NULL,
	"last_name" varchar(150) DEFAULT '' NOT NULL,
	"is_staff" boolean DEFAULT false NOT NULL,
	"is_active" boolean DEFAULT true NOT NULL,
	"date_joined" timestamp with time zone DEFAULT now() NOT NULL,
	"last_login" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "voice_signatures" (
	"id" serial PRIMARY KEY NOT NULL,
	"user_id" integer NOT NULL,
	"relationship_id" integer,
	"embedding" vector NOT NULL,
	"sample_count" integer DEFAULT 1 NOT NULL,
	"first_seen_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_seen_at" timestamp with time zone DEFAULT now() NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "auth_tokens" ADD CONSTRAINT "auth_tokens_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "face_signatures" ADD CONSTRAINT "face_signatures_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "face_signatures" ADD CONSTRAINT "face_signatures_relationship_id_relationships_id_fk" FOREIGN KEY ("relationship_id") REFERENCES "public"."relationships"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "identified_participants" ADD CONSTRAINT "identified_participants_interaction_id_interactions_id_fk" FOREIGN KEY ("interaction_id") REFERENCES "public"."interactions"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "identified_participants" ADD CONSTRAINT "identified_participants_relationship_id_relationships_id_fk" FOREIGN KEY ("relationship_id") REFERENCES "public"."relationships"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "identified_participants" ADD CONSTRAINT "identified_participants_face_signature_id_face_signatures_id_fk" FOREIGN KEY ("face_signature_id") REFERENCES "public"."face_signatures"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "identified_participants" ADD CONSTRAINT "identified_participants_voice_signature_id_voice_signatures_id_fk" FOREIGN KEY ("voice_signature_id") REFERENCES "public"."voice_signatures"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "interaction_participants" ADD CONSTRAINT "interaction_participants_interaction_id_interactions_id_fk" FOREIGN KEY ("interaction_id") REFERENCES "public"."interactions"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "interaction_participants" ADD CONSTRAINT "interaction_participants_relationship_id_relationships_id_fk" FOREIGN KEY ("relationship_id") REFERENCES "public"."relationships"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "interaction_segments" ADD CONSTRAINT "interaction_segments_interaction_id_interactions_id_fk" FOREIGN KEY ("interaction_id") REFERENCES "public"."interactions"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "interaction_segments" ADD CONSTRAINT "interaction_segments_voice_signature_id_voice_signatures_id_fk" FOREIGN KEY ("voice_signature_id") REFERENCES "public"."voice_signatures"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "interactions" ADD CONSTRAINT "interactions_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "notes" ADD CONSTRAINT "notes_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "notes" ADD CONSTRAINT "notes_relationship_id_relationships_id_fk" FOREIGN KEY ("relationship_id") REFERENCES "public"."relationships"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "notes" ADD CONSTRAINT "notes_interaction_id_interactions_id_fk" FOREIGN KEY ("interaction_id") REFERENCES "public"."interactions"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "relationships" ADD CONSTRAINT "relationships_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "voice_signatures" ADD CONSTRAINT "voice_signatures_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "voice_signatures" ADD CONSTRAINT "voice_signatures_relationship_id_relationships_id_fk" FOREIGN KEY ("relationship_id") REFERENCES "public"."relationships"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "auth_tokens_key_hash_idx" ON "auth_tokens" USING btree ("key_hash");--> statement-breakpoint
CREATE INDEX "auth_tokens_user_idx" ON "auth_tokens" USING btree ("user_id");--> statement-breakpoint
CREATE INDEX "face_signatures_user_idx" ON "face_signatures" USING btree ("user_id","last_seen_at");--> statement-breakpoint
CREATE INDEX "face_signatures_relationship_idx" ON "face_signatures" USING btree ("relationship_id");--> statement-breakpoint
CREATE INDEX "face_signatures_embedding_idx" ON "face_signatures" USING hnsw ("embedding" vector_cosine_ops);--> statement-breakpoint
CREATE INDEX "identified_participants_interaction_idx" ON "identified_participants" USING btree ("interaction_id");--> statement-breakpoint
CREATE INDEX "interaction_participants_relationship_idx" ON "interaction_participants" USING btree ("relationship_id");--> statement-breakpoint
CREATE INDEX "interaction_segments_interaction_idx" ON "interaction_segments" USING btree ("interaction_id","start_seconds");--> statement-breakpoint
CREATE INDEX "interactions_user_occurred_idx" ON "interactions" USING btree ("user_id","occurred_at");--> statement-breakpoint
CREATE INDEX "interactions_search_idx" ON "interactions" USING gin ("search_vector");--> statement-breakpoint
CREATE INDEX "notes_user_importance_idx" ON "notes" USING btree ("user_id","importance","created_at");--> statement-breakpoint
CREATE INDEX "notes_relationship_idx" ON "notes" USING btree ("relationship_id","status");--> statement-breakpoint
CREATE INDEX "notes_interaction_idx" ON "notes" USING btree ("interaction_id");--> statement-breakpoint
CREATE INDEX "relationships_user_name_idx" ON "relationships" USING btree ("user_id","name","id");--> statement-breakpoint
CREATE INDEX "relationships_user_created_idx" ON "relationships" USING btree ("user_id","created_at");--> statement-breakpoint
CREATE UNIQUE INDEX "users_username_lower_idx" ON "users" USING btree (lower("username"));--> statement-breakpoint
CREATE INDEX "voice_signatures_user_idx" ON "voice_signatures" USING btree ("user_id","last_seen_at");--> statement-breakpoint
CREATE INDEX "voice_signatures_relationship_idx" ON "voice_signatures" USING btree ("relationship_id");