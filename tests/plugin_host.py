"""Start the component plugin as the engine does, and stand in for the engine around it.

The Python language host runs a plugin directory as ``<venv>/bin/python <dir> <engine address>``
with the working directory of the command (pulumi/pulumi
``sdk/python/cmd/pulumi-language-python/main.go``, ``RunPlugin``: ``args = [ProgramDirectory,
req.Args...]``, ``cmd.Dir = req.Pwd``) and reads the port of the provider's gRPC server from its
stdout (``sdk/python/lib/pulumi/provider/server.py``, ``main``: it binds ``127.0.0.1:0`` and
writes ``f"{port}\\n"``). The engine address is a real gRPC server here (``FakeEngine``: the
provider logs through it). ``Construct`` registers the component and its children with the
resource monitor named in the request (``monitorEndpoint``): ``MockMonitorServer`` is Pulumi's
own ``MockMonitor`` (with this repository's ``AwsMocks``) behind a real gRPC server, so the
plugin talks gRPC end to end, as it does to the engine's monitor.
"""

from __future__ import annotations

import subprocess
import threading
from collections.abc import Iterator, Sequence
from concurrent import futures
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import grpc
from google.protobuf import empty_pb2, json_format, struct_pb2
from pulumi.runtime.mocks import MockMonitor
from pulumi.runtime.proto import (
    engine_pb2,
    engine_pb2_grpc,
    provider_pb2,
    provider_pb2_grpc,
    resource_pb2_grpc,
)

from review.mocks import AwsMocks

STACK_TYPE = "pulumi:pulumi:Stack"


class FakeEngine(engine_pb2_grpc.EngineServicer):
    """The engine's Engine service: keeps the plugin's log messages."""

    def __init__(self) -> None:
        self.logs: list[str] = []

    def Log(self, request: Any, context: Any) -> Any:
        self.logs.append(request.message)
        return empty_pb2.Empty()

    def GetRootResource(self, request: Any, context: Any) -> Any:
        return engine_pb2.GetRootResourceResponse(urn="")

    def SetRootResource(self, request: Any, context: Any) -> Any:
        return engine_pb2.SetRootResourceResponse()


@dataclass
class Registration:
    urn: str
    type: str
    name: str
    parent: str
    custom: bool
    inputs: dict[str, Any]
    aliases: list[Any]


class RecordingMockMonitor(MockMonitor):
    """MockMonitor with engine-form URNs (the root stack's type left out, the parent's whole
    qualified type kept: pulumi ``sdk/go/common/resource/urn/urn.go`` ``New``) that records
    every registration."""

    def __init__(self, mocks: AwsMocks, stack: str, project: str) -> None:
        super().__init__(mocks)
        self.stack, self.project = stack, project
        self.registered: list[Registration] = []
        self._lock = threading.Lock()

    def make_urn(self, parent: str, type_: str, name: str) -> str:
        qualified = type_
        if parent:
            parent_type = parent.split("::")[2]
            if parent_type != STACK_TYPE:
                qualified = f"{parent_type}${type_}"
        return f"urn:pulumi:{self.stack}::{self.project}::{qualified}::{name}"

    def RegisterResource(self, request: Any) -> Any:
        response = super().RegisterResource(request)
        with self._lock:
            self.registered.append(
                Registration(
                    urn=response.urn,
                    type=request.type,
                    name=request.name,
                    parent=request.parent,
                    custom=bool(request.custom),
                    inputs=json_format.MessageToDict(request.object),
                    aliases=[json_format.MessageToDict(a) for a in request.aliases],
                )
            )
        return response


def _servicer(monitor: MockMonitor) -> resource_pb2_grpc.ResourceMonitorServicer:
    """Every ResourceMonitor RPC delegated to the MockMonitor's method of the same name."""

    class Servicer(resource_pb2_grpc.ResourceMonitorServicer):
        pass

    for rpc_name in (
        "SupportsFeature",
        "Invoke",
        "ReadResource",
        "RegisterResource",
        "RegisterResourceOutputs",
        "RegisterPackage",
        "GetDeploymentInfo",
        "SignalAndWaitForShutdown",
    ):
        method = getattr(monitor, rpc_name)
        setattr(Servicer, rpc_name, lambda self, request, context, m=method: m(request))
    return Servicer()


