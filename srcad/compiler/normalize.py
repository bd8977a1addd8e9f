"""Desugar a function into the small language the reverse pass takes.

After this stage the body holds only:

* ``name = <op>`` where ``<op>`` is one operation on *atoms* (names, constants,
  or inactive expressions): a copy, a binary/unary operator, a call, an
  attribute, a subscript, a tuple/list/dict display; inactive expressions stay
  whole, exactly as written;
* ``name[index] = atom`` (item assignment) and ``name.append(atom)``;
* ``if cond_name: ... else: ...`` with the test saved in a variable;
* ``for target in range_name: ...`` (every loop iterates over a range object;
  other iterables are indexed) and ``while test: ...`` with an iteration counter;
* the ``with`` forms srcad defines, inactive statements (print, assert, ...);
* one ``return name`` at the very end.

``break``, ``continue`` and early ``return`` become flags and guarded blocks, so
the reverse pass only sees structured control flow.  Each statement keeps the
user's line number (``srcad_line``) for ``# Grad of:`` comments and errors.

Design note: the stage is split along Tangent's seams, one module a job.

* refusals.py: every construct is known or refused, before anything else runs;
* desugar.py: sugar rewritten in plain statements (assignment expressions);
* anf.py: expressions into one operation per statement (``ANF``, mixed in here);
* namer.py: the names of the temporaries;
* this module: statements and control flow (exits, loops, unpacking, ``with``).
"""

import gast
import numpy as np

from ..runtime.core import NUMPY_WRITERS
from .analyze import NONDIFF_OPS, is_insert_grad_with, is_no_grad_with
from .anf import ANF
from .astutil import block_items, children, statements, walk
from .desugar import hoist_named_exprs
from .refusals import REFUSED_INPLACE_METHODS, check_function
from .saveplan import INPLACE_METHODS
from .vocab import assign, attr, call, const, index_expr, name, popped_from, store

# list methods that change the list (pop gives a value, and t = lst.pop() is followed)
_LIST_CHANGERS = frozenset({"append", "extend", "insert", "remove", "reverse", "sort", "clear"})


