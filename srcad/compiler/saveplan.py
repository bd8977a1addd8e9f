"""The save plan: how every value the backward sweep reads is made available.

The backward sweep reads primal values (a rule template reads ``x`` and
``result``; a loop reads its index).  For each such value there are three ways
to have it right at the point of the backward sweep that reads it:

* **live**: nothing changes it between the primal statement that made it and
  the backward read (a name bound once, at top level, never written in place);
* **saved**: the primal pushes a name's old value on a stack before a statement
  overwrites it, and the backward sweep pops it right after that statement's
  adjoint (stack restore; every in-place write into an array is undone the same
  way), so each name holds, at each backward point, what it held at the matching
  primal point;
* **recomputed**: a loop value is computed again at the start of each reverse
  step of its loop instead of being pushed every iteration.

Recomputation is decided here, once, and only where it is provably safe: the
statement is pure and cheap, its target is bound exactly once and never written
in place, it is not read before its definition in the iteration, and every input
of the recomputation holds the same value at the start of the reverse step as
when the primal ran it (the loop's own index, a value recomputed before it, or a
name that no statement of the loop, or of an enclosing loop, writes).  Anything
the analysis cannot prove is saved.  What is saved is then read off the one
backward sweep the compiler generates (:meth:`SavePlan.finalize`): restores of
names that nothing reads are dropped, and the primal pushes exactly the rest.

Some writes cannot be undone by the backward sweep (``a.sort()`` on a plain
array, ``out=`` arguments, ``np.copyto``).  A value the backward sweep reads and
such a write changes would be read in its changed state, so the plan refuses it.
"""

import gast

from ..runtime.core import NUMPY_WRITERS
from .analyze import param_names
from .astutil import children, clone, walk
from .vocab import popped_from

# Methods that change their receiver in place (arrays, lists, dicts, sets).
INPLACE_METHODS = frozenset(
    {
        "append",
        "extend",
        "insert",
        "pop",
        "popitem",
        "remove",
        "sort",
        "reverse",
        "clear",
        "update",
        "setdefault",
        "add",
        "discard",
        "fill",
        "resize",
        "itemset",
        "put",
        "partition",
        "setfield",
        "byteswap",
        "__setitem__",
        "__delitem__",
        "__iadd__",
        "__isub__",
        "__imul__",
        "__itruediv__",
    }
)
# Builtins that are safe to call again with the same arguments.
_PURE_BUILTINS = frozenset({len, abs, float, int, min, max, round, bool, range, sum})


