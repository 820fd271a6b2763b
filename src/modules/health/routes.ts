import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AppConfig } from '../../infra/config/config.js';
import type { DatabaseHandle } from '../../infra/db/database.js';
import type { JobQueue } from '../../infra/queue/index.js';
import { speechEngineStatus } from '../../pipeline/speech/engines.js';

/** An AI engine as configured: which one, whether it can run, and why (or why not). */
const engineStatus = z.object({ name: z.string(), available: z.boolean(), reason: z.string() });
export type EngineStatus = z.infer<typeof engineStatus>;

const healthOut = z.object({
  status: z.enum(['ok', 'error']),
  database: z.string(),
  database_kind: z.enum(['pglite', 'postgres']),
  queue: z.enum(['redis', 'inline', 'error']),
  queue_depth: z.object({ waiting: z.number(), active: z.number(), failed: z.number() }).nullable(),
  version: z.string(),
  uptime_seconds: z.number(),
  engines: z.object({
    asr: engineStatus,
    vad: engineStatus,
    voice: engineStatus,
    diarization: engineStatus,
    notes: engineStatus,
  }),
});

export const healthRoutes: FastifyPluginAsyncZod<{
  database: DatabaseHandle;
  queue: JobQueue;
  version: string;
  config: AppConfig;
  /** Engines whose status their owner reports (the notes engine). */
  engines: { notes: EngineStatus };
}> = async (app, { database, queue, version, config, engines: reported }) => {
  // Engine availability depends on files and libraries present at start; checked once.
  const engines = { ...speechEngineStatus(config), ...reported };
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
      let queueDepth: { waiting: number; active: number; failed: number } | null = null;
      try {
        queueDepth = await queue.depth();
      } catch (error) {
        request.log.error({ err: error }, 'health check: queue unreachable');
      }
      const ok = databaseStatus === 'ok' && queueDepth !== null;
      return reply.code(ok ? 200 : 503).send({
        status: ok ? 'ok' : 'error',
        database: databaseStatus,
        database_kind: database.kind,
        queue: queueDepth === null ? 'error' : queue.kind,
        queue_depth: queueDepth,
        version,
        uptime_seconds: Math.round(process.uptime()),
        engines,
      });
    },
  );
};
