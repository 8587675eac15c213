/**
 * Telephone numbers for tests that must not meet twice (service numbers are unique across companies): one
 * after another from a random start, `digits` digits after `prefix`. Random numbers each time collided now and
 * then in a suite that makes dozens of them.
 */
export function uniqueNumbers(prefix: string, digits = 5): () => string {
  const span = 10 ** digits;
  let next = Math.floor(Math.random() * span);
  return () => `${prefix}${String((next = (next + 1) % span)).padStart(digits, '0')}`;
}
