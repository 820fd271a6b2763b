import type { FastifyInstance, FastifyRequest } from 'fastify';
import { unauthorized } from '../../infra/http/errors.js';
import type { UrlSigner } from '../../infra/http/signed-urls.js';
import type { UserRow } from './repository.js';
import type { UsersService } from './service.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The authenticated user; set on every route that is not `config.public`. */
    user: UserRow;
    /** The API key the request was made with. */
    authToken: string;
  }
  interface FastifyContextConfig {
    /** Route needs no token (register, login, health, docs). */
    public?: boolean;
    /** A GET route that also opens with a signed `?access=` link instead of a token (media players). */
    signedUrl?: boolean;
  }
}

/**
 * `Authorization: Token <key>` as DRF's TokenAuthentication reads it (`Bearer` accepted too):
 * another scheme (or no header) means no credentials; `Token` alone or with several words is a
 * malformed header, each with DRF's message.
 */
export function tokenFromHeader(header: string | undefined): string | undefined {
  const parts = (header ?? '').split(/\s+/).filter(Boolean);
  if (parts.length === 0 || !/^(token|bearer)$/i.test(parts[0]!)) return undefined;
  if (parts.length === 1) throw unauthorized('Invalid token header. No credentials provided.');
  if (parts.length > 2) throw unauthorized('Invalid token header. Token string should not contain spaces.');
  return parts[1];
}

/** The path a signed link covers: the request's path with its trailing slash. */
function signedPath(url: string): string {
  const pathname = url.split('?')[0]!;
  return pathname.endsWith('/') ? pathname : `${pathname}/`;
}

export function registerAuthHook(app: FastifyInstance, users: UsersService, signer?: UrlSigner): void {
  app.decorateRequest('user', null as unknown as UserRow);
  app.decorateRequest('authToken', '');
  app.addHook('onRequest', async (request: FastifyRequest) => {
    // Unknown routes fall through to the 404 handler; only API routes need a token, docs excepted.
    const url = request.routeOptions.url;
    if (request.routeOptions.config.public || !url?.startsWith('/api/') || url.startsWith('/api/docs'))
      return;
    const key = tokenFromHeader(request.headers.authorization);
    const access = (request.query as { access?: unknown } | undefined)?.access;
    if (!key && signer && request.routeOptions.config.signedUrl && typeof access === 'string') {
      const userId = signer.verify(access, signedPath(request.url));
      if (userId === undefined) throw unauthorized('Invalid or expired link.');
      request.user = await users.authenticateUserId(userId);
      return;
    }
    if (!key) throw unauthorized('Authentication credentials were not provided.');
    request.user = await users.authenticate(key);
    request.authToken = key;
  });
}
