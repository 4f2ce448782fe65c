# Sourced by tools/slurm_{train,test}.sh: one srun task per process (mmengine's --launcher=slurm
# reads SLURM_PROCID/SLURM_NTASKS/SLURM_NODELIST in each task).
#   GPUS (4)  GPUS_PER_NODE (4)  CPUS_PER_TASK (5)  SRUN_ARGS ("")  PYTHON (python)
#   GRES (gpu:$GPUS_PER_NODE; empty drops --gres for CPU-only partitions)
#   PORT / MASTER_PORT (default: derived from the job id)  OMP_NUM_THREADS ($CPUS_PER_TASK)

# slurm_run PARTITION JOB_NAME SCRIPT ARGS...
slurm_run() {
  local partition=$1 job_name=$2
  shift 2
  local gpus=${GPUS:-4} gpus_per_node=${GPUS_PER_NODE:-4} cpus_per_task=${CPUS_PER_TASK:-5}
  local gres=${GRES-gpu:${GPUS_PER_NODE:-4}}
  export OMP_NUM_THREADS=${OMP_NUM_THREADS:-$cpus_per_task}
  if [ -n "${PORT:-}" ]; then export MASTER_PORT=$PORT; fi
  cd "$(dirname "${BASH_SOURCE[0]}")/.."
  set -x
  # shellcheck disable=SC2086  # SRUN_ARGS is a list of options
  PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}" \
  srun -p "$partition" \
      --job-name="$job_name" \
      ${gres:+--gres=$gres} \
      --ntasks="$gpus" \
      --ntasks-per-node="$gpus_per_node" \
      --cpus-per-task="$cpus_per_task" \
      --kill-on-bad-exit=1 \
      ${SRUN_ARGS:-} \
      "${PYTHON:-python}" -u "$@"
}
