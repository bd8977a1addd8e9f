"""Run the compiler's stages on one function and build the generated code."""

import functools
import math

import gast

from . import lower_numpy
from .alias import SharedMemoryCheck
from .analyze import Activity, Resolver, assigned_names, loaded_names, param_names
from .anf import check_operands
from .astutil import clone, mentions, replace_children, walk
from .emit import compile_functions, to_source
from .factors import defer_scalar_factors, square_reciprocals
from .identities import simplify_products
from .invariance import gradient_free
from .namer import AdjointNames, Namer
from .negations import floating_names
from .normalize import Normalizer
from .optimize import eliminate_dead_code, maybe_zero_names, optimize_function, propagate_copies
from .parse import parse_function
from .purity import argument_pure, operand_parameters
from .realness import analyze
from .reverse import Reverse, Zeros
from .shapes import resolver_for, sums_by_products
from .templates import Namespace
from .transform import runtime
from .vocab import assign, attr, call, const, is_call_of, name, param, store


class Transformed:
    """The result of transforming one function: its reverse-mode pieces."""

    def __init__(self, parsed, fdef, namer, ns, rev, wrt, ret_name, primal, reverse_code, Z):
        self.parsed = parsed
        self.fdef = fdef
        self.namer = namer
        self.ns = ns
        self.rev = rev
        self.wrt = wrt
        self.ret_name = ret_name
        self.primal = primal
        self.reverse_code = reverse_code
        self.Z = Z


