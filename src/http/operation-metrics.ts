import type { ApolloServerPlugin, BaseContext } from '@apollo/server';
import { Kind, type OperationDefinitionNode } from 'graphql';
import { activeSpan } from '../platform/tracing';

/** Where an answered operation is counted: its type, its root field, how long it took and the codes of its errors. */
export interface OperationRecorder {
  request(type: string, operation: string, seconds: number, errorCodes: readonly string[]): void;
}

/**
 * The name an operation is counted and traced under: its one root field (`enqueueCall`), "(several)" when it
 * selects more than one. Root fields come from the schema, so the labels are bounded whatever clients send
 * (a client's operationName is not: it is a span attribute, never a label).
 */
export function rootFieldOf(operation: OperationDefinitionNode): string {
  const fields = operation.selectionSet.selections.filter((s) => s.kind !== Kind.FIELD || s.name.value !== '__typename');
  const only = fields.length === 1 ? fields[0]! : null;
  return only !== null && only.kind === Kind.FIELD ? only.name.value : '(several)';
}

/**
 * Counts every GraphQL operation answered over HTTP (latency from its start to its answer, errors by code)
 * and names the request's span after it. An operation that never resolved (unparsable, invalid, refused
 * before) counts as type "unknown", operation "(invalid)".
 */
export function operationMetrics<C extends BaseContext>(recorder: OperationRecorder): ApolloServerPlugin<C> {
  return {
    async requestDidStart() {
      const started = performance.now();
      let type = 'unknown';
      let operation = '(invalid)';
      return {
        async didResolveOperation({ operation: resolved, operationName }) {
          if (resolved === undefined) return;
          type = resolved.operation;
          operation = rootFieldOf(resolved);
          const span = activeSpan();
          span?.updateName(`graphql ${type} ${operation}`);
          span?.setAttributes({ 'graphql.operation.type': type, 'graphql.operation.root_field': operation, ...(operationName ? { 'graphql.operation.name': operationName } : {}) });
        },
        async willSendResponse({ response }) {
          const errors = response.body.kind === 'single' ? response.body.singleResult.errors ?? [] : [];
          const codes = errors.map((e) => (typeof e.extensions?.code === 'string' ? e.extensions.code : 'INTERNAL_SERVER_ERROR'));
          recorder.request(type, operation, (performance.now() - started) / 1000, codes);
        },
      };
    },
  };
}
