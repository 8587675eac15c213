import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import type {
  AcknowledgeTelephonyInstructionsMutation, AcknowledgeTelephonyInstructionsMutationVariables, AgentsQuery, AgentsQueryVariables, AgentStatus, AttemptOutcome, AttemptOutcomeInput, CallEndReason as SchemaCallEndReason, CallState,
  CreateConnectorApiKeyMutation, CreateConnectorApiKeyMutationVariables, EndCallInput as SchemaEndCallInput, EndCallMutation,
  EndCallMutationVariables, EnqueueCallInput, EnqueueCallMutation, EnqueueCallMutationVariables, LoginMutation, LoginMutationVariables,
  ProbeOutcome, ProbeOutcomeInput, QueuesQuery, QueuesQueryVariables, ReportAttemptOutcomeMutation, ReportAttemptOutcomeMutationVariables,
  ReportProbeOutcomeMutation, ReportProbeOutcomeMutationVariables, ReturnCallInput, ReturnCallMutation, ReturnCallMutationVariables, SetAgentStatusMutation,
  SetAgentStatusMutationVariables, StartCallInput, StartCallMutation, StartCallMutationVariables, TelephonyInstructionKind,
  TelephonyInstructionsSubscription,
} from './generated/graphql';
import {
  ACKNOWLEDGE_TELEPHONY_INSTRUCTIONS, AGENTS, CREATE_CONNECTOR_API_KEY, END_CALL, ENQUEUE_CALL, LOGIN, QUEUES, REPORT_ATTEMPT_OUTCOME, REPORT_PROBE_OUTCOME,
  RETURN_CALL, SET_AGENT_STATUS, START_CALL, TELEPHONY_INSTRUCTIONS,
} from './operations';

/*
 * A thin client of the gateway's public GraphQL API, as a telephony platform (the connector) and its
 * administrator see it: queries and mutations over HTTP, telephony instructions over graphql-ws. Every type of
 * the API here is generated from schema.graphql and the operations the client sends (`npm run codegen`).
 */

export type { AgentStatus, AttemptOutcome, AttemptOutcomeInput, CallState, EnqueueCallInput, ProbeOutcome, ProbeOutcomeInput, ReturnCallInput, StartCallInput };
export { OPERATIONS } from './operations';

/** What a connector may report when a call ends (the gateway sets the other reasons itself). */
export type CallEndReason = Extract<SchemaCallEndReason, 'COMPLETED' | 'CALLER_HUNG_UP'>;
export type EndCallInput = Omit<SchemaEndCallInput, 'reason'> & { reason: CallEndReason };
export type InstructionKind = TelephonyInstructionKind;

/** Every instruction kind, in the order summaries list them (the compiler checks the list against the schema's enum). */
export const INSTRUCTION_KINDS = Object.keys({
  RING_AGENT: true, DIAL_EXTERNAL: true, CANCEL_ATTEMPT: true, PLAY_MESSAGE: true, DISCONNECT: true, PROBE_DESTINATION: true,
} satisfies Record<InstructionKind, true>) as InstructionKind[];

/** Every attempt outcome, in the order summaries list them (checked against the schema's enum likewise). */
export const ATTEMPT_OUTCOMES = Object.keys({
  ANSWERED: true, BUSY: true, NO_ANSWER: true, REJECTED: true, FAILED: true,
} satisfies Record<AttemptOutcome, true>) as AttemptOutcome[];

/** Every probe outcome, in the order summaries list them (checked against the schema's enum likewise). */
export const PROBE_OUTCOMES = Object.keys({
  SUCCEEDED: true, FAILED: true, TIMED_OUT: true,
} satisfies Record<ProbeOutcome, true>) as ProbeOutcome[];

