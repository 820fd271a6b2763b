import { and, asc, desc, eq, gte, inArray, lte, type SQL, sql } from 'drizzle-orm';
import type { Database } from '../../infra/db/database.js';
import {
  identifiedParticipants,
  interactionParticipants,
  interactionSegments,
  interactions,
  notes,
  type ProcessingProgress,
  relationships,
  voiceSignatures,
} from '../../infra/db/schema.js';
import { qualified, totalCount } from '../../infra/db/sql.js';
import type { PageRequest } from '../../infra/http/pagination.js';
import { likePattern } from '../../infra/http/query.js';
import { formatTranscript } from './transcript.js';

export type InteractionRow = typeof interactions.$inferSelect;
export type InteractionValues = Pick<
  typeof interactions.$inferInsert,
  'interactionType' | 'title' | 'occurredAt' | 'durationSeconds' | 'summary' | 'transcription'
>;
export type InteractionListItem = Omit<
  InteractionRow,
  'transcription' | 'searchVector' | 'processingProgress' | 'processingUpdatedAt' | 'notesRunId'
> & {
  participants: number[];
};
export type Segment = {
  start: number;
  end: number;
  text: string;
  voiceSignatureId: number | null;
  /** From the voice signature, or the participant an imported speaker name matched. */
  relationshipId: number | null;
  speakerName: string | null;
};
/** A segment as written by the speech stage, an imported transcript or a live call. */
export type NewSegment = {
  start: number;
  end: number;
  text: string;
  voiceSignatureId: number | null;
  speakerName?: string | null;
  relationshipId?: number | null;
};
export type IdentifiedParticipant = typeof identifiedParticipants.$inferSelect;
export type InteractionDetail = InteractionListItem & {
  transcription: string;
  processingProgress: ProcessingProgress | null;
  segments: Segment[];
  identifiedParticipants: IdentifiedParticipant[];
};

export type InteractionFilter = {
  interactionType?: InteractionRow['interactionType'] | undefined;
  participantId?: number | undefined;
  processingStatus?: InteractionRow['processingStatus'] | undefined;
  occurredAfter?: Date | undefined;
  occurredBefore?: Date | undefined;
  searchTerms: string[];
};

const SEGMENT_BATCH = 2000;

export const INTERACTION_ORDERING = ['occurred_at', 'created_at'] as const;
export type InteractionOrdering = { field: (typeof INTERACTION_ORDERING)[number]; desc: boolean }[];

/**
 * Drizzle prints bare column names in a single-table select list, so inside this correlated
 * subquery `${interactions.id}` would be `"id"` and bind to whichever table of the subquery has
 * an `id`: see qualified().
 */
const participantIds = sql<number[]>`array(
  select p.relationship_id from ${interactionParticipants} p
  where p.interaction_id = ${qualified(interactions, interactions.id)}
  order by p.relationship_id)`;

/** Every column but the large and internal ones, for lists. */
const listColumns = {
  id: interactions.id,
  userId: interactions.userId,
  interactionType: interactions.interactionType,
  title: interactions.title,
  occurredAt: interactions.occurredAt,
  durationSeconds: interactions.durationSeconds,
  summary: interactions.summary,
  processingStatus: interactions.processingStatus,
  processingError: interactions.processingError,
  mediaPath: interactions.mediaPath,
  mediaFilename: interactions.mediaFilename,
  mediaContentType: interactions.mediaContentType,
  mediaSize: interactions.mediaSize,
  mediaDurationSeconds: interactions.mediaDurationSeconds,
  createdAt: interactions.createdAt,
  updatedAt: interactions.updatedAt,
  participants: participantIds,
};

/**
 * One search term: full-text (English stemming, prefix match) over title, summary and
 * transcription through the GIN index; terms too short for that, or made only of stop words,
 * fall back to a case-insensitive substring match.
 */
function searchCondition(term: string): SQL {
  const pattern = likePattern(term);
  const substring = sql`(${interactions.title} ilike ${pattern} or ${interactions.summary} ilike ${pattern} or ${interactions.transcription} ilike ${pattern})`;
  const words = term.split(/[^\p{L}\p{N}]+/u).filter(Boolean);
  if (term.length < 3 || words.length === 0) return substring;
  // Only letters and digits reach to_tsquery, so no user input can break its syntax.
  const query = sql`to_tsquery('english', ${words.map((w) => `${w}:*`).join(' & ')})`;
  return sql`(case when numnode(${query}) > 0 then ${interactions.searchVector} @@ ${query} else ${substring} end)`;
}

export class InteractionsRepository {
  constructor(private readonly db: Database) {}

