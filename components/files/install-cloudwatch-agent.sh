#!/bin/sh
# Install the Amazon CloudWatch agent on Ubuntu (amd64 or arm64) from AWS's S3 distribution,
# refusing a package whose GPG signature does not verify against AWS's published signing key
# (fingerprint pinned below). Ubuntu has no apt package for the agent; AWS ships a .deb per
# architecture at <bucket>/ubuntu/<arch>/latest/amazon-cloudwatch-agent.deb with a .sig beside it.
# Usage: install-cloudwatch-agent.sh <region>
set -eu

region="${1:?usage: install-cloudwatch-agent.sh <region>}"
fingerprint="937616F3450B7D806CBD9725D58167303B789C72"
key_url="https://amazoncloudwatch-agent.s3.amazonaws.com/assets/amazon-cloudwatch-agent.gpg"

if [ -x /opt/aws/amazon-cloudwatch-agent/bin/amazon-cloudwatch-agent-ctl ]; then
    exit 0 # already installed (cloud-init re-run)
fi

arch="$(dpkg --print-architecture)"
case "${arch}" in
    amd64 | arm64) ;;
    *)
        echo "install-cloudwatch-agent: unsupported architecture ${arch}" >&2
        exit 1
        ;;
esac
base="https://amazoncloudwatch-agent-${region}.s3.${region}.amazonaws.com/ubuntu/${arch}/latest"

work="$(mktemp -d)"
trap 'rm -rf "${work}"' EXIT
# A failed download is reported once, with curl's reason, and stops the install (and runcmd).
fetch() {
    if ! err=$(curl --fail --silent --show-error --location --retry 5 --retry-connrefused \
        --proto '=https' --output "$1" "$2" 2>&1); then
        echo "install-cloudwatch-agent: download of $2 failed: ${err:-curl failed}" >&2
        exit 1
    fi
}
fetch "${work}/agent.gpg" "${key_url}"
fetch "${work}/agent.deb" "${base}/amazon-cloudwatch-agent.deb"
fetch "${work}/agent.deb.sig" "${base}/amazon-cloudwatch-agent.deb.sig"

export GNUPGHOME="${work}/gnupg"
mkdir -m 0700 "${GNUPGHOME}"
gpg --batch --quiet --no-default-keyring --keyring "${work}/agent.kbx" --import "${work}/agent.gpg"
if ! gpg --batch --no-default-keyring --keyring "${work}/agent.kbx" --with-colons \
    --fingerprint | grep -q "^fpr:::::::::${fingerprint}:$"; then
    echo "install-cloudwatch-agent: the signing key is not ${fingerprint}" >&2
    exit 1
fi
gpgv --keyring "${work}/agent.kbx" "${work}/agent.deb.sig" "${work}/agent.deb"
dpkg -i -E "${work}/agent.deb"
