import type { Server } from 'node:http';
import { GraphQLError, getOperationAST, parse, specifiedRules, validate, type DocumentNode, type GraphQLSchema } from 'graphql';
import { CloseCode } from 'graphql-ws';
import { useServer } from 'graphql-ws/use/ws';
import type { Logger } from 'pino';
import { WebSocketServer } from 'ws';
import type { Principal } from '../auth/principal';
import type { Limits } from '../config';
import { formatClientError, loggableError } from '../errors';
import { checkCost, findNulCharacter, limitRules } from '../limits';
import type { GatewayContext } from '../resolvers/context';

export interface SubscriptionServerOptions {
  schema: GraphQLSchema;
  limits: Limits;
  logger: Logger;
  /** THE authentication of HTTP requests, applied to `connectionParams.authorization`. */
  authenticate(authorization: string | undefined): Promise<Principal | null>;
  /** The per-operation context for a principal (built once per subscription). */
  context(principal: Principal): GatewayContext;
}

type Extra = { principal?: Principal };

const refuse = (message: string, code: string) => [new GraphQLError(message, { extensions: { code } })];

/**
 * graphql-ws on the HTTP server's `/graphql` path: subscriptions only, authenticated at connection time
 * (close 4403 without valid credentials), and held to the same parse, depth, alias and cost limits as HTTP.
 * Returns the disposer.
 */
export function attachSubscriptions(httpServer: Server, options: SubscriptionServerOptions): { dispose(): Promise<void> } {
  const wss = new WebSocketServer({ server: httpServer, path: '/graphql', maxPayload: options.limits.maxBodyBytes });
  const rules = [...specifiedRules, ...limitRules(options.limits)];
  const logInternal = (err: unknown) => options.logger.error({ err: loggableError(err) }, 'internal error in a subscription');
  const server = useServer<Record<string, unknown> | undefined, Extra>(
    {
      schema: options.schema,
      onConnect: async (ctx) => {
        const authorization = ctx.connectionParams?.authorization;
        try {
          const principal = await options.authenticate(typeof authorization === 'string' ? authorization : undefined);
          if (principal === null) return false;
          (ctx.extra as Extra).principal = principal;
          return true;
        } catch {
          return false;
        }
      },
      onSubscribe: (ctx, _id, payload) => {
        const principal = (ctx.extra as Extra).principal;
        if (principal === undefined) return refuse('Not authenticated', 'UNAUTHENTICATED');
        let document: DocumentNode;
        try {
          document = parse(payload.query, { maxTokens: options.limits.maxTokens });
        } catch (error) {
          return [error instanceof GraphQLError ? error : new GraphQLError('Syntax error')];
        }
        const operation = getOperationAST(document, payload.operationName);
        if (!operation || operation.operation !== 'subscription') {
          return refuse('Only subscriptions are served over WebSocket; send queries and mutations over HTTP', 'BAD_REQUEST');
        }
        const invalid = validate(options.schema, document, rules);
        if (invalid.length > 0) return invalid;
        const variables = payload.variables ?? undefined;
        if (findNulCharacter(document, variables) !== null) return refuse('Must not contain a NUL character', 'BAD_USER_INPUT');
        const tooCostly = checkCost(options.schema, document, variables, options.limits);
        if (tooCostly.length > 0) return refuse(tooCostly[0]!.message, 'QUERY_TOO_COMPLEX');
        return {
          schema: options.schema,
          document,
          variableValues: variables,
          operationName: payload.operationName,
          contextValue: options.context(principal),
        };
      },
      onNext: (_ctx, _id, _payload, _args, result) => {
        if (!('errors' in result) || !result.errors) return result;
        return { ...result, errors: result.errors.map((e) => formatClientError(e.toJSON(), e, logInternal)) };
      },
      onError: (_ctx, _id, _payload, errors) => errors.map((e) => formatClientError(e.toJSON(), e, logInternal)) as never,
    },
    wss,
  );
  return {
    dispose: async () => {
      await server.dispose();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
}

export { CloseCode };
