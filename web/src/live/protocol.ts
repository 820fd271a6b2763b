/**
 * The live-call WebSocket (../shared/spec/websocket.md): what the page keeps from the server's
 * messages. A pure reducer, so the protocol handling is tested without a browser.
 */
import type { Note, RelationshipType } from '../api/types';

export type IdentifiedPerson = {
  relationship: { id: number; name: string; relationship_type: RelationshipType };
  faceSignatureId: number | null;
  voiceSignatureId: number | null;
  confidence: number;
  notes: Note[];
};

export type NewParticipant = {
  faceSignatureId: number | null;
  voiceSignatureId: number | null;
  thumbnail: string | null;
};

export type TranscriptLine = {
  start: number;
  end: number;
  text: string;
  /** `is_final:false` lines are provisional: the next update of the same utterance replaces them. */
  final: boolean;
  speaker: { voiceSignatureId: number | null; relationshipId: number | null } | null;
};

/** The rolling transcript keeps this many lines (the whole call is stored on the interaction). */
export const TRANSCRIPT_MAX_LINES = 200;

export type LiveCallState = {
  phase: 'idle' | 'connecting' | 'connected' | 'in-call' | 'reconnecting' | 'ending' | 'ended' | 'closed';
  userId: number | null;
  interactionId: number | null;
  identified: IdentifiedPerson[];
  unknown: NewParticipant[];
  transcript: TranscriptLine[];
  notes: Note[];
  summary: string;
  notesCreated: number;
  /** The server's `error` messages, newest last (`seq` numbers them for display). */
  errors: { seq: number; code: string; message: string }[];
};

export const initialLiveCallState: LiveCallState = {
  phase: 'idle',
  userId: null,
  interactionId: null,
  identified: [],
  unknown: [],
  transcript: [],
  notes: [],
  summary: '',
  notesCreated: 0,
  errors: [],
};

export type ServerMessage = { type: string; [key: string]: unknown };

const idOrNull = (value: unknown): number | null => (typeof value === 'number' ? value : null);

/** The state after one server message. Unknown types are ignored (the protocol may grow). */
export function applyServerMessage(state: LiveCallState, message: ServerMessage): LiveCallState {
  switch (message.type) {
    case 'connection_established':
      return { ...state, phase: 'connected', userId: idOrNull(message.user_id) };
    case 'call_started':
      return { ...state, phase: 'in-call', interactionId: idOrNull(message.interaction_id) };
    case 'participant_identified': {
      const person: IdentifiedPerson = {
        relationship: message.relationship as IdentifiedPerson['relationship'],
        faceSignatureId: idOrNull(message.face_signature_id),
        voiceSignatureId: idOrNull(message.voice_signature_id),
        confidence: typeof message.confidence === 'number' ? message.confidence : 0,
        notes: Array.isArray(message.notes) ? (message.notes as Note[]) : [],
      };
      // Once per person; an assignment on the spot also takes them out of the unknown list.
      const identified = [
        ...state.identified.filter((p) => p.relationship.id !== person.relationship.id),
        person,
      ];
      const unknown = state.unknown.filter(
        (u) =>
          (u.faceSignatureId === null || u.faceSignatureId !== person.faceSignatureId) &&
          (u.voiceSignatureId === null || u.voiceSignatureId !== person.voiceSignatureId),
      );
      // Named by voice: the lines that voice already said are theirs too.
      const transcript =
        person.voiceSignatureId === null
          ? state.transcript
          : state.transcript.map((l) =>
              l.speaker?.voiceSignatureId === person.voiceSignatureId
                ? { ...l, speaker: { ...l.speaker, relationshipId: person.relationship.id } }
                : l,
            );
      return { ...state, identified, unknown, transcript };
    }
    case 'new_participant': {
      const participant: NewParticipant = {
        faceSignatureId: idOrNull(message.face_signature_id),
        voiceSignatureId: idOrNull(message.voice_signature_id),
        thumbnail: typeof message.thumbnail === 'string' ? message.thumbnail : null,
      };
      const known = state.unknown.some(
        (u) =>
          (participant.faceSignatureId !== null && u.faceSignatureId === participant.faceSignatureId) ||
          (participant.voiceSignatureId !== null && u.voiceSignatureId === participant.voiceSignatureId),
      );
      return known ? state : { ...state, unknown: [...state.unknown, participant] };
    }
    case 'transcription_update': {
      const speaker = message.speaker as { voice_signature_id?: unknown; relationship_id?: unknown } | null;
      const line: TranscriptLine = {
        start: Number(message.start ?? 0),
        end: Number(message.end ?? 0),
        text: String(message.text ?? ''),
        final: message.is_final === true,
        speaker:
          speaker && typeof speaker === 'object'
            ? {
                voiceSignatureId: idOrNull(speaker.voice_signature_id),
                relationshipId: idOrNull(speaker.relationship_id),
              }
            : null,
      };
      return { ...state, transcript: addTranscriptLine(state.transcript, line) };
    }
    case 'note_generated': {
      const note = message.note as Note | undefined;
      if (!note || state.notes.some((n) => n.id === note.id)) return state;
      return { ...state, notes: [...state.notes, note] };
    }
    case 'call_ended':
      return {
        ...state,
        phase: 'ended',
        interactionId: idOrNull(message.interaction_id) ?? state.interactionId,
        summary: typeof message.summary === 'string' ? message.summary : '',
        notesCreated: typeof message.notes_created === 'number' ? message.notes_created : state.notes.length,
      };
    case 'error':
      return {
        ...state,
        errors: [
          ...state.errors.slice(-9),
          {
            seq: (state.errors.at(-1)?.seq ?? 0) + 1,
            code: String(message.code ?? ''),
            message: String(message.message ?? ''),
          },
        ],
      };
    default:
      return state;
  }
}

