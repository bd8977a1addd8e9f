"""Graph nodes: the ``grad_fn`` objects of the tape.

An :class:`OpNode` holds one primitive call: the primitive's rule (from the one
registry in ``srcad.rules``), the call's arguments mapped onto the rule template's
parameters, and the result.  Its backward *is* the rule template, compiled by
``registry.backward_fn``; nothing here knows any derivative.

What a node *saves* (and so what can be freed after backward, raise E2 when needed
again, or raise E6 when modified in place) is read off the template: a parameter
the template reads by value is saved; one it only asks the shape or dtype of (through
``np.shape``, ``unbroadcast``, ``np.zeros_like``, ...) is not.

Naming (``MulBackward0``) is the tape's business and lives in ``names.py``.
"""

import inspect
import itertools
import re
import weakref

import gast
import numpy as np

from ..rules import registry
from ..runtime.core import ZERO
from . import hooks as _hooks

_SEQ = itertools.count()
_EMPTY = inspect.Parameter.empty


class _Freed:
    """Stands in for a saved value after the graph was freed."""

    __slots__ = ()

    def __repr__(self):
        return "<freed>"


FREED = _Freed()


# --------------------------------------------------------------------------------------
# Errors the graph raises (PyTorch's texts)

E2 = (
    "Trying to backward through the graph a second time (or directly access saved tensors "
    "after they have already been freed). Saved intermediate values of the graph are freed "
    "when you call .backward() or autograd.grad(). Specify retain_graph=True if you need to "
    "backward through the graph a second time or if you need to access saved tensors after "
    "calling backward."
)

_HINT = (
    " Hint: enable anomaly detection to find the operation that failed to compute its "
    "gradient, with torch.autograd.set_detect_anomaly(True, check_nan=False)."
)


def short_name(node):
    """The node name PyTorch prints inside E6 (``Mul`` for ``MulBackward0``)."""
    name = node.name()
    if "::" in name:
        return name
    return re.sub(r"Backward\d*$", "", name)


def type_string(data):
    """``torch.FloatTensor``, ``torch.cuda.DoubleTensor``, ..."""
    from .device import is_cupy  # noqa: PLC0415
    from .dtypes import NP2DT  # noqa: PLC0415

    legacy = NP2DT[data.dtype]._legacy
    return ("torch.cuda." if is_cupy(data) else "torch.") + legacy


def modified_error(data, current, saved, producer=None, output_nr=0):
    """E6: a saved tensor was modified in place after it was saved."""
    sizes = "[" + ", ".join(str(n) for n in data.shape) + "]"
    msg = (
        "one of the variables needed for gradient computation has been modified by an "
        f"inplace operation: [{type_string(data)} {sizes}]"
    )
    if producer is not None:
        msg += f", which is output {output_nr} of {short_name(producer)},"
    msg += f" is at version {current}; expected version {saved} instead." + _HINT
    return RuntimeError(msg)


# --------------------------------------------------------------------------------------
# Nodes


class NodeHooks:
    """Hook tables of one node, allocated on first use."""

    __slots__ = ("thooks", "retain", "pre", "post", "meta")

    def __init__(self):
        self.thooks = None  # output_nr -> tensor hooks of a non-leaf output
        self.retain = None  # output_nr -> weakref of a tensor that retains its grad
        self.pre = None
        self.post = None
        self.meta = None


