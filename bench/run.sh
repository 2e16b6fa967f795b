#!/usr/bin/env bash
# Compares remotectl with pdsh, parallel-ssh, clush and Ansible on a loopback OpenSSH
# fleet (bench/fleet.sh), measures remotectl's own hot paths, and writes docs/BENCHMARKS.md.
#
#   bench/run.sh [--quick] [--sizes "50 200 1000"] [--reps 3] [--reps-other 1]
#                [--tools "remotectl pdsh pssh clush ansible"]
#                [--scenarios "micro main maxstartups latency sleep throughput"]
#                [--ansible-max-n 200] [--uname-large] [--port 2222] [--no-install]
#                [--out FILE]
#
# Options also read from the environment: BENCH_SIZES, BENCH_REPS, BENCH_REPS_OTHER,
# BENCH_TOOLS, BENCH_SCENARIOS, BENCH_ANSIBLE_MAX_N, BENCH_UNAME_LARGE=yes, BENCH_PORT.
# --quick: sizes "50 200", one run of everything, Ansible at 50 hosts only, throughput
# at 200 hosts. --port: the fleets' sshd port (the latency scenario also uses port+1000).
#
# Scenarios:
#   micro        no fleet: remotectl's Go benchmarks (go test -bench, saved in micro.txt)
#                and `remotectl inventory list` on a generated 100,000-host inventory
#   main         `true` and `uname -a` on N hosts, MaxStartups 1000:30:1000, for each N
#   maxstartups  `true` with OpenSSH's default MaxStartups 10:30:100, N = 200 and 1000
#   latency      `true` through bench/delayrelay adding 10 ms each way, N = 200 and 1000
#   sleep        `sleep 5` on the largest N with -f N: remotectl's peak memory
#   throughput   every host cats a 1 MB file (10,000 lines), remotectl's prefixed text vs
#                pdsh, at 1000 hosts (--quick: 200; the largest N when that is not a size)
#
# Every fleet has a 10,000-line known_hosts and a 1,000-block ssh_config (mostly
# filler for other hosts), read by every tool: remotectl runs with everything on
# (inventory, --ssh-config, known_hosts, live output, recap, run record), in a HOME of
# its own under the work directory so that its run records stay out of the real one.
# The budget (about 30 minutes on 2 cores): `true` in the main scenario below 1000 hosts
# runs --reps times and is what the summary ratios rest on; every other measurement runs
# --reps-other times, Ansible always so (a run at 200 hosts takes it ~40 s); Ansible
# stops at --ansible-max-n hosts; `uname -a` is skipped at 1000 hosts and more (it
# costs what `true` costs) unless --uname-large; at 1000 hosts the latency scenario runs
# remotectl and pdsh only (the OpenSSH-based tools are CPU-bound there either way).
# Raw numbers and logs go to bench/results/TIMESTAMP/ (results.tsv, machine.tsv,
# micro.txt, logs/).
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
readonly THROUGHPUT_N_FULL=1000
readonly THROUGHPUT_N_QUICK=200
readonly SLEEP_S=5
readonly KNOWN_HOSTS_LINES=10000 # the client files of every fleet (bench/fleet.sh)
readonly SSH_CONFIG_BLOCKS=1000
# The Go benchmarks of the micro scenario (a go test -bench expression).
# HostKeyCheck is the known_hosts benchmark's old name, KnownHostsCheck10k its new one.
readonly MICRO_BENCH='Coalesce10k|Load100k|Select100k|LineWriter|RunnerOutput|Text|KnownHostsCheck10k|SSHConfigResolve1000|Fold10k'
readonly MICRO_INVENTORY_HOSTS=100000 # half web, half db, in racks of 1000
readonly MICRO_INVENTORY_PATTERN='web*:&dc1:!web0001*'
readonly MICRO_INVENTORY_REPS=3

sizes=${BENCH_SIZES:-"50 200 1000"}
reps=${BENCH_REPS:-3}
reps_other=${BENCH_REPS_OTHER:-1}
tools=${BENCH_TOOLS:-"remotectl pdsh pssh clush ansible"}
scenarios=${BENCH_SCENARIOS:-"micro main maxstartups latency sleep throughput"}
ansible_max_n=${BENCH_ANSIBLE_MAX_N:-200}
uname_large=${BENCH_UNAME_LARGE:-no}
port=${BENCH_PORT:-2222}
throughput_n=$THROUGHPUT_N_FULL
install=yes
out=$repo_root/docs/BENCHMARKS.md
mode=full

