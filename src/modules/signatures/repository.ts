import { and, asc, desc, eq, getTableName, inArray, isNotNull, isNull, ne, type SQL, sql } from 'drizzle-orm';
import type { Database } from '../../infra/db/database.js';
import {
  faceSignatures,
  identifiedParticipants,
  interactionParticipants,
  interactionSegments,
  interactions,
  voiceSignatures,
} from '../../infra/db/schema.js';
import { totalCount } from '../../infra/db/sql.js';
import type { PageRequest } from '../../infra/http/pagination.js';
import { weightedCentroidOf } from './embedding.js';

export type SignatureKind = 'face' | 'voice';

/** What both kinds share; faces also have a thumbnail, voices a sample. Embeddings never leave this module. */
export type SignatureRow = {
  id: number;
  userId: number;
  relationshipId: number | null;
  sampleCount: number;
  thumbnailPath: string | null;
  samplePath: string | null;
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
    samplePath: kind === 'voice' ? voiceSignatures.samplePath : sql<string | null>`null`,
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

/** Users with more signatures than this are searched through the HNSW index, others exactly. */
export const EXACT_SEARCH_MAX_ROWS = 20_000;
/** A user's signature count changes slowly: which search path to take is re-checked this often. */
const COUNT_CACHE_MS = 60_000;

function toNearest(row: Record<string, unknown>) {
  return {
    id: Number(row.id),
    relationshipId: row.relationship_id === null ? null : Number(row.relationship_id),
    distance: Number(row.distance),
  };
}

export class SignaturesRepository {
  private readonly counts = new Map<string, { count: number; at: number }>();

  constructor(
    private readonly db: Database,
    /** Users with more signatures than this are searched through the HNSW index (tests lower it). */
    private readonly exactSearchMaxRows = EXACT_SEARCH_MAX_ROWS,
  ) {}

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
      sampleCount?: number;
    },
  ): Promise<SignatureRow> {
    const seenAt = values.seenAt ?? new Date();
    const common = {
      userId,
      relationshipId: values.relationshipId ?? null,
      embedding: values.embedding,
      sampleCount: values.sampleCount ?? 1,
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
   * Counts new sightings of a signature: `samples` more, seen at `seenAt`; with an embedding, the
   * centroid moves toward it by its weight (an unknown person's group learning from each call).
   */
  async addSamples(
    userId: number,
    id: number,
    sighting: { embedding: number[] | null; samples: number; seenAt: Date },
  ): Promise<void> {
    await this.db.transaction(async (tx) => {
      const [row] = await tx
        .select({ embedding: faceSignatures.embedding, sampleCount: faceSignatures.sampleCount })
        .from(faceSignatures)
        .where(and(eq(faceSignatures.userId, userId), eq(faceSignatures.id, id)))
        .for('update');
      if (!row) return;
      await tx
        .update(faceSignatures)
        .set({
          sampleCount: row.sampleCount + sighting.samples,
          lastSeenAt: sql`greatest(${faceSignatures.lastSeenAt}, ${sighting.seenAt.toISOString()}::timestamptz)`,
          ...(sighting.embedding && {
            embedding: weightedCentroidOf([
              { embedding: row.embedding as number[], weight: row.sampleCount },
              { embedding: sighting.embedding, weight: sighting.samples },
            ]),
          }),
        })
        .where(and(eq(faceSignatures.userId, userId), eq(faceSignatures.id, id)));
    });
  }

  async setThumbnail(userId: number, id: number, thumbnailPath: string | null): Promise<void> {
    await this.db
      .update(faceSignatures)
      .set({ thumbnailPath })
      .where(and(eq(faceSignatures.userId, userId), eq(faceSignatures.id, id)));
  }

  async setVoiceSample(userId: number, id: number, samplePath: string | null): Promise<void> {
    await this.db
      .update(voiceSignatures)
      .set({ samplePath })
      .where(and(eq(voiceSignatures.userId, userId), eq(voiceSignatures.id, id)));
  }

  /**
   * The stored file of each of these signatures: a face's thumbnail, a voice's sample (a merge
   * keeps one; the caller deletes the others' files).
   */
  async storedFiles(userId: number, kind: SignatureKind, ids: number[]): Promise<Map<number, string>> {
    if (ids.length === 0) return new Map();
    const t = TABLES[kind];
    const rows = await this.db
      .select({ id: t.id, key: kind === 'face' ? faceSignatures.thumbnailPath : voiceSignatures.samplePath })
      .from(t)
      .where(and(eq(t.userId, userId), inArray(t.id, ids)));
    return new Map(rows.flatMap((r) => (r.key ? [[r.id, r.key] as const] : [])));
  }

  /** Ids of the person's signatures of this kind. */
  async idsOf(userId: number, kind: SignatureKind, relationshipId: number): Promise<number[]> {
    const t = TABLES[kind];
    const rows = await this.db
      .select({ id: t.id })
      .from(t)
      .where(and(eq(t.userId, userId), eq(t.relationshipId, relationshipId)));
    return rows.map((r) => r.id);
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
            ...(kind === 'voice' && {
              samplePath: sql`coalesce(${voiceSignatures.samplePath}, (select g.sample_path from ${voiceSignatures} g where g.id in (${merged}) and g.sample_path is not null order by g.created_at, g.id limit 1))`,
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
      // The people seen in calls through this signature are now this person (or unknown), and
      // named people join the participants of those calls.
      await tx.update(identifiedParticipants).set({ relationshipId }).where(eq(referenceColumn, survivor.id));
      if (relationshipId !== null) {
        await tx.execute(sql`
          insert into ${interactionParticipants} (interaction_id, relationship_id)
          select distinct ip.interaction_id, ${relationshipId}::integer
          from ${identifiedParticipants} ip
          join ${interactions} i on i.id = ip.interaction_id and i.user_id = ${userId}
          where ip.${sql.identifier(kind === 'face' ? 'face_signature_id' : 'voice_signature_id')} = ${survivor.id}
          on conflict do nothing`);
      }
      return survivor.id;
    });
    return survivorId === undefined ? undefined : this.get(userId, kind, survivorId);
  }

  /**
   * The user's `limit` signatures of this kind closest to `embedding` by cosine distance.
   *
   * Every query is filtered on the user, and the filter stays index-friendly either way:
   * - a user with many signatures (more than EXACT_SEARCH_MAX_ROWS) goes through the HNSW index,
   *   with an iterative scan: the index is shared by all users, and without it the index hands over
   *   its `ef_search` nearest rows of anyone, which the user filter can leave short or empty;
   * - a user with fewer is searched exactly through the `(user_id, …)` b-tree: a few thousand
   *   distances cost less than an HNSW walk, and an iterative scan through other users' rows can
   *   stop (hnsw.max_scan_tuples) before reaching the few rows of a small user.
   * (test/api/faces-search.test.ts checks both plans with EXPLAIN.)
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
    const plan = await this.nearestQuery(userId, kind, embedding, limit, engine);
    return this.db.transaction(async (tx) => {
      if (plan.viaIndex) await tx.execute(sql`set local hnsw.iterative_scan = strict_order`);
      // Both drivers (PGlite, node-postgres) answer raw SQL with `{ rows }`.
      const result = (await tx.execute(plan.query)) as unknown as { rows: Record<string, unknown>[] };
      return result.rows.map(toNearest);
    });
  }

  /** The SQL `nearest` runs for this user (exposed for EXPLAIN in tests and the benchmark). */
  async nearestQuery(
    userId: number,
    kind: SignatureKind,
    embedding: number[],
    limit: number,
    engine?: string,
  ): Promise<{ viaIndex: boolean; query: SQL }> {
    const t = TABLES[kind];
    const dim = embedding.length;
    const vectorType = sql.raw(`vector(${dim})`);
    const query = sql`${JSON.stringify(embedding)}::${vectorType}`;
    const table = sql.identifier(getTableName(t));
    const dims =
      kind === 'voice'
        ? sql` and vector_dims(s.embedding) = ${dim}${engine === undefined ? sql`` : sql` and s.engine = ${engine}`}`
        : sql``;
    const viaIndex = (await this.signatureCount(userId, kind)) > this.exactSearchMaxRows;
    if (viaIndex) {
      // Voices: the partial expression index of voice-index.ts; faces: the plain column index.
      const column = kind === 'face' ? sql`s.embedding` : sql`(s.embedding::${vectorType})`;
      return {
        viaIndex,
        query: sql`select s.id, s.relationship_id, ${column} <=> ${query} as distance
          from ${table} s where s.user_id = ${userId}${dims}
          order by ${column} <=> ${query} limit ${limit}`,
      };
    }
    // OFFSET 0 keeps the subquery a subquery: the planner cannot push the ORDER BY into the HNSW index.
    return {
      viaIndex,
      query: sql`select m.id, m.relationship_id, m.embedding::${vectorType} <=> ${query} as distance
        from (select s.id, s.relationship_id, s.embedding from ${table} s
              where s.user_id = ${userId}${dims} offset 0) m
        order by distance limit ${limit}`,
    };
  }

  /** How many signatures of this kind the user has, counted up to just past the exact-search limit (cached a minute). */
  private async signatureCount(userId: number, kind: SignatureKind): Promise<number> {
    const key = `${kind}:${userId}`;
    const cached = this.counts.get(key);
    if (cached && Date.now() - cached.at < COUNT_CACHE_MS) return cached.count;
    const t = TABLES[kind];
    const capped = this.db
      .select({ one: sql`1` })
      .from(t)
      .where(eq(t.userId, userId))
      .limit(this.exactSearchMaxRows + 1)
      .as('capped');
    const [row] = await this.db.select({ count: sql<number>`count(*)::int`.mapWith(Number) }).from(capped);
    const count = row?.count ?? 0;
    if (this.counts.size > 10_000) this.counts.clear();
    this.counts.set(key, { count, at: Date.now() });
    return count;
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
