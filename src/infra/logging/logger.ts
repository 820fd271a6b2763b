import pino, { type Logger, type LoggerOptions } from 'pino';
import type { AppConfig } from '../config/config.js';
import { redactAccessParam } from '../http/signed-urls.js';

/** Secrets that must never reach a log line, wherever they appear in a logged object. */
const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'headers.authorization',
  '*.password',
  '*.password_confirm',
  '*.token',
];

export function loggerOptions(config: Pick<AppConfig, 'logLevel' | 'prettyLogs'>): LoggerOptions {
  return {
    level: config.logLevel,
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    // Fastify's request fields, with signed media links (`?access=`) kept out of the log.
    serializers: {
      req: (req: {
        method: string;
        url: string;
        host?: string;
        ip?: string;
        socket?: { remotePort?: number };
      }) => ({
        method: req.method,
        url: redactAccessParam(req.url),
        host: req.host,
        remoteAddress: req.ip,
        remotePort: req.socket?.remotePort,
      }),
    },
    ...(config.prettyLogs ? { transport: { target: 'pino-pretty', options: { colorize: true } } } : {}),
  };
}

export function createLogger(config: Pick<AppConfig, 'logLevel' | 'prettyLogs'>): Logger {
  return pino(loggerOptions(config));
}

export type { Logger };
