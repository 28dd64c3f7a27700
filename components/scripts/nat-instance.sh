#!/bin/sh
# NAT instance boot script (fck-nat's method: github.com/AndrewGuenther/fck-nat service/fck-nat.sh).
# Attaches the fixed network interface named in /etc/nat-instance.conf (eni_id=...) as device
# index 1, sends the default route out through it and masquerades the VPC's traffic on it.
# An Auto Scaling group cannot give its launch template an existing interface, so the instance
# attaches it itself with its role's ec2:AttachNetworkInterface (limited to that interface).
set -eu

# shellcheck source=/dev/null
. /etc/nat-instance.conf
: "${eni_id:?eni_id missing from /etc/nat-instance.conf}"
: "${vpc_cidr:?vpc_cidr missing from /etc/nat-instance.conf}"

imds() {
    token="$(curl -sf -X PUT -H 'X-aws-ec2-metadata-token-ttl-seconds: 300' \
        http://169.254.169.254/latest/api/token)"
    curl -sf -H "X-aws-ec2-metadata-token: $token" "http://169.254.169.254/latest/meta-data/$1"
}

region="$(imds placement/region)"
instance_id="$(imds instance-id)"

# Detach it from a dead predecessor if the ASG replaced one (the attachment outlives it briefly).
state="$(aws ec2 describe-network-interfaces --region "$region" \
    --network-interface-ids "$eni_id" --query 'NetworkInterfaces[0].Status' --output text)"
if [ "$state" = "in-use" ]; then
    attachment="$(aws ec2 describe-network-interfaces --region "$region" \
        --network-interface-ids "$eni_id" \
        --query 'NetworkInterfaces[0].Attachment.AttachmentId' --output text)"
    aws ec2 detach-network-interface --region "$region" --attachment-id "$attachment" --force
    aws ec2 wait network-interface-available --region "$region" --network-interface-ids "$eni_id"
fi

aws ec2 attach-network-interface --region "$region" --instance-id "$instance_id" \
    --device-index 1 --network-interface-id "$eni_id"

mac="$(aws ec2 describe-network-interfaces --region "$region" \
    --network-interface-ids "$eni_id" --query 'NetworkInterfaces[0].MacAddress' --output text)"
nat_if=""
while [ -z "$nat_if" ]; do
    for dev in /sys/class/net/*; do
        if [ "$(cat "$dev/address")" = "$mac" ]; then
            nat_if="$(basename "$dev")"
        fi
    done
    [ -n "$nat_if" ] || sleep 1
done
until ip -4 -o addr show dev "$nat_if" | grep -q ' inet '; do
    echo "waiting for an IPv4 address on $nat_if"
    sleep 1
done

sysctl -q -w net.ipv4.ip_forward=1
sysctl -q -w "net.ipv4.conf.$nat_if.send_redirects=0"
# Egress through the fixed interface (its EIP) only: the default route goes via its subnet's
# router (the subnet's first host, as in every VPC subnet), whatever the distribution's
# network scripts made of the second interface; other default routes go away.
subnet_cidr=""
until [ -n "$subnet_cidr" ]; do
    subnet_cidr="$(imds "network/interfaces/macs/$mac/subnet-ipv4-cidr-block" || true)"
    [ -n "$subnet_cidr" ] || sleep 1
done
router="$(python3 -c 'import ipaddress, sys; print(next(ipaddress.ip_network(sys.argv[1]).hosts()))' "$subnet_cidr")"
ip -4 route show default | grep -v "dev $nat_if " | while read -r route; do
    # shellcheck disable=SC2086 # the route's words are ip's arguments
    ip -4 route del $route || true
done
ip -4 route replace default via "$router" dev "$nat_if"
iptables -t nat -F POSTROUTING
iptables -t nat -A POSTROUTING -s "$vpc_cidr" -o "$nat_if" -j MASQUERADE \
    -m comment --comment "NAT instance: masquerade the VPC on the fixed interface"
echo "NAT instance ready: $vpc_cidr masqueraded on $nat_if ($eni_id)"
