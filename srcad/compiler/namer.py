"""Stable, readable names for generated code.

Adjoint of ``x`` is ``dx``; temporaries are named after what they hold
(``x_matmul_w``); every name avoids the ones the user's function already uses.
"""

import builtins
import re

import gast

from .astutil import walk


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
