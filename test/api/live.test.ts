import fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { streamCall } from '../../examples/live-client.js';
import { FACE_EMBEDDING_DIM } from '../../src/infra/db/schema.js';
import { readWavBuffer } from '../../src/infra/media/wav.js';
import { LiveCall } from '../../src/live/call.js';
import type { CallSink } from '../../src/live/engines.js';
import { openLiveFaces } from '../../src/live/faces-session.js';
import { InteractionsRepository } from '../../src/modules/interactions/repository.js';
import { NotesRepository } from '../../src/modules/notes/repository.js';
import { NotesService } from '../../src/modules/notes/service.js';
import { RelationshipsRepository } from '../../src/modules/relationships/repository.js';
import { RelationshipsService } from '../../src/modules/relationships/service.js';
import { SignaturesRepository } from '../../src/modules/signatures/repository.js';
import type { FaceEngine } from '../../src/pipeline/engines/face/index.js';
import { FaceIdentifier } from '../../src/pipeline/faces/identifier.js';
import { userChannel } from '../../src/pipeline/process-media.js';
import { createTestContext, type TestContext } from '../helpers/app.js';
import { CLIP, FACES, PHOTO } from '../helpers/fixtures.js';
import { LiveClient } from '../helpers/ws.js';

// The live-call socket of ../shared/spec/websocket.md, over real sockets: auth, errors, limits and
// the life of a call (start, assign, end, drop and resume). Recognition itself needs the engines.
const GRACE_MS = 1500;
let ctx: TestContext;
let flood: TestContext;
const base = (context: TestContext) => {
  const { port } = context.app.server.address() as AddressInfo;
  return `ws://127.0.0.1:${port}`;
};

beforeAll(async () => {
  ctx = await createTestContext({
    LIVE_MAX_MESSAGE_BYTES: '65536',
    LIVE_GRACE_PERIOD_MS: String(GRACE_MS),
    LIVE_MAX_CALLS_PER_USER: '2',
  });
  await ctx.app.listen({ host: '127.0.0.1', port: 0 });
  flood = await createTestContext({ LIVE_MAX_MESSAGES_PER_SECOND: '5', LIVE_FLOOD_STRIKES: '5' });
  await flood.app.listen({ host: '127.0.0.1', port: 0 });
});
afterAll(async () => {
  await ctx?.close();
  await flood?.close();
});

type User = Awaited<ReturnType<TestContext['signUp']>>;

async function connect(user: User, context = ctx): Promise<LiveClient> {
  const client = await LiveClient.open(`${base(context)}/ws/call/${user.userId}/?token=${user.token}`);
  expect(await client.next()).toEqual({ type: 'connection_established', user_id: user.userId });
  return client;
}

async function startCall(client: LiveClient, body: Record<string, unknown> = {}): Promise<number> {
  client.send({ type: 'call_start', ...body });
  const started = await client.next('call_started');
  expect(started.interaction_id).toEqual(expect.any(Number));
  return started.interaction_id;
}

describe('live call socket: authentication', () => {
  it.each([
    ['no token', (u: User) => `/ws/call/${u.userId}/`, 4401],
    ['a bad token', (u: User) => `/ws/call/${u.userId}/?token=${'0'.repeat(40)}`, 4401],
    ['another user’s token', (u: User, other: User) => `/ws/call/${other.userId}/?token=${u.token}`, 4403],
    ['a user id that is not a number', (u: User) => `/ws/call/me/?token=${u.token}`, 4403],
  ])('closes with the right code before sending anything: %s', async (_, path, code) => {
    const [user, other] = [await ctx.signUp(), await ctx.signUp()];
    const client = new LiveClient(`${base(ctx)}${path(user, other)}`);
    expect((await client.closed).code).toBe(code);
    expect(client.messages).toEqual([]);
  });

  it('tells a plain HTTP client to upgrade (426)', async () => {
    const res = await ctx.anonymous.get('/ws/call/1/');
    expect(res.status).toBe(426);
    expect(res.headers.upgrade).toBe('websocket');
    expect(res.body.detail).toContain('WebSocket');
  });

  it('accepts the path without its trailing slash', async () => {
    const user = await ctx.signUp();
    const client = await LiveClient.open(`${base(ctx)}/ws/call/${user.userId}?token=${user.token}`);
    expect(await client.next()).toEqual({ type: 'connection_established', user_id: user.userId });
    client.close();
  });
});

