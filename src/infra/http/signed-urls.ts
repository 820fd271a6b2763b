import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Short-lived links to one GET path for one user, for the places a browser cannot send an
 * `Authorization` header (`<video src>`, `<audio src>`, which must stream with HTTP Range).
 * `access=<user>.<expires>.<HMAC-SHA256(secret, user.expires.path)>`: it opens that one path, read
 * only, until it expires, and is redacted from logs.
 */
export class UrlSigner {
  private readonly secret: Buffer;

  /** Without a secret, one is made per process: links then work only on the process that made them. */
  constructor(secret: string | undefined) {
    this.secret = secret ? Buffer.from(secret, 'utf8') : randomBytes(32);
  }

  private mac(userId: number, expires: number, path: string): Buffer {
    return createHmac('sha256', this.secret).update(`${userId}.${expires}.${path}`).digest();
  }

  /** The `access` value for `path`, valid until `expiresAt`. */
  sign(userId: number, path: string, expiresAt: Date): string {
    const expires = Math.floor(expiresAt.getTime() / 1000);
    return `${userId}.${expires}.${this.mac(userId, expires, path).toString('base64url')}`;
  }

  /** The user an `access` value was made for, if it is genuine, unexpired and for this path. */
  verify(access: string, path: string, now = new Date()): number | undefined {
    const match = /^(\d{1,10})\.(\d{1,12})\.([\w-]{43})$/.exec(access);
    if (!match) return undefined;
    const userId = Number(match[1]);
    const expires = Number(match[2]);
    if (expires * 1000 < now.getTime()) return undefined;
    const given = Buffer.from(match[3]!, 'base64url');
    const expected = this.mac(userId, expires, path);
    return given.length === expected.length && timingSafeEqual(given, expected) ? userId : undefined;
  }
}

/** `access=…` in a URL, replaced for log lines. */
export function redactAccessParam(url: string): string {
  return url.replace(/([?&]access=)[^&#]*/g, '$1[redacted]');
}
