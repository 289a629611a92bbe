"""Side-by-side CPU speed of our `efficientnet bench` against ONNX Runtime and PyTorch eager.

For one model, batch, resolution and thread count, runs in one invocation, alternating round by round:
  ours     `.build/release/efficientnet bench ... --json` (a fresh process per round),
  ORT      ONNX Runtime on timm's model exported to ONNX (opset 17; cached), in its own child process,
  PyTorch  timm's model in eager mode (inference_mode), in its own child process,
and prints each one's median latency (the median over rounds of each round's median), the ratios
ours/ORT and ours/PyTorch (the median of the per-round ratios: below 1 means ours is faster) and each
process's peak resident memory. With --train it compares a full training step (forward, backward,
RMSProp update; label smoothing 0.1) in images per second against PyTorch eager.

Weights are random everywhere: speed does not depend on them. Ours evaluates NHWC input, the others
NCHW, each its native layout. Optional: never part of the tests. Needs `pip install torch timm
onnxruntime onnx`; torchvision is not needed (a stub stands in for it if it does not import).

Usage:
  python3 Benchmarks/compare.py --model efficientnet_b0 --batch 1 --resolution 224 --threads 2
  python3 Benchmarks/compare.py --train --batch 16
  python3 Benchmarks/compare.py --model tf_efficientdet_d0 --resolution 512   # effdet's heads, no NMS
  python3 Benchmarks/compare.py --suite            # the targets of issue 5, as a Markdown table
Options: --ours PATH (or EFFICIENTNET_BIN), --cache-dir DIR, --rounds N, --round-seconds S,
--statistic p10|min (each round's 10th-percentile or fastest iteration instead of its median:
steadier when other tenants share the machine).
"""
import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time

import compare_detectors

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SUITE = [  # (model, resolution, batch, train)
    ("efficientnet_b0", 224, 1, False),
    ("efficientnet_b0", 224, 8, False),
    ("efficientnet_lite0", 224, 1, False),
    ("efficientnet_b3", 300, 1, False),
    ("efficientnet_b0", 224, 16, True),
    ("tf_efficientdet_d0", 512, 1, False),
]


# MARK: - Child processes (each runtime in its own, so peak memory is per runtime)


def install_torchvision_stub():
    """timm imports torchvision at load time for features we never use; stand in for it if needed."""
    try:
        import torchvision  # noqa: F401

        return
    except Exception:
        for name in [n for n in sys.modules if n == "torchvision" or n.startswith("torchvision.")]:
            del sys.modules[name]
    import enum
    import importlib.abc
    import importlib.machinery
    import types

    class StubModule(types.ModuleType):
        def __getattr__(self, name):
            if name.startswith("__"):
                raise AttributeError(name)
            if name == "InterpolationMode":
                return enum.Enum(name, "NEAREST NEAREST_EXACT BILINEAR BICUBIC BOX HAMMING LANCZOS")
            return type(name, (), {})

    class StubFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
        def find_spec(self, fullname, path, target=None):
            if fullname == "torchvision" or fullname.startswith("torchvision."):
                return importlib.machinery.ModuleSpec(fullname, self, is_package=True)
            return None

        def create_module(self, spec):
            module = StubModule(spec.name)
            module.__path__ = []
            return module

        def exec_module(self, module):
            pass

    sys.meta_path.insert(0, StubFinder())


def peak_rss_bytes():
    import resource

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak if sys.platform == "darwin" else peak * 1024  # Linux reports kilobytes


def timm_model(name, train, resolution):
    """timm's model with random weights whose activations stay in a trained network's range.

    timm's random initialization (with the last batch norm of each residual branch zeroed) lets the
    activations of a model in eval mode shrink layer by layer into subnormal floats, which make PyTorch
    several times slower than on real weights. So, as ours is initialized, every batch-norm scale is 1,
    and the running statistics are those of one random batch: each layer then sees unit-scale inputs.
    """
    install_torchvision_stub()
    if compare_detectors.is_detector(name):
        return compare_detectors.effdet_model(name, train, resolution)
    import timm
    import torch

    torch.manual_seed(0)
    # Training uses the paper's regularization (dropout and stochastic depth 0.2), as ours does.
    extra = {"drop_rate": 0.2, "drop_path_rate": 0.2} if train else {}
    model = timm.create_model(name, pretrained=False, **extra)
    return compare_detectors.calibrate_batch_norms(model, resolution)