describe('live call socket: bad messages get an error and the socket stays open', () => {
  it.each([
    ['malformed JSON', '{"type": "call_start"', 'invalid_json'],
    ['a JSON array', '[1, 2]', 'invalid_message'],
    ['an unknown type', { type: 'dance' }, 'unknown_type'],
    ['no type', { interaction_id: 1 }, 'unknown_type'],
    ['a bad enum', { type: 'call_start', interaction_type: 'SEANCE' }, 'invalid_message'],
    ['a wrong field type', { type: 'call_start', interaction_id: 'seven' }, 'invalid_message'],
    ['a chunk before call_start', { type: 'video_chunk', data: 'AAAA' }, 'no_active_call'],
    ['call_end before call_start', { type: 'call_end' }, 'no_active_call'],
    [
      'assign with both signatures',
      { type: 'assign_participant', face_signature_id: 1, voice_signature_id: 1, relationship_id: 1 },
      'invalid_message',
    ],
  ])('%s', async (_, message, code) => {
    const client = await connect(await ctx.signUp());
    client.send(message);
    const error = await client.next('error');
    expect(error.code).toBe(code);
    expect(error.message).toEqual(expect.any(String));
    // Still usable.
    await startCall(client);
    client.close();
  });

  it('refuses bad media data within a call', async () => {
    const client = await connect(await ctx.signUp());
    await startCall(client);
    const cases: [unknown, string][] = [
      [{ type: 'video_chunk', data: 'not base64 at all!' }, 'invalid_message'],
      [{ type: 'video_chunk', data: 'AAAAA' }, 'invalid_data'],
      [{ type: 'video_chunk', data: Buffer.from('GIF89a not allowed').toString('base64') }, 'invalid_data'],
      [{ type: 'audio_chunk', data: Buffer.from([1, 2, 3]).toString('base64') }, 'invalid_data'],
      [{ type: 'audio_chunk', data: Buffer.alloc(6).toString('base64'), format: 'f32le' }, 'invalid_data'],
      [{ type: 'audio_chunk', data: 'AAAA', sample_rate: 100 }, 'invalid_message'],
      [{ type: 'audio_chunk', data: 'AAAA', format: 'mp3' }, 'invalid_message'],
    ];
    for (const [message, code] of cases) {
      client.send(message);
      expect((await client.next('error')).code, JSON.stringify(message)).toBe(code);
    }
    client.close();
  });

  it('takes good audio and frames without complaint, JSON and binary, any sample rate', async () => {
    const client = await connect(await ctx.signUp());
    await startCall(client);
    const tone = (rate: number) => Float32Array.from({ length: rate / 5 }, (_, i) => Math.sin(i / 10) * 0.5);
    const f32 = Buffer.from(tone(48_000).buffer);
    const s16 = Buffer.from(Int16Array.from(tone(16_000), (x) => x * 32767).buffer);
    client.send({ type: 'audio_chunk', data: f32.toString('base64'), format: 'f32le', sample_rate: 48_000 });
    client.send({ type: 'audio_chunk', data: s16.toString('base64'), timestamp: 0.2 });
    client.sendBinary(s16);
    const png = Buffer.from(
      'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=',
      'base64',
    );
    client.send({ type: 'video_chunk', data: png.toString('base64'), timestamp: 0.1 });
    client.send({ type: 'call_end' });
    await client.next('call_ended');
    expect(client.messages.filter((m) => m.type === 'error')).toEqual([]);
    client.close();
  });

  it('refuses a message over the size limit with an error and keeps the socket', async () => {
    const client = await connect(await ctx.signUp());
    client.send({ type: 'call_start', title: 'x'.repeat(70_000) });
    const error = await client.next('error');
    expect(error.code).toBe('message_too_large');
    expect(error.message).toContain('65536');
    expect(client.isOpen).toBe(true);
    await startCall(client);
    client.close();
  });

  it('closes a flooding client with 1008 after answering with errors', async () => {
    const user = await flood.signUp();
    const client = await connect(user, flood);
    for (let i = 0; i < 60; i++) client.send({ type: 'call_end' });
    expect((await client.closed).code).toBe(1008);
    expect(client.messages.some((m) => m.type === 'error' && m.code === 'rate_limited')).toBe(true);
  });
});

