import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { INSTRUCTION_KINDS as INSTRUCTION_KIND_NAMES } from '../realtime/event-bus';
import { ATTEMPT_OUTCOMES as ATTEMPT_OUTCOME_NAMES, type AttemptOutcome, type CallState } from '../routing/state-machine';
import type { AgentStatus } from '../routing/types';

/*
 * A thin client of the gateway's public GraphQL API, as a telephony platform (the connector) and its
 * administrator see it: queries and mutations over HTTP, telephony instructions over graphql-ws.
 */

// The API's enums are built from these lists, so the client's values are the API's.
export type { AgentStatus, AttemptOutcome, CallState };
export type CallEndReason = 'COMPLETED' | 'CALLER_HUNG_UP';
export type InstructionKind = keyof typeof INSTRUCTION_KIND_NAMES;

export const INSTRUCTION_KINDS = Object.keys(INSTRUCTION_KIND_NAMES) as InstructionKind[];
export const ATTEMPT_OUTCOMES = Object.keys(ATTEMPT_OUTCOME_NAMES) as AttemptOutcome[];

export interface AuthPayload {
  token: string;
  expiresAt: string;
}

export interface NamedNode {
  id: string;
  name: string;
}

export interface Call {
  id: string;
  connectorCallId: string;
  state: CallState;
}

export interface CallAttempt {
  id: string;
  state: string;
  outcome: AttemptOutcome | null;
}

export interface EnqueueCallInput {
  connectorCallId: string;
  queueId: string;
  /** The caller id as the network presented it (any form: `anonymous`, national, SIP URI...); never refused. */
  callerNumber?: string;
  serviceNumber?: string;
  priority?: number;
}

/** A new call to a service number: the gateway runs the published call flow of that number. */
export interface StartCallInput {
  connectorCallId: string;
  serviceNumber: string;
  /** The caller id as the network presented it (any form: `anonymous`, national, SIP URI...); never refused. */
  callerNumber?: string;
}

export interface AttemptOutcomeInput {
  eventId: string;
  attemptId: string;
  outcome: AttemptOutcome;
}

export interface EndCallInput {
  eventId: string;
  callId: string;
  reason: CallEndReason;
}

export interface TelephonyInstruction {
  instructionId: string;
  kind: InstructionKind;
  callId: string;
  attemptId: string | null;
  agentId: string | null;
  destinationId: string | null;
  number: string | null;
  ringTimeoutSec: number | null;
  message: string | null;
}

export interface GraphQLErrorShape {
  message: string;
  path?: ReadonlyArray<string | number>;
  extensions?: { code?: string; [key: string]: unknown };
}

/**
 * A refused or failed request. `code` is the first error's `extensions.code` (UNAUTHENTICATED, FORBIDDEN,
 * NOT_FOUND, BAD_USER_INPUT, CONFLICT, ...), else NETWORK (no answer), TIMEOUT, BAD_RESPONSE (not GraphQL) or
 * INTERNAL_SERVER_ERROR.
 */
export class GatewayError extends Error {
  override readonly name = 'GatewayError';

  constructor(
    message: string,
    readonly code: string,
    readonly errors: ReadonlyArray<GraphQLErrorShape> = [],
    readonly status?: number,
  ) {
    super(message);
  }

  static fromErrors(errors: ReadonlyArray<GraphQLErrorShape>, status?: number): GatewayError {
    const first = errors[0];
    const code = typeof first?.extensions?.code === 'string' ? first.extensions.code : 'INTERNAL_SERVER_ERROR';
    return new GatewayError(errors.map((e) => e.message).join('; ') || 'request failed', code, errors, status);
  }
}

/** The message of anything thrown (errors from another realm included). */
export function messageOf(error: unknown): string {
  const message = (error as { message?: unknown } | null)?.message;
  return typeof message === 'string' ? message : String(error);
}

/** The error code of anything thrown by this client (UNKNOWN for other errors). */
export function errorCode(error: unknown): string {
  return error instanceof GatewayError ? error.code : 'UNKNOWN';
}

