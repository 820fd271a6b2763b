import { and, asc, desc, eq, getTableName, inArray, isNotNull, isNull, ne, type SQL, sql } from 'drizzle-orm';
import type { Database } from '../../infra/db/database.js';
import {
  faceSignatures,
  identifiedParticipants,
  interactionSegments,
  voiceSignatures,
} from '../../infra/db/schema.js';
import { totalCount } from '../../infra/db/sql.js';
import type { PageRequest } from '../../infra/http/pagination.js';
import { weightedCentroidOf } from './embedding.js';

export type SignatureKind = 'face' | 'voice';

/** What both kinds share; faces also have a thumbnail. Embeddings never leave this module. */
export type SignatureRow = {
  id: number;
  userId: number;
  relationshipId: number | null;
  sampleCount: number;
  thumbnailPath: string | null;
  firstSeenAt: Date;
  lastSeenAt: Date;
  createdAt: Date;
};

export type SignatureFilter = { relationshipId?: number | undefined; unassigned?: boolean | undefined };
export const SIGNATURE_ORDERING = ['last_seen_at', 'first_seen_at', 'created_at', 'sample_count'] as const;
export type SignatureOrdering = { field: (typeof SIGNATURE_ORDERING)[number]; desc: boolean }[];

const TABLES = { face: faceSignatures, voice: voiceSignatures } as const;

function columns(kind: SignatureKind) {
  const t = TABLES[kind];
  return {
    id: t.id,
    userId: t.userId,
    relationshipId: t.relationshipId,
    sampleCount: t.sampleCount,
    thumbnailPath: kind === 'face' ? faceSignatures.thumbnailPath : sql<string | null>`null`,
    firstSeenAt: t.firstSeenAt,
    lastSeenAt: t.lastSeenAt,
    createdAt: t.createdAt,
  };
}

const ORDER_COLUMNS = {
  last_seen_at: 'lastSeenAt',
  first_seen_at: 'firstSeenAt',
  created_at: 'createdAt',
  sample_count: 'sampleCount',
} as const;

export class SignaturesRepository {
  constructor(private readonly db: Database) {}

  async list(
    userId: number,
    kind: SignatureKind,
    filter: SignatureFilter,
    ordering: SignatureOrdering,
    page: PageRequest,
  ): Promise<{ count: number; rows: SignatureRow[] }> {
    const t = TABLES[kind];
    const conditions: SQL[] = [eq(t.userId, userId)];
    if (filter.relationshipId !== undefined) conditions.push(eq(t.relationshipId, filter.relationshipId));
    // As DRF's BooleanFilter on `relationship__isnull`: false lists the assigned ones.
    if (filter.unassigned === true) conditions.push(isNull(t.relationshipId));
    if (filter.unassigned === false) conditions.push(isNotNull(t.relationshipId));
    const where = and(...conditions)!;
    const orderBy = ordering.map(({ field, desc: d }) => {
      const column = t[ORDER_COLUMNS[field]];
      return d ? desc(column) : asc(column);
    });
    const rows = await this.db
      .select({ ...columns(kind), total: totalCount(t, where) })
      .from(t)
      .where(where)
      .orderBy(...orderBy, desc(t.id))
      .limit(page.pageSize)
      .offset(page.offset);
    return { count: rows[0]?.total ?? 0, rows: rows.map(({ total: _total, ...row }) => row) };
  }

  async get(userId: number, kind: SignatureKind, id: number): Promise<SignatureRow | undefined> {
    const t = TABLES[kind];
    const [row] = await this.db
      .select(columns(kind))
      .from(t)
      .where(and(eq(t.userId, userId), eq(t.id, id)));
    return row;
  }

