"""``python -m srcad``: see the code srcad generates, and check a gradient, from a shell.

Design: the command line is a thin layer over the public API. ``show`` imports the
user's file as a module and asks ``srcad.grad`` (or ``vjp``/``jvp``) for ``.source``,
always with ``mode="source"`` so that a construct the compiler refuses is reported
with its ``UnsupportedError`` instead of an empty string. Without a function name it
shows what the file itself transforms: module-level transformation objects (functions
decorated with ``@srcad.grad`` and friends) and module-level functions the file hands
to ``srcad.grad(name, ...)`` somewhere (found with ``ast``). ``check`` compares
``srcad.grad`` with central finite differences in float64 at random inputs.

``--side-by-side`` pairs each line of the user's function with the generated lines
made from it, from the text alone: primal statements are matched to the user
statement that assigns the same name (temporaries go with the statement they feed),
and adjoint blocks start at their ``# Grad of: <user line>`` comment.

Exit codes: 0 success, 1 the check failed or srcad refused the function, 2 misuse
(no such file or function, bad options).
"""

import argparse
import ast
import importlib.util
import os
import re
import sys
import uuid
import warnings

import numpy as np

_KINDS = ("grad", "value_and_grad", "vjp", "jvp")
_MODE_KIND = {"reverse": "grad", "forward": "jvp", "vjp": "vjp"}
_KIND_MODE = {"grad": "reverse", "value_and_grad": "reverse", "vjp": "vjp", "jvp": "forward"}


class CliError(Exception):
    """A user mistake reported as ``srcad: error: ...`` with an exit code."""

    def __init__(self, message, code=2):
        super().__init__(message)
        self.code = code


# -- loading the user's file ----------------------------------------------------------------


def split_target(target):
    """``"path/file.py:name"`` -> ``("path/file.py", "name")``; no name gives ``None``."""
    path, sep, name = target.rpartition(":")
    if sep and name.isidentifier() and path:
        return path, name
    return target, None


def load_module(path):
    """Import the file at ``path`` as a fresh module (its directory goes on ``sys.path``)."""
    if not os.path.isfile(path):
        raise CliError(f"no such file: {path}")
    if not path.endswith(".py"):
        raise CliError(f"not a Python file: {path}")
    folder = os.path.dirname(os.path.abspath(path))
    if folder not in sys.path:
        sys.path.insert(0, folder)
    stem = re.sub(r"\W", "_", os.path.splitext(os.path.basename(path))[0])
    name = f"_srcad_cli_{stem}_{uuid.uuid4().hex[:8]}"
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except SystemExit as exc:
        raise CliError(f"importing {path} called sys.exit({exc.code})", 1) from exc
    except Exception as exc:
        raise CliError(f"importing {path} failed: {type(exc).__name__}: {exc}", 1) from exc
    return module


def is_transformation(obj):
    """A srcad transformation object: callable, with ``.source`` and ``__wrapped__``."""
    return callable(obj) and hasattr(obj, "__wrapped__") and _has_source_attr(obj)


def _has_source_attr(obj):
    return "source" in getattr(obj, "__dict__", {}) or hasattr(type(obj), "source")


def get_function(module, name, path):
    if not hasattr(module, name):
        found = sorted(n for n, v in vars(module).items() if callable(v) and not n.startswith("_"))
        raise CliError(f"{path} has no function {name!r} (it defines: {', '.join(found)})")
    obj = getattr(module, name)
    if not callable(obj):
        raise CliError(f"{path}:{name} is a {type(obj).__name__}, not a function")
    return obj


# -- what a file transforms --------------------------------------------------------------


class Target:
    """One function to show: the user's function and how srcad transforms it."""

    def __init__(self, name, fn, kind="grad", wrt=0, optimize=True, source=None, obj=None):
        self.name = name
        self.fn = fn
        self.kind = kind
        self.wrt = wrt
        self.optimize = optimize
        self.source = source  # set when only the generated text is known (hvp)
        self.obj = obj  # the user's transformation object, when there is one