def export_onnx(arguments):
    import torch

    model = timm_model(arguments.model, train=False, resolution=arguments.resolution).eval()
    example = torch.randn(arguments.batch, 3, arguments.resolution, arguments.resolution)
    partial = arguments.onnx + ".partial"
    outputs = compare_detectors.output_names() if compare_detectors.is_detector(arguments.model) else ["logits"]
    options = dict(opset_version=17, input_names=["input"], output_names=outputs)
    try:
        torch.onnx.export(model, (example,), partial, dynamo=False, **options)
    except TypeError:  # older torch without the `dynamo` argument
        torch.onnx.export(model, (example,), partial, **options)
    os.replace(partial, arguments.onnx)


def worker(arguments):
    """Loads one runtime, then answers JSON commands on stdin: run a round, or report peak memory."""
    replies = os.fdopen(os.dup(1), "w", buffering=1)
    sys.stdout = sys.stderr  # keep library chatter off the reply channel
    threads, batch, size = arguments.threads, arguments.batch, arguments.resolution
    import numpy as np

    inputs = np.random.default_rng(0).standard_normal((batch, 3, size, size), dtype=np.float32)
    if arguments.worker == "ort":
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        session = ort.InferenceSession(arguments.onnx, options, providers=["CPUExecutionProvider"])
        name = session.get_inputs()[0].name
        version = f"onnxruntime {ort.__version__}"

        def one_pass():
            session.run(None, {name: inputs})

    else:
        import torch

        torch.set_num_threads(threads)
        model = timm_model(arguments.model, train=arguments.train, resolution=size)
        images = torch.from_numpy(inputs)
        import timm

        version = f"torch {torch.__version__}, timm {timm.__version__}"
        if compare_detectors.is_detector(arguments.model):
            from importlib.metadata import version as installed_version

            version += f", effdet {installed_version('effdet')}"
        if arguments.train:
            model.train()
            labels = torch.randint(0, 1000, (batch,))
            loss_function = torch.nn.CrossEntropyLoss(label_smoothing=0.1)
            optimizer = torch.optim.RMSprop(
                model.parameters(), lr=0.016 * batch / 256, alpha=0.9, eps=1e-3, momentum=0.9,
                weight_decay=1e-5)

            def one_pass():
                optimizer.zero_grad(set_to_none=True)
                loss_function(model(images), labels).backward()
                optimizer.step()

        else:
            model.eval()

            def one_pass():
                with torch.inference_mode():
                    model(images)

    replies.write(json.dumps({"ready": True, "version": version}) + "\n")
    for line in sys.stdin:
        command = json.loads(line)
        if command["command"] == "rss":
            replies.write(json.dumps({"peak_rss_bytes": peak_rss_bytes()}) + "\n")
            continue
        for _ in range(command["warmup"]):
            one_pass()
        times, start = [], time.perf_counter()
        while len(times) < command["iterations"] or time.perf_counter() - start < command["seconds"]:
            begin = time.perf_counter()
            one_pass()
            times.append((time.perf_counter() - begin) * 1000)
        ordered = sorted(times)
        replies.write(json.dumps({"median_ms": statistics.median(times), "p10_ms": ordered[len(ordered) // 10],
                                  "min_ms": ordered[0], "iterations": len(times)}) + "\n")


class Worker:
    """A runtime in a child process of this script."""

    def __init__(self, kind, case, threads, onnx=None):
        model, resolution, batch, train = case
        command = [sys.executable, os.path.abspath(__file__), "--worker", kind, "--model", model,
                   "--resolution", str(resolution), "--batch", str(batch), "--threads", str(threads)]
        command += ["--train"] if train else []
        command += ["--onnx", onnx] if onnx else []
        environment = dict(os.environ, OMP_NUM_THREADS=str(threads))
        self.process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                                        env=environment)
        self.version = self.read()["version"]

    def read(self):
        line = self.process.stdout.readline()
        if not line:
            raise SystemExit(f"error: a benchmark child process failed (exit {self.process.wait()}); see above")
        return json.loads(line)

    def round(self, iterations, seconds, warmup):
        self.process.stdin.write(json.dumps(
            {"command": "run", "iterations": iterations, "seconds": seconds, "warmup": warmup}) + "\n")
        self.process.stdin.flush()
        return self.read()

    def close(self):
        self.process.stdin.write(json.dumps({"command": "rss"}) + "\n")
        self.process.stdin.flush()
        peak = self.read()["peak_rss_bytes"]
        self.process.stdin.close()
        self.process.wait()
        return peak


