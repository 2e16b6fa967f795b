#!/usr/bin/env bash
# Compares `remotectl check` with testinfra (Debian's python3-testinfra, ssh backend)
# running the same 20 checks on a loopback OpenSSH fleet (bench/fleet.sh), and writes
# docs/BENCHMARKS-checks.md.
#
#   bench/checks.sh [--hosts N] [--reps R] [--reps-testinfra R] [--forks F]
#                   [--serial-hosts M] [--port P] [--no-install] [--out FILE]
#
#   --hosts N            fleet size (default 200)
#   --reps R             runs of remotectl on N hosts; the table shows the median (default 3)
#   --reps-testinfra R   runs of testinfra on N hosts (default 1: one takes minutes)
#   --forks F            remotectl's -f and pytest-xdist's -n (default 64, remotectl's default)
#   --serial-hosts M     also run testinfra without xdist (its default, one host after
#                        another) on the first M hosts, and remotectl on the same M;
#                        0 skips it (default 20)
#   --port P             the fleet's sshd port (default 2222)
#
# The checks are bench/checks/fleet-checks.yaml (remotectl) and bench/checks/test_fleet.py
# (testinfra): the same 20 properties. Before anything is timed, both tools must report
# all 20 passing on every host, or the script stops: a failing check would mean the two
# sides do not check the same thing (remotectl is verified untimed on every host,
# testinfra on a few; any failure in a timed run stops it too). Timings are reported,
# never asserted.
# Raw numbers and logs go to bench/results/checks-TIMESTAMP/ (results.tsv, machine.tsv, logs/).
# Needs root to create the fleet's login user and install python3-testinfra,
# python3-pytest-xdist and time.
set -euo pipefail

# shellcheck source-path=SCRIPTDIR
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
readonly repo_root
readonly CHECKS=20
readonly CHECK_FILE=$repo_root/bench/checks/fleet-checks.yaml
readonly TEST_FILE=$repo_root/bench/checks/test_fleet.py
readonly MAXSTARTUPS=1000:30:1000 # no dropped connections: both tools fan out
readonly PROBE_HOSTS=8             # testinfra's untimed verification (a full run takes minutes)

n=200
reps=3
reps_testinfra=1
forks=64
serial_hosts=20
port=2222
install=yes
out=$repo_root/docs/BENCHMARKS-checks.md

usage() {
  sed -n '2,26p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
  exit 64
}

positive() { [[ $1 =~ ^[1-9][0-9]*$ ]] || die "$2 must be a whole number of at least 1, not $1"; }

parse_args() {
  while [ $# -gt 0 ]; do
    case $1 in
    --hosts) n=${2:?--hosts needs a number}; shift 2 ;;
    --reps) reps=${2:?--reps needs a number}; shift 2 ;;
    --reps-testinfra) reps_testinfra=${2:?--reps-testinfra needs a number}; shift 2 ;;
    --forks) forks=${2:?--forks needs a number}; shift 2 ;;
    --serial-hosts) serial_hosts=${2:?--serial-hosts needs a number}; shift 2 ;;
    --port) port=${2:?--port needs a number}; shift 2 ;;
    --no-install) install=no; shift ;;
    --out) out=${2:?--out needs a file}; shift 2 ;;
    -h | --help) usage ;;
    *) die "unknown argument $1 (see bench/checks.sh --help)" ;;
    esac
  done
  positive "$n" --hosts
  positive "$reps" --reps
  positive "$reps_testinfra" --reps-testinfra
  positive "$forks" --forks
  positive "$port" --port
  [[ $serial_hosts =~ ^[0-9]+$ ]] || die "--serial-hosts must be a number (0 to skip), not $serial_hosts"
  [ "$serial_hosts" -le "$n" ] || serial_hosts=$n
}