def target_of(name, obj):
    """The :class:`Target` for a global ``obj`` (a transformation or a plain function)."""
    if not is_transformation(obj):
        return Target(name, obj)
    kind = getattr(obj, "kind", None)
    if kind not in _KINDS:  # hvp and other wrappers: only their text is known
        return Target(name, obj.__wrapped__, kind or "transformed", source=obj.source)
    return Target(
        name, obj.__wrapped__, kind, _wrt_of(obj), getattr(obj, "optimize", True), obj=obj
    )


def _wrt_of(obj):
    """The ``wrt`` a transformation object was made with (None when it cannot be told)."""
    if hasattr(obj, "_wrt_spec"):
        return obj._wrt_spec
    names = getattr(obj, "_wrt", None)
    if not names:
        return None
    return tuple(names) if getattr(obj, "_tuple", len(names) > 1) else names[0]


def file_targets(module, path):
    """Every function of ``path`` that it transforms, once per (function, kind, wrt)."""
    found = {}
    for obj in vars(module).values():
        if is_transformation(obj) and _defined_in(obj.__wrapped__, module):
            t = target_of(obj.__wrapped__.__name__, obj)
            found.setdefault((t.fn, t.kind, repr(t.wrt)), t)
    for name, kind, wrt in _calls_in_file(path):
        fn = getattr(module, name, None)
        if callable(fn) and not is_transformation(fn) and _defined_in(fn, module):
            found.setdefault((fn, kind, repr(wrt)), Target(name, fn, kind, wrt))
    return sorted(found.values(), key=lambda t: _first_line(t.fn))


def _defined_in(fn, module):
    return getattr(fn, "__module__", None) == module.__name__


def _first_line(fn):
    code = getattr(fn, "__code__", None)
    return code.co_firstlineno if code is not None else 0


def _calls_in_file(path):
    """``(function name, kind, wrt)`` for each ``srcad.grad(name, ...)`` call in the file."""
    with open(path, encoding="utf-8") as fh:
        tree = ast.parse(fh.read(), path)
    out = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call) or not node.args:
            continue
        func = node.func
        kind = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
        if kind not in _KINDS or not isinstance(node.args[0], ast.Name):
            continue
        wrt = 0
        wrt_nodes = [k.value for k in node.keywords if k.arg in ("wrt", "argnums")]
        wrt_nodes += node.args[1:2]
        if wrt_nodes:
            try:
                wrt = ast.literal_eval(wrt_nodes[0])
            except ValueError:
                continue  # computed wrt: cannot tell statically
        out.append((node.args[0].id, kind, wrt))
    return out


# -- generating --------------------------------------------------------------------------


def parse_wrt(text):
    """``"0"`` -> 0, ``"w"`` -> "w", ``"w,1"`` -> ("w", 1)."""
    items = [s.strip() for s in text.split(",") if s.strip()]
    if not items:
        raise CliError("--wrt needs a parameter index or name")
    vals = tuple(int(s) if re.fullmatch(r"-?\d+", s) else s for s in items)
    return vals[0] if len(vals) == 1 else vals


def generated_source(target, kind=None, wrt=None, optimize=None):
    """The generated code for ``target`` (UnsupportedError propagates)."""
    import srcad

    as_made = kind is None and wrt is None and optimize is None
    if as_made and target.source is not None:
        return target.source
    if as_made and target.obj is not None and target.obj.mode == "source":
        return target.obj.source  # exactly what the user's object generates
    if wrt is None and target.wrt is None:
        raise CliError(f"{target.name}: cannot tell which wrt it was made with; pass --wrt")
    kind = kind or (target.kind if target.kind in _KINDS else "grad")
    transform = getattr(srcad, kind)
    opt = target.optimize if optimize is None else optimize
    t = transform(target.fn, wrt=target.wrt if wrt is None else wrt, mode="source", optimize=opt)
    return t.source


