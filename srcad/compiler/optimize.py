"""Passes over generated code that make it read (and run) like hand-written code.

Each pass takes and returns a list of statements (gast) and is safe on its own:

* ``fold_constants``: ``(2 - 1)`` -> ``1``, ``x ** 1`` -> ``x``, ``x * 1`` -> ``x``,
  identity helpers such as ``_rt.masked(g, True)`` -> ``g``;
* ``propagate_copies``: ``a = b`` followed by reads of ``a`` becomes reads of ``b``
  when both are assigned exactly once (no loop or branch can change either);
* ``eliminate_dead_code``: assignments whose target is never read, and whose
  value has no side effect, are removed (repeated until nothing changes);
* ``drop_repeated_comments``: one ``# Grad of:`` line per run of statements;
* ``terms.collect_like_terms``: terms of an adjoint sum that are one product up to a
  number written as that product (``d * (0.5 * r) + (d * r) * 0.5`` -> ``d * r``), to
  rounding (its own module);
* ``masks.share_masks``: ``np.where`` calls testing one comparison read one mask
  (its own module), exact;
* ``negations.cancel_negations``: signs that cancel, bit for bit (its own module);
* ``double_repeated_terms``: ``a = E`` then ``a = a + E`` -> ``a = a + a`` (the two
  adjoints of ``x * x``), exact: ``E`` is computed once instead of twice;
* ``drop_float_identities``: ``x - 0.0``, ``x * 1.0``, ``x / 1.0`` -> ``x`` inside an
  expression, for an ``x`` that surely holds floating point (templates bound to
  constants: the adjoint of ``np.logaddexp(0.0, -z)`` reads ``logistic(-z - 0.0)``).

``optimize=False`` in the API skips all of them.  Loop-invariant values are not
pushed every iteration and zero-initialised adjoints are never emitted: those
two are decided while the code is generated (reverse.py), not here.
"""

import contextvars

import gast

from ..runtime.core import NUMPY_WRITERS
from .astutil import child_fields, least_fixpoint, name_readers, walk
from .masks import share_masks
from .negations import _FLOAT_RESULTS, cancel_negations, floating_names, surely_floating
from .terms import collect_like_terms
from .vocab import FOLDABLE, appended_list, assigns_one_name, const, is_attr_of, is_call_of, name

# Runtime helpers that return their first argument when another argument is a
# given constant: (helper name, argument index, constant).
_IDENTITY_HELPERS = {("masked", 1, True), ("masked", 1, None)}
_PURE_CALLS = {"np", "_rt", "math"}  # (their names, when nothing was resolved)
# the names under which the function being optimized reaches those modules
_MODULE_ROOTS = contextvars.ContextVar("module_roots", default=None)
# calls under those names that change something: never dropped
_EFFECTS = NUMPY_WRITERS | frozenset(
    {
        "pop",
        "append",
        "seed",
        "add_at_inplace",
        "restore_item",
        "check_element",
        "save",
        "savez",
        "savetxt",
        "seterr",
    }
)


def _fold_power_deriv(node):
    """``_rt.power_deriv(x, c)`` for a constant ``c >= 1`` is ``c * x ** (c - 1)``
    (finite at ``x = 0``; the helper is needed only for exponents below 1)."""
    f = node.func
    if (
        isinstance(f, gast.Attribute)
        and f.attr == "power_deriv"
        and len(node.args) == 2
        and not node.keywords
        and _num(node.args[1])
        and node.args[1].value >= 1
    ):
        c = node.args[1].value
        x = node.args[0]
        power = gast.BinOp(x, gast.Pow(), const(c - 1))
        return gast.BinOp(const(c), gast.Mult(), power)
    return None


def fold_constants(stmts):
    return [_fold(s) for s in stmts]


def _fold(node):
    """Constants folded bottom-up (a NodeTransformer's order, over the fields that can
    hold a node only)."""
    for field in child_fields(node):
        v = getattr(node, field, None)
        if isinstance(v, list):
            for i, item in enumerate(v):
                if isinstance(item, gast.AST):
                    v[i] = _fold(item)
        elif isinstance(v, gast.AST):
            setattr(node, field, _fold(v))
    if isinstance(node, gast.BinOp):
        return _fold_binop(node)
    if isinstance(node, gast.Call):
        return _fold_call(node)
    return node


def _fold_binop(node):
    left, right = node.left, node.right
    if _num(left) and _num(right):
        try:
            value = _apply(node.op, left.value, right.value)
        except Exception:  # noqa: BLE001 - leave anything odd (1/0) as written
            return node
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return const(value)
    if isinstance(node.op, gast.Pow) and _is(right, 1):
        return left
    if isinstance(node.op, gast.Mult):
        if _is(right, 1) and not isinstance(right.value, float):
            return left
        if _is(left, 1) and not isinstance(left.value, float):
            return right
    if (
        isinstance(node.op, gast.Add)
        and isinstance(right, gast.UnaryOp)
        and isinstance(right.op, gast.USub)
    ):
        return gast.BinOp(left, gast.Sub(), right.operand)  # a + -b -> a - b
    if (
        isinstance(node.op, (gast.Add, gast.Sub))
        and _is(right, 0)
        and not isinstance(right.value, float)
    ):
        return left
    return node


def _fold_call(node):
    f = node.func
    folded = _fold_power_deriv(node)
    if folded is not None:
        return _fold(folded)
    if isinstance(f, gast.Attribute) and isinstance(f.value, gast.Name):
        for helper, k, value in _IDENTITY_HELPERS:
            if (
                f.attr == helper
                and len(node.args) > k
                and isinstance(node.args[k], gast.Constant)
                and node.args[k].value is value
                and not node.keywords
            ):
                return node.args[0]
    _drop_default_args(node)
    return node


_HELPER_PARAMS = {}  # runtime helper name -> (the helper, its parameters)


