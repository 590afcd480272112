"""Lazy re-exports: a package lists its public names and the modules that define them;
the module is imported on first attribute access, so ``import jaxmm`` stays free of JAX
(the JAX-free tiers and the stage runner set up JAX before it loads)."""

from __future__ import annotations

import importlib


def lazy_exports(package: str, exports: dict[str, str]):
    """``__getattr__`` and ``__dir__`` for ``package``: ``exports`` maps a public name to
    the module (absolute, or relative to ``package`` with a leading dot) defining it; a
    name that maps to ``""`` is a submodule of ``package``."""

    def __getattr__(name: str):
        try:
            target = exports[name]
        except KeyError:
            raise AttributeError(f"module {package!r} has no attribute {name!r}") from None
        if target == "":
            return importlib.import_module(f"{package}.{name}")
        module = importlib.import_module(target, package)
        return getattr(module, name)

    def __dir__():
        return sorted(exports)

    return __getattr__, __dir__
