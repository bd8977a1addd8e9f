"""Print generated functions with astor and compile them (no files: ``linecache``).

The generated functions are defined inside a factory whose parameters are the
objects srcad injects (the runtime, helper functions of called user functions,
the user's closure values), so the user's module is never modified and the
generated code still sees the user's live globals.
"""

import itertools
import linecache
import re
import textwrap
import types
import weakref

import astor
import gast

from .astutil import statements, to_ast
from .vocab import call, const, name

_COMMENT = "__srcad_comment__"
_COMMENT_RE = re.compile(r"^(\s*)" + _COMMENT + r"\((['\"])(.*)\2\)\s*$")


def _fill_empty_blocks(tree):
    """Every block holds at least a ``pass`` (passes may empty a branch or a loop)."""
    for node in statements(tree):
        for field in ("body", "orelse"):
            block = getattr(node, field, None)
            if not isinstance(block, list) or (field == "orelse" and not block):
                continue
            # (a block of only `# ...` comment markers prints as an empty block)
            if all(getattr(b, "srcad_comment", None) is not None for b in block):
                block.append(gast.Pass())


def to_source(fdefs):
    """Readable source for a list of gast FunctionDefs (comments restored)."""
    parts = []
    for f in fdefs:
        _fill_empty_blocks(f)
        _mark_comments(f)
        mod = to_ast(gast.Module([f], []))
        # astor's own line splitting breaks lines in odd places; keep each statement whole
        parts.append(
            astor.to_source(mod, indent_with="    ", pretty_source=lambda chunks: "".join(chunks))
        )
    src = "\n\n".join(p.rstrip() + "\n" for p in parts)
    lines = []
    for line in src.splitlines():
        m = _COMMENT_RE.match(line)
        if m:
            text = (
                m.group(3).encode().decode("unicode_escape")
                if "\\" in m.group(3)
                else (m.group(3))
            )
            lines.append(f"{m.group(1)}# {text}")
        else:
            lines.append(line)
    return "\n".join(lines) + "\n"


def _mark_comments(tree):
    for node in statements(tree):
        text = getattr(node, "srcad_comment", None)
        if text is not None and not getattr(node, "_marked", False):
            node.value = call(name(_COMMENT), [const(text)])
            node._marked = True


_COUNTER = itertools.count(1)
# pseudo filename -> what the code was generated from (for exception notes)
GENERATED = {}


class _Origin:
    """Where generated code came from (no reference to the user's function)."""

    __slots__ = ("filename", "name", "first", "lines")

    def __init__(self, parsed):
        fdef = parsed.fdef
        first = getattr(fdef, "lineno", None) or 1
        last = getattr(fdef, "end_lineno", None) or len(parsed.source_lines)
        self.filename = parsed.filename
        self.name = fdef.name
        self.first = parsed.first_line + first - 1  # file line of the def
        self.lines = [ln.strip() for ln in parsed.source_lines[first - 1 : last]]


def _register(filename, text, parsed):
    """A ``linecache`` entry (tracebacks, pdb) and the user function it came from."""
    linecache.cache[filename] = (len(text), None, text.splitlines(True), filename)
    GENERATED[filename] = (text, _Origin(parsed) if parsed is not None else None)


def _unregister(filename):
    GENERATED.pop(filename, None)
    entry = linecache.cache.get(filename)
    if entry is not None and entry[1] is None:
        linecache.cache.pop(filename, None)


def _parsed_for(user_globals, label):
    """The Parsed of the user function being emitted (from the build's record)."""
    from .parse import recording

    seen = recording() or ()
    want = label.split(" of ", 1)[-1]
    for p in reversed(seen):
        if p.globals is user_globals and getattr(p.fdef, "name", None) == want:
            return p
    return None


