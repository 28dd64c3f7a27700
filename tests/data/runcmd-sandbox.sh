#!/bin/sh
# Run a runcmd script as cloud-init does (one /bin/sh script) with stubs for every command it
# runs (tests/test_userdata_scripts.py), in a private user and mount namespace whose /etc is an
# empty tmpfs: what the steps write there (/etc/hosts) stays in it. Nothing outside changes.
# Usage: unshare --user --map-root-user --mount sh runcmd-sandbox.sh STUBS SCRIPT
set -eu
stubs=$1 script=$2
mount -t tmpfs boottest-etc /etc
rc=0
PATH=$stubs /bin/sh "$script" || rc=$?
exit "$rc"