class Compiler:
    """Transforms functions; one instance caches the split (fwd/bwd) helpers it made."""

    def __init__(self, optimize=True):
        self.split_cache = {}
        self.optimize = optimize
        self.parsed = {}  # function -> its Parsed (realness.py follows called functions)

    # -- shared pipeline -------------------------------------------------------------

    def transform(self, fn, wrt, containers=(), callee=False, specialize=False):
        shapes, floating, containers = _split_shapes(containers)
        kinds = {n: k for n, k in containers if k != "float"}
        floats = {n for n, k in containers if k == "float"}
        parsed, fdef, namer, resolver, active, ret_name = self._front(
            fn, wrt, kinds, callee, floats
        )
        if callee:
            self.parsed[fn] = parsed
        params = param_names(fdef)
        cont = set(kinds) | _container_names(fdef, resolver)
        ns = Namespace(parsed, namer)
        if specialize and shapes:
            # the max a stable softmax shifts out: no adjoint (invariance.py)
            rt = ns.ref(runtime(), "_rt")
            resolve = resolver_for(parsed, ns)
            active = active - gradient_free(fdef.body, params, shapes, active, resolve, rt)
        adj = AdjointNames(namer)
        for p in params:
            adj(p)
        adj(ret_name)
        rev = Reverse(
            parsed, fdef, namer, resolver, active, ns, adj, self._user_call_hook(), cont, ret_name
        )
        rev.sequences = _sequence_names(fdef, kinds)
        rev.scalars = _scalar_names(fdef, floats, resolver)
        if specialize:
            rev.shapes = shapes
        body = fdef.body[:-1]  # without the final return
        dret = adj(ret_name)
        z0 = frozenset(adj(n) for n in active | set(params) | {ret_name}) - {dret}
        code, Z = rev.sweep(body, Zeros(z0))
        primal = rev.primal(body)
        tr = Transformed(parsed, fdef, namer, ns, rev, wrt, ret_name, primal, code, Z)
        # Python-number wrt arguments arrive as floats (arguments.convert_wrt); a called
        # function's parameters carry whatever its caller passes; in a specialization,
        # a number argument that holds floating point is a Python float (the key tells
        # a float from an int: shapes.floating_kind)
        tr.float_params = (
            frozenset()
            if callee
            else frozenset(floats) & (set(wrt) | (set(floating) if specialize else set()))
        )
        # parameters that hold floating point in this specialization (the sign pass)
        tr.floating_params = frozenset() if callee or not specialize else frozenset(floating)
        return tr

    def _user_call_hook(self):
        def hook(fn, active_params, stmt):
            return self.split(fn, active_params)

        return hook

    # -- the combined gradient function --------------------------------------------------

    def grad_function(self, fn, wrt, with_value=False, containers=()):
        """Generated ``df(args) -> grads`` (or ``(value, grads)``); cached per function."""
        key = ("grad", fn, tuple(wrt), with_value, frozenset(containers))
        hit = self.split_cache.get(key)
        if hit is None:
            hit = self.split_cache[key] = self._grad_function(fn, wrt, with_value, containers)
        return hit

    def _grad_function(self, fn, wrt, with_value, containers):
        tr = self.transform(fn, wrt, containers, specialize=True)
        fdef = tr.fdef
        adj = tr.rev.adj
        dret = adj(tr.ret_name)
        body = _prologue(tr)
        body += tr.primal
        real_output, all_real = _realness(tr, containers, self._parse)
        # (every value real, none narrower than float64: identities.py)
        tr.wide_real = all_real and not _narrow(containers)
        tr.small_params = frozenset(
            n for n, k in containers if isinstance(k, tuple) and len(k) > 2 and k[2] == "s"
        )
        if all_real:
            _drop_complex_cases(tr)
        if tr.rev.ret_shape == () and not with_value and not _narrow(containers) and real_output:
            # a real scalar for sure (shapes.py, realness.py): the seed is 1, and what
            # only computes the value is dead code for the optimizer.  (Not with
            # float32 or float16 arguments: a float64 seed would carry the backward
            # sweep in float64.  Not where the output may be complex: _rt.seed refuses
            # it, as JAX and the tape do, where 1.0 would give Re's gradient.)
            body.append(assign(dret, const(1.0), None))
        else:
            body.append(assign(dret, tr.rev.rt("seed", name(tr.ret_name), const(fdef.name)), None))
        body[-1].srcad_backward = True
        for s in tr.reverse_code:
            s.srcad_backward = True  # (where factors.py may start: never in the primal)
        body += tr.reverse_code
        grads = [_boundary_grad(tr, w) for w in wrt]
        gval = grads[0] if len(grads) == 1 else gast.Tuple(grads, gast.Load())
        ret = gast.Tuple([name(tr.ret_name), gval], gast.Load()) if with_value else gval
        body.append(gast.Return(ret))
        wname = "_".join(wrt)
        fname = tr.namer.fresh(f"d{fdef.name}_d{wname}")
        new = gast.FunctionDef(fname, fdef.args, body, [], None, None)
        return self._emit([new], tr, [fname], f"grad of {fdef.name}", factors=True)[0][0]

    def _parse(self, fn):
        """``fn`` parsed, as this compiler parsed it when it took a call of it."""
        got = self.parsed.get(fn)
        return got if got is not None else parse_function(fn)

    # -- split functions (called user functions, vjp) -------------------------------------

    def split(self, fn, active_params):
        """``(fwd_name_in_caller, bwd_name)``: injects a fwd/bwd pair for a called function."""
        key = (fn, active_params)
        entry = self.split_cache.get(key)
        if entry is None:
            entry = self.split_cache[key] = _Deferred(fn, active_params)
            try:
                fwd, bwd, src = self.split_functions(fn, active_params)
            except BaseException:
                del self.split_cache[key]
                raise
            entry.resolve(fwd, bwd, src)
            _bypass_trampolines(entry, (fwd, bwd))
        return entry

    def split_functions(self, fn, wrt, callee=True, containers=()):
        # (vjp's own pair is specialized to its arguments' shapes; a called
        # function's pair serves every call site, so it is not)
        kinds = _split_shapes(containers)[2] if callee else containers
        tr = self.transform(fn, list(wrt), kinds, callee=callee, specialize=not callee)
        fdef = tr.fdef
        adj = tr.rev.adj
        dret = adj(tr.ret_name)
        reads = loaded_names(tr.reverse_code)
        local = assigned_names(fdef) | set(tr.rev.user_call_info.values())
        stack = tr.rev.stack
        saved = sorted((reads & local) - {stack})
        fwd_body = _prologue(tr, saved_names=saved, split=True)
        fwd_body += tr.primal
        saved_tuple = gast.Tuple([name(stack)] + [name(n) for n in saved], gast.Load())
        fwd_body.append(gast.Return(gast.Tuple([name(tr.ret_name), saved_tuple], gast.Load())))
        fwd_name = tr.namer.fresh(f"{fdef.name}_fwd")
        bwd_name = tr.namer.fresh(f"{fdef.name}_bwd")
        fwd = gast.FunctionDef(fwd_name, fdef.args, fwd_body, [], None, None)
        saved_param = tr.namer.fresh("saved")
        bwd_body = [
            gast.Assign(
                [gast.Tuple([store(stack)] + [store(n) for n in saved], gast.Store())],
                name(saved_param),
                None,
            ),
            assign(stack, call(name("list"), [name(stack)]), None),
        ]
        bwd_body += tr.reverse_code
        grads = [name(adj(w)) if adj(w) not in tr.Z else tr.rev.zero() for w in wrt]
        bwd_body.append(
            gast.Return(grads[0] if len(grads) == 1 else gast.Tuple(grads, gast.Load()))
        )
        args = gast.arguments(
            [
                param(saved_param),
                param(dret),
            ],
            [],
            None,
            [],
            [],
            None,
            [],
        )
        bwd = gast.FunctionDef(bwd_name, args, bwd_body, [], None, None)
        (f, b), src = self._emit([fwd, bwd], tr, [fwd_name, bwd_name], f"vjp of {fdef.name}")
        b.__srcad_maybe_zero__ = tuple(adj(w) in tr.Z or tr.Z.is_maybe(adj(w)) for w in wrt)
        # The backward sweep restores mutated lists/arrays in place, so a second pullback
        # must start from a fresh forward sweep.
        b.__srcad_mutates__ = any(
            getattr(n, "srcad_kind", "") in ("setitem", "append") for n in walk(fdef)
        ) or bool(tr.rev.user_call_info)
        return f, b, src

    # -- forward mode ---------------------------------------------------------------------

    def jvp_function(self, fn, wrt, containers=(), callee=False):
        """Generated ``f_jvp(*args, _tangents=(dx, ...)) -> (value, tangent_out)``;
        ``callee``: ``fn`` is called by a function being transformed (its writes into
        its arguments are refused as in reverse mode: FINDINGS A6)."""
        from .forward import Forward

        containers = _split_shapes(containers)[2]
        kinds = {n: k for n, k in containers if k != "float"}
        floats = {n for n, k in containers if k == "float"}
        parsed, fdef, namer, resolver, active, ret_name = self._front(
            fn, list(wrt), kinds, callee=callee, floats=floats
        )
        ns = Namespace(parsed, namer)
        tan = AdjointNames(namer)
        fwd = Forward(parsed, fdef, namer, resolver, active, ns, tan, self.jvp_entry)
        body = fwd.block(fdef.body[:-1])
        tparam = namer.fresh("tangents")
        unpack = gast.Assign(
            [gast.Tuple([store(tan(w)) for w in wrt], gast.Store())], name(tparam), None
        )
        dret = name(tan(ret_name)) if ret_name in active else fwd.rt("zeros_like", name(ret_name))
        zeros = [
            assign(tan(p), fwd.rt("zeros_like", name(p)), None)
            for p in param_names(fdef)
            if p in active and p not in wrt
        ]
        body = (
            [unpack]
            + zeros
            + body
            + [gast.Return(gast.Tuple([name(ret_name), dret], gast.Load()))]
        )
        args = clone(fdef.args)
        args.kwonlyargs = list(args.kwonlyargs) + [param(tparam)]
        args.kw_defaults = list(args.kw_defaults) + [None]
        jname = namer.fresh(f"{fdef.name}_jvp")
        new = gast.FunctionDef(jname, args, body, [], None, None)
        tr = _Shim(parsed, ns, fdef)
        (f,), src = self._emit([new], tr, [jname], f"jvp of {fdef.name}")
        f.__srcad_tangent_param__ = tparam
        return f

    def jvp_entry(self, fn, active_params):
        key = ("jvp", fn, active_params)
        entry = self.split_cache.get(key)
        if entry is None:
            entry = self.split_cache[key] = _Deferred(fn, active_params)
            try:
                entry.jvp = self.jvp_function(fn, active_params, callee=True)
            except BaseException:
                del self.split_cache[key]
                raise
        return entry

    def _front(self, fn, wrt, kinds=None, callee=False, floats=()):
        """Parse, analyze and normalize ``fn`` (the stages both modes share)."""
        parsed = parse_function(fn)
        fdef = clone(parsed.fdef)
        params = param_names(fdef)
        star = fdef.args.vararg or fdef.args.kwarg
        if star is not None:
            raise parsed.error(
                fdef,
                "*args/**kwargs parameters are not supported",
                f"name the parameters explicitly instead of *{star.id}",
            )
        for w in wrt:
            if w not in params:
                raise parsed.error(
                    fdef, f"{w!r} is not a parameter of {fdef.name}", f"choose wrt among {params}"
                )
        namer = Namer.for_function(fdef)
        resolver = Resolver(parsed, assigned_names(fdef))
        # np.r_[...], dict(...), out=, Tangent's stack: before activity analysis, which
        # must see the writes that out= makes
        lower_numpy.lower(fdef, parsed, resolver, namer)
        resolver = Resolver(parsed, assigned_names(fdef))
        act = Activity(resolver, wrt, kinds)
        act.run(fdef.body)
        norm = Normalizer(parsed, namer, resolver, act, kinds, callee)
        fdef = norm.run(fdef)
        resolver = Resolver(parsed, assigned_names(fdef))
        if not parsed.generated:  # (srcad's own code reads a view only after restoring)
            SharedMemoryCheck(
                parsed,
                resolver,
                _scalar_names(fdef, set(floats), resolver),
                _sequence_names(fdef, kinds or {}),
            ).run(fdef)
        act = Activity(resolver, wrt)
        active = act.run(fdef.body)
        check_operands(fdef, parsed, act)
        return parsed, fdef, namer, resolver, active, norm.ret_name

    def _emit(self, fdefs, tr, names, label, factors=False):
        if self.optimize:
            roots = module_roots(tr)
            math_names = _math_names(tr)
            floats = getattr(tr, "float_params", frozenset())
            floating = getattr(tr, "floating_params", frozenset())
            for f in fdefs:
                optimize_function(
                    f,
                    param_names(f),
                    is_math=math_names.__contains__,
                    float_params=floats,
                    floating_params=floating,
                    module_roots=roots,
                )
                if factors and tr.rev.shapes:
                    _defer_factors(f, tr, floats | floating)
                rev = getattr(tr, "rev", None)  # (a jvp has none)
                if rev is not None and rev.shapes:
                    sums_by_products(f, rev.rt_name)
        src = to_source(fdefs)
        funcs, filename = compile_functions(src, names, tr.ns.injected, tr.parsed.globals, label)
        pure = argument_pure(fdefs, tr.ns.injected, tr.parsed.globals)
        by_name = {d.name: d for d in fdefs}
        for f in funcs:
            f.__srcad_source__ = src
            f.__srcad_pure__ = pure  # writes into no argument (purity.py)
            d = by_name.get(f.__name__)
            f.__srcad_operands__ = (  # arguments it reads only as operands (purity.py)
                operand_parameters(d, tr.ns.injected, tr.parsed.globals)
                if pure and d is not None
                else frozenset()
            )
        return funcs, src


