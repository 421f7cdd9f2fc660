#!/usr/bin/env bash
# PyTorch reference step vs modgrok's step, one after the other on this machine, same p, frac and
# threads; prints both steps/s and the ratio. With --rounds N the pair runs N times, alternating,
# and the median ratio follows (for machines whose speed drifts). Needs a Python with torch:
#   bench/compare.sh [--p 97] [--frac 0.3] [--threads 2] [--rounds 1] [--python /tmp/torchenv/bin/python]
set -euo pipefail
cd "$(dirname "$0")/.."
p=97 frac=0.3 threads=2 steps=30 rounds=1 py=${PYTHON:-/tmp/torchenv/bin/python}
while [ $# -gt 0 ]; do
  case "$1" in
    --p) p=$2; shift 2 ;;
    --frac) frac=$2; shift 2 ;;
    --threads) threads=$2; shift 2 ;;
    --steps) steps=$2; shift 2 ;;
    --rounds) rounds=$2; shift 2 ;;
    --python) py=$2; shift 2 ;;
    *) echo "unknown flag $1: use --p, --frac, --threads, --steps, --rounds, --python" >&2; exit 2 ;;
  esac
done
ref=bench/torch_reference_step.py
cargo build --release --example bench_step >/dev/null 2>&1
ratios=()
for _ in $(seq "$rounds"); do
  torch=$("$py" "$ref" --p "$p" --frac "$frac" --threads "$threads" --steps "$steps" | tail -n 1)
  ours=$(./target/release/examples/bench_step --p "$p" --frac "$frac" --threads "$threads" --steps "$steps" | tail -n 1)
  echo "torch:   $torch"
  echo "modgrok: $ours"
  line=$(python3 - "$torch" "$ours" <<'PY'
import json, sys
t, m = json.loads(sys.argv[1]), json.loads(sys.argv[2])
print(f"p={m['p']} frac={m['frac']} threads={m['threads']}: torch {t['steps_per_sec']:.2f} steps/s, "
      f"modgrok {m['steps_per_sec']:.2f} steps/s, ratio {m['steps_per_sec'] / t['steps_per_sec']:.2f}x")
PY
  )
  echo "$line"
  ratios+=("${line##*ratio }")
done
if [ "$rounds" -gt 1 ]; then
  python3 -c 'import statistics, sys; r = [float(x.rstrip("x")) for x in sys.argv[1:]]; print(f"{len(r)} rounds: ratios {min(r):.2f}x to {max(r):.2f}x, median {statistics.median(r):.2f}x")' "${ratios[@]}"
fi
