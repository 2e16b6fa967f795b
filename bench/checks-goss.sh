#!/usr/bin/env bash
# Compares `remotectl check` with `goss validate` on one host, this machine
# (localhost: remotectl's local transport), running the same goss file, and writes
# the "remotectl check vs goss" section of docs/BENCHMARKS.md.
#
#   bench/checks-goss.sh --goss BIN [--reps R] [--no-install] [--out FILE]
#
#   --goss BIN     the goss binary to compare with (required; the script does not build
#                  or download goss: build it from goss's repository outside this one)
#   --reps R       timed runs of each tool, interleaved; the section shows medians
#                  (default 30)
#   --out FILE     the markdown file whose section is replaced (default docs/BENCHMARKS.md)
#
# The file is bench/checks/goss-local.yaml: files, users, groups, packages, ports,
# processes, kernel parameters, mounts, an interface, an address, an HTTP URL and two
# commands. It reads BENCH_PORT (a loopback HTTP server this script starts) and
# BENCH_PROC (the name of a process it keeps running). Before anything is timed, both
# tools must report every property passing, and the same properties: else the script
# stops, since the two would not do the same work. Each timed run is held to it too.
# Raw numbers go to bench/results/goss-TIMESTAMP/ (results.tsv, machine.tsv, logs/).
set -euo pipefail

# shellcheck source-path=SCRIPTDIR
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
readonly repo_root
readonly CHECK_FILE=$repo_root/bench/checks/goss-local.yaml
readonly REPORT=$repo_root/bench/checks/gossreport.py

goss_bin=""
reps=30
install=yes
out=$repo_root/docs/BENCHMARKS.md

usage() {
  sed -n '2,20p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
  exit 64
}

parse_args() {
  while [ $# -gt 0 ]; do
    case $1 in
    --goss) goss_bin=${2:?--goss needs a binary}; shift 2 ;;
    --reps) reps=${2:?--reps needs a number}; shift 2 ;;
    --no-install) install=no; shift ;;
    --out) out=${2:?--out needs a file}; shift 2 ;;
    -h | --help) usage ;;
    *) die "unknown argument $1 (see bench/checks-goss.sh --help)" ;;
    esac
  done
  [ -n "$goss_bin" ] || die "--goss BIN is required: build goss from its repository (outside this one) and name the binary"
  [ -x "$goss_bin" ] || die "--goss $goss_bin: not an executable file"
  goss_bin=$(cd "$(dirname "$goss_bin")" && pwd)/$(basename "$goss_bin")
  [[ $reps =~ ^[1-9][0-9]*$ ]] || die "--reps must be a whole number of at least 1, not $reps"
}

# start_fixtures starts what the file checks: a loopback HTTP server (python3) on a
# free port and a long sleep, and exports BENCH_PORT and BENCH_PROC.
start_fixtures() {
  BENCH_PORT=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  /usr/bin/python3 -m http.server --bind 127.0.0.1 --directory "$work" "$BENCH_PORT" >/dev/null 2>&1 &
  http_pid=$!
  sleep 600 &
  sleep_pid=$!
  BENCH_PROC=sleep
  export BENCH_PORT BENCH_PROC
  local i
  for ((i = 0; i < 50; i++)); do
    /usr/bin/python3 -c "import socket; socket.create_connection(('127.0.0.1', $BENCH_PORT), 1)" 2>/dev/null && return 0
    sleep 0.1
  done
  die "the HTTP server on 127.0.0.1:$BENCH_PORT did not start"
}

stop_fixtures() {
  [ -z "${http_pid:-}" ] || kill "$http_pid" 2>/dev/null || true
  [ -z "${sleep_pid:-}" ] || kill "$sleep_pid" 2>/dev/null || true
}

# tool_argv TOOL sets argv to the command line of goss or remotectl on the file.
tool_argv() {
  case $1 in
  goss) argv=("$goss_bin" -g "$CHECK_FILE" validate -f json) ;;
  remotectl) argv=("$rc_bin" check --keep-runs 0 --color never -o json "$CHECK_FILE") ;;
  *) die "no command line for $1" ;;
  esac
}

