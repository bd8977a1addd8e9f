"""Pictures of srcad's two engines as Graphviz DOT text.

``graph(tensor)`` draws the tape: one box per ``grad_fn`` node, named as PyTorch
names them (``MulBackward0``), leaves as ``AccumulateGrad`` boxes with the leaf's
shape, and edges that follow ``next_functions`` in the direction data flows (from
input to output), as torchviz draws PyTorch graphs.

``flow(f)`` draws what ``srcad.grad`` generates for ``f``: a node per name the
generated function assigns (and per parameter), an edge from each name a
statement reads to each name it writes. Names first assigned after the
``_rt.seed`` line are the adjoint sweep's and get another colour. srcad's own
bookkeeping (names starting with ``_``: the runtime, the stacks) is left out.

Both return a :class:`Dot`: a ``str`` holding the DOT source, with ``.render(path)``
and ``.svg()`` that run Graphviz's ``dot`` program when it is installed (no Python
package is needed). Example::

    x = srcad.ones(3, requires_grad=True)
    y = (x * 2).sin().sum()
    print(srcad.viz.graph(y))                  # DOT text
    srcad.viz.graph(y).render("graph.svg")     # needs Graphviz's `dot`
"""

import ast
import shutil
import subprocess

__all__ = ["Dot", "flow", "graph", "have_dot"]

_FORMATS = ("svg", "png", "pdf")
_NODE_STYLE = 'node [shape=box, style="rounded,filled", fillcolor=white, fontname="monospace"]'
_COLOURS = {"param": "#cfe2f3", "primal": "#ffffff", "adjoint": "#f9cb9c", "output": "#d9ead3"}


class Dot(str):
    """DOT source text; ``render``/``svg`` call Graphviz's ``dot`` when it is installed."""

    def svg(self):
        """The picture as SVG text."""
        return _run_dot(self, "svg").decode("utf-8")

    def render(self, path, format="svg"):
        """Write the picture to ``path`` (``format``: svg, png or pdf); returns ``path``."""
        if format not in _FORMATS:
            raise ValueError(f"format must be one of {_FORMATS}, got {format!r}")
        data = _run_dot(self, format)
        with open(path, "wb") as fh:
            fh.write(data)
        return path


def have_dot():
    """Whether Graphviz's ``dot`` program is on the PATH."""
    return shutil.which("dot") is not None


def _run_dot(text, fmt):
    exe = shutil.which("dot")
    if exe is None:
        raise RuntimeError(
            "srcad.viz: rendering needs Graphviz's `dot` program on the PATH "
            "(apt install graphviz, brew install graphviz, conda install graphviz); "
            "the DOT text itself (str(...)) needs nothing"
        )
    p = subprocess.run([exe, f"-T{fmt}"], input=str(text).encode(), capture_output=True)
    if p.returncode != 0:
        raise RuntimeError(f"srcad.viz: dot failed: {p.stderr.decode(errors='replace')}")
    return p.stdout


def _quote(text):
    return '"' + str(text).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def _node(nid, label, colour, extra=""):
    return f"  {nid} [label={_quote(label)}, fillcolor={_quote(colour)}{extra}];"


def _shape(t):
    return str(tuple(int(n) for n in t.shape))


# -- the tape -------------------------------------------------------------------------


def _node_name(fn):
    name = fn.name() if hasattr(fn, "name") else type(fn).__name__
    return name.rsplit("::", 1)[-1]


def graph(tensor, params=None):
    """The tape graph that produced ``tensor`` (or a list of tensors) as DOT text.

    ``params`` optionally maps names to leaf tensors (``dict(model.named_parameters())``)
    so that leaves are labelled with their names.
    """
    outputs = list(tensor) if isinstance(tensor, (list, tuple)) else [tensor]
    names = {id(v): k for k, v in (params or {}).items()}
    ids = {}
    lines = [f"digraph {_quote('tape')} {{", "  rankdir=TB;", "  " + _NODE_STYLE + ";"]
    edges = []
    queue = []

    def visit(fn):
        if id(fn) not in ids:
            ids[id(fn)] = f"n{len(ids)}"
            queue.append(fn)
        return ids[id(fn)]

    for k, t in enumerate(outputs):
        if not hasattr(t, "grad_fn"):
            raise TypeError(f"srcad.viz.graph expects tape tensors, got {type(t).__name__}")
        out = f"out{k}"
        label = f"{names.get(id(t), 'output')}\n{_shape(t)}"
        lines.append(_node(out, label, _COLOURS["output"]))
        if t.grad_fn is not None:
            edges.append((visit(t.grad_fn), out))
    while queue:
        fn = queue.pop(0)
        nid = ids[id(fn)]
        variable = getattr(fn, "variable", None)
        if variable is not None:
            label = f"{names.get(id(variable), _node_name(fn))}\n{_shape(variable)}"
            lines.append(_node(nid, label, _COLOURS["param"]))
        else:
            lines.append(_node(nid, _node_name(fn), _COLOURS["primal"]))
        for nxt, _ in fn.next_functions:
            if nxt is not None:
                edges.append((visit(nxt), nid))
    lines += [f"  {a} -> {b};" for a, b in edges]
    lines.append("}")
    return Dot("\n".join(lines) + "\n")


