import { z } from 'zod';

/** Largest value of a Postgres `integer`; larger ids cannot exist. */
export const MAX_ID = 2_147_483_647;

/** An object id in a path: anything else is a 404 (see the error handler). */
export const idParams = z.object({ id: z.coerce.number().int().positive().max(MAX_ID) });

/**
 * An id used as a filter. Not an integer → 400. An integer no row can have (0, negative, too large)
 * is still a valid filter that matches nothing, so it maps to -1.
 */
export const idFilter = z
  .string()
  .regex(/^-?\d+$/, 'Enter a whole number.')
  .transform((v) => {
    const n = Number(v);
    return n > 0 && n <= MAX_ID ? n : -1;
  });

export const booleanFilter = z
  .enum(['true', 'false', 'True', 'False', '1', '0'])
  .transform((v) => v === 'true' || v === 'True' || v === '1');

/** Accepts `2026-11-24` or a full ISO-8601 date-time; a date means its start in UTC. */
export const dateTimeFilter = z
  .string()
  .refine(
    (v) => /^\d{4}-\d{2}-\d{2}([T ][\d:.]+(Z|[+-]\d{2}:?\d{2})?)?$/.test(v) && !Number.isNaN(Date.parse(v)),
    {
      message: 'Enter a valid date/time.',
    },
  )
  .transform((v) => new Date(/^\d{4}-\d{2}-\d{2}$/.test(v) ? `${v}T00:00:00Z` : v));

/** Search terms: whitespace-separated, each must match (DRF SearchFilter). */
export function searchTerms(search: string | undefined): string[] {
  return (search ?? '')
    .split(/[\s,]+/)
    .filter(Boolean)
    .slice(0, 20);
}

/** Escapes LIKE wildcards so a user's `%` or `_` matches itself. */
export function likePattern(term: string): string {
  return `%${term.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

/**
 * `?ordering=a,-b` restricted to the fields a list allows; unknown fields are ignored, as DRF's
 * OrderingFilter does. Returns the default when nothing valid is left.
 */
export function parseOrdering<F extends string>(
  value: string | undefined,
  allowed: readonly F[],
  fallback: { field: F; desc: boolean }[],
): { field: F; desc: boolean }[] {
  const parsed = (value ?? '')
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean)
    .map((part) => ({ field: part.replace(/^-/, '') as F, desc: part.startsWith('-') }))
    .filter((o) => allowed.includes(o.field));
  return parsed.length > 0 ? parsed : fallback;
}
