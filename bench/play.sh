#!/usr/bin/env bash
# Compares `remotectl play` with `ansible-playbook` (Debian's ansible-core, with its
# best settings: pipelining and ControlPersist) running the same 10-task role
# (bench/play/site.yml) on a loopback OpenSSH fleet (bench/fleet.sh), both from the
# fleet's Ansible inventory (inventory.ini), and writes docs/BENCHMARKS-play.md.
#
#   bench/play.sh [--hosts "20 200"] [--forks F] [--port P] [--no-install] [--out FILE]
#
#   --hosts LIST   fleet sizes, one fleet each (default "20 200")
#   --forks F      both tools' -f (default 64)
#   --port P       the fleet's sshd port (default 2222)
#
# For each size, each tool runs the playbook twice on a fresh state root: the first run
# makes every change, the second finds nothing to do (idempotence). remotectl runs
# twice more with --persist (its own agent, socket under the work directory): run 2
# reuses the connections run 1 left with the agent. Before anything is
# reported, the two tools must agree: every host ok in both recaps with the same
# changed counts, and the same files, contents and modes under their state roots.
# Timings are reported, never asserted. Raw numbers and logs go to
# bench/results/play-TIMESTAMP/. Needs root (the fleet's login user) and ansible-core.
set -euo pipefail

# shellcheck source-path=SCRIPTDIR
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# ControlPersist masters and the agent hold their connections between runs: wait for
# the sessions instead of the connections (lib.sh).
wait_settled() { wait_sessions_settled; }

repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
readonly repo_root
readonly PLAYBOOK=$repo_root/bench/play/site.yml
readonly MAXSTARTUPS=1000:30:1000

sizes="20 200"
forks=64
port=2222
install=yes
out=$repo_root/docs/BENCHMARKS-play.md

usage() {
  sed -n '2,20p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
  exit 64
}

parse_args() {
  while [ $# -gt 0 ]; do
    case $1 in
    --hosts) sizes=${2:?--hosts needs a list}; shift 2 ;;
    --forks) forks=${2:?--forks needs a number}; shift 2 ;;
    --port) port=${2:?--port needs a number}; shift 2 ;;
    --no-install) install=no; shift ;;
    --out) out=${2:?--out needs a file}; shift 2 ;;
    -h | --help) usage ;;
    *) die "unknown argument $1 (see bench/play.sh --help)" ;;
    esac
  done
}

# tool_argv TOOL STATE_ROOT sets argv to the tool's command line.
tool_argv() {
  local inv=$fleet_dir/inventory.ini
  case $1 in
  remotectl)
    argv=("$rc_bin" play -i "$inv" --ssh-config none --keep-runs 0 --color never -f "$forks"
      -e "state_root=$2" "$PLAYBOOK")
    ;;
  remotectl-persist) # through the agent: run 2 reuses the connections run 1 left with it
    argv=(env "XDG_RUNTIME_DIR=$work/xdg" "$rc_bin" play -i "$inv" --ssh-config none --keep-runs 0 --color never
      -f "$forks" --persist 10m -e "state_root=$2" "$PLAYBOOK")
    ;;
  ansible)
    argv=(env LC_ALL=C.UTF-8 "ANSIBLE_CONFIG=$work/ansible.cfg" "ANSIBLE_HOME=$work/ansible-home"
      ansible-playbook -i "$inv" -f "$forks" -e "state_root=$2" "$PLAYBOOK")
    ;;
  esac
}

# recap_of TOOL OUT prints "host ok changed failed unreachable" per host, sorted, from
# the PLAY RECAP both tools print.
recap_of() {
  sed -n '/PLAY RECAP/,$p' "$2" | awk '/ok=/ {
    host=$1; ok=ch=fa=un=0
    for (i = 2; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
    print host, v["ok"], v["changed"], v["failed"], v["unreachable"] }' | sort
}

# state_of DIR prints every file under DIR with its type, mode and checksum, paths
# relative to DIR.
state_of() {
  (cd "$1" && find . -printf '%y %m %P\n' | sort | while read -r type mode path; do
    if [ "$type" = f ]; then echo "$type $mode $path $(md5sum <"$path" | cut -c1-32)"; else echo "$type $mode $path"; fi
  done)
}

