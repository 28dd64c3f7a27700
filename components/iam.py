"""IAM documents the components share."""

from __future__ import annotations

import json


def assume_role_policy(service: str) -> str:
    """A role trust policy that lets one AWS service (e.g. ``ec2.amazonaws.com``) assume it."""
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Service": service},
                    "Action": "sts:AssumeRole",
                }
            ],
        }
    )
