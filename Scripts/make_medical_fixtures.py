#!/usr/bin/env python3
"""Writes Tests/ImageIOTests/Fixtures/medical: a few small DICOM files and what pydicom reads from them.

Inputs (unzip the wheels first, see /work/shared/data/README.md):
    pip download --no-deps pydicom==3.0.2 pydicom-data==1.0.0 -d /tmp/medwheels
    unzip pydicom-3.0.2-py3-none-any.whl -d /tmp/medwheels/pydicom
    unzip pydicom_data-1.0.0-py3-none-any.whl -d /tmp/medwheels/pydicomdata
    pip install pydicom==3.0.2 numpy pillow
    python3 Scripts/make_medical_fixtures.py /tmp/medwheels

For every decodable fixture, `medical.json` records the attributes, and two raw files hold the first frame:
`NAME.stored.bin` (the stored values as pydicom's `pixel_array` returns them, little-endian, in the dtype
named by `storedType`) and `NAME.windowed.bin` (uint8, [H, W, C]: our reference display pipeline below).
The rescaled values (Modality LUT) are summarised by a CRC-32 of their float32 little-endian bytes.

Reference display pipeline (what EfficientNetImageIO's MedicalImage does, written independently here):
  1. x = float32(stored * slope + intercept) for monochrome images with a rescale; else float32(stored).
  2. A window: the file's first Window Center / Width (VOI LUT Function LINEAR or LINEAR_EXACT), else
     for colour images the nominal range of the stored bits, else the image's minimum-maximum (both as
     LINEAR_EXACT with center (lo + hi) / 2 and width hi - lo).
  3. PS3.3 C.11.2.1.2.1 (LINEAR), output range [0, 1], computed in float64:
       x <= c - 0.5 - (w - 1) / 2  -> 0;   x > c - 0.5 + (w - 1) / 2  -> 1;
       else ((x - (c - 0.5)) / (w - 1) + 0.5)
     C.11.2.1.3.2 (LINEAR_EXACT): x <= c - w / 2 -> 0;  x > c + w / 2 -> 1;  else (x - c) / w + 0.5.
     A LINEAR_EXACT width of 0 is a threshold at c (0 at or below, 1 above).
  4. MONOCHROME1: y = 1 - y.
  5. 8-bit: floor(y * 255 + 0.5).
"""
import io
import json
import shutil
import sys
import zlib
from pathlib import Path

import numpy as np
import pydicom
from PIL import Image
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.encaps import encapsulate
from pydicom.pixels import apply_modality_lut
from pydicom.sequence import Sequence
from pydicom.uid import UID, ExplicitVRLittleEndian, JPEGBaseline8Bit, generate_uid

ROOT = Path(__file__).resolve().parent.parent
OUTPUT = ROOT / "Tests/ImageIOTests/Fixtures/medical"
CHEST_XRAY = Path("/work/shared/data/chest-xray-16/NORMAL/NORMAL2-IM-1427-0001.jpeg")

