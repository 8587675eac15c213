/**
 * The errors of the domain: what the services, the store and authentication raise when a request cannot be
 * served as asked. They say what went wrong (a kind and its details), not how a transport answers it: the
 * GraphQL answer (codes, extensions, HTTP status and headers) is made of them in one place, the GraphQL
 * edge's error mapping. Codes are part of the public contract (API.md): clients branch on `extensions.code`,
 * and each kind is answered with the code of its name.
 */
export type DomainErrorKind =
  | 'UNAUTHENTICATED'
  | 'FORBIDDEN'
  | 'NOT_FOUND'
  | 'BAD_USER_INPUT'
  | 'CONFLICT'
  | 'TOO_MANY_REQUESTS'
  | 'QUERY_TOO_COMPLEX'
  | 'SERVICE_UNAVAILABLE';

/** Every code the gateway's own errors carry: the domain kinds, and what anything else becomes. */
export type ErrorCode = DomainErrorKind | 'INTERNAL_SERVER_ERROR';

/** One problem with one input field; `field` is the input path, e.g. `input.groups[1].groupId`. */
export interface InputProblem {
  field: string;
  message: string;
}

/** A request the domain refuses: its kind, a message for the client, and details (the field concerned...). */
export class DomainError extends Error {
  constructor(
    readonly kind: DomainErrorKind,
    message: string,
    /** What the client is told besides the message (`field`, `problems`, `retryAfterSec`, `currentVersion`...). */
    readonly details: Readonly<Record<string, unknown>> = {},
    /**
     * The whole request is refused, not one field of it: a credential that is not valid, inputs refused
     * before anything ran. The answer's HTTP status then says so (decided by the error mapping).
     */
    readonly refusesRequest = false,
  ) {
    super(message);
    this.name = 'DomainError';
  }

  /**
   * The kind and details as GraphQL extensions are spelled (`code` and the details): graphql-js and
   * graphql-jit copy an error's `extensions` onto the error of the field that threw it, and callers that
   * branch on `extensions.code` read it. A new object on each read. What an answer finally shows, and its
   * HTTP status, are the error mapping's.
   */
  get extensions(): Record<string, unknown> {
    return { ...this.details, code: this.kind };
  }
}

/** Whether an error is a domain error of this kind. */
export function isDomainError(error: unknown, kind?: DomainErrorKind): error is DomainError {
  return error instanceof DomainError && (kind === undefined || error.kind === kind);
}

/** When to try again, for a TOO_MANY_REQUESTS domain error; undefined for any other error. */
export function retryAfterSecOf(error: unknown): number | undefined {
  if (!isDomainError(error, 'TOO_MANY_REQUESTS')) return undefined;
  const sec = error.details.retryAfterSec;
  return typeof sec === 'number' ? sec : undefined;
}

/** The constructors of domain errors every layer uses; each returns a DomainError. */
export const errors = {
  /** `whole`: the whole request is refused (a bad credential), not one field. */
  unauthenticated: (message = 'Authentication required', whole = false) => new DomainError('UNAUTHENTICATED', message, {}, whole),
  forbidden: (message = 'Not allowed') => new DomainError('FORBIDDEN', message),
  /** The same answer for an object that does not exist and one of another company or hidden from the caller. */
  notFound: (what: string, field?: string) => new DomainError('NOT_FOUND', `${what} not found`, field ? { field } : {}),
  conflict: (message: string, details: Record<string, unknown> = {}) => new DomainError('CONFLICT', message, details),
  /**
   * All problems of one input; `field` is the first, `problems` lists every one. `whole`: refused before
   * anything ran (inputs out of bounds), not by the field that takes them.
   */
  badInput: (problems: InputProblem[], whole = false) =>
    new DomainError('BAD_USER_INPUT', problems.map((p) => `${p.field}: ${p.message}`).join('; '), { field: problems[0]?.field, problems }, whole),
  /**
   * Refused for now: too many failed attempts of one sign-in or connector key, or from one address (decision 016).
   * `retryAfterSec` says when to try again (over HTTP: 429 with `Retry-After`).
   */
  tooManyRequests: (message: string, retryAfterSec: number) =>
    new DomainError('TOO_MANY_REQUESTS', `${message}; try again in ${retryAfterSec} s`, { retryAfterSec }),
  /**
   * The request could not be served because the database cannot be reached for now (restarting): not
   * acknowledged, and retryable (`retryable: true`); `retryAfterSec` says when to try again (over HTTP: 503 with
   * `Retry-After`). A change whose connection was lost during its commit may still have been written (decision 021).
   */
  unavailable: (message: string, retryAfterSec: number) =>
    new DomainError('SERVICE_UNAVAILABLE', `${message}; try again in ${retryAfterSec} s`, { retryable: true, retryAfterSec }),
  /** Work over a stated limit (the cost rule, the statistics bounds); the message says how to narrow it. */
  tooComplex: (message: string, details: Record<string, unknown> = {}) => new DomainError('QUERY_TOO_COMPLEX', message, details),
  /** A call flow that cannot be published: every problem, each with the node it concerns (null: the whole flow). */
  invalidFlow: (problems: Array<{ nodeId: string | null; message: string }>) =>
    new DomainError('BAD_USER_INPUT', `The call flow cannot be published: ${problems.map((p) => (p.nodeId ? `${p.nodeId}: ${p.message}` : p.message)).join('; ')}`, {
      field: 'id',
      problems,
    }),
};

/**
 * What the logs keep of an internal error: its kind, message, code and stack, never the query parameters a
 * driver error carries (they can hold hashes and other values of the request).
 */
export function loggableError(error: unknown): Record<string, unknown> {
  if (!(error instanceof Error)) return { message: String(error) };
  const driver = (error as { driverError?: { code?: string } }).driverError;
  return { type: error.name, message: error.message, code: driver?.code, stack: error.stack };
}
