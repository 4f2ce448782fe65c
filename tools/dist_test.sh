#!/usr/bin/env bash
# Test a checkpoint with torchrun; metrics are gathered over all processes and equal a
# single-process run's (every image counted once, whatever the world size):
#   tools/dist_test.sh CONFIG CHECKPOINT NPROC [test.py args...]
set -euo pipefail
if [ $# -lt 3 ]; then echo "usage: $0 CONFIG CHECKPOINT NPROC_PER_NODE [test.py args...]" >&2; exit 2; fi
source "$(dirname "$0")/dist_common.sh"
torchrun_launch "$3" "$(dirname "$0")/test.py" "$1" "$2" --launcher pytorch "${@:4}"