# (file name in the fixtures folder, path inside the unzipped wheels)
COPIED = [
    ("CT_small.dcm", "pydicom/pydicom/data/test_files/CT_small.dcm"),
    ("MR_small.dcm", "pydicom/pydicom/data/test_files/MR_small.dcm"),
    ("MR_small_implicit.dcm", "pydicom/pydicom/data/test_files/MR_small_implicit.dcm"),
    ("emri_small.dcm", "pydicomdata/data_store/data/emri_small.dcm"),
    ("SC_rgb_small_odd.dcm", "pydicom/pydicom/data/test_files/SC_rgb_small_odd.dcm"),
    ("SC_rgb_dcmtk_ybr_full_422_jpeg.dcm", "pydicom/pydicom/data/test_files/SC_rgb_dcmtk_+eb+cy+s2.dcm"),
    ("SC_rgb_jpeg_dcmtk.dcm", "pydicom/pydicom/data/test_files/SC_rgb_jpeg_dcmtk.dcm"),
    ("SC_rgb_dcmtk_rgb_jpeg.dcm", "pydicom/pydicom/data/test_files/SC_rgb_dcmtk_+eb+cr.dcm"),
    ("SC_rgb_jpeg_lossy_gdcm.dcm", "pydicom/pydicom/data/test_files/SC_rgb_jpeg_lossy_gdcm.dcm"),
    ("examples_ybr_color.dcm", "pydicom/pydicom/data/test_files/examples_ybr_color.dcm"),
    # Refused with a clear error:
    ("SC_jpeg_no_color_transform.dcm", "pydicom/pydicom/data/test_files/SC_jpeg_no_color_transform.dcm"),
    ("SC_rgb_jpeg_gdcm.dcm", "pydicom/pydicom/data/test_files/SC_rgb_jpeg_gdcm.dcm"),
    ("MR_small_jp2klossless.dcm", "pydicom/pydicom/data/test_files/MR_small_jp2klossless.dcm"),
    ("MR_small_RLE.dcm", "pydicom/pydicom/data/test_files/MR_small_RLE.dcm"),
    ("MR_small_bigendian.dcm", "pydicom/pydicom/data/test_files/MR_small_bigendian.dcm"),
    ("image_dfl.dcm", "pydicom/pydicom/data/test_files/image_dfl.dcm"),
    ("MR_truncated.dcm", "pydicom/pydicom/data/test_files/MR_truncated.dcm"),
]

# Files our reader must refuse, and the error case it must throw.
REFUSED = {
    "SC_jpeg_no_color_transform.dcm": "unsupportedPixelFormat",
    "SC_rgb_jpeg_gdcm.dcm": "unsupportedTransferSyntax",
    "MR_small_jp2klossless.dcm": "unsupportedTransferSyntax",
    "MR_small_RLE.dcm": "unsupportedTransferSyntax",
    "MR_small_bigendian.dcm": "unsupportedTransferSyntax",
    "image_dfl.dcm": "unsupportedTransferSyntax",
    "MR_truncated.dcm": "truncated",
}


def first_value(value):
    """The first of a multi-valued DS, as float, or None."""
    if value is None:
        return None
    if isinstance(value, pydicom.multival.MultiValue):
        return float(value[0])
    return float(value)


def window_unit(values, center, width, function):
    """The linear VOI LUT of PS3.3 C.11.2.1.2.1 / C.11.3.2, output in [0, 1], float64."""
    x = values.astype(np.float64)
    if function == "LINEAR_EXACT":
        if width <= 0:
            return (x > center).astype(np.float64)
        y = (x - center) / width + 0.5
        return np.where(x <= center - width / 2, 0.0, np.where(x > center + width / 2, 1.0, y))
    width = max(width, 1.0)
    lower = center - 0.5 - (width - 1) / 2
    upper = center - 0.5 + (width - 1) / 2
    if width == 1.0:
        return np.where(x <= lower, 0.0, 1.0)
    y = (x - (center - 0.5)) / (width - 1) + 0.5
    return np.where(x <= lower, 0.0, np.where(x > upper, 1.0, y))


