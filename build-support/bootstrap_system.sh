#!/usr/bin/env bash
# System packages the tests need that are not Python requirements (installed once, idempotent).
#   promtool (Debian package prometheus): alert-rule checks and unit tests.
set -euo pipefail
need=()
command -v promtool >/dev/null 2>&1 || need+=(prometheus)
if [ ${#need[@]} -gt 0 ]; then
  echo "bootstrap_system: installing ${need[*]}" >&2
  if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; else SUDO=; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}"
  # The Debian package starts a prometheus daemon on :9090; tests start their own.
  $SUDO pkill -x prometheus || true
fi