class SavePlan:
    def __init__(self, parsed, fdef, active, namer, resolver):
        self.parsed = parsed
        self.fdef = fdef
        self.active = active
        self.namer = namer
        self.resolver = resolver
        self.sites = {}  # name -> [in_loop flag per binding site]
        self.first_site = {}
        self.top_first = set()  # (name, id(stmt)) of a first binding at top level
        self.user_call_info = {}  # id(stmt) -> name of the call's saved state
        self.nograd = set()  # ids of statements inside `with srcad.no_grad()`
        self.unrestored = {}  # name -> statement that changes it in a way no pop undoes
        self.P = None  # the names pushed, known after finalize()
        for a in param_names(fdef):
            self.sites.setdefault(a, []).append(False)
            self.first_site[a] = None
        self._collect(fdef.body, in_loop=False, nograd=False, top=True)
        self._find_unrestored(fdef)
        # name -> the loop whose reverse step recomputes it (None: the same value in
        # every iteration, so it is live without a push)
        self.recompute = {}
        self._loop_stmts = {}  # id(loop) -> candidate statements, in body order
        self._find_recomputable(fdef.body, frozenset(), frozenset())

    # -- binding sites -----------------------------------------------------------------

    def _collect(self, stmts, in_loop, nograd, top=False):
        for s in stmts:
            if nograd:
                self.nograd.add(id(s))
            if isinstance(s, gast.Assign) and isinstance(s.targets[0], gast.Name):
                if getattr(s, "srcad_book", False) is not True:
                    self._site(s.targets[0].id, s, in_loop, top)
                v = s.value
                if (
                    isinstance(v, gast.Call)
                    and self.resolver.call_kind(v)[0] == "user"
                    and s.targets[0].id in self.active
                ):
                    saved = self.namer.fresh(s.targets[0].id + "_saved")
                    self._site(saved, s, in_loop, top)
                    self.user_call_info[id(s)] = saved
            elif isinstance(s, gast.For):
                # not a certain first binding even at top level: a loop that runs zero
                # times binds nothing (a later push of the name needs it set on entry)
                self._site(s.target.id, s, in_loop, False)
                self._collect(s.body, True, nograd)
            elif isinstance(s, gast.While):
                self._collect(s.body, True, nograd)
            elif isinstance(s, gast.If):
                self._collect(s.body, in_loop, nograd)
                self._collect(s.orelse, in_loop, nograd)
            elif isinstance(s, gast.With) and getattr(s, "srcad_kind", "") == "no_grad":
                self._collect(s.body, in_loop, True)

    def _site(self, n, s, in_loop, top):
        self.sites.setdefault(n, []).append(in_loop)
        if n not in self.first_site:
            self.first_site[n] = s
            if top and not in_loop:
                self.top_first.add((n, id(s)))

    def overwritten(self, n):
        sites = self.sites.get(n, [])
        return len(sites) > 1 or any(sites)

    def may_push(self, n, s):
        """Could the primal have to save ``n`` before ``s`` binds it?"""
        return self.overwritten(n) and (n, id(s)) not in self.top_first

    def pushes(self, n, s):
        """Does the primal save ``n``'s old value before statement ``s`` binds it?"""
        return self.P is not None and n in self.P and (n, id(s)) not in self.top_first

    def needs_init(self):
        """Pushed names that may be unbound at their first push: set to None on entry."""
        params = set(param_names(self.fdef))
        return sorted(
            n
            for n in self.P
            if n not in params and (n, id(self.first_site.get(n))) not in self.top_first
        )

    # -- writes that no pop undoes -----------------------------------------------------

    def _find_unrestored(self, fdef):
        for n, stmt in _calls_with_statement(fdef):
            if getattr(n, "srcad_inplace_ok", False) or _is_list_pop_call(n, self.fdef):
                continue  # an append/pop the reverse sweep undoes
            # the site named in a refusal: the call, or its statement when the call was
            # made by the normalizer (it has no line of its own)
            site = n if getattr(n, "lineno", None) is not None else stmt
            for target in self._written_by(n):
                self.unrestored.setdefault(target, site)

    def _written_by(self, n):
        """Names that the call ``n`` changes in place in a way no pop undoes."""
        f = n.func
        for k in n.keywords:
            if k.arg == "out":
                for m in walk(k.value):
                    if isinstance(m, gast.Name):
                        yield m.id
        if isinstance(f, gast.Attribute) and f.attr in INPLACE_METHODS:
            recv = _root_name(f.value)
            if recv is not None and not self.resolver.is_dotted_global(f.value):
                yield recv
            return
        if isinstance(f, gast.Attribute) and f.attr == "at" and n.args:
            target = _root_name(n.args[0])  # np.add.at(a, i, v)
            if target is not None:
                yield target
            return
        ok, obj = self.resolver.value(f)
        fname = getattr(obj, "__name__", "") if ok else ""
        if ok and fname in NUMPY_WRITERS and n.args:
            target = _root_name(n.args[0])
            if target is not None:
                yield target

    def check_reads(self, reads):
        """Refuse when the backward sweep reads a value that an undoable write changes."""
        for n in sorted(reads):
            site = self.unrestored.get(n)
            if site is not None:
                raise self.parsed.error(
                    site,
                    f"`{n}` is changed in place here, and the gradient needs its value "
                    "from before (srcad cannot undo this kind of write)",
                    f"work on a copy ({n} = {n}.copy()) or build a new value instead",
                )

    # -- recomputation -------------------------------------------------------------------

    def _find_recomputable(self, stmts, enclosing, outer_targets):
        for s in stmts:
            inner, targets = enclosing, outer_targets
            if isinstance(s, (gast.For, gast.While)):
                inner = enclosing | self._loop_recomputable(s, enclosing, outer_targets)
                if isinstance(s, gast.For) and len(self.sites.get(s.target.id, [])) == 1:
                    targets = outer_targets | {s.target.id}
            for block in ("body", "orelse"):
                sub = getattr(s, block, None)
                if isinstance(sub, list):
                    self._find_recomputable(sub, inner, targets)

    def _loop_recomputable(self, loop, enclosing, outer_targets):
        """Find what ``loop``'s reverse steps can recompute; return the names it writes."""
        written = _written_names(loop)
        changing = written | enclosing  # values that differ between iterations
        nested = bool(enclosing)
        known = set()
        if isinstance(loop, gast.For) and len(self.sites.get(loop.target.id, [])) == 1:
            known.add(loop.target.id)  # the reverse loop header sets it again
        loads_before = set()
        out = []
        for st in loop.body:
            target = _simple_target(st)
            if target is not None and self._can_recompute(st, target, loads_before, nested):
                deps = _loaded(st.value)
                if all(
                    d in known
                    or d in outer_targets
                    or (d not in changing and d not in self.unrestored)
                    for d in deps
                ):
                    if deps & (known | outer_targets):
                        self.recompute[target] = loop
                        out.append(clone(st))
                    else:
                        self.recompute[target] = None
                    known.add(target)
            loads_before |= _loaded(st)
        self._loop_stmts[id(loop)] = out
        return written

    def _can_recompute(self, st, t, loads_before, nested):
        if (
            getattr(st, "srcad_book", False)
            or id(st) in self.user_call_info
            or len(self.sites.get(t, [])) != 1
            or t in self.unrestored
            or t in loads_before
            or t in _setitem_bases(self.fdef)
            or not self._pure(st.value)
        ):
            return False
        if nested and t in _loaded_outside(self.fdef, st):
            return False
        return True

    def _pure(self, value):
        return pure_value(self.resolver, value)

    def recompute_prelude(self, loop, needed):
        """The statements that recompute, at the start of a reverse step of ``loop``,
        the loop values that ``needed`` (names read by the step) depends on."""
        stmts = self._loop_stmts.get(id(loop), [])
        needed = set(needed)
        keep = []
        for st in reversed(stmts):
            if st.targets[0].id in needed:
                keep.append(st)
                needed |= _loaded(st.value)
        return clone(keep[::-1])

    # -- the decision ----------------------------------------------------------------------

    def finalize(self, reads):
        """Given every name the backward sweep reads, fix the set of pushed names."""
        self.check_reads(reads)
        self.P = {
            n for n in reads if n in self.sites and self.overwritten(n) and n not in self.recompute
        }
        return self.P


