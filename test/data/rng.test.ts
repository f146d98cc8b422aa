/** PCG32 against the reference implementation's published demo output, a BigInt re-implementation, and distribution checks. */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { rng } from "../../src/data";

/**
 * Round 1 of `pcg32-demo` from pcg-c-basic (M. O'Neill), seeded with pcg32_srandom_r(&rng, 42u, 54u):
 * six raw outputs, then 65 coin tosses (boundedrand 2), 33 dice (boundedrand 6 + 1) and a
 * Fisher–Yates deal of 52 cards (boundedrand i for i = 52..2), all from one generator.
 */
const DEMO = {
  raw: [0xa15c02b7, 0x7b47f409, 0xba1d3330, 0x83d2f293, 0xbfa4784b, 0xcbed606e],
  coins: "HHTTTHTHHHTHTTTHHHHHTTTHHHTHTHTHTTHTTTHHHHHHTTTTHHTTTTTHTTTTTTTHT",
  rolls: "3 4 1 1 2 2 3 2 4 3 2 4 3 3 5 2 3 1 3 1 5 1 4 1 5 6 4 6 6 2 6 3 3",
  cards:
    "Qd Ks 6d 3s 3d 4c 3h Td Kc 5c Jh Kd Jd As 4s 4h Ad Th Ac Jc 7s Qs " +
    "2s 7h Kh 2d 6c Ah 4d Qh 9h 6s 5s 2c 9c Ts 8d 9s 3c 8c Js 5d 2h 6h " +
    "7d 8s 9d 5h 8h Qc 7c Tc",
  round2: [0x74ab93ad, 0x1c1da000, 0x494ff896, 0x34462f2f, 0xd308a3e5, 0x0fa83bab],
};

/** PCG32 written directly from the reference C with 64-bit BigInt arithmetic. */
function bigIntPcg32(initState: bigint, initSeq: bigint): () => number {
  const mask = (1n << 64n) - 1n;
  let state = 0n;
  const inc = ((initSeq << 1n) | 1n) & mask;
  const step = (): number => {
    const old = state;
    state = (old * 6364136223846793005n + inc) & mask;
    const xorshifted = Number((((old >> 18n) ^ old) >> 27n) & 0xffffffffn);
    const rot = Number(old >> 59n);
    return ((xorshifted >>> rot) | (xorshifted << (-rot & 31))) >>> 0;
  };
  step();
  state = (state + initState) & mask;
  step();
  return step;
}