def _defer_factors(fdef, tr, floating_params):
    """factors.py on the specialized gradient ``fdef``: constant factors moved (from
    its first statement of the backward sweep, with the sizes of its names from
    shapes.py), then reciprocals read twice."""
    start = _backward_start(fdef.body)
    if start is None:
        return
    rev = tr.rev
    # the shapes the sweep inferred: the optimizer keeps each name's value (a name it
    # made, a sign's ``neg_...``, has no size: the plan then stops), and a size only
    # weighs the plan's cost, never its correctness
    sizes = {n: math.prod(v) if type(v) is tuple else None for n, v in rev.shape_env.items()}
    # (the two analyses are made only if a pass finds something to look at)
    floating = functools.cache(lambda: floating_names(fdef, floating_params))
    zero = functools.cache(lambda: maybe_zero_names(fdef))
    moved = defer_scalar_factors(fdef, start, sizes, floating, zero, rev.rt_name)
    if moved:  # (``dlog_p = 0.001 * y`` became ``dlog_p = y``: read ``y`` instead)
        fdef.body = propagate_copies(fdef.body, param_names(fdef))
        start = _backward_start(fdef.body)  # (a copy before it may have gone)
    if start is not None:
        square_reciprocals(fdef, floating, rev.rt_name, start)
    if start is not None and getattr(tr, "wide_real", False):
        shapes = dict(rev.shape_env)
        small = tr.small_params
        if simplify_products(fdef, start, shapes, floating, zero, rev.rt_name, small):
            fdef.body = eliminate_dead_code(fdef.body)


