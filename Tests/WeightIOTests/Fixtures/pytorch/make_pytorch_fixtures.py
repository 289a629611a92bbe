"""Makes the PyTorch checkpoint fixtures that WeightIOTests (PyTorch*.swift) and ModelTests
(Checkpoint*.swift) read. Every value is exact in its dtype so the Swift tests can assert it literally.

Usage: python3 make_pytorch_fixtures.py   (torch 2.x and timm 1.0; writes next to this script. timm imports
torchvision: where that cannot load, put a stub module first on PYTHONPATH, e.g. PYTHONPATH=/tmp/tvshim)

Files:
  small.zip.pth, small.legacy.pth   the same dict of tensors (F32, F16, BF16, F64, I64, I32, BOOL, an
                                    empty one, a Parameter, strided views sharing one storage) in
                                    torch's zip format and in its legacy (pre-1.6) format
  small.protocol4.pth               the same in zip format with pickle protocol 4
  small.bigendian.pth               two tensors as a big-endian machine writes them (byteorder 'big')
  small.deflated.pth                small.zip.pth re-zipped with deflate (which the reader rejects)
  train_checkpoint.pth              a timm-style train checkpoint: 'state_dict' and 'state_dict_ema'
                                    with DataParallel 'module.' prefixes, an optimizer, argparse args
  unsafe_global.zip.pth,            a checkpoint whose pickle names os.system; written byte by byte,
  unsafe_global.legacy.pth          never executed
  tiny_timm.pth, tiny_torchvision.pth, tiny_lukemelas.pth
                                    one tiny EfficientNet (timm's own module, custom block table below)
                                    under each naming scheme; every float tensor holds
                                    index * 4096 + (element % 4096), index = its position in timm's
                                    state_dict without num_batches_tracked, so the Swift test can check
                                    that each mapped name received exactly the right tensor
"""
import argparse
import collections
import io
import os
import pickle
import zipfile
from functools import partial

import torch

here = os.path.dirname(os.path.abspath(__file__))


def path(name):
    return os.path.join(here, name)


# ---- small.zip.pth / small.legacy.pth ---------------------------------------------------------------
def small_dict():
    matrix = torch.arange(12, dtype=torch.float32).reshape(3, 4) * 0.5  # [[0, .5, 1, 1.5], [2, ...]]
    return {
        "weight.f32": torch.tensor([[0.0, 1.5, -2.25], [4.0, 0.125, -0.0]], dtype=torch.float32),
        "matrix": matrix,
        "matrix.transposed": matrix.t(),  # [4, 3], strides (1, 4): non-contiguous, shares matrix's storage
        "matrix.row1.middle": matrix[1, 1:3],  # [2.5, 3.0]: storage offset 5
        "matrix.column2": matrix[:, 2],  # [1.0, 3.0, 5.0]: stride 4, offset 2
        "half": torch.tensor([1.0, -2.0, 65504.0, 2.0**-24, float("inf"), float("nan")], dtype=torch.float16),
        "brain": torch.tensor([1.0, -3.140625, float("-inf"), 2.0**-133], dtype=torch.bfloat16),
        "double": torch.tensor([0.5, -1e300], dtype=torch.float64),
        "labels": torch.tensor([0, -1, 2**53 + 1], dtype=torch.int64),
        "steps": torch.tensor(7, dtype=torch.int64),  # shape [] like num_batches_tracked
        "int32": torch.tensor([-5, 2**31 - 1], dtype=torch.int32),
        "flags": torch.tensor([True, False, True]),
        "empty": torch.zeros(0, 3),
        "parameter": torch.nn.Parameter(torch.tensor([1.0, 2.0])),
    }


torch.save(small_dict(), path("small.zip.pth"))
torch.save(small_dict(), path("small.legacy.pth"), _use_new_zipfile_serialization=False)

