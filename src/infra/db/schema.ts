import { type SQL, sql } from 'drizzle-orm';
import {
  boolean,
  customType,
  date,
  doublePrecision,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  real,
  serial,
  text,
  timestamp,
  uniqueIndex,
  varchar,
  vector,
} from 'drizzle-orm/pg-core';

/** Postgres full-text vector; only ever written by the database (generated column). */
const tsvector = customType<{ data: string }>({ dataType: () => 'tsvector' });

/**
 * A `vector` column without a fixed dimension: voice embeddings come from a configurable engine,
 * so their dimension is a setting. The HNSW index over them is created at start-up for the
 * configured dimension (see voice-index.ts).
 */
const anyVector = customType<{ data: number[]; driverData: string }>({
  dataType: () => 'vector',
  toDriver: (value) => JSON.stringify(value),
  fromDriver: (value) => JSON.parse(value) as number[],
});

const timestamps = {
  createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
  updatedAt: timestamp('updated_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
};

export const RELATIONSHIP_TYPES = [
  'FAMILY',
  'FRIEND',
  'COLLEAGUE',
  'BUSINESS',
  'ACQUAINTANCE',
  'OTHER',
] as const;
export const INTERACTION_TYPES = [
  'VIDEO_CALL',
  'PHONE_CALL',
  'MEETING',
  'IN_PERSON',
  'MESSAGE',
  'EMAIL',
  'OTHER',
] as const;
export const PROCESSING_STATUSES = ['NONE', 'PENDING', 'PROCESSING', 'COMPLETED', 'FAILED'] as const;
export const NOTE_CATEGORIES = [
  'FACT',
  'PREFERENCE',
  'EVENT',
  'TASK',
  'FAMILY',
  'WORK',
  'HEALTH',
  'OTHER',
] as const;
export const NOTE_STATUSES = ['ACTIVE', 'ARCHIVED', 'DELETED'] as const;
export const NOTE_SOURCES = ['AI', 'MANUAL'] as const;

export const FACE_EMBEDDING_DIM = 128;

export type ProcessingProgress = { stage: string; percent: number };

export const users = pgTable(
  'users',
  {
    id: serial('id').primaryKey(),
    username: varchar('username', { length: 150 }).notNull(),
    email: varchar('email', { length: 254 }).notNull().default(''),
    passwordHash: text('password_hash').notNull(),
    firstName: varchar('first_name', { length: 150 }).notNull().default(''),
    lastName: varchar('last_name', { length: 150 }).notNull().default(''),
    isStaff: boolean('is_staff').notNull().default(false),
    isActive: boolean('is_active').notNull().default(true),
    dateJoined: timestamp('date_joined', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
    lastLogin: timestamp('last_login', { withTimezone: true, mode: 'date' }),
  },
  (t) => [uniqueIndex('users_username_lower_idx').on(sql`lower(${t.username})`)],
);

/** API tokens: only the SHA-256 of the key is stored; the key itself is shown once. */
export const authTokens = pgTable(
  'auth_tokens',
  {
    id: serial('id').primaryKey(),
    userId: integer('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    keyHash: varchar('key_hash', { length: 64 }).notNull(),
    userAgent: varchar('user_agent', { length: 255 }).notNull().default(''),
    createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
  },
  (t) => [uniqueIndex('auth_tokens_key_hash_idx').on(t.keyHash), index('auth_tokens_user_idx').on(t.userId)],
);

export const relationships = pgTable(
  'relationships',
  {
    id: serial('id').primaryKey(),
    userId: integer('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    name: varchar('name', { length: 255 }).notNull(),
    relationshipType: varchar('relationship_type', { length: 20, enum: RELATIONSHIP_TYPES }).notNull(),
    email: varchar('email', { length: 254 }).notNull().default(''),
    phone: varchar('phone', { length: 50 }).notNull().default(''),
    company: varchar('company', { length: 255 }).notNull().default(''),
    birthday: date('birthday', { mode: 'string' }),
    howWeMet: text('how_we_met').notNull().default(''),
    tags: text('tags').array().notNull().default(sql`'{}'::text[]`),
    /** Keep in touch at least this often (days); null uses the default of the digest. */
    contactIntervalDays: integer('contact_interval_days'),
    ...timestamps,
  },
  (t) => [
    index('relationships_user_name_idx').on(t.userId, sql`lower(${t.name})`, t.id),
    // One trigram index over the searchable text (see relationshipSearchText in the repository).
    index('relationships_search_trgm_idx')
      .using('gin', sql`(${t.name} || ' ' || ${t.email} || ' ' || ${t.phone}) gin_trgm_ops`)
      .with({ fastupdate: false }),
    index('relationships_user_created_idx').on(t.userId, t.createdAt),
  ],
);

export const interactions = pgTable(
  'interactions',
  {
    id: serial('id').primaryKey(),
    userId: integer('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    interactionType: varchar('interaction_type', { length: 20, enum: INTERACTION_TYPES }).notNull(),
    title: varchar('title', { length: 255 }).notNull().default(''),
    occurredAt: timestamp('occurred_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
    durationSeconds: integer('duration_seconds'),
    summary: text('summary').notNull().default(''),
    transcription: text('transcription').notNull().default(''),
    processingStatus: varchar('processing_status', { length: 20, enum: PROCESSING_STATUSES })
      .notNull()
      .default('NONE'),
    processingError: text('processing_error').notNull().default(''),
    /** `{stage, percent}` of the current or last processing run. */
    processingProgress: jsonb('processing_progress').$type<ProcessingProgress>(),
    /** Last change of status or progress: a job silent for too long is re-queued by maintenance. */
    processingUpdatedAt: timestamp('processing_updated_at', { withTimezone: true, mode: 'date' }),
    /** Storage key of the media file (see infra/storage). */
    mediaPath: text('media_path'),
    mediaFilename: varchar('media_filename', { length: 255 }),
    mediaContentType: varchar('media_content_type', { length: 255 }),
    mediaSize: doublePrecision('media_size'),
    mediaDurationSeconds: doublePrecision('media_duration_seconds'),
    /**
     * The queued notes-only run (an imported transcript; the media pipeline is keyed on
     * mediaPath): a job whose run id no longer matches was superseded and does nothing.
     */
    notesRunId: varchar('notes_run_id', { length: 64 }),
    searchVector: tsvector('search_vector').generatedAlwaysAs(
      (): SQL =>
        sql`setweight(to_tsvector('english', coalesce(${interactions.title}, '')), 'A') || setweight(to_tsvector('english', coalesce(${interactions.summary}, '')), 'B') || setweight(to_tsvector('english', coalesce(${interactions.transcription}, '')), 'C')`,
    ),
    ...timestamps,
  },
  (t) => [
    index('interactions_user_occurred_idx').on(t.userId, t.occurredAt),
    index('interactions_search_idx').using('gin', t.searchVector),
  ],
);

export const interactionParticipants = pgTable(
  'interaction_participants',
  {
    interactionId: integer('interaction_id')
      .notNull()
      .references(() => interactions.id, { onDelete: 'cascade' }),
    relationshipId: integer('relationship_id')
      .notNull()
      .references(() => relationships.id, { onDelete: 'cascade' }),
  },
  (t) => [
    primaryKey({ columns: [t.interactionId, t.relationshipId] }),
    index('interaction_participants_relationship_idx').on(t.relationshipId),
  ],
);

export const faceSignatures = pgTable(
  'face_signatures',
  {
    id: serial('id').primaryKey(),
    userId: integer('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    relationshipId: integer('relationship_id').references(() => relationships.id, { onDelete: 'cascade' }),
    embedding: vector('embedding', { dimensions: FACE_EMBEDDING_DIM }).notNull(),
    sampleCount: integer('sample_count').notNull().default(1),
    thumbnailPath: text('thumbnail_path'),
    firstSeenAt: timestamp('first_seen_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
    lastSeenAt: timestamp('last_seen_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
    createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
  },
  (t) => [
    index('face_signatures_user_idx').on(t.userId, t.lastSeenAt),
    index('face_signatures_relationship_idx').on(t.relationshipId),
    index('face_signatures_embedding_idx').using('hnsw', t.embedding.op('vector_cosine_ops')),
  ],
);

export const voiceSignatures = pgTable(
  'voice_signatures',
  {
    id: serial('id').primaryKey(),
    userId: integer('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    relationshipId: integer('relationship_id').references(() => relationships.id, { onDelete: 'cascade' }),
    /**
     * The embedding engine (and model) that made `embedding`: engines embed voices in different
     * spaces, so signatures are only ever compared and merged with those of the same engine.
     */
    engine: varchar('engine', { length: 64 }).notNull().default(''),
    embedding: anyVector('embedding').notNull(),
    sampleCount: integer('sample_count').notNull().default(1),
    /** A few seconds of the voice (16 kHz WAV in storage), so the user can hear who it is. */
    samplePath: text('sample_path'),
    firstSeenAt: timestamp('first_seen_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
    lastSeenAt: timestamp('last_seen_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
    createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
  },
  (t) => [
    index('voice_signatures_user_idx').on(t.userId, t.lastSeenAt),
    index('voice_signatures_user_engine_idx').on(t.userId, t.engine),
    index('voice_signatures_relationship_idx').on(t.relationshipId),
  ],
);

/** Who said what and when in a processed call. */
export const interactionSegments = pgTable(
  'interaction_segments',
  {
    id: serial('id').primaryKey(),
    interactionId: integer('interaction_id')
      .notNull()
      .references(() => interactions.id, { onDelete: 'cascade' }),
    startSeconds: doublePrecision('start_seconds').notNull(),
    endSeconds: doublePrecision('end_seconds').notNull(),
    text: text('text').notNull(),
    voiceSignatureId: integer('voice_signature_id').references(() => voiceSignatures.id, {
      onDelete: 'set null',
    }),
    /** The speaker's name as an imported transcript gives it ("Ann", "Speaker 2"). */
    speakerName: varchar('speaker_name', { length: 255 }),
    /** The participant that name matched; voice-identified segments get theirs from the signature. */
    relationshipId: integer('relationship_id').references(() => relationships.id, { onDelete: 'set null' }),
  },
  (t) => [index('interaction_segments_interaction_idx').on(t.interactionId, t.startSeconds)],
);

/** The people recognised in a call, by face and/or voice. */
export const identifiedParticipants = pgTable(
  'identified_participants',
  {
    id: serial('id').primaryKey(),
    interactionId: integer('interaction_id')
      .notNull()
      .references(() => interactions.id, { onDelete: 'cascade' }),
    relationshipId: integer('relationship_id').references(() => relationships.id, { onDelete: 'set null' }),
    faceSignatureId: integer('face_signature_id').references(() => faceSignatures.id, {
      onDelete: 'set null',
    }),
    voiceSignatureId: integer('voice_signature_id').references(() => voiceSignatures.id, {
      onDelete: 'set null',
    }),
    confidence: real('confidence').notNull(),
    /** Seconds from the start of the recording (or of the live call). */
    firstSeenAt: doublePrecision('first_seen_at').notNull(),
  },
  (t) => [index('identified_participants_interaction_idx').on(t.interactionId)],
);

export const notes = pgTable(
  'notes',
  {
    id: serial('id').primaryKey(),
    userId: integer('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    relationshipId: integer('relationship_id')
      .notNull()
      .references(() => relationships.id, { onDelete: 'cascade' }),
    interactionId: integer('interaction_id').references(() => interactions.id, { onDelete: 'set null' }),
    text: text('text').notNull(),
    category: varchar('category', { length: 20, enum: NOTE_CATEGORIES }).notNull().default('OTHER'),
    importance: real('importance').notNull().default(0.5),
    status: varchar('status', { length: 20, enum: NOTE_STATUSES }).notNull().default('ACTIVE'),
    source: varchar('source', { length: 20, enum: NOTE_SOURCES }).notNull().default('MANUAL'),
    ...timestamps,
  },
  (t) => [
    index('notes_user_importance_idx').on(t.userId, t.importance, t.createdAt),
    index('notes_relationship_idx').on(t.relationshipId, t.status),
    index('notes_interaction_idx').on(t.interactionId),
  ],
);

export const schema = {
  users,
  authTokens,
  relationships,
  interactions,
  interactionParticipants,
  faceSignatures,
  voiceSignatures,
  interactionSegments,
  identifiedParticipants,
  notes,
};
