"""Drive a Python policy pack over gRPC the way the Pulumi CLI does.

Process: the CLI runs ``pulumi-analyzer-policy-python <engine> .`` in the pack directory, which is
``python -u -m pulumi.policy <engine> .``; the pack prints its port on stdout. Environment:
``PULUMI_CONFIG`` (stack config JSON), ``PULUMI_PROJECT``, ``PULUMI_STACK``, ``PULUMI_DRY_RUN``.

Calls, following the engine (pkg/resource/deploy/step_generator.go, sdk plugin/analyzer_plugin.go):
``ConfigureStack`` at start; ``GetAnalyzerInfo``; the ``--policy-pack-config`` file reconciled
with the schema defaults and ``initialConfig`` and validated, then ``Configure``. For every
registered resource, in registration order (the stack, components, providers and custom
resources alike, as the step generator does): ``Remediate`` (always: the step generator's first
pass calls it for every resource and every analyzer, whatever the levels) and then ``Analyze``
with the resource's CHECKED inputs (after the provider's Check: ``review.mocks`` adds the
region, the autonamed ``name`` and schema defaults). The engine reports ``Analyze``
diagnostics against the analyzed resource's URN; a ``remediate`` diagnostic that still fires is
downgraded to ``mandatory`` (pkg/resource/deploy/analyze_snapshot.go ``analyzeResource``).

At the end, one ``AnalyzeStack`` with every resource's OUTPUTS, parent, dependencies and
property dependencies, in an order the engine leaves unspecified (``AnalyzeResources`` ranges
over the ``news`` sync map): it is shuffled here, seeded, so that tests can prove nothing
depends on the order. A diagnostic URN that is not a resource of the stack is reported against
the root stack. AnalyzeStack is SKIPPED where the engine skips it: in an update (not a dry run)
a mandatory ``Analyze`` diagnostic makes the resource invalid, step generation bails, and
``deployment_executor.go`` only calls ``AnalyzeResources`` when step generation and execution
succeeded. In a preview a mandatory ``Analyze`` diagnostic only marks the run as failed, and
AnalyzeStack still runs. Default providers, which the engine registers itself, are
synthesized (``pulumi:providers:aws::default_<version>`` with the ``aws:*`` config as inputs).
"""

from __future__ import annotations

import collections
import json
import os
import queue
import random
import subprocess
import sys
import threading
import weakref
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import grpc  # type: ignore[import-untyped, unused-ignore]
import yaml  # type: ignore[import-untyped, unused-ignore]
from google.protobuf import empty_pb2, json_format, struct_pb2  # type: ignore[import-untyped, unused-ignore]
from pulumi.runtime.proto import analyzer_pb2, analyzer_pb2_grpc

from .errors import ReviewError
from .plan import ProgramRun, RecordedResource, with_default_providers
from .schema import SchemaError, validate

LEVELS = ("advisory", "mandatory", "remediate", "disabled")
_PB_LEVEL = {
    analyzer_pb2.ADVISORY: "advisory",
    analyzer_pb2.MANDATORY: "mandatory",
    analyzer_pb2.REMEDIATE: "remediate",
    analyzer_pb2.DISABLED: "disabled",
}
_LEVEL_PB = {v: k for k, v in _PB_LEVEL.items()}
_MAX_MESSAGE = 400 * 1024 * 1024
_CHANNEL_OPTIONS = [
    ("grpc.max_receive_message_length", _MAX_MESSAGE),
    ("grpc.max_send_message_length", _MAX_MESSAGE),
]
CALL_WINDOW = 64  # Remediate/Analyze calls in flight at once
CANT_RUN_MARKERS = ("can't run policy", "can't run remediation")


@dataclass(frozen=True)
class Diagnostic:
    policy: str
    level: str  # "advisory" | "mandatory" | "remediate"
    message: str
    urn: str
    description: str
    mode: str = ""  # the run that produced it (ProgramRun.label): "update", "preview", ...
    cant_run: bool = False  # "can't run policy ... during preview": the policy hit an unknown
    policy_level: str = ""  # the policy's configured level (a can't-run is always "advisory")
    pack: str = ""


@dataclass(frozen=True)
class ResolvedPolicy:
    name: str
    level: str
    properties: dict[str, Any]
    policy_type: str  # "resource" | "stack" | ""
    description: str = ""


@dataclass
class _FileEntry:
    level: str | None = None
    properties: dict[str, Any] = field(default_factory=dict)


