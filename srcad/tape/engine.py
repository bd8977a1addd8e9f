"""The backward engine: walk the graph from the roots in reverse topological order.

Dependencies are counted first, then nodes run when every gradient they will receive
has arrived (latest-created first, as PyTorch's ready queue does).  Without
``create_graph`` gradients are raw arrays and rules run on them directly; with it they
are tensors and the rules run with grad mode on, so the backward pass is recorded and
can itself be differentiated.

The gradient of a 0-d value flows between recorded ops as a NumPy scalar of its dtype
(``g[()]``), not a 0-d array: NumPy's arithmetic on 0-d arrays costs ten times its
arithmetic on scalars, and gives a scalar anyway, so rules already meet both; under
NEP 50 a scalar promotes exactly as the 0-d array of its dtype.  Every place a
gradient leaves the inlined path of :meth:`_GraphTask.execute` (:meth:`run_node`:
leaves, hooks, captures, custom functions and other nodes) turns a scalar back into
a fresh 0-d array (:func:`_as_array`), so what users and nodes other than recorded
ops see is an ndarray as before.  On that path, a rule of plain arithmetic and ufuncs
(``OpInfo.scalar_ok``) with a float scalar gradient also reads the 0-d float values
it saved (arguments, result) as scalars, and such a rule runs without reducing its
gradients to the inputs' shapes (``node._plain_backward``) when they already have
them: a 0-d result, or every input that needs a gradient shaped like the result.
"""

import operator
import warnings

import numpy as np

from ..runtime import fpstate
from . import profiling as _profiling
from .device import owned_copy, writeable
from .grad_mode import STATE
from .node import _SEQ, FREED, AccumulateGrad, Node, PrefixEmap, _holds_array, _value
from .tensor import Tensor, edge, wrap

__all__ = ["backward", "grad"]

W2 = (
    "Using backward() with create_graph=True will create a reference cycle between the "
    "parameter and its gradient which can cause a memory leak. We recommend using "
    "autograd.grad when creating the graph to avoid this. If you have to use this function, "
    "make sure to reset the .grad fields of your parameters to None after use to break the "
    "cycle and avoid the leak."
)


_WARNED = [False]


class CopyBackwards(Node):
    """grad_fn of a leaf's ``.grad`` set by ``backward(create_graph=True)``."""

    __slots__ = ()
    _label = "torch::autograd::CopyBackwards"

    def __init__(self, src_edge):
        self._seq = next(_SEQ)
        self._hk = None
        self._next = ((None, 0), src_edge)

    def apply(self, grads, create):
        return [None, grads[0]]


# --------------------------------------------------------------------------------------
# Public entry points


def _as_tuple(x, n=None):
    if x is None:
        return (None,) * (n or 0)
    if isinstance(x, Tensor):
        return (x,)
    return tuple(x)  # a float raises PyTorch's "'float' object is not iterable"


def _make_grads(outputs, grads):
    out = []
    for i, (t, g) in enumerate(zip(outputs, grads)):
        if isinstance(g, Tensor):
            if g._data.shape != t._data.shape:
                raise RuntimeError(
                    f"Mismatch in shape: grad_output[{i}] has a shape of {g.shape} and "
                    f"output[{i}] has a shape of {t.shape}."
                )
            out.append(g)
        elif g is None:
            if t._rg:
                if t._data.size != 1:
                    raise RuntimeError("grad can be implicitly created only for scalar outputs")
                if t._data.dtype.kind == "c":
                    raise RuntimeError(
                        "grad can be implicitly created only for real scalar outputs but got "
                        f"{t.dtype}"
                    )
                d = t._data
                if type(d) is np.ndarray:  # (np.ones_like without its Python wrappers)
                    one = np.empty(d.shape, d.dtype)
                    one.fill(1)
                    out.append(wrap(one))
                else:
                    out.append(wrap(np.ones_like(d)))
            else:
                out.append(None)
        else:
            raise TypeError(f"gradients can be either Tensors or None, but got {type(g).__name__}")
    return out