def highlight(text, stream):
    """Colour ``text`` with pygments when ``stream`` is a terminal and pygments exists."""
    if not getattr(stream, "isatty", lambda: False)():
        return text
    try:
        from pygments import highlight as _hl
        from pygments.formatters import TerminalFormatter
        from pygments.lexers import PythonLexer
    except ImportError:
        return text
    return _hl(text, PythonLexer(), TerminalFormatter())


# -- side by side ------------------------------------------------------------------------

_ASSIGN = re.compile(r"^\s*([A-Za-z_]\w*(?:\s*,\s*[A-Za-z_]\w*)*)\s*,?\s*=(?!=)")
_FOR = re.compile(r"^\s*for\s+([A-Za-z_]\w*)")
_COMMENT = re.compile(r"^\s*# (?:Grad|Tangent) of: (.*)$")
_BRANCH = re.compile(r"^\s*(if|while)\b")


class _UserStatement:
    def __init__(self, lineno, kind, names):
        self.lineno = lineno
        self.kind = kind
        self.names = names


def user_statements(fn):
    """The user's statements in order (the def first) and the user's lines by number."""
    import inspect
    import textwrap

    lines, first = inspect.getsourcelines(fn)
    tree = ast.parse(textwrap.dedent("".join(lines)))
    fdef = tree.body[0]
    out = []
    for node in ast.walk(fdef):
        if not isinstance(node, ast.stmt) or node is fdef:
            continue
        names = set()
        targets = []
        if isinstance(node, ast.Assign):
            targets = node.targets
        elif isinstance(node, (ast.AugAssign, ast.AnnAssign, ast.For)):
            targets = [node.target]
        for t in targets:
            names |= {n.id for n in ast.walk(t) if isinstance(n, ast.Name)}
        out.append(_UserStatement(first + node.lineno - 1, type(node).__name__, names))
    out.sort(key=lambda s: s.lineno)
    out.insert(0, _UserStatement(first + fdef.lineno - 1, "FunctionDef", set()))
    return out, {first + k: line.rstrip() for k, line in enumerate(lines)}


def pair_lines(fn, source):
    """Rows ``(user line number or None, generated line)`` for every generated def.

    The first def (the gradient, or vjp's forward function) is paired statement by
    statement; later defs (vjp's backward function) by their ``# Grad of:`` comments.
    Blank lines between defs are kept, with no user line.
    """
    stmts, user_lines = user_statements(fn)
    def_line, stmts = stmts[0].lineno, stmts[1:]
    by_text = {}
    for lineno, text in user_lines.items():
        by_text.setdefault(text.strip(), lineno)
    rows = []
    for k, (lines, blanks) in enumerate(_defs(source)):
        rows.append((def_line, lines[0]))
        pairer = _Pairer(stmts, by_text)
        pairer.adjoint = k > 0
        for line in lines[1:]:
            pairer.feed(line)
        rows += pairer.finish() + [(None, "")] * blanks
    return rows, user_lines


def _defs(source):
    """``(lines, number of blank lines after them)`` per top-level generated def."""
    defs = []
    for line in source.rstrip("\n").splitlines():
        if line.startswith("def ") or not defs:
            defs.append([])
        defs[-1].append(line)
    out = []
    for lines in defs:
        n = len(lines)
        while n > 1 and not lines[n - 1].strip():
            n -= 1
        out.append((lines[:n], len(lines) - n))
    return out