  private where(userId: number, filter: InteractionFilter): SQL {
    const conditions: SQL[] = [eq(interactions.userId, userId)];
    if (filter.interactionType) conditions.push(eq(interactions.interactionType, filter.interactionType));
    if (filter.processingStatus) conditions.push(eq(interactions.processingStatus, filter.processingStatus));
    if (filter.occurredAfter) conditions.push(gte(interactions.occurredAt, filter.occurredAfter));
    if (filter.occurredBefore) conditions.push(lte(interactions.occurredAt, filter.occurredBefore));
    if (filter.participantId !== undefined) {
      conditions.push(
        sql`exists (select 1 from ${interactionParticipants} where ${interactionParticipants.interactionId} = ${interactions.id} and ${interactionParticipants.relationshipId} = ${filter.participantId})`,
      );
    }
    for (const term of filter.searchTerms) conditions.push(searchCondition(term));
    return and(...conditions)!;
  }

  async list(
    userId: number,
    filter: InteractionFilter,
    ordering: InteractionOrdering,
    page: PageRequest,
  ): Promise<{ count: number; rows: InteractionListItem[] }> {
    const where = this.where(userId, filter);
    const orderBy = ordering.map(({ field, desc: d }) => {
      const column = field === 'occurred_at' ? interactions.occurredAt : interactions.createdAt;
      return d ? desc(column) : asc(column);
    });
    const rows = await this.db
      .select({ ...listColumns, total: totalCount(interactions, where) })
      .from(interactions)
      .where(where)
      .orderBy(...orderBy, desc(interactions.id))
      .limit(page.pageSize)
      .offset(page.offset);
    return { count: rows[0]?.total ?? 0, rows: rows.map(({ total: _total, ...row }) => row) };
  }

  async get(userId: number, id: number): Promise<InteractionDetail | undefined> {
    const [row] = await this.db
      .select({
        ...listColumns,
        transcription: interactions.transcription,
        processingProgress: interactions.processingProgress,
      })
      .from(interactions)
      .where(and(eq(interactions.userId, userId), eq(interactions.id, id)));
    if (!row) return undefined;
    const [segments, identified] = await Promise.all([
      this.db
        .select({
          start: interactionSegments.startSeconds,
          end: interactionSegments.endSeconds,
          text: interactionSegments.text,
          voiceSignatureId: interactionSegments.voiceSignatureId,
          relationshipId: sql<
            number | null
          >`coalesce(${voiceSignatures.relationshipId}, ${interactionSegments.relationshipId})`,
          speakerName: interactionSegments.speakerName,
        })
        .from(interactionSegments)
        .leftJoin(voiceSignatures, eq(voiceSignatures.id, interactionSegments.voiceSignatureId))
        .where(eq(interactionSegments.interactionId, id))
        .orderBy(asc(interactionSegments.startSeconds), asc(interactionSegments.id)),
      this.db
        .select()
        .from(identifiedParticipants)
        .where(eq(identifiedParticipants.interactionId, id))
        .orderBy(asc(identifiedParticipants.firstSeenAt), asc(identifiedParticipants.id)),
    ]);
    return { ...row, segments, identifiedParticipants: identified };
  }

  async create(userId: number, values: InteractionValues, participants: number[]): Promise<number> {
    return this.db.transaction(async (tx) => {
      const [row] = await tx
        .insert(interactions)
        .values({ ...values, userId })
        .returning({ id: interactions.id });
      const id = row!.id;
      if (participants.length > 0) {
        await tx
          .insert(interactionParticipants)
          .values(participants.map((relationshipId) => ({ interactionId: id, relationshipId })));
      }
      return id;
    });
  }

  /** Updates the given columns; `participants`, when given, replaces the whole set. */
  async update(
    userId: number,
    id: number,
    values: Partial<InteractionValues>,
    participants: number[] | undefined,
  ): Promise<boolean> {
    return this.db.transaction(async (tx) => {
      const rows = await tx
        .update(interactions)
        .set({ ...values, updatedAt: new Date() })
        .where(and(eq(interactions.userId, userId), eq(interactions.id, id)))
        .returning({ id: interactions.id });
      if (rows.length === 0) return false;
      if (participants !== undefined) {
        await tx.delete(interactionParticipants).where(eq(interactionParticipants.interactionId, id));
        if (participants.length > 0) {
          await tx
            .insert(interactionParticipants)
            .values(participants.map((relationshipId) => ({ interactionId: id, relationshipId })));
        }
      }
      return true;
    });
  }

  async delete(userId: number, id: number): Promise<InteractionRow | undefined> {
    const [row] = await this.db
      .delete(interactions)
      .where(and(eq(interactions.userId, userId), eq(interactions.id, id)))
      .returning();
    return row;
  }

