#!/usr/bin/env bash
# The CUDA device check, in two steps:
#   bash Scripts/device-check.sh prepare   # here: a statically linked release binary, compressed, in DeviceCheck/
#   bash Scripts/device-check.sh run       # on the GPU machine (device tool, carry DeviceCheck): prints the GPU and
#                                          # driver, classify parity CPU vs CUDA, and B0 inference timings against
#                                          # PyTorch eager on the same GPU (Benchmarks/cuda_torch_bench.py).
# Sized for well under 5 minutes on the device.
set -euo pipefail
cd "$(dirname "$0")/.."
case "${1:-}" in
  prepare)
    # Foundation's static URLSession links libcurl (the weights hub downloads with it).
    dpkg -s libcurl4-openssl-dev >/dev/null 2>&1 || apt-get install -y -qq libcurl4-openssl-dev
    swift build -c release --static-swift-stdlib --product efficientnet --scratch-path .build-static
    rm -rf DeviceCheck && mkdir -p DeviceCheck
    cp .build-static/release/efficientnet DeviceCheck/efficientnet
    strip DeviceCheck/efficientnet
    # Every shared library it needs beyond glibc and the C++ runtime travels with it.
    ldd DeviceCheck/efficientnet | awk '$3 ~ /^\// { print $3 }' \
      | grep -vE '/(libc|libm|libpthread|libdl|librt|libresolv|libstdc\+\+|libgcc_s|ld-linux[^/]*)\.so' \
      | xargs -r -I{} cp -L {} DeviceCheck/
    xz -9 -f DeviceCheck/efficientnet
    ls -la DeviceCheck
    ;;
  run)
    set +e +o pipefail  # every step reports, whatever the one before it did
    work=$(mktemp -d)
    xz -dc DeviceCheck/efficientnet.xz > "$work/efficientnet" && chmod +x "$work/efficientnet"
    site=$(python3 -c "import site; print(site.getsitepackages()[0])")
    export LD_LIBRARY_PATH="$PWD/DeviceCheck:$site/nvidia/cu13/lib:$site/nvidia/cudnn/lib:${LD_LIBRARY_PATH:-}"
    nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv || true
    ldd --version | head -1
    ldd "$work/efficientnet" | grep -E "not found|libstdc" || true
    echo "== classify: CPU, then CUDA"
    "$work/efficientnet" classify --json --top 3 Samples/chelsea.jpg Samples/coffee.jpg
    "$work/efficientnet" classify --json --top 3 --device cuda Samples/chelsea.jpg Samples/coffee.jpg
    echo "== ours on the GPU (strict fp32, own kernels)"
    for batch in 1 256; do
      timeout 120 "$work/efficientnet" bench --model efficientnet_b0 --batch "$batch" --device cuda --seconds 5 --json
    done
    timeout 120 "$work/efficientnet" bench --model efficientnet_b0 --batch 256 --device cuda --precision tf32 \
      --seconds 5 --json
    echo "== PyTorch eager on the same GPU"
    timeout 150 python3 Benchmarks/cuda_torch_bench.py || true
    ;;
  *)
    echo "usage: $0 prepare|run" >&2
    exit 2
    ;;
esac
