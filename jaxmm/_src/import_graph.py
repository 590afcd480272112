"""Which jaxmm source files a pipeline stage runs: a static walk of its import graph.

Snakemake reruns a rule when its params change, not when library code changes; every rule
therefore carries ``code_version``, a hash of the files this module finds for its stage
(``workflow/rules/common.smk``: :func:`stage_files`, :func:`code_version`). The list is
computed, never kept by hand, so a new import reruns exactly the rules that now use it.

Stdlib only (no JAX, no import of the code it reads): the walk parses the sources with
:mod:`ast`.

The rules of the walk
---------------------

* Every ``import a.b`` / ``from a.b import c`` whose target is inside the package
  counts, wherever it is written: at module level or inside a function (stages import
  their numerics lazily, inside functions). Relative imports are resolved.
* Importing ``a.b.c`` counts ``a/__init__.py``, ``a/b/__init__.py`` and ``a/b/c.py``:
  Python runs each of them.
* ``from pkg import name``: if ``name`` is a submodule of ``pkg`` it counts as that
  submodule; if ``pkg`` re-exports ``name`` lazily (:func:`jaxmm._src.lazy.lazy_exports`)
  it counts as the module that defines it; otherwise it is a name defined in ``pkg``'s
  ``__init__.py``, which already counts.
* Lazy re-exports are followed **only when named**: importing ``jaxmm.pricing`` counts
  ``jaxmm/pricing/__init__.py`` (and what it imports eagerly), not every module in its
  lazy map. A module that binds a package (``import jaxmm as jm``) and uses
  ``jm.implied_vol`` or ``jm.pricing.iv`` counts the module behind each attribute chain.
* The entry point is a stage ``"module:function"``. In that module, the module-level
  code counts, and of its top-level functions and classes only the entry function and
  those it names (transitively): so ``stages.mm:report`` does not depend on the
  simulation modules that ``stages.mm:run`` imports. Every other module counts whole.
* Dynamic imports (``importlib.import_module`` with a computed name) are not seen; the
  stage runner's one such import is the stage itself.
"""

from __future__ import annotations

import ast
import functools
import hashlib
import re
from pathlib import Path

PACKAGE = "jaxmm"

# What every rule runs besides its stage: Snakemake's script, and the runner it calls.
RUNNER = "jaxmm.stages.runner:run_snakemake_job"
WORKFLOW_FILES = ("workflow/scripts/stage.py",)


def package_root() -> Path:
    """The folder holding the ``jaxmm`` package (the repository root of a checkout)."""
    return Path(__file__).resolve().parents[2]


@functools.lru_cache(maxsize=None)
def _module_path(root: str, module: str) -> Path | None:
    """The source file of ``module`` under ``root``, or None when it is not a module there."""
    base = Path(root, *module.split("."))
    if (base / "__init__.py").is_file():
        return base / "__init__.py"
    if base.with_suffix(".py").is_file():
        return base.with_suffix(".py")
    return None


def _is_package(root: str, module: str) -> bool:
    path = _module_path(root, module)
    return path is not None and path.name == "__init__.py"


@functools.lru_cache(maxsize=None)
def _parse(path: Path, mtime_ns: int) -> ast.Module:  # mtime in the key: edits are seen
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def _tree(root: str, module: str) -> ast.Module:
    path = _module_path(root, module)
    return _parse(path, path.stat().st_mtime_ns)


def _resolve_relative(module: str, is_package: bool, level: int, target: str | None) -> str:
    parts = module.split(".")
    if not is_package:
        parts = parts[:-1]
    if level > 1:
        parts = parts[: len(parts) - (level - 1)]
    return ".".join(parts + ([target] if target else []))