# measure TOOL N RUN: times one run and appends it to results.tsv.
measure() {
  local tool=$1 n=$2 run=$3 base=$logs/$1-$2-$3
  tool_argv "$tool" "$work/state-$tool-$n"
  [ "$run" -ne 1 ] || printf '%s\t%s\t%s\n' "$tool" "$n" "${argv[*]}" >>"$run_dir/commands.tsv"
  local pid='' t0='0 0'
  if [ "$tool" = remotectl-persist ] && [ "$run" -ne 1 ]; then pid=$(agent_pid) t0=$(agent_ticks "$pid"); fi
  timed_run "$tool" "$base" "$base.out"
  if [ "$tool" = remotectl-persist ]; then
    # The agent works for the run: its CPU counts as the run's.
    [ -n "$pid" ] || pid=$(agent_pid)
    read -r run_user run_sys < <(agent_ticks "$pid" | awk -v a="$t0" -v u="$run_user" -v s="$run_sys" -v hz="$clk_tck" \
      '{ split(a, b, " "); printf "%.2f %.2f\n", u + ($1 - b[1]) / hz, s + ($2 - b[2]) / hz }')
  fi
  recap_of "$tool" "$base.out" >"$base.recap"
  local hosts failed
  hosts=$(wc -l <"$base.recap")
  failed=$(awk '$4 != 0 || $5 != 0' "$base.recap" | wc -l)
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$tool" "$n" "$run" "$run_wall" "$run_user" "$run_sys" \
    "$run_rss" "$run_sshd_s" "$hosts" "$run_rc" >>"$results"
  log "  $tool $n hosts run $run: ${run_wall}s wall, $(awk -v u="$run_user" -v s="$run_sys" 'BEGIN { print u + s }')s client CPU, exit $run_rc"
  [ "$run_rc" -eq 0 ] && [ "$hosts" -eq "$n" ] && [ "$failed" -eq 0 ] ||
    die "$tool on $n hosts, run $run: exit $run_rc, $hosts hosts in the recap, $failed failed: see $base.out and $base.err"
}

# compare N TOOL: TOOL's recaps (run by run) and end state must be ansible-playbook's.
compare() {
  local n=$1 tool=$2 run
  for run in 1 2; do
    diff <(cut -d' ' -f1-3 "$logs/ansible-$n-$run.recap") <(cut -d' ' -f1-3 "$logs/$tool-$n-$run.recap") >"$logs/recap-$tool-$n-$run.diff" ||
      die "the recaps of run $run on $n hosts differ (host ok changed): $logs/recap-$tool-$n-$run.diff"
  done
  diff <(state_of "$work/state-ansible-$n") <(state_of "$work/state-$tool-$n") >"$logs/state-$tool-$n.diff" ||
    die "the end states on $n hosts differ: $logs/state-$tool-$n.diff"
  log "  $n hosts: $tool has ansible-playbook's recaps and end state ($(state_of "$work/state-ansible-$n" | wc -l) paths)"
}

# agent_pid prints the pid of the agent of remotectl-persist, nothing when none runs.
agent_pid() { env "XDG_RUNTIME_DIR=$work/xdg" "$rc_bin" agent status 2>/dev/null | awk '/^agent pid/ { print $3 + 0 }'; }

# agent_ticks PID prints the user and system CPU clock ticks of process PID.
agent_ticks() { awk '{ print $14, $15 }' "/proc/$1/stat"; }

# stop_agent stops the agent of remotectl-persist, if one runs.
stop_agent() { env "XDG_RUNTIME_DIR=$work/xdg" "$rc_bin" agent stop >/dev/null 2>&1 || true; }

write_ansible_cfg() {
  cat >"$work/ansible.cfg" <<CFG
[defaults]
local_tmp = $work/ansible-tmp
host_key_checking = True
gathering = explicit
[ssh_connection]
ssh_args = -o ControlMaster=auto -o ControlPersist=60s -o ControlPath=$work/cp-%%C
pipelining = True
CFG
}

