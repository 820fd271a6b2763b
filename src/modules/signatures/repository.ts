import { and, asc, desc, eq, isNull, ne, type SQL, sql } from 'drizzle-orm';
import type { Database } from '../../infra/db/database.js';
import {
  faceSignatures,
  identifiedParticipants,
  interactionSegments,
  voiceSignatures,
} from '../../infra/db/schema.js';
import type { PageRequest } from '../../infra/http/pagination.js';
import { weightedCentroid } from './embedding.js';

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
    if (filter.unassigned) conditions.push(isNull(t.relationshipId));
    const where = and(...conditions)!;
    const orderBy = ordering.map(({ field, desc: d }) => {
      const column = t[ORDER_COLUMNS[field]];
      return d ? desc(column) : asc(column);
    });
    const [countRows, rows] = await Promise.all([
      this.db.select({ count: sql<number>`count(*)::int` }).from(t).where(where),
      this.db
        .select(columns(kind))
        .from(t)
        .where(where)
        .orderBy(...orderBy, desc(t.id))
        .limit(page.pageSize)
        .offset(page.offset),
    ]);
    return { count: countRows[0]?.count ?? 0, rows };
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
    const [row] = await this.db.insert(voiceSignatures).values(common).returning({ id: voiceSignatures.id });
    return (await this.get(userId, kind, row!.id))!;
  }

  /**
   * Links a signature to a person (or unlinks it with `null`). When the person already has a
   * signature of this kind, the two are merged into the older one, so one person stays one
   * signature: centroid of the embeddings weighted by samples, references moved over.
   * Returns the surviving signature, or undefined when the signature is not the user's.
   */
  async assign(
    userId: number,
    kind: SignatureKind,
    id: number,
    relationshipId: number | null,
  ): Promise<SignatureRow | undefined> {
    const t = TABLES[kind];
    const survivorId = await this.db.transaction(async (tx) => {
      const [source] = await tx
        .select({ id: t.id, embedding: t.embedding, sampleCount: t.sampleCount })
        .from(t)
        .where(and(eq(t.userId, userId), eq(t.id, id)))
        .for('update');
      if (!source) return undefined;
      const referenceColumn =
        kind === 'face' ? identifiedParticipants.faceSignatureId : identifiedParticipants.voiceSignatureId;
      const [target] =
        relationshipId === null
          ? []
          : await tx
              .select({ id: t.id, embedding: t.embedding, sampleCount: t.sampleCount })
              .from(t)
              .where(and(eq(t.userId, userId), eq(t.relationshipId, relationshipId), ne(t.id, id)))
              .orderBy(desc(t.sampleCount), asc(t.id))
              .limit(1)
              .for('update');
      const sourceEmbedding = source.embedding as number[];
      const targetEmbedding = target?.embedding as number[] | undefined;
      if (!target || !targetEmbedding || targetEmbedding.length !== sourceEmbedding.length) {
        await tx.update(t).set({ relationshipId }).where(eq(t.id, id));
        await tx.update(identifiedParticipants).set({ relationshipId }).where(eq(referenceColumn, id));
        return id;
      }
      await tx
        .update(t)
        .set({
          embedding: weightedCentroid(
            targetEmbedding,
            target.sampleCount,
            sourceEmbedding,
            source.sampleCount,
          ),
          sampleCount: sql`${t.sampleCount} + ${source.sampleCount}`,
          firstSeenAt: sql`least(${t.firstSeenAt}, (select first_seen_at from ${t} where id = ${id}))`,
          lastSeenAt: sql`greatest(${t.lastSeenAt}, (select last_seen_at from ${t} where id = ${id}))`,
          ...(kind === 'face' && {
            thumbnailPath: sql`coalesce(${faceSignatures.thumbnailPath}, (select thumbnail_path from ${faceSignatures} where id = ${id}))`,
          }),
        })
        .where(eq(t.id, target.id));
      await tx
        .update(identifiedParticipants)
        .set({ [kind === 'face' ? 'faceSignatureId' : 'voiceSignatureId']: target.id, relationshipId })
        .where(eq(referenceColumn, id));
      if (kind === 'voice') {
        await tx
          .update(interactionSegments)
          .set({ voiceSignatureId: target.id })
          .where(eq(interactionSegments.voiceSignatureId, id));
      }
      await tx.delete(t).where(eq(t.id, id));
      return target.id;
    });
    return survivorId === undefined ? undefined : this.get(userId, kind, survivorId);
  }

  async delete(userId: number, kind: SignatureKind, id: number): Promise<SignatureRow | undefined> {
    const t = TABLES[kind];
    const row = await this.get(userId, kind, id);
    if (!row) return undefined;
    await this.db.delete(t).where(and(eq(t.userId, userId), eq(t.id, id)));
    return row;
  }
}