def ours_round(binary, case, threads, iterations, seconds, warmup):
    model, resolution, batch, train = case
    command = [binary, "bench", "--model", model, "--batch", str(batch), "--resolution", str(resolution),
               "--threads", str(threads), "--json", "--iterations", str(iterations), "--seconds", str(seconds),
               "--warmup", str(warmup)] + (["--train"] if train else [])
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        raise SystemExit(f"error: {' '.join(command)} failed:\n{result.stderr}")
    return json.loads(result.stdout)


# MARK: - One comparison


def onnx_path(arguments, case):
    model, resolution, batch, _ = case
    os.makedirs(arguments.cache_dir, exist_ok=True)
    path = os.path.join(arguments.cache_dir, f"{model}_{resolution}px_batch{batch}_opset17.onnx")
    if not os.path.exists(path):
        print(f"exporting {model} to {path} ...", file=sys.stderr)
        subprocess.run([sys.executable, os.path.abspath(__file__), "--worker", "export", "--model", model,
                        "--resolution", str(resolution), "--batch", str(batch), "--onnx", path], check=True)
    return path


def compare(arguments, case):
    """Runs ours, ORT and PyTorch in alternating rounds; returns medians (ms), ratios and peak memory."""
    model, resolution, batch, train = case
    threads, rounds = arguments.threads, arguments.rounds or (3 if train else 5)
    seconds = arguments.round_seconds if arguments.round_seconds is not None else (0 if train else 2)
    iterations = 3 if train else 10
    statistic = arguments.statistic + "_ms"
    workers = {}
    if not train:
        workers["ORT"] = Worker("ort", case, threads, onnx=onnx_path(arguments, case))
    workers["PyTorch"] = Worker("torch", case, threads)
    medians = {name: [] for name in ["ours"] + list(workers)}
    ours_peak = 0
    for index in range(rounds):
        report = ours_round(arguments.ours, case, threads, iterations, seconds, 2 if train else 3)
        medians["ours"].append(report[statistic])
        ours_peak = max(ours_peak, report["peak_rss_bytes"])
        for name, child in workers.items():
            # The children stay warm between rounds: only the first round needs a warm-up.
            reply = child.round(iterations, seconds, warmup=(2 if train else 3) if index == 0 else 1)
            medians[name].append(reply[statistic])
        print(f"  round {index + 1}/{rounds}: " + ", ".join(f"{n} {v[-1]:.2f} ms" for n, v in medians.items()),
              file=sys.stderr)
    peaks = {"ours": ours_peak}
    versions = {}
    for name, child in workers.items():
        versions[name] = child.version
        peaks[name] = child.close()
    ratios = {name: statistics.median(o / t for o, t in zip(medians["ours"], medians[name]))
              for name in workers}
    return {"case": case, "median_ms": {n: statistics.median(v) for n, v in medians.items()},
            "ratio": ratios, "peak_rss_bytes": peaks, "versions": versions, "rounds": rounds}


# MARK: - Reports


STATISTIC_NAMES = {"median": "median", "p10": "10th-percentile", "min": "fastest"}


