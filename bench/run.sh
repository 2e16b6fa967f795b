#!/usr/bin/env bash
# Compares remotectl with pdsh, parallel-ssh, clush and Ansible on a loopback OpenSSH
# fleet (bench/fleet.sh) and writes docs/BENCHMARKS.md.
#
#   bench/run.sh [--quick] [--sizes "50 200 1000"] [--reps 3] [--reps-other 1]
#                [--tools "remotectl pdsh pssh clush ansible"]
#                [--scenarios "main maxstartups latency sleep throughput"]
#                [--ansible-max-n 200] [--uname-large] [--no-install] [--out FILE]
#
# Options also read from the environment: BENCH_SIZES, BENCH_REPS, BENCH_REPS_OTHER,
# BENCH_TOOLS, BENCH_SCENARIOS, BENCH_ANSIBLE_MAX_N, BENCH_UNAME_LARGE=yes.
# --quick: sizes "50 200", one run of everything, Ansible at 50 hosts only.
#
# Scenarios:
#   main         `true` and `uname -a` on N hosts, MaxStartups 1000:30:1000, for each N
#   maxstartups  `true` with OpenSSH's default MaxStartups 10:30:100, N = 200 and 1000
#   latency      `true` through bench/delayrelay adding 10 ms each way, N = 200 and 1000
#   sleep        `sleep 5` on the largest N with -f N: remotectl's peak memory
#   throughput   every host prints 1 MB (10,000 lines), remotectl's prefixed text vs pdsh
#
# The budget (about 25 minutes on 2 cores): `true` in the main scenario below 1000 hosts
# runs --reps times and is what the summary ratios rest on; every other measurement runs
# --reps-other times, Ansible always so (a run at 200 hosts takes it ~40 s); Ansible
# stops at --ansible-max-n hosts; `uname -a` is skipped at 1000 hosts and more (it
# costs what `true` costs) unless --uname-large; at 1000 hosts the latency scenario runs
# remotectl and pdsh only (the OpenSSH-based tools are CPU-bound there either way).
# Raw numbers and logs go to bench/results/TIMESTAMP/ (results.tsv, machine.tsv, logs/).
# Needs root to install the peers and create the fleet's login user; as another user,
# install pdsh pssh clustershell ansible-core python3-testinfra time first.
set -euo pipefail

# shellcheck source-path=SCRIPTDIR
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
readonly repo_root
readonly LARGE_N=1000
readonly SECONDARY_SIZES="200 1000" # maxstartups and latency
readonly LATENCY_MS=10
readonly THROUGHPUT_N=200
readonly SLEEP_S=5

sizes=${BENCH_SIZES:-"50 200 1000"}
reps=${BENCH_REPS:-3}
reps_other=${BENCH_REPS_OTHER:-1}
tools=${BENCH_TOOLS:-"remotectl pdsh pssh clush ansible"}
scenarios=${BENCH_SCENARIOS:-"main maxstartups latency sleep throughput"}
ansible_max_n=${BENCH_ANSIBLE_MAX_N:-200}
uname_large=${BENCH_UNAME_LARGE:-no}
install=yes
out=$repo_root/docs/BENCHMARKS.md
mode=full

usage() {
  sed -n '2,30p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
  exit 64
}

parse_args() {
  # --quick sets defaults that the other options, wherever they are, override.
  local a
  for a in "$@"; do
    if [ "$a" = --quick ]; then sizes="50 200" reps=1 reps_other=1 ansible_max_n=50 mode=quick; fi
  done
  while [ $# -gt 0 ]; do
    case $1 in
    --quick) shift ;;
    --sizes) sizes=${2:?}; shift 2 ;;
    --reps) reps=${2:?}; shift 2 ;;
    --reps-other) reps_other=${2:?}; shift 2 ;;
    --uname-large) uname_large=yes; shift ;;
    --tools) tools=${2:?}; shift 2 ;;
    --scenarios) scenarios=${2:?}; shift 2 ;;
    --ansible-max-n) ansible_max_n=${2:?}; shift 2 ;;
    --no-install) install=no; shift ;;
    --out) out=${2:?}; shift 2 ;;
    -h | --help) usage ;;
    *) die "unknown argument $1 (see bench/run.sh --help)" ;;
    esac
  done
  local v
  for v in $sizes; do
    if ! [[ $v =~ ^[0-9]+$ ]] || [ "$v" -lt 1 ]; then die "--sizes: $v is not a host count"; fi
  done
  [[ $reps =~ ^[1-9][0-9]*$ ]] || die "--reps must be at least 1"
  [[ $reps_other =~ ^[1-9][0-9]*$ ]] || die "--reps-other must be at least 1"
  [[ $ansible_max_n =~ ^[0-9]+$ ]] || die "--ansible-max-n must be a number"
  for v in $tools; do
    case $v in remotectl | pdsh | pssh | clush | ansible) ;; *) die "unknown tool $v" ;; esac
  done
  for v in $scenarios; do
    case $v in main | maxstartups | latency | sleep | throughput) ;; *) die "unknown scenario $v" ;; esac
  done
}

