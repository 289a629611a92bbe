"""The detector side of `compare.py`: effdet's model for a detector name, with random weights that keep
its activations in a trained network's range, the names of its head outputs, and the batch-norm
calibration that the classifiers of `compare.py` use too.

effdet's model returns the class and box head outputs per level (P3...P7) and stops there: anchors,
decoding and NMS are left out, as they are in ours when `bench` times a detector.
"""
import warnings

DETECTOR_PREFIXES = ("tf_efficientdet_", "efficientdet_", "efficientdet-")


def is_detector(name):
    """Whether `name` names an EfficientDet (effdet's names, or ours like efficientdet-lite0)."""
    return name.startswith(DETECTOR_PREFIXES)


def effdet_name(name):
    """effdet's name for one of ours: efficientdet-lite0 is effdet's tf_efficientdet_lite0."""
    return "tf_efficientdet_" + name[len("efficientdet-"):] if name.startswith("efficientdet-") else name


def output_names(levels=5):
    """The exported graph's outputs, named as `efficientnet run` names a detector's."""
    return [f"class_out.{level}" for level in range(levels)] + [f"box_out.{level}" for level in range(levels)]


def effdet_model(name, train, resolution):
    """effdet's detector `name` (90 classes, random weights) for `resolution`x`resolution` input.

    As for the classifiers, every batch-norm scale is 1 and the running statistics are those of one
    random batch, so no layer sees vanishing inputs (subnormal floats slow PyTorch down).
    """
    import torch

    warnings.filterwarnings("ignore")
    from effdet import create_model

    torch.manual_seed(0)
    model = create_model(effdet_name(name), pretrained=False, pretrained_backbone=False,
                         image_size=(resolution, resolution))
    return calibrate_batch_norms(model, resolution)


def calibrate_batch_norms(model, resolution):
    """Sets every batch-norm scale to 1 and its running statistics to those of one random batch (a
    cumulative average over one batch is exactly its statistics), so each layer sees unit-scale inputs
    in eval mode, as in a trained network; returns the model in train mode."""
    import torch

    norms = [m for m in model.modules() if isinstance(m, torch.nn.modules.batchnorm._BatchNorm)]
    for norm in norms:
        torch.nn.init.ones_(norm.weight)
        norm.reset_running_stats()
        norm.momentum = None
    model.train()
    with torch.no_grad():
        model(torch.randn(2, 3, resolution, resolution))
    for norm in norms:
        norm.momentum = 0.1
    return model
