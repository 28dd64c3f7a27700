#!/bin/sh
# Run a runcmd script as cloud-init does (one /bin/sh script) with stubs for every command it
# runs (tests/test_userdata_scripts.py), in a private user and mount namespace where /etc, /opt
# and /usr/local/sbin are empty tmpfs: what the steps write there (/etc/hosts) stays in it, and
# a command the steps name by its path (PATHS: the CloudWatch agent's installer and ctl) is the
# stub of its name. Nothing outside changes.
# Usage: unshare --user --map-root-user --mount sh runcmd-sandbox.sh STUBS SCRIPT [PATHS...]
set -eu
stubs=$1 script=$2
shift 2
for dir in /etc /opt /usr/local/sbin; do
    mount -t tmpfs boottest-sandbox "$dir"
done
for path; do
    mkdir -p "$(dirname "$path")"
    ln -s "$stubs/$(basename "$path")" "$path"
done
rc=0
PATH=$stubs /bin/sh "$script" || rc=$?
exit "$rc"
