import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InteractionsRepository } from '../../src/modules/interactions/repository.js';
import { createTestContext, type TestContext } from '../helpers/app.js';

// What the faces, speech and notes stages (and live calls) write on an interaction.
let ctx: TestContext;
let repo: InteractionsRepository;
beforeAll(async () => {
  ctx = await createTestContext();
  repo = new InteractionsRepository(ctx.database.db);
});
afterAll(() => ctx?.close());

async function person(client: Awaited<ReturnType<TestContext['signUp']>>, name: string): Promise<number> {
  const res = await client.post('/api/relationships/', { name, relationship_type: 'FRIEND' });
  expect(res.status).toBe(201);
  return res.body.id;
}

describe('pipeline results on an interaction', () => {
  it('adds recognised people to participants once, and only the owner’s people', async () => {
    const alice = await ctx.signUp();
    const mallory = await ctx.signUp();
    const ann = await person(alice, 'Ann');
    const bob = await person(alice, 'Bob');
    const stranger = await person(mallory, 'Stranger');
    const call = await alice.post('/api/interactions/', {
      interaction_type: 'VIDEO_CALL',
      participants: [ann],
    });
    await repo.addParticipants(alice.userId, call.body.id, [ann, bob, bob, stranger]);
    const after = await alice.get(`/api/interactions/${call.body.id}/`);
    expect([...after.body.participants].sort()).toEqual([ann, bob].sort());

    // Another user's interaction is untouched.
    await repo.addParticipants(mallory.userId, call.body.id, [stranger]);
    expect((await alice.get(`/api/interactions/${call.body.id}/`)).body.participants).not.toContain(stranger);
  });

  it('stores identified participants, a transcript replacing the last one, and a summary', async () => {
    const alice = await ctx.signUp();
    const mallory = await ctx.signUp();
    const ann = await person(alice, 'Ann');
    const call = await alice.post('/api/interactions/', { interaction_type: 'PHONE_CALL' });
    const id: number = call.body.id;

    await repo.addIdentifiedParticipants(alice.userId, id, [
      { relationshipId: ann, confidence: 0.9, firstSeenAt: 1.5 },
    ]);
    await repo.addIdentifiedParticipants(mallory.userId, id, [
      { relationshipId: null, confidence: 0.1, firstSeenAt: 0 },
    ]);
    await repo.saveTranscript(alice.userId, id, {
      transcription: 'first run',
      segments: [{ start: 0, end: 1, text: 'first run', voiceSignatureId: null }],
    });
    await repo.saveTranscript(alice.userId, id, {
      transcription: 'Ann: hello\nMe: hi',
      segments: [
        { start: 0, end: 1.2, text: 'hello', voiceSignatureId: null },
        { start: 1.4, end: 2, text: 'hi', voiceSignatureId: null },
      ],
    });
    await repo.saveTranscript(mallory.userId, id, { transcription: 'overwritten?', segments: [] });
    await repo.saveSummary(alice.userId, id, 'They said hello.');
    await repo.saveSummary(mallory.userId, id, 'overwritten?');

    const detail = (await alice.get(`/api/interactions/${id}/`)).body;
    expect(detail.transcription).toBe('Ann: hello\nMe: hi');
    expect(detail.summary).toBe('They said hello.');
    expect(detail.segments.map((s: { text: string }) => s.text)).toEqual(['hello', 'hi']);
    expect(detail.identified_participants).toEqual([
      expect.objectContaining({
        relationship_id: ann,
        confidence: expect.closeTo(0.9, 5),
        first_seen_at: 1.5,
      }),
    ]);
  });
});
