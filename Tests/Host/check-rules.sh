#!/usr/bin/env bash
# Checks rules/*.rules with `udevadm test` (systemd 252 has no `udevadm verify`)
# against a fake sysfs holding an AP bus, a card, a queue bound to vfio_ap, the
# vfio_ap matrix device, a vfio_ap mdev and a vfio-ccw mdev. Each event runs in
# its own mount namespace (`unshare -m`) in which the fake tree is bound over
# /sys, a tmpfs covers /run (so /run/udev starts empty), and only the rules
# under test are visible in /etc/udev/rules.d; the host is not touched.
# `udevadm test` prints the properties, tags and RUN list the rules produce
# without running anything.
#
# Needs root, unshare (util-linux) and udevadm (Debian package udev).

check_name=rules
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

require_root
require_commands unshare udevadm mount
[ -d /etc/udev/rules.d ] && [ -d /usr/lib/udev/rules.d ] || skip "needs /etc/udev/rules.d and /usr/lib/udev/rules.d (Debian package udev)"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

uuid=5a2e6f0c-7d3b-4e8a-9c1f-0b4d2a6e8f13
ccw_uuid=90c6c135-ad44-41d0-b1b7-bae47de48627

# A device directory: fake_device PATH SUBSYSTEM [UEVENT-LINE...]
fake_device() {
    local path=$work/sys/$1 subsystem=$2
    shift 2
    mkdir -p "$path" "$work/sys/bus/$subsystem/devices"
    ln -sfn "$(realpath --relative-to="$path" "$work/sys/bus/$subsystem")" "$path/subsystem"
    printf '%s\n' "$@" >"$path/uevent"
}

fake_device devices/ap ap
fake_device devices/ap/card04 ap DEVTYPE=ap_card DEV_TYPE=000C MODALIAS=ap:t0C MODE=cca
fake_device devices/ap/card04/04.0006 ap DEVTYPE=ap_queue DRIVER=vfio_ap MODE=cca
mkdir -p "$work/sys/bus/ap/drivers/vfio_ap"
ln -sfn ../../../../bus/ap/drivers/vfio_ap "$work/sys/devices/ap/card04/04.0006/driver"
mkdir -p "$work/sys/devices/vfio_ap"
fake_device devices/vfio_ap/matrix matrix DRIVER=vfio_ap
fake_device "devices/vfio_ap/matrix/$uuid" mdev DRIVER=vfio_ap_mdev
fake_device "devices/css0/0.0.0009/$ccw_uuid" mdev DRIVER=vfio_ccw_mdev

mkdir -p "$work/rules-default" "$work/rules-handle" "$work/empty"
cp "$repo/rules/70-aphotplug.rules" "$work/rules-default/"
cp "$repo/rules/70-aphotplug.rules" "$repo/rules/71-aphotplug-handle.rules" "$work/rules-handle/"

# udev_test RULES ACTION DEVPATH [UEVENT-LINE...]: the `udevadm test` output
# for one event, in $work/out. Extra uevent lines stand for the kernel's event
# keys (udevadm test reads them from the device's uevent file).
udev_test() {
    local set=$1 rules=$work/$1 action=$2 devpath=$3
    shift 3
    local uevent=$work/sys$devpath/uevent
    cp "$uevent" "$work/uevent.saved"
    [ $# -gt 0 ] && printf '%s\n' "$@" >>"$uevent"
    unshare -m sh -c '
        set -e
        mount -t tmpfs tmpfs /run
        mkdir -p /run/udev
        mount --bind "$1/sys" /sys
        mount --bind "$2" /etc/udev/rules.d
        mount --bind "$1/empty" /usr/lib/udev/rules.d
        SYSTEMD_DEVICE_VERIFY_SYSFS=0 udevadm test --action="$3" "/sys$4"
    ' sh "$work" "$rules" "$action" "$devpath" >"$work/out" 2>&1
    local status=$?
    cp "$work/uevent.saved" "$uevent"
    check "udevadm test $action $devpath ran ($set)" test "$status" = 0
    check "udevadm test $action $devpath found the device" grep -qx "DEVPATH=$devpath" "$work/out"
    check "no rule syntax errors ($set, $action $devpath)" bash -c '! grep -E "^/etc/udev/rules.d/[^ ]+:[0-9]+ " "$1"' sh "$work/out"
}

has() { grep -qxF -- "$1" "$work/out"; }
lacks() { ! grep -qF -- "$1" "$work/out"; }

wants="SYSTEMD_WANTS=aphotplug.service"
handle="run: '/usr/bin/aphotplug handle'"
restart="run: '/usr/bin/systemctl --no-block try-restart aphotplug.service'"

# 70-aphotplug.rules: the AP bus root pulls in the daemon on add (coldplug
# trigger at boot) and change (INITSCAN after a module load, manual trigger).
for action in add change; do
    udev_test rules-default "$action" /devices/ap
    check "$action /devices/ap wants aphotplug.service" has "$wants"
    check "$action /devices/ap is tagged systemd" grep -qE '^CURRENT_TAGS=.*:systemd:' "$work/out"
    check "$action /devices/ap runs nothing by default" bash -c '! grep -q "^run:" "$1"' sh "$work/out"
done
udev_test rules-default change /devices/ap BINDINGS=complete COMPLETECOUNT=1
check "BINDINGS=complete keeps the systemd tag" grep -qE '^CURRENT_TAGS=.*:systemd:' "$work/out"
udev_test rules-default remove /devices/ap
check "remove /devices/ap wants nothing" lacks "SYSTEMD_WANTS"
udev_test rules-default add /devices/ap/card04
check "a card does not pull in the daemon" lacks "SYSTEMD_WANTS"
udev_test rules-default bind /devices/ap/card04/04.0006
check "a queue does not pull in the daemon" lacks "SYSTEMD_WANTS"
udev_test rules-default add /devices/vfio_ap/matrix
check "vfio_ap loading restarts a running daemon" has "$restart"
udev_test rules-default add /devices/vfio_ap/matrix SYNTH_UUID=0
check "a replayed add of the matrix device (coldplug, udevadm trigger) restarts nothing" lacks "try-restart"
udev_test rules-default change /devices/vfio_ap/matrix MDEV_STATE=registered
check "mdev parent registration does not restart the daemon" lacks "try-restart"
udev_test rules-default add "/devices/vfio_ap/matrix/$uuid"
check "without the opt-in file no event runs aphotplug handle" lacks "aphotplug handle"

# 71-aphotplug-handle.rules, linked in: every ap, matrix and vfio_ap mdev event
# runs `aphotplug handle`, other mdevs do not.
for event in "add /devices/ap/card04" "bind /devices/ap/card04/04.0006" "unbind /devices/ap/card04/04.0006" \
    "remove /devices/ap/card04/04.0006" "change /devices/ap" "add /devices/vfio_ap/matrix" \
    "change /devices/vfio_ap/matrix" "add /devices/vfio_ap/matrix/$uuid" "remove /devices/vfio_ap/matrix/$uuid"; do
    set -- $event
    udev_test rules-handle "$1" "$2"
    check "opted in, $event runs aphotplug handle" has "$handle"
done
udev_test rules-handle change /devices/ap APMASK=0x0fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff
check "opted in, /devices/ap still wants the daemon unit" has "$wants"
udev_test rules-handle add "/devices/css0/0.0.0009/$ccw_uuid"
check "a vfio-ccw mdev does not run aphotplug handle" lacks "aphotplug handle"

finish
