#!/usr/bin/env bash
# A loopback OpenSSH fleet for benchmarks and demos.
#
#   bench/fleet.sh start N [--maxstartups SPEC] [--delay-ms D] [--port P]
#                          [--known-hosts-lines L] [--ssh-config-blocks B] DIR
#   bench/fleet.sh stop DIR
#   bench/fleet.sh env DIR        # prints FLEET_* variables: eval "$(bench/fleet.sh env DIR)"
#
# start runs N hosts on loopback addresses 127.1.X.Y (never 127.0.0.x), all on one
# port (default 2222), served by one sshd per 16 addresses (OpenSSH's MAX_LISTEN_SOCKS).
# The hosts share one ed25519 host key; the login user is "rcbench" (created when run as
# root) or, when not root, the current user. MaxStartups defaults to OpenSSH's
# 10:30:100 and is always written out; use 1000:30:1000 for fan-out without drops.
# --delay-ms D puts bench/delayrelay in front of each sshd (sshd then listens on port
# P+1000) to add D ms to each direction of every connection.
#
# The client files are as big as a real site's, so that every tool pays for reading
# them: known_hosts has L lines (default 10,000, at least N): filler entries for hosts
# outside the fleet first (names, 10.x addresses, [name]:2200 entries, about half of
# them hashed by ssh-keygen -H, wildcards, @revoked lines and one @cert-authority line,
# all with filler keys generated at each start into DIR/filler-keys), then the fleet's
# N entries, so a linear scan reads the whole file. ssh_config has B blocks (default
# 1,000, at least 1): B-1 filler Host blocks (every 10th a wildcard, one or two Match
# blocks), none matching 127.1.*, then the fleet's `Host 127.1.*` block.
#
# DIR receives: hosts.txt (one address per line), inventory.yaml (remotectl),
# inventory.ini (Ansible), ssh_config (for ssh -F: pdsh, pssh, clush), known_hosts,
# id_ed25519 (the login key), out-1mb.txt (1,000,000 bytes in 10,000 lines of 100 bytes,
# for output benchmarks: cat DIR/out-1mb.txt), filler-keys/, fleet.env, and the
# sshd/relay configs, pid files and logs.
# As root, the sshd listeners are moved into a CPU-accounting cgroup of their own
# (FLEET_CGROUP_CPU in fleet.env: a file counting nanoseconds or microseconds), so every
# process serving a connection is counted, even one that is reparented when it exits.
# stop kills every sshd (with its connection processes) and relay that start left
# running in DIR, found through their pid files and the cgroup, and removes the cgroup.
set -euo pipefail

readonly SSHD=/usr/sbin/sshd
readonly ADDRS_PER_SSHD=16 # OpenSSH's MAX_LISTEN_SOCKS
readonly MAX_HOSTS=4064    # 254 addresses per 127.1.X block, 16 blocks
readonly BENCH_USER=rcbench
readonly STOP_TIMEOUT_S=10
readonly START_TIMEOUT_S=30
readonly DEFAULT_KNOWN_HOSTS_LINES=10000
readonly DEFAULT_SSH_CONFIG_BLOCKS=1000
readonly OUTPUT_LINES=10000 # out-1mb.txt: 10,000 lines of 100 bytes
repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
readonly repo_root

die() {
  echo "fleet.sh: $*" >&2
  exit 1
}

usage() {
  sed -n '2,8p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
  exit 64
}

# addr_of I prints the address of host I (0-based): 127.1.X.Y with Y in 1..254.
addr_of() {
  echo "127.1.$(($1 / 254)).$(($1 % 254 + 1))"
}

ensure_sshd() {
  [ -x "$SSHD" ] && return
  [ "$(id -u)" -eq 0 ] || die "$SSHD is missing; install openssh-server (as root: apt-get install openssh-server)"
  echo "fleet.sh: installing openssh-server" >&2
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends openssh-server >/dev/null
}

