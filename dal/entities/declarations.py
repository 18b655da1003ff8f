"""Import an application's entity declarations from a ``module:NAME`` reference."""

from __future__ import annotations

import importlib
from collections.abc import Sequence

from dal.entities.errors import DeclarationError
from interfaces.entities import EntitySpec

__all__ = ["DEFAULT_ATTRIBUTE", "load_declarations"]

DEFAULT_ATTRIBUTE = "SPECS"
"""The attribute read when the reference names a module only."""


def load_declarations(spec: str) -> list[EntitySpec]:
    """The declarations that ``spec`` points at.

    ``"package.module:NAME"`` names a sequence of :class:`EntitySpec` in a
    module; ``"package.module"`` means its ``SPECS``. Raises :class:`DeclarationError`
    naming the module or attribute that is missing, or what has the wrong type.
    """
    module_name, _, attribute = spec.strip().partition(":")
    attribute = attribute.strip() or DEFAULT_ATTRIBUTE
    if not module_name or not all(part.isidentifier() for part in module_name.split(".")):
        raise DeclarationError(
            f"declarations {spec!r}: expected 'package.module' or 'package.module:NAME'"
        )
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as error:
        if error.name is None or not _is_prefix(error.name, module_name):
            raise  # the module exists; something it imports does not
        raise DeclarationError(f"declarations {spec!r}: no module {module_name}") from error
    if not hasattr(module, attribute):
        raise DeclarationError(f"declarations {spec!r}: module {module_name} has no {attribute}")
    return _specs(spec, getattr(module, attribute))


def _is_prefix(missing: str, module_name: str) -> bool:
    return module_name == missing or module_name.startswith(missing + ".")


def _specs(spec: str, value: object) -> list[EntitySpec]:
    if isinstance(value, EntitySpec):
        return [value]
    if not isinstance(value, Sequence) or isinstance(value, str | bytes):
        raise DeclarationError(
            f"declarations {spec!r}: expected a sequence of EntitySpec, got {type(value).__name__}"
        )
    wrong = [
        f"item {i} is a {type(item).__name__}"
        for i, item in enumerate(value)
        if not isinstance(item, EntitySpec)
    ]
    if wrong:
        raise DeclarationError(f"declarations {spec!r}: not an EntitySpec: {', '.join(wrong)}")
    return list(value)
