#!/usr/bin/env python3
"""Makes the decoding fixtures for ImageIOTests: small JPEG and PNG files plus the pixels Pillow decodes.

Run from anywhere:  python3 Tests/ImageIOTests/Fixtures/make_decoding_fixtures.py
Needs Pillow and numpy. Source picture: a 35x25 crop of /work/shared/images/chelsea.png (odd sizes, so
partial JPEG blocks and MCUs are exercised).

Writes into Fixtures/decoding/:
  <name>.jpg / <name>.png       the encoded fixture
  <name>.native.bin             what ImageDecoder.decode must return: [H, W, C] samples, uint8, or uint16
                                little-endian for 16-bit images
  <name>.rgb8.bin               what Pillow's Image.open(path).convert("RGB") returns, [H, W, 3] uint8
  manifest.json                 one entry per fixture (see `entry` below)

JPEG references are Pillow's own decode (Pillow bundles its own libjpeg-turbo); PNG references are
Pillow's decode too, checked here against the array we encoded. 16-bit RGB/RGBA/LA PNGs, which Pillow
reduces to 8 bits when opening, take their 16-bit reference from the encoded array. PNGs that Pillow
cannot write (16-bit colour, interlaced, every filter type) are written by hand with zlib.
"""

import io
import json
import os
import struct
import warnings
import zlib

import numpy as np
from PIL import Image, ImageOps

warnings.filterwarnings("ignore", message="Palette images with Transparency")

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "decoding")
SOURCE = "/work/shared/images/chelsea.png"
CROP = (190, 70, 225, 95)  # 35 x 25, the cat's eye region

manifest = []


def save_bin(name, array):
    array = np.ascontiguousarray(array)
    if array.dtype == np.uint16:
        array = array.astype("<u2")
    with open(os.path.join(OUT, name), "wb") as handle:
        handle.write(array.tobytes())
    return name


def as_hwc(array):
    return array[:, :, None] if array.ndim == 2 else array


def entry(name, file, native, rgb8, orientation=1, apply_orientation_native=None, note=""):
    """native / rgb8: numpy arrays (or file names already written)."""
    native = as_hwc(native) if not isinstance(native, str) else native
    record = {"name": name, "file": file, "orientation": orientation, "note": note}
    if isinstance(native, str):
        record["native"] = native
        array = None
    else:
        record["native"] = save_bin(name + ".native.bin", native)
        array = native
    if array is not None:
        record["height"], record["width"], record["channels"] = array.shape
        record["bitDepth"] = 16 if array.dtype == np.uint16 else 8
    if isinstance(rgb8, str):
        record["rgb8"] = rgb8
    elif rgb8 is None:
        record["rgb8"] = record["native"]
    else:
        record["rgb8"] = save_bin(name + ".rgb8.bin", rgb8)
    manifest.append(record)
    return record


# MARK: - JPEG


def pil_decode(path):
    with Image.open(path) as image:
        image.load()
        return image.copy()


def jpeg_fixture(name, image, note, **options):
    file = name + ".jpg"
    path = os.path.join(OUT, file)
    image.save(path, "JPEG", quality=90, **options)
    decoded = pil_decode(path)
    rgb8 = np.array(decoded.convert("RGB"))
    if decoded.mode == "L":
        entry(name, file, np.array(decoded), rgb8, note=note)
    elif decoded.mode == "RGB":
        entry(name, file, rgb8, None, note=note)
    elif decoded.mode == "CMYK":  # ours converts to RGB with Pillow's formula
        entry(name, file, rgb8, None, note=note)
    else:
        raise SystemExit(f"{name}: unexpected mode {decoded.mode}")


