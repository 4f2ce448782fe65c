#!/usr/bin/env bash
# The GPU numbers in one run (a few minutes on a CUDA machine):
#   1. the dense-CRF batch (8 x 512x512 x 21 classes) on the device vs pydensecrf2 on the CPU
#   2. the salt U-Net train step fp32 vs mixed precision vs channels-last, and inference img/s
#   3. the test suite's CUDA-marked tests (pytest -m cuda)
# and writes <out>/gpu_check.md (a Markdown summary for the README) next to the JSON files.
#
#   tools/analysis_tools/gpu_check.sh [--device cuda|cpu] [--out DIR] [--quick]
#
# --device cpu (with --quick) is a dry run of the same steps on the CPU, small sizes: it checks the
# script, not the numbers. PYTHON selects the interpreter (default: python); CUDA_TESTS the test
# paths searched for CUDA-marked tests (default: tests).
set -euo pipefail
cd "$(dirname "$0")/../.."
DEVICE=cuda
OUT=work_dirs/gpu_check
QUICK=0
while [ $# -gt 0 ]; do
  case "$1" in
    --device) DEVICE="$2"; shift 2 ;;
    --out) OUT="$2"; shift 2 ;;
    --quick) QUICK=1; shift ;;
    *) echo "usage: $0 [--device cuda|cpu] [--out DIR] [--quick]" >&2; exit 2 ;;
  esac
done
PY=${PYTHON:-python}
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}" PYTHONWARNINGS=ignore
mkdir -p "$OUT"
if [ "$DEVICE" = cuda ] && ! "$PY" -c 'import torch, sys; sys.exit(not torch.cuda.is_available())'; then
  echo "error: no CUDA device visible to torch (use --device cpu for a dry run)" >&2
  exit 1
fi
if [ "$QUICK" = 1 ]; then
  CRF_ARGS=(--batch 2 --repeat 1)
  MODES_ARGS=(--batch-size 2 --repeat 1 --iters 1)
else
  CRF_ARGS=(--batch 8 --repeat 3)
  MODES_ARGS=(--batch-size 16 --repeat 5 --iters 4)
fi

echo "[gpu_check] 1/3 CRF batch on $DEVICE vs pydensecrf2 on the CPU"
"$PY" tools/analysis_tools/benchmark_crf.py --cuda-only --device "$DEVICE" "${CRF_ARGS[@]}" \
  --out "$OUT/crf.json"

echo "[gpu_check] 2/3 train step and inference: fp32 / AMP / channels-last on $DEVICE"
"$PY" tools/analysis_tools/benchmark.py modes --device "$DEVICE" "${MODES_ARGS[@]}" \
  --default-allocator --out-dir "$OUT"

echo "[gpu_check] 3/3 CUDA-marked tests"
set +e
"$PY" -m pytest -q -m cuda ${CUDA_TESTS:-tests} > "$OUT/pytest_cuda.txt" 2>&1
TESTS_RC=$?
set -e
tail -n 3 "$OUT/pytest_cuda.txt"

"$PY" - "$OUT" "$DEVICE" "$TESTS_RC" <<'PYEOF'
import json, os.path as osp, sys
out, device, rc = sys.argv[1], sys.argv[2], int(sys.argv[3])
crf = json.load(open(osp.join(out, 'crf.json')))
modes = json.load(open(osp.join(out, 'modes.json')))
c, m = crf['cuda'], crf['machine']
lines = [f"# GPU check on {c['device']} ({m['cpu']}, torch {m['torch']})", '',
         '| measurement | value |', '|---|---|',
         f"| CRF {c['batch']}×512²×21, 5 iterations | {c['seconds']:.3f} s per batch, "
         f"{c['images_per_s']:.1f} img/s |",
         f"| pydensecrf2 on the CPU, one image | {c['pydensecrf_cpu_s']:.3f} s |",
         f"| CRF throughput ÷ pydensecrf2 (goal ≥ 20) | **{c['speedup_vs_pydensecrf_cpu']:.1f}×**"
         f" (labels agree {100 * c['label_agreement']:.2f} %) |"]
for part, title in (('train', 'train step'), ('predict', 'inference')):
    for name, s in modes[part].items():
        lines.append(f"| {title}, {name} (batch {modes['batch_size']}) | {s['img_per_s']:.1f} "
                     f"img/s, {s['ratio_vs_fp32']:.3f}× fp32's time |")
tail = open(osp.join(out, 'pytest_cuda.txt')).read().strip().splitlines()[-1:]
lines.append(f"| `pytest -m cuda` | {'passed' if rc == 0 else 'FAILED'}: {' '.join(tail)} |")
if not device.startswith("cuda"):
    lines += ['', f'Dry run on {device}: these are not GPU numbers.']
open(osp.join(out, 'gpu_check.md'), 'w').write('\n'.join(lines) + '\n')
print('\n'.join(lines))
PYEOF
echo "[gpu_check] written to $OUT/gpu_check.md"
exit $TESTS_RC
