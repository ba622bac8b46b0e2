#!/usr/bin/env python3
"""Python round trip: CPython's own pickle must load what `afnio resave` and
`afnio pack` write, and see the same objects the fixtures describe.

Stand-in classes take the names afnio's classes have, so nothing from afnio
is needed. Usage: python-roundtrip.py AFNIO_BINARY FIXTURES_DIR
"""
import collections
import glob
import json
import math
import os
import pickle
import subprocess
import sys
import tempfile
import types
import zipfile

from afnio_standins import install_stand_ins


Variable, _Parameter, Node, GradientEdge = install_stand_ins()


def exact_match_fn(*args):  # named by state_dict_user_function.hf
    raise AssertionError("a pickle must never call this")


class Renderer:
    """The fixtures' rendering scheme, with __id__/__ref__ for shared objects."""

    def __init__(self):
        self.counts = collections.Counter()
        self.ids = {}
        self.counting = True

    def shareable(self, o):
        return isinstance(o, (Variable, Node, list, dict)) or (
            type(o) is tuple and len(o) > 0)

    def render(self, o):
        self.counting = True
        self.walk(o)
        self.counting = False
        return self.walk(o)

    def open(self, o):
        """Returns (skip, prefix dict)."""
        if self.counting:
            self.counts[id(o)] += 1
            return self.counts[id(o)] > 1, {}
        if id(o) in self.ids:
            return True, {"__ref__": self.ids[id(o)]}
        if self.counts[id(o)] > 1:
            self.ids[id(o)] = len(self.ids)
            return False, {"__id__": self.ids[id(o)]}
        return False, {}

    def walk(self, o):
        if o is None or isinstance(o, (bool, str)):
            return o
        if isinstance(o, int) and not isinstance(o, GradientEdge):
            if -2**63 <= o < 2**63:
                return o
            return {"__type__": "bigint", "value": str(o)}
        if isinstance(o, float):
            if math.isnan(o) or math.isinf(o):
                return {"__type__": "float", "value": "nan" if math.isnan(o) else ("inf" if o > 0 else "-inf")}
            return o
        if isinstance(o, GradientEdge):
            return {"__type__": "GradientEdge", "node": self.walk(o.node), "output_nr": o.output_nr}
        if isinstance(o, types.FunctionType) or isinstance(o, types.BuiltinFunctionType):
            return {"__type__": "global", "module": o.__module__, "name": o.__name__}
        if type(o) is tuple and not o:
            return {"__type__": "tuple", "items": []}
        if not self.shareable(o):
            raise TypeError("unexpected %r" % type(o))
        skip, out = self.open(o)
        if skip:
            return out
        if type(o) is list:
            items = [self.walk(x) for x in o]
            if out:
                out.update({"__type__": "list", "items": items})
                return out
            return items
        if type(o) is tuple:
            out.update({"__type__": "tuple", "items": [self.walk(x) for x in o]})
        elif type(o) is dict:
            out.update({"__type__": "dict", "items": [[self.walk(k), self.walk(v)] for k, v in o.items()]})
        elif type(o) is collections.OrderedDict:
            out.update({"__type__": "OrderedDict",
                        "items": [[self.walk(k), self.walk(v)] for k, v in o.items()],
                        "attrs": {k: self.walk(v) for k, v in vars(o).items()}})
        elif isinstance(o, Variable):
            d = vars(o)
            out.update({"__type__": "Variable",
                        "class": type(o).__module__ + "." + type(o).__qualname__,
                        "data": self.walk(d["_data"]), "role": d["role"],
                        "requires_grad": d["requires_grad"],
                        "grad": [self.walk(g) for g in d["_grad"]],
                        "is_leaf": d["is_leaf"], "retain_grad": d["_retain_grad"],
                        "output_nr": d["_output_nr"], "grad_fn": self.walk(d["_grad_fn"]),
                        "variable_id": d["variable_id"], "initialized": d["_initialized"],
                        "pending_grad_fn_id": d["_pending_grad_fn_id"],
                        "pending_grad": d["_pending_grad"], "pending_data": d["_pending_data"],
                        "attr_order": list(d)})
        elif isinstance(o, Node):
            d = vars(o)
            out.update({"__type__": "Node", "class": "afnio.autodiff.graph.Node",
                        "name": d["_name"], "node_id": d["node_id"],
                        "next_functions": [self.walk(e) for e in d["_next_functions"]],
                        "attr_order": list(d)})
        return out


def differ(a, b, path="value"):
    if type(a) != type(b):
        return "%s: %s vs %s" % (path, type(a).__name__, type(b).__name__)
    if isinstance(a, float):
        same = a == b and math.copysign(1, a) == math.copysign(1, b)
        return None if same else "%s: %r vs %r" % (path, a, b)
    if isinstance(a, list):
        if len(a) != len(b):
            return "%s: length %d vs %d" % (path, len(a), len(b))
        for i, (x, y) in enumerate(zip(a, b)):
            r = differ(x, y, "%s[%d]" % (path, i))
            if r:
                return r
        return None
    if isinstance(a, dict):
        if set(a) != set(b):
            return "%s: keys %s" % (path, sorted(set(a) ^ set(b)))
        for k in a:
            r = differ(a[k], b[k], path + "." + k)
            if r:
                return r
        return None
    return None if a == b else "%s: %r vs %r" % (path, a, b)


def load_with_python(path):
    with zipfile.ZipFile(path) as z:
        assert z.namelist()[0] == "data.pkl", z.namelist()
        return pickle.loads(z.read("data.pkl"))


def main():
    afnio, fixtures = sys.argv[1], sys.argv[2]
    failures = 0
    checked = 0
    print("TAP version 13")
    with tempfile.TemporaryDirectory() as tmp:
        for expected_path in sorted(glob.glob(os.path.join(fixtures, "*.expected.json"))):
            name = os.path.basename(expected_path)[:-len(".expected.json")]
            expected = json.load(open(expected_path))
            if "error" in expected:
                continue
            src = os.path.join(fixtures, name + ".hf")
            resaved = os.path.join(tmp, name + ".hf")
            packed = os.path.join(tmp, name + ".packed.hf")
            dumped = os.path.join(tmp, name + ".json")
            subprocess.run([afnio, "resave", src, resaved], check=True)
            with open(dumped, "w") as f:
                subprocess.run([afnio, "dump", src], check=True, stdout=f)
            subprocess.run([afnio, "pack", dumped, packed], check=True)
            for label, path in (("resave", resaved), ("pack", packed)):
                checked += 1
                problem = differ(Renderer().render(load_with_python(path)), expected["value"])
                if problem:
                    failures += 1
                    print("not ok %d - %s %s: %s" % (checked, label, name, problem))
                else:
                    print("ok %d - %s %s" % (checked, label, name))
    print("1..%d" % checked)
    return 1 if failures or checked == 0 else 0


if __name__ == "__main__":
    sys.exit(main())
