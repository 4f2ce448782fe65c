#!/usr/bin/env bash
# Train on one or more machines with torchrun (one process per GPU; on CPU-only machines one gloo
# process each):
#   tools/dist_train.sh CONFIG NPROC [train.py args...]
#   NNODES=2 NODE_RANK=0 MASTER_ADDR=host0 PORT=29500 tools/dist_train.sh CONFIG 8   # on host0
#   NNODES=2 NODE_RANK=1 MASTER_ADDR=host0 PORT=29500 tools/dist_train.sh CONFIG 8   # on host1
set -euo pipefail
if [ $# -lt 2 ]; then echo "usage: $0 CONFIG NPROC_PER_NODE [train.py args...]" >&2; exit 2; fi
source "$(dirname "$0")/dist_common.sh"
torchrun_launch "$2" "$(dirname "$0")/train.py" "$1" --launcher pytorch "${@:3}"
