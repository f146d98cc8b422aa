/**
 * tfjs's cpu backend prints, on its first tensor in Node, a banner asking to install tfjs-node. Inside
 * stepwise the backend is chosen deliberately (useBestBackend) and reported (describeBackend), so the
 * banner is noise in every notebook and test log. It is one flag on the cpu backend instance
 * (`firstUse`), cleared here; tfjs's other warnings are untouched (no global PROD/IS_TEST switch).
 */
import * as tf from "@tensorflow/tfjs";

export function silenceCpuBanner(): void {
  const cpu = tf.findBackend("cpu") as unknown as { firstUse?: boolean } | null;
  if (cpu && "firstUse" in cpu) cpu.firstUse = false;
}
