/**
 * A speaker-embedding engine: a fixed-length vector per stretch of speech, compared by cosine.
 * Embeddings of different engines (`name`) live in different spaces and are never compared.
 */
export interface VoiceEmbedder {
  /** Stored with every voice signature; matching only ever looks at signatures of this engine. */
  readonly name: string;
  readonly dim: number;
  /** Cosine similarity above which two embeddings are taken for one speaker (measured: see bench). */
  readonly matchThreshold: number;
  /** Similarity above which two windows of one recording are clustered as one speaker (measured by DER). */
  readonly clusterThreshold: number;
  /** Shortest audio, in seconds, that gives a usable embedding. */
  readonly minSeconds: number;
  embed(samples: Float32Array): Float32Array;
}
