#!/bin/sh
# Run in the image's chroot by boot/build-image.sh: what boot/ubuntu-differences.yaml lists as
# emulated (Ubuntu 24.04 has it, Debian 13 does not).
set -eu

# rsyslog drops to a 'syslog' user (Ubuntu's /etc/rsyslog.conf: $PrivDropToUser syslog), which
# owns its log files (syslog:adm 0640) and may create them in /var/log (root:syslog 0775).
useradd --system --user-group --groups adm --home-dir /nonexistent --no-create-home \
    --shell /usr/sbin/nologin syslog
chown root:syslog /var/log
chmod 0775 /var/log
cat >/etc/rsyslog.d/00-boottest-ubuntu.conf <<'CONF'
# Boot test image only: Ubuntu 24.04's /etc/rsyslog.conf globals (boot/ubuntu-differences.yaml).
$FileOwner syslog
$FileGroup adm
$FileCreateMode 0640
$DirCreateMode 0755
$Umask 0022
$PrivDropToUser syslog
$PrivDropToGroup syslog
CONF
# Dropping privileges needs CAP_SETUID and CAP_SETGID, which Debian's rsyslog.service (a root
# daemon) leaves out of its CapabilityBoundingSet; the list is additive.
mkdir -p /etc/systemd/system/rsyslog.service.d
cat >/etc/systemd/system/rsyslog.service.d/boottest-ubuntu.conf <<'CONF'
# Boot test image only: rsyslog drops to 'syslog' as on Ubuntu (boot/ubuntu-differences.yaml).
[Service]
CapabilityBoundingSet=CAP_SETUID CAP_SETGID
CONF
