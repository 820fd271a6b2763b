import { z } from 'zod';
import { pageQuery } from '../../infra/http/pagination.js';
import { booleanFilter } from '../../infra/http/query.js';

export const ADMIN_USER_ORDERINGS = ['username', 'date_joined', 'last_login'] as const;

export const adminUserListQuery = z.object({
  ...pageQuery,
  search: z.string().max(1000).optional().describe('Case-insensitive substring of username, email or names'),
  is_active: booleanFilter,
  is_staff: booleanFilter,
  ordering: z
    .string()
    .max(200)
    .optional()
    .describe(`One of ${ADMIN_USER_ORDERINGS.join(', ')} (or -field)`),
});

export const adminUserPatchBody = z.object({
  is_active: z.boolean().optional(),
  is_staff: z.boolean().optional(),
});

export const adminUserOut = z.object({
  id: z.number().int(),
  username: z.string(),
  email: z.string(),
  first_name: z.string(),
  last_name: z.string(),
  date_joined: z.string(),
  last_login: z.string().nullable(),
  is_staff: z.boolean(),
  is_active: z.boolean(),
  tokens_count: z.number().int().describe('Signed-in devices'),
});

export const resetTokensOut = z.object({ revoked: z.number().int() });

export type AdminUserListQuery = z.infer<typeof adminUserListQuery>;
export type AdminUserPatchBody = z.infer<typeof adminUserPatchBody>;
export type AdminUserOut = z.infer<typeof adminUserOut>;
