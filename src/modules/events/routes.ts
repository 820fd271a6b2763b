import type { ServerResponse } from 'node:http';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { EventBus } from '../../infra/events/index.js';
import { userChannel } from '../../pipeline/process-media.js';

/** A comment line this often keeps proxies and browsers from closing an idle stream. */
const HEARTBEAT_MS = 25_000;

/**
 * `GET /api/events/`: the signed-in user's events (`interaction.processing`, `note.created`, …) as
 * Server-Sent Events. Authenticated like every route, with the `Authorization` header: the web app
 * reads it with `fetch` streaming (EventSource cannot send headers, and a token in the URL would
 * end up in access logs). Each event is one `data:` line of JSON with its `type`; a `ready` event
 * says the subscription is live, so nothing published after it is missed.
 */
export const eventsRoutes: FastifyPluginAsyncZod<{ events: EventBus }> = async (app, { events }) => {
  const open = new Set<ServerResponse>();
  // Streams never go idle: end them so that closing the server does not wait for the clients.
  app.addHook('onClose', async () => {
    for (const res of open) res.end();
  });

  app.get(
    '/',
    {
      schema: {
        tags: ['events'],
        summary: 'Server-Sent Events of the signed-in user (processing progress, new notes)',
        produces: ['text/event-stream'],
      },
    },
    async (request, reply) => {
      reply.hijack();
      const res = reply.raw;
      res.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache, no-transform',
        connection: 'keep-alive',
        // nginx: do not buffer the stream.
        'x-accel-buffering': 'no',
        'x-request-id': request.id,
      });
      res.write('retry: 3000\n\n');
      open.add(res);
      const subscription = events.subscribe(userChannel(request.user.id), (event) => {
        res.write(`data: ${JSON.stringify(event)}\n\n`);
      });
      const heartbeat = setInterval(() => res.write(': keep-alive\n\n'), HEARTBEAT_MS);
      const stop = () => {
        clearInterval(heartbeat);
        subscription();
        open.delete(res);
      };
      res.once('close', stop);
      try {
        await subscription.ready;
      } catch (error) {
        request.log.warn({ err: error }, 'event subscription failed');
        res.end();
        return;
      }
      if (!res.writableEnded) res.write('event: ready\ndata: {}\n\n');
    },
  );
};