def backward(
    tensors,
    grad_tensors=None,
    retain_graph=None,
    create_graph=False,
    grad_variables=None,
    inputs=None,
):
    """Accumulate gradients of ``tensors`` into the leaves' ``.grad``.

    ``grad_tensors`` weights each output (required for outputs with more than one
    element).  Example: ``srcad.autograd.backward([y1, y2], [g1, g2])``.
    """
    if grad_variables is not None and grad_tensors is None:
        grad_tensors = grad_variables
    tensors = _as_tuple(tensors)
    grads = _as_tuple(grad_tensors, len(tensors))
    if create_graph and not _WARNED[0]:
        _WARNED[0] = True  # PyTorch warns once per process (TORCH_WARN_ONCE)
        warnings.warn(W2, UserWarning, stacklevel=3)
    if retain_graph is None:
        retain_graph = create_graph
    seeds = _make_grads(tensors, grads)
    if inputs is not None:
        inputs = _as_tuple(inputs)
        if not inputs:
            raise RuntimeError("'inputs' argument to backward() cannot be empty.")
        for t in inputs:
            if isinstance(t, Tensor) and t._fn is not None:
                t.retain_grad()  # PyTorch: non-leaf inputs get .grad (and retain it)
    run_backward(tensors, seeds, retain_graph, create_graph, inputs, accumulate=True)


def grad(
    outputs,
    inputs,
    grad_outputs=None,
    retain_graph=None,
    create_graph=False,
    only_inputs=True,
    allow_unused=None,
    is_grads_batched=False,
    materialize_grads=False,
):
    """The gradients of ``outputs`` with respect to ``inputs``, as a tuple.

    Never writes ``.grad``.  Example::

        (g,) = srcad.autograd.grad((x ** 3).sum(), x, create_graph=True)
    """
    outputs = _as_tuple(outputs)
    inputs = _as_tuple(inputs)
    grads = _as_tuple(grad_outputs, len(outputs))
    if allow_unused is None:
        allow_unused = materialize_grads
    if retain_graph is None:
        retain_graph = create_graph
    seeds = _make_grads(outputs, grads)
    result = run_backward(outputs, seeds, retain_graph, create_graph, inputs, accumulate=False)
    out = []
    for i, (t, g) in enumerate(zip(inputs, result)):
        if g is None:
            if materialize_grads:
                g = wrap(np.zeros_like(t._data))
            elif not allow_unused:
                raise RuntimeError(
                    f"The differentiated Tensor at index {i} appears to not have been used in "
                    "the graph. Set allow_unused=True if this is the desired behavior."
                )
        out.append(g)
    return tuple(out)


# --------------------------------------------------------------------------------------
# The engine


def run_backward(roots, seeds, retain_graph, create_graph, inputs=None, accumulate=True):
    """Run backward from ``roots`` seeded with ``seeds`` (tensors or None).

    With ``accumulate`` leaves get ``.grad`` (only those in ``inputs`` when given);
    without it the gradients reaching ``inputs`` are returned as a list.  The stages
    are PyTorch's: check the roots, count dependencies, seed the input buffers, then
    run ready nodes, accumulating what each returns into the buffers of its successors.
    """
    root_edges = _root_edges(roots)
    targets = _targets(inputs)
    task = _GraphTask(retain_graph, create_graph, accumulate, targets)
    task.compute_dependencies(root_edges)
    task.seed(root_edges, seeds, roots)
    task.execute(root_edges)
    if targets is None or accumulate:
        return None
    return task.results(inputs)


def _root_edges(roots):
    edges = []
    for i, t in enumerate(roots):
        if not t._rg:
            raise RuntimeError(
                f"element {i} of tensors does not require grad and does not have a grad_fn"
            )
        edges.append(edge(t))
    return edges


def _targets(inputs):
    """``{edge: [positions in inputs]}`` for ``autograd.grad``/``backward(inputs=)``."""
    if inputs is None:
        return None
    targets = {}
    for i, t in enumerate(inputs):
        if not isinstance(t, Tensor):
            raise TypeError(
                f"expected Tensor as element {i} in argument 1, but got {type(t).__name__}"
            )
        if not t._rg:
            raise RuntimeError("One of the differentiated Tensors does not require grad")
        targets.setdefault(edge(t), []).append(i)
    return targets


