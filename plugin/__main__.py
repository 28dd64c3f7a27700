"""The component plugin: TieredNetwork and Bastion for every Pulumi language.

The language host starts it as ``python <this directory> <engine address>``; the provider
prints its gRPC port on stdout and serves GetSchema and Construct (pulumi/pulumi,
``sdk/python/lib/pulumi/provider/experimental/host.py``, ``component_provider_host``). The
schema is inferred from the components' annotations: the args TypedDicts (inputs) and the
classes' annotated attributes (outputs), with their docstrings as descriptions. Tokens are
``tierednet:index:TieredNetwork`` and ``tierednet:index:Bastion``.
"""

from pulumi.provider.experimental import component_provider_host
from tierednet import Bastion, TieredNetwork, __version__

if __name__ == "__main__":
    component_provider_host([TieredNetwork, Bastion], name="tierednet", version=__version__)