def _backward_start(body):
    """The index of the first statement of the backward sweep still there (marked by
    ``_grad_function``; never one of the primal), or None."""
    return next((i for i, s in enumerate(body) if getattr(s, "srcad_backward", False)), None)


def module_roots(tr):
    """The names under which the generated code reaches the NumPy, ``math`` and
    runtime modules, resolved the way it will resolve them (a name the function binds
    never does): the optimizer takes calls under them for pure (``optimize._pure``),
    so ``numpy.sum(x)`` of ``import numpy`` is dropped when only the value reads it,
    and a user's own object that happens to be called ``np`` keeps its side effects."""
    import numpy

    from . import transform

    modules = (numpy, math, transform.runtime())
    local = assigned_names(tr.fdef)
    scopes = (tr.ns.injected, tr.parsed.closure, tr.parsed.globals)  # (the lookup order)

    def resolves_to_module(k):
        scope = next(sc for sc in scopes if k in sc)
        return any(scope[k] is m for m in modules)

    names = set(tr.ns.injected) | set(tr.parsed.closure) | set(tr.parsed.globals)
    return frozenset(k for k in names if k not in local and resolves_to_module(k))


def _math_names(tr):
    """The global names under which the generated code reaches the ``math`` module
    (resolved the way the code will resolve them; the cache re-checks globals)."""
    import math

    return {
        k
        for k, v in list(tr.parsed.globals.items()) + list(tr.ns.injected.items())
        if v is math and k not in tr.ns.injected or tr.ns.injected.get(k) is math
    }


