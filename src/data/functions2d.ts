import * as tf from "@tensorflow/tfjs";
import { requireFinite, requireKnownKeys, requireNumber, requirePositive } from "../util/validate";

export interface Point2D {
  x: number;
  y: number;
}

/**
 * A 2-D test function for optimizer trajectories: value and closed-form gradient in plain numbers
 * (contour plots, reference paths), and `lossOf` in tfjs so a stepwise optimizer can minimise it
 * over a `tf.Variable` of shape [2] holding (x, y).
 */
export interface TestFunction2D {
  readonly name: string;
  value(x: number, y: number): number;
  /** (∂f/∂x, ∂f/∂y) in closed form. */
  gradient(x: number, y: number): [number, number];
  /** The global minimum. */
  readonly minimum: Point2D & { value: number };
  /** A window for contour plots that shows the start, the minimum and the interesting valley. */
  readonly domain: { x: [number, number]; y: [number, number] };
  /** A customary starting point for trajectories. */
  readonly start: Point2D;
  /** f(params[0], params[1]) as a tfjs scalar, differentiable; params has shape [2]. */
  lossOf(params: tf.Tensor1D): tf.Scalar;
}

function splitParams(name: string, params: tf.Tensor1D): [tf.Scalar, tf.Scalar] {
  if (!(params instanceof tf.Tensor) || params.shape.length !== 1 || params.shape[0] !== 2) {
    throw new Error(`${name}.lossOf: params must be a tensor of shape [2] holding (x, y), got ${params instanceof tf.Tensor ? `shape [${params.shape.join(", ")}]` : typeof params}`);
  }
  const [x, y] = tf.unstack(params);
  return [x as tf.Scalar, y as tf.Scalar];
}

export interface QuadraticOptions {
  /** Ratio of the largest to the smallest Hessian eigenvalue, >= 1. Default 10. */
  condition?: number;
  /** Rotation of the principal axes from the coordinate axes, radians. Default 0 (axis-aligned). */
  angle?: number;
}

/**
 * f(x, y) = ½ (u² + κ v²) with (u, v) = (x cos φ + y sin φ, −x sin φ + y cos φ): a quadratic bowl
 * whose Hessian has eigenvalues 1 and κ (condition number κ) along axes rotated by φ.
 * ∇f = (u cos φ − κ v sin φ, u sin φ + κ v cos φ); minimum 0 at the origin.
 * Gradient descent converges only for lr < 2/κ and then crawls along the flat axis at rate 1 − lr;
 * with φ ≠ 0 per-coordinate methods (Adam, RMSprop) lose their advantage.
 */
export function illConditionedQuadratic(options: QuadraticOptions = {}): TestFunction2D {
  const where = "illConditionedQuadratic";
  requireKnownKeys(where, options, ["condition", "angle"]);
  const kappa = requireNumber(where, "condition", options.condition ?? 10, { min: 1 });
  const angle = requireFinite(where, "angle", options.angle ?? 0);
  const c = Math.cos(angle);
  const s = Math.sin(angle);
  return {
    name: `illConditionedQuadratic(condition=${kappa}, angle=${angle})`,
    value(x, y) {
      const u = x * c + y * s;
      const v = -x * s + y * c;
      return 0.5 * (u * u + kappa * v * v);
    },
    gradient(x, y) {
      const u = x * c + y * s;
      const v = -x * s + y * c;
      return [u * c - kappa * v * s, u * s + kappa * v * c];
    },
    minimum: { x: 0, y: 0, value: 0 },
    domain: { x: [-2, 2], y: [-2, 2] },
    start: { x: -1.5, y: 1 },
    lossOf(params) {
      return tf.tidy(() => {
        const [x, y] = splitParams(where, params);
        const u = x.mul(c).add(y.mul(s));
        const v = y.mul(c).sub(x.mul(s));
        return u.square().add(v.square().mul(kappa)).mul(0.5) as tf.Scalar;
      });
    },
  };
}

export interface RosenbrockOptions {
  /** Minimum at (a, a²). Default 1. */
  a?: number;
  /** Steepness of the valley walls, > 0. Default 100. */
  b?: number;
}

/**
 * Rosenbrock's banana valley f(x, y) = (a − x)² + b (y − x²)²,
 * ∇f = (−2 (a − x) − 4 b x (y − x²), 2 b (y − x²)); minimum 0 at (a, a²).
 * The classic start is (−1.2, 1) for a = 1 (shifted with a in general).
 */
export function rosenbrock(options: RosenbrockOptions = {}): TestFunction2D {
  const where = "rosenbrock";
  requireKnownKeys(where, options, ["a", "b"]);
  const a = requireFinite(where, "a", options.a ?? 1);
  const b = requirePositive(where, "b", options.b ?? 100);
  return {
    name: `rosenbrock(a=${a}, b=${b})`,
    value(x, y) {
      const valley = y - x * x;
      return (a - x) ** 2 + b * valley * valley;
    },
    gradient(x, y) {
      const valley = y - x * x;
      return [-2 * (a - x) - 4 * b * x * valley, 2 * b * valley];
    },
    minimum: { x: a, y: a * a, value: 0 },
    domain: { x: [a - 3, a + 1], y: [a * a - 2, a * a + 2] },
    start: { x: a - 2.2, y: a * a },
    lossOf(params) {
      return tf.tidy(() => {
        const [x, y] = splitParams(where, params);
        return tf.scalar(a).sub(x).square().add(y.sub(x.square()).square().mul(b)) as tf.Scalar;
      });
    },
  };
}

const BEALE_CONSTANTS = [1.5, 2.25, 2.625] as const;

/**
 * Beale's function f(x, y) = Σₖ (cₖ − x + x yᵏ)², k = 1, 2, 3, c = (1.5, 2.25, 2.625):
 * flat plateaus, sharp ridges near the corners of [−4.5, 4.5]², a saddle at (0, 1) and the minimum
 * 0 at (3, 0.5). With tₖ = cₖ − x + x yᵏ: ∂f/∂x = Σ 2 tₖ (yᵏ − 1), ∂f/∂y = Σ 2 tₖ k x yᵏ⁻¹.
 */
export function beale(): TestFunction2D {
  const where = "beale";
  return {
    name: "beale",
    value(x, y) {
      let sum = 0;
      for (let k = 1; k <= 3; k++) {
        const t = BEALE_CONSTANTS[k - 1] - x + x * y ** k;
        sum += t * t;
      }
      return sum;
    },
    gradient(x, y) {
      let dx = 0;
      let dy = 0;
      for (let k = 1; k <= 3; k++) {
        const t = BEALE_CONSTANTS[k - 1] - x + x * y ** k;
        dx += 2 * t * (y ** k - 1);
        dy += 2 * t * k * x * y ** (k - 1);
      }
      return [dx, dy];
    },
    minimum: { x: 3, y: 0.5, value: 0 },
    domain: { x: [-4.5, 4.5], y: [-4.5, 4.5] },
    start: { x: 1, y: 1.5 },
    lossOf(params) {
      return tf.tidy(() => {
        const [x, y] = splitParams(where, params);
        let sum = tf.scalar(0);
        for (let k = 1; k <= 3; k++) {
          const t = tf.scalar(BEALE_CONSTANTS[k - 1]).sub(x).add(x.mul(y.pow(k)));
          sum = sum.add(t.square());
        }
        return sum as tf.Scalar;
      });
    },
  };
}
