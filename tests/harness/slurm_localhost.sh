#!/usr/bin/env bash
# slurm_localhost.sh -- idempotent single-node Slurm "cluster" for CI, no systemd.
# seg_ext's copy of ../shared/slurm/slurm_localhost.sh (pitfalls: that folder's NOTES.md), used by
# tests/conftest.py's `slurm_cluster` fixture to prove tools/slurm_*.sh under real srun. Changed:
# SLURM_CI_FIX_HOSTS defaults to 0 (a test run never edits /etc/hosts on its own).
#
# Tested on Debian 12 (bookworm), Slurm 22.05.8 (slurm-wlm 22.05.8-4+deb12u3),
# munge 0.5.15, running as root in a container/VM whose PID 1 is not systemd.
#
#   slurm_localhost.sh start    install (if needed) + configure + start munged/slurmctld/slurmd
#   slurm_localhost.sh stop     stop the daemons this script started (by PID from pidfiles)
#   slurm_localhost.sh status   show daemons / sinfo
#
# Knobs (environment):
#   SLURM_CI_CPUS=64        CPUs the node *claims* to have (SlurmdParameters=config_overrides lets
#                           this exceed the real core count; task/none => no pinning, so it's harmless)
#   SLURM_CI_GPUS=8         fake "gpu" GRES count (0 = no GRES at all); backed by symlinks to /dev/null
#   SLURM_CI_PARTITION=debug
#   SLURM_CI_MEM_MB=1000    RealMemory the node claims (not enforced; jobs asking --mem above it are rejected)
#   SLURM_CI_FIX_HOSTS=0    1: if `hostname` does not resolve to 127.x, append "127.0.0.1 <hostname>" to
#                           /etc/hosts (needed for localhost-only binding, see NOTES). 0 = instead
#                           drop CommunicationParameters (daemons/srun then bind 0.0.0.0).
set -euo pipefail

CPUS=${SLURM_CI_CPUS:-64}
GPUS=${SLURM_CI_GPUS:-8}
PARTITION=${SLURM_CI_PARTITION:-debug}
MEM_MB=${SLURM_CI_MEM_MB:-1000}
FIX_HOSTS=${SLURM_CI_FIX_HOSTS:-0}

ETC=/etc/slurm
RUN=/run/slurm                      # pidfiles + fake GPU device links
STATE=/var/lib/slurm/slurmctld      # dirs created by the Debian packages
SPOOL=/var/lib/slurm/slurmd
LOG=/var/log/slurm
CTLD_PID=$RUN/slurmctld.pid
SLURMD_PID=$RUN/slurmd.pid
MUNGE_PID=/run/munge/munged.pid
MUNGE_MARK=$RUN/munged.started-by-ci

log() { echo "[slurm-ci] $*" >&2; }
# running = exists and is not a zombie (without a reaping PID 1 -- e.g. `docker run` without --init --
# a killed daemon stays <defunct> and `kill -0` keeps succeeding on it)
running() { local st; st=$(sed -E 's/^.*\) (.).*$/\1/' "/proc/$1/stat" 2>/dev/null) || return 1; [ -n "$st" ] && [ "$st" != Z ]; }
alive() { [ -s "$1" ] && running "$(cat "$1")"; }

stop_pidfile() {   # stop_pidfile <pidfile> <name>
  local pf=$1 name=$2 pid i
  alive "$pf" || { rm -f "$pf"; return 0; }
  pid=$(cat "$pf")
  log "stopping $name (pid $pid)"
  kill "$pid" 2>/dev/null || true
  for i in $(seq 1 100); do running "$pid" || break; sleep 0.1; done
  if running "$pid"; then log "$name did not exit, SIGKILL $pid"; kill -9 "$pid" 2>/dev/null || true; sleep 0.5; fi
  rm -f "$pf"
}