class _Pairer:
    """Assigns each generated line to a user line (see the module docstring)."""

    def __init__(self, stmts, by_text):
        self.stmts = stmts
        self.by_text = by_text
        self.pos = 0  # next user statement a primal line may match
        self.pending = []  # primal lines waiting for the statement they feed
        self.rows = []
        self.adjoint = False
        self.comment_indent = None
        self.current = None

    def feed(self, line):
        indent = len(line) - len(line.lstrip())
        m = _COMMENT.match(line)
        if m:
            self._flush(self.current)
            self.current = self.by_text.get(m.group(1).strip())
            self.comment_indent = indent
            self.rows.append((self.current, line))
            return
        if "_rt.seed(" in line:
            self.adjoint = True
            self._flush(self._return_line())
            self.current = None
        if self.comment_indent is not None and indent >= self.comment_indent:
            if not (self.adjoint is False and _BRANCH.match(line)):
                self.rows.append((self.current, line))
                return
        self.comment_indent = None
        if self.adjoint:
            self.rows.append((self.current, line))
            return
        self._primal(line)

    def _primal(self, line):
        self.pending.append(line)
        stripped = line.strip()
        if stripped == "else:" or stripped.startswith("elif "):
            self._flush(self.current)
            return
        m = _FOR.match(line)
        if m:
            hit = self._find(lambda s: s.kind == "For" and m.group(1) in s.names)
        elif _BRANCH.match(line):
            hit = self._find(lambda s: s.kind in ("If", "While"))
        else:
            a = _ASSIGN.match(line)
            names = {n.strip() for n in a.group(1).split(",")} if a else set()
            hit = self._find(lambda s: names & s.names and s.kind != "For") if names else None
        if hit is not None:
            self.current = hit
            self._flush(hit)

    def _find(self, pred):
        for k in range(self.pos, len(self.stmts)):
            if pred(self.stmts[k]):
                self.pos = k + 1
                return self.stmts[k].lineno
        return None

    def _return_line(self):
        for k in range(len(self.stmts) - 1, self.pos - 1, -1):
            if self.stmts[k].kind == "Return":
                return self.stmts[k].lineno
        return self.current

    def _flush(self, lineno):
        self.rows += [(lineno, ln) for ln in self.pending]
        self.pending = []

    def finish(self):
        self._flush(self._return_line() if not self.adjoint else self.current)
        return self.rows


def side_by_side(fn, source, width=None):
    """Text with each user line (numbered) beside the generated lines made from it."""
    rows, user_lines = pair_lines(fn, source)
    left_w = min(max(len(t) for t in user_lines.values()) + 6, width or 60)
    out = []
    last = None
    for lineno, gen in rows:
        show = lineno is not None and lineno != last
        left = f"{lineno:>4}  {user_lines.get(lineno, '')}" if show else ""
        last = lineno
        out.append(f"{left[:left_w]:<{left_w}} | {gen}")
    return "\n".join(out) + "\n"


# -- the gradient check ------------------------------------------------------------------


def parse_shapes(specs, params):
    """``--shape`` options -> ``{param: shape or None (a Python float)}``."""
    shapes = {p: (3,) for p in params}
    positional = 0
    for spec in specs or []:
        name, sep, dims = spec.rpartition("=")
        if not sep:
            if positional >= len(params):
                raise CliError(f"--shape {spec}: the function has only {len(params)} parameters")
            name = params[positional]
            positional += 1
        elif name not in params:
            raise CliError(f"--shape {spec}: no parameter {name!r} (parameters: {params})")
        shapes[name] = _parse_dims(dims, spec)
    return shapes


def parse_values(specs, params):
    """``--value n=3`` options -> ``{param: value}`` (Python literals, not differentiated)."""
    values = {}
    for spec in specs or []:
        name, sep, text = spec.partition("=")
        if not sep or name not in params:
            raise CliError(f"--value {spec}: expected NAME=VALUE with NAME among {params}")
        try:
            values[name] = ast.literal_eval(text)
        except (ValueError, SyntaxError):
            raise CliError(f"--value {spec}: {text!r} is not a Python literal") from None
    return values


def _parse_dims(dims, spec):
    dims = dims.strip().strip("()")
    if dims in ("", "scalar", "float"):
        return None
    try:
        shape = tuple(int(d) for d in dims.replace("x", ",").split(",") if d.strip())
    except ValueError:
        raise CliError(f"--shape {spec}: expected sizes like 3 or 2,3 or 'scalar'") from None
    if any(d < 0 for d in shape):
        raise CliError(f"--shape {spec}: sizes must be non-negative")
    return shape


