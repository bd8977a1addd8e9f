"""Writes through shared memory: refuse reading a value that a write changed unseen.

NumPy arrays share memory: after ``v = x[1:3]`` (a view), ``y = x`` (the same
array) or ``lst = [x]``, a write into ``x`` (``x[1] = w``, ``x += w``,
``x.sort()``) changes what ``v``, ``y`` and ``lst[0]`` hold.  The compiler
differentiates each name's value as the statement that bound it computed it, so a
read of ``v`` after such a write would be differentiated as if the write had not
happened: a wrong gradient.  This pass finds those reads and refuses them.

Names that may share memory are grouped (flow-insensitively, conservatively):
a copy, a subscript, an attribute, a view-returning call, a call of a function
srcad cannot see into, or a container display puts the names involved in one
group.  Then, in program order (loops to a fixpoint), a write into a name makes
the *other* names of its group *stale* until they are bound again; reading a
stale name is refused.  Writing into a list (``lst[0] = a``, ``lst.append(a)``)
only makes the other names for the same list stale, not its elements.
"""

import gast

from .analyze import NONDIFF_ATTRS
from .astutil import walk
from .saveplan import INPLACE_METHODS

# NumPy functions whose result may be a view of an argument.
VIEW_FUNCS = frozenset(
    {
        "asarray",
        "asanyarray",
        "ascontiguousarray",
        "asfortranarray",
        "reshape",
        "ravel",
        "transpose",
        "matrix_transpose",
        "permute_dims",
        "squeeze",
        "expand_dims",
        "swapaxes",
        "moveaxis",
        "rollaxis",
        "atleast_1d",
        "atleast_2d",
        "atleast_3d",
        "broadcast_to",
        "broadcast_arrays",
        "diagonal",
        "real",
        "imag",
        "flip",
        "fliplr",
        "flipud",
        "rot90",
        "split",
        "array_split",
        "hsplit",
        "vsplit",
        "dsplit",
        "unstack",
        "require",
        "stop_gradient",
    }
)
# Methods that always give a new object.
FRESH_METHODS = frozenset(
    {
        "copy",
        "astype",
        "sum",
        "mean",
        "prod",
        "max",
        "min",
        "std",
        "var",
        "dot",
        "cumsum",
        "cumprod",
        "round",
        "clip",
        "tolist",
        "item",
        "any",
        "all",
        "argmax",
        "argmin",
        "argsort",
        "nonzero",
        "trace",
        "flatten",
        "conj",
        "conjugate",
        "keys",
        "values",
        "items",
        "get",
        "count",
        "index",
    }
)


# In-place methods that only lists, dicts and sets have.
CONTAINER_METHODS = frozenset(
    {"append", "extend", "insert", "remove", "pop", "popitem", "clear", "update"}
    | {"setdefault", "add", "discard", "reverse"}
)


class _Groups:
    """Union-find over names."""

    def __init__(self):
        self.parent = {}

    def find(self, a):
        self.parent.setdefault(a, a)
        root = a
        while self.parent[root] != root:
            root = self.parent[root]
        while self.parent[a] != root:
            self.parent[a], a = root, self.parent[a]
        return root

    def unite(self, a, b):
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[ra] = rb

    def members(self, a):
        r = self.find(a)
        return {n for n in list(self.parent) if self.find(n) == r}