install_peers() {
  local need=() pkg bin
  for pkg in python3-testinfra:py.test-3 time:/usr/bin/time; do
    bin=${pkg#*:}
    command -v "$bin" >/dev/null 2>&1 || need+=("${pkg%%:*}")
  done
  /usr/bin/python3 -c 'import xdist' 2>/dev/null || need+=(python3-pytest-xdist)
  install_missing "${need[@]}"
}

# --- the fleet (bench/lib.sh: state and sshd CPU accounting) ----------------------

# start_fleet starts the fleet of n hosts and writes the files the variants read: the
# inventory with sshd_port, and the hosts of the serial and probe runs.
start_fleet() {
  fleet_dir=$work/fleet
  "$repo_root/bench/fleet.sh" start "$n" --maxstartups "$MAXSTARTUPS" --port "$port" "$fleet_dir" >&2
  read_fleet_env

  # The check file reads the port from the inventory variable sshd_port.
  inventory=$work/inventory.yaml
  awk -v port="$port" '{ print } /^defaults:$/ { print "  vars:"; print "    sshd_port: " port }' \
    "$fleet_dir/inventory.yaml" >"$inventory"
  grep -q '^    sshd_port: ' "$inventory" || die "no defaults: section in $fleet_dir/inventory.yaml to add sshd_port to"
  head -n "$serial_hosts" "$fleet_dir/hosts.txt" >"$work/hosts-serial.txt"
  head -n "$PROBE_HOSTS" "$fleet_dir/hosts.txt" >"$work/hosts-probe.txt"
}

# --- the two tools ------------------------------------------------------------------

# tool_argv VARIANT sets argv to the command line of one variant:
#   remotectl          every host, -f FORKS
#   testinfra-xdist    every host, pytest-xdist -n FORKS
#   remotectl-serial   the first M hosts, -f FORKS
#   testinfra-serial   the first M hosts, no xdist (testinfra's default)
#   testinfra-probe    the first few hosts, one xdist worker each (the untimed check of the checks)
tool_argv() {
  case $1 in
  remotectl)
    argv=("$rc_bin" check -i "$inventory" -H all --ssh-config none --keep-runs 0 --color never
      -f "$forks" -o json "$CHECK_FILE")
    ;;
  remotectl-serial)
    argv=("$rc_bin" check -i "$inventory" --ssh-config none --keep-runs 0 --color never
      -f "$forks" -H "@$work/hosts-serial.txt" -o json "$CHECK_FILE")
    ;;
  testinfra-xdist) testinfra_argv "$fleet_dir/hosts.txt" -n "$forks" ;;
  testinfra-serial) testinfra_argv "$work/hosts-serial.txt" ;;
  testinfra-probe) testinfra_argv "$work/hosts-probe.txt" -n "$(wc -l <"$work/hosts-probe.txt")" ;;
  *) die "no command line for $1" ;;
  esac
}

# testinfra_argv HOSTS_FILE [PYTEST_ARGS...]: py.test-3 on the hosts in HOSTS_FILE.
# No cache, no bytecode, rootdir in the work directory: the run leaves the repository
# as it was.
testinfra_argv() {
  local hosts_file=$1
  shift
  local hosts
  hosts=$(sed "s|^|ssh://$fleet_user@|; s|\$|:$port|" "$hosts_file" | paste -sd, -)
  argv=(env "BENCH_SSHD_PORT=$port" PYTHONDONTWRITEBYTECODE=1
    py.test-3 -q -p no:cacheprovider --rootdir="$work" --ssh-config="$fleet_dir/ssh_config"
    --hosts="$hosts" "$@" "$TEST_FILE")
}

# hosts_of VARIANT prints how many hosts a variant checks.
hosts_of() {
  case $1 in
  *-serial) echo "$serial_hosts" ;;
  *-probe) wc -l <"$work/hosts-probe.txt" ;;
  *) echo "$n" ;;
  esac
}

# count_failed VARIANT HOSTS OUT prints how many hosts did not pass all 20 checks,
# from the tool's own report.
count_failed() {
  local variant=$1 hosts=$2 out=$3
  case $variant in
  remotectl*)
    /usr/bin/python3 - "$out" "$hosts" "$CHECKS" <<'EOF'
import json, sys
path, hosts, checks = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
try:
    with open(path) as f:
        doc = json.load(f)
except (OSError, ValueError):
    print(hosts)
    sys.exit()
passed = sum(1 for h in doc.get("hosts", []) if h.get("counts", {}).get("pass") == checks)
print(hosts - passed)
EOF
    ;;
  testinfra*)
    # pytest's last line: "3980 passed, 20 failed in 123.45s". Every test is one check
    # on one host; a host fails when any of its tests did not pass.
    /usr/bin/python3 - "$out" "$hosts" "$CHECKS" <<'EOF'
import re, sys
path, hosts, checks = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
text = open(path, errors="replace").read()
m = re.findall(r"^(?:=+ )?(\d+) passed", text, re.M)
passed = int(m[-1]) if m else 0
# Hosts named in failure lines, e.g. "FAILED .../test_fleet.py::test_03_passwd_mode[ssh://rcbench@127.1.0.7:2222]".
bad = set(re.findall(r"^(?:FAILED|ERROR) \S+\[ssh://[^@\]]*@([^:\]]+)", text, re.M))
if passed == hosts * checks:
    print(0)
else:
    print(max(len(bad), 1))
EOF
    ;;
  esac
}