def _drop_default_args(node):
    """``_rt.mean_adjoint(g, x, None, False, True)`` -> ``_rt.mean_adjoint(g, x)``:
    trailing arguments that only repeat a runtime helper's defaults."""
    import inspect

    f = node.func
    if not (
        isinstance(f, gast.Attribute)
        and isinstance(f.value, gast.Name)
        and f.value.id.startswith("_rt")
        and not node.keywords
    ):
        return
    from .. import runtime

    fn = getattr(runtime, f.attr, None)
    params = _HELPER_PARAMS.get(f.attr)
    if params is None or params[0] is not fn:
        try:
            params = (fn, list(inspect.signature(fn).parameters.values()))
        except (TypeError, ValueError):
            params = (fn, None)
        _HELPER_PARAMS[f.attr] = params
    params = params[1]
    if params is None:
        return
    args = node.args
    while args and len(args) <= len(params):
        p = params[len(args) - 1]
        last = args[-1]
        if (
            p.default is inspect.Parameter.empty
            or not isinstance(last, gast.Constant)
            or last.value is not p.default
            and last.value != p.default
            or type(last.value) is not type(p.default)
        ):
            break
        args.pop()


def _num(n):
    return (
        isinstance(n, gast.Constant)
        and isinstance(n.value, (int, float))
        and not isinstance(n.value, bool)
    )


def _is(n, v):
    return _num(n) and n.value == v


def _apply(op, a, b):
    return FOLDABLE[type(op)](a, b)


def _assign_counts(stmts):
    counts = {}
    for s in stmts:
        for n in walk(s):
            if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Store):
                counts[n.id] = counts.get(n.id, 0) + 1
            elif isinstance(n, (gast.For,)) and isinstance(n.target, gast.Name):
                pass
    return counts


def propagate_copies(stmts, protected=()):
    """Replace single-assignment copies ``a = b`` (``b`` also assigned once) by ``b``.

    Only top-level statements are considered; names in ``protected`` (parameters,
    the returned names) are never removed.
    """
    counts = _assign_counts(stmts)
    params = set(protected)
    subst = {}
    out = []
    for s in stmts:
        if (
            isinstance(s, gast.Assign)
            and len(s.targets) == 1
            and isinstance(s.targets[0], gast.Name)
            and isinstance(s.value, gast.Name)
            and counts.get(s.targets[0].id) == 1
            and counts.get(s.value.id, 0) <= (0 if s.value.id in params else 1)
            and s.targets[0].id not in params
        ):
            src = subst.get(s.value.id, s.value.id)
            subst[s.targets[0].id] = src
            continue
        out.append(_Rename(subst).visit(s) if subst else s)
    return out


def drop_round_trip_copies(stmts):
    """``b = a`` right after ``a = b`` (comments between allowed) rebinds ``b`` to the
    object it holds: dropped, in every block (what the adjoint of ``z = z - m`` leaves
    when ``m`` has none: ``dz_in = dz`` then ``dz = dz_in``).  The first copy is then
    dead code when nothing else reads it."""
    out = []
    prev = None
    for s in stmts:
        for field in ("body", "orelse"):
            inner = getattr(s, field, None)
            if isinstance(inner, list) and not isinstance(s, gast.FunctionDef):
                setattr(s, field, drop_round_trip_copies(inner))
        if getattr(s, "srcad_comment", None) is not None:
            out.append(s)
            continue
        if (
            prev is not None
            and assigns_one_name(s)
            and isinstance(s.value, gast.Name)
            and s.value.id == prev.targets[0].id
            and s.targets[0].id == prev.value.id
        ):
            continue
        copy = assigns_one_name(s) and isinstance(s.value, gast.Name)
        prev = s if copy else None
        out.append(s)
    return out


class _Rename(gast.NodeTransformer):
    def __init__(self, subst):
        self.subst = subst

    def visit_Name(self, node):
        if isinstance(node.ctx, gast.Load) and node.id in self.subst:
            new = name(self.subst[node.id], node.ctx)
            if getattr(node, "srcad_fullop", False):  # (the same value at the same place)
                new.srcad_fullop = True
            return new
        return node


def eliminate_dead_code(stmts, live_out=()):
    """Drop pure assignments whose values nothing reads later (liveness).

    A backward liveness analysis over the structured code (loops to a fixpoint,
    ``break``/``continue`` taken as reaching the loop head, which is a superset of
    what is live after the loop): a pure assignment none of whose names is live
    after it is dropped, and so is a ``for`` loop over a ``range`` left with nothing
    to do.  So a forward loop whose values the backward sweep recomputes, or a
    running sum that only fed the value, goes away.  A branch stays even when empty:
    its test may raise (the truth value of an array).
    """
    live = _Liveness(stmts)
    live.before(stmts, frozenset(live_out), None)
    return _drop_dead(stmts, live.dead)


class _Liveness:
    def __init__(self, stmts):
        self.dead = {}  # id(statement) -> whether it can go
        self._facts = {}
        bound = {}
        for s in stmts:
            for n in walk(s):
                if isinstance(n, gast.Assign):
                    for t in n.targets:
                        for m in _names_in(t):
                            bound.setdefault(m, []).append(n.value)
                elif isinstance(n, (gast.For, gast.AugAssign, gast.With, gast.NamedExpr)):
                    for m in _stores(n):
                        bound.setdefault(m, []).append(None)
        self.ranges = {n for n, vs in bound.items() if all(_is_range(v) for v in vs)}
        # names bound only to list displays: `lst.append(v)` on one binds it anew
        # (a list nothing reads afterwards goes, appends and all)
        self.lists = {n for n, vs in bound.items() if all(isinstance(v, gast.List) for v in vs)}

    def before(self, stmts, live, head):
        """Names live before ``stmts`` given ``live`` after them; ``head``: what is
        live at the head of the innermost enclosing loop (``break``, ``continue``)."""
        for s in reversed(stmts):
            live = self.stmt(s, live, head)
        return live

    def facts(self, s):
        """``(pure targets or None, names it binds, names it reads)`` of a simple
        statement, computed once (loops run the analysis many times)."""
        got = self._facts.get(id(s))
        if got is None:
            names = _pure_targets(s)
            appended = _list_append(s, self.lists)
            if names is not None:
                got = (names, set(names), _loads(s.value))
            elif appended is not None:
                got = ([appended], {appended}, _loads(s))
            else:
                got = (None, _stores(s), _loads(s))
            self._facts[id(s)] = got
        return got

    def stmt(self, s, live, head):
        if isinstance(s, gast.If):
            body = self.before(s.body, live, head)
            orelse = self.before(s.orelse, live, head)
            return body | orelse | self.header_loads(s.test)
        if isinstance(s, (gast.For, gast.While)):
            return self.loop(s, live, head)
        if isinstance(s, (gast.Break, gast.Continue)):
            return head if head is not None else live
        names, stores, loads = self.facts(s)
        if isinstance(s, gast.Return):
            return loads
        if names is not None:
            self.dead[id(s)] = not any(n in live for n in names)
            if self.dead[id(s)]:
                return live
        return (live - stores) | loads

    def header_loads(self, e):
        got = self._facts.get(id(e))
        if got is None:
            got = self._facts[id(e)] = _loads(e)
        return got

    def loop(self, s, live, head):
        targets = _stores(s.target) if isinstance(s, gast.For) else set()
        at_head = live
        while True:
            inner = self.before(s.body, at_head, at_head)
            new = at_head | (inner - targets)
            if isinstance(s, gast.While):
                new |= self.header_loads(s.test)
            if new == at_head:
                break
            at_head = new
        after_else = self.before(s.orelse, live, head)
        idle = all(self.dead.get(id(b)) or isinstance(b, gast.Pass) for b in s.body)
        iterates_range = isinstance(s, gast.For) and (
            _is_range(s.iter) or (isinstance(s.iter, gast.Name) and s.iter.id in self.ranges)
        )
        self.dead[id(s)] = bool(iterates_range and idle and not s.orelse and not (targets & live))
        if self.dead[id(s)]:
            return live  # a loop over a range left with nothing to do
        return (
            at_head | after_else | self.header_loads(s.iter if isinstance(s, gast.For) else s.test)
        )


