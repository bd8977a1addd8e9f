"""The transformation cache: keyed on code, validated against the program as it is now.

Design note.  A transformation depends on more than the function's text: on the
helpers it calls (differentiated recursively, their fwd/bwd baked into the
generated code), on what each free name resolves to (a rule, a user function, a
module), on the rule registry, and on the closure cells.  So:

* an entry is keyed on the function's *code object* (plus what was asked: wrt,
  argument kinds, ...), never on the function object; closures made by one
  ``def`` share one entry;
* every free name the compiler resolved, in the function and in every helper it
  reached, is recorded while the entry is built (``Parsed.lookup``); each call
  checks those bindings again (a dict read and an ``is`` per name), and a
  redefined helper or rebound global builds a new entry;
* data bound to a name (an array, a number) is checked by type only: the
  generated code reads it at run time (globals live, closure cells re-bound into
  the generated function on each call), so it is never baked in;
* the rule registry's version is part of the key;
* each module's table is an LRU of at most ``MAX_ENTRIES`` entries, kept in the
  module's own globals (see ``_module_cache``), so it is freed with the module;
  srcad itself holds the tables only weakly.  ``clear()`` empties them all.
"""

import builtins
import collections
import inspect
import keyword
import threading
import types
import weakref

import numpy as np

MAX_ENTRIES = 512
_VARIANTS = 8  # entries per key that differ only in what their names resolve to

_LOCK = threading.RLock()
_STATE = {"builds": 0}
_MISSING = object()


def builds():
    """How many transformations were built so far (for tests and benchmarks)."""
    return _STATE["builds"]


def clear():
    """Drop every cached transformation."""
    with _LOCK:
        for mc in list(_ALL):
            mc.table.clear()


def size():
    """How many cached transformations are alive (all modules)."""
    with _LOCK:
        n = 0
        for mc in list(_ALL):
            mc.purge()
            n += len(mc.table)
        return n


_VERSION = []


def _registry_version():
    if not _VERSION:
        from ..rules import registry

        _VERSION.append(registry.VERSION)
    return _VERSION[0][0]


def fresh(entry, target):
    """The product of ``entry`` for ``target`` if the entry is still valid (the fast path
    of a transformation calling the same function again), else None."""
    if entry is None or entry.version != _registry_version():
        return None
    if type(target) is types.MethodType:
        fn, bound_self = target.__func__, target.__self__
    else:
        fn, bound_self = target, None
    if not entry.valid(fn, bound_self):
        return None
    return entry.bind(fn) if entry.rebind else entry.product


# -- what a name resolved to --------------------------------------------------------------


def _ref(obj):
    try:
        return weakref.ref(obj)
    except TypeError:
        return lambda: obj  # not weakly referenceable (modules are; ints, tuples are not)


class _Same:
    """The name must still hold this very object (a function, module, class, rule...)."""

    __slots__ = ("ref", "code", "cells", "defaults")

    def __init__(self, obj):
        self.ref = _ref(obj)
        # a function may also be a fresh object made by the same def, with the same
        # closure contents and defaults: what was generated from it still holds
        self.code = getattr(obj, "__code__", None) if inspect.isfunction(obj) else None
        self.cells = _cell_values(obj) if self.code is not None else None
        self.defaults = (obj.__defaults__, obj.__kwdefaults__) if self.code else None

    def ok(self, v):
        if self.ref() is v:
            return True
        return (
            self.code is not None
            and inspect.isfunction(v)
            and v.__code__ is self.code
            and _same_seq(_cell_values(v), self.cells)
            and _same_seq(v.__defaults__ or (), self.defaults[0] or ())
            and v.__kwdefaults__ == self.defaults[1]
        )


def _same_seq(a, b):
    return len(a) == len(b) and all(x is y for x, y in zip(a, b))


def _cell_values(fn):
    out = []
    for c in fn.__closure__ or ():
        try:
            out.append(c.cell_contents)
        except ValueError:
            out.append(_MISSING)
    return tuple(out)


class _Type:
    """Data: the generated code reads its value at run time; only its kind matters."""

    __slots__ = ("t",)

    def __init__(self, obj):
        self.t = type(obj)

    def ok(self, v):
        return type(v) is self.t


class _Absent:
    __slots__ = ()

    def ok(self, v):
        return v is _MISSING


_PLAIN = (int, float, complex, str, bytes, bool, type(None), tuple, list, dict, set, frozenset)


def _is_array(v):
    t = type(v)
    return t.__name__ in ("ndarray", "float64", "float32", "int64", "int32") and (
        t.__module__ in ("numpy", "cupy")
    )


