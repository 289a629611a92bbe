#!/usr/bin/env python3
"""Load on `efficientnet serve` over loopback with hey (Debian's `hey` package), in one run:

1. batching on (--max-batch 8 --max-delay-ms 5) and off (--max-batch 1 --max-delay-ms 0): N requests
   from C concurrent clients each; requests/s, p50 and p99 latency, errors;
2. the same load while another client sends truncated images, random bytes, 50 MB bodies and
   malformed JSON, and a checker compares every answer it gets with `classify --json`: every good
   request answered correctly, every bad one a 4xx, the server's peak resident memory;
3. SIGTERM in the middle of the load: the server's exit status and its count of requests received
   and answered (equal: none lost), with what the clients saw.

Bounded in requests and time (every step has a timeout). Prints a Markdown table.

    python3 Benchmarks/serve_load.py [--binary .build/release/efficientnet] [--requests 2000] [--clients 16]
"""

import argparse
import http.client
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PHOTO = os.path.join(ROOT, "Samples", "chelsea.jpg")
MODEL = "efficientnet_lite0"
CLASSIFY = f"/v1/models/{MODEL}/classify"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """`efficientnet serve` on a free port, its standard error kept."""

    def __init__(self, binary, *flags):
        self.port = free_port()
        self.log = open(os.devnull, "w")
        self.process = subprocess.Popen(
            [binary, "serve", "--port", str(self.port), *flags], stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE, text=True)
        self.lines = []
        threading.Thread(target=self._read, daemon=True).start()
        deadline = time.time() + 120
        while time.time() < deadline:
            if any("ready:" in line for line in self.lines):
                return
            if self.process.poll() is not None:
                sys.exit("server exited: " + "".join(self.lines))
            time.sleep(0.05)
        sys.exit("server not ready within 120 s")

    def _read(self):
        for line in self.process.stderr:
            self.lines.append(line)

    def url(self, path):
        return f"http://127.0.0.1:{self.port}{path}"

    def rss_kib(self, field="VmRSS"):
        with open(f"/proc/{self.process.pid}/status") as status:
            for line in status:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
        return 0

    def stop(self):
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=60)


def request(port, method, path, body=b"", headers=None, timeout=60):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def hey(url, requests, clients, body_file, timeout=300):
    """Runs hey and returns its summary: requests/s, p50, p99 (ms), status counts, errors."""
    output = subprocess.run(
        ["hey", "-n", str(requests), "-c", str(clients), "-m", "POST", "-T", "image/jpeg", "-D", body_file,
         "-t", "60", url], capture_output=True, text=True, timeout=timeout).stdout
    def number(pattern):
        match = re.search(pattern, output)
        return float(match.group(1)) if match else float("nan")
    statuses = {int(code): int(count) for code, count in re.findall(r"\[(\d+)\]\s+(\d+) responses", output)}
    errors = re.findall(r"\[(\d+)\]\s+(.*)", output.split("Error distribution:")[1]) if "Error distribution:" in output else []
    return {
        "rps": number(r"Requests/sec:\s+([\d.]+)"), "p50": 1000 * number(r"50%+ in ([\d.]+) secs"),
        "p99": 1000 * number(r"99%+ in ([\d.]+) secs"), "statuses": statuses,
        "errors": [(int(count), text.strip()) for count, text in errors], "raw": output}


def batch_statistics(port):
    """Mean images per run and mean time per run (ms), from the server's /metrics."""
    text = request(port, "GET", "/metrics")[1].decode()
    def value(name):
        match = re.search(rf"^{name}{{model=\"{MODEL}\"}} ([\d.e+-]+)$", text, re.M)
        return float(match.group(1)) if match else float("nan")
    runs = value("efficientnet_batch_duration_seconds_count")
    return {"images": value("efficientnet_batch_size_images_sum") / runs,
            "ms": 1000 * value("efficientnet_batch_duration_seconds_sum") / runs}


def expected_answer(binary):
    line = subprocess.run([binary, "classify", "--json", PHOTO], capture_output=True, text=True, check=True).stdout
    answer = json.loads(line)
    answer.pop("file")
    return answer


def bad_client(port, stop, counts):
    """Sends bad requests in turn until `stop`; counts statuses by kind."""
    photo = open(PHOTO, "rb").read()
    kinds = [
        ("truncated image", CLASSIFY, photo[:3000], {}),
        ("random bytes", CLASSIFY, os.urandom(65536), {}),
        ("50 MB body", CLASSIFY, b"\0" * (50 << 20), {}),
        ("malformed JSON", f"/v2/models/{MODEL}/infer", b'{"inputs": [{"name": "input", "shape": [1,3', {}),
    ]
    index = 0
    while not stop.is_set():
        name, path, body, headers = kinds[index % len(kinds)]
        index += 1
        try:
            status, _ = request(port, "POST", path, body, headers)
        except Exception as error:  # a dropped connection counts as a failure of the server
            status = f"error: {error}"
        counts.setdefault(name, {}).setdefault(status, 0)
        counts[name][status] += 1