# ---- small.protocol4.pth, small.bigendian.pth, small.deflated.pth ------------------------------------
# Pickle protocol 4 brings FRAME, SHORT_BINUNICODE, STACK_GLOBAL and MEMOIZE.
torch.save(small_dict(), path("small.protocol4.pth"), pickle_protocol=4)


def rewrite_zip(source, destination, compression, transform):
    """Copies a torch zip archive entry by entry, passing each entry's bytes through transform."""
    with zipfile.ZipFile(source) as original, zipfile.ZipFile(destination, "w", compression=compression) as copy:
        for info in original.infolist():
            copy.writestr(info.filename, transform(info.filename, original.read(info.filename)))


# As written on a big-endian machine: byteorder 'big' and every storage's elements byte-swapped.
big_endian_dict = {"values": torch.tensor([1.5, -2.0, 2.0**-20]), "counts": torch.tensor([1, 258, -3])}
buffer = io.BytesIO()
torch.save(big_endian_dict, buffer)
element_sizes = {"0": 4, "1": 8}  # storage keys in the order torch.save meets the tensors


def to_big_endian(name, contents):
    if name.endswith("/byteorder"):
        return b"big"
    folder, _, key = name.rpartition("/")
    if folder.endswith("/data") and key in element_sizes:
        size = element_sizes[key]
        return b"".join(contents[i:i + size][::-1] for i in range(0, len(contents), size))
    return contents


rewrite_zip(buffer, path("small.bigendian.pth"), zipfile.ZIP_STORED, to_big_endian)
rewrite_zip(path("small.zip.pth"), path("small.deflated.pth"), zipfile.ZIP_DEFLATED, lambda name, data: data)

# ---- train_checkpoint.pth ---------------------------------------------------------------------------
train = collections.OrderedDict()
train["module.conv.weight"] = torch.tensor([[1.0, 2.0], [3.0, 4.0]])
train["module.conv.bias"] = torch.tensor([0.25, -0.25])
ema = collections.OrderedDict((k, v * 10) for k, v in train.items())
checkpoint = {
    "epoch": 3,
    "arch": "efficientnet_b0",
    "state_dict": train,
    "optimizer": {"state": {0: {"momentum_buffer": torch.ones(2)}}, "param_groups": [{"lr": 0.1, "params": [0, 1]}]},
    "version": 2,
    "args": argparse.Namespace(lr=0.1, model="efficientnet_b0"),
    "metric": 71.5,
    "state_dict_ema": ema,
}
torch.save(checkpoint, path("train_checkpoint.pth"))

# ---- unsafe_global.*.pth: os.system('true') as pickle bytes, written by hand -----------------------------
# PROTO 2, GLOBAL 'os system', SHORT_BINUNICODE 'true', TUPLE1, REDUCE, STOP.
unsafe_pickle = b"\x80\x02cos\nsystem\n\x8c\x04true\x85R."
with zipfile.ZipFile(path("unsafe_global.zip.pth"), "w", compression=zipfile.ZIP_STORED) as archive:
    archive.writestr("unsafe/data.pkl", unsafe_pickle)
    archive.writestr("unsafe/version", "3\n")
legacy_header = io.BytesIO()
pickle.dump(0x1950A86A20F9469CFC6C, legacy_header, protocol=2)
pickle.dump(1001, legacy_header, protocol=2)
pickle.dump({"protocol_version": 1001, "little_endian": True, "type_sizes": {"short": 2, "int": 4, "long": 4}},
            legacy_header, protocol=2)
with open(path("unsafe_global.legacy.pth"), "wb") as file:
    file.write(legacy_header.getvalue() + unsafe_pickle)

# ---- tiny_*.pth: one tiny EfficientNet under three names -------------------------------------------
import timm.models.efficientnet as E
from timm.models._efficientnet_builder import decode_arch_def, round_channels