def _check_for(value):
    """Data is checked by type (its value is read when the code runs); anything the
    compiler may have resolved through (functions, modules, objects with attributes)
    by identity."""
    if value is _MISSING:
        return _Absent()
    if isinstance(value, _PLAIN) or _is_array(value):
        return _Type(value)
    return _Same(value)


_BUILTINS = builtins.__dict__


def _read_global(fn_globals, name):
    v = fn_globals.get(name, _MISSING)
    if v is _MISSING:
        v = _BUILTINS.get(name, _MISSING)
    return v


def _read_cell(fn, index):
    try:
        return fn.__closure__[index].cell_contents
    except (ValueError, IndexError, TypeError):
        return _MISSING


def _plain(fn):
    return fn.__func__ if inspect.ismethod(fn) else fn


class _Bindings:
    """The recorded bindings of one function (the target, or a helper it reached)."""

    __slots__ = ("fnref", "selfcheck", "globals", "cells", "chains")

    def __init__(self, parsed, with_fn):
        fn = _plain(parsed.fn)
        self.fnref = _Same(fn) if with_fn else None
        bound = parsed.bound_self
        self.selfcheck = _Same(bound) if bound is not None else None
        code = getattr(fn, "__code__", None)
        free = code.co_freevars if code is not None else ()
        self.globals = []
        for name, (where, value) in parsed.looked_up.items():
            if where in ("global", "builtin", "missing") and name not in free:
                self.globals.append((name, _check_for(_MISSING if where == "missing" else value)))
        self.cells = []
        values = _cell_values(fn) if code is not None else ()
        for i, v in enumerate(values):
            # a helper's closure values are baked into its generated code: the very
            # same objects, or a new build; the target's cells are re-bound per call
            self.cells.append((i, _Same(v) if with_fn else _check_for(v)))
        self.chains = _chains(parsed, fn, free, bound)

    def ok(self, fn, bound_self=None):
        if self.selfcheck is not None and not self.selfcheck.ok(bound_self):
            return False
        g = getattr(fn, "__globals__", {})
        for name, chk in self.globals:
            v = g.get(name, _MISSING)
            if v is _MISSING:
                v = _BUILTINS.get(name, _MISSING)
            if type(chk) is _Same and chk.ref() is v:
                continue  # (the common answer, without a call)
            if not chk.ok(v):
                return False
        for i, chk in self.cells:
            if not chk.ok(_read_cell(fn, i)):
                return False
        for where, key, attrs, chk in self.chains:
            if where == "g":
                v = _read_global(g, key)
            elif where == "c":
                v = _read_cell(fn, key)
            else:
                v = bound_self
            for a in attrs:
                v = getattr(v, a, _MISSING)
            if chk.ref() is v:
                continue
            if not chk.ok(v):
                return False
        return True


def _chains(parsed, fn, free, bound):
    """``a.b.c`` in the function, rooted at a resolved name, whose value is something
    the compiler resolves (a function, a rule, a module): re-read on every call, so
    ``model.act = np.sin`` on the same object is seen."""
    import gast

    code = getattr(fn, "__code__", None)
    first = None
    args = getattr(parsed.fdef, "args", None)
    if bound is not None and args is not None:
        pos = list(getattr(args, "posonlyargs", []) or []) + list(args.args)
        first = pos[0].id if pos else None
    out, seen = [], set()
    for node in gast.walk(parsed.fdef):
        if not isinstance(node, gast.Attribute) or isinstance(node.ctx, gast.Store):
            continue
        attrs, root = [], node
        while isinstance(root, gast.Attribute):
            attrs.append(root.attr)
            root = root.value
        if not isinstance(root, gast.Name):
            continue
        attrs.reverse()
        name = root.id
        if name == first:
            where, key, v = "s", None, bound
        elif name in parsed.looked_up and parsed.looked_up[name][0] != "missing":
            if name in free and code is not None:
                where, key = "c", free.index(name)
            else:
                where, key = "g", name
            v = parsed.looked_up[name][1]
        else:
            continue
        if (where, key, tuple(attrs)) in seen:
            continue
        seen.add((where, key, tuple(attrs)))
        for a in attrs:
            v = getattr(v, a, _MISSING)
        if v is _MISSING or isinstance(v, _PLAIN) or _is_array(v):
            continue  # data: read when the code runs
        out.append((where, key, tuple(attrs), _Same(v)))
    return out