def run_invariant_loops_once(stmts):
    """``for i in r: <body>`` whose body gives the same values on every pass becomes
    ``if len(r) > 0: <body>`` (``r`` a name bound only to ``range(...)``).

    That is what dead-code elimination leaves of a forward loop whose only surviving
    statements compute loop invariants for the backward sweep (``neg_x = -x``).  The
    body qualifies when it is all pure assignments to names, reads neither the loop
    variable nor any name it assigns before assigning it (nothing carried from one
    pass to the next), and the loop has no ``else``; the loop variable must not be
    read outside loops that bind it again.  Then every pass recomputes the first
    pass's values, and an empty range runs nothing either way."""
    ranges = _strict_range_names(stmts)
    free_reads = _reads_outside_own_loops(stmts)
    return _invariant_loops_in(stmts, ranges, free_reads)


def _invariant_loops_in(stmts, ranges, free_reads):
    out = []
    for s in stmts:
        for field in ("body", "orelse"):
            block = getattr(s, field, None)
            if isinstance(block, list) and block and not isinstance(s, gast.FunctionDef):
                setattr(s, field, _invariant_loops_in(block, ranges, free_reads))
        if (
            isinstance(s, gast.For)
            and not s.orelse
            and isinstance(s.iter, gast.Name)
            and s.iter.id in ranges
            and isinstance(s.target, gast.Name)
            and s.target.id not in free_reads
            and _invariant_body(s.body, s.target.id)
        ):
            nonempty = gast.Compare(
                gast.Call(name("len"), [name(s.iter.id)], []), [gast.Gt()], [const(0)]
            )
            s = gast.If(nonempty, s.body, [])
        out.append(s)
    return out


def _invariant_body(body, target):
    later = set()  # names assigned by this statement or a later one
    for st in body:
        if _pure_targets(st) is None or not isinstance(st.targets[0], gast.Name):
            return False
    for st in reversed(body):
        later.add(st.targets[0].id)
        if _loads(st.value) & (later | {target}):
            return False
    return True


def _strict_range_names(stmts):
    """Names whose every binding is an assignment ``r = range(...)`` (not ``reversed``,
    not a loop target or anything else)."""
    module = gast.Module(body=list(stmts), type_ignores=[])
    stores, _ = _name_uses(module)
    ranges = {}
    for n in walk(module):
        if (
            isinstance(n, gast.Assign)
            and len(n.targets) == 1
            and isinstance(n.targets[0], gast.Name)
            and _is_range(n.value)
            and n.value.func.id == "range"
        ):
            ranges[n.targets[0].id] = ranges.get(n.targets[0].id, 0) + 1
    return {m for m, k in ranges.items() if stores.get(m) == k}


def _reads_outside_own_loops(stmts):
    """Names read somewhere not inside a ``for`` loop that binds that very name."""
    found = set()

    def visit(node, bound):
        if isinstance(node, gast.For):
            visit(node.iter, bound)
            inner = bound | ({node.target.id} if isinstance(node.target, gast.Name) else set())
            for b in node.body + node.orelse:
                visit(b, inner)
            return
        if isinstance(node, gast.Name) and isinstance(node.ctx, gast.Load):
            if node.id not in bound:
                found.add(node.id)
            return
        for child in gast.iter_child_nodes(node):
            visit(child, bound)

    for s in stmts:
        visit(s, frozenset())
    return found


def _is_range(e):
    """``range(...)`` or ``reversed(range(...))`` of plain names and numbers."""
    if not isinstance(e, gast.Call) or not isinstance(e.func, gast.Name):
        return False
    if e.func.id == "reversed" and len(e.args) == 1:
        return _is_range(e.args[0])
    return e.func.id == "range" and not e.keywords and all(_pure(a) for a in e.args)


def _names_in(t):
    return [m.id for m in walk(t) if isinstance(m, gast.Name)]


def _list_append(s, lists):
    """``lst`` for a statement ``lst.append(v)`` with ``v`` pure and ``lst`` among
    ``lists`` (bound only to list displays), else None."""
    lst = appended_list(s)
    if lst in lists and _pure(s.value.args[0]):
        return lst
    return None


def _drop_dead(stmts, dead):
    out = []
    for s in stmts:
        if dead.get(id(s)):
            continue
        if isinstance(s, (gast.For, gast.While, gast.If)):
            s.body = _drop_dead(s.body, dead) or [gast.Pass()]
            s.orelse = _drop_dead(s.orelse, dead)
        out.append(s)
    return out


def _stores(node):
    return {n.id for n in walk(node) if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Store)}


def _pure_targets(s):
    """The names a pure assignment binds (``None`` for any other statement)."""
    if not isinstance(s, gast.Assign) or len(s.targets) != 1:
        return None
    t = s.targets[0]
    if isinstance(t, gast.Name):
        names = [t.id]
    elif isinstance(t, gast.Tuple) and all(isinstance(e, gast.Name) for e in t.elts):
        names = [e.id for e in t.elts]
    else:
        return None
    return names if _pure(s.value) else None