install_pkgs() {
  local need=0 p
  for p in munge slurmctld slurmd slurm-client; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || need=1
  done
  [ $need = 0 ] && return 0
  log "installing packages"
  # Never let the maintainer scripts start services (they'd use invoke-rc.d / init.d scripts).
  local own_policy=0
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d; chmod +x /usr/sbin/policy-rc.d; own_policy=1
  fi
  local rc=0
  apt-cache show slurmd >/dev/null 2>&1 || apt-get update -qq || rc=$?   # fresh image: empty lists
  [ $rc = 0 ] && { DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      munge slurmctld slurmd slurm-client >/dev/null || rc=$?; }
  [ $own_policy = 1 ] && rm -f /usr/sbin/policy-rc.d
  [ $rc = 0 ] || { log "apt-get failed (rc=$rc)"; exit $rc; }
  return 0
}

start_munge() {
  install -d -o munge -g munge -m 0700 /etc/munge /var/log/munge
  install -d -o munge -g munge -m 0711 /var/lib/munge
  install -d -o munge -g munge -m 0755 /run/munge          # /run is a fresh tmpfs in containers
  if [ ! -s /etc/munge/munge.key ]; then
    log "creating munge key"
    runuser -u munge -- mungekey -c -k /etc/munge/munge.key
  fi
  chown munge:munge /etc/munge/munge.key; chmod 0400 /etc/munge/munge.key
  if munge -n 2>/dev/null | unmunge >/dev/null 2>&1; then return 0; fi   # already running (ours or not)
  log "starting munged"
  runuser -u munge -- /usr/sbin/munged                      # daemonizes, writes /run/munge/munged.pid
  mkdir -p "$RUN"; touch "$MUNGE_MARK"
  local i; for i in $(seq 1 50); do munge -n 2>/dev/null | unmunge >/dev/null 2>&1 && return 0; sleep 0.1; done
  log "munged failed to start:"; tail -n 20 /var/log/munge/munged.log >&2 || true; exit 1
}

write_conf() {   # writes to $1 (a directory)
  local d=$1 comm="CommunicationParameters=NoCtldInAddrAny,NoInAddrAny" gres="" gresnode=""
  local h; h=$(hostname)
  local addr; addr=$(getent ahostsv4 "$h" | awk 'NR==1{print $1}' || true)
  if [[ "$addr" != 127.* ]]; then
    if [ "$FIX_HOSTS" = 1 ]; then
      log "hostname '$h' resolves to '${addr:-nothing}', appending '127.0.0.1 $h' to /etc/hosts"
      [ -z "$(tail -c1 /etc/hosts)" ] || echo >> /etc/hosts   # file may lack a final newline
      echo "127.0.0.1 $h" >> /etc/hosts        # append in place (Docker bind-mounts /etc/hosts; no sed -i)
      addr=$(getent ahostsv4 "$h" | awk 'NR==1{print $1}' || true)
      [[ "$addr" == 127.* ]] || { log "still resolves to $addr; not binding to localhost only"; comm="#$comm"; }
    else
      log "hostname does not resolve to loopback; daemons will bind to all interfaces"; comm="#$comm"
    fi
  fi
  if [ "$GPUS" -gt 0 ]; then gres="GresTypes=gpu"; gresnode="Gres=gpu:$GPUS"; fi
  cat > "$d/slurm.conf" <<EOF
# generated by slurm_localhost.sh -- single node, localhost only, no cgroups
ClusterName=ci
SlurmctldHost=localhost
SlurmUser=root
SlurmctldPort=6817
SlurmdPort=6818
AuthType=auth/munge
CredType=cred/munge
# Bind daemons and srun to the address \`hostname\` resolves to (must be 127.0.0.1) instead of 0.0.0.0
$comm
StateSaveLocation=$STATE
SlurmdSpoolDir=$SPOOL
SlurmctldPidFile=$CTLD_PID
SlurmdPidFile=$SLURMD_PID
SlurmctldLogFile=$LOG/slurmctld.log
SlurmdLogFile=$LOG/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
MailProg=/bin/true
# no cgroups anywhere
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerType=sched/backfill
# start batch jobs right after submission (default batch_sched_delay=3 left sbatch jobs pending 2-8 s)
SchedulerParameters=batch_sched_delay=0
MpiDefault=none
SwitchType=switch/none
ReturnToService=2
KillWait=5
# trust the configured CPUs/GRES below instead of draining the node when the hardware differs
SlurmdParameters=config_overrides
$gres
NodeName=localhost NodeAddr=127.0.0.1 CPUs=$CPUS Boards=1 SocketsPerBoard=1 CoresPerSocket=$CPUS ThreadsPerCore=1 RealMemory=$MEM_MB $gresnode State=UNKNOWN
PartitionName=$PARTITION Nodes=localhost Default=YES MaxTime=INFINITE State=UP
EOF
  # slurmd (22.05) always loads a cgroup plugin at start-up; autodetect picks cgroup/v2 on a
  # cgroup2 host and that fails without systemd/dbus. cgroup/v1 is only *loaded*, never used,
  # because nothing above (proctrack/task/jobacct) uses cgroups -- works even with no cgroupfs.
  printf 'CgroupPlugin=cgroup/v1\n' > "$d/cgroup.conf"
  if [ "$GPUS" -gt 0 ]; then
    printf 'AutoDetect=off\nNodeName=localhost Name=gpu File=%s/fakegpu/nvidia[0-%d]\n' "$RUN" $((GPUS-1)) > "$d/gres.conf"
  else
    : > "$d/gres.conf"
  fi
}

