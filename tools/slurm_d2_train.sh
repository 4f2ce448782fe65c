#!/usr/bin/env bash
# Detectron2 under Slurm: one task per node, each starting GPUS_PER_NODE processes with
# Detectron2's launch (gloo CPU processes on nodes without GPUs). --num-machines, --machine-rank
# and --dist-url are derived from the job (SLURM_NNODES, SLURM_NODEID, first node + PORT):
#   [GPUS=16] [GPUS_PER_NODE=8] [CPUS_PER_TASK=40] [SRUN_ARGS=...] \
#       tools/slurm_d2_train.sh PARTITION JOB_NAME CONFIG [d2_train_net.py args / KEY VALUE...]
# e.g. tools/slurm_d2_train.sh gpu maskrcnn configs/d2/mask_rcnn_R_50_FPN_pennfudan.yaml \
#          OUTPUT_DIR work_dirs/pennfudan     (add --resume to continue a pre-empted job)
# CPU-only partitions: GRES= (empty) drops --gres. PORT defaults to one derived from the job id.
set -euo pipefail
if [ $# -lt 3 ]; then
  echo "usage: $0 PARTITION JOB_NAME CONFIG [d2_train_net.py args...]" >&2; exit 2
fi
PARTITION=$1
JOB_NAME=$2
CONFIG=$3
shift 3
GPUS=${GPUS:-8}
GPUS_PER_NODE=${GPUS_PER_NODE:-8}
if [ $((GPUS % GPUS_PER_NODE)) -ne 0 ]; then
  echo "GPUS=$GPUS is not a multiple of GPUS_PER_NODE=$GPUS_PER_NODE" >&2; exit 2
fi
NODES=$((GPUS / GPUS_PER_NODE))
CPUS_PER_TASK=${CPUS_PER_TASK:-$((GPUS_PER_NODE * 5))}
GRES=${GRES-gpu:${GPUS_PER_NODE}}
SRUN_ARGS=${SRUN_ARGS:-""}
PYTHON=${PYTHON:-python}
export PYTHON PORT=${PORT:-}
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-$((CPUS_PER_TASK / GPUS_PER_NODE > 0 ? CPUS_PER_TASK / GPUS_PER_NODE : 1))}

cd "$(dirname "$0")/.."
set -x
# shellcheck disable=SC2016,SC2086  # expanded inside each task; SRUN_ARGS is a list of options
PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}" \
srun -p "$PARTITION" \
    --job-name="$JOB_NAME" \
    ${GRES:+--gres=$GRES} \
    --nodes="$NODES" \
    --ntasks="$NODES" \
    --ntasks-per-node=1 \
    --cpus-per-task="$CPUS_PER_TASK" \
    --kill-on-bad-exit=1 \
    ${SRUN_ARGS} \
    bash -c 'set -eu
      master=$(scontrol show hostnames "$SLURM_JOB_NODELIST" | head -n1)
      port=${PORT:-$((20000 + SLURM_JOB_ID % 20000))}
      echo "[node $SLURM_NODEID/$SLURM_NNODES] $(hostname): $0 processes, dist-url tcp://$master:$port"
      exec "$PYTHON" -u tools/d2_train_net.py --config-file "$1" --num-gpus "$0" \
        --num-machines "$SLURM_NNODES" --machine-rank "$SLURM_NODEID" \
        --dist-url "tcp://$master:$port" "${@:2}"' "$GPUS_PER_NODE" "$CONFIG" "$@"
