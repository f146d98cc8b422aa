/**
 * `npm run fuzz:kernels -- --cases N --seed S [--from K]`: draws N kernel configurations (test/backend/
 * kernel-space.ts) and checks each on wasm against cpu, with a heap check after every case. Prints each
 * failure with everything needed to reproduce it, a count per family, and exits non-zero on any failure.
 * The test suite runs a fixed seed (kernel-property.test.ts); this runs as many more as you like.
 */
import { Command, InvalidArgumentError } from "commander";
import * as tf from "@tensorflow/tfjs";
import { setUpWasm } from "./helpers";
import { drawCase, FAMILIES } from "./kernel-space";
import { checkCase, describeOutcome, HeapCanary } from "./kernel-property";

function nonNegativeInteger(name: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isSafeInteger(n) || n < 0) throw new InvalidArgumentError(`${name} must be an integer ≥ 0, got "${value}"`);
    return n;
  };
}

async function main(): Promise<void> {
  const options = new Command("fuzz:kernels")
    .description("Random kernel configurations on wasm against cpu (forward, every gradient, heap intact)")
    .option("--cases <n>", "how many cases to draw", nonNegativeInteger("--cases"), 2000)
    .option("--seed <s>", "the seed of the run", nonNegativeInteger("--seed"), 20261201)
    .option("--from <k>", "the first case index (to replay a failure)", nonNegativeInteger("--from"), 0)
    .option("--verbose", "print every case, not only failures")
    .parse(process.argv)
    .opts<{ cases: number; seed: number; from: number; verbose?: boolean }>();

  await setUpWasm();
  const canary = new HeapCanary();
  const counts = new Map(FAMILIES.map((f) => [f.name, { cases: 0, failed: 0 }]));
  let failed = 0;
  const started = Date.now();
  for (let index = options.from; index < options.from + options.cases; index++) {
    const c = drawCase(options.seed, index);
    if (options.verbose) process.stdout.write(`case ${index} ${c.family} ${JSON.stringify(c.config)}\n`);
    const outcome = await checkCase(c, canary);
    const count = counts.get(FAMILIES[index % FAMILIES.length].name)!;
    count.cases++;
    if (outcome.failure) {
      failed++;
      count.failed++;
      process.stdout.write(`FAIL ${describeOutcome(outcome, options.seed)}\n`);
    }
  }
  canary.dispose();
  await tf.setBackend("cpu");
  for (const [family, { cases, failed: bad }] of counts) process.stdout.write(`${family.padEnd(20)} ${String(cases).padStart(6)} cases, ${bad} failed\n`);
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  process.stdout.write(`${options.cases - failed} passed, ${failed} failed (seed ${options.seed}, cases ${options.from}–${options.from + options.cases - 1}, ${seconds} s)\n`);
  process.exitCode = failed > 0 ? 1 : 0;
}

main().catch((error: unknown) => {
  process.stderr.write(`fuzz:kernels: ${error instanceof Error ? error.stack ?? error.message : String(error)}\n`);
  process.exitCode = 2;
});
