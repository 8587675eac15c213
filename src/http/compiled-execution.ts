import type { GatewayExecutor, GatewayInterface } from '@apollo/server-gateway-interface';
import { execute, getOperationAST, printSchema, type DocumentNode, type ExecutionResult, type GraphQLSchema } from 'graphql';
import { getVariableValues } from 'graphql/execution/values';
import { compileQuery, isCompiledQuery, type CompiledQuery } from 'graphql-jit';

/** Compiled operations of one document, by operation name (null: it could not be compiled). */
type Compiled = Map<string, CompiledQuery | null>;

/** Documents whose operations are kept compiled (about 40 KB each), the least recently run dropped first. */
export const COMPILED_DOCUMENTS_MAX = 500;
/** A document is compiled on this run of it: one sent once is not worth compiling (it costs milliseconds). */
export const COMPILE_ON_RUN = 2;

/**
 * Apollo Server's execution step, compiled: each operation is compiled once per document into a function
 * (graphql-jit) that resolves its fields without graphql-js's per-field interpretation, and every later run
 * of it calls that function. Apollo still parses, validates, runs the plugins and formats every error; only
 * the execution differs. Variables are coerced by graphql-js first, so a bad variable gets the error it
 * always got; an operation graphql-jit cannot compile runs on graphql-js.
 *
 * It plugs in through Apollo Server's gateway interface, which is how an executor other than graphql-js's
 * is given to it (the schema is this gateway's own).
 *
 * Compiling costs milliseconds of the event loop, so only what pays it back is compiled: a document on its
 * second run (Apollo Server keeps one document object per query text), for a caller who signed in; at most
 * COMPILED_DOCUMENTS_MAX documents are kept compiled. Everything else runs on graphql-js.
 */
export function compiledExecution(schema: GraphQLSchema): GatewayInterface {
  const compiled = new Map<DocumentNode, Compiled>();
  const runs = new WeakMap<DocumentNode, number>();
  /** The document's compiled operation, once it ran often enough; undefined: run it on graphql-js. */
  const compiledFor = (document: DocumentNode, operationName: string | null): CompiledQuery | null | undefined => {
    let byName = compiled.get(document);
    if (byName !== undefined) {
      // Most recently run last, so the least recently run is the first to go.
      compiled.delete(document);
      compiled.set(document, byName);
    } else {
      const count = (runs.get(document) ?? 0) + 1;
      runs.set(document, count);
      if (count < COMPILE_ON_RUN) return undefined;
      if (compiled.size >= COMPILED_DOCUMENTS_MAX) compiled.delete(compiled.keys().next().value!);
      compiled.set(document, (byName = new Map()));
    }
    const key = operationName ?? '';
    let query = byName.get(key);
    if (query === undefined) {
      const made = compileQuery(schema, document, operationName ?? undefined);
      query = isCompiledQuery(made) ? made : null;
      byName.set(key, query);
    }
    return query;
  };
  const executor: GatewayExecutor = async (request) => {
    const { document, operationName, context } = request;
    const signedIn = (context as { principal?: unknown }).principal != null;
    const variables = request.request.variables ?? {};
    const asGraphqlJs = () => execute({ schema, document, operationName, variableValues: variables, contextValue: context }) as Promise<ExecutionResult>;
    const operation = getOperationAST(document, operationName);
    const query = signedIn && operation ? compiledFor(document, operationName) : undefined;
    if (!operation || query === undefined || query === null) return asGraphqlJs();
    // graphql-js's coercion, so a bad variable gets the error it always got.
    if ((operation.variableDefinitions?.length ?? 0) > 0) {
      const coerced = getVariableValues(schema, operation.variableDefinitions ?? [], variables, { maxErrors: 50 });
      if (coerced.errors !== undefined) return { errors: coerced.errors };
    }
    return (await query.query(undefined, context, variables)) as ExecutionResult;
  };
  let sdl: string | null = null;
  let announce: ((schemaContext: { apiSchema: GraphQLSchema; coreSupergraphSdl: string }) => void) | null = null;
  return {
    onSchemaLoadOrUpdate(callback) {
      announce = callback;
      return () => {
        announce = null;
      };
    },
    async load() {
      announce?.({ apiSchema: schema, coreSupergraphSdl: (sdl ??= printSchema(schema)) });
      return { executor };
    },
    async stop() {},
  };
}