  /** Stores a new signature (enrolment and the pipeline's unknown people). */
  async create(
    userId: number,
    kind: SignatureKind,
    values: {
      embedding: number[];
      relationshipId?: number | null;
      thumbnailPath?: string | null;
      seenAt?: Date;
      /** Voices: the embedding engine (see voice_signatures.engine). */
      engine?: string;
    },
  ): Promise<SignatureRow> {
    const seenAt = values.seenAt ?? new Date();
    const common = {
      userId,
      relationshipId: values.relationshipId ?? null,
      embedding: values.embedding,
      firstSeenAt: seenAt,
      lastSeenAt: seenAt,
    };
    if (kind === 'face') {
      const [row] = await this.db
        .insert(faceSignatures)
        .values({ ...common, thumbnailPath: values.thumbnailPath ?? null })
        .returning({ id: faceSignatures.id });
      return (await this.get(userId, kind, row!.id))!;
    }
    const [row] = await this.db
      .insert(voiceSignatures)
      .values({ ...common, engine: values.engine ?? '' })
      .returning({ id: voiceSignatures.id });
    return (await this.get(userId, kind, row!.id))!;
  }

  /**
   * Links a signature to a person (or unlinks it with `null`). When the person already has
   * signatures of this kind (and, for voices, of the same dimension), they are all merged into the
   * oldest one, so one person stays one signature: centroid of the embeddings weighted by samples,
   * sample counts summed, first/last sightings widened, references moved over.
   * Returns the surviving signature, or undefined when the signature is not the user's.
   */
  async assign(
    userId: number,
    kind: SignatureKind,
    id: number,
    relationshipId: number | null,
  ): Promise<SignatureRow | undefined> {
    const t = TABLES[kind];
    const referenceColumn =
      kind === 'face' ? identifiedParticipants.faceSignatureId : identifiedParticipants.voiceSignatureId;
    const lockedColumns = {
      id: t.id,
      engine: kind === 'voice' ? voiceSignatures.engine : sql<string>`''`,
      embedding: t.embedding,
      sampleCount: t.sampleCount,
      createdAt: t.createdAt,
    };
    const survivorId = await this.db.transaction(async (tx) => {
      const [source] = await tx
        .select(lockedColumns)
        .from(t)
        .where(and(eq(t.userId, userId), eq(t.id, id)))
        .for('update');
      if (!source) return undefined;
      const sourceEmbedding = source.embedding as number[];
      // Only embeddings of one engine (and so one dimension) can be merged (voice engines differ).
      const others =
        relationshipId === null
          ? []
          : await tx
              .select(lockedColumns)
              .from(t)
              .where(
                and(
                  eq(t.userId, userId),
                  eq(t.relationshipId, relationshipId),
                  ne(t.id, id),
                  sql`vector_dims(${t.embedding}) = ${sourceEmbedding.length}`,
                  kind === 'voice' ? eq(voiceSignatures.engine, source.engine) : undefined,
                ),
              )
              .orderBy(asc(t.id))
              .for('update');
      // The oldest signature survives, so the id clients know longest stays valid.
      const group = [source, ...others].sort(
        (a, b) => a.createdAt.getTime() - b.createdAt.getTime() || a.id - b.id,
      );
      const survivor = group[0]!;
      const mergedIds = group.slice(1).map((row) => row.id);
      if (mergedIds.length === 0) {
        await tx.update(t).set({ relationshipId }).where(eq(t.id, id));
      } else {
        const groupIds = sql.join(
          group.map((row) => sql`${row.id}`),
          sql`, `,
        );
        const merged = sql.join(
          mergedIds.map((mergedId) => sql`${mergedId}`),
          sql`, `,
        );
        const table = sql.identifier(getTableName(t));
        await tx
          .update(t)
          .set({
            relationshipId,
            embedding: weightedCentroidOf(
              group.map((row) => ({ embedding: row.embedding as number[], weight: row.sampleCount })),
            ),
            sampleCount: group.reduce((sum, row) => sum + row.sampleCount, 0),
            firstSeenAt: sql`(select min(g.first_seen_at) from ${table} g where g.id in (${groupIds}))`,
            lastSeenAt: sql`(select max(g.last_seen_at) from ${table} g where g.id in (${groupIds}))`,
            ...(kind === 'face' && {
              thumbnailPath: sql`coalesce(${faceSignatures.thumbnailPath}, (select g.thumbnail_path from ${faceSignatures} g where g.id in (${merged}) and g.thumbnail_path is not null order by g.created_at, g.id limit 1))`,
            }),
          })
          .where(eq(t.id, survivor.id));
        await tx
          .update(identifiedParticipants)
          .set(kind === 'face' ? { faceSignatureId: survivor.id } : { voiceSignatureId: survivor.id })
          .where(inArray(referenceColumn, mergedIds));
        if (kind === 'voice') {
          await tx
            .update(interactionSegments)
            .set({ voiceSignatureId: survivor.id })
            .where(inArray(interactionSegments.voiceSignatureId, mergedIds));
        }
        await tx.delete(t).where(inArray(t.id, mergedIds));
      }
      // The people seen in calls through this signature are now this person (or unknown).
      await tx.update(identifiedParticipants).set({ relationshipId }).where(eq(referenceColumn, survivor.id));
      return survivor.id;
    });
    return survivorId === undefined ? undefined : this.get(userId, kind, survivorId);
  }

