#!/usr/bin/env bash
# tests-cli/run.sh - end-to-end tests of the nscore command line, on the real kernel.
#
# Usage: [NSCORE_BIN=path/to/nscore] tests-cli/run.sh      (as root; default: <repo>/build/nscore)
#
# One line per check ("ok" or "FAIL"), a summary, and a non-zero exit on any failure.
# Runs as root and, where it applies, as uid 65534 through setpriv. Every process and mount it
# starts is removed by the EXIT trap; the last checks verify that nothing was left behind.
set -u

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BIN=${NSCORE_BIN:-$REPO/build/nscore}
case $BIN in /*) ;; *) BIN=$PWD/$BIN ;; esac

if [ "$(id -u)" != 0 ]; then echo "tests-cli: must run as root" >&2; exit 2; fi
if [ ! -x "$BIN" ]; then echo "tests-cli: no nscore binary at $BIN (set NSCORE_BIN)" >&2; exit 2; fi

# A marker no other process on the machine uses: every long-running test process is
# `sleep $MARK`, so leftovers are easy to find.
MARK=2718281
TMP=$(mktemp -d /tmp/nscore-cli-tests.XXXXXX)
chmod 0755 "$TMP"
PASS=0 FAIL=0
BG=()        # background nscore (or unshare) processes started by the tests
CHILDREN=()  # their container processes
PERSISTED=() # namespace files that may still be bind-mounted
QID=""       # a System V message queue made on the host

cleanup() {
    local p
    for p in "${CHILDREN[@]}" "${BG[@]}"; do kill -KILL "$p" 2>/dev/null; done
    wait 2>/dev/null
    cgp_clean
    for p in "${PERSISTED[@]}"; do umount -l "$p" 2>/dev/null; done
    [ -n "$QID" ] && ipcrm -q "$QID" 2>/dev/null
    rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

MOUNTS_BEFORE=$(wc -l < /proc/self/mountinfo)

# The cgroups the placement tests (--cgroup-parent, --cgroups-path) name start with CGP.
CGP=cgpath-$$-
cg_mounts() { awk '{ for (i = 7; $i != "-"; i++); if ($(i + 1) ~ /^cgroup2?$/) print $5 }' /proc/self/mountinfo; }
# cgp_dirs: the CGP* directories anywhere in a cgroup hierarchy, deepest first.
cgp_dirs() { local m; for m in $(cg_mounts); do find "$m" -maxdepth 12 -depth -type d -name "$CGP*" 2>/dev/null; done; }
cgp_clean() { local d; for d in $(cgp_dirs); do rmdir "$d" 2>/dev/null; done; }

# ---- helpers ---------------------------------------------------------------------------------

ok() { PASS=$((PASS + 1)); echo "ok   - $1"; }
bad() {
    FAIL=$((FAIL + 1)); echo "FAIL - $1"
    [ -n "${2:-}" ] && printf '       %s\n' "$2"
}
# t CMD...: run a command, capturing OUT, ERR and RC.
t() {
    OUT=$("$@" 2>"$TMP/stderr")
    RC=$?
    ERR=$(cat "$TMP/stderr")
}

# The last command's result, for failure messages.
result() { printf 'rc=%s stdout=[%s] stderr=[%s]' "$RC" "$(head -c 400 <<<"$OUT")" "$(head -c 400 <<<"$ERR")"; }

# A Swift runtime trap (fatalError, a failed precondition, a bad unwrap) never counts as handled.
crashed() {
    [ "$RC" -ge 128 ] && [ "$RC" -le 159 ] && [ "$RC" != 130 ] && [ "$RC" != 137 ] && [ "$RC" != 143 ] && return 0
    grep -qE 'Fatal error|Stack dump|Current stack trace|Illegal instruction|Segmentation fault' <<<"$ERR"
}

# expect NAME RC [STDOUT|-] [STDERR-SUBSTRING]: checks the last `t`.
expect() {
    local name=$1 rc=$2 out=${3--} err=${4-}
    if crashed; then bad "$name" "crash trace: $(result)"; return; fi
    if [ "$RC" != "$rc" ]; then bad "$name" "expected rc=$rc, got $(result)"; return; fi
    if [ "$out" != - ] && [ "$OUT" != "$out" ]; then bad "$name" "expected stdout [$out], got $(result)"; return; fi
    if [ -n "$err" ] && ! grep -qF -- "$err" <<<"$ERR"; then bad "$name" "expected stderr to mention [$err], got $(result)"; return; fi
    ok "$name"
}

# check NAME EXPR: EXPR is evaluated by bash; the last `t` is shown on failure.
check() {
    local name=$1 expr=$2
    if crashed; then bad "$name" "crash trace: $(result)"; return; fi
    if eval "$expr"; then ok "$name"; else bad "$name" "[$expr] is false; $(result)"; fi
}

# argv[0] of process $1.
argv0() { tr '\0' '\n' < /proc/"$1"/cmdline 2>/dev/null | head -n 1; }

# The first child of process $1 whose argv[0] is $2, once it exists (a container has exec'd its
# command exactly when its command line changes from nscore's).
child_running() {
    local parent=$1 name=$2 i c
    for i in $(seq 200); do
        for c in $(cat /proc/"$parent"/task/*/children 2>/dev/null); do
            if [ "$(argv0 "$c")" = "$name" ]; then echo "$c"; return 0; fi
        done
        kill -0 "$parent" 2>/dev/null || return 1
        sleep 0.05
    done
    return 1
}

