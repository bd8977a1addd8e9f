"""Print generated functions with astor and compile them from a real file.

The generated functions are defined inside a factory whose parameters are the
objects srcad injects (the runtime, helper functions of called user functions,
the user's closure values), so the user's module is never modified and the
generated code still sees the user's live globals.
"""

import hashlib
import linecache
import os
import re
import tempfile
import textwrap
import types

import astor
import gast

from .astutil import walk

_COMMENT = "__srcad_comment__"
_COMMENT_RE = re.compile(r"^(\s*)" + _COMMENT + r"\((['\"])(.*)\2\)\s*$")


def _fill_empty_blocks(tree):
    """Every block holds at least a ``pass`` (passes may empty a branch or a loop)."""
    for node in walk(tree):
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
        mod = gast.gast_to_ast(gast.Module([f], []))
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
    for node in walk(tree):
        text = getattr(node, "srcad_comment", None)
        if text is not None and not getattr(node, "_marked", False):
            node.value = gast.Call(
                gast.Name(_COMMENT, gast.Load(), None, None), [gast.Constant(text, None)], []
            )
            node._marked = True


def _cache_dir():
    d = os.environ.get("SRCAD_CACHE_DIR") or os.path.join(
        tempfile.gettempdir(), f"srcad-generated-{os.getuid() if hasattr(os, 'getuid') else 0}"
    )
    os.makedirs(d, exist_ok=True)
    return d


def compile_functions(source, names, injected, user_globals, label):
    """Compile ``source`` (defs of ``names``) and return the function objects.

    The code is written to a real file so tracebacks and pdb show generated lines.
    """
    params = sorted(injected)
    header = f"# srcad generated code for {label}\n"
    factory = (
        header
        + f"def __srcad_factory__({', '.join(params)}):\n"
        + textwrap.indent(source, "    ")
        + f"    return ({', '.join(names)},)\n"
    )
    digest = hashlib.sha1(factory.encode()).hexdigest()[:12]
    safe = re.sub(r"\W+", "_", label)[:40]
    filename = os.path.join(_cache_dir(), f"{safe}_{digest}.py")
    try:
        if not os.path.exists(filename):
            with open(filename, "w") as fh:
                fh.write(factory)
    except OSError:
        filename = f"<srcad {label}>"
    linecache.cache[filename] = (len(factory), None, factory.splitlines(True), filename)
    code = compile(factory, filename, "exec")
    fcode = next(c for c in code.co_consts if isinstance(c, types.CodeType))
    fn = types.FunctionType(fcode, user_globals, "__srcad_factory__")
    funcs = fn(**{k: injected[k] for k in params})
    for f in funcs:
        f.__srcad_file__ = filename
    return funcs, filename