export type AuthPayload = LoginMutation['login'];
export type NamedNode = QueuesQuery['queues']['nodes'][number];
/** A call as enqueueCall, startCall and endCall answer it. */
export type Call = EnqueueCallMutation['enqueueCall'];
export type CallAttempt = ReportAttemptOutcomeMutation['reportAttemptOutcome'];
/** A call as returnCall answers it: waiting again (QUEUED), or on in its call flow. */
export type ReturnedCall = ReturnCallMutation['returnCall'];
/** A health probe as reportProbeOutcome answers it. */
export type Probe = ReportProbeOutcomeMutation['reportProbeOutcome'];
/** One instruction of the telephonyInstructions subscription, with the fields the client selects. */
export type TelephonyInstruction = TelephonyInstructionsSubscription['telephonyInstructions'];

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
  /**
   * An instruction whose id was already passed on came again (redelivered: its acknowledgement may have been
   * lost). Not passed to `onInstruction`; a caller that acknowledges explicitly acknowledges it again here.
   */
  onDuplicate?(instruction: TelephonyInstruction): void;
  /** A subscription error: the stream has ended (after the WebSocket client's own retries). */
  onError?(error: GatewayError): void;
  /** The socket was acknowledged (again, when `wasRetry`). */
  onConnected?(wasRetry: boolean): void;
  /** The socket closed; the client reconnects unless its retries are spent. */
  onClosed?(code: number | undefined, reason: string | undefined): void;
  /** The server ended the stream. */
  onComplete?(): void;
}

export interface InstructionSubscriptionOptions {
  /** Resume after this seq: only outstanding instructions logged after it come first (default: every outstanding one). */
  afterSeq?: number | null;
  /**
   * Declares that the caller acknowledges (acknowledgeInstructions) the CANCEL_ATTEMPT, DISCONNECT and
   * PLAY_MESSAGE it takes in: the gateway then delivers those again until it does (default false: the records
   * acknowledge them).
   */
  acknowledges?: boolean;
}

/** How many instruction ids a subscription remembers to drop duplicates (a redelivery, a resumed one). */
export const REMEMBERED_INSTRUCTIONS = 10_000;

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

/** Largest page the list queries allow. */
const PAGE_SIZE = 500;

