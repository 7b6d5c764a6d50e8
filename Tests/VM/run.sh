#!/usr/bin/env bash
# make vm-test: runs the installed product under a real systemd, udev and
# journald in a throwaway Debian 12 VM (issue 15).
#
#   Tests/VM/run.sh [--break syscalls|ready|watchdog]
#
# 1. builds aphotplug and generate-manual on the host (release, Swift runtime
#    linked in statically, so that the VM needs no Swift toolchain);
# 2. builds or reuses the VM image (build-image.sh: debootstrap, Debian's
#    kernel), cached in $APHOTPLUG_VM_CACHE (default .vm-cache/ in the repo);
# 3. boots it with qemu-system-x86_64 (KVM when /dev/kvm is usable, else TCG)
#    on a throwaway snapshot of the image, with the binaries and the repo's
#    Makefile, dist/, rules/ and tests shared over 9p;
# 4. inside, guest-test.sh runs `make install` and checks the unit (see there),
#    writing its log and exit status back over 9p; then the VM powers off.
# Prints the checks; exits 0 only if the VM ran and every check passed.
# --break NAME breaks one feature on purpose, to see the checks fail.
#
# Needs root (debootstrap), qemu-system-x86_64 (Debian: qemu-system-x86),
# debootstrap, mkfs.ext4 and swift. APHOTPLUG_VM_TIMEOUT (seconds, default
# 300) bounds the VM's run; APHOTPLUG_VM_MIRROR the Debian mirror.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$repo"
breaking=
while [ $# -gt 0 ]; do
    case $1 in
    --break) breaking=${2:?--break needs a name}; shift 2 ;;
    *) echo "usage: $0 [--break syscalls|ready|watchdog]" >&2; exit 64 ;;
    esac
done
cache=${APHOTPLUG_VM_CACHE:-$repo/.vm-cache}
vm_timeout=${APHOTPLUG_VM_TIMEOUT:-300}
scratch=${APHOTPLUG_VM_SCRATCH:-$repo/.build-vm}
started=$(date +%s)
log() { echo "vm-test: $*"; }
since() { echo "$(($(date +%s) - $1)) s"; }

for command in qemu-system-x86_64 debootstrap mkfs.ext4 swift; do
    command -v "$command" >/dev/null || { log "needs $command on PATH (apt-get install qemu-system-x86 debootstrap)"; exit 1; }
done

step=$(date +%s)
log "building aphotplug and generate-manual (release, --static-swift-stdlib, in $scratch)"
mkdir -p "$cache"
for product in aphotplug generate-manual; do
    swift build -c release --static-swift-stdlib --scratch-path "$scratch" --product "$product" >"$cache/build.log" 2>&1 || {
        tail -n 40 "$cache/build.log"
        exit 1
    }
done
bin=$scratch/release
if ldd "$bin/aphotplug" | grep -q libswift; then
    log "$bin/aphotplug still links the Swift runtime dynamically:"
    ldd "$bin/aphotplug"
    exit 1
fi
log "built in $(since "$step")"

step=$(date +%s)
image=$(Tests/VM/build-image.sh "$cache")
log "image $image ready in $(since "$step")"

# The 9p payload: what a user would have checked out, plus the binaries.
run=$cache/run
rm -rf "$run"
mkdir -p "$run/src/Tests" "$run/bin" "$run/results"
cp -r Makefile dist rules "$run/src/"
cp -r Tests/Host Tests/VM "$run/src/Tests/"
cp "$bin/aphotplug" "$bin/generate-manual" "$run/bin/"
[ -n "$breaking" ] && echo "$breaking" >"$run/break"
cat >"$run/run-in-vm" <<'GUEST'
#!/bin/bash
# Started by aphotplug-vmtest.service inside the VM (build-image.sh).
set -o pipefail
/mnt/payload/src/Tests/VM/guest-test.sh 2>&1 | tee /mnt/payload/results/log
echo $? >/mnt/payload/results/status
sync
GUEST
chmod 0755 "$run/run-in-vm"

# KVM when /dev/kvm is usable: the kernel must get as far as its first
# message under KVM within a few seconds (under nested virtualization /dev/kvm
# may open and still hang the guest, and the host CPU's arch-capabilities MSR
# may not be settable, hence -arch-capabilities). Otherwise TCG.
accel=tcg cpu=max
if [ -r /dev/kvm ] && [ -w /dev/kvm ]; then
    timeout 8 qemu-system-x86_64 -machine q35,accel=kvm -cpu host,-arch-capabilities -m 256 \
        -display none -monitor none -serial "file:$run/kvm-probe.log" -no-reboot -nic none \
        -kernel "$image/vmlinuz" -append "console=ttyS0 earlyprintk=serial,ttyS0 panic=-1" </dev/null >/dev/null 2>&1 || true
    if grep -q "Linux version" "$run/kvm-probe.log" 2>/dev/null; then
        accel=kvm cpu=host,-arch-capabilities
    else
        log "/dev/kvm is there but a KVM guest does not start (nested virtualization?): using TCG"
    fi
fi
log "booting the VM ($accel; at most $vm_timeout s; serial console in $run/console.log)"
step=$(date +%s)
set +e
timeout --foreground "$vm_timeout" qemu-system-x86_64 \
    -machine q35,accel=$accel -cpu $cpu -smp 2 -m 1536 \
    -display none -monitor none -serial "file:$run/console.log" -no-reboot -nic none \
    -kernel "$image/vmlinuz" -initrd "$image/initrd.img" \
    -append "root=/dev/vda rw console=ttyS0 quiet loglevel=4 systemd.show_status=false panic=-1" \
    -drive "file=$image/rootfs.img,format=raw,if=virtio,snapshot=on" \
    -virtfs "local,path=$run,mount_tag=payload,security_model=none,id=payload" </dev/null
qemu_status=$?
set -e
log "VM ran $(since "$step") (qemu exit status $qemu_status)"

if [ -s "$run/results/log" ]; then
    cat "$run/results/log"
else
    log "the test wrote no log; the end of the serial console:"
    tail -n 60 "$run/console.log"
fi
status=$(cat "$run/results/status" 2>/dev/null || echo none)
log "total $(since "$started")"
if [ "$qemu_status" = 124 ]; then
    log "FAILED: the VM did not finish within $vm_timeout s"
    exit 1
fi
if [ "$status" != 0 ]; then
    log "FAILED (test exit status: $status)"
    exit 1
fi
log "passed"
