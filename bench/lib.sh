# shellcheck shell=bash
# Functions shared by bench/run.sh and bench/checks.sh: messages, installing missing
# packages, the loopback fleet of bench/fleet.sh and its sshd CPU accounting, timed runs
# and the machine description. Sourced, never run:
#
#   . "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
#
# Globals the sourcing script sets before calling these functions:
#   repo_root   the repository's root directory
#   install     "yes" to let install_missing use apt-get, anything else to refuse
#   clk_tck     clock ticks a second (getconf CLK_TCK), for sshd_cpu_us and relay_cpu_us
#   work        the run's scratch directory (make_work_dir sets it; cleanup removes it)
#   argv        the command line timed_run times (an array)
#   rc_bin      the remotectl binary (build_remotectl sets it)
#   run_dir     where machine.tsv goes (machine_info_host, machine_info_after)
#
# Globals these functions keep (the fleet's state, set by read_fleet_env):
#   fleet_dir          the running fleet's directory, empty when none runs
#   fleet_user         the fleet's login user
#   fleet_cgroup       the fleet's cgroup directory, empty without one
#   fleet_cgroup_cpu   the cgroup's CPU counter file, empty without one
#   fleet_cgroup_unit  that counter's unit: nsec, or usec (cpu.stat's usage_usec)
#   sshd_accounting    how sshd CPU is counted: cgroup or proc
#
# And the results of the last timed_run: run_rc, run_wall, run_user, run_sys, run_rss,
# run_sshd_s, run_relay_s.

# The sourcing script sets the inputs and reads the results listed above.
# shellcheck disable=SC2034,SC2154

fleet_dir="" fleet_user="" fleet_cgroup="" fleet_cgroup_cpu="" fleet_cgroup_unit="" sshd_accounting=""

# --- messages -------------------------------------------------------------------

# die MESSAGE prints MESSAGE after the script's name and exits 1.
die() {
  echo "${0##*/}: $*" >&2
  exit 1
}

# log MESSAGE prints MESSAGE to stderr after the time of day.
log() { echo "[$(date +%H:%M:%S)] $*" >&2; }

# us_to_s US prints US microseconds as seconds with two decimals.
us_to_s() { awk -v us="$1" 'BEGIN { printf "%.2f", us / 1e6 }'; }

# version_of CMD [ARGS...] prints the first line CMD prints (stdout or stderr), or
# nothing when it cannot run.
version_of() { "$@" 2>&1 | head -n 1 || true; }

# --- setup ----------------------------------------------------------------------

