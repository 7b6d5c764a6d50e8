#!/usr/bin/env bash
# Checks `make install` and `make uninstall` in a DESTDIR: the installed files
# and modes match install-manifest.txt, a second install changes nothing, the
# man page renders without warnings, the unit verifies with its man page, the
# libvirt hook reports guests and never fails, PREFIX reaches every installed
# path, and uninstall leaves no file behind.
#
# `make install` builds the release binary and generate-manual (a few minutes
# the first time). Set BIN and GENERATE_MANUAL to use prebuilt ones.
# Needs make, swift (unless BIN and GENERATE_MANUAL are set), systemd-analyze
# (Debian package systemd) and man (man-db).

check_name=install
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

require_commands make install sed find systemd-analyze man
[ -n "${BIN:-}" ] && [ -n "${GENERATE_MANUAL:-}" ] || require_commands swift

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
dest=$work/dest
fixtures=$repo/Tests/LibvirtHookTests/Fixtures

# run_make LOG TARGET VARIABLE=VALUE...: make in the repository, output in LOG.
run_make() {
    local log=$1
    shift
    make -C "$repo" --no-print-directory "$@" >"$log" 2>&1 || { tail -n 30 "$log"; return 1; }
}

listing() { (cd "$1" && find . \( -type f -o -type l \) -printf '%P %m\n' | LC_ALL=C sort); }

check "make install PREFIX=/usr succeeds" run_make "$work/install.log" install DESTDIR="$dest" PREFIX=/usr
listing "$dest" >"$work/listing"
check "installed files and modes match install-manifest.txt" diff -u "$repo/Tests/Host/install-manifest.txt" "$work/listing"
check "a second make install succeeds" run_make "$work/install2.log" install DESTDIR="$dest" PREFIX=/usr
listing "$dest" >"$work/listing2"
check "a second make install changes no file list or mode" diff -u "$work/listing" "$work/listing2"

check "the installed binary runs" bash -c '"$1" --version >/dev/null' sh "$dest/usr/bin/aphotplug"
page=$dest/usr/share/man/man1/aphotplug.1
man --warnings -l "$page" >"$work/man.txt" 2>"$work/man.err"
check "the man page renders" test $? = 0
check "the man page renders without warnings" test ! -s "$work/man.err"
cat "$work/man.err"
check "the man page documents hook libvirt" grep -q "libvirt" "$work/man.txt"
check "the bash completion script parses" bash -n "$dest/usr/share/bash-completion/completions/aphotplug"
for script in usr/share/bash-completion/completions/aphotplug usr/share/zsh/site-functions/_aphotplug \
    usr/share/fish/vendor_completions.d/aphotplug.fish; do
    check "$script completes the hook subcommand" grep -q "hook" "$dest/$script"
done

