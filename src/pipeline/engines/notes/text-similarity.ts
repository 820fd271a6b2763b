/**
 * Normalised text similarity between two notes, for duplicate detection and for scoring the
 * extractor against labelled notes: the Dice coefficient of their content-word sets, after
 * lower-casing, dropping punctuation, dates in brackets and function words, and a light stemming
 * ("starts"/"starting" → "start"). 1 = the same words, 0 = none shared.
 */

const FUNCTION_WORDS = new Set(
  `a an the and or but so of to in on at by for with from into about as is are was were be been being
  am do does did has have had will would shall should can could may might must it its this that these
  those there their they them he she his her him hers i me my we us our you your yours mine
  not no yes just really very also too then than some any all one up out over again still now
  who what which when where why how if because while there's it's that's`.split(/\s+/),
);

function stem(word: string): string {
  if (word.length > 5 && word.endsWith('ing')) return word.slice(0, -3);
  if (word.length > 4 && word.endsWith('ied')) return `${word.slice(0, -3)}y`;
  if (word.length > 4 && word.endsWith('ed')) return word.slice(0, -2);
  if (word.length > 4 && word.endsWith('ies')) return `${word.slice(0, -3)}y`;
  if (word.length > 3 && word.endsWith('s') && !word.endsWith('ss')) return word.slice(0, -1);
  return word;
}

export function contentWords(text: string): Set<string> {
  const cleaned = text
    .toLowerCase()
    .replace(/\([^)]*\)/g, ' ')
    .replace(/['’]s\b/g, '')
    .replace(/[^\p{L}\p{N}\s]+/gu, ' ');
  const words = new Set<string>();
  for (const word of cleaned.split(/\s+/)) {
    if (word && !FUNCTION_WORDS.has(word)) words.add(stem(word));
  }
  return words;
}

export function textSimilarity(a: string | Set<string>, b: string | Set<string>): number {
  const left = typeof a === 'string' ? contentWords(a) : a;
  const right = typeof b === 'string' ? contentWords(b) : b;
  if (left.size === 0 || right.size === 0) return 0;
  let shared = 0;
  for (const word of left) if (right.has(word)) shared++;
  return (2 * shared) / (left.size + right.size);
}

/** Above this, two notes of one person say the same thing. */
export const DUPLICATE_SIMILARITY = 0.6;

export function cosineSimilarity(a: number[], b: number[]): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    dot += a[i]! * b[i]!;
    na += a[i]! * a[i]!;
    nb += b[i]! * b[i]!;
  }
  return na === 0 || nb === 0 ? 0 : dot / Math.sqrt(na * nb);
}

/** Above this embedding cosine, two notes say the same thing (when the endpoint offers embeddings). */
export const DUPLICATE_EMBEDDING_SIMILARITY = 0.9;
