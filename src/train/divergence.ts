import { Divergence } from "./types";

/** A run whose loss became NaN or infinite: says where, and the last finite loss. */
export class DivergenceError extends Error {
  override readonly name = "DivergenceError";

  constructor(readonly divergence: Divergence) {
    super(
      `training diverged: non-finite loss at micro-batch ${divergence.microBatch} (epoch ${divergence.epoch}, ` +
        `after ${divergence.step} updates); last finite loss ${divergence.lastFiniteLoss ?? "none"}. ` +
        `Lower the learning rate, clip the gradients, or pass onDivergence: "stop" to keep the history.`,
    );
  }
}

/** Training stopped by an interrupt (the kernel's interrupt button, or an aborted signal). */
export class InterruptedError extends Error {
  override readonly name = "InterruptedError";
}
