"""srcad.viz: the DOT text against the graph it claims to draw.

``graph``: the same computation is built in PyTorch (the oracle) and srcad; the
nodes and edges of srcad's DOT must be those of PyTorch's ``grad_fn`` graph walked
independently here. ``flow``: the DOT is checked against the generated source read
as text (which names each line assigns and reads), and for the paths a gradient
must take.
"""

import os
import re
import stat
import sys

import numpy as np
import pytest

import srcad
import srcad.viz as viz

torch = pytest.importorskip("torch", reason="the test oracle, torch 2.13, is not installed")

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

NODE = re.compile(r'^\s*("?[\w]+"?) \[label="((?:[^"\\]|\\.)*)"(.*)\];$')
EDGE = re.compile(r'^\s*("?[\w]+"?) -> ("?[\w]+"?);$')


def parse(dot):
    nodes, edges = {}, []
    for line in dot.splitlines():
        m = NODE.match(line)
        if m:
            nodes[m.group(1).strip('"')] = (m.group(2).replace("\\n", "\n"), m.group(3))
        m = EDGE.match(line)
        if m:
            edges.append((m.group(1).strip('"'), m.group(2).strip('"')))
    assert dot.startswith("digraph") and dot.rstrip().endswith("}")
    return nodes, edges


def torch_graph(out):
    """(labels in visiting order, edges as index pairs) of a PyTorch graph."""
    order, index, edges = [], {}, []
    queue = []

    def visit(fn):
        if fn not in index:
            index[fn] = len(order)
            order.append(fn)
            queue.append(fn)
        return index[fn]

    root = visit(out.grad_fn)
    while queue:
        fn = queue.pop(0)
        for nxt, _ in fn.next_functions:
            if nxt is not None:
                edges.append((visit(nxt), index[fn]))
    labels = []
    for fn in order:
        name = fn.name().rsplit("::", 1)[-1]
        if hasattr(fn, "variable"):
            name += "\n" + str(tuple(fn.variable.shape))
        labels.append(name)
    return root, labels, edges


def srcad_graph(dot):
    nodes, edges = parse(dot)
    ops = [n for n in nodes if n.startswith("n")]
    labels = [nodes[n][0] for n in ops]
    idx = {n: int(n[1:]) for n in ops}
    return nodes, labels, [(idx[a], idx[b]) for a, b in edges if b in idx]


def build(lib, case):
    x = lib.tensor([0.5, -1.0, 2.0], dtype=lib.float64, requires_grad=True)
    w = lib.tensor(np.arange(9.0).reshape(3, 3) / 10, dtype=lib.float64, requires_grad=True)
    c = lib.tensor([1.0, 2.0, 3.0], dtype=lib.float64)
    if case == "chain":
        return ((w @ x) * 2).sin().sum()
    if case == "diamond":
        a = x * x
        return ((a.exp() + a.sin()) * c).mean()
    if case == "shapes":
        h = lib.cat([x.unsqueeze(0), (x * c).unsqueeze(0)], 0)
        return (w @ h.t()).tanh().pow(2).sum()
    raise AssertionError(case)


@pytest.mark.parametrize("case", ["chain", "diamond", "shapes"])
def test_graph_matches_pytorch(case):
    want_root, want_labels, want_edges = torch_graph(build(torch, case))
    nodes, labels, edges = srcad_graph(viz.graph(build(srcad, case)))
    assert labels == want_labels
    assert sorted(edges) == sorted(want_edges)
    assert ("n0", "out0") in parse(viz.graph(build(srcad, case)))[1]
    assert nodes["out0"][0] == "output\n()"


def test_graph_names_parameters_and_several_outputs():
    w = srcad.ones(2, 3, requires_grad=True)
    a = (w * 3).sum(0)
    b = w.exp().mean()
    nodes, edges = parse(viz.graph([a, b], params={"w": w}))
    leaves = [n for n, (label, _) in nodes.items() if label.startswith("w\n")]
    assert len(leaves) == 1 and nodes[leaves[0]][0] == "w\n(2, 3)"
    assert nodes["out0"][0] == "output\n(3,)" and nodes["out1"][0] == "output\n()"
    # the one leaf feeds both branches
    assert len([e for e in edges if e[0] == leaves[0]]) == 2


def test_graph_refuses_non_tensors():
    with pytest.raises(TypeError, match="tape tensors"):
        viz.graph(np.ones(3))