export interface ConnectorClientOptions {
  /** GraphQL endpoint over HTTP, e.g. http://127.0.0.1:4000/graphql. */
  url: string;
  /** WebSocket endpoint; defaults to `url` with ws:// or wss://. */
  wsUrl?: string;
  /** A user token or a connector API key, sent as `Authorization: Bearer ...`. */
  token?: string;
  /** Per-request time limit in ms (default 15 000). */
  requestTimeoutMs?: number;
  /** Replaces global fetch (tests, instrumentation). */
  fetchImpl?: typeof fetch;
  /** Reconnection attempts of the WebSocket client before the subscription fails (default 5). */
  wsRetryAttempts?: number;
}

export interface InstructionHandlers {
  onInstruction(instruction: TelephonyInstruction): void;
  /** A subscription error: the stream has ended (after the WebSocket client's own retries). */
  onError?(error: GatewayError): void;
  /** The socket was acknowledged (again, when `wasRetry`). */
  onConnected?(wasRetry: boolean): void;
  /** The socket closed; the client reconnects unless its retries are spent. */
  onClosed?(code: number | undefined, reason: string | undefined): void;
  /** The server ended the stream. */
  onComplete?(): void;
}

export interface InstructionSubscription {
  /** Resolves once the socket is acknowledged and the subscription sent; rejects if that never happens. */
  ready: Promise<void>;
  /** Ends the subscription and closes the socket. */
  close(): Promise<void>;
}

/** http(s)://host/graphql -> ws(s)://host/graphql. */
export function toWebSocketUrl(httpUrl: string): string {
  const url = new URL(httpUrl);
  if (url.protocol === 'http:') url.protocol = 'ws:';
  else if (url.protocol === 'https:') url.protocol = 'wss:';
  return url.toString();
}

const LOGIN = `mutation Login($companySlug: String!, $username: String!, $password: String!) {
  login(companySlug: $companySlug, username: $username, password: $password) { token expiresAt }
}`;
const CREATE_CONNECTOR_API_KEY = `mutation CreateConnectorApiKey($name: String!) {
  createConnectorApiKey(name: $name) { apiKey }
}`;
const QUEUES = `query Queues($first: Int, $after: String) {
  queues(first: $first, after: $after) { nodes { id name } pageInfo { hasNextPage endCursor } }
}`;
const AGENTS = `query Agents($first: Int, $after: String) {
  agents(first: $first, after: $after) { nodes { id name } pageInfo { hasNextPage endCursor } }
}`;
const SET_AGENT_STATUS = `mutation SetAgentStatus($agentId: ID!, $status: AgentStatus!) {
  setAgentStatus(agentId: $agentId, status: $status) { id }
}`;
const ENQUEUE_CALL = `mutation EnqueueCall($input: EnqueueCallInput!) {
  enqueueCall(input: $input) { id connectorCallId state }
}`;
const START_CALL = `mutation StartCall($input: StartCallInput!) {
  startCall(input: $input) { id connectorCallId state }
}`;
const REPORT_ATTEMPT_OUTCOME = `mutation ReportAttemptOutcome($input: AttemptOutcomeInput!) {
  reportAttemptOutcome(input: $input) { id state outcome }
}`;
const END_CALL = `mutation EndCall($input: EndCallInput!) {
  endCall(input: $input) { id connectorCallId state }
}`;
const TELEPHONY_INSTRUCTIONS = `subscription TelephonyInstructions {
  telephonyInstructions { instructionId kind callId attemptId agentId destinationId number ringTimeoutSec message }
}`;

/** Every operation this client sends (checked against the published schema by a test). */
export const OPERATIONS = {
  LOGIN, CREATE_CONNECTOR_API_KEY, QUEUES, AGENTS, SET_AGENT_STATUS, ENQUEUE_CALL, START_CALL, REPORT_ATTEMPT_OUTCOME, END_CALL, TELEPHONY_INSTRUCTIONS,
} as const;

/** Largest page the list queries allow. */
const PAGE_SIZE = 500;

interface Page {
  nodes: NamedNode[];
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
}

export class ConnectorClient {
  readonly url: string;
  readonly wsUrl: string;
  private readonly token: string | undefined;
  private readonly requestTimeoutMs: number;
  private readonly fetchImpl: typeof fetch;
  private readonly wsRetryAttempts: number;

  constructor(options: ConnectorClientOptions) {
    this.url = options.url;
    this.wsUrl = options.wsUrl ?? toWebSocketUrl(options.url);
    this.token = options.token;
    this.requestTimeoutMs = options.requestTimeoutMs ?? 15_000;
    this.fetchImpl = options.fetchImpl ?? fetch;
    this.wsRetryAttempts = options.wsRetryAttempts ?? 5;
  }

