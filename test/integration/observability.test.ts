import { randomBytes, randomUUID } from 'node:crypto';
import { NodeTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-node';
import { eventually, fast, RoutingWorld } from '../support/telephony';
import { startTestGateway, type TestGateway } from '../support/test-gateway';

jest.setTimeout(60_000);

// Spans of this test process are kept in memory, as an exporter would receive them.
const spans = new InMemorySpanExporter();
const provider = new NodeTracerProvider({ spanProcessors: [new SimpleSpanProcessor(spans)] });
provider.register();

const METRICS_TOKEN = 'metrics-token-0123456789abcdef';

/** One sample of the exposition text: a family with its labels and value. */
interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

function samples(text: string): Sample[] {
  const out: Sample[] = [];
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (m === null) continue;
    const labels: Record<string, string> = {};
    for (const pair of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[pair[1]!] = pair[2]!;
    out.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  return out;
}

/** The value of the one sample of `name` whose labels include `labels` (0 when there is none). */
function valueOf(all: Sample[], name: string, labels: Record<string, string> = {}): number {
  return all.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v)).reduce((sum, s) => sum + s.value, 0);
}

describe('operability: Prometheus metrics and OpenTelemetry traces', () => {
  let t: TestGateway;
  let w: RoutingWorld;

  const scrape = async (): Promise<{ text: string; all: Sample[] }> => {
    const res = await fetch(t.gateway.metricsUrl!);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/plain');
    const text = await res.text();
    return { text, all: samples(text) };
  };

  /** A queue whose one group holds one destination, so an enqueued call is offered there at once. */
  const destinationQueue = async (): Promise<{ queueId: string; destinationId: string }> => {
    const destinationId = await w.destination({ maxSimultaneousCalls: 3 });
    const groupId = await w.group([], [destinationId]);
    return { queueId: await w.queue([{ groupId }]), destinationId };
  };

  beforeAll(async () => {
    t = await startTestGateway('sqlite', { METRICS_PORT: '0', METRICS_TOKEN }, fast());
    w = await RoutingWorld.create(t);
  });

  afterAll(async () => {
    await w?.close();
    await t?.close();
    await provider.shutdown();
  });

  it('serves the metrics on a listener of their own, and on the public port only with the bearer token', async () => {
    expect(t.gateway.metricsUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
    expect(new URL(t.gateway.metricsUrl!).port).not.toBe(String(t.gateway.port));
    const publicMetrics = new URL('/metrics', t.url).toString();
    const anonymous = await fetch(publicMetrics);
    expect(anonymous.status).toBe(401);
    expect(((await anonymous.json()) as { errors: Array<{ extensions: { code: string } }> }).errors[0]!.extensions.code).toBe('UNAUTHENTICATED');
    expect((await fetch(publicMetrics, { headers: { authorization: `Bearer ${METRICS_TOKEN}x` } })).status).toBe(401);
    const allowed = await fetch(publicMetrics, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
    expect(allowed.status).toBe(200);
    expect(await allowed.text()).toContain('gateway_graphql_requests_total');
    expect((await fetch(new URL('/other', t.gateway.metricsUrl!))).status).toBe(404);
  });

  it('has every family an operator watches, and they move after a call is routed to a destination', async () => {
    const { queueId, destinationId } = await destinationQueue();
    const before = (await scrape()).all;
    const call = await w.connector.enqueueOk(queueId);
    const [dial] = await w.connector.waitFor((i) => i.kind === 'DIAL_EXTERNAL' && i.callId === call.id);
    const { text, all } = await scrape();

    for (const family of [
      'gateway_graphql_requests_total', 'gateway_graphql_request_duration_seconds_bucket', 'gateway_routing_decisions_total', 'gateway_routing_offers_total',
      'gateway_instructions_total', 'gateway_websocket_sockets', 'gateway_websocket_subscriptions', 'gateway_calls', 'gateway_attempts_open',
      'gateway_destination_state', 'gateway_destination_calls', 'gateway_destination_call_limit', 'gateway_nodejs_eventloop_lag_seconds',
    ]) {
      expect(all.some((s) => s.name === family)).toBe(true);
    }
    for (const family of ['gateway_graphql_errors_total', 'gateway_attempt_outcomes_total', 'gateway_timers_fired_total', 'gateway_leases_renewed_total', 'gateway_redis_reconnects_total', 'gateway_routing_refusals_total']) {
      expect(text).toContain(`# TYPE ${family} counter`);
    }

    const moved = (name: string, labels: Record<string, string>) => valueOf(all, name, labels) - valueOf(before, name, labels);
    expect(moved('gateway_graphql_requests_total', { type: 'mutation', operation: 'enqueueCall' })).toBe(1);
    expect(moved('gateway_graphql_request_duration_seconds_count', { type: 'mutation', operation: 'enqueueCall' })).toBe(1);
    expect(moved('gateway_routing_decisions_total', { outcome: 'DESTINATION' })).toBeGreaterThanOrEqual(1);
    expect(moved('gateway_routing_offers_total', { target: 'DESTINATION', result: 'OFFERED' })).toBe(1);
    expect(moved('gateway_instructions_total', { event: 'issued' })).toBeGreaterThanOrEqual(1);
    expect(moved('gateway_instructions_total', { event: 'delivered' })).toBeGreaterThanOrEqual(1);
    const company = w.company.id;
    expect(valueOf(all, 'gateway_destination_calls', { company, destination: destinationId, state: 'connecting' })).toBe(1);
    expect(valueOf(all, 'gateway_destination_state', { company, destination: destinationId, state: 'AVAILABLE' })).toBe(1);
    expect(valueOf(all, 'gateway_destination_call_limit', { company, destination: destinationId })).toBe(3);
    expect(valueOf(all, 'gateway_attempts_open', { target: 'DESTINATION', state: 'RINGING' })).toBeGreaterThanOrEqual(1);
    expect(valueOf(all, 'gateway_calls', { state: 'OFFERING' })).toBeGreaterThanOrEqual(1);
    expect(valueOf(all, 'gateway_websocket_sockets')).toBeGreaterThanOrEqual(1);
    expect(valueOf(all, 'gateway_websocket_subscriptions')).toBeGreaterThanOrEqual(1);

    // The answer moves the outcomes and the destination's active calls.
    expect((await w.connector.outcome(dial!.attemptId!, 'ANSWERED')).errors).toBeUndefined();
    const answered = await eventually(async () => {
      const now = (await scrape()).all;
      return valueOf(now, 'gateway_destination_calls', { company, destination: destinationId, state: 'active' }) === 1 ? now : null;
    });
    expect(valueOf(answered, 'gateway_attempt_outcomes_total', { target: 'DESTINATION', outcome: 'ANSWERED' }) - valueOf(before, 'gateway_attempt_outcomes_total', { target: 'DESTINATION', outcome: 'ANSWERED' })).toBe(1);
    expect(valueOf(answered, 'gateway_destination_calls', { company, destination: destinationId, state: 'connecting' })).toBe(0);
  });

  it('counts errors by code, and labels operations by their root field, never by what a client names them or by a call', async () => {
    const before = (await scrape()).all;
    const name = `Probe${randomBytes(6).toString('hex')}`;
    const connectorCallId = randomUUID();
    const refused = await t.gql(`mutation ${name}($i: EnqueueCallInput!) { enqueueCall(input: $i) { id } }`, { i: { connectorCallId, queueId: randomUUID() } }, w.connector.key);
    expect(refused.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    const invalid = await t.gql('query { noSuchField }', {}, w.admin);
    expect(invalid.errors?.[0]?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
    const { text, all } = await scrape();
    expect(valueOf(all, 'gateway_graphql_errors_total', { code: 'NOT_FOUND' }) - valueOf(before, 'gateway_graphql_errors_total', { code: 'NOT_FOUND' })).toBe(1);
    expect(valueOf(all, 'gateway_graphql_errors_total', { code: 'GRAPHQL_VALIDATION_FAILED' }) - valueOf(before, 'gateway_graphql_errors_total', { code: 'GRAPHQL_VALIDATION_FAILED' })).toBe(1);
    expect(valueOf(all, 'gateway_graphql_requests_total', { type: 'unknown', operation: '(invalid)' }) - valueOf(before, 'gateway_graphql_requests_total', { type: 'unknown', operation: '(invalid)' })).toBe(1);
    expect(text).not.toContain(name);
    expect(text).not.toContain(connectorCallId);
    // No label of any family holds a call's id.
    const callIds = new Set((await t.gateway.dataSource.query('SELECT "id" FROM "call"') as Array<{ id: string }>).map((r) => r.id));
    expect(callIds.size).toBeGreaterThan(0);
    expect(all.filter((s) => Object.values(s.labels).some((v) => callIds.has(v)))).toEqual([]);
  });

  it('traces enqueueCall in one trace: the request, the pass over the queue, the decision, the commit and the instruction sent', async () => {
    const { queueId } = await destinationQueue();
    spans.reset();
    const traceId = randomBytes(16).toString('hex');
    const traceparent = `00-${traceId}-${randomBytes(8).toString('hex')}-01`;
    const res = await fetch(t.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${w.connector.key}`, traceparent },
      body: JSON.stringify({ query: 'mutation($i: EnqueueCallInput!) { enqueueCall(input: $i) { id } }', variables: { i: { connectorCallId: randomUUID(), queueId } } }),
    });
    const callId = ((await res.json()) as { data: { enqueueCall: { id: string } } }).data.enqueueCall.id;
    await w.connector.waitFor((i) => i.kind === 'DIAL_EXTERNAL' && i.callId === callId);

    const trace = await eventually(async () => {
      const mine = spans.getFinishedSpans().filter((s) => s.spanContext().traceId === traceId);
      const names = new Set(mine.map((s) => s.name));
      return ['graphql mutation enqueueCall', 'routing.pass', 'routing.decide', 'routing.offer', 'db.transaction', 'instruction.send'].every((n) => names.has(n)) ? mine : null;
    }, 10_000, { what: 'the spans of the enqueueCall trace' });

    const byId = new Map(trace.map((s) => [s.spanContext().spanId, s]));
    const parentOf = (s: ReadableSpan) => (s.parentSpanContext === undefined ? undefined : byId.get(s.parentSpanContext.spanId));
    const ancestors = (s: ReadableSpan): string[] => {
      const names: string[] = [];
      for (let p = parentOf(s); p !== undefined; p = parentOf(p)) names.push(p.name);
      return names;
    };
    const one = (name: string, where: (s: ReadableSpan) => boolean = () => true) => {
      const found = trace.filter((s) => s.name === name && where(s));
      expect(found.length).toBeGreaterThanOrEqual(1);
      return found[0]!;
    };
    const request = one('graphql mutation enqueueCall');
    // The caller's trace goes on: the request's span is the child of the span its traceparent named.
    expect(request.parentSpanContext?.spanId).toBe(traceparent.split('-')[2]);
    expect(request.attributes['graphql.operation.root_field']).toBe('enqueueCall');
    const decide = one('routing.decide', (s) => s.attributes['call.id'] === callId);
    expect(decide.attributes['routing.chosen']).toBe('DESTINATION');
    expect(ancestors(decide)).toEqual(expect.arrayContaining(['routing.pass', 'graphql mutation enqueueCall']));
    const offer = one('routing.offer', (s) => s.attributes['call.id'] === callId);
    expect(offer.attributes['routing.offer.result']).toBe('OFFERED');
    expect(ancestors(offer)).toEqual(expect.arrayContaining(['routing.pass', 'graphql mutation enqueueCall']));
    // The offer's commit is a transaction inside the offer; the instruction is sent from it too.
    expect(trace.some((s) => s.name === 'db.transaction' && parentOf(s) === offer)).toBe(true);
    const sent = one('instruction.send', (s) => s.attributes['call.id'] === callId && s.attributes['instruction.kind'] === 'DIAL_EXTERNAL');
    expect(ancestors(sent)).toEqual(expect.arrayContaining(['routing.offer', 'routing.pass', 'graphql mutation enqueueCall']));
    expect(sent.attributes['instruction.session']).not.toBe('none');
  });
});