def describe(name, ds):
    """Attributes, reference arrays and the windowed image of one decodable file."""
    stem = name[: -len(".dcm")]
    stored = ds.pixel_array
    frames = int(ds.get("NumberOfFrames", 1) or 1)
    if frames > 1:
        stored = stored[0]
    samples = int(ds.SamplesPerPixel)
    photometric = str(ds.PhotometricInterpretation)
    stored_type = {"uint8": "uint8", "int16": "int16", "uint16": "uint16"}[str(stored.dtype)]
    (OUTPUT / f"{stem}.stored.bin").write_bytes(stored.astype(stored.dtype.newbyteorder("<")).tobytes())

    slope = float(ds.get("RescaleSlope", 1) or 1)
    intercept = float(ds.get("RescaleIntercept", 0) or 0)
    has_rescale = samples == 1 and ("RescaleSlope" in ds or "RescaleIntercept" in ds)
    if has_rescale:
        rescaled = apply_modality_lut(stored, ds).astype(np.float32)
        assert np.array_equal(rescaled, (stored.astype(np.float64) * slope + intercept).astype(np.float32))
    else:
        rescaled = stored.astype(np.float32)

    center = first_value(ds.get("WindowCenter"))
    width = first_value(ds.get("WindowWidth"))
    function = str(ds.get("VOILUTFunction", "LINEAR") or "LINEAR").strip()
    if center is not None and width is not None and samples == 1:
        window = {"center": center, "width": width, "function": function, "from": "file"}
    elif samples == 3:
        bits = int(ds.BitsStored)
        low, high = 0.0, float(2**bits - 1)
        window = {"center": (low + high) / 2, "width": high - low, "function": "LINEAR_EXACT",
                  "from": "nominal"}
    else:
        low, high = float(rescaled.min()), float(rescaled.max())
        window = {"center": (low + high) / 2, "width": high - low, "function": "LINEAR_EXACT",
                  "from": "minimumMaximum"}
    unit = window_unit(rescaled, window["center"], window["width"], window["function"])
    if photometric == "MONOCHROME1":
        unit = 1.0 - unit
    windowed = np.floor(unit * 255 + 0.5).astype(np.uint8)
    if samples == 3:
        # 8-bit colour over its nominal range is the identity: the test compares with the stored values.
        assert np.array_equal(windowed, stored)
        windowed_file = None
    else:
        windowed_file = f"{stem}.windowed.bin"
        (OUTPUT / windowed_file).write_bytes(windowed.tobytes())

    transfer_syntax = ds.file_meta.TransferSyntaxUID
    return {
        "file": name,
        "transferSyntax": str(transfer_syntax),
        "lossy": transfer_syntax == JPEGBaseline8Bit,
        "rows": int(ds.Rows),
        "columns": int(ds.Columns),
        "samplesPerPixel": samples,
        "photometricInterpretation": photometric,
        "bitsAllocated": int(ds.BitsAllocated),
        "bitsStored": int(ds.BitsStored),
        "pixelRepresentation": int(ds.PixelRepresentation),
        "numberOfFrames": frames,
        "rescaleSlope": slope if has_rescale else None,
        "rescaleIntercept": intercept if has_rescale else None,
        "windowCenter": center if samples == 1 else None,
        "windowWidth": width if samples == 1 else None,
        "stored": f"{stem}.stored.bin",
        "storedType": stored_type,
        "storedMinimum": int(stored.min()),
        "storedMaximum": int(stored.max()),
        "rescaledCRC32": zlib.crc32(rescaled.astype("<f4").tobytes()),
        "rescaledMinimum": float(rescaled.min()),
        "rescaledMaximum": float(rescaled.max()),
        "rescaledMean": float(rescaled.astype(np.float64).mean()),
        "window": window,
        "windowed": windowed_file,
    }


def file_meta(transfer_syntax, sop_class):
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = sop_class
    meta.MediaStorageSOPInstanceUID = generate_uid(entropy_srcs=[str(sop_class), str(transfer_syntax)])
    meta.TransferSyntaxUID = transfer_syntax
    meta.ImplementationClassUID = UID("1.2.826.0.1.3680043.8.498.1")
    return meta


def make_monochrome1():
    """MR_small with Photometric Interpretation MONOCHROME1 (higher values display darker)."""
    ds = pydicom.dcmread(OUTPUT / "MR_small.dcm")
    ds.PhotometricInterpretation = "MONOCHROME1"
    ds.save_as(OUTPUT / "MR_small_monochrome1.dcm", enforce_file_format=True)


