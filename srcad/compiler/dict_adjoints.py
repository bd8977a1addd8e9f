"""A dict's adjoint stepped inline, where the shape pass proves what it holds.

min-char-rnn keeps its hidden states in a dict (``hs[t] = np.tanh(...)``, then
``hs[t - 1]``).  The backward sweep keeps the dict's adjoint ``dhs`` as a dict of
the entries' adjoints and steps it with two runtime helpers at every loop step:
``dhs = _rt.add_at(dhs, hs, k, g)`` for a read ``hs[k]`` and ``dhs, dv =
_rt.setitem_adj(dhs, hs, k, v)`` for a write ``hs[k] = v``.  Those helpers serve
every container (tuples, lists, arrays, aliases that force a copy), and their
dispatch cost 2.6 µs of a 15 µs RNN step.

For one adjoint this pass writes them as the dict operations they come to::

    dhs = {}                                   # was: dhs = _rt.ZERO
    if g is not _rt.ZERO:                      # was: dhs = _rt.add_at(dhs, hs, k, g)
        dhs[k] = dhs[k] + g if k in dhs else g
    dv = dhs.pop(k, _rt.ZERO)                  # was: dhs, dv = _rt.setitem_adj(dhs, hs, k, v)
    dhs.pop(k, None)                           # was: dhs = _rt.setitem_adj(dhs, hs, k, v)[0]
    dhs.get(k, _rt.ZERO)                       # was: _rt.getitem_adj(dhs, k)

It does so only where all of this holds, and leaves the helpers otherwise:

* the shape pass models ``hs`` as a dict whose values all have one known array or
  number shape (``shapes.DictOf``: bound to dict displays alone, every use followed);
* the adjoint name appears nowhere but in ``dhs = _rt.ZERO`` (the first of which,
  before all other uses, at the top level of the sweep: a later one is a fresh
  ``{}``, which reads as nothing yet just as ZERO did) and in the two helper calls
  above with ``hs`` itself as the container, or read by ``_rt.getitem_adj(dhs, k)``
  or ``_rt.display_entry_adj(dhs, keys, i)`` (a dict display's entry).  So no other
  name can hold the adjoint dict, and changing it in place is what the helpers do
  when their reference count says the same (``push_adj``); no entry is ever changed
  in place (``+`` makes a new one);
* every ``g`` has the entries' shape or is the symbolic zero, and the key is a name,
  a constant or a sum or difference of those, evaluated more than once here;
* a written value ``v`` has the entries' shape too, so the helper's
  ``unbroadcast(dv, v)`` could not change ``dv``.

``setitem_adj`` left the slot holding the symbolic zero; ``pop`` removes it.  Both
read back as "nothing yet" in the only readers left, the rewritten statements.
"""

import gast

from .astutil import walk
from .shapes import _ZERO, DictOf
from .vocab import assign, attr, call, is_attr_of, is_call_of, name

_KEY_OPS = (gast.Add, gast.Sub)


def inline_dict_adjoints(code, primal, inference):
    """Rewrite ``code`` (the backward sweep, a list of statements) in place; returns
    the adjoint names rewritten."""
    rt = inference.rt
    done = []
    for d, x in sorted(_candidates(code, inference, rt)):
        elt = inference.env[x].elt
        if _rewritable(d, x, elt, code, primal, inference, rt):
            code[:] = _rewrite(code, d, x, rt)
            for s in code:
                for n in walk(s):
                    if _is_get(n, d, rt):  # _rt.getitem_adj(d, k) -> d.get(k, _rt.ZERO)
                        n.func = attr(name(d), "get")
                        n.args = [n.args[1], attr(name(rt), "ZERO")]
            done.append(d)
    return done


