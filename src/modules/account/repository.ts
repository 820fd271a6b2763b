import { and, asc, eq, getTableColumns, isNotNull } from 'drizzle-orm';
import type { Database } from '../../infra/db/database.js';
import {
  faceSignatures,
  identifiedParticipants,
  interactionParticipants,
  interactionSegments,
  interactions,
  notes,
  relationships,
  users,
  voiceSignatures,
} from '../../infra/db/schema.js';

// Embeddings (biometric vectors) and the search vector never leave the database; password hashes
// neither. Everything else a user owns is exported.
const { searchVector: _searchVector, ...interactionColumns } = getTableColumns(interactions);
const { embedding: _faceEmbedding, ...faceColumns } = getTableColumns(faceSignatures);
const { embedding: _voiceEmbedding, ...voiceColumns } = getTableColumns(voiceSignatures);

export type AccountData = Awaited<ReturnType<AccountRepository['everything']>>;

/** Every row a user owns, for the account export and for account deletion. */
export class AccountRepository {
  constructor(private readonly db: Database) {}

  async everything(userId: number) {
    const db = this.db;
    const [user] = await db
      .select({
        id: users.id,
        username: users.username,
        email: users.email,
        firstName: users.firstName,
        lastName: users.lastName,
        dateJoined: users.dateJoined,
        lastLogin: users.lastLogin,
      })
      .from(users)
      .where(eq(users.id, userId));
    const ownInteraction = and(
      eq(interactions.userId, userId),
      eq(interactions.id, interactionParticipants.interactionId),
    );
    return {
      user: user!,
      relationships: await db
        .select()
        .from(relationships)
        .where(eq(relationships.userId, userId))
        .orderBy(asc(relationships.id)),
      interactions: await db
        .select(interactionColumns)
        .from(interactions)
        .where(eq(interactions.userId, userId))
        .orderBy(asc(interactions.id)),
      participants: await db
        .select(getTableColumns(interactionParticipants))
        .from(interactionParticipants)
        .innerJoin(interactions, ownInteraction)
        .orderBy(asc(interactionParticipants.interactionId), asc(interactionParticipants.relationshipId)),
      segments: await db
        .select(getTableColumns(interactionSegments))
        .from(interactionSegments)
        .innerJoin(
          interactions,
          and(eq(interactions.userId, userId), eq(interactions.id, interactionSegments.interactionId)),
        )
        .orderBy(asc(interactionSegments.interactionId), asc(interactionSegments.startSeconds)),
      identifiedParticipants: await db
        .select(getTableColumns(identifiedParticipants))
        .from(identifiedParticipants)
        .innerJoin(
          interactions,
          and(eq(interactions.userId, userId), eq(interactions.id, identifiedParticipants.interactionId)),
        )
        .orderBy(asc(identifiedParticipants.interactionId), asc(identifiedParticipants.id)),
      notes: await db.select().from(notes).where(eq(notes.userId, userId)).orderBy(asc(notes.id)),
      faceSignatures: await db
        .select(faceColumns)
        .from(faceSignatures)
        .where(eq(faceSignatures.userId, userId))
        .orderBy(asc(faceSignatures.id)),
      voiceSignatures: await db
        .select(voiceColumns)
        .from(voiceSignatures)
        .where(eq(voiceSignatures.userId, userId))
        .orderBy(asc(voiceSignatures.id)),
    };
  }

  /** Storage keys the user's rows point at: media, face thumbnails and voice samples. */
  async storageKeys(userId: number): Promise<string[]> {
    const media = await this.db
      .select({ key: interactions.mediaPath })
      .from(interactions)
      .where(and(eq(interactions.userId, userId), isNotNull(interactions.mediaPath)));
    const thumbnails = await this.db
      .select({ key: faceSignatures.thumbnailPath })
      .from(faceSignatures)
      .where(and(eq(faceSignatures.userId, userId), isNotNull(faceSignatures.thumbnailPath)));
    const voiceSamples = await this.db
      .select({ key: voiceSignatures.samplePath })
      .from(voiceSignatures)
      .where(and(eq(voiceSignatures.userId, userId), isNotNull(voiceSignatures.samplePath)));
    return [...media, ...thumbnails, ...voiceSamples].map((r) => r.key!);
  }

  /** Deletes the user; every table's foreign keys cascade from `users` (see schema.ts). */
  async deleteUser(userId: number): Promise<boolean> {
    const rows = await this.db.delete(users).where(eq(users.id, userId)).returning({ id: users.id });
    return rows.length > 0;
  }
}
