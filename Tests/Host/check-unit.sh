#!/usr/bin/env bash
# Checks dist/aphotplug.service: `systemd-analyze verify` prints nothing, the
# `systemd-analyze security --offline=true` exposure is at most 2.0, and the
# directives the daemon depends on are there (no sandbox option may buy a
# better score by breaking it, e.g. PrivateNetwork= would cut it off uevents).
#
# verify checks that ExecStart's binary exists, so it runs against a scratch
# root (--root) holding the unit, a stub /usr/bin/aphotplug and the host's
# targets for the default dependencies; the man page is checked by
# check-install.sh against a real install. Needs systemd-analyze (Debian
# package systemd, 252 or later for --offline).
#
# Usage: check-unit.sh [UNIT-FILE]   (default: dist/aphotplug.service)

check_name=unit
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

require_commands systemd-analyze
unit=${1:-$repo/dist/aphotplug.service}
maximum_exposure=2.0

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

root=$work/root
mkdir -p "$root/usr/lib/systemd/system" "$root/usr/bin"
cp "$unit" "$root/usr/lib/systemd/system/aphotplug.service"
cp /usr/lib/systemd/system/*.target "$root/usr/lib/systemd/system/"
printf '#!/bin/sh\n' >"$root/usr/bin/aphotplug"
chmod 0755 "$root/usr/bin/aphotplug"

systemd-analyze verify --root="$root" --man=no aphotplug.service >"$work/verify" 2>&1
check "systemd-analyze verify exits 0" test $? = 0
check "systemd-analyze verify prints no warning" test ! -s "$work/verify"
cat "$work/verify"

systemd-analyze security --offline=true --root="$root" aphotplug.service >"$work/security" 2>&1
exposure=$(sed -n 's/^→ Overall exposure level for aphotplug.service: \([0-9.]*\) .*/\1/p' "$work/security")
echo "exposure: ${exposure:-unreadable} (at most $maximum_exposure)"
check "the exposure level was printed" test -n "$exposure"
check "exposure ${exposure:-?} <= $maximum_exposure" awk -v e="${exposure:-99}" -v m="$maximum_exposure" 'BEGIN { exit !(e <= m) }'

directive() { grep -qxF -- "$1" "$unit"; }
for line in "Type=notify" "Restart=on-failure" "WatchdogSec=1min" \
    "ExecStart=/usr/bin/aphotplug daemon --mode observe" "RuntimeDirectory=aphotplug" \
    "RestrictAddressFamilies=AF_NETLINK AF_UNIX" "CapabilityBoundingSet=CAP_NET_ADMIN" \
    "ProtectKernelTunables=yes" "ReadWritePaths=-/sys/devices/vfio_ap /run/lock"; do
    check "unit has $line" directive "$line"
done
for option in PrivateNetwork PrivateUsers DynamicUser User InaccessiblePaths; do
    check "unit does not set $option= (the daemon needs the host's netlink, root's sysfs and /etc/mdevctl.d)" \
        bash -c '! grep -qE "^$1=" "$2"' sh "$option" "$unit"
done

finish
