"""Builds loss-fixture.safetensors: effdet's anchor labels, detection loss and its autograd
gradients for tf_efficientdet_lite0 (3 classes) at 96x64 on a batch of two images.

Run from the repository root: python Tests/DetectionTests/Fixtures/make_loss_fixtures.py
(effdet 0.4.1, torch, safetensors).
"""
import os

import numpy as np
import torch
from effdet.anchors import Anchors, AnchorLabeler
from effdet.config import get_efficientdet_config
from effdet.loss import DetectionLoss
from safetensors.torch import save_file

HERE = os.path.dirname(os.path.abspath(__file__))

config = get_efficientdet_config("tf_efficientdet_lite0")
config.num_classes = 3
config.image_size = (96, 64)
anchors = Anchors.from_config(config)
labeler = AnchorLabeler(anchors, config.num_classes, match_threshold=0.5)
loss = DetectionLoss(config)

# [y1, x1, y2, x2] in input pixels, 1-based classes; rows of -1 pad each image to five boxes.
boxes = torch.tensor([
    [[10, 5, 60, 40], [40, 40, 44, 43], [20, 10, 66, 52], [-1, -1, -1, -1], [-1, -1, -1, -1]],
    [[0, 0, 96, 64], [70, 20, 90, 30], [3, 50, 9, 56], [30, 12, 62, 44], [-1, -1, -1, -1]],
], dtype=torch.float32)
classes = torch.tensor([[1, 3, 2, -1, -1], [2, 1, 3, 3, -1]], dtype=torch.float32)
cls_targets, box_targets, num_positives = labeler.batch_label_anchors(boxes, classes)

rng = np.random.default_rng(16)
levels = range(config.min_level, config.max_level + 1)
class_outputs, box_outputs = [], []
for index, _ in enumerate(levels):
    height, width = cls_targets[index].shape[1:3]
    class_outputs.append(torch.tensor(
        rng.standard_normal((2, height, width, 9 * config.num_classes)), dtype=torch.float32, requires_grad=True))
    box_outputs.append(torch.tensor(
        rng.standard_normal((2, height, width, 36)) * 0.5, dtype=torch.float32, requires_grad=True))

total, class_loss, box_loss = loss(
    [c.permute(0, 3, 1, 2) for c in class_outputs], [b.permute(0, 3, 1, 2) for b in box_outputs],
    cls_targets, box_targets, num_positives)
total.backward()

tensors = {
    "boxes": boxes, "classes": classes, "num_positives": num_positives,
    "losses": torch.stack([class_loss, box_loss, total]).detach(),
}
for index, level in enumerate(levels):
    tensors[f"class_targets.{level}"] = cls_targets[index].to(torch.int8)
    tensors[f"box_targets.{level}"] = box_targets[index]
    tensors[f"class_outputs.{level}"] = class_outputs[index].detach()
    tensors[f"box_outputs.{level}"] = box_outputs[index].detach()
    tensors[f"class_gradients.{level}"] = class_outputs[index].grad
    tensors[f"box_gradients.{level}"] = box_outputs[index].grad
save_file({k: v.contiguous() for k, v in tensors.items()}, os.path.join(HERE, "loss-fixture.safetensors"))
print({k: tuple(v.shape) for k, v in tensors.items()})
print("losses", tensors["losses"].tolist(), "positives", num_positives.tolist())
for index, level in enumerate(levels):
    t = cls_targets[index]
    print(level, "classes", {v: int((t == v).sum()) for v in t.unique().tolist()})