def _loads(node):
    return {n.id for n in walk(node) if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Load)}


def _pure(e):
    for n in walk(e):
        if isinstance(n, gast.Call):
            if getattr(n, "srcad_pure", False):  # (the compiler resolved it: builtin sum)
                continue
            f = n.func
            root = f
            while isinstance(root, gast.Attribute):
                root = root.value
            # (the names that resolve to NumPy, math or the runtime: driver.module_roots)
            roots = _MODULE_ROOTS.get()
            if roots is None:
                roots = _PURE_CALLS
            if not (isinstance(root, gast.Name) and root.id in roots):
                return False
            if isinstance(f, gast.Attribute) and f.attr in _EFFECTS:
                return False
            if any(k.arg == "out" for k in n.keywords):
                return False
            chain = f
            while isinstance(chain, gast.Attribute):
                if chain.attr == "random":  # a draw advances the generator
                    return False
                chain = chain.value
    return True


def accumulate_in_place(fdef, rt_name="_rt"):
    """``dx = _rt.add_at(dx, x, i, g)`` in a loop copies ``dx`` every time; when no
    other name can share ``dx``'s array, add in place instead (``add_at_inplace``).

    ``dx`` qualifies when every assignment to it is ``ZERO`` or an ``add_at`` call
    (both give a fresh array or the symbolic zero) and every read of it is the first
    argument of such a call, an operand of arithmetic other than ``+``/``-`` (which
    copies) or the return value: then nothing else ever holds the same array.
    """
    ok = {}
    safe_reads = set()
    loads = []
    candidates = []
    for n in walk(fdef):
        if isinstance(n, gast.Assign):
            t0 = n.targets[0]
            if len(n.targets) == 1 and isinstance(t0, gast.Name):
                v = n.value
                written = is_call_of(v, rt_name, "scatter_distinct")  # (a new array)
                fresh = (
                    (isinstance(v, gast.Constant) and v.value == 0.0)
                    or is_attr_of(v, rt_name, "ZERO")
                    or is_call_of(v, rt_name, "add_at")
                    or written
                )
                ok[t0.id] = ok.get(t0.id, True) and fresh
                if fresh and isinstance(v, gast.Call) and not written:
                    candidates.append(n)
            else:
                for m in walk(t0):
                    if isinstance(m, gast.Name):
                        ok[m.id] = False
        elif isinstance(n, gast.Call):
            if (
                (is_call_of(n, rt_name, "add_at") or is_call_of(n, rt_name, "instantiate"))
                and n.args
                and isinstance(n.args[0], gast.Name)
            ):
                safe_reads.add(id(n.args[0]))  # (instantiate only returns it, at the end)
        elif isinstance(n, gast.BinOp) and not isinstance(n.op, (gast.Add, gast.Sub)):
            # (``ZERO + g`` is ``g`` itself, so a sum may share its operand's array)
            for side in (n.left, n.right):
                if isinstance(side, gast.Name):
                    safe_reads.add(id(side))
        elif isinstance(n, gast.Return):
            v = n.value
            if isinstance(v, gast.Name):
                safe_reads.add(id(v))
            elif isinstance(v, gast.Tuple):
                safe_reads |= {id(e) for e in v.elts if isinstance(e, gast.Name)}
        elif isinstance(n, gast.Name) and isinstance(n.ctx, gast.Load):
            loads.append(n)
    for n in loads:
        if ok.get(n.id) and id(n) not in safe_reads:
            ok[n.id] = False
    for n in candidates:
        t = n.targets[0].id
        first = n.value.args[0] if n.value.args else None
        if ok.get(t) and isinstance(first, gast.Name) and first.id == t:
            n.value.func.attr = "add_at_inplace"
    return fdef


def keep_scalar_spreads(fdef, rt_name="_rt"):
    """``d = _rt.expand_to(s, shape)`` (a number spread over an array) becomes ``d = s``
    when ``d`` is bound once and every read of it is an operand of ``+ - * /`` whose
    other operand has that shape (``shapes.mark_scalar_spreads`` marked both; a
    reduction's adjoint with its axes kept, ``srcad_spread == "product"``, only where
    every read is a factor of ``*`` or ``/``): the
    elements and the result shape are the same, without making the array.  (The
    result's dtype follows the other operand, as NumPy's rules for a Python number
    give: a float32 array stays float32.)  Returns whether any spread was kept."""
    stores, loads = _name_uses(fdef)
    kept = False
    for n in walk(fdef):
        if not (isinstance(n, gast.Assign) and getattr(n, "srcad_spread", False)):
            continue
        d = n.targets[0].id
        reads = loads.get(d, [])
        mark = "srcad_fullmul" if n.srcad_spread == "product" else "srcad_fullop"
        if (
            stores.get(d) == 1
            and reads
            and all(getattr(r, mark, False) for r in reads)
            and is_call_of(n.value, rt_name, "expand_to")  # (not a masked(...) left over)
            and n.value.args
        ):
            n.value = n.value.args[0]
            kept = True
    return kept


def _name_uses(node):
    """``(stores, loads)``: how many times each name is bound (or deleted) under
    ``node``, and the nodes that read it."""
    stores, loads = {}, {}
    for n in walk(node):
        if isinstance(n, gast.Name):
            if isinstance(n.ctx, gast.Load):
                loads.setdefault(n.id, []).append(n)
            else:
                stores[n.id] = stores.get(n.id, 0) + 1
    return stores, loads


def drop_repeated_comments(stmts):
    out, last = [], None
    for s in stmts:
        text = getattr(s, "srcad_comment", None)
        if text is not None:
            if text == last:
                continue
            last = text
        for attr in ("body", "orelse"):
            block = getattr(s, attr, None)
            if isinstance(block, list) and block:
                setattr(s, attr, drop_repeated_comments(block))
        out.append(s)
    return out


# -- the seed's unit factor on Python floats ---------------------------------------------
# ``dret = 1.0`` seeds a scalar gradient, so the first factor of many adjoints is
# ``1.0 * w``.  On a Python float ``w`` that product is ``w`` itself (same type, same
# value, and a float is immutable: nothing can alias it); on anything else (an int, an
# int array, an array another name may write into) it is not, so only Python floats,
# proved so, lose it.

