# Sourced by tools/dist_{train,test}.sh: torchrun with NNODES (1), NODE_RANK (0), PORT (29500),
# MASTER_ADDR (127.0.0.1) and PYTHON (python) from the environment, as mmseg's scripts.

# torchrun_launch NPROC_PER_NODE SCRIPT ARGS...
torchrun_launch() {
  local nproc=$1
  shift
  PYTHONPATH="$(dirname "${BASH_SOURCE[0]}")/..${PYTHONPATH:+:$PYTHONPATH}" \
  exec "${PYTHON:-python}" -m torch.distributed.run \
      --nnodes="${NNODES:-1}" \
      --node_rank="${NODE_RANK:-0}" \
      --master_addr="${MASTER_ADDR:-127.0.0.1}" \
      --nproc_per_node="$nproc" \
      --master_port="${PORT:-29500}" \
      "$@"
}
