import { createHash, randomBytes } from 'node:crypto';

/** A new API key: 40 hex characters, shown to the user once. */
export function generateTokenKey(): string {
  return randomBytes(20).toString('hex');
}

/** Only this hash is stored, so a leaked database does not leak working tokens. */
export function hashTokenKey(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}
