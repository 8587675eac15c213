import { Kind, valueFromASTUntyped, type FieldNode, type GraphQLResolveInfo, type SelectionSetNode } from 'graphql';

/**
 * Whether the operation asks, below the field being resolved, for the field at `path` (e.g. `nodes.live`),
 * looking into fragments. Directives are not evaluated: a field under `@skip` counts as asked for, so the
 * answer errs towards doing the work.
 */
export function selects(info: GraphQLResolveInfo, path: readonly string[]): boolean {
  const walk = (set: SelectionSetNode | undefined, depth: number): boolean => {
    if (set === undefined) return false;
    for (const selection of set.selections) {
      if (selection.kind === Kind.FIELD) {
        if (selection.name.value === path[depth] && (depth === path.length - 1 || walk(selection.selectionSet, depth + 1))) return true;
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        if (walk(selection.selectionSet, depth)) return true;
      } else if (walk(info.fragments[selection.name.value]?.selectionSet, depth)) {
        return true;
      }
    }
    return false;
  };
  return info.fieldNodes.some((node) => walk(node.selectionSet, 0));
}

/**
 * The arguments given to the first field at `path` below the field being resolved (variables put in; literals
 * as written), or null when it is not asked for. Like `selects`, fragments are looked into.
 */
export function argumentsAt(info: GraphQLResolveInfo, path: readonly string[]): Record<string, unknown> | null {
  const walk = (set: SelectionSetNode | undefined, depth: number): FieldNode | null => {
    if (set === undefined) return null;
    for (const selection of set.selections) {
      let found: FieldNode | null = null;
      if (selection.kind === Kind.FIELD) {
        if (selection.name.value === path[depth]) found = depth === path.length - 1 ? selection : walk(selection.selectionSet, depth + 1);
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        found = walk(selection.selectionSet, depth);
      } else {
        found = walk(info.fragments[selection.name.value]?.selectionSet, depth);
      }
      if (found !== null) return found;
    }
    return null;
  };
  for (const node of info.fieldNodes) {
    const field = walk(node.selectionSet, 0);
    if (field === null) continue;
    const out: Record<string, unknown> = {};
    for (const arg of field.arguments ?? []) {
      out[arg.name.value] = arg.value.kind === Kind.VARIABLE ? info.variableValues[arg.value.name.value] : valueFromASTUntyped(arg.value, info.variableValues);
    }
    return out;
  }
  return null;
}
