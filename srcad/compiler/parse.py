"""Turn a live Python function into a gast tree plus everything needed to resolve its names.

Design note (source identity).  The text ``inspect`` finds for a function is only a
claim: the file may have been edited after import, exec'd code may name a file it
did not come from, and ``__wrapped__`` points away from the code that runs.  So the
whole file (as ``linecache`` holds it) is compiled again, with the function's own
filename and ``__future__`` flags, and the code object found there at the
function's first line must compare equal (``==`` on code objects: bytecode,
constants recursively, names, variables, flags, line tables) to ``fn.__code__``.
Only then is the tree parsed from that text the function's.  Compiling the whole
file keeps the enclosing structure (classes for name mangling and ``super()``,
enclosing defs for free variables) exactly as it was.  ``__wrapped__`` is never
followed: a decorator's wrapper is what runs, so the wrapper is what is
differentiated (or refused).

Lambdas are found the same way; among several lambdas on one line the one whose
code positions fall inside its span is chosen (Python 3.11+), and on Python 3.10
only a lambda whose compiled code is the only match is accepted.

Every free name the compiler resolves goes through :meth:`Parsed.lookup`, which
records what it found; the cache (``cache.py``) validates those bindings on each
call, so a redefined helper or a rebound global gives a new transformation.
"""

import __future__

import ast
import builtins
import collections
import hashlib
import inspect
import linecache
import threading

import gast

from ..errors import UnsupportedError
from .astutil import to_gast

_FUTURE_FLAGS = 0
for _name in __future__.all_feature_names:
    _FUTURE_FLAGS |= getattr(__future__, _name).compiler_flag

# Records the Parsed objects made while one transformation is built (cache.py reads it).
_RECORDING = threading.local()


def recording():
    """The list the current build records its Parsed objects in (or None)."""
    return getattr(_RECORDING, "parsed", None)


class record_parses:  # noqa: N801 - used as a context manager, reads like a function
    """``with record_parses() as seen:`` collects every Parsed made inside."""

    def __enter__(self):
        self.prev = recording()
        self.seen = []
        _RECORDING.parsed = self.seen
        return self.seen

    def __exit__(self, *exc):
        _RECORDING.parsed = self.prev
        return False


class Parsed:
    """A parsed user function: its tree, where it came from, and its namespaces."""

    def __init__(self, fn, fdef, filename, first_line, source_lines):
        self.fn = fn
        self.fdef = fdef
        self.filename = filename
        self.first_line = first_line
        self.source_lines = source_lines
        self.globals = getattr(fn, "__globals__", {})
        self.generated = hasattr(fn, "__srcad_source__")  # srcad's own output
        self.bound_self = None
        self.looked_up = {}  # name -> ("closure" | "global" | "builtin" | "missing", value)
        self.closure = {}
        code = getattr(fn, "__code__", None)
        if code is not None and fn.__closure__:
            for name, cell in zip(code.co_freevars, fn.__closure__):
                try:
                    self.closure[name] = cell.cell_contents
                except ValueError:  # an empty cell: the name is not bound yet
                    pass
        seen = recording()
        if seen is not None:
            seen.append(self)

    def line_of(self, node):
        """The user's source line (file line number, stripped text) for a node."""
        lineno = getattr(node, "lineno", None) or getattr(node, "srcad_line", None)
        if lineno is None:
            return None, ""
        k = lineno - 1
        text = self.source_lines[k].strip() if 0 <= k < len(self.source_lines) else ""
        return self.first_line + k, text

    def error(self, node, what, hint):
        lineno, text = self.line_of(node)
        return UnsupportedError(what, self.filename, lineno, hint, line=text or None)

    def lookup(self, name):
        """Value of a free name of the function: closure, then globals, then builtins."""
        if name in self.closure:
            found = ("closure", self.closure[name])
        elif name in self.globals:
            found = ("global", self.globals[name])
        elif hasattr(builtins, name):
            found = ("builtin", getattr(builtins, name))
        else:
            self.looked_up[name] = ("missing", None)
            return False, None
        self.looked_up[name] = found
        return True, found[1]


def parse_function(fn):
    """Parse ``fn``'s source with gast; raise UnsupportedError when that is impossible."""
    bound_self = getattr(fn, "__self__", None) if inspect.ismethod(fn) else None
    if inspect.ismethod(fn):
        fn = fn.__func__  # a bound method: its function, with self as first parameter
    generated = getattr(fn, "__srcad_source__", None)
    if generated is not None and inspect.isfunction(fn):
        parsed = _parse_generated(fn, generated)
    else:
        if not inspect.isfunction(fn):
            raise UnsupportedError(
                f"cannot transform {fn!r}: it is not a Python function with source code",
                hint="pass a function written in Python (def ...), or register a rule for "
                "this callable with @srcad.adjoint",
            )
        parsed = _parse_user(fn)
    parsed.bound_self = bound_self
    fdef = parsed.fdef
    if isinstance(fdef, gast.AsyncFunctionDef):
        raise parsed.error(fdef, "async functions cannot be differentiated", "use a plain def")
    fdef.decorator_list = []
    return parsed


