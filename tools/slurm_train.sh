#!/usr/bin/env bash
# Train under Slurm, one task per process (srun; mmengine's --launcher=slurm reads SLURM_*):
#   [GPUS=8] [GPUS_PER_NODE=8] [CPUS_PER_TASK=5] [SRUN_ARGS=...] \
#       tools/slurm_train.sh PARTITION JOB_NAME CONFIG [WORK_DIR] [train.py args...]
# CPU-only partitions: GRES= (empty) drops --gres; each task then trains on CPU with gloo.
# PORT (or MASTER_PORT) sets the rendezvous port; by default it is derived from the job id.
# OMP_NUM_THREADS defaults to CPUS_PER_TASK (torch would otherwise start one thread per core on
# every task).
set -euo pipefail
if [ $# -lt 3 ]; then
  echo "usage: $0 PARTITION JOB_NAME CONFIG [WORK_DIR] [train.py args...]" >&2; exit 2
fi
PARTITION=$1
JOB_NAME=$2
CONFIG=$3
shift 3
WORK_DIR_ARGS=()
if [ $# -gt 0 ] && [[ "$1" != -* ]]; then WORK_DIR_ARGS=(--work-dir "$1"); shift; fi
GPUS=${GPUS:-4}
GPUS_PER_NODE=${GPUS_PER_NODE:-4}
CPUS_PER_TASK=${CPUS_PER_TASK:-5}
GRES=${GRES-gpu:${GPUS_PER_NODE}}
SRUN_ARGS=${SRUN_ARGS:-""}
PYTHON=${PYTHON:-python}
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-$CPUS_PER_TASK}
if [ -n "${PORT:-}" ]; then export MASTER_PORT=$PORT; fi

cd "$(dirname "$0")/.."
set -x
# shellcheck disable=SC2086  # SRUN_ARGS is a list of options
PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}" \
srun -p "$PARTITION" \
    --job-name="$JOB_NAME" \
    ${GRES:+--gres=$GRES} \
    --ntasks="$GPUS" \
    --ntasks-per-node="$GPUS_PER_NODE" \
    --cpus-per-task="$CPUS_PER_TASK" \
    --kill-on-bad-exit=1 \
    ${SRUN_ARGS} \
    "$PYTHON" -u tools/train.py "$CONFIG" "${WORK_DIR_ARGS[@]}" --launcher=slurm "$@"
