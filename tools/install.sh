#!/usr/bin/env bash
# Install seg_ext and its pinned stack into a virtual environment (default: .venv).
#
# Idempotent: a stamp file records a hash of this script and setup.py; when both are unchanged the
# script exits at once. The only slow step on a fresh machine is building mmcv 2.1.0 with its ops
# (~11 min on 2 cores); pip caches the built wheel, so a re-install on the same machine is quick.
#
# Environment knobs:
#   VENV=path         where the venv lives (default .venv, git-ignored)
#   PYTHON=python3.11 interpreter used to create it
#   SEG_EXT_EXTRAS=mmseg,test,crf,d2,deploy   extras of seg_ext to install (mmseg: the
#                     OpenMMLab stack and mmcv build; d2: Detectron2; deploy: onnx + onnxruntime).
#                     SEG_EXT_EXTRAS=d2,test installs the Detectron2 side alone, without any
#                     OpenMMLab package.
set -euo pipefail

cd "$(dirname "$0")/.."
VENV=${VENV:-.venv}
PYTHON=${PYTHON:-python3}
EXTRAS=${SEG_EXT_EXTRAS:-mmseg,test,crf,d2,deploy}
STAMP="$VENV/.seg_ext-installed"
KEY=$( (cat tools/install.sh setup.py; cat tools/install_detectron2.py 2>/dev/null || true) \
    | sha256sum | cut -c1-16)-$EXTRAS

if [[ -f "$STAMP" && "$(cat "$STAMP")" == "$KEY" ]]; then
    exit 0
fi

log() { printf '\033[1m[install]\033[0m %s\n' "$*"; }

if [[ ! -x "$VENV/bin/python" ]]; then
    log "creating virtual environment $VENV"
    "$PYTHON" -m venv "$VENV"
fi
PIP=("$VENV/bin/python" -m pip --disable-pip-version-check)

log "build tools"
"${PIP[@]}" install -q --upgrade "pip<26" wheel ninja

# The standard registry build runs on CPU and CUDA; the local +cpu wheel has no matching torchvision.
log "torch 2.13.0 + torchvision 0.28.0"
"${PIP[@]}" install -q "torch==2.13.0,!=2.13.0+cpu" "torchvision==0.28.0"

if [[ ",$EXTRAS," == *",mmseg,"* ]]; then
    if ! "$VENV/bin/python" -c "import mmcv, mmcv.ops; assert mmcv.__version__ == '2.1.0'" 2>/dev/null; then
        log "mmcv 2.1.0 with ops (built from source the first time: ~11 min on 2 cores, then cached)"
        # the build is verified with setuptools<70; restored to the runtime pin right after
        "${PIP[@]}" install -q "setuptools<70"
        MAX_JOBS=${MAX_JOBS:-2} "${PIP[@]}" install --no-build-isolation "mmcv==2.1.0"
    fi
    # runtime: torch 2.13 needs setuptools>=77.0.3; mmengine's `mmseg::` bases need pkg_resources
    "${PIP[@]}" install -q "setuptools>=77.0.3,<81"

    log "OpenMMLab stack"
    "${PIP[@]}" install -q "mmengine==0.10.7" "mmsegmentation==1.2.2" "mmdet==3.3.0"
fi

if [[ ",$EXTRAS," == *",d2,"* ]]; then
    log "detectron2 (Python package, see tools/install_detectron2.py)"
    "$VENV/bin/python" tools/install_detectron2.py
fi

log "seg_ext (editable) [$EXTRAS]"
"${PIP[@]}" install -q --no-build-isolation -e ".[$EXTRAS]"

"$VENV/bin/python" -c "import seg_ext.core; import seg_ext; print('seg_ext', seg_ext.__version__)"
if [[ ",$EXTRAS," == *",mmseg,"* ]]; then
    "$VENV/bin/python" -c "import seg_ext.mmseg, mmseg, mmcv.ops; print('mmseg', mmseg.__version__)"
fi
echo "$KEY" > "$STAMP"
log "done"
