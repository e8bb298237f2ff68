#!/usr/bin/env bash
# Containers on machines with no Docker engine and no registry: Debian's podman + runc, the
# `docker` CLI shim that Pants' docker backend runs (podman-docker), podman-compose, and the
# local base image every src/docker image starts FROM (localhost/mlops-base:bookworm, built by
# debootstrap from the mirror the machine's apt sources name: Debian 12 minbase + python3.11 +
# ca-certificates, nothing else; each image makes its own non-root user).
#
#   bash build-support/bootstrap_containers.sh
#
# Idempotent and silent when everything is there (a few podman calls, ~1 s). Exit status:
#   0  podman builds and runs containers here
#   3  podman cannot work on this machine; the message on stderr says why (CI then skips the
#      image builds and image tests, see .ci/run and build-support/ci_package.sh)
# Installing needs root (or sudo) and apt-get; the base image takes about a minute once.
set -euo pipefail
cd "$(dirname "$0")/.."

BASE_IMAGE=localhost/mlops-base:bookworm
# Bump when the recipe below changes: an image built by an older recipe is then rebuilt.
BASE_RECIPE=1
PACKAGES=(podman runc podman-docker debootstrap podman-compose catatonit)

say() { echo "bootstrap_containers: $*" >&2; }
cannot() {
  say "podman cannot work on this machine: $*"
  exit 3
}
if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; else SUDO=; fi

# 1. Debian packages (catatonit: the infra container of `podman kube play` pods, no pull).
need=()
for package in "${PACKAGES[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$package" 2>/dev/null || true)
  [ "$status" = "install ok installed" ] || need+=("$package")
done
if [ ${#need[@]} -gt 0 ]; then
  command -v apt-get >/dev/null 2>&1 || cannot "apt-get not found (need: ${need[*]})"
  say "installing ${need[*]}"
  if ! { $SUDO apt-get update -qq \
      && DEBIAN_FRONTEND=noninteractive DEBCONF_NOWARNINGS=yes $SUDO apt-get install -y -qq --no-install-recommends \
        "${need[@]}" >/dev/null; }; then
    cannot "apt-get install ${need[*]} failed"
  fi
fi

# 2. Two settings or nothing runs here (cgroup v1 "hybrid" hosts): crun refuses hybrid
#    cgroups, and podman's default ulimits fail with "setrlimit RLIMIT_NOFILE".
CONF=/etc/containers/containers.conf
WANT='[containers]
default_ulimits = []

[engine]
runtime = "runc"'
if [ ! -f "$CONF" ] || [ "$(cat "$CONF")" != "$WANT" ]; then
  say "writing $CONF (runtime runc, no default ulimits)"
  $SUDO mkdir -p /etc/containers
  printf '%s\n' "$WANT" | $SUDO tee "$CONF" >/dev/null
fi
# The shim prints "Emulate Docker CLI using podman" on every call unless this file exists.
[ -e /etc/containers/nodocker ] || $SUDO touch /etc/containers/nodocker

command -v podman >/dev/null 2>&1 || cannot "podman is not on PATH after installing it"
if ! err=$(podman info 2>&1 >/dev/null); then
  cannot "'podman info' failed: ${err:-no message} (run it to see why)"
fi

# 3. The base image, once per machine (and again only when BASE_RECIPE changes).
apt_mirror() {
  # The first Debian mirror for bookworm's main component in the machine's apt sources
  # (deb822 *.sources or one-line *.list), e.g. http://deb.debian.org/debian.
  local f
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] || continue
    awk 'BEGIN { RS=""; FS="\n" }
      {
        uri=""; suites=""; comps=""
        for (i = 1; i <= NF; i++) {
          if ($i ~ /^URIs:/)       { sub(/^URIs:[ \t]*/, "", $i); split($i, u, /[ \t]+/); uri=u[1] }
          if ($i ~ /^Suites:/)     { suites=" " $i " " }
          if ($i ~ /^Components:/) { comps=" " $i " " }
        }
        if (uri != "" && suites ~ /[ \t]bookworm[ \t]/ && comps ~ /[ \t]main[ \t]/) { print uri; exit }
      }' "$f"
  done
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [ -f "$f" ] || continue
    awk '$1 == "deb" { i = 2; if ($2 ~ /^\[/) while ($i !~ /\]$/) i++; if ($2 ~ /^\[/) i++;
                       if ($(i+1) == "bookworm") { print $i; exit } }' "$f"
  done
}

recipe=$(podman image inspect --format '{{ index .Labels "org.mlops.base-recipe" }}' \
  "$BASE_IMAGE" 2>/dev/null || true)
if ! podman image exists "$BASE_IMAGE" || [ "$recipe" != "$BASE_RECIPE" ]; then
  mirror=$(apt_mirror | head -1)
  [ -n "$mirror" ] || cannot "no bookworm mirror found in /etc/apt/sources.list{,.d/*} for the base image"
  say "building $BASE_IMAGE (debootstrap minbase bookworm + python3.11 from $mirror, ~1 min)"
  rootfs=$(mktemp -d /var/tmp/mlops-base.XXXXXX)
  trap 'rm -rf "$rootfs"' EXIT
  if ! $SUDO debootstrap --variant=minbase --include=python3.11,ca-certificates \
      bookworm "$rootfs" "$mirror" >"$rootfs.log" 2>&1; then
    tail -5 "$rootfs.log" >&2
    cannot "debootstrap of bookworm from $mirror failed (log: $rootfs.log)"
  fi
  rm -f "$rootfs.log"
  # Nothing an image needs at run time: package caches and lists, docs, man pages, locales.
  $SUDO rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/* \
    "$rootfs"/usr/share/doc/* "$rootfs"/usr/share/man/* "$rootfs"/usr/share/info/* \
    "$rootfs"/usr/share/locale/* "$rootfs"/var/log/*.log "$rootfs"/var/cache/debconf/*-old
  $SUDO tar -C "$rootfs" -c . | podman import --quiet \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'ENV LANG=C.UTF-8' \
    --change "LABEL org.mlops.base-recipe=$BASE_RECIPE" \
    --change 'CMD ["python3.11"]' \
    - "$BASE_IMAGE" >/dev/null || cannot "podman import of the base image failed"
  $SUDO rm -rf "$rootfs"
  trap - EXIT
fi

# 4. Old generations of the platform's images (label org.mlops.image): podman has no
#    build-cache GC, and every changed PEX leaves 0.3-2.5 GB of images behind. Untagged ones
#    are removed, except the newest build stage of each image: the layer cache of its next
#    build (podman lists the newest first).
kept=" "
while read -r id stage; do
  if [ -n "$stage" ] && [[ "$kept" != *" $stage "* ]]; then
    kept+="$stage "
    continue
  fi
  podman rmi "$id" >/dev/null 2>&1 || true # in use by a container: next time
done < <(podman images --filter dangling=true --filter label=org.mlops.image \
  --format '{{.ID}} {{index .Labels "org.mlops.build-stage"}}')

# 5. Podman must also *run* a container here (build RUN steps and the image tests need it).
if ! out=$(podman run --rm --network none "$BASE_IMAGE" python3.11 -c 'print("ok")' 2>&1) \
    || [ "$out" != "ok" ]; then
  cannot "'podman run $BASE_IMAGE' failed: $(printf '%s' "$out" | tail -3)"
fi