# -- generated code ----------------------------------------------------------------------


def _names(node, ctx):
    return [
        n.id
        for n in ast.walk(node)
        if isinstance(n, ast.Name) and isinstance(n.ctx, ctx) and not n.id.startswith("_")
    ]


class _Flow(ast.NodeVisitor):
    """Collects ``(reads, writes)`` per statement of one generated function, in order."""

    def __init__(self):
        self.steps = []  # (reads, writes, in_adjoint)
        self.adjoint = False

    def _step(self, reads, writes, value=None):
        if value is not None and _is_seed(value):
            self.adjoint = True
        self.steps.append((reads, writes, self.adjoint))

    def visit_Assign(self, node):
        writes = [n for t in node.targets for n in _names(t, ast.Store)]
        reads = _names(node.value, ast.Load)
        for t in node.targets:  # x[i] = v reads i and the old x
            reads += [n for n in _names(t, ast.Load)]
            if isinstance(t, ast.Subscript):
                writes += _names(t.value, ast.Load)
        self._step(reads, writes, node.value)

    def visit_AugAssign(self, node):
        writes = _names(node.target, ast.Store) + _names(node.target, ast.Load)
        self._step(_names(node.value, ast.Load) + writes, writes)

    def visit_For(self, node):
        self._step(_names(node.iter, ast.Load), _names(node.target, ast.Store))
        for stmt in node.body + node.orelse:
            self.visit(stmt)

    def visit_Return(self, node):
        if node.value is not None:
            self.steps.append((_names(node.value, ast.Load), ["return"], self.adjoint))


def _is_seed(value):
    return (
        isinstance(value, ast.Call)
        and isinstance(value.func, ast.Attribute)
        and value.func.attr == "seed"
    )


def flow(f, wrt=0):
    """The primal and adjoint data flow of ``srcad.grad(f, wrt)``'s generated code, as DOT.

    ``f`` is a plain function or a ``srcad.grad``/``value_and_grad`` object (its own
    ``wrt`` is used). Raises ``srcad.UnsupportedError`` when srcad cannot transform it.
    """
    from . import api

    if isinstance(f, api._Transformation):
        if f.kind in ("grad", "value_and_grad") and f.mode == "source":
            source = f.source  # exactly what the user's object generates
        else:
            wrt = getattr(f, "_wrt_spec", wrt)
            source = api.grad(f.__wrapped__, wrt=wrt, mode="source").source
    else:
        source = api.grad(f, wrt=wrt, mode="source").source
    fdef = next(n for n in ast.parse(source).body if isinstance(n, ast.FunctionDef))
    params = [a.arg for a in fdef.args.args]
    visitor = _Flow()
    for stmt in fdef.body:
        visitor.visit(stmt)
    return _flow_dot(fdef.name, params, visitor.steps)


def _flow_dot(title, params, steps):
    kind = {p: "param" for p in params}
    for _, writes, adjoint in steps:
        for w in writes:
            kind.setdefault(w, "adjoint" if adjoint else "primal")
    edges = []
    seen = set()
    for reads, writes, _ in steps:
        for w in writes:
            for r in reads:
                if r in kind and r != w and (r, w) not in seen:
                    seen.add((r, w))
                    edges.append((r, w))
    lines = [f"digraph {_quote(title)} {{", "  rankdir=TB;", "  " + _NODE_STYLE + ";"]
    for name, k in kind.items():
        if name == "return":
            lines.append(_node(_quote("return"), "return", _COLOURS["output"], ", shape=oval"))
        else:
            lines.append(_node(_quote(name), name, _COLOURS[k]))
    lines += [f"  {_quote(a)} -> {_quote(b)};" for a, b in edges]
    lines.append("}")
    return Dot("\n".join(lines) + "\n")