# ensure_user prints the login user, creating $BENCH_USER when running as root.
ensure_user() {
  if [ "$(id -u)" -ne 0 ]; then
    id -un
    return
  fi
  if ! id "$BENCH_USER" >/dev/null 2>&1; then
    useradd --create-home --home-dir "/home/$BENCH_USER" --shell /bin/sh "$BENCH_USER"
  fi
  # With UsePAM no, sshd refuses accounts whose password field starts with "!"
  # (locked), which is how useradd leaves them: "*" means no password, not locked.
  if [ "$(getent shadow "$BENCH_USER" | cut -d: -f2 | cut -c1)" = "!" ]; then
    usermod -p '*' "$BENCH_USER"
  fi
  local home
  home=$(getent passwd "$BENCH_USER" | cut -d: -f6)
  if [ ! -d "$home" ]; then
    install -d -m 0755 -o "$BENCH_USER" -g "$(id -gn "$BENCH_USER")" "$home"
  fi
  echo "$BENCH_USER"
}

# check_traversable DIR fails unless every directory down to DIR can be entered by
# others: sshd reads AuthorizedKeysFile as the login user.
check_traversable() {
  local d=$1
  while [ "$d" != / ]; do
    if [ "$(stat -c %A "$d" | cut -c10)" != x ] && [ "$(stat -c %A "$d" | cut -c10)" != t ]; then
      die "$d is not searchable by other users, so sshd cannot read $1/authorized_keys as the login user; chmod o+x $d or use a directory under /tmp"
    fi
    d=$(dirname "$d")
  done
}

# openssh_at_least MAJOR MINOR: is the installed OpenSSH at least that version?
openssh_at_least() {
  local major minor
  read -r major minor < <(ssh -V 2>&1 | sed -n 's/^OpenSSH_\([0-9]*\)\.\([0-9]*\).*/\1 \2/p')
  [ -n "$major" ] || return 1
  [ "$major" -gt "$1" ] || { [ "$major" -eq "$1" ] && [ "$minor" -ge "$2" ]; }
}

# write_sshd_config K USER ADDR... writes DIR/sshd-K.conf for sshd instance K.
write_sshd_config() {
  local k=$1 user=$2
  shift 2
  {
    echo "# Written by bench/fleet.sh: sshd $k of the fleet in $dir."
    local a
    for a in "$@"; do echo "ListenAddress $a:$sshd_port"; done
    cat <<EOF
HostKey $dir/ssh_host_ed25519_key
PidFile $dir/sshd-$k.pid
AuthorizedKeysFile $dir/authorized_keys
AllowUsers $user
AddressFamily inet
UsePAM no
StrictModes no
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin no
MaxStartups $maxstartups
MaxSessions 10
LogLevel ERROR
UseDNS no
PrintMotd no
PrintLastLog no
X11Forwarding no
AllowTcpForwarding no
AllowAgentForwarding no
Subsystem sftp internal-sftp
EOF
    # Every client connects from 127.0.0.1: never penalise it (OpenSSH >= 9.8).
    if openssh_at_least 9 8; then echo "PerSourcePenalties no"; fi
  } >"$dir/sshd-$k.conf"
}

# wait_tcp ADDR:PORT... waits until every address accepts a TCP connection.
wait_tcp() {
  local deadline=$((SECONDS + START_TIMEOUT_S)) ap
  for ap in "$@"; do
    until (exec 3<>"/dev/tcp/${ap%:*}/${ap##*:}") 2>/dev/null; do
      if [ $SECONDS -ge $deadline ]; then
        echo "fleet.sh: $ap does not accept connections after ${START_TIMEOUT_S}s; logs:" >&2
        tail -n 5 "$dir"/*.log >&2 2>/dev/null || true
        return 1
      fi
      sleep 0.1
    done
  done
}

# running_pid FILE prints the pid in FILE if that process is alive and was started
# for this fleet (its command line names DIR), so a stale pid file never kills a
# stranger.
running_pid() {
  local pid
  pid=$(cat "$1" 2>/dev/null) || return 1
  [[ $pid =~ ^[0-9]+$ ]] || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "$dir/" || return 1
  echo "$pid"
}

# alive PID: is the process there and not a zombie waiting to be reaped?
alive() {
  local stat
  stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
  stat=${stat##*) }
  [ "${stat%% *}" != Z ]
}

# descendants PID prints every descendant of PID (deepest last).
descendants() {
  local c kids
  read -r -a kids <<<"$(cat /proc/"$1"/task/*/children 2>/dev/null)" # space-separated pids
  for c in "${kids[@]}"; do
    echo "$c"
    descendants "$c"
  done
}

