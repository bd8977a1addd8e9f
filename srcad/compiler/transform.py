"""What forward and reverse mode share: the base class of both transformations.

Design note.  ``Forward`` (forward.py) and ``Reverse`` (reverse.py) are siblings:
each walks the normalized function (normalize.py) statement by statement and
writes new statements around the user's.  They differ in what they write, and
that stays in their own modules; what they *look up* is the same, and lives here:

* the function being transformed and its context (``parsed``, ``namer``,
  ``resolver``, the ``active`` names, the ``Namespace`` of injected objects) and
  the name under which generated code reaches srcad's runtime helpers (``_rt``);
* what normalization marked a statement as (``kind``);
* which operands are active (``is_active``) and whether a gradient can flow
  from an expression at all (``carries_gradient``);
* the rule behind an operator, a method or an attribute (``operator_prim``,
  ``method_prim``, ``attr_prim``) and the binding of a rule template's
  parameters to a call's arguments (``bind``);
* a call of the user's own function: its arguments bound to its parameters, the
  active ones among them, and the object a bound method is called on;
* the comment line (``# Grad of:`` / ``# Tangent of:``) that heads each block;
* a rule template's call that the primal already made, read from the name that
  holds it (``reuse_primal_calls``, reuse.py).

Nothing here knows about adjoints or tangents.
"""

import functools
import inspect
import keyword
import re

import gast

from . import reuse
from .analyze import method_table
from .astutil import children, clone
from .saveplan import pure_value
from .templates import bind_or_refuse
from .vocab import BINOPS, UNOPS, Comment, attr, call, const, index_expr, name


