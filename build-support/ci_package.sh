#!/usr/bin/env bash
# Package every target (or the given specs): the PEX files, and the src/docker images where
# podman works (build-support/bootstrap_containers.sh installs it and the base image; quiet
# and quick when all is there). Where podman cannot work the images are left out, and this
# says so plainly; everything else is still packaged.
#
#   build-support/ci_package.sh [--with-tests] [SPECS...]      (default SPECS: ::)
#
# --with-tests runs the tests in the same Pants run (`test package`): Pants runs `docker build`
# once per run, so each image is built once for the tests that run it and for dist/ (.ci/run).
# Without podman, the tests that run images (tag `containers`) are left out too.
set -euo pipefail
cd "$(dirname "$0")/.."
goals=(package)
if [ "${1:-}" = --with-tests ]; then
  goals=(test package)
  shift
fi
if bash build-support/bootstrap_containers.sh; then
  exec ./pants "${goals[@]}" "${@:-::}"
fi
echo "ci_package: podman cannot work on this machine (reason above): the docker_image targets" \
  "(src/docker) are NOT built and the tests that run them (tag 'containers') NOT run;" \
  "everything else is." >&2
exec ./pants --filter-target-type=-docker_image --tag=-containers "${goals[@]}" "${@:-::}"
