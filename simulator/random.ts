/**
 * Seedable randomness for the telephony simulator: mulberry32, a small 32-bit PRNG. Not for secrets; for
 * reproducible decisions (the same seed makes the same choices in the same order).
 */
export interface Rng {
  /** A number in [0, 1). */
  next(): number;
}

/** mulberry32: a PRNG with a 32-bit state; `seed` is taken modulo 2^32. */
export function mulberry32(seed: number): Rng {
  let state = seed >>> 0;
  return {
    next(): number {
      state = (state + 0x6d2b79f5) >>> 0;
      let t = state;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    },
  };
}

/**
 * Derives an independent stream seed from a base seed and a stream number (e.g. one stream per call), so a
 * call's decisions do not depend on how other calls' events interleave.
 */
export function deriveSeed(seed: number, stream: number): number {
  let h = (seed ^ Math.imul(stream + 1, 0x9e3779b1)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b) >>> 0;
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35) >>> 0;
  return (h ^ (h >>> 16)) >>> 0;
}

/** A uniformly random number in [min, max). */
export function uniform(rng: Rng, min: number, max: number): number {
  return min + (max - min) * rng.next();
}

/**
 * A random value around `mean`: uniform in [mean * (1 - jitter), mean * (1 + jitter)], never negative.
 * jitter 0 gives exactly `mean`.
 */
export function around(rng: Rng, mean: number, jitter: number): number {
  if (mean <= 0) return 0;
  const j = Math.min(Math.max(jitter, 0), 1);
  return uniform(rng, mean * (1 - j), mean * (1 + j));
}

/** An exponentially distributed wait with the given mean (Poisson arrivals). */
export function exponential(rng: Rng, mean: number): number {
  return -Math.log(1 - rng.next()) * mean;
}

/** An integer in [0, n). */
export function pickIndex(rng: Rng, n: number): number {
  return Math.min(n - 1, Math.floor(rng.next() * n));
}

/** A fresh 32-bit seed when none is given (printed by the CLI so a run can be repeated). */
export function randomSeed(): number {
  return (Math.random() * 4294967296) >>> 0;
}