class _Shim:
    """What ``_emit`` reads of a transformation, for forward mode."""

    def __init__(self, parsed, ns, fdef):
        self.parsed = parsed
        self.ns = ns
        self.fdef = fdef


class _Deferred:
    """A called user function's fwd/bwd pair, usable before it is compiled (recursion)."""

    def __init__(self, fn, active):
        self.fn = fn
        self.active = active
        self.fwd = self.bwd = self.jvp = None
        self.source = ""
        self.call_jvp = self._call_jvp
        self.call_fwd = self._call_fwd  # stable trampolines for recursive calls
        self.call_bwd = self._call_bwd

    def _call_fwd(self, *args, **kwargs):
        return self.fwd(*args, **kwargs)

    def srcad_target(self, method):
        """The generated function a trampoline stands for, once it exists."""
        name = getattr(method, "__name__", "")
        return {"_call_fwd": self.fwd, "_call_bwd": self.bwd, "_call_jvp": self.jvp}.get(name)

    def _call_jvp(self, *args, **kwargs):
        return self.jvp(*args, **kwargs)

    def _call_bwd(self, saved, g):
        return self.bwd(saved, g)

    def resolve(self, fwd, bwd, src):
        self.fwd, self.bwd, self.source = fwd, bwd, src


def _bypass_trampolines(entry, funcs):
    """A recursive call went through the entry's trampoline (the function did not
    exist yet); now that it does, call it directly: one frame per level of
    recursion, as in the user's own code."""
    direct = ((entry.call_fwd, entry.fwd), (entry.call_bwd, entry.bwd))
    for f in funcs:
        for cell in f.__closure__ or ():
            try:
                value = cell.cell_contents
            except ValueError:  # an empty cell
                continue
            for trampoline, target in direct:
                if value is trampoline:
                    cell.cell_contents = target


