import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { eq } from 'drizzle-orm';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FACE_EMBEDDING_DIM, interactions, notes, voiceSignatures } from '../../src/infra/db/schema.js';
import { createMaintenance } from '../../src/jobs/maintenance.js';
import { MaintenanceRepository } from '../../src/jobs/maintenance-repository.js';
import { faceThumbnailKey } from '../../src/modules/signatures/face-thumbnails.js';
import { SignaturesRepository } from '../../src/modules/signatures/repository.js';
import { createVoiceSignature } from '../../src/modules/signatures/voice-samples.js';
import { createTestContext, type TestContext } from '../helpers/app.js';
import { TEST_VOICE_DIM } from '../helpers/database.js';

const HOUR = 3600 * 1000;
const DAY = 24 * HOUR;

let ctx: TestContext;
let maintenance: ReturnType<typeof createMaintenance>;
beforeAll(async () => {
  // No workers: re-queued jobs stay visible in the queue.
  ctx = await createTestContext();
  maintenance = createMaintenance({
    config: ctx.config,
    repo: new MaintenanceRepository(ctx.database.db),
    storage: ctx.runtime.storage,
    queue: ctx.runtime.queue,
    log: pino({ level: 'silent' }),
  });
});
afterAll(() => ctx?.close());

/** Makes a locally stored object look `ageMs` old. */
function age(key: string, ageMs: number) {
  const file = path.join(ctx.dataDir, 'media', key);
  const when = new Date(Date.now() - ageMs);
  fs.utimesSync(file, when, when);
}