def make_jpegs(photo):
    jpeg_fixture("jpeg_baseline_420", photo, "baseline, 4:2:0", subsampling="4:2:0")
    jpeg_fixture("jpeg_baseline_422", photo, "baseline, 4:2:2", subsampling="4:2:2")
    jpeg_fixture("jpeg_baseline_444", photo, "baseline, 4:4:4", subsampling="4:4:4")
    jpeg_fixture("jpeg_progressive_420", photo, "progressive, 4:2:0", subsampling="4:2:0", progressive=True)
    jpeg_fixture("jpeg_progressive_444", photo, "progressive, 4:4:4", subsampling="4:4:4", progressive=True)
    jpeg_fixture("jpeg_gray", photo.convert("L"), "grayscale baseline")
    jpeg_fixture("jpeg_gray_progressive", photo.convert("L"), "grayscale progressive", progressive=True)
    jpeg_fixture("jpeg_restart_markers", photo, "4:2:0, a restart marker after every MCU",
                 subsampling="4:2:0", restart_marker_blocks=1)
    jpeg_fixture("jpeg_rgb_colorspace", photo, "RGB colour space (Adobe transform 0), no YCbCr",
                 subsampling="4:4:4", keep_rgb=True)
    cmyk = photo.convert("CMYK")
    jpeg_fixture("jpeg_cmyk_adobe", cmyk, "CMYK with Adobe APP14 marker (inverted samples)")
    data = open(os.path.join(OUT, "jpeg_cmyk_adobe.jpg"), "rb").read()
    assert b"Adobe" in data, "Pillow did not write an Adobe marker"

    # EXIF orientation 1..8: same pixels, different tag. native = Pillow's exif_transpose.
    base_file = None
    for orientation in range(1, 9):
        name = f"jpeg_orientation_{orientation}"
        file = name + ".jpg"
        path = os.path.join(OUT, file)
        exif = Image.Exif()
        exif[0x0112] = orientation
        photo.save(path, "JPEG", quality=90, subsampling="4:4:4", exif=exif.tobytes())
        decoded = pil_decode(path)
        assert decoded.getexif().get(0x0112) == orientation
        if base_file is None:
            base_file = save_bin("jpeg_orientation_stored.rgb8.bin", np.array(decoded.convert("RGB")))
        upright = np.array(ImageOps.exif_transpose(decoded).convert("RGB"))
        record = entry(name, file, upright, base_file, orientation=orientation,
                       note=f"EXIF orientation {orientation}; rgb8 is the stored (unrotated) pixels")
        record["storedWidth"], record["storedHeight"] = decoded.size


# MARK: - PNG written by hand


def chunk(kind, data):
    crc = zlib.crc32(kind + data) & 0xFFFFFFFF
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)


def filter_rows(raw_rows, bytes_per_pixel):
    """Filters each row with a different filter type (0 None, 1 Sub, 2 Up, 3 Average, 4 Paeth, repeat)."""
    out = bytearray()
    previous = np.zeros_like(raw_rows[0]) if raw_rows else None
    for index, row in enumerate(raw_rows):
        kind = index % 5
        row = row.astype(np.int32)
        prior = previous.astype(np.int32)
        left = np.concatenate([np.zeros(bytes_per_pixel, np.int32), row[:-bytes_per_pixel]])
        upper_left = np.concatenate([np.zeros(bytes_per_pixel, np.int32), prior[:-bytes_per_pixel]])
        if kind == 0:
            filtered = row
        elif kind == 1:
            filtered = row - left
        elif kind == 2:
            filtered = row - prior
        elif kind == 3:
            filtered = row - (left + prior) // 2
        else:
            estimate = left + prior - upper_left
            distance_left, distance_up = np.abs(estimate - left), np.abs(estimate - prior)
            distance_corner = np.abs(estimate - upper_left)
            predictor = np.where((distance_left <= distance_up) & (distance_left <= distance_corner), left,
                                 np.where(distance_up <= distance_corner, prior, upper_left))
            filtered = row - predictor
        out.append(kind)
        out += (filtered & 0xFF).astype(np.uint8).tobytes()
        previous = row.astype(np.uint8)
    return bytes(out)


def row_bytes(array, bit_depth):
    """[h, w, c] samples -> list of packed byte rows."""
    rows = []
    for row in array:
        flat = row.reshape(-1)
        if bit_depth == 16:
            rows.append(np.frombuffer(flat.astype(">u2").tobytes(), np.uint8))
        elif bit_depth == 8:
            rows.append(flat.astype(np.uint8))
        else:
            rows.append(np.packbits(np.unpackbits(flat.astype(np.uint8)[:, None], axis=1)[:, 8 - bit_depth:]
                                    .reshape(-1)))
    return rows


ADAM7 = [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)]


