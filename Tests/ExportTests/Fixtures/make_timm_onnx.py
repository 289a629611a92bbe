"""Makes the timm-exported ONNX fixtures that the import tests read: timm's own models, exported by
torch.onnx (TorchScript exporter, opset 17, eval mode: batch norms fused into the convolutions), with
the weights of the tiny timm fixtures in Tests/ModelTests/Fixtures, whose `.io` files hold timm's logits.

    pip install torch timm==1.0.31 safetensors onnx
    python3 Tests/ExportTests/Fixtures/make_timm_onnx.py

tiny_b0.timm.onnx     timm's EfficientNet-B0 table at width 0.25, depth 0.25, 10 classes (symmetric padding)
tiny_tf_b0.timm.onnx  the same with tf_efficientnet_b0's conventions: Conv2dSame, whose padding torch.onnx writes
                      as Pad nodes, BN eps 1e-3; exported for the fixture's 63x50 input
"""
import os
import warnings

import torch
from safetensors.torch import load_file
from timm.models import efficientnet as E

warnings.filterwarnings("ignore")
HERE = os.path.dirname(os.path.abspath(__file__))
MODELS = os.path.join(HERE, "..", "..", "ModelTests", "Fixtures")


def export(name, model, shape):
    model.load_state_dict(load_file(os.path.join(MODELS, f"{name}.weights.safetensors")), strict=True)
    model.eval()
    path = os.path.join(HERE, f"{name}.timm.onnx")
    torch.onnx.export(model, (torch.zeros(shape),), path, opset_version=17, input_names=["input"],
                      output_names=["logits"], dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}},
                      dynamo=False)
    print(path, os.path.getsize(path), "bytes")


export("tiny_b0", E._gen_efficientnet("efficientnet_b0", channel_multiplier=0.25, depth_multiplier=0.25,
                                      num_classes=10), (2, 3, 64, 64))
export("tiny_tf_b0", E._gen_efficientnet("tf_efficientnet_b0", channel_multiplier=0.25, depth_multiplier=0.25,
                                         bn_eps=1e-3, pad_type="same",
                                         num_classes=10), (2, 3, 63, 50))
