#!/usr/bin/env bash
# The gpu-sweep targets in one call on a GPU machine: the bare p = 97, r = 0.3 step against
# PyTorch's CUDA step, the aggregate run-steps/s of K runs stepping as one batch (gpu_steps), and
# a whole batched sweep end to end (modgrok sweep --batch-runs K). Prints each figure and the
# projected time of `--preset table5` at its worst (756 runs × 100 000 steps), then the slowest
# dispatches of one step.
#   bench/gpu_sweep.sh [--p 97] [--ks "1 8 32 64"] [--steps 300] [--sweep-k 64] [--sweep-steps 2000]
#                      [--table5-secs 120] [--bin DIR]
# The last section runs `--preset table5 --batch-runs auto` as a researcher would, with early
# stopping and logging every 100 steps (so the runs join, leave and log at different steps), for
# --table5-secs seconds, and counts the steps its runs logged (0 skips it).
# (a smaller --p, e.g. 23, tries the script on lavapipe).
#
# A GPU machine without a Rust toolchain runs binaries built elsewhere (same architecture):
#   bench/gpu_sweep.sh --bundle DIR     # here: builds, strips and copies modgrok and gpu_steps to DIR
#   bench/gpu_sweep.sh --bin DIR ...    # there: runs them instead of building
# wgpu needs a Vulkan loader (libvulkan.so.1) and the card's Vulkan driver on that machine.
set -euo pipefail
cd "$(dirname "$0")/.."
p=97 ks="1 8 32 64" steps=300 sweep_k=64 sweep_steps=2000 table5_secs=120 py=${PYTHON:-python3}
bin="" bundle=""
while [ $# -gt 0 ]; do
  case "$1" in
    --p) p=$2; shift 2 ;;
    --ks) ks=$2; shift 2 ;;
    --steps) steps=$2; shift 2 ;;
    --sweep-k) sweep_k=$2; shift 2 ;;
    --sweep-steps) sweep_steps=$2; shift 2 ;;
    --table5-secs) table5_secs=$2; shift 2 ;;
    --python) py=$2; shift 2 ;;
    --bin) bin=$2; shift 2 ;;
    --bundle) bundle=$2; shift 2 ;;
    *) echo "unknown flag $1: use --p, --ks, --steps, --sweep-k, --sweep-steps, --table5-secs, --python, --bin, --bundle" >&2; exit 2 ;;
  esac
done

build() {
  if ! command -v cargo >/dev/null; then
    echo "no cargo on this machine: build the binaries where there is one (bench/gpu_sweep.sh --bundle DIR), copy DIR here and pass --bin DIR" >&2
    exit 2
  fi
  cargo build --release -p modgrok-host -p modgrok-gpu --example gpu_steps >/dev/null 2>&1 || {
    echo "the release build failed: run cargo build --release -p modgrok-host -p modgrok-gpu --example gpu_steps to see why" >&2
    exit 1
  }
}

if [ -n "$bundle" ]; then
  build
  mkdir -p "$bundle"
  strip -o "$bundle/modgrok" target/release/modgrok
  strip -o "$bundle/gpu_steps" target/release/examples/gpu_steps
  # The gpu crate's own tests (against core), which need no files of the repository.
  mkdir -p "$bundle/tests"
  cargo test --release -p modgrok-gpu --no-run --message-format=json 2>/dev/null |
    "$py" -c 'import json, sys
for line in sys.stdin:
    m = json.loads(line)
    if m.get("reason") == "compiler-artifact" and m.get("executable") and m["target"]["kind"] == ["test"]:
        print(m["target"]["name"], m["executable"])' |
    while read -r name exe; do strip -o "$bundle/tests/$name" "$exe"; done
  git rev-parse --short HEAD >"$bundle/commit" 2>/dev/null || echo unknown >"$bundle/commit"
  echo "modgrok and gpu_steps at $(cat "$bundle/commit") are in $bundle ($(du -sh "$bundle" | cut -f1)); run bench/gpu_sweep.sh --bin $bundle on the GPU machine"
  exit 0
fi
if [ -n "$bin" ]; then
  for f in modgrok gpu_steps; do
    [ -x "$bin/$f" ] || { echo "no executable $bin/$f: make the folder with bench/gpu_sweep.sh --bundle $bin" >&2; exit 2; }
  done
  commit=$(cat "$bin/commit" 2>/dev/null || echo "an unknown commit")
  modgrok=$bin/modgrok gpu_steps=$bin/gpu_steps
else
  build
  commit=$(git rev-parse --short HEAD 2>/dev/null || echo "an unknown commit")
  modgrok=target/release/modgrok gpu_steps=target/release/examples/gpu_steps
fi
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

echo "== at $commit on $(nproc) cores"
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>/dev/null || echo "no nvidia-smi"

