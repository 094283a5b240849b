#!/usr/bin/env bash
# A single-node Slurm cluster on loopback, for the Slurm integration test and for trying the job
# array scripts on one machine (Debian 12: slurmctld + slurmd + munge; no systemd needed).
#
#   tools/slurm/local_cluster.sh start STATE_DIR [--install]   # start; prints the SLURM_CONF to export
#   tools/slurm/local_cluster.sh stop  STATE_DIR               # stop every daemon this script started
#
# Everything (config, state, spool, logs, pid files) lives under STATE_DIR. SLURM_PORT (default
# 6817; slurmd uses the next port) lets two such clusters coexist. The daemons bind to
# 127.0.0.1 only, and are stopped by the PIDs in their pid files (slurmd, slurmctld, then munged if
# this script started it). Exit codes: 0 ok; 3 Slurm is not installed (and --install not given)
# or cannot run here (not root, hostname not on loopback); 1 start-up failed (logs are printed).
set -euo pipefail

usage() { echo "usage: $0 start|stop STATE_DIR [--install]" >&2; exit 2; }
[[ $# -ge 2 ]] || usage
action=$1
dir=$(mkdir -p "$2" && cd "$2" && pwd)
install=0
[[ ${3:-} == --install ]] && install=1

stop_pid_file() {  # stop_pid_file FILE NAME: TERM, wait up to 10 s, then KILL
  local file=$1 name=$2 pid
  [[ -s $file ]] || return 0
  pid=$(cat "$file")
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$pid" 2>/dev/null && { echo "local_cluster: $name ($pid) did not stop; killing it" >&2; kill -KILL "$pid" 2>/dev/null || true; }
  fi
  rm -f "$file"
}

if [[ $action == stop ]]; then
  stop_pid_file "$dir/slurmd.pid" slurmd
  stop_pid_file "$dir/slurmctld.pid" slurmctld
  stop_pid_file "$dir/munged.pid" munged   # only present when this script started munged
  exit 0
fi
[[ $action == start ]] || usage

if [[ $(id -u) != 0 ]]; then echo "local_cluster: needs root (slurmd runs jobs as their user)" >&2; exit 3; fi
if ! command -v slurmctld >/dev/null || ! command -v slurmd >/dev/null || ! command -v sbatch >/dev/null || ! command -v munged >/dev/null; then
  if [[ $install == 0 ]]; then echo "local_cluster: Slurm is not installed (apt-get install slurmctld slurmd slurm-client munge, or pass --install)" >&2; exit 3; fi
  DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 install -y --no-install-recommends \
    slurmctld slurmd slurm-client munge >"$dir/apt.log" 2>&1 || { tail -20 "$dir/apt.log" >&2; exit 3; }
fi
# Loopback only: the node is "localhost" and the host name must resolve to 127.x too.
host_ip=$(getent hosts "$(hostname)" | awk '{print $1; exit}')
if [[ ${host_ip:-} != 127.* ]]; then echo "local_cluster: $(hostname) resolves to '${host_ip:-nothing}', not loopback; refusing" >&2; exit 3; fi

# munge: reuse a running one, else start our own as the munge user.
if ! (munge -n | unmunge) >/dev/null 2>&1; then
  mkdir -p /run/munge && chown munge:munge /run/munge && chmod 0755 /run/munge
  [[ -f /etc/munge/munge.key ]] || mungekey --create
  setpriv --reuid=munge --regid=munge --init-groups /usr/sbin/munged
  for _ in $(seq 50); do [[ -s /run/munge/munged.pid ]] && break; sleep 0.1; done
  cp /run/munge/munged.pid "$dir/munged.pid"
  (munge -n | unmunge) >/dev/null 2>&1 || { echo "local_cluster: munge does not work" >&2; exit 1; }
fi

port=${SLURM_PORT:-6817}
mkdir -p "$dir/state" "$dir/spool" "$dir/log"
# The node's hardware line as slurmd sees it, with RealMemory a little under what it reports.
hw=$(slurmd -C | head -1 | tr ' ' '\n' | grep -E '^(CPUs|Boards|SocketsPerBoard|CoresPerSocket|ThreadsPerCore|RealMemory)=' | tr '\n' ' ')
mem=$(sed -n 's/.*RealMemory=\([0-9]*\).*/\1/p' <<<"$hw")
hw=$(sed "s/RealMemory=[0-9]*/RealMemory=$((mem * 9 / 10))/" <<<"$hw")
cat >"$dir/slurm.conf" <<CONF
ClusterName=attnbench
SlurmctldHost=localhost(127.0.0.1)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CommunicationParameters=NoCtldInAddrAny,NoInAddrAny
SlurmctldPort=$port
SlurmdPort=$((port + 1))
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
MpiDefault=none
MailProg=/bin/true
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
SchedulerType=sched/backfill
NodeName=localhost NodeAddr=127.0.0.1 $hw State=UNKNOWN
PartitionName=debug Nodes=localhost Default=YES MaxTime=INFINITE State=UP
CONF
export SLURM_CONF=$dir/slurm.conf

fail() {
  echo "local_cluster: $1" >&2
  tail -n 20 "$dir/log/slurmctld.log" "$dir/log/slurmd.log" >&2 2>/dev/null || true
  "$0" stop "$dir"
  exit 1
}
slurmctld -f "$SLURM_CONF" || fail "slurmctld did not start"
slurmd -f "$SLURM_CONF" -N localhost || fail "slurmd did not start"
for _ in $(seq 300); do
  state=$(sinfo -h -n localhost -o %t 2>/dev/null || true)
  [[ $state == idle ]] && break
  sleep 0.1
done
[[ ${state:-} == idle ]] || fail "the node is '${state:-unknown}', not idle, after 30 s"
timeout 60 srun -n1 true || fail "srun -n1 true failed"
echo "export SLURM_CONF=$SLURM_CONF"
