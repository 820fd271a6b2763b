import websocket from '@fastify/websocket';
import type { FastifyInstance } from 'fastify';
import type { RawData } from 'ws';
import type { Services } from '../app.js';
import type { AppConfig } from '../infra/config/config.js';
import type { EventBus } from '../infra/events/index.js';
import type { InteractionsRepository } from '../modules/interactions/repository.js';
import type { LiveEngines } from './engines.js';
import { CLOSE } from './protocol.js';
import { CallRegistry } from './registry.js';
import { LiveSession } from './session.js';

export type LiveDeps = {
  config: AppConfig['live'];
  services: Services;
  interactions: InteractionsRepository;
  engines: LiveEngines;
  events?: EventBus;
};

/**
 * `ws://HOST/ws/call/{user_id}/?token=…`. The socket is accepted first and then closed with 4401
 * or 4403 when the token is wrong, as the spec asks, before anything is sent.
 */
export async function liveRoutes(app: FastifyInstance, deps: LiveDeps): Promise<void> {
  const { config, services } = deps;
  const registry = new CallRegistry(config, async (call) => {
    await call.end();
  });
  app.addHook('onClose', async () => {
    await registry.endAll();
  });
  await app.register(websocket, {
    // ws closes with 1009 past maxPayload; below it, oversize messages get an `error` and the
    // socket stays open (see LiveSession), so leave room above the configured limit.
    options: { maxPayload: Math.max(config.maxMessageBytes * 4, 16 * 1024 * 1024) },
  });

  app.route<{ Params: { userId: string }; Querystring: { token?: string } }>({
    method: 'GET',
    url: '/ws/call/:userId/',
    schema: { hide: true },
    // A plain HTTP request here is a client that forgot to upgrade: say so.
    handler: async (_request, reply) =>
      reply
        .code(426)
        .header('upgrade', 'websocket')
        .send({ detail: 'This endpoint speaks WebSocket: connect with ws:// and ?token=<key>.' }),
    wsHandler: async (socket, request) => {
      // Messages sent before the token is checked are kept and handled after, in order.
      const early: [RawData, boolean][] = [];
      const keep = (data: RawData, isBinary: boolean) => early.push([data, isBinary]);
      socket.on('message', keep);

      const token = typeof request.query.token === 'string' ? request.query.token : '';
      const user = token ? await services.users.authenticate(token).catch(() => null) : null;
      if (!user) {
        socket.close(CLOSE.badToken, 'Invalid or missing token.');
        return;
      }
      if (String(user.id) !== request.params.userId) {
        socket.close(CLOSE.otherUsersToken, 'This token belongs to another user.');
        return;
      }
      socket.off('message', keep);
      const log = request.log.child({ user: user.id });
      new LiveSession(
        socket,
        user.id,
        {
          config,
          registry,
          interactions: deps.interactions,
          interactionsService: services.interactions,
          relationships: services.relationships,
          notes: services.notes,
          signatures: services.signatures,
          engines: deps.engines,
          ...(deps.events ? { events: deps.events } : {}),
          log,
        },
        log,
      );
      for (const [data, isBinary] of early) socket.emit('message', data, isBinary);
    },
  });
}