@dataclass
class Plugin:
    """A running plugin and the stand-ins it talks to."""

    process: subprocess.Popen[str]
    provider: provider_pb2_grpc.ResourceProviderStub
    engine: FakeEngine
    monitor: RecordingMockMonitor
    monitor_address: str
    stderr: list[str] = field(default_factory=list)

    def schema(self) -> dict[str, Any]:
        import json

        response = self.provider.GetSchema(provider_pb2.GetSchemaRequest(version=0), timeout=120)
        return json.loads(response.schema)

    def construct(
        self,
        type_: str,
        name: str,
        inputs: dict[str, Any],
        *,
        stack: str = "dev",
        project: str = "tiered-network",
        config: dict[str, str] | None = None,
        dry_run: bool = False,
        dependencies: dict[str, list[str]] | None = None,
    ) -> Any:
        """ConstructRequest as the engine sends it (pulumi/pulumi ``pkg/resource/deploy/
        providers`` -> ``plugin.provider_plugin.go`` ``Construct``): inputs as a Struct,
        the monitor's address, the stack's config, and per input the URNs it came from
        (``inputDependencies``: such an input reaches the component as an Output)."""
        struct = struct_pb2.Struct()
        json_format.ParseDict(inputs, struct)
        request = provider_pb2.ConstructRequest(
            project=project,
            stack=stack,
            organization="organization",
            name=name,
            type=type_,
            inputs=struct,
            config=config or {"aws:region": "ap-northeast-2"},
            dryRun=dry_run,
            parallel=4,
            monitorEndpoint=self.monitor_address,
            inputDependencies={
                k: provider_pb2.ConstructRequest.PropertyDependencies(urns=v)
                for k, v in (dependencies or {}).items()
            },
        )
        return self.provider.Construct(request, timeout=300)


def _read_port(process: subprocess.Popen[str], timeout: float) -> str:
    box: dict[str, str] = {}
    reader = threading.Thread(target=lambda: box.setdefault("line", process.stdout.readline()))  # type: ignore[union-attr]
    reader.start()
    reader.join(timeout)
    line = box.get("line", "")
    if not line.strip().isdigit():
        process.kill()
        err = process.stderr.read() if process.stderr else ""  # type: ignore[union-attr]
        raise AssertionError(f"the plugin printed no port ({line!r}); stderr:\n{err}")
    return line.strip()


@contextmanager
def running_plugin(
    python: Path | str,
    plugin_dir: Path,
    *,
    cwd: Path | None = None,
    env: dict[str, str] | None = None,
    extra_args: Sequence[str] = (),
    timeout: float = 120,
) -> Iterator[Plugin]:
    """``<python> <plugin_dir> <engine address>``, as RunPlugin starts it; yields once the
    provider has printed its port, and stops the process (and the servers) afterwards."""
    engine = FakeEngine()
    mocks = AwsMocks("update", region="ap-northeast-2")
    monitor = RecordingMockMonitor(mocks, "dev", "tiered-network")
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=8))
    engine_pb2_grpc.add_EngineServicer_to_server(engine, server)
    resource_pb2_grpc.add_ResourceMonitorServicer_to_server(_servicer(monitor), server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    address = f"127.0.0.1:{port}"
    process = subprocess.Popen(
        [str(python), str(plugin_dir), address, *extra_args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=cwd,
        env=env,
    )
    try:
        plugin_port = _read_port(process, timeout)
        channel = grpc.insecure_channel(f"127.0.0.1:{plugin_port}")
        yield Plugin(
            process=process,
            provider=provider_pb2_grpc.ResourceProviderStub(channel),
            engine=engine,
            monitor=monitor,
            monitor_address=address,
        )
        channel.close()
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        server.stop(grace=None)
