"""Writes through shared memory: refuse reading a value that a write changed unseen.

NumPy arrays share memory: after ``v = x[1:3]`` (a view), ``y = x`` (the same
array) or ``lst = [x]``, a write into ``x`` (``x[1] = w``, ``x += w``,
``x.sort()``) changes what ``v``, ``y`` and ``lst[0]`` hold.  The compiler
differentiates each name's value as the statement that bound it computed it, so a
read of ``v`` after such a write would be differentiated as if the write had not
happened: a wrong gradient.  This pass finds those reads and refuses them.

The analysis follows memory through the function in program order (loops to a
fixpoint, branches merged): every value that may be new memory gets a token for
the statement that made it (a parameter has its own), and a name holds the tokens
of the memory it may share: a copy, a subscript, an attribute, a view-returning
call, or a call srcad cannot see into keeps its operands' tokens; a list or dict
display has a token of its own plus those of what it holds.  A write into a name
writes its tokens and makes every *other* name holding one of them *stale* until
it is bound again; reading a stale name is refused.  Writing into a list
(``lst[0] = a``, ``lst.append(a)``) writes only the list's own token, not the
memory of what it holds.

``y -= v`` is the exception: it writes into memory only if ``y`` is an array at run
time; for a number (``Y[i]`` of a 1-D ``Y``, ``np.dot`` of two vectors) it rebinds
``y``, and only the values can tell which.  A read of what it would make stale
marks the statement instead, and the generated code checks before it
(``_rt.check_element``): a number goes on, an array is refused there with the
line (``mode="auto"`` then runs that call on the tape).
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


class _State:
    """``env``: name -> tokens of the memory it may share; ``stale``: names a write
    changed behind their back; ``maybe``: (name, statement) pairs: the name is stale
    only if the augmented assignment ``statement`` wrote into an array."""

    __slots__ = ("env", "stale", "maybe")

    def __init__(self, env, stale=frozenset(), maybe=frozenset()):
        self.env = env
        self.stale = stale
        self.maybe = maybe

    def merge(self, other):
        env = dict(self.env)
        for k, v in other.env.items():
            env[k] = env.get(k, frozenset()) | v
        return _State(
            env,
            self.stale | other.stale,
            self.maybe | other.maybe,
        )

    def but(self, **kw):
        vals = {k: getattr(self, k) for k in self.__slots__}
        vals.update(kw)
        return _State(**vals)

    def __eq__(self, other):
        return all(getattr(self, k) == getattr(other, k) for k in self.__slots__)

    __hash__ = None


class SharedMemoryCheck:
    def __init__(self, parsed, resolver, scalars=(), sequences=()):
        self.parsed = parsed
        self.resolver = resolver
        self.scalars = set(scalars)
        self.sequences = set(sequences)
        self.writes = {}  # name -> the statement whose write made it stale
        self.guards = {}  # id -> augmented assignment checked at run time
        self._calls = {}  # id(statement) -> its calls (a loop's body is run to a fixpoint)

    def run(self, fdef):
        self.sequences |= _surely_containers(fdef)
        args = fdef.args
        params = [a.id for a in list(getattr(args, "posonlyargs", []) or []) + args.args]
        params += [a.id for a in args.kwonlyargs]
        env = {p: frozenset({("param", p)}) for p in params}
        self._block(fdef.body, _State(env))
        for s in self.guards.values():
            s.srcad_alias_guard = self.parsed.line_of(s)[0]

    # -- what memory a value may share ------------------------------------------------

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

    def _tokens(self, e, s, st):
        """Tokens of the value of ``e``, computed by statement ``s``.

        A container's own object is ``("obj", site)`` (or a parameter's token); what
        it holds is wrapped as ``("in", token)``, so writing into the list object
        does not touch its elements' memory, and taking an element unwraps them.
        """
        toks = set()
        for n in self.sources(e):
            held = st.env.get(n, {("free", n)})
            toks |= held if isinstance(e, gast.Name) else {_unwrap(t) for t in held}
        if isinstance(e, (gast.List, gast.Tuple, gast.Dict, gast.Set, gast.ListComp)):
            toks = {_wrap(t) for t in toks} | {("obj", id(s))}
        elif not isinstance(e, (gast.Name, gast.Subscript, gast.Attribute, gast.Starred)):
            toks.add(("mem", id(s)))  # may be new memory (a call, arithmetic)
        return frozenset(toks)

    def _held(self, e, st):
        """Every token (unwrapped) of the names the value of ``e`` may share."""
        out = set()
        for n in self.sources(e):
            out |= {_unwrap(t) for t in st.env.get(n, ())}
        return out

    # -- program order ------------------------------------------------------------------

    def _block(self, stmts, st):
        for s in stmts:
            st = self._stmt(s, st)
        return st

    def _stmt(self, s, st):
        if isinstance(s, gast.If):
            self._check(s.test, st)
            return self._block(s.body, st).merge(self._block(s.orelse, st))
        if isinstance(s, (gast.For, gast.While)):
            self._check(s.iter if isinstance(s, gast.For) else s.test, st)
            entry = st
            while True:
                inner = entry
                if isinstance(s, gast.For):
                    toks = frozenset({("mem", id(s))})
                    inner = self._bind(_age(inner, s, toks, ()), s.target, toks)
                else:
                    self._check(s.test, inner)
                new = entry.merge(self._block(s.body, inner))
                if new == entry:
                    return new
                entry = new
        if isinstance(s, gast.With):
            return self._block(s.body, st)
        self._check(s, st)
        return self._effects(s, st)

    def _check(self, node, st):
        if node is None or not (st.stale or st.maybe):
            return
        for n in walk(node):
            if not (isinstance(n, gast.Name) and isinstance(n.ctx, gast.Load)):
                continue
            if n.id in st.stale:
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
            for m, s in st.maybe:
                if m == n.id:
                    self.guards[id(s)] = s

    def _bind(self, st, target, toks):
        names = {m.id for m in walk(target) if isinstance(m, gast.Name)}
        env = dict(st.env)
        for n in names:
            env[n] = toks
        maybe = frozenset(p for p in st.maybe if p[0] not in names)
        return st.but(env=env, stale=st.stale - names, maybe=maybe)

    def _effects(self, s, st):
        self._overlap(s, st)
        # writes first (`x[i] = v` and `x = x + y` from `x += y` read the old x)
        for root, whole, aug in self._written(s):
            toks = st.env.get(root, frozenset({("free", root)}))
            if whole:  # the memory of the value and of everything it holds
                toks = frozenset(_unwrap(t) for t in toks)
                hit = {
                    n for n, v in st.env.items() if n != root and {_unwrap(t) for t in v} & toks
                }
            else:  # only the list or dict object itself, and what holds it
                toks = frozenset(t for t in toks if t[0] != "in")
                # (a dict or list holding this list sees the change: `d = {"k": L};
                # L.append(v); sum(d["k"])` gave the appended values no gradient,
                # FINDINGS A8)
                toks = toks | frozenset(("in", t) for t in toks)
                hit = {n for n, v in st.env.items() if n != root and v & toks}
            if aug:
                # `y -= v` writes into memory only when `y` is an array, and `y`
                # may be a number (`Y[i]` of a 1-D `Y`, `np.dot` of vectors): a
                # read of what it would change gets a check at run time instead
                st = st.but(maybe=st.maybe | {(n, s) for n in hit})
                continue
            for n in hit:
                self.writes[n] = s
            st = st.but(stale=st.stale | hit)
        if isinstance(s, gast.Assign):
            t = s.targets[0]
            if isinstance(t, gast.Subscript):
                root = _root(t)
                if root is not None and (root in self.sequences or _nested(t)):
                    # a list now holds the value (an array copies the values it is given)
                    env = dict(st.env)
                    held = {_wrap(t) for t in self._tokens(s.value, s, st)}
                    env[root] = env.get(root, frozenset()) | held
                    st = st.but(env=env)
            else:
                toks = self._tokens(s.value, s, st)
                st = self._bind(_age(st, s, toks, self._held(s.value, st)), t, toks)
        for n in self._calls_in(s):
            f = n.func
            if isinstance(f, gast.Attribute) and f.attr in ("append", "extend", "insert"):
                root = _root(n.func.value)
                if root is not None:
                    env = dict(st.env)
                    for a in n.args:
                        held = {_wrap(t) for t in self._tokens(a, s, st)}
                        env[root] = env.get(root, frozenset()) | held
                    st = st.but(env=env)
        return st

    def _overlap(self, s, st):
        """``x[i] = v`` where ``v`` may be a view of ``x``'s memory: the generated code
        checks at run time that the regions do not overlap (``_rt.check_overlap``)."""
        if not (isinstance(s, gast.Assign) and isinstance(s.targets[0], gast.Subscript)):
            return
        root = _root(s.targets[0])
        if root is None or root in self.sequences or _nested(s.targets[0]):
            return
        mine = {_unwrap(t) for t in st.env.get(root, {("free", root)})}
        if mine & self._held(s.value, st):
            s.srcad_overlap_guard = self.parsed.line_of(s)[0]

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
                    out.append((root, nested or root not in self.sequences, False))
            aug = getattr(s, "srcad_augassign", None)
            if aug is not None and aug not in self.scalars:
                out.append((aug, aug not in self.sequences, True))
        for n in self._calls_in(s):
            if isinstance(n.func, gast.Attribute):
                if n.func.attr in INPLACE_METHODS:
                    root = _root(n.func.value)
                    if root is not None and not self.resolver.is_dotted_global(n.func.value):
                        nested = not isinstance(n.func.value, gast.Name)
                        # (arrays have no append/pop/...: those change a list or dict
                        # object, never the memory of what it holds)
                        whole = n.func.attr not in CONTAINER_METHODS and (
                            root not in self.sequences
                        )
                        out.append((root, nested or whole, False))
            for k in n.keywords:
                if k.arg == "out":
                    out += [(r, True, False) for r in self.sources(k.value)]
        return out

    def _calls_in(self, s):
        """The calls in statement ``s``, in ``walk`` order (the tree does not change
        while the check runs)."""
        calls = self._calls.get(id(s))
        if calls is None:
            calls = self._calls[id(s)] = [n for n in walk(s) if isinstance(n, gast.Call)]
        return calls


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


def _age(st, s, toks, inherited):
    """Before statement ``s`` binds new memory: what its earlier runs made (in a loop)
    is no longer the newest object of ``s``, so a later write into the new object
    does not touch it.  Tokens ``("mem"|"obj", site)`` stand for the newest object
    made at a site and ``("old", token)`` for all the earlier ones together (the
    recency abstraction).  When the new value may be the old memory itself (a view
    of it), nothing is renamed."""
    fresh = {t for t in toks if t[0] in ("mem", "obj") and t[1] == id(s)}
    if not fresh or fresh & set(inherited):
        return st
    held = set().union(*st.env.values()) if st.env else set()
    if not any(t in held or ("in", t) in held for t in fresh):
        return st
    env = {n: frozenset(_older(t, fresh) for t in v) for n, v in st.env.items()}
    return st.but(env=env)


def _older(t, fresh):
    if t in fresh:
        return ("old", t)
    if t[0] == "in" and t[1] in fresh:
        return ("in", ("old", t[1]))
    return t


def _wrap(t):
    return t if t[0] == "in" else ("in", t)


def _unwrap(t):
    return t[1] if t[0] == "in" else t


def _nested(t):
    return isinstance(getattr(t, "value", None), (gast.Subscript, gast.Attribute))


def _root(node):
    while isinstance(node, (gast.Subscript, gast.Attribute)):
        node = node.value
    return node.id if isinstance(node, gast.Name) else None
