"""Every ``>>>`` example in jaxmm's docstrings runs and prints what it says.

The examples run as the tests do: float64 JAX on the CPU (tests/conftest.py), each
module's examples in a fresh namespace. Outputs are compared exactly (whitespace
normalised; ``...`` matches anything), so an example shows the function's true output. (jaxmm.chain_check's example is marked
``+SKIP``: it fits a whole chain, ~50 s of CPU.)
"""

import doctest
import importlib
import pkgutil

import pytest

import jaxmm


def _modules():
    names = []
    for info in pkgutil.walk_packages(jaxmm.__path__, "jaxmm."):
        if info.name.endswith("__main__"):
            continue
        names.append(info.name)
    return sorted(names)


def _with_examples():
    out = []
    for name in _modules():
        module = importlib.import_module(name)
        tests = doctest.DocTestFinder(exclude_empty=True).find(module, name)
        if any(t.examples for t in tests if t.name.startswith(name)):
            out.append(name)
    return out


MODULES = _with_examples()


def test_the_examples_are_found():
    assert len(MODULES) >= 15, MODULES


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE | doctest.ELLIPSIS,
                             verbose=False, report=False)
    assert result.failed == 0, f"{result.failed} of {result.attempted} examples in {name} fail (run pytest -rA for the diff)"