def compile_functions(source, names, injected, user_globals, label):
    """Compile ``source`` (defs of ``names``) and return the function objects.

    No file is written: the code is registered in ``linecache`` under a unique
    pseudo filename (kept while the functions live), so tracebacks and pdb show
    the generated lines.
    """
    params = sorted(injected)
    header = f"# srcad generated code for {label}\n"
    factory = (
        header
        + f"def __srcad_factory__({', '.join(params)}):\n"
        + textwrap.indent(source, "    ")
        + f"    return ({', '.join(names)},)\n"
    )
    filename = f"<srcad-generated-{next(_COUNTER)} {label}>"
    _register(filename, factory, _parsed_for(user_globals, label))
    code = compile(factory, filename, "exec")
    fcode = next(c for c in code.co_consts if isinstance(c, types.CodeType))
    fn = types.FunctionType(fcode, user_globals, "__srcad_factory__")
    funcs = fn(**{k: injected[k] for k in params})
    for f in funcs:
        f.__srcad_file__ = filename
    # the code object outlives every function made from it (cells are re-bound per call)
    weakref.finalize(funcs[0].__code__, _unregister, filename)
    return funcs, filename


_GRAD_OF = re.compile(r"^\s*# Grad of: (.*)$")


def _raising_line(exc):
    """``(generated source, origin, "# Grad of:" text above)`` of the deepest frame of
    ``exc``'s traceback in srcad-generated code, or None."""
    tb, found = exc.__traceback__, None
    while tb is not None:
        fname = tb.tb_frame.f_code.co_filename
        if fname in GENERATED:
            found = (fname, tb.tb_lineno)
        tb = tb.tb_next
    if found is None:
        return None
    text, origin = GENERATED[found[0]]
    return text, origin, _grad_of_above(text, found[1])


def _user_line(origin, where):
    """The line in the user's file of the statement ``where`` of ``origin``, or None."""
    if where is not None:
        for k, line in enumerate(origin.lines):
            if line == where:
                return origin.first + k
    return None


def generated_site(exc):
    """``(filename, line, text)`` of the user's statement whose generated code raised
    ``exc`` (see :func:`note_generated`), or ``(None, None, None)``."""
    found = _raising_line(exc)
    if found is None:
        return None, None, None
    _, origin, where = found
    if origin is None:
        return None, None, where
    line = _user_line(origin, where)
    return origin.filename, origin.first if line is None else line, where


def _grad_of_above(text, lineno):
    lines = text.splitlines()
    for k in range(min(lineno, len(lines)) - 1, -1, -1):
        m = _GRAD_OF.match(lines[k])
        if m:
            return m.group(1).strip()
    return None


def division_refusal(exc):
    """The UnsupportedError for a ZeroDivisionError that generated code raised: Python
    floats raise where NumPy (and PyTorch) give ``inf`` or ``nan``, which is what
    the derivative is at such a point (``math.sqrt`` at 0, ``1 / x`` at 0)."""
    from ..errors import UnsupportedError

    filename, line, text = generated_site(exc)
    what = f" (gradient of: {text})" if text else ""
    err = UnsupportedError(
        f"the gradient divides a Python float by zero at this point{what}: the derivative "
        "is infinite or undefined here, and Python raises where NumPy gives inf or nan",
        filename,
        line,
        "use mode='tape' or mode='auto' (inf or nan, as PyTorch gives), or avoid the "
        "singular point",
    )
    err.at_run_time = True
    err.this_call_only = True
    return err


def note_generated(exc):
    """Add a note to ``exc`` naming the user's line whose generated code raised it.

    The deepest traceback frame in srcad-generated code is mapped to the nearest
    ``# Grad of:`` comment above it, and that text to its line in the user's
    function.  Python 3.11+ shows the note under the traceback (``add_note``);
    on 3.10 it is kept in ``exc.__notes__`` all the same.
    """
    found = _raising_line(exc)
    if found is None or getattr(exc, "__srcad_noted__", False):
        return
    _, parsed, where = found
    note = _note_text(parsed, where)
    try:
        exc.__srcad_noted__ = True
    except AttributeError:
        return
    if hasattr(exc, "add_note"):
        exc.add_note(note)
    else:  # Python 3.10: the same list 3.11 would print
        notes = list(getattr(exc, "__notes__", []) or [])
        exc.__notes__ = notes + [note]


def _note_text(origin, where):
    if origin is None:
        return "srcad: raised inside generated code" + (
            f" (gradient of: {where})" if where else ""
        )
    line = _user_line(origin, where)
    if line is not None:
        return (
            f"srcad: raised in the generated gradient of {origin.filename}, line {line}: {where}"
        )
    return (
        f"srcad: raised in the generated code for {origin.filename}, line {origin.first} "
        f"(function {origin.name})"
    )
