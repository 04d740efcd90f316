#!/usr/bin/env bash
# Makes sure `prometheus` and `promtool` (Debian package `prometheus`) are on PATH.
# Installs them when missing and we are root; otherwise stops with the one line to run.
set -euo pipefail
if command -v promtool >/dev/null 2>&1 && command -v prometheus >/dev/null 2>&1; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "stagegate needs Prometheus; run: sudo apt-get update && sudo apt-get install -y prometheus" >&2
  exit 1
fi
echo "stagegate: installing Prometheus (Debian package 'prometheus') ..." >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null
# policy-rc.d keeps the package from starting a system-wide prometheus service on :9090.
had_policy=0; [ -e /usr/sbin/policy-rc.d ] && had_policy=1
if [ "$had_policy" -eq 0 ]; then printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d; chmod +x /usr/sbin/policy-rc.d; fi
trap '[ "$had_policy" -eq 0 ] && rm -f /usr/sbin/policy-rc.d' EXIT
apt-get install -y -qq --no-install-recommends prometheus >/dev/null
command -v promtool >/dev/null && command -v prometheus >/dev/null || { echo "stagegate: prometheus install failed" >&2; exit 1; }
echo "stagegate: $(promtool --version 2>&1 | head -1)" >&2