  /** The same endpoint with another bearer token (a user token or a connector API key). */
  withToken(token: string): ConnectorClient {
    return new ConnectorClient({
      url: this.url, wsUrl: this.wsUrl, token, requestTimeoutMs: this.requestTimeoutMs, fetchImpl: this.fetchImpl,
      wsRetryAttempts: this.wsRetryAttempts,
    });
  }

  /** One GraphQL operation over HTTP; its `data`, or a GatewayError. */
  async request<T>(query: string, variables: Record<string, unknown> = {}): Promise<T> {
    const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json' };
    if (this.token) headers.authorization = `Bearer ${this.token}`;
    let response: Response;
    try {
      response = await this.fetchImpl(this.url, {
        method: 'POST', headers, body: JSON.stringify({ query, variables }), signal: AbortSignal.timeout(this.requestTimeoutMs),
      });
    } catch (error) {
      const { name } = (error ?? {}) as { name?: unknown };
      const timedOut = name === 'TimeoutError' || name === 'AbortError';
      const reason = messageOf(error);
      throw new GatewayError(timedOut ? `no answer within ${this.requestTimeoutMs} ms` : `gateway unreachable: ${reason}`, timedOut ? 'TIMEOUT' : 'NETWORK');
    }
    let body: { data?: T | null; errors?: GraphQLErrorShape[] };
    try {
      body = (await response.json()) as typeof body;
    } catch {
      throw new GatewayError(`HTTP ${response.status} without a GraphQL answer`, 'BAD_RESPONSE', [], response.status);
    }
    if (body.errors?.length) throw GatewayError.fromErrors(body.errors, response.status);
    if (body.data == null) throw new GatewayError(`HTTP ${response.status} without data`, 'BAD_RESPONSE', [], response.status);
    return body.data;
  }

  // Administration (user token)

  async login(companySlug: string, username: string, password: string): Promise<AuthPayload> {
    return (await this.request<{ login: AuthPayload }>(LOGIN, { companySlug, username, password })).login;
  }

  /** Creates a connector API key and returns its secret. */
  async createConnectorApiKey(name: string): Promise<string> {
    return (await this.request<{ createConnectorApiKey: { apiKey: string } }>(CREATE_CONNECTOR_API_KEY, { name })).createConnectorApiKey.apiKey;
  }

  /** Every queue the token may see (all pages). */
  listQueues(): Promise<NamedNode[]> {
    return this.allPages(QUEUES, 'queues');
  }

  /** Every agent the token may see (all pages). */
  listAgents(): Promise<NamedNode[]> {
    return this.allPages(AGENTS, 'agents');
  }

  async setAgentStatus(agentId: string, status: AgentStatus): Promise<{ id: string }> {
    return (await this.request<{ setAgentStatus: { id: string } }>(SET_AGENT_STATUS, { agentId, status })).setAgentStatus;
  }

  // Telephony (connector API key)

  async enqueueCall(input: EnqueueCallInput): Promise<Call> {
    return (await this.request<{ enqueueCall: Call }>(ENQUEUE_CALL, { input })).enqueueCall;
  }

  /** A call to a service number, running its published call flow (NOT_FOUND when no published flow has the number). */
  async startCall(input: StartCallInput): Promise<Call> {
    return (await this.request<{ startCall: Call }>(START_CALL, { input })).startCall;
  }

  async reportAttemptOutcome(input: AttemptOutcomeInput): Promise<CallAttempt> {
    return (await this.request<{ reportAttemptOutcome: CallAttempt }>(REPORT_ATTEMPT_OUTCOME, { input })).reportAttemptOutcome;
  }

  async endCall(input: EndCallInput): Promise<Call> {
    return (await this.request<{ endCall: Call }>(END_CALL, { input })).endCall;
  }

