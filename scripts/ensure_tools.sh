#!/usr/bin/env bash
# Makes sure the tools the tests and benchmarks use are installed:
# Redis 7.0 from Debian's packages (the reference server and the real clients).
# Deno itself comes from the npm registry (`npx -y deno@2.9.6 …`, see README).
set -euo pipefail
need=()
for tool in redis-server redis-cli redis-benchmark redis-check-rdb redis-check-aof; do
  command -v "$tool" >/dev/null 2>&1 || need+=("$tool")
done
if [ "${#need[@]}" -gt 0 ]; then
  echo "Installing Redis 7.0 from Debian's packages (missing: ${need[*]})" >&2
  if [ "$(id -u)" -eq 0 ]; then sudo=""; else sudo="sudo"; fi
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq redis-server redis-tools redis-sentinel >/dev/null
  # Debian starts a redis-server service on 6379 when it can; our tests never rely on it.
fi