describe('live call: the life of a call', () => {
  it('creates a VIDEO_CALL interaction, or uses the user’s own, and ends with call_ended', async () => {
    const user = await ctx.signUp();
    const client = await connect(user);
    const id = await startCall(client, { title: 'Catch-up with Ann' });
    const created = await user.get(`/api/interactions/${id}/`);
    expect(created.body).toMatchObject({ interaction_type: 'VIDEO_CALL', title: 'Catch-up with Ann' });

    client.send({ type: 'call_start' });
    expect((await client.next('error')).code).toBe('call_in_progress');

    client.send({ type: 'call_end' });
    expect(await client.next('call_ended')).toEqual({
      type: 'call_ended',
      interaction_id: id,
      summary: '',
      notes_created: 0,
    });
    client.send({ type: 'call_end' });
    expect((await client.next('error')).code).toBe('no_active_call');

    const meeting = await user.post('/api/interactions/', { interaction_type: 'MEETING', title: 'Planned' });
    expect(await startCall(client, { interaction_id: meeting.body.id })).toBe(meeting.body.id);
    client.send({ type: 'call_end' });
    await client.next('call_ended');
    client.close();
  });

  it('does not let a user start a call on someone else’s interaction', async () => {
    const [alice, mallory] = [await ctx.signUp(), await ctx.signUp()];
    const theirs = await alice.post('/api/interactions/', { interaction_type: 'PHONE_CALL' });
    const client = await connect(mallory);
    client.send({ type: 'call_start', interaction_id: theirs.body.id });
    expect(await client.next('error')).toMatchObject({ code: 'not_found' });
    client.close();
  });

  it('names an unknown participant with assign_participant: identified with their notes, stored at the end', async () => {
    const user = await ctx.signUp();
    const ann = (await user.post('/api/relationships/', { name: 'Ann', relationship_type: 'FRIEND' })).body;
    for (const [text, importance] of [
      ['Small detail', 0.2],
      ['Daughter Emma starts university in Leeds', 0.9],
    ] as const)
      await user.post('/api/notes/', { relationship: ann.id, text, importance });
    const face = await new SignaturesRepository(ctx.database.db).create(user.userId, 'face', {
      embedding: Array.from({ length: FACE_EMBEDDING_DIM }, (_, i) => Math.cos(i)),
    });

    const client = await connect(user);
    const id = await startCall(client);
    client.send({ type: 'assign_participant', face_signature_id: face.id, relationship_id: ann.id });
    const identified = await client.next('participant_identified');
    expect(identified).toMatchObject({
      relationship: { id: ann.id, name: 'Ann', relationship_type: 'FRIEND' },
      face_signature_id: face.id,
      confidence: 1,
    });
    expect(identified.notes.map((n: { text: string }) => n.text)).toEqual([
      'Daughter Emma starts university in Leeds',
      'Small detail',
    ]);

    // Another user's person or signature is not found.
    const other = await ctx.signUp();
    const theirPerson = (await other.post('/api/relationships/', { name: 'X', relationship_type: 'OTHER' }))
      .body;
    client.send({ type: 'assign_participant', face_signature_id: face.id, relationship_id: theirPerson.id });
    expect((await client.next('error')).code).toBe('invalid_message');

    client.send({ type: 'call_end' });
    await client.next('call_ended');
    const detail = (await user.get(`/api/interactions/${id}/`)).body;
    expect(detail.participants).toEqual([ann.id]);
    expect(detail.identified_participants).toEqual([
      expect.objectContaining({ relationship_id: ann.id, face_signature_id: face.id, confidence: 1 }),
    ]);
    expect((await user.get(`/api/signatures/faces/${face.id}/`)).body.relationship).toBe(ann.id);
    client.close();
  });

  it('resumes a dropped call when the client comes back within the grace period', async () => {
    const user = await ctx.signUp();
    const first = await connect(user);
    const id = await startCall(first);
    first.close();
    await first.closed;

    const second = await connect(user);
    expect(await startCall(second, { interaction_id: id })).toBe(id);
    await new Promise((resolve) => setTimeout(resolve, GRACE_MS + 500));
    // The grace timer was cancelled: the call is still this socket's to end.
    second.send({ type: 'call_end' });
    expect((await second.next('call_ended')).interaction_id).toBe(id);
    second.close();
  });

  it('finalises a call dropped without call_end once the grace period is over', async () => {
    const user = await ctx.signUp();
    const bob = (await user.post('/api/relationships/', { name: 'Bob', relationship_type: 'COLLEAGUE' }))
      .body;
    const voice = await new SignaturesRepository(ctx.database.db).create(user.userId, 'voice', {
      embedding: Array.from({ length: ctx.config.voiceEmbeddingDim }, (_, i) => Math.sin(i)),
    });
    const client = await connect(user);
    const id = await startCall(client);
    client.send({ type: 'assign_participant', voice_signature_id: voice.id, relationship_id: bob.id });
    await client.next('participant_identified');
    client.close();

    await expect
      .poll(async () => (await user.get(`/api/interactions/${id}/`)).body.participants, {
        timeout: GRACE_MS + 5000,
        interval: 200,
      })
      .toEqual([bob.id]);
    // Once finalised the call cannot be resumed: a new call_start with its id starts a new call.
    const again = await connect(user);
    expect(await startCall(again, { interaction_id: id })).toBe(id);
    again.close();
  });

  it('ends a call at once when call_end comes just before the socket closes (no grace period)', async () => {
    // The flood context keeps the default grace period (60 s): a call held for a reconnection
    // would not be stored within this test's wait.
    const user = await flood.signUp();
    const bob = (await user.post('/api/relationships/', { name: 'Bob', relationship_type: 'COLLEAGUE' }))
      .body;
    const voice = await new SignaturesRepository(flood.database.db).create(user.userId, 'voice', {
      embedding: Array.from({ length: flood.config.voiceEmbeddingDim }, (_, i) => Math.sin(i)),
    });
    const client = await connect(user, flood);
    const id = await startCall(client);
    // The socket closes right after call_end (as a page that is left does), the message before it
    // perhaps still being handled: what was sent before the close counts.
    client.send({ type: 'assign_participant', voice_signature_id: voice.id, relationship_id: bob.id });
    client.send({ type: 'call_end' });
    client.close();
    await expect
      .poll(async () => (await user.get(`/api/interactions/${id}/`)).body.participants, {
        timeout: 20_000,
        interval: 200,
      })
      .toEqual([bob.id]);
  });

  it('limits the calls a user runs at once', async () => {
    const user = await ctx.signUp();
    const sockets = [await connect(user), await connect(user), await connect(user)];
    await startCall(sockets[0]!);
    await startCall(sockets[1]!);
    sockets[2]!.send({ type: 'call_start' });
    expect((await sockets[2]!.next('error')).code).toBe('too_many_calls');
    for (const s of sockets) s.close();
  });
});

