# Shared helpers for the host integration checks in Tests/Host/. Source it.
#
# Each check prints one "ok - ..." or "not ok - ..." line per assertion and a
# closing "<name>: N passed, N failed" line. Exit status: 0 all passed, 1 some
# failed, 77 skipped (a tool or root is missing and CI is not "true"; in CI a
# missing prerequisite is a failure, never a skip).

set -u

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
passed=0
failed=0

pass() { passed=$((passed + 1)); echo "ok - $*"; }
fail() { failed=$((failed + 1)); echo "not ok - $*"; }

# check DESCRIPTION COMMAND...: pass if COMMAND succeeds.
check() {
    local description=$1
    shift
    if "$@"; then pass "$description"; else fail "$description"; fi
}

# skip REASON: give up on the whole check; in CI that is a failure.
skip() {
    if [ "${CI:-}" = "true" ]; then
        echo "not ok - prerequisite missing in CI: $*"
        echo "$check_name: 0 passed, 1 failed"
        exit 1
    fi
    echo "SKIP: $*"
    exit 77
}

require_root() { [ "$(id -u)" = 0 ] || skip "needs root"; }

require_commands() {
    local command
    for command in "$@"; do
        command -v "$command" >/dev/null 2>&1 || skip "needs '$command' on PATH"
    done
}

# finish: print the closing line and exit with the result.
finish() {
    echo "$check_name: $passed passed, $failed failed"
    [ "$failed" = 0 ]
}