  async ownedIds(userId: number, ids: number[]): Promise<Set<number>> {
    if (ids.length === 0) return new Set();
    const rows = await this.db
      .select({ id: interactions.id })
      .from(interactions)
      .where(and(eq(interactions.userId, userId), inArray(interactions.id, ids)));
    return new Set(rows.map((r) => r.id));
  }

  // ---- media and processing (the upload route and the pipeline) ----

  /**
   * Points the interaction at newly stored media and queues it for processing: PENDING, no error,
   * no progress, no known duration. Returns the previous media key (to delete), or undefined when
   * the interaction is not the user's.
   */
  async attachMedia(
    userId: number,
    id: number,
    media: { key: string; filename: string; contentType: string; size: number },
  ): Promise<{ previousKey: string | null } | undefined> {
    return this.db.transaction(async (tx) => {
      const [current] = await tx
        .select({ key: interactions.mediaPath })
        .from(interactions)
        .where(and(eq(interactions.userId, userId), eq(interactions.id, id)))
        .for('update');
      if (!current) return undefined;
      await tx
        .update(interactions)
        .set({
          mediaPath: media.key,
          mediaFilename: media.filename.slice(0, 255),
          mediaContentType: media.contentType.slice(0, 255),
          mediaSize: media.size,
          mediaDurationSeconds: null,
          processingStatus: 'PENDING',
          processingError: '',
          processingProgress: null,
          processingUpdatedAt: new Date(),
          notesRunId: null,
          updatedAt: new Date(),
        })
        .where(eq(interactions.id, id));
      return { previousKey: current.key };
    });
  }

  /** Queues the stored media for another run; returns its key, or null when there is no media. */
  async requeue(userId: number, id: number): Promise<string | null | undefined> {
    const [row] = await this.db
      .update(interactions)
      .set({
        processingStatus: sql`case when ${interactions.mediaPath} is null then ${interactions.processingStatus} else 'PENDING' end`,
        processingError: '',
        processingProgress: null,
        processingUpdatedAt: new Date(),
        notesRunId: sql`case when ${interactions.mediaPath} is null then ${interactions.notesRunId} end`,
      })
      .where(and(eq(interactions.userId, userId), eq(interactions.id, id)))
      .returning({ key: interactions.mediaPath });
    return row === undefined ? undefined : row.key;
  }

  /**
   * Starts a run for this media: PROCESSING, and the AI-derived rows of earlier runs (segments,
   * identified participants, AI notes) removed so a re-run replaces them; manual notes stay.
   * Null when the interaction is gone or its media was replaced since the job was queued; else
   * the face signatures the earlier run identified (it already taught them this media's faces).
   */
  async startProcessing(
    userId: number,
    id: number,
    mediaKey: string,
  ): Promise<{ earlierFaceSignatureIds: number[] } | null> {
    return this.db.transaction(async (tx) => {
      const rows = await tx
        .update(interactions)
        .set({
          processingStatus: 'PROCESSING',
          processingError: '',
          processingProgress: { stage: 'queued', percent: 0 },
          processingUpdatedAt: new Date(),
        })
        .where(
          and(eq(interactions.userId, userId), eq(interactions.id, id), eq(interactions.mediaPath, mediaKey)),
        )
        .returning({ id: interactions.id });
      if (rows.length === 0) return null;
      await tx.delete(interactionSegments).where(eq(interactionSegments.interactionId, id));
      const earlier = await tx
        .delete(identifiedParticipants)
        .where(eq(identifiedParticipants.interactionId, id))
        .returning({ faceSignatureId: identifiedParticipants.faceSignatureId });
      await tx
        .delete(notes)
        .where(and(eq(notes.interactionId, id), eq(notes.userId, userId), eq(notes.source, 'AI')));
      return {
        earlierFaceSignatureIds: earlier.flatMap((row) =>
          row.faceSignatureId === null ? [] : [row.faceSignatureId],
        ),
      };
    });
  }

  async setProgress(
    userId: number,
    id: number,
    mediaKey: string,
    progress: ProcessingProgress,
  ): Promise<void> {
    await this.db
      .update(interactions)
      .set({ processingProgress: progress, processingUpdatedAt: new Date() })
      .where(
        and(eq(interactions.userId, userId), eq(interactions.id, id), eq(interactions.mediaPath, mediaKey)),
      );
  }

