#!/usr/bin/env bash
# The VM test's guest half: runs as root inside the throwaway Debian 12 VM
# (started by aphotplug-vmtest.service, see build-image.sh), from the 9p
# payload run.sh prepared in /mnt/payload:
#   src/      Makefile, dist/, rules/, Tests/Host/lib.sh, Tests/VM/ of the repo
#   bin/      aphotplug and generate-manual, built on the host
#   break     optional: a feature to break on purpose (see below)
#   results/  written here: log, status
# Installs aphotplug with `make install` as a user would, starts the shipped
# unit with a test-only drop-in (fake AP tree, low WatchdogSec), and checks it
# under the shipped sandbox. One "ok"/"not ok" line per check (Tests/Host/lib.sh).
#
# Breaking a feature on purpose (run.sh --break NAME) shows that the checks can
# fail: "syscalls" removes @network-io from the unit's SystemCallFilter, "ready"
# starts the daemon without NOTIFY_SOCKET, so that it cannot send READY=1,
# "watchdog" gives systemd a watchdog the daemon cannot meet (WatchdogSec=1ms).

check_name=vm
source /mnt/payload/src/Tests/Host/lib.sh

payload=/mnt/payload
tool="/usr/bin/python3 $payload/src/Tests/VM/vmtool.py"
base=/var/lib/aphotplug-vmtest
tree=$base/sys
unit=aphotplug.service
dropins=/etc/systemd/system/$unit.d
watchdog_seconds=2
m1=0b5e0000-0000-4000-8000-000000000001
m2=0b5e0000-0000-4000-8000-000000000002
breaking=$(cat "$payload/break" 2>/dev/null || true)

note() { echo "# $*"; }
prop() { systemctl show -P "$1" "$unit"; }
# wait_for SECONDS COMMAND...: poll COMMAND every 0.2 s until it succeeds.
wait_for() {
    local deadline=$(($(date +%s) + $1))
    shift
    until "$@"; do
        [ "$(date +%s)" -lt "$deadline" ] || return 1
        sleep 0.2
    done
}
# has_field FILE KEY=VALUE: the decision fields in FILE hold that line.
has_field() { grep -qxF -- "$2" "$1"; }
# has_key FILE KEY REGEX: the decision field KEY matches REGEX.
has_key() { grep -qE "^$2=($3)\$" "$1"; }

note "kernel $(uname -r); $(systemctl --version | head -n 1); virtualization: $(systemd-detect-virt)"
[ -n "$breaking" ] && note "BREAKING ON PURPOSE: $breaking"

# --- make install, as a user would --------------------------------------
rm -rf /root/src
cp -r "$payload/src" /root/src
make -C /root/src install PREFIX=/usr BIN="$payload/bin/aphotplug" GENERATE_MANUAL="$payload/bin/generate-manual" \
    >/root/install.log 2>&1
check "make install PREFIX=/usr succeeds in the VM" test $? = 0 || tail -n 20 /root/install.log
check "the installed unit is dist/aphotplug.service" cmp -s /usr/lib/systemd/system/$unit /root/src/dist/aphotplug.service
check "the installed binary runs" /usr/bin/aphotplug --version
case $breaking in
syscalls)
    # A scratch change to the installed unit: the filter loses the network calls.
    sed -i 's/^SystemCallFilter=~@privileged @resources$/SystemCallFilter=~@privileged @resources @network-io/' \
        /usr/lib/systemd/system/$unit
    grep '^SystemCallFilter' /usr/lib/systemd/system/$unit ;;
esac
systemctl daemon-reload
udevadm control --reload

# --- the fake AP tree: aphotplug simulate, in three stages -----------------
# stage0 is the host when the daemon starts, stage1 after `unbind 05.00ab`,
# stage2 after the rebind; trace<N> holds the uevents from stage N-1 to N.
setup='host adapters 4-6 domains 4,0xab control 4
modprobe vfio_ap
apmask -5,-6
mdev create '$m1'
mdev '$m1' assign-adapter 5
mdev '$m1' assign-domain 0xab
mdev '$m1' assign-domain 4
mdev create '$m2
rm -rf "$base"
mkdir -p "$base"
printf '%s\nstart\nunbind 05.00ab\n' "$setup" >"$base/script1"
printf '%s\nunbind 05.00ab\nstart\nbind 05.00ab vfio_ap\n' "$setup" >"$base/script2"
aphotplug simulate --initial-tree "$base/stage0" --sysfs-root "$base/stage1" --output "$base/trace1" "$base/script1" &&
    aphotplug simulate --sysfs-root "$base/stage2" --output "$base/trace2" "$base/script2"