def is_cant_run(message: str) -> bool:
    return any(m in message for m in CANT_RUN_MARKERS) and "during preview" in message


# ------------------------------------------------------------- config file
def load_policy_config_file(path: Path) -> dict[str, _FileEntry]:
    """Parse a ``--policy-pack-config`` file the way the CLI does (plus clearer errors)."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ReviewError(
            f"{path}: policy pack config file not found; create it (`python -m review --stack "
            "<stack>` names one that fits the stack)"
        ) from None
    if not text.strip():
        return {}
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ReviewError(f"{path}: invalid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise ReviewError(f"{path}: expected a JSON object of policy name -> level or settings")
    result: dict[str, _FileEntry] = {}
    for name, value in data.items():
        if isinstance(value, str):
            if value not in LEVELS:
                raise ReviewError(
                    f"{path}: policy '{name}': {value!r} is not a valid enforcement level "
                    f"(use one of {', '.join(LEVELS)})"
                )
            result[name] = _FileEntry(level=value)
        elif isinstance(value, dict):
            props = dict(value)
            level = props.pop("enforcementLevel", None)
            if level is not None and level not in LEVELS:
                raise ReviewError(
                    f"{path}: policy '{name}': key 'enforcementLevel': {level!r} is not a valid "
                    f"enforcement level (use one of {', '.join(LEVELS)})"
                )
            result[name] = _FileEntry(level=level, properties=props)
        else:
            raise ReviewError(
                f"{path}: policy '{name}': {value!r} is not valid; use a level string or an object"
            )
    return result


def resolve_policy_config(
    info: analyzer_pb2.AnalyzerInfo,
    file_config: Mapping[str, _FileEntry],
    config_file: Path | str = "<policy config>",
    pack_dir: Path | str = "<policy pack>",
) -> dict[str, ResolvedPolicy]:
    """Merge schema defaults < initialConfig < file as the CLI does (pulumi/pulumi
    pkg/resource/analyzer/config.go ``ReconcilePolicyPackConfig``/``applyConfig``): in each
    layer ``all`` first sets the level of every policy (properties kept), then each named
    policy's level and properties are applied on top; then every policy's properties are
    validated against its configSchema.

    Harsher than the CLI on purpose, so a typo cannot silently leave a policy at its default:
    ``applyConfig`` carries an unknown policy name (or properties under ``all``) along and
    the pack ignores it; here either is an error naming the file and the fix. Properties not in
    a policy's schema are refused too (``additionalProperties: false``)."""
    policies = {p.name: p for p in info.policies}
    unknown = [n for n in file_config if n != "all" and n not in policies]
    if unknown:
        raise ReviewError(
            f"{config_file}: unknown policy '{unknown[0]}' (the pack has: "
            f"{', '.join(sorted(policies))}); fix the name or remove it"
        )
    all_entry = file_config.get("all")
    if all_entry is not None and all_entry.properties:
        raise ReviewError(
            f"{config_file}: policy 'all': only an enforcement level is allowed, got keys "
            f"{sorted(all_entry.properties)}"
        )

    schemas: dict[str, dict[str, Any]] = {}
    levels: dict[str, str] = {}
    props: dict[str, dict[str, Any]] = {}
    for name, p in policies.items():
        schema_props = json_format.MessageToDict(p.configSchema.properties)
        schemas[name] = {
            "type": "object",
            "properties": schema_props,
            "required": list(p.configSchema.required),
        }
        levels[name] = _PB_LEVEL[p.enforcementLevel]
        props[name] = {
            k: v["default"]
            for k, v in schema_props.items()
            if isinstance(v, dict) and "default" in v
        }

    initial: dict[str, _FileEntry] = {}
    for name, pc in info.initialConfig.items():
        # proto3: an entry without a level reads as ADVISORY (0); the CLI applies it as such.
        initial[name] = _FileEntry(
            level=_PB_LEVEL[pc.enforcementLevel],
            properties=json_format.MessageToDict(pc.properties),
        )
    for layer in (initial, file_config):
        if "all" in layer and layer["all"].level:
            for name in levels:
                levels[name] = str(layer["all"].level)
        for name, entry in layer.items():
            if name == "all" or name not in policies:
                continue
            if entry.level:
                levels[name] = entry.level
            props[name].update(entry.properties)

    errors: list[str] = []
    for name in sorted(policies):
        schema = dict(schemas[name])
        schema["additionalProperties"] = False  # stricter than the CLI: catches typos
        try:
            problems = validate(props[name], schema)
        except SchemaError as exc:
            raise ReviewError(
                f"{pack_dir}: policy '{name}': configSchema not supported: {exc}"
            ) from None
        errors.extend(
            f"policy '{name}': key {p}"
            if not p.startswith("(root)")
            else f"policy '{name}': {p.removeprefix('(root): ')}"
            for p in problems
        )
    if errors:
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        raise ReviewError(f"{config_file}: {errors[0]}{more}; fix the value in the file")

    result = {}
    for name, p in policies.items():
        ptype = {
            analyzer_pb2.POLICY_TYPE_RESOURCE: "resource",
            analyzer_pb2.POLICY_TYPE_STACK: "stack",
        }.get(p.policy_type, "")
        result[name] = ResolvedPolicy(name, levels[name], props[name], ptype, p.description)
    return result


