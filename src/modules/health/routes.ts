import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { DatabaseHandle } from '../../infra/db/database.js';
import type { JobQueue } from '../../infra/queue/index.js';
import { EventLoopMonitor } from './event-loop.js';

/** An AI engine as configured: which one, whether it can run, and why (or why not). */
export type EngineStatus = { name: string; available: boolean; reason: string | null };

const healthOut = z.object({
  status: z.enum(['ok', 'error']),
  database: z.string(),
  database_kind: z.enum(['pglite', 'postgres']),
  queue: z.enum(['redis', 'inline', 'error']),
  queue_depth: z.object({ waiting: z.number(), active: z.number(), failed: z.number() }).nullable(),
  version: z.string(),
  uptime_seconds: z.number(),
  /** How long ready callbacks waited on this process' event loop, over the last 10 s window (ms). */
  event_loop_delay_ms: z.object({
    p50: z.number(),
    p99: z.number(),
    max: z.number(),
    window_seconds: z.number(),
  }),
  /** AI engines: each says whether it can run here, and why not. */
  engines: z.record(
    z.string(),
    z.object({ name: z.string(), available: z.boolean(), reason: z.string().nullable() }),
  ),
});

/** What the health check asks of an engine: a cheap check, never a model load. */
export type EngineWithStatus = { status(): EngineStatus };

/** Engines whose status is known once, at start (the speech engines: files and libraries present). */
export function fixedStatuses(statuses: Record<string, EngineStatus>): Record<string, EngineWithStatus> {
  return Object.fromEntries(
    Object.entries(statuses).map(([kind, status]) => [kind, { status: () => status }]),
  );
}

export const healthRoutes: FastifyPluginAsyncZod<{
  database: DatabaseHandle;
  queue: JobQueue;
  version: string;
  engines: Record<string, EngineWithStatus>;
}> = async (app, { database, queue, version, engines }) => {
  const eventLoop = new EventLoopMonitor();
  app.addHook('onClose', async () => eventLoop.close());
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
        event_loop_delay_ms: eventLoop.read(),
        engines: Object.fromEntries(Object.entries(engines).map(([kind, engine]) => [kind, engine.status()])),
      });
    },
  );
};