class Entry:
    """One cached transformation: what was built, and what it was built from."""

    __slots__ = (
        "product",
        "source",
        "top",
        "callees",
        "rebind",
        "version",
        "_quick",
        "__weakref__",
    )

    def quick(self):
        """:func:`quick_check` of this entry, made on first use."""
        try:
            return self._quick
        except AttributeError:
            self._quick = quick_check(self)
            return self._quick

    def valid(self, fn, bound_self):
        if not self.top.ok(fn, bound_self):
            return False
        for b in self.callees:
            callee = b.fnref.ref()
            if callee is None or not b.ok(callee, b.selfcheck.ref() if b.selfcheck else None):
                return False
        return True

    def bind(self, fn):
        """The product with the generated functions reading ``fn``'s closure cells."""
        if not self.rebind:
            return self.product
        cells = fn.__closure__
        if isinstance(self.product, tuple):
            return tuple(_rebound(p, plan, cells) for p, plan in zip(self.product, self.rebind))
        return _rebound(self.product, self.rebind[0], cells)


# objects that live as long as the process (modules, builtins, NumPy's ufuncs and
# dispatched functions such as np.dot): a check may hold them strongly
_LASTING = (types.ModuleType, types.BuiltinFunctionType, np.ufunc, type(np.dot))


def quick_check(entry):
    """A function ``check(fn, bound_self)`` made for ``entry``: True when every binding
    the entry recorded still holds the very object (or, for data, a value of the same
    type) it held, with no loop and no call per binding.  It is the common answer of
    :meth:`Entry.valid` (each of its tests implies the matching ``ok``); False means
    only "ask ``valid``", which also accepts a rebuilt function of the same ``def``.
    The cheap call (``api._fast_call``) runs it before every call."""
    env = {"M": _MISSING, "B": _BUILTINS, "E": {}, "read_cell": _read_cell}
    lines = ["def check(fn, bound_self):"]

    def name(obj):
        key = f"k{len(env)}"
        env[key] = obj
        return key

    def test(chk, v):
        if type(chk) is _Same:
            obj = chk.ref()
            if isinstance(obj, _LASTING):  # (held as it is: one call less per test)
                lines.append(f"    if {name(obj)} is not {v}: return False")
            else:
                lines.append(f"    if {name(chk.ref)}() is not {v}: return False")
        elif type(chk) is _Type:
            lines.append(f"    if type({v}) is not {name(chk.t)}: return False")
        elif type(chk) is _Absent:
            lines.append(f"    if {v} is not M: return False")
        else:
            lines.append(f"    if not {name(chk)}.ok({v}): return False")

    def binding(b, fe, se, top):
        if top and b.selfcheck is not None:
            test(b.selfcheck, se)
        lines.append(f"    g = getattr({fe}, '__globals__', E)")
        roots = {}  # a global or cell read once per binding, however many chains use it

        def root(where, key):
            if where == "s":
                return se
            if (where, key) not in roots:
                r = roots[where, key] = f"r{len(lines)}"
                if where == "g":
                    lines.append(f"    {r} = g.get({key!r}, M)")
                    lines.append(f"    if {r} is M: {r} = B.get({key!r}, M)")
                else:
                    lines.append(f"    {r} = read_cell({fe}, {key})")
            return roots[where, key]

        for gname, chk in b.globals:
            test(chk, root("g", gname))
        for i, chk in b.cells:
            test(chk, root("c", i))
        for where, key, attrs, chk in b.chains:
            v = root(where, key)
            for a in attrs:
                if a.isidentifier() and not keyword.iskeyword(a):
                    # (an attribute read, not getattr with a default: a third of the
                    # time; a missing attribute is an AttributeError, and False says
                    # "ask valid", as a missing value did)
                    lines.extend(["    try:", f"        v = {v}.{a}"])
                    lines.extend(["    except AttributeError:", "        return False"])
                else:
                    lines.append(f"    v = getattr({v}, {a!r}, M)")
                v = "v"
            test(chk, v)

    binding(entry.top, "fn", "bound_self", True)
    for k, b in enumerate(entry.callees):
        lines.append(f"    f{k} = {name(b.fnref.ref)}()")
        lines.append(f"    if f{k} is None: return False")
        se = "None"
        if b.selfcheck is not None:
            se = f"s{k}"
            lines.append(f"    {se} = {name(b.selfcheck.ref)}()")
        # (a callee's self check compares its object with itself: always true)
        binding(b, f"f{k}", se, False)
    lines.append("    return True")
    exec(compile("\n".join(lines), "<srcad cache check>", "exec"), env)
    return env["check"]


def _rebound(gen, plan, cells):
    if not plan or cells is None:
        return gen
    new = list(gen.__closure__)
    for gi, ui in plan:
        new[gi] = cells[ui]
    f = types.FunctionType(
        gen.__code__, gen.__globals__, gen.__name__, gen.__defaults__, tuple(new)
    )
    f.__kwdefaults__ = gen.__kwdefaults__
    f.__dict__.update(gen.__dict__)
    return f


