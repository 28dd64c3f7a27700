"""tierednet: reusable Pulumi components for the course's tiered AWS network (see README.md).

Installed as the ``tiered-network`` distribution (``pip install .``), this directory is the
import package ``tierednet``; inside the repository the stack program imports it as
``components``. The component plugin (``plugin/``) serves TieredNetwork and Bastion to every
Pulumi language as ``tierednet:index:TieredNetwork`` and ``tierednet:index:Bastion``.
"""

from .access import AccessArgs, AccessMode, InstanceConnect, SessionManager
from .ami import architecture, ubuntu_lts_ami
from .audit import AuditLog, AuditLogArgs, AuditLogMode
from .bastion import Bastion, BastionArgs
from .errors import ConfigError
from .network import (
    NatStrategy,
    NetworkArgs,
    SubnetArgs,
    SubnetSpec,
    TieredNetwork,
    TieredNetworkArgs,
)
from .server import IngressRule, Server, ServerArgs
from .ssh_door import SshTarget
from .tags import Tier
from .userdata import ServiceSpec

__version__ = "0.1.0"

__all__ = [
    "AccessArgs",
    "AccessMode",
    "AuditLog",
    "AuditLogArgs",
    "AuditLogMode",
    "Bastion",
    "BastionArgs",
    "ConfigError",
    "IngressRule",
    "InstanceConnect",
    "NatStrategy",
    "NetworkArgs",
    "Server",
    "ServerArgs",
    "ServiceSpec",
    "SessionManager",
    "SshTarget",
    "SubnetArgs",
    "SubnetSpec",
    "Tier",
    "TieredNetwork",
    "TieredNetworkArgs",
    "__version__",
    "architecture",
    "ubuntu_lts_ami",
]