# make_cgroup prints "DIR FILE UNIT" for a new CPU-accounting cgroup named after the
# fleet: cgroup v2 (cpu.stat usage_usec) or v1 (cpuacct.usage, nanoseconds). It prints
# nothing when neither can be made (not root, or no cgroup file system).
make_cgroup() {
  [ "$(id -u)" -eq 0 ] || return 0
  local name
  name=rcbench-fleet-$(echo "$dir" | md5sum | cut -c1-12)
  if [ -f /sys/fs/cgroup/cgroup.controllers ]; then
    mkdir -p "/sys/fs/cgroup/$name" 2>/dev/null && echo "/sys/fs/cgroup/$name cpu.stat usec"
  elif [ -d /sys/fs/cgroup/cpuacct ]; then
    mkdir -p "/sys/fs/cgroup/cpuacct/$name" 2>/dev/null && echo "/sys/fs/cgroup/cpuacct/$name cpuacct.usage nsec"
  fi
  return 0
}

# cgroup_dir prints the fleet's cgroup directory, if it has one.
cgroup_dir() {
  [ -f "$dir/cgroup" ] && cut -d' ' -f1 "$dir/cgroup"
  return 0
}

# make_filler_keys writes the public keys of the known_hosts filler to DIR/filler-keys
# (new ones at every start: never the fleet's host key or login key) and prints them,
# one "TYPE BASE64" a line.
make_filler_keys() {
  local d=$dir/filler-keys spec ktype bits name
  rm -rf "$d"
  mkdir -p "$d"
  for spec in ed25519:256:ed25519-a ed25519:256:ed25519-b ecdsa:256:ecdsa rsa:2048:rsa; do
    IFS=: read -r ktype bits name <<<"$spec"
    ssh-keygen -q -t "$ktype" -b "$bits" -N '' -C "filler-$name" -f "$d/$name"
    rm -f "$d/$name" # only the public half is used
    cut -d' ' -f1,2 "$d/$name.pub"
  done
}

# write_known_hosts LINES HOSTKEY writes DIR/known_hosts: LINES - N filler lines for
# hosts outside the fleet, then the fleet's N entries with HOSTKEY ("TYPE BASE64").
# The filler: one @cert-authority line for *.example.net, every 1000th line a @revoked
# line and as many wildcard entries, the rest names, 10.x addresses and [name]:2200
# entries, every other one hashed as HashKnownHosts writes it (ssh-keygen -H).
write_known_hosts() {
  local lines=$1 hostkey=$2 keys got
  local plain=$dir/known_hosts.plain hashed=$dir/known_hosts.hashed
  keys=$(make_filler_keys)
  : >"$plain"
  : >"$hashed"
  awk -v count=$((lines - n)) -v keys="$keys" -v plain="$plain" -v hashed="$hashed" '
    BEGIN {
      nkeys = split(keys, key, "\n")
      for (i = 0; i < count; i++) {
        k = key[i % nkeys + 1]
        if (i == 0) { print "@cert-authority *.example.net " k > plain; continue }
        if (i % 1000 == 500) { printf "@revoked srv-%05d.example.net %s\n", i, k > plain; continue }
        if (i % 1000 == 250) { printf "*.dc%d.example.net %s\n", int(i / 1000) % 10, k > plain; continue }
        if (i % 3 == 0) host = sprintf("10.%d.%d.%d", int(i / 65536) % 256, int(i / 256) % 256, i % 256)
        else if (i % 7 == 0) host = sprintf("[srv-%05d.example.net]:2200", i)
        else host = sprintf("srv-%05d.example.net", i)
        print host, k > (i % 2 ? hashed : plain)
      }
    }'
  if [ -s "$hashed" ]; then
    ssh-keygen -H -f "$hashed" >/dev/null 2>&1 || die "ssh-keygen -H -f $hashed failed"
    rm -f "$hashed.old"
  fi
  {
    cat "$plain" "$hashed"
    # ADDR, or [ADDR]:PORT off port 22, as known_hosts writes them.
    awk -v port="$port" -v key="$hostkey" '{ print (port == 22 ? $0 : "[" $0 "]:" port), key }' "$dir/hosts.txt"
  } >"$dir/known_hosts"
  rm -f "$plain" "$hashed"
  got=$(wc -l <"$dir/known_hosts")
  [ "$got" -eq "$lines" ] || die "wrote $got lines to $dir/known_hosts, want $lines"
}

