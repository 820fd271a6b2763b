import { describe, expect, it } from 'vitest';
import {
  applyServerMessage,
  closeReason,
  floatToPcm16,
  initialLiveCallState,
  type LiveCallState,
  liveCallUrl,
  type ServerMessage,
  TRANSCRIPT_MAX_LINES,
} from './protocol';

const note = (id: number, text: string) => ({
  id,
  relationship: 1,
  interaction: 9,
  text,
  category: 'FACT',
  importance: 0.8,
  status: 'ACTIVE',
  source: 'AI',
  created_at: '2026-11-24T10:00:00Z',
  updated_at: '2026-11-24T10:00:00Z',
});

function run(messages: ServerMessage[]): LiveCallState {
  return messages.reduce(applyServerMessage, initialLiveCallState);
}

describe('the live-call page’s reading of the WebSocket protocol', () => {
  it('follows a call from the handshake to its end', () => {
    const state = run([
      { type: 'connection_established', user_id: 5 },
      { type: 'call_started', interaction_id: 9 },
      {
        type: 'participant_identified',
        relationship: { id: 1, name: 'Ada', relationship_type: 'FRIEND' },
        face_signature_id: 3,
        confidence: 0.91,
        notes: [note(1, 'Loves tea')],
      },
      { type: 'transcription_update', text: 'Hel', start: 0, end: 0.5, is_final: false },
      { type: 'transcription_update', text: 'Hello there', start: 0, end: 1.2, is_final: true },
      { type: 'transcription_update', text: 'How', start: 1.5, end: 1.8, is_final: false },
      { type: 'note_generated', note: note(2, 'Moving to Lisbon') },
      { type: 'note_generated', note: note(2, 'Moving to Lisbon') },
      { type: 'call_ended', interaction_id: 9, summary: 'A catch-up.', notes_created: 1 },
    ]);
    expect(state).toMatchObject({
      phase: 'ended',
      userId: 5,
      interactionId: 9,
      summary: 'A catch-up.',
      notesCreated: 1,
    });
    expect(state.identified).toEqual([
      {
        relationship: { id: 1, name: 'Ada', relationship_type: 'FRIEND' },
        faceSignatureId: 3,
        voiceSignatureId: null,
        confidence: 0.91,
        notes: [note(1, 'Loves tea')],
      },
    ]);
    // A partial is replaced by the next line; finals stay.
    expect(state.transcript.map((l) => [l.text, l.final])).toEqual([
      ['Hello there', true],
      ['How', false],
    ]);
    expect(state.notes.map((n) => n.id)).toEqual([2]);
  });

  it('announces each unknown person once, and drops them when they are assigned', () => {
    const state = run([
      { type: 'new_participant', face_signature_id: 7, thumbnail: 'abc' },
      { type: 'new_participant', face_signature_id: 7 },
      { type: 'new_participant', voice_signature_id: 4 },
    ]);
    expect(state.unknown).toEqual([
      { faceSignatureId: 7, voiceSignatureId: null, thumbnail: 'abc' },
      { faceSignatureId: null, voiceSignatureId: 4, thumbnail: null },
    ]);
    const assigned = applyServerMessage(state, {
      type: 'participant_identified',
      relationship: { id: 2, name: 'Bo', relationship_type: 'COLLEAGUE' },
      face_signature_id: 7,
      confidence: 1,
      notes: [],
    });
    expect(assigned.unknown.map((u) => u.voiceSignatureId)).toEqual([4]);
    expect(assigned.identified.map((p) => p.relationship.name)).toEqual(['Bo']);
  });

  it('keeps the last ten errors, numbered, and ignores unknown message types', () => {
    let state = initialLiveCallState;
    for (let i = 0; i < 12; i++)
      state = applyServerMessage(state, { type: 'error', code: 'rate_limited', message: `#${i}` });
    expect(state.errors).toHaveLength(10);
    expect(state.errors.at(-1)).toEqual({ seq: 12, code: 'rate_limited', message: '#11' });
    expect(applyServerMessage(state, { type: 'something_new' })).toBe(state);
  });

  it('settles a provisional line with the final one, even when the next utterance’s partial came first', () => {
    const update = (text: string, start: number, end: number, is_final: boolean, speaker?: unknown) => ({
      type: 'transcription_update',
      text,
      start,
      end,
      is_final,
      ...(speaker === undefined ? {} : { speaker }),
    });
    const state = run([
      update('Hel', 0, 0.5, false),
      update('Hello the', 0, 0.9, false),
      // The next utterance is heard before the first one's final text is decoded.
      update('How', 1.5, 1.8, false),
      update('Hello there', 0, 1.2, true, { voice_signature_id: 4, relationship_id: null }),
      update('How are you', 1.5, 2.4, false),
      update('How are you doing', 1.5, 2.9, true, { voice_signature_id: 5, relationship_id: 2 }),
    ]);
    expect(state.transcript).toEqual([
      {
        text: 'Hello there',
        start: 0,
        end: 1.2,
        final: true,
        speaker: { voiceSignatureId: 4, relationshipId: null },
      },
      {
        text: 'How are you doing',
        start: 1.5,
        end: 2.9,
        final: true,
        speaker: { voiceSignatureId: 5, relationshipId: 2 },
      },
    ]);
    const midway = run([update('Hello there', 0, 1.2, true), update('How', 1.5, 1.8, false)]);
    expect(midway.transcript.map((l) => [l.text, l.final, l.speaker])).toEqual([
      ['Hello there', true, null],
      ['How', false, null],
    ]);
  });

  it('gives the lines of a voice named during the call to that person', () => {
    const state = run([
      { type: 'new_participant', voice_signature_id: 4 },
      {
        type: 'transcription_update',
        text: 'Hi',
        start: 0,
        end: 1,
        is_final: true,
        speaker: { voice_signature_id: 4, relationship_id: null },
      },
      {
        type: 'transcription_update',
        text: 'Hello',
        start: 1,
        end: 2,
        is_final: true,
        speaker: { voice_signature_id: 5, relationship_id: null },
      },
      {
        type: 'participant_identified',
        relationship: { id: 2, name: 'Bo', relationship_type: 'COLLEAGUE' },
        voice_signature_id: 4,
        confidence: 1,
        notes: [],
      },
    ]);
    expect(state.transcript.map((l) => l.speaker)).toEqual([
      { voiceSignatureId: 4, relationshipId: 2 },
      { voiceSignatureId: 5, relationshipId: null },
    ]);
    expect(state.unknown).toEqual([]);
  });

  it('keeps the last lines of a long call', () => {
    let state = initialLiveCallState;
    for (let i = 0; i < TRANSCRIPT_MAX_LINES + 5; i++)
      state = applyServerMessage(state, {
        type: 'transcription_update',
        text: `line ${i}`,
        start: i,
        end: i + 0.5,
        is_final: true,
      });
    expect(state.transcript).toHaveLength(TRANSCRIPT_MAX_LINES);
    expect(state.transcript.at(-1)?.text).toBe(`line ${TRANSCRIPT_MAX_LINES + 4}`);
  });

  it('explains close codes', () => {
    expect(closeReason(4401)).toMatch(/sign in again/);
    expect(closeReason(4403)).toMatch(/another user/);
    expect(closeReason(1008)).toMatch(/too many/);
    expect(closeReason(1006)).toMatch(/lost/);
    expect(closeReason(1001)).toMatch(/saved/);
    expect(closeReason(4000)).toMatch(/code 4000/);
    expect(closeReason(1000)).toBe('');
  });

  it('builds the socket URL of the spec, wss behind https', () => {
    expect(liveCallUrl({ protocol: 'http:', host: 'h:8000' }, 5, 'a b')).toBe(
      'ws://h:8000/ws/call/5/?token=a%20b',
    );
    expect(liveCallUrl({ protocol: 'https:', host: 'h' }, 5, 't')).toBe('wss://h/ws/call/5/?token=t');
  });

  it('turns float samples into 16-bit little-endian PCM, clipping at ±1', () => {
    const pcm = new DataView(floatToPcm16(new Float32Array([0, 1, -1, 0.5, 2, -2])));
    expect(pcm.byteLength).toBe(12);
    expect([0, 2, 4, 6, 8, 10].map((o) => pcm.getInt16(o, true))).toEqual([
      0, 32767, -32768, 16384, 32767, -32768,
    ]);
  });
});
