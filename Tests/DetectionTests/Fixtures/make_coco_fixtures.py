"""Builds the COCO evaluation fixtures of DetectionTests: ground-truth/detection pairs and the twelve
`stats` numbers pycocotools' COCOeval (iouType='bbox') gives for each, at full double precision.

    pip install pycocotools numpy
    python3 Tests/DetectionTests/Fixtures/make_coco_fixtures.py [path/to/trees/val/annotations.json]

Writes, next to this script, `coco-<case>-ground-truth.json` and `coco-<case>-detections.json` for each
case and `coco-expected.json` (pycocotools' and NumPy's versions, the IoU and recall thresholds, and per
case the stats and each category's AP @[IoU=0.50:0.95, all areas, 100 detections]).

The cases:
- `mixed`: 7 images (two without annotations), categories 1, 2, 3, 5, 7 (5 has detections but no ground
  truth, 7 ground truth but no detections), boxes of every size range and on the range ends, crowd
  annotations, an `ignore: 1` annotation (pycocotools lets `iscrowd` alone decide), perturbed ground
  truth as detections, false positives, duplicate detections, equal scores within and across images,
  130 detections in one image, detections of a category id not in `categories` (dropped).
- `crowd`: crowd regions with many detections inside them, and an `area` field unlike the box's.
- `random`: seeded random scenes, 3 categories, including an annotation of id 0 (pycocotools takes a
  match to it for no match; the Swift evaluation does the same).
- `trees`: the real tree-crown validation annotations, their content unchanged (written compactly),
  from the repository's shared data, `shared/data/trees/val/annotations.json` (NEON Yellowstone orthophoto tiles as shipped in the
  deepforest 2.1.0 wheel, MIT licence; see that folder's README), with synthetic perturbed detections.
"""
import importlib.metadata
import json
import os
import random
import sys

import numpy as np
from pycocotools.coco import COCO
from pycocotools.cocoeval import COCOeval

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", "..", ".."))
TREES_FILE = os.path.join("data", "trees", "val", "annotations.json")


def trees_path():
    """The tree annotations in the first shared folder the Swift tests search (SharedData.swift)."""
    if "EFFICIENTNET_SHARED" in os.environ:
        folders = [os.environ["EFFICIENTNET_SHARED"]]
    else:
        folders = [os.path.join(ROOT, "shared"), os.path.join(os.path.dirname(ROOT), "shared"), "/work/shared"]
    for folder in folders:
        if os.path.exists(os.path.join(folder, TREES_FILE)):
            return os.path.join(folder, TREES_FILE)
    sys.exit("no %s in %s; name the file as the first argument" % (TREES_FILE, ", ".join(folders)))


def write(name, value):
    with open(os.path.join(HERE, name), "w") as handle:
        json.dump(value, handle, separators=(",", ":"))


def annotation(ident, image, category, box, crowd=0, area=None, **extra):
    entry = {"id": ident, "image_id": image, "category_id": category, "bbox": box,
             "area": box[2] * box[3] if area is None else area, "iscrowd": crowd}
    entry.update(extra)
    return entry


def perturbed(rng, box, spread):
    x, y, w, h = box
    return [round(x + rng.uniform(-spread, spread) * w, 2), round(y + rng.uniform(-spread, spread) * h, 2),
            round(max(1.0, w * (1 + rng.uniform(-spread, spread))), 2),
            round(max(1.0, h * (1 + rng.uniform(-spread, spread))), 2)]


def detection(image, category, box, score):
    return {"image_id": image, "category_id": category, "bbox": box, "score": score}


def random_box(rng, size, limit=600):
    w = rng.uniform(size * 0.6, size * 1.4)
    h = rng.uniform(size * 0.6, size * 1.4)
    return [round(rng.uniform(0, limit - w), 2), round(rng.uniform(0, limit - h), 2), round(w, 2), round(h, 2)]


