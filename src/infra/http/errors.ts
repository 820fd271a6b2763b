/** Errors that become DRF-shaped HTTP responses (see error-handler.ts). */
export class ApiError extends Error {
  constructor(
    readonly statusCode: number,
    readonly body: Record<string, unknown>,
    readonly headers: Record<string, string> = {},
  ) {
    super(typeof body.detail === 'string' ? body.detail : `HTTP ${statusCode}`);
  }
}

export type FieldErrors = Record<string, string[]>;

export const notFound = () => new ApiError(404, { detail: 'Not found.' });
export const invalidPage = () => new ApiError(404, { detail: 'Invalid page.' });
export const badRequest = (fields: FieldErrors) => new ApiError(400, fields);
export const nonFieldError = (message: string) => badRequest({ non_field_errors: [message] });
export const unauthorized = (detail: string) =>
  new ApiError(401, { detail }, { 'www-authenticate': 'Token' });
export const forbidden = (detail = 'You do not have permission to perform this action.') =>
  new ApiError(403, { detail });
export const throttled = (retryAfterSeconds: number) =>
  new ApiError(
    429,
    { detail: `Request was throttled. Expected available in ${retryAfterSeconds} seconds.` },
    { 'retry-after': String(retryAfterSeconds) },
  );
