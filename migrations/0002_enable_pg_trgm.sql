-- Trigram indexes make case-insensitive substring search (ILIKE %term%) indexable.
-- pg_trgm is a trusted extension: the database owner may create it.
CREATE EXTENSION IF NOT EXISTS pg_trgm;
