#!/usr/bin/env python3
"""Writes optimizer_fixtures.json: PyTorch/timm reference trajectories for the Swift optimizers.

Run from anywhere (timm needs the torchvision shim on this machine):
    PYTHONPATH=/tmp/tvshim python3 make_optimizer_fixtures.py

For every optimizer configuration the file holds two float32 parameters ("weight" [3, 4] with weight
decay, "bias" [5] without), five gradient sets, the learning rate of each step and the parameters after
each step. It also holds torch.nn.utils.clip_grad_norm_ results for two gradient-norm limits.
"""

import json
import os

import torch
from timm.optim import RMSpropTF

STEPS = 5
LEARNING_RATES = [0.1, 0.08, 0.05, 0.05, 0.02]
SHAPES = {"weight": (3, 4), "bias": (5,)}


def values(tensor):
    """Float32 values as shortest round-trip decimal text parsed back as floats."""
    return [float("%.9g" % v) for v in tensor.detach().reshape(-1).tolist()]


def make_trajectory(name, build_optimizer, generator):
    initial = {k: torch.randn(*s, generator=generator, dtype=torch.float32) for k, s in SHAPES.items()}
    params = {k: torch.nn.Parameter(v.clone()) for k, v in initial.items()}
    optimizer = build_optimizer(params)
    gradients, expected = [], []
    for step in range(STEPS):
        # Gradients of mixed scale so that squared averages and momentum matter.
        grads = {k: torch.randn(*s, generator=generator) * (0.5 + step) for k, s in SHAPES.items()}
        for group in optimizer.param_groups:
            group["lr"] = LEARNING_RATES[step]
        for k, p in params.items():
            p.grad = grads[k].clone()
        optimizer.step()
        gradients.append({k: values(g) for k, g in grads.items()})
        expected.append({k: values(p) for k, p in params.items()})
    return {
        "name": name,
        "initial": {k: values(v) for k, v in initial.items()},
        "learningRates": LEARNING_RATES,
        "gradients": gradients,
        "expected": expected,
    }


def groups(params, weight_decay):
    """Weight decay on "weight" only, as the Swift side's `decays` flag says."""
    return [
        {"params": [params["weight"]], "weight_decay": weight_decay},
        {"params": [params["bias"]], "weight_decay": 0.0},
    ]


def main():
    generator = torch.Generator().manual_seed(20240611)
    configurations = [
        ("sgd", lambda p: torch.optim.SGD(groups(p, 0.0), lr=0.1, foreach=False)),
        ("sgd_momentum_decay",
         lambda p: torch.optim.SGD(groups(p, 0.01), lr=0.1, momentum=0.9, foreach=False)),
        ("sgd_nesterov_decay",
         lambda p: torch.optim.SGD(groups(p, 0.01), lr=0.1, momentum=0.9, nesterov=True, foreach=False)),
        ("sgd_momentum_dampening",
         lambda p: torch.optim.SGD(groups(p, 0.0), lr=0.1, momentum=0.8, dampening=0.25, foreach=False)),
        ("rmsprop_tf_decay",
         lambda p: RMSpropTF(groups(p, 0.01), lr=0.1, alpha=0.9, momentum=0.9, eps=1e-3, foreach=False)),
        ("rmsprop_tf_no_momentum",
         lambda p: RMSpropTF(groups(p, 0.0), lr=0.1, alpha=0.9, momentum=0.0, eps=1e-3, foreach=False)),
        ("adamw_decay",
         lambda p: torch.optim.AdamW(groups(p, 0.05), lr=0.1, betas=(0.9, 0.999), eps=1e-8, foreach=False)),
    ]
    trajectories = [make_trajectory(n, build, generator) for n, build in configurations]

    clipping = []
    for max_norm in [1.0, 1000.0]:
        grads = {k: torch.randn(*s, generator=generator) for k, s in SHAPES.items()}
        params = {k: torch.nn.Parameter(torch.zeros(*s)) for k, s in SHAPES.items()}
        for k, p in params.items():
            p.grad = grads[k].clone()
        total = torch.nn.utils.clip_grad_norm_(list(params.values()), max_norm, foreach=False)
        clipping.append({
            "maxNorm": max_norm,
            "gradients": {k: values(g) for k, g in grads.items()},
            "totalNorm": float(total),
            "clipped": {k: values(p.grad) for k, p in params.items()},
        })

    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "optimizer_fixtures.json")
    with open(path, "w") as file:
        json.dump({"trajectories": trajectories, "clipping": clipping}, file, separators=(",", ":"))
    print("wrote", path, os.path.getsize(path), "bytes")


if __name__ == "__main__":
    main()