# math functions that return a Python float (or raise)
_MATH_FLOAT = frozenset(
    {
        "sin", "cos", "tan", "asin", "acos", "atan", "atan2", "sinh", "cosh", "tanh",
        "asinh", "acosh", "atanh", "exp", "expm1", "exp2", "log", "log1p", "log2", "log10",
        "sqrt", "cbrt", "pow", "hypot", "fabs", "erf", "erfc", "gamma", "lgamma",
        "degrees", "radians", "copysign", "fmod", "ldexp",
    }
)  # fmt: skip


def propagate_constants(fdef, protected=()):
    """Reads of a name assigned exactly once, to a number, that come after the
    assignment in its block (or in blocks nested after it) read the number."""
    counts, numbers = {}, set()
    for n in walk(fdef):
        if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Store):
            counts[n.id] = counts.get(n.id, 0) + 1
        elif isinstance(n, (gast.For, gast.AugAssign)):
            for m in walk(n.target):
                if isinstance(m, gast.Name):
                    counts[m.id] = counts.get(m.id, 0) + 2  # (never a constant)
        elif isinstance(n, gast.Assign) and isinstance(n.targets[0], gast.Name):
            if _num(n.value) or isinstance(n.value, gast.Name):  # (a copy of a constant)
                numbers.add(n.targets[0].id)
    once = {k for k in numbers if counts.get(k) == 1 and k not in protected}
    if once:
        _constants_in_block(fdef.body, {}, once)
    return fdef


def propagate_uniform_constants(fdef, protected=()):
    """Reads of a name every binding of which gives the same number read the number.

    The incoming adjoint of a loop-carried scalar is the common case: ``dloss = 1.0``
    before the backward loop, ``dloss_in = dloss; dloss = dloss_in`` inside it, so
    ``dloss_in * (2 * h)`` is ``1.0 * (2 * h)`` (which ``drop_float_identities`` then
    reads as ``2 * h``).  :func:`propagate_constants` takes names assigned once only.

    Exact: a binding is an assignment of a number (the same type and value: ``1`` is
    not ``1.0``, ``-0.0`` is not ``0.0``) or of a name that is itself such a name, and
    in the innermost block that holds every mention of the name the first statement
    mentioning it is such an assignment, so no read can come before a binding (the
    function's own primal code may leave a name unbound on some path: that read
    still raises).  Parameters, protected names, and names bound any other way
    (loops, ``+=``, unpacking, ``del``, ``global``/``nonlocal``, nested functions)
    are left alone."""
    args = {a.id for a in walk(fdef.args) if isinstance(a, gast.Name)}
    stores, simple, excluded = {}, {}, set(args) | set(protected)
    for s in fdef.body:
        for n in walk(s):
            if isinstance(n, (gast.FunctionDef, gast.Lambda, gast.ClassDef)):
                excluded.update(m.id for m in walk(n) if isinstance(m, gast.Name))
                excluded.add(getattr(n, "name", None))  # (a def binds its name)
            elif isinstance(n, (gast.Global, gast.Nonlocal)):
                excluded.update(n.names)
            elif isinstance(n, (gast.Import, gast.ImportFrom)):
                excluded.update((a.asname or a.name).split(".")[0] for a in n.names)
            elif isinstance(n, gast.Name):
                if isinstance(n.ctx, gast.Del):
                    excluded.add(n.id)
                elif isinstance(n.ctx, gast.Store):
                    stores[n.id] = stores.get(n.id, 0) + 1
            if (
                isinstance(n, gast.Assign)
                and len(n.targets) == 1
                and isinstance(n.targets[0], gast.Name)
                and (_num(n.value) or isinstance(n.value, gast.Name))
            ):
                simple.setdefault(n.targets[0].id, []).append(n.value)
    candidates = {
        k for k, values in simple.items() if k not in excluded and stores.get(k) == len(values)
    }
    mentions = {}  # id(statement) -> the names it mentions, nested blocks included
    while True:
        value = _uniform_numbers(candidates, simple)
        # (the dominance test walks statements: only for the names that have a number)
        late = {k for k in value if not _bound_before_read(fdef.body, k, mentions)}
        if not late:
            break
        candidates = set(value) - late
    if value:
        keys = set(value)
        for s in fdef.body:
            if not keys.isdisjoint(_mentioned(s, mentions)):  # (else nothing to replace)
                for n in walk(s):
                    _replace_in(n, value)
    return bool(value)


def _uniform_numbers(candidates, simple):
    """``{name: number}`` for the candidates every binding of which gives that number
    (optimistic: a copy of a candidate without a number yet waits for it)."""
    candidates = set(candidates)

    def key(v):
        return (type(v), repr(v))

    value = {}
    changed = True
    while changed:
        changed = False
        for k in sorted(candidates):
            got = {}
            for v in simple[k]:
                if _num(v):
                    got[key(v.value)] = v.value
                elif v.id not in candidates:
                    got[None] = None
                elif v.id in value:
                    got[key(value[v.id])] = value[v.id]
            if None in got or len(got) > 1:
                candidates.discard(k)
                value.pop(k, None)
                changed = True
            elif got and k not in value:
                value[k] = next(iter(got.values()))
                changed = True
    return value


def _bound_before_read(block, k, mentions):
    """Whether every mention of ``k`` comes after a binding ``k = c`` or ``k = m``: in
    the innermost block holding all of them, the first statement mentioning ``k`` is
    that assignment (a loop body counts: each pass binds before it reads)."""
    while True:
        hits = [s for s in block if k in _mentioned(s, mentions)]
        if not hits:
            return False
        s = hits[0]
        if len(hits) == 1 and isinstance(s, (gast.For, gast.While, gast.If)):
            header = [s.target, s.iter] if isinstance(s, gast.For) else [s.test]
            if any(isinstance(n, gast.Name) and n.id == k for h in header for n in walk(h)):
                return False
            inner = [b for b in (s.body, s.orelse) if any(k in _mentioned(t, mentions) for t in b)]
            if len(inner) != 1:
                return False
            block = inner[0]
            continue
        return (
            isinstance(s, gast.Assign)
            and len(s.targets) == 1
            and isinstance(s.targets[0], gast.Name)
            and s.targets[0].id == k
            and (_num(s.value) or (isinstance(s.value, gast.Name) and s.value.id != k))
        )


def _mentioned(stmt, mentions):
    got = mentions.get(id(stmt))
    if got is None:
        got = mentions[id(stmt)] = {n.id for n in walk(stmt) if isinstance(n, gast.Name)}
    return got