# verdicts TOOL OUT prints "pass N" when every property in OUT passed (N of them),
# else what did not, one per line; the properties go to OUT.props, one per line.
verdicts() {
  /usr/bin/python3 "$REPORT" verdicts "$1" "$2"
}

# verify TOOL runs a tool once, untimed, and stops unless every property passed.
verify() {
  local tool=$1 base=$logs/verify-$1 rc=0 v
  tool_argv "$tool"
  "${argv[@]}" </dev/null >"$base.out" 2>"$base.err" || rc=$?
  v=$(verdicts "$tool" "$base.out")
  [ "$rc" -eq 0 ] && [[ $v == pass* ]] || die "$tool: not every property passed (exit $rc): $v; see $base.out and $base.err"
  log "  $tool: every property passed (${v#pass })"
}

# measure TOOL REP runs a tool once under /usr/bin/time and appends its line to
# results.tsv: wall, user and system seconds, peak RSS, exit code.
measure() {
  local tool=$1 rep=$2 base=$logs/$1-$2 v
  tool_argv "$tool"
  [ "$rep" -ne 1 ] || printf '%s\t%s\n' "$tool" "${argv[*]}" >>"$run_dir/commands.tsv"
  timed_run "$tool" "$base" "$base.out"
  v=$(verdicts "$tool" "$base.out")
  [ "$run_rc" -eq 0 ] && [[ $v == pass* ]] || die "$tool run $rep: not every property passed (exit $run_rc): $v; see $base.out"
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$tool" "$rep" "$run_wall" "$run_user" "$run_sys" "$run_rss" "$run_rc" >>"$results"
  rm -f "$base.out" "$base.err"
}

write_machine_info() {
  {
    printf 'date\t%s\n' "$(date -u '+%Y-%m-%d %H:%M UTC')"
    machine_info_host
    printf 'reps\t%s\n' "$reps"
    printf 'version remotectl\t%s\n' "$(version_of "$rc_bin" version)"
    printf 'version go\t%s\n' "$(version_of go version)"
    printf 'goss sha256\t%s\n' "$(sha256sum "$goss_bin" | cut -d' ' -f1)"
    printf 'goss built by\t%s\n' "$(go version "$goss_bin" 2>/dev/null | cut -d' ' -f2- || echo unknown)"
  } >"$run_dir/machine.tsv"
}

main() {
  parse_args "$@"
  cd "$repo_root"
  local need=()
  [ -x /usr/bin/time ] || need+=(time)
  [ -x /usr/bin/python3 ] || need+=(python3)
  install_missing "${need[@]}"
  clk_tck=$(getconf CLK_TCK)
  make_work_dir rcgoss
  trap 'stop_fixtures; cleanup' EXIT

  run_dir=$repo_root/bench/results/goss-$(date +%Y%m%d-%H%M%S)
  logs=$run_dir/logs
  results=$run_dir/results.tsv
  mkdir -p "$logs"
  printf 'tool\trep\twall_s\tuser_s\tsys_s\tmaxrss_kb\texit\n' >"$results"

  build_remotectl
  write_machine_info
  local started=$SECONDS
  start_fixtures
  log "verifying both tools on $CHECK_FILE"
  verify goss
  verify remotectl
  /usr/bin/python3 "$REPORT" same-properties "$logs/verify-goss.out.props" "$logs/verify-remotectl.out.props" ||
    die "goss and remotectl did not check the same properties: the comparison would be wrong"

  # Interleaved, so that drifting machine load spreads over both tools alike (the
  # verification runs above warmed the page cache for both).
  local rep
  for ((rep = 1; rep <= reps; rep++)); do
    measure goss "$rep"
    measure remotectl "$rep"
  done
  stop_fixtures
  machine_info_after "$started"
  /usr/bin/python3 "$REPORT" report --in "$run_dir" --out "$out"
  log "done in $((SECONDS - started))s: $out (raw numbers in $run_dir)"
}

main "$@"
