import type { ApolloServerPlugin, BaseContext, GraphQLRequestListener } from '@apollo/server';
import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import { DomainError, type DomainErrorKind } from '../errors';
import { databaseUnavailableError } from '../store/persistence';

/**
 * THE mapping of errors to answers, for every transport (HTTP through Apollo Server, WebSocket through
 * graphql-ws): a domain error (errors.ts) becomes the code of its kind, its details as extensions and, over
 * HTTP, the status (and headers) of the answer; the errors GraphQL itself reports (parse, validation, the
 * limits) keep their codes; a database that cannot be reached (the store recognises it) becomes
 * SERVICE_UNAVAILABLE, retryable; anything else becomes INTERNAL_SERVER_ERROR, with no internals in it.
 */

/** The part of an HTTP answer an error decides (Apollo Server's `extensions.http`). */
export interface ErrorHttp {
  status: number;
  headers?: Map<string, string>;
}

/**
 * The HTTP status of each kind: `always` whatever refused (the whole answer is about it), `request` when the
 * error refuses the whole request (`refusesRequest`); otherwise the answer is 200 with the error beside the data.
 */
const STATUS: Readonly<Record<DomainErrorKind, { always?: number; request?: number }>> = {
  UNAUTHENTICATED: { request: 401 },
  FORBIDDEN: {},
  NOT_FOUND: {},
  BAD_USER_INPUT: { request: 400 },
  CONFLICT: {},
  TOO_MANY_REQUESTS: { always: 429 },
  QUERY_TOO_COMPLEX: { always: 400 },
  SERVICE_UNAVAILABLE: { always: 503 },
};

/** What an HTTP answer carrying this domain error says in its status and headers, if anything. */
export function httpOf(error: DomainError): ErrorHttp | undefined {
  const status = STATUS[error.kind];
  const code = status.always ?? (error.refusesRequest ? status.request : undefined);
  if (code === undefined) return undefined;
  const retryAfterSec = error.details.retryAfterSec;
  return (error.kind === 'TOO_MANY_REQUESTS' || error.kind === 'SERVICE_UNAVAILABLE') && typeof retryAfterSec === 'number'
    ? { status: code, headers: new Map([['retry-after', String(retryAfterSec)]]) }
    : { status: code };
}

/** A domain error's extensions as clients see them: the code of its kind and its details. */
export function extensionsOf(error: DomainError): Record<string, unknown> {
  return { ...error.details, code: error.kind };
}

/**
 * The domain error behind an error, through the wrappings of graphql-js, graphql-jit and Apollo Server; undefined if none.
 * A database failure that the store did not turn into a domain error itself (a read outside its helpers) but
 * recognises as the database being unreachable is answered as the store would have: SERVICE_UNAVAILABLE.
 */
export function domainErrorOf(error: unknown): DomainError | undefined {
  let current = error;
  for (let depth = 0; depth < 5 && current !== null && typeof current === 'object'; depth += 1) {
    if (current instanceof DomainError) return current;
    if (!(current instanceof GraphQLError)) {
      const unavailable = databaseUnavailableError(current);
      if (unavailable !== undefined) return unavailable;
    }
    current = (current as { originalError?: unknown }).originalError;
  }
  return undefined;
}

/**
 * A domain error as a GraphQL error, for what is answered outside a resolver: a refusal by the admission (graphql-ws
 * takes GraphQL errors only), a credential refused while Apollo Server builds the context. It carries the HTTP
 * part Apollo Server reads (`extensions.http`), which formatClientError takes off again.
 */
export function toGraphQLError(error: DomainError): GraphQLError {
  const http = httpOf(error);
  return new GraphQLError(error.message, { originalError: error, extensions: http === undefined ? extensionsOf(error) : { ...extensionsOf(error), http } });
}

/** An error as Apollo Server should see it outside a resolver: a domain error as its GraphQL error (see toGraphQLError), anything else as it is. */
export function asGraphQLError(error: unknown): unknown {
  const domain = error instanceof DomainError ? error : databaseUnavailableError(error);
  return domain !== undefined ? toGraphQLError(domain) : error;
}

/** The codes an error GraphQL or Apollo Server itself made may keep (the rest are internal). */
const PASS_THROUGH = new Set([
  'UNAUTHENTICATED',
  'FORBIDDEN',
  'NOT_FOUND',
  'BAD_USER_INPUT',
  'CONFLICT',
  'TOO_MANY_REQUESTS',
  'GRAPHQL_PARSE_FAILED',
  'GRAPHQL_VALIDATION_FAILED',
  'BAD_REQUEST',
  'PERSISTED_QUERY_NOT_FOUND',
  'PERSISTED_QUERY_NOT_SUPPORTED',
  'OPERATION_RESOLUTION_FAILURE',
  'QUERY_TOO_COMPLEX',
]);

