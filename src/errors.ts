import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import { unwrapResolverError } from '@apollo/server/errors';

/**
 * The one place where coded errors are made and where anything else is turned into an answer a client may
 * see. Codes are part of the public contract (API.md): clients branch on `extensions.code`.
 */
export type ErrorCode =
  | 'UNAUTHENTICATED'
  | 'FORBIDDEN'
  | 'NOT_FOUND'
  | 'BAD_USER_INPUT'
  | 'CONFLICT'
  | 'TOO_MANY_REQUESTS'
  | 'QUERY_TOO_COMPLEX'
  | 'INTERNAL_SERVER_ERROR';

/** One problem with one input field; `field` is the input path, e.g. `input.groups[1].groupId`. */
export interface InputProblem {
  field: string;
  message: string;
}

function coded(code: ErrorCode, message: string, extra: Record<string, unknown> = {}): GraphQLError {
  return new GraphQLError(message, { extensions: { code, ...extra } });
}

export const errors = {
  /** `http: 401` when the whole request is refused (a bad credential), not one field. */
  unauthenticated: (message = 'Authentication required', whole = false) =>
    coded('UNAUTHENTICATED', message, whole ? { http: { status: 401 } } : {}),
  forbidden: (message = 'Not allowed') => coded('FORBIDDEN', message),
  /** The same answer for an object that does not exist and one of another company or hidden from the caller. */
  notFound: (what: string, field?: string) => coded('NOT_FOUND', `${what} not found`, field ? { field } : {}),
  conflict: (message: string, details: Record<string, unknown> = {}) => coded('CONFLICT', message, details),
  /** All problems of one input; `extensions.field` is the first, `extensions.problems` lists every one. */
  badInput: (problems: InputProblem[]) =>
    coded('BAD_USER_INPUT', problems.map((p) => `${p.field}: ${p.message}`).join('; '), {
      field: problems[0]?.field,
      problems,
    }),
  /**
   * Refused for now: too many failed attempts of one sign-in or connector key, or from one address (decision 016).
   * HTTP 429 with `Retry-After`; `extensions.retryAfterSec` says when to try again.
   */
  tooManyRequests: (message: string, retryAfterSec: number) =>
    coded('TOO_MANY_REQUESTS', `${message}; try again in ${retryAfterSec} s`, {
      retryAfterSec,
      http: { status: 429, headers: new Map([['retry-after', String(retryAfterSec)]]) },
    }),
  /** Work over a stated limit (the cost rule, the statistics bounds): HTTP 400; the message says how to narrow it. */
  tooComplex: (message: string, details: Record<string, unknown> = {}) =>
    coded('QUERY_TOO_COMPLEX', message, { ...details, http: { status: 400 } }),
  /** A call flow that cannot be published: every problem, each with the node it concerns (null: the whole flow). */
  invalidFlow: (problems: Array<{ nodeId: string | null; message: string }>) =>
    coded('BAD_USER_INPUT', `The call flow cannot be published: ${problems.map((p) => (p.nodeId ? `${p.nodeId}: ${p.message}` : p.message)).join('; ')}`, {
      field: 'id',
      problems,
    }),
};

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
 * Shapes every error before it leaves the process: coded errors pass (without stack traces); anything else
 * (a driver error with SQL in it, a bug) becomes INTERNAL_SERVER_ERROR and is reported to `onInternal`.
 */
export function formatClientError(
  formatted: GraphQLFormattedError,
  raw: unknown,
  onInternal: (error: unknown) => void,
): GraphQLFormattedError {
  const original = unwrapResolverError(raw);
  // Limit rules report through graphql validation, which Apollo re-codes; keep their own code.
  const cause = raw instanceof GraphQLError ? raw.originalError : undefined;
  const code = cause instanceof GraphQLError && cause.extensions?.code === 'QUERY_TOO_COMPLEX'
    ? 'QUERY_TOO_COMPLEX'
    : String(formatted.extensions?.code ?? '');
  if (PASS_THROUGH.has(code)) {
    // `http` is Apollo's (status and headers of the answer); over WebSocket nothing takes it off before here.
    const { stacktrace: _dropped, http: _http, ...extensions } = formatted.extensions ?? {};
    if (code === 'BAD_USER_INPUT' && extensions.field === undefined) {
      const field = variableField(formatted.message);
      if (field) extensions.field = field;
    }
    return { message: formatted.message, locations: formatted.locations, path: formatted.path, extensions: { ...extensions, code } };
  }
  onInternal(original);
  return { message: 'Internal server error', path: formatted.path, extensions: { code: 'INTERNAL_SERVER_ERROR' } };
}

/**
 * The input path of a variable that graphql-js could not coerce (its messages are the only place it says):
 * `Variable "$i" got invalid value 2147483648 at "i.maxSimultaneousCalls"; ...` gives `i.maxSimultaneousCalls`.
 */
function variableField(message: string): string | undefined {
  const m = /^Variable "\$(\w+)" got invalid value .*? at "([^"]+)"/s.exec(message) ?? /^Variable "\$(\w+)"/.exec(message);
  return m ? (m[2] ?? m[1]) : undefined;
}

/**
 * What the logs keep of an internal error: its kind, message, code and stack, never the query parameters a
 * driver error carries (they can hold hashes and other values of the request).
 */
export function loggableError(error: unknown): Record<string, unknown> {
  if (!(error instanceof Error)) return { message: String(error) };
  const driver = (error as { driverError?: { code?: string } }).driverError;
  return { type: error.name, message: error.message, code: driver?.code, stack: error.stack };
}
