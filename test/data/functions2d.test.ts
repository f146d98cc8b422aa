/** 2-D test functions: closed-form gradients against finite differences and tf.grad, minima, and an SGD closed form. */
import { before, describe, test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { TestFunction2D, beale, illConditionedQuadratic, rng, rosenbrock } from "../../src/data";

before(async () => {
  await tf.setBackend("cpu");
});

const FUNCTIONS: TestFunction2D[] = [
  illConditionedQuadratic(),
  illConditionedQuadratic({ condition: 100, angle: Math.PI / 6 }),
  rosenbrock(),
  rosenbrock({ a: -0.5, b: 20 }),
  beale(),
];

/** Points spread over a function's domain, the start and the minimum included. */
function probePoints(f: TestFunction2D): [number, number][] {
  const random = rng(17);
  const [x0, x1] = f.domain.x;
  const [y0, y1] = f.domain.y;
  const points: [number, number][] = [[f.start.x, f.start.y], [f.minimum.x, f.minimum.y]];
  for (let i = 0; i < 8; i++) points.push([x0 + (x1 - x0) * random.next(), y0 + (y1 - y0) * random.next()]);
  return points;
}

function close(actual: number, expected: number, relative: number, absolute: number, what: string): void {
  assert.ok(Math.abs(actual - expected) <= absolute + relative * Math.abs(expected), `${what}: ${actual} vs ${expected}`);
}

for (const f of FUNCTIONS) {
  describe(f.name, () => {
    test("closed-form gradient matches central finite differences", () => {
      const h = 1e-5;
      for (const [x, y] of probePoints(f)) {
        const [gx, gy] = f.gradient(x, y);
        const fx = (f.value(x + h, y) - f.value(x - h, y)) / (2 * h);
        const fy = (f.value(x, y + h) - f.value(x, y - h)) / (2 * h);
        // Central differences err by O(h²·f''') plus rounding of order eps·|f| / h.
        const absolute = 1e-6 * (1 + Math.abs(f.value(x, y)));
        close(gx, fx, 1e-6, absolute, `∂f/∂x at (${x}, ${y})`);
        close(gy, fy, 1e-6, absolute, `∂f/∂y at (${x}, ${y})`);
      }
    });

    test("lossOf agrees with value, and tf.grad of lossOf with the closed-form gradient (float32)", () => {
      const grad = tf.grad((p: tf.Tensor) => f.lossOf(p as tf.Tensor1D));
      for (const [x, y] of probePoints(f)) {
        const params = tf.tensor1d([x, y]);
        const [px, py] = params.dataSync();
        const loss = f.lossOf(params);
        const g = grad(params);
        assert.deepEqual(loss.shape, []);
        const [gx, gy] = f.gradient(px, py);
        const scale = 1 + Math.abs(gx) + Math.abs(gy);
        close(loss.dataSync()[0], f.value(px, py), 1e-5, 1e-6, `value at (${x}, ${y})`);
        close(g.dataSync()[0], gx, 0, 2e-5 * scale, `tf ∂f/∂x at (${x}, ${y})`);
        close(g.dataSync()[1], gy, 0, 2e-5 * scale, `tf ∂f/∂y at (${x}, ${y})`);
        tf.dispose([params, loss, g]);
      }
    });

    test("the minimum has the stated value and zero gradient; it lies below sampled points; start and minimum lie in the domain", () => {
      const { x, y, value } = f.minimum;
      assert.equal(f.value(x, y), value);
      assert.deepEqual(f.gradient(x, y).map(Math.abs), [0, 0]);
      for (const [px, py] of probePoints(f)) assert.ok(f.value(px, py) >= value);
      for (const point of [f.start, f.minimum]) {
        assert.ok(point.x >= f.domain.x[0] && point.x <= f.domain.x[1] && point.y >= f.domain.y[0] && point.y <= f.domain.y[1]);
      }
      assert.ok(f.value(f.start.x, f.start.y) > value);
    });

    test("lossOf keeps no intermediate tensors and rejects params that are not shape [2]", () => {
      const params = tf.tensor1d([0.3, -0.2]);
      const before = tf.memory().numTensors;
      const loss = f.lossOf(params);
      assert.equal(tf.memory().numTensors, before + 1);
      tf.dispose([params, loss]);
      const wrong = tf.tensor1d([1, 2, 3]);
      assert.throws(() => f.lossOf(wrong), /lossOf: params must be a tensor of shape \[2\] holding \(x, y\), got shape \[3\]/);
      wrong.dispose();
    });
  });
}

describe("known values", () => {
  test("Rosenbrock and Beale at their customary starts; Rosenbrock's minimum moves with a", () => {
    close(rosenbrock().value(-1.2, 1), 24.2, 1e-12, 0, "rosenbrock(-1.2, 1)");
    close(beale().value(0, 0), 1.5 ** 2 + 2.25 ** 2 + 2.625 ** 2, 1e-12, 0, "beale(0, 0)");
    assert.deepEqual(rosenbrock({ a: 2 }).minimum, { x: 2, y: 4, value: 0 });
    // Rotating the quadratic by φ turns its steep axis: f(−sin φ, cos φ) = κ/2.
    const rotated = illConditionedQuadratic({ condition: 30, angle: 0.4 });
    close(rotated.value(-Math.sin(0.4), Math.cos(0.4)), 15, 1e-12, 0, "steep axis");
    close(rotated.value(Math.cos(0.4), Math.sin(0.4)), 0.5, 1e-12, 0, "flat axis");
  });

  test("plain SGD on the axis-aligned quadratic over a tf.Variable follows x_k = (1 − lr)^k x_0, y_k = (1 − lr κ)^k y_0", () => {
    const f = illConditionedQuadratic({ condition: 10 });
    const lr = 0.05;
    const params = tf.variable(tf.tensor1d([f.start.x, f.start.y]));
    const optimizer = tf.train.sgd(lr);
    for (let k = 1; k <= 20; k++) {
      optimizer.minimize(() => f.lossOf(params))?.dispose();
      const [x, y] = params.dataSync();
      close(x, (1 - lr) ** k * f.start.x, 1e-5, 1e-7, `x after ${k} steps`);
      close(y, (1 - lr * 10) ** k * f.start.y, 1e-5, 1e-7, `y after ${k} steps`);
    }
    params.dispose();
    optimizer.dispose();
  });

  test("options are checked", () => {
    assert.throws(() => illConditionedQuadratic({ condition: 0.5 }), /illConditionedQuadratic: condition must be a finite number >= 1, got 0.5/);
    assert.throws(() => illConditionedQuadratic({ condition: -1 }), /illConditionedQuadratic: condition must be a finite number >= 1, got -1/);
    assert.throws(() => illConditionedQuadratic({ angle: NaN }), /illConditionedQuadratic: angle must be a finite number, got NaN/);
    assert.throws(() => rosenbrock({ b: 0 }), /rosenbrock: b must be a finite number > 0, got 0/);
    assert.throws(() => rosenbrock({ a: Infinity }), /rosenbrock: a must be a finite number, got Infinity/);
    assert.throws(() => rosenbrock({ c: 1 } as never), /rosenbrock: unknown option "c"/);
  });
});