# measure VARIANT REP runs one variant once under /usr/bin/time and appends a line to
# results.tsv: wall, client CPU (with every child it waited for: ssh, xdist workers),
# peak RSS of the largest process, the fleet's sshd CPU, failed hosts, exit code.
measure() {
  local variant=$1 rep=$2 base=$logs/$1-$2 hosts failed
  hosts=$(hosts_of "$variant")
  tool_argv "$variant"
  [ "$rep" -ne 1 ] || printf '%s\t%s\n' "$variant" "${argv[*]}" >>"$run_dir/commands.tsv"
  timed_run "$variant" "$base" "$base.out"
  failed=$(count_failed "$variant" "$hosts" "$base.out")
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' \
    "$variant" "$hosts" "$forks" "$rep" "$run_wall" "$run_user" "$run_sys" "$run_rss" \
    "$run_sshd_s" "$failed" "$run_rc" >>"$results"
  log "  $variant ($hosts hosts) #$rep: ${run_wall}s wall, $(awk -v u="$run_user" -v s="$run_sys" 'BEGIN { print u + s }')s client CPU, ${run_rss} kB, sshd ${run_sshd_s}s, failed $failed, exit $run_rc"
  [ "$failed" -eq 0 ] ||
    die "$variant: $failed of $hosts hosts did not pass all $CHECKS checks (exit $run_rc), so its timing compares nothing: see $base.out and $base.err"
  # Keep the logs small: a passing run's full report is not needed.
  truncate -s '<64K' "$base.out"
}

# verify VARIANT runs a variant once, untimed, and stops the benchmark unless every
# host passed all 20 checks. Every timed run is held to the same standard (measure).
verify() {
  local variant=$1 base=$logs/verify-$1 hosts rc=0
  hosts=$(hosts_of "$variant")
  tool_argv "$variant"
  log "verifying $variant on $hosts hosts"
  "${argv[@]}" </dev/null >"$base.out" 2>"$base.err" || rc=$?
  local failed
  failed=$(count_failed "$variant" "$hosts" "$base.out")
  if [ "$failed" -ne 0 ] || [ "$rc" -ne 0 ]; then
    die "$variant: $failed of $hosts hosts did not pass all $CHECKS checks (exit $rc); the comparison would be wrong: see $base.out and $base.err"
  fi
  truncate -s '<64K' "$base.out"
}

# --- setup and report -------------------------------------------------------------

write_machine_info() {
  {
    printf 'date\t%s\n' "$(date -u '+%Y-%m-%d %H:%M UTC')"
    machine_info_host
    printf 'hosts\t%s\n' "$n"
    printf 'serial_hosts\t%s\n' "$serial_hosts"
    printf 'forks\t%s\n' "$forks"
    printf 'reps\t%s\n' "$reps"
    printf 'reps_testinfra\t%s\n' "$reps_testinfra"
    printf 'port\t%s\n' "$port"
    printf 'work_dir\t%s\n' "$work"
    printf 'maxstartups\t%s\n' "$MAXSTARTUPS"
    printf 'version remotectl\t%s\n' "$(version_of "$rc_bin" version)"
    printf 'version go\t%s\n' "$(version_of go version)"
    printf 'version openssh\t%s\n' "$(version_of ssh -V)"
    printf 'version python3\t%s\n' "$(version_of /usr/bin/python3 --version)"
    printf 'version testinfra\t%s\n' "$(dpkg-query -W -f='python3-testinfra ${Version}' python3-testinfra 2>/dev/null || echo unknown)"
    printf 'version xdist\t%s\n' "$(dpkg-query -W -f='python3-pytest-xdist ${Version}' python3-pytest-xdist 2>/dev/null || echo unknown)"
    printf 'version pytest\t%s\n' "$(dpkg-query -W -f='python3-pytest ${Version}' python3-pytest 2>/dev/null || echo unknown)"
  } >"$run_dir/machine.tsv"
}

main() {
  parse_args "$@"
  cd "$repo_root"
  install_peers
  clk_tck=$(getconf CLK_TCK)
  make_work_dir rcchecks

  run_dir=$repo_root/bench/results/checks-$(date +%Y%m%d-%H%M%S)
  logs=$run_dir/logs
  results=$run_dir/results.tsv
  mkdir -p "$logs"
  printf 'variant\thosts\tforks\trep\twall_s\tuser_s\tsys_s\tmaxrss_kb\tsshd_cpu_s\tfailed\texit\n' >"$results"

  build_remotectl
  write_machine_info
  local started=$SECONDS
  start_fleet

  local serial=() v rep
  [ "$serial_hosts" -eq 0 ] || serial=(remotectl-serial testinfra-serial)
  # remotectl is verified on every host; testinfra, whose full run costs minutes, on a
  # few, and then on every host by each timed run (measure stops at any failure).
  for v in remotectl testinfra-probe; do verify "$v"; done

  # Interleaved rep by rep, so drifting machine load spreads over both tools alike.
  local most=$((reps > reps_testinfra ? reps : reps_testinfra))
  for ((rep = 1; rep <= most; rep++)); do
    [ "$rep" -gt "$reps" ] || measure remotectl "$rep"
    [ "$rep" -gt "$reps_testinfra" ] || measure testinfra-xdist "$rep"
  done
  for v in "${serial[@]}"; do measure "$v" 1; done
  stop_fleet
  machine_info_after "$started"

  /usr/bin/python3 "$repo_root/bench/checks/mkreport.py" --in "$run_dir" --out "$out"
  log "done in $((SECONDS - started))s: $out (raw numbers in $run_dir)"
}

main "$@"