/**
 * Shapes every error before it leaves the process, over HTTP (Apollo Server's `formatError`) and WebSocket:
 * a domain error becomes its code and details; an error GraphQL or Apollo Server made keeps its code (without
 * stack traces); anything else (a driver error with SQL in it, a bug) becomes INTERNAL_SERVER_ERROR and is
 * reported to `onInternal`.
 */
export function formatClientError(
  formatted: GraphQLFormattedError,
  raw: unknown,
  onInternal: (error: unknown) => void,
): GraphQLFormattedError {
  const domain = domainErrorOf(raw);
  let message = formatted.message;
  let extensions: Record<string, unknown>;
  if (domain !== undefined) {
    message = domain.message;
    extensions = extensionsOf(domain);
  } else {
    // Limit rules report through graphql validation, which Apollo re-codes; keep their own code.
    const cause = raw instanceof GraphQLError ? raw.originalError : undefined;
    const code = cause instanceof GraphQLError && cause.extensions?.code === 'QUERY_TOO_COMPLEX'
      ? 'QUERY_TOO_COMPLEX'
      : String(formatted.extensions?.code ?? '');
    if (!PASS_THROUGH.has(code)) {
      onInternal(raw instanceof GraphQLError && raw.originalError !== undefined ? raw.originalError : raw);
      return { message: 'Internal server error', path: formatted.path, extensions: { code: 'INTERNAL_SERVER_ERROR' } };
    }
    // `http` is Apollo's (status and headers of the answer); over WebSocket nothing takes it off before here.
    const { stacktrace: _dropped, http: _http, ...rest } = formatted.extensions ?? {};
    extensions = { ...rest, code };
  }
  if (extensions.code === 'BAD_USER_INPUT' && extensions.field === undefined) {
    const field = variableField(message);
    if (field) extensions.field = field;
  }
  return { message, locations: formatted.locations, path: formatted.path, extensions };
}

/**
 * The input path of a variable that graphql-js could not coerce (its messages are the only place it says):
 * `Variable "$i" got invalid value 2147483648 at "i.maxSimultaneousCalls"; ...` gives `i.maxSimultaneousCalls`.
 */
function variableField(message: string): string | undefined {
  const m = /^Variable "\$(\w+)" got invalid value .*? at "([^"]+)"/s.exec(message) ?? /^Variable "\$(\w+)"/.exec(message);
  return m ? (m[2] ?? m[1]) : undefined;
}

/** Sets the HTTP part of every error of a request that carries a domain error deciding it. */
const statusListener: GraphQLRequestListener<BaseContext> = {
  async didEncounterErrors({ errors }) {
    for (const error of errors) {
      const domain = domainErrorOf(error);
      const http = domain === undefined ? undefined : httpOf(domain);
      // graphql-js and graphql-jit gave the error the domain error's extensions (a copy of its own).
      if (http !== undefined && error.extensions !== undefined) (error.extensions as Record<string, unknown>).http = http;
    }
  },
};

/**
 * The Apollo Server plugin that gives an HTTP answer the status (and headers) its domain errors decide: a
 * resolver's TOO_MANY_REQUESTS is answered 429 with `Retry-After`, a QUERY_TOO_COMPLEX 400. Apollo Server
 * reads `extensions.http` of each error when it formats them, just after this hook.
 */
export function domainErrorStatus<C extends BaseContext>(): ApolloServerPlugin<C> {
  return {
    async requestDidStart() {
      return statusListener as GraphQLRequestListener<C>;
    },
  };
}

/** The status of each kind when the answer is a download, not a GraphQL response: the whole answer is the error. */
const DOWNLOAD_STATUS: Readonly<Record<DomainErrorKind, number>> = {
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  BAD_USER_INPUT: 400,
  CONFLICT: 409,
  TOO_MANY_REQUESTS: 429,
  QUERY_TOO_COMPLEX: 400,
  SERVICE_UNAVAILABLE: 503,
};

/**
 * The coded JSON answer of an HTTP download refused before its first byte (the statistics export): the same
 * codes, messages and Retry-After as over GraphQL, with the status of the error's kind; anything not a domain
 * error is INTERNAL_SERVER_ERROR with nothing of its internals (`internal` hears of it, to log it).
 */
export function downloadErrorAnswer(error: unknown, internal: (error: unknown) => void): { status: number; headers: Map<string, string>; body: { errors: Array<{ message: string; extensions: Record<string, unknown> }> } } {
  const domain = domainErrorOf(error);
  if (domain === undefined) {
    internal(error);
    return { status: 500, headers: new Map(), body: { errors: [{ message: 'Internal server error', extensions: { code: 'INTERNAL_SERVER_ERROR' } }] } };
  }
  return { status: DOWNLOAD_STATUS[domain.kind], headers: httpOf(domain)?.headers ?? new Map(), body: { errors: [{ message: domain.message, extensions: extensionsOf(domain) }] } };
}
