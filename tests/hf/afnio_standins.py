"""Stand-in classes named like afnio's, so that CPython's own pickle loads
what afnio writes with nothing from afnio installed.

Shared by bench-hf.py and python-roundtrip.py (imported from the script's
own folder) and tests/studio/check-afnio-run.py.
"""
import sys
import types
import typing


def install_stand_ins():
    """Registers the stand-ins under afnio's module names (once is enough;
    a second call makes new classes) and returns (Variable, Parameter, Node,
    GradientEdge)."""
    for name in ["afnio", "afnio._variable", "afnio.cognitive",
                 "afnio.cognitive.parameter", "afnio.autodiff", "afnio.autodiff.graph"]:
        sys.modules.setdefault(name, types.ModuleType(name))

    class Variable:
        pass

    class Parameter(Variable):
        pass

    class Node:
        pass

    class GradientEdge(typing.NamedTuple):
        node: object
        output_nr: int

    for cls, module in [(Variable, "afnio._variable"), (Parameter, "afnio.cognitive.parameter"),
                        (Node, "afnio.autodiff.graph"), (GradientEdge, "afnio.autodiff.graph")]:
        cls.__module__ = module
        cls.__qualname__ = cls.__name__
        setattr(sys.modules[module], cls.__name__, cls)
    return Variable, Parameter, Node, GradientEdge
