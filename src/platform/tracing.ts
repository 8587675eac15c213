import { SpanStatusCode, trace, type Attributes, type Span } from '@opentelemetry/api';

/**
 * The gateway's tracer, through the OpenTelemetry API only: every span is a no-op until a tracer provider is
 * registered (src/observability/tracing.ts does when tracing is configured; tests register an in-memory one).
 */
export const tracer = trace.getTracer('contact-routing-gateway');

/**
 * Runs `work` inside a span named `name` that is active while it runs (spans started inside are its children,
 * across awaits): the span ends when the work settles, marked as an error when it throws.
 */
export function inSpan<T>(name: string, attributes: Attributes, work: (span: Span) => Promise<T>): Promise<T> {
  return tracer.startActiveSpan(name, { attributes }, async (span) => {
    try {
      return await work(span);
    } catch (error) {
      span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
      throw error;
    } finally {
      span.end();
    }
  });
}

/** The span active where this runs (a no-op span when none): to name or annotate it. */
export function activeSpan(): Span | undefined {
  return trace.getActiveSpan();
}