class Node:
    """Base of every ``grad_fn``: edges to the next nodes and hook tables."""

    __slots__ = ("_next", "_seq", "_hk", "__weakref__")
    _label = None
    _nout = 1
    _fast = False  # the engine may call ``_run`` directly (a plain recorded op)

    def name(self):
        return self._label or type(self).__name__

    @property
    def next_functions(self):
        """``((node or None, input_nr), ...)``, one pair per differentiable input."""
        return self._next

    def _hooks(self):
        hk = self._hk
        if hk is None:
            hk = self._hk = NodeHooks()
        return hk

    @property
    def metadata(self):
        hk = self._hooks()
        if hk.meta is None:
            hk.meta = {}
        return hk.meta

    @property
    def requires_grad(self):
        return True

    def register_hook(self, fn):
        """``fn(grad_inputs, grad_outputs)`` runs after this node computed its grads."""
        hk = self._hooks()
        hk.post, handle = _hooks.add_hook(hk.post, fn)
        return handle

    def register_prehook(self, fn):
        """``fn(grad_outputs)`` runs before this node; a tuple it returns replaces them."""
        hk = self._hooks()
        hk.pre, handle = _hooks.add_hook(hk.pre, fn)
        return handle

    def _tensor_hooks(self, nr):
        """The hook table of this node's output ``nr`` (tensor hooks on non-leaves)."""
        hk = self._hooks()
        if hk.thooks is None:
            hk.thooks = {}
        table = hk.thooks.get(nr)
        if table is None:
            table = hk.thooks[nr] = _hooks.new_table()
        return table

    def _retain_ref(self, nr, tensor):
        hk = self._hooks()
        if hk.retain is None:
            hk.retain = {}
        hk.retain[nr] = weakref.ref(tensor)

    def _retained(self, nr):
        hk = self._hk
        if hk is None or hk.retain is None:
            return None
        ref = hk.retain.get(nr)
        return None if ref is None else ref()

    def __repr__(self):
        return f"<{type(self).__name__} object at {hex(id(self))}>"

    def __call__(self, *grads):
        tensor, wrap = _TENSOR[0], _WRAP[0]
        raw = [g._data if isinstance(g, tensor) else g for g in grads]
        out = self.apply(raw, False)
        return tuple(
            None if g is None else wrap(np.asarray(g) if isinstance(g, np.generic) else g)
            for g in out
        )

    def apply(self, grads, create):  # pragma: no cover - abstract
        raise NotImplementedError

    def release(self):
        pass


class AccumulateGrad(Node):
    """The node through which gradients reach a leaf; ``.variable`` is the leaf."""

    __slots__ = ("variable",)
    _label = "torch::autograd::AccumulateGrad"

    def __init__(self, variable):
        self._next = ()
        self._seq = next(_SEQ)
        self._hk = None
        self.variable = variable


class OpNode(Node):
    """One primitive call; backward runs the primitive's registry rule."""

    __slots__ = ("_info", "_args", "_needs", "_res", "_vers", "_emap", "_an", "_freed")
    _fast = True

    def apply(self, grads, create):
        g = grads[0]
        if g is None:
            return [None] * len(self._next)
        return self._run(g, create)

    def _run(self, g, create):
        """The rule's backward on adjoint ``g`` of the result."""
        args = self._args
        if self._freed:
            self._check_freed()
        vers = self._vers
        if vers:  # saved tensors unchanged since (else _check_versions raises E6)
            for i, ver in vers:
                if type(ver) is not int or (
                    self._res[1][0] != ver if i < 0 else args[i]._vc[0] != ver
                ):
                    self._check_versions()
                    break
        if create:
            an = self._an
            vals = [_value_create(a, i in an.read) for i, a in enumerate(args)]
            res = _result_tensor(self) if an.res else None
            grads_by_param = self._info.bwd(g, res, *vals, self._needs)
        else:
            res = self._res[0] if self._an.res else None
            tensor = _TENSOR[0]
            if len(args) == 2:  # most primitives: spelled out, no list built
                a, b = args
                grads_by_param = self._info.bwd(
                    g,
                    res,
                    a._data if isinstance(a, tensor) else (_value(a) if type(a) is list else a),
                    b._data if isinstance(b, tensor) else (_value(b) if type(b) is list else b),
                    self._needs,
                )
            else:
                vals = [
                    a._data if isinstance(a, tensor) else (_value(a) if type(a) is list else a)
                    for a in args
                ]
                grads_by_param = self._info.bwd(g, res, *vals, self._needs)
        emap = self._emap
        if type(emap) is PrefixEmap:  # edges are the first parameters, in order
            k = len(emap)
            return grads_by_param if len(grads_by_param) == k else grads_by_param[:k]
        return self._by_edge(grads_by_param)

    def _by_edge(self, grads_by_param):
        """The rule's gradients (one per template parameter) as one per edge."""
        out = []
        for pi, ei in self._emap:
            r = grads_by_param[pi]
            if ei >= 0 and r is not None:
                r = r[ei]
            out.append(r)
        return out

    def _check_freed(self):
        """E2 when a value the backward reads was freed by an earlier backward."""
        args = self._args
        for i in self._an.read:
            if args[i] is FREED:
                raise RuntimeError(E2)
        if self._an.res and self._res is FREED:
            raise RuntimeError(E2)

    def _check_versions(self):
        args = self._args
        for i, ver in self._vers:
            a = args[i]
            if i < 0:  # the result
                vc = self._res[1]
                if vc[0] != ver:
                    raise modified_error(self._res[0], vc[0], ver, self, 0)
                continue
            if isinstance(ver, tuple):
                for t, v in zip(a, ver):
                    if v is not None and t._vc[0] != v:
                        raise modified_error(t._data, t._vc[0], v, t._fn, t._nr)
            elif a._vc[0] != ver:
                raise modified_error(a._data, a._vc[0], ver, a._fn, a._nr)

    def release(self):
        if self._freed:
            return
        self._freed = True
        an = self._an
        if an.read:
            args = list(self._args)
            written = self._info.wset
            for i in an.read:
                if i in written or _holds_array(args[i]):
                    args[i] = FREED
            self._args = args
        if an.res:
            self._res = FREED