class SharedMemoryCheck:
    def __init__(self, parsed, resolver, scalars=(), sequences=()):
        self.parsed = parsed
        self.resolver = resolver
        self.scalars = set(scalars)
        self.sequences = set(sequences)
        self.memory = _Groups()  # may share memory (views, copies, containers)
        self.same = _Groups()  # may be the very same object (plain copies)
        self.writes = {}  # name -> the statement of a write into it

    def run(self, fdef):
        self.sequences |= _surely_containers(fdef)
        for n in walk(fdef):
            self._groups(n)
        self._block(fdef.body, frozenset())

    # -- who may share memory with whom -------------------------------------------------

    def _groups(self, s):
        if isinstance(s, gast.Assign):
            t = s.targets[0]
            srcs = self.sources(s.value)
            if isinstance(t, gast.Name):
                for n in srcs:
                    self.memory.unite(t.id, n)
                if isinstance(s.value, gast.Name):
                    self.same.unite(t.id, s.value.id)
            else:
                root = _root(t)
                if root is not None and (root in self.sequences or _nested(t)):
                    # a list now holds them (an array copies the values it is given)
                    for n in srcs:
                        self.memory.unite(root, n)
                for m in walk(t):  # a, b = ...: every name bound may alias the value
                    if isinstance(m, gast.Name) and isinstance(m.ctx, gast.Store):
                        for n in srcs:
                            self.memory.unite(m.id, n)
        elif isinstance(s, gast.Call) and isinstance(s.func, gast.Attribute):
            if s.func.attr in ("append", "extend", "insert"):
                root = _root(s.func.value)
                if root is not None:
                    for a in s.args:
                        for n in self.sources(a):
                            self.memory.unite(root, n)

    def sources(self, e):
        """Names whose memory the value of ``e`` may share."""
        if e is None or isinstance(e, (gast.Constant, gast.Lambda)):
            return set()
        if isinstance(e, gast.Name):
            return {e.id}
        if isinstance(e, gast.Attribute):
            if e.attr in NONDIFF_ATTRS:
                return set()
            ok, _ = self.resolver.value(e)
            return set() if ok else self.sources(e.value)
        if isinstance(e, (gast.Subscript, gast.Starred)):
            return self.sources(e.value)
        if isinstance(e, (gast.Tuple, gast.List, gast.Set)):
            return set().union(*(self.sources(x) for x in e.elts)) if e.elts else set()
        if isinstance(e, gast.Dict):
            return set().union(*(self.sources(x) for x in e.values)) if e.values else set()
        if isinstance(e, gast.IfExp):
            return self.sources(e.body) | self.sources(e.orelse)
        if isinstance(e, gast.BoolOp):  # `a or b` is one of its operands
            return set().union(*(self.sources(x) for x in e.values))
        if isinstance(e, (gast.BinOp, gast.UnaryOp, gast.Compare, gast.JoinedStr)):
            return set()
        if isinstance(e, gast.Call):
            return self._call_sources(e)
        # comprehensions and anything else: everything they read, to be safe
        return {n.id for n in walk(e) if isinstance(n, gast.Name)}

    def _call_sources(self, e):
        args = list(e.args) + [k.value for k in e.keywords]
        arg_srcs = set().union(*(self.sources(a) for a in args)) if args else set()
        kind, obj = self.resolver.call_kind(e)
        if kind == "method":
            if e.func.attr in FRESH_METHODS:
                return set()
            return self.sources(e.func.value) | arg_srcs
        if kind in ("nondiff",):
            return set()
        if kind in ("prim", "stop"):
            fname = getattr(obj, "__name__", "")
            return arg_srcs if fname in VIEW_FUNCS else set()
        return arg_srcs  # your own functions, unknown callables: may return an argument

    # -- program order: writes make the others stale ---------------------------------

    def _block(self, stmts, stale):
        for s in stmts:
            stale = self._stmt(s, stale)
        return stale

    def _stmt(self, s, stale):
        if isinstance(s, gast.If):
            self._check(s.test, stale)
            return self._block(s.body, stale) | self._block(s.orelse, stale)
        if isinstance(s, (gast.For, gast.While)):
            head = s.iter if isinstance(s, gast.For) else s.test
            self._check(head, stale)
            entry = stale
            while True:
                inner = entry
                if isinstance(s, gast.For):
                    inner = inner - {n.id for n in walk(s.target) if isinstance(n, gast.Name)}
                if isinstance(s, gast.While):
                    self._check(s.test, inner)
                out = self._block(s.body, inner)
                new = entry | out
                if new == entry:
                    return new
                entry = new
        if isinstance(s, gast.With):
            return self._block(s.body, stale)
        self._check(s, stale)
        return self._effects(s, stale)

    def _check(self, node, stale):
        if not stale or node is None:
            return
        for n in walk(node):
            if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Load) and n.id in stale:
                w = self.writes.get(n.id)
                line = self.parsed.line_of(w)[0] if w is not None else None
                at = f" (line {line})" if line else ""
                raise self.parsed.error(
                    n if getattr(n, "lineno", None) else node,
                    f"`{n.id}` may share memory with an array written in place{at} "
                    "after it was made; srcad cannot follow that change into it",
                    f"make an independent copy ({n.id} = ....copy()) or read the "
                    "written array again after the write",
                )

    def _effects(self, s, stale):
        written = self._written(s)
        for root, whole in written:
            group = self.same.members(root) if not whole else self.memory.members(root)
            others = group - {root}
            for n in others:
                self.writes[n] = s
            stale = stale | others
        bound = set()
        if isinstance(s, gast.Assign):
            for t in s.targets:
                if isinstance(t, gast.Name):
                    bound.add(t.id)
                elif isinstance(t, (gast.Tuple, gast.List)):
                    bound |= {m.id for m in walk(t) if isinstance(m, gast.Name)}
        return stale - bound

    def _written(self, s):
        """``[(name, whole)]``: names ``s`` writes into; ``whole``: its memory (an
        array, or an element of a list) rather than just the list object."""
        out = []
        if isinstance(s, gast.Assign):
            t = s.targets[0]
            if isinstance(t, gast.Subscript):
                root = _root(t)
                if root is not None:
                    nested = isinstance(t.value, (gast.Subscript, gast.Attribute))
                    out.append((root, nested or root not in self.sequences))
            aug = getattr(s, "srcad_augassign", None)
            if aug is not None and aug not in self.scalars:
                out.append((aug, aug not in self.sequences))
        for n in walk(s):
            if isinstance(n, gast.Call) and isinstance(n.func, gast.Attribute):
                if n.func.attr in INPLACE_METHODS:
                    root = _root(n.func.value)
                    if root is not None and not self.resolver.is_dotted_global(n.func.value):
                        nested = not isinstance(n.func.value, gast.Name)
                        # (arrays have no append/pop/...: those change a list or dict
                        # object, never the memory of what it holds)
                        whole = n.func.attr not in CONTAINER_METHODS and (
                            root not in self.sequences
                        )
                        out.append((root, nested or whole))
            if isinstance(n, gast.Call):
                for k in n.keywords:
                    if k.arg == "out":
                        out += [(r, True) for r in self.sources(k.value)]
        return out


_DISPLAYS = (gast.List, gast.Tuple, gast.Dict, gast.ListComp, gast.DictComp)


def _surely_containers(fdef):
    """Names every binding of which is a list, tuple or dict display."""
    values = {}
    for n in walk(fdef):
        if isinstance(n, gast.Assign):
            for t in n.targets:
                for m in walk(t):
                    if isinstance(m, gast.Name) and isinstance(m.ctx, gast.Store):
                        values.setdefault(m.id, []).append(n.value if m is t else None)
        elif isinstance(n, gast.For):
            for m in walk(n.target):
                if isinstance(m, gast.Name):
                    values.setdefault(m.id, []).append(None)
    return {k for k, vs in values.items() if all(isinstance(v, _DISPLAYS) for v in vs)}


def _nested(t):
    return isinstance(getattr(t, "value", None), (gast.Subscript, gast.Attribute))


def _root(node):
    while isinstance(node, (gast.Subscript, gast.Attribute)):
        node = node.value
    return node.id if isinstance(node, gast.Name) else None
