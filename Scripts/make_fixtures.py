"""Extra parity fixtures for swift-efficientnet's tests, computed with timm (PyTorch, CPU, float32).

Complements shared/reference (which covers efficientnet_b0 with symmetric padding) with the two other
conventions of the family:
  tiny_tf_b0  - TensorFlow "SAME" padding and BN eps 1e-3 (timm's tf_efficientnet_*), on an odd-sized,
                non-square input so the asymmetric stride-2 padding is exercised;
  tiny_lite   - EfficientNet-Lite: ReLU6, no squeeze-and-excitation, fixed stem/head and end stages.
Both use the B0 block table at width 0.25, depth 0.25, 10 classes, with randomized batch norm.

Usage: python Scripts/make_fixtures.py Tests/ModelTests/Fixtures
(On machines where torchvision does not import, put a stub torchvision on PYTHONPATH: timm only imports it.)
"""
import json, os, sys
import torch
from safetensors.torch import save_file
from timm.models import efficientnet as E

out = sys.argv[1]
torch.manual_seed(0)


def randomize_bn(model, g):
    for m in model.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            n = m.num_features
            m.weight.data = torch.empty(n).uniform_(0.5, 1.5, generator=g)
            m.bias.data = torch.randn(n, generator=g) * 0.1
            m.running_mean.data = torch.randn(n, generator=g) * 0.1
            m.running_var.data = torch.empty(n).uniform_(0.5, 1.5, generator=g)


def fixture(name, model, shape, seed, meta):
    g = torch.Generator().manual_seed(seed)
    randomize_bn(model, g)
    model.eval()
    x = torch.randn(*shape, generator=g)
    with torch.no_grad():
        t = {"input": x, "logits": model(x)}
        for i, f in enumerate(model.forward_intermediates(x, intermediates_only=True)):
            t[f"features.{i}"] = f
    sd = {k: v.contiguous() for k, v in model.state_dict().items() if not k.endswith("num_batches_tracked")}
    meta = {k: json.dumps(v) if not isinstance(v, str) else v for k, v in meta.items()}
    save_file(sd, os.path.join(out, name + ".weights.safetensors"), metadata=meta)
    save_file({k: v.contiguous() for k, v in t.items()}, os.path.join(out, name + ".io.safetensors"), metadata=meta)
    print(name, tuple(t["logits"].shape), len(sd), "tensors")


fixture("tiny_tf_b0",
        E._gen_efficientnet("tf_efficientnet_b0", channel_multiplier=0.25, depth_multiplier=0.25, num_classes=10,
                            bn_eps=1e-3, pad_type="same"),
        (2, 3, 63, 50), 11, {"model": "tf_efficientnet_b0", "width": 0.25, "depth": 0.25, "num_classes": 10,
                             "padding": "tf-same", "bn_eps": 1e-3})
fixture("tiny_lite",
        E._gen_efficientnet_lite("efficientnet_lite0", channel_multiplier=0.25, depth_multiplier=0.25, num_classes=10),
        (2, 3, 61, 64), 12, {"model": "efficientnet_lite0", "width": 0.25, "depth": 0.25, "num_classes": 10,
                             "padding": "pytorch-symmetric", "bn_eps": 1e-5})
