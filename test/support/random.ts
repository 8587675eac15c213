import { mulberry32 } from '../../simulator/random';

/** A seeded generator as a function, so a failing random case can be replayed from its seed. */
export function seededRandom(seed: number): () => number {
  const rng = mulberry32(seed);
  return () => rng.next();
}
