"""Fixtures for the preprocessing tests: Pillow's resize output and torchvision's eval pipeline.

Writes `preprocessing.json` (what each case is, with byte offsets) and `preprocessing.bin` (the raw
bytes: uint8 pixels, interleaved, and little-endian float32 tensors, NHWC) next to this script.

The eval pipeline is timm's / torchvision's: Resize(floor(resolution / crop_pct)) on the shorter side
(the longer side int(size * long / short)), CenterCrop(resolution) with top = int(round((h - crop) / 2))
(Python's round: halves to even) and zero padding when the crop is larger than the image, ToTensor
(x / 255 in float32) and Normalize ((x - mean) / std in float32). torchvision is not needed: its
arithmetic is written out below; the resizing is Pillow's own.

Pillow 13 resizes vertically first when the height shrinks by more than twice as many pixels as the
width (Pillow pull request 9549); the cases (2w + 1, 3) and (w - 2, h / 3) take that order.

Usage: python3 make_preprocessing_fixtures.py [--dump-photos DIR]
  --dump-photos DIR also writes Pillow's decoded RGB of chelsea.png and coffee.png and a 1776x1416
  benchmark image to DIR (raw bytes, `NAME.WIDTHxHEIGHTx3.rgb`), for checks outside the repository.
"""
import json, os, sys
import numpy as np
import PIL
from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))
PHOTOS = os.path.join(HERE, "../../../../../shared/images")
FILTERS = {"bicubic": Image.BICUBIC, "bilinear": Image.BILINEAR}


def torchvision_resized_size(width, height, size):
    """torchvision's _compute_resized_output_size for an int size: (new width, new height)."""
    short, long = (width, height) if width <= height else (height, width)
    new_short, new_long = size, int(size * long / short)
    return (new_short, new_long) if width <= height else (new_long, new_short)


def torchvision_center_crop(array, crop):
    """torchvision's center_crop on an HxWxC uint8 array: zero padding, then a rounded-center crop."""
    height, width = array.shape[:2]
    if crop > width or crop > height:
        left = (crop - width) // 2 if crop > width else 0
        top = (crop - height) // 2 if crop > height else 0
        right = (crop - width + 1) // 2 if crop > width else 0
        bottom = (crop - height + 1) // 2 if crop > height else 0
        padded = np.zeros((height + top + bottom, width + left + right, array.shape[2]), np.uint8)
        padded[top:top + height, left:left + width] = array
        array = padded
        height, width = array.shape[:2]
    top = int(round((height - crop) / 2.0))
    left = int(round((width - crop) / 2.0))
    return array[top:top + crop, left:left + crop]


def eval_pipeline(image, resolution, crop_pct, interpolation, mean, std):
    size = int(np.floor(resolution / crop_pct))
    new_size = torchvision_resized_size(image.width, image.height, size)
    if new_size != image.size:
        image = image.resize(new_size, FILTERS[interpolation])
    array = np.asarray(image)
    if array.ndim == 2:
        array = array[:, :, None]
    array = torchvision_center_crop(array, resolution)
    x = array.astype(np.float32) / np.float32(255)
    return (x - np.array(mean, np.float32)) / np.array(std, np.float32)


def pixels(image):
    return np.asarray(image, dtype=np.uint8).tobytes()


