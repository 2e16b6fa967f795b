#!/usr/bin/env bash
# Warm runs: `remotectl exec --persist` (connections held by the per-user agent between
# runs) against a cold remotectl run and Ansible's warm run (ControlPersist masters held
# between runs), `true` on a loopback OpenSSH fleet (bench/fleet.sh), and writes
# docs/BENCHMARKS-warm.md.
#
#   bench/warm.sh [--hosts "200 1000"] [--reps 5] [--ansible-max-n 200] [--port P]
#                 [--winrm-hosts 100] [--no-install] [--out FILE]
#
#   --hosts LIST        fleet sizes, one fleet each (default "200 1000")
#   --reps R            repetitions at each size (default 5)
#   --ansible-max-n N   Ansible runs on fleets of at most N hosts (default 200)
#   --winrm-hosts W     WinRM: W inventory names of one WS-Management test server
#                       (remote/remotetest/cmd/wsmanserver, NTLM-sealed over HTTP as a
#                       default Windows listener), each its own connection, `true` cold
#                       vs warm, once per repetition on the first fleet (default 100; 0: none)
#   --winrm-delay-ms D  latency added in each direction in front of that server
#                       (bench/delayrelay), as a site-to-site link would (default 20)
#   --port P            the fleet's sshd port (default 2222)
#   --report DIR        measure nothing: write the reports from the raw numbers of an
#                       earlier run (bench/results/warm-TIMESTAMP)
#
# Each repetition runs, one after the other on the same fleet: remotectl cold (no
# --persist); the agent stopped, remotectl --persist twice (the first opens and leaves
# the connections with the agent, the second is the warm run); then Ansible (-m command,
# pipelining, -f 64) twice with ControlMaster=auto and ControlPersist=60s, the second run
# reusing the masters the first left. Ratios are taken within a repetition (the machine
# may be shared: absolute times move, neighbouring runs see the same load), and the
# report gives their median and range. remotectl runs as bench/run.sh runs it: the
# fleet's inventory, its 1,000-block ssh_config and 10,000-line known_hosts, live text
# output, recap and run record. The agent works for the warm runs: its CPU is counted
# in theirs. Ansible's ControlPersist masters run outside the measured process tree:
# their CPU is not counted in its runs (it favours Ansible). After the last repetition
# the agent's resident memory is read with every host's connection held, against the
# same agent's with none. Timings are reported, never asserted. Raw numbers and logs
# go to bench/results/warm-TIMESTAMP/; the summary also goes to docs/BENCHMARKS.md (a
# section of its own, replaced at each run; not with --out). Needs root (the fleet's
# login user) and ansible-core.
set -euo pipefail

# shellcheck source-path=SCRIPTDIR
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
readonly repo_root
readonly MAXSTARTUPS=1000:30:1000
readonly ANSIBLE_FORKS=64
readonly PERSIST=10m

sizes="200 1000"
reps=5
ansible_max_n=200
winrm_hosts=100
winrm_delay_ms=20
port=2222
install=yes
out=$repo_root/docs/BENCHMARKS-warm.md
summary_doc=$repo_root/docs/BENCHMARKS.md # "" with --out: the summary goes nowhere else
fleet_dir=""
report_only=""

usage() {
  sed -n '2,38p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
  exit 64
}

parse_args() {
  while [ $# -gt 0 ]; do
    case $1 in
    --hosts) sizes=${2:?--hosts needs a list}; shift 2 ;;
    --reps) reps=${2:?--reps needs a number}; shift 2 ;;
    --ansible-max-n) ansible_max_n=${2:?--ansible-max-n needs a number}; shift 2 ;;
    --port) port=${2:?--port needs a number}; shift 2 ;;
    --winrm-hosts) winrm_hosts=${2:?--winrm-hosts needs a number}; shift 2 ;;
    --winrm-delay-ms) winrm_delay_ms=${2:?--winrm-delay-ms needs a number}; shift 2 ;;
    --no-install) install=no; shift ;;
    --out) out=${2:?--out needs a file} summary_doc=""; shift 2 ;;
    --report) report_only=${2:?--report needs a directory}; shift 2 ;;
    -h | --help) usage ;;
    *) die "unknown argument $1 (see bench/warm.sh --help)" ;;
    esac
  done
  local v
  for v in $sizes; do
    if ! [[ $v =~ ^[0-9]+$ ]] || [ "$v" -lt 1 ]; then die "--hosts: $v is not a host count"; fi
  done
  [[ $reps =~ ^[1-9][0-9]*$ ]] || die "--reps must be at least 1"
  [[ $ansible_max_n =~ ^[0-9]+$ ]] || die "--ansible-max-n must be a number"
  [[ $winrm_hosts =~ ^[0-9]+$ ]] || die "--winrm-hosts must be a number"
  [[ $winrm_delay_ms =~ ^[0-9]+$ ]] || die "--winrm-delay-ms must be a number"
  if ! [[ $port =~ ^[0-9]+$ ]] || [ "$port" -lt 1 ] || [ "$port" -gt 65535 ]; then die "--port must be 1..65535, not $port"; fi
}

