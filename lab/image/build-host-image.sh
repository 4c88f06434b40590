#!/usr/bin/env bash
# Build the lab's Debian 13 host image: systemd as PID 1, python3 for Ansible, and the
# lab-only Docker drop-in that lets an engine nested in a container start containers.
#
# Usage: build-host-image.sh IMAGE_REF
# The caller names the image after a hash of this directory, so an unchanged recipe is
# never rebuilt and a changed one always is.
set -euo pipefail

image_ref=${1:?usage: build-host-image.sh IMAGE_REF}
suite=${LAB_DEBIAN_SUITE:-trixie}
here=$(cd "$(dirname "$0")" && pwd)

if docker image inspect "$image_ref" >/dev/null 2>&1; then
  echo "host image $image_ref is cached"
  exit 0
fi

command -v debootstrap >/dev/null || { echo "debootstrap is missing: apt-get install -y debootstrap" >&2; exit 1; }

rootfs=$(mktemp -d "${TMPDIR:-/tmp}/dockyard-rootfs.XXXXXX")
trap 'rm -rf "$rootfs"' EXIT

echo "debootstrap $suite into a temporary rootfs (about a minute)"
debootstrap --variant=minbase \
  --include=python3,python3-apt,systemd,systemd-sysv,dbus,sudo,iproute2,procps,ca-certificates,curl,less \
  "$suite" "$rootfs" >"$rootfs.log" 2>&1 || { tail -20 "$rootfs.log" >&2; rm -f "$rootfs.log"; exit 1; }
rm -f "$rootfs.log"

# Lab-only: the nested engine must be allowed to leave IPv6 on IPv4-only interfaces
# (see MACHINE-NOTES.md). This belongs to the lab image, never to a role.
install -D -m 0644 "$here/docker-lab.conf" "$rootfs/etc/systemd/system/docker.service.d/lab.conf"
# Units that have no job in a container and only slow boot down or fail noisily.
for unit in systemd-udevd.service systemd-udev-trigger.service systemd-modules-load.service \
            systemd-remount-fs.service getty.target console-getty.service \
            systemd-firstboot.service systemd-sysusers.service; do
  ln -sf /dev/null "$rootfs/etc/systemd/system/$unit"
done
# An empty machine-id makes systemd generate a fresh one per container.
: >"$rootfs/etc/machine-id"
rm -rf "$rootfs/var/cache/apt/archives/"*.deb

tar -C "$rootfs" -c . | docker import \
  --change 'CMD ["/lib/systemd/systemd"]' \
  --change 'ENV container=docker' \
  - "$image_ref" >/dev/null
echo "built host image $image_ref"
