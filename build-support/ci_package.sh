#!/usr/bin/env bash
# Package every target except docker images (no Docker engine on CI machines).
set -euo pipefail
cd "$(dirname "$0")/.."
exec ./pants --filter-target-type=-docker_image package "${@:-::}"
