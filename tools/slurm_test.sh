#!/usr/bin/env bash
# Test a checkpoint under Slurm, one task per process; metrics are gathered over all tasks:
#   [GPUS=8] [GPUS_PER_NODE=8] [CPUS_PER_TASK=5] [SRUN_ARGS=...] \
#       tools/slurm_test.sh PARTITION JOB_NAME CONFIG CHECKPOINT [test.py args...]
# CPU-only partitions: GRES= (empty) drops --gres. PORT/MASTER_PORT and OMP_NUM_THREADS as in
# tools/slurm_train.sh (settings: tools/slurm_common.sh).
set -euo pipefail
if [ $# -lt 4 ]; then
  echo "usage: $0 PARTITION JOB_NAME CONFIG CHECKPOINT [test.py args...]" >&2; exit 2
fi
PARTITION=$1
JOB_NAME=$2
CONFIG=$3
CHECKPOINT=$4
shift 4
source "$(dirname "$0")/slurm_common.sh"
slurm_run "$PARTITION" "$JOB_NAME" tools/test.py "$CONFIG" "$CHECKPOINT" --launcher=slurm "$@"
