/** GraphQL over HTTP to the gateway's public endpoint, as the signed-in user. */
import type { Operation } from './queries';

export interface GraphQLErrorShape {
  message: string;
  path?: Array<string | number>;
  extensions?: { code?: string; [key: string]: unknown };
}

/** A request that failed as a whole (or a field we needed): carries the API's error code. */
export class ApiError extends Error {
  constructor(message: string, readonly code: string, readonly status = 200) {
    super(message);
  }
}

export interface Answer<T> {
  data: T | null;
  errors: GraphQLErrorShape[];
}

/** The GraphQL endpoint beside the dashboard (served by the same gateway, so same origin). */
export const GRAPHQL_URL = new URL('../graphql', window.location.href).toString();
export const GRAPHQL_WS_URL = GRAPHQL_URL.replace(/^http/, 'ws');

let onUnauthenticated: (() => void) | null = null;

/** Called when any request answers UNAUTHENTICATED (the token expired or was revoked). */
export function whenUnauthenticated(handler: () => void): void {
  onUnauthenticated = handler;
}

/** Sends one operation; answers data and errors as they came (some fields may have failed). Typed by the operation (queries.ts). */
export async function request<T, V>(query: Operation<T, V>, variables: NoInfer<V>, token?: string | null): Promise<Answer<T>> {
  let res: Response;
  try {
    res = await fetch(GRAPHQL_URL, {
      method: 'POST',
      // application/json also satisfies the gateway's CSRF prevention.
      headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json, application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify({ query, variables }),
    });
  } catch {
    throw new ApiError('The gateway cannot be reached', 'NETWORK_ERROR', 0);
  }
  let body: { data?: T | null; errors?: GraphQLErrorShape[] };
  try {
    body = (await res.json()) as typeof body;
  } catch {
    throw new ApiError(`Unexpected answer (HTTP ${res.status})`, 'BAD_RESPONSE', res.status);
  }
  const errors = body.errors ?? [];
  if (token && errors.some((e) => e.extensions?.code === 'UNAUTHENTICATED')) onUnauthenticated?.();
  return { data: body.data ?? null, errors };
}

/** Sends one operation and answers its data, or throws the first error. */
export async function ok<T, V>(query: Operation<T, V>, variables: NoInfer<V>, token?: string | null): Promise<T> {
  const { data, errors } = await request(query, variables, token);
  const first = errors[0];
  if (first || data === null) throw new ApiError(first?.message ?? 'No data', first?.extensions?.code ?? 'UNKNOWN');
  return data;
}

export function codeOf(error: unknown): string {
  return error instanceof ApiError ? error.code : 'UNKNOWN';
}
