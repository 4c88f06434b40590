#!/usr/bin/env bash
# What `ansible-test sanity` needs besides the Python toolchain: shellcheck, from Debian's
# packages (installed as root when missing, as lab/bin/prereqs.sh does for docker).
set -euo pipefail

command -v shellcheck >/dev/null 2>&1 && exit 0
if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  printf 'sanity: ERROR: shellcheck is missing; install it as root: apt-get install -y shellcheck\n' >&2
  exit 1
fi
printf 'sanity: installing shellcheck (apt-get)\n'
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null 2>&1 || true
apt-get install -y -qq shellcheck >/dev/null 2>&1 ||
  { printf 'sanity: ERROR: apt-get install -y shellcheck failed\n' >&2; exit 1; }
