import { z } from 'zod';
import { parseDateOrDateTime } from './datetime.js';

/** Largest value of a Postgres `integer`; larger ids cannot exist. */
export const MAX_ID = 2_147_483_647;

/**
 * An object id in a path, digits only as Django's `<int:pk>` converter takes it: anything else
 * (`0x1`, `+1`, ` 1`, `1e3`, `0`, beyond Postgres `integer`) is a 404 (see the error handler).
 */
export const idParams = z.object({
  id: z
    .string()
    .regex(/^\d{1,10}$/)
    .transform(Number)
    .pipe(z.number().int().positive().max(MAX_ID)),
});

/**
 * As django-filter does, an empty value (`?relationship=`, which HTML forms and many clients send)
 * applies no filter rather than failing.
 */
export const filterValue = <T extends z.ZodType>(schema: T) =>
  z.preprocess((v) => (v === '' ? undefined : v), schema.optional());

/**
 * An id used as a filter. Not an integer → 400. An integer no row can have (0, negative, too large)
 * is still a valid filter that matches nothing, so it maps to -1. Empty: no filter.
 */
export const idFilter = filterValue(
  z
    .string()
    .regex(/^-?\d+$/, 'Enter a whole number.')
    .transform((v) => {
      const n = Number(v);
      return n > 0 && n <= MAX_ID ? n : -1;
    }),
);

/** `true`/`false` as django-filter's BooleanFilter reads them (also `True`, `1`, …). Empty: no filter. */
export const booleanFilter = filterValue(
  z
    .enum(['true', 'false', 'True', 'False', '1', '0'])
    .transform((v) => v === 'true' || v === 'True' || v === '1'),
);

/**
 * Accepts `2026-11-24` or an ISO-8601 date-time; a date means its start in UTC, and so does a time
 * without an offset (never the server's local zone). No such day, or a year outside 1–9999 → 400.
 * Empty: no filter.
 */
export const dateTimeFilter = filterValue(
  z.string().transform((v, ctx) => {
    const parsed = parseDateOrDateTime(v);
    if (parsed.ok) return parsed.value;
    ctx.addIssue({ code: 'custom', input: v, message: 'Enter a valid date/time.' });
    return z.NEVER;
  }),
);

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