def _constants_in_block(stmts, known, once):
    known = dict(known)
    for s in stmts:
        if known:
            _substitute(s, known)
        for field in ("body", "orelse"):
            block = getattr(s, field, None)
            if isinstance(block, list) and not isinstance(s, gast.FunctionDef):
                _constants_in_block(block, known, once)
        if (
            isinstance(s, gast.Assign)
            and len(s.targets) == 1
            and isinstance(s.targets[0], gast.Name)
            and s.targets[0].id in once
            and _num(s.value)
        ):
            known[s.targets[0].id] = s.value.value


def _substitute(stmt, known):
    """Number constants for the reads of ``known`` names in ``stmt``'s own
    expressions (not in its nested blocks: those are visited with their own view)."""
    parts = []
    for field in child_fields(stmt):
        if field in ("body", "orelse"):
            continue
        value = getattr(stmt, field, None)
        parts += value if isinstance(value, list) else [value]
    _replace_in(stmt, known, skip=("body", "orelse"))
    for part in parts:
        if isinstance(part, gast.AST):
            for n in walk(part):
                _replace_in(n, known)


def _replace_in(n, known, skip=()):
    for field in child_fields(n):
        if field in skip:
            continue
        value = getattr(n, field, None)
        if isinstance(value, gast.Name) and _reads_known(value, known):
            setattr(n, field, const(known[value.id]))
        elif isinstance(value, list):
            for i, v in enumerate(value):
                if isinstance(v, gast.Name) and _reads_known(v, known):
                    value[i] = const(known[v.id])


def _reads_known(n, known):
    return isinstance(n.ctx, gast.Load) and n.id in known


def fold_unit_factors(fdef, is_math=lambda name: False, float_params=frozenset()):
    """``1.0 * w`` -> ``w`` where ``w`` is a Python float for sure (see above).
    ``is_math(name)``: whether a global name is the ``math`` module; ``float_params``:
    parameters that surely arrive as Python floats."""
    if not any(_unit_product(n) for n in walk(fdef)):
        return fdef
    sites = []  # (parent, field, index or None) of each product with a unit factor
    for n in walk(fdef):
        for field in child_fields(n):
            value = getattr(n, field, None)
            if _unit_product(value):
                sites.append((n, field, None))
            elif isinstance(value, list):
                sites += [(n, field, i) for i, v in enumerate(value) if _unit_product(v)]
    if not sites:
        return fdef
    floats, ints = _float_names(fdef, is_math, float_params)
    for parent, field, i in sites:
        if i is None:
            setattr(parent, field, _drop_unit(getattr(parent, field), floats, ints, is_math))
        else:
            block = getattr(parent, field)
            block[i] = _drop_unit(block[i], floats, ints, is_math)
    return fdef


def inline_float_temporaries(fdef, is_math, float_params=frozenset(), protected=()):
    """``t = E`` followed at once by an assignment that is the only read of ``t``
    becomes that assignment with ``E`` in place of ``t`` (``sin_t = math.sin(b * i)``;
    ``da = da + sin_t`` -> ``da = da + math.sin(b * i)``), for a ``t`` that is surely a
    Python float (``_float_names``), bound once, and a pure ``E`` and next value: on
    numbers that saves a store and a load per step of a scalar loop, and reads like the
    hand-written loop.  Array temporaries keep their names (their cost is the array's,
    and the name helps the reader)."""
    floats, _ = _float_names(fdef, is_math, float_params)
    if not floats:
        return fdef
    stores, loads = _name_uses(fdef)
    args = fdef.args
    keep = set(protected) | {a.id for a in args.posonlyargs + args.args + args.kwonlyargs}

    def ok(first, second):
        if not (
            isinstance(first, gast.Assign)
            and len(first.targets) == 1
            and isinstance(first.targets[0], gast.Name)
            and isinstance(second, gast.Assign)
            and len(second.targets) == 1
            and isinstance(second.targets[0], gast.Name)
        ):
            return False
        t = first.targets[0].id
        return (
            t in floats
            and t not in keep
            and stores.get(t) == 1
            and len(loads.get(t, ())) == 1
            and second.targets[0].id != t
            and _pure(first.value)
            and _pure(second.value)
            and any(isinstance(m, gast.Name) and m.id == t for m in walk(second.value))
        )

    def block(stmts):
        out = []
        for st in stmts:
            for field in ("body", "orelse"):
                inner = getattr(st, field, None)
                if isinstance(inner, list) and inner and not isinstance(st, gast.FunctionDef):
                    setattr(st, field, block(inner))
            j = len(out) - 1
            while j >= 0 and getattr(out[j], "srcad_comment", None) is not None:
                j -= 1  # (a "# Grad of:" comment between the two changes nothing)
            if j >= 0 and ok(out[j], st):
                first = out.pop(j)
                st.value = _replace_name(st.value, first.targets[0].id, first.value)
            out.append(st)
        return out

    fdef.body = block(fdef.body)
    return fdef


def _replace_name(e, target, value):
    """``e`` with its one load of ``target`` replaced by ``value``."""
    if isinstance(e, gast.Name) and e.id == target:
        return value
    for field in child_fields(e):
        v = getattr(e, field, None)
        if isinstance(v, list):
            setattr(
                e,
                field,
                [_replace_name(x, target, value) if isinstance(x, gast.AST) else x for x in v],
            )
        elif isinstance(v, gast.AST):
            setattr(e, field, _replace_name(v, target, value))
    return e


def _is_unit(n):
    return isinstance(n, gast.Constant) and type(n.value) is float and n.value == 1.0


def _unit_product(v):
    return (
        isinstance(v, gast.BinOp)
        and isinstance(v.op, gast.Mult)
        and (_is_unit(v.left) or _is_unit(v.right))
    )


def _drop_unit(node, floats, ints, is_math):
    if not (isinstance(node, gast.BinOp) and isinstance(node.op, gast.Mult)):
        return node  # (a site seen twice, already folded)
    for unit, other in ((node.left, node.right), (node.right, node.left)):
        if (
            isinstance(unit, gast.Constant)
            and type(unit.value) is float
            and unit.value == 1.0
            and _scalar_kind(other, floats, ints, is_math) == "float"
        ):
            return other
    return node


