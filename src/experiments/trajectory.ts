/**
 * An optimizer's path over a 2-D test function: the points it visits and the loss at each, from the
 * function's customary start (or a given one). The path stops early when the loss stops being finite.
 */
import * as tf from "@tensorflow/tfjs";
import { Point2D, TestFunction2D } from "../data";
import { Optimizer } from "../optim";
import { requireInteger } from "../util/validate";

export interface Trajectory {
  /** [x, y] of the start and after each update. */
  points: [number, number][];
  /** The loss at each point. */
  losses: number[];
  /** True when the loss became NaN or infinite (the path ends at the last finite point). */
  diverged: boolean;
  /** Distance from the last point to the minimum. */
  distanceToMinimum: number;
}

export function trajectory(fn: TestFunction2D, optimizer: Optimizer, options: { steps: number; start?: Point2D }): Trajectory {
  const { steps } = options;
  requireInteger("trajectory", "steps", steps, 1);
  const start = options.start ?? fn.start;
  const params = tf.variable(tf.tensor1d([start.x, start.y]));
  const points: [number, number][] = [[start.x, start.y]];
  const losses = [fn.value(start.x, start.y)];
  let diverged = false;
  try {
    for (let i = 0; i < steps; i++) {
      tf.tidy(() => {
        const { grads } = tf.variableGrads(() => fn.lossOf(params as tf.Tensor1D), [params]);
        optimizer.applyGradients(grads);
      });
      const [x, y] = params.dataSync();
      const loss = fn.value(x, y);
      if (!Number.isFinite(loss) || !Number.isFinite(x) || !Number.isFinite(y)) {
        diverged = true;
        break;
      }
      points.push([x, y]);
      losses.push(loss);
    }
  } catch (error) {
    if ((error as Error).name !== "NonFiniteGradientError") throw error;
    diverged = true;
  } finally {
    params.dispose();
  }
  const [x, y] = points[points.length - 1];
  return { points, losses, diverged, distanceToMinimum: Math.hypot(x - fn.minimum.x, y - fn.minimum.y) };
}