def pure_value(resolver, value):
    """An expression that gives the same value when evaluated again with the same
    inputs, and creates nothing mutable: arithmetic, subscripts, attributes and calls
    of primitives with rules (never random draws, ``out=`` or a user's function)."""
    for n in walk(value):
        if isinstance(n, (gast.Lambda, gast.ListComp, gast.Dict, gast.List, gast.Set)):
            return False
        if isinstance(n, (gast.DictComp, gast.SetComp, gast.GeneratorExp, gast.NamedExpr)):
            return False
        if not isinstance(n, gast.Call):
            continue
        if any(k.arg == "out" or k.arg is None for k in n.keywords):
            return False
        kind, obj = resolver.call_kind(n)
        if kind == "method":
            from .analyze import method_table

            methods, _ = method_table()
            if n.func.attr not in methods or n.func.attr in INPLACE_METHODS:
                return False
            continue
        if kind == "nondiff" and obj is None:
            continue  # .argmax(), .nonzero() and friends
        if kind not in ("prim", "nondiff", "stop"):
            if not (kind == "opaque" and _is_pure_builtin(obj)):
                return False
        mod = getattr(obj, "__module__", None) or ""
        if "random" in mod:
            return False
    return True


def prune_restores(stmts, keep):
    """Drop the candidate restores (``n = _stack.pop()``) of names not in ``keep``."""
    out = []
    for s in stmts:
        r = getattr(s, "srcad_restore", None)
        if r is not None and r not in keep:
            continue
        for block in ("body", "orelse"):
            sub = getattr(s, block, None)
            if isinstance(sub, list):
                setattr(s, block, prune_restores(sub, keep))
        out.append(s)
    return out


