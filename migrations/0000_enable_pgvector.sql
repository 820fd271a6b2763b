-- drizzle-kit does not emit extensions; everything after this needs pgvector.
CREATE EXTENSION IF NOT EXISTS vector;
