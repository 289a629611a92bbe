"""The MNIST from-scratch check of the README in PyTorch + timm, for comparison with
`efficientnet train` (same data file, 4,000 / 1,000 split of a seeded permutation, 64x64 bicubic
upscaling, ImageNet normalization, AdamW, one-cycle schedule, batch 32, label smoothing 0.1).

    python3 Benchmarks/timm_mnist.py --lr 0.02 [--threads 2] [--data ../shared/data/mnist_5k.csv.gz]

Prints validation top-1 and training images per second after every epoch. Needs torch, timm,
numpy and Pillow (timm imports torchvision; a stand-in is installed when it is missing).
Not part of the tests.
"""
import argparse
import gzip
import sys
import time
import types

import numpy as np
from PIL import Image


def stub_torchvision():
    """timm imports a few torchvision names; a minimal stand-in when torchvision is absent."""
    try:
        import torchvision  # noqa: F401
        return
    except ImportError:
        pass
    import enum
    import importlib.abc
    import importlib.machinery

    class InterpolationMode(enum.Enum):
        NEAREST = "nearest"
        BILINEAR = "bilinear"
        BICUBIC = "bicubic"
        BOX = "box"
        HAMMING = "hamming"
        LANCZOS = "lanczos"
        NEAREST_EXACT = "nearest-exact"

    class Finder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
        def find_spec(self, name, path, target=None):
            if name == "torchvision" or name.startswith("torchvision."):
                return importlib.machinery.ModuleSpec(name, self, is_package=True)
            return None

        def create_module(self, spec):
            module = types.ModuleType(spec.name)
            module.__path__ = []
            module.InterpolationMode = InterpolationMode

            def anything(attribute):
                if attribute.startswith("__"):
                    raise AttributeError(attribute)
                return type(attribute, (), {"__init__": lambda self, *a, **k: None})

            module.__getattr__ = anything
            return module

        def exec_module(self, module):
            pass

    sys.meta_path.insert(0, Finder())


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", default="../shared/data/mnist_5k.csv.gz")
    parser.add_argument("--lr", type=float, default=0.02)
    parser.add_argument("--epochs", type=int, default=6)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    stub_torchvision()
    import torch
    import timm

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    rows = []
    for line in gzip.open(args.data, "rt"):
        fields = line.strip().split(",")
        if len(fields) == 785:
            rows.append([int(value) for value in fields])
    data = np.array(rows)
    pixels, labels = data[:, :784].astype(np.uint8).reshape(-1, 28, 28), data[:, 784]
    mean = np.array([0.485, 0.456, 0.406], np.float32)[:, None, None]
    std = np.array([0.229, 0.224, 0.225], np.float32)[:, None, None]

    def prepare(digit):
        image = Image.fromarray(digit, "L").resize((64, 64), Image.BICUBIC)
        return (np.asarray(image, np.float32)[None] / 255 - mean) / std

    inputs = torch.tensor(np.stack([prepare(digit) for digit in pixels]))
    targets = torch.tensor(labels)
    order = np.random.RandomState(args.seed).permutation(len(inputs))
    train, validation = order[:4000], order[-1000:]
    model = timm.create_model("efficientnet_lite0", num_classes=10)
    optimizer = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=0.01)
    batch = 32
    steps = args.epochs * ((len(train) + batch - 1) // batch)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=args.lr, total_steps=steps)
    loss_function = torch.nn.CrossEntropyLoss(label_smoothing=0.1)
    for epoch in range(args.epochs):
        model.train()
        started = time.perf_counter()
        permutation = torch.randperm(len(train)).numpy()
        for start in range(0, len(train), batch):
            index = train[permutation[start:start + batch]]
            loss = loss_function(model(inputs[index]), targets[index])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            schedule.step()
        speed = len(train) / (time.perf_counter() - started)
        model.eval()
        with torch.no_grad():
            top1 = (model(inputs[validation]).argmax(1) == targets[validation]).float().mean().item()
        print(f"epoch {epoch + 1}: val top-1 {top1 * 100:.1f}%, {speed:.0f} training images/s", flush=True)


if __name__ == "__main__":
    main()
