import { z } from 'zod';
import { INTERACTION_TYPES } from '../infra/db/schema.js';
import type { NoteOut } from '../modules/notes/schemas.js';

/**
 * The live-call protocol of ../shared/spec/websocket.md: what a client may send (validated here)
 * and what the server sends back.
 */

/** Close codes the spec names. */
export const CLOSE = {
  badToken: 4401,
  otherUsersToken: 4403,
  policyViolation: 1008,
  goingAway: 1001,
} as const;

/** `code` of an `error` message. */
export type ErrorCode =
  | 'invalid_json'
  | 'unknown_type'
  | 'invalid_message'
  | 'invalid_data'
  | 'message_too_large'
  | 'rate_limited'
  | 'no_active_call'
  | 'call_in_progress'
  | 'too_many_calls'
  | 'not_found'
  | 'server_error';

const base64 = z
  .string()
  .min(1, 'This field may not be blank.')
  .regex(/^[A-Za-z0-9+/\s]*={0,2}\s*$/, 'Not valid base64.');
const timestamp = z.number().finite().min(0).optional();
const id = z.number().int().positive();

export const AUDIO_FORMATS = ['pcm_s16le', 'pcm_f32le', 'f32le'] as const;

const callStart = z.object({
  type: z.literal('call_start'),
  interaction_id: id.optional(),
  title: z.string().max(255).optional(),
  interaction_type: z.enum(INTERACTION_TYPES).optional(),
});
const videoChunk = z.object({ type: z.literal('video_chunk'), data: base64, timestamp });
const audioChunk = z.object({
  type: z.literal('audio_chunk'),
  data: base64,
  timestamp,
  format: z.enum(AUDIO_FORMATS).default('pcm_s16le'),
  sample_rate: z.number().int().min(8000).max(192_000).default(16_000),
});
const callEnd = z.object({ type: z.literal('call_end') });
const assignParticipant = z
  .object({
    type: z.literal('assign_participant'),
    face_signature_id: id.optional(),
    voice_signature_id: id.optional(),
    relationship_id: id,
  })
  .refine((m) => (m.face_signature_id === undefined) !== (m.voice_signature_id === undefined), {
    message: 'Give exactly one of face_signature_id and voice_signature_id.',
  });

export const CLIENT_MESSAGES = {
  call_start: callStart,
  video_chunk: videoChunk,
  audio_chunk: audioChunk,
  call_end: callEnd,
  assign_participant: assignParticipant,
} as const;

export type ClientMessageType = keyof typeof CLIENT_MESSAGES;
export type CallStart = z.infer<typeof callStart>;
export type VideoChunk = z.infer<typeof videoChunk>;
export type AudioChunk = z.infer<typeof audioChunk>;
export type AssignParticipant = z.infer<typeof assignParticipant>;
export type ClientMessage = CallStart | VideoChunk | AudioChunk | z.infer<typeof callEnd> | AssignParticipant;

export class ProtocolError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** Parses one text frame; a ProtocolError names what is wrong in terms a client developer can act on. */
export function parseClientMessage(text: string): ClientMessage {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new ProtocolError('invalid_json', 'The message is not valid JSON.');
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    throw new ProtocolError('invalid_message', 'A message must be a JSON object with a "type".');
  const type = (raw as { type?: unknown }).type;
  if (typeof type !== 'string' || !Object.hasOwn(CLIENT_MESSAGES, type))
    throw new ProtocolError(
      'unknown_type',
      `Unknown message type ${JSON.stringify(type ?? null)}; expected one of ${Object.keys(CLIENT_MESSAGES).join(', ')}.`,
    );
  const parsed = CLIENT_MESSAGES[type as ClientMessageType].safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const field = issue.path.join('.');
    throw new ProtocolError('invalid_message', field ? `${field}: ${issue.message}` : issue.message);
  }
  return parsed.data;
}

/** Decodes base64 strictly: Node's decoder silently skips bad characters, so check the length. */
export function decodeBase64(data: string): Buffer {
  const compact = data.replace(/\s+/g, '');
  if (compact.length % 4 === 1) throw new ProtocolError('invalid_data', 'data: not valid base64.');
  return Buffer.from(compact, 'base64');
}

export type RelationshipRef = { id: number; name: string; relationship_type: string };

export type ServerMessage =
  | { type: 'connection_established'; user_id: number }
  | { type: 'call_started'; interaction_id: number }
  | {
      type: 'participant_identified';
      relationship: RelationshipRef;
      face_signature_id?: number;
      voice_signature_id?: number;
      confidence: number;
      notes: NoteOut[];
    }
  | { type: 'new_participant'; face_signature_id?: number; voice_signature_id?: number; thumbnail?: string }
  | {
      type: 'transcription_update';
      text: string;
      start: number;
      end: number;
      is_final: boolean;
      speaker?: { voice_signature_id: number; relationship_id: number | null } | null;
    }
  | { type: 'note_generated'; note: NoteOut }
  | { type: 'call_ended'; interaction_id: number; summary: string; notes_created: number }
  | { type: 'error'; code: ErrorCode; message: string }
  /** Rapport's addition (docs/websocket-additions.md): a recording of this user moves through processing. */
  | {
      type: 'processing_update';
      interaction_id: number;
      status: 'PROCESSING' | 'COMPLETED' | 'FAILED';
      progress: { stage: string; percent: number };
      error?: string;
    };
