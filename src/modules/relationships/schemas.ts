import { z } from 'zod';
import { RELATIONSHIP_TYPES } from '../../infra/db/schema.js';
import { isoDate, optionalEmail, text } from '../../infra/http/fields.js';
import { pageQuery } from '../../infra/http/pagination.js';
import { filterValue } from '../../infra/http/query.js';

const tag = z.string().trim().min(1).max(50);

const optionalFields = {
  email: optionalEmail,
  phone: text(50),
  company: text(255),
  birthday: isoDate.nullable(),
  how_we_met: text(5000),
  contact_interval_days: z.number().int().min(1).max(3650).nullable(),
  tags: z
    .array(tag)
    .max(50)
    .transform((tags) => [...new Set(tags)]),
};

const requiredFields = {
  name: z.string().trim().min(1).max(255),
  relationship_type: z.enum(RELATIONSHIP_TYPES),
};

/** POST and PUT: name and type required; omitted optional fields keep their values (spec). */
export const relationshipBody = z.object({
  ...requiredFields,
  ...Object.fromEntries(Object.entries(optionalFields).map(([k, v]) => [k, v.optional()])),
} as { [K in keyof typeof requiredFields]: (typeof requiredFields)[K] } & {
  [K in keyof typeof optionalFields]: z.ZodOptional<(typeof optionalFields)[K]>;
});

export const relationshipPatchBody = relationshipBody.partial();

export type RelationshipBody = z.infer<typeof relationshipPatchBody>;
export type NewRelationshipBody = z.infer<typeof relationshipBody>;

export const relationshipListQuery = z.object({
  ...pageQuery,
  relationship_type: filterValue(z.enum(RELATIONSHIP_TYPES)),
  tag: filterValue(z.string().max(50)),
  search: z.string().max(500).optional(),
  ordering: z.string().max(200).optional(),
});

export const relationshipOut = z.object({
  id: z.number().int(),
  name: z.string(),
  relationship_type: z.enum(RELATIONSHIP_TYPES),
  email: z.string(),
  phone: z.string(),
  company: z.string(),
  birthday: z.string().nullable(),
  how_we_met: z.string(),
  tags: z.array(z.string()),
  contact_interval_days: z.number().int().nullable(),
  created_at: z.string(),
  updated_at: z.string(),
  last_interaction_at: z.string().nullable(),
});

export const relationshipDetailOut = relationshipOut.extend({
  notes_count: z.number().int(),
  face_signatures_count: z.number().int(),
  voice_signatures_count: z.number().int(),
});

export type RelationshipOut = z.infer<typeof relationshipOut>;
export type RelationshipDetailOut = z.infer<typeof relationshipDetailOut>;