class _GraphTask:
    """One backward pass: the nodes to run, in order, and their input buffers."""

    def __init__(self, retain_graph, create_graph, accumulate, targets):
        self.retain = retain_graph
        self.create = bool(create_graph)
        self.accumulate = accumulate
        self.targets = targets
        self.captured = {} if targets is not None else None
        self.buffers = {}
        self.order = ()
        self.needed = self.run = self.special = None

    # -- stage 1: the nodes to run, in order ------------------------------------------

    def compute_dependencies(self, root_edges):
        """Every node reachable from the roots, latest-created first (only those that
        lead to ``inputs`` when given).

        A node is always created after the nodes its edges lead to (an op's inputs
        exist before it runs), so creation order is a topological order: run
        latest-created first, a node has received every gradient it will get by its
        turn.  This is the order of PyTorch's ready queue (the latest-created ready
        node runs first), found without counting dependencies.
        """
        seen = {n for n, _ in root_edges}
        stack = list(seen)
        sinks = []  # reached nodes with no successor
        pop, push, add = stack.pop, stack.append, seen.add
        while stack:
            n = pop()
            dead = True
            for m, _ in n._next:
                if m is not None:
                    dead = False
                    if m not in seen:
                        add(m)
                        push(m)
            if dead:
                sinks.append(n)
        order = sorted(seen, key=_SEQ_KEY, reverse=True)
        if self.targets is not None:
            tnodes = {n for n, _ in self.targets}
            if tnodes.issuperset(sinks):
                # every path ends at a target: every node leads to one, and every
                # node with a successor runs (the common autograd.grad of leaves)
                self.needed = None  # (every node reached: nothing to skip)
                self.run = seen.difference(sinks)
                self.special = tnodes
            else:
                self.needed, self.run = _needed(order, tnodes)
                order = [n for n in order if n in self.needed]
                self.special = (self.needed - self.run) | tnodes
        self.order = order

    # -- stage 2: seeding -------------------------------------------------------------

    def seed(self, root_edges, seeds, roots):
        """Put each root's seed gradient (in the root's dtype) into its node's buffer."""
        for (n, nr), s, t in zip(root_edges, seeds, roots):
            if s is None:
                continue
            if self.create:
                if s._data.dtype != t._data.dtype:
                    s = s.to(t.dtype)
            else:
                s = s._data
                if s.dtype != t._data.dtype:
                    s = s.astype(t._data.dtype)
                if type(s) is np.ndarray and not s.ndim:
                    s = s[()]  # a 0-d gradient flows as a NumPy scalar (module docstring)
            self.add_to_buffer(n, nr, s)

    def add_to_buffer(self, n, nr, g):
        """Accumulate ``g`` into input ``nr`` of node ``n``.

        The buffer of a node with one input is the gradient itself; of a node with
        several (``n._nout``), a list with one entry per input."""
        buffers = self.buffers
        if n._nout == 1:
            old = buffers.get(n)
            buffers[n] = g if old is None else old + g
            return
        buf = buffers.get(n)
        if buf is None:
            buf = buffers[n] = [None] * n._nout
        old = buf[nr]
        buf[nr] = g if old is None else old + g

    # -- stage 3: running nodes in order ----------------------------------------------

    def execute(self, root_edges=None):
        """Run the nodes latest-created first.

        The common node (a recorded op with no hooks and one input, which received a
        gradient; no profiler; no ``inputs`` capture) takes the inlined path below;
        every other goes through :meth:`run_node`, which handles hooks, leaves,
        captures and profiling.  Both do the same: call the node, free its saved
        values unless ``retain_graph``, add each result into its successor's buffer.
        """
        buffers, needed = self.buffers, self.needed
        create, retain = self.create, self.retain
        pop, get = buffers.pop, buffers.get
        special = self.special  # captured or not run: the general path (None: none)
        if special is not None:
            for m in special:
                if m._fast:
                    break
            else:
                special = None  # (those nodes take the general path anyway: not _fast)
        profiling = _profiling.ACTIVE
        tensor = Tensor
        ndarray, real_scalars = np.ndarray, _REAL_SCALARS
        prev, prev_bw = STATE.enabled, STATE.in_backward
        STATE.enabled = create
        STATE.in_backward = True
        errors = fpstate.enter(divide="ignore", invalid="ignore", over="ignore")
        try:
            for n in self.order:
                g = pop(n, None)
                if (
                    g is None
                    or not n._fast  # (a _fast node has one input: ``_nout`` is 1)
                    or n._hk is not None
                    or profiling[0] is not None
                    or (special is not None and n in special)
                ):
                    self.run_node(n, g)
                    continue
                an = n._an
                args = n._args
                if create or n._freed or len(args) != 2:
                    outs = n._run(g, create)
                    if not retain and not n._freed:
                        if an.read or an.res:
                            n.release()
                        else:  # nothing saved to free
                            n._freed = True
                else:  # OpNode._run spelled out for a two-parameter rule
                    vers = n._vers
                    if vers:
                        for i, ver in vers:
                            if type(ver) is not int or (
                                n._res[1][0] != ver if i < 0 else args[i]._vc[0] != ver
                            ):
                                n._check_versions()  # raises E6
                                break
                    a0, b0 = args
                    a = (
                        a0._data
                        if isinstance(a0, tensor)
                        else (a0 if type(a0) is not list else _value(a0))
                    )
                    b = (
                        b0._data
                        if isinstance(b0, tensor)
                        else (b0 if type(b0) is not list else _value(b0))
                    )
                    inf = n._info
                    r = n._res[0] if an.res else None
                    plain = an.plain  # (None: not looked up yet)
                    if plain is None:
                        plain = inf.plain_for(an, n._needs)
                    if plain is False:
                        outs = inf.bwd(g, r, a, b, n._needs)
                    elif (
                        type(g) in real_scalars
                        and (type(a) is not ndarray or not a.ndim)
                        and (type(b) is not ndarray or not b.ndim)
                        and (type(r) is not ndarray or not r.ndim)
                    ):
                        # a 0-d gradient of 0-d values: nothing to reduce, and the
                        # rule reads the 0-d float values as scalars too
                        if an.r0 and type(a) is ndarray and a.dtype.kind == "f":
                            a = a[()]
                        if an.r1 and type(b) is ndarray and b.dtype.kind == "f":
                            b = b[()]
                        if type(r) is ndarray and r.dtype.kind == "f":
                            r = r[()]
                        outs = plain(g, r, a, b)
                    else:
                        needs = n._needs
                        gs = getattr(g, "shape", None)
                        if (not needs[0] or (type(a) is ndarray and a.shape == gs)) and (
                            not needs[1] or (type(b) is ndarray and b.shape == gs)
                        ):  # every needed input has the gradient's shape: no reduction
                            outs = plain(g, r, a, b)
                        else:
                            outs = inf.bwd(g, r, a, b, needs)
                    if type(n._emap) is not PrefixEmap:  # (else zip below takes the first)
                        outs = n._by_edge(outs)
                    if not retain:  # OpNode.release spelled out for two parameters
                        n._freed = True
                        read = an.read
                        if read:
                            written = inf.wset
                            kept = [a0, b0]
                            for i in read:
                                v = kept[i]
                                if isinstance(v, tensor) or i in written or _holds_array(v):
                                    kept[i] = FREED
                            n._args = kept
                        if an.res:
                            n._res = FREED
                for (m, nr), gm in zip(n._next, outs):
                    if gm is None or m is None or (needed is not None and m not in needed):
                        continue
                    if m._nout == 1:
                        old = get(m)
                        buffers[m] = gm if old is None else old + gm
                        continue
                    buf = get(m)
                    if buf is None:
                        buf = buffers[m] = [None] * m._nout
                    old = buf[nr]
                    buf[nr] = gm if old is None else old + gm
        finally:
            fpstate.leave(errors)
            STATE.enabled = prev
            STATE.in_backward = prev_bw

    def run_node(self, n, buf):
        """Call ``n`` on its buffered gradients (``buf``, see :meth:`add_to_buffer`)
        with hooks, captures and profiling."""
        create = self.create
        if n._nout == 1:
            grads = [buf if create or not isinstance(buf, np.generic) else np.asarray(buf)]
        elif buf is None:
            grads = [None] * n._nout
        else:
            grads = buf if create else [_as_array(g) for g in buf]
        hk = n._hk
        if hk is not None:
            if hk.thooks or hk.retain:
                grads = _tensor_hooks(hk, grads, create)
            if hk.pre:
                grads = _node_prehooks(hk.pre, grads, create)
        if type(n) is AccumulateGrad:
            _leaf(n, grads[0], create, self.accumulate, self.targets, self.captured)
            return
        if self.targets is not None:
            self.capture(n, grads)
            if n not in self.run:
                return
        if _profiling.ACTIVE[0] is None:
            outs = self.call(n, grads)
        else:
            with _profiling.Span(f"autograd::engine::evaluate_function: {n.name()}"):
                outs = self.call(n, grads)
        if not self.retain:
            n.release()
        if hk is not None and hk.post:
            _node_posthooks(hk.post, outs, grads, create)
        self.pass_on(n, outs)

    def capture(self, n, grads):
        """Keep the gradients flowing into an ``inputs`` edge of a non-leaf node."""
        for nr in range(n._nout):
            if (n, nr) in self.targets:
                self.captured[(n, nr)] = grads[nr]

    def call(self, n, grads):
        """The node's backward, or all-None when no gradient reached it."""
        if grads[0] is None if len(grads) == 1 else all(g is None for g in grads):
            return [None] * len(n._next)
        outs = n.apply(grads, self.create)
        if len(outs) != len(n._next):
            outs = list(outs) + [None] * (len(n._next) - len(outs))
        return outs

    # -- stage 4: accumulating into successors ----------------------------------------

    def pass_on(self, n, outs):
        """Add each output gradient into its successor's buffer."""
        needed = self.needed
        for (m, nr), g in zip(n._next, outs):
            if m is None or (needed is not None and m not in needed):
                continue
            if g is not None:
                self.add_to_buffer(m, nr, g)

    def results(self, inputs):
        """The captured gradients, one per entry of ``inputs`` (``autograd.grad``)."""
        out = [None] * len(inputs)
        for e, idxs in self.targets.items():
            g = self.captured.get(e)
            if g is None:
                continue
            for i in idxs:
                out[i] = _as_result(g, inputs[i], self.create)
        return out


