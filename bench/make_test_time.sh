#!/usr/bin/env bash
# How long a fresh clone's `make test` takes, everything included (venv and npm installs,
# lint, pytest), measured as CI runs it: `CI=true bash .ci/run` in a new clone with a copy
# of ../shared beside it. Usage: bench/make_test_time.sh [REV ...] (default: HEAD).
# Several REVs are timed one after the other, so a before/after pair shares the machine's
# conditions. Prints, per REV: exit status, wall clock, CPU (user+sys, all processes),
# pytest's own summary line and its 15 slowest tests; the full log stays in /tmp.
set -euo pipefail
repo=$(git -C "$(dirname "$0")/.." rev-parse --show-toplevel)
shared="$repo/../shared"
for rev in "${@:-HEAD}"; do
    sha=$(git -C "$repo" rev-parse --verify "$rev^{commit}")
    work=$(mktemp -d /tmp/make-test-time.XXXXXX)
    git clone -q "$repo" "$work/repo"
    git -C "$work/repo" checkout -q "$sha"
    if [ -d "$shared" ]; then cp -r "$shared" "$work/"; fi
    log="$work/make-test.log"
    status=0
    (cd "$work/repo" && CI=true /usr/bin/time -o "$work/time" -f "%e %U %S" bash .ci/run) \
        >"$log" 2>&1 || status=$?
    read -r wall user sys < <(tail -1 "$work/time")
    summary=$(grep -E '^=+ .* in [0-9.]+s' "$log" | tail -1 || true)
    echo "$rev (${sha:0:7}): exit $status, ${wall} s wall, ${user} s user + ${sys} s sys CPU"
    echo "  pytest: ${summary:-no summary line}"
    sed -n '/slowest 15 durations/,/^$/p' "$log"
    echo "  log: $log"
done
