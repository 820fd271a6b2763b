import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { DatabaseHandle } from '../../infra/db/database.js';

const healthOut = z.object({
  status: z.enum(['ok', 'error']),
  database: z.string(),
  database_kind: z.enum(['pglite', 'postgres']),
  queue: z.string(),
  version: z.string(),
  uptime_seconds: z.number(),
});

export const healthRoutes: FastifyPluginAsyncZod<{ database: DatabaseHandle; version: string }> = async (
  app,
  { database, version },
) => {
  app.get(
    '/',
    {
      config: { public: true },
      schema: {
        tags: ['health'],
        summary: 'Liveness and dependencies',
        response: { 200: healthOut, 503: healthOut },
      },
    },
    async (request, reply) => {
      let databaseStatus = 'ok';
      try {
        await database.ping();
      } catch (error) {
        request.log.error({ err: error }, 'health check: database unreachable');
        databaseStatus = 'error';
      }
      const ok = databaseStatus === 'ok';
      return reply.code(ok ? 200 : 503).send({
        status: ok ? 'ok' : 'error',
        database: databaseStatus,
        database_kind: database.kind,
        // No job queue yet: background work arrives with the media pipeline, run in-process.
        queue: 'inline',
        version,
        uptime_seconds: Math.round(process.uptime()),
      });
    },
  );
};