class Transform:
    """The shared state and look-ups of a transformation (see the module note)."""

    comment_label = None  # "Grad of" (reverse) or "Tangent of" (forward)

    def __init__(self, parsed, fdef, namer, resolver, active, ns):
        self.parsed = parsed
        self.fdef = fdef
        self.namer = namer
        self.resolver = resolver
        self.active = active
        self.ns = ns
        self.rt_name = ns.ref(runtime(), "_rt")

    # -- statements ------------------------------------------------------------------

    @staticmethod
    def kind(s):
        """What normalization marked ``s`` as: ``setitem``, ``append``, ``pop``,
        ``restore``, ``no_grad``, ``insert_grad``, or ``""`` for a plain statement."""
        return getattr(s, "srcad_kind", "")

    @staticmethod
    def each(stmts, visit):
        """The statements ``visit`` writes for each of ``stmts``, in order."""
        out = []
        for s in stmts:
            out += visit(s)
        return out

    # -- names and operands ------------------------------------------------------

    def is_active(self, node):
        return isinstance(node, gast.Name) and node.id in self.active

    def carries_gradient(self, v):
        """Can a gradient flow from ``v`` to an active name?  Indices, comparisons,
        boolean logic and the test of a conditional expression carry none."""
        stack = [v]
        while stack:
            n = stack.pop()
            if isinstance(n, gast.Name):
                if n.id in self.active:
                    return True
            elif isinstance(n, gast.Subscript):
                stack.append(n.value)
            elif isinstance(n, gast.IfExp):
                stack += [n.body, n.orelse]
            elif isinstance(n, (gast.Compare, gast.BoolOp)):
                continue
            elif isinstance(n, gast.UnaryOp) and isinstance(n.op, (gast.Not, gast.Invert)):
                continue
            else:
                stack.extend(children(n))
        return False

    def element_check(self, s):
        """``_rt.check_element(y, ...)`` before a ``y -= v`` that alias.py let through
        on condition that ``y`` is a number at run time, and ``_rt.check_argument_write``
        before one into a parameter of a called function (``[]`` for any other
        statement)."""
        arg_line = getattr(s, "srcad_argument_write", None)
        if arg_line is not None:
            y = s.srcad_augassign
            args = (name(y), const(y), const(self.parsed.filename), const(arg_line))
            return [gast.Expr(self.rt("check_argument_write", *args))]
        line = getattr(s, "srcad_alias_guard", None)
        if line is None:
            return []
        y = s.srcad_augassign
        args = (name(y), const(y), const(self.parsed.filename), const(line))
        return [gast.Expr(self.rt("check_element", *args))]

    def overlap_check(self, s):
        """``_rt.check_overlap(x, i, v, ...)`` before an ``x[i] = v`` whose value alias.py
        found may share ``x``'s memory (``[]`` for any other statement)."""
        line = getattr(s, "srcad_overlap_guard", None)
        if line is None:
            return []
        t = s.targets[0]
        args = (t.value, index_expr(t.slice), s.value, const(self.parsed.filename), const(line))
        return [gast.Expr(self.rt("check_overlap", *[clone(a) for a in args]))]

    # -- a template's call that the primal already made (reuse.py) ---------------------

    def reuse_primal_calls(self, s, inl):
        """Read, in the instantiated template ``inl`` of statement ``s``, the calls that
        a name already holds there (``np.cos(x)`` where ``c = np.cos(x)`` came before)."""
        if not reuse.REUSE_PRIMAL_CALLS:
            return
        avail = self.__dict__.get("_reuse_avail")
        if avail is None:
            pure = functools.partial(pure_value, self.resolver)
            avail = self._reuse_avail = reuse.available_calls(
                self.fdef, pure, self.reuse_excluded(), self.reuse_later_ok()
            )
        known = avail.get(id(s))
        if known:
            reuse.reuse(s, inl, known)

    def reuse_excluded(self):
        """Names never read for a call: those written in place anywhere."""
        return reuse.written_in_place(self.fdef)

    def reuse_later_ok(self):
        """``later_ok(name, statement)`` of ``reuse.available_calls``, or None: a rule
        written beside its statement (forward mode) reads no later binding."""
        return None

    def rt(self, fn, *args):
        """``_rt.fn(*args)``: a call of one of srcad's runtime helpers."""
        return call(attr(name(self.rt_name), fn), list(args))

    # -- rules -------------------------------------------------------------------------

    @staticmethod
    def operator_prim(op):
        """The primitive behind ``a <op> b`` or ``<op> a`` (``gast.Mult()`` -> ``mul``)."""
        return BINOPS.get(type(op)) or UNOPS.get(type(op))

    @staticmethod
    def method_prim(method):
        """The primitive behind ``x.method(...)`` (``sum`` -> ``np.sum``), or None."""
        methods, _ = method_table()
        return methods.get(method)

    @staticmethod
    def attr_prim(attribute):
        """The primitive behind ``x.attribute`` (``T`` -> ``np.transpose``), or None."""
        _, attrs = method_table()
        return attrs.get(attribute)

    def bind(self, s, tpl, rule, args, keywords):
        """A rule template's parameters bound to the call's arguments (or a refusal)."""
        return bind_or_refuse(self.parsed, s, tpl, rule, args, keywords, self.ns)

    def cast_dtype(self, s, rule, args, keywords):
        """The ``dtype`` a call casts its result to (``x.astype(int)``,
        ``np.asarray(x, dtype=np.uint8)``, ``np.sum(x, dtype=int)``), as the call's
        AST node, or None when it names none.  No derivative flows through a cast to
        integers or bools (PyTorch: only floating tensors carry gradients); the dtype
        is known only when the code runs, so both sweeps ask ``_rt.through_cast``."""
        tpl = rule.adjoint or rule.tangent
        if tpl is None or "dtype" not in tpl.params:
            return None
        node = self.bind(s, tpl, rule, args, keywords).get("dtype")
        if node is None or (isinstance(node, gast.Constant) and node.value is None):
            return None
        return clone(node)

    # -- calls of the user's own functions ---------------------------------------------

    def bind_user_call(self, s, fn):
        """``(arguments, active_params)`` of the call ``s.value`` of the function ``fn``:
        each parameter's argument node, and the parameters given active names."""
        v = s.value
        try:
            ba = inspect.signature(fn).bind(*v.args, **{k.arg: k.value for k in v.keywords})
        except TypeError as exc:
            raise self.parsed.error(
                s,
                f"call of {fn.__name__} does not match its signature: {exc}",
                "fix the call's arguments",
            ) from None
        active_params = tuple(p for p, a in ba.arguments.items() if self.is_active(a))
        return ba.arguments, active_params

    def self_arg(self, fn):
        """``[obj]`` when ``fn`` is a method bound to ``obj`` (passed first), else ``[]``."""
        obj = getattr(fn, "__self__", None) if inspect.ismethod(fn) else None
        if obj is None:
            return []
        return [name(self.ns.ref(obj, type(obj).__name__.lower() or "obj"))]

    # -- comments ------------------------------------------------------------------------

    def comment(self, s):
        """``# <label>: <the user's line>`` for statement ``s``, or None."""
        line = getattr(s, "srcad_line", None)
        text = self.source_line(line) if line else None
        return Comment(f"{self.comment_label}: {text}") if text else None

    def source_line(self, lineno):
        k = lineno - 1
        if 0 <= k < len(self.parsed.source_lines):
            return self.parsed.source_lines[k].strip()
        return None


def callee_name(fn):
    """A readable base name for a called function (``Lin.__call__`` -> ``Lin_call``)."""
    qual = getattr(fn, "__qualname__", None) or getattr(fn, "__name__", "helper")
    qual = qual.replace("<locals>", "").replace("<lambda>", "lambda_fn")
    parts = [re.sub(r"\W", "", p).strip("_") for p in qual.split(".")]
    parts = [p for p in parts if p]
    base = "_".join(parts[-2:]) if len(parts) > 1 else (parts[0] if parts else "helper")
    # a generated name must be an identifier (a global lambda's name is "<lambda>")
    return base if base.isidentifier() and not keyword.iskeyword(base) else f"fn_{base}"


def runtime():
    """srcad's runtime helpers module (imported late: it imports the rules)."""
    from .. import runtime as rt

    return rt
