import { z } from 'zod';
import { isIsoDate, parseIsoDateTime } from './datetime.js';
import { invalidPk } from './ownership.js';
import { MAX_ID } from './query.js';
import { pythonTypeName } from './zod-messages.js';

/** Field types shared by the modules' schemas, with DRF's empty-value conventions. */

/** Optional text: `""` when empty, never null. */
export const text = (max: number) => z.string().trim().max(max);

/** A valid email or `""`. */
export const optionalEmail = z
  .string()
  .trim()
  .max(254)
  .refine((v) => v === '' || z.email().safeParse(v).success, { message: 'Enter a valid email address.' });

const DATE_FORMAT = 'Date has wrong format. Use one of these formats instead: YYYY-MM-DD.';
const DATETIME_FORMAT =
  'Datetime has wrong format. Use one of these formats instead: YYYY-MM-DDThh:mm[:ss[.uuuuuu]][+HH:MM|-HH:MM|Z].';

/** A real calendar date `YYYY-MM-DD` of years 1–9999 (no `0000-01-01`, no February 30th). */
export const isoDate = z.string().refine(isIsoDate, { message: DATE_FORMAT });

/** An ISO-8601 date-time with an offset (or Z); stored in UTC. Impossible days and times are refused. */
export const isoDateTime = z.string().transform((v, ctx) => {
  const parsed = parseIsoDateTime(v, { offsetRequired: true });
  if (parsed.ok) return parsed.value;
  ctx.addIssue({
    code: 'custom',
    input: v,
    message: parsed.reason === 'range' ? 'Datetime value out of range.' : DATETIME_FORMAT,
  });
  return z.NEVER;
});

const incorrectPkType = (input: unknown) =>
  `Incorrect type. Expected pk value, received ${pythonTypeName(input)}.`;

/**
 * A foreign key in a request body: an integer, or its decimal string, as DRF's
 * PrimaryKeyRelatedField accepts. Ownership is checked by the service; an integer no row can have
 * (0, negative, beyond Postgres `integer`) is reported like a missing one, quoting what was sent.
 */
export const foreignKey = z
  .union([z.number(), z.string()], {
    error: (issue) => {
      if (issue.input === undefined) return 'This field is required.';
      if (issue.input === null) return 'This field may not be null.';
      return incorrectPkType(issue.input);
    },
  })
  .transform((value, ctx) => {
    const raw = typeof value === 'string' ? value.trim() : value;
    const integral = typeof raw === 'number' ? Number.isInteger(raw) : /^[+-]?\d+$/.test(raw);
    const id = Number(raw);
    if (integral && id > 0 && id <= MAX_ID) return id;
    ctx.addIssue({
      code: 'custom',
      input: value,
      message: integral
        ? invalidPk(typeof value === 'string' ? value : String(value))
        : incorrectPkType(value),
    });
    return z.NEVER;
  });

/**
 * A list of foreign keys (DRF's `many=True` related field): item problems are reported flat on the
 * list, `{"participants": ['Invalid pk "9" - object does not exist.']}`. Duplicates are dropped.
 */
export const foreignKeyList = (max: number) =>
  z
    .array(z.unknown())
    .max(max)
    .transform((items, ctx) => {
      const ids = new Set<number>();
      for (const item of items) {
        const result = foreignKey.safeParse(item);
        if (result.success) ids.add(result.data);
        else
          for (const issue of result.error.issues)
            ctx.addIssue({ code: 'custom', input: item, message: issue.message });
      }
      return [...ids];
    })
    .describe('List of object ids');

export const timestampOut = z.string();