@functools.lru_cache(maxsize=None)
def lazy_map(root: str, package: str) -> dict[str, str]:
    """The lazy re-export map of ``package`` (public name -> absolute module), from its
    ``__init__.py``'s ``lazy_exports(__name__, {...})`` call; empty when it has none."""
    if not _is_package(root, package):
        return {}
    tree = _tree(root, package)
    assigned = {}
    for node in tree.body:  # dict literals bound at module level, e.g. _EXPORTS = {...}
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Dict):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    assigned[target.id] = node.value
    for node in ast.walk(tree):
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                and node.func.id == "lazy_exports" and len(node.args) >= 2):
            arg = node.args[1]
            if isinstance(arg, ast.Name):
                arg = assigned.get(arg.id)
            if not isinstance(arg, ast.Dict):
                raise ValueError(f"{package}: lazy_exports needs a dict literal to be walked")
            out = {}
            for name, target in ast.literal_eval(arg).items():
                if target == "":
                    out[name] = f"{package}.{name}"
                elif target.startswith("."):
                    out[name] = _resolve_relative(package, True, len(target) - len(target.lstrip(".")),
                                                  target.lstrip(".") or None)
                else:
                    out[name] = target
            return out
    return {}


def _in_package(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


def _with_parents(module: str) -> list[str]:
    parts = module.split(".")
    return [".".join(parts[: i + 1]) for i in range(len(parts))]


def _resolve_name(root: str, package_mod: str, name: str) -> str | None:
    """``from package_mod import name``: the module it loads beyond ``package_mod``."""
    if _module_path(root, f"{package_mod}.{name}") is not None:
        return f"{package_mod}.{name}"
    return lazy_map(root, package_mod).get(name)


def _resolve_attribute_chain(root: str, module: str, attrs: list[str]) -> str | None:
    """``module.a.b.c`` where ``module`` is a package: the deepest module the chain loads."""
    found = None
    current = module
    for attr in attrs:
        if not _is_package(root, current):
            break
        nxt = _resolve_name(root, current, attr)
        if nxt is None:
            break
        found = current = nxt
    return found


def _imports(root: str, module: str, nodes, package: str) -> set[str]:
    """jaxmm modules imported by the statements in ``nodes`` (walked recursively)."""
    is_pkg = _is_package(root, module)
    found: set[str] = set()
    bound: dict[str, str] = {}  # local name -> package module it is bound to
    for top in nodes:
        for node in ast.walk(top):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    if not _in_package(alias.name, package):
                        continue
                    found.add(alias.name)
                    if alias.asname:
                        bound[alias.asname] = alias.name
                    else:
                        bound[alias.name.split(".")[0]] = alias.name.split(".")[0]
            elif isinstance(node, ast.ImportFrom):
                base = (_resolve_relative(module, is_pkg, node.level, node.module) if node.level
                        else node.module)
                if base is None or not _in_package(base, package):
                    continue
                found.add(base)
                for alias in node.names:
                    if alias.name == "*":
                        found.update(lazy_map(root, base).values())
                        continue
                    target = _resolve_name(root, base, alias.name)
                    if target is not None:
                        found.add(target)
                        if _is_package(root, target):
                            bound[alias.asname or alias.name] = target
    if bound:  # attribute chains on bound packages: jm.implied_vol, jm.pricing.iv
        for top in nodes:
            for node in ast.walk(top):
                if not isinstance(node, ast.Attribute):
                    continue
                attrs, value = [], node
                while isinstance(value, ast.Attribute):
                    attrs.append(value.attr)
                    value = value.value
                if isinstance(value, ast.Name) and value.id in bound:
                    target = _resolve_attribute_chain(root, bound[value.id], attrs[::-1])
                    if target is not None:
                        found.add(target)
    return {m for m in found if _module_path(root, m) is not None}


@functools.lru_cache(maxsize=None)
def _module_imports(root: str, module: str, mtime_ns: int, package: str) -> frozenset[str]:
    return frozenset(_imports(root, module, _tree(root, module).body, package))


def _entry_nodes(tree: ast.Module, function: str) -> list[ast.AST]:
    """Module-level code plus ``function`` and the top-level defs it names, transitively."""
    defs = {node.name: node for node in tree.body
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))}
    if function not in defs:
        raise ValueError(f"no top-level function {function!r} in the stage module")
    keep, todo = set(), [function]
    while todo:
        name = todo.pop()
        if name in keep:
            continue
        keep.add(name)
        for node in ast.walk(defs[name]):
            if isinstance(node, ast.Name) and node.id in defs and node.id not in keep:
                todo.append(node.id)
    return [node for node in tree.body if node not in defs.values() or node.name in keep]