_SEQ_KEY = operator.attrgetter("_seq")


_REAL_SCALARS = frozenset({np.float64, np.float32})


def _as_array(g):
    """``g``, a raw gradient, with a NumPy scalar made a fresh 0-d array."""
    return np.asarray(g) if isinstance(g, np.generic) else g


def _needed(order, target_nodes):
    """Nodes from which a target is reachable, and those among them that must run.

    ``order`` is latest-created first, so every node's successors come after it:
    walked backwards, a node is settled once its successors are.
    """
    needed, run = set(), set()
    for n in reversed(order):
        for m, _ in n._next:
            if m is not None and m in needed:
                needed.add(n)
                run.add(n)
                break
        else:
            if n in target_nodes:
                needed.add(n)
    return needed, run


def _as_result(g, t, create):
    if isinstance(g, Tensor):
        return g
    d = t._data
    if not hasattr(g, "dtype"):  # a number from a rule (or the symbolic zero)
        from ..runtime import is_zero  # noqa: PLC0415

        g = np.zeros_like(d) if is_zero(g) else np.full_like(d, g)
    elif isinstance(g, np.generic):  # a NumPy scalar (0-d results): a fresh 0-d array
        g = np.asarray(g)
    if g.dtype != d.dtype:
        g = g.astype(d.dtype)
    elif not writeable(g):
        g = g.copy()
    if g.shape != d.shape:
        g = np.broadcast_to(g, d.shape).copy()
    return wrap(g)


