import { costLimitRule } from '@escape.tech/graphql-armor-cost-limit';
import { maxAliasesRule } from '@escape.tech/graphql-armor-max-aliases';
import { maxDepthRule } from '@escape.tech/graphql-armor-max-depth';
import { GraphQLError, type ValidationContext, type ValidationRule } from 'graphql';
import type { Limits } from './config';

/**
 * The depth, alias and cost limits as graphql-js validation rules. Every transport that executes operations
 * (HTTP now, WebSocket later) validates with these same rules; a rejection is reported as a validation
 * error coded QUERY_TOO_COMPLEX (HTTP 400), not thrown.
 */
export function limitRules(limits: Limits): ValidationRule[] {
  const report = (ctx: ValidationContext | null, error: GraphQLError) =>
    ctx?.reportError(new GraphQLError(error.message.replace(/^Syntax Error: /, ''), { extensions: { code: 'QUERY_TOO_COMPLEX' } }));
  const common = { exposeLimits: true, propagateOnRejection: false, onReject: [report] };
  return [
    maxDepthRule({ ...common, n: limits.maxDepth, flattenFragments: true }),
    maxAliasesRule({ ...common, n: limits.maxAliases }),
    costLimitRule({ ...common, maxCost: limits.maxCost }),
  ] as ValidationRule[];
}
