import { z } from 'zod';
import { NOTE_CATEGORIES, NOTE_SOURCES, NOTE_STATUSES } from '../../infra/db/schema.js';
import { foreignKey } from '../../infra/http/fields.js';
import { pageQuery } from '../../infra/http/pagination.js';
import { filterValue, idFilter } from '../../infra/http/query.js';

const noteFields = {
  relationship: foreignKey,
  interaction: foreignKey.nullable(),
  text: z.string().trim().min(1).max(5000),
  category: z.enum(NOTE_CATEGORIES),
  // Stored as float4: rounding keeps tiny values from underflowing it (a database error).
  importance: z
    .number()
    .min(0)
    .max(1)
    .transform((v) => Math.round(v * 1e6) / 1e6),
  status: z.enum(NOTE_STATUSES),
};

/** POST and PUT: relationship and text required; category defaults to OTHER, importance to 0.5. */
export const noteBody = z.object({
  relationship: noteFields.relationship,
  text: noteFields.text,
  interaction: noteFields.interaction.optional(),
  category: noteFields.category.optional(),
  importance: noteFields.importance.optional(),
  status: noteFields.status.optional(),
});
export const notePatchBody = noteBody.partial();

export type NewNoteBody = z.infer<typeof noteBody>;
export type NoteBody = z.infer<typeof notePatchBody>;

export const noteListQuery = z.object({
  ...pageQuery,
  relationship: idFilter,
  interaction: idFilter,
  status: filterValue(z.enum(NOTE_STATUSES)),
  category: filterValue(z.enum(NOTE_CATEGORIES)),
  search: z.string().max(500).optional(),
  ordering: z.string().max(200).optional(),
});
export type NoteListQuery = z.infer<typeof noteListQuery>;

export const noteOut = z.object({
  id: z.number().int(),
  relationship: z.number().int(),
  interaction: z.number().int().nullable(),
  text: z.string(),
  category: z.enum(NOTE_CATEGORIES),
  importance: z.number(),
  status: z.enum(NOTE_STATUSES),
  source: z.enum(NOTE_SOURCES),
  created_at: z.string(),
  updated_at: z.string(),
});
export type NoteOut = z.infer<typeof noteOut>;