def images(count):
    return [{"id": i, "file_name": "image%d.jpg" % i, "width": 640, "height": 640} for i in range(1, count + 1)]


def mixed_case():
    rng = random.Random(5)
    categories = [{"id": i, "name": n} for i, n in [(1, "person"), (2, "car"), (3, "dog"), (5, "kite"), (7, "boat")]]
    anns, dets = [], []
    ident = 1
    for image in [1, 2, 3, 4, 5]:
        for category, size in [(1, 20), (1, 60), (2, 150), (3, 40), (3, 25), (7, 50)]:
            box = random_box(rng, size)
            anns.append(annotation(ident, image, category, box))
            ident += 1
            if category != 7 and rng.random() < 0.85:
                dets.append(detection(image, category, perturbed(rng, box, 0.15), round(rng.uniform(0.3, 1), 2)))
            if category != 7 and rng.random() < 0.3:  # a duplicate
                dets.append(detection(image, category, perturbed(rng, box, 0.05), round(rng.uniform(0.1, 0.9), 2)))
    # Range ends: areas exactly 32² and 96².
    anns.append(annotation(ident, 1, 2, [10, 10, 32, 32]))
    anns.append(annotation(ident + 1, 1, 2, [300, 300, 96, 96]))
    dets += [detection(1, 2, [10, 10, 32, 32], 0.5), detection(1, 2, [300, 300, 96, 96], 0.5)]
    # Crowds, an ignore flag, a crowd of its own category.
    anns.append(annotation(ident + 2, 2, 1, [100, 100, 200, 200], crowd=1, area=30000.0))
    anns.append(annotation(ident + 3, 3, 3, [50, 400, 120, 80], ignore=1))
    anns.append(annotation(ident + 4, 4, 2, [0, 0, 400, 300], crowd=1))
    dets += [detection(2, 1, [120, 120, 30, 30], 0.55), detection(2, 1, [150, 150, 25, 40], 0.55),
             detection(3, 3, [52, 398, 118, 83], 0.95), detection(4, 2, [10, 10, 100, 100], 0.6)]
    # False positives, on annotated and empty images; category 5 has no ground truth; 9 is unknown.
    for image in [1, 2, 3, 6, 7]:
        for _ in range(3):
            dets.append(detection(image, rng.choice([1, 2, 3, 5]), random_box(rng, rng.choice([15, 50, 120])),
                                  round(rng.uniform(0, 0.8), 1)))
    dets.append(detection(1, 9, [1, 1, 10, 10], 0.9))
    # 130 detections in image 5: ties, boxes near every object of category 1.
    targets = [a for a in anns if a["image_id"] == 5 and a["category_id"] == 1]
    for index in range(130):
        dets.append(detection(5, 1, perturbed(rng, targets[index % 2]["bbox"], 0.3), round(rng.uniform(0, 1), 1)))
    gt = {"images": images(7), "annotations": anns, "categories": categories}
    return gt, dets


def crowd_case():
    rng = random.Random(11)
    anns = [annotation(1, 1, 1, [0, 0, 300, 300], crowd=1), annotation(2, 1, 1, [20, 20, 40, 40]),
            annotation(3, 1, 1, [200, 200, 50, 60], area=900.0), annotation(4, 2, 1, [10, 10, 80, 80], crowd=1),
            annotation(5, 2, 2, [300, 300, 100, 100]), annotation(6, 2, 2, [310, 310, 90, 90], crowd=1),
            annotation(7, 3, 3, [50, 50, 30, 30])]
    dets = [detection(1, 1, [20, 20, 40, 40], 0.9), detection(1, 1, [21, 19, 40, 41], 0.9)]
    for _ in range(12):
        dets.append(detection(1, 1, random_box(rng, 40, 280), round(rng.uniform(0, 1), 2)))
    for _ in range(6):
        dets.append(detection(2, 1, random_box(rng, 20, 90), round(rng.uniform(0, 1), 2)))
    dets += [detection(2, 2, [305, 305, 95, 95], 0.8), detection(2, 2, [300, 300, 100, 100], 0.7),
             detection(2, 2, [300, 300, 100, 100], 0.7), detection(3, 3, [50, 50, 30, 30], 0.4),
             detection(3, 3, [49, 50, 31, 30], 0.4), detection(3, 1, [50, 50, 30, 30], 0.99)]
    gt = {"images": images(3), "annotations": anns,
          "categories": [{"id": 1, "name": "a"}, {"id": 2, "name": "b"}, {"id": 3, "name": "c"}]}
    return gt, dets