# write_ssh_config BLOCKS USER KEY writes DIR/ssh_config: BLOCKS - 1 filler blocks that
# never match 127.1.* (Host srv-NNNNN.example.net, every 10th a wildcard, a third and
# two thirds of the way a Match block), then the fleet's Host 127.1.* block.
write_ssh_config() {
  local blocks=$1 user=$2 key=$3
  {
    echo "# OpenSSH client settings for the loopback fleet in $dir (ssh -F this file):"
    echo "# $((blocks - 1)) filler blocks for hosts outside the fleet, then the fleet's block."
    echo
    awk -v count=$((blocks - 1)) '
      BEGIN {
        for (j = 0; j < count; j++) {
          dc = int(j / 10)
          if (count >= 3 && j == int(count / 3)) {
            print "Match user deploy\n  IdentityFile ~/.ssh/deploy_ed25519\n  ForwardAgent no\n"
          } else if (count >= 3 && j == int(2 * count / 3)) {
            print "Match host *.example.org\n  User ops\n  ServerAliveInterval 30\n"
          } else if (j % 10 == 9) {
            printf "Host *.dc%d.example.net\n  User dc%d\n  Port 2200\n  IdentityFile ~/.ssh/dc%d_ed25519\n\n", dc, dc, dc
          } else {
            k = j + 1
            printf "Host srv-%05d.example.net\n  HostName 10.%d.%d.%d\n  User deploy\n  Port %d\n  IdentityFile ~/.ssh/srv_%05d\n\n",
              k, int(k / 65536) % 256, int(k / 256) % 256, k % 256, 2200 + k % 100, k
          }
        }
      }'
    cat <<EOF
Host 127.1.*
  Port $port
  User $user
  IdentityFile $key
  IdentitiesOnly yes
  IdentityAgent none
  UserKnownHostsFile $dir/known_hosts
  GlobalKnownHostsFile /dev/null
  StrictHostKeyChecking yes
  BatchMode yes
  ControlMaster no
  LogLevel ERROR
EOF
  } >"$dir/ssh_config"
}

# write_output_file writes DIR/out-1mb.txt, readable by the login user: OUTPUT_LINES
# lines of 100 bytes (99 characters and a newline), what output benchmarks cat.
write_output_file() {
  awk -v lines=$OUTPUT_LINES 'BEGIN {
    pad = sprintf("%88s", ""); gsub(/ /, "x", pad)
    for (i = 1; i <= lines; i++) printf "line %05d %s\n", i, pad
  }' >"$dir/out-1mb.txt"
  chmod 0644 "$dir/out-1mb.txt"
}