def _candidates(code, inference, rt):
    """``(dX, X)`` for every ``_rt.add_at(dX, X, ...)`` of a dict ``X`` of known values."""
    out = set()
    for s in code:
        for n in walk(s):
            if (
                (is_call_of(n, rt, "add_at") or is_call_of(n, rt, "setitem_adj"))
                and len(n.args) >= 3
                and all(isinstance(a, gast.Name) for a in n.args[:2])
            ):
                x = n.args[1].id
                shape = inference.env.get(x)
                if (
                    type(shape) is DictOf
                    and isinstance(shape.elt, tuple)
                    and x in inference.dicts
                    and x not in inference.escapes
                ):
                    out.add((n.args[0].id, x))
    return out


def _rewritable(d, x, elt, code, primal, inference, rt):
    if d == x or any(isinstance(n, gast.Name) and n.id == d for s in primal for n in walk(s)):
        return False
    first = next((k for k, s in enumerate(code) if any(_is_name(n, d) for n in walk(s))), None)
    if first is None or not (
        _is_assign_to(code[first], d) and is_attr_of(code[first].value, rt, "ZERO")
    ):
        return False  # the adjoint must be made (at the top level) before any use
    allowed = set()  # ids of the Name nodes of d in a form this pass rewrites
    for s in code:
        for n in walk(s):
            if _is_get(n, d, rt) or _is_display_read(n, d, rt):
                allowed.add(id(n.args[0]))
                continue
            form = _form(n, d, x, rt)
            if form is None:
                continue
            if form != "init" and not _operands_fit(n, form, elt, inference):
                return False
            allowed.update(id(m) for m in _names_of(n, d))
    every = [n for s in code for n in walk(s) if isinstance(n, gast.Name) and n.id == d]
    return all(id(n) in allowed for n in every)


def _form(s, d, x, rt):
    """``"init"``, ``"add"`` or ``"put"`` for a statement of the whitelist, else None."""
    if not isinstance(s, gast.Assign) or len(s.targets) != 1:
        return None
    t, v = s.targets[0], s.value
    if isinstance(t, gast.Name) and t.id == d:
        if is_attr_of(v, rt, "ZERO"):
            return "init"
        if (
            is_call_of(v, rt, "add_at")
            and len(v.args) == 4
            and not v.keywords
            and _is_name(v.args[0], d)
            and _is_name(v.args[1], x)
            and _simple_key(v.args[2])
            and isinstance(v.args[3], gast.Name)
            and v.args[3].id != d
        ):
            return "add"
        if (
            isinstance(v, gast.Subscript)
            and isinstance(v.slice, gast.Constant)
            and v.slice.value == 0
            and type(v.slice.value) is int
            and _is_put(v.value, d, x, rt)
        ):
            return "drop"  # d = _rt.setitem_adj(d, x, k, v)[0]: v's adjoint not wanted
        return None
    if (
        isinstance(t, gast.Tuple)
        and len(t.elts) == 2
        and _is_name(t.elts[0], d)
        and isinstance(t.elts[1], gast.Name)
        and t.elts[1].id not in (d, x)
        and _is_put(v, d, x, rt)
    ):
        return "put"
    return None


def _is_put(v, d, x, rt):
    """``_rt.setitem_adj(d, x, k[, v])``."""
    return (
        is_call_of(v, rt, "setitem_adj")
        and len(v.args) in (3, 4)
        and not v.keywords
        and _is_name(v.args[0], d)
        and _is_name(v.args[1], x)
        and _simple_key(v.args[2])
        and not any(_is_name(a, d) for a in v.args[2:])
    )


def _is_get(n, d, rt):
    """``_rt.getitem_adj(d, k)``: the adjoint of a display's entry, read."""
    return (
        is_call_of(n, rt, "getitem_adj")
        and len(n.args) == 2
        and not n.keywords
        and _is_name(n.args[0], d)
        and _simple_key(n.args[1])
    )


def _is_display_read(n, d, rt):
    """``_rt.display_entry_adj(d, keys, i)``: a display's entry read, where keys may
    coincide; it reads the dict as it is (``dict.get``), so it stays as it is."""
    return (
        is_call_of(n, rt, "display_entry_adj")
        and len(n.args) == 3
        and not n.keywords
        and _is_name(n.args[0], d)
        and not any(_is_name(m, d) for a in n.args[1:] for m in walk(a))
    )


