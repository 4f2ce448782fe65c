#!/usr/bin/env bash
# Train under Slurm, one task per process (srun; mmengine's --launcher=slurm reads SLURM_*):
#   [GPUS=8] [GPUS_PER_NODE=8] [CPUS_PER_TASK=5] [SRUN_ARGS=...] \
#       tools/slurm_train.sh PARTITION JOB_NAME CONFIG [WORK_DIR] [train.py args...]
# CPU-only partitions: GRES= (empty) drops --gres; each task then trains on CPU with gloo.
# PORT (or MASTER_PORT) sets the rendezvous port; by default it is derived from the job id.
# OMP_NUM_THREADS defaults to CPUS_PER_TASK (torch would otherwise start one thread per core on
# every task). Settings: tools/slurm_common.sh.
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
source "$(dirname "$0")/slurm_common.sh"
slurm_run "$PARTITION" "$JOB_NAME" tools/train.py "$CONFIG" "${WORK_DIR_ARGS[@]}" \
  --launcher=slurm "$@"
