#!/usr/bin/env python3
"""PyTorch's own cost of micro-batches, for `npm run bench`: the models of shared/peers/torch_bench.py, trained
with batch 64, with batch 16, and with 4 micro-batches of 16 accumulated (loss / 4, backward, step every 4).
Same protocol as the peer, PyTorch at its best: an optimised BLAS (the reference BLAS is refused), OpenBLAS
single-threaded under PyTorch's own thread pool, 2048 random samples, Adam, one warm-up epoch, the median of 5
timed rounds of 2 epochs, and per variant the faster of 1 thread and every core. Prints samples/s, one line per
model and variant:

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


def samples_per_second(make, x, y, batch, accumulate, threads):
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    model = make()
    opt = torch.optim.Adam(model.parameters())
    loss_fn = nn.CrossEntropyLoss()

    def epoch():
        for step, i in enumerate(range(0, N, batch)):
            loss = loss_fn(model(x[i:i + batch]), y[i:i + batch]) / accumulate
            loss.backward()
            if (step + 1) % accumulate == 0:
                opt.step()
                opt.zero_grad()

    epoch()
    rates = []
    for _ in range(ROUNDS):
        started = time.perf_counter()
        for _ in range(EPOCHS):
            epoch()
        rates.append(EPOCHS * N / (time.perf_counter() - started))
    return statistics.median(rates)


cores = os.cpu_count() or 1
for name in sys.argv[1:] or list(MODELS):
    make, data = MODELS[name]
    x, y = data(), torch.randint(0, 10, (N,))
    for variant, (batch, accumulate) in VARIANTS.items():
        rate, threads = max((samples_per_second(make, x, y, batch, accumulate, t), t) for t in sorted({1, cores}))
        print(f"torch-accumulation {name} {variant} {rate:.0f} threads={threads}", flush=True)