# ------------------------------------------------------------- the process
def _pack_version(pack_dir: Path) -> str | None:
    path = pack_dir / "PulumiPolicy.yaml"
    if not path.exists():
        return None
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError:
        return None
    version = data.get("version") if isinstance(data, dict) else None
    return str(version) if version is not None else None


def pack_python(pack_dir: Path) -> str:
    """The interpreter the CLI runs the pack with.

    The Python language host's ``RunPlugin`` (pulumi/pulumi
    sdk/python/cmd/pulumi-language-python/main.go) resolves the toolchain from the pack's
    ``runtime.options`` and runs ``<virtualenv>/bin/python -u -m pulumi.policy``
    (sdk/python/toolchain/pip.go ``Command``) -- it does NOT create the virtualenv: only
    ``EnsureVenv``/``InstallDependencies`` do, and ``pulumi preview --policy-pack`` calls
    neither for a local pack. ``pulumi install`` run inside the pack directory does
    (pkg/cmd/pulumi/install/install.go -> policy.InstallPluginDependencies): ``python3 -m venv
    <abs venv>``, ``pip install --upgrade pip setuptools wheel``, ``pip install -r
    requirements.txt`` -- what ``make install`` does for ``policies/venv``. Without the
    ``virtualenv`` option the CLI uses the ambient python; this process's interpreter stands in.
    """
    pack_dir = Path(pack_dir)
    options = _pack_runtime_options(pack_dir)
    venv = options.get("virtualenv")
    if not venv:
        return sys.executable
    venv_dir = Path(str(venv)) if Path(str(venv)).is_absolute() else pack_dir / str(venv)
    python = venv_dir / "bin" / "python"
    if not python.exists():
        raise ReviewError(
            f"{pack_dir / 'PulumiPolicy.yaml'}: runtime.options.virtualenv is {venv!r} but "
            f"{venv_dir} has no bin/python; the Pulumi CLI does not create it on preview. "
            f"Fix: run `make install` (or `cd {pack_dir.name} && pulumi install`)"
        )
    return str(python)


def _pack_runtime_options(pack_dir: Path) -> dict[str, Any]:
    path = pack_dir / "PulumiPolicy.yaml"
    if not path.exists():
        return {}
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError:
        return {}
    runtime = data.get("runtime") if isinstance(data, dict) else None
    options = runtime.get("options") if isinstance(runtime, dict) else None
    return dict(options) if isinstance(options, dict) else {}


