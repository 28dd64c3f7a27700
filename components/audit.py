"""AuditLog: where the bastion's audit trail goes when it must survive the bastion.

``auditLog: cloudwatch`` (the default; prod sets it explicitly) creates, per stack:
- a KMS key (rotation on, 30-day deletion window) whose policy lets the account administer it
  and lets CloudWatch Logs in this region use it only for this log group: principal
  ``logs.<region>.<dnsSuffix>``, condition ``ArnEquals kms:EncryptionContext:aws:logs:arn`` =
  the group's ARN (AWS: "Encrypt log data in CloudWatch Logs using AWS KMS");
- the log group (``/<prefix>/bastion/audit``), encrypted with that key, with retention
  ``auditLogRetentionDays`` (CloudWatch's allowed values only);
- an IAM role for EC2 with one inline policy: ``logs:CreateLogStream``, ``logs:PutLogEvents`` and
  ``logs:DescribeLogStreams`` on that group and its streams, nothing else; and its instance
  profile. Writers need no KMS permission: CloudWatch Logs encrypts with its own grant.
The bastion's cloud-init installs the CloudWatch agent and ships the command log and auditd's log
there (``components/cwagent.py``). ``auditLog: local`` keeps the logs on the box only; the policy
``bastion-audit-off-box`` flags that (mandatory in prod).

The key policy and the role policy are built from the account id and partition (invokes, known in
a preview) and the group's literal name, so the guard can read them in a preview of a new stack.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from .errors import ConfigChoice, ConfigError
from .iam import assume_role_policy
from .tags import BASTION_ROLE, NAME_RE, Tier, resource_tags

# CloudWatch Logs' PutRetentionPolicy accepts exactly these (0 in Pulumi = never expire: refused).
RETENTION_DAYS = (
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731,
    1096, 1827, 2192, 2557, 2922, 3288, 3653,
)  # fmt: skip
WRITE_ACTIONS = ("logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams")
KMS_ACTIONS_FOR_LOGS = (
    "kms:Encrypt*",
    "kms:Decrypt*",
    "kms:ReEncrypt*",
    "kms:GenerateDataKey*",
    "kms:Describe*",
)


class AuditLogMode(ConfigChoice):
    """Where the bastion's command log and auditd log go."""

    LOCAL = "local"
    """On the bastion only (gone or rewritten if the box is owned)."""
    CLOUDWATCH = "cloudwatch"
    """Also to a KMS-encrypted CloudWatch Logs group, shipped by the CloudWatch agent."""

    @classmethod
    def noun(cls) -> str:
        return "audit log mode"


def validate_retention_days(setting: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value not in RETENTION_DAYS:
        nearest = (
            min(RETENTION_DAYS, key=lambda d: abs(d - value))
            if isinstance(value, int) and not isinstance(value, bool)
            else 365
        )
        raise ConfigError(
            setting,
            value,
            "not a retention CloudWatch Logs accepts",
            f"use one of {', '.join(map(str, RETENTION_DAYS))} (nearest: {nearest})",
        )
    return value


@dataclass(frozen=True)
class AuditLogArgs:
    """Inputs of AuditLog; validated on construction."""

    prefix: str
    region: str
    retention_days: int = 365
    # Pulumi's protect on the key and the group (prod's protectData): the audit history, and the
    # key without which it can't be read, survive a `pulumi destroy` until unprotected.
    protect: bool = False

    def __post_init__(self) -> None:
        if not NAME_RE.match(self.prefix):
            raise ConfigError("prefix", self.prefix, "not a valid prefix", "use e.g. dev")
        if not self.region:
            raise ConfigError("aws:region", self.region, "is not set", "set aws:region")
        validate_retention_days("auditLogRetentionDays", self.retention_days)

    @property
    def log_group_name(self) -> str:
        return f"/{self.prefix}/bastion/audit"


def key_policy(partition: str, account: str, region: str, dns_suffix: str, group: str) -> str:
    """The KMS key policy: the account administers the key; CloudWatch Logs in ``region`` may
    use it for ``group`` only."""
    group_arn = f"arn:{partition}:logs:{region}:{account}:log-group:{group}"
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "AccountAdministersTheKey",
                    "Effect": "Allow",
                    "Principal": {"AWS": f"arn:{partition}:iam::{account}:root"},
                    "Action": "kms:*",
                    "Resource": "*",
                },
                {
                    "Sid": "CloudWatchLogsForTheAuditGroupOnly",
                    "Effect": "Allow",
                    "Principal": {"Service": f"logs.{region}.{dns_suffix}"},
                    "Action": list(KMS_ACTIONS_FOR_LOGS),
                    "Resource": "*",
                    "Condition": {"ArnEquals": {"kms:EncryptionContext:aws:logs:arn": group_arn}},
                },
            ],
        },
        indent=2,
    )


