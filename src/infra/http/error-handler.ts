import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { registerBodyParsing } from './body-parsing.js';
import { ApiError, type FieldErrors } from './errors.js';

type ValidationIssue = { instancePath: string; message?: string };

/** `{"field": ["message"]}` from schema issues; issues on the whole body go to `non_field_errors`. */
export function fieldErrors(issues: ValidationIssue[]): FieldErrors {
  const out: FieldErrors = {};
  for (const issue of issues) {
    const [field, ...rest] = issue.instancePath.split('/').filter(Boolean);
    const key = field ?? 'non_field_errors';
    const message = issue.message ?? 'Invalid value.';
    const text = rest.length > 0 ? `Item ${rest.join('.')}: ${message}` : message;
    out[key] ??= [];
    if (!out[key].includes(text)) out[key].push(text);
  }
  return out;
}

function reply4xx(error: FastifyError): { status: number; body: Record<string, unknown> } | undefined {
  switch (error.code) {
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return { status: 400, body: { detail: 'JSON parse error - the request body is empty.' } };
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return { status: 400, body: { detail: `JSON parse error - ${error.message}` } };
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return { status: 415, body: { detail: 'Unsupported media type in request.' } };
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return { status: 413, body: { detail: 'Request body is too large.' } };
  }
  // Fastify's JSON parser reports malformed JSON as a SyntaxError with status 400.
  if (error instanceof SyntaxError && error.statusCode === 400) {
    return { status: 400, body: { detail: `JSON parse error - ${error.message}` } };
  }
  if (error.statusCode && error.statusCode >= 400 && error.statusCode < 500) {
    return { status: error.statusCode, body: { detail: error.message } };
  }
  return undefined;
}

/**
 * Fastify's `frameworkErrors` option: errors the router raises before any route or error handler
 * runs. A path that cannot be percent-decoded (`/api/notes/%zz/`) or whose id is longer than the
 * router's limit names no object: `404 {"detail": "Not found."}` in the API's shape instead of
 * Fastify's own `{"error", "code", "message", "statusCode"}` body (and its 414).
 */
export function frameworkErrors(error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  if (error.code === 'FST_ERR_BAD_URL' || error.code === 'FST_ERR_MAX_PARAM_LENGTH') {
    reply.code(404).send({ detail: 'Not found.' });
    return;
  }
  request.log.error({ err: error }, 'router error');
  reply.code(500).send({ detail: 'A server error occurred.' });
}

/**
 * DRF-shaped answers for everything that goes wrong in a request, including the request body
 * itself (see body-parsing.ts: unsupported types, malformed JSON, NUL characters).
 */
export function registerErrorHandlers(app: FastifyInstance): void {
  registerBodyParsing(app);
  app.setNotFoundHandler((_request, reply) => {
    reply.code(404).send({ detail: 'Not found.' });
  });

  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (error instanceof ApiError) {
      return reply.code(error.statusCode).headers(error.headers).send(error.body);
    }
    if (hasZodFastifySchemaValidationErrors(error)) {
      // A malformed id in the path is a URL that does not exist, as in Django's URL routing.
      if (error.validationContext === 'params') return reply.code(404).send({ detail: 'Not found.' });
      return reply.code(400).send(fieldErrors(error.validation));
    }
    const clientError = reply4xx(error);
    if (clientError) return reply.code(clientError.status).send(clientError.body);
    request.log.error({ err: error }, 'unhandled error');
    return reply.code(500).send({ detail: 'A server error occurred.' });
  });
}