has() { [[ " $1 " == *" $2 "* ]]; }

# install_peers installs the Debian packages of the tools compared (and testinfra, for
# the checks comparison to come) when they are missing.
install_peers() {
  local need=() pkg
  for pkg in pdsh pssh clustershell ansible-core python3-testinfra time; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || need+=("$pkg")
  done
  install_missing "${need[@]}"
}

# --- the fleet ----------------------------------------------------------------

# start_fleet N MAXSTARTUPS DELAY_MS replaces the running fleet with one of N hosts.
start_fleet() {
  stop_fleet
  fleet_dir=$work/fleet-$1-${2//:/_}-$3
  "$repo_root/bench/fleet.sh" start "$1" --maxstartups "$2" --delay-ms "$3" "$fleet_dir" >&2
  read_fleet_env
}

# --- tools ----------------------------------------------------------------------

# variants SCENARIO N prints the variants to run: "name tool forks". pdsh-c25519 (main
# scenario only) is pdsh with remotectl's key exchange, to tell the cost of OpenSSH's
# default post-quantum key exchange from that of one process per host.
variants() {
  local scenario=$1 n=$2
  if has "$tools" remotectl; then
    echo "remotectl remotectl 64"
    echo "remotectl-f32 remotectl 32"
  fi
  if has "$tools" pdsh; then
    echo "pdsh pdsh 32"
    if [ "$scenario" = main ]; then echo "pdsh-c25519 pdsh 32"; fi
  fi
  if [ "$scenario" = latency ] && [ "$n" -ge $LARGE_N ]; then return; fi
  if has "$tools" pssh; then echo "pssh pssh 32"; fi
  if has "$tools" clush; then echo "clush clush 64"; fi
  if has "$tools" ansible && [ "$n" -le "$ansible_max_n" ]; then
    echo "ansible ansible 5"
    echo "ansible-f64 ansible 64"
  fi
}

# tool_argv VARIANT TOOL FORKS CMD sets argv to the command line running CMD on every
# host of the fleet. Forks are passed only where they differ from the tool's default.
tool_argv() {
  local variant=$1 tool=$2 forks=$3 cmd=$4 dir=$fleet_dir
  case $tool in
  remotectl)
    argv=("$rc_bin" exec -i "$dir/inventory.yaml" -H all --ssh-config none --color never)
    [ "$forks" = 64 ] || argv+=(-f "$forks")
    argv+=(-- "$cmd")
    ;;
  pdsh)
    local ssh_args="-F $dir/ssh_config"
    [ "$variant" != pdsh-c25519 ] || ssh_args+=" -o KexAlgorithms=curve25519-sha256"
    argv=(env "PDSH_SSH_ARGS_APPEND=$ssh_args" pdsh -R ssh -l "$fleet_user" -w "^$dir/hosts.txt")
    [ "$forks" = 32 ] || argv+=(-f "$forks")
    argv+=("$cmd")
    ;;
  pssh)
    argv=(parallel-ssh -h "$dir/hosts.txt" -x "-F $dir/ssh_config" -i)
    [ "$forks" = 32 ] || argv+=(-p "$forks")
    argv+=("$cmd")
    ;;
  clush)
    argv=(env "CLUSTERSHELL_CFGDIR=$work/clush" clush --hostfile "$dir/hosts.txt" -o "-F $dir/ssh_config")
    [ "$forks" = 64 ] || argv+=(-f "$forks")
    argv+=("$cmd")
    ;;
  ansible)
    argv=(env LC_ALL=C.UTF-8 "ANSIBLE_CONFIG=$work/ansible/ansible.cfg" "ANSIBLE_HOME=$work/ansible/home"
      ansible all -i "$dir/inventory.ini" -o)
    [ "$forks" = 5 ] || argv+=(-f "$forks")
    argv+=(-m command -a "$cmd")
    ;;
  *) die "no command line for $tool" ;;
  esac
}