describe('live call socket: background processing of the user’s recordings', () => {
  it('forwards processing events of this user as processing_update, and no one else’s', async () => {
    const [user, other] = [await ctx.signUp(), await ctx.signUp()];
    const [mine, theirs] = [await connect(user), await connect(other)];
    // The in-process bus subscribes at once: the socket hears everything published from now on.
    await ctx.runtime.events.publish(userChannel(user.userId), {
      type: 'interaction.processing',
      interaction_id: 42,
      status: 'FAILED',
      progress: { stage: 'probe', percent: 0 },
      error: 'ffmpeg could not read the file',
    });
    expect(await mine.next('processing_update')).toEqual({
      type: 'processing_update',
      interaction_id: 42,
      status: 'FAILED',
      progress: { stage: 'probe', percent: 0 },
      error: 'ffmpeg could not read the file',
    });
    theirs.send({ type: 'call_end' });
    expect(await theirs.next()).toMatchObject({ type: 'error', code: 'no_active_call' });
    mine.close();
    theirs.close();
  });
});

describe('live faces: frames', () => {
  it('looks for faces again only when the picture changes', async () => {
    const user = await ctx.signUp();
    const engine = ctx.runtime.faceEngine;
    let detections = 0;
    // The process's real engine, counting the detections asked of it.
    const counting: FaceEngine = {
      name: engine.name,
      dimensions: engine.dimensions,
      status: () => engine.status(),
      detect: (image, options) => {
        detections++;
        return engine.detect(image, options);
      },
      embed: (crops) => engine.embed(crops),
      close: () => engine.close(),
    };
    const found: string[] = [];
    const sink: CallSink = {
      userId: user.userId,
      interactionId: 0,
      identified: async () => void found.push('identified'),
      unknown: (u) => void found.push(`unknown ${u.faceSignatureId}`),
      transcript: () => undefined,
    };
    const signatures = new SignaturesRepository(ctx.database.db);
    const session = openLiveFaces(
      {
        engine: counting,
        identifier: new FaceIdentifier(signatures, async () => 'unused', ctx.config.faces.matchThreshold),
        matchThreshold: ctx.config.faces.matchThreshold,
        maxPixels: ctx.config.faces.imageMaxPixels,
        detector: 'ssd',
        log: ctx.app.log,
      },
      sink,
    );
    const still = fs.readFileSync(PHOTO);
    for (let at = 0; at < 4; at++) await session.frame(still, at);
    expect(detections).toBe(1);
    await session.frame(fs.readFileSync(path.join(FACES, 'lin_manuel_miranda-ref.png')), 4);
    expect(detections).toBe(2);
    await session.close();
    // One unknown face per person, each announced once.
    expect(found).toHaveLength(2);
    expect(new Set(found).size).toBe(2);
  }, 60_000);
});