def _is_list_pop_call(call, fdef):
    """``t = lst.pop()``: undone by the backward sweep (the value goes back)."""
    pops = getattr(fdef, "_srcad_pops", None)
    if pops is None:
        pops = fdef._srcad_pops = {
            id(n.value)
            for n in walk(fdef)
            if isinstance(n, gast.Assign)
            and isinstance(n.targets[0], gast.Name)
            and popped_from(n.value) is not None
        }
    return id(call) in pops


def _simple_target(st):
    if isinstance(st, gast.Assign) and isinstance(st.targets[0], gast.Name):
        return st.targets[0].id
    return None


def _loaded(node):
    return {n.id for n in walk(node) if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Load)}


def _calls_with_statement(fdef):
    """``(call, statement)`` for every call in ``fdef``, with the innermost statement
    that holds it."""
    stack = [(fdef, None)]
    while stack:
        node, stmt = stack.pop()
        if isinstance(node, gast.stmt):
            stmt = node
        elif isinstance(node, gast.Call):
            yield node, stmt
        for child in children(node):
            stack.append((child, stmt))


def _root_name(node):
    while isinstance(node, (gast.Subscript, gast.Attribute)):
        node = node.value
    return node.id if isinstance(node, gast.Name) else None


def _written_names(loop):
    """Names that a statement of ``loop`` binds or writes into."""
    out = set()
    for n in walk(loop):
        if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Store):
            out.add(n.id)
        elif isinstance(n, gast.Assign) and isinstance(n.targets[0], gast.Subscript):
            base = _root_name(n.targets[0])
            if base is not None:
                out.add(base)
        elif isinstance(n, gast.Call) and isinstance(n.func, gast.Attribute):
            if n.func.attr in INPLACE_METHODS:
                base = _root_name(n.func.value)
                if base is not None:
                    out.add(base)
    return out


def _setitem_bases(fdef):
    cached = getattr(fdef, "_srcad_setitem_bases", None)
    if cached is None:
        cached = {
            _root_name(n.targets[0])
            for n in walk(fdef)
            if isinstance(n, gast.Assign) and isinstance(n.targets[0], gast.Subscript)
        }
        fdef._srcad_setitem_bases = cached
    return cached


def _loaded_outside(fdef, st):
    """Names loaded anywhere in the function outside the innermost loop holding ``st``."""
    loop = _innermost_loop(fdef, st)
    inside = {id(n) for n in walk(loop)} if loop is not None else set()
    return {
        n.id
        for n in walk(fdef)
        if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Load) and id(n) not in inside
    }


def _innermost_loop(fdef, st):
    best = None
    stack = [(fdef, None)]
    while stack:
        node, loop = stack.pop()
        if node is st:
            best = loop
            break
        for child in children(node):
            stack.append((child, node if isinstance(node, (gast.For, gast.While)) else loop))
    return best


def _is_pure_builtin(obj):
    try:
        return obj in _PURE_BUILTINS
    except TypeError:
        return False