  /** What probing the media found; the interaction's own duration is filled in when the user left it empty. */
  async saveMediaDuration(
    userId: number,
    id: number,
    mediaKey: string,
    durationSeconds: number,
  ): Promise<void> {
    await this.db
      .update(interactions)
      .set({
        mediaDurationSeconds: durationSeconds,
        durationSeconds: sql`coalesce(${interactions.durationSeconds}, ${Math.round(durationSeconds)})`,
      })
      .where(
        and(eq(interactions.userId, userId), eq(interactions.id, id), eq(interactions.mediaPath, mediaKey)),
      );
  }

  async finishProcessing(
    userId: number,
    id: number,
    mediaKey: string,
    /** COMPLETED may carry a notice: what a stage could not do (e.g. no transcription engine). */
    outcome: { status: 'COMPLETED'; notice?: string } | { status: 'FAILED'; error: string },
  ): Promise<void> {
    await this.db
      .update(interactions)
      .set({
        processingStatus: outcome.status,
        processingError: outcome.status === 'FAILED' ? outcome.error : (outcome.notice ?? ''),
        processingUpdatedAt: new Date(),
        updatedAt: new Date(),
      })
      .where(
        and(eq(interactions.userId, userId), eq(interactions.id, id), eq(interactions.mediaPath, mediaKey)),
      );
  }

  /**
   * Pipeline results (faces, speech, live calls): people recognised in the call join its
   * participants. Only the user's own interaction and relationships are touched.
   */
  async addParticipants(userId: number, id: number, relationshipIds: number[]): Promise<void> {
    if (relationshipIds.length === 0) return;
    await this.db.execute(sql`
      insert into ${interactionParticipants} (interaction_id, relationship_id)
      select i.id, r.id from ${interactions} i
      join ${relationships} r on r.user_id = i.user_id and r.id in ${sql`(${sql.join(
        [...new Set(relationshipIds)].map((rid) => sql`${rid}`),
        sql`, `,
      )})`}
      where i.id = ${id} and i.user_id = ${userId}
      on conflict do nothing`);
  }

  /** Who was recognised, by face and/or voice, with how sure and when first seen. */
  async addIdentifiedParticipants(
    userId: number,
    id: number,
    rows: Omit<typeof identifiedParticipants.$inferInsert, 'id' | 'interactionId'>[],
  ): Promise<void> {
    if (rows.length === 0 || !(await this.owns(userId, id))) return;
    await this.db.insert(identifiedParticipants).values(rows.map((row) => ({ ...row, interactionId: id })));
  }

  /**
   * Stores a transcript: the full text and its segments, replacing earlier ones (a re-run, an
   * imported transcript, or the end of a live call).
   */
  async saveTranscript(
    userId: number,
    id: number,
    transcript: {
      transcription: string;
      segments: NewSegment[];
    },
  ): Promise<void> {
    await this.db.transaction(async (tx) => {
      const updated = await tx
        .update(interactions)
        .set({ transcription: transcript.transcription, updatedAt: new Date() })
        .where(and(eq(interactions.userId, userId), eq(interactions.id, id)))
        .returning({ id: interactions.id });
      if (updated.length === 0) return;
      await tx.delete(interactionSegments).where(eq(interactionSegments.interactionId, id));
      // In batches: one statement takes at most 65,535 parameters, and a long import has many lines.
      for (let i = 0; i < transcript.segments.length; i += SEGMENT_BATCH) {
        await tx.insert(interactionSegments).values(
          transcript.segments.slice(i, i + SEGMENT_BATCH).map((segment) => ({
            interactionId: id,
            startSeconds: segment.start,
            endSeconds: segment.end,
            text: segment.text,
            voiceSignatureId: segment.voiceSignatureId,
            speakerName: segment.speakerName ?? null,
            relationshipId: segment.relationshipId ?? null,
          })),
        );
      }
    });
  }

  // ---- notes-only runs (an imported transcript): keyed on a run id, since there may be no media ----

  /**
   * Queues a notes-only run: PENDING under a new run id, which supersedes any earlier one. Refused
   * (false) while the media pipeline has the interaction, so two runs never write it at once;
   * undefined when the interaction is not the user's.
   */
  async queueNotesRun(userId: number, id: number, runId: string): Promise<boolean | undefined> {
    return this.db.transaction(async (tx) => {
      const [current] = await tx
        .select({ status: interactions.processingStatus, runId: interactions.notesRunId })
        .from(interactions)
        .where(and(eq(interactions.userId, userId), eq(interactions.id, id)))
        .for('update');
      if (!current) return undefined;
      const busy = current.status === 'PENDING' || current.status === 'PROCESSING';
      if (busy && current.runId === null) return false;
      await tx
        .update(interactions)
        .set({
          processingStatus: 'PENDING',
          processingError: '',
          processingProgress: null,
          processingUpdatedAt: new Date(),
          notesRunId: runId,
          updatedAt: new Date(),
        })
        .where(eq(interactions.id, id));
      return true;
    });
  }