write_client_files() {
  local user=$1 key=$dir/id_ed25519 hostkey i
  hostkey=$(cut -d' ' -f1,2 "$dir/ssh_host_ed25519_key.pub")
  : >"$dir/hosts.txt"
  for ((i = 0; i < n; i++)); do addr_of "$i" >>"$dir/hosts.txt"; done
  write_known_hosts "$known_hosts_lines" "$hostkey"
  write_ssh_config "$ssh_config_blocks" "$user" "$key"
  write_output_file

  {
    echo "# remotectl inventory of the loopback fleet in $dir (bench/fleet.sh)."
    echo "defaults:"
    echo "  user: $user"
    echo "  port: $port"
    echo "  connection:"
    echo "    identity_file: $key"
    echo "    identities_only: true"
    echo "    known_hosts_file: $dir/known_hosts"
    echo "    host_key_policy: strict"
    echo "hosts:"
    sed 's/^\(.*\)$/  \1: {}/' "$dir/hosts.txt"
  } >"$dir/inventory.yaml"

  {
    echo "# Ansible inventory of the loopback fleet in $dir (bench/fleet.sh)."
    echo "[fleet]"
    cat "$dir/hosts.txt"
    echo
    echo "[fleet:vars]"
    echo "ansible_user=$user"
    echo "ansible_port=$port"
    echo "ansible_ssh_private_key_file=$key"
    echo "ansible_ssh_common_args='-o UserKnownHostsFile=$dir/known_hosts -o GlobalKnownHostsFile=/dev/null -o StrictHostKeyChecking=yes -o IdentitiesOnly=yes -o IdentityAgent=none'"
    echo "ansible_python_interpreter=/usr/bin/python3"
  } >"$dir/inventory.ini"

  cat >"$dir/fleet.env" <<EOF
FLEET_DIR=$dir
FLEET_N=$n
FLEET_PORT=$port
FLEET_USER=$user
FLEET_MAXSTARTUPS=$maxstartups
FLEET_DELAY_MS=$delay_ms
FLEET_HOSTS=$dir/hosts.txt
FLEET_INVENTORY=$dir/inventory.yaml
FLEET_ANSIBLE_INVENTORY=$dir/inventory.ini
FLEET_SSH_CONFIG=$dir/ssh_config
FLEET_SSH_CONFIG_BLOCKS=$ssh_config_blocks
FLEET_KNOWN_HOSTS=$dir/known_hosts
FLEET_KNOWN_HOSTS_LINES=$known_hosts_lines
FLEET_KEY=$dir/id_ed25519
FLEET_OUTPUT_FILE=$dir/out-1mb.txt
FLEET_CGROUP=$cgroup
FLEET_CGROUP_CPU=$cgroup_cpu
FLEET_CGROUP_UNIT=$cgroup_unit
EOF
}

