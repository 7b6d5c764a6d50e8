#!/usr/bin/env bash
# Builds (once) the Debian 12 image the VM test boots: a debootstrapped root
# file system with systemd, udev, journald, make and python3 in an ext4 file
# (never modified: the VM writes to a throwaway snapshot), and Debian's
# linux-image-amd64 kernel and initrd next to it for a direct -kernel boot.
#
# Usage: build-image.sh CACHE-DIR   prints the image directory on stdout
#
# The image lives in CACHE-DIR/image-<key>, <key> being a hash of this script:
# changing the package list or the setup below builds a new one. Downloaded
# packages are kept in CACHE-DIR/debs for the next build. Needs root,
# debootstrap and mkfs.ext4 (e2fsprogs). APHOTPLUG_VM_MIRROR overrides the
# Debian mirror (default http://deb.debian.org/debian).
set -euo pipefail

cache=${1:?usage: build-image.sh CACHE-DIR}
mirror=${APHOTPLUG_VM_MIRROR:-http://deb.debian.org/debian}
# What the test needs: systemd and udev (the product's environment), dbus
# (systemctl/systemd-analyze talk to PID 1 over it), make (make install),
# python3 (the uevent sender), systemd-coredump (crash evidence), the kernel.
packages=systemd,systemd-sysv,udev,dbus,systemd-coredump,make,python3,kmod,linux-image-amd64

mkdir -p "$cache"
cache=$(cd "$cache" && pwd)
key=$(sha256sum "${BASH_SOURCE[0]}" | cut -c1-16)
image=$cache/image-$key
if [ -f "$image/done" ]; then
    echo "$image"
    exit 0
fi

log() { echo "build-image: $*" >&2; }
[ "$(id -u)" = 0 ] || { log "needs root (debootstrap)"; exit 1; }
for command in debootstrap mkfs.ext4; do
    command -v "$command" >/dev/null || { log "needs $command (apt-get install debootstrap e2fsprogs)"; exit 1; }
done

work=$cache/build-$key
rm -rf "$work" "$image"
mkdir -p "$work" "$cache/debs"
trap 'rm -rf "$work"' EXIT
root=$work/root
start=$(date +%s)
log "debootstrap bookworm from $mirror (a few minutes the first time)"
debootstrap --variant=minbase --include="$packages" --cache-dir="$cache/debs" \
    bookworm "$root" "$mirror" >"$work/debootstrap.log" 2>&1 || {
    tail -n 30 "$work/debootstrap.log" >&2
    exit 1
}

# Boot straight into the test: root on the virtio disk, console on the
# serial port, no login, the test unit (delivered with the payload) wanted by
# multi-user.target.
echo aphotplug-vm >"$root/etc/hostname"
printf '/dev/vda / ext4 rw,noatime 0 1\n' >"$root/etc/fstab"
mkdir -p "$root/etc/systemd/journald.conf.d"
printf '%s\n' '[Journal]' 'Storage=volatile' 'ForwardToConsole=no' >"$root/etc/systemd/journald.conf.d/vmtest.conf"
cat >"$root/etc/systemd/system/aphotplug-vmtest.service" <<'UNIT'
[Unit]
Description=aphotplug VM test (Tests/VM/guest-test.sh, from the 9p payload run.sh prepares)
After=multi-user.target systemd-udevd.service systemd-journald.service dbus.service
SuccessAction=poweroff-force
FailureAction=poweroff-force

[Service]
Type=oneshot
ExecStartPre=/bin/mkdir -p /mnt/payload
ExecStartPre=/bin/mount -t 9p -o trans=virtio,version=9p2000.L,msize=262144 payload /mnt/payload
ExecStart=/mnt/payload/run-in-vm
StandardOutput=journal+console
StandardError=journal+console
TimeoutStartSec=infinity

[Install]
WantedBy=multi-user.target
UNIT
ln -sf /etc/systemd/system/aphotplug-vmtest.service "$root/etc/systemd/system/multi-user.target.wants/aphotplug-vmtest.service"
# No getty competing for the serial console.
ln -sf /dev/null "$root/etc/systemd/system/serial-getty@ttyS0.service"
ln -sf /dev/null "$root/etc/systemd/system/getty@tty1.service"
rm -rf "$root/usr/share/doc" "$root/usr/share/man" "$root/usr/share/locale" "$root/var/cache/apt/archives"/*.deb

mkdir -p "$work/image"
cp "$root"/boot/vmlinuz-* "$work/image/vmlinuz"
cp "$root"/boot/initrd.img-* "$work/image/initrd.img"
chmod 0644 "$work/image/vmlinuz" "$work/image/initrd.img"
mkfs.ext4 -q -L aphotplug-vm -d "$root" "$work/image/rootfs.img" 2G >&2
touch "$work/image/done"
mv "$work/image" "$image"
log "image built in $(($(date +%s) - start)) s: $image"
# Older images of this cache are of no further use.
for old in "$cache"/image-*; do
    [ "$old" = "$image" ] || rm -rf "$old"
done
echo "$image"
