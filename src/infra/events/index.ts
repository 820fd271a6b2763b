import type { AppConfig } from '../config/config.js';
import { createLogger, type Logger } from '../logging/logger.js';
import type { EventBus } from './event-bus.js';
import { InProcessEventBus } from './memory.js';
import { RedisEventBus } from './redis.js';

export * from './event-bus.js';
export { InProcessEventBus } from './memory.js';
export { RedisEventBus, type RedisEventBusOptions } from './redis.js';

/** Redis pub/sub when REDIS_URL is set (several processes), in-process otherwise. */
export function createEventBus(
  config: AppConfig,
  options: { logger?: Logger; prefix?: string } = {},
): EventBus {
  const logger = options.logger ?? createLogger(config);
  if (config.redisUrl) return new RedisEventBus(config.redisUrl, { logger, prefix: options.prefix });
  return new InProcessEventBus(logger);
}