def random_inputs(shapes, seed):
    rng = np.random.default_rng(seed)
    return {
        p: float(rng.standard_normal()) if s is None else rng.standard_normal(s)
        for p, s in shapes.items()
    }


def gradient_rows(fn, args, wrt, rtol, atol, mode="auto"):
    """``[(parameter, max abs error, max rel error, ok)]``: srcad.grad against FD."""
    import srcad
    from srcad.testing import numerical_grad

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", srcad.FallbackWarning)
        grads = srcad.grad(fn, wrt=tuple(wrt), mode=mode)(*args)
    for w in caught:
        if issubclass(w.category, srcad.FallbackWarning):
            print(f"note: {w.message}", file=sys.stderr)
        else:
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    rows = []
    for name, g in zip(wrt, grads):
        fd = numerical_grad(fn, args, wrt=name)
        g = np.asarray(g, dtype=np.float64)
        fd = np.asarray(fd, dtype=np.float64)
        err = np.abs(g - fd)
        abs_err = float(np.max(err)) if err.size else 0.0
        rel_err = float(np.max(err / np.maximum(np.abs(fd), atol))) if err.size else 0.0
        ok = g.shape == fd.shape and bool(np.allclose(g, fd, rtol=rtol, atol=atol))
        rows.append((name, abs_err, rel_err, ok))
    return rows


def format_table(rows):
    head = ("parameter", "max abs error", "max rel error", "ok")
    body = [(n, f"{a:.3e}", f"{r:.3e}", "yes" if ok else "NO") for n, a, r, ok in rows]
    widths = [max(len(str(r[k])) for r in [head] + body) for k in range(4)]
    lines = ["  ".join(str(c).ljust(w) for c, w in zip(r, widths)).rstrip() for r in [head]]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(str(c).ljust(w) for c, w in zip(r, widths)).rstrip() for r in body]
    return "\n".join(lines) + "\n"


# -- commands ----------------------------------------------------------------------------


def cmd_show(opts, out):
    import srcad

    path, name = split_target(opts.target)
    module = load_module(path)
    if name is not None:
        targets = [target_of(name, get_function(module, name, path))]
    else:
        targets = file_targets(module, path)
        if not targets:
            raise CliError(
                f"{path} transforms no function (no @srcad.grad or srcad.grad(name) found); "
                f"name one: {path}:FUNCTION",
                1,
            )
    kind = _MODE_KIND[opts.mode] if opts.mode else None
    wrt = parse_wrt(opts.wrt) if opts.wrt is not None else None
    optimize = False if opts.no_optimize else None
    failed = False
    for k, t in enumerate(targets):
        if len(targets) > 1:
            out.write(("\n" if k else "") + f"# ---- {t.name} ({_describe(t, kind, wrt)}) ----\n")
        try:
            src = generated_source(t, kind, wrt, optimize)
        except srcad.UnsupportedError as exc:
            print(f"srcad: cannot transform {t.name}:\n{exc}", file=sys.stderr)
            failed = True
            continue
        except (TypeError, ValueError) as exc:
            raise CliError(f"{t.name}: {exc}") from exc
        try:
            text = side_by_side(t.fn, src) if opts.side_by_side else src
        except (OSError, TypeError, SyntaxError) as exc:
            raise CliError(f"{t.name}: --side-by-side cannot read its source ({exc})") from exc
        out.write(highlight(text, out) if not opts.side_by_side else text)
    return 1 if failed else 0


def _describe(t, kind, wrt):
    mode = _KIND_MODE.get(kind or t.kind, kind or t.kind)
    return f"{mode}, wrt={t.wrt if wrt is None else wrt!r}"


