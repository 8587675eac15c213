import { GraphQLError, Kind, type ASTVisitor, type SelectionSetNode, type ValidationContext } from 'graphql';

/**
 * One mutation per request (decision 015). graphql-js runs the top-level fields of a mutation one after another,
 * each of ours in a transaction of its own, and a failing field of a non-null type nulls the whole `data`: with
 * two mutations where the second fails, the first would be written while the answer says nothing about it. So an
 * operation with more than one top-level mutation field (counted by response key, through fragments; `__typename`
 * aside) is refused when it is validated, before anything runs: GRAPHQL_VALIDATION_FAILED, HTTP 400, nothing
 * written. Directives are not evaluated here, so `@skip`/`@include` do not make a second field acceptable.
 */
export function oneMutationPerRequest(context: ValidationContext): ASTVisitor {
  return {
    OperationDefinition(operation) {
      if (operation.operation !== 'mutation') return false;
      const keys = new Set<string>();
      const seenFragments = new Set<string>();
      const collect = (selectionSet: SelectionSetNode) => {
        for (const selection of selectionSet.selections) {
          if (selection.kind === Kind.FIELD) {
            if (selection.name.value !== '__typename') keys.add(selection.alias?.value ?? selection.name.value);
          } else if (selection.kind === Kind.INLINE_FRAGMENT) {
            collect(selection.selectionSet);
          } else if (!seenFragments.has(selection.name.value)) {
            seenFragments.add(selection.name.value);
            const fragment = context.getFragment(selection.name.value);
            if (fragment) collect(fragment.selectionSet);
          }
        }
      };
      collect(operation.selectionSet);
      if (keys.size > 1) {
        context.reportError(new GraphQLError(
          `A request may run only one mutation, so that an error can never hide what was written; this operation has ${keys.size} (${[...keys].join(', ')}). `
            + 'Send each mutation in a request of its own: nothing was run.',
          { nodes: operation },
        ));
      }
      return false;
    },
  };
}
