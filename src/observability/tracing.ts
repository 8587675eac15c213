import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { detectResources, envDetector, resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, ConsoleSpanExporter, NodeTracerProvider, type SpanExporter } from '@opentelemetry/sdk-trace-node';
import type { TracingExporter } from '../config';

/** The service name spans carry when OTEL_SERVICE_NAME (or OTEL_RESOURCE_ATTRIBUTES) does not say another. */
export const TRACING_SERVICE_NAME = 'contact-routing-gateway';

/**
 * Starts tracing for the process (config.tracing, from the standard OpenTelemetry variables): a tracer provider
 * with the W3C trace-context propagator and asynchronous context, whose spans go out in batches to the OTLP
 * HTTP exporter (endpoint, headers, timeout and compression from its own standard variables) or to the
 * console. Returns what flushes and stops it.
 */
export function startTracing(exporter: TracingExporter, version: string): { shutdown(): Promise<void> } {
  const spans: SpanExporter = exporter === 'otlp' ? new OTLPTraceExporter() : new ConsoleSpanExporter();
  const resource = resourceFromAttributes({ 'service.name': TRACING_SERVICE_NAME, 'service.version': version }).merge(detectResources({ detectors: [envDetector] }));
  const provider = new NodeTracerProvider({ resource, spanProcessors: [new BatchSpanProcessor(spans)] });
  provider.register();
  return { shutdown: () => provider.shutdown() };
}
