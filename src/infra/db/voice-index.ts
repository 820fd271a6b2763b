import { sql } from 'drizzle-orm';
import type { Database } from './database.js';

/**
 * Voice embeddings have the dimension of whichever speaker-embedding engine is configured, so the
 * column is an untyped `vector` and its HNSW index is a partial expression index for the
 * configured dimension, created here at start-up. Queries that want the index must use the same
 * expression: `embedding::vector(N)` with `vector_dims(embedding) = N`.
 */
export async function ensureVoiceEmbeddingIndex(db: Database, dimension: number): Promise<void> {
  const dim = Math.trunc(dimension);
  if (!Number.isInteger(dim) || dim <= 0) throw new Error(`Invalid voice embedding dimension ${dimension}`);
  await db.execute(
    sql.raw(
      `CREATE INDEX IF NOT EXISTS voice_signatures_embedding_${dim}_idx ON voice_signatures ` +
        `USING hnsw ((embedding::vector(${dim})) vector_cosine_ops) WHERE vector_dims(embedding) = ${dim}`,
    ),
  );
}