# count_failed TOOL N OUT ERR RC prints how many of the N hosts did not run the
# command successfully, from the tool's own report.
count_failed() {
  local tool=$1 n=$2 out=$3 err=$4 rc=$5 ok
  case $tool in
  remotectl)
    # The recap's count line: "ok: 198, unreachable: 2".
    ok=$({ grep -aoE '^ok: [0-9]+' "$err" || true; } | tail -n 1 | cut -d' ' -f2)
    if [ -n "$ok" ]; then echo $((n - ok)); elif [ "$rc" -eq 0 ]; then echo 0; else echo "$n"; fi
    ;;
  pdsh) # "pdsh@controller: HOST: ssh exited with exit code 255"
    { grep -aoE '^pdsh@[^:]*: [^: ]+: ' "$err" || true; } | cut -d' ' -f2 | sort -u | wc -l
    ;;
  clush) # "clush: HOST: exited with exit code 255", "clush: HOST: command timeout"
    { grep -aoE '^clush: [^: ]+: ' "$err" || true; } | cut -d' ' -f2 | sort -u | wc -l
    ;;
  pssh) # "[12] 10:22:01 [SUCCESS] HOST"
    ok=$(grep -acE '^\[[0-9]+\] [0-9:]+ \[SUCCESS\] ' "$out" || true)
    echo $((n - ok))
    ;;
  ansible) # "HOST | CHANGED | rc=0 | (stdout) ..."
    ok=$(grep -acE '^[^ ]+ \| (CHANGED|SUCCESS) \| rc=0' "$out" || true)
    echo $((n - ok))
    ;;
  esac
}

# measure SCENARIO N CMD_LABEL REP VARIANT TOOL FORKS CMD [STDOUT_FILE]
# runs one tool once under /usr/bin/time and appends a line to results.tsv.
measure() {
  local scenario=$1 n=$2 label=$3 rep=$4 variant=$5 tool=$6 forks=$7 cmd=$8
  local base=$logs/$scenario-$n-$label-$variant-$rep
  local stdout=${9:-$base.out}
  tool_argv "$variant" "$tool" "$forks" "$cmd"
  timed_run "$variant" "$base" "$stdout"
  local failed
  if [ "$stdout" = /dev/null ]; then : >"$base.out"; fi
  failed=$(count_failed "$tool" "$n" "$base.out" "$base.err" "$run_rc")
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' \
    "$scenario" "$n" "$label" "$variant" "$tool" "$forks" "$rep" "$run_wall" "$run_user" "$run_sys" "$run_rss" \
    "$run_sshd_s" "$run_relay_s" "$failed" "$run_rc" >>"$results"
  log "  $scenario N=$n $label #$rep $variant: ${run_wall}s wall, $(awk -v u="$run_user" -v s="$run_sys" 'BEGIN{print u+s}')s CPU, ${run_rss} kB, sshd ${run_sshd_s}s, failed $failed, exit $run_rc"
  # Keep logs small: outputs of big runs are only needed when something failed.
  if [ "$failed" -eq 0 ]; then truncate -s '<64K' "$base.out" 2>/dev/null || true; fi
}

# reps_for SCENARIO N LABEL TOOL prints how many times to run one measurement.
reps_for() {
  if [ "$1" = main ] && [ "$3" = true ] && [ "$2" -lt $LARGE_N ] && [ "$4" != ansible ]; then
    echo "$reps"
  else
    echo "$reps_other"
  fi
}

# run_matrix SCENARIO N LABEL CMD: every variant, interleaved rep by rep so drifting
# machine load spreads over all tools alike.
run_matrix() {
  local scenario=$1 n=$2 label=$3 cmd=$4 rep variant tool forks most
  most=$(max "$(reps_for "$scenario" "$n" "$label" remotectl)" "$(reps_for "$scenario" "$n" "$label" ansible)")
  for ((rep = 1; rep <= most; rep++)); do
    while read -r variant tool forks; do
      [ "$rep" -le "$(reps_for "$scenario" "$n" "$label" "$tool")" ] || continue
      measure "$scenario" "$n" "$label" "$rep" "$variant" "$tool" "$forks" "$cmd"
    done < <(variants "$scenario" "$n")
  done
}

max() { if [ "$1" -ge "$2" ]; then echo "$1"; else echo "$2"; fi; }

# --- scenarios ----------------------------------------------------------------

scenario_main() {
  local n
  for n in $sizes; do
    start_fleet "$n" 1000:30:1000 0
    run_matrix main "$n" true true
    if [ "$n" -lt $LARGE_N ] || [ "$uname_large" = yes ]; then
      run_matrix main "$n" uname 'uname -a'
    fi
  done
}

secondary_sizes() {
  local n
  for n in $SECONDARY_SIZES; do
    if has "$sizes" "$n"; then echo "$n"; fi
  done
}

scenario_maxstartups() {
  local n
  for n in $(secondary_sizes); do
    start_fleet "$n" 10:30:100 0
    run_matrix maxstartups "$n" true true
  done
}

scenario_latency() {
  local n
  for n in $(secondary_sizes); do
    start_fleet "$n" 1000:30:1000 "$LATENCY_MS"
    run_matrix latency "$n" true true
  done
}

largest_size() {
  local -a all
  read -r -a all <<<"$sizes"
  printf '%s\n' "${all[@]}" | sort -n | tail -n 1
}