# Swift: Configuration(blocks: BlockArguments.parseTable(TINY_TABLE), widthMultiplier: 1, depthMultiplier: 1,
#        classCount: 5, stemChannels: 8, headChannels: 32)
TINY_TABLE = ["ds_r1_k3_s1_e1_c8_se0.25", "ir_r2_k3_s2_e2_c8_se0.25", "ir_r2_k5_s2_e3_c16_se0.25"]
model = E._create_effnet(
    "efficientnet_b0", False, block_args=decode_arch_def([[row] for row in TINY_TABLE], 1.0),
    num_features=32, stem_size=8, round_chs_fn=partial(round_channels, multiplier=1.0), num_classes=5)
timm_state = model.state_dict()
kinds = {(s, i): type(block).__name__ for s, stage in enumerate(model.blocks) for i, block in enumerate(stage)}
stage_count = len(model.blocks)

index = 0
for name, tensor in timm_state.items():
    if name.endswith("num_batches_tracked"):
        tensor.fill_(index)  # an arbitrary count
        continue
    values = torch.arange(tensor.numel(), dtype=torch.float32) % 4096 + index * 4096
    tensor.copy_(values.reshape(tensor.shape))
    index += 1

DS_TORCHVISION = {"conv_dw": "block.0.0", "bn1": "block.0.1", "se.conv_reduce": "block.1.fc1",
                  "se.conv_expand": "block.1.fc2", "conv_pw": "block.2.0", "bn2": "block.2.1"}
IR_TORCHVISION = {"conv_pw": "block.0.0", "bn1": "block.0.1", "conv_dw": "block.1.0", "bn2": "block.1.1",
                  "se.conv_reduce": "block.2.fc1", "se.conv_expand": "block.2.fc2", "conv_pwl": "block.3.0",
                  "bn3": "block.3.1"}
DS_LUKEMELAS = {"conv_dw": "_depthwise_conv", "bn1": "_bn1", "se.conv_reduce": "_se_reduce",
                "se.conv_expand": "_se_expand", "conv_pw": "_project_conv", "bn2": "_bn2"}
IR_LUKEMELAS = {"conv_pw": "_expand_conv", "bn1": "_bn0", "conv_dw": "_depthwise_conv", "bn2": "_bn1",
                "se.conv_reduce": "_se_reduce", "se.conv_expand": "_se_expand", "conv_pwl": "_project_conv",
                "bn3": "_bn2"}
running_index = {key: k for k, key in enumerate(sorted(kinds))}


def rename(name, scheme):
    module, _, parameter = name.rpartition(".")
    top = {
        "torchvision": {"conv_stem": "features.0.0", "bn1": "features.0.1",
                        "conv_head": f"features.{stage_count + 1}.0", "bn2": f"features.{stage_count + 1}.1",
                        "classifier": "classifier.1"},
        "lukemelas": {"conv_stem": "_conv_stem", "bn1": "_bn0", "conv_head": "_conv_head", "bn2": "_bn1",
                      "classifier": "_fc"},
    }[scheme]
    if module in top:
        return f"{top[module]}.{parameter}"
    _, stage, block, part = module.split(".", 3)
    stage, block = int(stage), int(block)
    separable = kinds[(stage, block)] == "DepthwiseSeparableConv"
    if scheme == "torchvision":
        table = DS_TORCHVISION if separable else IR_TORCHVISION
        return f"features.{stage + 1}.{block}.{table[part]}.{parameter}"
    table = DS_LUKEMELAS if separable else IR_LUKEMELAS
    return f"_blocks.{running_index[(stage, block)]}.{table[part]}.{parameter}"


torch.save(timm_state, path("tiny_timm.pth"))
torch.save(collections.OrderedDict((rename(k, "torchvision"), v) for k, v in timm_state.items()),
           path("tiny_torchvision.pth"), _use_new_zipfile_serialization=False)
torch.save(collections.OrderedDict((rename(k, "lukemelas"), v) for k, v in timm_state.items()),
           path("tiny_lukemelas.pth"))

for name in sorted(os.listdir(here)):
    print(f"{os.path.getsize(path(name)):8d}  {name}")
