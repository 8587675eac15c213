import type { GatewayExecutor, GatewayInterface } from '@apollo/server-gateway-interface';
import { execute, getOperationAST, printSchema, type DocumentNode, type ExecutionResult, type GraphQLSchema } from 'graphql';
import { getVariableValues } from 'graphql/execution/values';
import { compileQuery, isCompiledQuery, type CompiledQuery } from 'graphql-jit';

/** Compiled operations kept per document (Apollo Server keeps one object per query text in its document store). */
type Compiled = Map<string, CompiledQuery | null>;

/**
 * Apollo Server's execution step, compiled: each operation is compiled once per document into a function
 * (graphql-jit) that resolves its fields without graphql-js's per-field interpretation, and every later run
 * of it calls that function. Apollo still parses, validates, runs the plugins and formats every error; only
 * the execution differs. Variables are coerced by graphql-js first, so a bad variable gets the error it
 * always got; an operation graphql-jit cannot compile runs on graphql-js.
 *
 * It plugs in through Apollo Server's gateway interface, which is how an executor other than graphql-js's
 * is given to it (the schema is this gateway's own).
 */
export function compiledExecution(schema: GraphQLSchema): GatewayInterface {
  const compiled = new WeakMap<DocumentNode, Compiled>();
  const compile = (document: DocumentNode, operationName: string | null): CompiledQuery | null => {
    let byName = compiled.get(document);
    if (byName === undefined) compiled.set(document, (byName = new Map()));
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
    const variables = request.request.variables ?? {};
    const asGraphqlJs = () => execute({ schema, document, operationName, variableValues: variables, contextValue: context }) as Promise<ExecutionResult>;
    const operation = getOperationAST(document, operationName);
    if (!operation) return asGraphqlJs();
    if ((operation.variableDefinitions?.length ?? 0) > 0) {
      const coerced = getVariableValues(schema, operation.variableDefinitions ?? [], variables, { maxErrors: 50 });
      if (coerced.errors !== undefined) return { errors: coerced.errors };
    }
    const query = compile(document, operationName);
    if (query === null) return asGraphqlJs();
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
