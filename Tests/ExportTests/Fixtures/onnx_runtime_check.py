"""Test helper for ExportTests: checks exported ONNX files with onnx and runs them with ONNX Runtime.

    python3 onnx_runtime_check.py JOBS.json

JOBS.json is a list of {"model": PATH, "inputs": [{"data": PATH, "shape": [N, C, H, W]}, ...]}; each data
file holds raw little-endian float32 values. For every model: `onnx.checker.check_model(full_check=True)`,
then for every input ONNX Runtime with graph optimizations off (ORT_DISABLE_ALL) and on (ORT_ENABLE_ALL);
output K of each run goes to DATA.disabled.K.bin and DATA.enabled.K.bin (raw float32). Prints one
JSON object: per model its metadata_props, op types, graph input and output shapes (a dimension as its
number or its name), whether any `Pad` or `Reshape` node exists, and per input the output shapes.

Exit status 3 when onnx or onnxruntime cannot be imported (the tests skip then, except in CI).
"""
import json
import sys

try:
    import numpy as np
    import onnx
    import onnxruntime as ort
except ImportError as error:
    print(f"missing Python package: {error}", file=sys.stderr)
    sys.exit(3)


def dimensions(value_info):
    return [d.dim_param if d.dim_param else d.dim_value for d in value_info.type.tensor_type.shape.dim]


def run(path, level, feeds):
    options = ort.SessionOptions()
    options.graph_optimization_level = level
    options.intra_op_num_threads = 2
    session = ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])
    return session.run(None, feeds)


def main():
    jobs = json.load(open(sys.argv[1]))
    report = {"onnx": onnx.__version__, "onnxruntime": ort.__version__, "models": []}
    for job in jobs:
        model = onnx.load(job["model"])
        onnx.checker.check_model(model, full_check=True)
        entry = {
            "model": job["model"],
            "metadata": {p.key: p.value for p in model.metadata_props},
            "op_types": sorted({n.op_type for n in model.graph.node}),
            "inputs": [[i.name, dimensions(i)] for i in model.graph.input],
            "outputs": [[o.name, dimensions(o)] for o in model.graph.output],
            "opset": [o.version for o in model.opset_import if o.domain in ("", "ai.onnx")],
            "runs": [],
        }
        name = model.graph.input[0].name
        for item in job["inputs"]:
            values = np.fromfile(item["data"], dtype="<f4").reshape(item["shape"])
            shapes = []
            for suffix, level in [("disabled", ort.GraphOptimizationLevel.ORT_DISABLE_ALL),
                                  ("enabled", ort.GraphOptimizationLevel.ORT_ENABLE_ALL)]:
                outputs = run(job["model"], level, {name: values})
                for index, output in enumerate(outputs):
                    output.astype("<f4").tofile(item["data"] + f".{suffix}.{index}.bin")
                shapes.append([list(output.shape) for output in outputs])
            entry["runs"].append({"data": item["data"], "output_shapes": shapes})
        report["models"].append(entry)
    print(json.dumps(report))


if __name__ == "__main__":
    main()
