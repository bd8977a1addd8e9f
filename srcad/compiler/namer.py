"""Stable, readable names for generated code.

Adjoint of ``x`` is ``dx``; temporaries are named after what they hold
(``x_matmul_w``, ``scaled_t``, ``total``: see ``describe``); every name avoids the
ones the user's function already uses.
"""

import builtins
import re

import gast

from .astutil import walk
from .vocab import OPNAMES, OPVERBS, OPWORDS


class Namer:
    def __init__(self, taken=()):
        self.taken = set(taken)

    @classmethod
    def for_function(cls, fdef):
        names = {n.id for n in walk(fdef) if isinstance(n, gast.Name)}
        return cls(names)

    @staticmethod
    def _shadows_builtin(name):
        # a generated `min = ...` would break the `min(len(X), len(Y))` srcad writes
        return hasattr(builtins, name)

    def fresh(self, base):
        base = re.sub(r"\W+", "_", base).rstrip("_") or "t"
        if base[0].isdigit():
            base = "t_" + base
        if len(base) > 32:
            base = base[:32].rstrip("_")
        name = base
        k = 1
        while name in self.taken or self._shadows_builtin(name):
            k += 1
            name = f"{base}{k}"
        self.taken.add(name)
        return name

    def reserve(self, name):
        self.taken.add(name)


class AdjointNames:
    """Maps primal names to their adjoint names (``x`` -> ``dx``), stable per function."""

    def __init__(self, namer, prefix="d"):
        self.namer = namer
        self.prefix = prefix
        self.map = {}

    def __call__(self, name):
        adj = self.map.get(name)
        if adj is None:
            adj = self.namer.fresh(self.prefix + name)
            self.map[name] = adj
        return adj


def describe(node):
    """A name for a temporary holding ``node``'s value (``x @ w`` -> ``x_matmul_w``)."""
    return _describe_raw(node).lstrip("_") or "t"


_LONG = 14  # an operand name longer than this is not repeated in the new name


def _describe_raw(node):
    if isinstance(node, gast.BinOp) and (
        len(_short(node.left)) > _LONG or len(_short(node.right)) > _LONG
    ):
        return OPWORDS.get(type(node.op), "t")
    if isinstance(node, gast.Call) and node.args and len(_short(node.args[0])) > _LONG:
        f = node.func
        return f.attr if isinstance(f, gast.Attribute) else getattr(f, "id", "call")
    if isinstance(node, gast.BinOp) and not isinstance(node.op, gast.Pow):
        left_c, right_c = (isinstance(x, gast.Constant) for x in (node.left, node.right))
        if left_c != right_c:
            other = node.right if left_c else node.left
            verb = OPVERBS.get(type(node.op))
            if verb:
                return f"{verb}_{_short(other)}"
    if isinstance(node, gast.BinOp):
        return f"{_short(node.left)}_{OPNAMES.get(type(node.op), 'op')}_{_short(node.right)}"
    if isinstance(node, gast.UnaryOp):
        return f"{OPNAMES.get(type(node.op), 'op')}_{_short(node.operand)}"
    if isinstance(node, gast.Call):
        f = node.func
        fname = f.attr if isinstance(f, gast.Attribute) else getattr(f, "id", "call")
        return f"{fname}_{_short(node.args[0])}" if node.args else fname
    if isinstance(node, gast.Subscript):
        return f"{_short(node.value)}_item"
    if isinstance(node, gast.Attribute):
        return f"{_short(node.value)}_{node.attr}"
    if isinstance(node, gast.Tuple):
        return "tup"
    if isinstance(node, gast.List):
        return "lst"
    if isinstance(node, gast.Dict):
        return "dct"
    return "t"


def _short(node):
    if isinstance(node, gast.Name):
        return node.id
    if isinstance(node, gast.Constant):
        return str(node.value).replace(".", "_").replace("-", "m")
    if isinstance(node, gast.Call):
        f = node.func
        return f.attr if isinstance(f, gast.Attribute) else getattr(f, "id", "call")
    return "t"
