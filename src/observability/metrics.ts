import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Meter } from '../platform/meter';

/** The codes a GraphQL error is counted under; any other code counts as OTHER (labels stay bounded). */
const KNOWN_CODES = new Set([
  'BAD_USER_INPUT', 'BAD_REQUEST', 'GRAPHQL_PARSE_FAILED', 'GRAPHQL_VALIDATION_FAILED', 'PERSISTED_QUERY_NOT_SUPPORTED', 'OPERATION_RESOLUTION_FAILURE',
  'UNAUTHENTICATED', 'FORBIDDEN', 'NOT_FOUND', 'CONFLICT', 'TOO_MANY_REQUESTS', 'PAYLOAD_TOO_LARGE', 'QUERY_TOO_COMPLEX', 'SERVICE_UNAVAILABLE',
  'INTERNAL_SERVER_ERROR',
]);

/** Latency buckets of GraphQL operations, in seconds (1 ms to 10 s). */
const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** What the gauges read when Prometheus scrapes: the live picture, computed then and not kept up on every change. */
export interface ScrapeSources {
  /** WebSocket connections open on this instance, and the subscriptions they run. */
  sockets(): { sockets: number; subscriptions: number };
  /** Calls not ended by state, and open attempts by target and state (the whole system of record). */
  calls(): Promise<{ calls: Array<{ state: string; count: number }>; attempts: Array<{ target: string; state: string; count: number }> }>;
  /** Durable timers waiting: due now and not claimed, scheduled in all, claimed and in flight (the whole deployment). */
  timers(): Promise<{ due: number; scheduled: number; inFlight: number }>;
  /** Each external destination's live state, slots and limit. */
  destinations(): Promise<Array<{ companyId: string; destinationId: string; state: string; connecting: number; active: number; limit: number | null }>>;
}

/**
 * The gateway's Prometheus registry (one per gateway, so several in one process never mix): request rate and
 * latency per operation, errors by code, routing decisions and offers, attempt outcomes, instructions, timers,
 * leases, Redis reconnects, sockets and subscriptions, calls and destinations, and Node's own (event-loop lag,
 * heap, handles). Labels are bounded: operation names come from the schema (the root field), never from the
 * client's operationName; no label names a call or a caller.
 */
export class GatewayMetrics implements Meter {
  readonly registry = new Registry();
  private readonly requests: Counter<'type' | 'operation'>;
  private readonly latency: Histogram<'type' | 'operation'>;
  private readonly errors: Counter<'code'>;
  private readonly decisions: Counter<'outcome'>;
  private readonly refusals: Counter<'reason'>;
  private readonly offers: Counter<'target' | 'result'>;
  private readonly attempts: Counter<'target' | 'outcome'>;
  private readonly instructions: Counter<'event'>;
  private readonly timers: Counter;
  private readonly leases: Counter;
  private readonly reconnects: Counter<'connection'>;
  private readonly probes: Counter<'event'>;

