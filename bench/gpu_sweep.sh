#!/usr/bin/env bash
# The gpu-sweep targets in one call on a GPU machine: the bare p = 97, r = 0.3 step against
# PyTorch's CUDA step, the aggregate run-steps/s of K runs stepping as one batch (gpu_steps), and
# a whole batched sweep end to end (modgrok sweep --batch-runs K). Prints each figure and the
# projected time of `--preset table5` at its worst (756 runs × 100 000 steps), then the slowest
# dispatches of one step.
#   bench/gpu_sweep.sh [--p 97] [--ks "1 8 32 64"] [--steps 300] [--sweep-k 64] [--sweep-steps 2000]
# (a smaller --p, e.g. 23, tries the script on lavapipe).
set -euo pipefail
cd "$(dirname "$0")/.."
p=97 ks="1 8 32 64" steps=300 sweep_k=64 sweep_steps=2000 py=${PYTHON:-python3}
while [ $# -gt 0 ]; do
  case "$1" in
    --p) p=$2; shift 2 ;;
    --ks) ks=$2; shift 2 ;;
    --steps) steps=$2; shift 2 ;;
    --sweep-k) sweep_k=$2; shift 2 ;;
    --sweep-steps) sweep_steps=$2; shift 2 ;;
    --python) py=$2; shift 2 ;;
    *) echo "unknown flag $1: use --p, --ks, --steps, --sweep-k, --sweep-steps, --python" >&2; exit 2 ;;
  esac
done
cargo build --release -p modgrok-host -p modgrok-gpu --example gpu_steps >/dev/null 2>&1
out=${OUT:-$(mktemp -d)}

echo "== at $(git rev-parse --short HEAD 2>/dev/null || echo 'an unknown commit') on $(nproc) cores"
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>/dev/null || echo "no nvidia-smi"

echo "== PyTorch's reference step on CUDA (p $p, r 0.3)"
if "$py" -c "import torch, sys; sys.exit(0 if torch.cuda.is_available() else 1)" 2>/dev/null; then
  "$py" bench/torch_reference_step.py --p "$p" --frac 0.3 --steps "$steps" --device cuda | tail -n 1
else
  echo "no torch with CUDA here: the ratio to PyTorch is not measured"
fi

echo "== modgrok's gpu step, K runs a batch (p $p, r 0.3, the paper's model)"
for k in $ks; do
  ./target/release/examples/gpu_steps "$p" 0.3 128 4 512 "$steps" "$k" ||
    echo "K = $k: no batch of that size on this adapter (see the error above)"
done

echo "== the same with the untiled matmul (MODGROK_GPU_MATMUL=direct), K = 1 and the largest K"
for k in 1 "${ks##* }"; do
  MODGROK_GPU_MATMUL=direct ./target/release/examples/gpu_steps "$p" 0.3 128 4 512 "$steps" "$k" ||
    echo "K = $k: no batch of that size on this adapter (see the error above)"
done

echo "== a whole sweep: add mod $p, r 0.3, seeds 0..$((sweep_k - 1)), $sweep_steps steps, --batch-runs $sweep_k"
start=$(date +%s.%N)
./target/release/modgrok sweep --ops add --p "$p" --fracs 0.3 --seeds "0-$((sweep_k - 1))" \
  --steps "$sweep_steps" --no-stop --log-every 1000 --checkpoint-every 1000 \
  --backend gpu --batch-runs "$sweep_k" --quiet --out "$out/sweep"
end=$(date +%s.%N)
python3 - "$start" "$end" "$sweep_k" "$sweep_steps" <<'PY'
import sys
start, end, k, steps = float(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
rate = k * steps / (end - start)
worst = 756 * 100_000 / rate / 3600
print(f"sweep: {k} runs x {steps} steps in {end - start:.1f} s: {rate:.0f} run-steps/s "
      f"(analysis and logging included); table5 at most 756 x 100000 steps: {worst:.1f} h")
PY

echo "== the slowest dispatches of a step at K = 1 and K = ${ks##* }, each run alone and waited for"
for k in 1 "${ks##* }"; do
  echo "K = $k:"
  MODGROK_GPU_PROFILE=1 ./target/release/examples/gpu_steps "$p" 0.3 128 4 512 1 "$k" 2>/dev/null |
    grep ' s  ' | sort -rn | head -n 12 || true
done