def main():
    rng = np.random.default_rng(20240611)
    chelsea = Image.open(os.path.join(PHOTOS, "chelsea.png")).convert("RGB")
    edges = np.zeros((20, 24, 3), np.uint8)  # hard 0/255 edges: ringing clipped in both passes
    edges[:, 7:13] = 255
    edges[9:, :, 1] = 255 - edges[9:, :, 1]
    edges[::5, ::3, 2] = 255
    images = {
        "rgb_random": Image.fromarray(rng.integers(0, 256, (19, 29, 3), dtype=np.uint8), "RGB"),
        "rgb_photo": chelsea.crop((182, 66, 254, 126)),  # 72x60, the cat's face
        "rgb_edges": Image.fromarray(edges, "RGB"),
        "rgb_row": Image.fromarray(rng.integers(0, 256, (1, 17, 3), dtype=np.uint8), "RGB"),
        "gray_random": Image.fromarray(rng.integers(0, 256, (41, 29), dtype=np.uint8), "L"),
        "gray_photo": chelsea.convert("L").crop((200, 100, 248, 140)),  # 48x40
        "gray_column": Image.fromarray(rng.integers(0, 256, (19, 1), dtype=np.uint8), "L"),
    }
    blob = bytearray()

    def append(data):
        offset = len(blob)
        blob.extend(data)
        return {"offset": offset, "length": len(data)}

    manifest = {"images": [], "resizes": [], "pipelines": []}
    for name, image in images.items():
        w, h = image.size
        channels = len(image.getbands())
        manifest["images"].append(dict(name=name, width=w, height=h, channels=channels, **append(pixels(image))))
        sizes = [(round(w / 1.3), round(h / 1.3)), (round(w / 3.7), round(h / 3.7)), (round(w / 7), round(h / 7)),
                 (round(w / 2.5), round(h * 1.25)), (1, h), (w, 1), (1, 1), (w, round(h / 3)), (w - 2, round(h / 3))]
        if w * h <= 48 * 40:  # keep the fixture file small
            sizes += [(w // 2, h // 2), (round(w / 3), h), (round(w * 1.5), round(h * 1.5)), (w, h), (2 * w + 1, 3)]
        seen = set()
        for size in sizes:
            size = (max(1, size[0]), max(1, size[1]))
            if size in seen:
                continue
            seen.add(size)
            for interpolation, resample in FILTERS.items():
                output = image.resize(size, resample)
                manifest["resizes"].append(dict(image=name, width=size[0], height=size[1],
                                                interpolation=interpolation, **append(pixels(output))))
        if name == "rgb_random":  # also Pillow's RGB -> L conversion (ITU-R 601-2 luma, fixed point)
            manifest["images"].append(dict(name="rgb_random_as_gray", width=w, height=h, channels=1,
                                           **append(pixels(image.convert("L")))))

    imagenet = dict(mean=[0.485, 0.456, 0.406], std=[0.229, 0.224, 0.225])
    pipelines = [
        # Resized to 36x30: left = round(4.5) = 4 and top = round(1.5) = 2 (Python rounds halves to even).
        dict(image="rgb_photo", resolution=27, crop_pct=0.875, interpolation="bicubic", output_channels=3,
             **imagenet),
        dict(image="rgb_photo", resolution=24, crop_pct=0.875, interpolation="bilinear", output_channels=3,
             mean=[0.5, 0.5, 0.5], std=[0.5, 0.5, 0.5]),
        dict(image="rgb_photo", resolution=24, crop_pct=0.9, interpolation="bicubic", output_channels=1,
             mean=[0.5], std=[0.25]),
        # The crop is wider than the resized image (zero padding 2 left, 3 right) and one row taller:
        # top = round(0.5) = 0, Python's round half to even.
        dict(image="gray_random", resolution=21, crop_pct=1.3, interpolation="bicubic", output_channels=3,
             **imagenet),
        dict(image="rgb_edges", resolution=20, crop_pct=1.0, interpolation="bilinear", output_channels=3,
             **imagenet),
    ]
    for case in pipelines:
        image = images[case["image"]]
        if case["output_channels"] == 1:
            image = image.convert("L")
        elif image.mode != "RGB":
            image = image.convert("RGB")
        tensor = eval_pipeline(image, case["resolution"], case["crop_pct"], case["interpolation"],
                               case["mean"], case["std"])
        assert tensor.shape == (case["resolution"], case["resolution"], case["output_channels"])
        manifest["pipelines"].append(dict(case, **append(tensor.astype("<f4").tobytes())))

    with open(os.path.join(HERE, "preprocessing.bin"), "wb") as f:
        f.write(blob)
    with open(os.path.join(HERE, "preprocessing.json"), "w") as f:
        # One case a line: readable in a diff, a fraction of an indented file's size.
        f.write(f'{{"pillow":"{PIL.__version__}",\n' + ",\n".join(
            f'"{key}": [\n' + ",\n".join(json.dumps(entry, separators=(",", ":")) for entry in entries) + "]"
            for key, entries in manifest.items()) + "}\n")
    print(f"{len(manifest['resizes'])} resizes, {len(manifest['pipelines'])} pipelines, {len(blob)} bytes")

    if len(sys.argv) == 3 and sys.argv[1] == "--dump-photos":
        out = sys.argv[2]
        os.makedirs(out, exist_ok=True)
        for name in ["chelsea", "coffee"]:
            image = Image.open(os.path.join(PHOTOS, f"{name}.png")).convert("RGB")
            with open(os.path.join(out, f"{name}.{image.width}x{image.height}x3.rgb"), "wb") as f:
                f.write(pixels(image))
        large = Image.open(os.path.join(PHOTOS, "coffee.png")).convert("RGB").resize((1776, 1416), Image.BICUBIC)
        with open(os.path.join(out, "large.1776x1416x3.rgb"), "wb") as f:
            f.write(pixels(large))


if __name__ == "__main__":
    main()