def _holds_array(a):
    if isinstance(a, (list, tuple)):
        return any(_holds_array(v) for v in a)
    return hasattr(a, "shape") and hasattr(a, "dtype")


# the Tensor class and wrap(), set by tensor.py (node.py is imported before they exist)
_TENSOR = [type(None)]
_WRAP = [None]


def _value(a):
    """A saved argument as a raw array (the fast path of backward)."""
    if isinstance(a, _TENSOR[0]):
        return a._data
    if type(a) is list:
        return [_value(v) for v in a]
    return a


def _value_create(a, read):
    """A saved argument for a backward that is itself recorded (``create_graph``)."""
    if type(a) is list:
        return [_value_create(v, read) for v in a]
    if isinstance(a, _TENSOR[0]):
        return a if read else a._data
    return a


class MultiOpNode(OpNode):
    """A primitive call with several array results (``np.split``, ``eigh``, ``slogdet``):
    output ``k`` is the node's output ``k``; the rule's template reads ``d[result]`` as
    the tuple of the outputs' adjoints, with the symbolic zero for those that got none."""

    __slots__ = ("_nout",)
    _fast = False

    def apply(self, grads, create):
        if all(g is None for g in grads):
            return [None] * len(self._next)
        return self._run(tuple(ZERO if g is None else g for g in grads), create)


def multi_node_class(name):
    """The MultiOpNode subclass called ``name``, created once."""
    key = ("multi", name)
    cls = _CLASSES.get(key)
    if cls is None:
        attrs = {"__slots__": ()}
        label = _LABELS.get(name)
        if label:
            attrs["_label"] = label
        cls = _CLASSES[key] = type(name, (MultiOpNode,), attrs)
        cls.__module__ = "srcad.tape.graph"
    return cls


def _result_tensor(node):
    """The node's saved output as a tensor whose grad_fn is the node (as PyTorch unpacks it)."""
    wrap = _WRAP[0]
    data, vc = node._res
    if type(data) in (tuple, list):
        outs = []
        for k, d in enumerate(data):
            t = wrap(d, True, node, k)
            t._vc = vc
            outs.append(t)
        return type(data)(outs)
    t = wrap(data, True, node)
    t._vc = vc
    return t


# --------------------------------------------------------------------------------------
# Rule information per primitive: the compiled backward and the save analysis


