import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { HeaderMap, type ApolloServer, type BaseContext } from '@apollo/server';
import { context as otelContext, propagation, SpanKind, trace as otelTrace } from '@opentelemetry/api';
import bodyParser from 'body-parser';
import type { Logger } from 'pino';
import { loggableError } from '../errors';
import { tracer } from '../platform/tracing';
import { asGraphQLError } from './error-mapping';

/** Whether a request is for the GraphQL endpoint: `/graphql` or `/graphql/`, in any letter case, with any query. */
export function isGraphqlPath(url: string | undefined): boolean {
  if (url === undefined) return false;
  const query = url.indexOf('?');
  let path = query < 0 ? url : url.slice(0, query);
  // An absolute-form target (`POST http://host/graphql`), as a proxy may send it.
  if (!path.startsWith('/')) {
    try {
      path = new URL(path).pathname;
    } catch {
      return false;
    }
  }
  return /^\/graphql\/?$/i.test(path);
}

/** A caller's `x-request-id` is echoed only when it is a safe token; otherwise one is made. */
const REQUEST_ID = /^[A-Za-z0-9._-]{1,64}$/;

export interface GraphqlEndpointOptions<C> {
  /** Largest request body; a larger one is answered 413. */
  maxBodyBytes: number;
  logger: Logger;
  /**
   * The operation's context, built once Apollo needs it. A domain error it throws (a credential refused:
   * UNAUTHENTICATED 401, TOO_MANY_REQUESTS 429) is answered as the error mapping says.
   */
  context(req: IncomingMessage, requestId: string): Promise<C>;
}

/** The coded JSON answer for a request that failed outside GraphQL (a body too large, malformed JSON). */
export function httpErrorAnswer(err: unknown): { status: number; body: { errors: Array<{ message: string; extensions: { code: string } }> } } {
  const given = (err as { status?: unknown } | null)?.status;
  const status = typeof given === 'number' && given >= 400 && given < 500 ? given : 500;
  const code = status === 413 ? 'PAYLOAD_TOO_LARGE' : status === 500 ? 'INTERNAL_SERVER_ERROR' : 'BAD_REQUEST';
  const message = status === 413 ? 'Request body too large' : status === 500 ? 'Internal server error' : 'Malformed request';
  return { status, body: { errors: [{ message, extensions: { code } }] } };
}

/**
 * `/graphql` over HTTP, straight on node:http: a request id (echoed in `x-request-id`), the JSON body
 * (body-parser, bounded), Apollo Server's own HTTP handling (`executeHTTPGraphQLRequest`, as its
 * integrations call it), and one log line per request. Every GraphQL request takes this path, so it holds
 * nothing else: no router, no per-request child logger.
 */
export function graphqlEndpoint<C extends BaseContext>(apollo: ApolloServer<C>, options: GraphqlEndpointOptions<C>): (req: IncomingMessage, res: ServerResponse) => void {
  const { logger } = options;
  const json = bodyParser.json({ limit: options.maxBodyBytes, type: ['application/json', 'application/graphql-response+json'] });

  const fail = (req: IncomingMessage, res: ServerResponse, requestId: string, err: unknown) => {
    const answer = httpErrorAnswer(err);
    if (answer.status === 500) logger.error({ err: loggableError(err), reqId: requestId }, 'request failed');
    if (res.headersSent) {
      res.destroy();
      return;
    }
    res.statusCode = answer.status;
    res.setHeader('content-type', 'application/json; charset=utf-8');
    res.end(JSON.stringify(answer.body));
    req.resume();
  };

  return (req, res) => {
    const given = req.headers['x-request-id'];
    const requestId = typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
    res.setHeader('x-request-id', requestId);
    // One line per request at info, and every failed one at error whatever the level; a request the client
    // gave up on before its answer is said too. Only what identifies a request: never headers
    // (Authorization carries tokens and keys) or bodies.
    const started = performance.now();
    const line = () => ({
      req: { id: requestId, method: req.method, url: req.url, remoteAddress: req.socket.remoteAddress },
      res: { statusCode: res.statusCode },
      responseTime: Math.round(performance.now() - started),
    });
    // The request's span (named after its operation once resolved: operationMetrics), continuing the trace of a
    // caller's `traceparent`; everything the operation does runs inside it. A no-op unless tracing is on.
    const span = tracer.startSpan('graphql', { kind: SpanKind.SERVER, attributes: { 'http.request.method': req.method ?? '', 'request.id': requestId } },
      propagation.extract(otelContext.active(), req.headers));
    res.once('close', () => {
      span.setAttribute('http.response.status_code', res.statusCode);
      span.end();
      if (!res.writableFinished) logger.info(line(), 'request aborted');
      else if (res.statusCode >= 500) logger.error(line(), 'request errored');
      else if (logger.isLevelEnabled('info')) logger.info(line(), 'request completed');
    });
    const parsed = (err?: unknown) => {
      if (err) return fail(req, res, requestId, err);
      const headers = new HeaderMap();
      for (const [key, value] of Object.entries(req.headers)) {
        if (value !== undefined) headers.set(key, Array.isArray(value) ? value.join(', ') : value);
      }
      const query = req.url!.indexOf('?');
      apollo
        .executeHTTPGraphQLRequest({
          httpGraphQLRequest: {
            method: req.method!.toUpperCase(),
            headers,
            search: query < 0 ? '' : req.url!.slice(query),
            body: (req as { body?: unknown }).body,
          },
          context: () =>
            options.context(req, requestId).catch((error: unknown) => {
              throw asGraphQLError(error);
            }),
        })
        .then(async (answer) => {
          for (const [key, value] of answer.headers) res.setHeader(key, value);
          res.statusCode = answer.status ?? 200;
          if (answer.body.kind === 'complete') {
            res.end(answer.body.string);
            return;
          }
          for await (const chunk of answer.body.asyncIterator) res.write(chunk);
          res.end();
        })
        .catch((error: unknown) => fail(req, res, requestId, error));
    };
    // Bound: the body's stream events would otherwise run the rest outside the request's span.
    json(req, res, otelContext.bind(otelTrace.setSpan(otelContext.active(), span), parsed));
  };
}
