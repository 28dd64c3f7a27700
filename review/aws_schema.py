"""What pulumi-aws's typed SDK says about a resource type's outputs, read with ``ast``.

For a type token such as ``aws:ec2/securityGroup:SecurityGroup`` this finds the SDK class whose
``__init__`` registers that token (``super(...).__init__('aws:ec2/securityGroup:SecurityGroup',
...)``) and lists its ``@pulumi.getter`` output properties. A getter typed
``pulumi.Output[T]`` with ``T`` not ``Optional[...]`` is one the provider always returns: the
bridge generates it from a Terraform attribute that is required or ``Computed``. The preview
model (``review.mocks``) makes each such output that the program did not set UNKNOWN, as
Terraform's planned state leaves a computed attribute "known after apply"
(pulumi-terraform-bridge ``pkg/tfbridge/provider.go``: ``Create`` with ``preview`` returns the
planned state, whose unknown attributes become ``resource.Computed``).

Nothing is imported from pulumi_aws (importing its 200 modules would cost seconds): the source
is parsed, and each token's answer is cached.
"""

from __future__ import annotations

import ast
import functools
import importlib.util
import re
import threading
from dataclasses import dataclass
from pathlib import Path


class UnknownTypeError(LookupError):
    """A type token with no class in the installed pulumi-aws SDK."""


@dataclass(frozen=True)
class ResourceSchema:
    token: str
    sdk_class: str  # e.g. "pulumi_aws.ec2.SecurityGroup"
    always: frozenset[str]  # wire names of outputs typed without Optional
    optional: frozenset[str]  # wire names of outputs typed Optional[...]
    inputs: frozenset[str]  # wire names the constructor accepts (from the Args class getters)
    path: str = ""  # the SDK source file that defines the class (for review.sdk_types)


@functools.cache
def _sdk_root() -> Path:
    spec = importlib.util.find_spec("pulumi_aws")
    if spec is None or not spec.submodule_search_locations:
        raise UnknownTypeError("pulumi_aws is not installed")
    return Path(next(iter(spec.submodule_search_locations)))


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def _candidate_files(token: str) -> list[Path]:
    try:
        _pkg, mod_res, _cls = token.split(":")
        module, resource = mod_res.split("/")
    except ValueError:
        raise UnknownTypeError(f"{token!r} is not a type token like aws:ec2/vpc:Vpc") from None
    root = _sdk_root()
    directory = root if module == "index" else root / module
    if not directory.is_dir() and (root / f"{module}_").is_dir():  # a Python keyword: lambda_
        directory = root / f"{module}_"
    first = directory / f"{_snake(resource)}.py"
    rest = sorted(p for p in directory.glob("*.py") if p != first) if directory.is_dir() else []
    return ([first] if first.exists() else []) + rest


def _registers(cls: ast.ClassDef, token: str) -> bool:
    for node in ast.walk(cls):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "__init__"
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and node.args[0].value == token
        ):
            return True
    return False


def _getters(cls: ast.ClassDef) -> list[tuple[str, ast.expr | None]]:
    """(wire name, return annotation) of each ``@pulumi.getter`` property of a class."""
    out = []
    for fn in cls.body:
        if not isinstance(fn, ast.FunctionDef):
            continue
        for dec in fn.decorator_list:
            target = dec.func if isinstance(dec, ast.Call) else dec
            if not (isinstance(target, ast.Attribute) and target.attr == "getter"):
                continue
            wire = fn.name
            if isinstance(dec, ast.Call):
                for kw in dec.keywords:
                    if kw.arg == "name" and isinstance(kw.value, ast.Constant):
                        wire = str(kw.value.value)
            out.append((wire, fn.returns))
    return out


def _is_optional(annotation: ast.expr | None) -> bool:
    """``pulumi.Output[Optional[...]]`` (or no annotation: treated as optional)."""
    if not isinstance(annotation, ast.Subscript):
        return True
    inner = annotation.slice
    return "Optional[" in ast.unparse(inner) and ast.unparse(inner).startswith("Optional[")


# CPython 3.11 keeps ast.parse's recursion depth in interpreter state that threads share, so
# two threads parsing at once can fail with "SystemError: AST constructor recursion depth
# mismatch" (python/cpython gh-106905; seen here when the program's registrations, which the
# SDK runs in a thread pool, looked up two schemas at once). One parse at a time.
_AST_LOCK = threading.Lock()


def parse(source: str, filename: str = "<unknown>") -> ast.Module:
    """``ast.parse``, one thread at a time (see ``_AST_LOCK``)."""
    with _AST_LOCK:
        return ast.parse(source, filename=filename)


def parse_expression(source: str) -> ast.Expression:
    """``ast.parse(source, mode="eval")``, one thread at a time (see ``_AST_LOCK``)."""
    with _AST_LOCK:
        return ast.parse(source, mode="eval")


@functools.cache
def schema(token: str) -> ResourceSchema:
    """The SDK's view of ``token``'s outputs; raises UnknownTypeError if no class registers it."""
    for path in _candidate_files(token):
        text = path.read_text(encoding="utf-8")
        if f"'{token}'" not in text and f'"{token}"' not in text:
            continue
        tree = parse(text, filename=str(path))
        classes = {c.name: c for c in tree.body if isinstance(c, ast.ClassDef)}
        for cls in classes.values():
            if not _registers(cls, token):
                continue
            always: set[str] = set()
            optional: set[str] = set()
            for wire, ann in _getters(cls):
                (optional if _is_optional(ann) else always).add(wire)
            args = classes.get(f"{cls.name}Args")
            inputs = {w for w, _ in _getters(args)} if args is not None else set()
            module = ".".join(path.relative_to(_sdk_root().parent).with_suffix("").parts[:-1])
            return ResourceSchema(
                token,
                f"{module}.{cls.name}",
                frozenset(always),
                frozenset(optional),
                frozenset(inputs),
                str(path),
            )
    raise UnknownTypeError(f"no class in pulumi_aws registers {token!r}")


@functools.cache
def _classes(path: str) -> dict[str, ast.ClassDef]:
    tree = parse(Path(path).read_text(encoding="utf-8"), filename=path)
    return {c.name: c for c in tree.body if isinstance(c, ast.ClassDef)}


@functools.cache
def class_getters(path: str, class_name: str) -> tuple[tuple[str, str, str], ...]:
    """(wire name, Python name, annotation source) of each ``@pulumi.getter`` of ``class_name``
    in the SDK file ``path``: the hook ``review.sdk_types`` reads output types (nested ones too)
    with."""
    cls = _classes(path).get(class_name)
    if cls is None:
        raise UnknownTypeError(f"{path} defines no class {class_name}")
    out = []
    for fn in cls.body:
        if isinstance(fn, ast.FunctionDef):
            for wire, ann in _getters(
                ast.ClassDef(name="", bases=[], keywords=[], body=[fn], decorator_list=[])
            ):
                out.append((wire, fn.name, ast.unparse(ann) if ann is not None else ""))
    return tuple(out)