class Analysis:
    """Which template parameters a rule reads by value (saved) or only by shape (meta).

    One per rule and ``needs`` pattern, so it also caches, for the engine's inline
    path, whether the first two parameters are read (``r0``, ``r1``) and the rule's
    :func:`_plain_backward` for that pattern (``plain``: None until first asked,
    False for a rule that has none)."""

    __slots__ = ("read", "meta", "res", "r0", "r1", "plain")

    def __init__(self, read, meta, res):
        self.read = read
        self.meta = meta
        self.res = res
        self.r0 = 0 in read
        self.r1 = 1 in read
        self.plain = None


class PrefixEmap(tuple):
    """An edge map ``((0, -1), (1, -1), ..., (k-1, -1))``: the node's edges are the
    rule's first ``k`` parameters in order, so its gradients are the rule's first ``k``
    results as they are (the common case, recognized by type, not by comparing)."""

    __slots__ = ()


class Plan:
    """How to record one primitive for one pattern of inputs that need a gradient: the
    ``needs`` flags, the save analysis, the edge map, the parameters read by value in
    order (``read``) and whether the result is read (``res``)."""

    __slots__ = ("needs", "an", "emap", "read", "res")

    def __init__(self, needs, an, emap):
        self.needs = needs
        self.an = an
        self.emap = emap
        self.read = tuple(sorted(an.read))
        self.res = an.res


class OpInfo:
    """What the tape needs to know about one primitive's rule."""

    __slots__ = (
        "prim",
        "rule",
        "tpl",
        "bwd",
        "params",
        "written",
        "wset",
        "vararg",
        "_an",
        "defaults",
        "nparams",
        "_emaps",
        "pindex",
        "needs_first",
        "_plans",
        "binary",
        "npos",
        "required",
        "plan1",
        "plans2",
        "scalar_ok",
        "sbwd",
    )

    def __init__(self, prim):
        rule = registry.lookup(prim)
        if rule is None or rule.adjoint is None:
            raise LookupError(prim)
        self.prim = prim
        self.rule = rule
        self.tpl = rule.adjoint
        self.bwd = registry.backward_fn(prim)
        self.params = tuple(self.tpl.params)
        written = self.tpl.written()
        self.written = tuple(i for i, p in enumerate(self.params) if p in written)
        self.wset = frozenset(self.written)
        self.vararg = self.tpl.vararg
        self._an = {}
        sig = self.tpl.signature.parameters
        self.defaults = tuple(sig[p].default for p in self.params)
        self.nparams = len(self.params)
        self.pindex = {p: i for i, p in enumerate(self.params)}
        self.needs_first = (True,) + (False,) * (self.nparams - 1)
        # the leading ordinary parameters (all of them ordinary or keyword-only: else
        # 0, and every call binds through inspect)
        kinds = [sig[p].kind for p in self.params]
        ordinary = inspect.Parameter.POSITIONAL_OR_KEYWORD
        if all(k in (ordinary, inspect.Parameter.KEYWORD_ONLY) for k in kinds):
            self.npos = next((i for i, k in enumerate(kinds) if k is not ordinary), len(kinds))
        else:
            self.npos = -1
        self.required = tuple(i for i, d in enumerate(self.defaults) if d is _EMPTY)
        self._emaps = {}
        self._plans = {}
        self.plan1 = None  # plan((True, False, ...)), the unary fast path's
        self.plans2 = [[None, None], [None, None]]  # [ra][rb]: plan((ra, rb)), operators'
        # two parameters, both differentiable: the operators' fast path
        self.binary = self.nparams == 2 and self.written == (0, 1)
        # the backward may take NumPy scalars for 0-d float arrays (engine.execute)
        self.scalar_ok = _scalar_safe(self.tpl)
        # needs -> the backward without reductions to the arguments' shapes (or None)
        self.sbwd = {} if self.scalar_ok else None

    def emap_for(self, eparams):
        """``((param index, -1), ...)`` for the edge parameters (cached)."""
        em = self._emaps.get(eparams)
        if em is None:
            em = tuple((i, -1) for i in (self.written if eparams is None else eparams))
            if all(i == k for k, (i, _) in enumerate(em)):
                em = PrefixEmap(em)
            self._emaps[eparams] = em
        return em

    def plain_backward(self, needs):
        """The cached :func:`_plain_backward` of this (scalar-safe) rule for ``needs``."""
        fn = self.sbwd.get(needs)
        if fn is None:
            fn = self.sbwd[needs] = _plain_backward(self.tpl, needs, self.rule.name)
        return fn

    def plain_for(self, an, needs):
        """``an.plain`` filled in: the plain backward for ``needs``, or False."""
        an.plain = self.plain_backward(needs) if self.sbwd is not None else False
        return an.plain

    def plan(self, needs, eparams=None):
        """The cached :class:`Plan` for ``needs`` (a tuple of bools) and ``eparams``."""
        key = (needs, eparams)
        p = self._plans.get(key)
        if p is None:
            p = self._plans[key] = Plan(needs, self.analysis(needs), self.emap_for(eparams))
        return p

    def analysis(self, needs):
        an = self._an.get(needs)
        if an is None:
            an = self._an[needs] = _analyse(self, needs)
        return an

    def bind(self, args, kwargs):
        """The call's arguments as a tuple in template-parameter order.

        A call that plainly fits (no more positional values than leading ordinary
        parameters, keywords naming later parameters, every parameter given or
        defaulted) is bound here; anything else goes through ``inspect``, which binds
        it the same way or raises its TypeError.
        """
        n = len(args)
        if n <= self.npos:
            out = list(args)
            out += self.defaults[n:]
            ok = True
            if kwargs:
                where = self.pindex
                for k, v in kwargs.items():
                    i = where.get(k)
                    if i is None or i < n:
                        ok = False
                        break
                    out[i] = v
            if ok:
                for i in self.required:
                    if out[i] is _EMPTY:
                        ok = False
                        break
                if ok:
                    return tuple(out)
        bound = self.tpl.bind(args, kwargs)
        return tuple(bound[p] for p in self.params)

    def build(self, pos, kw=None):
        """Template arguments from leading positional values and keywords (fast path).

        Falls back to :meth:`bind` when a keyword does not name a template parameter.
        """
        out = list(pos) + list(self.defaults[len(pos) :])
        if kw:
            where = self.pindex
            for k, v in kw.items():
                i = where.get(k)
                if i is None:
                    return self.bind(pos, kw)
                out[i] = v
        return tuple(out)


