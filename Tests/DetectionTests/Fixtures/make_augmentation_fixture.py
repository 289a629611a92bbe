"""Makes augmentation.safetensors: effdet's training transform (RandomFlip then RandomResizePad, as
effdet's transforms_coco_train composes them) on Samples/chelsea.jpg with hand-picked boxes, for
five fixed sets of random choices (flip, scale factor, crop offsets, filter), recorded by replacing
Python's `random` draws with these values. Each case stores the uint8 canvas (as float32), the kept
boxes [y1, x1, y2, x2] and their classes.

Run with effdet 0.4.1 (pip install effdet==0.4.1 timm==1.0.31 torch):
    python3 Tests/DetectionTests/Fixtures/make_augmentation_fixture.py
"""
import json
import os
import random
import warnings

import numpy as np
from PIL import Image
from safetensors.numpy import save_file

warnings.filterwarnings("ignore")
from effdet.data import transforms  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(HERE)))
SIZE = (96, 128)  # (height, width): not square, so the fit scale picks one side
MEAN_FILL = tuple(int(round(255 * m)) for m in (0.485, 0.456, 0.406))
# Boxes in the photo's pixels, [x, y, w, h] as COCO stores them (the cat's head, an ear, a paw, an
# edge box that a crop cuts).
BOXES_XYWH = np.array([[120, 40, 160, 130], [140, 30, 40, 40], [300, 230, 80, 60], [0, 0, 60, 300]], np.float32)
CLASSES = np.array([1, 2, 1, 3], np.float32)
# (flip, scale factor, offset fraction y, offset fraction x, filter) for each case.
CASES = [
    (False, 1.0, 0.0, 0.0, "bilinear"),
    (True, 0.45, 0.7, 0.3, "bicubic"),
    (False, 1.7, 0.25, 0.8, "bilinear"),
    (True, 1.9, 0.9, 0.05, "bicubic"),
    (True, 0.12, 0.5, 0.5, "bilinear"),
]
FILTERS = {"bilinear": Image.BILINEAR, "bicubic": Image.BICUBIC}

photo = Image.open(os.path.join(ROOT, "Samples", "chelsea.jpg")).convert("RGB")
tensors = {}
cases = []
for index, (flips, factor, fraction_y, fraction_x, name) in enumerate(CASES):
    draws = iter([0.0 if flips else 0.99])
    uniforms = iter([factor, fraction_y, fraction_x])
    random.random = lambda: next(draws)
    random.uniform = lambda a, b: next(uniforms)
    random.choice = lambda options: FILTERS[name]
    x, y, w, h = BOXES_XYWH.T
    annotation = {"bbox": np.stack([y, x, y + h, x + w], axis=1).astype(np.float32), "cls": CLASSES.copy()}
    flip = transforms.RandomFlip(horizontal=True, prob=0.5)
    resize_pad = transforms.RandomResizePad(target_size=SIZE, interpolation="random", fill_color=MEAN_FILL)
    image, annotation = flip(photo.copy(), annotation)
    image, annotation = resize_pad(image, annotation)
    tensors[f"canvas.{index}"] = np.asarray(image, np.float32)
    tensors[f"boxes.{index}"] = annotation["bbox"].astype(np.float32).reshape(-1, 4)
    tensors[f"classes.{index}"] = annotation["cls"].astype(np.float32)
    cases.append({"flips": flips, "scale": factor, "offset_y": fraction_y, "offset_x": fraction_x, "filter": name})

tensors["boxes_xywh"] = BOXES_XYWH
tensors["classes"] = CLASSES
save_file(tensors, os.path.join(HERE, "augmentation.safetensors"), metadata={"cases": json.dumps(cases)})
print("wrote augmentation.safetensors:", len(CASES), "cases")
