#!/usr/bin/env bash
# Change-aware CI: lint, test and package only what changed since BASE and what depends on it.
#   build-support/changed.sh [BASE]      (default BASE: origin/main if it exists, else HEAD~1)
set -euo pipefail
cd "$(dirname "$0")/.."
BASE="${1:-}"
if [ -z "$BASE" ]; then
  if git rev-parse -q --verify origin/main >/dev/null; then BASE=origin/main; else BASE=HEAD~1; fi
fi
CHANGED=(--changed-since="$BASE" --changed-dependents=transitive)
echo "changed.sh: targets affected since $BASE:" >&2
./pants "${CHANGED[@]}" list | sed 's/^/  /' >&2
./pants "${CHANGED[@]}" lint
./pants "${CHANGED[@]}" test
./pants "${CHANGED[@]}" --filter-target-type=-docker_image package
