import type { AppConfig } from '../config/config.js';
import type { DatabaseHandle } from '../db/database.js';
import type { Logger } from '../logging/logger.js';
import { createBullmqQueue } from './bullmq.js';
import { createEmbeddedQueue } from './embedded.js';
import type { JobQueue } from './queue.js';

export type { BullmqQueueOptions } from './bullmq.js';
export type { EmbeddedQueueOptions } from './embedded.js';
export * from './queue.js';

export type CreateQueueOptions = {
  logger?: Logger;
  /** Redis key prefix for BullMQ (default `rapport`). */
  redisPrefix?: string;
  /** PostgreSQL schema of the embedded queue (default `pgboss`). */
  pgSchema?: string;
};

/** BullMQ when REDIS_URL is set; otherwise pg-boss on the application's database (PGlite or server). */
export function createQueue(
  config: AppConfig,
  database: DatabaseHandle,
  options: CreateQueueOptions = {},
): Promise<JobQueue> {
  if (config.redisUrl) {
    return createBullmqQueue(config, { logger: options.logger, prefix: options.redisPrefix });
  }
  return createEmbeddedQueue(config, database, { logger: options.logger, schema: options.pgSchema });
}
