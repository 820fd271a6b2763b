import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { InteractionsRepository } from '../../src/modules/interactions/repository.js';
import { type Client, createTestContext, processingSettled, type TestContext } from '../helpers/app.js';
import { multipartFile } from '../helpers/multipart.js';

// Imported transcripts → segments with speakers → the extract-notes job (local engine) → notes,
// summary and events, through the real queue and database.

type User = Client & { userId: number; username: string };

async function uploadTranscript(
  user: User,
  id: number,
  content: string | Buffer,
  filename: string,
  fields?: Record<string, string>,
) {
  const body = multipartFile(
    typeof content === 'string' ? Buffer.from(content) : content,
    filename,
    'text/plain',
    'file',
    fields,
  );
  const res = await ctx.app.inject({
    method: 'POST',
    url: `/api/interactions/${id}/transcript/`,
    headers: { authorization: `Token ${user.token}`, ...body.headers },
    payload: body.payload,
  });
  return { status: res.statusCode, body: res.json() };
}

const CALL = `Sam: Hi Ann, how are you doing?
Ann Baker: I'm good, thanks. Big news actually, my daughter Emma got into Leeds, she starts university there in September.
Sam: That's wonderful, congratulations to her.
Ann Baker: Thanks! I'm a bit worried about my dad though, he's having knee surgery next Friday.
Sam: Oh no, I hope it goes well.
Ann Baker: Also, by the way, I prefer calls after 6 pm now, I've started a new job at the hospital trust.
Sam: Noted. I'll send you the contract by Friday.
Ann Baker: Perfect. Talk soon!`;

const VTT = `WEBVTT

00:00:01.000 --> 00:00:03.500
<v Sam>Hey Ann, good to see you.</v>

00:00:04.000 --> 00:00:09.000
<v Ann Baker>You too. We're moving to Bristol in two weeks, the house sale finally went through.</v>

00:00:09.500 --> 00:00:12.000
<v Sam>Can I help with anything?</v>

00:00:12.500 --> 00:00:16.000
<v Ann Baker>Can you lend me your van on the weekend of the move?</v>
`;

let ctx: TestContext;
let alice: User;
/** Ann Baker, a fresh one per test: earlier tests' notes about her would make these duplicates. */
let ann: number;
let repo: InteractionsRepository;

beforeAll(async () => {
  ctx = await createTestContext({ NOTES_ENGINE: 'local' }, { workers: true });
  repo = new InteractionsRepository(ctx.database.db);
  alice = await ctx.signUp();
});
beforeEach(async () => {
  ann = (await alice.post('/api/relationships/', { name: 'Ann Baker', relationship_type: 'FRIEND' })).body.id;
});
afterAll(() => ctx?.close());

async function newCall(occurredAt = '2026-03-04T10:00:00Z'): Promise<number> {
  const res = await alice.post('/api/interactions/', {
    interaction_type: 'PHONE_CALL',
    participants: [ann],
    occurred_at: occurredAt,
  });
  expect(res.status).toBe(201);
  return res.body.id;
}

async function notesOf(interaction: number) {
  const res = await alice.get(`/api/notes/?interaction=${interaction}&page_size=100`);
  expect(res.status).toBe(200);
  return res.body.results as {
    id: number;
    text: string;
    category: string;
    importance: number;
    source: string;
    relationship: number;
    updated_at: string;
  }[];
}

