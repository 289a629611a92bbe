"""Classifies images with an ONNX file that `efficientnet export` wrote, preparing each image from the
file's own metadata only (resize, center crop, interpolation, mean, std, class names).

    pip install onnxruntime pillow numpy
    efficientnet export --output lite0.onnx
    python3 Samples/onnx_classify.py lite0.onnx Samples/chelsea.jpg
"""
import json
import sys

import numpy as np
import onnxruntime as ort
from PIL import Image


def prepare(path, meta):
    """timm's evaluation transform, as the metadata describes it: shorter side to resize_shorter_side,
    center crop of resolution, pixels / 255, then (x - mean) / std per channel, NCHW."""
    resolution, shorter = int(meta["resolution"]), int(meta["resize_shorter_side"])
    filters = {"bicubic": Image.Resampling.BICUBIC, "bilinear": Image.Resampling.BILINEAR}
    mean, std = np.array(json.loads(meta["mean"])), np.array(json.loads(meta["std"]))
    image = Image.open(path).convert("RGB" if len(mean) == 3 else "L")
    width, height = image.size
    scale = shorter / min(width, height)
    size = (shorter, int(height * scale)) if width <= height else (int(width * scale), shorter)
    image = image.resize(size, filters[meta["interpolation"]])
    left, top = int(round((size[0] - resolution) / 2)), int(round((size[1] - resolution) / 2))
    image = image.crop((left, top, left + resolution, top + resolution))
    pixels = np.asarray(image, dtype=np.float32).reshape(resolution, resolution, -1) / 255
    return ((pixels - mean) / std).astype(np.float32).transpose(2, 0, 1)[None]


def main():
    session = ort.InferenceSession(sys.argv[1], providers=["CPUExecutionProvider"])
    meta = session.get_modelmeta().custom_metadata_map
    names = json.loads(meta.get("class_names", "[]"))
    for path in sys.argv[2:]:
        logits = session.run(None, {"input": prepare(path, meta)})[0][0]
        probabilities = np.exp(logits - logits.max())
        probabilities /= probabilities.sum()
        top = np.argsort(-probabilities)[:5]
        print(path + ": " + ", ".join(f"{names[i] if names else i} {probabilities[i]:.3f}" for i in top))


if __name__ == "__main__":
    main()