def cmd_check(opts, out):
    import inspect

    import srcad

    path, name = split_target(opts.target)
    if name is None:
        raise CliError("check needs FILE:FUNCTION")
    module = load_module(path)
    obj = get_function(module, name, path)
    fn = obj.__wrapped__ if is_transformation(obj) else obj
    sig = inspect.signature(fn).parameters.values()
    params = [p.name for p in sig if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    values = parse_values(opts.value, params)
    shaped = {spec.rpartition("=")[0] for spec in opts.shape or []}
    for p in sig:  # a parameter with a default keeps it, unless --shape says otherwise
        if p.name in params and p.default is not p.empty and p.name not in shaped:
            values.setdefault(p.name, p.default)
    free = [p for p in params if p not in values]
    shapes = parse_shapes(opts.shape, free)
    wrt = parse_wrt(opts.wrt) if opts.wrt else tuple(free)
    wrt = [params[w] if isinstance(w, int) else w for w in _as_tuple(wrt, params)]
    inputs = {**random_inputs(shapes, opts.seed), **values}
    args = tuple(inputs[p] for p in params)
    described = ", ".join(
        f"{p}={values[p]!r}"
        if p in values
        else f"{p}: {'float' if shapes[p] is None else 'float64 ' + str(shapes[p])}"
        for p in params
    )
    out.write(f"{name}({described}), seed {opts.seed}\n")
    try:
        rows = gradient_rows(fn, args, wrt, opts.rtol, opts.atol, opts.engine)
    except srcad.UnsupportedError as exc:
        print(f"srcad: cannot transform {name}:\n{exc}", file=sys.stderr)
        return 1
    except (TypeError, ValueError) as exc:
        print(f"srcad: {name}: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    out.write(format_table(rows))
    return 0 if all(r[3] for r in rows) else 1


def _as_tuple(wrt, params):
    wrt = wrt if isinstance(wrt, tuple) else (wrt,)
    for w in wrt:
        if isinstance(w, int) and not -len(params) <= w < len(params):
            raise CliError(f"--wrt {w}: the function has {len(params)} parameters")
        if isinstance(w, str) and w not in params:
            raise CliError(f"--wrt {w}: no such parameter (parameters: {params})")
    return wrt


def build_parser():
    p = argparse.ArgumentParser(
        prog="python -m srcad", description="See srcad's generated code; check gradients."
    )
    sub = p.add_subparsers(dest="command", required=True)
    s = sub.add_parser("show", help="print the code srcad generates")
    s.add_argument("target", metavar="FILE[:FUNCTION]")
    s.add_argument("--wrt", help="parameter indices or names, comma separated")
    s.add_argument("--mode", choices=sorted(_MODE_KIND), help="default: as the file asks")
    s.add_argument("--no-optimize", action="store_true", help="turn the optimizer passes off")
    s.add_argument("--side-by-side", action="store_true", help="each user line beside its code")
    c = sub.add_parser("check", help="gradient check against finite differences")
    c.add_argument("target", metavar="FILE:FUNCTION")
    c.add_argument(
        "--shape",
        action="append",
        help="NAME=2,3 or 2,3 (in parameter order) or NAME=scalar; default: (3,)",
    )
    c.add_argument(
        "--value",
        action="append",
        help="NAME=LITERAL: a fixed argument, not checked (e.g. n=3); "
        "parameters with defaults keep them",
    )
    c.add_argument("--wrt", help="parameters to check (default: all with random inputs)")
    c.add_argument("--seed", type=int, default=0)
    c.add_argument("--rtol", type=float, default=1e-5)
    c.add_argument("--atol", type=float, default=1e-6)
    c.add_argument("--engine", choices=("auto", "source", "tape"), default="auto")
    return p


def main(argv=None, out=None):
    out = out or sys.stdout
    opts = build_parser().parse_args(argv)
    try:
        return cmd_show(opts, out) if opts.command == "show" else cmd_check(opts, out)
    except CliError as exc:
        print(f"srcad: error: {exc}", file=sys.stderr)
        return exc.code
