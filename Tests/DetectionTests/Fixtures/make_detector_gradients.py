"""Makes detector-gradients.safetensors: one training-mode forward and backward (in double precision) of effdet 0.4.1's
tf_efficientdet_d0 and tf_efficientdet_lite0 (3 classes, 256x256, batch 4, no stochastic depth)
with the deterministic weights of make_detector_parity.py, under the loss
sum(class_out * R) + sum(box_out * R') with deterministic R: the head outputs, the gradient of
every tensor outside the backbone and of every backbone tensor of at most 5,000 elements, and the
running statistics after the step.

    python3 Tests/DetectionTests/Fixtures/make_detector_gradients.py
"""
import os
import warnings

import numpy as np
import torch
from safetensors.torch import save_file

warnings.filterwarnings("ignore")
from effdet import EfficientDet, get_efficientdet_config  # noqa: E402

here = os.path.dirname(os.path.abspath(__file__))
source = open(os.path.join(here, "make_detector_parity.py")).read().split("tensors = {}")[0]
helpers = {}
exec(source, helpers)
uniform, weight = helpers["uniform"], helpers["weight"]

# 256x256 and a batch of 4: the batch norms at P6 and P7 see 32 and 8 values per channel, enough
# for float32 to agree with float64 to about 1e-5 (at 128x128 and 2 images torch's own float32
# gradients differ from float64's by 1e-3).
CLASSES, BATCH, SIZE = 3, 4, (256, 256)
tensors = {}
for name in ["tf_efficientdet_d0", "tf_efficientdet_lite0"]:
    config = get_efficientdet_config(name)
    config.num_classes, config.image_size = CLASSES, SIZE
    config.backbone_args = dict(drop_path_rate=0.0)
    model = EfficientDet(config, pretrained_backbone=False)
    state = model.state_dict()
    for key, value in state.items():
        if not key.endswith("num_batches_tracked"):
            state[key] = weight(key, list(value.shape))
    model.load_state_dict(state)
    # In double precision: the reference for float32 arithmetic in any order (torch's own float32
    # gradients differ from these by up to 3e-2 for Lite0, whose ReLU6 masks flip, and 3e-5 for D0).
    model = model.double().train()
    x = torch.from_numpy(2 * uniform(BATCH * 3 * SIZE[0] * SIZE[1], name + ".input"))
    x = x.reshape(BATCH, 3, *SIZE)
    class_out, box_out = model(x)
    loss = 0
    for level, (c, b) in enumerate(zip(class_out, box_out)):
        if level in (0, 4):
            tensors[f"{name}.class_out.{level}"] = c.detach().float().contiguous()
        r_class = torch.from_numpy(uniform(c.numel(), f"{name}.class_gradient.{level}"))
        r_box = torch.from_numpy(uniform(b.numel(), f"{name}.box_gradient.{level}"))
        loss = loss + (c * r_class.reshape(c.shape)).sum() + (b * r_box.reshape(b.shape)).sum()
    loss.backward()
    for key, parameter in model.named_parameters():
        if not key.startswith("backbone.") or parameter.numel() <= 5000:
            tensors[f"{name}.grad.{key}"] = parameter.grad.detach().float().contiguous()
    for key, value in model.state_dict().items():
        if key.endswith("running_mean") or key.endswith("running_var"):
            if not key.startswith("backbone.") or value.numel() <= 5000:
                tensors[f"{name}.state.{key}"] = value.detach().float().contiguous()
    print(name, float(loss), len(tensors))

save_file(tensors, os.path.join(here, "detector-gradients.safetensors"))
