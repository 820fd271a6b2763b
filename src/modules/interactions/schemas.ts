import { z } from 'zod';
import { INTERACTION_TYPES, PROCESSING_STATUSES } from '../../infra/db/schema.js';
import { foreignKeyList, isoDateTime, text } from '../../infra/http/fields.js';
import { pageQuery } from '../../infra/http/pagination.js';
import { dateTimeFilter, filterValue, idFilter } from '../../infra/http/query.js';

export const MAX_TRANSCRIPTION_CHARS = 1_000_000;

const optionalFields = {
  title: text(255),
  occurred_at: isoDateTime,
  duration_seconds: z
    .number()
    .int()
    .min(0)
    .max(365 * 24 * 3600)
    .nullable(),
  participants: foreignKeyList(500),
  summary: text(20_000),
  transcription: z.string().max(MAX_TRANSCRIPTION_CHARS),
};

/** POST and PUT: the type is required; omitted optional fields keep their values (or defaults). */
export const interactionBody = z.object({
  interaction_type: z.enum(INTERACTION_TYPES),
  title: optionalFields.title.optional(),
  occurred_at: optionalFields.occurred_at.optional(),
  duration_seconds: optionalFields.duration_seconds.optional(),
  participants: optionalFields.participants.optional(),
  summary: optionalFields.summary.optional(),
  transcription: optionalFields.transcription.optional(),
});
export const interactionPatchBody = interactionBody.partial();
export type NewInteractionBody = z.infer<typeof interactionBody>;
export type InteractionBody = z.infer<typeof interactionPatchBody>;

export const interactionListQuery = z.object({
  ...pageQuery,
  interaction_type: filterValue(z.enum(INTERACTION_TYPES)),
  participant: idFilter,
  processing_status: filterValue(z.enum(PROCESSING_STATUSES)),
  occurred_after: dateTimeFilter,
  occurred_before: dateTimeFilter,
  search: z.string().max(500).optional(),
  ordering: z.string().max(200).optional(),
});
export type InteractionListQuery = z.infer<typeof interactionListQuery>;

const mediaOut = z
  .object({
    filename: z.string(),
    content_type: z.string(),
    size: z.number(),
    duration_seconds: z.number().nullable(),
  })
  .nullable();

export const interactionOut = z.object({
  id: z.number().int(),
  interaction_type: z.enum(INTERACTION_TYPES),
  title: z.string(),
  occurred_at: z.string(),
  duration_seconds: z.number().int().nullable(),
  participants: z.array(z.number().int()),
  summary: z.string(),
  processing_status: z.enum(PROCESSING_STATUSES),
  processing_error: z.string(),
  media: mediaOut,
  created_at: z.string(),
  updated_at: z.string(),
});

export const segmentOut = z.object({
  start: z.number(),
  end: z.number(),
  text: z.string(),
  /** Voice-identified (voice_signature_id) or named by an imported transcript (name). */
  speaker: z
    .object({
      voice_signature_id: z.number().int().nullable(),
      relationship_id: z.number().int().nullable(),
      name: z.string().nullable(),
    })
    .nullable(),
});

export const identifiedParticipantOut = z.object({
  relationship_id: z.number().int().nullable(),
  face_signature_id: z.number().int().nullable(),
  voice_signature_id: z.number().int().nullable(),
  confidence: z.number(),
  first_seen_at: z.number().describe('Seconds from the start of the recording'),
});

export const interactionDetailOut = interactionOut.extend({
  transcription: z.string(),
  processing_progress: z
    .object({ stage: z.string(), percent: z.number() })
    .nullable()
    .describe('Current (or last) processing step and overall percent'),
  segments: z.array(segmentOut),
  identified_participants: z.array(identifiedParticipantOut),
});

export type InteractionOut = z.infer<typeof interactionOut>;
export type InteractionDetailOut = z.infer<typeof interactionDetailOut>;