_INFO = {}


def info(prim):
    """The cached :class:`OpInfo` of ``prim`` (``LookupError`` if it has no rule)."""
    try:
        return _INFO[prim]
    except KeyError:
        pass
    except TypeError:
        return OpInfo(prim)
    inf = _INFO[prim] = OpInfo(prim)
    return inf


def clear_cache():
    """Forget compiled rules: called by the registry on every (re-)registration, so
    that a rule registered again is the one the tape runs."""
    _INFO.clear()


registry.on_change(clear_cache)


# -- the save analysis ---------------------------------------------------------------

_META_ATTRS = frozenset({"shape", "ndim", "dtype", "size"})
_META_FUNCS = None


def _meta_funcs():
    global _META_FUNCS
    if _META_FUNCS is None:
        from ..runtime import core, grads  # noqa: PLC0415

        table = {
            np.shape: (0,),
            np.ndim: (0,),
            np.size: (0,),
            np.zeros_like: (0,),
            np.ones_like: (0,),
            np.empty_like: (0,),
            np.full_like: (0,),
            np.result_type: (0, 1, 2, 3),
            len: (0,),
            core.unbroadcast: (1,),
            core.zeros_like: (0,),
            core.ones_like: (0,),
            core.shape_of: (0,),
            grads.sum_to_like: (1,),
            grads.expand_reduced: (1,),
        }
        # runtime helpers that only look at the shape of some arguments
        for name, pos in (
            ("reduced_count", (0,)),
            ("mean_adjoint", (1,)),
            ("reduce_to", (1, 2)),
            ("cumsum_adjoint", (1,)),
            ("concatenate_adjoint", (1,)),
            ("stack_adjoint", (1,)),
            ("tile_adjoint", (1,)),
            ("trace_adjoint", (1,)),
        ):
            f = getattr(grads, name, None)
            if f is not None:
                table[f] = pos
        _META_FUNCS = {}
        for f, pos in table.items():
            try:
                _META_FUNCS[f] = pos
            except TypeError:  # pragma: no cover - unhashable callables
                pass
    return _META_FUNCS


