import { z } from 'zod';
import { MAX_ID } from './query.js';

/** Field types shared by the modules' schemas, with DRF's empty-value conventions. */

/** Optional text: `""` when empty, never null. */
export const text = (max: number) => z.string().trim().max(max);

/** A valid email or `""`. */
export const optionalEmail = z
  .string()
  .trim()
  .max(254)
  .refine((v) => v === '' || z.email().safeParse(v).success, { message: 'Enter a valid email address.' });

/** A real calendar date `YYYY-MM-DD`. */
export const isoDate = z.string().refine(
  (v) => {
    if (!/^\d{4}-\d{2}-\d{2}$/.test(v)) return false;
    const d = new Date(`${v}T00:00:00Z`);
    return !Number.isNaN(d.getTime()) && d.toISOString().startsWith(v);
  },
  { message: 'Date has wrong format. Use one of these formats instead: YYYY-MM-DD.' },
);

/** An ISO-8601 date-time with an offset (or Z); stored in UTC. */
export const isoDateTime = z
  .string()
  .refine((v) => /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/i.test(v), {
    message:
      'Datetime has wrong format. Use one of these formats instead: YYYY-MM-DDThh:mm[:ss[.uuuuuu]][+HH:MM|-HH:MM|Z].',
  })
  .refine((v) => !Number.isNaN(Date.parse(v)), { message: 'Enter a valid date/time.' })
  .transform((v) => new Date(v));

/**
 * A foreign key in a request body: a positive integer, or its decimal string as DRF accepts.
 * Ownership is checked by the service; an id no row can have is reported like a missing one.
 */
export const foreignKey = z
  .union([
    z.number().int(),
    z
      .string()
      .regex(/^\d{1,12}$/, 'Incorrect type. Expected pk value.')
      .transform(Number),
  ])
  .refine((id) => id > 0 && id <= MAX_ID, {
    error: (issue) => `Invalid pk "${String(issue.input)}" - object does not exist.`,
  });

export const timestampOut = z.string();
