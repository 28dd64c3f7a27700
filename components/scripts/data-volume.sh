#!/bin/sh
# Mount a server's own EBS data volume at its service's data directory (cloud-init runcmd).
# Usage: data-volume.sh VOLUME_ID MOUNT_POINT SERVICE
#
# The volume outlives the instance (components/server.py): on the first instance it is empty,
# gets a filesystem and the data the package just initialised; on a replacement instance it
# already has a filesystem and is mounted over the fresh, empty data directory. The fstab entry
# (nofail) mounts it on every later boot, and the service's drop-in RequiresMountsFor= keeps
# the service from starting on the root volume's directory if the mount ever fails.
set -eu

volume_id=$1
mount_point=$2
service=$3

# Nitro instances name EBS volumes by NVMe serial (the volume id without its hyphen); Xen
# instances use the attachment's device name.
by_id="/dev/disk/by-id/nvme-Amazon_Elastic_Block_Store_$(printf '%s' "$volume_id" | tr -d -)"
device=""
tries=0
# The attachment is created after the instance is running: wait up to 10 minutes.
while [ -z "$device" ] && [ "$tries" -lt 120 ]; do
    for candidate in "$by_id" /dev/xvdf /dev/sdf; do
        if [ -b "$candidate" ]; then
            device=$(readlink -f "$candidate")
            break
        fi
    done
    if [ -z "$device" ]; then
        tries=$((tries + 1))
        sleep 5
    fi
done
if [ -z "$device" ]; then
    echo "data-volume: $volume_id never appeared; $service stays stopped" >&2
    systemctl stop "$service" || true
    exit 1
fi

systemctl stop "$service" || true
owner=$(stat -c %U:%G "$mount_point")
if blkid "$device" >/dev/null 2>&1; then
    fresh=no
else
    fresh=yes
    # A new, empty volume: a filesystem, then the data the package initialised.
    mkfs.ext4 -q -L data "$device"
    staging=$(mktemp -d)
    mount "$device" "$staging"
    rmdir "$staging/lost+found"
    cp -a "$mount_point/." "$staging/"
    chown --reference="$mount_point" "$staging"
    chmod --reference="$mount_point" "$staging"
    umount "$staging"
    rmdir "$staging"
fi
uuid=$(blkid -s UUID -o value "$device")
if ! grep -q "^UUID=$uuid " /etc/fstab; then
    echo "UUID=$uuid $mount_point ext4 defaults,nofail,x-systemd.device-timeout=120s 0 2" \
        >>/etc/fstab
fi
systemctl daemon-reload
mountpoint -q "$mount_point" || mount "$mount_point"
if [ "$fresh" = no ]; then
    # Data written by an earlier instance: make it the service user's of this image.
    chown -R "$owner" "$mount_point"
fi
systemctl start "$service"
echo "data-volume: $volume_id ($device) mounted at $mount_point"
