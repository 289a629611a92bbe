"""Trains effdet (PyTorch) on a COCO-format detection set with the recipe `efficientnet train` uses
for detectors, so the two can be compared on the same tiles, seed and machine:

- the model effdet names (default tf_efficientdet_lite0) at --size, one class per category, the
  backbone from our shipped ImageNet Lite0 (timm names) or random;
- effdet's own training transform (RandomFlip, RandomResizePad --scale, default 0.1-2.0, random bilinear/bicubic) and
  its DetBenchTrain loss (labeler IoU 0.5, focal alpha 0.25 gamma 1.5, Huber delta 0.1 x 50);
- batches of --batch in a seeded shuffled order (a last batch of one image skipped, as ours does);
- AdamW (0.9, 0.999, 1e-8), decay --wd on weights of rank >= 2; linear warm-up from 0 over
  floor(0.1 x steps) steps, then (1 + cos(pi x epoch / epochs)) / 2 of --lr;
- COCO AP@[.5:.95] and AP50 (pycocotools) of DetBenchPredict on --val after every epoch.

Prints one line per epoch and writes --output (JSON lines) with the same fields as our metrics.jsonl.

    pip install effdet==0.4.1 timm==1.0.31 torch pycocotools safetensors
    python3 Benchmarks/effdet_trees.py --data ../shared/data/trees/train/annotations.json \
        --val ../shared/data/trees/val/annotations.json --size 320 --epochs 40 --seed 0
"""
import argparse
import contextlib
import io
import json
import math
import os
import random
import time
import warnings

import numpy as np
import torch
from PIL import Image

warnings.filterwarnings("ignore")
from effdet import DetBenchPredict, create_model  # noqa: E402
from effdet.data import transforms  # noqa: E402
from pycocotools.coco import COCO  # noqa: E402
from pycocotools.cocoeval import COCOeval  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LITE0 = os.path.join(ROOT, "Sources", "EfficientNetModels", "Resources", "efficientnet_lite0.safetensors")


def parse():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", required=True, help="training annotations (COCO JSON, images beside it)")
    parser.add_argument("--val", required=True, help="validation annotations (COCO JSON)")
    parser.add_argument("--model", default="tf_efficientdet_lite0")
    parser.add_argument("--size", type=int, default=320)
    parser.add_argument("--epochs", type=int, default=40)
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--wd", type=float, default=1e-4)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--scale", default="0.1,2.0", help="RandomResizePad's scale range MIN,MAX (effdet's 0.1,2.0)")
    parser.add_argument("--backbone", default="lite0", choices=["lite0", "random"])
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    parser.add_argument("--output", help="JSON lines, one record per epoch")
    return parser.parse_args()


def read_split(path):
    with contextlib.redirect_stdout(io.StringIO()):
        coco = COCO(path)
    folder = os.path.dirname(path)
    categories = sorted(coco.getCatIds())
    class_of = {c: i + 1 for i, c in enumerate(categories)}
    items = []
    for image_id in sorted(coco.getImgIds()):
        info = coco.loadImgs(image_id)[0]
        boxes, classes = [], []
        for ann in coco.loadAnns(coco.getAnnIds(imgIds=image_id, iscrowd=False)):
            x, y, w, h = ann["bbox"]
            boxes.append([y, x, y + h, x + w])
            classes.append(class_of[ann["category_id"]])
        items.append((image_id, os.path.join(folder, info["file_name"]), np.array(boxes, np.float32).reshape(-1, 4),
                      np.array(classes, np.float32)))
    return coco, items, len(categories)


def normalize(array, mean, std):
    tensor = torch.from_numpy(np.ascontiguousarray(array)).float()
    return (tensor - torch.tensor(mean).view(3, 1, 1) * 255) / (torch.tensor(std).view(3, 1, 1) * 255)


def evaluate(model, coco, items, size, mean, std):
    predictor = DetBenchPredict(model).eval()
    eval_transform = transforms.transforms_coco_eval(size, use_prefetcher=True, mean=mean, std=std)
    results = []
    with torch.no_grad():
        for image_id, path, _, _ in items:
            image = Image.open(path).convert("RGB")
            array, target = eval_transform(image, {})
            info = {"img_scale": torch.tensor([target["img_scale"]]), "img_size": torch.tensor([image.size])}
            detections = predictor(normalize(array, mean, std)[None], img_info=info)[0]
            for x1, y1, x2, y2, score, label in detections.tolist():
                if score <= 0:
                    continue
                results.append({"image_id": image_id, "category_id": int(label), "score": score,
                                "bbox": [x1, y1, x2 - x1, y2 - y1]})
    model.train()
    if not results:
        return 0.0, 0.0
    with contextlib.redirect_stdout(io.StringIO()):
        evaluation = COCOeval(coco, coco.loadRes(results), "bbox")
        evaluation.evaluate()
        evaluation.accumulate()
        evaluation.summarize()
    return float(evaluation.stats[0]), float(evaluation.stats[1])