type Page = QueuesQuery['queues'] | AgentsQuery['agents'];

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

  /**
   * One GraphQL operation over HTTP; its `data`, or a GatewayError. `Result` and `Variables` are the operation's
   * generated types.
   */
  async request<Result, Variables extends Record<string, unknown> = Record<string, never>>(query: string, variables?: Variables): Promise<Result> {
    const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json' };
    if (this.token) headers.authorization = `Bearer ${this.token}`;
    let response: Response;
    try {
      response = await this.fetchImpl(this.url, {
        method: 'POST', headers, body: JSON.stringify({ query, variables: variables ?? {} }), signal: AbortSignal.timeout(this.requestTimeoutMs),
      });
    } catch (error) {
      const { name } = (error ?? {}) as { name?: unknown };
      const timedOut = name === 'TimeoutError' || name === 'AbortError';
      const reason = messageOf(error);
      throw new GatewayError(timedOut ? `no answer within ${this.requestTimeoutMs} ms` : `gateway unreachable: ${reason}`, timedOut ? 'TIMEOUT' : 'NETWORK');
    }
    let body: { data?: Result | null; errors?: GraphQLErrorShape[] };
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
    return (await this.request<LoginMutation, LoginMutationVariables>(LOGIN, { companySlug, username, password })).login;
  }

  /** Creates a connector API key and returns its secret. */
  async createConnectorApiKey(name: string): Promise<string> {
    return (await this.request<CreateConnectorApiKeyMutation, CreateConnectorApiKeyMutationVariables>(CREATE_CONNECTOR_API_KEY, { name }))
      .createConnectorApiKey.apiKey;
  }

  /** Every queue the token may see (all pages). */
  listQueues(): Promise<NamedNode[]> {
    return this.allPages(QUEUES, 'queues');
  }

  /** Every agent the token may see (all pages). */
  listAgents(): Promise<NamedNode[]> {
    return this.allPages(AGENTS, 'agents');
  }

  async setAgentStatus(agentId: string, status: AgentStatus): Promise<SetAgentStatusMutation['setAgentStatus']> {
    return (await this.request<SetAgentStatusMutation, SetAgentStatusMutationVariables>(SET_AGENT_STATUS, { agentId, status })).setAgentStatus;
  }

  // Telephony (connector API key)

  async enqueueCall(input: EnqueueCallInput): Promise<Call> {
    return (await this.request<EnqueueCallMutation, EnqueueCallMutationVariables>(ENQUEUE_CALL, { input })).enqueueCall;
  }

  /** A call to a service number, running its published call flow (NOT_FOUND when no published flow has the number). */
  async startCall(input: StartCallInput): Promise<Call> {
    return (await this.request<StartCallMutation, StartCallMutationVariables>(START_CALL, { input })).startCall;
  }

  async reportAttemptOutcome(input: AttemptOutcomeInput): Promise<CallAttempt> {
    return (await this.request<ReportAttemptOutcomeMutation, ReportAttemptOutcomeMutationVariables>(REPORT_ATTEMPT_OUTCOME, { input })).reportAttemptOutcome;
  }

  /** Hands a call an external destination answered back to the gateway (an AI virtual agent returning the caller to a person). */
  async returnCall(input: ReturnCallInput): Promise<ReturnedCall> {
    return (await this.request<ReturnCallMutation, ReturnCallMutationVariables>(RETURN_CALL, { input })).returnCall;
  }

  /** How a health probe (PROBE_DESTINATION) ended. */
  async reportProbeOutcome(input: ProbeOutcomeInput): Promise<Probe> {
    return (await this.request<ReportProbeOutcomeMutation, ReportProbeOutcomeMutationVariables>(REPORT_PROBE_OUTCOME, { input })).reportProbeOutcome;
  }

  async endCall(input: EndCallInput): Promise<Call> {
    return (await this.request<EndCallMutation, EndCallMutationVariables>(END_CALL, { input })).endCall;
  }

  /**
   * Acknowledges instructions acted on, so they are not delivered again (idempotent); how many of the ids are
   * the company's. RING_AGENT and DIAL_EXTERNAL are acknowledged by their outcome report as well.
   */
  async acknowledgeInstructions(ids: readonly string[]): Promise<number> {
    return (await this.request<AcknowledgeTelephonyInstructionsMutation, AcknowledgeTelephonyInstructionsMutationVariables>(
      ACKNOWLEDGE_TELEPHONY_INSTRUCTIONS, { ids: [...ids] },
    )).acknowledgeTelephonyInstructions;
  }

  /**
   * Subscribes to telephony instructions over graphql-ws (protocol graphql-transport-ws), authenticating with
   * `connectionParams.authorization`. The WebSocket client reconnects and resubscribes on its own (and the
   * gateway then sends the outstanding instructions again). Instructions come at least once: one whose
   * instructionId was already passed on is dropped here, so `onInstruction` sees each once.
   */
  subscribeInstructions(handlers: InstructionHandlers, options: InstructionSubscriptionOptions = {}): InstructionSubscription {
    const seen = new Set<string>();
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
    const unsubscribe = client.subscribe<TelephonyInstructionsSubscription>(
      { query: TELEPHONY_INSTRUCTIONS, variables: { afterSeq: options.afterSeq ?? null, acknowledges: options.acknowledges ?? false } },
      {
        next: (result) => {
          if (result.errors?.length) {
            handlers.onError?.(GatewayError.fromErrors(result.errors as GraphQLErrorShape[]));
            return;
          }
          const instruction = result.data?.telephonyInstructions;
          if (!instruction) return;
          if (seen.has(instruction.instructionId)) {
            handlers.onDuplicate?.(instruction);
            return;
          }
          seen.add(instruction.instructionId);
          // Forget the oldest id once enough are remembered (a Set iterates in insertion order).
          if (seen.size > REMEMBERED_INSTRUCTIONS) seen.delete(seen.values().next().value as string);
          handlers.onInstruction(instruction);
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

  /** Every node of a list query (QUEUES or AGENTS: the same variables, the same page). */
  private async allPages<K extends 'queues' | 'agents'>(query: string, field: K): Promise<NamedNode[]> {
    const nodes: NamedNode[] = [];
    let after: string | null = null;
    for (;;) {
      const variables: QueuesQueryVariables & AgentsQueryVariables = { first: PAGE_SIZE, after };
      const page: Page = (await this.request<Record<K, Page>, typeof variables>(query, variables))[field];
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