def make_undefined_length_sequences():
    """MR_small with nested undefined-length sequences whose items hold decoy Rows / Columns values."""
    ds = pydicom.dcmread(OUTPUT / "MR_small.dcm")
    inner_item = Dataset()
    inner_item.Rows = 999
    inner_item.CodeValue = "DECOY"
    outer_item = Dataset()
    outer_item.Columns = 777
    outer_item.ReferencedSOPInstanceUID = "1.2.3.4"
    outer_item.ConceptNameCodeSequence = Sequence([inner_item])
    outer_item["ConceptNameCodeSequence"].is_undefined_length = True
    ds.ReferencedImageSequence = Sequence([outer_item, Dataset()])
    ds["ReferencedImageSequence"].is_undefined_length = True
    for item in ds.ReferencedImageSequence:
        item.is_undefined_length_sequence_item = True
    inner_item.is_undefined_length_sequence_item = True
    ds.save_as(OUTPUT / "MR_small_undefined_sequences.dcm", enforce_file_format=True)


def make_gray_jpeg():
    """Two frames of a chest X-ray (8-bit MONOCHROME2, JPEG baseline), frame 1 split into 2 fragments."""
    image = Image.open(CHEST_XRAY).convert("L").resize((96, 80), Image.Resampling.BILINEAR)
    frames = []
    for frame in (image, image.transpose(Image.Transpose.FLIP_LEFT_RIGHT)):
        buffer = io.BytesIO()
        frame.save(buffer, format="JPEG", quality=90)
        frames.append(buffer.getvalue())
    ds = Dataset()
    ds.file_meta = file_meta(JPEGBaseline8Bit, UID("1.2.840.10008.5.1.4.1.1.1.1"))
    ds.SOPClassUID = ds.file_meta.MediaStorageSOPClassUID
    ds.SOPInstanceUID = ds.file_meta.MediaStorageSOPInstanceUID
    ds.Modality = "DX"
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.NumberOfFrames = 2
    ds.Rows, ds.Columns = image.height, image.width
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 8, 8, 7, 0
    ds.WindowCenter = [128, 100]
    ds.WindowWidth = [200, 150]
    ds.PixelData = encapsulate(frames, fragments_per_frame=2)
    ds["PixelData"].is_undefined_length = True
    ds["PixelData"].VR = "OB"
    ds.save_as(OUTPUT / "chest_xray_jpeg_2frames.dcm", enforce_file_format=True)


def main():
    if len(sys.argv) != 2:
        sys.exit(f"usage: {sys.argv[0]} UNZIPPED_WHEELS_DIRECTORY")
    wheels = Path(sys.argv[1])
    OUTPUT.mkdir(parents=True, exist_ok=True)
    for old in OUTPUT.glob("*.bin"):
        old.unlink()
    for name, path in COPIED:
        shutil.copyfile(wheels / path, OUTPUT / name)
    make_monochrome1()
    make_undefined_length_sequences()
    make_gray_jpeg()

    decodable = [name for name, _ in COPIED if name not in REFUSED]
    decodable += [
        "MR_small_monochrome1.dcm", "MR_small_undefined_sequences.dcm", "chest_xray_jpeg_2frames.dcm"]
    fixtures = [describe(name, pydicom.dcmread(OUTPUT / name)) for name in decodable]
    refused = []
    for name, error in REFUSED.items():
        ds = pydicom.dcmread(OUTPUT / name, force=True)
        uid = ds.file_meta.TransferSyntaxUID
        refused.append(
            {"file": name, "error": error, "transferSyntax": str(uid), "transferSyntaxName": uid.name})
    manifest = {
        "pydicom": pydicom.__version__, "numpy": np.__version__, "fixtures": fixtures, "refused": refused}
    (OUTPUT / "medical.json").write_text(json.dumps(manifest, indent=1) + "\n")
    total = sum(path.stat().st_size for path in OUTPUT.iterdir())
    print(f"wrote {len(fixtures)} decodable and {len(refused)} refused fixtures, {total} bytes")


if __name__ == "__main__":
    main()