def random_case():
    rng = random.Random(23)
    anns, dets = [], []
    ident = 0
    for image in range(1, 11):
        for _ in range(rng.randint(0, 9)):
            category = rng.randint(1, 3)
            box = random_box(rng, rng.choice([12, 25, 45, 80, 140]))
            anns.append(annotation(ident, image, category, box, crowd=int(rng.random() < 0.05)))
            ident += 1
            for _ in range(rng.randint(0, 2)):
                dets.append(detection(image, category, perturbed(rng, box, 0.2), round(rng.random(), 2)))
        for _ in range(rng.randint(0, 5)):
            dets.append(detection(image, rng.randint(1, 3), random_box(rng, 40), round(rng.random(), 2)))
    gt = {"images": images(10), "annotations": anns,
          "categories": [{"id": 1, "name": "x"}, {"id": 2, "name": "y"}, {"id": 3, "name": "z"}]}
    return gt, dets


def trees_case(path):
    with open(path) as handle:
        gt = json.load(handle)
    rng = random.Random(31)
    dets = []
    for ann in gt["annotations"]:
        if rng.random() < 0.9:
            dets.append(detection(ann["image_id"], 1, perturbed(rng, ann["bbox"], 0.12), round(rng.random(), 3)))
    for image in gt["images"]:
        for _ in range(8):
            dets.append(detection(image["id"], 1, random_box(rng, 37, 400), round(rng.random() * 0.5, 3)))
    return gt, dets


def evaluate(gt_name, dt_name):
    ground_truth = COCO(os.path.join(HERE, gt_name))
    evaluation = COCOeval(ground_truth, ground_truth.loadRes(os.path.join(HERE, dt_name)), "bbox")
    evaluation.evaluate()
    evaluation.accumulate()
    evaluation.summarize()
    precision = evaluation.eval["precision"]
    per_category = {}
    for index, category in enumerate(evaluation.params.catIds):
        values = precision[:, :, index, 0, 2]
        per_category[str(category)] = float(np.mean(values[values > -1])) if (values > -1).any() else -1.0
    return [float(value) for value in evaluation.stats], per_category


def main():
    trees = sys.argv[1] if len(sys.argv) > 1 else trees_path()
    cases = [("mixed", mixed_case()), ("crowd", crowd_case()), ("random", random_case()),
             ("trees", trees_case(trees))]
    expected = {"pycocotools": importlib.metadata.version("pycocotools"),
                "numpy": np.__version__,
                "iou_thresholds": [float(v) for v in np.linspace(.5, 0.95, 10)],
                "recall_thresholds": [float(v) for v in np.linspace(.0, 1.00, 101)], "cases": []}
    for name, (gt, dets) in cases:
        gt_name, dt_name = "coco-%s-ground-truth.json" % name, "coco-%s-detections.json" % name
        write(gt_name, gt)
        write(dt_name, dets)
        stats, per_category = evaluate(gt_name, dt_name)
        expected["cases"].append({"name": name, "ground_truth": gt_name, "detections": dt_name,
                                  "stats": stats, "category_ap": per_category})
    with open(os.path.join(HERE, "coco-expected.json"), "w") as handle:
        json.dump(expected, handle, indent=1)


if __name__ == "__main__":
    main()