check "aphotplug simulate writes the fake AP trees" test $? = 0
mkdir -p "$tree"
# use_stage N: make the live tree stage N, in place (the service's namespace
# bind-mounts the directory itself, so it must stay the same inode).
use_stage() {
    find "$tree" -mindepth 1 -maxdepth 1 -exec rm -rf {} +
    cp -a "$base/stage$1/." "$tree/"
}
use_stage 0

# --- the installed udev rules --------------------------------------------
if udevadm verify --help >/dev/null 2>&1; then
    udevadm verify /usr/lib/udev/rules.d/70-aphotplug.rules /usr/share/aphotplug/71-aphotplug-handle.rules >/root/verify.log 2>&1
    check "udevadm verify passes the installed rules" test $? = 0 || cat /root/verify.log
else
    note "udevadm $(udevadm --version) has no verify; udevadm test against the fake tree instead"
fi
# udevadm test with the fake tree over /sys (a private mount namespace), the
# installed rules and the opt-in file linked in as its comment says.
udev_test() { # udev_test ACTION DEVPATH
    unshare -m sh -c '
        set -e
        mount -t tmpfs tmpfs /run/udev
        mount --bind "$1" /sys
        mkdir -p /run/udev/rules.d
        ln -s /usr/share/aphotplug/71-aphotplug-handle.rules /run/udev/rules.d/71-aphotplug-handle.rules
        SYSTEMD_DEVICE_VERIFY_SYSFS=0 udevadm test --action="$2" "/sys$3"
    ' sh "$base/stage0" "$1" "$2" >/root/udevtest.log 2>&1
}
udev_test add /devices/ap
check "udevadm test runs with the installed rules" test $? = 0
check "installed 70-aphotplug.rules: add of the AP bus wants $unit" grep -qx "SYSTEMD_WANTS=$unit" /root/udevtest.log
check "installed rules: no syntax error reported" bash -c '! grep -E "aphotplug[^ ]*\.rules:[0-9]+ .*(Invalid|invalid|error|Error|failed|ignor)" /root/udevtest.log'
udev_test bind /devices/ap/card05/05.0004
check "installed 71-aphotplug-handle.rules (linked in): a queue bind runs aphotplug handle" \
    grep -q "run: '/usr/bin/aphotplug handle'" /root/udevtest.log

# --- systemd-analyze security of the installed unit -------------------------
systemd-analyze security --no-pager $unit >/root/security.log 2>&1
exposure=$(sed -n "s/^→ Overall exposure level for $unit: \([0-9.]*\) .*/\1/p" /root/security.log)
note "systemd-analyze security $unit (as installed): exposure ${exposure:-unreadable}"
check "systemd-analyze security: exposure ${exposure:-?} <= 2.0" awk -v e="${exposure:-99}" 'BEGIN { exit !(e <= 2.0) }'

# --- the test drop-in: fake tree, low watchdog; the rest as shipped ---------
mkdir -p "$dropins"
cat >"$dropins/vmtest.conf" <<DROPIN
# aphotplug VM test only: there is no AP bus on x86.
[Unit]
ConditionPathIsDirectory=
ConditionPathIsDirectory=$tree/bus/ap

[Service]
ExecStart=
# No periodic read-back (default every 5 s) between a stage change and its
# uevents: read-backs after each burst are what is under test.
ExecStart=/usr/bin/aphotplug daemon --mode observe --sysfs-root $tree --poll-interval 600
ReadWritePaths=$tree
WatchdogSec=${watchdog_seconds}s
TimeoutStartSec=20s
DROPIN
case $breaking in
# (NotifyAccess=none would not do: systemd turns it into main for Type=notify.)
ready) sed -i 's|^ExecStart=/usr/bin/aphotplug|ExecStart=/usr/bin/env -u NOTIFY_SOCKET /usr/bin/aphotplug|' "$dropins/vmtest.conf" ;;
watchdog) printf '%s\n' '[Service]' 'WatchdogSec=1ms' >"$dropins/zz-break.conf" ;;
esac
systemctl daemon-reload