# Held connections keep their sshd processes (the agent's, Ansible's masters'): wait
# for the sessions instead of the connections (lib.sh).
wait_settled() { wait_sessions_settled; }

# tool_argv VARIANT sets argv to the variant's command line running `true` everywhere.
tool_argv() {
  case $1 in
  remotectl-cold)
    argv=("${rc_cmd[@]}" exec -i "$fleet_dir/inventory.yaml" -H all --ssh-config "$fleet_dir/ssh_config" --color never -- true)
    ;;
  remotectl-persist1 | remotectl-warm)
    argv=("${rc_cmd[@]}" exec -i "$fleet_dir/inventory.yaml" -H all --ssh-config "$fleet_dir/ssh_config" --color never
      --persist "$PERSIST" -- true)
    ;;
  remotectl-winrm-cold)
    argv=(env "WSMAN_PASSWORD=$wsman_password" "${rc_cmd[@]}" exec -i "$work/winrm.yaml" -H all --color never -- true)
    ;;
  remotectl-winrm-persist1 | remotectl-winrm-warm)
    argv=(env "WSMAN_PASSWORD=$wsman_password" "${rc_cmd[@]}" exec -i "$work/winrm.yaml" -H all --color never
      --persist "$PERSIST" -- true)
    ;;
  ansible-cp1 | ansible-warm)
    argv=(env LC_ALL=C.UTF-8 "ANSIBLE_CONFIG=$work/ansible.cfg" "ANSIBLE_HOME=$work/ansible-home"
      ansible all -i "$fleet_dir/inventory.ini" -o -f "$ANSIBLE_FORKS" -m command -a true)
    ;;
  *) die "no command line for $1" ;;
  esac
}

# failed_hosts VARIANT N BASE prints how many of the N hosts did not run `true`, from
# the tool's own report.
failed_hosts() {
  local ok
  case $1 in
  remotectl-*) ok=$({ grep -aoE '^ok: [0-9]+' "$3.err" || true; } | tail -n 1 | cut -d' ' -f2) ;;
  ansible-*) ok=$(grep -acE '^[^ ]+ \| (CHANGED|SUCCESS) \| rc=0' "$3.out" || true) ;;
  esac
  echo $(($2 - ${ok:-0}))
}

# agent_pid prints the pid of the running agent, nothing when none runs.
agent_pid() { "${rc_cmd[@]}" agent status 2>/dev/null | awk '/^agent pid/ { print $3 + 0 }'; }

# agent_ticks PID prints the user and system CPU clock ticks of process PID.
agent_ticks() { awk '{ print $14, $15 }' "/proc/$1/stat"; }

