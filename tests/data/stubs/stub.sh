#!/bin/sh
# A stand-in for a command a user-data script runs (tests/test_userdata_scripts.py links it under
# each command's name, first on PATH): it appends its name and arguments to $STUB_LOG and acts as
# the boot test's guests saw the real one act, with no network and nothing to start or mount.
name=${0##*/}
printf '%s %s\n' "$name" "$*" >>"$STUB_LOG"
# The one call that fails (exit 1), by its whole command line: "$STUB_FAIL".
if [ "$name $*" = "${STUB_FAIL:-}" ]; then
    echo "$name: failing, as asked (STUB_FAIL)" >&2
    exit 1
fi
case $name in
    curl)
        # No network: curl's own message for a host that does not resolve (exit 6).
        for arg; do url=$arg; done
        host=${url#*://}
        echo "curl: (6) Could not resolve host: ${host%%/*}" >&2
        exit 6
        ;;
    dpkg)
        if [ "${1:-}" = --print-architecture ]; then echo amd64; fi
        ;;
esac
exit 0