if [ -d "$bin/tests" ]; then
  echo "== the gpu crate's tests against core on this adapter"
  for t in "$bin"/tests/*; do
    MODGROK_REQUIRE_GPU=1 "$t" -q --nocapture --test-threads 1 2>&1 | grep -E 'worst|^test result|FAILED|panicked' || true
  done
fi

echo "== PyTorch's reference step on CUDA (p $p, r 0.3)"
if "$py" -c "import torch, sys; sys.exit(0 if torch.cuda.is_available() else 1)" 2>/dev/null; then
  "$py" bench/torch_reference_step.py --p "$p" --frac 0.3 --steps "$steps" --device cuda | tail -n 1
else
  echo "no torch with CUDA here: the ratio to PyTorch is not measured"
fi

# Each measurement is bounded, so a slow adapter still reaches the sections after it: a batch of
# K > 8 takes max(50, steps·8/K) steps, and the sweep's length follows the largest K's rate.
steps_of() {
  if [ "$1" -le 8 ]; then echo "$steps"; else local n=$((steps * 8 / $1)); echo $((n > 50 ? n : 50)); fi
}
rate="" big=1
echo "== modgrok's gpu step, K runs a batch (p $p, r 0.3, the paper's model)"
for k in $ks; do
  if line=$(timeout 150 "$gpu_steps" "$p" 0.3 128 4 512 "$(steps_of "$k")" "$k" 2>&1); then
    echo "$line"
    rate=$(sed -n 's/.* \([0-9.]*\) run-steps\/s.*/\1/p' <<<"$line")
    big=$k
  else
    echo "$line"
    echo "K = $k: no result (no batch of that size on this adapter, or over 150 s)"
  fi
done

ends=$(printf "%s\n" 1 "$big" | sort -un)
echo "== the same with the untiled matmul (MODGROK_GPU_MATMUL=direct), K = 1 and K = $big"
for k in $ends; do
  MODGROK_GPU_MATMUL=direct timeout 150 "$gpu_steps" "$p" 0.3 128 4 512 "$(steps_of "$k")" "$k" ||
    echo "K = $k: no result (see above)"
done

echo "== the slowest dispatches of a step at K = 1 and K = $big, each run alone and waited for"
for k in $ends; do
  echo "K = $k:"
  MODGROK_GPU_PROFILE=1 timeout 150 "$gpu_steps" "$p" 0.3 128 4 512 1 "$k" 2>/dev/null |
    grep ' s  ' | sort -rn | head -n 12 || true
done

# About 90 s of stepping at the rate gpu_steps measured, in whole hundreds of steps.
if [ -n "$rate" ]; then
  fit=$("$py" -c "import sys; print(max(100, int(float(sys.argv[1]) * 90 / int(sys.argv[2])) // 100 * 100))" "$rate" "$sweep_k")
  [ "$fit" -lt "$sweep_steps" ] && sweep_steps=$fit
fi
echo "== a whole sweep: add mod $p, r 0.3, seeds 0..$((sweep_k - 1)), $sweep_steps steps, --batch-runs $sweep_k"
start=$(date +%s.%N)
"$modgrok" sweep --ops add --p "$p" --fracs 0.3 --seeds "0-$((sweep_k - 1))" \
  --steps "$sweep_steps" --no-stop --log-every 1000 --checkpoint-every 1000 \
  --backend gpu --batch-runs "$sweep_k" --quiet --out "$out/sweep"
end=$(date +%s.%N)
"$py" - "$start" "$end" "$sweep_k" "$sweep_steps" <<'PY'
import sys
start, end, k, steps = float(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
rate = k * steps / (end - start)
worst = 756 * 100_000 / rate / 3600
print(f"sweep: {k} runs x {steps} steps in {end - start:.1f} s: {rate:.0f} run-steps/s "
      f"(analysis and logging included); table5 at most 756 x 100000 steps: {worst:.1f} h")
PY

[ "$table5_secs" -gt 0 ] || exit 0
echo "== --preset table5 --backend gpu --batch-runs auto for $table5_secs s, then killed"
start=$(date +%s.%N)
timeout -s KILL "$table5_secs" "$modgrok" sweep --preset table5 --backend gpu --batch-runs auto \
  --quiet --out "$out/table5" || true
end=$(date +%s.%N)
"$py" - "$start" "$end" "$out/table5" <<'PY'
import csv, os, sys
start, end, root = float(sys.argv[1]), float(sys.argv[2]), sys.argv[3]
steps = started = finished = 0
for run in sorted(os.listdir(root)) if os.path.isdir(root) else []:
    path = os.path.join(root, run, "metrics.csv")
    if not os.path.exists(path):
        continue
    started += 1
    finished += os.path.exists(os.path.join(root, run, "report.json"))
    rows = list(csv.DictReader(open(path)))
    if rows:
        steps += int(rows[-1]["step"])
secs = end - start
rate = steps / secs
print(f"table5: {started} runs started, {finished} finished, {steps} steps logged in {secs:.0f} s "
      f"(start-up included): {rate:.0f} run-steps/s; 756 x 100000 steps at that rate: "
      f"{756 * 100_000 / max(rate, 1e-9) / 3600:.1f} h")
PY
