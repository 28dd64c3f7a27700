"""The bench's floor (``python -m review.bench``, ``review/bench_scale.py``): a policy pack whose
policies do nothing, served by the same pulumi_policy server as the real pack.

What the same ``Analyze`` and ``AnalyzeStack`` calls cost this pack's process is what any
Python policy pack pays before its policies run: gRPC serving (pulumi_policy's ``grpc.server``
with a thread pool) and the SDK's conversion of each request for one policy of each kind. The
bench runs it with the real pack's interpreter (``policies/venv``), never from tests.
"""

from pulumi_policy import (
    EnforcementLevel,
    PolicyPack,
    ResourceValidationPolicy,
    StackValidationPolicy,
)

PolicyPack(
    name="bench-floor",
    enforcement_level=EnforcementLevel.MANDATORY,
    policies=[
        ResourceValidationPolicy(
            name="nothing-per-resource",
            description="Accepts every resource.",
            validate=lambda args, report: None,
        ),
        StackValidationPolicy(
            name="nothing-per-stack",
            description="Accepts every stack.",
            validate=lambda args, report: None,
        ),
    ],
)