# --------------------------------------------------------------------------------------
# Hooks, leaves, retained grads


def _hook_name(fn):
    return getattr(fn, "__name__", None) or type(fn).__name__


def run_hooks(table, g, create):
    """Run tensor hooks in order; each may replace the gradient (E15, E15b)."""
    if create:
        gt = g
    elif isinstance(g, np.generic):
        gt = wrap(np.asarray(g))
    else:
        gt = wrap(g if type(g) is np.ndarray and writeable(g) else g.copy())
    for fn in list(table.values()):
        r = fn(gt)
        if r is None:
            continue
        if not isinstance(r, Tensor):
            raise TypeError(f"expected Variable, but hook returned '{type(r).__name__}'")
        if r._data.shape != gt._data.shape:
            raise RuntimeError(f"hook '{_hook_name(fn)}' has changed the size of value")
        gt = r
    return gt if create else gt._data


def _tensor_hooks(hk, grads, create):
    grads = list(grads)
    th = hk.thooks
    if th:
        for nr, table in th.items():
            if table and grads[nr] is not None:
                grads[nr] = run_hooks(table, grads[nr], create)
    ret = hk.retain
    if ret:
        for nr, ref in ret.items():
            t = ref()
            if t is not None and grads[nr] is not None:
                _retain_into(t, grads[nr], create)
    return grads


