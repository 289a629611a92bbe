"""Makes small.safetensors, the fixture that WeightIOTests read, with the Python `safetensors` library.

Every value is chosen to be exact in its dtype, so the Swift tests can assert them literally.
Usage: python3 make_fixtures.py   (needs `pip install safetensors numpy`; writes next to this script)
"""
import os
import numpy as np
from safetensors import TensorSpec, serialize_file

here = os.path.dirname(os.path.abspath(__file__))

arrays = {
    # F32: zero, fractions, the smallest-ish subnormal 2^-140, the largest finite float32, negative zero.
    "weights.f32": np.array([[0.0, 1.5, -2.25], [2.0**-140, 3.4028234663852886e38, -0.0]], dtype=np.float32),
    # F16: 1, -2, the largest finite half, the smallest subnormal 2^-24, the smallest normal 2^-14,
    # +inf, -inf and NaN.
    "weights.f16": np.array([1.0, -2.0, 65504.0, 2.0**-24, 2.0**-14, np.inf, -np.inf, np.nan], dtype=np.float16),
    # I64 labels, including one that a double could not hold exactly (2^53 + 1).
    "labels": np.array([0, 3, 9, -1, 2**53 + 1], dtype=np.int64),
    "scalar": np.array(42.5, dtype=np.float32),  # shape []: one element
    "empty": np.zeros((0, 3), dtype=np.float32),  # zero-sized dimension: no bytes
    "small.i32": np.array([-5, 0, 2**31 - 1], dtype=np.int32),
    "small.i16": np.array([-32768, 32767], dtype=np.int16),
    "small.i8": np.array([-128, 0, 127], dtype=np.int8),
    "small.u8": np.array([0, 128, 255], dtype=np.uint8),
    "flags": np.array([True, False, True], dtype=np.bool_),
    "double": np.array([0.5, -1e300], dtype=np.float64),  # -1e300 overflows Float to -inf
}
# BF16 (numpy has no bfloat16): 1.0, -3.140625, +inf, the smallest subnormal 2^-133, as raw bit patterns.
bf16_bits = np.array([[0x3F80, 0xC049], [0x7F80, 0x0001]], dtype=np.uint16)

specs = {
    name: TensorSpec(dtype=a.dtype.name, shape=list(a.shape), data_ptr=a.ctypes.data, data_len=a.nbytes)
    for name, a in arrays.items()
}
specs["weights.bf16"] = TensorSpec(
    dtype="bfloat16", shape=[2, 2], data_ptr=bf16_bits.ctypes.data, data_len=bf16_bits.nbytes
)
metadata = {"format": "pt", "note": "h\u00e9llo \u2014 \u00fcn\u00efcode \u2713", "quote": 'a "quoted" \\ value'}
serialize_file(specs, os.path.join(here, "small.safetensors"), metadata=metadata)

# Print what the Swift tests assert about the file layout.
import json, struct
blob = open(os.path.join(here, "small.safetensors"), "rb").read()
(n,) = struct.unpack("<Q", blob[:8])
header = json.loads(blob[8 : 8 + n])
header.pop("__metadata__")
print("header bytes", n, "file bytes", len(blob))
print("order", sorted(header, key=lambda k: (header[k]["data_offsets"], k)))