def _rebind_plan(gen, fn):
    """(generated cell index, user cell index) for every user closure name the
    generated function refers to and holds the user's value under."""
    code = getattr(fn, "__code__", None)
    if not inspect.isfunction(gen) or code is None or not fn.__closure__ or not gen.__closure__:
        return ()
    user = {n: i for i, n in enumerate(code.co_freevars)}
    plan = []
    for gi, name in enumerate(gen.__code__.co_freevars):
        ui = user.get(name)
        if ui is None:
            continue
        try:
            same = gen.__closure__[gi].cell_contents is fn.__closure__[ui].cell_contents
        except ValueError:
            same = False
        if not same:
            return None  # the generated code holds something else under that name
        plan.append((gi, ui))
    return tuple(plan)


class _Bucket:
    __slots__ = ("code_ref", "entries")


class _ModuleCache:
    """The entries of the functions of one module (kept in its globals, see below)."""

    __slots__ = ("table", "version", "__weakref__")

    def __init__(self):
        self.table = collections.OrderedDict()  # key -> _Bucket
        self.version = None

    def purge(self):
        for k in [k for k, b in self.table.items() if b.code_ref() is None]:
            del self.table[k]


# Every module cache alive, weakly (for clear() and size()).
_ALL = weakref.WeakSet()
_SLOT = "__srcad_cache__"


def _module_cache(fn):
    """The cache of ``fn``'s module, stored in the module's own globals.

    Generated code runs in the user's globals, so an entry refers to that module's
    dict; kept there (as ``__warningregistry__`` is), entries and module form one
    cycle that the garbage collector frees with the module, and nothing global
    keeps a user function alive.
    """
    g = fn.__globals__
    mc = g.get(_SLOT)
    if type(mc) is not _ModuleCache:
        mc = _ModuleCache()
        g[_SLOT] = mc
        _ALL.add(mc)
    return mc


def lookup(target, extra, build):
    """The cached product for ``target`` (a function or bound method), building it with
    ``build()`` -> (product, source) when no valid entry exists.

    Returns ``(entry, product)``: the product is bound to ``target``'s closure cells.
    """
    from .parse import record_parses

    fn = _plain(target)
    bound_self = target.__self__ if inspect.ismethod(target) else None
    code = getattr(fn, "__code__", None)
    if code is None or not isinstance(getattr(fn, "__globals__", None), dict):
        product, source = build()
        return None, product
    version = _registry_version()
    key = (id(code), id(bound_self) if bound_self is not None else None, extra)
    with _LOCK:
        mc = _module_cache(fn)
        if mc.version != version:
            mc.table.clear()
            mc.version = version
        bucket = mc.table.get(key)
        if bucket is not None and bucket.code_ref() is not code:
            bucket = None
            del mc.table[key]
        if bucket is not None:
            mc.table.move_to_end(key)
            for e in bucket.entries:
                if e.valid(fn, bound_self):
                    return e, e.bind(fn)
        with record_parses() as seen:
            product, source = build()
        entry = _make_entry(product, source, seen, fn)
        entry.version = version
        _STATE["builds"] += 1
        if bucket is None:
            bucket = _Bucket()
            bucket.code_ref = weakref.ref(code)
            bucket.entries = []
            mc.table[key] = bucket
        bucket.entries.insert(0, entry)
        del bucket.entries[_VARIANTS:]
        if len(mc.table) > MAX_ENTRIES:
            mc.purge()
            while len(mc.table) > MAX_ENTRIES:
                mc.table.popitem(last=False)
        return entry, entry.bind(fn)


def _make_entry(product, source, seen, fn):
    e = Entry()
    e.product, e.source = product, source
    top, callees, done = None, [], set()
    for p in seen:
        pf = _plain(p.fn)
        if pf is fn and top is None:
            top = _Bindings(p, with_fn=False)
            continue
        k = (id(pf), id(p.bound_self))
        if k in done:
            continue
        done.add(k)
        callees.append(_Bindings(p, with_fn=True))
    if top is None:  # nothing was parsed (a product made without the compiler)
        top = _Nothing()
    e.top, e.callees = top, callees
    gens = product if isinstance(product, tuple) else (product,)
    plans = [_rebind_plan(g, fn) for g in gens]
    if any(p is None for p in plans):
        # cannot re-bind: pin the closure contents by identity instead
        top.cells = [(i, _Same(v)) for i, v in enumerate(_cell_values(fn))]
        plans = [()] * len(gens)
    e.rebind = tuple(plans) if any(plans) else ()
    if e.rebind and fn.__closure__:
        # every call re-binds the user's cells: the entry keeps no closure value alive
        empty = [types.CellType() for _ in fn.__closure__]
        stripped = tuple(_rebound(g, p, empty) for g, p in zip(gens, plans))
        e.product = stripped if isinstance(product, tuple) else stripped[0]
    return e


class _Nothing:
    cells = ()

    def ok(self, fn, bound_self=None):
        return True
