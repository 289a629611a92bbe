"""Makes detector-family.json: effdet's parameter counts and torch-counted MACs for every named
EfficientDet, and the state-dict names and shapes of four of them.

Run with effdet 0.4.1, timm 1.0.31 and torch (pip install effdet==0.4.1 timm==1.0.31 torch):
    python3 Tests/DetectionTests/Fixtures/make_detector_fixtures.py
"""
import json
import os
import warnings

import torch
from torch.utils.flop_counter import FlopCounterMode

warnings.filterwarnings("ignore")
from effdet import create_model  # noqa: E402

NAMES = [f"tf_efficientdet_d{i}" for i in range(8)] + ["tf_efficientdet_d7x"]
NAMES += [f"tf_efficientdet_lite{s}" for s in ["0", "1", "2", "3", "3x", "4"]]
NAMES += ["efficientdet_d0", "efficientdet_d1"]
WITH_NAMES = {"tf_efficientdet_d0", "tf_efficientdet_lite0", "tf_efficientdet_d7x", "efficientdet_d0"}
# MACs at a small input (the count scales with area; the formula is what is checked).
SIDE = 256

family = {}
for name in NAMES:
    model = create_model(name, pretrained=False, pretrained_backbone=False, image_size=(SIDE, SIDE)).eval()
    entry = {"params": sum(p.numel() for p in model.parameters())}
    counter = FlopCounterMode(display=False)
    with counter, torch.no_grad():
        model(torch.zeros(1, 3, SIDE, SIDE))
    entry["macs_at_256"] = counter.get_total_flops() // 2
    if name in WITH_NAMES:
        entry["tensors"] = [
            [key, list(value.shape)]
            for key, value in model.state_dict().items()
            if not key.endswith("num_batches_tracked")
        ]
    family[name] = entry
    print(name, entry["params"], entry["macs_at_256"])

path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "detector-family.json")
with open(path, "w") as file:
    json.dump(family, file, separators=(",", ":"))