usage() {
  sed -n '2,39p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
  exit 64
}

parse_args() {
  # --quick sets defaults that the other options, wherever they are, override.
  local a
  for a in "$@"; do
    if [ "$a" = --quick ]; then
      sizes="50 200" reps=1 reps_other=1 ansible_max_n=50 throughput_n=$THROUGHPUT_N_QUICK mode=quick
    fi
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
    --port) port=${2:?}; shift 2 ;;
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
  if ! [[ $port =~ ^[0-9]+$ ]] || [ "$port" -lt 1 ] || [ "$port" -gt 64535 ]; then die "--port must be 1..64535, not $port"; fi
  for v in $tools; do
    case $v in remotectl | pdsh | pssh | clush | ansible) ;; *) die "unknown tool $v" ;; esac
  done
  for v in $scenarios; do
    case $v in micro | main | maxstartups | latency | sleep | throughput) ;; *) die "unknown scenario $v" ;; esac
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

# start_fleet N MAXSTARTUPS DELAY_MS replaces the running fleet with one of N hosts,
# with full-size client files (KNOWN_HOSTS_LINES, SSH_CONFIG_BLOCKS).
start_fleet() {
  stop_fleet
  fleet_dir=$work/fleet-$1-${2//:/_}-$3
  "$repo_root/bench/fleet.sh" start "$1" --maxstartups "$2" --delay-ms "$3" --port "$port" \
    --known-hosts-lines "$KNOWN_HOSTS_LINES" --ssh-config-blocks "$SSH_CONFIG_BLOCKS" "$fleet_dir" >&2
  read_fleet_env
  # What the tools read, counted from the files themselves.
  machine_set known_hosts_lines "$(wc -l <"$(fleet_var KNOWN_HOSTS)")"
  machine_set ssh_config_blocks "$(grep -cE '^(Host|Match)[[:space:]]' "$(fleet_var SSH_CONFIG)")"
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
    if [ "$scenario" = main ]; then echo "remotectl-warm remotectl 64"; fi
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
# remotectl runs with everything on: the fleet's inventory, ssh_config and known_hosts,
# live text output, the recap and the run record. remotectl-warm runs with --persist
# through the agent (socket under the work directory), after an untimed run that
# opened the connections (see measure).
tool_argv() {
  local variant=$1 tool=$2 forks=$3 cmd=$4 dir=$fleet_dir
  case $tool in
  remotectl)
    argv=("${rc_cmd[@]}" exec -i "$dir/inventory.yaml" -H all --ssh-config "$dir/ssh_config" --color never)
    [ "$variant" != remotectl-warm ] || argv=(env "XDG_RUNTIME_DIR=$work" "${argv[@]}" --persist 10m)
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
  local agent_pid='' a0=''
  if [ "$variant" = remotectl-warm ]; then
    "${argv[@]}" >/dev/null 2>&1 || true # opens the connections the timed run reuses
    agent_pid=$(env "XDG_RUNTIME_DIR=$work" "${rc_cmd[@]}" agent status | awk '/^agent pid/ { print $3 + 0 }')
    a0=$(agent_cpu "$agent_pid")
  fi
  timed_run "$variant" "$base" "$stdout"
  if [ -n "$agent_pid" ]; then
    # The agent works for the run: its CPU counts as the run's.
    read -r run_user run_sys < <(agent_cpu "$agent_pid" | awk -v a="$a0" -v u="$run_user" -v s="$run_sys" -v hz="$(getconf CLK_TCK)" \
      '{ split(a, b, " "); printf "%.2f %.2f\n", u + ($1 - b[1]) / hz, s + ($2 - b[2]) / hz }')
  fi
  local failed
  if [ "$stdout" = /dev/null ]; then : >"$base.out"; fi
  failed=$(count_failed "$tool" "$n" "$base.out" "$base.err" "$run_rc")
  record_result "$scenario" "$n" "$label" "$variant" "$tool" "$forks" "$rep" "$failed"
  log "  $scenario N=$n $label #$rep $variant: ${run_wall}s wall, $(awk -v u="$run_user" -v s="$run_sys" 'BEGIN{print u+s}')s CPU, ${run_rss} kB, sshd ${run_sshd_s}s, failed $failed, exit $run_rc"
  # Keep logs small: outputs of big runs are only needed when something failed.
  if [ "$failed" -eq 0 ]; then truncate -s '<64K' "$base.out" 2>/dev/null || true; fi
}

# agent_cpu PID prints the user and system CPU clock ticks of process PID.
agent_cpu() { awk '{ print $14, $15 }' "/proc/$1/stat"; }

# record_result SCENARIO N LABEL VARIANT TOOL FORKS REP FAILED appends the last
# timed_run to results.tsv.
record_result() {
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' \
    "$1" "$2" "$3" "$4" "$5" "$6" "$7" "$run_wall" "$run_user" "$run_sys" "$run_rss" \
    "$run_sshd_s" "$run_relay_s" "$8" "$run_rc" >>"$results"
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

# --- the micro scenario (no fleet) ------------------------------------------------

# micro_packages prints the packages (./DIR) whose tests define a benchmark that
# MICRO_BENCH selects.
micro_packages() {
  grep -rlE --include='*_test.go' --exclude-dir=testdata --exclude-dir=.git \
    "^func Benchmark[A-Za-z0-9_]*($MICRO_BENCH)" . | xargs -r dirname | sort -u
}

# micro_go_bench runs remotectl's Go benchmarks into run_dir/micro.txt. A package that
# does not build or whose benchmark fails is logged and left in the file, where mkreport
# names it; the other packages' numbers still count.
micro_go_bench() {
  local pkgs rc=0
  mapfile -t pkgs < <(micro_packages)
  if [ ${#pkgs[@]} -eq 0 ]; then
    log "  no package has a benchmark matching $MICRO_BENCH"
    return 0
  fi
  log "  go test -bench over ${pkgs[*]}"
  machine_set micro_bench "$MICRO_BENCH"
  machine_set micro_packages "${pkgs[*]}"
  go test -run '^$' -bench "$MICRO_BENCH" -benchmem -count 1 "${pkgs[@]}" >"$run_dir/micro.txt" 2>&1 || rc=$?
  [ "$rc" -eq 0 ] || log "  go test -bench exited $rc (a package failed): see $run_dir/micro.txt"
  log "  $(grep -c '^Benchmark' "$run_dir/micro.txt" || true) benchmark results in micro.txt"
}

# micro_write_inventory FILE writes a remotectl inventory of MICRO_INVENTORY_HOSTS
# hosts (a multiple of 2000) in the shape of inventory/bench_test.go's: every host
# written out with an address and a variable; groups web and db holding one half each
# as a range (web[00001-50000]); racks of 1000 hosts, as ranges, with a variable; and
# data centres dc1 (the even racks) and dc2 (the odd ones) made of racks.
micro_write_inventory() {
  awk -v n="$MICRO_INVENTORY_HOSTS" '
    function name(i) { return i <= half ? sprintf("web%05d", i) : sprintf("db%05d", i - half) }
    function range(first, last) {
      if (first <= half) return sprintf("web[%05d-%05d]", first, last)
      return sprintf("db[%05d-%05d]", first - half, last - half)
    }
    BEGIN {
      half = n / 2
      racks = n / 1000
      print "# " n "-host remotectl inventory for the micro scenario of bench/run.sh."
      print "defaults:\n  user: deploy\n  connection: { connect_timeout: 5s }\n  vars: { env: prod }\nhosts:"
      for (i = 1; i <= n; i++) {
        printf "  %s: { address: 10.%d.%d.%d, vars: { slot: %d } }\n",
          name(i), int(i / 65536), int(i / 256) % 256, i % 256, i % 40
      }
      print "groups:"
      printf "  web:\n    hosts: [\"%s\"]\n    vars: { role: web }\n", range(1, half)
      printf "  db:\n    hosts: [\"%s\"]\n    vars: { role: db }\n", range(half + 1, n)
      for (r = 0; r < racks; r++) {
        printf "  rack%03d:\n    hosts: [\"%s\"]\n    vars: { switch: sw%03d }\n", r, range(r * 1000 + 1, r * 1000 + 1000), r
      }
      for (dc = 1; dc <= 2; dc++) {
        printf "  dc%d:\n    children: [", dc
        sep = ""
        for (r = dc - 1; r < racks; r += 2) { printf "%srack%03d", sep, r; sep = ", " }
        print "]"
      }
    }' >"$1"
}

# micro_inventory times `remotectl inventory list` selecting MICRO_INVENTORY_PATTERN
# (a union, an intersection and an exclusion: tens of thousands of hosts) from the
# generated inventory, MICRO_INVENTORY_REPS times, after one untimed run that counts
# the hosts selected.
micro_inventory() {
  local file=$work/inventory-${MICRO_INVENTORY_HOSTS}.yaml rep selected
  micro_write_inventory "$file"
  argv=("${rc_cmd[@]}" inventory list -i "$file" -H "$MICRO_INVENTORY_PATTERN" -o json)
  selected=$("${argv[@]}" </dev/null 2>"$logs/micro-inventory.err" |
    python3 -c 'import json, sys; print(len(json.load(sys.stdin)["hosts"]))') ||
    die "remotectl inventory list failed on $file: $(head -c 500 "$logs/micro-inventory.err")"
  machine_set micro_inventory_hosts "$MICRO_INVENTORY_HOSTS"
  machine_set micro_inventory_pattern "$MICRO_INVENTORY_PATTERN"
  machine_set micro_inventory_selected "$selected"
  for ((rep = 1; rep <= MICRO_INVENTORY_REPS; rep++)); do
    timed_run inventory "$logs/micro-inventory-$rep" /dev/null
    record_result micro "$MICRO_INVENTORY_HOSTS" inventory remotectl remotectl 0 "$rep" 0
    log "  inventory list of $selected of $MICRO_INVENTORY_HOSTS hosts #$rep: ${run_wall}s wall, ${run_rss} kB, exit $run_rc"
  done
}

scenario_micro() {
  micro_go_bench
  micro_inventory
}

# --- scenarios with a fleet --------------------------------------------------

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

# scenario_throughput: every host cats the fleet's out-1mb.txt (a file, so that the
# servers spend nothing on making the output), through remotectl's default text output
# and pdsh, both to /dev/null. At throughput_n hosts when that is one of the sizes, else
# at the largest size.
scenario_throughput() {
  local n=$throughput_n rep variant tool forks
  has "$sizes" "$n" || n=$(largest_size)
  start_fleet "$n" 1000:30:1000 0
  local file
  file=$(fleet_var OUTPUT_FILE)
  local cmd="cat $file"
  machine_set throughput_cmd "cat out-1mb.txt"
  machine_set throughput_bytes "$(stat -c %s "$file")"
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

# machine_set KEY VALUE appends a line to machine.tsv (a later line for the same key
# wins).
machine_set() { printf '%s\t%s\n' "$1" "$2" >>"$run_dir/machine.tsv"; }

write_machine_info() {
  local f=$run_dir/machine.tsv
  {
    printf 'date\t%s\n' "$(date -u '+%Y-%m-%d %H:%M UTC')"
    printf 'mode\t%s\n' "$mode"
    machine_info_host
    printf 'scenarios\t%s\n' "$scenarios"
    printf 'sizes\t%s\n' "$sizes"
    printf 'reps\t%s\n' "$reps"
    printf 'reps_other\t%s\n' "$reps_other"
    printf 'uname_large\t%s\n' "$uname_large"
    printf 'large_n\t%s\n' "$LARGE_N"
    printf 'ansible_max_n\t%s\n' "$ansible_max_n"
    printf 'latency_ms\t%s\n' "$LATENCY_MS"
    printf 'throughput_n\t%s\n' "$throughput_n"
    printf 'port\t%s\n' "$port"
    printf 'remotectl_ssh_config\tfleet\n' # --ssh-config DIR/ssh_config, not none
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
  rc_home=$work/rchome
  mkdir -p "$rc_home"
  rc_cmd=(env -u XDG_STATE_HOME -u XDG_CONFIG_HOME "HOME=$rc_home" "$rc_bin")
  write_tool_configs
  write_machine_info

  local started=$SECONDS s
  for s in micro main maxstartups latency sleep throughput; do
    if has "$scenarios" "$s"; then
      log "scenario $s"
      "scenario_$s"
    fi
  done
  stop_fleet
  # The agent of remotectl-warm, if any ran.
  env "XDG_RUNTIME_DIR=$work" "${rc_cmd[@]}" agent stop 2>/dev/null || true
  machine_info_after "$started"
  # The run records remotectl kept (it keeps the last 100): proof they were written.
  machine_set remotectl_run_records "$(find "$rc_home" -path '*/remotectl/runs/*.json' | wc -l)"

  go run ./bench/mkreport -in "$run_dir" -out "$out"
  log "done in $((SECONDS - started))s: $out (raw numbers in $run_dir)"
}

main "$@"
