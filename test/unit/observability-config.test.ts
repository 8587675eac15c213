import { parse, type OperationDefinitionNode } from 'graphql';
import { ConfigError, loadConfig, tracingExporterOf } from '../../src/config';
import { rootFieldOf } from '../../src/http/operation-metrics';

function problemsOf(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).problems;
  }
  throw new Error(`loadConfig accepted ${JSON.stringify(env)}`);
}

describe('metrics settings', () => {
  it('serve no metrics anywhere unless a port or a token is set', () => {
    expect(loadConfig({}).metrics).toEqual({ port: null, host: '127.0.0.1', token: null });
  });

  it('take a listener of their own on METRICS_PORT, on the loopback address unless METRICS_HOST says another', () => {
    expect(loadConfig({ METRICS_PORT: '9464' }).metrics).toEqual({ port: 9464, host: '127.0.0.1', token: null });
    expect(loadConfig({ METRICS_PORT: '0', METRICS_HOST: '0.0.0.0' }).metrics).toMatchObject({ port: 0, host: '0.0.0.0' });
  });

  it('refuse a port out of range and a short or placeholder token, naming the variable', () => {
    expect(problemsOf({ METRICS_PORT: '70000' })).toEqual(['METRICS_PORT must be a whole number from 0 to 65535 (got "70000")']);
    expect(problemsOf({ METRICS_TOKEN: 'short' })).toEqual(['METRICS_TOKEN must be at least 16 random characters, not a placeholder']);
    expect(problemsOf({ METRICS_TOKEN: 'replace-with-at-least-32-random-characters' })[0]).toMatch(/^METRICS_TOKEN/);
    expect(loadConfig({ METRICS_TOKEN: 'a-token-of-enough-length' }).metrics.token).toBe('a-token-of-enough-length');
  });
});

describe('tracing settings (the standard OpenTelemetry variables)', () => {
  it('leave tracing off by default', () => {
    expect(loadConfig({}).tracing).toBeNull();
    expect(tracingExporterOf({})).toBeNull();
  });

  it('turn OTLP on when an OTLP endpoint is set, or the exporter named', () => {
    expect(tracingExporterOf({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' })).toBe('otlp');
    expect(tracingExporterOf({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://collector:4318/v1/traces' })).toBe('otlp');
    expect(tracingExporterOf({ OTEL_TRACES_EXPORTER: 'console' })).toBe('console');
    expect(loadConfig({ OTEL_TRACES_EXPORTER: 'OTLP' }).tracing).toBe('otlp');
  });

  it('stay off when the SDK is disabled or the exporter is none, whatever endpoint is set', () => {
    expect(tracingExporterOf({ OTEL_SDK_DISABLED: 'true', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' })).toBeNull();
    expect(tracingExporterOf({ OTEL_TRACES_EXPORTER: 'none', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' })).toBeNull();
  });

  it('refuse an exporter the gateway does not have, in one line', () => {
    expect(problemsOf({ OTEL_TRACES_EXPORTER: 'zipkin' })).toEqual(['OTEL_TRACES_EXPORTER must be otlp, console or none (got "zipkin")']);
  });
});

describe('the name an operation is counted under', () => {
  const operation = (text: string) => parse(text).definitions[0] as OperationDefinitionNode;

  it('is its one root field, whatever the client calls the operation or aliases the field', () => {
    expect(rootFieldOf(operation('mutation AnyNameAtAll { enqueueCall(input: {}) { id } }'))).toBe('enqueueCall');
    expect(rootFieldOf(operation('query { mine: queues { id } __typename }'))).toBe('queues');
  });

  it('is "(several)" when the operation selects more than one root field or a fragment', () => {
    expect(rootFieldOf(operation('query { queues { id } agents { id } }'))).toBe('(several)');
    expect(rootFieldOf(operation('query { ... on Query { queues { id } } }'))).toBe('(several)');
  });
});