class PolicyPack:
    """A running policy pack. Starting is asynchronous: the process is spawned by the
    constructor and awaited by ``wait_ready`` (called by ``__enter__`` and every RPC)."""

    def __init__(
        self,
        pack_dir: Path = Path("policies"),
        python: str | None = None,  # default: pack_python(pack_dir), as the CLI picks it
        *,
        env: Mapping[str, str] | None = None,
        startup_timeout: float = 60.0,
    ) -> None:
        self.pack_dir = Path(pack_dir).resolve()
        self.startup_timeout = startup_timeout
        self._stub: analyzer_pb2_grpc.AnalyzerStub | None = None
        self._channel: grpc.Channel | None = None
        self._info: analyzer_pb2.AnalyzerInfo | None = None
        self.policies: dict[str, ResolvedPolicy] = {}
        self.stack_configured = False
        # Whether the last analyze() skipped AnalyzeStack (see the module docstring).
        self.stack_skipped = False
        self.stdout_lines: list[str] = []
        self._stderr: collections.deque[str] = collections.deque(maxlen=40)
        self._first_line: queue.Queue[bytes | None] = queue.Queue()
        self.proc: subprocess.Popen[bytes] | None = None
        if not self.pack_dir.is_dir():
            raise ReviewError(f"{self.pack_dir}: policy pack directory not found")
        if not (self.pack_dir / "__main__.py").exists():
            raise ReviewError(f"{self.pack_dir}: no __main__.py; not a Python policy pack")
        python = python or pack_python(self.pack_dir)
        self.python = python
        full_env = dict(os.environ if env is None else env)
        full_env.setdefault("PYTHONUNBUFFERED", "1")
        # `python -u -m pulumi.policy <engine> .` in the pack directory, as the CLI's
        # pulumi-analyzer-policy-python shim does; there is no engine, the address is unused.
        self.proc = subprocess.Popen(
            [python, "-u", "-m", "pulumi.policy", "127.0.0.1:0", "."],
            cwd=self.pack_dir,
            env=full_env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        assert self.proc.stdout is not None and self.proc.stderr is not None
        # A pack left unclosed (forgotten context manager, exception, interpreter exit) must not
        # outlive its owner: the server loops forever.
        self._finalizer = weakref.finalize(self, _kill, self.proc)
        self._threads = [
            threading.Thread(target=self._read_stdout, args=(self.proc.stdout,), daemon=True),
            threading.Thread(target=self._read_stderr, args=(self.proc.stderr,), daemon=True),
        ]
        for t in self._threads:
            t.start()

    # -- process plumbing
    def _read_stdout(self, stream: IO[bytes]) -> None:
        first = True
        for line in iter(stream.readline, b""):
            if first:
                self._first_line.put(line)
                first = False
            else:
                self.stdout_lines.append(line.decode(errors="replace").rstrip("\n"))
        if first:
            self._first_line.put(None)

    def _read_stderr(self, stream: IO[bytes]) -> None:
        for line in iter(stream.readline, b""):
            self._stderr.append(line.decode(errors="replace").rstrip("\n"))

    def stderr_tail(self, lines: int = 8) -> str:
        self._threads[1].join(timeout=1.0) if self.proc and self.proc.poll() is not None else None
        tail = [ln for ln in list(self._stderr) if ln.strip()][-lines:]
        return " | ".join(tail) if tail else "(no stderr output)"

    def _fail(self, what: str) -> ReviewError:
        tail = self.stderr_tail()
        self.close()
        return ReviewError(f"policy pack {self.pack_dir}: {what}; stderr: {tail}")

    def wait_ready(self) -> analyzer_pb2_grpc.AnalyzerStub:
        if self._stub is not None:
            return self._stub
        if self.proc is None:
            raise ReviewError(f"policy pack {self.pack_dir}: not running")
        try:
            line = self._first_line.get(timeout=self.startup_timeout)
        except queue.Empty:
            raise self._fail(f"did not print its port within {self.startup_timeout:.0f}s") from None
        if line is None:
            code = self.proc.wait(timeout=5)
            raise self._fail(f"exited with status {code} before listening (fix the pack)")
        text = line.decode(errors="replace").strip()
        if not text.isdigit():
            raise self._fail(f"printed {text[:80]!r} instead of a port number")
        self._channel = grpc.insecure_channel(f"127.0.0.1:{text}", options=_CHANNEL_OPTIONS)
        try:
            grpc.channel_ready_future(self._channel).result(timeout=self.startup_timeout)
        except grpc.FutureTimeoutError:
            raise self._fail(f"port {text} did not accept a gRPC connection") from None
        self._stub = analyzer_pb2_grpc.AnalyzerStub(self._channel)
        return self._stub

    def close(self) -> None:
        # Stop the server first: closing a channel to a live server blocks ~0.2 s, to a dead
        # one it returns at once.
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=3)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=3)
        if self._channel is not None:
            self._channel.close()
            self._channel = None
        self._stub = None
        for stream in (self.proc.stdout, self.proc.stderr) if self.proc else ():
            if stream is not None:
                stream.close()

    def __enter__(self) -> PolicyPack:
        try:
            self.wait_ready()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _call(self, name: str, request: Any) -> Any:
        stub = self.wait_ready()
        try:
            return getattr(stub, name)(request)
        except grpc.RpcError as exc:
            raise ReviewError(
                f"policy pack {self.pack_dir}: {name} failed: {_rpc_detail(exc)}; "
                f"stderr: {self.stderr_tail()}"
            ) from None

    def call_many(
        self, name: str, resources: Sequence[RecordedResource], requests: Sequence[Any]
    ) -> list[Any]:
        """One ``name`` call per resource, answers in order. The engine sends one call per step
        as the program registers it; here independent calls are pipelined, at most
        ``CALL_WINDOW`` in flight (thousands at once end in CANCELLED from the pack's server)."""
        stub = self.wait_ready()
        method = getattr(stub, name)
        answers: list[Any] = []
        for start in range(0, len(requests), CALL_WINDOW):
            futures = [method.future(req) for req in requests[start : start + CALL_WINDOW]]
            for r, fut in zip(resources[start : start + CALL_WINDOW], futures, strict=True):
                try:
                    answers.append(fut.result())
                except grpc.RpcError as exc:
                    raise ReviewError(
                        f"policy pack {self.pack_dir}: {name}({r.urn}) failed: "
                        f"{_rpc_detail(exc)}; stderr: {self.stderr_tail()}"
                    ) from None
        return answers

    # -- RPCs
    def info(self) -> analyzer_pb2.AnalyzerInfo:
        if self._info is None:
            info = self._call("GetAnalyzerInfo", empty_pb2.Empty())
            version = _pack_version(self.pack_dir)
            if version:
                info.version = version
            self._info = info
        return self._info

    def configure_stack(
        self, *, stack: str, project: str, config: Mapping[str, str], dry_run: bool
    ) -> None:
        request = analyzer_pb2.AnalyzerStackConfigureRequest(
            stack=stack,
            project=project,
            organization="organization",
            dry_run=dry_run,
            config=dict(config),
            config_secret_keys=[],
            tags={},
        )
        stub = self.wait_ready()
        self.stack_configured = True
        try:
            stub.ConfigureStack(request)
        except grpc.RpcError as exc:
            if exc.code() != grpc.StatusCode.UNIMPLEMENTED:
                raise ReviewError(
                    f"policy pack {self.pack_dir}: ConfigureStack failed: {exc.details()}"
                ) from None

    def configure(self, config_file: Path | None) -> None:
        file_config = load_policy_config_file(config_file) if config_file is not None else {}
        self.policies = resolve_policy_config(
            self.info(), file_config, config_file or "<no policy config>", self.pack_dir
        )
        request = analyzer_pb2.ConfigureAnalyzerRequest()
        for name, policy in self.policies.items():
            pc = request.policyConfig[name]
            pc.enforcementLevel = _LEVEL_PB[policy.level]
            pc.properties.update(policy.properties)
        self._call("Configure", request)

    def analyze(self, run: ProgramRun, *, seed: int | str | None = None) -> list[Diagnostic]:
        """Remediate and Analyze (checked inputs, per resource) then AnalyzeStack (outputs, in
        an order shuffled with ``seed``; default: stack and mode), as the engine does."""
        if not self.policies:
            self.policies = resolve_policy_config(
                self.info(), {}, "<no policy config>", self.pack_dir
            )
        # The engine sends ConfigureStack when the pack starts: one pack process per operation.
        # A pack reused for several runs (tests) gets it before each one (unless the caller
        # just sent it), so each run is one operation: its own dry_run, nothing seen before.
        if not self.stack_configured:
            self.configure_stack(
                stack=run.stack,
                project=run.project,
                config=run.config,
                dry_run=run.dry_run,
            )
        self.stack_configured = False  # the next analyze() is another operation
        info = self.info()
        resources = with_default_providers(run)
        by_urn = {r.urn: r for r in resources}
        pack = f"{info.name}@v{info.version}"
        diagnostics: list[Diagnostic] = []

        def to_diag(d: analyzer_pb2.AnalyzeDiagnostic, urn: str) -> Diagnostic:
            policy = self.policies.get(d.policyName)
            level = _PB_LEVEL.get(d.enforcementLevel, "advisory")
            return Diagnostic(
                policy=d.policyName,
                # a remediation that still fires (or a stack policy at remediate) is mandatory
                level="mandatory" if level == "remediate" else level,
                message=d.message,
                urn=urn,
                description=d.description,
                mode=run.label,
                cant_run=is_cant_run(d.message),
                policy_level=policy.level if policy else "",
                pack=pack,
            )

        # Remediate for every resource, as the engine does (step_generator.go, first pass);
        # the calls are independent, so they are pipelined and read in order.
        inputs = [_struct(r.inputs) for r in resources]
        remediations = self.call_many(
            "Remediate",
            resources,
            [_analyze_request(r, p, by_urn) for r, p in zip(resources, inputs, strict=True)],
        )
        requests = []
        for r, props, rem in zip(resources, inputs, remediations, strict=True):
            for item in rem.remediations:
                if item.diagnostic:
                    diagnostics.append(
                        Diagnostic(
                            item.policyName,
                            "advisory",
                            item.diagnostic,
                            r.urn,
                            item.description,
                            run.label,
                            is_cant_run(item.diagnostic),
                            "remediate",
                            pack,
                        )
                    )
                elif item.HasField("properties"):
                    props = item.properties
                    diagnostics.append(
                        Diagnostic(
                            item.policyName,
                            "remediate",
                            f"{item.description}\nremediated the resource's inputs",
                            r.urn,
                            item.description,
                            run.label,
                            False,
                            "remediate",
                            pack,
                        )
                    )
            requests.append((r, _analyze_request(r, props, by_urn)))

        responses = self.call_many(
            "Analyze", [r for r, _ in requests], [req for _, req in requests]
        )
        for r, response in zip(resources, responses, strict=True):
            diagnostics.extend(to_diag(d, r.urn) for d in response.diagnostics)

        # Update: a mandatory Analyze diagnostic makes its resource invalid and the engine
        # bails before AnalyzeResources (deployment_executor.go); a preview goes on.
        self.stack_skipped = not run.dry_run and any(
            d.level == "mandatory" for d in diagnostics
        )
        if self.stack_skipped:
            return diagnostics
        order = list(resources)
        random.Random(f"{run.stack}/{run.label}" if seed is None else seed).shuffle(order)
        stack_request = analyzer_pb2.AnalyzeStackRequest(
            resources=[_analyzer_resource(r, by_urn) for r in order]
        )
        response = self._call("AnalyzeStack", stack_request)
        for d in response.diagnostics:
            urn = d.urn if d.urn in by_urn else run.stack_urn
            diagnostics.append(to_diag(d, urn))
        return diagnostics