/**
 * One update into the rolling transcript. Utterances follow each other, so at most one is
 * provisional: a partial replaces the partial before it; a final line settles its utterance's
 * partial, but keeps one of a later utterance (starting after it ended) that arrived first.
 */
export function addTranscriptLine(lines: TranscriptLine[], line: TranscriptLine): TranscriptLine[] {
  const finals = lines.filter((l) => l.final);
  const partial = lines.find((l) => !l.final);
  const laterPartial = line.final && partial && partial.start >= line.end ? [partial] : [];
  return [...finals, line, ...laterPartial].sort((a, b) => a.start - b.start).slice(-TRANSCRIPT_MAX_LINES);
}

/** Why the server closed the socket, in words (4401/4403 from the handshake, 1008 for flooding). */
export function closeReason(code: number): string {
  switch (code) {
    case 4401:
      return 'The server refused the connection: sign in again.';
    case 4403:
      return 'The server refused the connection: this token belongs to another user.';
    case 1008:
      return 'The server closed the call: too many messages.';
    case 1000:
      return '';
    case 1001:
      return 'The server went away (it is restarting); what was said so far is saved on the call.';
    case 1006:
      return 'The connection to the live-call service was lost.';
    default:
      return `The connection closed (code ${code}).`;
  }
}

/** Float samples (−1…1) as 16-bit little-endian PCM, what `audio_chunk` binary frames carry. */
export function floatToPcm16(samples: Float32Array): ArrayBuffer {
  const out = new DataView(new ArrayBuffer(samples.length * 2));
  for (let i = 0; i < samples.length; i++) {
    const s = Math.max(-1, Math.min(1, samples[i] ?? 0));
    out.setInt16(i * 2, s < 0 ? Math.round(s * 0x8000) : Math.round(s * 0x7fff), true);
  }
  return out.buffer;
}

export function liveCallUrl(
  location: { protocol: string; host: string },
  userId: number,
  token: string,
): string {
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
  return `${scheme}//${location.host}/ws/call/${userId}/?token=${encodeURIComponent(token)}`;
}
