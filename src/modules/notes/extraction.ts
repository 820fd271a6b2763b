import type { Logger } from 'pino';
import type { AppConfig } from '../../infra/config/config.js';
import type { DatabaseHandle } from '../../infra/db/database.js';
import type { EventBus } from '../../infra/events/index.js';
import {
  createNotesEngine,
  type NotesEngine,
  type NotesInput,
  type NotesParticipant,
  type NotesTurn,
} from '../../pipeline/engines/notes/index.js';
import {
  contentWords,
  cosineSimilarity,
  DUPLICATE_EMBEDDING_SIMILARITY,
  DUPLICATE_SIMILARITY,
  textSimilarity,
} from '../../pipeline/engines/notes/text-similarity.js';
import { type InteractionDetail, InteractionsRepository } from '../interactions/repository.js';
import { RelationshipsRepository } from '../relationships/repository.js';
import { parseTranscript } from '../transcripts/parse.js';
import { matchSpeaker } from '../transcripts/speakers.js';
import { type NoteRow, NotesRepository } from './repository.js';
import { toNoteOut } from './routes.js';

export type ExtractionResult = {
  summary: string;
  /** Notes added by this run (each also published as `note.created`). */
  created: NoteRow[];
  /** Existing ACTIVE notes the run said again: their importance/updated_at were refreshed. */
  updated: NoteRow[];
};

/** Published on `user:{id}` for every note a run creates (the live call relays it as `note_generated`). */
export type NoteCreatedEvent = { type: 'note.created'; note: ReturnType<typeof toNoteOut> };

export type NotesExtractionDeps = {
  interactions: InteractionsRepository;
  relationships: RelationshipsRepository;
  notes: NotesRepository;
  engine: NotesEngine;
  events: EventBus;
  log: Logger;
  /** `user:{id}`: where per-user events go (see pipeline/process-media.ts). */
  channel: (userId: number) => string;
};

/**
 * Turns an interaction's stored transcript into notes and a summary: the same function after the
 * speech stage, after an imported transcript, and at the end of a live call. It reads only the
 * database (interaction, participants, segments → voice signature or speaker name → person), so it
 * does not matter who wrote the transcript.
 */
export class NotesExtractionService {
  constructor(private readonly deps: NotesExtractionDeps) {}

  /** The engine notes come from (the health check reports its status). */
  get engine(): NotesEngine {
    return this.deps.engine;
  }

  /** What the engine gets: participants with names, and the turns with their speakers. */
  async input(userId: number, interaction: InteractionDetail): Promise<NotesInput> {
    const ids = new Set(interaction.participants);
    for (const segment of interaction.segments)
      if (segment.relationshipId !== null) ids.add(segment.relationshipId);
    const names = await this.deps.relationships.namesOf(userId, [...ids]);
    const participants: NotesParticipant[] = [...names].map(([relationshipId, name]) => ({
      relationshipId,
      name,
    }));
    const byId = new Map(participants.map((p) => [p.relationshipId, p]));
    let turns: NotesTurn[];
    if (interaction.segments.length > 0) {
      turns = interaction.segments.map((segment) => ({
        speaker: segment.relationshipId === null ? null : (byId.get(segment.relationshipId) ?? null),
        speakerName:
          segment.speakerName ??
          (segment.voiceSignatureId === null ? null : `Voice ${segment.voiceSignatureId}`),
        text: segment.text,
        start: segment.start,
      }));
    } else {
      // A transcription pasted or edited by hand: "Name: text" lines are attributed by name.
      turns = parseTranscript(interaction.transcription, 'TEXT').map((line) => ({
        speaker: line.speaker === null ? null : matchSpeaker(line.speaker, participants),
        speakerName: line.speaker,
        text: line.text,
        start: null,
      }));
    }
    return { occurredAt: interaction.occurredAt, participants, turns };
  }

  async extractAndStoreNotes(
    userId: number,
    interactionId: number,
    options: { signal?: AbortSignal; onProgress?: (fraction: number) => void } = {},
  ): Promise<ExtractionResult | undefined> {
    const { interactions, notes, engine, log } = this.deps;
    const interaction = await interactions.get(userId, interactionId);
    if (!interaction) return undefined;
    const input = await this.input(userId, interaction);
    const result =
      input.turns.length === 0
        ? { summary: '', notes: [] }
        : await engine.extract(input, { signal: options.signal, onProgress: options.onProgress });
    options.signal?.throwIfAborted();

    await notes.deleteAiNotesOf(userId, interactionId);
    const existing = await notes.activeOf(userId, [...new Set(result.notes.map((n) => n.relationshipId))]);
    const embeddings = await this.embeddings(
      result.notes.map((n) => n.text),
      existing.map((n) => n.text),
      options.signal,
    );
    const known = existing.map((row, i) => ({
      row,
      words: contentWords(row.text),
      embedding: embeddings?.old[i],
    }));
    const created: NoteRow[] = [];
    const updated: NoteRow[] = [];
    for (const [i, note] of result.notes.entries()) {
      const words = contentWords(note.text);
      const embedding = embeddings?.new[i];
      const same = known.find(
        (k) =>
          k.row.relationshipId === note.relationshipId &&
          (textSimilarity(k.words, words) >= DUPLICATE_SIMILARITY ||
            (embedding !== undefined &&
              k.embedding !== undefined &&
              cosineSimilarity(k.embedding, embedding) >= DUPLICATE_EMBEDDING_SIMILARITY)),
      );
      if (same) {
        const row = await notes.reinforce(userId, same.row.id, note.importance);
        if (row && !updated.some((u) => u.id === row.id) && !created.some((c) => c.id === row.id))
          updated.push(row);
        continue;
      }
      const row = await notes.create(userId, {
        relationshipId: note.relationshipId,
        interactionId,
        text: note.text,
        category: note.category,
        importance: note.importance,
        status: 'ACTIVE',
        source: 'AI',
      });
      created.push(row);
      known.push({ row, words, embedding });
    }
    const summary = result.summary.slice(0, 20_000);
    if (summary) await interactions.saveSummary(userId, interactionId, summary);
    for (const row of created) {
      const event: NoteCreatedEvent = { type: 'note.created', note: toNoteOut(row) };
      await this.deps.events
        .publish(this.deps.channel(userId), event)
        .catch((error) => log.warn({ err: error }, 'could not publish a note event'));
    }
    log.info(
      { interaction: interactionId, engine: engine.name, created: created.length, updated: updated.length },
      'notes extracted',
    );
    return { summary, created, updated };
  }

  private async embeddings(newTexts: string[], oldTexts: string[], signal: AbortSignal | undefined) {
    if (!this.deps.engine.embed || newTexts.length === 0 || oldTexts.length === 0) return undefined;
    const vectors = await this.deps.engine.embed([...newTexts, ...oldTexts], signal);
    if (!vectors || vectors.length !== newTexts.length + oldTexts.length) return undefined;
    return { new: vectors.slice(0, newTexts.length), old: vectors.slice(newTexts.length) };
  }
}

/** The service over this process's database, event bus and configured engine. */
export function createNotesExtraction(deps: {
  config: AppConfig;
  database: DatabaseHandle;
  events: EventBus;
  log: Logger;
  engine?: NotesEngine;
}): NotesExtractionService {
  const db = deps.database.db;
  return new NotesExtractionService({
    interactions: new InteractionsRepository(db),
    relationships: new RelationshipsRepository(db),
    notes: new NotesRepository(db),
    engine: deps.engine ?? createNotesEngine(deps.config, deps.log),
    events: deps.events,
    log: deps.log,
    channel: (userId) => `user:${userId}`,
  });
}