def _kill(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.kill()
        proc.wait(timeout=5)


# ----------------------------------------------------------- wire helpers
def _rpc_detail(exc: Exception) -> str:
    details = getattr(exc, "details", None)
    text = details() if callable(details) else None
    return " ".join(str(text or exc).split())


def _struct(value: Mapping[str, Any]) -> struct_pb2.Struct:
    s = struct_pb2.Struct()
    s.update(dict(value))
    return s


def _options(r: RecordedResource) -> analyzer_pb2.AnalyzerResourceOptions:
    opts = analyzer_pb2.AnalyzerResourceOptions(
        protect=r.protect,
        ignoreChanges=r.ignore_changes,
        deleteBeforeReplace=bool(r.delete_before_replace),
        deleteBeforeReplaceDefined=r.delete_before_replace is not None,
        additionalSecretOutputs=r.additional_secret_outputs,
        parent=r.parent,
    )
    opts.customTimeouts.SetInParent()
    return opts


def _provider_urn(ref: str) -> str:
    # A provider reference is "<urn>::<id>"; the URN itself contains "::".
    return ref.rsplit("::", 1)[0] if ref else ""


def _provider(
    r: RecordedResource, by_urn: Mapping[str, RecordedResource]
) -> analyzer_pb2.AnalyzerProviderResource | None:
    prov = by_urn.get(_provider_urn(r.provider))
    if prov is None:
        return None
    return analyzer_pb2.AnalyzerProviderResource(
        urn=prov.urn, type=prov.type, name=prov.name, properties=_struct(prov.inputs)
    )


def _analyze_request(
    r: RecordedResource, props: struct_pb2.Struct, by_urn: Mapping[str, RecordedResource]
) -> analyzer_pb2.AnalyzeRequest:
    request = analyzer_pb2.AnalyzeRequest(
        type=r.type, properties=props, urn=r.urn, name=r.name, options=_options(r)
    )
    provider = _provider(r, by_urn)
    if provider is not None:
        request.provider.CopyFrom(provider)
    return request


def _analyzer_resource(
    r: RecordedResource, by_urn: Mapping[str, RecordedResource]
) -> analyzer_pb2.AnalyzerResource:
    res = analyzer_pb2.AnalyzerResource(
        type=r.type,
        properties=_struct(r.outputs),
        urn=r.urn,
        name=r.name,
        options=_options(r),
        parent=r.parent,
        dependencies=r.dependencies,
    )
    for key, urns in r.property_dependencies.items():
        if urns:  # the engine skips properties without dependencies
            res.propertyDependencies[key].urns.extend(urns)
    provider = _provider(r, by_urn)
    if provider is not None:
        res.provider.CopyFrom(provider)
    return res
