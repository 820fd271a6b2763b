import { badRequest, type FieldErrors } from './errors.js';

/** DRF's message for a foreign key that does not exist (or, here, is not the user's). */
export const invalidPk = (id: number | string) => `Invalid pk "${id}" - object does not exist.`;

/**
 * Collects foreign-key problems of one request body and throws them together as one 400, so a
 * client learns every bad reference at once. Another user's id reads exactly like a missing one.
 */
export class ReferenceCheck {
  private readonly errors: FieldErrors = {};

  missing(field: string, ids: number[]): this {
    if (ids.length > 0) this.errors[field] = ids.map(invalidPk);
    return this;
  }

  throwIfAny(): void {
    if (Object.keys(this.errors).length > 0) throw badRequest(this.errors);
  }
}