describe('POST /api/interactions/{id}/transcript/', () => {
  it('stores a plain-text transcript with speakers matched by name, then extracts notes and a summary', async () => {
    const id = await newCall();
    const events: { type: string; note?: { id: number } }[] = [];
    const unsubscribe = ctx.runtime.events.subscribe(`user:${alice.userId}`, (event) => events.push(event));
    try {
      const res = await alice.post(`/api/interactions/${id}/transcript/`, { text: CALL });
      expect(res.status, res.raw).toBe(202);
      expect(res.body.processing_status).toBe('PENDING');
      expect(res.body.transcription).toContain('Ann Baker: I');
      expect(res.body.segments).toHaveLength(8);
      expect(res.body.segments[1].speaker).toEqual({
        voice_signature_id: null,
        relationship_id: ann,
        name: 'Ann Baker',
      });
      // The user's own lines: a name that is no participant.
      expect(res.body.segments[0].speaker).toEqual({
        voice_signature_id: null,
        relationship_id: null,
        name: 'Sam',
      });

      const detail = await processingSettled(alice, id);
      expect(detail.processing_status, detail.processing_error).toBe('COMPLETED');
      expect(detail.processing_progress).toEqual({ stage: 'done', percent: 100 });
      expect(detail.summary).toMatch(/Ann Baker/);

      const notes = await notesOf(id);
      const byCategory = (category: string) => notes.filter((n) => n.category === category);
      expect(notes.every((n) => n.relationship === ann && n.source === 'AI')).toBe(true);
      expect(
        byCategory('FAMILY')
          .map((n) => n.text)
          .join(' '),
      ).toMatch(/daughter Emma.*Leeds/);
      const surgery = byCategory('HEALTH').find((n) => /knee surgery/.test(n.text));
      // "next Friday" resolved against the call date (Wednesday 4 March 2026).
      expect(surgery?.text).toContain('2026-03-13');
      expect(byCategory('PREFERENCE').map((n) => n.text)).toContainEqual(
        expect.stringMatching(/calls after 6 pm/),
      );
      expect(byCategory('TASK').map((n) => n.text)).toContainEqual(
        expect.stringMatching(/^Promised to send Ann the contract by Friday/),
      );
      // Small talk and the user's own words are not notes.
      expect(notes.map((n) => n.text).join(' ')).not.toMatch(/congratulations|Talk soon|hope it goes well/i);
      for (const n of notes) expect(n.importance).toBeGreaterThan(0);
      expect(surgery!.importance).toBeGreaterThan(byCategory('PREFERENCE')[0]!.importance);

      const created = events.filter((e) => e.type === 'note.created').map((e) => e.note!.id);
      expect(created.sort()).toEqual(notes.map((n) => n.id).sort());
      expect(
        events.some(
          (e) => e.type === 'interaction.processing' && (e as { status?: string }).status === 'COMPLETED',
        ),
      ).toBe(true);
    } finally {
      unsubscribe();
    }
  });

  it('imports an uploaded WebVTT file (Teams voice tags) with its times', async () => {
    const id = await newCall();
    const res = await uploadTranscript(alice, id, VTT, 'meeting.vtt');
    expect(res.status, JSON.stringify(res.body)).toBe(202);
    expect(res.body.segments.map((s: { start: number; end: number }) => [s.start, s.end])).toEqual([
      [1, 3.5],
      [4, 9],
      [9.5, 12],
      [12.5, 16],
    ]);
    const detail = await processingSettled(alice, id);
    expect(detail.processing_status).toBe('COMPLETED');
    const notes = await notesOf(id);
    expect(notes.map((n) => n.text)).toContainEqual(expect.stringMatching(/moving to Bristol.*2026-03-18/));
    expect(notes.find((n) => n.category === 'TASK')?.text).toMatch(/^Asked me to lend them my van/);
  });

  it('imports SRT, detected from its content', async () => {
    const id = await newCall();
    const srt = `1\n00:00:00,500 --> 00:00:04,000\nAnn: I've been training for the Manchester marathon in April.\n\n2\n00:00:04,500 --> 00:00:06,000\nSam: Amazing.\n`;
    const res = await uploadTranscript(alice, id, srt, 'call.txt', { format: 'SRT' });
    expect(res.status, JSON.stringify(res.body)).toBe(202);
    expect(res.body.segments[0]).toMatchObject({
      start: 0.5,
      end: 4,
      speaker: { relationship_id: ann, name: 'Ann' },
    });
    await processingSettled(alice, id);
    expect((await notesOf(id)).map((n) => n.text)).toContainEqual(
      expect.stringMatching(/Manchester marathon/),
    );
  });

  it('a re-import replaces the AI notes of the call and keeps manual ones', async () => {
    const id = await newCall();
    const manual = await alice.post('/api/notes/', {
      relationship: ann,
      interaction: id,
      text: 'Owes me lunch',
    });
    expect(manual.status).toBe(201);
    await alice.post(`/api/interactions/${id}/transcript/`, { text: CALL });
    await processingSettled(alice, id);
    const first = (await notesOf(id)).filter((n) => n.source === 'AI');
    await alice.post(`/api/interactions/${id}/transcript/`, { text: CALL });
    await processingSettled(alice, id);
    const second = await notesOf(id);
    expect(
      second
        .filter((n) => n.source === 'AI')
        .map((n) => n.text)
        .sort(),
    ).toEqual(first.map((n) => n.text).sort());
    expect(second.filter((n) => n.source === 'AI').some((n) => first.some((f) => f.id === n.id))).toBe(false);
    expect(second.find((n) => n.source === 'MANUAL')?.id).toBe(manual.body.id);
  });

  it('the same facts in a later call refresh the existing notes instead of adding copies', async () => {
    const earlier = await newCall('2026-03-04T10:00:00Z');
    await alice.post(`/api/interactions/${earlier}/transcript/`, { text: CALL });
    await processingSettled(alice, earlier);
    const firstNotes = await notesOf(earlier);
    expect(firstNotes.length).toBeGreaterThan(3);

    const later = await newCall('2026-03-04T12:00:00Z');
    await alice.post(`/api/interactions/${later}/transcript/`, { text: CALL });
    expect((await processingSettled(alice, later)).processing_status).toBe('COMPLETED');
    expect(await notesOf(later)).toEqual([]);
    const after = await alice.get(`/api/notes/?relationship=${ann}&status=ACTIVE&page_size=100`);
    expect(after.body.count).toBe(firstNotes.length);
    const refreshed = await notesOf(earlier);
    for (const note of refreshed) {
      const old = firstNotes.find((n) => n.id === note.id)!;
      expect(Date.parse(note.updated_at)).toBeGreaterThan(Date.parse(old.updated_at));
    }
  });

  it('refuses bad input with field errors, and others’ interactions with 404', async () => {
    const id = await newCall();
    const bad = async (body: unknown) => alice.post(`/api/interactions/${id}/transcript/`, body);
    expect((await bad({})).body).toEqual({ text: ['This field is required.'] });
    expect((await bad({ text: '   \n ' })).body).toEqual({ text: ['The transcript has no text.'] });
    expect((await bad({ text: 'Ann: hi', format: 'DOCX' })).status).toBe(400);
    expect(Object.keys((await bad({ text: 'Ann: hi', format: 'DOCX' })).body)).toEqual(['format']);
    const malformed = await bad({ text: 'WEBVTT\n\nnot a timestamp\nhello\n', format: 'SRT' });
    expect(malformed.status).toBe(400);
    expect(malformed.body.text[0]).toMatch(/could not be read/);

    const binary = await uploadTranscript(alice, id, Buffer.from([0xff, 0xfe, 0x00, 0x41, 0x00]), 'x.txt');
    expect(binary.status).toBe(400);
    expect(binary.body.file[0]).toMatch(/not UTF-8 text/);
    expect((await uploadTranscript(alice, id, '', 'empty.vtt')).body).toEqual({
      file: ['The submitted file is empty.'],
    });

    const mallory = await ctx.signUp();
    expect((await mallory.post(`/api/interactions/${id}/transcript/`, { text: CALL })).status).toBe(404);
    expect((await uploadTranscript(mallory, id, VTT, 'x.vtt')).status).toBe(404);
    expect((await alice.get(`/api/interactions/${id}/`)).body.processing_status).toBe('NONE');
  });

  it('stores a long transcript (more segments than one SQL statement can take)', async () => {
    const id = await newCall();
    const segments = Array.from({ length: 25_000 }, (_, i) => ({
      start: i,
      end: i + 0.5,
      text: `line ${i}`,
      voiceSignatureId: null,
      speakerName: i % 2 ? 'Ann Baker' : 'Sam',
      relationshipId: i % 2 ? ann : null,
    }));
    await repo.saveTranscript(alice.userId, id, { transcription: 'long', segments });
    const detail = await repo.get(alice.userId, id);
    expect(detail?.segments).toHaveLength(25_000);
    expect(detail?.segments[24_999]).toMatchObject({
      text: 'line 24999',
      relationshipId: ann,
      speakerName: 'Ann Baker',
    });
  });

  it('answers 409 while the recording is being processed', async () => {
    const id = await newCall();
    await repo.attachMedia(alice.userId, id, {
      key: 'users/x/missing.mp4',
      filename: 'x.mp4',
      contentType: 'video/mp4',
      size: 1,
    });
    const res = await alice.post(`/api/interactions/${id}/transcript/`, { text: CALL });
    expect(res.status).toBe(409);
    expect(res.body.detail).toMatch(/being processed/);
    expect((await alice.get(`/api/interactions/${id}/`)).body.transcription).toBe('');
  });
});

describe('GET /api/health/ engines', () => {
  it('reports the notes engine in use', async () => {
    const res = await ctx.anonymous.get('/api/health/');
    expect(res.body.engines.notes).toEqual({
      name: 'local',
      available: true,
      reason: expect.stringContaining('compromise'),
    });
  });
});