def _parse_generated(fn, src):
    module = to_gast(ast.parse(src))
    fdefs = [n for n in module.body if isinstance(n, gast.FunctionDef)]
    fdef = next((f for f in fdefs if f.name == fn.__name__), fdefs[0])
    filename = getattr(fn, "__srcad_file__", "<srcad>")
    return Parsed(fn, fdef, filename, 1, src.splitlines())


# -- user functions: the source proven to be the code ----------------------------------


def _refuse(fn, why, hint):
    code = fn.__code__
    return UnsupportedError(
        f"cannot use the source of {fn.__qualname__}: {why}",
        code.co_filename,
        code.co_firstlineno,
        hint,
        line="",
    )


_FILES = collections.OrderedDict()  # (filename, digest, flags) -> (module code, tree, index)
_FILES_MAX = 16
_FILES_LOCK = threading.Lock()


def _compiled_file(filename, text, flags):
    """``(module code, ast tree, index)`` of a file's text, cached; the index maps
    ``("def", name)`` and ``("lambda", line)`` to those nodes of the tree, in
    ``ast.walk`` order (one walk per file, not one per function looked up)."""
    key = (filename, hashlib.sha1(text.encode("utf-8", "surrogatepass")).digest(), flags)
    with _FILES_LOCK:
        hit = _FILES.get(key)
        if hit is not None:
            _FILES.move_to_end(key)
            return hit
    tree = ast.parse(text, filename)
    code = compile(tree, filename, "exec", flags=flags, dont_inherit=True)
    entry = (code, tree, _index(tree))
    with _FILES_LOCK:
        _FILES[key] = entry
        while len(_FILES) > _FILES_MAX:
            _FILES.popitem(last=False)
    return entry


def _index(tree):
    index = {}
    for n in ast.walk(tree):
        if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)):
            index.setdefault(("def", n.name), []).append(n)
        elif isinstance(n, ast.Lambda):
            index.setdefault(("lambda", n.lineno), []).append(n)
    return index


def _codes_named(code, name, firstline, out):
    for c in code.co_consts:
        if inspect.iscode(c):
            if c.co_name == name and c.co_firstlineno == firstline:
                out.append(c)
            _codes_named(c, name, firstline, out)
    return out


def _same_code(a, b):
    if a != b:
        return False
    qa, qb = getattr(a, "co_qualname", None), getattr(b, "co_qualname", None)
    return qa == qb and a.co_filename == b.co_filename


def _parse_user(fn):
    code = fn.__code__
    filename = code.co_filename
    linecache.checkcache(filename)
    lines = linecache.getlines(filename, fn.__globals__)
    text = getattr(fn, "__srcad_text__", None)  # srcad's own wrappers of ufuncs/builtins
    if not lines and text is not None:
        linecache.cache[filename] = (len(text), None, text.splitlines(True), filename)
        lines = linecache.getlines(filename)
    if not lines:
        raise _refuse(
            fn,
            f"no source text for {filename!r} (defined in an interactive prompt or by exec?)",
            "define the function in a file, or use mode='tape'",
        )
    text = "".join(lines)
    try:
        module_code, _, index = _compiled_file(filename, text, code.co_flags & _FUTURE_FLAGS)
    except (SyntaxError, ValueError, RecursionError, MemoryError) as exc:
        raise _refuse(
            fn,
            f"{filename} no longer compiles ({exc})",
            "the file changed after the function was defined; reload it or use mode='tape'",
        ) from None
    candidates = _codes_named(module_code, code.co_name, code.co_firstlineno, [])
    matches = [c for c in candidates if _same_code(c, code)]
    if not matches:
        raise _refuse(
            fn,
            f"the text of {filename} at line {code.co_firstlineno} is not the code that runs "
            "(the file was edited after the function was defined, or the code was compiled "
            "from a different text)",
            "reload the module (or re-run the cell) so that the code and its file agree, "
            "or use mode='tape'",
        )
    node = _node_for(fn, index, code)
    _check_class_scope(fn, node)
    lines = [ln.rstrip("\r\n") for ln in lines]
    if isinstance(node, ast.Lambda):
        fdef = _lambda_def(node)
    else:
        fdef = to_gast(node)
    return Parsed(fn, fdef, filename, 1, lines)