def _boundary_grad(tr, w):
    """The gradient of parameter ``w`` as the generated function returns it: a real
    zero shaped like ``w`` where no contribution reached it (the symbolic zero stays
    inside), unless ``w`` was rebound and no longer holds the argument."""
    dw = tr.rev.adj(w)
    keeps_arg = not tr.rev.plan.overwritten(w)
    if dw in tr.Z:
        return tr.rev.rt("zeros_like", name(w)) if keeps_arg else tr.rev.zero()
    if tr.Z.is_maybe(dw) and keeps_arg:
        return tr.rev.rt("instantiate", name(dw), name(w))
    return name(dw)


def _prologue(tr, saved_names=(), split=False):
    body = []
    params = set(param_names(tr.fdef))
    inits = set(tr.rev.needs_init())
    if split:
        top = _top_level_assigned(tr.fdef.body)
        inits |= {n for n in saved_names if n not in params and n not in top}
    for n in sorted(inits):
        body.append(assign(n, const(None), None))
    if split or tr.rev.plan.P or _uses_stack(tr.primal, tr.rev.stack):
        body.append(assign(tr.rev.stack, gast.List([], gast.Load()), None))
    return body


def _uses_stack(stmts, stack):
    return stack in loaded_names(stmts)


def _top_level_assigned(stmts):
    out = set()
    for s in stmts:
        if isinstance(s, gast.Assign):
            for t in s.targets:
                for n in walk(t):
                    if isinstance(n, gast.Name):
                        out.add(n.id)
    return out


def _scalar_names(fdef, floats, resolver):
    """Names that surely hold Python numbers (no broadcasting can happen on them)."""
    import math

    sites = {}
    for n in walk(fdef):
        if isinstance(n, gast.Assign) and isinstance(n.targets[0], gast.Name):
            sites.setdefault(n.targets[0].id, []).append(n.value)
        elif isinstance(n, gast.Assign):
            for t in walk(n.targets[0]):
                if isinstance(t, gast.Name) and isinstance(t.ctx, gast.Store):
                    sites.setdefault(t.id, []).append(None)
        elif isinstance(n, gast.For) and isinstance(n.target, gast.Name):
            sites.setdefault(n.target.id, []).append("range-item")
    params = set(param_names(fdef))
    # Greatest fixpoint: assume every candidate is a number, drop those with a site
    # that is not (s = s + x is a number when s and x start as numbers).
    out = (set(sites) - params) | set(floats)
    changed = True
    while changed:
        changed = False
        for name_ in list(out):
            if not all(_is_scalar_expr(v, out, resolver, math) for v in sites.get(name_, [])):
                out.discard(name_)
                changed = True
    return out


def _is_scalar_expr(v, scalars, resolver, math):
    if v == "range-item":
        return True
    if v is None:
        return False
    if isinstance(v, gast.Constant):
        return isinstance(v.value, (int, float)) and not isinstance(v.value, bool)
    if isinstance(v, gast.Name):
        return v.id in scalars
    if isinstance(v, gast.BinOp):
        return _is_scalar_expr(v.left, scalars, resolver, math) and _is_scalar_expr(
            v.right, scalars, resolver, math
        )
    if isinstance(v, gast.UnaryOp) and isinstance(v.op, (gast.USub, gast.UAdd)):
        return _is_scalar_expr(v.operand, scalars, resolver, math)
    if isinstance(v, gast.Call):
        ok, obj = resolver.value(v.func)
        if (
            ok
            and (obj in (float, len, abs, max, min) or getattr(obj, "__module__", None) == "math")
            and all(_is_scalar_expr(a, scalars, resolver, math) for a in v.args)
        ):
            return obj is not len or True
    return False


def _sequence_names(fdef, kinds):
    """Names that surely hold lists or tuples (``a + b`` on them concatenates)."""
    out = {n for n, k in kinds.items() if k in ("list", "tuple")}
    changed = True
    while changed:
        changed = False
        for n in walk(fdef):
            if not isinstance(n, gast.Assign) or not isinstance(n.targets[0], gast.Name):
                continue
            t, v = n.targets[0].id, n.value
            seq = (
                isinstance(v, (gast.Tuple, gast.List))
                or (isinstance(v, gast.Name) and v.id in out)
                or (
                    isinstance(v, gast.BinOp)
                    and isinstance(v.op, gast.Add)
                    and any(isinstance(e, gast.Name) and e.id in out for e in (v.left, v.right))
                )
            )
            if seq and t not in out:
                out.add(t)
                changed = True
    return out


