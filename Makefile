# aphotplug: build, install on a host, uninstall.
#
#   make                                  release binary, man page, completions
#   make install PREFIX=/usr DESTDIR=...  install them with the udev rules, the
#                                         systemd unit and the libvirt hook
#   make uninstall PREFIX=/usr DESTDIR=...  remove exactly what install put there
#   make check-host                       rules, unit and install checks (Tests/Host/)
#   make fuzz [FUZZ_SECONDS=30]           every libFuzzer target for FUZZ_SECONDS (scripts/fuzz)
#   make vm-test                          the installed unit under a real systemd,
#                                         udev and journald in a Debian 12 VM
#                                         (Tests/VM/run.sh; root, qemu, debootstrap)
#
# Use the same PREFIX (and directory variables) for install and uninstall.
# udev reads rules only from /usr/lib/udev/rules.d and /etc/udev/rules.d, so
# a host install uses PREFIX=/usr (the default). After installing on a live
# host: systemctl daemon-reload; udevadm control --reload; restart libvirtd or
# virtqemud for the hook; `udevadm trigger -s ap` starts the daemon at once.
#
# BIN=path installs a binary built elsewhere instead of building one;
# GENERATE_MANUAL=path likewise for swift-argument-parser's generate-manual.

PREFIX ?= /usr
SYSCONFDIR ?= /etc
DESTDIR ?=
BINDIR ?= $(PREFIX)/bin
DATADIR ?= $(PREFIX)/share
MANDIR ?= $(DATADIR)/man
PKGDATADIR ?= $(DATADIR)/aphotplug
UDEVRULESDIR ?= $(PREFIX)/lib/udev/rules.d
SYSTEMDUNITDIR ?= $(PREFIX)/lib/systemd/system
CATALOGDIR ?= $(PREFIX)/lib/systemd/catalog
LIBVIRTHOOKDIR ?= $(SYSCONFDIR)/libvirt/hooks/qemu.d
BASHCOMPLETIONDIR ?= $(DATADIR)/bash-completion/completions
# zsh's own default; Debian and Ubuntu use $(DATADIR)/zsh/vendor-completions.
ZSHCOMPLETIONDIR ?= $(DATADIR)/zsh/site-functions
FISHCOMPLETIONDIR ?= $(DATADIR)/fish/vendor_completions.d

SWIFT ?= swift
SCRATCH ?= .build-release
BIN ?= $(SCRATCH)/release/aphotplug
GENERATE_MANUAL ?= $(SCRATCH)/release/generate-manual
# The man page's date: the last commit's, so that rebuilding changes nothing.
MANDATE ?= $(shell git log -1 --format=%cs 2>/dev/null || date -u +%F)

GEN := $(SCRATCH)/dist
GENERATED := $(GEN)/aphotplug.1 $(GEN)/aphotplug.bash $(GEN)/_aphotplug $(GEN)/aphotplug.fish \
	$(GEN)/70-aphotplug.rules $(GEN)/71-aphotplug-handle.rules $(GEN)/aphotplug.service \
	$(GEN)/libvirt-qemu-hook

# Everything install puts on the host, for uninstall.
INSTALLED := $(BINDIR)/aphotplug \
	$(UDEVRULESDIR)/70-aphotplug.rules \
	$(PKGDATADIR)/71-aphotplug-handle.rules \
	$(SYSTEMDUNITDIR)/aphotplug.service \
	$(LIBVIRTHOOKDIR)/aphotplug \
	$(MANDIR)/man1/aphotplug.1 \
	$(CATALOGDIR)/aphotplug.catalog \
	$(BASHCOMPLETIONDIR)/aphotplug \
	$(ZSHCOMPLETIONDIR)/_aphotplug \
	$(FISHCOMPLETIONDIR)/aphotplug.fish

# The installed files name the binary and the opt-in rules by their paths.
SUBSTITUTE := sed -e 's|/usr/bin/aphotplug|$(BINDIR)/aphotplug|g' -e 's|/usr/share/aphotplug|$(PKGDATADIR)|g'

.PHONY: all install uninstall check-host fuzz vm-test FORCE

all: $(BIN) $(GENERATED)

# swift build decides what is out of date; without BIN= or GENERATE_MANUAL=
# on the command line, always ask it.
ifeq ($(origin BIN),file)
$(BIN): FORCE
	$(SWIFT) build -c release --scratch-path $(SCRATCH) --product aphotplug