# measure VARIANT N REP: times one run and appends it to results.tsv. The agent's CPU
# during a --persist run is added to the run's.
measure() {
  local variant=$1 n=$2 rep=$3 base=$logs/$1-$2-$3 pid='' t0=''
  tool_argv "$variant"
  [ "$rep" -ne 1 ] || printf '%s\t%s\t%s\n' "$variant" "$n" "${argv[*]}" >>"$run_dir/commands.tsv"
  if [ "$variant" = remotectl-warm ] || [ "$variant" = remotectl-winrm-warm ]; then
    pid=$(agent_pid)
    [ -n "$pid" ] || die "no agent runs before the warm run (see $logs/remotectl-persist1-$n-$rep.err)"
    t0=$(agent_ticks "$pid")
  fi
  timed_run "$variant" "$base" "$base.out"
  case $variant in remotectl-persist1 | remotectl-winrm-persist1) pid=$(agent_pid) t0="0 0" ;; esac
  local agent_s=0
  if [ -n "$pid" ]; then
    agent_s=$(agent_ticks "$pid" | awk -v a="$t0" -v hz="$clk_tck" '{ split(a, b, " "); printf "%.2f", ($1 - b[1] + $2 - b[2]) / hz }')
  fi
  local failed
  failed=$(failed_hosts "$variant" "$n" "$base")
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$variant" "$n" "$rep" "$run_wall" "$run_user" "$run_sys" \
    "$agent_s" "$run_sshd_s" "$failed" "$run_rc" >>"$results"
  log "  N=$n #$rep $variant: ${run_wall}s wall, $(awk -v u="$run_user" -v s="$run_sys" -v a="$agent_s" 'BEGIN { print u + s + a }')s client CPU (agent ${agent_s}s), sshd ${run_sshd_s}s, failed $failed, exit $run_rc"
  [ "$failed" -eq 0 ] || die "$variant on $n hosts, rep $rep: $failed hosts failed: see $base.out and $base.err"
  if [ "$failed" -eq 0 ]; then truncate -s '<64K' "$base.out" "$base.err" 2>/dev/null || true; fi
}

# stop_masters ends Ansible's ControlPersist masters, each through its control socket.
stop_masters() {
  local s
  for s in "$work"/cp-*; do
    [ -S "$s" ] || continue
    ssh -o "ControlPath=$s" -O exit placeholder >/dev/null 2>&1 || true
  done
}

# agent_memory N: the agent's resident memory with the fleet's N connections held,
# against the same agent's before it held any (appended to memory.tsv).
agent_memory() {
  local n=$1 pid rss0 rss1 held
  "${rc_cmd[@]}" agent stop >/dev/null 2>&1 || true
  "${rc_cmd[@]}" agent start --persist "$PERSIST"
  pid=$(agent_pid)
  rss0=$(awk '/^VmRSS/ { print $2 }' "/proc/$pid/status")
  tool_argv remotectl-warm
  "${argv[@]}" </dev/null >/dev/null 2>&1 || true
  "${argv[@]}" </dev/null >/dev/null 2>&1 || true # a second run: sessions on held connections
  sleep 4 # idle: the agent gives its free memory back after 2 s without a client
  rss1=$(awk '/^VmRSS/ { print $2 }' "/proc/$pid/status")
  held=$("${rc_cmd[@]}" agent status | awk '/connection\(s\) held/ { print $1 }')
  printf '%s\t%s\t%s\t%s\n' "$n" "$held" "$rss0" "$rss1" >>"$run_dir/memory.tsv"
  log "  N=$n: agent RSS ${rss0} kB holding nothing, ${rss1} kB holding $held connections"
  "${rc_cmd[@]}" agent stop >/dev/null 2>&1 || true
}