scenario_sleep() {
  has "$tools" remotectl || return 0
  local n rep
  n=$(largest_size)
  start_fleet "$n" 1000:30:1000 0
  for ((rep = 1; rep <= $(reps_for sleep "$n" "sleep$SLEEP_S" remotectl); rep++)); do
    measure sleep "$n" "sleep$SLEEP_S" "$rep" "remotectl-f$n" remotectl "$n" "sleep $SLEEP_S"
  done
}

scenario_throughput() {
  local n=$THROUGHPUT_N rep variant tool forks
  has "$sizes" "$n" || n=$(largest_size)
  local cmd="head -c 1000000 /dev/zero | tr '\\0' x | fold -w 100"
  start_fleet "$n" 1000:30:1000 0
  for ((rep = 1; rep <= $(reps_for throughput "$n" 1MB remotectl); rep++)); do
    while read -r variant tool forks; do
      case $variant in remotectl | pdsh) ;; *) continue ;; esac
      measure throughput "$n" 1MB "$rep" "$variant" "$tool" "$forks" "$cmd" /dev/null
    done < <(variants throughput "$n")
  done
}

# --- setup and report -------------------------------------------------------

write_tool_configs() {
  mkdir -p "$work/clush" "$work/ansible/home" "$work/ansible/tmp"
  # clush reads /etc/clustershell too; this file (last read) pins the defaults we compare.
  cat >"$work/clush/clush.conf" <<EOF
[Main]
fanout: 64
connect_timeout: 15
command_timeout: 0
color: never
fd_max: 8192
history_size: 100
node_count: yes
verbosity: 1
EOF
  # One SSH connection per host, as the other tools: pipelining runs the module over the
  # command's own connection, and ControlMaster=no keeps no master process behind that
  # would outlive (and be left out of) the measurement.
  cat >"$work/ansible/ansible.cfg" <<EOF
[defaults]
forks = 5
local_tmp = $work/ansible/tmp
host_key_checking = True
[ssh_connection]
ssh_args = -o ControlMaster=no
pipelining = True
EOF
}

write_machine_info() {
  local f=$run_dir/machine.tsv
  {
    printf 'date\t%s\n' "$(date -u '+%Y-%m-%d %H:%M UTC')"
    printf 'mode\t%s\n' "$mode"
    machine_info_host
    printf 'sizes\t%s\n' "$sizes"
    printf 'reps\t%s\n' "$reps"
    printf 'reps_other\t%s\n' "$reps_other"
    printf 'uname_large\t%s\n' "$uname_large"
    printf 'large_n\t%s\n' "$LARGE_N"
    printf 'ansible_max_n\t%s\n' "$ansible_max_n"
    printf 'latency_ms\t%s\n' "$LATENCY_MS"
    printf 'version remotectl\t%s\n' "$(version_of "$rc_bin" version)"
    printf 'version go\t%s\n' "$(version_of go version)"
    printf 'version openssh\t%s\n' "$(version_of ssh -V)"
    printf 'version pdsh\t%s\n' "$(version_of pdsh -V)"
    printf 'version pssh\t%s\n' "parallel-ssh $(version_of parallel-ssh --version)"
    printf 'version clush\t%s\n' "$(version_of clush --version)"
    printf 'version ansible\t%s\n' "$(version_of ansible --version)"
    printf 'version python3\t%s\n' "$(version_of python3 --version)"
    printf 'version testinfra\t%s\n' "$(dpkg-query -W -f='python3-testinfra ${Version}' python3-testinfra 2>/dev/null || echo missing)"
  } >"$f"
}

main() {
  parse_args "$@"
  cd "$repo_root"
  install_peers
  clk_tck=$(getconf CLK_TCK)
  make_work_dir rcbench

  run_dir=$repo_root/bench/results/$(date +%Y%m%d-%H%M%S)
  logs=$run_dir/logs
  results=$run_dir/results.tsv
  mkdir -p "$logs"
  ln -sfn "$(basename "$run_dir")" "$repo_root/bench/results/latest"
  printf 'scenario\tn\tcmd\tvariant\ttool\tforks\trep\twall_s\tuser_s\tsys_s\tmaxrss_kb\tsshd_cpu_s\trelay_cpu_s\tfailed\texit\n' >"$results"

  build_remotectl
  write_tool_configs
  write_machine_info

  local started=$SECONDS s
  for s in main maxstartups latency sleep throughput; do
    if has "$scenarios" "$s"; then
      log "scenario $s"
      "scenario_$s"
    fi
  done
  stop_fleet
  machine_info_after "$started"

  go run ./bench/mkreport -in "$run_dir" -out "$out"
  log "done in $((SECONDS - started))s: $out (raw numbers in $run_dir)"
}

main "$@"