fake_gpus() {
  rm -rf "$RUN/fakegpu"; [ "$GPUS" -gt 0 ] || return 0
  mkdir -p "$RUN/fakegpu"
  local i; for i in $(seq 0 $((GPUS-1))); do ln -sf /dev/null "$RUN/fakegpu/nvidia$i"; done   # must be char devs
}

node_ready() { sinfo -h -n localhost -o '%t' 2>/dev/null | grep -qE '^(idle|mix|alloc)$'; }

start() {
  local t0=$SECONDS
  [ "$(id -u)" = 0 ] || { log "must run as root"; exit 1; }
  install_pkgs
  mkdir -p "$RUN" "$LOG" "$STATE" "$SPOOL" "$ETC"
  start_munge
  local tmp; tmp=$(mktemp -d); write_conf "$tmp"
  if alive "$CTLD_PID" && alive "$SLURMD_PID" && node_ready \
     && cmp -s "$tmp/slurm.conf" "$ETC/slurm.conf" && cmp -s "$tmp/gres.conf" "$ETC/gres.conf" \
     && cmp -s "$tmp/cgroup.conf" "$ETC/cgroup.conf"; then
    rm -rf "$tmp"; log "already running with identical config"; return 0
  fi
  stop_pidfile "$SLURMD_PID" slurmd
  stop_pidfile "$CTLD_PID" slurmctld
  cp "$tmp/slurm.conf" "$tmp/cgroup.conf" "$tmp/gres.conf" "$ETC/"; rm -rf "$tmp"
  fake_gpus
  log "starting slurmctld + slurmd"
  ( cd / && slurmctld -c )              # -c: discard saved job/node state from earlier runs
  ( cd / && slurmd -N localhost )       # -N: our NodeName is 'localhost', not `hostname`
  local i; for i in $(seq 1 300); do node_ready && break; sleep 0.2; done
  if ! node_ready; then
    log "node not ready:"; sinfo -N -l >&2 || true; scontrol show node localhost >&2 || true
    tail -n 30 "$LOG/slurmctld.log" "$LOG/slurmd.log" >&2 || true; exit 1
  fi
  log "cluster up in $((SECONDS-t0))s"
}

stop() {
  stop_pidfile "$SLURMD_PID" slurmd
  stop_pidfile "$CTLD_PID" slurmctld
  if [ -e "$MUNGE_MARK" ]; then stop_pidfile "$MUNGE_PID" munged; rm -f "$MUNGE_MARK"; fi
}

status() {
  for pf in "$MUNGE_PID" "$CTLD_PID" "$SLURMD_PID"; do
    if alive "$pf"; then echo "$(basename "$pf" .pid): running (pid $(cat "$pf"))"; else echo "$(basename "$pf" .pid): stopped"; fi
  done
  sinfo 2>/dev/null || true
}

case "${1:-start}" in
  start) start ;;
  stop) stop ;;
  restart) stop; start ;;
  status) status ;;
  *) echo "usage: $0 {start|stop|restart|status}" >&2; exit 2 ;;
esac
