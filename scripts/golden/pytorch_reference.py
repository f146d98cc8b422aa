#!/usr/bin/python3
"""Regenerates test/golden/pytorch-reference.json: PyTorch's own optimizer steps and learning-rate
schedules, in float64 on the CPU, that test/optim/golden.test.ts and test/schedule/golden.test.ts replay
through stepwise.

Run it with Debian's Python and PyTorch (apt-get install python3-torch, PyTorch 1.13), from the repository root:

    /usr/bin/python3 scripts/golden/pytorch_reference.py --out test/golden/pytorch-reference.json
    /usr/bin/python3 scripts/golden/pytorch_reference.py > /tmp/reference.json    # to stdout instead

--out writes atomically (a temporary file beside it, then a rename). Nothing is random but the inputs, which
come from fixed seeds: optimizer case i (from 0) seeds torch.manual_seed(i + 1), draws params0 with
torch.randn(5) and then each of its 6 gradients with torch.randn(5), all float64. With PyTorch 1.13.1 the
output is byte for byte the committed file; scripts/golden/compare_reference.py reports how far two files
differ. PyTorch 2 changed NAdam (the test maps the NAdam case with legacyPytorch113: true), so a file made
with another version needs that mapping revisited.
"""
import argparse
import json
import os
import sys
import tempfile
import warnings

import torch
from torch.optim import lr_scheduler

STEPS = 6  # gradients per optimizer case
SIZE = 5  # parameters per optimizer case
SCHEDULE_STEPS = 40
BASE_LR = 0.1
ADAM = {"lr": 0.1, "betas": [0.9, 0.999], "eps": 1e-08, "weight_decay": 0.0}

# (name in the file, torch.optim class, constructor options, global-norm clip or None), in the file's order
OPTIMIZER_CASES = [
    ("SGD", torch.optim.SGD, {"lr": 0.1, "weight_decay": 0.0}, None),
    ("Momentum", torch.optim.SGD, {"lr": 0.1, "momentum": 0.9, "dampening": 0.0, "weight_decay": 0.0}, None),
    ("Nesterov", torch.optim.SGD, {"lr": 0.1, "momentum": 0.9, "nesterov": True, "weight_decay": 0.0}, None),
    ("Adagrad", torch.optim.Adagrad, {"lr": 0.1, "lr_decay": 0.0, "initial_accumulator_value": 0.0, "eps": 1e-10, "weight_decay": 0.0}, None),
    ("RMSprop", torch.optim.RMSprop, {"lr": 0.01, "alpha": 0.99, "eps": 1e-08, "momentum": 0.0, "centered": False, "weight_decay": 0.0}, None),
    ("Adam", torch.optim.Adam, {**ADAM, "amsgrad": False}, None),
    ("AMSGrad", torch.optim.Adam, {**ADAM, "amsgrad": True}, None),
    ("AdamW", torch.optim.AdamW, {**ADAM, "weight_decay": 0.01}, None),
    ("Adamax", torch.optim.Adamax, dict(ADAM), None),
    ("NAdam", torch.optim.NAdam, {**ADAM, "momentum_decay": 0.004}, None),
    ("Adam+clip", torch.optim.Adam, dict(ADAM), 1.0),
]

# the ReduceLROnPlateau case's metric at each step: improves, stalls, and repeats every 10 steps
PLATEAU_METRICS = [1.0, 0.9, 0.85, 0.85, 0.86, 0.85, 0.84, 0.84, 0.84, 0.85] * 4

SOURCE = (
    "PyTorch {version} CPU float64; each optimizer case applies the listed gradients in order (weight_decay as "
    "PyTorch defines it: L2 added to the gradient, except AdamW's decoupled decay; clipGlobalNorm clips the "
    "gradient's global L2 norm before the step); each schedule lists the learning rate in force at steps 0..N-1"
)


def optimizer_case(index, name, optimizer_class, options, clip):
    """Seeded initial parameters and gradients, and the parameters after each step."""
    torch.manual_seed(index + 1)
    params0 = torch.randn(SIZE, dtype=torch.float64)
    grads = [torch.randn(SIZE, dtype=torch.float64) for _ in range(STEPS)]
    param = torch.nn.Parameter(params0.clone())
    optimizer = optimizer_class([param], **{k: tuple(v) if k == "betas" else v for k, v in options.items()})
    params = []
    for grad in grads:
        optimizer.zero_grad()
        param.grad = grad.clone()
        if clip is not None:
            torch.nn.utils.clip_grad_norm_([param], clip)
        optimizer.step()
        params.append(param.detach().tolist())
    return {
        "optimizer": name,
        "options": options,
        "clipGlobalNorm": clip,
        "params0": params0.tolist(),
        "grads": [g.tolist() for g in grads],
        "params": params,
    }


def sgd(momentum=0.0):
    """A one-parameter SGD optimizer at BASE_LR for a scheduler to drive."""
    return torch.optim.SGD([torch.nn.Parameter(torch.zeros(1, dtype=torch.float64))], lr=BASE_LR, momentum=momentum)


def schedule_values(optimizer, scheduler, metrics=None, momentum=False):
    """The learning rate (and momentum) in force at each step, the scheduler stepped after each."""
    group = optimizer.param_groups[0]
    lr, moment = [], []
    for step in range(SCHEDULE_STEPS):
        lr.append(group["lr"])
        if momentum:
            moment.append(group["momentum"])
        optimizer.step()
        if metrics is None:
            scheduler.step()
        else:
            scheduler.step(metrics[step])
    return lr, moment