# The unit as installed, with its man page: Documentation=man:aphotplug(1).
cp -a "$dest" "$work/root"
cp /usr/lib/systemd/system/*.target "$work/root/usr/lib/systemd/system/"
MANPATH=$work/root/usr/share/man systemd-analyze verify --root="$work/root" aphotplug.service >"$work/verify" 2>&1
check "systemd-analyze verify of the installed unit, man page included, exits 0" test $? = 0
check "systemd-analyze verify of the installed unit prints nothing" test ! -s "$work/verify"
cat "$work/verify"

# The libvirt hook as installed, pointed at the installed binary.
hook() { # hook BINARY ARGUMENTS... < XML: runs a copy of the hook that calls BINARY
    local binary=$1
    shift
    sed "s|^aphotplug=.*|aphotplug=$binary|" "$dest/etc/libvirt/hooks/qemu.d/aphotplug" >"$work/hook"
    chmod 0755 "$work/hook"
    "$work/hook" "$@" >"$work/hook.out" 2>"$work/hook.err"
}
binary=$dest/usr/bin/aphotplug
hook "$binary" crypto-guest1 started begin - <"$fixtures/one-vfio-ap.xml"
check "hook: started exits 0" test $? = 0
check "hook: started reports the attach" test "$(cat "$work/hook.out")" = \
    '{"type":"guest","action":"attach","mdev":"5a2e6f0c-7d3b-4e8a-9c1f-0b4d2a6e8f13","name":"crypto-guest1"}'
hook "$binary" crypto-guest1 stopped end - <"$fixtures/one-vfio-ap.xml"
check "hook: stopped reports the detach" grep -q '"action":"detach"' "$work/hook.out"
hook "$binary" crypto-guest1 migrate begin - <"$fixtures/one-vfio-ap.xml"
check "hook: migrate exits 0" test $? = 0
check "hook: migrate prints nothing, so libvirt keeps the XML" test ! -s "$work/hook.out"
hook "$binary" crypto-guest1 start begin - <"$fixtures/truncated.xml"
check "hook: truncated XML exits 0" test $? = 0
check "hook: truncated XML reports nothing" test ! -s "$work/hook.out"
check "hook: truncated XML is explained on stderr" grep -q "not well-formed" "$work/hook.err"
printf '#!/bin/sh\nexit 3\n' >"$work/failing"
chmod 0755 "$work/failing"
hook "$work/failing" crypto-guest1 prepare begin - <"$fixtures/one-vfio-ap.xml"
check "hook: a failing aphotplug still exits 0" test $? = 0
check "hook: a failing aphotplug is explained on stderr" grep -q "exited with status 3" "$work/hook.err"
hook "$work/missing" crypto-guest1 prepare begin - <"$fixtures/one-vfio-ap.xml"
check "hook: a missing aphotplug exits 0" test $? = 0

# Another PREFIX reaches every path that names the binary or the opt-in rules.
opt=$work/opt
vars=(DESTDIR="$opt" PREFIX=/opt/aphotplug SYSCONFDIR=/opt/aphotplug/etc)
check "make install PREFIX=/opt/aphotplug succeeds" run_make "$work/install-opt.log" install "${vars[@]}"
check "PREFIX: the unit starts the binary under PREFIX" \
    grep -qx "ExecStart=/opt/aphotplug/bin/aphotplug daemon --mode observe" "$opt/opt/aphotplug/lib/systemd/system/aphotplug.service"
check "PREFIX: the opt-in rules run the binary under PREFIX" \
    grep -q 'RUN+="/opt/aphotplug/bin/aphotplug handle"' "$opt/opt/aphotplug/share/aphotplug/71-aphotplug-handle.rules"
check "PREFIX: the opt-in rules tell where they are" \
    grep -q "ln -s /opt/aphotplug/share/aphotplug/71-aphotplug-handle.rules" "$opt/opt/aphotplug/share/aphotplug/71-aphotplug-handle.rules"
check "PREFIX: the hook calls the binary under PREFIX" \
    grep -qx "aphotplug=/opt/aphotplug/bin/aphotplug" "$opt/opt/aphotplug/etc/libvirt/hooks/qemu.d/aphotplug"
check "PREFIX: no installed text file names /usr/bin/aphotplug" \
    bash -c '! grep -rl --exclude=aphotplug.1 "/usr/bin/aphotplug" "$1/opt/aphotplug/lib" "$1/opt/aphotplug/etc" "$1/opt/aphotplug/share/aphotplug"' sh "$opt"
check "make uninstall PREFIX=/opt/aphotplug succeeds" run_make "$work/uninstall-opt.log" uninstall "${vars[@]}"
check "make uninstall PREFIX=/opt/aphotplug leaves no file" test -z "$(listing "$opt")"

check "make uninstall succeeds" run_make "$work/uninstall.log" uninstall DESTDIR="$dest" PREFIX=/usr
check "make uninstall leaves no file" test -z "$(listing "$dest")"
check "make uninstall removes aphotplug's own directory" test ! -e "$dest/usr/share/aphotplug"
check "a second make uninstall succeeds" run_make "$work/uninstall2.log" uninstall DESTDIR="$dest" PREFIX=/usr

finish
