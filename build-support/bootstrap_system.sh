#!/usr/bin/env bash
# System packages the tests and the lab need that are not Python requirements (installed once,
# idempotent, silent when everything is there):
#   prometheus                    promtool (alert-rule checks and unit tests), prometheus
#   prometheus-alertmanager       Alertmanager and amtool (server 3 in the lab)
#   prometheus-blackbox-exporter  probes of server 2's components (server 3 in the lab)
#   prometheus-node-exporter      host metrics and the drift job's textfile (every lab server)
set -euo pipefail
# package -> the binary that proves it is installed (and the daemon its postinst may start)
declare -A binary=(
  [prometheus]=/usr/bin/prometheus
  [prometheus-alertmanager]=/usr/bin/prometheus-alertmanager
  [prometheus-blackbox-exporter]=/usr/bin/prometheus-blackbox-exporter
  [prometheus-node-exporter]=/usr/bin/prometheus-node-exporter
)
need=()
for package in prometheus prometheus-alertmanager prometheus-blackbox-exporter prometheus-node-exporter; do
  [ -x "${binary[$package]}" ] || need+=("$package")
done
# promtool ships with prometheus; amtool with prometheus-alertmanager.
command -v promtool >/dev/null 2>&1 || [[ " ${need[*]} " == *" prometheus "* ]] || need+=(prometheus)
if [ ${#need[@]} -gt 0 ]; then
  echo "bootstrap_system: installing ${need[*]}" >&2
  if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; else SUDO=; fi
  $SUDO apt-get update -qq
  # dpkg's progress goes to stdout (dropped); errors still reach stderr.
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  # Their postinst may start daemons (prometheus on :9090, alertmanager on :9093/:9094, ...);
  # tests and the lab's roles start their own. Stop only what was just installed, matched by
  # executable: pkill -x cannot match names longer than 15 characters (the kernel's comm).
  for package in "${need[@]}"; do
    $SUDO start-stop-daemon --stop --quiet --oknodo --retry 5 --exec "${binary[$package]}" || true
  done
fi
