import {
  checkWeights, patienceSec, pickOutcome, planAttempt, scaleSeconds, talkTimeSec, type RingTiming,
} from '../../simulator/decisions';
import { around, deriveSeed, exponential, mulberry32, pickIndex, type Rng } from '../../simulator/random';

function draws(rng: Rng, n: number): number[] {
  return Array.from({ length: n }, () => rng.next());
}

/** An Rng that returns the given draws in order. */
function fixed(...values: number[]): Rng {
  let i = 0;
  return { next: () => values[i++ % values.length]! };
}

describe('the seeded PRNG (mulberry32)', () => {
  it('repeats the same sequence for the same seed', () => {
    expect(draws(mulberry32(42), 20)).toEqual(draws(mulberry32(42), 20));
  });

  it('gives the reference mulberry32 sequence (so a --seed reproduces a run across releases)', () => {
    expect(draws(mulberry32(1), 3).map((x) => x.toFixed(10))).toEqual(['0.6270739406', '0.0027357212', '0.5274470400']);
  });

  it('differs between seeds and stays in [0, 1)', () => {
    const a = draws(mulberry32(1), 1000);
    expect(a).not.toEqual(draws(mulberry32(2), 1000));
    expect(a.every((x) => x >= 0 && x < 1)).toBe(true);
    const mean = a.reduce((s, x) => s + x, 0) / a.length;
    expect(mean).toBeGreaterThan(0.45);
    expect(mean).toBeLessThan(0.55);
  });

  it('derives distinct, repeatable per-call streams from one seed', () => {
    expect(deriveSeed(7, 3)).toBe(deriveSeed(7, 3));
    const seeds = new Set(Array.from({ length: 1000 }, (_, i) => deriveSeed(7, i)));
    expect(seeds.size).toBe(1000);
    expect(deriveSeed(7, 0)).not.toBe(deriveSeed(8, 0));
  });

  it('draws around a mean within the jitter, exponential waits and indexes in range', () => {
    const rng = mulberry32(9);
    for (let i = 0; i < 200; i++) {
      const x = around(rng, 30, 0.5);
      expect(x).toBeGreaterThanOrEqual(15);
      expect(x).toBeLessThan(45);
      expect(exponential(rng, 2)).toBeGreaterThanOrEqual(0);
      const k = pickIndex(rng, 3);
      expect([0, 1, 2]).toContain(k);
    }
    expect(around(rng, 30, 0)).toBe(30);
    expect(around(rng, 0, 0.5)).toBe(0);
  });
});

describe('pickOutcome', () => {
  const weights = { ANSWERED: 0.6, BUSY: 0.2, FAILED: 0.1 };

  it('lays ANSWERED, BUSY, REJECTED, FAILED on consecutive slices and NO_ANSWER on the rest', () => {
    expect(pickOutcome(weights, 0)).toBe('ANSWERED');
    expect(pickOutcome(weights, 0.5999)).toBe('ANSWERED');
    expect(pickOutcome(weights, 0.6)).toBe('BUSY');
    expect(pickOutcome(weights, 0.7999)).toBe('BUSY');
    expect(pickOutcome(weights, 0.8)).toBe('FAILED');
    expect(pickOutcome(weights, 0.8999)).toBe('FAILED');
    expect(pickOutcome(weights, 0.9)).toBe('NO_ANSWER');
    expect(pickOutcome(weights, 0.9999)).toBe('NO_ANSWER');
    expect(pickOutcome({ ANSWERED: 0.5, REJECTED: 0.5 }, 0.75)).toBe('REJECTED');
  });

  it('never answers with probability 0 and always with probability 1', () => {
    const rng = mulberry32(3);
    for (let i = 0; i < 500; i++) {
      const u = rng.next();
      expect(pickOutcome({ ANSWERED: 0 }, u)).toBe('NO_ANSWER');
      expect(pickOutcome({ ANSWERED: 1 }, u)).toBe('ANSWERED');
    }
  });

  it('matches the probabilities over many seeded draws', () => {
    const rng = mulberry32(2024);
    const counts: Record<string, number> = {};
    const n = 20000;
    for (let i = 0; i < n; i++) {
      const o = pickOutcome(weights, rng.next());
      counts[o] = (counts[o] ?? 0) + 1;
    }
    expect(counts.ANSWERED! / n).toBeCloseTo(0.6, 1);
    expect(counts.BUSY! / n).toBeCloseTo(0.2, 1);
    expect(counts.FAILED! / n).toBeCloseTo(0.1, 1);
    expect(counts.NO_ANSWER! / n).toBeCloseTo(0.1, 1);
  });

  it('checks probabilities: each within [0, 1], together at most 1 (up to rounding)', () => {
    expect(checkWeights({ ANSWERED: 0.7, BUSY: 0.2, FAILED: 0.1 }, 'dest')).toEqual([]);
    expect(checkWeights({ ANSWERED: 1.2 }, 'agent')).toEqual([expect.stringContaining('agent: probability of ANSWERED')]);
    expect(checkWeights({ ANSWERED: -0.1 }, 'agent')).toHaveLength(1);
    expect(checkWeights({ ANSWERED: 0.8, BUSY: 0.3 }, 'agent')).toEqual([expect.stringContaining('add up to 1.1')]);
  });
});

