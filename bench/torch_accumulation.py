#!/usr/bin/env python3
"""PyTorch's own cost of micro-batches, for `npm run bench`: the models of shared/peers/torch_bench.py, trained
with batch 64, with batch 16, and with 4 micro-batches of 16 accumulated (loss / 4, backward, step every 4).
Same protocol as the peer, PyTorch at its best: an optimised BLAS (the reference BLAS is refused), OpenBLAS
single-threaded under PyTorch's own thread pool, 2048 random samples, Adam, one warm-up epoch, the median of 5
timed rounds of 2 epochs, and per variant the faster of 1 thread and every core. `npm run bench` starts it with
glibc's malloc keeping freed memory (GLIBC_TUNABLES, see childEnv in main.ts): run by hand without it, the CNN at
batch 64 can lose three quarters of its speed to page faults. As in bench/train-worker.ts, the
variants take turns round by round, so that a slow moment of the machine hits every variant alike (measured one
after the other, PyTorch's cost of accumulating the MLP read anywhere from -19 % to +194 % on one machine).
Prints samples/s, one line per model and variant:

    torch-accumulation mlp batch64 31000 threads=1
    torch-accumulation mlp batch16 12000 threads=1
    torch-accumulation mlp accumulated4x16 11500 threads=1
"""
import os, sys
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # PyTorch parallelises itself; nested BLAS threads fight it
import statistics, time, torch, torch.nn as nn

if "openblas" not in open("/proc/self/maps").read() and "mkl" not in open("/proc/self/maps").read():
    sys.exit("torch_accumulation: PyTorch is using the reference BLAS; install libopenblas0-pthread for a fair peer")

N, EPOCHS, ROUNDS = 2048, 2, 5
MODELS = {
    'mlp': (lambda: nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 10)), lambda: torch.randn(N, 784)),
    'cnn': (lambda: nn.Sequential(nn.Conv2d(1, 16, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(16, 32, 3), nn.ReLU(), nn.MaxPool2d(2),
                                  nn.Flatten(), nn.Linear(32 * 5 * 5, 10)), lambda: torch.randn(N, 1, 28, 28)),
}
VARIANTS = {'batch64': (64, 1), 'batch16': (16, 1), 'accumulated4x16': (16, 4)}


class Variant:
    """One variant's model and optimiser, trained an epoch at a time."""

    def __init__(self, make, x, y, batch, accumulate):
        torch.manual_seed(0)
        self.model, self.x, self.y, self.batch, self.accumulate = make(), x, y, batch, accumulate
        self.opt = torch.optim.Adam(self.model.parameters())
        self.loss_fn = nn.CrossEntropyLoss()

    def epoch(self):
        for step, i in enumerate(range(0, N, self.batch)):
            loss = self.loss_fn(self.model(self.x[i:i + self.batch]), self.y[i:i + self.batch]) / self.accumulate
            loss.backward()
            if (step + 1) % self.accumulate == 0:
                self.opt.step()
                self.opt.zero_grad()


def samples_per_second(make, x, y, threads):
    """Median samples/s per variant on `threads` threads, the variants taking turns in each round."""
    torch.set_num_threads(threads)
    variants = {name: Variant(make, x, y, batch, accumulate) for name, (batch, accumulate) in VARIANTS.items()}
    for variant in variants.values():
        variant.epoch()
    rates = {name: [] for name in variants}
    for _ in range(ROUNDS):
        for name, variant in variants.items():
            started = time.perf_counter()
            for _ in range(EPOCHS):
                variant.epoch()
            rates[name].append(EPOCHS * N / (time.perf_counter() - started))
    return {name: statistics.median(r) for name, r in rates.items()}


cores = os.cpu_count() or 1
for name in sys.argv[1:] or list(MODELS):
    make, data = MODELS[name]
    x, y = data(), torch.randint(0, 10, (N,))
    by_threads = {t: samples_per_second(make, x, y, t) for t in sorted({1, cores})}
    for variant in VARIANTS:
        rate, threads = max((rates[variant], t) for t, rates in by_threads.items())
        print(f"torch-accumulation {name} {variant} {rate:.0f} threads={threads}", flush=True)
