#!/usr/bin/env bash
# Package every target (or the given specs): the PEX files, and the src/docker images where
# podman works (build-support/bootstrap_containers.sh installs it and the base image; quiet
# and quick when all is there). Where podman cannot work the images are left out, and this
# says so plainly; everything else is still packaged.
set -euo pipefail
cd "$(dirname "$0")/.."
if bash build-support/bootstrap_containers.sh; then
  exec ./pants package "${@:-::}"
fi
echo "ci_package: podman cannot work on this machine (reason above): the docker_image targets" \
  "(src/docker) are NOT built; packaging everything else." >&2
exec ./pants --filter-target-type=-docker_image package "${@:-::}"
