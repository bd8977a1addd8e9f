"""Turn a live Python function into a gast tree plus everything needed to resolve its names."""

import builtins
import inspect
import textwrap

import gast

from ..errors import UnsupportedError


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
        self.closure = {}
        code = getattr(fn, "__code__", None)
        if code is not None and fn.__closure__:
            for name, cell in zip(code.co_freevars, fn.__closure__):
                try:
                    self.closure[name] = cell.cell_contents
                except ValueError:  # an empty cell: the name is not bound yet
                    pass

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
            return True, self.closure[name]
        if name in self.globals:
            return True, self.globals[name]
        if hasattr(builtins, name):
            return True, getattr(builtins, name)
        return False, None


def parse_function(fn):
    """Parse ``fn``'s source with gast; raise UnsupportedError when that is impossible."""
    bound_self = getattr(fn, "__self__", None) if inspect.ismethod(fn) else None
    if inspect.ismethod(fn):
        fn = fn.__func__  # a bound method: its function, with self as first parameter
    fn = inspect.unwrap(fn, stop=lambda f: hasattr(f, "__srcad_source__"))
    generated = getattr(fn, "__srcad_source__", None)
    if generated is not None:
        src, filename, first_line = generated, getattr(fn, "__srcad_file__", "<srcad>"), 1
        lines = src.splitlines()
    else:
        if not inspect.isfunction(fn):
            raise UnsupportedError(
                f"cannot transform {fn!r}: it is not a Python function with source code",
                hint="pass a function written in Python (def ...), or register a rule for "
                "this callable with @srcad.adjoint",
            )
        try:
            lines, first_line = inspect.getsourcelines(fn)
            filename = inspect.getsourcefile(fn) or "<unknown>"
        except (OSError, TypeError) as exc:
            raise UnsupportedError(
                f"cannot read the source of {fn.__qualname__} ({exc})",
                hint="define the function in a file (not in an interactive prompt or exec'd "
                "string), or use mode='tape'",
            ) from None
        lines = [ln.rstrip("\n") for ln in lines]
        src = "\n".join(lines) + "\n"
    src = textwrap.dedent(src)
    try:
        module = gast.parse(src)
    except SyntaxError as exc:
        raise UnsupportedError(
            f"cannot parse the source of {getattr(fn, '__qualname__', fn)}: {exc.msg}",
            filename,
            first_line,
            "define the function with a plain def statement",
        ) from None
    fdefs = [n for n in module.body if isinstance(n, (gast.FunctionDef, gast.AsyncFunctionDef))]
    if not fdefs:
        raise UnsupportedError(
            f"{getattr(fn, '__qualname__', fn)} is not defined by a def statement (a lambda?)",
            filename,
            first_line,
            "write the function with def",
        )
    wanted = getattr(fn, "__name__", None)
    fdef = next((f for f in fdefs if f.name == wanted), fdefs[0])
    parsed = Parsed(fn, fdef, filename, first_line, lines)
    parsed.bound_self = bound_self
    if isinstance(fdef, gast.AsyncFunctionDef):
        raise parsed.error(fdef, "async functions cannot be differentiated", "use a plain def")
    fdef.decorator_list = []
    return parsed
