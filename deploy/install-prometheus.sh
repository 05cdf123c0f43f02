#!/usr/bin/env bash
# Installs Debian's prometheus package, which the metrics tests start on a loopback port of their own.
# The package's systemd service is not used: tests run the binary with a temporary configuration.
set -euo pipefail

if command -v prometheus >/dev/null 2>&1; then
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  echo "install-prometheus.sh: prometheus is missing and installing it needs root (apt-get install prometheus)" >&2
  exit 1
fi

export DEBIAN_FRONTEND=noninteractive
apt-get update
apt-get install -y --no-install-recommends prometheus