class Normalizer(ANF):
    """A function into the small language of the module note: statements here,
    expressions in one-operation form by ``ANF`` (anf.py)."""

    def __init__(self, parsed, namer, resolver, activity, kinds=None, callee=False):
        super().__init__(parsed, namer, resolver, activity, kinds)
        self.callee = callee  # transforming a function called by another one
        self.loop_flags = []  # per enclosing loop: {'brk': name|None, 'cont': name|None}
        self.ret_flag = None
        self.ret_name = None

    # -- entry -------------------------------------------------------------

    def run(self, fdef):
        self._fdef = fdef
        self.lambdas = {}
        check_function(self.parsed, self.resolver, fdef)
        self.params = {a.id for a in fdef.args.args + fdef.args.kwonlyargs}
        body = list(fdef.body)
        if body and isinstance(body[0], gast.Expr) and isinstance(body[0].value, gast.Constant):
            body = body[1:]  # docstring
        self.ret_name = self.namer.fresh(fdef.name if fdef.name.isidentifier() else "result")
        self.single_exit = self._single_final_return(body)
        out = []
        if not self.single_exit:
            self.ret_flag = self.namer.fresh("returned")
            out.append(assign(self.ret_flag, const(False), None))
            out[-1].srcad_book = True
            out.append(assign(self.ret_name, const(None), None))
            out[-1].srcad_book = True
        out += self.block(body)
        ret = gast.Return(name(self.ret_name))
        ret.srcad_line = None
        out.append(ret)
        fdef.body = out
        return fdef

    def _single_final_return(self, body):
        returns = [n for s in body for n in statements(s) if isinstance(n, gast.Return)]
        return len(returns) == 1 and body and isinstance(body[-1], gast.Return)

    # -- statements ----------------------------------------------------------

    def block(self, stmts):
        """Normalize a list of statements, guarding what follows an early exit."""
        out = []
        for i, s in enumerate(stmts):
            out += self.stmt(s)
            exits = self._exit_flags(s)
            rest = stmts[i + 1 :]
            if exits and rest:
                if isinstance(s, (gast.Break, gast.Continue, gast.Return)):
                    return out  # the rest of the block is dead code
                cond = None
                for flag in exits:
                    term = gast.UnaryOp(gast.Not(), name(flag))
                    cond = term if cond is None else gast.BoolOp(gast.And(), [cond, term])
                guard = gast.If(cond, rest, [])
                guard.lineno = getattr(rest[0], "lineno", None)
                guard.srcad_guard = True
                out += self.stmt(guard)
                return out
        return out

    def _exit_flags(self, s):
        """Flags set by ``s`` that make the rest of the current block dead."""
        flags = []
        has_ret = has_brk = has_cont = False
        for n in _walk_same_loop(s):
            if isinstance(n, gast.Return):
                has_ret = True
            elif isinstance(n, gast.Break):
                has_brk = True
            elif isinstance(n, gast.Continue):
                has_cont = True
        if isinstance(s, (gast.For, gast.While)):
            has_brk = has_cont = False  # exits of an inner loop stay inside it
            has_ret = any(isinstance(n, gast.Return) for n in statements(s))
        if has_ret and self.ret_flag:
            flags.append(self.ret_flag)
        if self.loop_flags:
            top = self.loop_flags[-1]
            if has_brk and top["brk"]:
                flags.append(top["brk"])
            if has_cont and top["cont"]:
                flags.append(top["cont"])
            if has_ret and top["brk"] and top["brk"] not in flags:
                flags.append(top["brk"])
        return flags

    def stmt(self, s):
        # a statement made while lowering an expression (the `if` of a conditional
        # expression, the loop of a comprehension) binds its temporaries only inside
        # itself: the enclosing statement's subscript temporaries are restored after
        outer = self._same_stmt
        try:
            return self._stmt(s)
        finally:
            self._same_stmt = outer

    def _stmt(self, s):
        self.line = getattr(s, "lineno", self.line)
        self._same_stmt = {}
        method = getattr(self, "stmt_" + type(s).__name__, None)
        if method is None:
            raise self.parsed.error(
                s,
                f"`{type(s).__name__}` statements are not supported",
                "rewrite it with assignments, if, for and while",
            )
        if isinstance(s, (gast.Expr, gast.Assign, gast.AugAssign, gast.Return)):
            self._refuse_changes_in_expressions(s)
            if self.callee:
                self._refuse_argument_methods(s)
        pre, s = hoist_named_exprs(s, self.parsed)
        out = []
        for a in pre:
            out += self.stmt_Assign(a)
        self._same_stmt = {}
        out += method(s)
        for n in out:
            if getattr(n, "srcad_line", "unset") == "unset":
                n.srcad_line = self.line
        return out

    def stmt_Pass(self, s):
        return []

    def stmt_FunctionDef(self, s):
        """``def inner(t): return expr`` inside the function: inlined like a lambda."""
        ret = [
            b
            for b in s.body
            if not (isinstance(b, gast.Expr) and isinstance(b.value, gast.Constant))
        ][0]
        lam = gast.Lambda(s.args, ret.value)
        lam.lineno = getattr(s, "lineno", None)
        return self.define_lambda(s.name, lam)

    def _refuse_numpy_writer(self, v, s):
        """``np.put(x, i, v)``, ``np.add.at(x, i, v)``...: a NumPy function that writes
        into an argument carries no gradient through the write; refused when any
        argument is active (``np.copyto`` was lowered to an assignment already)."""
        f = v.func
        label = None
        if isinstance(f, gast.Attribute) and f.attr == "at":
            ok, obj = self.resolver.value(f.value)
            if ok and isinstance(obj, np.ufunc):
                label = f"np.{obj.__name__}.at"
        else:
            ok, obj = self.resolver.value(f)
            if ok and getattr(obj, "__name__", None) in NUMPY_WRITERS:
                module = getattr(obj, "__module__", None) or ""
                if module.split(".", 1)[0] == "numpy" or isinstance(obj, np.ufunc):
                    label = f"np.{obj.__name__}"
        if label is None:
            return
        if any(self.act.expr(a) for a in list(v.args) + [k.value for k in v.keywords]):
            raise self.parsed.error(
                s,
                f"`{label}` writes into its argument in place, and srcad cannot "
                "differentiate that write",
                "build a new value instead (y = x.copy(); y[index] = value, or np.where)",
            )

    def stmt_Expr(self, s):
        v = s.value
        if isinstance(v, gast.Constant):
            return []
        if self.is_lambda_call(v):
            # `add(x)` with `add = lambda v: acc.append(v)`: the body is the statement
            # (run as a call, its append was not undone by the sweep: FINDINGS A5)
            pre, body = self.lambda_body(v)
            node = gast.Expr(body)
            gast.copy_location(node, s)
            return pre + self.stmt_Expr(node)
        if isinstance(v, gast.Call):
            self._refuse_numpy_writer(v, s)
            self._refuse_held_receiver(v, s)
        if (
            isinstance(v, gast.Call)
            and isinstance(v.func, gast.Attribute)
            and v.func.attr == "append"
            and isinstance(v.func.value, gast.Name)
            and (self.act.expr(v.func.value) or v.func.value.id in self.resolver.locals)
        ):
            # (an append is undone in the backward sweep, active list or not)
            if len(v.args) != 1 or v.keywords:
                raise self.parsed.error(
                    s, "append() with other than one argument", "call lst.append(value)"
                )
            pre, a = self.atom(v.args[0])
            v.args = [a]
            v.srcad_inplace_ok = True
            node = gast.Expr(v)
            node.srcad_kind = "append"
            return pre + [node]
        if popped_from(v) is not None and self.act.expr(v.func.value):
            s.srcad_kind = "pop"  # generated code restoring a list: forward mode follows it
            v.srcad_inplace_ok = True
            return [s]
        if (
            isinstance(v, gast.Call)
            and isinstance(v.func, gast.Attribute)
            and isinstance(v.func.value, gast.Name)
            and (
                self.act.expr(v.func.value)
                or any(self.act.expr(a) for a in v.args)
                or any(self.act.expr(k.value) for k in v.keywords)
            )
            and v.func.attr in REFUSED_INPLACE_METHODS
        ):
            raise self.parsed.error(
                s,
                f"in-place method `{v.func.attr}` on an active value",
                "build a new value instead (e.g. lst = lst + [v], y = np.sort(x))",
            )
        if isinstance(v, gast.Call):
            kind, obj = self.resolver.call_kind(v)
            if obj is _restore_item() and len(v.args) == 3:
                s.srcad_kind = "restore"
                pre, a = self.atom(v.args[2])
                v.args[2] = a
                return pre + [s]
            if kind == "user" and any(
                self.act.expr(a) for a in list(v.args) + [k.value for k in v.keywords]
            ):
                raise self.parsed.error(
                    s,
                    "a call of your function on active values whose result is discarded "
                    "(srcad cannot follow changes it makes to its arguments)",
                    "return the new value from the function and assign it",
                )
        return [s]

    def stmt_Assert(self, s):
        return [s]

    def stmt_Return(self, s):
        value = s.value if s.value is not None else const(None)
        if self.single_exit:
            return self.assign_to(self.ret_name, value)
        out = self.assign_to(self.ret_name, value)
        flag = assign(self.ret_flag, const(True), self.line)
        flag.srcad_book = True
        out.append(flag)
        for flags in self.loop_flags:  # a return leaves every enclosing loop
            brk = assign(flags["brk"], const(True), self.line)
            brk.srcad_book = True
            out.append(brk)
        return out

    def stmt_Break(self, s):
        top = self.loop_flags[-1]
        node = assign(top["brk"], const(True), self.line)
        node.srcad_book = True
        return [node]

    def stmt_Continue(self, s):
        top = self.loop_flags[-1]
        node = assign(top["cont"], const(True), self.line)
        node.srcad_book = True
        return [node]

    def stmt_Assign(self, s):
        if len(s.targets) != 1:
            out = []
            first = s.targets[0]
            out += self.stmt_Assign(gast.Assign([first], s.value, None))
            for t in s.targets[1:]:
                out += self.stmt_Assign(gast.Assign([t], _load(first), None))
            return out
        return self.assign_target(s.targets[0], s.value)

    def stmt_AnnAssign(self, s):
        if s.value is None:
            return []
        return self.assign_target(s.target, s.value)

    def stmt_AugAssign(self, s):
        t = s.target
        if isinstance(t, gast.Name):
            out = self.assign_to(t.id, gast.BinOp(name(t.id), s.op, s.value))
            # `x += y` writes into x's array in NumPy: whoever shares it sees the change
            # (alias.py refuses reading such a name afterwards)
            out[-1].srcad_augassign = t.id
            if self.callee and t.id in self.params:
                # an argument of a called function: a number is rebound, but an array or
                # a list is the caller's own, changed in place where the generated code
                # would make a new one (checked at run time: transform.element_check)
                out[-1].srcad_argument_write = self.parsed.line_of(s)[0]
            return out
        if isinstance(t, gast.Subscript):
            pre, base = self.subscript_base(t)
            cur = gast.Subscript(base, t.slice, gast.Load())
            return pre + self.assign_target(
                gast.Subscript(base, t.slice, gast.Store()), gast.BinOp(cur, s.op, s.value)
            )
        raise self.parsed.error(
            s, "augmented assignment to an attribute", "assign to a local variable"
        )

    def assign_target(self, target, value):
        if isinstance(target, gast.Name):
            return self.assign_to(target.id, value)
        if isinstance(target, (gast.Tuple, gast.List)):
            if any(isinstance(e, gast.Starred) for e in target.elts):
                raise self.parsed.error(
                    target, "starred unpacking (a, *rest = ...)", "index the sequence explicitly"
                )
            if isinstance(value, (gast.Tuple, gast.List)) and len(value.elts) == len(target.elts):
                # a, b = b, a: evaluate every right-hand side first.
                out, tmps = [], []
                for e in value.elts:
                    if isinstance(e, gast.Name):
                        t = self.namer.fresh(e.id + "_old")
                        out += self.assign_to(t, e)
                        tmps.append(name(t))
                        continue
                    pre, a = self.atom(e, hoist_inactive=True, force_name=True)
                    out += pre
                    tmps.append(a)
                for t, a in zip(target.elts, tmps):
                    out += self.assign_target(t, a)
                return out
            pre, src = self.atom(value, hoist_inactive=True, force_name=True)
            out = pre
            for k, t in enumerate(target.elts):
                out += self.assign_target(t, gast.Subscript(src, const(k), gast.Load()))
            return out
        if isinstance(target, gast.Subscript):
            self._check_alias(target)
            pre, base = self.subscript_base(target)
            pre2, v = self.atom(value)
            node = gast.Assign([gast.Subscript(base, target.slice, gast.Store())], v, None)
            node.srcad_kind = "setitem"
            return pre + pre2 + [node]
        if isinstance(target, gast.Attribute):
            if self.act.expr(value):
                raise self.parsed.error(
                    target,
                    "assigning an active value to an attribute",
                    "keep the value in a local variable",
                )
            return [gast.Assign([target], value, None)]
        raise self.parsed.error(
            target, f"assignment to {type(target).__name__}", "assign to a plain name"
        )

    def _refuse_changes_in_expressions(self, s):
        """``t = lst.append(v)``, ``f(lst.sort())``: a method that changes a local list,
        called inside an expression.  The sweep follows ``lst.append(v)`` as a statement
        of its own (and undoes it going back); inside an expression the change went
        unseen, active list or not (FINDINGS A5).  A lambda's body is checked where the
        lambda is inlined."""
        top = s.value if isinstance(s, gast.Expr) else None
        stack = [s]
        while stack:
            n = stack.pop()
            if isinstance(n, gast.Lambda):
                continue
            if (
                isinstance(n, gast.Call)
                and n is not top
                and isinstance(n.func, gast.Attribute)
                and isinstance(n.func.value, gast.Name)
                and n.func.attr in _LIST_CHANGERS
                and self._holds_container(n.func.value.id)  # (not np.sort)
            ):
                raise self.parsed.error(
                    s,
                    f"`{n.func.value.id}.{n.func.attr}(...)` inside an expression (srcad "
                    f"follows `{n.func.value.id}.{n.func.attr}(...)` only as a statement of "
                    "its own)",
                    f"write the call as a statement of its own: {n.func.value.id}."
                    f"{n.func.attr}(...)",
                )
            stack.extend(children(n))

    def _holds_container(self, n):
        """Whether name ``n`` is the function's own or a global list, dict, set or
        array (not a module: ``np.sort(x)`` changes nothing)."""
        if n in self.resolver.locals:
            return True
        found, obj = self.parsed.lookup(n)
        return found and isinstance(obj, (list, dict, set, np.ndarray))

    def _refuse_held_receiver(self, v, s):
        """``self.hs.append(h)``, ``d["k"].append(h)``: a method that changes a list or
        array held in an attribute or a container, with an active value.  srcad follows
        appends to (and pops from) lists in local variables only; this one gave a zero
        gradient before check_operands refused it (FINDINGS A5)."""
        f = v.func
        if not (
            isinstance(f, gast.Attribute)
            and f.attr in INPLACE_METHODS
            and isinstance(f.value, (gast.Attribute, gast.Subscript))
        ):
            return
        args = list(v.args) + [k.value for k in v.keywords]
        if self.act.expr(f.value) or any(self.act.expr(a) for a in args):
            raise self.parsed.error(
                s,
                f"`.{f.attr}(...)` on a list or array held in an attribute or a container, "
                "with an active value (srcad follows changes to local lists only)",
                "keep the list in a local variable (hs = []; hs.append(h)) and store it "
                "afterwards",
            )

    def _refuse_argument_methods(self, s):
        """In a called function: ``lst.append(v)``, ``lst.pop()``, ``a.sort()`` and the
        other methods that change their receiver, on a parameter that holds an active
        value or receives one.  The caller's list or array would change, and the
        caller's sweep does not follow a change made inside the call (FINDINGS A6: an
        append there lost the appended value's gradient)."""
        for n in walk(s):
            if not (
                isinstance(n, gast.Call)
                and isinstance(n.func, gast.Attribute)
                and isinstance(n.func.value, gast.Name)
                and n.func.value.id in self.params
                and n.func.attr in INPLACE_METHODS
            ):
                continue
            p = n.func.value
            args = list(n.args) + [k.value for k in n.keywords]
            if self.act.expr(p) or any(self.act.expr(a) for a in args):
                raise self.parsed.error(
                    s,
                    f"`{p.id}.{n.func.attr}(...)` changes the argument `{p.id}` inside a "
                    "called function (the caller's value would change, and srcad does "
                    "not follow a change made inside the call)",
                    "return the new value from the function and assign it in the caller",
                )

    def _check_alias(self, target):
        base = target.value
        if not isinstance(base, gast.Name) or not (
            self.act.expr(base) or self.act.expr(getattr(self, "_value_for_alias", None))
        ):
            return
        if self.callee and base.id in self.params:
            raise self.parsed.error(
                target,
                f"item assignment into the argument `{base.id}` inside a called "
                "function (the caller's array would change)",
                f"return the new array instead, or copy it first: {base.id} = {base.id}.copy()",
            )

    def subscript_base(self, target):
        """For ``a[i][j] = v`` return statements that bind ``a[i]`` and the base name."""
        base = target.value
        if isinstance(base, gast.Name):
            return [], name(base.id)
        if isinstance(base, gast.Subscript) and self.act.expr(base):
            raise self.parsed.error(
                target,
                "assignment into a nested subscript of an active value",
                "index with a tuple (x[i, j] = v) or assign the inner value to a name first",
            )
        return [], base

    # -- control flow --------------------------------------------------------

    def stmt_If(self, s):
        line = self.line
        cond = self.namer.fresh("cond")
        pre, test = self.inactive_test(s.test)
        out = pre + [assign(cond, test, self.line)]
        node = gast.If(name(cond), self.block(s.body), self.block(s.orelse))
        node.srcad_line = line
        node.srcad_guard = getattr(s, "srcad_guard", False)
        return out + [node]

    def inactive_test(self, test):
        if self.act.expr(test):
            # `if x:` on an active value: its truth value is not differentiable.
            return [], gast.Call(name("bool"), [test], [])
        return [], test

    def stmt_With(self, s):
        if is_no_grad_with(s, self.resolver):
            node = gast.With(s.items, self.block(s.body), None)
            node.srcad_kind = "no_grad"
            return [node]
        if is_insert_grad_with(s, self.resolver):
            item = s.items[0]
            args = item.context_expr.args
            if (
                len(args) != 1
                or not isinstance(args[0], gast.Name)
                or not isinstance(item.optional_vars, gast.Name)
            ):
                raise self.parsed.error(
                    s,
                    "insert_grad_of needs a variable name and an `as` name",
                    "write `with srcad.insert_grad_of(x) as dx:`",
                )
            node = gast.With(s.items, s.body, None)
            node.srcad_kind = "insert_grad"
            return [node]
        raise self.parsed.error(
            s,
            "`with` statements other than srcad.no_grad() and srcad.insert_grad_of()",
            "move the with block outside the differentiated function",
        )

    def stmt_While(self, s):
        line = self.line
        flags = self._loop_flags(s)
        counter = self.namer.fresh("n_iter")
        init = assign(counter, const(0), self.line)
        init.srcad_book = "counter_init"
        out = [init] + self._flag_inits(flags)
        pre, test = self.inactive_test(s.test)
        if pre:
            raise self.parsed.error(
                s, "while condition on an active value", "compare explicitly, e.g. while x > 0"
            )
        self.loop_flags.append(flags)
        body = self._flag_resets(flags) + self.block(s.body)
        self.loop_flags.pop()
        body += self._loop_tail(counter, flags)
        node = gast.While(test, body, [])
        node.srcad_line = line
        node.srcad_counter = counter
        return out + [node]

    def _loop_flags(self, s):
        has_brk = has_cont = has_ret = False
        for n in _walk_same_loop(s, top=True):
            has_brk |= isinstance(n, gast.Break)
            has_cont |= isinstance(n, gast.Continue)
            has_ret |= isinstance(n, gast.Return)
        return {
            "brk": self.namer.fresh("stop") if (has_brk or has_ret) else None,
            "cont": self.namer.fresh("skip") if has_cont else None,
        }

    def _flag_inits(self, flags):
        out = []
        if flags["brk"]:
            out.append(assign(flags["brk"], const(False), self.line))
            out[-1].srcad_book = True
        return out

    def _flag_resets(self, flags):
        out = []
        if flags["cont"]:
            out.append(assign(flags["cont"], const(False), self.line))
            out[-1].srcad_book = True
        return out

    def _loop_tail(self, counter, flags):
        out = []
        if counter:
            inc = assign(counter, gast.BinOp(name(counter), gast.Add(), const(1)), self.line)
            inc.srcad_book = True
            out.append(inc)
        if flags["brk"]:
            br = gast.If(name(flags["brk"]), [gast.Break()], [])
            br.srcad_book = True
            out.append(br)
        return out

    def stmt_For(self, s):
        line = self.line
        flags = self._loop_flags(s)
        out = self._flag_inits(flags)
        it = s.iter
        target = s.target
        prefix = []  # statements at the top of each iteration (element extraction)
        range_call = self._as_range(it)
        loop_var = None
        if range_call is not None and isinstance(target, gast.Name):
            rng = self.namer.fresh("range_" + target.id)
            out.append(assign(rng, range_call, line))
            loop_var = target.id
        else:
            seqs, pairs = self._sequence_loop(it, target)
            idx = self.namer.fresh("index")
            seq_names = []
            for seq_node in seqs:
                if isinstance(seq_node, gast.Name) and not _assigned_in(seq_node.id, s.body):
                    seq_names.append(seq_node.id)
                else:
                    seq_name = self.namer.fresh("seq")
                    out += self.assign_to(seq_name, seq_node)
                    seq_names.append(seq_name)
            lens = [call(name("len"), [name(n)]) for n in seq_names]
            n = lens[0] if len(lens) == 1 else call(name("min"), lens)
            rng = self.namer.fresh("range_" + idx)
            out.append(assign(rng, call(name("range"), [n]), line))
            loop_var = idx
            for tgt, src in pairs:
                if src[0] == "seq":
                    value = gast.Subscript(name(seq_names[src[1]]), name(idx), gast.Load())
                elif src[0] == "index":
                    value = (
                        name(idx) if src[1] is None else gast.BinOp(name(idx), gast.Add(), src[1])
                    )
                else:  # ("dictval", dict_name, key_name)
                    value = gast.Subscript(name(src[1]), name(src[2]), gast.Load())
                prefix += self.assign_target(tgt, value)
        counter = None
        if flags["brk"]:
            counter = self.namer.fresh("n_iter")
            init = assign(counter, const(0), line)
            init.srcad_book = "counter_init"
            out.append(init)
        self.loop_flags.append(flags)
        body = self._flag_resets(flags) + prefix + self.block(s.body)
        self.loop_flags.pop()
        body += self._loop_tail(counter, flags)
        node = gast.For(store(loop_var), name(rng), body, [], None)
        node.srcad_line = line
        node.srcad_counter = counter
        node.srcad_range = rng
        return out + [node]

    def _as_range(self, it):
        if isinstance(it, gast.Call) and not it.keywords:
            ok, obj = self.resolver.value(it.func)
            if ok and obj is range and not self.act.expr(it):
                return it
        return None

    def _sequence_loop(self, it, target):
        """A loop over a sequence: the sequences to index and (target, source) pairs.

        A source is ("seq", k): the k-th sequence at the index; ("index", offset):
        the index itself; ("dictval", dict_name, key_name): a dict value.
        """
        pair_target = isinstance(target, (gast.Tuple, gast.List))
        if isinstance(it, gast.Call):
            ok, obj = self.resolver.value(it.func)
            if ok and obj is enumerate and pair_target and len(target.elts) == 2:
                start = it.args[1] if len(it.args) > 1 else None
                for k in it.keywords:
                    if k.arg == "start":
                        start = k.value
                seqs, pairs = self._sequence_loop(it.args[0], target.elts[1])
                return seqs, [(target.elts[0], ("index", start))] + pairs
            if (
                ok
                and obj is zip
                and pair_target
                and len(target.elts) == len(it.args)
                and (not it.keywords)
            ):
                return list(it.args), [(t, ("seq", k)) for k, t in enumerate(target.elts)]
            if ok and obj is reversed and len(it.args) == 1:
                rev = gast.Subscript(it.args[0], gast.Slice(None, None, const(-1)), gast.Load())
                return [rev], [(target, ("seq", 0))]
            f = it.func
            if (
                isinstance(f, gast.Attribute)
                and f.attr in ("items", "values", "keys")
                and (isinstance(f.value, gast.Name) and not it.args)
            ):
                d = f.value.id
                keys = call(name("list"), [call(attr(name(d), "keys"), [])])
                if f.attr == "keys":
                    return [keys], [(target, ("seq", 0))]
                if (
                    f.attr == "items"
                    and pair_target
                    and len(target.elts) == 2
                    and isinstance(target.elts[0], gast.Name)
                ):
                    key = target.elts[0].id
                    return [keys], [
                        (target.elts[0], ("seq", 0)),
                        (target.elts[1], ("dictval", d, key)),
                    ]
                if f.attr == "values":
                    key = self.namer.fresh("key")
                    return [keys], [(store(key), ("seq", 0)), (target, ("dictval", d, key))]
        if isinstance(it, gast.Name) and self.kinds.get(it.id) == "dict":
            return [call(name("list"), [call(attr(name(it.id), "keys"), [])])], [
                (target, ("seq", 0))
            ]
        if not self.act.expr(it) and not isinstance(it, gast.Name):
            it = call(name("list"), [it])
        return [it], [(target, ("seq", 0))]