describe('time scaling', () => {
  it('turns simulated seconds into real milliseconds', () => {
    expect(scaleSeconds(30, 1)).toBe(30000);
    expect(scaleSeconds(30, 0.01)).toBe(300);
    expect(scaleSeconds(1.5, 0.1)).toBe(150);
    expect(scaleSeconds(0.0001, 0.01)).toBe(0);
    expect(scaleSeconds(0, 1)).toBe(0);
    expect(scaleSeconds(-5, 1)).toBe(0);
    expect(scaleSeconds(Number.NaN, 1)).toBe(0);
  });
});

describe('planAttempt', () => {
  const behaviour = { agent: { answer: 0.5, busy: 0.25, reject: 0 }, destination: { answer: 0.5, busy: 0, fail: 0.25 } };
  const timing: RingTiming = { ringTimeSec: 6, quickOutcomeSec: 1, defaultRingTimeoutSec: 20, jitter: 0.5, silentNoAnswer: false };

  it('answers after a ring time around the mean', () => {
    expect(planAttempt('RING_AGENT', behaviour, timing, 30, fixed(0.1, 0.5))).toEqual({ outcome: 'ANSWERED', report: true, afterSec: 6 });
    expect(planAttempt('RING_AGENT', behaviour, timing, 30, fixed(0.1, 0))).toEqual({ outcome: 'ANSWERED', report: true, afterSec: 3 });
  });

  it('reports busy, rejected or failed quickly, each from its own behaviour', () => {
    expect(planAttempt('RING_AGENT', behaviour, timing, 30, fixed(0.6, 0.5))).toEqual({ outcome: 'BUSY', report: true, afterSec: 1 });
    expect(planAttempt('DIAL_EXTERNAL', behaviour, timing, 30, fixed(0.6, 0.5))).toEqual({ outcome: 'FAILED', report: true, afterSec: 1 });
  });

  it('rings out at the ring timeout, or stays silent with silentNoAnswer', () => {
    expect(planAttempt('RING_AGENT', behaviour, timing, 15, fixed(0.9, 0.5))).toEqual({ outcome: 'NO_ANSWER', report: true, afterSec: 15 });
    expect(planAttempt('RING_AGENT', behaviour, timing, null, fixed(0.9, 0.5))).toEqual({ outcome: 'NO_ANSWER', report: true, afterSec: 20 });
    expect(planAttempt('RING_AGENT', behaviour, { ...timing, silentNoAnswer: true }, 15, fixed(0.9, 0.5))).toEqual({
      outcome: 'NO_ANSWER', report: false, afterSec: 15,
    });
  });

  it('answers before the gateway would time the attempt out', () => {
    const plan = planAttempt('DIAL_EXTERNAL', behaviour, { ...timing, ringTimeSec: 60 }, 10, fixed(0.1, 0.99));
    expect(plan.outcome).toBe('ANSWERED');
    expect(plan.afterSec).toBe(9);
  });

  it('is deterministic for a seed', () => {
    const run = (seed: number) => {
      const rng = mulberry32(seed);
      return Array.from({ length: 50 }, (_, i) => planAttempt(i % 2 ? 'RING_AGENT' : 'DIAL_EXTERNAL', behaviour, timing, 20, rng));
    };
    expect(run(5)).toEqual(run(5));
    expect(run(5)).not.toEqual(run(6));
  });

  it('draws talk times and patience around their means; patience 0 never hangs up', () => {
    const rng = mulberry32(11);
    const talk = talkTimeSec(30, 0.5, rng);
    expect(talk).toBeGreaterThanOrEqual(15);
    expect(talk).toBeLessThan(45);
    expect(patienceSec(0, 0.5, rng)).toBeNull();
    expect(patienceSec(60, 0, rng)).toBe(60);
  });
});
