#!/bin/sh
# slurm-localhost.sh: a one-node Slurm cluster on this machine, for the
# sharded-run test (cmd/remotectl TestSlurmShards) and to try examples/slurm.
#
#   slurm-localhost.sh install     apt-get install slurm-wlm munge (root only)
#   slurm-localhost.sh start DIR   write DIR/slurm.conf, start munged, slurmctld
#                                  and slurmd (all state, sockets and logs under
#                                  DIR, ports chosen free on 127.0.0.1), wait
#                                  until the node is idle; prints the line
#                                  SLURM_CONF=DIR/slurm.conf
#   slurm-localhost.sh stop DIR    stop the daemons started for DIR
#
# Everything runs as root (Slurm's daemons and munge need it for a real
# cluster's users; here only root submits). Nothing outside DIR is written
# except by install.
set -eu

die() { echo "slurm-localhost: $*" >&2; exit 1; }

need_root() { [ "$(id -u)" = 0 ] || die "must run as root (slurmd and munged run as root here)"; }

install() {
	need_root
	command -v slurmctld >/dev/null && command -v munged >/dev/null && command -v sbatch >/dev/null && return 0
	# A fresh machine may have no package lists yet: update once, then retry.
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q slurm-wlm munge >/dev/null 2>&1 ||
		{ apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q slurm-wlm munge >/dev/null; }
}

# freeport prints a TCP port free on 127.0.0.1.
freeport() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

start() {
	need_root
	dir=$1
	for p in munged slurmctld slurmd sbatch; do
		command -v "$p" >/dev/null || [ -x "/usr/sbin/$p" ] || die "$p is not installed (slurm-localhost.sh install)"
	done
	mkdir -p "$dir/munge" "$dir/munge-key" "$dir/state" "$dir/spool" "$dir/log"
	chmod 0755 "$dir" "$dir/munge"
	chmod 0700 "$dir/munge-key"
	dd if=/dev/urandom of="$dir/munge-key/munge.key" bs=1024 count=1 2>/dev/null
	chmod 0400 "$dir/munge-key/munge.key"
	/usr/sbin/munged --force --key-file="$dir/munge-key/munge.key" --socket="$dir/munge/munge.socket" \
		--pid-file="$dir/munge/munged.pid" --log-file="$dir/log/munged.log" --seed-file="$dir/munge-key/munged.seed" \
		|| die "munged did not start: $(tail -n 3 "$dir/log/munged.log" 2>/dev/null)"
	node=$(hostname -s)
	cpus=$(nproc)
	cat >"$dir/slurm.conf" <<CONF
ClusterName=remotectl
SlurmctldHost=$node(127.0.0.1)
SlurmctldPort=$(freeport)
SlurmdPort=$(freeport)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket=$dir/munge/munge.socket
CredType=cred/munge
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd.log
ProctrackType=proctrack/pgid
TaskPlugin=task/none
MpiDefault=none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
JobCompType=jobcomp/none
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
MinJobAge=300
NodeName=$node NodeAddr=127.0.0.1 CPUs=$cpus State=UNKNOWN
PartitionName=local Nodes=$node Default=YES MaxTime=INFINITE State=UP OverSubscribe=FORCE:4
CONF
	export SLURM_CONF="$dir/slurm.conf"
	/usr/sbin/slurmctld -f "$SLURM_CONF" -i || die "slurmctld did not start: $(tail -n 5 "$dir/log/slurmctld.log" 2>/dev/null)"
	/usr/sbin/slurmd -f "$SLURM_CONF" -N "$node" || die "slurmd did not start: $(tail -n 5 "$dir/log/slurmd.log" 2>/dev/null)"
	i=0
	until sinfo -h -N -o '%T' 2>/dev/null | grep -Eq '^(idle|mixed|allocated)'; do
		i=$((i + 1))
		[ $i -le 60 ] || die "the node did not come up in 30s: $(sinfo -h -N 2>&1; tail -n 5 "$dir/log/slurmctld.log" "$dir/log/slurmd.log" 2>/dev/null)"
		sleep 0.5
	done
	echo "SLURM_CONF=$SLURM_CONF"
}

# stopdaemon NAME PIDFILE: TERM the process of PIDFILE, then KILL after 5s.
stopdaemon() {
	[ -s "$2" ] || return 0
	pid=$(cat "$2")
	kill "$pid" 2>/dev/null || return 0
	i=0
	while kill -0 "$pid" 2>/dev/null; do
		i=$((i + 1))
		if [ $i -gt 50 ]; then
			kill -9 "$pid" 2>/dev/null || true
			break
		fi
		sleep 0.1
	done
	rm -f "$2"
}

stop() {
	dir=$1
	stopdaemon slurmd "$dir/slurmd.pid"
	stopdaemon slurmctld "$dir/slurmctld.pid"
	stopdaemon munged "$dir/munge/munged.pid"
}

case "${1:-}" in
install) install ;;
start) [ $# -eq 2 ] || die "usage: slurm-localhost.sh start DIR"; start "$(realpath -m "$2")" ;;
stop) [ $# -eq 2 ] || die "usage: slurm-localhost.sh stop DIR"; stop "$(realpath -m "$2")" ;;
*) die "usage: slurm-localhost.sh install | start DIR | stop DIR" ;;
esac