write_report() {
  /usr/bin/python3 - "$results" "$out" "$run_dir" <<'PY'
import csv, sys, datetime
results, out, run_dir = sys.argv[1:4]
rows = list(csv.DictReader(open(results), delimiter="\t"))
by = {(r["tool"], r["hosts"], r["run"]): r for r in rows}
sizes = sorted({int(r["hosts"]) for r in rows})
cpu = lambda r: float(r["user_s"]) + float(r["sys_s"])
lines = ["# Benchmarks: remotectl play vs ansible-playbook", "",
         "Generated by `bench/play.sh` (" + datetime.datetime.utcnow().strftime("%Y-%m-%d %H:%M UTC") +
         "; raw numbers in " + run_dir.split("/bench/")[-1] + ", not committed).", "",
         "The same 10-task role (bench/play/site.yml: file, template with a handler, lineinfile, copy,",
         "blockinfile, user, command, stat, assert) on a loopback OpenSSH fleet, both tools reading the",
         "fleet's Ansible inventory. ansible-playbook runs with pipelining and ControlPersist; both with",
         "the same -f. Run 1 makes every change, run 2 finds none. Both tools' recaps and end states were",
         "compared and are the same (the script stops otherwise).", "",
         "| hosts | run | ansible-playbook wall | remotectl wall | wall ratio | ansible client CPU | remotectl client CPU | CPU ratio | sshd CPU (ansible / remotectl) |",
         "|---|---|---|---|---|---|---|---|---|"]
for n in sizes:
    for run in ("1", "2"):
        a, r = by.get(("ansible", str(n), run)), by.get(("remotectl", str(n), run))
        if not a or not r:
            continue
        lines.append(f"| {n} | {run} | {float(a['wall_s']):.2f} s | {float(r['wall_s']):.2f} s | "
                     f"**{float(r['wall_s'])/float(a['wall_s']):.3f}** | {cpu(a):.2f} s | {cpu(r):.2f} s | "
                     f"**{cpu(r)/cpu(a):.3f}** | {a['sshd_cpu_s']} s / {r['sshd_cpu_s']} s |")
lines += ["", "Target (issue: Ansible playbooks unchanged): wall ≤ 0.05× ansible-playbook's.", ""]
persist = [n for n in sizes if ("remotectl-persist", str(n), "1") in by and ("remotectl-persist", str(n), "2") in by]
if persist:
    lines += ["## Warm runs (`--persist`)", "",
              "`remotectl play --persist 10m` on a fresh state root, twice: run 1 starts the agent and leaves it the",
              "connections, run 2 runs every task on them (the agent's CPU is counted in the runs'). Its recaps and",
              "end state were compared with ansible-playbook's too. Run 2 ÷ run 1 for each tool (ansible-playbook's",
              "run 2 reuses its ControlPersist masters):", "",
              "| hosts | remotectl --persist run 1 | run 2 | run 2 ÷ run 1 | client CPU run 1 / run 2 | remotectl (cold) run 2 ÷ run 1 | ansible-playbook run 2 ÷ run 1 |",
              "|---|---|---|---|---|---|---|"]
    for n in persist:
        p1, p2 = by[("remotectl-persist", str(n), "1")], by[("remotectl-persist", str(n), "2")]
        ratio = lambda t: (f"{float(by[(t, str(n), '2')]['wall_s'])/float(by[(t, str(n), '1')]['wall_s']):.3f}"
                           if (t, str(n), "1") in by and (t, str(n), "2") in by else "–")
        lines.append(f"| {n} | {float(p1['wall_s']):.2f} s | {float(p2['wall_s']):.2f} s | "
                     f"**{float(p2['wall_s'])/float(p1['wall_s']):.3f}** | {cpu(p1):.2f} s / {cpu(p2):.2f} s | "
                     f"{ratio('remotectl')} | {ratio('ansible')} |")
    lines += ["", "Target (issue 17): run 2 ≤ 0.5× run 1 with `--persist`.", ""]
open(out, "w").write("\n".join(lines))
PY
}

main() {
  parse_args "$@"
  cd "$repo_root"
  command -v ansible-playbook >/dev/null 2>&1 || install_missing ansible-core
  command -v /usr/bin/time >/dev/null 2>&1 || install_missing time
  clk_tck=$(getconf CLK_TCK)
  make_work_dir rcplay
  run_dir=$repo_root/bench/results/play-$(date +%Y%m%d-%H%M%S)
  logs=$run_dir/logs
  results=$run_dir/results.tsv
  mkdir -p "$logs"
  printf 'tool\thosts\trun\twall_s\tuser_s\tsys_s\tmaxrss_kb\tsshd_cpu_s\trecap_hosts\texit\n' >"$results"
  build_remotectl
  install -d -m 0700 "$work/xdg" # the agent's socket: never the user's own agent
  trap 'stop_agent; cleanup' EXIT
  write_ansible_cfg
  { printf 'date\t%s\n' "$(date -u '+%Y-%m-%d %H:%M UTC')"; machine_info_host
    printf 'version ansible\t%s\n' "$(version_of ansible-playbook --version)"; } >"$run_dir/machine.tsv"
  local started=$SECONDS n tool run
  for n in $sizes; do
    fleet_dir=$work/fleet-$n
    "$repo_root/bench/fleet.sh" start "$n" --maxstartups "$MAXSTARTUPS" --port "$port" \
      --known-hosts-lines "$n" --ssh-config-blocks 1 "$fleet_dir" >&2
    read_fleet_env
    for tool in ansible remotectl remotectl-persist; do
      install -d -m 0777 "$work/state-$tool-$n"
      for run in 1 2; do measure "$tool" "$n" "$run"; done
    done
    stop_agent
    compare "$n" remotectl
    compare "$n" remotectl-persist
    stop_fleet
  done
  machine_info_after "$started"
  write_report
  log "done in $((SECONDS - started))s: $out (raw numbers in $run_dir)"
}

main "$@"
