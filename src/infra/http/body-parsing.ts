import type { FastifyInstance } from 'fastify';
import { ApiError, badRequest, type FieldErrors } from './errors.js';

/** DRF's message for a NUL in a text field (Django's ProhibitNullCharactersValidator). */
export const NULL_CHARACTERS = 'Null characters are not allowed.';

const jsonParseError = (reason: string) => new ApiError(400, { detail: `JSON parse error - ${reason}` });

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

function containsNul(value: unknown, path: string[], found: string[][]): void {
  if (typeof value === 'string') {
    if (value.includes('\u0000')) found.push(path);
  } else if (Array.isArray(value)) {
    value.forEach((item, i) => {
      containsNul(item, [...path, String(i)], found);
    });
  } else if (isPlainObject(value)) {
    for (const [key, item] of Object.entries(value)) containsNul(item, [...path, key], found);
  }
}

/**
 * `{"field": ["Null characters are not allowed."]}` for every string holding a NUL, which no
 * PostgreSQL text value can store. Only plain JSON values are walked (not streams or buffers).
 */
export function nullCharacterErrors(data: unknown): FieldErrors {
  const found: string[][] = [];
  containsNul(data, [], found);
  const errors: FieldErrors = {};
  for (const [field, ...rest] of found) {
    const key = field ?? 'non_field_errors';
    const text = rest.length > 0 ? `Item ${rest.join('.')}: ${NULL_CHARACTERS}` : NULL_CHARACTERS;
    errors[key] ??= [];
    if (!errors[key].includes(text)) errors[key].push(text);
  }
  return errors;
}

/**
 * How request bodies are read, as DRF's parsers read them:
 * - JSON only (multipart is added by the routes that take uploads); any other type is a 415,
 *   including `text/plain`, which Fastify would otherwise hand to the schema as a string;
 * - malformed JSON is `400 {"detail": "JSON parse error - <reason>"}`;
 * - an empty body with a JSON content type is fine where a route takes no body (DELETE, logout),
 *   as many HTTP clients send the header on every request; where a route expects one it is a 400;
 * - a NUL character in any string of the (validated) body or query is a 400 naming the field,
 *   never a database error.
 */
export function registerBodyParsing(app: FastifyInstance): void {
  const secureJsonParse = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser(['application/json', 'text/plain']);
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    const text = body as string;
    if (text.length === 0) {
      if (request.routeOptions.schema?.body === undefined) return done(null, undefined);
      return done(jsonParseError('the request body is empty.'), undefined);
    }
    secureJsonParse(request, text, (error, value) => {
      if (!error) return done(null, value);
      let reason = 'Object contains a forbidden "__proto__" or "constructor" property.';
      try {
        JSON.parse(text);
      } catch (syntaxError) {
        reason = (syntaxError as Error).message;
      }
      done(jsonParseError(reason), undefined);
    });
  });

  app.addHook('preHandler', async (request) => {
    const errors = { ...nullCharacterErrors(request.query), ...nullCharacterErrors(request.body) };
    if (Object.keys(errors).length > 0) throw badRequest(errors);
  });
}