def writer_policy(partition: str, account: str, region: str, group: str) -> str:
    """The bastion role's only permission: write to the audit group's streams."""
    group_arn = f"arn:{partition}:logs:{region}:{account}:log-group:{group}"
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "WriteTheAuditLogOnly",
                    "Effect": "Allow",
                    "Action": list(WRITE_ACTIONS),
                    "Resource": [group_arn, f"{group_arn}:log-stream:*"],
                }
            ],
        },
        indent=2,
    )


class AuditLog(pulumi.ComponentResource):
    """The encrypted CloudWatch Logs group the bastion ships its audit trail to."""

    key: aws.kms.Key
    log_group: aws.cloudwatch.LogGroup
    role: aws.iam.Role
    role_policy: aws.iam.RolePolicy
    instance_profile: aws.iam.InstanceProfile
    log_group_name: str
    region: str

    def __init__(
        self, name: str, args: AuditLogArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("tierednet:audit:AuditLog", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)

        def tags(logical: str) -> dict[str, str]:
            return resource_tags(args.prefix, logical, tier=Tier.MANAGEMENT, role=BASTION_ROLE)

        self.log_group_name = args.log_group_name
        self.region = args.region
        caller = aws.get_caller_identity_output(opts=pulumi.InvokeOutputOptions(parent=self))
        partition = aws.get_partition_output(opts=pulumi.InvokeOutputOptions(parent=self))
        self.key = aws.kms.Key(
            f"{name}-key",
            description=f"{args.prefix}: encrypts the bastion's audit log group",
            enable_key_rotation=True,
            deletion_window_in_days=30,
            policy=pulumi.Output.all(
                partition.partition, caller.account_id, partition.dns_suffix
            ).apply(lambda v: key_policy(v[0], v[1], args.region, v[2], args.log_group_name)),
            tags=tags(f"{name}-key"),
            opts=pulumi.ResourceOptions(parent=self, protect=args.protect),
        )
        aws.kms.Alias(
            f"{name}-key-alias",
            name=f"alias/{args.prefix}-bastion-audit",
            target_key_id=self.key.arn,
            opts=child,
        )
        self.log_group = aws.cloudwatch.LogGroup(
            f"{name}-group",
            name=args.log_group_name,
            retention_in_days=args.retention_days,
            kms_key_id=self.key.arn,
            tags=tags(f"{name}-group"),
            opts=pulumi.ResourceOptions(parent=self, protect=args.protect),
        )
        self.role = aws.iam.Role(
            f"{name}-role",
            assume_role_policy=assume_role_policy("ec2.amazonaws.com"),
            description=f"{args.prefix} bastion: write its audit log, nothing else",
            tags=tags(f"{name}-role"),
            opts=child,
        )
        self.role_policy = aws.iam.RolePolicy(
            f"{name}-write",
            role=self.role.id,
            policy=pulumi.Output.all(partition.partition, caller.account_id).apply(
                lambda v: writer_policy(v[0], v[1], args.region, args.log_group_name)
            ),
            opts=child,
        )
        self.instance_profile = aws.iam.InstanceProfile(
            f"{name}-profile",
            role=self.role.name,
            tags=tags(f"{name}-profile"),
            opts=child,
        )
        self.register_outputs({"logGroupName": self.log_group.name, "keyArn": self.key.arn})
