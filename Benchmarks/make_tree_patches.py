"""Builds a two-class photo folder from the aerial forest tiles in ../shared/data/trees.

Each annotated tree crown becomes a `crown/` patch (its box, squared around its centre and padded by
a quarter), and as many `ground/` patches are cut at random squares of the same sizes that overlap
no crown box by more than 10% of their area. Patches from `train/` tiles go to OUT/train, those of
`val/` tiles (another plot) to OUT/val, so validation measures a different stand of forest.

Usage: python3 Benchmarks/make_tree_patches.py [--shared ../shared] [--out /tmp/tree-patches]
"""

import argparse
import json
import os
import random

from PIL import Image


def overlap(a, b):
    """Intersection area of two (x, y, w, h) boxes."""
    width = min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0])
    height = min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1])
    return max(0, width) * max(0, height)


def square_around(box, image_size):
    """The square around a crown box, padded by a quarter, moved inside the image."""
    x, y, w, h = box
    side = int(max(w, h) * 1.25)
    side = min(side, *image_size)
    left = int(x + w / 2 - side / 2)
    top = int(y + h / 2 - side / 2)
    left = max(0, min(left, image_size[0] - side))
    top = max(0, min(top, image_size[1] - side))
    return left, top, side


def split(folder, out, generator):
    with open(os.path.join(folder, "annotations.json")) as handle:
        coco = json.load(handle)
    boxes = {}
    for annotation in coco["annotations"]:
        boxes.setdefault(annotation["image_id"], []).append(annotation["bbox"])
    counts = {"crown": 0, "ground": 0}
    for name in ("crown", "ground"):
        os.makedirs(os.path.join(out, name), exist_ok=True)
    for image in coco["images"]:
        photo = Image.open(os.path.join(folder, image["file_name"])).convert("RGB")
        crowns = boxes.get(image["id"], [])
        stem = os.path.splitext(image["file_name"])[0]
        for index, box in enumerate(crowns):
            left, top, side = square_around(box, photo.size)
            photo.crop((left, top, left + side, top + side)).save(
                os.path.join(out, "crown", f"{stem}_{index}.png"))
            counts["crown"] += 1
            for attempt in range(50):
                gx = generator.randrange(0, photo.size[0] - side + 1)
                gy = generator.randrange(0, photo.size[1] - side + 1)
                candidate = (gx, gy, side, side)
                if all(overlap(candidate, other) <= 0.1 * side * side for other in crowns):
                    photo.crop((gx, gy, gx + side, gy + side)).save(
                        os.path.join(out, "ground", f"{stem}_{index}.png"))
                    counts["ground"] += 1
                    break
    return counts


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", default=os.path.join(os.path.dirname(__file__), "..", "..", "shared"))
    parser.add_argument("--out", default="/tmp/tree-patches")
    parser.add_argument("--seed", type=int, default=0)
    arguments = parser.parse_args()
    generator = random.Random(arguments.seed)
    for part in ("train", "val"):
        counts = split(os.path.join(arguments.shared, "data", "trees", part),
                       os.path.join(arguments.out, part), generator)
        print(part, counts)


if __name__ == "__main__":
    main()