  constructor() {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry, prefix: 'gateway_' });
    this.requests = new Counter({ name: 'gateway_graphql_requests_total', help: 'GraphQL operations answered over HTTP, by type and root field', labelNames: ['type', 'operation'], registers });
    this.latency = new Histogram({ name: 'gateway_graphql_request_duration_seconds', help: 'Time to answer a GraphQL operation over HTTP, by type and root field', labelNames: ['type', 'operation'], buckets: LATENCY_BUCKETS, registers });
    this.errors = new Counter({ name: 'gateway_graphql_errors_total', help: 'Errors in GraphQL answers, by code', labelNames: ['code'], registers });
    this.decisions = new Counter({ name: 'gateway_routing_decisions_total', help: 'Routing decisions for waiting calls, by outcome', labelNames: ['outcome'], registers });
    this.refusals = new Counter({ name: 'gateway_routing_refusals_total', help: 'Calls refused at admission, by reason', labelNames: ['reason'], registers });
    this.offers = new Counter({ name: 'gateway_routing_offers_total', help: 'Offers of calls to agents and destinations, by target and result', labelNames: ['target', 'result'], registers });
    this.attempts = new Counter({ name: 'gateway_attempt_outcomes_total', help: 'Attempt outcomes applied (answered, or how it ended), by target', labelNames: ['target', 'outcome'], registers });
    this.instructions = new Counter({ name: 'gateway_instructions_total', help: 'Telephony instructions: issued, delivered, delivered again, acknowledged, or kept for lack of a live session', labelNames: ['event'], registers });
    this.timers = new Counter({ name: 'gateway_timers_fired_total', help: 'Durable timers claimed and fired by this instance', registers });
    this.leases = new Counter({ name: 'gateway_leases_renewed_total', help: 'Destination slot leases renewed by this instance', registers });
    this.reconnects = new Counter({ name: 'gateway_redis_reconnects_total', help: 'Reconnections of Redis connections (event bus and live state)', labelNames: ['connection'], registers });
    this.probes = new Counter({ name: 'gateway_destination_probes_total', help: 'Health probes of external destinations: sent, succeeded, failed (or timed out)', labelNames: ['event'], registers });
  }

  /** One GraphQL operation answered over HTTP: `operation` is its root field (or "(several)", "(invalid)"). */
  request(type: string, operation: string, seconds: number, errorCodes: readonly string[]): void {
    this.requests.inc({ type, operation });
    this.latency.observe({ type, operation }, seconds);
    for (const code of errorCodes) this.errors.inc({ code: KNOWN_CODES.has(code) ? code : 'OTHER' });
  }

  decision(outcome: 'AGENT' | 'DESTINATION' | 'WAITING'): void {
    this.decisions.inc({ outcome });
  }

  refused(reason: 'QUEUE_FULL'): void {
    this.refusals.inc({ reason });
  }

  offer(target: 'AGENT' | 'DESTINATION', result: 'OFFERED' | 'CLAIM_LOST' | 'NUMBER_FAILED' | 'CALL_MOVED'): void {
    this.offers.inc({ target, result });
  }

  attemptOutcome(target: 'AGENT' | 'DESTINATION', outcome: string): void {
    this.attempts.inc({ target, outcome });
  }

  instruction(event: 'issued' | 'delivered' | 'redelivered' | 'acknowledged' | 'unaddressed', count = 1): void {
    if (count > 0) this.instructions.inc({ event }, count);
  }

  timersFired(count: number): void {
    if (count > 0) this.timers.inc(count);
  }

  leasesRenewed(count: number): void {
    if (count > 0) this.leases.inc(count);
  }

  redisReconnect(connection: string): void {
    this.reconnects.inc({ connection });
  }

  probe(event: 'sent' | 'succeeded' | 'failed'): void {
    this.probes.inc({ event });
  }

  /** The exposition text Prometheus scrapes, and its content type. */
  async exposition(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }

  /** Adds the gauges computed at scrape time from `sources` (once the gateway's parts exist). */
  observe(sources: ScrapeSources): void {
    const registers = [this.registry];
    new Gauge({
      name: 'gateway_websocket_sockets', help: 'WebSocket connections open on this instance', registers,
      collect() {
        this.set(sources.sockets().sockets);
      },
    });
    new Gauge({
      name: 'gateway_websocket_subscriptions', help: 'GraphQL subscriptions running on this instance', registers,
      collect() {
        this.set(sources.sockets().subscriptions);
      },
    });
    // The live picture is shared by every instance: each reports the same figures (aggregate with max, not sum).
    let calls: ReturnType<ScrapeSources['calls']> | null = null;
    const callsOnce = () => (calls ??= sources.calls().finally(() => setImmediate(() => (calls = null))));
    new Gauge({
      name: 'gateway_calls', help: 'Calls not ended, by state (QUEUED, OFFERING, CONNECTED), over every instance', labelNames: ['state'], registers,
      async collect() {
        const figures = await callsOnce();
        this.reset();
        for (const state of ['QUEUED', 'OFFERING', 'CONNECTED']) this.set({ state }, 0);
        for (const row of figures.calls) this.set({ state: row.state }, row.count);
      },
    });
    new Gauge({
      name: 'gateway_attempts_open', help: 'Attempts ringing (connecting) or connected (active), by target, over every instance', labelNames: ['target', 'state'], registers,
      async collect() {
        const figures = await callsOnce();
        this.reset();
        for (const target of ['AGENT', 'DESTINATION']) for (const state of ['RINGING', 'CONNECTED']) this.set({ target, state }, 0);
        for (const row of figures.attempts) this.set({ target: row.target, state: row.state }, row.count);
      },
    });
    new Gauge({
      name: 'gateway_timers', help: 'Durable timers of the deployment: due (their time passed, not yet claimed), scheduled, in flight (claimed)', labelNames: ['state'], registers,
      async collect() {
        const pending = await sources.timers();
        this.set({ state: 'due' }, pending.due);
        this.set({ state: 'scheduled' }, pending.scheduled);
        this.set({ state: 'in_flight' }, pending.inFlight);
      },
    });
    let destinations: ReturnType<ScrapeSources['destinations']> | null = null;
    const destinationsOnce = () => (destinations ??= sources.destinations().finally(() => setImmediate(() => (destinations = null))));
    new Gauge({
      name: 'gateway_destination_state', help: 'Each external destination\'s state: 1 for the state it is in', labelNames: ['company', 'destination', 'state'], registers,
      async collect() {
        this.reset();
        for (const d of await destinationsOnce()) this.set({ company: d.companyId, destination: d.destinationId, state: d.state }, 1);
      },
    });
    new Gauge({
      name: 'gateway_destination_calls', help: 'Each external destination\'s calls connecting (ringing) and active (answered)', labelNames: ['company', 'destination', 'state'], registers,
      async collect() {
        this.reset();
        for (const d of await destinationsOnce()) {
          this.set({ company: d.companyId, destination: d.destinationId, state: 'connecting' }, d.connecting);
          this.set({ company: d.companyId, destination: d.destinationId, state: 'active' }, d.active);
        }
      },
    });
    new Gauge({
      name: 'gateway_destination_call_limit', help: 'Each external destination\'s maximum simultaneous calls (absent when unlimited)', labelNames: ['company', 'destination'], registers,
      async collect() {
        this.reset();
        for (const d of await destinationsOnce()) if (d.limit !== null) this.set({ company: d.companyId, destination: d.destinationId }, d.limit);
      },
    });
  }
}