describe('maintenance job', () => {
  it('purges notes deleted more than 30 days ago and keeps the rest', async () => {
    const alice = await ctx.signUp();
    const person = (await alice.post('/api/relationships/', { name: 'P', relationship_type: 'OTHER' })).body
      .id;
    const make = async (text: string, status: string, daysAgo: number) => {
      const [row] = await ctx.database.db
        .insert(notes)
        .values({
          userId: alice.userId,
          relationshipId: person,
          text,
          status: status as 'ACTIVE',
          updatedAt: new Date(Date.now() - daysAgo * DAY),
        })
        .returning({ id: notes.id });
      return row!.id;
    };
    const old = await make('old deleted', 'DELETED', 31);
    const recent = await make('recent deleted', 'DELETED', 29);
    const oldActive = await make('old active', 'ACTIVE', 400);

    const report = await maintenance();
    expect(report.purgedNotes).toBeGreaterThanOrEqual(1);
    const left = await ctx.database.db
      .select({ id: notes.id })
      .from(notes)
      .where(eq(notes.relationshipId, person));
    expect(left.map((r) => r.id).sort()).toEqual([recent, oldActive].sort());
    expect(left.map((r) => r.id)).not.toContain(old);
  });

  it('removes media no interaction points at, once past the grace period', async () => {
    const storage = ctx.runtime.storage;
    const orphanOld = 'users/999999/interactions/1/media/old.mp4';
    const orphanNew = 'users/999999/interactions/1/media/new.mp4';
    await storage.put(orphanOld, Readable.from([Buffer.from('x')]));
    await storage.put(orphanNew, Readable.from([Buffer.from('y')]));
    age(orphanOld, 2 * HOUR);

    // Media in use stays, however old.
    const alice = await ctx.signUp();
    const created = await alice.post('/api/interactions/', { interaction_type: 'VIDEO_CALL' });
    const usedKey = `users/${alice.userId}/interactions/${created.body.id}/media/used.mp4`;
    await storage.put(usedKey, Readable.from([Buffer.from('z')]));
    await ctx.database.db
      .update(interactions)
      .set({ mediaPath: usedKey })
      .where(eq(interactions.id, created.body.id));
    age(usedKey, 10 * DAY);

    const report = await maintenance();
    expect(report.orphanedMediaRemoved).toBe(1);
    expect(await storage.stat(orphanOld)).toBeUndefined();
    expect(await storage.stat(orphanNew)).toBeDefined();
    expect(await storage.stat(usedKey)).toBeDefined();
  });

  it('removes the face thumbnails of people deleted since, keeps those of signatures that remain', async () => {
    const storage = ctx.runtime.storage;
    const signatures = new SignaturesRepository(ctx.database.db);
    const alice = await ctx.signUp();
    const person = async (name: string) =>
      (await alice.post('/api/relationships/', { name, relationship_type: 'FRIEND' })).body.id as number;
    const [gone, kept] = [await person('Gone'), await person('Kept')];
    const keys: string[] = [];
    for (const relationshipId of [gone, kept]) {
      const embedding = Array.from({ length: FACE_EMBEDDING_DIM }, (_, i) =>
        i === relationshipId % 128 ? 1 : 0,
      );
      const signature = await signatures.create(alice.userId, 'face', { embedding, relationshipId });
      const key = faceThumbnailKey(alice.userId, signature.id);
      await storage.put(key, Readable.from([Buffer.from('jpeg')]));
      await signatures.setThumbnail(alice.userId, signature.id, key);
      age(key, 2 * HOUR);
      keys.push(key);
    }
    expect((await alice.delete(`/api/relationships/${gone}/`)).status).toBe(204);

    const report = await maintenance();
    expect(report.orphanedThumbnailsRemoved).toBe(1);
    expect(await storage.stat(keys[0]!)).toBeUndefined();
    expect(await storage.stat(keys[1]!)).toBeDefined();
  });

  it('removes the voice samples of voices deleted or merged away, keeps the rest', async () => {
    const storage = ctx.runtime.storage;
    const signatures = new SignaturesRepository(ctx.database.db);
    const alice = await ctx.signUp();
    const keys: string[] = [];
    for (const seed of [1, 2]) {
      const embedding = Array.from({ length: TEST_VOICE_DIM }, (_, i) => Math.sin(seed * 7 + i));
      const voice = await createVoiceSignature({ signatures, storage }, alice.userId, {
        embedding,
        engine: 'test',
        sample: new Float32Array(1_600).fill(0.1),
      });
      age(voice.samplePath!, 2 * HOUR);
      keys.push(voice.samplePath!);
    }
    // Gone from the database without its file (as a person's deletion cascades to their voices).
    await ctx.database.db.delete(voiceSignatures).where(eq(voiceSignatures.samplePath, keys[0]!));

    const report = await maintenance();
    expect(report.orphanedVoiceSamplesRemoved).toBe(1);
    expect(await storage.stat(keys[0]!)).toBeUndefined();
    expect(await storage.stat(keys[1]!)).toBeDefined();
  });

  it('queues processing that went silent again, once', async () => {
    const alice = await ctx.signUp();
    const created = await alice.post('/api/interactions/', { interaction_type: 'VIDEO_CALL' });
    const id = created.body.id as number;
    const key = `users/${alice.userId}/interactions/${id}/media/stuck.mp4`;
    await ctx.runtime.storage.put(key, Readable.from([Buffer.from('media')]));
    await ctx.database.db
      .update(interactions)
      .set({
        mediaPath: key,
        processingStatus: 'PROCESSING',
        processingUpdatedAt: new Date(Date.now() - 2 * HOUR),
      })
      .where(eq(interactions.id, id));

    const before = await ctx.runtime.queue.depth('process-media');
    const first = await maintenance();
    // (At least: on a shared server other files' silent jobs may be found too.)
    expect(first.requeued).toBeGreaterThanOrEqual(1);
    expect((await ctx.runtime.queue.depth('process-media')).waiting).toBeGreaterThanOrEqual(
      before.waiting + 1,
    );
    const [row] = await ctx.database.db
      .select({ at: interactions.processingUpdatedAt })
      .from(interactions)
      .where(eq(interactions.id, id));
    expect(Date.now() - row!.at!.getTime()).toBeLessThan(60_000);

    // Touched: the next run leaves it alone.
    const repo = new MaintenanceRepository(ctx.database.db);
    const stillStuck = await repo.stuckProcessing(
      new Date(Date.now() - ctx.config.maintenance.stuckJobTimeoutMs),
    );
    expect(stillStuck.map((r) => r.id)).not.toContain(id);
  });

  it('queues a silent notes-only run (an imported transcript) as a notes job, not a media job', async () => {
    const alice = await ctx.signUp();
    const created = await alice.post('/api/interactions/', { interaction_type: 'PHONE_CALL' });
    const id = created.body.id as number;
    // Media attached too: the queued import, not the media, is what the interaction waits for.
    await ctx.database.db
      .update(interactions)
      .set({
        mediaPath: `users/${alice.userId}/interactions/${id}/media/old.mp4`,
        notesRunId: 'run-stuck',
        processingStatus: 'PENDING',
        processingUpdatedAt: new Date(Date.now() - 2 * HOUR),
      })
      .where(eq(interactions.id, id));
    const media = await ctx.runtime.queue.depth('process-media');
    const notesJobs = await ctx.runtime.queue.depth('extract-notes');
    await maintenance();
    expect((await ctx.runtime.queue.depth('extract-notes')).waiting).toBe(notesJobs.waiting + 1);
    expect((await ctx.runtime.queue.depth('process-media')).waiting).toBe(media.waiting);
  });

  it('removes job directories a crashed worker left behind', async () => {
    const stale = fs.mkdtempSync(path.join(os.tmpdir(), 'rapport-job-stale-'));
    const fresh = fs.mkdtempSync(path.join(os.tmpdir(), 'rapport-job-fresh-'));
    fs.writeFileSync(path.join(stale, 'audio.wav'), 'x');
    const old = new Date(Date.now() - 2 * DAY);
    fs.utimesSync(stale, old, old);
    await maintenance();
    expect(fs.existsSync(stale)).toBe(false);
    expect(fs.existsSync(fresh)).toBe(true);
    fs.rmSync(fresh, { recursive: true, force: true });
  });

  it('runs on its own once scheduled, in a process that runs workers', async () => {
    const stale = fs.mkdtempSync(path.join(os.tmpdir(), 'rapport-job-scheduled-'));
    const old = new Date(Date.now() - 2 * DAY);
    fs.utimesSync(stale, old, old);
    const server = await createTestContext({}, { workers: true });
    try {
      // Registering twice is one schedule (an idempotent upsert); the first run is immediate.
      await server.runtime.startScheduler();
      await server.runtime.startScheduler();
      const deadline = Date.now() + 30_000;
      while (fs.existsSync(stale) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      expect(fs.existsSync(stale)).toBe(false);
    } finally {
      await server.close();
    }
  });
});
