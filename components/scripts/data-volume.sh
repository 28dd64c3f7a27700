#!/bin/sh
# Mount a server's own EBS data volume at its service's data directory (cloud-init runcmd).
# Usage: data-volume.sh VOLUME_ID MOUNT_POINT SERVICE
#
# The volume outlives the instance (components/server.py): on the first instance it is empty,
# gets a filesystem and the data the package just initialised; on a replacement instance it
# already has a filesystem and is mounted over the fresh, empty data directory. The fstab entry
# (nofail) mounts it on every later boot; the service's drop-in (RequiresMountsFor= and
# ConditionPathIsMountPoint=) keeps it from ever starting on the root volume's directory: not
# during the wait below, not after a boot without the volume. A volume that never arrives, or
# is neither blank nor a bare filesystem, fails this script and so cloud-init (runcmd is strict).
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
    echo "data-volume: $volume_id never appeared in 10 minutes; $service stays stopped." \
        "Fix: attach it, then run $0 $volume_id $mount_point $service" >&2
    systemctl stop "$service" || true
    exit 1
fi

systemctl stop "$service" || true
owner=$(stat -c %U:%G "$mount_point")
# What the volume holds, by blkid's low-level probe (-p: superblocks and partition tables, no
# cache): a bare filesystem is data to mount; nothing at all (and zeros at its start) is a new
# volume to format; anything else (a partition table, RAID or LUKS metadata, unknown bytes) is
# refused: formatting it could destroy data, and mounting it can't work.
probe=$(blkid -p -o export "$device" 2>/dev/null || true)
usage=$(printf '%s\n' "$probe" | sed -n 's/^USAGE=//p')
fstype=$(printf '%s\n' "$probe" | sed -n 's/^TYPE=//p')
pttype=$(printf '%s\n' "$probe" | sed -n 's/^PTTYPE=//p')
refuse() {
    echo "data-volume: $volume_id ($device) $1; refusing to format or mount it, $service stays" \
        "stopped. Fix: attach a new blank volume, or one whose whole device is a filesystem" >&2
    exit 1
}
if [ -n "$pttype" ]; then
    refuse "has a partition table ($pttype) and no filesystem of its own"
elif [ -n "$probe" ] && [ "$usage" != filesystem ]; then
    refuse "holds ${fstype:-unrecognised} ${usage:-data}, not a filesystem"
elif [ -z "$probe" ]; then
    if ! cmp -s -n 1048576 "$device" /dev/zero; then
        refuse "is not blank (its first MiB is not zeros) and has no filesystem blkid knows"
    fi
    fresh=yes
    # A new, empty volume: a filesystem, then the data the package initialised.
    fstype=ext4
    mkfs.ext4 -q -L data "$device"
    staging=$(mktemp -d)
    mount "$device" "$staging"
    rmdir "$staging/lost+found"
    cp -a "$mount_point/." "$staging/"
    chown --reference="$mount_point" "$staging"
    chmod --reference="$mount_point" "$staging"
    umount "$staging"
    rmdir "$staging"
else
    fresh=no
fi
uuid=$(blkid -p -s UUID -o value "$device" || true)
if [ -z "$uuid" ]; then
    refuse "has a $fstype filesystem without a UUID"
fi
if ! grep -q "^UUID=$uuid " /etc/fstab; then
    echo "UUID=$uuid $mount_point $fstype defaults,nofail,x-systemd.device-timeout=120s 0 2" \
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