# --- start: READY=1 -------------------------------------------------------
started=$(date +%s.%N)
timeout 40 systemctl start $unit
check "systemctl start $unit returns 0 (Type=notify: READY=1 received)" test $? = 0
ready=$(date +%s.%N)
note "start to READY=1: $(awk -v a="$started" -v b="$ready" 'BEGIN { printf "%.2f s", b - a }')"
check "$unit is active (running)" test "$(prop ActiveState)/$(prop SubState)" = active/running
check "journal: systemd logged the start as done" bash -c 'journalctl -b -u aphotplug.service --no-pager | grep -q "Started aphotplug.service"'
first_pid=$(prop MainPID)
note "MainPID $first_pid; WatchdogUSec=$(prop WatchdogUSec)"
check "the daemon runs with the shipped bounding set (CAP_NET_ADMIN only)" \
    bash -c '[ "$(grep ^CapBnd /proc/$1/status | cut -f2)" = 0000000000001000 ]' sh "$first_pid"
check "the daemon runs with a seccomp filter" bash -c 'grep -qx "Seccomp:	2" /proc/$1/status' sh "$first_pid"

# --- aphotplug status / guest attach from outside the sandbox ----------------
wait_for 10 test -s /run/aphotplug/state.json
check "state.json written after coldplug" test -s /run/aphotplug/state.json
aphotplug guest attach --mdev $m1 --name vm1
check "aphotplug guest attach (outside the sandbox) exits 0" test $? = 0
status_shows_vm1() { aphotplug status 2>/dev/null | grep -q vm1; }
check "aphotplug status (outside the sandbox) shows the attached guest" wait_for 10 status_shows_vm1
aphotplug status

# --- uevents over the udev netlink group, decided, in the journal -------------
use_stage 1
$tool send "$base/trace1"
check "uevents sent to the udev netlink group (unbind 05.00ab)" test $? = 0
$tool decision APHOTPLUG_KIND=unplug-adapter APHOTPLUG_SEQ=37 >/root/d37
check "the unbind is received and decided: unplug-adapter, seq 37, in the journal" test $? = 0
check "journal -o json: MESSAGE_ID is a 128-bit id" has_key /root/d37 MESSAGE_ID '[0-9a-f]{32}'
check "journal -o json: PRIORITY is set" has_key /root/d37 PRIORITY '[0-7]'
check "journal -o json: APHOTPLUG_MDEV names the mdev" has_field /root/d37 "APHOTPLUG_MDEV=$m1"
check "journal -o json: APHOTPLUG_GUEST names the guest attached from outside" has_field /root/d37 APHOTPLUG_GUEST=vm1
check "journal -o json: APHOTPLUG_ADAPTERS=05" has_field /root/d37 APHOTPLUG_ADAPTERS=05
check "journal -o json: APHOTPLUG_CAUSE names the unbind" has_key /root/d37 APHOTPLUG_CAUSE '.*05\.00ab.*'
check "journal -o json: SYSLOG_IDENTIFIER=aphotplug" has_field /root/d37 SYSLOG_IDENTIFIER=aphotplug
grep -E '^(MESSAGE|MESSAGE_ID|PRIORITY|APHOTPLUG_[A-Z_]*)=' /root/d37 | sed 's/^/#   /'
use_stage 2
$tool send "$base/trace2"
$tool decision APHOTPLUG_KIND=plug APHOTPLUG_SEQ=38 >/root/d38
check "the rebind is received and decided: plug, seq 38, in the journal" test $? = 0
check "journal -o json: the plug names adapter 05 and guest vm1" \
    bash -c 'grep -qx APHOTPLUG_ADAPTERS=05 "$1" && grep -qx APHOTPLUG_GUEST=vm1 "$1"' sh /root/d38
uevents_seen() { [ "$($tool uevents 2>/dev/null)" = 2 ]; }
check "state.json counts the 2 uevents received" wait_for 5 uevents_seen
check "aphotplug status shows vm1's APQNs back in the guest" bash -c 'aphotplug status | grep -q "$1: assigned 05.0004 05.00ab; in guest 05.0004 05.00ab"' sh $m1