def _resolve(node, glb):
    """The object a dotted name in a template refers to (or None)."""
    if isinstance(node, gast.Name):
        if node.id in glb:
            return glb[node.id]
        import builtins  # noqa: PLC0415

        return getattr(builtins, node.id, None)
    if isinstance(node, gast.Attribute):
        base = _resolve(node.value, glb)
        return getattr(base, node.attr, None) if base is not None else None
    return None


def _meta_positions(fn):
    pos = getattr(fn, "__srcad_meta_args__", None)
    if pos is not None:
        return pos
    try:
        return _meta_funcs().get(fn)
    except TypeError:
        return None


def _reads(node, glb, value, meta):
    """Collect names ``node`` reads, by value or only for their shape/dtype."""
    if isinstance(node, gast.Name):
        if isinstance(node.ctx, gast.Load):
            value.add(node.id)
        return
    if isinstance(node, gast.Subscript) and registry.d_target(node) is not None:
        return  # d[result]: the incoming gradient
    if isinstance(node, gast.Attribute) and node.attr in _META_ATTRS:
        if isinstance(node.value, gast.Name):
            meta.add(node.value.id)
            return
    if isinstance(node, gast.Call):
        pos = _meta_positions(_resolve(node.func, glb))
        if pos:
            _reads(node.func, glb, value, meta)
            for i, a in enumerate(node.args):
                if i in pos and isinstance(a, gast.Name):
                    meta.add(a.id)
                else:
                    _reads(a, glb, value, meta)
            for kw in node.keywords:
                _reads(kw.value, glb, value, meta)
            return
    for child in gast.iter_child_nodes(node):
        _reads(child, glb, value, meta)


def _analyse(inf, needs):
    tpl = inf.tpl
    glb = tpl.fn.__globals__
    params = inf.params
    value, meta = set(), set()
    for stmt in reversed(tpl.tree.body):
        if isinstance(stmt, gast.Expr) and isinstance(stmt.value, gast.Constant):
            continue  # docstring
        if isinstance(stmt, gast.Assign) and len(stmt.targets) == 1:
            target = stmt.targets[0]
            p = registry.d_target(target)
            if p is not None:
                i = params.index(p)
                if needs[i]:
                    _reads(stmt.value, glb, value, meta)
                    if inf.rule.broadcast and p != inf.vararg:
                        meta.add(p)
                continue
            names = {n.id for n in gast.walk(target) if isinstance(n, gast.Name)}
            if names and not (names & value or names & meta):
                continue  # a temporary no needed adjoint uses
        _reads(stmt, glb, value, meta)
    read = tuple(i for i, p in enumerate(params) if p in value)
    metas = tuple(i for i, p in enumerate(params) if p in meta and p not in value)
    return Analysis(frozenset(read), metas, tpl.result in value)


# -- rules that may run on NumPy scalars -----------------------------------------------
#
# The engine passes the 0-d float arrays a backward reads (arguments, result) as NumPy
# scalars of their dtype when the incoming gradient is one (engine module docstring):
# ten times cheaper.  Only for a rule whose every line is ``d[p] = expression`` with
# the expression built from names, numbers, ``d[result]``, ``+ - * /``, unary ``-``/``+``
# and NumPy ufunc calls: the same IEEE operations or the same ufunc loops on a scalar
# as on a 0-d array, and under NEP 50 the same result dtype.

_SCALAR_BINOPS = (gast.Add, gast.Sub, gast.Mult, gast.Div)
_SCALAR_UNARY = (gast.USub, gast.UAdd)


