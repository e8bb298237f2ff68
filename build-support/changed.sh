#!/usr/bin/env bash
# Change-aware CI: lint, test and package only what changed since BASE and what depends on it.
#   build-support/changed.sh [BASE]      (default BASE: origin/main if it exists, else HEAD~1)
# Images (src/docker) are rebuilt only when their inputs changed (a serving change builds the
# API images, not the Airflow one) and only where podman works; elsewhere they and the tests
# that run them (tag `containers`) are left out, and this says so.
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
WITHOUT_CONTAINERS=()
affected_images=$(./pants "${CHANGED[@]}" --filter-target-type=docker_image list)
affected_image_tests=$(./pants "${CHANGED[@]}" --tag=containers list)
if [ -z "$affected_images$affected_image_tests" ]; then
  : # nothing affected needs podman
elif ! bash build-support/bootstrap_containers.sh; then
  echo "changed.sh: podman cannot work on this machine: affected images and image tests" \
    "(tag 'containers') are skipped" >&2
  WITHOUT_CONTAINERS=(--tag=-containers --filter-target-type=-docker_image)
fi
./pants "${CHANGED[@]}" ${WITHOUT_CONTAINERS[@]+"${WITHOUT_CONTAINERS[@]}"} test
./pants "${CHANGED[@]}" ${WITHOUT_CONTAINERS[@]+"${WITHOUT_CONTAINERS[@]}"} package
