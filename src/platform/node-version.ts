/**
 * Whether a Node.js version meets the `engines.node` of package.json (the form used there: `>=MAJOR.MINOR`,
 * optionally `.PATCH`). Answers the one line an operator needs when it does not, null when it does. Pure.
 */
export function nodeVersionProblem(current: string, required: string): string | null {
  const wanted = /^>=\s*(\d+)(?:\.(\d+))?(?:\.(\d+))?$/.exec(required.trim());
  if (wanted === null) return null;
  const have = current.replace(/^v/, '').split('.').map((n) => Number.parseInt(n, 10) || 0);
  const need = [1, 2, 3].map((i) => Number(wanted[i] ?? 0));
  for (let i = 0; i < 3; i += 1) {
    if ((have[i] ?? 0) > need[i]!) return null;
    if ((have[i] ?? 0) < need[i]!) return `Node.js ${current.replace(/^v/, '')} is too old: the gateway needs Node.js ${required.trim()} (see README, Two commands)`;
  }
  return null;
}