def test_render_without_dot_is_a_clear_error(monkeypatch, tmp_path):
    monkeypatch.setattr(viz.shutil, "which", lambda name: None)
    dot = viz.graph((srcad.ones(2, requires_grad=True) * 2).sum())
    with pytest.raises(RuntimeError, match="Graphviz's `dot`"):
        dot.render(str(tmp_path / "g.svg"))
    with pytest.raises(ValueError, match="format"):
        dot.render(str(tmp_path / "g.gif"), format="gif")


@pytest.mark.skipif(sys.platform == "win32", reason="uses a shell script as a stand-in dot")
def test_render_passes_the_dot_text_to_dot(monkeypatch, tmp_path):
    fake = tmp_path / "dot"
    fake.write_text('#!/bin/sh\necho "format $1"\ncat\n')
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", str(tmp_path) + os.pathsep + os.environ["PATH"])
    dot = viz.graph((srcad.ones(2, requires_grad=True) * 2).sum())
    out = dot.render(str(tmp_path / "g.png"), format="png")
    data = open(out, "rb").read().decode()
    assert data == "format -Tpng\n" + dot


# -- flow --------------------------------------------------------------------------------


def loss(w, x, y):
    p = np.tanh(x @ w)
    return np.mean((p - y) ** 2)


def looped(x, n):
    s = 0.0
    for i in range(n):
        s = s + np.sin(x[i]) * s
    return s


ASSIGN = re.compile(r"^\s*([A-Za-z]\w*(?:\s*,\s*[A-Za-z]\w*)*)\s*=(?!=)(.*)$")
FOR = re.compile(r"^\s*for (\w+) in (.*):$")


def text_flow(source):
    """(kind per name, (read, written) pairs) read off the generated text."""
    lines = source.split("\ndef ")[0].splitlines()
    params = re.match(r"def \w+\((.*)\):", lines[0]).group(1).split(", ")
    kind = {p: "param" for p in params}
    pairs = set()
    adjoint = False
    for line in lines[1:]:
        adjoint = adjoint or "_rt.seed(" in line
        m = ASSIGN.match(line) or FOR.match(line)
        if not m:
            continue
        targets = [t.strip() for t in m.group(1).split(",")]
        reads = set(re.findall(r"(?<![\w.'])([A-Za-z]\w*)\b", m.group(2)))
        for t in targets:
            kind.setdefault(t, "adjoint" if adjoint else "primal")
            pairs |= {(r, t) for r in reads if r != t}
    ret = re.search(r"^    return (.*)$", source, re.M).group(1)
    kind["return"] = "return"
    pairs |= {(r, "return") for r in re.findall(r"(?<![\w.'])([A-Za-z]\w*)\b", ret)}
    return kind, {(a, b) for a, b in pairs if a in kind}


def reachable(edges, start, allowed):
    seen, todo = {start}, [start]
    while todo:
        a = todo.pop()
        for u, v in edges:
            if u == a and v not in seen and v in allowed:
                seen.add(v)
                todo.append(v)
    return seen


@pytest.mark.parametrize("fn", [loss, looped])
def test_flow_matches_the_generated_code(fn):
    nodes, edges = parse(viz.flow(fn))
    kind, pairs = text_flow(srcad.grad(fn).source)
    assert set(nodes) == set(kind)
    assert set(edges) == pairs
    colour = {"param": "#cfe2f3", "primal": "#ffffff", "adjoint": "#f9cb9c", "return": "#d9ead3"}
    for name, (_, attrs) in nodes.items():
        assert f'fillcolor="{colour[kind[name]]}"' in attrs, name


def test_flow_paths_of_the_gradient():
    nodes, edges = parse(viz.flow(loss))
    primal = {n for n, (_, a) in nodes.items() if "#ffffff" in a}
    adjoint = {n for n, (_, a) in nodes.items() if "#f9cb9c" in a}
    assert "loss" in reachable(edges, "w", primal)  # the forward sweep
    assert "dw" in reachable(edges, "dloss", adjoint)  # the backward sweep
    assert ("dw", "return") in edges
    assert {"dloss", "dp", "dw"} <= adjoint and {"p", "loss"} <= primal


def test_flow_uses_a_transformations_own_wrt():
    g = srcad.grad(loss, wrt=2)
    nodes, edges = parse(viz.flow(g))
    assert ("dy", "return") in edges


def test_flow_of_a_refused_function():
    def bad(x):
        try:
            return x
        except ValueError:
            return x

    with pytest.raises(srcad.UnsupportedError):
        viz.flow(bad)
