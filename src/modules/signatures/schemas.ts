import { z } from 'zod';
import { foreignKey } from '../../infra/http/fields.js';
import { pageQuery } from '../../infra/http/pagination.js';
import { booleanFilter, idFilter } from '../../infra/http/query.js';

export const signatureListQuery = z.object({
  ...pageQuery,
  relationship: idFilter.optional(),
  unassigned: booleanFilter.optional(),
  ordering: z.string().max(200).optional(),
});
export type SignatureListQuery = z.infer<typeof signatureListQuery>;

export const assignBody = z.object({ relationship: foreignKey.nullable() });

const signatureFields = {
  id: z.number().int(),
  relationship: z.number().int().nullable(),
  sample_count: z.number().int(),
  first_seen_at: z.string(),
  last_seen_at: z.string(),
  created_at: z.string(),
};

export const faceSignatureOut = z.object({ ...signatureFields, thumbnail_url: z.string().nullable() });
export const voiceSignatureOut = z.object({ ...signatureFields, sample_url: z.string().nullable() });