def checker(port, expected, stop, results):
    """Good requests whose answers are compared with `classify --json`."""
    photo = open(PHOTO, "rb").read()
    while not stop.is_set():
        try:
            status, body = request(port, "POST", CLASSIFY, photo)
            results.append(status == 200 and json.loads(body) == expected)
        except Exception:
            results.append(False)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--binary", default=os.path.join(ROOT, ".build", "release", "efficientnet"))
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--clients", type=int, default=16)
    arguments = parser.parse_args()
    if shutil.which("hey") is None:
        sys.exit("hey not found: apt-get install hey")
    if not os.access(arguments.binary, os.X_OK):
        sys.exit(f"{arguments.binary}: not built (swift build -c release --product efficientnet)")
    n, c = arguments.requests, arguments.clients
    expected = expected_answer(arguments.binary)
    rows = []

    # 1. Batching on and off.
    for label, flags in [("batching on (8, 5 ms)", ["--max-batch", "8", "--max-delay-ms", "5"]),
                         ("batching off (1, 0 ms)", ["--max-batch", "1", "--max-delay-ms", "0"])]:
        server = Server(arguments.binary, *flags)
        hey(server.url(CLASSIFY), 100, c, PHOTO)  # warm-up
        result = hey(server.url(CLASSIFY), n, c, PHOTO)
        result["batches"] = batch_statistics(server.port)
        status = server.stop()
        rows.append((label, result, f"exit {status}"))
    on, off = rows[0][1], rows[1][1]

    # 2. The same load with a hostile client and a checking client beside it.
    server = Server(arguments.binary, "--max-batch", "8", "--max-delay-ms", "5")
    stop = threading.Event()
    bad_counts, checks = {}, []
    threads = [threading.Thread(target=bad_client, args=(server.port, stop, bad_counts)),
               threading.Thread(target=checker, args=(server.port, expected, stop, checks))]
    for thread in threads:
        thread.start()
    peak = [0]
    def sample():
        while not stop.is_set():
            peak[0] = max(peak[0], server.rss_kib())
            time.sleep(0.05)
    sampler = threading.Thread(target=sample)
    sampler.start()
    hostile = hey(server.url(CLASSIFY), n, c, PHOTO)
    stop.set()
    for thread in threads + [sampler]:
        thread.join(timeout=120)
    high_water = server.rss_kib("VmHWM")
    alive = request(server.port, "GET", "/v2/health/live")[0] == 200
    status = server.stop()
    rows.append(("with a hostile client", hostile, f"exit {status}"))

    # 3. SIGTERM mid-load.
    server = Server(arguments.binary, "--max-batch", "8", "--max-delay-ms", "5")
    outcome = {}
    load = threading.Thread(target=lambda: outcome.update(hey(server.url(CLASSIFY), n, c, PHOTO)))
    load.start()
    time.sleep(1.5)
    server.process.send_signal(signal.SIGTERM)
    exit_status = server.process.wait(timeout=60)
    load.join(timeout=300)
    stopped = next((line for line in server.lines if "stopped:" in line), "")
    counts = re.search(r"received (\d+) requests and answered (\d+)", stopped)
    rows.append(("SIGTERM after 1.5 s", outcome, f"exit {exit_status}"))

    print(f"| run ({n} requests, {c} clients) | requests/s | p50 ms | p99 ms | statuses | client errors | server |")
    print("|---|---|---|---|---|---|---|")
    for label, result, server_note in rows:
        statuses = ", ".join(f"{code}: {count}" for code, count in sorted(result["statuses"].items()))
        kinds = {}
        for count, text in result["errors"]:
            kind = next((k for k in ("connection refused", "server closed idle connection", "connection reset by peer",
                                     "broken pipe", "timeout") if k in text), text[-40:])
            kinds[kind] = kinds.get(kind, 0) + count
        errors = "; ".join(f"{count} {kind}" for kind, count in kinds.items()) or "0"
        print(f"| {label} | {result['rps']:.1f} | {result['p50']:.1f} | {result['p99']:.1f} | {statuses} | {errors} | {server_note} |")
    print()
    # A request waits for the run in progress and its own: with C clients and batches of 8 the queue
    # holds C / 8 batches, so the bound is the delay plus that many batch times, with a 50% margin for
    # what runs beside the model on the same cores (decoding and resizing the next requests' images).
    batches_ahead = -(-c // 8)
    bound = 5 + batches_ahead * on["batches"]["ms"] * 1.5
    print(f"Batching raises throughput {on['rps'] / off['rps']:.2f}x ({off['rps']:.1f} -> {on['rps']:.1f} requests/s). "
          f"With batching a run held {on['batches']['images']:.1f} images on average and took {on['batches']['ms']:.1f} ms; "
          f"p99 {on['p99']:.1f} ms against the bound 5 ms + {batches_ahead} runs x {on['batches']['ms']:.1f} ms + 50% = {bound:.1f} ms "
          f"(without batching a run took {off['batches']['ms']:.1f} ms).")
    print(f"Hostile client: {json.dumps(bad_counts, sort_keys=True)}; "
          f"checked answers equal to classify --json: {sum(checks)}/{len(checks)}; server alive after: {alive}; "
          f"peak resident memory {high_water / 1024:.0f} MiB (sampled max {peak[0] / 1024:.0f} MiB).")
    if counts:
        print(f"SIGTERM: exit {exit_status}; the server received {counts.group(1)} requests and answered "
              f"{counts.group(2)}; the clients got {outcome['statuses'].get(200, 0)} answers with 200 "
              "(the rest were refused connections or kept-alive connections closed before they were sent).")
    good = (all(r[1]["statuses"].keys() <= {200} and not r[1]["errors"] for r in rows[:3])
            and all(all(isinstance(s, int) and 400 <= s < 500 for s in kind) for kind in bad_counts.values())
            and checks and all(checks) and alive and exit_status == 0
            and counts and counts.group(1) == counts.group(2) and on["rps"] > off["rps"] and on["p99"] <= bound)
    print("all checks passed" if good else "SOME CHECKS FAILED")
    sys.exit(0 if good else 1)


if __name__ == "__main__":
    main()