def _operands_fit(s, form, elt, inference):
    v = s.value
    if form == "add":
        return inference.shape(v.args[3]) in (elt, _ZERO)
    if form == "drop":
        return True  # (no value's adjoint read: nothing to unbroadcast)
    return len(v.args) == 3 or inference.shape(v.args[3]) == elt


def _rewrite(stmts, d, x, rt):
    out = []
    for s in stmts:
        form = _form(s, d, x, rt)  # (this adjoint's statements only: FINDINGS A10)
        if form is not None:
            out.append(_form_of_rewritten(s, form, d, rt))
            continue
        for field in ("body", "orelse"):
            inner = getattr(s, field, None)
            if isinstance(inner, list) and inner and isinstance(inner[0], gast.stmt):
                setattr(s, field, _rewrite(inner, d, x, rt))
        out.append(s)
    return out


def _form_of_rewritten(s, form, d, rt):
    t, v = s.targets[0], s.value
    if form == "init":
        return _keep_line(assign(d, gast.Dict([], []), None), s)
    if form == "add":
        k, g = v.args[2], v.args[3]
        total = gast.BinOp(_item(d, k), gast.Add(), name(g.id))
        value = gast.IfExp(_contains(k, d), total, name(g.id))
        store = gast.Assign([_item(d, k, gast.Store())], value, None)
        test = gast.Compare(name(g.id), [gast.IsNot()], [attr(name(rt), "ZERO")])
        return _keep_line(gast.If(test, [store], []), s)
    if form == "drop":
        dropped = call(attr(name(d), "pop"), [_copy(v.value.args[2]), gast.Constant(None, None)])
        return _keep_line(gast.Expr(dropped), s)
    dv = t.elts[1].id  # "put"
    popped = call(attr(name(d), "pop"), [_copy(v.args[2]), attr(name(rt), "ZERO")])
    return _keep_line(assign(dv, popped, None), s)


def _keep_line(new, old):
    for key in ("srcad_line", "lineno"):
        if hasattr(old, key):
            setattr(new, key, getattr(old, key))
    return new


def _item(d, k, ctx=None):
    return gast.Subscript(name(d), _copy(k), ctx or gast.Load())


def _contains(k, d):
    return gast.Compare(_copy(k), [gast.In()], [name(d)])


def _copy(e):
    if isinstance(e, gast.Name):
        return name(e.id)
    if isinstance(e, gast.Constant):
        return gast.Constant(e.value, None)
    if isinstance(e, gast.UnaryOp):
        return gast.UnaryOp(e.op.__class__(), _copy(e.operand))
    return gast.BinOp(_copy(e.left), e.op.__class__(), _copy(e.right))


def _simple_key(e):
    """A key cheap and safe to evaluate again: a name, a number, ``-1``, ``t - 1``."""
    if isinstance(e, gast.Name):
        return True
    if isinstance(e, gast.Constant):
        return isinstance(e.value, (int, str)) and not isinstance(e.value, bool)
    if isinstance(e, gast.UnaryOp):
        return (
            isinstance(e.op, gast.USub)
            and isinstance(e.operand, gast.Constant)
            and (type(e.operand.value) is int)
        )
    if isinstance(e, gast.BinOp):
        return (
            isinstance(e.op, _KEY_OPS)
            and all(isinstance(p, (gast.Name, gast.Constant)) for p in (e.left, e.right))
            and all(_simple_key(p) for p in (e.left, e.right))
        )
    return False


def _is_assign_to(s, d):
    return (
        isinstance(s, gast.Assign)
        and len(s.targets) == 1
        and isinstance(s.targets[0], gast.Name)
        and s.targets[0].id == d
    )


def _is_name(e, n):
    return isinstance(e, gast.Name) and e.id == n


def _names_of(s, d):
    return [n for n in walk(s) if isinstance(n, gast.Name) and n.id == d]
