#!/usr/bin/env bash
# Train on one or more machines with torchrun (one process per GPU; on CPU-only machines one gloo
# process each):
#   tools/dist_train.sh CONFIG NPROC [train.py args...]
#   NNODES=2 NODE_RANK=0 MASTER_ADDR=host0 PORT=29500 tools/dist_train.sh CONFIG 8   # on host0
#   NNODES=2 NODE_RANK=1 MASTER_ADDR=host0 PORT=29500 tools/dist_train.sh CONFIG 8   # on host1
set -euo pipefail
if [ $# -lt 2 ]; then echo "usage: $0 CONFIG NPROC_PER_NODE [train.py args...]" >&2; exit 2; fi
CONFIG=$1
GPUS=$2
NNODES=${NNODES:-1}
NODE_RANK=${NODE_RANK:-0}
PORT=${PORT:-29500}
MASTER_ADDR=${MASTER_ADDR:-"127.0.0.1"}
PYTHON=${PYTHON:-python}

PYTHONPATH="$(dirname "$0")/..${PYTHONPATH:+:$PYTHONPATH}" \
exec "$PYTHON" -m torch.distributed.run \
    --nnodes="$NNODES" \
    --node_rank="$NODE_RANK" \
    --master_addr="$MASTER_ADDR" \
    --nproc_per_node="$GPUS" \
    --master_port="$PORT" \
    "$(dirname "$0")/train.py" \
    "$CONFIG" \
    --launcher pytorch "${@:3}"