endif
ifeq ($(origin GENERATE_MANUAL),file)
$(GENERATE_MANUAL): FORCE
	$(SWIFT) build -c release --scratch-path $(SCRATCH) --product generate-manual
endif

# Generated files are cheap; remaking them on every run keeps them in step
# with PREFIX and BIN.
$(GENERATED): FORCE | $(GEN)

$(GEN):
	mkdir -p $@

# generate-manual leaves blank lines in multi-paragraph help (mdoc wants .Pp)
# and help lines that start with a quote, which troff takes for a request.
$(GEN)/aphotplug.1: $(BIN) $(GENERATE_MANUAL)
	mkdir -p $(GEN)/man
	$(GENERATE_MANUAL) $(BIN) --date $(MANDATE) --output-directory $(GEN)/man
	sed -e 's/^$$/.Pp/' -e "s/^'/\\\\\&'/" $(GEN)/man/aphotplug.1 >$@
	cat dist/aphotplug.1.tail >>$@

$(GEN)/aphotplug.bash: $(BIN)
	$(BIN) --generate-completion-script bash >$@

$(GEN)/_aphotplug: $(BIN)
	$(BIN) --generate-completion-script zsh >$@

$(GEN)/aphotplug.fish: $(BIN)
	$(BIN) --generate-completion-script fish >$@

$(GEN)/70-aphotplug.rules $(GEN)/71-aphotplug-handle.rules: $(GEN)/%: rules/%
	$(SUBSTITUTE) $< >$@

$(GEN)/aphotplug.service $(GEN)/libvirt-qemu-hook: $(GEN)/%: dist/%
	$(SUBSTITUTE) $< >$@

install: all
	install -D -m 0755 $(BIN) $(DESTDIR)$(BINDIR)/aphotplug
	install -D -m 0644 $(GEN)/70-aphotplug.rules $(DESTDIR)$(UDEVRULESDIR)/70-aphotplug.rules
	install -D -m 0644 $(GEN)/71-aphotplug-handle.rules $(DESTDIR)$(PKGDATADIR)/71-aphotplug-handle.rules
	install -D -m 0644 $(GEN)/aphotplug.service $(DESTDIR)$(SYSTEMDUNITDIR)/aphotplug.service
	install -D -m 0755 $(GEN)/libvirt-qemu-hook $(DESTDIR)$(LIBVIRTHOOKDIR)/aphotplug
	install -D -m 0644 $(GEN)/aphotplug.1 $(DESTDIR)$(MANDIR)/man1/aphotplug.1
	install -D -m 0644 dist/aphotplug.catalog $(DESTDIR)$(CATALOGDIR)/aphotplug.catalog
	install -D -m 0644 $(GEN)/aphotplug.bash $(DESTDIR)$(BASHCOMPLETIONDIR)/aphotplug
	install -D -m 0644 $(GEN)/_aphotplug $(DESTDIR)$(ZSHCOMPLETIONDIR)/_aphotplug
	install -D -m 0644 $(GEN)/aphotplug.fish $(DESTDIR)$(FISHCOMPLETIONDIR)/aphotplug.fish

# Removes the files and aphotplug's own directory, never a shared one.
uninstall:
	rm -f $(addprefix $(DESTDIR),$(INSTALLED))
	if [ -d $(DESTDIR)$(PKGDATADIR) ]; then rmdir $(DESTDIR)$(PKGDATADIR); fi

# Each check exits 77 when it has to skip (outside CI only); that is no failure.
check-host:
	@status=0; \
	for check in rules unit install; do \
		Tests/Host/check-$$check.sh; result=$$?; \
		if [ $$result != 0 ] && [ $$result != 77 ]; then status=1; fi; \
	done; \
	exit $$status

# Coverage-guided fuzzing: each target of Fuzz/Targets for FUZZ_SECONDS on its
# committed seed corpus (Fuzz/Corpus); a crash fails and is kept in .build-fuzz/findings.
FUZZ_SECONDS ?= 30
fuzz:
	FUZZ_SECONDS=$(FUZZ_SECONDS) scripts/fuzz

# Boots a throwaway Debian 12 VM (image cached in .vm-cache/), runs make install
# there and checks the unit under the shipped sandbox. VM_TEST_FLAGS=--break NAME
# breaks one feature on purpose (syscalls, ready, watchdog) to see checks fail.
vm-test:
	Tests/VM/run.sh $(VM_TEST_FLAGS)
