#!/bin/sh
# Run the DB's data-volume script on a disk image standing in for its EBS volume, outside a VM
# (tests/test_userdata_scripts.py). Run it as root in a private mount namespace
# (unshare --mount --propagation private): there /dev is a tmpfs holding null, zero, the image's
# loop device and the EBS NVMe link to it (/dev/disk/by-id/nvme-Amazon_Elastic_Block_Store_<id>),
# and /etc/fstab is FSTAB. The real blkid, cmp and mkfs read the image; the commands in STUBS
# (systemctl, mount, ...) come first on the script's PATH. Nothing outside the namespace changes
# but the loop device, detached on exit.
# Usage: data-volume-sandbox.sh IMAGE FSTAB STUBS SCRIPT VOLUME_ID MOUNT_POINT SERVICE
set -eu
image=$1 fstab=$2 stubs=$3 script=$4
shift 4
loop=$(losetup --find --show "$image")
trap 'losetup -d "$loop"' EXIT
dev=$(mktemp -d)
mount -t tmpfs -o mode=0755 boottest-dev "$dev"
cp -a /dev/null /dev/zero "$loop" "$dev/"
mkdir -p "$dev/disk/by-id"
ln -s "../../${loop#/dev/}" \
    "$dev/disk/by-id/nvme-Amazon_Elastic_Block_Store_$(printf '%s' "$1" | tr -d -)"
mount --bind "$fstab" /etc/fstab
mount --bind "$dev" /dev
rc=0
BLKID_FILE=/dev/blkid.tab PATH="$stubs:$PATH" sh "$script" "$@" || rc=$?
exit "$rc"