def _defining_module(root: str, module: str, function: str, package: str) -> str:
    """The module that defines ``function`` as seen from ``module``: ``module`` itself, or,
    for a stage package that re-exports it (``from .compute import *``, ``from .report
    import report``), the module it comes from."""
    tree = _tree(root, module)
    if any(isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and node.name == function
           for node in tree.body):
        return module
    is_pkg = _is_package(root, module)
    for node in tree.body:
        if not isinstance(node, ast.ImportFrom):
            continue
        base = _resolve_relative(module, is_pkg, node.level, node.module) if node.level else node.module
        if base is None or not _in_package(base, package) or _module_path(root, base) is None:
            continue
        for alias in node.names:
            if alias.name == "*" or (alias.asname or alias.name) == function:
                try:
                    return _defining_module(root, base, function if alias.name == "*" else alias.name, package)
                except ValueError:
                    continue
    raise ValueError(f"no top-level function {function!r} in the stage module {module!r}")


def imported_modules(entry: str, root: Path | str | None = None, package: str = PACKAGE) -> list[str]:
    """Every ``package`` module the entry point runs: ``entry`` is ``"module"`` (the whole
    module) or ``"module:function"`` (see the module docstring for the rules)."""
    root = str(Path(root) if root is not None else package_root())
    module, _, function = entry.partition(":")
    if _module_path(root, module) is None:
        raise ValueError(f"{module!r} is not a module under {root}")
    seen = {module}
    todo: list[tuple[str, list | None]] = []
    if function:
        defining = _defining_module(root, module, function, package)
        if defining != module:  # a package re-exporting the entry: its __init__ runs whole
            todo.append((module, None))
        seen.add(defining)
        todo.append((defining, _entry_nodes(_tree(root, defining), function)))
    else:
        todo.append((module, _tree(root, module).body))
    while todo:
        mod, body = todo.pop()
        deps = (_module_imports(root, mod, _module_path(root, mod).stat().st_mtime_ns, package)
                if body is None else _imports(root, mod, body, package))
        for dep in deps | {mod}:
            for name in _with_parents(dep):
                if name not in seen and _module_path(root, name) is not None:
                    seen.add(name)
                    todo.append((name, None))
    return sorted(seen)


_CAPTIONS = re.compile(r"""^\w+\s*=\s*captions\(\s*["'](\w+)["']""", re.M)  # TEXT = captions("mm")


def stage_files(stage: str, root: Path | str | None = None, *, with_runner: bool = True) -> list[str]:
    """Files (relative to ``root``, posix) a rule running ``stage`` executes: its import
    closure, plus the runner's and Snakemake's script when ``with_runner``."""
    root = Path(root) if root is not None else package_root()
    modules = set(imported_modules(stage, root))
    files = set()
    if with_runner:
        modules |= set(imported_modules(RUNNER, root))
        files |= {f for f in WORKFLOW_FILES if (root / f).is_file()}
    for m in modules:
        path = _module_path(str(root), m)
        files.add(path.relative_to(root).as_posix())
        for name in _CAPTIONS.findall(path.read_text(encoding="utf-8")):  # report prose read at import
            caption = root / "jaxmm" / "report" / "captions" / f"{name}.md"
            if caption.is_file():
                files.add(caption.relative_to(root).as_posix())
    return sorted(files)


def code_version(stage: str, root: Path | str | None = None) -> str:
    """Hash of the paths and contents of :func:`stage_files` (16 hex digits)."""
    root = Path(root) if root is not None else package_root()
    digest = hashlib.sha256()
    for rel in stage_files(stage, root):
        digest.update(rel.encode())
        digest.update(b"\0")
        digest.update((root / rel).read_bytes())
    return digest.hexdigest()[:16]


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(prog="python -m jaxmm._src.import_graph",
                                     description="List the files a stage's code version hashes.")
    parser.add_argument("stage", help='"module:function", e.g. jaxmm.stages.surfaces:run')
    parser.add_argument("--root", default=None, help="repository root (default: this checkout)")
    args = parser.parse_args(argv)
    for f in stage_files(args.stage, args.root):
        print(f)
    print(code_version(args.stage, args.root))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
