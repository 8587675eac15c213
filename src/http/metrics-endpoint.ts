import { timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { loggableError } from '../errors';

/** What serves the exposition text Prometheus scrapes. */
export interface MetricsSource {
  exposition(): Promise<{ contentType: string; body: string }>;
}

export const METRICS_PATH = '/metrics';

function answer(res: ServerResponse, status: number, code: string, message: string): void {
  res.statusCode = status;
  res.setHeader('content-type', 'application/json; charset=utf-8');
  res.end(JSON.stringify({ errors: [{ message, extensions: { code } }] }));
}

/** Whether `authorization` is exactly `Bearer <token>`, compared in constant time. */
function bearerMatches(authorization: string | undefined, token: string): boolean {
  const given = Buffer.from(authorization ?? '');
  const expected = Buffer.from(`Bearer ${token}`);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/**
 * GET /metrics: the exposition text, for `Authorization: Bearer <token>` only when a token is given (on the
 * public port), for anyone who reaches it otherwise (its own listener, off the public port). Anything but
 * GET is 405; a failure to gather is a coded 500, logged, never a stack trace.
 */
export function metricsHandler(metrics: MetricsSource, token: string | null, logger: Logger): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    if (token !== null && !bearerMatches(req.headers.authorization, token)) {
      res.setHeader('www-authenticate', 'Bearer');
      return answer(res, 401, 'UNAUTHENTICATED', 'The metrics need their bearer token');
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('allow', 'GET, HEAD');
      return answer(res, 405, 'METHOD_NOT_ALLOWED', 'Only GET reads the metrics');
    }
    metrics.exposition().then(
      ({ contentType, body }) => {
        res.statusCode = 200;
        res.setHeader('content-type', contentType);
        res.setHeader('cache-control', 'no-store');
        res.end(req.method === 'HEAD' ? undefined : body);
      },
      (err: unknown) => {
        logger.error({ err: loggableError(err) }, 'gathering the metrics failed');
        answer(res, 500, 'INTERNAL_SERVER_ERROR', 'The metrics could not be gathered');
      },
    );
  };
}

/** A listener of its own that serves only /metrics (everything else is 404). */
export function metricsServer(metrics: MetricsSource, logger: Logger): Server {
  const handle = metricsHandler(metrics, null, logger);
  return createServer((req, res) => {
    const path = (req.url ?? '').split('?')[0];
    if (path === METRICS_PATH) handle(req, res);
    else answer(res, 404, 'NOT_FOUND', 'Not found');
  });
}