def _float_names(fdef, is_math, float_params=frozenset()):
    """``(floats, ints)``: names that only ever hold a Python float (an int)."""
    values = {}  # name -> the expressions assigned to it (None: something else)
    for n in walk(fdef):
        one = isinstance(n, gast.Assign) and len(n.targets) == 1
        if one and isinstance(n.targets[0], gast.Name):
            values.setdefault(n.targets[0].id, []).append(n.value)
        elif isinstance(n, gast.For) and isinstance(n.target, gast.Name):
            values.setdefault(n.target.id, []).append(("for", n.iter))
        else:
            targets = n.targets if isinstance(n, gast.Assign) else []
            if isinstance(n, (gast.AugAssign, gast.AnnAssign, gast.For, gast.NamedExpr)):
                targets = [n.target]
            elif isinstance(n, gast.comprehension):
                targets = [n.target]  # (its own scope: never taken as a float)
            elif isinstance(n, (gast.With, gast.ExceptHandler)):
                targets = [i.optional_vars for i in getattr(n, "items", [])] + [
                    n.name for n in [n] if isinstance(n, gast.ExceptHandler) and n.name
                ]
            for t in targets:
                for m in walk(t) if t is not None else ():
                    if isinstance(m, gast.Name):
                        values.setdefault(m.id, []).append(None)
    for a in fdef.args.args + fdef.args.posonlyargs + fdef.args.kwonlyargs:
        # a parameter: anything, unless it surely arrives as a Python float
        values.setdefault(a.id, []).append(const(1.0) if a.id in float_params else None)
    # grows monotonically: a name joins once all its values qualify, and is asked
    # again only when a name its values read has joined
    readers = name_readers(
        {k: [v[1] if isinstance(v, tuple) else v for v in vs] for k, vs in values.items()}
    )
    floats, ints = set(), set()
    work = list(values)
    queued = set(work)
    while work:
        k = work.pop()
        queued.discard(k)
        vs = values[k]
        if k in floats or k in ints or any(v is None for v in vs):
            continue
        kinds = {_value_kind(v, floats, ints, is_math, values) for v in vs}
        if kinds == {"float"}:
            floats.add(k)
        elif kinds == {"int"}:
            ints.add(k)
        else:
            continue
        for r in readers.get(k, ()):
            if r not in queued and r not in floats and r not in ints:
                work.append(r)
                queued.add(r)
    return floats, ints


def _value_kind(v, floats, ints, is_math, values):
    if isinstance(v, tuple):  # ("for", iter): range(...) or reversed(range(...))
        it = v[1]
        if _is_builtin_call(it, "reversed") and len(it.args) == 1:
            it = it.args[0]
        if isinstance(it, gast.Name):  # range_i = range(n) ... for i in range_i:
            assigned = values.get(it.id) or [None]
            it = assigned[0] if len(assigned) == 1 else None
        if isinstance(it, gast.AST) and _is_builtin_call(it, "range"):
            return "int"
        return None
    return _scalar_kind(v, floats, ints, is_math)


def _is_builtin_call(n, fname):
    return isinstance(n, gast.Call) and isinstance(n.func, gast.Name) and n.func.id == fname


def _scalar_kind(e, floats, ints, is_math):
    """ "float" / "int" when ``e`` is a Python float / int for sure, else None."""
    if isinstance(e, gast.Constant):
        t = type(e.value)
        return "float" if t is float else ("int" if t is int else None)
    if isinstance(e, gast.Name):
        return "float" if e.id in floats else ("int" if e.id in ints else None)
    if isinstance(e, gast.UnaryOp) and isinstance(e.op, (gast.USub, gast.UAdd)):
        return _scalar_kind(e.operand, floats, ints, is_math)
    if isinstance(e, gast.BinOp) and isinstance(e.op, (gast.Add, gast.Sub, gast.Mult, gast.Div)):
        a = _scalar_kind(e.left, floats, ints, is_math)
        b = _scalar_kind(e.right, floats, ints, is_math)
        if a is None or b is None:
            return None
        if isinstance(e.op, gast.Div) or "float" in (a, b):
            return "float"
        return "int"
    if (
        isinstance(e, gast.Call)
        and isinstance(e.func, gast.Attribute)
        and isinstance(e.func.value, gast.Name)
        and e.func.attr in _MATH_FLOAT
        and is_math(e.func.value.id)
        and not e.keywords
    ):
        return "float"
    return None


def optimize_function(
    fdef,
    protected=(),
    is_math=None,
    float_params=frozenset(),
    floating_params=frozenset(),
    module_roots=None,
):
    """Run every pass over a generated function body (the return stays live).
    ``is_math(name)``: whether a global name is the ``math`` module (the unit-factor
    pass needs to know; without it, that pass is skipped).  ``float_params``: the
    parameters that surely arrive as Python floats; ``floating_params``: those that
    hold floating point in the specialization (arrays too: the sign pass).
    ``module_roots``: the names that resolve to NumPy, ``math`` or the runtime, whose
    calls are pure (without it, the names ``np``, ``math`` and ``_rt``)."""
    token = _MODULE_ROOTS.set(module_roots)
    try:
        return _optimize_function(fdef, protected, is_math, float_params, floating_params)
    finally:
        _MODULE_ROOTS.reset(token)


def _optimize_function(fdef, protected, is_math, float_params, floating_params):
    if is_math is not None:
        propagate_constants(fdef, protected)
        propagate_uniform_constants(fdef, protected)
        fold_unit_factors(fdef, is_math, float_params)
    body = fold_constants(fdef.body)
    body = drop_round_trip_copies(body)
    body = propagate_copies(body, protected)
    body = eliminate_dead_code(body)
    body = run_invariant_loops_once(body)
    body = drop_repeated_comments(body)
    fdef.body = body
    if is_math is not None:
        inline_float_temporaries(fdef, is_math, float_params, protected)
    if keep_scalar_spreads(fdef) and is_math is not None:
        # (a spread number is a number now: dh = 1.0)
        if propagate_uniform_constants(fdef, protected):
            fdef.body = eliminate_dead_code(fdef.body)
    floating = frozenset(float_params) | frozenset(floating_params)
    # (before the signs: ``logistic(neg_z - 0.0)`` is ``logistic(neg_z)``, whose sign
    # goes into the name; after them too: a sign may leave ``a + -0.0`` behind)
    drop_float_identities(fdef, floating)
    # (before the signs, which tidy the heads it leaves: ``v = -T``)
    collect_like_terms(fdef, floating)
    share_masks(fdef, _pure)
    # (after the spreads: a number takes a sign)
    cancel_negations(fdef, protected, floating)
    drop_float_identities(fdef, floating)
    double_repeated_terms(fdef)
    accumulate_in_place(fdef)
    return fdef