  /**
   * Subscribes to telephony instructions over graphql-ws (protocol graphql-transport-ws), authenticating with
   * `connectionParams.authorization`. The WebSocket client reconnects and resubscribes on its own.
   */
  subscribeInstructions(handlers: InstructionHandlers): InstructionSubscription {
    let settle: { resolve(): void; reject(error: unknown): void } | null = null;
    const ready = new Promise<void>((resolve, reject) => {
      settle = { resolve, reject };
    });
    // Whoever awaits `ready` sees a failure; nobody awaiting it is not an unhandled rejection.
    ready.catch(() => undefined);
    const settleOnce = (error?: GatewayError): void => {
      if (!settle) return;
      if (error) settle.reject(error);
      else settle.resolve();
      settle = null;
    };
    // graphql-ws may report one failure both to the connection and to the subscription: pass it on once.
    let ended = false;
    const fail = (error: unknown): void => {
      const failure = subscriptionError(error);
      settleOnce(failure);
      if (ended) return;
      ended = true;
      handlers.onError?.(failure);
    };
    const token = this.token;
    const client: Client = createClient({
      url: this.wsUrl,
      webSocketImpl: WebSocket,
      connectionParams: token ? { authorization: `Bearer ${token}` } : {},
      lazy: false,
      retryAttempts: this.wsRetryAttempts,
      // A refused connection stays refused: retry only lost connections.
      shouldRetry: (closeOrError) => !isRefusal(closeOrError),
      onNonLazyError: fail,
      on: {
        connected: (_socket, _payload, wasRetry) => {
          handlers.onConnected?.(wasRetry);
          settleOnce();
        },
        closed: (event) => {
          const { code, reason } = (event ?? {}) as { code?: number; reason?: string };
          handlers.onClosed?.(code, reason);
        },
      },
    });
    const unsubscribe = client.subscribe<{ telephonyInstructions: TelephonyInstruction }>(
      { query: TELEPHONY_INSTRUCTIONS },
      {
        next: (result) => {
          if (result.errors?.length) {
            handlers.onError?.(GatewayError.fromErrors(result.errors as GraphQLErrorShape[]));
            return;
          }
          const instruction = result.data?.telephonyInstructions;
          if (instruction) handlers.onInstruction(instruction);
        },
        error: fail,
        complete: () => {
          settleOnce(new GatewayError('the gateway ended the subscription before it started', 'BAD_RESPONSE'));
          if (ended) return;
          ended = true;
          handlers.onComplete?.();
        },
      },
    );
    return {
      ready,
      close: async () => {
        ended = true;
        settleOnce(new GatewayError('subscription closed before it started', 'NETWORK'));
        unsubscribe();
        await client.dispose();
      },
    };
  }

  private async allPages(query: string, field: 'queues' | 'agents'): Promise<NamedNode[]> {
    const nodes: NamedNode[] = [];
    let after: string | null = null;
    for (;;) {
      const page: Page = (await this.request<Record<typeof field, Page>>(query, { first: PAGE_SIZE, after }))[field];
      nodes.push(...page.nodes);
      if (!page.pageInfo.hasNextPage || !page.pageInfo.endCursor) return nodes;
      after = page.pageInfo.endCursor;
    }
  }
}

/** A graphql-ws failure (GraphQL errors, a close event or an Error) as a GatewayError. */
function subscriptionError(error: unknown): GatewayError {
  if (error instanceof GatewayError) return error;
  if (Array.isArray(error)) return GatewayError.fromErrors(error as GraphQLErrorShape[]);
  const close = error as { code?: unknown; reason?: unknown } | null;
  if (close && typeof close.code === 'number') {
    const reason = typeof close.reason === 'string' && close.reason ? close.reason : 'no reason';
    return new GatewayError(`WebSocket closed (${close.code}: ${reason})`, closeCode(close.code));
  }
  return new GatewayError(messageOf(error), 'NETWORK');
}

/**
 * Close codes of graphql-ws that retrying cannot fix: bad request, unauthorized, forbidden, subprotocol not
 * acceptable, duplicate init, too many init requests, internal error.
 */
const REFUSALS = new Set([4400, 4401, 4403, 4406, 4429, 4500, 4004, 4005]);

function isRefusal(closeOrError: unknown): boolean {
  const code = (closeOrError as { code?: unknown } | null)?.code;
  return typeof code === 'number' && REFUSALS.has(code);
}

/** The error code of a graphql-ws close code. */
function closeCode(code: number): string {
  if (code === 4401) return 'UNAUTHENTICATED';
  if (code === 4403) return 'FORBIDDEN';
  if (code === 4400 || code === 4406) return 'BAD_REQUEST';
  if (code === 4429) return 'TOO_MANY_REQUESTS';
  if (code === 4500) return 'INTERNAL_SERVER_ERROR';
  return 'NETWORK';
}