def _container_names(fdef, resolver):
    """Names that may hold tuples, lists or dicts (their adjoints add with _rt.add)."""
    out = set()
    changed = True
    while changed:
        changed = False
        for n in walk(fdef):
            if not isinstance(n, gast.Assign) or not isinstance(n.targets[0], gast.Name):
                continue
            t = n.targets[0].id
            v = n.value
            is_cont = isinstance(v, (gast.Tuple, gast.List, gast.Dict, gast.ListComp))
            if isinstance(v, gast.Call):
                kind, obj = resolver.call_kind(v)
                is_cont = kind in ("user", "opaque", "local") or (
                    _srcad_helper(obj) and any(mentions(a, out) for a in v.args)
                )
            if isinstance(v, gast.Name) and v.id in out:
                is_cont = True
            if (
                isinstance(v, gast.Subscript)
                and isinstance(v.value, gast.Name)
                and (v.value.id in out)
            ):
                is_cont = True
            if is_cont and t not in out:
                out.add(t)
                changed = True
    return out


def _srcad_helper(obj):
    """A runtime or rule helper that generated code calls (``_rt.adjoint_like``,
    ``array_adjoint``...): given a container, it may give one (a list's adjoint), so
    in a gradient of generated code its result's adjoints add with ``_rt.add``,
    never ``+`` (which joins two lists: ``grad(grad(f))`` of ``np.array([a, b])``)."""
    return (getattr(obj, "__module__", None) or "").startswith("srcad.")


def _drop_complex_cases(tr):
    """In a gradient whose every value is real (and so every adjoint of its real
    seed), ``_rt.real_cotangent(g)`` is ``g`` itself and ``_rt.abs_deriv(x)`` is
    ``np.sign(x)``: the helpers' tests for complex values go."""
    import numpy

    rt = tr.rev.rt_name
    sign = []  # (the name under which the code reaches NumPy, when first needed)

    def simpler(e):
        if not (is_call_of(e, rt, "real_cotangent") or is_call_of(e, rt, "abs_deriv")):
            return None
        if len(e.args) != 1 or e.keywords:
            return None
        if e.func.attr == "real_cotangent":
            return e.args[0]
        if not sign:
            sign.append(tr.ns.ref(numpy, "np"))
        return call(attr(name(sign[0]), "sign"), list(e.args))

    for s in tr.reverse_code:
        if any(isinstance(n, gast.Attribute) and n.attr in _COMPLEX_CASES for n in walk(s)):
            for n in walk(s):
                replace_children(n, simpler)


_COMPLEX_CASES = ("real_cotangent", "abs_deriv")


def _realness(tr, containers, parse):
    """``(output real, every value real)`` (realness.py), from the parameters the
    specialization saw with a real dtype."""
    real, arrays, numpy = set(), set(), set()
    for n, k in containers:
        if isinstance(k, tuple) and k and k[0] == "shape":
            arrays.add(n)
            if len(k) > 3 and k[3]:  # (shapes.real_kind)
                real.add(n)
                if k[3] == "a":
                    numpy.add(n)
    if not real and param_names(tr.fdef):
        return False, False  # (a generic build: nothing known of the arguments)
    resolve = resolver_for(tr.parsed, tr.ns)
    return analyze(tr.fdef, tr.ret_name, real, arrays, numpy, resolve, parse)


def _narrow(containers):
    """Whether an argument holds floating point narrower than float64."""
    return any(isinstance(k, tuple) and len(k) > 2 and k[2] == "n" for _, k in containers)


def _split_shapes(containers):
    """``(shapes, floating, kinds)``: the api's key holds ``(name, ("shape", shape,
    kind))`` entries (``kind`` "f" for float64 and Python floats, "n" for narrower
    floating point, shapes.floating_kind) beside the container kinds ``(name, kind)``."""
    shapes, floating, kinds = {}, set(), []
    for n, k in containers:
        if isinstance(k, tuple) and k and k[0] == "shape":
            shapes[n] = k[1]
            if len(k) > 2 and k[2] in ("f", "n"):
                floating.add(n)
        else:
            kinds.append((n, k))
    return shapes, floating, kinds
