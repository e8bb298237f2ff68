#!/usr/bin/env bash
# Change-aware CI: rerun exactly what a change since BASE reaches, fast tier first.
#   build-support/changed.sh [BASE]          lint, fast tests, packages, slow tests; one summary
#   build-support/changed.sh --fast [BASE]   lint and the fast tier only (an edit-test loop)
#   build-support/changed.sh --list [BASE]   the selected tests and packages, one address a line
# (default BASE: origin/main if it exists, else HEAD~1)
#
# build-support/affected.py picks the tests and packages whose own dependency closure holds a
# changed file (generated targets only: one test file, never its whole folder) and prints why
# each was picked. Fast tier: the affected tests without tag `slow`/`containers`; slow tier:
# end-to-end runs and image tests. Images (src/docker) and image tests run only where podman
# works; elsewhere they are left out, and this says so. When the change touches BUILD files or
# build-support/, the selection test (build-support/selection_test.py) runs too.
set -euo pipefail
cd "$(dirname "$0")/.."
LIST=
FAST=
case "${1:-}" in
  --list) LIST=1; shift ;;
  --fast) FAST=1; shift ;;
esac
BASE="${1:-}"
if [ -z "$BASE" ]; then
  if git rev-parse -q --verify origin/main >/dev/null; then BASE=origin/main; else BASE=HEAD~1; fi
fi
if [ -n "$LIST" ]; then
  exec python3 build-support/affected.py --since "$BASE" --list
fi

plan=$(mktemp -d)
trap 'rm -rf "$plan"' EXIT
summary=()
failed=0
# phase NAME SPEC_FILE... -- GOAL: runs the Pants GOAL on the targets of the spec files, timed.
phase() {
  local name=$1 specs=() n=0
  shift
  while [ "$1" != -- ]; do specs+=("$1"); n=$((n + $(grep -c . "$1" || true))); shift; done
  shift
  if [ "$n" -eq 0 ]; then summary+=("$(printf '%-14s nothing selected' "$name")"); return; fi
  if [ -n "$FAST" ] && [ "$name" != "fast tests" ]; then
    summary+=("$(printf '%-14s %3d target(s)  SKIPPED (--fast)' "$name" "$n")")
    return
  fi
  if [ "$failed" -ne 0 ] && [ "$name" = "slow tests" ]; then
    summary+=("$(printf '%-14s %3d target(s)  SKIPPED (an earlier phase failed)' "$name" "$n")")
    return
  fi
  local spec_args=() start=$SECONDS status=ok
  for f in "${specs[@]}"; do spec_args+=("--spec-files=$f"); done
  echo "changed.sh: $name ($n target(s))" >&2
  ./pants "${spec_args[@]}" "$@" || { status=FAILED; failed=1; }
  summary+=("$(printf '%-14s %3d target(s)  %-6s %4ds' "$name" "$n" "$status" $((SECONDS - start)))")
}

start=$SECONDS
python3 build-support/affected.py --since "$BASE" --plan "$plan"
summary+=("$(printf '%-14s %24s %4ds' selection '' $((SECONDS - start)))")
lint_start=$SECONDS
# Lint reads a file's own text only: the changed files, not their dependents.
if ./pants --changed-since="$BASE" lint; then status=ok; else status=FAILED; failed=1; fi
summary+=("$(printf '%-14s %24s %4ds' "lint ($status)" '' $((SECONDS - lint_start)))")

containers=("$plan/images.txt" "$plan/container_tests.txt")
if [ -z "$FAST" ] && [ -n "$(cat "${containers[@]}")" ] && ! bash build-support/bootstrap_containers.sh; then
  echo "changed.sh: podman cannot work on this machine: these affected images and image tests" \
    "(tag 'containers') are SKIPPED:" >&2
  sed 's/^/  /' "${containers[@]}" >&2
  : >"$plan/images.txt"
  : >"$plan/container_tests.txt"
fi
if [ -s "$plan/selection_test.txt" ]; then
  sel_start=$SECONDS
  if python3 build-support/selection_test.py; then status=ok; else status=FAILED; failed=1; fi
  summary+=("$(printf '%-14s %24s %4ds' "selection ($status)" '' $((SECONDS - sel_start)))")
fi
phase "fast tests" "$plan/fast_tests.txt" -- test
phase "packages" "$plan/pex_packages.txt" "$plan/images.txt" -- package
phase "slow tests" "$plan/slow_tests.txt" "$plan/container_tests.txt" -- test

echo "changed.sh: summary (since $BASE, $((SECONDS - start))s in all)" >&2
printf '  %s\n' "${summary[@]}" >&2
exit "$failed"