def machine():
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            cpu = next(line.split(":", 1)[1].strip() for line in cpuinfo if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return f"{cpu}, {os.cpu_count()} logical cores, {platform.system()} {platform.release()}"


def case_name(case):
    model, resolution, batch, train = case
    return f"{model.replace('efficientnet_', '').replace('tf_efficientdet_', 'EfficientDet-')} {resolution}px batch {batch}" + (" train" if train else "")


def megabytes(value):
    return f"{value / 1e6:.0f}" if value else "-"


def table(results, markdown):
    inference = [r for r in results if not r["case"][3]]
    training = [r for r in results if r["case"][3]]
    lines = []
    if inference:
        header = ["inference", "ours ms", "ORT ms", "PyTorch ms", "ours/ORT", "ours/PyTorch",
                  "peak RSS MB ours / ORT / PyTorch"]
        rows = [[case_name(r["case"]), f"{r['median_ms']['ours']:.2f}", f"{r['median_ms']['ORT']:.2f}",
                 f"{r['median_ms']['PyTorch']:.2f}", f"{r['ratio']['ORT']:.2f}", f"{r['ratio']['PyTorch']:.2f}",
                 " / ".join(megabytes(r["peak_rss_bytes"][n]) for n in ["ours", "ORT", "PyTorch"])]
                for r in inference]
        lines += format_rows(header, rows, markdown) + [""]
    if training:
        header = ["training step (RMSProp)", "ours images/s", "PyTorch images/s", "ours/PyTorch speed",
                  "peak RSS MB ours / PyTorch"]
        rows = []
        for r in training:
            batch = r["case"][2]
            ours, torch_ = (batch * 1000 / r["median_ms"][n] for n in ["ours", "PyTorch"])
            rows.append([case_name(r["case"]), f"{ours:.1f}", f"{torch_:.1f}", f"{1 / r['ratio']['PyTorch']:.2f}",
                         " / ".join(megabytes(r["peak_rss_bytes"][n]) for n in ["ours", "PyTorch"])])
        lines += format_rows(header, rows, markdown) + [""]
    return "\n".join(lines)


def format_rows(header, rows, markdown):
    if markdown:
        return (["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
                + ["| " + " | ".join(row) + " |" for row in rows])
    widths = [max(len(str(row[i])) for row in [header] + rows) for i in range(len(header))]
    return ["  ".join(str(cell).ljust(width) for cell, width in zip(row, widths)) for row in [header] + rows]


# MARK: - Command line


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", default="efficientnet_b0", help="timm name (ours accepts the same)")
    parser.add_argument("--batch", type=int, default=1)
    parser.add_argument("--resolution", type=int, default=224)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--train", action="store_true", help="compare training steps (images/s)")
    parser.add_argument("--suite", action="store_true", help="run issue 5's target list; Markdown table")
    parser.add_argument("--markdown", action="store_true", help="print the table in Markdown")
    parser.add_argument("--rounds", type=int, help="alternating rounds (default 5; 3 for training)")
    parser.add_argument("--round-seconds", type=float, help="minimum seconds per round and runtime")
    parser.add_argument("--statistic", choices=["median", "p10", "min"], default="median",
                        help="each round's figure: the median iteration (default), the 10th percentile or "
                             "the fastest, which a busy machine disturbs less")
    parser.add_argument("--ours", default=os.environ.get(
        "EFFICIENTNET_BIN", os.path.join(ROOT, ".build", "release", "efficientnet")))
    parser.add_argument("--cache-dir", default=os.path.join(tempfile.gettempdir(), "efficientnet-compare"),
                        help="where exported ONNX files are kept")
    parser.add_argument("--worker", choices=["ort", "torch", "export"], help=argparse.SUPPRESS)
    parser.add_argument("--onnx", help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.worker == "export":
        return export_onnx(arguments)
    if arguments.worker:
        return worker(arguments)
    if arguments.batch < 1 or arguments.threads < 1 or arguments.resolution < 1:
        parser.error("--batch, --threads and --resolution must be at least 1")
    if arguments.train and compare_detectors.is_detector(arguments.model):
        parser.error("--train compares classifiers only; time detector training with Benchmarks/effdet_trees.py")
    if not os.access(arguments.ours, os.X_OK):
        parser.error(f"{arguments.ours} is not an executable: build it with `swift build -c release` "
                     "or pass --ours PATH")
    cases = SUITE if arguments.suite else [(arguments.model, arguments.resolution, arguments.batch,
                                            arguments.train)]
    load_before = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    if load_before > 0.5:
        print(f"warning: load average {load_before:.1f} before starting: other processes compete for the "
              "cores, and runtimes with statically partitioned threads (PyTorch's OpenMP) suffer most",
              file=sys.stderr)
    results = []
    for case in cases:
        print(f"{case_name(case)}, {arguments.threads} threads:", file=sys.stderr)
        results.append(compare(arguments, case))
    versions = sorted({v for r in results for v in r["versions"].values()})
    print(table(results, arguments.markdown or arguments.suite))
    print(f"Machine: {machine()}; {arguments.threads} threads; {', '.join(versions)}; "
          f"medians of {', '.join(sorted({str(r['rounds']) for r in results}))} alternating rounds "
          f"of each round's {STATISTIC_NAMES[arguments.statistic]} iteration, "
          f"{time.strftime('%Y-%m-%d')}; load average {load_before:.1f} before, "
          f"{os.getloadavg()[0] if hasattr(os, 'getloadavg') else float('nan'):.1f} after.")


if __name__ == "__main__":
    main()