# install_missing [PKG...] installs the Debian packages PKG (those found missing) with
# apt-get, when --no-install was not given and the script runs as root; else it stops
# and says what to install. Without packages it does nothing.
install_missing() {
  [ $# -gt 0 ] || return 0
  [ "$install" = yes ] || die "missing: $* (install them, or drop --no-install)"
  [ "$(id -u)" -eq 0 ] || die "missing: $*; as root: apt-get install $*"
  log "installing $*"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

# make_work_dir PREFIX sets work to a new directory /tmp/PREFIX.XXXXXX, readable by the
# fleet's login user (sshd reads the fleet's authorized_keys as that user), and arranges
# for cleanup to run on exit.
make_work_dir() {
  work=$(mktemp -d "/tmp/$1.XXXXXX")
  chmod 0755 "$work"
  trap cleanup EXIT
  trap 'exit 130' INT TERM
}

# cleanup stops the fleet and removes the work directory.
cleanup() {
  stop_fleet
  rm -rf "$work"
}

# build_remotectl builds ./cmd/remotectl (run from repo_root) into the work directory
# and sets rc_bin to it.
build_remotectl() {
  log "building remotectl"
  rc_bin=$work/bin/remotectl
  go build -o "$rc_bin" ./cmd/remotectl
}

# --- the fleet ------------------------------------------------------------------

# read_fleet_env reads the fleet's state from fleet_dir/fleet.env, once bench/fleet.sh
# has started it there.
read_fleet_env() {
  fleet_user=$(fleet_var USER)
  fleet_cgroup=$(fleet_var CGROUP)
  fleet_cgroup_cpu=$(fleet_var CGROUP_CPU)
  fleet_cgroup_unit=$(fleet_var CGROUP_UNIT)
  if [ -n "$fleet_cgroup_cpu" ]; then sshd_accounting=cgroup; else sshd_accounting=proc; fi
}

# fleet_var NAME prints the value of FLEET_NAME in the fleet's fleet.env.
fleet_var() { sed -n "s/^FLEET_$1=//p" "$fleet_dir/fleet.env"; }

# stop_fleet stops the running fleet, if any, removes its directory and forgets its
# state, so that runs without a fleet count no sshd CPU.
stop_fleet() {
  if [ -n "$fleet_dir" ]; then
    "$repo_root/bench/fleet.sh" stop "$fleet_dir" >/dev/null || true
    rm -rf "$fleet_dir"
  fi
  fleet_dir="" fleet_user="" fleet_cgroup="" fleet_cgroup_cpu="" fleet_cgroup_unit=""
}

# pid_list GLOB prints the pids in the fleet's pid files matching GLOB: none without
# a fleet.
pid_list() {
  [ -n "$fleet_dir" ] || return 0
  local f
  for f in "$fleet_dir"/$1; do
    if [ -e "$f" ]; then cat "$f"; fi
  done
}

# sshd_cpu_us prints the microseconds of CPU the fleet's sshd processes have used, with
# every process they started: from the fleet's cgroup when it has one, which counts
# every process started in it, else from the listeners' own and reaped children's
# times (/proc/PID/stat fields 14-17: utime stime cutime cstime). The second misses
# processes that are reparented instead of reaped by their sshd, which happens to the
# sessions of OpenSSH clients: it undercounts them.
sshd_cpu_us() {
  if [ -n "$fleet_cgroup_cpu" ]; then
    if [ "$fleet_cgroup_unit" = nsec ]; then
      echo $(($(cat "$fleet_cgroup_cpu") / 1000))
    else
      awk '$1 == "usage_usec" { print $2 }' "$fleet_cgroup_cpu"
    fi
    return
  fi
  local pid sum=0 stat fields
  for pid in $(pid_list 'sshd-*.pid'); do
    stat=$(cat "/proc/$pid/stat") || continue
    read -r -a fields <<<"${stat##*) }"
    sum=$((sum + fields[11] + fields[12] + fields[13] + fields[14]))
  done
  echo $((sum * 1000000 / clk_tck))
}

# relay_cpu_us prints the microseconds of CPU the fleet's delay relays used (utime +
# stime); 0 for a fleet started without --delay-ms.
relay_cpu_us() {
  local pid sum=0 stat fields
  for pid in $(pid_list 'relay-*.pid'); do
    stat=$(cat "/proc/$pid/stat") || continue
    read -r -a fields <<<"${stat##*) }"
    sum=$((sum + fields[11] + fields[12]))
  done
  echo $((sum * 1000000 / clk_tck))
}

# wait_settled waits (10 s at most) until the processes serving the last run's
# connections are gone, so that all their CPU is counted: until the fleet's cgroup
# holds only the listeners, or without one until no listener has a child left.
wait_settled() {
  local deadline=$((SECONDS + 10)) listeners pid busy
  listeners=$(pid_list 'sshd-*.pid' | wc -l)
  while :; do
    busy=""
    if [ -n "$fleet_cgroup" ]; then
      [ "$(wc -l <"$fleet_cgroup/cgroup.procs")" -le "$listeners" ] || busy=yes
    else
      for pid in $(pid_list 'sshd-*.pid'); do
        if [ -n "$(cat /proc/"$pid"/task/*/children 2>/dev/null)" ]; then busy=$pid; break; fi
      done
    fi
    [ -n "$busy" ] && [ $SECONDS -lt $deadline ] || return 0
    sleep 0.05
  done
}

# wait_sessions_settled is wait_settled for fleets whose connections are held between
# runs (remotectl --persist, ControlPersist masters), which keep their sshd processes:
# it waits (10 s at most) until the fleet's cgroup holds no process other than sshd's,
# their number unchanged for 50 ms, or only the listeners. Without a cgroup it is
# wait_settled.
wait_sessions_settled() {
  [ -n "$fleet_cgroup" ] || { wait_settled; return; }
  local deadline=$((SECONDS + 10)) listeners prev='' cur pids
  listeners=$(pid_list 'sshd-*.pid' | wc -l)
  while [ $SECONDS -lt $deadline ]; do
    pids=$(paste -sd, "$fleet_cgroup/cgroup.procs")
    cur=$(ps -o comm= -p "${pids:-1}" | awk -v l="$listeners" '{ n++ } $1 !~ /^sshd/ { other++ }
      END { if (n <= l) print "listeners"; else print n, other + 0 }')
    case $cur in
    listeners) return 0 ;;
    *" 0") if [ "$cur" = "$prev" ]; then return 0; fi ;;
    esac
    prev=$cur
    sleep 0.05
  done
}

# timed_run NAME BASE STDOUT runs argv once under /usr/bin/time, stdin from /dev/null,
# stdout to STDOUT and stderr to BASE.err, the timing in BASE.time, between two
# wait_settled. It sets run_rc (the exit code), run_wall, run_user, run_sys (seconds),
# run_rss (peak kB of the largest process), run_sshd_s and run_relay_s (the CPU seconds
# the fleet's sshd processes and relays used meanwhile). It stops the script when
# /usr/bin/time wrote no timing, naming NAME.
timed_run() {
  local name=$1 base=$2 stdout=$3 s0 r0 s1 r1
  run_rc=0
  wait_settled
  s0=$(sshd_cpu_us) r0=$(relay_cpu_us)
  /usr/bin/time -f '%e %U %S %M' -o "$base.time" "${argv[@]}" </dev/null >"$stdout" 2>"$base.err" || run_rc=$?
  wait_settled
  s1=$(sshd_cpu_us) r1=$(relay_cpu_us)
  read -r run_wall run_user run_sys run_rss < <(tail -n 1 "$base.time")
  [[ $run_wall =~ ^[0-9.]+$ ]] || die "$name: no timing in $base.time: $(cat "$base.time")"
  run_sshd_s=$(us_to_s $((s1 - s0)))
  run_relay_s=$(us_to_s $((r1 - r0)))
}

# --- the machine description ----------------------------------------------------

# machine_info_host prints the machine's lines of machine.tsv: cores, CPU model, memory,
# kernel, OS and load average.
machine_info_host() {
  printf 'cores\t%s\n' "$(nproc)"
  printf 'cpu\t%s\n' "$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)"
  printf 'memory\t%s\n' "$(awk '/^MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo)"
  printf 'kernel\t%s\n' "$(uname -sr)"
  # shellcheck source=/dev/null
  printf 'os\t%s\n' "$(. /etc/os-release && echo "$PRETTY_NAME")"
  printf 'load_before\t%s\n' "$(cut -d' ' -f1-3 /proc/loadavg)"
}

# machine_info_after STARTED appends to run_dir/machine.tsv what is known once the runs
# are over: the load average, how sshd CPU was counted and the seconds since STARTED.
machine_info_after() {
  {
    printf 'load_after\t%s\n' "$(cut -d' ' -f1-3 /proc/loadavg)"
    printf 'sshd_accounting\t%s\n' "$sshd_accounting"
    printf 'duration_s\t%s\n' $((SECONDS - $1))
  } >>"$run_dir/machine.tsv"
}
