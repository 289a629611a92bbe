"""Pillow's decode + timm eval preprocessing throughput, for comparison with ImagePipelineBenchmark.

Resize shorter side to 256 (bicubic), center crop 224, to float32 in [0, 1], normalize (numpy, as
torchvision's ToTensor + Normalize do). Usage: python3 Benchmarks/pillow_pipeline.py [--passes P] PATH...
"""
import os, sys, time
import numpy as np
from PIL import Image

args = sys.argv[1:]
passes = 5
if args and args[0] == "--passes":
    passes = int(args[1]); args = args[2:]
files = []
for path in args:
    if os.path.isdir(path):
        for root, _, names in os.walk(path):
            files += [os.path.join(root, n) for n in names if n.lower().endswith((".jpg", ".jpeg", ".png"))]
    else:
        files.append(path)
files.sort()
mean = np.array([0.485, 0.456, 0.406], np.float32); std = np.array([0.229, 0.224, 0.225], np.float32)
best = float("inf")
for _ in range(passes):
    start = time.perf_counter()
    for f in files:
        img = Image.open(f).convert("RGB")
        w, h = img.size
        s = 256
        nw, nh = (s, int(s * h / w)) if w <= h else (int(s * w / h), s)
        img = img.resize((nw, nh), Image.BICUBIC)
        left, top = int(round((nw - 224) / 2.0)), int(round((nh - 224) / 2.0))
        img = img.crop((left, top, left + 224, top + 224))
        x = (np.asarray(img, dtype=np.float32) / 255 - mean) / std
    best = min(best, time.perf_counter() - start)
print(f"pillow decode+preprocess (RGB, 224 crop of 256): {len(files)} images, best of {passes} passes: "
      f"{len(files) / best:.1f} images/s (1 thread), Pillow {Image.__version__}")
