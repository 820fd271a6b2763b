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

/** A URL with the value of any `token` query parameter hidden (live-call sockets carry one). */
export function redactUrl(url: string): string {
  return url.replace(/([?&]token=)[^&#]*/gi, '$1[redacted]');
}

type LoggedRequest = {
  method: string;
  url: string;
  host?: string;
  ip?: string;
  socket?: { remotePort?: number };
};

export function loggerOptions(config: Pick<AppConfig, 'logLevel' | 'prettyLogs'>): LoggerOptions {
  return {
    level: config.logLevel,
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    serializers: {
      // Fastify's request fields, with secrets in query strings (live-call tokens, signed media
      // links) hidden.
      req: (request: LoggedRequest) => ({
        method: request.method,
        url: redactAccessParam(redactUrl(request.url)),
        host: request.host,
        remoteAddress: request.ip,
        remotePort: request.socket?.remotePort,
      }),
    },
    ...(config.prettyLogs ? { transport: { target: 'pino-pretty', options: { colorize: true } } } : {}),
  };
}

export function createLogger(config: Pick<AppConfig, 'logLevel' | 'prettyLogs'>): Logger {
  return pino(loggerOptions(config));
}

export type { Logger };