describe('live call: engines reporting a participant named meanwhile', () => {
  it('does not announce or store again a face or voice the user named during the call', async () => {
    const user = await ctx.signUp();
    const ann = (await user.post('/api/relationships/', { name: 'Ann', relationship_type: 'FRIEND' })).body;
    const interaction = (await user.post('/api/interactions/', { interaction_type: 'VIDEO_CALL' })).body;
    const signatures = new SignaturesRepository(ctx.database.db);
    const embedding = Array.from({ length: FACE_EMBEDDING_DIM }, (_, i) => Math.sin(i));
    const face = await signatures.create(user.userId, 'face', { embedding });
    const db = ctx.database.db;
    const [interactions, relationships] = [new InteractionsRepository(db), new RelationshipsRepository(db)];
    const call = new LiveCall(user.userId, interaction.id, {
      interactions,
      relationships: new RelationshipsService(relationships),
      notes: new NotesService(new NotesRepository(db), relationships, interactions),
      engines: {},
      log: ctx.app.log,
    });
    const sent: Record<string, unknown>[] = [];
    call.attach((message) => sent.push(message));

    call.unknown({ faceSignatureId: face.id, thumbnail: 'AA==', at: 1 });
    await call.assigned(
      { id: ann.id, name: 'Ann', relationship_type: 'FRIEND' },
      { faceSignatureId: face.id },
      face.id,
    );
    // The face engine's lookup for another track began before the naming: it still says unknown.
    call.unknown({ faceSignatureId: face.id, at: 3 });
    await call.end();

    expect(sent.map((m) => m.type)).toEqual(['new_participant', 'participant_identified']);
    const detail = (await user.get(`/api/interactions/${interaction.id}/`)).body;
    expect(detail.identified_participants).toEqual([
      expect.objectContaining({ relationship_id: ann.id, face_signature_id: face.id }),
    ]);
  });
});

describe('the example client (examples/live-client.ts)', () => {
  it('streams the fixture clip as a call: frames, audio, call_end', async () => {
    const user = await ctx.signUp();
    const result = await streamCall({
      url: base(ctx),
      userId: user.userId,
      token: user.token!,
      file: CLIP,
      fps: 2,
      speed: 0,
    });
    expect(result.received.filter((m) => m.type === 'error')).toEqual([]);
    expect(result.ended).toMatchObject({ type: 'call_ended', interaction_id: result.interactionId });
    const detail = (await user.get(`/api/interactions/${result.interactionId}/`)).body;
    expect(detail.interaction_type).toBe('VIDEO_CALL');

    // Speech (silero VAD + the streaming recogniser): partial guesses, then each utterance's final
    // update before call_ended; the finals are what is stored.
    const updates = result.received.filter((m) => m.type === 'transcription_update');
    const finals = updates.filter((u) => u.is_final === true);
    console.info(`[live] clip transcript: ${finals.map((u) => u.text).join(' | ')}`);
    expect(finals.length).toBeGreaterThan(0);
    expect(result.received.indexOf(updates.at(-1)!)).toBeLessThan(result.received.indexOf(result.ended));
    expect(updates.at(-1)).toMatchObject({ is_final: true });
    for (const update of updates) {
      expect(update).toMatchObject({ is_final: expect.any(Boolean), text: expect.any(String) });
      expect(update.end).toBeGreaterThan(update.start as number);
    }
    // A partial is the recogniser's guess so far, not yet attributed to a voice.
    for (const partial of updates.filter((u) => u.is_final === false)) expect(partial.speaker).toBeNull();
    const stored = finals.filter((u) => String(u.text).trim() !== '');
    expect(detail.segments.map((s: { text: string }) => s.text)).toEqual(stored.map((u) => u.text));
    for (const update of stored) expect(detail.transcription).toContain(update.text);
  }, 120_000);
});