  private notesRun(userId: number, id: number, runId: string): SQL {
    return and(eq(interactions.userId, userId), eq(interactions.id, id), eq(interactions.notesRunId, runId))!;
  }

  /** PROCESSING, when this run is still the current one. */
  async startNotesRun(userId: number, id: number, runId: string): Promise<boolean> {
    const rows = await this.db
      .update(interactions)
      .set({
        processingStatus: 'PROCESSING',
        processingError: '',
        processingProgress: { stage: 'queued', percent: 0 },
        processingUpdatedAt: new Date(),
      })
      .where(this.notesRun(userId, id, runId))
      .returning({ id: interactions.id });
    return rows.length > 0;
  }

  async setNotesRunProgress(
    userId: number,
    id: number,
    runId: string,
    progress: ProcessingProgress,
  ): Promise<void> {
    await this.db
      .update(interactions)
      .set({ processingProgress: progress, processingUpdatedAt: new Date() })
      .where(this.notesRun(userId, id, runId));
  }

  /** The verdict of a notes-only run; the run id is cleared so the media pipeline may run again. */
  async finishNotesRun(
    userId: number,
    id: number,
    runId: string,
    outcome: { status: 'COMPLETED' } | { status: 'FAILED'; error: string },
  ): Promise<void> {
    await this.db
      .update(interactions)
      .set({
        processingStatus: outcome.status,
        processingError: outcome.status === 'FAILED' ? outcome.error : '',
        processingUpdatedAt: new Date(),
        notesRunId: null,
        updatedAt: new Date(),
      })
      .where(this.notesRun(userId, id, runId));
  }

  /**
   * Rewrites the transcript text of the user's interactions from their segments, with current
   * speaker names: after a run stores its segments, and after an unknown voice is named (every
   * past call it spoke in then reads with the name). `interactionIds` omitted: every interaction
   * with a segment of `voiceSignatureId`.
   */
  async rebuildTranscriptions(
    userId: number,
    target: { interactionIds: number[] } | { voiceSignatureId: number },
  ): Promise<number[]> {
    const ids =
      'interactionIds' in target
        ? target.interactionIds
        : (
            await this.db
              .selectDistinct({ id: interactionSegments.interactionId })
              .from(interactionSegments)
              .innerJoin(interactions, eq(interactions.id, interactionSegments.interactionId))
              .where(
                and(
                  eq(interactions.userId, userId),
                  eq(interactionSegments.voiceSignatureId, target.voiceSignatureId),
                ),
              )
          ).map((r) => r.id);
    for (const id of ids) {
      const rows = await this.db
        .select({
          text: interactionSegments.text,
          voiceSignatureId: interactionSegments.voiceSignatureId,
          name: relationships.name,
        })
        .from(interactionSegments)
        .innerJoin(interactions, eq(interactions.id, interactionSegments.interactionId))
        .leftJoin(voiceSignatures, eq(voiceSignatures.id, interactionSegments.voiceSignatureId))
        .leftJoin(relationships, eq(relationships.id, voiceSignatures.relationshipId))
        .where(and(eq(interactions.userId, userId), eq(interactionSegments.interactionId, id)))
        .orderBy(asc(interactionSegments.startSeconds), asc(interactionSegments.id));
      if (rows.length === 0) continue;
      await this.db
        .update(interactions)
        .set({ transcription: formatTranscript(rows), updatedAt: new Date() })
        .where(and(eq(interactions.userId, userId), eq(interactions.id, id)));
    }
    return ids;
  }

  async saveSummary(userId: number, id: number, summary: string): Promise<void> {
    await this.db
      .update(interactions)
      .set({ summary, updatedAt: new Date() })
      .where(and(eq(interactions.userId, userId), eq(interactions.id, id)));
  }

  private async owns(userId: number, id: number): Promise<boolean> {
    const rows = await this.db
      .select({ id: interactions.id })
      .from(interactions)
      .where(and(eq(interactions.userId, userId), eq(interactions.id, id)));
    return rows.length > 0;
  }

  async mediaOf(
    userId: number,
    id: number,
  ): Promise<{ key: string | null; filename: string | null; contentType: string | null } | undefined> {
    const [row] = await this.db
      .select({
        key: interactions.mediaPath,
        filename: interactions.mediaFilename,
        contentType: interactions.mediaContentType,
      })
      .from(interactions)
      .where(and(eq(interactions.userId, userId), eq(interactions.id, id)));
    return row;
  }
}