cmd_start() {
  n="" dir="" maxstartups=10:30:100 delay_ms=0 port=2222
  known_hosts_lines=$DEFAULT_KNOWN_HOSTS_LINES ssh_config_blocks=$DEFAULT_SSH_CONFIG_BLOCKS
  while [ $# -gt 0 ]; do
    case $1 in
    --maxstartups) maxstartups=${2:?--maxstartups needs a value like 10:30:100}; shift 2 ;;
    --maxstartups=*) maxstartups=${1#*=}; shift ;;
    --delay-ms) delay_ms=${2:?--delay-ms needs a number}; shift 2 ;;
    --delay-ms=*) delay_ms=${1#*=}; shift ;;
    --port) port=${2:?--port needs a number}; shift 2 ;;
    --port=*) port=${1#*=}; shift ;;
    --known-hosts-lines) known_hosts_lines=${2:?--known-hosts-lines needs a number}; shift 2 ;;
    --known-hosts-lines=*) known_hosts_lines=${1#*=}; shift ;;
    --ssh-config-blocks) ssh_config_blocks=${2:?--ssh-config-blocks needs a number}; shift 2 ;;
    --ssh-config-blocks=*) ssh_config_blocks=${1#*=}; shift ;;
    -*) die "unknown option $1" ;;
    *)
      if [ -z "$n" ]; then n=$1; elif [ -z "$dir" ]; then dir=$1; else die "unexpected argument $1"; fi
      shift
      ;;
    esac
  done
  if [ -z "$n" ] || [ -z "$dir" ]; then usage; fi
  if ! [[ $n =~ ^[0-9]+$ ]] || [ "$n" -lt 1 ] || [ "$n" -gt $MAX_HOSTS ]; then die "N must be 1..$MAX_HOSTS, not $n"; fi
  [[ $maxstartups =~ ^[0-9]+(:[0-9]+:[0-9]+)?$ ]] || die "--maxstartups $maxstartups: want START or START:RATE:FULL (e.g. 10:30:100)"
  [[ $delay_ms =~ ^[0-9]+$ ]] || die "--delay-ms must be a whole number of milliseconds, not $delay_ms"
  if ! [[ $port =~ ^[0-9]+$ ]] || [ "$port" -lt 1 ] || [ "$port" -gt 64535 ]; then die "--port must be 1..64535, not $port"; fi
  if ! [[ $known_hosts_lines =~ ^[0-9]+$ ]] || [ "$known_hosts_lines" -lt "$n" ]; then
    die "--known-hosts-lines must be a number of at least N ($n, one line per host), not $known_hosts_lines"
  fi
  if ! [[ $ssh_config_blocks =~ ^[0-9]+$ ]] || [ "$ssh_config_blocks" -lt 1 ]; then
    die "--ssh-config-blocks must be at least 1 (the fleet's own block), not $ssh_config_blocks"
  fi

  mkdir -p "$dir"
  dir=$(cd "$dir" && pwd)
  local f
  for f in "$dir"/sshd-*.pid "$dir"/relay-*.pid; do
    if [ -e "$f" ] && running_pid "$f" >/dev/null; then
      die "a fleet is already running in $dir; stop it first: bench/fleet.sh stop $dir"
    fi
  done
  rm -f "$dir"/sshd-*.pid "$dir"/relay-*.pid "$dir"/sshd-*.conf "$dir"/*.log "$dir/cgroup"

  ensure_sshd
  local user
  user=$(ensure_user)
  chmod 0755 "$dir"
  check_traversable "$dir"
  [ "$(id -u)" -ne 0 ] || install -d -m 0755 /run/sshd # sshd's privilege-separation directory

  [ -f "$dir/id_ed25519" ] || ssh-keygen -q -t ed25519 -N '' -C "$user@fleet" -f "$dir/id_ed25519"
  [ -f "$dir/ssh_host_ed25519_key" ] || ssh-keygen -q -t ed25519 -N '' -C fleet-host -f "$dir/ssh_host_ed25519_key"
  install -m 0644 "$dir/id_ed25519.pub" "$dir/authorized_keys"

  # With a relay, sshd moves to a private port and the relay takes the public one.
  sshd_port=$port
  local relay=""
  if [ "$delay_ms" -gt 0 ]; then
    sshd_port=$((port + 1000))
    mkdir -p "$dir/bin"
    relay=$dir/bin/delayrelay
    (cd "$repo_root" && go build -o "$relay" ./bench/delayrelay) || die "building bench/delayrelay failed (is Go installed?)"
  fi

  local instances=$(((n + ADDRS_PER_SSHD - 1) / ADDRS_PER_SSHD)) k i addrs=() sshd_aps=() relay_aps=()
  for ((k = 0; k < instances; k++)); do
    addrs=()
    for ((i = k * ADDRS_PER_SSHD; i < n && i < (k + 1) * ADDRS_PER_SSHD; i++)); do
      addrs+=("$(addr_of "$i")")
    done
    write_sshd_config "$k" "$user" "${addrs[@]}"
    "$SSHD" -f "$dir/sshd-$k.conf" -E "$dir/sshd-$k.log" ||
      die "sshd $k did not start: $(tail -n 3 "$dir/sshd-$k.log" 2>/dev/null)"
    local a pairs=()
    for a in "${addrs[@]}"; do
      sshd_aps+=("$a:$sshd_port")
      relay_aps+=("$a:$port")
      pairs+=("$a:$port=$a:$sshd_port")
    done
    if [ -n "$relay" ]; then
      setsid "$relay" -delay "${delay_ms}ms" -pidfile "$dir/relay-$k.pid" "${pairs[@]}" \
        </dev/null >>"$dir/relay-$k.log" 2>&1 &
    fi
  done
  wait_tcp "${sshd_aps[@]}" || { cmd_stop "$dir" >/dev/null 2>&1; die "the fleet did not come up"; }
  if [ -n "$relay" ]; then
    wait_tcp "${relay_aps[@]}" || { cmd_stop "$dir" >/dev/null 2>&1; die "the relays did not come up"; }
  fi
  for ((k = 0; k < instances; k++)); do
    # sshd writes its pid file just after it starts listening.
    local deadline=$((SECONDS + START_TIMEOUT_S))
    until [ -s "$dir/sshd-$k.pid" ] && { [ -z "$relay" ] || [ -s "$dir/relay-$k.pid" ]; }; do
      [ $SECONDS -lt $deadline ] || { cmd_stop "$dir" >/dev/null 2>&1; die "sshd $k wrote no pid file"; }
      sleep 0.05
    done
  done

  # Account the listeners' CPU, and that of every process they start, in a cgroup.
  cgroup="" cgroup_cpu="" cgroup_unit=""
  local cg
  cg=$(make_cgroup)
  if [ -n "$cg" ]; then
    echo "$cg" >"$dir/cgroup"
    read -r cgroup cgroup_cpu cgroup_unit <<<"$cg"
    cgroup_cpu=$cgroup/$cgroup_cpu
    for ((k = 0; k < instances; k++)); do
      cat "$dir/sshd-$k.pid" >"$cgroup/cgroup.procs" ||
        { cmd_stop "$dir" >/dev/null 2>&1; die "could not move sshd $k into $cgroup"; }
    done
  fi

  write_client_files "$user"
  local how="MaxStartups $maxstartups"
  [ "$delay_ms" -eq 0 ] || how+=", +${delay_ms} ms each way"
  echo "fleet.sh: $n hosts on $(addr_of 0)..$(addr_of $((n - 1))) port $port ($instances sshd, $how) in $dir"
}

cmd_stop() {
  [ $# -eq 1 ] || usage
  dir=$(cd "$1" 2>/dev/null && pwd) || die "no fleet directory $1"
  local f pid pids=()
  for f in "$dir"/relay-*.pid "$dir"/sshd-*.pid; do
    [ -e "$f" ] || continue
    if pid=$(running_pid "$f"); then
      # An sshd's connections are its children (they start their own sessions):
      # stop them too, or a hung session outlives the fleet.
      pids+=("$pid")
      mapfile -t -O "${#pids[@]}" pids < <(descendants "$pid")
    fi
  done
  local cg
  cg=$(cgroup_dir)
  if [ -n "$cg" ] && [ -f "$cg/cgroup.procs" ]; then
    # Whatever the listeners started and lost track of (reparented processes).
    mapfile -t -O "${#pids[@]}" pids <"$cg/cgroup.procs"
  fi
  if [ ${#pids[@]} -gt 0 ]; then mapfile -t pids < <(printf '%s\n' "${pids[@]}" | sort -un); fi
  if [ ${#pids[@]} -gt 0 ]; then
    kill -TERM "${pids[@]}" 2>/dev/null || true
    local deadline=$((SECONDS + STOP_TIMEOUT_S)) left
    while :; do
      left=()
      for pid in "${pids[@]}"; do
        if alive "$pid"; then left+=("$pid"); fi
      done
      [ ${#left[@]} -gt 0 ] || break
      if [ $SECONDS -ge $deadline ]; then
        kill -KILL "${left[@]}" 2>/dev/null || true
        break
      fi
      sleep 0.1
    done
  fi
  rm -f "$dir"/relay-*.pid "$dir"/sshd-*.pid
  if [ -n "$cg" ] && [ -d "$cg" ]; then
    rmdir "$cg" 2>/dev/null || echo "fleet.sh: could not remove the cgroup $cg (processes left in it?)" >&2
    rm -f "$dir/cgroup"
  fi
  echo "fleet.sh: stopped the fleet in $dir (${#pids[@]} processes)"
}

cmd_env() {
  [ $# -eq 1 ] || usage
  [ -f "$1/fleet.env" ] || die "no fleet in $1 (no fleet.env); start one: bench/fleet.sh start N $1"
  sed 's/^/export /' "$1/fleet.env"
}

main() {
  [ $# -ge 1 ] || usage
  local sub=$1
  shift
  case $sub in
  start) cmd_start "$@" ;;
  stop) cmd_stop "$@" ;;
  env) cmd_env "$@" ;;
  -h | --help | help) usage ;;
  *) die "unknown command $sub (want start, stop or env)" ;;
  esac
}

main "$@"
