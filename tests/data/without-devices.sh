#!/bin/sh
# Run a command where no block device exists (tests/test_userdata_scripts.py): in a private
# user and mount namespace, /dev is an empty tmpfs but for null. Nothing outside changes.
# Usage: unshare --user --map-root-user --mount sh without-devices.sh COMMAND [ARGS...]
set -eu
dev=$(mktemp -d)
mount -t tmpfs -o mode=0755 boottest-dev "$dev"
touch "$dev/null"
mount --bind /dev/null "$dev/null"
mount --bind "$dev" /dev
exec "$@"