def write_png(path, array, color_type, bit_depth, palette=None, transparency=None, interlace=False,
              exif=None):
    array = as_hwc(array)
    height, width, channels = array.shape
    bytes_per_pixel = max(1, channels * bit_depth // 8)
    stream = bytearray()
    if interlace:
        for x0, y0, dx, dy in ADAM7:
            sub = array[y0::dy, x0::dx]
            if sub.size:
                stream += filter_rows(row_bytes(sub, bit_depth), bytes_per_pixel)
    else:
        stream += filter_rows(row_bytes(array, bit_depth), bytes_per_pixel)
    header = struct.pack(">IIBBBBB", width, height, bit_depth, color_type, 0, 0, 1 if interlace else 0)
    data = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
    if exif is not None:
        data += chunk(b"eXIf", exif)
    if palette is not None:
        data += chunk(b"PLTE", bytes(np.asarray(palette, np.uint8).reshape(-1)))
    if transparency is not None:
        data += chunk(b"tRNS", transparency)
    compressed = zlib.compress(bytes(stream), 9)
    half = len(compressed) // 2  # two IDAT chunks, to exercise chunk boundaries
    data += chunk(b"IDAT", compressed[:half]) + chunk(b"IDAT", compressed[half:]) + chunk(b"IEND", b"")
    with open(path, "wb") as handle:
        handle.write(data)


def png_fixture(name, array, color_type, bit_depth, note, expected_native=None, **options):
    """Writes the PNG by hand, checks Pillow decodes what we meant, stores the references."""
    file = name + ".png"
    path = os.path.join(OUT, file)
    write_png(path, array, color_type, bit_depth, **options)
    decoded = pil_decode(path)
    native = as_hwc(expected_native if expected_native is not None else array)
    if decoded.mode == "I;16":
        pillow = as_hwc(np.array(decoded))
    else:
        pillow = as_hwc(np.array(decoded.convert({1: "L", 2: "LA", 3: "RGB", 4: "RGBA"}[native.shape[2]])))
    if native.dtype == np.uint8 or decoded.mode == "I;16":
        assert pillow.shape == native.shape and (pillow == native).all(), f"{name}: Pillow disagrees"
    else:  # Pillow opened a 16-bit colour PNG as 8 bits: it keeps the high byte
        assert (pillow == (native >> 8)).all(), f"{name}: Pillow's 8-bit view is not the high byte"
    rgb8 = np.array(decoded.convert("RGB"))
    same = native.dtype == np.uint8 and native.shape[2] == 3
    entry(name, file, native, None if same else rgb8, note=note)


def palette_of(quantized, count):
    values = list(quantized.getpalette()[: 3 * count])
    values += [0] * (3 * count - len(values))
    return np.array(values, np.uint8).reshape(-1, 3)


def make_pngs(photo):
    rgb = np.array(photo)
    gray = np.array(photo.convert("L"))
    height, width = gray.shape
    yy, xx = np.mgrid[0:height, 0:width]
    alpha = ((xx * 7 + yy * 11) % 256).astype(np.uint8)
    low_bits = ((xx * 37 + yy * 101) % 256).astype(np.uint16)

    png_fixture("png_gray8", gray, 0, 8, "8-bit gray")
    png_fixture("png_gray1", (gray > 110).astype(np.uint8), 0, 1, "1-bit gray (scaled to 0/255)",
                expected_native=np.where(gray > 110, 255, 0).astype(np.uint8))
    png_fixture("png_gray4", gray >> 4, 0, 4, "4-bit gray (scaled by 17)",
                expected_native=((gray >> 4) * 17).astype(np.uint8))
    png_fixture("png_gray_alpha8", np.dstack([gray, alpha]), 4, 8, "8-bit gray + alpha")
    png_fixture("png_rgb8", rgb, 2, 8, "8-bit RGB")
    png_fixture("png_rgba8", np.dstack([rgb, alpha]), 6, 8, "8-bit RGBA")
    png_fixture("png_rgb8_color_key", rgb, 2, 8, "8-bit RGB with a tRNS colour key (ignored)",
                transparency=struct.pack(">HHH", *[int(v) for v in rgb[0, 0]]))

    quantized = photo.quantize(colors=200, dither=Image.Dither.NONE)
    palette = palette_of(quantized, 200)
    indices = np.array(quantized)
    png_fixture("png_palette8", indices, 3, 8, "8-bit palette", expected_native=palette[indices],
                palette=palette)
    small = photo.quantize(colors=16, dither=Image.Dither.NONE)
    small_palette = palette_of(small, 16)
    small_indices = np.array(small)
    png_fixture("png_palette4", small_indices, 3, 4, "4-bit palette",
                expected_native=small_palette[small_indices],
                palette=small_palette)
    palette_alpha = ((np.arange(200) * 5) % 256).astype(np.uint8)
    palette_alpha[150:] = 255  # tRNS may be shorter than the palette: the rest is opaque
    png_fixture("png_palette8_transparency", indices, 3, 8, "8-bit palette with tRNS alpha",
                expected_native=np.dstack([palette[indices], palette_alpha[indices]]), palette=palette,
                transparency=bytes(palette_alpha[:150]))

    gray16 = (gray.astype(np.uint16) * gray.astype(np.uint16) // 4 + low_bits).astype(np.uint16)
    gray16[0, :8] = [0, 1, 100, 254, 255, 256, 1000, 65535]  # around Pillow's clamp at 255
    png_fixture("png_gray16", gray16, 0, 16, "16-bit gray (Pillow: mode I;16)")
    rgb16 = (rgb.astype(np.uint16) * 256 + low_bits[:, :, None] * np.array([1, 3, 5], np.uint16) % 256)
    rgb16 = rgb16.astype(np.uint16)
    png_fixture("png_rgb16", rgb16, 2, 16, "16-bit RGB (Pillow keeps the high byte)")
    alpha16 = (alpha.astype(np.uint16) * 257 ^ low_bits).astype(np.uint16)
    png_fixture("png_rgba16", np.dstack([rgb16, alpha16]), 6, 16, "16-bit RGBA")
    png_fixture("png_gray_alpha16", np.dstack([gray16, alpha16]), 4, 16, "16-bit gray + alpha")

    png_fixture("png_rgb8_interlaced", rgb, 2, 8, "8-bit RGB, Adam7 interlaced", interlace=True)
    png_fixture("png_gray16_interlaced", gray16, 0, 16, "16-bit gray, Adam7 interlaced", interlace=True)
    png_fixture("png_palette4_interlaced", small_indices, 3, 4, "4-bit palette, Adam7 interlaced",
                expected_native=small_palette[small_indices], palette=small_palette, interlace=True)

    # eXIf chunk with orientation 6 (rotate 90 degrees clockwise); Pillow's exif_transpose is the reference.
    exif = Image.Exif()
    exif[0x0112] = 6
    path = os.path.join(OUT, "png_orientation_6.png")
    tiff = exif.tobytes()
    tiff = tiff[6:] if tiff.startswith(b"Exif") else tiff  # eXIf holds the bare TIFF structure
    write_png(path, rgb, 2, 8, exif=tiff)
    decoded = pil_decode(path)
    assert decoded.getexif().get(0x0112) == 6, "Pillow does not see the eXIf orientation"
    upright = np.array(ImageOps.exif_transpose(decoded).convert("RGB"))
    record = entry("png_orientation_6", "png_orientation_6.png", upright, "png_rgb8.native.bin",
                   orientation=6,
                   note="eXIf orientation 6; rgb8 is the stored (unrotated) pixels")
    record["storedWidth"], record["storedHeight"] = decoded.size


def shared_image_checksums():
    """CRC-32 of Pillow's decode of the real images shared with the project (tests skip absent ones):
    photos as Image.open(p).convert("RGB"), chest X-rays as Image.open(p) (8-bit gray, mode L)."""
    import glob
    paths = sorted(glob.glob("/work/shared/images/*.jpg") + glob.glob("/work/shared/images/*.png"))
    paths += sorted(glob.glob("/work/shared/data/chest-xray-16/*/*.jpeg"))
    checksums = {}
    for path in paths:
        with Image.open(path) as image:
            decoded = image.convert("RGB") if "chest-xray" not in path else image.copy()
        array = np.ascontiguousarray(np.array(decoded))
        checksums[path] = {"width": decoded.size[0], "height": decoded.size[1], "mode": decoded.mode,
                           "crc32": zlib.crc32(array.tobytes()) & 0xFFFFFFFF}
    return checksums


def main():
    os.makedirs(OUT, exist_ok=True)
    for name in os.listdir(OUT):
        os.remove(os.path.join(OUT, name))
    with Image.open(SOURCE) as image:
        photo = image.convert("RGB").crop(CROP)
    make_jpegs(photo)
    make_pngs(photo)
    from PIL import features
    info = {
        "generator": "make_decoding_fixtures.py",
        "pillow": Image.__version__,
        "pillowLibjpegTurbo": features.version("libjpeg_turbo"),
        "fixtures": manifest,
        "sharedImageChecksums": shared_image_checksums(),
    }
    with open(os.path.join(OUT, "manifest.json"), "w") as handle:
        json.dump(info, handle, indent=1)
    total = sum(os.path.getsize(os.path.join(OUT, name)) for name in os.listdir(OUT))
    print(f"{len(manifest)} fixtures, {total} bytes in {OUT}")


if __name__ == "__main__":
    main()
