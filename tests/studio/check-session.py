#!/usr/bin/env python3
"""Loads a studio session's data.pkl the way afnio.load would (same class
names, stand-in classes) and prints what Python sees, one line per entry:
NAME CLASS ROLE DATA N_GRADS GRAD_DATA... as JSON."""
import json
import pickle
import sys
import types
import zipfile


class Variable:
    pass


class Parameter(Variable):
    pass


class Node:
    pass


class GradientEdge(tuple):
    def __new__(cls, *args):
        return tuple.__new__(cls, args)


MODULES = {
    ("afnio._variable", "Variable"): Variable,
    ("afnio.cognitive.parameter", "Parameter"): Parameter,
    ("afnio.autodiff.graph", "Node"): Node,
    ("afnio.autodiff.graph", "GradientEdge"): GradientEdge,
}


class Unpickler(pickle.Unpickler):
    def find_class(self, module, name):
        if (module, name) in MODULES:
            return MODULES[(module, name)]
        if (module, name) in {("collections", "OrderedDict"), ("copyreg", "_reconstructor"),
                              ("builtins", "object"), ("builtins", "tuple")}:
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"forbidden global {module}.{name}")


def main(path):
    with zipfile.ZipFile(path) as archive:
        names = archive.namelist()
        assert names[0] == "data.pkl", names
        with archive.open("data.pkl") as f:
            value = Unpickler(f).load()
    assert type(value).__name__ == "OrderedDict", type(value)
    out = []
    for name, var in value.items():
        state = var.__dict__
        out.append({
            "name": name,
            "class": type(var).__name__,
            "data": state["_data"],
            "role": state["role"],
            "requires_grad": state["requires_grad"],
            "grads": [[g.__dict__["_data"], g.__dict__["role"]] for g in state["_grad"]],
            "is_leaf": state["is_leaf"],
        })
    print(json.dumps({"members": names, "variables": out}))


if __name__ == "__main__":
    main(sys.argv[1])
