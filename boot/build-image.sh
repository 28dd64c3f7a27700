#!/bin/sh
# Build the boot test's Debian root filesystem (make boot-image): debootstrap of a pinned suite
# with boot/image-packages.txt, an offline apt repository of boot/repo-packages.txt (the guests
# get no network), and what boot/ubuntu-differences.yaml says the image emulates of Ubuntu 24.04.
# Usage: build-image.sh SUITE MIRROR OUT_DIR      (run as root; OUT_DIR/rootfs is the result)
set -eu

suite=$1
mirror=$2
out=$3
here=$(cd "$(dirname "$0")" && pwd)

packages() { grep -v '^[[:space:]]*\(#\|$\)' "$1" | tr '\n' ',' | sed 's/,$//'; }

rm -rf "$out/rootfs.tmp"
mkdir -p "$out"
# debootstrap's own resolver ignores virtual packages (python3-cffi-backend-api-*): it lays the
# base system only, and apt installs the list.
debootstrap --variant=minbase --merged-usr "$suite" "$out/rootfs.tmp" "$mirror"
root="$out/rootfs.tmp"
mount --bind /proc "$root/proc"
trap 'umount "$root/proc" 2>/dev/null || true' EXIT
export DEBIAN_FRONTEND=noninteractive
chroot "$root" apt-get update -qq
# shellcheck disable=SC2046 # one word per package
chroot "$root" apt-get install -qq --no-install-recommends $(packages "$here/image-packages.txt" | tr ',' ' ')
chroot "$root" apt-get clean

# The offline repository: every package of repo-packages.txt with the dependencies and
# recommendations the image lacks (cloud-init's apt-get install takes recommends, as apt does),
# indexed with apt-ftparchive, and the image's only apt source.
# shellcheck disable=SC2046 # one word per package
chroot "$root" apt-get install -qq --download-only $(packages "$here/repo-packages.txt" | tr ',' ' ')
mkdir -p "$root/opt/offline-repo"
mv "$root"/var/cache/apt/archives/*.deb "$root/opt/offline-repo/"
chroot "$root" sh -c 'cd /opt/offline-repo && apt-ftparchive packages . >Packages'
umount "$root/proc"
trap - EXIT
rm -f "$root/etc/apt/sources.list" "$root"/etc/apt/sources.list.d/*
echo "deb [trusted=yes] file:/opt/offline-repo ./" >"$root/etc/apt/sources.list.d/offline.list"
# Recommends as on Ubuntu (apt's default); none of the repository's are missing.
rm -rf "$root"/var/lib/apt/lists/*

# Ubuntu 24.04's userland that Debian lacks (boot/ubuntu-differences.yaml, "emulated").
cp -a "$here/image/." "$root/"
chroot "$root" sh -eu /usr/local/lib/boottest/emulate-ubuntu.sh

# A cloud image: no machine id, no host keys, no instance state (cloud-init makes them).
: >"$root/etc/machine-id"
rm -f "$root"/etc/ssh/ssh_host_*
rm -rf "$root/var/lib/cloud"
printf '%s\n' "$suite" >"$root/etc/boottest-suite"
rm -rf "$out/rootfs"
mv "$root" "$out/rootfs"