def _restore_item():
    from ..runtime.core import restore_item

    return restore_item


def _load(target):
    if isinstance(target, gast.Name):
        return name(target.id)
    return target


def _assigned_in(id_, stmts):
    for s in stmts:
        for n in walk(s):
            if isinstance(n, gast.Name) and n.id == id_ and isinstance(n.ctx, gast.Store):
                return True
    return False


def _walk_same_loop(s, top=False):
    """Walk ``s``'s statements without entering nested loops (their break/continue are
    their own); ``return``, ``break`` and ``continue`` are only ever statements."""
    stack = list(s.body) + list(getattr(s, "orelse", []) or []) if top else [s]
    while stack:
        n = stack.pop()
        yield n
        if isinstance(n, (gast.For, gast.While)) and not (top and False):
            # a nested loop: only its `return`s escape
            for m in statements(n):
                if isinstance(m, gast.Return):
                    yield m
            continue
        if isinstance(n, (gast.FunctionDef, gast.Lambda)):
            continue
        stack.extend(block_items(n))


# (the AST builders are re-exported: code outside the compiler imported them from here)
__all__ = [
    "Normalizer",
    "NONDIFF_OPS",
    "assign",
    "attr",
    "call",
    "const",
    "index_expr",
    "name",
    "store",
]
