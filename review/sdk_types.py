"""The types of a pulumi-aws resource's outputs, nested objects included, read from the typed SDK.

``review.aws_schema`` says which top-level outputs are always present; the deployed-state model
(``review.deployed``) also needs their types, down to each nested object's fields, to write
every output as the bridge writes it (a MaxItems=1 block as an object, a list as a list, a map
as a map). The SDK's output classes carry exactly that:
``pulumi.Output['outputs.InstanceRootBlockDevice']`` is a MaxItems=1 block (the bridge
flattens it to an object), ``Sequence['outputs.SecurityGroupIngress']`` a list or set of
blocks, ``Mapping[str, str]`` a map. Nested fields are all typed ``Optional`` by
the SDK generator, whatever the Terraform schema says, so only top-level optionality means
anything.
"""

from __future__ import annotations

import ast
import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from . import aws_schema

Kind = Literal["str", "int", "float", "bool", "any", "list", "map", "object"]
_PRIMITIVES: dict[str, Kind] = {
    "_builtins.str": "str",
    "str": "str",
    "_builtins.int": "int",
    "int": "int",
    "_builtins.float": "float",
    "float": "float",
    "_builtins.bool": "bool",
    "bool": "bool",
    "Any": "any",
    "pulumi.Archive": "any",  # an asset or archive (a Lambda's code): passed through as given
    "pulumi.Asset": "any",
    "Union[pulumi.Asset, pulumi.Archive]": "any",
}


@dataclass(frozen=True)
class TypeRef:
    """One output type: a primitive, a list/map of ``elem``, or an object (``path``, ``cls``)."""

    kind: Kind
    optional: bool = False
    elem: TypeRef | None = None
    path: str = ""  # object: the SDK file defining the class
    cls: str = ""  # object: the class name

    def fields(self) -> dict[str, Field]:
        """An object's fields (wire name -> Field)."""
        if self.kind != "object":
            raise TypeError(f"{self.kind} has no fields")
        return object_fields(self.path, self.cls)


@dataclass(frozen=True)
class Field:
    wire: str
    python: str
    type: TypeRef


def _parse(node: ast.expr, module_dir: Path, optional: bool = False) -> TypeRef:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):  # a forward reference
        return _parse(aws_schema.parse_expression(node.value).body, module_dir, optional)
    text = ast.unparse(node)
    if text in _PRIMITIVES:
        return TypeRef(_PRIMITIVES[text], optional)
    if isinstance(node, ast.Subscript):
        head = ast.unparse(node.value)
        inner = node.slice
        if head in ("pulumi.Output", "Output"):
            return _parse(inner, module_dir, optional)
        if head == "Optional":
            return _parse(inner, module_dir, True)
        if head in ("Sequence", "List"):
            return TypeRef("list", optional, _parse(inner, module_dir))
        if head in ("Mapping", "Dict") and isinstance(inner, ast.Tuple):
            return TypeRef("map", optional, _parse(inner.elts[1], module_dir))
        if head == "Union" and isinstance(inner, ast.Tuple):  # Union[str, 'SomeEnum']
            return _parse(inner.elts[0], module_dir, optional)
    if (
        isinstance(node, ast.Attribute)
        and isinstance(node.value, ast.Name)
        and node.value.id == "outputs"
    ):
        return TypeRef("object", optional, path=str(module_dir / "outputs.py"), cls=node.attr)
    if isinstance(node, ast.Name) and (module_dir / "_enums.py").exists():
        return TypeRef("str", optional)  # a string enum of the module's _enums.py
    raise aws_schema.UnknownTypeError(f"unsupported SDK output annotation {text!r}")


@functools.cache
def object_fields(path: str, cls: str) -> dict[str, Field]:
    """The fields of the SDK output class ``cls`` defined in ``path``."""
    module_dir = Path(path).parent
    return {
        wire: Field(wire, python, _parse(aws_schema.parse_expression(ann).body, module_dir))
        for wire, python, ann in aws_schema.class_getters(path, cls)
        if ann
    }


@functools.cache
def output_fields(token: str) -> dict[str, Field]:
    """Every output getter of the resource ``token`` (top level), with its type."""
    sch = aws_schema.schema(token)
    return object_fields(sch.path, sch.sdk_class.rsplit(".", 1)[1])
