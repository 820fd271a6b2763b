import fs from 'node:fs';
import path from 'node:path';
import { parseTranscript } from '../../src/modules/transcripts/parse.js';
import { matchSpeaker } from '../../src/modules/transcripts/speakers.js';
import type {
  ExtractedNote,
  NoteCategory,
  NotesInput,
  NotesParticipant,
} from '../../src/pipeline/engines/notes/engine.js';
import { textSimilarity } from '../../src/pipeline/engines/notes/text-similarity.js';
import { REPO_ROOT } from './process.js';

/** The labelled conversations (see test/fixtures/notes/README.md for how they are labelled). */
export const NOTES_FIXTURES = path.join(REPO_ROOT, 'test/fixtures/notes');

export type ExpectedNote = { person: string; text: string; category: NoteCategory; importance: number };
export type LabelledCall = {
  id: string;
  relation: 'friends' | 'family' | 'colleagues';
  occurred_at: string;
  /** How the transcript names the user: their lines are never notes about anyone. */
  user: string;
  participants: string[];
  transcript: string[];
  expected: ExpectedNote[];
};

export function loadLabelledCalls(): LabelledCall[] {
  return fs
    .readdirSync(NOTES_FIXTURES)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => JSON.parse(fs.readFileSync(path.join(NOTES_FIXTURES, f), 'utf8')) as LabelledCall);
}

/** The engine's input, built as the import route builds it: "Name: text" lines, names → participants. */
export function inputOf(call: LabelledCall): NotesInput {
  const participants: NotesParticipant[] = call.participants.map((name, i) => ({
    relationshipId: i + 1,
    name,
  }));
  const turns = parseTranscript(call.transcript.join('\n'), 'TEXT').map((line) => ({
    speaker: line.speaker ? matchSpeaker(line.speaker, participants) : null,
    speakerName: line.speaker,
    text: line.text,
    start: null,
  }));
  return { occurredAt: new Date(call.occurred_at), participants, turns };
}

/**
 * An extracted note counts when it is about the same person as an expected note, has the same
 * category, and their texts share enough content words: textSimilarity (Dice over content words)
 * ≥ MATCH_SIMILARITY. Each expected note matches at most one extracted note (best pairs first).
 */
export const MATCH_SIMILARITY = 0.3;

export type CallScore = {
  extracted: number;
  expected: number;
  /** Same person, same category, similar text. */
  matched: number;
  /** Same person and similar text, whatever the category: the denominator of category accuracy. */
  matchedAnyCategory: number;
  sameCategory: number;
  /** |importance − expected importance| summed over the category-blind matches. */
  importanceError: number;
};

function greedyPairs(
  extracted: ExtractedNote[],
  expected: (ExpectedNote & { relationshipId: number })[],
  sameCategory: boolean,
): [ExtractedNote, ExpectedNote][] {
  const candidates: { e: number; x: number; score: number }[] = [];
  extracted.forEach((note, e) => {
    expected.forEach((want, x) => {
      if (want.relationshipId !== note.relationshipId) return;
      if (sameCategory && want.category !== note.category) return;
      const score = textSimilarity(note.text, want.text);
      if (score >= MATCH_SIMILARITY) candidates.push({ e, x, score });
    });
  });
  candidates.sort((a, b) => b.score - a.score);
  const usedE = new Set<number>();
  const usedX = new Set<number>();
  const pairs: [ExtractedNote, ExpectedNote][] = [];
  for (const { e, x } of candidates) {
    if (usedE.has(e) || usedX.has(x)) continue;
    usedE.add(e);
    usedX.add(x);
    pairs.push([extracted[e]!, expected[x]!]);
  }
  return pairs;
}

export function scoreCall(call: LabelledCall, extracted: ExtractedNote[]): CallScore {
  const ids = new Map(call.participants.map((name, i) => [name, i + 1]));
  const expected = call.expected.map((n) => ({ ...n, relationshipId: ids.get(n.person) ?? -1 }));
  const strict = greedyPairs(extracted, expected, true);
  const loose = greedyPairs(extracted, expected, false);
  return {
    extracted: extracted.length,
    expected: expected.length,
    matched: strict.length,
    matchedAnyCategory: loose.length,
    sameCategory: loose.filter(([a, b]) => a.category === b.category).length,
    importanceError: loose.reduce((sum, [a, b]) => sum + Math.abs(a.importance - b.importance), 0),
  };
}

export type Totals = {
  precision: number;
  recall: number;
  f1: number;
  categoryAccuracy: number;
  importanceMae: number;
  extracted: number;
  expected: number;
};

export function totals(scores: CallScore[]): Totals {
  const sum = (k: keyof CallScore) => scores.reduce((s, c) => s + c[k], 0);
  const precision = sum('matched') / Math.max(1, sum('extracted'));
  const recall = sum('matched') / Math.max(1, sum('expected'));
  return {
    precision,
    recall,
    f1: precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall),
    categoryAccuracy: sum('sameCategory') / Math.max(1, sum('matchedAnyCategory')),
    importanceMae: sum('importanceError') / Math.max(1, sum('matchedAnyCategory')),
    extracted: sum('extracted'),
    expected: sum('expected'),
  };
}
