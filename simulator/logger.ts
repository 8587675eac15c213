import pino, { type Logger } from 'pino';

/** Structured JSON logs of the simulator's command; credentials never reach them. */
export function createLogger(level: string): Logger {
  return pino({
    level,
    base: { service: 'telephony-simulator' },
    redact: { paths: ['*.password', '*.apiKey', '*.connectorKey', '*.token'], censor: '[redacted]' },
  });
}