def _scalar_safe(tpl):
    """Whether the backward of template ``tpl`` may take NumPy scalars (see above); each
    expression must also read ``d[result]``, so that on an elementwise primitive its
    shape is the result's (see :func:`_plain_backward`)."""
    if tpl.vararg:
        return False
    glb = tpl.fn.__globals__
    result = tpl.result
    for stmt in tpl.tree.body:
        if isinstance(stmt, gast.Expr) and isinstance(stmt.value, gast.Constant):
            continue  # docstring
        if not (
            isinstance(stmt, gast.Assign)
            and len(stmt.targets) == 1
            and registry.d_target(stmt.targets[0]) in tpl.params
            and _scalar_expr(stmt.value, glb, result)
            and any(registry.d_target(e) == result for e in gast.walk(stmt.value))
        ):
            return False
    return True


def _scalar_expr(node, glb, result):
    if isinstance(node, gast.Name):
        return node.id != "d"
    if isinstance(node, gast.Subscript):
        return registry.d_target(node) == result
    if isinstance(node, gast.Constant):
        return type(node.value) in (int, float)
    if isinstance(node, gast.BinOp):
        return (
            isinstance(node.op, _SCALAR_BINOPS)
            and _scalar_expr(node.left, glb, result)
            and _scalar_expr(node.right, glb, result)
        )
    if isinstance(node, gast.UnaryOp):
        return isinstance(node.op, _SCALAR_UNARY) and _scalar_expr(node.operand, glb, result)
    if isinstance(node, gast.Call):
        return (
            isinstance(_resolve(node.func, glb), np.ufunc)
            and not node.keywords
            and all(_scalar_expr(a, glb, result) for a in node.args)
        )
    return False


class _GradName(gast.NodeTransformer):
    """``d[result]`` -> ``_g``."""

    def __init__(self, result):
        self.result = result

    def visit_Subscript(self, node):
        if registry.d_target(node) == self.result:
            return gast.Name("_g", gast.Load(), None, None)
        return self.generic_visit(node)


def _plain_backward(tpl, needs, name):
    """``f(_g, result, *params)`` of a scalar-safe template: the list of its gradients
    (None where ``needs`` is false), each the template's expression as it stands.

    ``registry.backward_fn`` gives the same list with each gradient of a broadcasting
    rule reduced to its argument's shape (``unbroadcast``), the identity when the
    gradient already has that shape: the engine calls this one only then (a 0-d
    result, or arguments that all have the result's shape).
    """
    import ast  # noqa: PLC0415
    import copy  # noqa: PLC0415

    exprs = {}
    for stmt in tpl.tree.body:
        if isinstance(stmt, gast.Assign):
            exprs[registry.d_target(stmt.targets[0])] = stmt.value
    items = []
    for p, need in zip(tpl.params, needs):
        e = exprs.get(p) if need else None
        if e is None:
            items.append("None")
        else:
            e = _GradName(tpl.result).visit(copy.deepcopy(e))
            items.append(ast.unparse(gast.gast_to_ast(e)))
    args = ", ".join(["_g", tpl.result, *tpl.params])
    src = f"def _plain_backward({args}):\n    return [{', '.join(items)}]\n"
    namespace = dict(tpl.fn.__globals__)
    exec(compile(src, f"<srcad plain backward of {name}>", "exec"), namespace)  # noqa: S102
    return namespace["_plain_backward"]


# --------------------------------------------------------------------------------------
# Node classes by name

_CLASSES = {}
# nodes whose name() is not their type name (C++-implemented nodes in PyTorch)
_LABELS = {
    "CopySlices": "torch::autograd::CopySlices",
    "CopyBackwards": "torch::autograd::CopyBackwards",
}


def node_class(name, label=None):
    """The OpNode subclass called ``name`` (``MulBackward0``), created once."""
    cls = _CLASSES.get(name)
    if cls is None:
        attrs = {"__slots__": ()}
        label = label or _LABELS.get(name)
        if label:
            attrs["_label"] = label
        cls = _CLASSES[name] = type(name, (OpNode,), attrs)
        cls.__module__ = "srcad.tape.graph"
    return cls
