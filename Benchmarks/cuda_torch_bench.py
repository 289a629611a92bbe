#!/usr/bin/env python3
"""PyTorch eager B0 inference on the GPU, the peer for `efficientnet bench --device cuda` in
Scripts/device-check.sh: channels-last, cuDNN benchmark mode, strict fp32 (TF32 off) and TF32,
batch 1 and 256, median milliseconds per pass and images per second, as one JSON line each."""
import json
import statistics
import time

import timm
import torch


def bench(model, batch, seconds=4.0):
    x = torch.randn(batch, 3, 224, 224, device="cuda").to(memory_format=torch.channels_last)
    with torch.inference_mode():
        for _ in range(5):
            model(x)
        torch.cuda.synchronize()
        times, start = [], time.time()
        while time.time() - start < seconds or len(times) < 10:
            begin = time.perf_counter()
            model(x)
            torch.cuda.synchronize()
            times.append(time.perf_counter() - begin)
    median = statistics.median(times)
    return {"ms": median * 1000, "images_per_second": batch / median}


def main():
    torch.backends.cudnn.benchmark = True
    model = timm.create_model("efficientnet_b0", pretrained=False).cuda().eval()
    model = model.to(memory_format=torch.channels_last)
    print(json.dumps({"gpu": torch.cuda.get_device_name(), "torch": torch.__version__}))
    for precision, tf32 in [("fp32", False), ("tf32", True)]:
        torch.backends.cuda.matmul.allow_tf32 = tf32
        torch.backends.cudnn.allow_tf32 = tf32
        for batch in (1, 256):
            print(json.dumps({"precision": precision, "batch": batch, **bench(model, batch)}))


if __name__ == "__main__":
    main()
