"""Makes detector-parity.safetensors: effdet 0.4.1's head outputs and DetBenchPredict detections
for tf_efficientdet_d0 and tf_efficientdet_lite0 with deterministic pseudo-random weights.

Every weight and input comes from SplitMix64 seeded by the FNV-1a hash of its name, so the Swift
tests rebuild them exactly (DeterministicDetectorWeights) and only the outputs are stored. Batch
norm statistics and fusion weights are randomized too (some fusion weights negative).

    pip install effdet==0.4.1 timm==1.0.31 torch safetensors
    python3 Tests/DetectionTests/Fixtures/make_detector_parity.py
"""
import math
import os
import warnings

import numpy as np
import torch
from safetensors.torch import save_file

warnings.filterwarnings("ignore")
from effdet import DetBenchPredict, create_model  # noqa: E402

MASK = (1 << 64) - 1
CASES = [("tf_efficientdet_d0", (128, 192)), ("tf_efficientdet_lite0", (128, 128))]
CLASSES = 4
BATCH = 2


def fnv1a(text):
    value = 0xCBF29CE484222325
    for byte in text.encode():
        value = ((value ^ byte) * 0x100000001B3) & MASK
    return value


def uniform(count, name):
    """count values in [-1, 1): SplitMix64 from fnv1a(name), top 24 bits of each draw."""
    state = fnv1a(name)
    values = np.empty(count, dtype=np.float64)
    for index in range(count):
        state = (state + 0x9E3779B97F4A7C15) & MASK
        mixed = state
        mixed = ((mixed ^ (mixed >> 30)) * 0xBF58476D1CE4E5B9) & MASK
        mixed = ((mixed ^ (mixed >> 27)) * 0x94D049BB133111EB) & MASK
        mixed ^= mixed >> 31
        values[index] = (mixed >> 40) / 8388608.0 - 1.0
    return values


def weight(name, shape):
    count = int(np.prod(shape)) if shape else 1
    u = uniform(count, name)
    if name.endswith("edge_weights"):
        values = u
    elif name.endswith("running_var"):
        values = 1.0 + 0.5 * u
    elif name.endswith("running_mean") or name.endswith(".bias"):
        values = 0.1 * u
    elif len(shape) == 1:  # batch-norm scale
        values = 1.0 + 0.25 * u
    else:
        fan_in = shape[1] * shape[2] * shape[3]
        values = u * math.sqrt(3.0 / fan_in)
    return torch.from_numpy(values.astype(np.float32)).reshape(shape)


tensors = {}
for name, size in CASES:
    model = create_model(
        name, pretrained=False, pretrained_backbone=False, num_classes=CLASSES, image_size=size
    ).eval()
    state = model.state_dict()
    for key, value in state.items():
        if not key.endswith("num_batches_tracked"):
            state[key] = weight(key, list(value.shape))
    model.load_state_dict(state)
    x = torch.from_numpy((2 * uniform(BATCH * 3 * size[0] * size[1], name + ".input")).astype(np.float32))
    x = x.reshape(BATCH, 3, size[0], size[1])
    with torch.no_grad():
        class_out, box_out = model(x)
        detections = DetBenchPredict(model).eval()(x)
    for level, (c, b) in enumerate(zip(class_out, box_out)):
        tensors[f"{name}.class_out.{level}"] = c.contiguous()
        tensors[f"{name}.box_out.{level}"] = b.contiguous()
    tensors[f"{name}.detections"] = detections.contiguous()
    print(name, [tuple(c.shape) for c in class_out], tuple(detections.shape), float(detections[0, 0, 4]))

# The whole image path on a real photo: effdet's letterbox (ResizePad, bilinear, mean fill), its
# prefetcher's normalization, DetBenchPredict with image information (boxes clipped, then in the
# photo's pixels). Lite0 (mean = std = 0.5) at 128x128.
from PIL import Image  # noqa: E402
from effdet.data.transforms import ResizePad, resolve_fill_color  # noqa: E402

here = os.path.dirname(os.path.abspath(__file__))
photo = Image.open(os.path.join(here, "..", "..", "..", "Samples", "chelsea.jpg")).convert("RGB")
name, size = "tf_efficientdet_lite0", (128, 128)
model = create_model(name, pretrained=False, pretrained_backbone=False, num_classes=CLASSES, image_size=size).eval()
state = model.state_dict()
for key, value in state.items():
    if not key.endswith("num_batches_tracked"):
        state[key] = weight(key, list(value.shape))
model.load_state_dict(state)
mean, std = (0.5, 0.5, 0.5), (0.5, 0.5, 0.5)
canvas, info = ResizePad(size[0], interpolation="bilinear", fill_color=resolve_fill_color("mean", mean))(photo, {})
pixels = torch.from_numpy(np.asarray(canvas, dtype=np.uint8).copy())
tensors["letterbox.canvas"] = pixels.float().contiguous()
x = pixels.permute(2, 0, 1).unsqueeze(0).float()
x = (x - torch.tensor(mean).view(1, 3, 1, 1) * 255) / (torch.tensor(std).view(1, 3, 1, 1) * 255)
img_info = {
    "img_scale": torch.tensor([info["img_scale"]], dtype=torch.float32),
    "img_size": torch.tensor([[photo.width, photo.height]], dtype=torch.float32),
}
with torch.no_grad():
    tensors["letterbox.detections"] = DetBenchPredict(model).eval()(x, img_info=img_info).contiguous()
print("letterbox", photo.size, info["img_scale"], tensors["letterbox.detections"][0, :2])

path = os.path.join(here, "detector-parity.safetensors")
save_file(tensors, path)