  /**
   * The user's `limit` signatures of this kind closest to `embedding` by cosine distance, through
   * the HNSW index. The index is shared by all users, so the scan is iterative: without it the
   * index hands over its `ef_search` nearest rows of anyone and the user filter can leave fewer
   * than `limit` (or none) of this user's.
   */
  async nearest(
    userId: number,
    kind: SignatureKind,
    embedding: number[],
    limit: number,
    /** Voices: only signatures made by this embedding engine are comparable. */
    engine?: string,
  ): Promise<{ id: number; relationshipId: number | null; distance: number }[]> {
    const dim = embedding.length;
    if (!Number.isInteger(dim) || dim < 1) return [];
    const t = TABLES[kind];
    const vectorType = sql.raw(`vector(${dim})`);
    const query = sql`${JSON.stringify(embedding)}::${vectorType}`;
    // Voices: the partial expression index of voice-index.ts; faces: the plain column index.
    const column = kind === 'face' ? sql`${t.embedding}` : sql`(${t.embedding}::${vectorType})`;
    const distance = sql<number>`${column} <=> ${query}`;
    return this.db.transaction(async (tx) => {
      await tx.execute(sql`set local hnsw.iterative_scan = strict_order`);
      const rows = await tx
        .select({ id: t.id, relationshipId: t.relationshipId, distance })
        .from(t)
        .where(
          and(
            eq(t.userId, userId),
            kind === 'voice' ? sql`vector_dims(${t.embedding}) = ${dim}` : undefined,
            kind === 'voice' && engine !== undefined ? eq(voiceSignatures.engine, engine) : undefined,
          ),
        )
        .orderBy(distance)
        .limit(limit);
      return rows.map((r) => ({ ...r, distance: Number(r.distance) }));
    });
  }

  /**
   * A known voice heard again: its embedding moves towards the new one (weighted by samples),
   * one more sample, last seen now. Only the user's signature of the same engine is touched.
   */
  async recordVoiceSighting(
    userId: number,
    id: number,
    engine: string,
    embedding: number[],
    seenAt: Date,
  ): Promise<void> {
    await this.db.transaction(async (tx) => {
      const [row] = await tx
        .select({ embedding: voiceSignatures.embedding, sampleCount: voiceSignatures.sampleCount })
        .from(voiceSignatures)
        .where(
          and(
            eq(voiceSignatures.userId, userId),
            eq(voiceSignatures.id, id),
            eq(voiceSignatures.engine, engine),
          ),
        )
        .for('update');
      if (!row || row.embedding.length !== embedding.length) return;
      await tx
        .update(voiceSignatures)
        .set({
          embedding: weightedCentroidOf([
            { embedding: row.embedding, weight: row.sampleCount },
            { embedding, weight: 1 },
          ]),
          sampleCount: row.sampleCount + 1,
          lastSeenAt: sql`greatest(${voiceSignatures.lastSeenAt}, ${seenAt.toISOString()}::timestamptz)`,
        })
        .where(eq(voiceSignatures.id, id));
    });
  }

  async delete(userId: number, kind: SignatureKind, id: number): Promise<SignatureRow | undefined> {
    const t = TABLES[kind];
    const row = await this.get(userId, kind, id);
    if (!row) return undefined;
    await this.db.delete(t).where(and(eq(t.userId, userId), eq(t.id, id)));
    return row;
  }
}