def drop_float_identities(fdef, floating_params=frozenset()):
    """``x - 0.0``, ``x * 1.0``, ``1.0 * x`` and ``x / 1.0`` become ``x`` where ``x``
    surely holds floating point (or complex) values and is never the symbolic zero,
    and the operation is an operand of arithmetic or an argument of a NumPy, ``math``
    or ``_rt`` function that makes a new value (``_FLOAT_RESULTS``, the logistic pair).

    Exact, signed zeros and NaNs included: ``-0.0 - 0.0`` is ``-0.0`` (``x + 0.0``
    is not an identity: ``-0.0 + 0.0`` is ``+0.0``), and a Python float operand keeps
    an array's dtype (NEP 50).  An integer ``x`` would become floating, so only
    floating names qualify (``negations.floating_names``).  Never the whole value of
    a statement, which would bind a second name to ``x``'s array, and never ``x``
    that may be ``_rt.ZERO`` (``ZERO - 0.0`` is the number ``-0.0``)."""
    if not any(_float_identity(x) is not None for x in _foldable_parts(fdef)):
        return fdef  # (the analyses below walk the whole function, twice)
    names = floating_names(fdef, floating_params) - _maybe_zero(fdef)

    def fold(e):
        while True:
            x = _float_identity(e)
            if x is None or not surely_floating(x, names) or _mentions_zero(x):
                return e
            e = x

    for n in walk(fdef):
        if isinstance(n, (gast.BinOp, gast.UnaryOp, gast.Compare)):
            for field in ("left", "right", "operand"):
                v = getattr(n, field, None)
                if isinstance(v, gast.AST):
                    setattr(n, field, fold(v))
            if isinstance(n, gast.Compare):
                n.comparators = [fold(c) for c in n.comparators]
        elif isinstance(n, gast.Call) and _makes_new_float(n):
            n.args = [fold(a) for a in n.args]
    return fdef


def _foldable_parts(fdef):
    """The expressions ``drop_float_identities`` may fold: operands of arithmetic and
    comparisons, arguments of the functions that make a new float value."""
    for n in walk(fdef):
        if isinstance(n, gast.BinOp):
            yield n.left
            yield n.right
        elif isinstance(n, gast.UnaryOp):
            yield n.operand
        elif isinstance(n, gast.Compare):
            yield n.left
            yield from n.comparators
        elif isinstance(n, gast.Call) and _makes_new_float(n):
            yield from n.args


def _float_identity(e):
    """The ``x`` of ``x - 0.0``, ``x * 1.0``, ``1.0 * x``, ``x / 1.0``; else None."""
    if not isinstance(e, gast.BinOp):
        return None

    def is_float(c, v):
        return isinstance(c, gast.Constant) and type(c.value) is float and c.value == v

    r, left = e.right, e.left
    if isinstance(e.op, gast.Sub) and is_float(r, 0.0) and str(r.value) == "0.0":
        return left  # (not -0.0: x - (-0.0) is x + 0.0)
    if isinstance(e.op, (gast.Mult, gast.Div)) and is_float(r, 1.0):
        return left
    if isinstance(e.op, gast.Mult) and is_float(left, 1.0):
        return r
    return None


def _makes_new_float(call):
    f = call.func
    return (
        isinstance(f, gast.Attribute)
        and isinstance(f.value, gast.Name)
        and not call.keywords
        and (
            (f.value.id in ("np", "math") and f.attr in _FLOAT_RESULTS)
            or (f.value.id == "_rt" and f.attr in ("logistic", "logistic_neg"))
        )
    )


def _mentions_zero(e):
    return any(isinstance(m, gast.Attribute) and m.attr == "ZERO" for m in walk(e))


def maybe_zero_names(fdef):
    """Names of ``fdef`` that may hold ``_rt.ZERO`` (factors.py reads them too)."""
    return _maybe_zero(fdef)


def _maybe_zero(fdef):
    """Names that may hold ``_rt.ZERO``: bound to an expression that mentions it or
    another such name (``ZERO * g`` is ``ZERO``), to the fixpoint."""
    values = {}
    for n in walk(fdef):
        if isinstance(n, gast.Assign):
            for t in n.targets:
                for m in walk(t):
                    if isinstance(m, gast.Name):
                        values.setdefault(m.id, []).append(n.value)

    def joins(vs, out):
        return any(
            _mentions_zero(v) or any(isinstance(m, gast.Name) and m.id in out for m in walk(v))
            for v in vs
        )

    return least_fixpoint(values, joins)


def double_repeated_terms(fdef):
    """``a = E`` followed (comments aside) by ``a = a + E`` with the same pure ``E``
    that does not read ``a`` becomes ``a = E`` and ``a = a + a``: what the adjoint of
    ``x * x`` (or any call with one argument twice) emits, one evaluation of ``E``
    fewer, bit for bit the same sum."""

    def block(stmts):
        prev = None
        for st in stmts:
            for field in ("body", "orelse"):
                inner = getattr(st, field, None)
                if isinstance(inner, list) and not isinstance(st, gast.FunctionDef):
                    block(inner)
            if getattr(st, "srcad_comment", None) is not None:
                continue
            if prev is not None and _repeats(prev, st):
                t = prev.targets[0].id
                st.value.right = name(t, gast.Load())
            prev = st if assigns_one_name(st) else None

    block(fdef.body)
    return fdef


def _repeats(first, second):
    """Whether ``second`` is ``a = a + E`` where ``first`` is ``a = E`` (pure ``E``
    that does not read ``a``)."""
    if not assigns_one_name(second):
        return False
    t = first.targets[0].id
    v = second.value
    if not (
        second.targets[0].id == t
        and isinstance(v, gast.BinOp)
        and isinstance(v.op, gast.Add)
        and isinstance(v.left, gast.Name)
        and v.left.id == t
        and isinstance(first.value, (gast.BinOp, gast.Call, gast.UnaryOp))
        and _pure(first.value)
    ):
        return False
    if any(isinstance(n, gast.Name) and n.id == t for n in walk(first.value)):
        return False
    return gast.dump(first.value) == gast.dump(v.right)