def schedule_case(name, options, make):
    """A scheduler that `make(optimizer, **options)` builds, over SCHEDULE_STEPS steps."""
    optimizer = sgd()
    lr, _ = schedule_values(optimizer, make(optimizer, **options))
    return {"schedule": name, "baseLr": BASE_LR, "options": options, "lr": lr}


def one_cycle_case():
    options = {
        "max_lr": 0.1,
        "total_steps": SCHEDULE_STEPS,
        "pct_start": 0.3,
        "anneal_strategy": "cos",
        "cycle_momentum": True,
        "div_factor": 25.0,
        "final_div_factor": 10000.0,
    }
    optimizer = sgd(momentum=0.9)
    lr, momentum = schedule_values(optimizer, lr_scheduler.OneCycleLR(optimizer, **options), momentum=True)
    return {"schedule": "OneCycleLR", "baseLr": BASE_LR, "options": options, "lr": lr, "momentum": momentum}


def plateau_case():
    options = {"mode": "min", "factor": 0.5, "patience": 2, "threshold": 0.0001, "threshold_mode": "rel", "cooldown": 0, "min_lr": 0.0}
    optimizer = sgd()
    lr, _ = schedule_values(optimizer, lr_scheduler.ReduceLROnPlateau(optimizer, **options), metrics=PLATEAU_METRICS)
    return {"schedule": "ReduceLROnPlateau", "baseLr": BASE_LR, "options": options, "lr": lr, "metrics": PLATEAU_METRICS}


def sequential_case():
    options = {"warmup": {"start_factor": 0.01, "total_iters": 5}, "cosine": {"T_max": 35}, "milestones": [5]}
    optimizer = sgd()
    warmup = lr_scheduler.LinearLR(optimizer, **options["warmup"])
    cosine = lr_scheduler.CosineAnnealingLR(optimizer, **options["cosine"])
    with warnings.catch_warnings():
        # PyTorch 1.13's SequentialLR steps its schedulers with an epoch itself, and warns about that
        warnings.filterwarnings("ignore", message="The epoch parameter in `scheduler.step\\(\\)` was not necessary")
        scheduler = lr_scheduler.SequentialLR(optimizer, [warmup, cosine], milestones=options["milestones"])
        lr, _ = schedule_values(optimizer, scheduler)
    return {"schedule": "SequentialLR(LinearLR,CosineAnnealingLR)", "baseLr": BASE_LR, "options": options, "lr": lr}


def schedule_cases():
    cyclic = {"base_lr": 0.01, "max_lr": 0.1, "step_size_up": 5, "mode": "triangular", "cycle_momentum": False}
    return [
        schedule_case("StepLR", {"step_size": 7, "gamma": 0.5}, lr_scheduler.StepLR),
        schedule_case("MultiStepLR", {"milestones": [10, 25], "gamma": 0.1}, lr_scheduler.MultiStepLR),
        schedule_case("ConstantLR", {"factor": 1 / 3, "total_iters": 5}, lr_scheduler.ConstantLR),
        schedule_case("LinearLR", {"start_factor": 0.1, "end_factor": 1.0, "total_iters": 10}, lr_scheduler.LinearLR),
        schedule_case("ExponentialLR", {"gamma": 0.9}, lr_scheduler.ExponentialLR),
        schedule_case("PolynomialLR", {"total_iters": 30, "power": 1.0}, lr_scheduler.PolynomialLR),
        schedule_case("CosineAnnealingLR", {"T_max": SCHEDULE_STEPS, "eta_min": 0.0}, lr_scheduler.CosineAnnealingLR),
        schedule_case("CosineAnnealingWarmRestarts", {"T_0": 10, "T_mult": 1, "eta_min": 0.0}, lr_scheduler.CosineAnnealingWarmRestarts),
        schedule_case("CyclicLR", cyclic, lr_scheduler.CyclicLR),
        one_cycle_case(),
        plateau_case(),
        sequential_case(),
    ]


def reference():
    return {
        "source": SOURCE.format(version=torch.__version__),
        "optimizers": [optimizer_case(i, *case) for i, case in enumerate(OPTIMIZER_CASES)],
        "schedules": schedule_cases(),
    }


def write_atomically(path, text):
    folder = os.path.dirname(os.path.abspath(path))
    fd, temporary = tempfile.mkstemp(dir=folder, prefix=".pytorch-reference-", suffix=".json")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.chmod(temporary, 0o644)  # mkstemp's file is private to its owner; the reference is not
        os.replace(temporary, path)
    except BaseException:
        os.unlink(temporary)
        raise


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", help="write the JSON to this file (atomically) instead of stdout")
    args = parser.parse_args()
    if not torch.__version__.startswith("1.13"):
        print(f"warning: PyTorch {torch.__version__}, not 1.13: its NAdam differs from the one the golden test maps", file=sys.stderr)
    # float64 throughout: PyTorch 1.13 also keeps each optimizer's step count as a tensor of the default dtype
    torch.set_default_dtype(torch.float64)
    text = json.dumps(reference(), indent=1)
    if args.out:
        write_atomically(args.out, text)
    else:
        sys.stdout.write(text)


if __name__ == "__main__":
    main()
