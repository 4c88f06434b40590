#!/usr/bin/env bash
# Make sure the machine can run the lab: a Docker engine that answers, and debootstrap.
# Installs what is missing from Debian's packages (as root) and starts the engine when
# nothing answers on the socket. Says clearly what it cannot do.
set -euo pipefail

log() { printf 'lab: %s\n' "$*"; }
die() { printf 'lab: ERROR: %s\n' "$*" >&2; exit 1; }

missing=()
command -v dockerd >/dev/null 2>&1 || missing+=(docker.io)
command -v debootstrap >/dev/null 2>&1 || missing+=(debootstrap)
if [ ${#missing[@]} -gt 0 ]; then
  [ "$(id -u)" -eq 0 ] || die "missing ${missing[*]}; install them as root: apt-get install -y ${missing[*]}"
  command -v apt-get >/dev/null 2>&1 || die "missing ${missing[*]} and no apt-get to install them with (the lab needs a Debian-like machine)"
  log "installing ${missing[*]} (apt-get)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq "${missing[@]}" >/dev/null
fi
command -v docker >/dev/null 2>&1 || die "no docker client on PATH (apt-get install -y docker.io provides one)"

if docker version --format '{{.Server.Version}}' >/dev/null 2>&1; then
  exit 0
fi

# No engine answers. On a machine with systemd, ask it; otherwise start dockerd by hand.
if [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1; then
  log "starting the Docker engine (systemctl)"
  systemctl start docker || die "systemctl start docker failed: see journalctl -u docker"
else
  [ "$(id -u)" -eq 0 ] || die "no Docker engine answers and starting one needs root"
  log "starting the Docker engine (dockerd in the background, log in /var/log/dockerd-lab.log)"
  setsid nohup dockerd --host unix:///var/run/docker.sock >>/var/log/dockerd-lab.log 2>&1 </dev/null &
fi
for _ in $(seq 1 60); do
  docker version --format '{{.Server.Version}}' >/dev/null 2>&1 && { log "Docker engine is up"; exit 0; }
  sleep 1
done
die "the Docker engine did not answer within 60 s: see /var/log/dockerd-lab.log"
