/**
 * Iso-lines by marching squares against closed forms: circles of a paraboloid, straight lines of a plane,
 * the crossing lines of a saddle, and Plotly's choice of nice contour levels.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { contourLevels, isolines } from "../../src/plot/contours";

function grid(n: number, lo: number, hi: number): number[] {
  return Array.from({ length: n }, (_, i) => lo + ((hi - lo) * i) / (n - 1));
}

function sampleGrid(xs: number[], ys: number[], f: (x: number, y: number) => number): number[][] {
  return ys.map((y) => xs.map((x) => f(x, y)));
}

describe("isolines", () => {
  test("a paraboloid's level sets are closed circles of radius sqrt(level)", () => {
    const xs = grid(41, -2, 2);
    const ys = grid(37, -2, 2); // a different row count: rows follow y, columns follow x
    const z = sampleGrid(xs, ys, (x, y) => x * x + y * y);
    for (const level of [0.5, 1, 2]) {
      const lines = isolines(xs, ys, z, level);
      assert.equal(lines.length, 1, `level ${level}: one closed line`);
      const [line] = lines;
      assert.deepEqual(line[0], line[line.length - 1], "closed: the last point repeats the first");
      // every edge the circle crosses gives one point: about 4 per grid cell along the circumference
      assert.ok(line.length > 20);
      for (const [x, y] of line) assert.ok(Math.abs(Math.hypot(x, y) - Math.sqrt(level)) < 0.01, `(${x}, ${y}) off the circle of level ${level}`);
      // consecutive points are neighbours (one cell apart at most), so the polyline traces the circle in order
      for (let i = 1; i < line.length; i++) assert.ok(Math.hypot(line[i][0] - line[i - 1][0], line[i][1] - line[i - 1][1]) < 0.16);
    }
  });

  test("a circle cut by the grid's border gives open arcs ending on the border", () => {
    const xs = grid(30, -2, 2);
    const ys = grid(30, -2, 2);
    const z = sampleGrid(xs, ys, (x, y) => x * x + y * y);
    const lines = isolines(xs, ys, z, 5); // radius 2.236 leaves the square [-2, 2]² near its corners: 4 arcs
    assert.equal(lines.length, 4);
    const onBorder = ([x, y]: [number, number]) => Math.abs(Math.abs(x) - 2) < 1e-9 || Math.abs(Math.abs(y) - 2) < 1e-9;
    for (const line of lines) {
      assert.ok(onBorder(line[0]) && onBorder(line[line.length - 1]), "open arcs end on the border");
      for (const [x, y] of line) assert.ok(Math.abs(Math.hypot(x, y) - Math.sqrt(5)) < 0.01);
    }
  });

  test("a plane's level sets are exact straight lines (linear interpolation is exact)", () => {
    const xs = grid(11, 0, 1);
    const ys = grid(11, 0, 1);
    const z = sampleGrid(xs, ys, (x, y) => 2 * x + y);
    const [line, ...rest] = isolines(xs, ys, z, 1.3);
    assert.equal(rest.length, 0);
    for (const [x, y] of line) assert.ok(Math.abs(2 * x + y - 1.3) < 1e-12);
    // from the border y = 0 (x = 0.65) to the border x = 0.15 (y = 1), in one piece
    const ends = [line[0], line[line.length - 1]].sort((a, b) => a[1] - b[1]);
    assert.ok(Math.abs(ends[0][0] - 0.65) < 1e-12 && Math.abs(ends[0][1]) < 1e-12);
    assert.ok(Math.abs(ends[1][0] - 0.15) < 1e-12 && Math.abs(ends[1][1] - 1) < 1e-12);
  });

  test("a saddle cell is split by its centre value, and non-finite cells are skipped", () => {
    // z = x·y on the unit cell's corners (−1, 1)²: corners alternate in sign, the centre is 0
    const lines = isolines([-1, 1], [-1, 1], [[1, -1], [-1, 1]], 0.5);
    // centre 0 < 0.5: the corners above 0.5, (−1, −1) and (1, 1), are each cut off by their own segment
    assert.equal(lines.length, 2);
    for (const line of lines) {
      assert.equal(line.length, 2);
      const [[xa, ya], [xb, yb]] = line;
      assert.ok(Math.sign(xa + xb) === Math.sign(ya + yb), "each segment cuts off a corner where x·y > 0");
    }
    const withHole = isolines([0, 1, 2], [0, 1], [[0, 1, Number.NaN], [0, 1, 2]], 0.5);
    assert.equal(withHole.length, 1);
    assert.deepEqual(withHole[0], [[0.5, 0], [0.5, 1]]);
  });

  test("bad grids are refused", () => {
    assert.throws(() => isolines([0], [0, 1], [[0], [1]], 0), /isolines: the grid needs at least 2 x 2 points/);
    assert.throws(() => isolines([0, 1], [0, 1], [[0, 1]], 0), /isolines: z must have 2 rows/);
  });
});

describe("contourLevels", () => {
  test("nice levels, 1, 2 or 5 × 10^k apart, at most the count asked, strictly inside the range", () => {
    assert.deepEqual(contourLevels([[0, 1]], 10), [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9]);
    assert.deepEqual(contourLevels([[-3.2, 2.9]], 5), [-2, 0, 2]);
    assert.deepEqual(contourLevels([[0, 1000]], 3), [500]);
    for (const [lo, hi, count] of [[0.013, 7.9, 15], [-120, 45, 25], [3, 3.0001, 4]] as const) {
      const levels = contourLevels([[lo, Number.NaN, hi]], count);
      assert.ok(levels.length >= 1 && levels.length <= count, `${levels.length} levels for ${count}`);
      assert.ok(levels.every((v) => v > lo && v < hi));
      const step = levels.length > 1 ? levels[1] - levels[0] : 0;
      const mantissa = step / 10 ** Math.floor(Math.log10(step));
      if (levels.length > 1) assert.ok([1, 2, 5].some((m) => Math.abs(mantissa - m) < 1e-6), `step ${step}`);
    }
    assert.deepEqual(contourLevels([[1, 1]], 10), [], "a flat grid has no contour");
  });
});