# --- the watchdog -----------------------------------------------------------
alive_until=$(awk -v s="$ready" -v w="$watchdog_seconds" 'BEGIN { printf "%d", s + 3 * w + 1.5 }')
while [ "$(date +%s)" -lt "$alive_until" ]; do sleep 0.5; done
check "alive past 3 x WatchdogSec: still active (running)" test "$(prop ActiveState)/$(prop SubState)" = active/running
check "alive past 3 x WatchdogSec: same MainPID, no restart" test "$(prop MainPID)/$(prop NRestarts)" = "$first_pid/0"
check "journal: no watchdog timeout" bash -c '! journalctl -b -u aphotplug.service --no-pager | grep -qi "watchdog timeout"'

# --- kill -9: Restart=on-failure brings back the same state --------------------
# What QEMU holding vm1's mdev makes vfio_ap show: its queues 'in use' (a restarted
# daemon takes back the names of guests whose mdev is in use).
for queue in 05.0004 05.00ab; do
    [ -e "$tree/devices/ap/card05/$queue/status" ] && printf 'in use\n' > "$tree/devices/ap/card05/$queue/status"
done
$tool state >/root/state.before
kill -9 "$first_pid"
restarted() { [ "$(prop NRestarts)" = 1 ] && [ "$(prop ActiveState)/$(prop SubState)" = active/running ]; }
check "after kill -9 systemd restarts the daemon (NRestarts=1, active)" wait_for 20 restarted
second_pid=$(prop MainPID)
check "after kill -9 a new daemon process runs" test "$second_pid" != "$first_pid" -a "$second_pid" != 0
# What the daemon rebuilds from sysfs: every mdev's assignment and shadow.
devices() { python3 -c 'import json, sys
state = json.load(open(sys.argv[1]))
print(json.dumps({m: {k: v for k, v in e.items() if k not in ("guest", "blocker")} for m, e in state["mdevs"].items()}, sort_keys=True))' "$1"; }
same_devices() { $tool state >/root/state.after 2>/dev/null && [ "$(devices /root/state.before)" = "$(devices /root/state.after)" ]; }
check "after the restart the same state: every mdev's assigned and shadow matrix" wait_for 10 same_devices
# The unit keeps /run/aphotplug across restarts so that guest names reported by
# the libvirt hook survive them: the restarted daemon takes back the names of the
# guests still in use from state.json.
same_state() { $tool state >/root/state.after 2>/dev/null && cmp -s /root/state.before /root/state.after; }
if wait_for 10 same_state; then
    pass "after the restart the guest names and blockers are the same"
else
    fail "after the restart the guest names and blockers are the same"
    diff /root/state.before /root/state.after | sed 's/^/#   /'
fi

# --- enforce mode writes into the fake tree ---------------------------------
# The definition asks mdev 2 for adapter 6 and domain 4 (06.0004, free: apmask -6).
mkdir -p /etc/mdevctl.d/matrix
printf '%s\n' '{"mdev_type":"vfio_ap-passthrough","start":"auto","attrs":[{"assign_adapter":"6"},{"assign_domain":"4"}]}' \
    >/etc/mdevctl.d/matrix/$m2
ap_config=$tree/devices/vfio_ap/matrix/$m2/ap_config
before=$(cat "$ap_config")
sed -i 's/--mode observe/--mode enforce/' "$dropins/vmtest.conf"
systemctl daemon-reload
timeout 40 systemctl restart $unit
check "the daemon restarts in enforce mode (READY=1)" test $? = 0
$tool decision APHOTPLUG_KIND=assign APHOTPLUG_MDEV=$m2 >/root/assign
check "enforce: an assign decision for mdev 2 in the journal" has_field /root/assign "APHOTPLUG_MDEV=$m2"
written() { [ "$(cat "$ap_config")" != "$before" ]; }
check "enforce: the daemon wrote ap_config in the fake tree" wait_for 10 written
note "ap_config before: $before; after: $(cat "$ap_config")"
check "enforce: the write asks for adapter 6 and domain 4" \
    bash -c 'v=$(cat "$1"); [ "${v%%,*}" = 0x0200000000000000000000000000000000000000000000000000000000000000 ] && echo "$v" | cut -d, -f2 | grep -q ^0x08' sh "$ap_config"
check "enforce: s390apconfig.lock was usable in /run/lock" bash -c '! journalctl -b -u aphotplug.service --no-pager | grep -qi "s390apconfig.lock.*\(denied\|not permitted\|read-only\)"'

# --- a denied syscall would show: the same filter, but kill instead of EPERM ----
# The shipped SystemCallErrorNumber=EPERM makes a filtered call fail quietly;
# with the error number reset, systemd's default action kills with SIGSYS and
# the kernel logs it (audit type=1326), so nothing denied can hide.
printf '%s\n' '[Service]' 'SystemCallErrorNumber=' >"$dropins/zz-kill-on-denied.conf"
systemctl daemon-reload
timeout 40 systemctl restart $unit
check "with denied syscalls killing (SIGSYS), the daemon starts (READY=1)" test $? = 0
kill_pid=$(prop MainPID)
aphotplug guest detach --mdev $m1 >/dev/null 2>&1; aphotplug guest attach --mdev $m1 --name vm1 >/dev/null 2>&1
printf '%s\nunbind 05.00ab\nbind 05.00ab vfio_ap\nstart\nunbind 05.0004\n' "$setup" >"$base/script3"
aphotplug simulate --sysfs-root "$base/stage3" --output "$base/trace3" "$base/script3" >/dev/null 2>&1
use_stage 3
$tool send "$base/trace3" >/dev/null
$tool decision APHOTPLUG_KIND=unplug-adapter APHOTPLUG_SEQ=39 >/root/d39
check "with denied syscalls killing, a uevent is still decided (seq 39)" test $? = 0
sleep $((3 * watchdog_seconds))
check "with denied syscalls killing, alive past 3 x WatchdogSec (same MainPID)" \
    test "$(prop ActiveState)/$(prop MainPID)" = "active/$kill_pid"
rm -f "$dropins/zz-kill-on-denied.conf"

# --- nothing denied, nothing crashed ---------------------------------------
journalctl -b --no-pager -o short-monotonic >/root/journal.txt
# (The test's own lines, which name these words, are left out.)
check "journal: no SIGSYS, no seccomp kill (audit type=1326)" \
    bash -c '! grep -v " run-in-vm\[" "$1" | grep -E "SIGSYS|status=31|Bad system call|type=1326|seccomp"' sh /root/journal.txt
journalctl -b -u $unit --no-pager -o cat >/root/daemon.txt
# Dispatch asks for a higher priority for one QoS class, which root without
# CAP_SYS_NICE may not take: EACCES (13), once per process, as for any
# unprivileged Swift program. A filtered setpriority would be EPERM (1).
benign='^Failed to set thread priority for worker thread: pqc=0x[0-9a-f]+ errno=13$'
note "benign Dispatch priority messages (EACCES, no CAP_SYS_NICE): $(grep -cE "$benign" /root/daemon.txt)"
check "journal: Dispatch's setpriority is not filtered (no errno=1 thread priority failure)" \
    bash -c '! grep -q "Failed to set thread priority.*errno=1$" "$1"' sh /root/daemon.txt
check "journal: the daemon reported no denied operation" \
    bash -c '! grep -vE "$2" "$1" | grep -Ei "not permitted|permission denied|errno=|EPERM|EACCES|read-only file system|not notifying|failed to|cannot (arm|create|open|bind)|no state file|no control socket"' \
    sh /root/daemon.txt "$benign"
check "journal: the only abnormal end is the kill -9" \
    bash -c '[ "$(journalctl -b -u aphotplug.service --no-pager | grep -c "Main process exited")" = 1 ] && journalctl -b -u aphotplug.service --no-pager | grep "Main process exited" | grep -q "status=9/KILL"'
check "no core dumps (coredumpctl)" bash -c '! coredumpctl --no-pager list 2>/dev/null | grep -q aphotplug'

journalctl -b --no-pager -o short-monotonic >"$payload/results/journal.txt"
journalctl -b --no-pager -o json -u $unit >"$payload/results/aphotplug-journal.json"
note "journal of $unit:"
journalctl -b -u $unit --no-pager -o short-monotonic | tail -n 40 | sed 's/^/#   /'
finish
