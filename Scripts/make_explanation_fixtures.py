"""Grad-CAM and embedding fixtures for swift-efficientnet's explanation tests, computed with timm
(PyTorch, CPU, float32).

tiny_b0.gradcam.safetensors, tiny_lite.gradcam.safetensors
    The tiny fixture models (Tests/ModelTests/Fixtures/tiny_{b0,lite}.weights.safetensors) loaded into
    timm, one seeded input [1, 3, 80, 112] (values rounded to float16 so the file can store them exactly
    in half the space), and for the top-1 class:
      logits [1, K], pre_logits [1, F] (forward_head(forward_features(x), pre_logits=True)),
      {head,block}.weights  alpha = mean over positions of d logit / d A,
      {head,block}.coarse   ReLU(sum_k alpha_k A_k), [h, w],
      {head,block}.heatmap  coarse minus its min over its new max, bilinearly upsampled
                            (align_corners=False) to [80, 112], stored as float16,
    where A is bn2's output (conv_head + BN + activation) for `head` and blocks[-1]'s output for `block`.
    The metadata holds the class.
lite0_photos.prelogits.safetensors
    Pretrained Lite0 (the package's shipped weights loaded into timm's efficientnet_lite0) on timm's
    preprocessed chelsea.png and coffee.png (from photos/lite0_photos.io.safetensors): pre_logits [2, 1280].

Usage: python Scripts/make_explanation_fixtures.py Tests/ModelTests/Fixtures
(On machines where torchvision does not import, put a stub torchvision on PYTHONPATH: timm only imports it.)
"""
import json, os, sys
import torch
import torch.nn.functional as F
from safetensors.torch import save_file, load_file
from timm.models import efficientnet as E

fixtures = sys.argv[1]
out = os.path.join(fixtures, "explanation")
os.makedirs(out, exist_ok=True)


def grad_cam(model, x):
    stored = {}
    model.bn2.register_forward_hook(lambda m, i, o: stored.__setitem__("head", o))
    model.blocks[-1].register_forward_hook(lambda m, i, o: stored.__setitem__("block", o))
    logits = model(x)
    target = int(logits[0].argmax())
    grads = torch.autograd.grad(logits[0, target], [stored["head"], stored["block"]])
    result = {"logits": logits.detach()}
    with torch.no_grad():
        result["pre_logits"] = model.forward_head(model.forward_features(x), pre_logits=True)
        for name, grad in zip(["head", "block"], grads):
            activations = stored[name]
            alpha = grad.mean(dim=(2, 3))[0]
            coarse = torch.relu((alpha[:, None, None] * activations[0]).sum(0))
            low, high = coarse.min(), coarse.max()
            normalized = (coarse - low) / (high - low) if high > low else torch.zeros_like(coarse)
            heat = F.interpolate(normalized[None, None], size=x.shape[2:], mode="bilinear", align_corners=False)
            result[f"{name}.weights"] = alpha
            result[f"{name}.coarse"] = coarse
            result[f"{name}.heatmap"] = heat[0, 0]
    return target, result


def tiny(name, model, seed):
    model.load_state_dict(load_file(os.path.join(fixtures, name + ".weights.safetensors")))
    model.eval()
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(1, 3, 80, 112, generator=g).half()
    target, result = grad_cam(model, x.float())
    tensors = {"input": x}
    # Heat maps in [0, 1] are stored in float16 (error below 5e-4), the rest in float32.
    tensors.update({k: v.contiguous().half() if k.endswith("heatmap") else v.contiguous().float()
                    for k, v in result.items()})
    save_file(tensors, os.path.join(out, name + ".gradcam.safetensors"), metadata={"class": str(target)})
    print(name, "class", target, {k: tuple(v.shape) for k, v in tensors.items()})


torch.manual_seed(0)
tiny("tiny_b0", E._gen_efficientnet("efficientnet_b0", channel_multiplier=0.25, depth_multiplier=0.25,
                                    num_classes=10), 21)
tiny("tiny_lite", E._gen_efficientnet_lite("efficientnet_lite0", channel_multiplier=0.25,
                                           depth_multiplier=0.25, num_classes=10), 22)

lite0 = E._gen_efficientnet_lite("efficientnet_lite0", num_classes=1000)
here = os.path.dirname(os.path.abspath(__file__))
lite0.load_state_dict(load_file(os.path.join(
    here, "..", "Sources", "EfficientNetModels", "Resources", "efficientnet_lite0.safetensors")))
lite0.eval()
photos = load_file(os.path.join(fixtures, "photos", "lite0_photos.io.safetensors"))
x = torch.cat([photos["chelsea_png.input"], photos["coffee_png.input"]])
with torch.no_grad():
    logits = lite0(x)
    # The shipped weights are the F32 checkpoint rounded to float16: logits move by about 1e-2.
    assert torch.allclose(logits[0], photos["chelsea_png.logits"], atol=5e-2)
    pre = lite0.forward_head(lite0.forward_features(x), pre_logits=True)
save_file({"pre_logits": pre.contiguous()}, os.path.join(out, "lite0_photos.prelogits.safetensors"),
          metadata={"files": json.dumps(["chelsea.png", "coffee.png"])})
print("lite0 pre_logits", tuple(pre.shape))
