import pino, { type Logger } from 'pino';

/** Structured JSON logs; credentials never reach them. */
export function createLogger(level: string): Logger {
  return pino({
    level,
    base: { service: 'routing-gateway' },
    redact: {
      paths: ['req.headers.authorization', 'req.headers.cookie', '*.password', '*.adminPassword', '*.apiKey', '*.token'],
      censor: '[redacted]',
    },
  });
}