describe("rng: PCG32 reference outputs", () => {
  test("rng(42, 54) reproduces the pcg32-demo round 1 and round 2", () => {
    const random = rng(42, 54);
    assert.deepEqual(Array.from({ length: 6 }, () => random.uint32()), DEMO.raw);
    const coins = Array.from({ length: 65 }, () => (random.int(2) ? "H" : "T")).join("");
    assert.equal(coins, DEMO.coins);
    const rolls = Array.from({ length: 33 }, () => random.int(6) + 1).join(" ");
    assert.equal(rolls, DEMO.rolls);
    const cards = random.shuffle(Array.from({ length: 52 }, (_, i) => i));
    const number = "A23456789TJQK";
    const suit = "hcds";
    assert.equal(cards.map((c) => number[Math.floor(c / 4)] + suit[c % 4]).join(" "), DEMO.cards);
    assert.deepEqual(Array.from({ length: 6 }, () => random.uint32()), DEMO.round2);
  });

  test("matches a BigInt PCG32 for seeds and streams beyond 32 bits", () => {
    const cases: [number, number][] = [
      [0, 0],
      [1, 0],
      [0xffffffff, 1],
      [2 ** 32, 7],
      [2 ** 40 + 12345, 2 ** 35 + 3],
      [Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
    ];
    for (const [seed, stream] of cases) {
      const random = rng(seed, stream);
      const reference = bigIntPcg32(BigInt(seed), BigInt(stream));
      for (let i = 0; i < 1000; i++) assert.equal(random.uint32(), reference(), `seed ${seed}, stream ${stream}, output ${i}`);
    }
  });

  test("next() is built from two outputs: ((a >>> 5) * 2^26 + (b >>> 6)) / 2^53", () => {
    const [a, b] = DEMO.raw;
    const expected = ((a >>> 5) * 2 ** 26 + (b >>> 6)) / 2 ** 53;
    assert.equal(rng(42, 54).next(), expected);
  });
});

describe("rng: reproducibility and independence", () => {
  test("the same seed gives the same sequence of every draw", () => {
    const draw = (seed: number) => {
      const random = rng(seed);
      return [random.uint32(), random.next(), random.int(1000), random.normal(), random.normal(), random.normal(), ...random.shuffle([1, 2, 3, 4, 5, 6, 7])];
    };
    assert.deepEqual(draw(123), draw(123));
    assert.notDeepEqual(draw(123), draw(124));
  });

  test("streams of one seed give different sequences", () => {
    const first = rng(7, 0);
    const second = rng(7, 1);
    const a = Array.from({ length: 16 }, () => first.uint32());
    const b = Array.from({ length: 16 }, () => second.uint32());
    assert.equal(a.filter((value, i) => value === b[i]).length, 0);
  });
});

describe("rng: distributions", () => {
  test("next() lies in [0, 1) with mean 1/2 and variance 1/12", () => {
    const random = rng(2024);
    const n = 200_000;
    let sum = 0;
    let squares = 0;
    for (let i = 0; i < n; i++) {
      const u = random.next();
      assert.ok(u >= 0 && u < 1);
      sum += u;
      squares += u * u;
    }
    const mean = sum / n;
    // Standard error of the mean is sqrt(1/12 / n) ≈ 6.5e-4; 5 standard errors.
    assert.ok(Math.abs(mean - 0.5) < 0.0033, `mean ${mean}`);
    assert.ok(Math.abs(squares / n - mean * mean - 1 / 12) < 0.002, `variance ${squares / n - mean * mean}`);
  });

  test("int(n) covers [0, n) evenly (chi-square, 9 degrees of freedom)", () => {
    const random = rng(99);
    const counts = new Array<number>(10).fill(0);
    const n = 100_000;
    for (let i = 0; i < n; i++) counts[random.int(10)]++;
    const expected = n / 10;
    const chiSquare = counts.reduce((sum, c) => sum + (c - expected) ** 2 / expected, 0);
    // P(chi2_9 > 27.88) = 0.001
    assert.ok(chiSquare < 27.88, `chi-square ${chiSquare}, counts ${counts}`);
    assert.ok(rng(1).int(1) === 0);
    const large = rng(5);
    for (let i = 0; i < 100; i++) {
      const value = large.int(2 ** 32);
      assert.ok(Number.isInteger(value) && value >= 0 && value < 2 ** 32);
    }
  });

  test("normal() has mean 0, variance 1, no skew and kurtosis 3", () => {
    const random = rng(31337);
    const n = 200_000;
    let m1 = 0;
    let m2 = 0;
    let m3 = 0;
    let m4 = 0;
    let beyond = 0;
    for (let i = 0; i < n; i++) {
      const z = random.normal();
      m1 += z;
      m2 += z * z;
      m3 += z ** 3;
      m4 += z ** 4;
      if (Math.abs(z) > 1.959964) beyond++;
    }
    m1 /= n;
    m2 /= n;
    m3 /= n;
    m4 /= n;
    // Standard errors at n = 2e5: mean 0.0022, variance 0.0032, skewness 0.0055, kurtosis 0.011.
    assert.ok(Math.abs(m1) < 0.012, `mean ${m1}`);
    assert.ok(Math.abs(m2 - 1) < 0.016, `variance ${m2}`);
    assert.ok(Math.abs(m3) < 0.03, `third moment ${m3}`);
    assert.ok(Math.abs(m4 - 3) < 0.12, `fourth moment ${m4}`);
    // 5% of a standard normal lies beyond ±1.96 (standard error 0.00049).
    assert.ok(Math.abs(beyond / n - 0.05) < 0.0025, `tail share ${beyond / n}`);
  });

  test("shuffle returns the same array holding a permutation, and every position is reachable", () => {
    const random = rng(11);
    const array = new Int32Array(1000).map((_, i) => i);
    const result = random.shuffle(array);
    assert.equal(result, array);
    assert.deepEqual([...array].sort((a, b) => a - b), Array.from({ length: 1000 }, (_, i) => i));
    // Where item 0 lands over many shuffles of 4 items: uniform over the 4 positions.
    const landing = [0, 0, 0, 0];
    for (let i = 0; i < 40_000; i++) landing[random.shuffle([0, 1, 2, 3]).indexOf(0)]++;
    for (const count of landing) assert.ok(Math.abs(count - 10_000) < 500, `landing ${landing}`);
    assert.deepEqual(random.shuffle([]), []);
    assert.deepEqual(random.shuffle(["only"]), ["only"]);
  });
});

describe("rng: option checks", () => {
  test("seed, stream and n are checked with the allowed range in the message", () => {
    assert.throws(() => rng(-1), /rng: seed must be an integer >= 0, got -1/);
    assert.throws(() => rng(1.5), /rng: seed must be an integer >= 0, got 1.5/);
    assert.throws(() => rng(2 ** 53), /rng: seed must be an integer >= 0, got 9007199254740992/);
    assert.throws(() => rng(1, -2), /rng: stream must be an integer >= 0, got -2/);
    assert.throws(() => rng(1).int(0), /rng.int: n must be an integer in \[1, 4294967296\], got 0/);
    assert.throws(() => rng(1).int(2 ** 32 + 1), /rng.int: n must be an integer in \[1, 4294967296\]/);
  });
});