# Waits until process $1 catches signal number $2 (its SigCgt mask has the bit).
wait_caught() {
    local pid=$1 sig=$2 i mask
    for i in $(seq 200); do
        mask=$(awk '/^SigCgt:/ { print $2 }' /proc/"$pid"/status 2>/dev/null)
        if [ -n "$mask" ] && (( (16#$mask >> (sig - 1)) & 1 )); then return 0; fi
        sleep 0.05
    done
    return 1
}

# Waits up to ~5 s for process $1 to disappear.
wait_gone() {
    local i
    for i in $(seq 100); do kill -0 "$1" 2>/dev/null || return 0; sleep 0.05; done
    return 1
}

# start_container COMM ARGS...: starts `nscore ARGS...` in the background and waits until its
# container runs COMM. Sets CLI and CTR (0 if it never started).
start_container() {
    local comm=$1; shift
    "$BIN" "$@" </dev/null >"$TMP/bg.out" 2>"$TMP/bg.err" &
    CLI=$!
    BG+=("$CLI")
    CTR=$(child_running "$CLI" "$comm") || CTR=0
    [ "$CTR" != 0 ] && CHILDREN+=("$CTR")
}

# start_nethost: a throwaway "host" network namespace (an `unshare --net sleep`, NETHOST) for
# the network sections; returns once it is in a namespace of its own.
start_nethost() {
    unshare --net sleep "$MARK" </dev/null >/dev/null 2>&1 &
    NETHOST=$!
    BG+=("$NETHOST")
    for i in $(seq 100); do
        [ "$(readlink /proc/$NETHOST/ns/net 2>/dev/null)" != "$(readlink /proc/self/ns/net)" ] && \
            [ "$(cat /proc/$NETHOST/comm 2>/dev/null)" = sleep ] && break
        sleep 0.05
    done
}

# Stops the container CTR (SIGKILL) and reaps its nscore CLI.
stop_container() {
    [ "$CTR" != 0 ] && kill -KILL "$CTR" 2>/dev/null
    wait "$CLI" 2>/dev/null
}

# Line $1 of the last command's stdout; its first line with the padding squeezed out.
line() { sed -n "$1p" <<<"$OUT"; }
header() { line 1 | tr -s ' ' | sed 's/^ //'; }

# The interface names in the network namespace of a command's /proc/net/dev output.
ifaces() { tail -n +3 | cut -d: -f1 | tr -d ' ' | sort | tr '\n' ' ' | sed 's/ $//'; }

NOBODY=(setpriv --reuid 65534 --regid 65534 --clear-groups)
# Runs a command as uid 65534 from / (a directory it can read).
as_nobody() { (cd / && "${NOBODY[@]}" "$@"); }

# ---- run -------------------------------------------------------------------------------------

echo "# run"
t "$BIN" run -- true;                            expect "run -- true exits 0" 0 ""
t "$BIN" run -- sh -c 'exit 7';                  expect "run -- sh -c 'exit 7' exits 7" 7
t "$BIN" run -- sh -c 'kill -KILL $$';           expect "a command killed by SIGKILL gives 137" 137
t "$BIN" run true;                               expect "the first operand starts the command (no --)" 0
t "$BIN" run -f -- true;                         expect "-f is accepted and ignored" 0
t "$BIN" run -- sh -c 'echo out; echo err >&2';  expect "stdout and stderr are inherited" 0 "out" "err"
OUT=$(echo piped | "$BIN" run -- cat 2>&1); RC=$?; ERR=""
expect "stdin is inherited" 0 "piped"
t "$BIN" run -- sh -c 'echo "$0 $1 [$2]"' a 'b c' '';   expect "arguments are passed verbatim" 0 "a b c []"
t "$BIN" run -- sh -c 'printf %s "$1" | od -An -tx1 | tr -d " "' x "$(printf '\377\376')"
expect "bytes that are not UTF-8 reach the command unchanged" 0 "fffe"
t "$BIN" run -- ''; expect "an empty command name is a usage error" 2 "" "missing COMMAND"

host_hostname=$(hostname)
t "$BIN" run --uts --hostname box -- hostname;   expect "run --uts --hostname box prints box" 0 "box"
check "the host hostname is unchanged" '[ "$(hostname)" = "$host_hostname" ]'
t "$BIN" run --hostname implied -- hostname;     expect "--hostname implies --uts" 0 "implied"
t "$BIN" run -u --domainname dom.example -- cat /proc/sys/kernel/domainname
expect "--domainname sets the NIS domain name" 0 "dom.example"
t "$BIN" run -u -- sh -c 'hostname inside && hostname'; expect "hostname set inside a new UTS namespace" 0 "inside"
# Time namespace offsets (util-linux unshare's --monotonic/--boottime).
t "$BIN" run --boottime 86400 -- cut -d. -f1 /proc/uptime
check "--boottime 86400 adds a day to /proc/uptime (implies --time)" '[ "$RC" = 0 ] && [ "$OUT" -ge $(( $(cut -d. -f1 /proc/uptime) + 86400 - 5 )) ] && [ "$OUT" -le $(( $(cut -d. -f1 /proc/uptime) + 86400 + 5 )) ]'
t "$BIN" run --monotonic -1.5 --boottime 0.25 -- true; expect "--monotonic -1.5 --boottime 0.25 are taken" 0 ""
t "$BIN" run --boottime 1e3 -- true;   expect "--boottime 1e3: a usage error naming it" 2 "" "--boottime '1e3' is not a number of seconds"
t "$BIN" run --monotonic -999999999 -- true; expect "a clock taken below 0: 125, names timens_offsets" 125 "" "timens_offsets"
check "... and the host's is still unchanged" '[ "$(hostname)" = "$host_hostname" ]'

t "$BIN" run --pid --mount -- sh -c 'echo $$; ls /proc | grep -c "^[0-9]"'
check "run --pid --mount: the shell is PID 1 and sees few processes" \
    '[ "$RC" = 0 ] && [ "$(line 1)" = 1 ] && [ "$(line 2)" -le 3 ]'
t "$BIN" run -p --mount-proc -- sh -c 'ls /proc | grep -c "^[0-9]"'
check "--mount-proc implies --mount and mounts a fresh /proc" '[ "$RC" = 0 ] && [ "$OUT" -le 3 ]'
t "$BIN" run -p -m --no-mount-proc -- sh -c 'ls /proc | grep -c "^[0-9]"'
check "--no-mount-proc keeps the host's /proc" '[ "$RC" = 0 ] && [ "$OUT" -gt 10 ]'
t "$BIN" run --pid -- sh -c 'echo $$';           expect "run --pid alone: the command is PID 1" 0 "1"

t "$BIN" run --net -- cat /proc/net/dev
check "run --net sees only lo" '[ "$RC" = 0 ] && [ "$(ifaces <<<"$OUT")" = lo ]'
t "$BIN" run -n -- ip -o link show lo
check "lo is up in the new network namespace" '[ "$RC" = 0 ] && grep -q "[<,]UP[,>]" <<<"$OUT"'
check "the host still has its interfaces" '[ "$(ifaces < /proc/net/dev)" != lo ]'

t "$BIN" run --all --map-root-user -- id -u;     expect "run --all --map-root-user: id -u is 0" 0 "0"
t "$BIN" run -U -r -- sh -c 'id -u; id -g';      expect "-U -r maps uid and gid 0" 0 $'0\n0'
t "$BIN" run --user -- id -u;                    expect "--user without a map: the overflow uid" 0 "65534"
t "$BIN" run --all -- sh -c 'for n in uts ipc pid net mnt user cgroup time; do readlink /proc/self/ns/$n; done'
host_links() { for n in uts ipc pid net mnt user cgroup time; do readlink /proc/self/ns/$n; done; }
check "--all: every namespace differs from the host's" \
    '[ "$RC" = 0 ] && [ "$(wc -l <<<"$OUT")" = 8 ] && [ -z "$(host_links | grep -Fx -f - <<<"$OUT")" ]'
t "$BIN" run --time -- readlink /proc/self/ns/time
check "run --time: a new time namespace" '[ "$RC" = 0 ] && [ "$OUT" != "$(readlink /proc/self/ns/time)" ] && [ -n "$OUT" ]'
t "$BIN" run --cgroup -- cat /proc/self/cgroup
check "run --cgroup: every cgroup path is /" '[ "$RC" = 0 ] && [ -n "$OUT" ] && ! grep -qv ":/$" <<<"$OUT"'
t "$BIN" run -C -i -T -- true;                   expect "short kind flags -C -i -T" 0

QID=$(ipcmk -Q | awk '{ print $NF }')
t "$BIN" run --ipc -- ipcs -q
check "run --ipc does not see the host's message queue" '[ "$RC" = 0 ] && ! grep -qw "$QID" <<<"$OUT"'
t "$BIN" run -- ipcs -q
check "without --ipc the queue is visible" '[ "$RC" = 0 ] && grep -qw "$QID" <<<"$OUT"'
ipcrm -q "$QID"; QID=""
before_q=$(ipcs -q | grep -c '^0x')
t "$BIN" run --ipc -- sh -c 'ipcmk -Q >/dev/null && ipcs -q | grep -c "^0x"'
check "a queue made inside --ipc exists there..." '[ "$RC" = 0 ] && [ "$OUT" = 1 ]'
check "... and never on the host" '[ "$(ipcs -q | grep -c "^0x")" = "$before_q" ]'

t "$BIN" run --env FOO=bar --env FOO=baz -e X=1 -- sh -c 'echo "$FOO $X"'
expect "--env sets variables (the last one wins)" 0 "baz 1"
t "$BIN" run --clear-env -- /usr/bin/env;        expect "--clear-env: an empty environment" 0 ""
t "$BIN" run --clear-env --env A=b -- /usr/bin/env; expect "--clear-env --env A=b" 0 "A=b"
t "$BIN" run --wd /tmp -- pwd;                   expect "--wd sets the working directory" 0 "/tmp"
t "$BIN" run -w /nonexistent-dir -- true;        expect "--wd to a missing directory fails with 125" 125 "" "/nonexistent-dir"

host_root_prop=$(awk '$5 == "/" { print ($7 ~ /shared:/) ? "shared" : "private" }' /proc/self/mountinfo | head -1)
t "$BIN" run --mount -- sh -c 'awk "\$5 == \"/\" { print \$7 }" /proc/self/mountinfo'
check "--mount: / is private by default" '[ "$RC" = 0 ] && ! grep -q "shared:" <<<"$OUT"'
t "$BIN" run --mount --propagation shared -- sh -c 'awk "\$5 == \"/\" { print \$7 }" /proc/self/mountinfo'
check "--propagation shared: / is shared" '[ "$RC" = 0 ] && grep -q "shared:" <<<"$OUT"'
t "$BIN" run --mount --propagation unchanged -- sh -c 'awk "\$5 == \"/\" { print (\$7 ~ /shared:/) ? \"shared\" : \"private\" }" /proc/self/mountinfo | head -1'
expect "--propagation unchanged keeps the host's propagation" 0 "$host_root_prop"
t "$BIN" run --mount --propagation slave -- true;      expect "--propagation slave" 0
t "$BIN" run --mount --propagation unbindable -- true; expect "--propagation unbindable" 0
# The container's /proc must never cover the caller's, even when the caller's / is shared (as
# systemd makes it). Checked inside a throwaway `unshare --mount --propagation shared`
# namespace, so that a failure can never touch the host's own /proc.
for p in private slave unbindable shared unchanged; do
    t unshare --mount --propagation shared sh -c \
        "\"\$0\" run --pid --mount --propagation $p -- true && test -e /proc/self/mountinfo" "$BIN"
    check "--pid --mount --propagation $p under a shared / leaves the caller's /proc alone" '[ "$RC" = 0 ]'
done

# --init: the command runs under nscore-init (PID 1), which reaps orphans.
t "$BIN" run --init --pid --mount -- sh -c 'echo $$; tr "\0" "\n" < /proc/1/cmdline | head -n 1'
expect "run --init --pid: the command is PID 2 under nscore-init" 0 $'2\nnscore-init'
t "$BIN" run --init -- sh -c 'exit 9';           expect "run --init passes the exit code through" 9
t "$BIN" run --init --pid --mount -- sh -c 'sh -c "sleep 0.2 &"; sleep 0.8; grep -l "^State:.*Z" /proc/[0-9]*/status 2>/dev/null | wc -l'
expect "--init reaps orphaned zombies" 0 "0"

# ---- signals ---------------------------------------------------------------------------------

echo "# signals"
forward_test() {  # NAME SIGNAL SIGNUM CODE NSCORE-ARGS...
    local name=$1 sig=$2 num=$3 code=$4; shift 4
    # The marker in the script lets the leftover check find it; --kill-on-parent-death makes
    # sure the container goes when its nscore is killed, even if this test lost track of it.
    local script="trap 'exit $code' $sig; while :; do sleep 0.1; done; : $MARK"
    "$BIN" "$@" --kill-on-parent-death -- sh -c "$script" </dev/null >/dev/null 2>"$TMP/sig.err" &
    local cli=$! target
    BG+=("$cli")
    if [[ " $* " == *" --init "* ]]; then
        local init
        init=$(child_running "$cli" nscore-init) && CHILDREN+=("$init") && target=$(child_running "$init" sh)
    else
        target=$(child_running "$cli" sh)
    fi
    if [ -z "${target:-}" ] || ! wait_caught "$target" "$num"; then
        RC=-1 OUT="" ERR=$(cat "$TMP/sig.err"); bad "$name" "the container never started: $(result)"; return
    fi
    CHILDREN+=("$target")
    kill -"$sig" "$cli"
    wait "$cli"
    RC=$? OUT="" ERR=$(cat "$TMP/sig.err")
    expect "$name" "$code"
}
forward_test "SIGTERM to nscore run --init --pid reaches the command (exit 42)" TERM 15 42 run --init --pid
forward_test "SIGTERM is forwarded to a PID-namespace init that handles it" TERM 15 42 run --pid
forward_test "SIGINT is forwarded" INT 2 43 run
forward_test "SIGHUP is forwarded" HUP 1 44 run --uts
forward_test "SIGUSR1 is forwarded through nscore-init" USR1 10 45 run --init --pid --mount
forward_test "SIGQUIT is forwarded" QUIT 3 46 run
t "$BIN" run -- sh -c 'kill -TERM $$';           expect "a command killed by SIGTERM gives 143" 143
t python3 -c 'import os, signal, sys; signal.signal(signal.SIGCHLD, signal.SIG_IGN); os.execv(sys.argv[1], sys.argv[1:])' \
    "$BIN" run -- sh -c 'exit 6'
expect "an inherited ignored SIGCHLD does not lose the exit status" 6

start_container sleep run --kill-on-parent-death -- sleep "$MARK"
if [ "$CTR" != 0 ]; then
    kill -KILL "$CLI"; wait "$CLI" 2>/dev/null
    check "--kill-on-parent-death: the command dies with nscore" 'wait_gone "$CTR"'
else
    bad "--kill-on-parent-death" "container did not start: $(cat "$TMP/bg.err")"
fi

# ---- lifetime: parent death, --detach, --pid-file, Ctrl-C of a PID 1, the default shell ------

echo "# lifetime"
# By default (no --kill-on-parent-death) the container goes when nscore is killed with SIGKILL.
start_container sleep run -- sleep "$MARK"
if [ "$CTR" != 0 ]; then
    kill -KILL "$CLI"; wait "$CLI" 2>/dev/null
    check "kill -9 of nscore run kills its container (the default)" 'wait_gone "$CTR"'
else
    bad "kill -9 of nscore run" "container did not start: $(cat "$TMP/bg.err")"
fi
start_container sleep run --pid --uts -- sleep "$MARK"
if [ "$CTR" != 0 ]; then
    kill -KILL "$CLI"; wait "$CLI" 2>/dev/null
    check "... also a PID-namespace init" 'wait_gone "$CTR"'
else
    bad "kill -9 of nscore run --pid" "container did not start: $(cat "$TMP/bg.err")"
fi
# The same for nscore exec's command.
t "$BIN" run --detach --uts -- sleep "$MARK"
TGT=$OUT
if [ "$RC" = 0 ] && [ -n "$TGT" ]; then
    CHILDREN+=("$TGT")
    start_container sleep exec -t "$TGT" -- sleep "$MARK"
    if [ "$CTR" != 0 ]; then
        kill -KILL "$CLI"; wait "$CLI" 2>/dev/null
        check "kill -9 of nscore exec kills its command (the default)" 'wait_gone "$CTR"'
    else
        bad "kill -9 of nscore exec" "command did not start: $(cat "$TMP/bg.err")"
    fi
    kill -KILL "$TGT" 2>/dev/null
else
    bad "kill -9 of nscore exec" "target did not start: $(result)"
fi

t "$BIN" run --detach --pid-file "$TMP/detached.pid" --uts -- sleep "$MARK"
DPID=$(tr -d '\n' <<<"$OUT")
[[ "$DPID" =~ ^[0-9]+$ ]] && CHILDREN+=("$DPID")
check "--detach prints the pid of a running container and exits 0" \
    '[ "$RC" = 0 ] && [[ "$DPID" =~ ^[0-9]+$ ]] && kill -0 "$DPID" && [ "$(argv0 "$DPID")" = sleep ]'
check "... --pid-file holds the same pid" '[ "$(cat "$TMP/detached.pid")" = "$DPID" ]'
check "... in a UTS namespace of its own" '[ "$(readlink /proc/"$DPID"/ns/uts)" != "$(readlink /proc/self/ns/uts)" ]'
check "... with no parent-death signal (it outlived nscore)" 'sleep 0.2; kill -0 "$DPID"'
[[ "$DPID" =~ ^[0-9]+$ ]] && kill -KILL "$DPID" 2>/dev/null
t "$BIN" run -d -- sh -c 'exit 0'
check "-d is --detach" '[ "$RC" = 0 ] && [[ "$OUT" =~ ^[0-9]+$ ]]'
t "$BIN" run --pid-file "$TMP/fg.pid" -- sh -c 'echo $$'
check "--pid-file without --detach: the pid written is the command's" '[ "$RC" = 0 ] && [ "$(cat "$TMP/fg.pid")" = "$OUT" ]'
t "$BIN" run --pid-file "$TMP/no/such/dir/pid" -- sleep "$MARK"
expect "--pid-file in a missing directory: 125, no container left" 125 "" "pid file"
t "$BIN" run --pid-file= -- true; expect "--pid-file with an empty value: exit 2" 2

# Ctrl-C (SIGINT) of a PID 1 without a handler: the kernel would drop it; nscore kills it.
sigint_pid1() {  # NAME SIGNAL CODE
    local name=$1 sig=$2 code=$3
    start_container sleep run --pid -- sleep "$MARK"
    if [ "$CTR" = 0 ]; then bad "$name" "container did not start: $(cat "$TMP/bg.err")"; return; fi
    local t0=$SECONDS
    kill -"$sig" "$CLI"
    wait "$CLI"
    RC=$? OUT="" ERR=$(cat "$TMP/bg.err")
    if [ $((SECONDS - t0)) -gt 2 ]; then bad "$name" "took $((SECONDS - t0)) s"; return; fi
    expect "$name" "$code"
    check "... and the container is gone" 'wait_gone "$CTR"'
}
sigint_pid1 "SIGINT to nscore run --pid of sleep (PID 1, no handler) ends it within 2 s, status 130" INT 130
sigint_pid1 "SIGTERM to nscore run --pid of sleep ends it, status 143" TERM 143

# Without a command: $SHELL, else /bin/sh.
printf '#!/bin/sh\necho "shell $# $(hostname)"\n' >"$TMP/shell"
chmod 0755 "$TMP/shell"
t env SHELL="$TMP/shell" "$BIN" run --hostname noarg
expect "run without a command runs \$SHELL" 0 "shell 0 noarg"
t env SHELL="$TMP/shell" "$BIN" run --hostname noarg --
expect "... also after --" 0 "shell 0 noarg"
t env -u SHELL "$BIN" run --uts </dev/null
expect "... /bin/sh without SHELL (reads stdin: nothing)" 0 ""
t env SHELL=/bin/echo "$BIN" run -- ''
expect "... but an empty command name is still a usage error" 2 "" "missing COMMAND"
start_container sleep run --uts --hostname target -- sleep "$MARK"
if [ "$CTR" != 0 ]; then
    t env SHELL="$TMP/shell" "$BIN" exec --target "$CTR" --uts
    expect "exec without a command runs \$SHELL in the namespaces" 0 "shell 0 target"
    stop_container
else
    bad "exec without a command" "container did not start: $(cat "$TMP/bg.err")"
fi

# ---- exec ------------------------------------------------------------------------------------

echo "# exec"
start_container sleep run --uts --hostname joined --pid --mount --net --ipc --kill-on-parent-death -- sleep "$MARK"
if [ "$CTR" != 0 ]; then
    t "$BIN" exec --target "$CTR" --uts -- hostname;  expect "exec --target PID --uts -- hostname" 0 "joined"
    t "$BIN" exec -t "$CTR" -- hostname;              expect "exec without kinds joins all that differ" 0 "joined"
    t "$BIN" exec -t "$CTR" -a -- hostname;           expect "exec -a" 0 "joined"
    t "$BIN" exec -t"$CTR" -u hostname;               expect "exec -tPID -u hostname (no --)" 0 "joined"
    t "$BIN" exec -t "$CTR" -n -- cat /proc/net/dev
    check "exec --net: only lo" '[ "$RC" = 0 ] && [ "$(ifaces <<<"$OUT")" = lo ]'
    t "$BIN" exec -t "$CTR" --pid --mount -- sh -c 'echo $$; ls /proc | grep -c "^[0-9]"'
    check "exec --pid --mount: inside the container's PID namespace" \
        '[ "$RC" = 0 ] && [ "$(line 1)" -gt 1 ] && [ "$(line 2)" -le 4 ]'
    t "$BIN" exec -t "$CTR" -- sh -c 'exit 3';        expect "exec passes the exit code through" 3
    t "$BIN" exec -t "$CTR" -m -w /tmp -- pwd;        expect "exec --wd" 0 "/tmp"
    t nsenter -t "$CTR" --uts hostname;               expect "nsenter sees the same hostname" 0 "joined"
    t "$BIN" exec -t "$CTR" -- /nonexistent;          expect "exec -- /nonexistent exits 127" 127 "" "/nonexistent"
    forward_test "SIGTERM to nscore exec reaches the joined command" TERM 15 47 exec -t "$CTR" --uts

    # ps and ns on the container
    t "$BIN" ps "$CTR"
    check "ps PID lists inner PID 1 as the container's process" \
        '[ "$RC" = 0 ] && [ "$(header)" = "PID HOST_PID COMMAND" ] && [ "$(line 2 | awk "{ print \$1, \$2 }")" = "1 $CTR" ]'
    t "$BIN" ps --json "$CTR"
    check "ps --json: pid 1 is the container, host_pid matches" "[ \"\$RC\" = 0 ] && python3 -c '
import json, os, sys
d = json.loads(sys.argv[1]); c = int(sys.argv[2])
assert d[\"pid_namespace\"] == os.stat(\"/proc/%d/ns/pid\" % c).st_ino
p = d[\"processes\"][0]
assert p[\"pid\"] == 1 and p[\"host_pid\"] == c and \"sleep\" in p[\"command\"], p
' \"\$OUT\" \"$CTR\""
    t "$BIN" mounts "$CTR"
    check "mounts PID: a tree with / and the container's own /proc" \
        '[ "$RC" = 0 ] && [ "$(header)" = "TARGET SOURCE FSTYPE OPTIONS PROPAGATION" ] && [ "$(line 2 | awk "{ print \$1 }")" = / ] && grep -q "^.-/proc *proc *proc" <<<"$OUT"'
    t "$BIN" mounts --json "$CTR"
    check "mounts --json: the container's /proc, private as --propagation private made /" "[ \"\$RC\" = 0 ] && python3 -c '
import json, sys
d = json.loads(sys.argv[1])
assert d[\"pid\"] == int(sys.argv[2])
root = [m for m in d[\"mounts\"] if m[\"target\"] == \"/\"][0]
assert root[\"propagation\"] == \"private\", root
assert [m for m in d[\"mounts\"] if m[\"target\"] == \"/proc\" and m[\"fstype\"] == \"proc\"]
' \"\$OUT\" \"$CTR\""
    t "$BIN" ns --json "$CTR"
    check "ns PID --json parses and matches readlink /proc/PID/ns/*" "[ \"\$RC\" = 0 ] && python3 -c '
import json, os, sys
d = json.loads(sys.argv[1]); pid = int(sys.argv[2])
assert d[\"pid\"] == pid
got = {e[\"name\"]: e for e in d[\"namespaces\"]}
names = sorted(os.listdir(\"/proc/%d/ns\" % pid))
assert sorted(got) == names, (sorted(got), names)
assert \"pid_for_children\" in got and \"time_for_children\" in got
for n in names:
    link = os.readlink(\"/proc/%d/ns/%s\" % (pid, n))
    assert link == \"%s:[%d]\" % (got[n][\"type\"], got[n][\"inode\"]), (n, link, got[n])
' \"\$OUT\" \"$CTR\""
    t "$BIN" ns "$CTR"
    check "ns PID (table) shows the net inode" \
        '[ "$RC" = 0 ] && grep -Eq "^net +net +$(stat -L -c %i /proc/"$CTR"/ns/net)$" <<<"$OUT"'
    t "$BIN" ns
    check "ns without PID shows nscore's own (= the host's) namespaces" \
        '[ "$RC" = 0 ] && grep -Eq "^uts +uts +$(stat -L -c %i /proc/self/ns/uts)$" <<<"$OUT"'

    # persist / exec --ns-path / unpersist
    NSFILE=$TMP/netns
    PERSISTED+=("$NSFILE")
    t "$BIN" persist --target "$CTR" --type net "$NSFILE"
    expect "persist --target PID --type net PATH" 0 ""
    check "the file is the container's network namespace" \
        '[ "$(stat -L -c %i "$NSFILE")" = "$(stat -L -c %i /proc/"$CTR"/ns/net)" ]'
    t "$BIN" persist --target "$CTR" --type net "$NSFILE"
    expect "persist onto a path already in use: exit 125" 125 "" "$NSFILE"
    stop_container
    t "$BIN" exec --ns-path net="$NSFILE" -- cat /proc/net/dev
    check "exec --ns-path net=PATH joins the persisted namespace after its processes died" \
        '[ "$RC" = 0 ] && [ "$(ifaces <<<"$OUT")" = lo ]'
    t "$BIN" exec --net="$NSFILE" -- cat /proc/net/dev
    check "exec --net=PATH (nsenter style)" '[ "$RC" = 0 ] && [ "$(ifaces <<<"$OUT")" = lo ]'
    t "$BIN" unpersist "$NSFILE"
    expect "unpersist PATH" 0 ""
    check "unpersist removed the mount and the file" '[ ! -e "$NSFILE" ] && ! grep -qF "$NSFILE" /proc/self/mountinfo'
    t "$BIN" unpersist "$NSFILE";                     expect "unpersist of a missing file: exit 125" 125 "" "$NSFILE"
else
    bad "exec tests" "container did not start: $(cat "$TMP/bg.err")"
fi

start_container sleep run --uts --hostname keep --kill-on-parent-death -- sleep "$MARK"
if [ "$CTR" != 0 ]; then
    UTSFILE=$TMP/uts
    PERSISTED+=("$UTSFILE")
    t "$BIN" persist -t "$CTR" --type uts "$UTSFILE";  expect "persist a UTS namespace" 0
    t "$BIN" unpersist --keep-file "$UTSFILE";         expect "unpersist --keep-file" 0
    check "--keep-file leaves an unmounted, empty file" '[ -f "$UTSFILE" ] && ! grep -qF "$UTSFILE" /proc/self/mountinfo'
    t "$BIN" exec --ns-path uts="$UTSFILE" -- true;    expect "exec --ns-path on a plain file fails with 125" 125 "" "not a namespace"
    stop_container
else
    bad "persist --keep-file" "container did not start: $(cat "$TMP/bg.err")"
fi

# Interoperability: targets made by util-linux unshare.
unshare --net --uts sh -c "hostname from-unshare && exec sleep $MARK" </dev/null >/dev/null 2>&1 &
U=$!
BG+=("$U")
for i in $(seq 100); do [ "$(cat /proc/$U/comm 2>/dev/null)" = sleep ] && break; sleep 0.05; done
t "$BIN" exec --target "$U" --uts -- hostname;    expect "exec into an unshare --uts process" 0 "from-unshare"
t "$BIN" exec --target "$U" --net -- cat /proc/net/dev
check "exec into an unshare --net process sees only lo" '[ "$RC" = 0 ] && [ "$(ifaces <<<"$OUT")" = lo ]'
t "$BIN" exec --ns-path net=/proc/"$U"/ns/net --ns-path uts=/proc/"$U"/ns/uts -- hostname
expect "exec --ns-path with /proc/PID/ns files" 0 "from-unshare"
t "$BIN" exec -t "$U" --ns-path net=/proc/self/ns/net --uts -- sh -c 'hostname; tail -n +3 /proc/net/dev | wc -l'
check "--target with --ns-path: the path overrides that kind" \
    '[ "$RC" = 0 ] && [ "$(line 1)" = from-unshare ] && [ "$(line 2)" -gt 1 ]'

# ls against lsns, while the unshare target holds an extra network namespace.
ls_matches_lsns() {
    # lsns runs before and after ours, so that namespaces other programs create or drop
    # meanwhile cannot make the comparison flaky: ours must hold every namespace both lsns runs
    # saw, and nothing neither saw.
    lsns --json -t net > "$TMP/lsns1.json" 2>/dev/null || return 1
    "$BIN" ls --json --type net > "$TMP/ours.json" 2>"$TMP/stderr" || return 1
    lsns --json -t net > "$TMP/lsns2.json" 2>/dev/null || return 1
    python3 - "$TMP/ours.json" "$TMP/lsns1.json" "$TMP/lsns2.json" "$U" <<'EOF'
import json, os, sys
ours = {(n["type"], n["ns"]) for n in json.load(open(sys.argv[1]))["namespaces"]}
def lsns(path):
    return {(n["type"], int(n["ns"])) for n in json.load(open(path))["namespaces"] if n.get("nprocs")}
before, after = lsns(sys.argv[2]), lsns(sys.argv[3])
extra = ("net", os.stat("/proc/%s/ns/net" % sys.argv[4]).st_ino)
sys.exit(0 if (before & after) <= ours <= (before | after) and extra in ours else 1)
EOF
}
matched=1
for i in 1 2 3; do ls_matches_lsns && { matched=0; break; }; sleep 0.3; done
RC=$matched OUT=$(head -c 300 "$TMP/ours.json") ERR=$(cat "$TMP/stderr")
check "ls --json --type net has the same (type, ns) pairs as lsns --json -t net" '[ "$matched" = 0 ]'
t "$BIN" ls
check "ls prints lsns columns" '[ "$RC" = 0 ] && [ "$(header)" = "NS TYPE NPROCS PID USER COMMAND" ]'
check "ls shows the host's net namespace, owned by root" \
    'awk -v ns="$(stat -L -c %i /proc/self/ns/net)" "\$1 == ns && \$2 == \"net\" && \$5 == \"root\" { f = 1 } END { exit !f }" <<<"$OUT"'
check "ls shows the unshare target's UTS namespace" 'grep -Eq "^ *$(stat -L -c %i /proc/$U/ns/uts) +uts +1 +$U +root +sleep $MARK$" <<<"$OUT"'
t "$BIN" ls -t uts,net
check "ls -t uts,net lists only those kinds" \
    '[ "$RC" = 0 ] && [ -z "$(tail -n +2 <<<"$OUT" | awk "{ print \$2 }" | grep -vx -e uts -e net)" ]'
kill -KILL "$U"; wait "$U" 2>/dev/null

# ---- bad input -------------------------------------------------------------------------------

echo "# bad input"
t "$BIN" run --bogus -- true;            expect "unknown flag: exit 2, names it" 2 "" "--bogus"
check "... and points at the help" 'grep -qF "Try '"'"'nscore run --help'"'"'." <<<"$ERR"'
t "$BIN" run -Z -- true;                 expect "unknown short flag: exit 2, names it" 2 "" "-Z"
t env SHELL=/bin/true "$BIN" run </dev/null;         expect "run without a command runs \$SHELL" 0 ""
t env SHELL=/bin/false "$BIN" run --uts -- </dev/null; expect "run -- without a command runs \$SHELL" 1 ""
t "$BIN" run -;                          expect "run - runs a command named '-'" 127 "" "'-'"
t "$BIN" run -- /nonexistent;            expect "run -- /nonexistent: exit 127, names the path" 127 "" "/nonexistent"
t "$BIN" run -- no-such-command-xyz;     expect "an unknown command name: exit 127" 127 "" "no-such-command-xyz"
t "$BIN" run -- /etc;                    expect "a directory as command: exit 126" 126 "" "/etc"
t "$BIN" run -- /etc/passwd;             expect "a non-executable file: exit 126" 126 "" "/etc/passwd"
t "$BIN" run --uts --hostname "$(printf 'h%.0s' $(seq 65))" -- true
expect "a 65-byte hostname: exit 125, mentions 64" 125 "" "64"
t "$BIN" run --hostname;                 expect "--hostname without a value: exit 2" 2 "" "--hostname"
t "$BIN" run --init=yes -- true;         expect "a value for a flag: exit 2" 2 "" "--init"
t "$BIN" run --propagation sideways -- true; expect "a bad --propagation: exit 2" 2 "" "sideways"
for p in shared private unchanged; do
    t "$BIN" run --pid --propagation $p -- true
    expect "--propagation $p without a new mount namespace: exit 2" 2 "" "--propagation"
done
t "$BIN" run --propagation shared --mount-proc --pid -- true
expect "--propagation with --mount-proc (which implies --mount)" 0
t "$BIN" run --env NOEQUALS -- true;     expect "--env without '=': exit 2" 2 "" "NOEQUALS"
t "$BIN" run --mount-proc=/x -- true;    expect "--mount-proc takes no value" 2 "" "--mount-proc"
t "$BIN" exec --target 999999999 -- true
check "exec --target 999999999: 125 or 2 with a clear message" '[ "$RC" = 125 -o "$RC" = 2 ] && grep -q "999999999" <<<"$ERR"'
t "$BIN" exec --target abc -- true;      expect "exec --target abc: exit 2" 2 "" "abc"
t "$BIN" exec -t 0 -- true;              expect "exec --target 0: exit 2" 2 "" "'0'"
t "$BIN" exec -- true;                   expect "exec without --target: exit 2" 2 "" "--target"
t "$BIN" exec;                           expect "exec without --target or a command: exit 2" 2 "" "--target"
t "$BIN" exec --net -- true;             expect "exec --net without --target: exit 2" 2 "" "--target"
t "$BIN" exec --ns-path net=/etc/passwd -- true; expect "--ns-path net=/etc/passwd: 125, not a namespace" 125 "" "not a namespace"
t "$BIN" exec --ns-path uts=/proc/self/ns/net -- true; expect "--ns-path of the wrong kind: 125" 125 "" "not uts"
t "$BIN" exec --ns-path net=/nonexistent -- true; expect "--ns-path to a missing file: 125" 125 "" "/nonexistent"
t "$BIN" exec --ns-path bogus=/x -- true; expect "--ns-path with an unknown kind: exit 2" 2 "" "bogus"
t "$BIN" exec --ns-path netonly -- true; expect "--ns-path without '=': exit 2" 2 "" "netonly"
t "$BIN" exec -t $$ -- true;             expect "exec into nscore's own namespaces: 125, nothing to join" 125 "" "nothing to join"
t "$BIN" ns abc;                         expect "ns abc: exit 2" 2 "" "abc"
t "$BIN" ns -5;                          expect "ns -5: exit 2" 2 "" "-5"
t "$BIN" ns 1 2;                         expect "ns with two PIDs: exit 2" 2 "" "'2'"
t "$BIN" ns 999999999;                   expect "ns of a missing process: exit 1" 1 "" "999999999"
t "$BIN" ns 99999999999999999999;        expect "an out-of-range PID: exit 2" 2 "" "99999999999999999999"
t "$BIN" ps;                             expect "ps without PID: exit 2" 2 "" "PID"
t "$BIN" ps 999999999;                   expect "ps of a missing process: exit 1" 1 "" "999999999"
t "$BIN" mounts 999999999;               expect "mounts of a missing process: exit 1" 1 "" "999999999"
t "$BIN" mounts --bogus;                 expect "mounts with an unknown option: exit 2" 2 "" "--bogus"
t "$BIN" mounts --stats --json $$
check "mounts --stats --json: /proc of this shell" "[ \"\$RC\" = 0 ] && python3 -c '
import json, sys
d = json.loads(sys.argv[1])
assert [m for m in d[\"mountstats\"] if m[\"target\"] == \"/proc\" and m[\"fstype\"] == \"proc\"]
' \"\$OUT\""
t "$BIN" mounts --stats;                 check "mounts --stats: a table" '[ "$RC" = 0 ] && [ "$(header)" = "DEVICE TARGET FSTYPE STATVERS STATISTICS" ]'
t "$BIN" ls --type bogus;                expect "ls --type bogus: exit 2" 2 "" "bogus"
t "$BIN" ls extra;                       expect "ls with an operand: exit 2" 2 "" "extra"
t "$BIN" persist --type net "$TMP/x";    expect "persist without --target: exit 2" 2 "" "--target"
t "$BIN" persist -t 1 "$TMP/x";          expect "persist without --type: exit 2" 2 "" "--type"
t "$BIN" persist -t 1 --type net;        expect "persist without PATH: exit 2" 2 "" "PATH"
t "$BIN" persist -t 999999999 --type net "$TMP/x"; expect "persist of a missing process: exit 125" 125 "" "999999999"
t "$BIN" unpersist /etc/passwd;          expect "unpersist of a plain file: exit 125" 125 "" "not a persisted namespace"
t "$BIN" persist -t $$ --type net "$TMP/missing/x"
expect "persist into a missing directory other than /run/netns: exit 125" 125 "" "$TMP/missing/x"
# A missing /run/netns is created, mode 0755 whatever the umask, as ip netns add does; checked
# on a tmpfs /run in a throwaway mount namespace, which takes the bind mount with it.
t unshare --mount --propagation private sh -c 'mount -t tmpfs tmpfs /run && umask 077 &&
    "$0" persist -t $$ --type net /run/netns/t && stat -c %a /run/netns && "$0" unpersist /run/netns/t' "$BIN"
expect "persist creates a missing /run/netns (0755)" 0 "755"
t "$BIN" frobnicate;                     expect "an unknown command: exit 2" 2 "" "frobnicate"
t "$BIN";                                expect "no arguments: usage, exit 2" 2 "" "Usage: nscore"
# Odd inputs must give a message and a normal exit code, never a crash trace.
for args in "-" "--" "--=" "-t" "run --=x" "exec -t" "exec -tt" "exec --ns-path =" "exec --ns-path net=" \
            "ns ''" "ns -- -1" "ls -t ," "ls -t ''" "run --env =x -- true" "run -w '' -- true" "run -- ''" \
            "persist -t 1 --type net ''" "unpersist ''" "help nope" "run -e" "exec --net= -- true"; do
    eval "t \"\$BIN\" $args"
    check "no crash on: nscore $args (rc=$RC)" '[ "$RC" -lt 126 ] && [ -n "$ERR" ]'
done

# ---- help and version ------------------------------------------------------------------------

echo "# help"
t "$BIN" --help
check "--help lists every command" \
    '[ "$RC" = 0 ] && (for c in run exec ns ls ps mounts persist unpersist version help; do grep -qw "$c" <<<"$OUT" || exit 1; done)'
t "$BIN" -h;         expect "-h" 0
t "$BIN" help;       expect "help" 0
t "$BIN" help exec;  check "help exec shows exec's help" '[ "$RC" = 0 ] && grep -q "nscore exec" <<<"$OUT"'
t "$BIN" version;    check "version prints a version" '[ "$RC" = 0 ] && grep -Eq "^nscore [0-9]+\.[0-9]+\.[0-9]+$" <<<"$OUT"'
t "$BIN" --version;  check "--version prints a version" '[ "$RC" = 0 ] && grep -Eq "^nscore [0-9]+\.[0-9]+\.[0-9]+$" <<<"$OUT"'
help_lists() {  # COMMAND FLAG...: `nscore COMMAND --help` mentions every FLAG
    local cmd=$1; shift
    t "$BIN" "$cmd" --help
    local missing="" f
    for f in "$@"; do grep -qF -- "$f" <<<"$OUT" || missing+=" $f"; done
    check "$cmd --help lists every flag${missing:+ (missing:$missing)}" '[ "$RC" = 0 ] && [ -z "$missing" ]'
}
help_lists run -u --uts -i --ipc -p --pid -n --net -m --mount -U --user -C --cgroup -T --time --all --hostname \
    --domainname --mount-proc --no-mount-proc --propagation --init -r --map-root-user --kill-on-parent-death \
    -d --detach --pid-file -w --wd -e --env --clear-env -f --fork -h --help
help_lists exec -t --target -u --uts -i --ipc -p --pid -n --net -m --mount -U --user -C --cgroup -T --time \
    -a --all --ns-path -w --wd --kill-on-parent-death -h --help
help_lists ns --json -h --help
help_lists ls --type --json -h --help
help_lists ps --json -h --help
help_lists mounts --list --stats --json -h --help
help_lists persist --target --type -h --help
help_lists unpersist --keep-file -h --help

# ---- rootless --------------------------------------------------------------------------------

echo "# rootless (uid 65534)"
RBIN=$BIN
if ! as_nobody test -x "$BIN"; then
    mkdir -p "$TMP/bin" && cp "$BIN" "$TMP/bin/nscore" && chmod 0755 "$TMP/bin" "$TMP/bin/nscore"
    RBIN=$TMP/bin/nscore
fi
t as_nobody "$RBIN" run --all --map-root-user -- id -u;  expect "rootless run --all --map-root-user: id -u is 0" 0 "0"
t as_nobody "$RBIN" run -U -r --uts --hostname rootless -- hostname; expect "rootless hostname in a user namespace" 0 "rootless"
t as_nobody "$RBIN" run -U -r --pid --mount -- sh -c 'echo $$; ls /proc | grep -c "^[0-9]"'
check "rootless --pid --mount: PID 1 and a fresh /proc" '[ "$RC" = 0 ] && [ "$(line 1)" = 1 ] && [ "$(line 2)" -le 3 ]'
t as_nobody "$RBIN" run -U -r --net -- cat /proc/net/dev
check "rootless --net sees only lo" '[ "$RC" = 0 ] && [ "$(ifaces <<<"$OUT")" = lo ]'
t as_nobody "$RBIN" run -U -r --init --pid --mount -- sh -c 'echo $$'; expect "rootless --init --pid" 0 "2"
t as_nobody "$RBIN" run -U -- id -u;     expect "rootless --user without a map: uid 65534" 0 "65534"
t as_nobody "$RBIN" run --uts -- true;   expect "rootless --uts without --user: 125, EPERM explained" 125 "" "EPERM"
t as_nobody "$RBIN" run -- id -u;        expect "rootless plain run" 0 "65534"
t as_nobody "$RBIN" ns --json
check "rootless ns --json (self)" '[ "$RC" = 0 ] && python3 -c "import json,sys; d=json.loads(sys.argv[1]); assert len(d[\"namespaces\"]) >= 8" "$OUT"'
t as_nobody "$RBIN" ns 1;                expect "rootless ns 1: permission denied, exit 1" 1 "" "pid 1"
t as_nobody "$RBIN" ls;                  expect "rootless ls" 0
(cd / && exec "${NOBODY[@]}" "$RBIN" run -U -r --uts --hostname rl --kill-on-parent-death -- sleep "$MARK") </dev/null >/dev/null 2>"$TMP/bg.err" &
CLI=$!
BG+=("$CLI")
CTR=$(child_running "$CLI" sleep) || CTR=0
if [ "$CTR" != 0 ]; then
    CHILDREN+=("$CTR")
    t as_nobody "$RBIN" exec -t "$CTR" -- hostname;   expect "rootless exec into its own container (user + uts)" 0 "rl"
    t as_nobody "$RBIN" exec -t "$CTR" -- id -u;      expect "rootless exec is root in the container" 0 "0"
    t as_nobody "$RBIN" exec -t "$CTR" -w /tmp -- pwd; expect "rootless exec --wd (through the user namespace)" 0 "/tmp"
    t as_nobody "$RBIN" ps "$CTR";                    check "rootless ps of its own container" '[ "$RC" = 0 ]'
    stop_container
else
    bad "rootless exec" "container did not start: $(cat "$TMP/bg.err")"
fi
t as_nobody "$RBIN" exec -t 1 -- true;  expect "rootless exec into PID 1: refused with 125" 125

# ---- user namespaces: id maps and users -------------------------------------------------------

echo "# user namespaces: id maps and users"
MAPS=(--map-users 0:100000:65536 --map-groups 0:100000:65536)
# squeezed LINE: a /proc/PID/uid_map line with its padding squeezed out.
squeezed() { tr -s ' ' <<<"$1" | sed 's/^ //'; }
t "$BIN" run "${MAPS[@]}" -- sh -c 'id -u; cat /proc/self/uid_map'
check "run --map-users 0:100000:65536: uid 0 inside, the map as given" \
    '[ "$RC" = 0 ] && [ "$(line 1)" = 0 ] && [ "$(squeezed "$(line 2)")" = "0 100000 65536" ] && [ "$(wc -l <<<"$OUT")" = 2 ]'
t "$BIN" run "${MAPS[@]}" -- cat /proc/self/gid_map
check "--map-groups 0:100000:65536: the gid map as given" '[ "$RC" = 0 ] && [ "$(squeezed "$OUT")" = "0 100000 65536" ]'
UD=$TMP/userns
mkdir -p "$UD" && chmod 1777 "$UD"
t "$BIN" run "${MAPS[@]}" -- touch "$UD/root-made"
check "a file root inside makes is owned by 100000:100000 on the host" \
    '[ "$RC" = 0 ] && [ "$(stat -c %u:%g "$UD/root-made" 2>/dev/null)" = 100000:100000 ]'
t "$BIN" run "${MAPS[@]}" --setuid 1000 --setgid 1000 --groups 10,20 -- sh -c \
    'id -u; id -g; id -G; awk "/^CapEff:/ { print \$2 }" /proc/self/status; touch "$1"' sh "$UD/user-made"
check "--setuid 1000 --setgid 1000 --groups 10,20 under the maps: uid, gid and groups" \
    '[ "$RC" = 0 ] && [ "$(sed -n 1,3p <<<"$OUT")" = $'"'"'1000\n1000\n1000 10 20'"'"' ]'
check "... no effective capability" '[ "$(line 4)" = 0000000000000000 ]'
check "... and its file is 101000:101000 on the host" '[ "$(stat -c %u:%g "$UD/user-made" 2>/dev/null)" = 101000:101000 ]'
t "$BIN" run "${MAPS[@]}" -S 7 -G 8 -- sh -c 'id -u; id -g; id -G'
expect "-S 7 -G 8 (short forms) under the maps; no supplementary groups" 0 $'7\n8\n8'
t "$BIN" run "${MAPS[@]}" --setuid 5 -- sh -c 'id -u; id -g'
expect "--setuid without --setgid: gid 0" 0 $'5\n0'
t "$BIN" run --setuid 65534 --setgid 65534 -- id -u
expect "--setuid 65534 --setgid 65534 without a user namespace" 0 "65534"
t "$BIN" run --setuid 65534 --setgid 65534 --groups 65534,4 -- sh -c 'id -u; id -g; id -G; readlink /proc/self/ns/user'
check "--groups without a user namespace: uid, gid, groups, the host's user namespace" \
    '[ "$RC" = 0 ] && [ "$(sed -n 1,3p <<<"$OUT")" = $'"'"'65534\n65534\n65534 4'"'"' ] && [ "$(line 4)" = "$(readlink /proc/self/ns/user)" ]'
t "$BIN" run --map-user 1234 --map-group 4321 -- sh -c 'id -u; id -g; cat /proc/self/uid_map /proc/self/gid_map'
check "--map-user 1234 --map-group 4321: your ids become 1234 and 4321 inside" \
    '[ "$RC" = 0 ] && [ "$(sed -n 1,2p <<<"$OUT")" = $'"'"'1234\n4321'"'"' ] && [ "$(squeezed "$(line 3)")" = "1234 0 1" ] && [ "$(squeezed "$(line 4)")" = "4321 0 1" ]'
t "$BIN" run --map-users 0:100000:1000 --map-users 1000:0:1 --map-groups 0:100000:1000 --map-groups 1000:0:1 -- sh -c 'id -u; id -g; wc -l < /proc/self/uid_map'
expect "--map-users twice: two lines; without --setuid the caller's uid (mapped to 1000) is kept" 0 $'1000\n1000\n2'

# Bad input: text is a usage error naming the option and the value; what only the engine can
# judge fails at spawn (125) with its message.
t "$BIN" run --map-users 0:1 -- true
expect "--map-users 0:1 (no COUNT): exit 2" 2 "" "invalid value '0:1' for '--map-users': id mapping '0:1': expected INNER:OUTER:COUNT"
t "$BIN" run --map-users a:b:c -- true
expect "--map-users a:b:c: exit 2, names INNER" 2 "" "for '--map-users': id mapping 'a:b:c': INNER 'a' is not a number"
t "$BIN" run --map-groups 0:-1:10 -- true
expect "--map-groups 0:-1:10 (negative): exit 2, names OUTER" 2 "" "for '--map-groups': id mapping '0:-1:10': OUTER '-1' is not a number"
t "$BIN" run --map-users 0:100000:4294967296 -- true
expect "a COUNT past 2^32-1: exit 2" 2 "" "COUNT '4294967296' is not a number"
t "$BIN" run --map-users 0:100000:0 -- true
expect "--map-users 0:100000:0: 125, the size" 125 "" "uid mappings[0] 0:100000:0: the size must be at least 1"
t "$BIN" run --map-users 0:100000:65536 --map-users 100:300000:10 --map-groups 0:100000:65536 -- true
expect "overlapping --map-users (inside): 125, says overlaps" 125 "" "uid mappings[1] 100:300000:10 overlaps uid mappings[0]"
t "$BIN" run --map-users 0:100000:65536 --map-groups 0:100000:65536 --map-groups 70000:100010:5 -- true
expect "overlapping --map-groups (outside): 125, says overlaps" 125 "" "overlaps gid mappings[0] 0:100000:65536 outside"
t "$BIN" run "${MAPS[@]}" --setuid 70000 -- true
expect "--setuid 70000 outside a 65536 range: 125" 125 "" "uid 70000 is not in the uid map (0:100000:65536)"
t "$BIN" run "${MAPS[@]}" --setuid 0 --groups 1,70000 -- true
expect "--groups with a gid outside the map: 125" 125 "" "gid 70000 is not in the gid map"
t "$BIN" run --setgid 5 -- true;        expect "--setgid alone: exit 2" 2 "" "'--setgid' needs --setuid"
t "$BIN" run -G 5 -- true;              expect "-G alone: exit 2" 2 "" "'-G' needs --setuid"
t "$BIN" run --groups 5 -- true;        expect "--groups alone: exit 2" 2 "" "'--groups' needs --setuid"
t "$BIN" run --setuid abc -- true;      expect "--setuid abc: exit 2" 2 "" "invalid id 'abc' for '--setuid'"
t "$BIN" run -S -1 -- true;             expect "-S -1: exit 2" 2 "" "invalid id '-1' for '-S'"
t "$BIN" run --setuid 4294967295 -- true; expect "--setuid 4294967295 (-1): exit 2" 2 "" "invalid id '4294967295'"
t "$BIN" run --setuid 99999999999 -- true; expect "--setuid past 2^32: exit 2" 2 "" "invalid id '99999999999'"
t "$BIN" run --setuid 0 --groups 1,,2 -- true; expect "--groups 1,,2: exit 2" 2 "" "invalid groups '1,,2' for '--groups'"
t "$BIN" run --map-user x -- true;      expect "--map-user x: exit 2" 2 "" "invalid id 'x' for '--map-user'"
t "$BIN" run --map-group '' -- true;    expect "--map-group '': exit 2" 2 "" "invalid id '' for '--map-group'"
t "$BIN" run -r --map-users 0:100000:65536 -- true
expect "-r with --map-users: exit 2, exclusive" 2 "" "'--map-users' and '-r' are exclusive"
t "$BIN" run --map-group 0 --map-root-user -- true
expect "--map-group with --map-root-user: exit 2, exclusive" 2 "" "'--map-group' and '--map-root-user' are exclusive"
t "$BIN" exec -t $$ --setuid 0 -- true; expect "exec has no --setuid" 2 "" "unknown option '--setuid'"
t "$BIN" exec -t $$ -S 0 -- true;       expect "exec has no -S" 2 "" "unknown option '-S'"
t "$BIN" exec -t $$ --map-users 0:100000:1 -- true; expect "exec has no --map-users" 2 "" "unknown option '--map-users'"
for args in "run --map-users" "run --map-users= -- true" "run --map-users :: -- true" "run --groups , -S 0 -- true" \
            "run -S '' -- true" "run --map-users 4294967295:0:1 -- true" "run --map-users 0:4294967295:2 -- true"; do
    eval "t \"\$BIN\" $args"
    check "no crash on: nscore $args (rc=$RC)" '[ "$RC" -lt 126 ] && [ -n "$ERR" ]'
done
help_lists run --map-users --map-groups --map-user --map-group -S --setuid -G --setgid --groups

# Rootless: uid 65534 maps its own ids itself, and ranges through newuidmap/newgidmap, which
# check /etc/subuid and /etc/subgid. Those are never touched: with_subids runs its command in a
# private mount namespace where a file granting 65534 the ids 200000-265535 covers each.
SUBIDS_BEFORE=$(cat /etc/subuid /etc/subgid 2>/dev/null | md5sum)
printf '65534:200000:65536\n' > "$TMP/subuid"
printf '65534:200000:65536\n' > "$TMP/subgid"
chmod 0644 "$TMP/subuid" "$TMP/subgid"
with_subids() {
    unshare -m --propagation private sh -c \
        'mount --bind "$1" /etc/subuid && mount --bind "$2" /etc/subgid || exit 99; shift 2; cd / && exec "$@"' \
        sh "$TMP/subuid" "$TMP/subgid" "$@"
}
RANGES=(--map-users 0:65534:1 --map-users 1:200000:65536 --map-groups 0:65534:1 --map-groups 1:200000:65536)
if [ -x /usr/bin/newuidmap ] && [ -x /usr/bin/newgidmap ]; then
    t with_subids "${NOBODY[@]}" "$RBIN" run "${RANGES[@]}" -- sh -c 'cat /proc/self/uid_map; echo; cat /proc/self/gid_map; id -u'
    check "rootless --map-users through newuidmap: both uid lines" \
        '[ "$RC" = 0 ] && [ "$(squeezed "$(line 1)")" = "0 65534 1" ] && [ "$(squeezed "$(line 2)")" = "1 200000 65536" ]'
    check "... both gid lines (newgidmap), and uid 0 inside" \
        '[ "$(squeezed "$(line 4)")" = "0 65534 1" ] && [ "$(squeezed "$(line 5)")" = "1 200000 65536" ] && [ "$(line 6)" = 0 ]'
    t with_subids "${NOBODY[@]}" "$RBIN" run "${RANGES[@]}" -S 1000 -G 1000 --groups 5,6 -- sh -c 'id -u; id -g; id -G'
    expect "rootless --setuid/--setgid/--groups inside the subordinate range" 0 $'1000\n1000\n1000 5 6'
    t with_subids "${NOBODY[@]}" "$RBIN" run --map-users 0:65534:1 --map-users 1:300000:10 --map-groups 0:65534:1 -- true
    expect "rootless uid range outside /etc/subuid: 125" 125 "" "newuidmap"
    check "... the message names /etc/subuid" 'grep -qF /etc/subuid <<<"$ERR"'
    t with_subids "${NOBODY[@]}" "$RBIN" run --map-users 0:65534:1 --map-groups 0:65534:1 --map-groups 1:300000:10 -- true
    expect "rootless gid range outside /etc/subgid: 125, names newgidmap and /etc/subgid" 125 "" "newgidmap"
    check "... the message names /etc/subgid" 'grep -qF /etc/subgid <<<"$ERR"'
else
    bad "rootless id ranges" "newuidmap/newgidmap are not installed (Debian package uidmap): run tools/deps.sh"
fi
check "the real /etc/subuid and /etc/subgid are unchanged and not mounted over" \
    '[ "$(cat /etc/subuid /etc/subgid 2>/dev/null | md5sum)" = "$SUBIDS_BEFORE" ] && ! grep -qE " /etc/sub[ug]id " /proc/self/mountinfo'
t as_nobody "$RBIN" run --map-user 0 --map-group 0 -- sh -c 'id -u; id -g; cat /proc/self/setgroups'
expect "rootless --map-user 0 --map-group 0 (own ids, no helper): uid and gid 0" 0 $'0\n0\ndeny'
t as_nobody "$RBIN" run --map-user 0 --map-group 0 -S 0 -G 0 --groups 0 -- true
expect "rootless --groups under a self-written gid map: 125, setgroups is denied" 125 "" "supplementary groups need setgroups(2)"
t as_nobody "$RBIN" run --setuid 0 -- true
expect "rootless --setuid 0 without a user namespace: 125" 125

# ---- root filesystems ------------------------------------------------------------------------

echo "# root filesystems"
R=$TMP/rootfs
t bash "$REPO/tools/make-test-rootfs.sh" "$R"
check "make-test-rootfs.sh builds a root filesystem" '[ "$RC" = 0 ] && [ -x "$R/bin/sh" ] && [ -f "$R/etc/passwd" ]'
echo host > "$TMP/outside"   # on the host, outside the rootfs
t "$BIN" run --pid --ipc --uts --rootfs "$R" -- sh -c '
    test -e "$1" && echo host-visible || echo host-gone
    readlink /proc/1/root
    cat /etc/passwd
    echo $(ls /dev)
    echo x > /dev/null && echo null-ok
    head -c 16 /dev/urandom | wc -c' sh "$TMP/outside"
check "--rootfs: the host's tree is gone" '[ "$RC" = 0 ] && [ "$(line 1)" = host-gone ]'
check "--rootfs: readlink /proc/1/root is /" '[ "$(line 2)" = / ]'
check "--rootfs: /etc/passwd is the rootfs's" '[ "$(line 3)" = "$(cat "$R/etc/passwd")" ] && [ "$(line 3)" != "$(head -n 1 /etc/passwd)" ]'
check "--rootfs: /dev has the devices, links, pts, shm and (with --ipc) mqueue" \
    '(for f in null zero full random urandom tty pts shm mqueue ptmx fd stdin stdout stderr; do grep -qw -- "$f" <<<"$(line 4)" || exit 1; done)'
check "--rootfs: echo x > /dev/null works" '[ "$(line 5)" = null-ok ]'
check "--rootfs: head -c 16 /dev/urandom gives 16 bytes" '[ "$(line 6)" = 16 ]'
t "$BIN" run --rootfs "$R" --no-default-mounts -- sh -c 'ls -A /proc | wc -l; ls -A /dev | wc -l'
expect "--no-default-mounts: nothing on /proc and /dev" 0 $'0\n0'

rootfs_state() { find "$R" -printf '%p %i %m %s %T@\n' | sort; }
R_BEFORE=$(rootfs_state)
t "$BIN" run --rootfs "$R" --read-only --tmpfs /tmp:size=1m -- sh -c 'touch /x; touch /tmp/y && echo tmp-writable'
check "--read-only: touch /x fails with Read-only file system" 'grep -q "Read-only file system" <<<"$ERR"'
check "--read-only: --tmpfs /tmp:size=1m stays writable" '[ "$RC" = 0 ] && [ "$OUT" = tmp-writable ]'
check "--read-only: the rootfs on the host is unchanged" '[ "$(rootfs_state)" = "$R_BEFORE" ]'

# --idmap: under a range map, host root's files are the container root's; what it writes is
# host root's. A volume takes idmap as an option.
MAP="--map-users 0:100000:65536 --map-groups 0:100000:65536"
t "$BIN" run $MAP --rootfs "$R" -- sh -c 'stat -c %u:%g /bin/sh; touch /idm 2>/dev/null || echo refused'
expect "--map-users range without --idmap: host root's files are nobody's, root cannot write" 0 $'65534:65534\nrefused'
t "$BIN" run $MAP --rootfs "$R" --idmap -- sh -c 'stat -c %u:%g /bin/sh; touch /idm && echo wrote'
expect "--idmap: host root's files are root's inside, and root writes" 0 $'0:0\nwrote'
check "--idmap: the file root made is host root's" '[ "$(stat -c %u:%g "$R/idm")" = 0:0 ]'
rm -f "$R/idm"
mkdir -p "$TMP/idvol" "$R/idvol" && chown 1000:1000 "$TMP/idvol"
t "$BIN" run $MAP --rootfs "$R" -v "$TMP/idvol:/idvol:idmap" -- stat -c %u /idvol
expect "-v SRC:DST:idmap: host uid 1000 is uid 1000 inside" 0 1000
rmdir "$R/idvol"
t "$BIN" run --idmap -- true
expect "--idmap without --rootfs is a usage error" 2 "" "--idmap needs --rootfs DIR"
t "$BIN" run -m --rootfs "$R" --idmap -- true
expect "--idmap without maps says what it needs" 125 "" "idmap: an idmapped mount is seen through the container's user namespace"
R_BEFORE=$(rootfs_state)

HD=$TMP/hostdir
mkdir -p "$HD" && echo hostdata > "$HD/f" && echo single > "$TMP/file"
t "$BIN" run --rootfs "$R" -v "$HD:/data:ro" -- sh -c 'cat /data/f; if echo w > /data/g; then echo wrote; else echo refused; fi'
check "-v HOSTDIR:/data:ro reads the host file and refuses writes" \
    '[ "$OUT" = $'"'"'hostdata\nrefused'"'"' ] && [ ! -e "$HD/g" ] && grep -q "Read-only file system" <<<"$ERR"'
t "$BIN" run --rootfs "$R" -v "$HD:/data" -- sh -c 'echo from-container > /data/g'
check "-v HOSTDIR:/data: writes reach the host" '[ "$RC" = 0 ] && [ "$(cat "$HD/g" 2>/dev/null)" = from-container ]'
t "$BIN" run --rootfs "$R" --mount type=bind,src="$TMP/file",dst=/etc/f,ro -- sh -c \
    'cat /etc/f; stat -c %F /etc/f; if echo x > /etc/f; then echo wrote; else echo refused; fi'
check "--mount type=bind,src=FILE,dst=/etc/f,ro binds a single file, read-only" \
    '[ "$OUT" = $'"'"'single\nregular file\nrefused'"'"' ] && [ "$(cat "$TMP/file")" = single ]'

t "$BIN" run --uts --rootfs "$R" -- sh -c 'ls -A /sys/firmware | wc -l; if echo 1 > /proc/sys/kernel/hostname; then echo wrote; else echo refused; fi'
check "masked paths: /sys/firmware is empty" '[ "$(line 1)" = 0 ]'
check "read-only paths: echo 1 > /proc/sys/kernel/hostname fails" '[ "$(line 2)" = refused ] && grep -q "Read-only file system" <<<"$ERR"'
t "$BIN" run --uts --rootfs "$R" --masked-paths '' --readonly-paths '' -- sh -c \
    'ls -A /sys/firmware | wc -l; echo inside > /proc/sys/kernel/hostname && hostname'
check "--masked-paths '': /sys/firmware shows what the host's does" '[ "$RC" = 0 ] && [ "$(line 1)" = "$(ls -A /sys/firmware | wc -l)" ]'
check "--readonly-paths '': /proc/sys is writable in the new UTS namespace" '[ "$(line 2)" = inside ]'
check "... and the host hostname is unchanged" '[ "$(hostname)" = "$host_hostname" ]'

# Propagation: a bind of a shared tmpfs; once the container runs, the host mounts a tmpfs under
# it and signals through a fifo; the container prints what it finds there.
SD=$TMP/shared
mkdir -p "$SD" && mount -t tmpfs nscore-test-shared "$SD" && mount --make-shared "$SD"
PERSISTED+=("$SD/sub" "$SD")   # the EXIT trap unmounts them if this section does not get to
mkdir "$SD/sub" && mkfifo "$SD/go"
prop_test() {  # NAME PROPAGATION EXPECTED-STDOUT
    local name=$1 prop=$2 want=$3
    start_container sh run --rootfs "$R" --kill-on-parent-death --mount type=bind,src="$SD",dst=/m,propagation="$prop" \
        -- sh -c "read l < /m/go; cat /m/sub/seen 2>/dev/null || echo unseen; : $MARK"
    if [ "$CTR" = 0 ]; then
        wait "$CLI" 2>/dev/null
        RC=-1 OUT="" ERR=$(cat "$TMP/bg.err"); bad "$name" "the container never started: $(result)"; return
    fi
    mount -t tmpfs nscore-test-sub "$SD/sub" && echo seen > "$SD/sub/seen"
    timeout 10 sh -c 'echo go > "$1"' sh "$SD/go" || kill -KILL "$CTR"
    wait "$CLI"
    RC=$? OUT=$(cat "$TMP/bg.out") ERR=$(cat "$TMP/bg.err")
    umount "$SD/sub"
    expect "$name" 0 "$want"
}
prop_test "--mount ...,propagation=slave sees a tmpfs the host mounts after the start" slave seen
prop_test "--mount ...,propagation=private does not" private unseen
umount "$SD"
check "the shared tmpfs and its submount are gone from the host" '! grep -qF "$SD" /proc/self/mountinfo'

start_container sleep run --pid --ipc --uts --rootfs "$R" --kill-on-parent-death -- sleep "$MARK"
if [ "$CTR" != 0 ]; then
    t "$BIN" mounts "$CTR"
    check "mounts PID of a rootfs container: / with /proc and /dev/pts in its tree" \
        '[ "$RC" = 0 ] && [ "$(line 2 | awk "{ print \$1 }")" = / ] && grep -Eq -- "-/proc +[^ ]+ +proc " <<<"$OUT" && grep -Eq -- "-/dev/pts +[^ ]+ +devpts " <<<"$OUT"'
    stop_container
else
    bad "mounts PID of a rootfs container" "container did not start: $(cat "$TMP/bg.err")"
fi

t "$BIN" run --help
check "run --help lists the root filesystem options" \
    '[ "$RC" = 0 ] && (for f in --rootfs --read-only --no-default-mounts --tmpfs -v --volume --masked-paths --readonly-paths; do grep -qF -- "$f" <<<"$OUT" || exit 1; done)'

# Bad input: every one fails before the command runs and leaves no mount behind.
MI_BEFORE=$(wc -l < /proc/self/mountinfo)
t "$BIN" run --rootfs "$R" --mount type=bind,src="$TMP/missing",dst=/m -- true
check "a missing bind source: 125, names mounts[0] and the source" \
    '[ "$RC" = 125 ] && grep -qF "mounts[0]" <<<"$ERR" && grep -qF "source $TMP/missing: ENOENT" <<<"$ERR"'
t "$BIN" run --rootfs "$R" --mount type=bind,src="$HD",dst=rel -- true
expect "a relative mount destination: 125" 125 "" "destination 'rel' is not an absolute path"
t "$BIN" run --rootfs "$R" --mount type=foofs,src=x,dst=/x -- true
expect "an unknown filesystem type: 125, fsopen ENODEV" 125 "" "mounts[0] (foofs x on /x): fsopen foofs: ENODEV"
t "$BIN" run --rootfs "$R" --mount type=bind,src="$HD",dst=/m,propagation=weird -- true
expect "propagation=weird: usage error" 2 "" "invalid propagation 'weird'"
t "$BIN" run --rootfs "$R/etc/passwd" -- true
expect "a rootfs that is a file: 125, not a directory" 125 "" "$R/etc/passwd: not a directory"
t "$BIN" run --read-only -- true
expect "--read-only without --rootfs: usage error" 2 "" "--read-only needs --rootfs"
t "$BIN" run --rootfs "$R" -- env
expect "a command the host has but the rootfs lacks: 127" 127 "" "command not found in the root filesystem $R: 'env'"
check "the bad input left the host's mount table as it was" '[ "$(wc -l < /proc/self/mountinfo)" = "$MI_BEFORE" ]'

t as_nobody "$RBIN" run -r --pid --ipc --uts --net --rootfs "$R" -- sh -c 'id -u; echo x > /dev/null && echo ok; ls /dev/pts'
expect "rootless --rootfs as uid 65534: uid 0, /dev/null, a fresh /dev/pts" 0 $'0\nok\nptmx'

# ---- capabilities and no_new_privs -----------------------------------------------------------

echo "# capabilities and no_new_privs"
# Every check reads the command's own /proc/self/status; field NAME prints one of its values.
STATUS_RE='^(CapInh|CapPrm|CapEff|CapBnd|CapAmb|NoNewPrivs):'
field() { awk -v f="$1:" '$1 == f { print $2 }' <<<"$OUT"; }
hex() { printf '%016x' "$1"; }
# Docker's default set, from its list: CHOWN 0, DAC_OVERRIDE 1, FOWNER 3, FSETID 4, KILL 5,
# SETGID 6, SETUID 7, SETPCAP 8, NET_BIND_SERVICE 10, NET_RAW 13, SYS_CHROOT 18, MKNOD 27,
# AUDIT_WRITE 29, SETFCAP 31.
DOCKER_MASK=0
for n in 0 1 3 4 5 6 7 8 10 13 18 27 29 31; do DOCKER_MASK=$((DOCKER_MASK | 1 << n)); done
DOCKER_CAPS=$(hex "$DOCKER_MASK")
ZERO=0000000000000000
SHELL_EFF=$(awk '/^CapEff:/ { print $2 }' /proc/self/status)
SHELL_BND=$(awk '/^CapBnd:/ { print $2 }' /proc/self/status)
# Every capability the kernel has; a spawn can give only those in its caller's bounding set (all
# of them for a root shell that was never restricted).
FULL_CAPS=$(hex $(( (1 << ($(cat /proc/sys/kernel/cap_last_cap) + 1)) - 1 )))
ALL_CAPS=$(hex $(( 16#$FULL_CAPS & 16#$SHELL_BND )))
check "Docker's default mask is 00000000a80425fb" '[ "$DOCKER_CAPS" = 00000000a80425fb ]'

t "$BIN" run --rootfs "$R" -- grep -E "$STATUS_RE" /proc/self/status
check "--rootfs: CapEff, CapPrm and CapBnd are Docker's default set" \
    '[ "$RC" = 0 ] && [ "$(field CapEff)" = "$DOCKER_CAPS" ] && [ "$(field CapPrm)" = "$DOCKER_CAPS" ] && [ "$(field CapBnd)" = "$DOCKER_CAPS" ]'
check "--rootfs: no inheritable or ambient capability, and NoNewPrivs 1" \
    '[ "$(field CapInh)" = $ZERO ] && [ "$(field CapAmb)" = $ZERO ] && [ "$(field NoNewPrivs)" = 1 ]'
t "$BIN" run --rootfs "$R" -- mount -t tmpfs t /mnt
check "--rootfs: mount inside fails (no CAP_SYS_ADMIN)" '[ "$RC" != 0 ] && grep -qi "permission denied" <<<"$ERR"'
t "$BIN" run -- grep -E "$STATUS_RE" /proc/self/status
check "a plain run keeps the caller's capabilities and NoNewPrivs 0" \
    '[ "$RC" = 0 ] && [ "$(field CapEff)" = "$SHELL_EFF" ] && [ "$(field CapBnd)" = "$SHELL_BND" ] && [ "$(field NoNewPrivs)" = 0 ]'

t "$BIN" run --cap-drop ALL --cap-add CHOWN,NET_RAW -- grep -E "$STATUS_RE" /proc/self/status
check "--cap-drop ALL --cap-add CHOWN,NET_RAW: CapEff and CapBnd 0000000000002001" \
    '[ "$RC" = 0 ] && [ "$(field CapEff)" = 0000000000002001 ] && [ "$(field CapBnd)" = 0000000000002001 ]'
check "... and a plain spawn keeps NoNewPrivs 0" '[ "$(field NoNewPrivs)" = 0 ]'
t "$BIN" run --cap-add cap_chown --cap-drop=all --cap-add net_raw -- grep -E "$STATUS_RE" /proc/self/status
check "repeated flags, CAP_ prefix, lower case and --cap-drop=all" '[ "$RC" = 0 ] && [ "$(field CapEff)" = 0000000000002001 ]'
t "$BIN" run --cap-drop NET_RAW -- grep -E "$STATUS_RE" /proc/self/status
check "--cap-drop NET_RAW without --rootfs: Docker's set without NET_RAW" \
    '[ "$RC" = 0 ] && [ "$(field CapEff)" = "$(hex $(( DOCKER_MASK & ~(1 << 13) )))" ] && [ "$(field CapBnd)" = "$(field CapEff)" ]'
t "$BIN" run --cap-add NET_RAW --cap-drop NET_RAW -- grep -E "$STATUS_RE" /proc/self/status
check "a capability both added and dropped is kept (Docker drops first)" '[ "$RC" = 0 ] && [ "$(field CapEff)" = "$DOCKER_CAPS" ]'
t "$BIN" run --cap-add ALL --cap-drop NET_RAW -- grep -E "$STATUS_RE" /proc/self/status
check "--cap-add ALL --cap-drop NET_RAW: every capability but NET_RAW" \
    '[ "$RC" = 0 ] && [ "$(field CapEff)" = "$(hex $(( 16#$ALL_CAPS & ~(1 << 13) )))" ]'
t "$BIN" run --cap-add SYS_ADMIN --rootfs "$R" -- sh -c 'mount -t tmpfs t /mnt && grep -c " /mnt tmpfs " /proc/self/mounts'
expect "--cap-add SYS_ADMIN --rootfs: mount -t tmpfs t /mnt works inside" 0 "1"
RAW_SOCKET='import socket; socket.socket(socket.AF_INET, socket.SOCK_RAW, 1)'
t "$BIN" run --cap-drop NET_RAW -- /usr/bin/python3 -c "$RAW_SOCKET"
check "--cap-drop NET_RAW: a raw socket fails with PermissionError" '[ "$RC" = 1 ] && grep -q PermissionError <<<"$ERR"'
t "$BIN" run -- /usr/bin/python3 -c "$RAW_SOCKET";   expect "... and works without it" 0

CD=$TMP/caps
mkdir -p "$CD" && chmod 0755 "$CD" && touch "$CD/f"
t "$BIN" run --cap-drop CHOWN -- chown 1 "$CD/f"
check "--cap-drop CHOWN: chown 1 FILE fails" '[ "$RC" != 0 ] && grep -q "Operation not permitted" <<<"$ERR" && [ "$(stat -c %u "$CD/f")" = 0 ]'
t "$BIN" run -- chown 1 "$CD/f"
check "... and a plain run (root) can" '[ "$RC" = 0 ] && [ "$(stat -c %u "$CD/f")" = 1 ]'

t "$BIN" run --privileged --rootfs "$R" -- grep -E "$STATUS_RE" /proc/self/status
check "--privileged --rootfs: every capability ($ALL_CAPS) and NoNewPrivs 0" \
    '[ "$RC" = 0 ] && [ "$(field CapBnd)" = "$ALL_CAPS" ] && [ "$(field CapEff)" = "$ALL_CAPS" ] && [ "$(field NoNewPrivs)" = 0 ]'
t "$BIN" run --privileged --rootfs "$R" -- sh -c 'mount -t tmpfs t /mnt && grep -c " /mnt tmpfs " /proc/self/mounts'
expect "--privileged --rootfs: mount works inside" 0 "1"
t "$BIN" run --privileged --no-new-privileges --rootfs "$R" -- grep -E "$STATUS_RE" /proc/self/status
check "--privileged --no-new-privileges: NoNewPrivs 1" '[ "$RC" = 0 ] && [ "$(field NoNewPrivs)" = 1 ] && [ "$(field CapEff)" = "$ALL_CAPS" ]'
t "$BIN" run --privileged --cap-drop NET_RAW -- grep -E "$STATUS_RE" /proc/self/status
check "--privileged --cap-drop NET_RAW: --cap-drop still applies" \
    '[ "$RC" = 0 ] && [ "$(field CapBnd)" = "$(hex $(( 16#$ALL_CAPS & ~(1 << 13) )))" ]'
t "$BIN" run --new-privileges --rootfs "$R" -- grep -E "$STATUS_RE" /proc/self/status
check "--new-privileges --rootfs: NoNewPrivs 0, still Docker's set" \
    '[ "$RC" = 0 ] && [ "$(field NoNewPrivs)" = 0 ] && [ "$(field CapEff)" = "$DOCKER_CAPS" ]'
t "$BIN" run --no-new-privileges -- grep -E "$STATUS_RE" /proc/self/status
check "--no-new-privileges on a plain run: NoNewPrivs 1, capabilities unchanged" \
    '[ "$RC" = 0 ] && [ "$(field NoNewPrivs)" = 1 ] && [ "$(field CapEff)" = "$SHELL_EFF" ]'
t "$BIN" run --no-new-privileges --new-privileges -- grep -E "$STATUS_RE" /proc/self/status
check "--no-new-privileges then --new-privileges: the last one wins" '[ "$RC" = 0 ] && [ "$(field NoNewPrivs)" = 0 ]'

KEEP=(--setuid 1000 --cap-drop ALL --cap-add NET_BIND_SERVICE)
t "$BIN" run "${KEEP[@]}" --keep-caps -- sh -c 'id -u; grep -E "$0" /proc/self/status' "$STATUS_RE"
check "--setuid 1000 --keep-caps --cap-drop ALL --cap-add NET_BIND_SERVICE: uid 1000, CapEff and CapAmb 0000000000000400" \
    '[ "$RC" = 0 ] && [ "$(line 1)" = 1000 ] && [ "$(field CapEff)" = 0000000000000400 ] && [ "$(field CapAmb)" = 0000000000000400 ]'
check "... inheritable and permitted too" '[ "$(field CapInh)" = 0000000000000400 ] && [ "$(field CapPrm)" = 0000000000000400 ]'
t "$BIN" run "${KEEP[@]}" -- sh -c 'id -u; grep -E "$0" /proc/self/status' "$STATUS_RE"
check "... without --keep-caps: CapEff 0 for uid 1000" \
    '[ "$RC" = 0 ] && [ "$(line 1)" = 1000 ] && [ "$(field CapEff)" = $ZERO ] && [ "$(field CapAmb)" = $ZERO ]'
BIND_80='import socket; socket.socket().bind(("127.0.0.1", 80))'
t "$BIN" run --net "${KEEP[@]}" --keep-caps -- /usr/bin/python3 -c "$BIND_80"
expect "--keep-caps: uid 1000 with NET_BIND_SERVICE binds port 80" 0
t "$BIN" run --net "${KEEP[@]}" -- /usr/bin/python3 -c "$BIND_80"
check "... and without --keep-caps cannot" '[ "$RC" = 1 ] && grep -q PermissionError <<<"$ERR"'
t "$BIN" run --setuid 1000 --keep-caps -- grep -E "$STATUS_RE" /proc/self/status
check "--keep-caps alone on a plain run: every capability, ambient too" \
    '[ "$RC" = 0 ] && [ "$(field CapEff)" = "$ALL_CAPS" ] && [ "$(field CapAmb)" = "$ALL_CAPS" ]'
t "$BIN" run --rootfs "$R" --setuid 1000 --keep-caps -- grep -E "$STATUS_RE" /proc/self/status
check "--keep-caps --rootfs: Docker's set, ambient too" \
    '[ "$RC" = 0 ] && [ "$(field CapEff)" = "$DOCKER_CAPS" ] && [ "$(field CapAmb)" = "$DOCKER_CAPS" ] && [ "$(field NoNewPrivs)" = 1 ]'

# A setuid-root copy of id: no_new_privs makes exec ignore the setuid bit.
cp /usr/bin/id "$CD/id" && chown 0:0 "$CD/id" && chmod 4755 "$CD/id"
t "$BIN" run --setuid 1000 -- "$CD/id" -u;                       expect "a setuid-root program run as uid 1000: euid 0" 0 "0"
t "$BIN" run --setuid 1000 --no-new-privileges -- "$CD/id" -u;   expect "... under --no-new-privileges: euid 1000" 0 "1000"

t "$BIN" run --cap-add FLY -- true
expect "--cap-add FLY: exit 2, names the flag and the value" 2 "" "invalid value 'FLY' for '--cap-add'"
check "... and lists the valid names" 'grep -q "CAP_CHOWN, CAP_DAC_OVERRIDE" <<<"$ERR" && grep -q "CAP_NET_ADMIN" <<<"$ERR"'
t "$BIN" run --cap-drop CHOWN,,KILL -- true;  expect "--cap-drop CHOWN,,KILL: exit 2" 2 "" "invalid value 'CHOWN,,KILL' for '--cap-drop'"
t "$BIN" run --cap-add;                        expect "--cap-add without a value: exit 2" 2 "" "'--cap-add' needs a value"
t "$BIN" run --privileged=yes -- true;         expect "--privileged takes no value" 2 "" "--privileged"
for args in "run --cap-add '' -- true" "run --cap-drop , -- true" "run --cap-add CAP_ -- true" "run --keep-caps=1 -- true" \
            "run --cap-drop" "run --cap-add=ALL,bogus -- true"; do
    eval "t \"\$BIN\" $args"
    check "no crash on: nscore $args (rc=$RC)" '[ "$RC" = 2 ] && [ -n "$ERR" ]'
done

t as_nobody "$RBIN" run -U -r --cap-drop ALL --cap-add CHOWN -- grep CapEff /proc/self/status
check "rootless -U -r --cap-drop ALL --cap-add CHOWN: CapEff 0000000000000001" '[ "$RC" = 0 ] && [ "$(field CapEff)" = 0000000000000001 ]'
t as_nobody "$RBIN" run -r --pid --ipc --uts --net --rootfs "$R" -- grep -E "$STATUS_RE" /proc/self/status
check "rootless -r --rootfs: Docker's set and NoNewPrivs 1" \
    '[ "$RC" = 0 ] && [ "$(field CapEff)" = "$DOCKER_CAPS" ] && [ "$(field NoNewPrivs)" = 1 ]'
t as_nobody "$RBIN" run --cap-drop ALL -- true
check "rootless --cap-drop without a user namespace: 125, EPERM" '[ "$RC" = 125 ] && grep -q EPERM <<<"$ERR"'
help_lists run --idmap
help_lists run --cap-add --cap-drop --privileged --no-new-privileges --new-privileges --keep-caps

# ---- seccomp ---------------------------------------------------------------------------------

echo "# seccomp"
# A root filesystem with unshare and mkdir: the default profile refuses unshare, which needs no
# capability, so what refuses it there is the filter.
SR=$TMP/seccomp-rootfs
t bash "$REPO/tools/make-test-rootfs.sh" "$SR" sh grep mount unshare mkdir true
check "make-test-rootfs.sh builds a root filesystem with unshare" '[ "$RC" = 0 ] && [ -x "$SR$(type -P unshare)" ]'
SC=$TMP/seccomp
mkdir -p "$SC/open" && chmod 0755 "$SC" && chmod 1777 "$SC/open"

t "$BIN" run --rootfs "$SR" -- grep '^Seccomp:' /proc/self/status
check "--rootfs: the default profile is installed (Seccomp: 2)" '[ "$RC" = 0 ] && [ "$(field Seccomp)" = 2 ]'
t "$BIN" run --rootfs "$SR" -- mount -t tmpfs t /mnt
check "--rootfs, default profile: mount is refused" '[ "$RC" != 0 ] && [ -n "$ERR" ]'
t "$BIN" run --rootfs "$SR" -- unshare -U true
check "--rootfs, default profile: unshare -U is refused (EPERM)" '[ "$RC" != 0 ] && grep -q "Operation not permitted" <<<"$ERR"'
t "$BIN" run --rootfs "$SR" --cap-add SYS_ADMIN -- unshare -U true
expect "--rootfs --cap-add SYS_ADMIN: the profile follows the capabilities, unshare -U works" 0
t "$BIN" run --rootfs "$SR" --seccomp unconfined -- sh -c 'grep "^Seccomp:" /proc/self/status; unshare -U true && echo unshared'
check "--seccomp unconfined --rootfs: Seccomp: 0, and unshare -U works" \
    '[ "$RC" = 0 ] && [ "$(field Seccomp)" = 0 ] && [ "$(line 2)" = unshared ]'
t "$BIN" run --rootfs "$SR" --security-opt seccomp=unconfined -- grep '^Seccomp:' /proc/self/status
check "--security-opt seccomp=unconfined --rootfs: Seccomp: 0" '[ "$RC" = 0 ] && [ "$(field Seccomp)" = 0 ]'
t "$BIN" run --rootfs "$SR" --privileged -- grep '^Seccomp:' /proc/self/status
check "--privileged --rootfs: no filter, as Docker (Seccomp: 0)" '[ "$RC" = 0 ] && [ "$(field Seccomp)" = 0 ]'
t "$BIN" run --rootfs "$SR" --privileged --seccomp default -- grep '^Seccomp:' /proc/self/status
check "--privileged --seccomp default --rootfs: the filter asked for (Seccomp: 2)" '[ "$RC" = 0 ] && [ "$(field Seccomp)" = 2 ]'
t "$BIN" run -- grep '^Seccomp:' /proc/self/status
check "a plain run: no filter (Seccomp: 0)" '[ "$RC" = 0 ] && [ "$(field Seccomp)" = 0 ]'
t "$BIN" run --seccomp default -- grep '^Seccomp:' /proc/self/status
check "a plain run with --seccomp default: Seccomp: 2" '[ "$RC" = 0 ] && [ "$(field Seccomp)" = 2 ]'

# A custom profile: everything allowed but mkdir, which fails with EACCES (13). Root could
# create the directory, so "Permission denied" is the filter's.
DENY_MKDIR=$SC/deny-mkdir.json
cat > "$DENY_MKDIR" <<'JSON'
{
    "defaultAction": "SCMP_ACT_ALLOW",
    "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 13}]
}
JSON
t "$BIN" run --seccomp "$DENY_MKDIR" -- sh -c 'grep "^Seccomp:" /proc/self/status; touch "$0/f" && echo touched; mkdir "$0/d"' "$SC"
check "--seccomp FILE denying mkdir (errnoRet 13): mkdir fails with Permission denied" \
    '[ "$RC" = 1 ] && grep -q "Permission denied" <<<"$ERR" && [ ! -e "$SC/d" ]'
check "... the filter is installed and other calls work" '[ "$(field Seccomp)" = 2 ] && [ "$(line 2)" = touched ]'
t "$BIN" run --security-opt seccomp="$DENY_MKDIR" -- mkdir "$SC/d"
check "--security-opt seccomp=FILE: the same" '[ "$RC" = 1 ] && grep -q "Permission denied" <<<"$ERR" && [ ! -e "$SC/d" ]'
t "$BIN" run --security-opt="seccomp=$DENY_MKDIR" -- mkdir "$SC/d"
check "--security-opt=seccomp=FILE: the same" '[ "$RC" = 1 ] && grep -q "Permission denied" <<<"$ERR" && [ ! -e "$SC/d" ]'
python3 -c 'import json, sys; print(json.dumps({"ociVersion": "1.0.2", "linux": {"seccomp": json.load(open(sys.argv[1]))}}))' \
    "$DENY_MKDIR" > "$SC/config.json"
t "$BIN" run --seccomp "$SC/config.json" -- mkdir "$SC/d"
check "--seccomp config.json: its linux.seccomp applies" '[ "$RC" = 1 ] && grep -q "Permission denied" <<<"$ERR" && [ ! -e "$SC/d" ]'
t "$BIN" run --seccomp default --seccomp unconfined -- grep '^Seccomp:' /proc/self/status
check "the last --seccomp wins" '[ "$RC" = 0 ] && [ "$(field Seccomp)" = 0 ]'
t "$BIN" run --security-opt no-new-privileges -- grep NoNewPrivs /proc/self/status
check "--security-opt no-new-privileges: NoNewPrivs 1" '[ "$RC" = 0 ] && [ "$(field NoNewPrivs)" = 1 ]'
t "$BIN" run --rootfs "$SR" --security-opt no-new-privileges=false -- grep NoNewPrivs /proc/self/status
check "--security-opt no-new-privileges=false --rootfs: NoNewPrivs 0" '[ "$RC" = 0 ] && [ "$(field NoNewPrivs)" = 0 ]'

# Bad input: a usage error for the option text (2), a failure naming the file and the place in
# it for the file (125); the command never runs.
t "$BIN" run --security-opt apparmor=unconfined -- true
expect "--security-opt apparmor=...: exit 2, lists what is supported" 2 "" "seccomp=PROFILE (default, unconfined or a JSON file) and no-new-privileges"
t "$BIN" run --seccomp '' -- true;            expect "--seccomp '': exit 2" 2 "" "'--seccomp' needs a PROFILE"
t "$BIN" run --security-opt seccomp= -- true; expect "--security-opt seccomp=: exit 2" 2 "" "needs a PROFILE"
t "$BIN" run --seccomp;                       expect "--seccomp without a value: exit 2" 2 "" "'--seccomp' needs a value"
bad_profile() {  # NAME JSON STDERR-SUBSTRING
    printf '%s\n' "$2" > "$SC/bad.json"
    rm -f "$SC/ran"
    t "$BIN" run --seccomp "$SC/bad.json" -- touch "$SC/ran"
    expect "$1" 125 "" "seccomp profile $SC/bad.json: $3"
    check "... and the command did not run" '[ ! -e "$SC/ran" ]'
}
t "$BIN" run --seccomp "$SC/missing.json" -- true
expect "--seccomp of a missing file: 125, names it" 125 "" "seccomp profile $SC/missing.json: ENOENT"
bad_profile "invalid JSON: names the line and column" $'{"defaultAction": "SCMP_ACT_ALLOW",\n "syscalls": [}' \
    "the profile is not valid JSON: line 2, column 15"
bad_profile "an unknown syscall: names syscalls[0].names[0]" \
    '{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["nosuchcall"], "action": "SCMP_ACT_ERRNO"}]}' \
    "syscalls[0].names[0]: unknown syscall 'nosuchcall'"
bad_profile "an unknown action: names syscalls[0].action" \
    '{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["mkdir"], "action": "SCMP_ACT_FLY"}]}' \
    "syscalls[0].action: unknown action 'SCMP_ACT_FLY'"
bad_profile "SCMP_ACT_NOTIFY is refused: nscore has no supervisor" \
    '{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["mkdir"], "action": "SCMP_ACT_NOTIFY"}]}' \
    "syscalls[0].action is SCMP_ACT_NOTIFY"
bad_profile "a profile that refuses execve: names the file and the call" \
    '{"defaultAction": "SCMP_ACT_ERRNO"}' "the filter gives execve SCMP_ACT_ERRNO(1)"
t "$BIN" run --seccomp "$SC" -- true;         expect "--seccomp DIRECTORY: 125, EISDIR" 125 "" "seccomp profile $SC: EISDIR"

# nscore seccomp: default, check, compile.
t "$BIN" seccomp default
check "seccomp default: valid JSON, defaultAction SCMP_ACT_ERRNO (EPERM), no mount" \
    '[ "$RC" = 0 ] && python3 -c "import json,sys; d=json.load(sys.stdin); assert d[\"defaultAction\"]==\"SCMP_ACT_ERRNO\" and d[\"defaultErrnoRet\"]==1; assert not any(\"mount\" in r[\"names\"] for r in d[\"syscalls\"])" <<<"$OUT"'
echo "$OUT" > "$SC/default.json"
t "$BIN" seccomp default --cap-add SYS_ADMIN
check "seccomp default --cap-add SYS_ADMIN: mount is allowed" \
    '[ "$RC" = 0 ] && python3 -c "import json,sys; d=json.load(sys.stdin); assert any(\"mount\" in r[\"names\"] and r[\"action\"]==\"SCMP_ACT_ALLOW\" for r in d[\"syscalls\"])" <<<"$OUT"'
t "$BIN" seccomp default --cap-add FLY;       expect "seccomp default --cap-add FLY: exit 2" 2 "" "invalid value 'FLY' for '--cap-add'"
t "$BIN" run --rootfs "$SR" --seccomp "$SC/default.json" -- sh -c 'grep "^Seccomp:" /proc/self/status; unshare -U true'
check "the printed default profile, given back as a file, refuses unshare -U" \
    '[ "$RC" != 0 ] && [ "$(field Seccomp)" = 2 ] && grep -q "Operation not permitted" <<<"$ERR"'
t "$BIN" seccomp check "$DENY_MKDIR"
check "seccomp check FILE: N BPF instructions for the architectures" \
    '[ "$RC" = 0 ] && grep -Eq "^$DENY_MKDIR: [0-9]+ BPF instructions for SCMP_ARCH_" <<<"$OUT"'
printf '%s\n' '{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["nosuchcall"], "action": "SCMP_ACT_LOG"}]}' > "$SC/unknown.json"
t "$BIN" seccomp check "$SC/unknown.json" "$DENY_MKDIR"
check "seccomp check BAD GOOD: exit 1, the error names the place, the good one is still checked" \
    '[ "$RC" = 1 ] && grep -qF "seccomp profile $SC/unknown.json: syscalls[0].names[0]: unknown syscall" <<<"$ERR" && grep -q "^$DENY_MKDIR: " <<<"$OUT"'
t "$BIN" seccomp check "$SC/missing.json"; expect "seccomp check of a missing file: exit 1" 1 "" "ENOENT"
t "$BIN" seccomp check;                    expect "seccomp check without FILE: exit 2" 2 "" "missing FILE"
t "$BIN" seccomp compile default -o "$SC/default.bpf"
check "seccomp compile default -o F: a whole number of 8-byte instructions" \
    '[ "$RC" = 0 ] && size=$(stat -c %s "$SC/default.bpf") && [ "$size" -gt 0 ] && [ $((size % 8)) = 0 ]'
check "... and the count on stderr matches the size" \
    '[ "$(grep -Eo "[0-9]+ BPF instructions" <<<"$ERR" | cut -d" " -f1)" = $(( $(stat -c %s "$SC/default.bpf") / 8 )) ]'
t sh -c '"$0" seccomp compile "$1" | wc -c' "$BIN" "$DENY_MKDIR"
check "seccomp compile FILE to a pipe: the program on stdout" '[ "$RC" = 0 ] && [ "$OUT" -gt 0 ] && [ $((OUT % 8)) = 0 ]'
t python3 -c 'import os, pty, sys; sys.exit(os.waitstatus_to_exitcode(pty.spawn(sys.argv[1:])))' \
    "$BIN" seccomp compile default </dev/null
check "seccomp compile to a terminal: refused, exit 2" '[ "$RC" = 2 ] && grep -q "to a terminal" <<<"$OUT"'
t "$BIN" seccomp compile "$DENY_MKDIR" --cap-add SYS_ADMIN -o "$SC/x.bpf"
expect "seccomp compile FILE --cap-add: exit 2" 2 "" "applies to the default profile only"
t "$BIN" seccomp compile "$SC/unknown.json" -o "$SC/x.bpf"
expect "seccomp compile of a bad profile: exit 1, names the place" 1 "" "syscalls[0].names[0]"
t "$BIN" seccomp;                 expect "seccomp without a command: exit 2" 2 "" "missing COMMAND"
t "$BIN" seccomp frob;            expect "seccomp frob: exit 2" 2 "" "unknown command 'frob'"
t "$BIN" --help;                  check "--help lists seccomp" '[ "$RC" = 0 ] && grep -q "^  seccomp  " <<<"$OUT"'
t "$BIN" help seccomp;            check "help seccomp shows seccomp's help" '[ "$RC" = 0 ] && grep -q "^Usage: nscore seccomp " <<<"$OUT"'
help_lists seccomp default check compile -h --help
help_lists run --seccomp --security-opt unconfined SCMP_ACT_NOTIFY
for sub in "default --cap-add --cap-drop --privileged" "check FILE" "compile -o --output --cap-add"; do
    read -r c flags <<<"$sub"
    t "$BIN" seccomp "$c" --help
    missing=""; for f in -h --help $flags; do grep -qF -- "$f" <<<"$OUT" || missing+=" $f"; done
    check "seccomp $c --help lists every flag${missing:+ (missing:$missing)}" '[ "$RC" = 0 ] && [ -z "$missing" ]'
done

# Rootless: in a user namespace of its own, uid 65534 may install a filter; without one, it
# needs no_new_privs (seccomp(2) asks for one of the two).
t as_nobody "$RBIN" run -U -r -- mkdir "$SC/open/control"
check "rootless: uid 65534 may mkdir in SC/open (the control)" '[ "$RC" = 0 ] && [ -d "$SC/open/control" ]'
t as_nobody "$RBIN" run -U -r --seccomp "$DENY_MKDIR" -- sh -c 'grep "^Seccomp:" /proc/self/status; mkdir "$0/d"' "$SC/open"
check "rootless -U -r --seccomp FILE: the filter applies, mkdir fails with Permission denied" \
    '[ "$RC" = 1 ] && [ "$(field Seccomp)" = 2 ] && grep -q "Permission denied" <<<"$ERR" && [ ! -e "$SC/open/d" ]'
t as_nobody "$RBIN" run --no-new-privileges --seccomp "$DENY_MKDIR" -- mkdir "$SC/open/d"
check "rootless --no-new-privileges --seccomp FILE (no user namespace): the filter applies" \
    '[ "$RC" = 1 ] && grep -q "Permission denied" <<<"$ERR" && [ ! -e "$SC/open/d" ]'
t as_nobody "$RBIN" run --seccomp "$DENY_MKDIR" -- true
expect "rootless --seccomp FILE with neither: 125, EACCES, says what gives the privilege" 125 "" \
    "EACCES (Permission denied); without no_new_privs, installing a filter needs CAP_SYS_ADMIN in the command's user namespace: add --no-new-privileges, or a user namespace (--map-root-user)"
t as_nobody "$RBIN" run -r --rootfs "$SR" -- grep '^Seccomp:' /proc/self/status
check "rootless -r --rootfs: the default profile (Seccomp: 2)" '[ "$RC" = 0 ] && [ "$(field Seccomp)" = 2 ]'

# ---- resources (cgroups) ---------------------------------------------------------------------

echo "# resources (cgroups)"
# cg.sh CONTROLLER [PID [V1FILE V2FILE]]: where process PID (default: the caller) has CONTROLLER,
# as NSCore chooses: the unified (cgroup2) hierarchy when PID's cgroup2 directory offers it,
# else the controller's v1 hierarchy. Prints "DIR V2" (V2: 1 or 0), or, given the files, the
# content of V1FILE or V2FILE there. Plain sh and awk: containers run it too. It assumes each
# hierarchy is mounted at its root (mountinfo's root field "/"), as on a host.
CGSH=$TMP/cg.sh
cat > "$CGSH" <<'SH'
c=$1 p=${2:-self}
mnt() { awk -v t="$1" -v c="$2" '{ for (i = 7; $i != "-"; i++);
    if ($(i + 1) == t && (c == "" || index("," $(i + 3) ",", "," c ","))) { print $5; exit } }' /proc/self/mountinfo; }
v2=$(mnt cgroup2)$(awk -F: '$1 == 0 { print $3; exit }' /proc/$p/cgroup)
v1=$(mnt cgroup "$c")
if [ -n "$v1" ] && ! grep -qw "$c" "$v2/cgroup.controllers" 2>/dev/null; then
    dir=$v1$(awk -F: -v c="$c" 'index("," $2 ",", "," c ",") { print $3; exit }' /proc/$p/cgroup) is2=0 file=${3-}
else
    dir=$v2 is2=1 file=${4-}
fi
if [ $# -ge 3 ]; then cat "$dir/$file"; else echo "$dir $is2"; fi
SH
chmod 0644 "$CGSH"
# cg_files CONTROLLER PID: sets CGDIR and CG_V2 for process PID.
cg_files() { read -r CGDIR CG_V2 < <(sh "$CGSH" "$1" "$2"); }
# cg_left PID: the cgroup directories an nscore of pid PID made (nscore-PID-N) that still exist.
cg_left() {
    local m
    for m in $(awk '{ for (i = 7; $i != "-"; i++); if ($(i + 1) ~ /^cgroup2?$/) print $5 }' /proc/self/mountinfo); do
        find "$m" -maxdepth 12 -type d -name "nscore-$1-*" 2>/dev/null
    done
}
# tp CMD...: as t, with LASTPID the command's pid (its cgroups are named nscore-LASTPID-N).
tp() {
    "$@" >"$TMP/stdout" 2>"$TMP/stderr" &
    LASTPID=$!
    wait "$LASTPID"
    RC=$?
    OUT=$(cat "$TMP/stdout")
    ERR=$(cat "$TMP/stderr")
}

# The memory limit: an allocation far above it is killed (memory plus swap limited too, so that
# swap cannot absorb it); the same one fits under a larger limit.
tp "$BIN" run --memory 32m --memory-swap 32m -- python3 -c 'bytearray(256 << 20); print("survived")'
expect "--memory 32m --memory-swap 32m: a 256 MiB allocation is killed by the OOM killer (137)" 137 ""
check "... and its cgroup is removed" '[ -z "$(cg_left "$LASTPID")" ]'
t "$BIN" run --memory 512m --memory-swap 512m -- python3 -c 'bytearray(256 << 20); print("survived")'
expect "--memory 512m --memory-swap 512m: the same allocation fits" 0 "survived"

# The pids limit: PID 1 (python, counted) forks until fork fails with EAGAIN; -p so that its
# children, asleep, die with it.
tp "$BIN" run -p --pids-limit 10 -- python3 -c '
import os, time
n = 0
try:
    while n < 100:
        if os.fork() == 0:
            time.sleep(60)
            os._exit(0)
        n += 1
except BlockingIOError:
    print("EAGAIN after", n)'
expect "--pids-limit 10 -p: the 10th process cannot be forked (EAGAIN after 9 children)" 0 "EAGAIN after 9"
check "... and its cgroup is removed once its children are gone" '[ -z "$(cg_left "$LASTPID")" ]'

# The values in the running container's cgroup files, read from outside.
start_container sleep run --memory 64m --pids-limit 20 --cpus 0.5 -- sleep "$MARK"
if [ "$CTR" != 0 ]; then
    RUNCLI=$CLI
    cg_files memory "$CTR"; MEMDIR=$CGDIR
    t cat "$CGDIR/$([ "$CG_V2" = 1 ] && echo memory.max || echo memory.limit_in_bytes)"
    expect "--memory 64m: the container's memory limit is 67108864 ($MEMDIR)" 0 67108864
    check "... in a directory of its own, nscore-PID-N" '[[ $MEMDIR == */nscore-$RUNCLI-* ]]'
    cg_files pids "$CTR"
    t cat "$CGDIR/pids.max";  expect "--pids-limit 20: pids.max is 20" 0 20
    cg_files cpu "$CTR"
    if [ "$CG_V2" = 1 ]; then
        t cat "$CGDIR/cpu.max";  expect "--cpus 0.5: cpu.max is 50000 100000" 0 "50000 100000"
    else
        t cat "$CGDIR/cpu.cfs_quota_us" "$CGDIR/cpu.cfs_period_us"
        expect "--cpus 0.5: cpu.cfs_quota_us is 50000 (of a 100000 µs period)" 0 $'50000\n100000'
    fi
    t cat /proc/"$RUNCLI"/cgroup
    check "... and nscore itself stays in its own cgroups" '[ "$RC" = 0 ] && ! grep -q nscore- <<<"$OUT"'
    stop_container
    check "once the container ended, no nscore-$RUNCLI-* directory is left" '[ -z "$(cg_left "$RUNCLI")" ]'
else
    bad "--memory 64m --pids-limit 20 --cpus 0.5 in the background" "container did not start: $(cat "$TMP/bg.err")"
fi

# Every other option, on cgroup v1 (--oom-kill-disable exists only there).
cg_files memory self
if [ "$CG_V2" = 0 ]; then
    start_container sleep run --memory 64m --memory-reservation 32m --memory-swap 128m --oom-kill-disable \
        --cpu-shares 512 --cpu-period 50000 --cpu-quota 25000 --cpuset-cpus 0 --cpuset-mems 0 -- sleep "$MARK"
    if [ "$CTR" != 0 ]; then
        RUNCLI=$CLI
        v=""
        for f in memory:memory.soft_limit_in_bytes memory:memory.memsw.limit_in_bytes cpu:cpu.shares \
                 cpu:cpu.cfs_period_us cpu:cpu.cfs_quota_us cpuset:cpuset.cpus cpuset:cpuset.mems; do
            cg_files "${f%%:*}" "$CTR"
            v+="${f#*:}=$(cat "$CGDIR/${f#*:}") "
        done
        cg_files memory "$CTR"
        v+="$(grep oom_kill_disable "$CGDIR/memory.oom_control")"
        t echo "$v"
        expect "--memory-reservation, --memory-swap, --oom-kill-disable, --cpu-*, --cpuset-*: the files hold them" 0 \
            "memory.soft_limit_in_bytes=33554432 memory.memsw.limit_in_bytes=134217728 cpu.shares=512 cpu.cfs_period_us=50000 cpu.cfs_quota_us=25000 cpuset.cpus=0 cpuset.mems=0 oom_kill_disable 1"
        stop_container
        check "... and no nscore-$RUNCLI-* directory is left" '[ -z "$(cg_left "$RUNCLI")" ]'
    else
        bad "every resource option in the background" "container did not start: $(cat "$TMP/bg.err")"
    fi
else
    echo "skip - every resource option on cgroup v1 (memory is in cgroup2 here)"
fi

# SIZE in docker's units (powers of 1024), and --cpus' decimals, read by the command itself.
for case in 33554432:33554432 33554432b:33554432 16384k:16777216 16384KB:16777216 256m:268435456 \
            64MiB:67108864 1g:1073741824 1.5G:1610612736; do
    t "$BIN" run --memory "${case%%:*}" -- sh "$CGSH" memory self memory.limit_in_bytes memory.max
    expect "--memory ${case%%:*} is ${case#*:} bytes" 0 "${case#*:}"
done
t "$BIN" run --cpus 1.25 -- sh -c 'sh "$0" cpu self cpu.cfs_quota_us cpu.max | cut -d" " -f1' "$CGSH"
expect "--cpus 1.25: a quota of 125000 µs" 0 125000

# Bad input: text is a usage error naming the option and the value (2); what only the machine
# can judge fails at spawn with the engine's message, in the options' names (125). The command
# never runs.
RS=$TMP/resources; mkdir -p "$RS"
bad_resource() {  # NAME RC STDERR-SUBSTRING OPTION...
    local name=$1 rc=$2 msg=$3; shift 3
    rm -f "$RS/ran"
    tp "$BIN" run "$@" -- touch "$RS/ran"
    expect "$name" "$rc" "" "$msg"
    check "... and the command did not run, no cgroup is left" '[ ! -e "$RS/ran" ] && [ -z "$(cg_left "$LASTPID")" ]'
}
bad_resource "--memory -5: exit 2"  2 "invalid value '-5' for '--memory': expected a size such as" --memory -5
bad_resource "--memory 10x: exit 2" 2 "invalid value '10x' for '--memory'" --memory 10x
bad_resource "--memory 0: exit 2"   2 "invalid value '0' for '--memory'" --memory 0
bad_resource "--memory-swap -2: exit 2, -1 is unlimited" 2 "or -1 for unlimited swap" --memory 64m --memory-swap -2
bad_resource "--cpus 0: exit 2"     2 "invalid value '0' for '--cpus': expected a number of CPUs from 0.01 to" --cpus 0
bad_resource "--cpus abc: exit 2"   2 "invalid value 'abc' for '--cpus'" --cpus abc
bad_resource "--cpus 0.001: below 0.01, exit 2" 2 "invalid value '0.001' for '--cpus'" --cpus 0.001
bad_resource "--cpus above the machine's CPUs: exit 2" 2 "this machine has $(getconf _NPROCESSORS_ONLN) CPU" --cpus 100000
bad_resource "--cpu-shares 1: exit 2" 2 "invalid value '1' for '--cpu-shares': expected a relative weight from 2 to 262144" \
    --cpu-shares 1
bad_resource "--cpu-period 100: exit 2" 2 "invalid value '100' for '--cpu-period'" --cpu-period 100
bad_resource "--cpu-quota 500: exit 2" 2 "invalid value '500' for '--cpu-quota'" --cpu-quota 500
bad_resource "--cpuset-cpus 3-1: exit 2" 2 "invalid value '3-1' for '--cpuset-cpus': expected a list of CPUs" --cpuset-cpus 3-1
bad_resource "--cpuset-mems x: exit 2" 2 "invalid value 'x' for '--cpuset-mems'" --cpuset-mems x
bad_resource "--pids-limit -2: exit 2" 2 "invalid value '-2' for '--pids-limit'" --pids-limit -2
bad_resource "--oom-kill-disable=maybe: exit 2" 2 "expected true or false" --oom-kill-disable=maybe
bad_resource "--cpus with --cpu-quota: exit 2, as docker" 2 "'--cpus' and '--cpu-quota' cannot both be given" \
    --cpus 0.5 --cpu-quota 20000
bad_resource "--memory-reservation above --memory: exit 2" 2 "'--memory-reservation' (67108864 bytes) must not be above" \
    --memory 32m --memory-reservation 64m
t "$BIN" run --memory;  expect "--memory without a value: exit 2" 2 "" "'--memory' needs a value"
bad_resource "--cpuset-cpus of a CPU the machine lacks: 125, the engine's message" 125 \
    "--cpuset-cpus '0-4095' names CPU" --cpuset-cpus 0-4095
check "... which the machine does not have" 'grep -q "which this machine does not have" <<<"$ERR"'
bad_resource "--memory-swap below --memory: 125" 125 \
    "--memory-swap (33554432) is memory plus swap, and must be at least --memory (67108864)" --memory 64m --memory-swap 32m
bad_resource "--memory-swap without --memory: 125" 125 "--memory-swap needs --memory" --memory-swap 64m
t "$BIN" run --oom-kill-disable -- true
expect "--oom-kill-disable without --memory: runs, with docker's warning" 0 "" "without a --memory limit may be dangerous"

# Rootless: uid 65534 cannot write below nscore's cgroup; without resources nothing changes.
t as_nobody "$RBIN" run --memory 64m -- true
expect "rootless --memory 64m: 125, says what it needs" 125 "" "cgroup limits need write access to the caller's cgroup"
check "... naming the error" 'grep -Eq "EACCES|EPERM|EROFS" <<<"$ERR"'
t as_nobody "$RBIN" run -U -r --pids-limit 20 -- true
expect "rootless -U -r --pids-limit 20: a user namespace gives no cgroup access either (125)" 125 "" "need write access"
t as_nobody "$RBIN" run -U -r -- id -u;   expect "rootless -U -r without resources still works" 0 "0"

help_lists run --memory --memory-reservation --memory-swap --oom-kill-disable --cpus --cpu-shares --cpu-period \
    --cpu-quota --cpuset-cpus --cpuset-mems --pids-limit "Resources (cgroups"

# Where the cgroup goes: --cgroup-parent PATH (docker's: the cgroup to put it in, as
# PATH/nscore-<nscore's pid>-1) and --cgroups-path PATH (OCI's: the container's cgroup itself);
# absolute from each hierarchy's root, relative from nscore's cgroup (this shell's).
# own_dirs: this shell's directory in each cgroup hierarchy (each mounted at its root).
own_dirs() {
    awk 'NR == FNR { n = index($0, ":"); rest = substr($0, n + 1); m = index(rest, ":")
                     path[substr(rest, 1, m - 1)] = substr(rest, m + 1); next }
         { for (i = 7; $i != "-"; i++); t = $(i + 1); if (t != "cgroup" && t != "cgroup2") next
           key = "-"
           if (t == "cgroup2") key = ""
           else for (k in path) {
               if (k == "") continue
               c = split(k, names, ","); all = 1
               for (j = 1; j <= c; j++) if (!index("," $(i + 3) ",", "," names[j] ",")) all = 0
               if (all) key = k
           }
           if (key != "-" && key in path) print $5 (path[key] == "/" ? "" : path[key]) }' /proc/self/cgroup /proc/self/mountinfo
}
# placed_in WANT: every line of stdin (a container's /proc/self/cgroup) that differs from this
# shell's is "N:NAMES:WANT", where WANT may use @ for this shell's path in that hierarchy; at
# least one differs.
placed_in() {
    local line id path own differs=0
    while IFS= read -r line; do
        id=${line%%:*} path=${line#*:*:}
        own=$(awk -F: -v id="$id" '$1 == id { print substr($0, length($1) + length($2) + 3) }' /proc/self/cgroup)
        [ "$path" = "$own" ] && continue
        differs=1
        [ "$own" = / ] && own=""
        [ "$path" = "${1//@/$own}" ] || return 1
    done
    [ "$differs" = 1 ]
}
if [ -n "$(sh "$CGSH" memory self)" ] && [ -n "$(own_dirs)" ]; then
    for d in $(own_dirs); do mkdir "$d/${CGP}parent"; done
    tp "$BIN" run --memory 64m --cgroup-parent "${CGP}parent" -- cat /proc/self/cgroup
    expect "--cgroup-parent NAME (relative) --memory 64m: runs" 0
    check "... in NAME/nscore-PID-1 below nscore's own cgroup, in each hierarchy it uses" \
        'placed_in "@/${CGP}parent/nscore-$LASTPID-1" <<<"$OUT"'
    check "... removed after, NAME kept" '[ -z "$(cg_left "$LASTPID")" ] && [ "$(cgp_dirs | wc -l)" = "$(own_dirs | wc -l)" ]'
    cgp_clean
    t "$BIN" run --memory 64m --cgroups-path "/${CGP}abs" -- \
        sh -c 'cat /proc/self/cgroup; ls -d /sys/fs/cgroup/*/"$0" /sys/fs/cgroup/"$0" 2>/dev/null; true' "${CGP}abs"
    expect "--cgroups-path /NAME (absolute) --memory 64m: runs" 0
    check "... in /NAME at each hierarchy's root" 'grep -v "^/" <<<"$OUT" | placed_in "/${CGP}abs"'
    check "... which is /sys/fs/cgroup/memory/NAME (or, on a unified machine, /sys/fs/cgroup/NAME)" \
        'grep -qxE "/sys/fs/cgroup/(memory/)?${CGP}abs" <<<"$OUT"'
    check "... removed after" '[ -z "$(cgp_dirs)" ]'
    for m in $(cg_mounts); do mkdir "$m/${CGP}exists"; done
    bad_resource "--cgroups-path of a cgroup that exists: 125, names it" 125 \
        "/${CGP}exists: EEXIST (File exists); the container's cgroup must not exist yet (--cgroups-path names a new cgroup)" \
        --memory 64m --cgroups-path "/${CGP}exists"
    check "... and it is kept" '[ "$(cgp_dirs | wc -l)" = "$(cg_mounts | wc -l)" ]'
    cgp_clean
    bad_resource "--cgroup-parent of a cgroup that does not exist: 125, names it" 125 \
        "/${CGP}missing: ENOENT" --memory 64m --cgroup-parent "/${CGP}missing"
    check "... ENOENT" 'grep -qF "ENOENT (No such file or directory)" <<<"$ERR"'
    bad_resource "--cgroups-path in a parent that does not exist: 125, names it" 125 \
        "/${CGP}missing: ENOENT" --memory 64m --cgroups-path "${CGP}missing/x"
    check "no cgroup named ${CGP}* is left" '[ -z "$(cgp_dirs)" ]'
else
    echo "skip - --cgroup-parent and --cgroups-path: no memory controller, or no cgroup hierarchy"
fi
bad_resource "--cgroups-path a/../b: exit 2, names it" 2 \
    "invalid value 'a/../b' for '--cgroups-path': expected a cgroup path: names separated by '/', without '.' or '..'" \
    --memory 64m --cgroups-path a/../b
bad_resource "--cgroups-path '': exit 2" 2 "invalid value '' for '--cgroups-path'" --memory 64m --cgroups-path ""
bad_resource "--cgroups-path /: exit 2 (it names no cgroup)" 2 "invalid value '/' for '--cgroups-path'" \
    --memory 64m --cgroups-path /
bad_resource "--cgroup-parent '': exit 2" 2 "invalid value '' for '--cgroup-parent'" --memory 64m --cgroup-parent ""
bad_resource "--cgroup-parent ./x: exit 2" 2 "invalid value './x' for '--cgroup-parent'" --memory 64m --cgroup-parent ./x
bad_resource "--cgroup-parent without a limit: exit 2" 2 "--cgroup-parent needs a resource limit such as --memory" \
    --cgroup-parent "${CGP}x"
bad_resource "--cgroups-path without a limit: exit 2" 2 "--cgroups-path needs a resource limit such as --memory" \
    --cgroups-path "/${CGP}x"
check "no cgroup named ${CGP}* is left" '[ -z "$(cgp_dirs)" ]'
help_lists run --cgroup-parent --cgroups-path

# ---- resources: stats, pause, resume, update, kill (a running container's cgroup) ------------

echo "# resources: stats, pause, resume, update, kill"
# A container that appends to a file as fast as it can: the file grows while it runs.
GROW=$TMP/grow
fsize() { stat -c %s "$GROW" 2>/dev/null || echo 0; }
# grows_over SECONDS: whether the file grew in that time.
grows_over() { local a; a=$(fsize); sleep "$1"; [ "$(fsize)" != "$a" ]; }
rm -f "$GROW"
start_container sh run --memory 64m --pids-limit 20 --cpus 0.5 -- sh -c 'while :; do echo x >> "$0"; done' "$GROW"
if [ "$CTR" != 0 ]; then
    RUNCLI=$CLI
    t "$BIN" stats "$CTR"
    expect "stats PID: exit 0" 0
    check "... a header and one row" '[ "$(wc -l <<<"$OUT")" = 2 ] && grep -q "MEM USAGE / LIMIT" <<<"$OUT"'
    check "... the memory limit is 64MiB, the pids limit 20" \
        'line 2 | grep -q " / 64MiB" && line 2 | grep -Eq "[0-9]+ / 20$"'
    t "$BIN" stats --json "$CTR"
    expect "stats --json PID: exit 0" 0
    t python3 -c '
import json, sys
s = json.loads(sys.argv[1])
assert s["pid"] == int(sys.argv[2]), s
assert s["memoryLimit"] == 64 << 20 and s["pidsLimit"] == 20, s
assert s["memoryCurrent"] > 0 and 1 <= s["pidsCurrent"] <= 20 and s["cpuUsageNanoseconds"] > 0, s
for k in ("memoryPeak", "memoryLimitHits", "oomKills", "cpuPeriods", "cpuThrottledPeriods", "cpuThrottledNanoseconds"):
    assert k in s, k
assert all("/nscore-" + sys.argv[3] + "-" in d for d in s["cgroups"]), s["cgroups"]
print("ok")' "$OUT" "$CTR" "$RUNCLI"
    expect "... parses as JSON with the limits, usage and every field" 0 ok
    t "$BIN" stats "$RUNCLI"
    check "stats of the nscore run that started it: the same container" \
        '[ "$RC" = 0 ] && line 2 | grep -q " / 64MiB"'

    check "the container runs: the file grows" 'grows_over 0.2'
    t "$BIN" pause "$CTR"
    expect "pause PID: exit 0" 0 ""
    check "... the file stops growing (0.2 s)" '! grows_over 0.2'
    t "$BIN" pause "$CTR"
    expect "pause PID again: exit 0, still frozen" 0 ""
    t "$BIN" resume "$CTR"
    expect "resume PID: exit 0" 0 ""
    check "... the file grows again" 'grows_over 0.2'

    t "$BIN" update "$CTR" --pids-limit 30
    expect "update PID --pids-limit 30: exit 0" 0 ""
    cg_files pids "$CTR"
    t cat "$CGDIR/pids.max";  expect "... pids.max is 30" 0 30
    t "$BIN" update --memory 128m --cpus 1 "$CTR"
    expect "update --memory 128m --cpus 1: exit 0" 0 ""
    t sh "$CGSH" memory "$CTR" memory.limit_in_bytes memory.max
    expect "... the memory limit is 134217728" 0 134217728
    t sh -c 'sh "$0" cpu "$1" cpu.cfs_quota_us cpu.max | cut -d" " -f1' "$CGSH" "$CTR"
    expect "... the cpu quota is 100000 µs" 0 100000
    t "$BIN" stats "$CTR"
    check "... and stats shows them" '[ "$RC" = 0 ] && line 2 | grep -q " / 128MiB" && line 2 | grep -Eq " / 30$"'
    t "$BIN" update --cpuset-cpus 0 "$CTR"
    expect "update --cpuset-cpus of a container started without one: exit 1, says why" 1 "" \
        "the container has no cpuset cgroup"
    t "$BIN" update --memory 10x "$CTR"
    expect "update --memory 10x: exit 2, as run" 2 "" "invalid value '10x' for '--memory'"
    t "$BIN" update --cpus 0.5 --cpu-quota 20000 "$CTR"
    expect "update --cpus with --cpu-quota: exit 2, as run" 2 "" "cannot both be given"
    t "$BIN" update "$CTR"
    expect "update without a limit: exit 2" 2 "" "nothing to update"
    t "$BIN" kill "$RUNCLI"
    expect "kill (without --all) of the nscore run: exit 1, it is not the container's" 1 "" "give a process of the container, or --all"

    t "$BIN" kill --all "$CTR"
    expect "kill --all PID: exit 0" 0 ""
    wait "$RUNCLI"; RUNRC=$?
    check "... the container ends, killed (nscore run exits 137)" '[ "$RUNRC" = 137 ] && ! kill -0 "$CTR" 2>/dev/null'
    check "... and no nscore-$RUNCLI-* directory is left" '[ -z "$(cg_left "$RUNCLI")" ]'
    t "$BIN" stats "$CTR"
    expect "stats of a PID that ended: exit 1, no such process" 1 "" "there is no process $CTR"
else
    bad "a growing container in the background" "container did not start: $(cat "$TMP/bg.err")"
fi

# kill --all of a container with descendants, some in a shell of their own; a frozen one too.
start_container sh run --pids-limit 20 -- sh -c 'sleep '"$MARK"' & sh -c "sleep '"$MARK"'" & wait'
if [ "$CTR" != 0 ]; then
    RUNCLI=$CLI
    for i in $(seq 100); do [ "$(sh "$CGSH" pids "$CTR" pids.current pids.current)" -ge 4 ] 2>/dev/null && break; sleep 0.05; done
    t "$BIN" pause "$CTR";         expect "pause a container with descendants" 0 ""
    t "$BIN" kill --all "$RUNCLI"; expect "kill --all of a frozen container, by its nscore run's PID: exit 0" 0 ""
    wait "$RUNCLI"; RUNRC=$?
    check "... every process ends (137) and no nscore-$RUNCLI-* directory is left" \
        '[ "$RUNRC" = 137 ] && [ -z "$(cg_left "$RUNCLI")" ]'
else
    bad "a container with descendants in the background" "container did not start: $(cat "$TMP/bg.err")"
fi

# Bad input: usage errors exit 2; a PID that is not a container's, or no process at all, 1.
for c in stats pause resume update kill; do
    t "$BIN" "$c";        expect "$c without a PID: exit 2" 2 "" "missing PID"
    args=("$c" $$); [ "$c" = update ] && args=(update --pids-limit 5 $$)
    t "$BIN" "${args[@]}"; expect "$c of a PID in no nscore cgroup: exit 1, names it" 1 "" "process $$ (bash) is in no nscore cgroup"
done
t "$BIN" stats 999999999;   expect "stats of a PID with no process: exit 1" 1 "" "there is no process 999999999"
t "$BIN" pause abc;         expect "pause abc: exit 2" 2 "" "invalid PID 'abc'"
t "$BIN" kill -s NOPE --all 1; expect "kill --signal NOPE: exit 2" 2 "" "invalid value 'NOPE'"
t "$BIN" update --memory-swap -2 1; expect "update --memory-swap -2: exit 2" 2 "" "or -1 for unlimited swap"
t "$BIN" update --oom-kill-disable 1; expect "update --oom-kill-disable: not a docker update option, exit 2" 2 "" \
    "unknown option '--oom-kill-disable'"

help_lists stats --json -J -h --help
help_lists pause -h --help
help_lists resume -h --help
help_lists update --memory --memory-swap --memory-reservation --cpus --cpu-shares --cpu-quota --cpu-period \
    --cpuset-cpus --cpuset-mems --pids-limit -h --help
help_lists kill --all -a --signal -s -h --help
t "$BIN" --help
check "--help lists stats, pause, resume, update and kill" \
    '[ "$RC" = 0 ] && (for c in stats pause resume update kill; do grep -qw "$c" <<<"$OUT" || exit 1; done)'

# ---- resources: block io and huge pages ---------------------------------------------------------

echo "# resources: block io and huge pages"
# The whole disk that holds $TMP (a partition's disk): DISK (MAJ:MIN) and its node DISKNODE.
DISK=$(stat -c '%Hd:%Ld' "$TMP")
[ -e /sys/dev/block/"$DISK"/partition ] && DISK=$(cat /sys/dev/block/"$DISK"/../dev)
DISKNODE=/dev/$(basename "$(readlink -f /sys/dev/block/"$DISK" 2>/dev/null)")
if [ -e /sys/dev/block/"$DISK" ] && [ -b "$DISKNODE" ] && [ "$(stat -c '%t:%T' "$DISKNODE")" = "$(printf '%x:%x' "${DISK%%:*}" "${DISK#*:}")" ]; then
    # Outside: the limits in the running container's cgroup files; stats shows its io; update.
    WEIGHTFILE=""
    start_container sleep run --device-write-bps "$DISKNODE:512k" --device-read-iops "$DISKNODE:100" \
        --hugetlb 2MB:64m -- sleep "$MARK"
    if [ "$CTR" != 0 ]; then
        RUNCLI=$CLI
        t sh "$CGSH" blkio "$CTR" blkio.throttle.write_bps_device io.max
        expect "--device-write-bps $DISKNODE:512k: the container's blkio (or io) cgroup can be read" 0
        check "... in its line ($OUT)" 'grep -Eq "^$DISK (524288|rbps=max wbps=524288 riops=100 wiops=max)$" <<<"$OUT"'
        t sh "$CGSH" blkio "$CTR" blkio.throttle.read_iops_device io.max
        check "--device-read-iops $DISKNODE:100: 100 reads/s ($OUT)" 'grep -Eq "^$DISK (100|.*riops=100.*)$" <<<"$OUT"'
        if [ -e /sys/kernel/mm/hugepages/hugepages-2048kB ]; then
            t sh "$CGSH" hugetlb "$CTR" hugetlb.2MB.limit_in_bytes hugetlb.2MB.max
            expect "--hugetlb 2MB:64m: the container's 2 MB huge page limit is 67108864" 0 67108864
        fi
        t "$BIN" update --device-write-bps "$DISKNODE:1mb" --hugetlb 2MB:32m "$CTR"
        expect "update --device-write-bps $DISKNODE:1mb --hugetlb 2MB:32m: exit 0" 0 ""
        t sh "$CGSH" blkio "$CTR" blkio.throttle.write_bps_device io.max
        check "... the write limit is 1048576 ($OUT)" 'grep -Eq "^$DISK (1048576|.*wbps=1048576.*)$" <<<"$OUT"'
        if [ -e /sys/kernel/mm/hugepages/hugepages-2048kB ]; then
            t sh "$CGSH" hugetlb "$CTR" hugetlb.2MB.limit_in_bytes hugetlb.2MB.max
            expect "... the huge page limit is 33554432" 0 33554432
        fi
        t "$BIN" update --device-write-bps "$DISKNODE:0" "$CTR"
        expect "update --device-write-bps $DISKNODE:0: exit 0" 0 ""
        t sh "$CGSH" blkio "$CTR" blkio.throttle.write_bps_device io.max
        check "... the write limit is gone" '! grep -Eq "^$DISK ([0-9]+|.*wbps=[0-9].*)$" <<<"$OUT"'
        t "$BIN" update --device-write-bps /dev/null:1m "$CTR"
        expect "update --device-write-bps /dev/null:1m: exit 2, as run" 2 "" "/dev/null is not a block device"
        t "$BIN" stats "$CTR"
        check "stats shows the container's BLOCK I/O on $DISK" \
            '[ "$RC" = 0 ] && header | grep -q "BLOCK I/O" && line 2 | grep -q " $DISK [0-9.]*[KMG]*i*B / "'
        # Whether the kernel keeps a weight in a container's cgroup here.
        cg_files blkio "$CTR"
        for f in blkio.bfq.weight blkio.weight io.bfq.weight io.weight; do
            [ -e "$CGDIR/$f" ] && { WEIGHTFILE=$f; break; }
        done
        stop_container
        check "once it ended, no nscore-$RUNCLI-* directory is left" '[ -z "$(cg_left "$RUNCLI")" ]'
    else
        bad "--device-write-bps, --device-read-iops, --hugetlb in the background" "container did not start: $(cat "$TMP/bg.err")"
    fi

    # Inside: a direct 1 MiB write at 512 KiB/s takes about 2 s (dd's own time, and from here).
    start=$(date +%s%N)
    tp "$BIN" run --device-write-bps "$DISKNODE:512k" -- dd if=/dev/zero of="$TMP/dd" bs=64k count=16 oflag=direct
    took=$(( ($(date +%s%N) - start) / 1000000 ))
    rm -f "$TMP/dd"
    expect "--device-write-bps $DISKNODE:512k: dd of 1 MiB with oflag=direct runs" 0 "" "copied"
    check "... and takes over 0.8 s (dd: $(grep -o 'copied, [0-9.]* s' <<<"$ERR"), $took ms from outside)" \
        '[ "$took" -gt 800 ] && awk "/copied/ { exit !(\$(NF - 3) > 0.8) }" <<<"$ERR"'
    check "... and its cgroup is removed" '[ -z "$(cg_left "$LASTPID")" ]'

    if [ -n "$WEIGHTFILE" ]; then
        t "$BIN" run --blkio-weight 500 -- sh "$CGSH" blkio self "$WEIGHTFILE" "$WEIGHTFILE"
        check "--blkio-weight 500: the container's $WEIGHTFILE holds it" \
            '[ "$RC" = 0 ] && grep -Eq "^(default )?(500|4950)$" <<<"$OUT"'
    else
        echo "skip - --blkio-weight: the kernel keeps no block io weight in a container's cgroup here"
    fi
else
    echo "skip - block io limits: $TMP is on no block device with a node in /dev"
fi
if [ -e /sys/kernel/mm/hugepages/hugepages-2048kB ]; then
    t "$BIN" run --hugetlb 2mb:64m -- sh "$CGSH" hugetlb self hugetlb.2MB.limit_in_bytes hugetlb.2MB.max
    expect "--hugetlb 2mb:64m: the container reads its limit, 67108864 (SIZE in any case)" 0 67108864
fi

# Bad input: a DEVICE that is no block device or does not exist, a bad rate or format (2); what
# the machine judges, in the options' names (125).
bad_resource "--device-write-bps /dev/null:1m: exit 2, not a block device" 2 \
    "invalid value '/dev/null:1m' for '--device-write-bps': /dev/null is not a block device" --device-write-bps /dev/null:1m
bad_resource "--device-read-bps of a missing path: exit 2" 2 \
    "'--device-read-bps': /dev/nscore-no-such-disk: No such file or directory" --device-read-bps /dev/nscore-no-such-disk:1m
bad_resource "--device-write-bps $DISKNODE:1x: exit 2, a bad rate" 2 \
    "for '--device-write-bps': expected bytes per second after the ':'" --device-write-bps "$DISKNODE:1x"
bad_resource "--device-write-bps $DISKNODE:-1: exit 2" 2 "for '--device-write-bps': expected bytes per second" \
    --device-write-bps "$DISKNODE:-1"
bad_resource "--device-read-bps without DEVICE: exit 2" 2 "expected DEVICE:RATE such as /dev/vda:1mb" --device-read-bps 1m
bad_resource "--device-read-iops $DISKNODE:1m: exit 2, a count" 2 "expected operations per second" \
    --device-read-iops "$DISKNODE:1m"
bad_resource "--device-write-iops /dev/null:5: exit 2" 2 "/dev/null is not a block device" --device-write-iops /dev/null:5
bad_resource "--blkio-weight 5: exit 2" 2 "invalid value '5' for '--blkio-weight': expected a relative weight from 10 to 1000" \
    --blkio-weight 5
bad_resource "--blkio-weight-device $DISKNODE:1001: exit 2" 2 "expected a weight from 10 to 1000" \
    --blkio-weight-device "$DISKNODE:1001"
bad_resource "--hugetlb 2MB: exit 2, no limit" 2 "expected SIZE:LIMIT" --hugetlb 2MB
bad_resource "--hugetlb 2MB:lots: exit 2" 2 "expected SIZE:LIMIT" --hugetlb 2MB:lots
bad_resource "--hugetlb 3MB:64m: 125, the engine's message in the option's name" 125 \
    "--hugetlb page size '3MB' is not a huge page size of this machine" --hugetlb 3MB:64m
PART=$(for p in /sys/class/block/*/partition; do [ -e "$p" ] && basename "$(dirname "$p")" && break; done)
if [ -n "$PART" ] && [ -b "/dev/$PART" ]; then
    bad_resource "--device-read-bps of a partition (/dev/$PART): 125, names the disk" 125 \
        "--device-read-bps /dev/$PART: " --device-read-bps "/dev/$PART:1m"
    check "... which is a partition" 'grep -q "is a partition; io limits apply to whole disks" <<<"$ERR"'
fi

help_lists run --blkio-weight --blkio-weight-device --device-read-bps --device-write-bps --device-read-iops \
    --device-write-iops --hugetlb "docker has none"
help_lists update --blkio-weight --blkio-weight-device --device-read-bps --device-write-bps --device-read-iops \
    --device-write-iops --hugetlb
help_lists stats "BLOCK I/O" "OOM EVENTS" '"oomEvents"' '"io"'

# ---- networks --------------------------------------------------------------------------------

echo "# resource limits, OOM score, creds"
t "$BIN" run --ulimit nofile=100:200 --ulimit core=0 --oom-score-adj 200 -- sh -c 'ulimit -Sn; ulimit -Hn; ulimit -c; cat /proc/self/oom_score_adj'
expect "--ulimit and --oom-score-adj apply inside" 0 "100
200
0
200"
check "... and the host's nofile limit is unchanged" '[ "$(ulimit -Sn)" != 100 ]'
t "$BIN" run --ulimit nofile=50 --ulimit nofile=60:70 -- sh -c 'ulimit -Sn; ulimit -Hn'
expect "a later --ulimit of a resource replaces the earlier one; SOFT alone sets both" 0 "60
70"
t "$BIN" run --ulimit fly=1 -- true;          expect "--ulimit fly=1: exit 2, lists the valid types" 2 "" "the valid ones are RLIMIT_CPU"
t "$BIN" run --ulimit nofile=10:5 -- true;    expect "--ulimit soft above hard: exit 2" 2 "" "above its hard limit"
t "$BIN" run --ulimit nofile -- true;         expect "--ulimit without a value: exit 2" 2 "" "TYPE=SOFT[:HARD]"
t "$BIN" run --oom-score-adj 5000 -- true;    expect "--oom-score-adj 5000: exit 2" 2 "" "-1000 to 1000"
t "$BIN" run --oom-score-adj x -- true;       expect "--oom-score-adj x: exit 2" 2 "" "-1000 to 1000"
# creds: a container with maps, a user and capabilities, read from outside.
start_container sleep run -U --map-users 0:100000:65536 --map-groups 0:100000:65536 -S 1000 -G 1000 --groups 7 \
    --cap-drop ALL --cap-add CHOWN --no-new-privileges -- sleep "$MARK"
t "$BIN" creds "$CTR"
check "creds: uid, groups, maps, capabilities and no_new_privs of the container" \
    'grep -q "^uid  *101000 101000 101000 101000$" <<<"$OUT" && grep -q "^groups  *100007$" <<<"$OUT" && grep -q "^uid_map  *0 100000 65536$" <<<"$OUT" && grep -q "^bounding  *chown$" <<<"$OUT" && grep -q "^no_new_privs  *yes$" <<<"$OUT" && grep -q "^setgroups  *allow$" <<<"$OUT"'
t "$BIN" creds --json "$CTR"
check "creds --json parses, with the maps and the user namespace's parent" \
    'python3 -c "import json,sys; d=json.loads(sys.stdin.read()); assert d[\"uidMappings\"]==[{\"containerID\":0,\"hostID\":100000,\"size\":65536}]; assert d[\"parent\"][\"inode\"]>0; assert d[\"capabilities\"][\"bounding\"]==[\"CAP_CHOWN\"]" <<<"$OUT"'
stop_container
t "$BIN" creds;                  check "creds without PID shows nscore itself" '[ "$RC" = 0 ] && grep -q "^uid  *0 0 0 0$" <<<"$OUT"'
t "$BIN" creds 999999999;        expect "creds of no process: exit 1" 1 "" "999999999"
t "$BIN" creds abc;              expect "creds abc: exit 2" 2
help_lists run "--ulimit" "--oom-score-adj"

echo "# networks"
# Nothing is ever configured in the machine's own network namespace: a throwaway "host"
# namespace (an `unshare --net sleep`) holds the bridge and the veth host ends, and every
# nscore below runs in it through nsenter (which execs nscore, so $! is nscore's pid).
start_nethost
IN_HOST=(nsenter --net=/proc/$NETHOST/ns/net)
hrun() { "${IN_HOST[@]}" "$BIN" run "$@"; }
# The link names in the "host" namespace, sorted, without the @peer suffix.
nethost_links() { "${IN_HOST[@]}" ip -o link show | awk -F': ' '{ sub(/@.*/, "", $2); print $2 }' | sort | tr '\n' ' ' | sed 's/ $//'; }
NET=(--bridge nsccli0:10.79.0.1/24 --gateway 10.79.0.1)

ECHO_SERVER='
import socket
s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("::", 7777)); s.listen(8)
for _ in range(2):
    c, _ = s.accept(); c.sendall(b"echo:" + c.recv(100)); c.close()
'
ECHO_CLIENT='
import socket, sys, time
for host in sys.argv[1:]:
    for attempt in range(100):
        try:
            c = socket.create_connection((host, 7777), timeout=2); break
        except OSError as e:
            err = e; time.sleep(0.05)
    else:
        print(host, "failed", err); continue
    c.sendall(b"hi"); print(host, c.recv(100).decode()); c.close()
'
"${IN_HOST[@]}" "$BIN" run "${NET[@]}" --ip 10.79.0.2/24 --ip fd79::2/64 --kill-on-parent-death \
    -- /usr/bin/python3 -c "$ECHO_SERVER" "$MARK" </dev/null >"$TMP/bg.out" 2>"$TMP/bg.err" &
CLI=$!
BG+=("$CLI")
CTR=$(child_running "$CLI" /usr/bin/python3) || CTR=0
if [ "$CTR" != 0 ]; then
    CHILDREN+=("$CTR")
    t hrun "${NET[@]}" --ip 10.79.0.3/24 --ip fd79::3/64 -- /usr/bin/python3 -c "$ECHO_CLIENT" 10.79.0.2 fd79::2
    expect "two containers on --bridge nsccli0: a TCP echo over IPv4 and IPv6 (--ip twice)" 0 $'10.79.0.2 echo:hi\nfd79::2 echo:hi'
    wait_gone "$CTR" || kill -KILL "$CTR"
    wait "$CLI"
    RC=$? OUT=$(cat "$TMP/bg.out") ERR=$(cat "$TMP/bg.err")
    expect "the echo server served both and exited 0" 0 ""
else
    wait "$CLI" 2>/dev/null
    RC=-1 OUT="" ERR=$(cat "$TMP/bg.err"); bad "the echo server container" "it never started: $(result)"
fi

t hrun "${NET[@]}" --ip 10.79.0.4/24 -- sh -c 'ip -o -4 addr show eth0; ip route show default'
check "inside: eth0 has --ip 10.79.0.4/24 and the default route via --gateway" \
    '[ "$RC" = 0 ] && grep -q "inet 10.79.0.4/24" <<<"$OUT" && grep -q "^default via 10.79.0.1 dev eth0" <<<"$OUT"'
t hrun "${NET[@]}" --ip 10.79.0.5/24 --mtu 1400 --mac 02:42:ac:11:00:09 -- ip -o link show eth0
check "--mtu 1400 --mac 02:42:ac:11:00:09 are visible inside" \
    '[ "$RC" = 0 ] && grep -q " mtu 1400 " <<<"$OUT" && grep -q "link/ether 02:42:ac:11:00:09 " <<<"$OUT"'
t hrun --network veth -- cat /proc/net/dev
check "--network veth alone implies --net: lo and eth0 (no address, no bridge)" '[ "$RC" = 0 ] && [ "$(ifaces <<<"$OUT")" = "eth0 lo" ]'
t hrun --ip 10.79.0.6/24 -- sh -c 'readlink /proc/self/ns/net; ip -o -4 addr show eth0'
check "--ip alone implies --network veth and --net" \
    '[ "$RC" = 0 ] && [ "$(line 1)" != "$(readlink /proc/$NETHOST/ns/net)" ] && grep -q "inet 10.79.0.6/24" <<<"$OUT"'
t hrun --network none -- cat /proc/net/dev
check "--network none alone implies no --net (the host namespace's links)" '[ "$RC" = 0 ] && [ "$(ifaces <<<"$OUT")" != lo ]'
t hrun --network none --net -- cat /proc/net/dev
check "--network none --net: only lo" '[ "$RC" = 0 ] && [ "$(ifaces <<<"$OUT")" = lo ]'

# --interface and --host-interface: the host end, named as asked, is a port of the bridge
# while the container runs, and goes with it.
"${IN_HOST[@]}" "$BIN" run "${NET[@]}" --ip 10.79.0.7/24 --interface web0 --host-interface nsccli-h0 \
    --kill-on-parent-death -- sh -c "ip -o link show web0 > $TMP/web0; exec sleep $MARK" </dev/null >/dev/null 2>"$TMP/bg.err" &
CLI=$!
BG+=("$CLI")
CTR=$(child_running "$CLI" sleep) || CTR=0
if [ "$CTR" != 0 ]; then
    CHILDREN+=("$CTR")
    t "${IN_HOST[@]}" ip -o link show nsccli-h0
    check "--host-interface nsccli-h0: the host end, on the bridge" '[ "$RC" = 0 ] && grep -q "master nsccli0 " <<<"$OUT"'
    t cat "$TMP/web0"
    check "--interface web0: the inside interface's name" '[ "$RC" = 0 ] && grep -q "^[0-9]*: web0@" <<<"$OUT"'
    stop_container
    for i in $(seq 40); do "${IN_HOST[@]}" ip link show nsccli-h0 >/dev/null 2>&1 || break; sleep 0.05; done
    t "${IN_HOST[@]}" ip link show nsccli-h0
    check "the host end is gone with the container" '[ "$RC" != 0 ]'
else
    wait "$CLI" 2>/dev/null
    RC=-1 OUT="" ERR=$(cat "$TMP/bg.err"); bad "--interface/--host-interface" "the container never started: $(result)"
fi

# Bad text is a usage error naming the option; what the engine finds at spawn exits 125.
t hrun --ip 10.0.0.2 -- true;            expect "--ip without a prefix length: exit 2" 2 "" "'--ip': '10.0.0.2' has no prefix length"
t hrun --ip 10.0.0.2/33 -- true;         expect "--ip 10.0.0.2/33: exit 2" 2 "" "the prefix length 33 is out of range"
t hrun --ip fd79::zz/64 -- true;         expect "a bad IPv6 --ip: exit 2" 2 "" "'--ip'"
t hrun --gateway 10.79.0 -- true;        expect "a bad --gateway: exit 2" 2 "" "'--gateway'"
t hrun --mac 02:42:ac:11:00 -- true;     expect "a bad --mac: exit 2" 2 "" "'--mac': '02:42:ac:11:00' is not a MAC address"
t hrun --mtu 1400x -- true;              expect "a non-numeric --mtu: exit 2" 2 "" "'--mtu'"
t hrun --bridge br0:10.79.0.1 -- true;   expect "--bridge NAME:CIDR without a prefix length: exit 2" 2 "" "'--bridge'"
t hrun --bridge '' -- true;              expect "an empty --bridge: exit 2" 2 "" "--bridge"
t hrun --network bogus -- true;          expect "--network bogus: exit 2" 2 "" "'bogus'"
t hrun --network none --ip 10.79.0.8/24 -- true; expect "--network none with --ip: exit 2" 2 "" "--network none"
t hrun --mtu 9000 --network none -- true; expect "--network none after a veth option: exit 2" 2 "" "'--mtu'"
t hrun --bridge nsccli0:10.79.0.1/24 --ip 10.79.0.8/24 --gateway 10.99.0.1 -- true
expect "--gateway outside the subnet: exit 125, the engine's message" 125 "" "outside every address's subnet"
t hrun --ip 10.79.0.8/24 --interface a-very-long-name0 -- true
expect "a 17-byte --interface: exit 125" 125 "" "at most 15"
t hrun --bridge nosuch --ip 10.79.0.9/24 -- true
expect "--bridge nosuch: a missing bridge is created" 0
check "... and it is in the host namespace" '[ "$(nethost_links)" = "lo nosuch nsccli0" ]'
"${IN_HOST[@]}" ip link del nosuch
# Rootless (uid 65534, in a user namespace of its own): a veth network needs CAP_NET_ADMIN where
# the host end goes, and the error says so and what to use instead; nothing is made.
t "${IN_HOST[@]}" "${NOBODY[@]}" "$RBIN" run -U -r -n --network veth --ip 10.79.0.9/24 -- true
expect "rootless --network veth: exit 125, says what it needs" 125 "" "needs CAP_NET_ADMIN"
check "... and names what rootless containers use" 'grep -q "network none" <<<"$ERR" && grep -q "ns:PATH" <<<"$ERR"'
t "${IN_HOST[@]}" "${NOBODY[@]}" "$RBIN" run -U -r -n "${NET[@]}" --ip 10.79.0.9/24 -- true
expect "rootless --bridge: the same error" 125 "" "needs CAP_NET_ADMIN"
t "${IN_HOST[@]}" "${NOBODY[@]}" "$RBIN" run -U -r -n --bridge nsccli9:10.79.9.1/24 -- true
expect "rootless onto a missing bridge: the same error" 125 "" "needs CAP_NET_ADMIN"
check "after the section the host namespace has only lo and the bridge" '[ "$(nethost_links)" = "lo nsccli0" ]'
"${IN_HOST[@]}" ip link del nsccli0
check "... and only lo once the bridge is deleted" '[ "$(nethost_links)" = lo ]'
t ip -o link show
check "the machine's own network namespace never saw these links" '[ "$RC" = 0 ] && ! grep -Eq ": (nsccli|nosuch|web0)" <<<"$OUT"'
t "$BIN" run --uts --network "container:$NETHOST" -- readlink /proc/self/ns/net
check "--network container:PID runs the command in that process's network namespace" \
    '[ "$RC" = 0 ] && [ "$OUT" = "$(readlink /proc/$NETHOST/ns/net)" ]'
t "$BIN" run --network "ns:/proc/$NETHOST/ns/net" -- readlink /proc/self/ns/net
check "--network ns:PATH joins the namespace at PATH" '[ "$RC" = 0 ] && [ "$OUT" = "$(readlink /proc/$NETHOST/ns/net)" ]'
t "$BIN" run --net --network "container:$NETHOST" -- true
check "--net with --network container:PID: 125, exclusive" '[ "$RC" = 125 ] && grep -q exclusive <<<"$ERR"'
t "$BIN" run --network ns:/etc/hostname -- true
check "--network ns: a file that is not a namespace: 125" '[ "$RC" = 125 ] && grep -q "not a network namespace" <<<"$ERR"'
t "$BIN" run --network container:abc -- true
expect "--network container:abc" 2
kill -KILL "$NETHOST"; wait "$NETHOST" 2>/dev/null
help_lists run --network --bridge --ip --gateway --mtu --mac --interface --host-interface

# ---- net -------------------------------------------------------------------------------------

echo "# net"
# `nscore net PID` reads a container's network namespace through rtnetlink: a container on a
# bridge in a throwaway "host" namespace (as in the networks section), which takes the bridge
# and the veth host end with it when it is killed.
start_nethost
nsenter --net=/proc/$NETHOST/ns/net "$BIN" run --network veth --bridge nscnet0:10.82.0.1/24 --ip 10.82.0.2/24 \
    --gateway 10.82.0.1 --mtu 1450 --kill-on-parent-death -- sleep "$MARK" </dev/null >/dev/null 2>"$TMP/bg.err" &
CLI=$!
BG+=("$CLI")
CTR=$(child_running "$CLI" sleep) || CTR=0
if [ "$CTR" != 0 ]; then
    CHILDREN+=("$CTR")
    t "$BIN" net "$CTR"
    check "net PID: eth0, a veth with 10.82.0.2/24 and mtu 1450" \
        '[ "$RC" = 0 ] && grep -Eq "^eth0 +veth +UP +1450 .* 10\.82\.0\.2/24( |$)" <<<"$OUT"'
    check "net PID: lo with 127.0.0.1/8" '[ "$RC" = 0 ] && grep -Eq "^lo .* 127\.0\.0\.1/8( |$)" <<<"$OUT"'
    check "net PID: the default route via --gateway on eth0" '[ "$RC" = 0 ] && grep -q "^default via 10.82.0.1 dev eth0$" <<<"$OUT"'
    check "net PID: the connected route of eth0's subnet" '[ "$RC" = 0 ] && grep -q "^10.82.0.0/24 dev eth0$" <<<"$OUT"'
    t "$BIN" net --json "$CTR"
    check "net --json: the engine's JSON, eth0 with its veth peer's index" \
        '[ "$RC" = 0 ] && grep -q "^{\"pid\":$CTR,\"interfaces\":\[" <<<"$OUT" && grep -q "\"name\":\"eth0\"" <<<"$OUT" && grep -Eq "\"name\":\"eth0\",\"kind\":\"veth\",[^}]*\"mtu\":1450,[^}]*\"veth_peer\":[0-9]+," <<<"$OUT"'
    check "net --json: valid JSON with the default route" \
        '[ "$RC" = 0 ] && python3 -c "import json,sys; d=json.load(sys.stdin); assert any(r[\"default\"] and r[\"gateway\"]==\"10.82.0.1\" for r in d[\"routes\"])" <<<"$OUT"'
    stop_container
else
    wait "$CLI" 2>/dev/null
    RC=-1 OUT="" ERR=$(cat "$TMP/bg.err"); bad "net: the container on nscnet0" "it never started: $(result)"
fi
kill -KILL "$NETHOST"; wait "$NETHOST" 2>/dev/null
t ip -o link show
check "the machine's own network namespace never saw nscnet0" '[ "$RC" = 0 ] && ! grep -q ": nscnet0[:@]" <<<"$OUT"'
t "$BIN" net;                      check "net without PID: nscore's own namespace, with lo" '[ "$RC" = 0 ] && grep -q "^lo " <<<"$OUT"'
t "$BIN" net 999999999;            expect "net of a missing process: exit 1" 1 "" "999999999"
t "$BIN" net --json 999999999;     expect "net --json of a missing process: exit 1, nothing on stdout" 1 "" "999999999"
t "$BIN" net abc;                  expect "net abc: exit 2" 2 "" "invalid PID 'abc'"
t "$BIN" net 1 2;                  expect "net with two PIDs: exit 2" 2 "" "only one PID"
t "$BIN" net --bogus;              expect "net --bogus: exit 2" 2 "" "'--bogus'"
t "$BIN" --help;                   check "--help lists net" '[ "$RC" = 0 ] && grep -q "^  net  " <<<"$OUT"'
t "$BIN" help net;                 check "help net shows net's help" '[ "$RC" = 0 ] && grep -q "^Usage: nscore net " <<<"$OUT"'
help_lists net -J --json -h --help

# ---- bridge ----------------------------------------------------------------------------------

echo "# bridge"
# Every `nscore bridge rm NAME` runs in a throwaway network namespace (`unshare --net sh -c
# SCRIPT`, with nscore as $0), which takes whatever the test made there with it: no link is
# ever made or removed in the machine's own namespace. links() prints the namespace's links.
BRIDGE_SH='links() { ip -o link show | cut -d: -f2 | cut -d@ -f1 | tr -d " " | sort | tr "\n" " " | sed "s/ $//"; }
'
inns() { unshare --net sh -c "$BRIDGE_SH$1" "$BIN"; }
t inns 'ip link add nsccb0 type bridge && ip link add nsccb1 type bridge && ip link add nsccv0 type veth peer name nsccv1 &&
    ip link set nsccv0 master nsccb0 || exit 99
    "$0" bridge rm nsccb0 nsccb1; rc=$?; links; ip -o link show nsccv0 | grep -o " master [^ ]*"; exit $rc'
expect "bridge rm NAME NAME: both bridges are gone, the port stays (detached)" 0 "lo nsccv0 nsccv1" ""
check "... and nothing on stderr" '[ -z "$ERR" ]'
t inns '"$0" run --bridge nsccb2:10.83.0.1/24 --ip 10.83.0.2/24 -- true || exit 99
    links; echo; "$0" bridge rm nsccb2; rc=$?; links; exit $rc'
expect "bridge rm removes the bridge 'run --bridge NAME:CIDR' created" 0 $'lo nsccb2\nlo'
t inns '"$0" bridge rm nsccnone; rc=$?; links; exit $rc'
expect "bridge rm of a missing bridge: exit 1, named" 1 "lo" "there is no bridge 'nsccnone'"
t inns 'ip link add nsccv0 type veth peer name nsccv1 || exit 99
    "$0" bridge rm nsccv0; rc=$?; links; exit $rc'
expect "bridge rm of a veth: exit 1, not a bridge, and it stays" 1 "lo nsccv0 nsccv1" "'nsccv0' is not a bridge (its kind is veth)"
t inns '"$0" bridge rm lo; rc=$?; links; exit $rc'
expect "bridge rm lo: exit 1, not a bridge" 1 "lo" "'lo' is not a bridge"
t inns 'ip link add nsccb0 type bridge && ip link add nsccb1 type bridge || exit 99
    "$0" bridge rm nsccb0 nsccnone nsccb1; rc=$?; links; exit $rc'
expect "bridge rm with one missing NAME: exit 1, the others are removed" 1 "lo" "there is no bridge 'nsccnone'"
check "... and only that one is reported" '[ "$(grep -c . <<<"$ERR")" = 1 ]'
t inns '"$0" bridge rm a-very-long-name0'
expect "bridge rm of a 17-byte name: exit 1" 1 "" "at most 15"
t inns '"$0" bridge rm ""'
expect "bridge rm '': exit 1" 1 "" "the bridge name is empty"
t inns '"$0" bridge rm';            expect "bridge rm without NAME: exit 2" 2 "" "missing NAME"
check "... pointing at bridge rm's help" 'grep -qF "nscore bridge rm --help" <<<"$ERR"'
t inns '"$0" bridge';               expect "bridge without a command: exit 2" 2 "" "missing COMMAND"
t inns '"$0" bridge add nsccb0';    expect "bridge add (unknown command): exit 2" 2 "" "unknown command 'add'"
t inns '"$0" bridge --bogus';       expect "bridge --bogus: exit 2" 2 "" "'--bogus'"
t inns '"$0" bridge rm --bogus x';  expect "bridge rm --bogus: exit 2" 2 "" "'--bogus'"
t "$BIN" bridge --help;             check "bridge --help" '[ "$RC" = 0 ] && [ "$(line 1)" = "Usage: nscore bridge COMMAND [options]" ] && grep -q "^  rm NAME" <<<"$OUT"'
t "$BIN" bridge rm -h;              check "bridge rm -h" '[ "$RC" = 0 ] && [ "$(line 1)" = "Usage: nscore bridge rm [options] NAME [NAME...]" ]'
t "$BIN" help bridge;               check "help bridge shows bridge's help" '[ "$RC" = 0 ] && grep -q "^Usage: nscore bridge " <<<"$OUT"'
t "$BIN" --help;                    check "--help lists bridge" '[ "$RC" = 0 ] && grep -q "^  bridge  " <<<"$OUT"'
help_lists bridge rm -h --help
t ip -o link show
check "the machine's own network namespace never saw these links" '[ "$RC" = 0 ] && ! grep -q ": nscc[bvn]" <<<"$OUT"'

# ---- terminals -------------------------------------------------------------------------------

echo "# terminals (run --tty, exec --tty) through a real pty"
while IFS= read -r line; do
    case $line in
        "ok   - "*) ok "${line#ok   - }" ;;
        "FAIL - "*) FAIL=$((FAIL + 1)); echo "$line" ;;
        *) echo "$line" ;;
    esac
done < <(NSCORE_RBIN=$RBIN python3 "$REPO/tests-cli/terminal.py" "$BIN" "$TMP" 2>&1 || echo "FAIL - tests-cli/terminal.py exited with status $?")

# ---- leftovers -------------------------------------------------------------------------------

echo "# leftovers"
for p in "${CHILDREN[@]}" "${BG[@]}"; do kill -KILL "$p" 2>/dev/null; done
wait 2>/dev/null
for i in $(seq 40); do pgrep -f "$MARK" >/dev/null || break; sleep 0.05; done
t pgrep -af "$MARK"
check "no test process is left running" '[ -z "$OUT" ]'
mounts_now() { wc -l < /proc/self/mountinfo; }
for i in $(seq 20); do [ "$(mounts_now)" = "$MOUNTS_BEFORE" ] && break; sleep 0.1; done
check "no mount is left behind ($MOUNTS_BEFORE mounts before, $(mounts_now) after)" '[ "$(mounts_now)" = "$MOUNTS_BEFORE" ] && ! grep -qF "$TMP" /proc/self/mountinfo'
check "no zombie children" '! ps -o stat= --ppid $$ | grep -q Z'

echo
echo "tests-cli: $PASS passed, $FAIL failed"
[ "$FAIL" = 0 ]