describe('a scripted call through the engines (faces, speech, notes)', () => {
  it('identifies the enrolled person once, announces unknown faces once each, transcribes, stores it all', async () => {
    const user = await ctx.signUp();
    const lin = (
      await user.post('/api/relationships/', { name: 'Lin-Manuel Miranda', relationship_type: 'FRIEND' })
    ).body;
    await user.post('/api/notes/', {
      relationship: lin.id,
      text: 'Is writing a new musical',
      importance: 0.9,
    });
    const form = new FormData();
    const reference = fs.readFileSync(path.join(FACES, 'lin_manuel_miranda-ref.png'));
    form.append('image', new Blob([new Uint8Array(reference)], { type: 'image/png' }), 'lin.png');
    const enrolled = await fetch(`${base(ctx).replace('ws:', 'http:')}/api/relationships/${lin.id}/faces/`, {
      method: 'POST',
      headers: { authorization: `Token ${user.token}` },
      body: form,
    });
    expect(enrolled.status).toBe(201);

    // 2 frames a second and 200 ms audio chunks, at the clip's own pace.
    const result = await streamCall({
      url: base(ctx),
      userId: user.userId,
      token: user.token!,
      file: CLIP,
      fps: 2,
      chunkMs: 200,
      speed: 1,
    });
    const of = (type: string) => result.received.filter((m) => m.type === type);
    console.info(
      `[live] scripted call: ${of('participant_identified').length} identified, ${of('new_participant').length} new, ` +
        `${of('transcription_update').length} transcript updates (${result.received.slice(0, result.duringCall).filter((m) => m.type === 'transcription_update').length} during the call), ` +
        `${of('note_generated').length} notes; updates at ${of('transcription_update')
          .map((u) => `${Number(u.start).toFixed(1)}–${Number(u.end).toFixed(1)} s`)
          .join(', ')}`,
    );
    expect(of('error')).toEqual([]);

    const identified = of('participant_identified');
    expect(identified).toHaveLength(1);
    expect(identified[0]).toMatchObject({
      relationship: { id: lin.id, name: 'Lin-Manuel Miranda', relationship_type: 'FRIEND' },
      face_signature_id: expect.any(Number),
    });
    expect((identified[0]!.notes as { text: string }[]).map((n) => n.text)).toEqual([
      'Is writing a new musical',
    ]);

    const unknownFaces = of('new_participant').flatMap((m) =>
      m.face_signature_id ? [m.face_signature_id] : [],
    );
    expect(new Set(unknownFaces).size).toBe(unknownFaces.length);
    for (const m of of('new_participant').filter((n) => n.face_signature_id))
      expect(Buffer.from(m.thumbnail as string, 'base64').subarray(0, 3)).toEqual(
        Buffer.from([0xff, 0xd8, 0xff]),
      );

    // Speech is recognised while it is spoken: updates (partial guesses at least) come before the
    // client ends the call; how soon is measured by bench:live, not asserted here.
    expect(of('transcription_update').length).toBeGreaterThan(0);
    expect(
      result.received.slice(0, result.duringCall).filter((m) => m.type === 'transcription_update').length,
    ).toBeGreaterThan(0);
    expect(result.received.indexOf(of('transcription_update').at(-1)!)).toBeLessThan(
      result.received.indexOf(result.ended),
    );

    // Each new voice can be heard on the unknown-people page: a WAV of what it said in the call.
    const unknownVoices = of('new_participant').flatMap((m) =>
      m.voice_signature_id ? [m.voice_signature_id as number] : [],
    );
    expect(unknownVoices.length).toBeGreaterThan(0);
    for (const id of unknownVoices) {
      const voice = (await user.get(`/api/signatures/voices/${id}/`)).body;
      expect(voice.sample_url).toBe(`/api/signatures/voices/${id}/sample/`);
      const res = await ctx.app.inject({
        method: 'GET',
        url: voice.sample_url,
        headers: { authorization: `Token ${user.token}` },
      });
      expect(res.headers['content-type']).toBe('audio/wav');
      const seconds = readWavBuffer(res.rawPayload).samples.length / 16_000;
      expect(seconds).toBeGreaterThan(0.5);
      expect(seconds).toBeLessThan(7);
    }

    const detail = (await user.get(`/api/interactions/${result.interactionId}/`)).body;
    expect(detail.participants).toContain(lin.id);
    expect(detail.identified_participants).toContainEqual(
      expect.objectContaining({
        relationship_id: lin.id,
        face_signature_id: identified[0]!.face_signature_id,
      }),
    );
    expect(detail.transcription).not.toBe('');
    expect(result.ended).toMatchObject({ notes_created: of('note_generated').length });
  }, 240_000);
});