def main():
    args = parse()
    torch.set_num_threads(args.threads)
    random.seed(args.seed)
    np.random.seed(args.seed)
    torch.manual_seed(args.seed)
    _, train_items, class_count = read_split(args.data)
    val_coco, val_items, _ = read_split(args.val)
    bench = create_model(args.model, bench_task="train", num_classes=class_count, pretrained=False,
                         pretrained_backbone=False, image_size=(args.size, args.size), bench_labeler=True)
    if args.backbone == "lite0":
        from safetensors.torch import load_file
        missing, _ = bench.model.backbone.load_state_dict(load_file(LITE0), strict=False)
        assert not [m for m in missing if not m.endswith("num_batches_tracked")], missing
    config = bench.config
    # The Lite configs carry their mean and std; the others use ImageNet's (effdet's default).
    mean = tuple(config.get("mean", (0.485, 0.456, 0.406)))
    std = tuple(config.get("std", (0.229, 0.224, 0.225)))
    fill = tuple(int(round(255 * m)) for m in mean)
    # transforms_coco_train's steps, with the scale range given.
    scale = tuple(float(part) for part in args.scale.split(","))
    train_transform = transforms.Compose([
        transforms.RandomFlip(horizontal=True, prob=0.5),
        transforms.RandomResizePad(target_size=args.size, scale=scale, interpolation="random", fill_color=fill),
        transforms.ImageToNumpy(),
    ])
    decay = [p for p in bench.parameters() if p.ndim >= 2]
    no_decay = [p for p in bench.parameters() if p.ndim < 2]
    optimizer = torch.optim.AdamW([{"params": decay, "weight_decay": args.wd}, {"params": no_decay, "weight_decay": 0}],
                                  lr=args.lr, betas=(0.9, 0.999), eps=1e-8)
    batches_per_epoch = math.ceil(len(train_items) / args.batch)
    warmup_steps = int(0.1 * args.epochs * batches_per_epoch)
    step = 0
    output = open(args.output, "w") if args.output else None
    generator = np.random.RandomState(args.seed)
    bench.train()
    for epoch in range(1, args.epochs + 1):
        start = time.perf_counter()
        order = generator.permutation(len(train_items))
        sums, steps = np.zeros(3), 0
        for first in range(0, len(order), args.batch):
            batch = order[first:first + args.batch]
            if len(batch) < 2:
                continue
            images, boxes, classes = [], [], []
            for index in batch:
                _, path, item_boxes, item_classes = train_items[index]
                array, target = train_transform(Image.open(path).convert("RGB"),
                                                {"bbox": item_boxes.copy(), "cls": item_classes.copy()})
                images.append(normalize(array, mean, std))
                boxes.append(torch.from_numpy(target["bbox"]).float())
                classes.append(torch.from_numpy(target["cls"]).float())
            most = max(1, max(len(b) for b in boxes))
            padded_boxes = torch.full((len(batch), most, 4), -1.0)
            padded_classes = torch.full((len(batch), most), -1.0)
            for row, (b, c) in enumerate(zip(boxes, classes)):
                padded_boxes[row, :len(b)] = b
                padded_classes[row, :len(c)] = c
            epoch_position = step / batches_per_epoch
            if step < warmup_steps:
                rate = args.lr * step / warmup_steps
            else:
                rate = args.lr * (1 + math.cos(math.pi * epoch_position / args.epochs)) / 2
            for group in optimizer.param_groups:
                group["lr"] = rate
            losses = bench(torch.stack(images), {"bbox": padded_boxes, "cls": padded_classes})
            optimizer.zero_grad()
            losses["loss"].backward()
            optimizer.step()
            step += 1
            steps += 1
            sums += [losses["loss"].item(), losses["class_loss"].item(), losses["box_loss"].item()]
        seconds = time.perf_counter() - start
        ap, ap50 = evaluate(bench.model, val_coco, val_items, args.size, mean, std)
        record = {"epoch": epoch, "loss": sums[0] / steps, "classLoss": sums[1] / steps, "boxLoss": sums[2] / steps,
                  "imagesPerSecond": len(order) / seconds, "validationAP": ap, "validationAP50": ap50,
                  "seconds": seconds}
        print(f"epoch {epoch}  loss {record['loss']:.4f}  class {record['classLoss']:.4f}  box {record['boxLoss']:.5f}  "
              f"val AP {ap:.4f}  AP50 {ap50:.4f}  {record['imagesPerSecond']:.1f} images/s  {record['seconds']:.1f} s",
              flush=True)
        if output:
            output.write(json.dumps(record) + "\n")
            output.flush()


if __name__ == "__main__":
    main()
