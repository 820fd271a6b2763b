import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveMediaBinaries } from '../../src/infra/media/binaries.js';
import { readWav, readWavBuffer } from '../../src/infra/media/wav.js';
import { type Client, createTestContext, type TestContext } from '../helpers/app.js';
import { CLIP, FIXTURES, JFK, TWO_SPEAKERS } from '../helpers/fixtures.js';
import { multipartFile } from '../helpers/multipart.js';
import { JFK_TRANSCRIPT, wordErrorRate } from '../helpers/speech.js';

// The speech stage end to end on real recordings: pocketsphinx (Debian), silero VAD (npm) and the
// training-free voice embedding — what runs with nothing configured.

type User = Client & { userId: number; username: string };

async function post(user: User, url: string, content: Buffer, filename: string, field: string) {
  const body = multipartFile(content, filename, 'application/octet-stream', field);
  const res = await ctx.app.inject({
    method: 'POST',
    url,
    headers: { authorization: `Token ${user.token}`, ...body.headers },
    payload: body.payload,
  });
  return { status: res.statusCode, body: res.json() };
}

async function processed(user: User, file: Buffer, filename: string) {
  const call = await user.post('/api/interactions/', { interaction_type: 'PHONE_CALL', title: filename });
  const id: number = call.body.id;
  expect((await post(user, `/api/interactions/${id}/media/`, file, filename, 'file')).status).toBe(202);
  const deadline = Date.now() + 280_000;
  for (;;) {
    const res = await user.get(`/api/interactions/${id}/`);
    if (['COMPLETED', 'FAILED'].includes(res.body.processing_status)) return res.body;
    if (Date.now() > deadline) throw new Error(`still ${res.body.processing_status}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function ffmpeg(...args: string[]): Promise<void> {
  const binaries = await resolveMediaBinaries({ ffmpegPath: undefined, ffprobePath: undefined });
  execFileSync(binaries.ffmpeg.path, ['-v', 'error', ...args]);
}

/** A stretch of a fixture, re-encoded by ffmpeg (as a user's own recording would be). */
async function cut(file: string, start: number, duration: number): Promise<Buffer> {
  const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'rapport-cut-')), 'cut.wav');
  await ffmpeg('-ss', String(start), '-t', String(duration), '-i', file, out);
  return fs.readFileSync(out);
}

/** A voice signature's sample as its owner downloads it: a 16 kHz WAV, decoded. */
async function voiceSampleOf(user: User, sampleUrl: string): Promise<Float32Array> {
  const res = await ctx.app.inject({
    method: 'GET',
    url: sampleUrl,
    headers: { authorization: `Token ${user.token}` },
  });
  expect(res.statusCode).toBe(200);
  expect(res.headers['content-type']).toBe('audio/wav');
  const wav = readWavBuffer(res.rawPayload);
  expect(wav.sampleRate).toBe(16_000);
  return wav.samples;
}

/** The 16 kHz mono samples of a fixture, decoded as the audio stage decodes it. */
async function decoded(file: string): Promise<Float32Array> {
  const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'rapport-decoded-')), 'audio.wav');
  await ffmpeg('-i', file, '-ac', '1', '-ar', '16000', '-c:a', 'pcm_s16le', out);
  return (await readWav(out)).samples;
}

/** Where `piece` occurs in `whole` (each sample within 16-bit rounding), or -1. */
function indexOfAudio(whole: Float32Array, piece: Float32Array): number {
  const tolerance = 2 / 32_768;
  for (let at = 0; at + piece.length <= whole.length; at++) {
    let i = 0;
    while (i < piece.length && Math.abs(whole[at + i]! - piece[i]!) <= tolerance) i++;
    if (i === piece.length) return at;
  }
  return -1;
}

/** Recognition on a loaded 2-core machine (other test files run beside this one) takes a while. */
const SLOW = { timeout: 300_000 };

let ctx: TestContext;
beforeAll(async () => {
  ctx = await createTestContext({}, { workers: true });
});
afterAll(() => ctx?.close());

describe('health', () => {
  it('reports the speech engines that run here', async () => {
    const res = await ctx.anonymous.get('/api/health/');
    expect(res.body.engines).toMatchObject({
      asr: { name: 'pocketsphinx', available: true },
      vad: { name: 'silero', available: true },
      voice: { name: 'mfcc', available: true },
      diarization: { name: 'gaussian-bic', available: true },
    });
  });
});

describe('the speech stage', () => {
  it('transcribes jfk.flac', SLOW, async () => {
    const user = await ctx.signUp();
    const detail = await processed(user, fs.readFileSync(JFK), 'jfk.flac');
    expect(detail.processing_status).toBe('COMPLETED');
    expect(detail.processing_error).toBe('');
    expect(detail.transcription).toMatch(/^Speaker 1: /);
    expect(detail.transcription).toContain('what your country can do for you');
    const text = detail.segments.map((s: { text: string }) => s.text).join(' ');
    expect(wordErrorRate(JFK_TRANSCRIPT, text)).toBeLessThan(0.3);
    const speakers = new Set(detail.segments.map((s: any) => s.speaker?.voice_signature_id));
    expect(speakers.size).toBe(1);
    expect(detail.identified_participants).toHaveLength(1);
    const voices = await user.get('/api/signatures/voices/?unassigned=true');
    expect(voices.body.count).toBe(1);

    // The unknown voice can be heard: six seconds of the call's own audio, where he speaks.
    const voice = voices.body.results[0];
    expect(voice.sample_url).toBe(`/api/signatures/voices/${voice.id}/sample/`);
    const sample = await voiceSampleOf(user, voice.sample_url);
    // Six seconds of his speech (his longest turns, a fifth of a second of silence between them).
    expect(sample.length / 16_000).toBeGreaterThanOrEqual(6);
    expect(sample.length / 16_000).toBeLessThan(7);
    const at = indexOfAudio(await decoded(JFK), sample.subarray(0, 1_600));
    expect(at).toBeGreaterThanOrEqual(0);
    const seconds = at / 16_000;
    expect(
      detail.segments.some(
        (s: { start: number; end: number }) => s.start - 0.5 <= seconds && seconds <= s.end,
      ),
    ).toBe(true);
    // Only its owner hears it; deleting the voice deletes the recording.
    const other = await ctx.signUp();
    expect((await other.get(voice.sample_url)).status).toBe(404);
    const stored = path.join(ctx.dataDir, 'media', `voices/${user.userId}/${voice.id}.wav`);
    expect(fs.existsSync(stored)).toBe(true);
    expect((await user.delete(`/api/signatures/voices/${voice.id}/`)).status).toBe(204);
    expect((await user.get(voice.sample_url)).status).toBe(404);
    expect(fs.existsSync(stored)).toBe(false);
  });

  it(
    'two_speakers.wav: segments at the RTTM times, speakers as unassigned voices; naming one relabels the call',
    SLOW,
    async () => {
      const user = await ctx.signUp();
      const detail = await processed(user, fs.readFileSync(TWO_SPEAKERS), 'two_speakers.wav');
      expect(detail.processing_status).toBe('COMPLETED');
      expect(detail.segments.length).toBeGreaterThanOrEqual(2);
      const rttm = fs
        .readFileSync(path.join(FIXTURES, 'audio/two_speakers.rttm'), 'utf8')
        .trim()
        .split('\n')
        .map((l) => l.split(/\s+/))
        .map((f) => ({ start: Number(f[3]), end: Number(f[3]) + Number(f[4]) }));
      // Every transcribed segment lies in speech the RTTM marks (give or take the VAD's edges).
      for (const s of detail.segments) {
        const mid = (s.start + s.end) / 2;
        expect(
          rttm.some((r) => r.start - 0.5 <= mid && mid <= r.end + 0.5),
          JSON.stringify(s),
        ).toBe(true);
        expect(s.speaker.voice_signature_id).toEqual(expect.any(Number));
        expect(s.speaker.relationship_id).toBeNull();
      }
      // Two people talk, so two (unknown) voices: the training-free diarizer tells them apart.
      const speakers = new Set(detail.segments.map((s: any) => s.speaker.voice_signature_id));
      expect(speakers.size).toBe(2);
      expect((await user.get('/api/signatures/voices/?unassigned=true')).body.count).toBe(2);
      const voiceId: number = detail.segments[0].speaker.voice_signature_id;
      const ann = (await user.post('/api/relationships/', { name: 'Ann', relationship_type: 'FRIEND' })).body
        .id;
      expect((await user.patch(`/api/signatures/voices/${voiceId}/`, { relationship: ann })).status).toBe(
        200,
      );
      const after = (await user.get(`/api/interactions/${detail.id}/`)).body;
      expect(after.transcription).toMatch(/^Ann: /m);
      expect(after.participants).toContain(ann);
      expect(after.segments.filter((s: any) => s.speaker?.relationship_id === ann).length).toBeGreaterThan(0);
    },
  );

  it('silence: completes with no transcript, no segments and no voices', SLOW, async () => {
    const user = await ctx.signUp();
    const detail = await processed(
      user,
      fs.readFileSync(path.join(FIXTURES, 'audio/ami/empty.wav')),
      'empty.wav',
    );
    expect(detail.processing_status).toBe('COMPLETED');
    expect(detail.segments).toEqual([]);
    expect(detail.transcription).toBe('');
    expect(detail.processing_error).toBe('');
    expect(detail.identified_participants).toEqual([]);
    expect((await user.get('/api/signatures/voices/')).body.count).toBe(0);
  });

  it('half a second of speech, and a video without sound, complete without a transcript', SLOW, async () => {
    const user = await ctx.signUp();
    const short = await processed(user, await cut(JFK, 2, 0.5), 'short.wav');
    expect(short.processing_status).toBe('COMPLETED');
    expect(short.transcription.startsWith('Speaker') || short.transcription === '').toBe(true);
    const silentVideoDir = fs.mkdtempSync(path.join(os.tmpdir(), 'rapport-silent-'));
    const silentVideo = path.join(silentVideoDir, 'silent.mp4');
    await ffmpeg('-i', CLIP, '-an', '-c:v', 'copy', silentVideo);
    const video = await processed(user, fs.readFileSync(silentVideo), 'silent.mp4');
    expect(video.processing_status).toBe('COMPLETED');
    expect(video.segments).toEqual([]);
  });

  it('a corrupt file fails with a reason, no crash', SLOW, async () => {
    const user = await ctx.signUp();
    const detail = await processed(
      user,
      Buffer.concat([fs.readFileSync(JFK).subarray(0, 4000)]),
      'broken.flac',
    );
    expect(['COMPLETED', 'FAILED']).toContain(detail.processing_status);
    if (detail.processing_status === 'FAILED') expect(detail.processing_error).not.toBe('');
  });
});

describe('voice enrolment', () => {
  it('enrols from a recording, and recognises the person in a later call', SLOW, async () => {
    const user = await ctx.signUp();
    const jfk = (await user.post('/api/relationships/', { name: 'JFK', relationship_type: 'OTHER' })).body.id;
    const res = await post(
      user,
      `/api/relationships/${jfk}/voices/`,
      await cut(JFK, 0, 6),
      'enrol.wav',
      'audio',
    );
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(res.body).toMatchObject({ relationship: jfk, sample_count: 1 });
    expect(res.body.sample_url).toBe(`/api/signatures/voices/${res.body.id}/sample/`);
    const enrolledSample = await voiceSampleOf(user, res.body.sample_url);
    // A second enrolment merges into the same signature.
    const again = await post(
      user,
      `/api/relationships/${jfk}/voices/`,
      await cut(JFK, 5, 6),
      'enrol2.wav',
      'audio',
    );
    expect(again.status).toBe(201);
    expect(again.body).toMatchObject({ id: res.body.id, sample_count: 2 });
    // The person keeps the sample of their first recording; the second's file is not left behind.
    expect(await voiceSampleOf(user, again.body.sample_url)).toEqual(enrolledSample);
    expect(fs.readdirSync(path.join(ctx.dataDir, 'media', `voices/${user.userId}`))).toEqual([
      `${res.body.id}.wav`,
    ]);

    const detail = await processed(user, fs.readFileSync(JFK), 'jfk.flac');
    expect(detail.transcription).toMatch(/^JFK: /);
    expect(detail.participants).toContain(jfk);
    expect(detail.identified_participants).toEqual([
      expect.objectContaining({ relationship_id: jfk, voice_signature_id: res.body.id }),
    ]);
  });

  it('refuses recordings with too little speech, broken files and a missing field', SLOW, async () => {
    const user = await ctx.signUp();
    const id = (await user.post('/api/relationships/', { name: 'X', relationship_type: 'OTHER' })).body.id;
    const short = await post(
      user,
      `/api/relationships/${id}/voices/`,
      await cut(JFK, 2, 1.5),
      'short.wav',
      'audio',
    );
    expect(short.status).toBe(400);
    expect(short.body.audio[0]).toMatch(/at least 3 s/);
    const silence = await post(
      user,
      `/api/relationships/${id}/voices/`,
      fs.readFileSync(path.join(FIXTURES, 'audio/ami/empty.wav')),
      'empty.wav',
      'audio',
    );
    expect(silence.status).toBe(400);
    const broken = await post(
      user,
      `/api/relationships/${id}/voices/`,
      Buffer.from('not audio at all'),
      'x.wav',
      'audio',
    );
    expect(broken.status).toBe(400);
    expect(broken.body.audio).toHaveLength(1);
    const wrongField = await post(
      user,
      `/api/relationships/${id}/voices/`,
      await cut(JFK, 0, 5),
      'x.wav',
      'file',
    );
    expect(wrongField.status).toBe(400);
    const json = await user.post(`/api/relationships/${id}/voices/`, {});
    expect(json.status).toBe(415);
    expect((await user.get('/api/signatures/voices/')).body.count).toBe(0);
  });
});
