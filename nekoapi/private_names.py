"""Whether private names of a library are still where we found them (``web/internals.py`` checks
Connexion's, ``media/rtc_internals.py`` aiortc's and aioice's).

An entry is ``"module:Name.attribute"`` (a module-level name, or a class attribute or method) or
``"module:Name().attribute"`` (an attribute the class's ``__init__``, or a base's, sets on instances).
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Iterable


def missing(required: Iterable[str]) -> list[str]:
    """The entries of ``required`` the installed packages do not have."""
    return [entry for entry in required if not present(entry)]


def present(entry: str) -> bool:
    module_name, _, dotted = entry.partition(":")
    try:
        target: object = importlib.import_module(module_name)
    except ImportError:
        return False
    *owners, name = dotted.split(".")
    for owner in owners:
        instance = owner.endswith("()")
        target = getattr(target, owner.removesuffix("()"), None)
        if target is None:
            return False
        if instance:
            return isinstance(target, type) and _set_by_init(target, name)
    return hasattr(target, name)


def calls(entry: str, name: str) -> bool:
    """Whether the function or method named by ``entry`` still refers to ``name`` in its code."""
    module_name, _, dotted = entry.partition(":")
    try:
        target: object = importlib.import_module(module_name)
    except ImportError:
        return False
    for part in dotted.split("."):
        target = getattr(target, part, None)
    code = getattr(target, "__code__", None)
    return code is not None and name in code.co_names


def _set_by_init(cls: type, name: str) -> bool:
    """Whether an ``__init__`` in the class's hierarchy assigns ``self.<name>``."""
    for klass in inspect.getmro(cls):
        init = klass.__dict__.get("__init__")
        code = getattr(init, "__code__", None)
        if code is not None and name in code.co_names:
            return True
    return False