# start_wsman starts the WS-Management test server (NTLM with message encryption over
# plain HTTP, as a default Windows listener) behind a delay relay (winrm_delay_ms each
# way) and writes work/winrm.yaml: winrm_hosts names of the relay, each its own
# connection. It sets wsman_pid, wsman_relay_pid and wsman_password.
start_wsman() {
  go build -o "$work/bin/wsmanserver" ./remote/remotetest/cmd/wsmanserver
  go build -o "$work/bin/delayrelay" ./bench/delayrelay
  "$work/bin/wsmanserver" -seal >"$work/wsman.out" 2>"$work/wsman.err" &
  wsman_pid=$!
  local i url=''
  for i in $(seq 100); do
    url=$(sed -n 's/^URL: *//p' "$work/wsman.out")
    [ -z "$url" ] || break
    sleep 0.1
  done
  [ -n "$url" ] || die "wsmanserver did not start: $(cat "$work/wsman.err")"
  wsman_password=$(sed -n 's/^Password: *//p' "$work/wsman.out")
  local hostport=${url#http://} user relay_port
  hostport=${hostport%%/*}
  user=$(sed -n 's/^User: *//p' "$work/wsman.out")
  relay_port=$(/usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  "$work/bin/delayrelay" -delay "${winrm_delay_ms}ms" -pidfile "$work/wsman-relay.pid" "127.0.0.1:$relay_port=$hostport" &
  wsman_relay_pid=$!
  for i in $(seq 100); do
    [ ! -s "$work/wsman-relay.pid" ] || break
    sleep 0.1
  done
  [ -s "$work/wsman-relay.pid" ] || die "delayrelay did not start in front of wsmanserver"
  hostport=127.0.0.1:$relay_port
  {
    printf 'defaults:\n  transport: winrm\n  user: %s\n  port: %s\n' "$user" "${hostport##*:}"
    printf '  connection: { password_env: WSMAN_PASSWORD, winrm_https: false, winrm_auth: ntlm }\nhosts:\n'
    for i in $(seq "$winrm_hosts"); do printf '  w%03d: { address: %s }\n' "$i" "${hostport%:*}"; done
  } >"$work/winrm.yaml"
}

# winrm_measure REP measures `true` on the WinRM names: cold, then the agent stopped,
# --persist twice (the second is the warm run).
winrm_measure() {
  local rep=$1
  measure remotectl-winrm-cold "$winrm_hosts" "$rep"
  "${rc_cmd[@]}" agent stop >/dev/null 2>&1 || true
  measure remotectl-winrm-persist1 "$winrm_hosts" "$rep"
  measure remotectl-winrm-warm "$winrm_hosts" "$rep"
  "${rc_cmd[@]}" agent stop >/dev/null 2>&1 || true
}

write_ansible_cfg() {
  cat >"$work/ansible.cfg" <<CFG
[defaults]
local_tmp = $work/ansible-tmp
host_key_checking = True
[ssh_connection]
ssh_args = -o ControlMaster=auto -o ControlPersist=60s -o ControlPath=$work/cp-%%C
pipelining = True
CFG
}

write_report() {
  /usr/bin/python3 - "$results" "$run_dir/memory.tsv" "$out" "$run_dir" "$summary_doc" "$(cat "$run_dir/winrm-delay-ms" 2>/dev/null || echo "$winrm_delay_ms")" <<'PY'
import csv, sys, datetime, statistics
results, memory, out, run_dir, summary_doc, winrm_delay = sys.argv[1:7]
summary = []
rows = list(csv.DictReader(open(results), delimiter="\t"))
mem = list(csv.reader(open(memory), delimiter="\t"))
by = {(r["variant"], r["hosts"], r["rep"]): r for r in rows}
sizes = sorted({int(r["hosts"]) for r in rows if not r["variant"].startswith("remotectl-winrm-")})
wall = lambda r: float(r["wall_s"])
cpu = lambda r: float(r["user_s"]) + float(r["sys_s"]) + float(r["agent_s"])
def spread(xs, fmt="{:.3f}"):
    if not xs:
        return "–"
    return (fmt.format(statistics.median(xs)) + " (" + fmt.format(min(xs)) + "–" + fmt.format(max(xs)) + ")")
lines = ["# Benchmarks: warm runs (`--persist`)", "",
         "Generated by `bench/warm.sh` (" + datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC") +
         "; raw numbers in " + run_dir.split("/bench/")[-1] + ", not committed). Machine and load: see",
         "machine.tsv there; the machine is shared, so ratios are taken within one repetition (runs",
         "side by side) and given as median (min–max) over the repetitions.", "",
         "`true` on every host of a loopback OpenSSH fleet (bench/fleet.sh, MaxStartups 1000:30:1000, a",
         "10,000-line known_hosts and a 1,000-block ssh_config read by remotectl). *cold*: remotectl",
         "without `--persist`; *persist 1st*: the first run with `--persist` (agent started on demand,",
         "connections opened and left with it); *warm*: the second run with `--persist`; *Ansible warm*:",
         "`ansible -m command` (pipelining, -f 64) reusing the ControlPersist masters its previous run",
         "left. Client CPU is the run's user + system time, plus the agent's for `--persist` runs; the",
         "ControlPersist masters' CPU is not counted in Ansible's. sshd CPU is every process of the",
         "fleet's cgroup: the floor a new session costs the server (fork, exec, teardown).", ""]
for n in sizes:
    reps = sorted({r["rep"] for r in rows if r["hosts"] == str(n)}, key=int)
    has_ansible = any(("ansible-warm", str(n), k) in by for k in reps)
    lines += [f"## {n} hosts", "",
              "| rep | cold wall | persist 1st wall | warm wall | warm ÷ cold | Ansible warm wall | warm ÷ Ansible warm | client CPU per host cold / warm | sshd CPU per host cold / warm |",
              "|---|---|---|---|---|---|---|---|---|"]
    r_cold, r_ans, cpu_ratio = [], [], []
    for k in reps:
        c, p, w, a = (by.get((v, str(n), k)) for v in ("remotectl-cold", "remotectl-persist1", "remotectl-warm", "ansible-warm"))
        if not (c and w):
            continue
        r_cold.append(wall(w) / wall(c))
        cpu_ratio.append(cpu(w) / cpu(c))
        ans = "–"
        ra = "–"
        if a:
            r_ans.append(wall(w) / wall(a))
            ans, ra = f"{wall(a):.2f} s", f"**{wall(w)/wall(a):.3f}**"
        pw = f"{wall(p):.2f} s" if p else "–"
        lines.append(f"| {k} | {wall(c):.2f} s | {pw} | {wall(w):.2f} s | **{wall(w)/wall(c):.3f}** | {ans} | {ra} | "
                     f"{cpu(c)/n*1000:.2f} / {cpu(w)/n*1000:.2f} ms | "
                     f"{float(c['sshd_cpu_s'])/n*1000:.2f} / {float(w['sshd_cpu_s'])/n*1000:.2f} ms |")
    lines += ["", f"- warm ÷ cold wall: {spread(r_cold)} — target ≤ 0.25: "
              + ("met in every repetition" if r_cold and max(r_cold) <= 0.25 else
                 "met by the median" if r_cold and statistics.median(r_cold) <= 0.25 else "not met"),
              f"- warm client CPU ÷ cold client CPU (per host, agent included): {spread(cpu_ratio)} — target ≤ 1: "
              + ("met in every repetition" if cpu_ratio and max(cpu_ratio) <= 1 else
                 "met by the median" if cpu_ratio and statistics.median(cpu_ratio) <= 1 else "not met")]
    if has_ansible:
        lines.append(f"- warm ÷ Ansible warm wall: {spread(r_ans)} — target ≤ 0.3: "
                     + ("met in every repetition" if r_ans and max(r_ans) <= 0.3 else
                        "met by the median" if r_ans and statistics.median(r_ans) <= 0.3 else "not met"))
    else:
        lines.append("- Ansible not run at this size (--ansible-max-n).")
    warm_sshd = [float(by[("remotectl-warm", str(n), k)]["sshd_cpu_s"]) / n * 1000 for k in reps if ("remotectl-warm", str(n), k) in by]
    cold_sshd = [float(by[("remotectl-cold", str(n), k)]["sshd_cpu_s"]) / n * 1000 for k in reps if ("remotectl-cold", str(n), k) in by]
    summary.append(f"- **{n} hosts** ({len(r_cold)} repetitions): warm ÷ cold wall {spread(r_cold)} (target ≤ 0.25); "
                   + (f"warm ÷ Ansible warm {spread(r_ans)} (target ≤ 0.3); " if has_ansible else "")
                   + f"client CPU warm ÷ cold {spread(cpu_ratio)} (target ≤ 1); sshd CPU per session on a held "
                   f"connection {spread(warm_sshd, '{:.2f}')} ms vs {spread(cold_sshd, '{:.2f}')} ms per new connection.")
    lines.append(f"- The remaining floor: sshd CPU per new session on a held connection {spread(warm_sshd, '{:.2f}')} ms, "
                 f"per new connection {spread(cold_sshd, '{:.2f}')} ms; on {n} hosts and 2 cores a warm run cannot take "
                 f"less than {statistics.median(warm_sshd) * n / 1000 / 2:.2f} s.")
    lines.append("")
win = [r for r in rows if r["variant"].startswith("remotectl-winrm-")]
if win:
    wn = win[0]["hosts"]
    lines += ["## WinRM", "",
              f"`true` on {wn} inventory names of one WS-Management test server (remote/remotetest/cmd/wsmanserver,",
              "NTLM with message encryption over plain HTTP, as a default Windows listener; commands run by",
              "/bin/sh) behind bench/delayrelay (" + winrm_delay + " ms each way), each name its own connection:",
              "*cold* without `--persist` (TCP, NTLM handshake, shell",
              "created, command, shell deleted); *warm* the second `--persist` run (the held keep-alive connection",
              "and its NTLM context, the held shell: the command's own requests only). Client CPU includes the agent's.", "",
              "| rep | cold wall | persist 1st wall | warm wall | warm ÷ cold | client CPU per host cold / warm |",
              "|---|---|---|---|---|---|"]
    wr = []
    for k in sorted({r["rep"] for r in win}, key=int):
        c, p, w = (by.get((v, wn, k)) for v in ("remotectl-winrm-cold", "remotectl-winrm-persist1", "remotectl-winrm-warm"))
        if not (c and w):
            continue
        wr.append(wall(w) / wall(c))
        pw = f"{wall(p):.2f} s" if p else "–"
        lines.append(f"| {k} | {wall(c):.2f} s | {pw} | {wall(w):.2f} s | **{wall(w)/wall(c):.3f}** | "
                     f"{cpu(c)/int(wn)*1000:.2f} / {cpu(w)/int(wn)*1000:.2f} ms |")
    lines += ["", f"- WinRM warm ÷ cold wall: {spread(wr)} (no target of its own; the SSH targets above are the issue's)", ""]
    summary.append(f"- **WinRM, {wn} connections** ({len(wr)} repetitions): warm ÷ cold wall {spread(wr)}.")
mem_rows = [m for m in mem if len(m) == 4]
if mem_rows:
    lines += ["## Agent memory", "",
              "The agent's resident memory (VmRSS) with every host's connection held and idle, against the same",
              "agent's before it held any (after two `--persist` runs; the bound is 100 KB per idle held connection).", "",
              "| hosts | held | RSS holding none | RSS holding all | per held connection |", "|---|---|---|---|---|"]
    for n, held, r0, r1 in mem_rows:
        per = (int(r1) - int(r0)) / max(int(held), 1)
        lines.append(f"| {n} | {held} | {int(r0)/1024:.1f} MB | {int(r1)/1024:.1f} MB | **{per:.0f} KB** |")
    lines.append("")
# Notes written by hand below a "<!-- warm:notes" marker (profiles, analyses) are kept.
import os
notes = ""
if os.path.exists(out):
    kept = open(out).read()
    if "<!-- warm:notes" in kept:
        notes = kept[kept.index("<!-- warm:notes"):]
open(out, "w").write("\n".join(lines) + ("\n" + notes if notes else ""))
# docs/BENCHMARKS.md (bench/run.sh's report) gets the summary, between markers, before
# its "Not covered yet" section.
def play_summary(results_root):
    """The newest bench/play.sh run with remotectl --persist: run 2 ÷ run 1."""
    import glob, os
    for d in sorted(glob.glob(os.path.join(results_root, "play-*")), reverse=True):
        try:
            prows = list(csv.DictReader(open(os.path.join(d, "results.tsv")), delimiter="\t"))
        except OSError:
            continue
        pby = {(r["tool"], r["hosts"], r["run"]): r for r in prows}
        out = []
        for n in sorted({int(r["hosts"]) for r in prows}):
            p1, p2 = pby.get(("remotectl-persist", str(n), "1")), pby.get(("remotectl-persist", str(n), "2"))
            if p1 and p2:
                ratio = float(p2["wall_s"]) / float(p1["wall_s"])
                out.append(f"- **A 10-task play on {n} hosts**, twice with `--persist` (`bench/play.sh`, "
                           f"{os.path.basename(d)}): run 2 {float(p2['wall_s']):.2f} s ÷ run 1 {float(p1['wall_s']):.2f} s = "
                           f"**{ratio:.3f}** (target ≤ 0.5; details in [BENCHMARKS-play.md](BENCHMARKS-play.md)).")
        if out:
            return out
    return []

if summary_doc:
    import os, re
    block = ["<!-- warm:begin (bench/warm.sh writes this section) -->", "## Warm runs (`--persist`)", "",
             "`true` on every host, a second run with `--persist` (connections held by the agent) against a",
             "cold run and Ansible's warm run (ControlPersist), ratios within each repetition, median (min–max);",
             "details, per-repetition numbers and the agent's memory in [BENCHMARKS-warm.md](" +
             os.path.basename(out) + ") (" + datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d") + ").", ""]
    block += summary + play_summary(os.path.dirname(run_dir)) + ["<!-- warm:end -->", ""]
    doc = open(summary_doc).read() if os.path.exists(summary_doc) else ""
    text = "\n".join(block)
    if "<!-- warm:begin" in doc:
        doc = re.sub(r"<!-- warm:begin.*?<!-- warm:end -->\n?", lambda _: text, doc, flags=re.S)
    elif "## Not covered yet" in doc:
        doc = doc.replace("## Not covered yet", text + "\n## Not covered yet", 1)
    else:
        doc += "\n" + text
    open(summary_doc, "w").write(doc)
PY
}

main() {
  parse_args "$@"
  cd "$repo_root"
  if [ -n "$report_only" ]; then
    run_dir=$(cd "$report_only" && pwd) results=$run_dir/results.tsv
    [ -f "$results" ] || die "no results.tsv in $report_only"
    write_report
    log "wrote $out from $run_dir"
    return
  fi
  command -v ansible >/dev/null 2>&1 || install_missing ansible-core
  command -v /usr/bin/time >/dev/null 2>&1 || install_missing time
  clk_tck=$(getconf CLK_TCK)
  make_work_dir rcwarm
  run_dir=$repo_root/bench/results/warm-$(date +%Y%m%d-%H%M%S)
  logs=$run_dir/logs
  results=$run_dir/results.tsv
  mkdir -p "$logs"
  : >"$run_dir/memory.tsv"
  printf 'variant\thosts\trep\twall_s\tuser_s\tsys_s\tagent_s\tsshd_cpu_s\tfailed\texit\n' >"$results"
  build_remotectl
  # A HOME and runtime directory of the run's own: run records and the agent's socket
  # stay under the work directory, and the user's own agent is never touched.
  mkdir -p "$work/rchome" && install -d -m 0700 "$work/xdg"
  rc_cmd=(env -u XDG_STATE_HOME -u XDG_CONFIG_HOME "HOME=$work/rchome" "XDG_RUNTIME_DIR=$work/xdg" "$rc_bin")
  write_ansible_cfg
  { printf 'date\t%s\n' "$(date -u '+%Y-%m-%d %H:%M UTC')"; machine_info_host
    printf 'version ansible\t%s\n' "$(version_of ansible --version)"; } >"$run_dir/machine.tsv"
  trap '"${rc_cmd[@]}" agent stop >/dev/null 2>&1 || true; stop_masters; kill $wsman_pid $wsman_relay_pid 2>/dev/null || true; cleanup' EXIT
  local started=$SECONDS n rep first=yes
  wsman_pid='' wsman_relay_pid=''
  [ "$winrm_hosts" -eq 0 ] || start_wsman
  echo "$winrm_delay_ms" >"$run_dir/winrm-delay-ms"
  for n in $sizes; do
    fleet_dir=$work/fleet-$n
    "$repo_root/bench/fleet.sh" start "$n" --maxstartups "$MAXSTARTUPS" --port "$port" "$fleet_dir" >&2
    read_fleet_env
    for rep in $(seq "$reps"); do
      measure remotectl-cold "$n" "$rep"
      "${rc_cmd[@]}" agent stop >/dev/null 2>&1 || true
      measure remotectl-persist1 "$n" "$rep"
      measure remotectl-warm "$n" "$rep"
      "${rc_cmd[@]}" agent stop >/dev/null 2>&1 || true
      if [ "$n" -le "$ansible_max_n" ]; then
        stop_masters
        measure ansible-cp1 "$n" "$rep"
        measure ansible-warm "$n" "$rep"
        stop_masters
      fi
      if [ "$first" = yes ] && [ "$winrm_hosts" -gt 0 ]; then winrm_measure "$rep"; fi
    done
    first=no
    agent_memory "$n"
    stop_fleet
  done
  machine_info_after "$started"
  write_report
  log "done in $((SECONDS - started))s: $out (raw numbers in $run_dir)"
}

main "$@"