def _check_class_scope(fn, node):
    """Code written in a class body means more than its text once moved out of it."""
    if "__class__" in fn.__code__.co_freevars:
        raise _refuse(
            fn,
            "it calls super() without arguments (or names __class__), which only works "
            "inside its class",
            "write super(ClassName, self), or use mode='tape'",
        )
    parts = fn.__qualname__.split(".")
    in_class = any(
        parts[i] != "<locals>" and parts[i + 1] != "<locals>" for i in range(len(parts) - 1)
    )
    if not in_class:
        return
    for n in ast.walk(node):
        ident = (
            n.id if isinstance(n, ast.Name) else n.attr if isinstance(n, ast.Attribute) else None
        )
        if ident is None and isinstance(n, ast.arg):
            ident = n.arg
        if ident and ident.startswith("__") and not ident.endswith("__"):
            raise _refuse(
                fn,
                f"it uses the private name {ident}, which Python mangles inside a class",
                "use a name with one leading underscore, or use mode='tape'",
            )


def _node_for(fn, index, code):
    first = code.co_firstlineno
    if code.co_name == "<lambda>":
        return _lambda_node(fn, index, code)
    found = []
    for n in index.get(("def", code.co_name), ()):
        start = min([n.lineno] + [d.lineno for d in n.decorator_list])
        if start == first:
            found.append(n)
    if len(found) != 1:
        raise _refuse(
            fn,
            f"no unique def of {code.co_name} at line {first}",
            "write the function with a plain def statement, or use mode='tape'",
        )
    return found[0]


def _lambda_node(fn, index, code):
    lams = list(index.get(("lambda", code.co_firstlineno), ()))
    positions = getattr(code, "co_positions", None)
    if positions is not None:
        pts = [
            (p[0], p[2])
            for p in positions()
            if p[0] is not None and p[2] is not None and (p[2] or p[3])
        ]
        pts += [
            (p[1], p[3])
            for p in positions()
            if p[1] is not None and p[3] is not None and (p[2] or p[3])
        ]

        def contains(n):
            lo, hi = (n.lineno, n.col_offset), (n.end_lineno, n.end_col_offset)
            return all(lo <= p <= hi for p in pts)

        inside = [n for n in lams if contains(n)] if pts else []
        # the innermost lambda whose span holds every instruction of the code
        inside = [n for n in inside if not any(m is not n and _within(m, n) for m in inside)]
        if len(inside) == 1:
            return inside[0]
    else:
        inside = [n for n in lams if _lambda_code_matches(n, code)]
        if len(inside) == 1 or (
            inside and all(ast.dump(n) == ast.dump(inside[0]) for n in inside)
        ):
            return inside[0]
    raise _refuse(
        fn,
        f"{len(lams)} lambdas on line {code.co_firstlineno} cannot be told apart",
        "give the lambda a line of its own, or write it with def",
    )


def _within(inner, outer):
    return (outer.lineno, outer.col_offset) <= (inner.lineno, inner.col_offset) and (
        inner.end_lineno,
        inner.end_col_offset,
    ) <= (outer.end_lineno, outer.end_col_offset)


def _lambda_code_matches(node, code):
    """Python 3.10 (no column positions): compile the lambda alone and compare."""
    free = list(code.co_freevars)
    body = ast.Expr(node)
    if free:
        assigns = [ast.Assign([ast.Name(v, ast.Store())], ast.Constant(None)) for v in free]
        outer = ast.FunctionDef(
            "__srcad_enclosing__",
            ast.arguments([], [], None, [], [], None, []),
            assigns + [body],
            [],
            None,
        )
        mod = ast.Module([outer], [])
    else:
        mod = ast.Module([body], [])
    ast.fix_missing_locations(mod)
    try:
        top = compile(mod, code.co_filename, "exec", dont_inherit=True)
    except (SyntaxError, ValueError):
        return False
    found = _codes_named(top, "<lambda>", node.lineno, [])
    return any(
        c.co_code == code.co_code
        and c.co_consts == code.co_consts
        and c.co_names == code.co_names
        and c.co_varnames == code.co_varnames
        and c.co_freevars == code.co_freevars
        and c.co_argcount == code.co_argcount
        and c.co_kwonlyargcount == code.co_kwonlyargcount
        for c in found
    )


def _lambda_def(node):
    """``lambda a: e`` as ``def _lambda(a): return e`` (a gast FunctionDef)."""
    g = to_gast(node)
    ret = gast.Return(g.body)
    fdef = gast.FunctionDef("_lambda", g.args, [ret], [], None, None)
    for n in (ret, fdef):
        n.lineno = node.lineno
        n.col_offset = node.col_offset
        n.end_lineno = node.end_lineno
        n.end_col_offset = node.end_col_offset
    return fdef