def _retain_into(t, g, create):
    """Accumulate ``g`` into a non-leaf's ``.grad`` (retain_grad)."""
    if g is None:
        return
    cur = t._grad
    if create:
        t._grad = g.clone() if cur is None else cur + g
        return
    if cur is None:
        t._grad = wrap(_owned(g, t._data.dtype))
    else:
        t._grad = wrap(_as_array(cur._data + g))


def _owned(g, dtype):
    """A writable, contiguous copy of ``g`` in ``dtype`` that nothing else refers to."""
    return owned_copy(g, dtype)


def _leaf(n, g, create, accumulate, targets, captured):
    var = n.variable
    x = var._x
    if g is not None and x is not None and x.hooks:
        g = run_hooks(x.hooks, g, create)
    if targets is not None:
        if (n, 0) not in targets:
            return
        captured[(n, 0)] = g
        if not accumulate:
            return
    if g is None:
        return
    _accumulate(var, g, create)
    if x is not None and x.pahooks:
        for fn in list(x.pahooks.values()):
            fn(var)


def _accumulate(var, g, create):
    """Add ``g`` into ``var.grad`` (in place, as PyTorch does without create_graph)."""
    d = var._data
    cur = var._grad
    if not create:
        if g.shape != d.shape:
            g = np.broadcast_to(g, d.shape) if g.size <= d.size else g.reshape(d.shape)
        if cur is None:
            var._grad = wrap(_owned(g, d.dtype))
        else:
            cd = cur._data
            if writeable(cd) and cd.dtype == d.dtype:
                cd += g
                cur._vc[0] += 1
            else:
                var._grad = wrap(_as_array(cd + g))
        return
    if g._data.dtype != d.dtype:
        g = g.to(var.dtype)
    if cur is None:
        if g._rg:
            var._grad = wrap(g._data.copy(), True, CopyBackwards(edge(g)))
        else:
            var._grad = wrap(g._data.copy())
    else:
        var._grad = cur + g


def _node_prehooks(table, grads, create):
    gs = tuple(None if g is None else (g if create else wrap(_as_array(g))) for g in grads)
    for fn in list(table.values()):
        r = fn(gs)
        if r is not None:
            gs = tuple(r)
    return [None if g is None else (g if create else g._data) for g in gs]


def _node_posthooks(table, outs, grads, create):
    gi = tuple(None if g is None else (g if create else wrap(_as_array(g))) for g in outs)
    go = tuple(None if g is None else (g if create else wrap(_as_array(g))) for g in grads)
    for fn in list(table.values()):
        r = fn(gi, go)
        if r is not None:
            gi = tuple(r)
            for i, g in enumerate(gi):
                outs[i] = None if g is None else (g if create else g._data)
