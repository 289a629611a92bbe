"""Writes pillow_operations.json: Pillow's results for the RandAugment operations on small images
(run from this folder: python3 make_pillow_operations.py).

The input images are seeded random bytes; the Swift tests rebuild them from the stored samples.
"""
import json
import random

import PIL
from PIL import Image, ImageEnhance, ImageOps


def make(mode, width, height, seed, low=0, high=255):
    rng = random.Random(seed)
    channels = 3 if mode == "RGB" else 1
    data = bytes(rng.randint(low, high) for _ in range(width * height * channels))
    return Image.frombytes(mode, (width, height), data)


def samples(img):
    return list(img.tobytes())


fill = {"RGB": (124, 116, 104), "L": 117}
cases = []
for mode in ["RGB", "L"]:
    for name, img in [("random", make(mode, 7, 5, 1)), ("narrow", make(mode, 6, 6, 2, 40, 170))]:
        def add(op, out, **arguments):
            cases.append(dict(mode=mode, image=name, width=img.width, height=img.height, input=samples(img),
                              op=op, arguments=arguments, output=samples(out)))

        add("autoContrast", ImageOps.autocontrast(img))
        add("equalize", ImageOps.equalize(img))
        for factor in [0.1, 0.5, 1.0, 1.9]:
            add("color", ImageEnhance.Color(img).enhance(factor), factor=factor)
            add("contrast", ImageEnhance.Contrast(img).enhance(factor), factor=factor)
            add("brightness", ImageEnhance.Brightness(img).enhance(factor), factor=factor)
            add("sharpness", ImageEnhance.Sharpness(img).enhance(factor), factor=factor)
        for resample, label in [(Image.NEAREST, "nearest"), (Image.BILINEAR, "bilinear")]:
            kw = dict(resample=resample, fillcolor=fill[mode])
            for degrees in [90, -30, 17.5]:
                add("rotate", img.rotate(degrees, **kw), degrees=degrees, resampling=label)
            for factor in [0.3, -0.21]:
                add("shearX", img.transform(img.size, Image.AFFINE, (1, factor, 0, 0, 1, 0), **kw),
                    factor=factor, resampling=label)
                add("shearY", img.transform(img.size, Image.AFFINE, (1, 0, 0, factor, 1, 0), **kw),
                    factor=factor, resampling=label)
            for pixels in [2.0, -1.35]:
                add("translateX", img.transform(img.size, Image.AFFINE, (1, 0, pixels, 0, 1, 0), **kw),
                    pixels=pixels, resampling=label)
                add("translateY", img.transform(img.size, Image.AFFINE, (1, 0, 0, 0, 1, pixels), **kw),
                    pixels=pixels, resampling=label)

json.dump(dict(pillow=PIL.__version__, fill=fill, cases=cases), open("pillow_operations.json", "w"))
print(len(cases), "cases")
