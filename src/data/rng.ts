import { requireInteger } from "../util/validate";

/**
 * A seeded pseudo-random generator: PCG32 (O'Neill 2014, `pcg32_random_r` from pcg-c-basic,
 * XSH-RR output on a 64-bit LCG). The same `(seed, stream)` gives the same sequence on every
 * machine and every tfjs backend: everything is integer arithmetic on 32-bit halves, and the
 * float draws use only `Math.log` and `Math.sqrt` (no trigonometry).
 */
export interface Rng {
  /** The next raw PCG32 output, an integer in [0, 2^32). */
  uint32(): number;
  /** Uniform in [0, 1) with 53 random bits: `((a >>> 5) * 2^26 + (b >>> 6)) / 2^53` from two outputs. */
  next(): number;
  /**
   * Uniform integer in [0, n) without modulo bias (`pcg32_boundedrand_r`): draws r until
   * r >= 2^32 mod n, returns r mod n. n is an integer in [1, 2^32].
   */
  int(n: number): number;
  /**
   * Standard normal N(0, 1) by Marsaglia's polar method: draw u, v uniform in [-1, 1) until
   * 0 < s = u^2 + v^2 < 1, then u * sqrt(-2 ln s / s) and v * sqrt(-2 ln s / s) are independent
   * normals; the second is kept for the next call.
   */
  normal(): number;
  /**
   * Shuffles in place (Fisher–Yates, as in the pcg32 demo): for i = length down to 2, swap
   * element i - 1 with element int(i). Returns the same array.
   */
  shuffle<A extends MutableIndexed>(array: A): A;
}

/** Anything with a length and writable numeric indices: arrays and typed arrays. */
export interface MutableIndexed {
  length: number;
  [index: number]: unknown;
}

// 6364136223846793005 = 0x5851f42d_4c957f2d, the LCG multiplier of PCG32.
const MUL_HI = 0x5851f42d;
const MUL_LO = 0x4c957f2d;
const TWO_POW_32 = 4294967296;

/** High 32 bits of the 64-bit product of two uint32s, in 16-bit limbs so every partial is exact. */
function mulHigh32(a: number, b: number): number {
  const a0 = a & 0xffff;
  const a1 = a >>> 16;
  const b0 = b & 0xffff;
  const b1 = b >>> 16;
  const lowLow = a0 * b0;
  const lowHigh = a0 * b1;
  const highLow = a1 * b0;
  const middle = (lowLow >>> 16) + (lowHigh & 0xffff) + (highLow & 0xffff);
  return (a1 * b1 + (lowHigh >>> 16) + (highLow >>> 16) + (middle >>> 16)) >>> 0;
}

class Pcg32 implements Rng {
  private stateHi = 0;
  private stateLo = 0;
  private readonly incHi: number;
  private readonly incLo: number;
  private spare = 0;
  private hasSpare = false;

  /** `pcg32_srandom_r(initstate, initseq)`: inc = 2 initseq + 1; step; state += initstate; step. */
  constructor(seedHi: number, seedLo: number, streamHi: number, streamLo: number) {
    this.incHi = ((streamHi << 1) | (streamLo >>> 31)) >>> 0;
    this.incLo = ((streamLo << 1) | 1) >>> 0;
    this.uint32();
    const lo = this.stateLo + seedLo;
    this.stateHi = (this.stateHi + seedHi + (lo >= TWO_POW_32 ? 1 : 0)) >>> 0;
    this.stateLo = lo >>> 0;
    this.uint32();
  }

  uint32(): number {
    const hi = this.stateHi;
    const lo = this.stateLo;
    // state = state * MUL + inc (mod 2^64)
    const productHi = (mulHigh32(lo, MUL_LO) + Math.imul(hi, MUL_LO) + Math.imul(lo, MUL_HI)) >>> 0;
    const productLo = Math.imul(lo, MUL_LO) >>> 0;
    const sumLo = productLo + this.incLo;
    this.stateHi = (productHi + this.incHi + (sumLo >= TWO_POW_32 ? 1 : 0)) >>> 0;
    this.stateLo = sumLo >>> 0;
    // XSH-RR on the old state: xorshifted = ((old >> 18) ^ old) >> 27, rotated right by old >> 59.
    const xorHi = hi ^ (hi >>> 18);
    const xorLo = lo ^ ((lo >>> 18) | (hi << 14));
    const xorshifted = ((xorLo >>> 27) | (xorHi << 5)) >>> 0;
    const rot = hi >>> 27;
    return ((xorshifted >>> rot) | (xorshifted << ((32 - rot) & 31))) >>> 0;
  }

  next(): number {
    const a = this.uint32() >>> 5;
    const b = this.uint32() >>> 6;
    return (a * 67108864 + b) / 9007199254740992;
  }

  int(n: number): number {
    requireInteger("rng.int", "n", n, 1, TWO_POW_32);
    return this.bounded(n);
  }

  private bounded(n: number): number {
    const threshold = (TWO_POW_32 - n) % n;
    for (;;) {
      const r = this.uint32();
      if (r >= threshold) return r % n;
    }
  }

  normal(): number {
    if (this.hasSpare) {
      this.hasSpare = false;
      return this.spare;
    }
    let u: number;
    let v: number;
    let s: number;
    do {
      u = 2 * this.next() - 1;
      v = 2 * this.next() - 1;
      s = u * u + v * v;
    } while (s >= 1 || s === 0);
    const factor = Math.sqrt((-2 * Math.log(s)) / s);
    this.spare = v * factor;
    this.hasSpare = true;
    return u * factor;
  }

  shuffle<A extends MutableIndexed>(array: A): A {
    for (let i = array.length; i > 1; i--) {
      const chosen = this.bounded(i);
      const item = array[chosen];
      array[chosen] = array[i - 1];
      array[i - 1] = item;
    }
    return array;
  }
}

/**
 * A PCG32 generator seeded like `pcg32_srandom_r(&rng, seed, stream)`. Generators with different
 * streams never share a sequence; `rng(42, 54)` reproduces the pcg-c-basic demo output.
 *
 * @param seed initial state, an integer in [0, 2^53)
 * @param stream sequence selector, an integer in [0, 2^53); default 0
 */
export function rng(seed: number, stream = 0): Rng {
  requireInteger("rng", "seed", seed, 0);
  requireInteger("rng", "stream", stream, 0);
  return new Pcg32(Math.floor(seed / TWO_POW_32), seed >>> 0, Math.floor(stream / TWO_POW_32), stream >>> 0);
}
