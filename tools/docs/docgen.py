"""Write the documentation's generated parts by running srcad (nothing is pasted).

A page asks for a part with a line ``<!-- gen:NAME -->``; :func:`expand` replaces it
with the markdown :data:`PARTS` makes for ``NAME``. The mkdocs hook
(``tools/docs/hooks.py``) calls it for every page and adds the pictures of
:func:`images`; the tests (``tests/docs/test_docgen.py``) call the same functions,
so a change in srcad that the docs do not follow fails the tests.

Run ``python tools/docs/docgen.py OUT_DIR`` to write every part as a markdown file
without mkdocs.
"""

import contextlib
import importlib.util
import inspect
import io
import os
import re
import sys
import textwrap
import warnings

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
if ROOT not in sys.path:  # document the srcad of this checkout, whatever is installed
    sys.path.insert(0, ROOT)

import srcad  # noqa: E402
import srcad.viz as viz  # noqa: E402
from srcad.testing import numerical_grad  # noqa: E402

GEN = re.compile(r"^<!-- gen:([\w-]+) -->$", re.M)


def load_here(name):
    """Import ``tools/docs/<name>.py`` (once) by path: mkdocs does not keep its folder
    on ``sys.path``."""
    key = f"_srcad_docs_{name}"
    if key not in sys.modules:
        spec = importlib.util.spec_from_file_location(key, os.path.join(HERE, f"{name}.py"))
        mod = importlib.util.module_from_spec(spec)
        sys.modules[key] = mod
        spec.loader.exec_module(mod)
    return sys.modules[key]


def fence(code, lang="python"):
    return f"```{lang}\n{code.rstrip()}\n```\n"


def source_of(fn):
    return textwrap.dedent(inspect.getsource(fn))


# -- the compiler: each construct beside its generated code ---------------------------


def construct_entries():
    """``(title, note, user code, generated code, max FD error or None)`` per construct."""
    constructs = load_here("constructs")

    out = []
    for title, note, fn, args, wrt, kind in constructs.EXAMPLES:
        t = getattr(srcad, kind)(fn, wrt=wrt, mode="source")
        err = None
        if kind == "grad" and fn not in constructs.NOT_FD:
            g = t(*args)
            fd = numerical_grad(fn, args, wrt=wrt)
            err = _max_error(g, fd)
        out.append((title, note, source_of(fn), t.source, err))
    return out


def _max_error(g, fd):
    if isinstance(g, (list, tuple)):
        return max(_max_error(a, b) for a, b in zip(g, fd))
    return float(np.max(np.abs(np.asarray(g, dtype=float) - np.asarray(fd, dtype=float))))


def constructs_markdown():
    parts = []
    for title, note, user, generated, err in construct_entries():
        check = (
            f"Checked when this page was built: largest difference from central finite "
            f"differences in float64 {err:.1e}."
            if err is not None
            else "This construct changes the gradient on purpose, so it is not compared "
            "with finite differences."
        )
        parts.append(
            f"### {title}\n\n{note} {check}\n\n"
            '<div class="grid" markdown>\n\n'
            + fence(user)
            + "\n"
            + fence(generated)
            + "\n</div>\n"
        )
    return "\n".join(parts)


# -- errors ------------------------------------------------------------------------


def refusal_entries():
    """``(title, user code, message)`` for every refusal in ``refusals.REFUSALS``."""
    refusals = load_here("refusals")

    out = []
    for title, fn, kind, wrt in refusals.REFUSALS:
        try:
            src = getattr(srcad, kind)(fn, wrt=wrt, mode="source").source
        except srcad.UnsupportedError as exc:
            message = f"srcad.UnsupportedError: {exc}"
        else:
            raise AssertionError(f"{title}: srcad transformed it:\n{src}")
        try:
            code = source_of(fn)
        except (OSError, TypeError):
            code = _describe_sourceless(fn)
        out.append((title, code, message.replace(HERE + os.sep, "")))
    return out


def _describe_sourceless(fn):
    if getattr(fn, "__name__", "") == "from_exec":
        return 'exec("def from_exec(x):\\n    return np.sum(x * x)\\n", namespace)\n'
    return f"srcad.grad({type(fn).__module__}.{type(fn).__name__}(...))\n"


def fallback_entry():
    """What ``mode="auto"`` does with a refused function: the warning and the attributes."""
    refusals = load_here("refusals")

    g = srcad.grad(refusals.uses_try)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        value = g(np.array([0.5, 2.0]))
    (w,) = [c for c in caught if issubclass(c.category, srcad.FallbackWarning)]
    message = str(w.message).replace(HERE + os.sep, "")
    return message, g.mode, value


def errors_markdown():
    parts = []
    for title, code, message in refusal_entries():
        parts.append(f"### {title}\n\n" + fence(code) + "\n" + fence(message, "text"))
    message, mode, value = fallback_entry()
    parts.append(
        "## `srcad.FallbackWarning`\n\n"
        'With the default `mode="auto"`, a function the compiler refuses runs on the '
        "tape instead, and the first call warns once. For `uses_try` above, "
        "`srcad.grad(uses_try)(np.array([0.5, 2.0]))` warns:\n\n"
        + fence(f"srcad.FallbackWarning: {message}", "text")
        + f"\nand returns `{np.array2string(value, precision=4)}`; afterwards "
        f"`.mode` is `{mode!r}` and `.fallback_reason` holds the reason. The fix is the "
        "refusal's own (the `Instead:` line); to silence the warning instead, pass "
        '`mode="tape"`; to make the refusal an error, pass `mode="source"`.\n'
    )
    return "\n".join(parts)


# -- the tape: PyTorch parity --------------------------------------------------------


def _load_scenarios():
    path = os.path.join(ROOT, "tests", "tape", "scenarios.py")
    spec = importlib.util.spec_from_file_location("_srcad_doc_scenarios", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _lambda_text(fn):
    line = inspect.getsource(fn).strip().rstrip(",")
    tree = __import__("ast").parse("{" + line + "}")
    lam = next(n for n in __import__("ast").walk(tree) if type(n).__name__ == "Lambda")
    return __import__("ast").unparse(lam.body)


def _same(a, b):
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    if isinstance(a, float) and isinstance(b, (int, float)):
        return bool(np.isclose(a, b, rtol=1e-5, atol=1e-6, equal_nan=True))
    return a == b


def parity_rows():
    """``(expression, srcad grad_fn, PyTorch grad_fn or None, match or None)`` per op."""
    scn = _load_scenarios()
    try:
        import torch
    except ImportError:
        torch = None
    rows = []
    for name, (fn, inputs, flags) in scn.OPS.items():
        mine = scn._op_scenario(name, fn, inputs, flags)(srcad)
        theirs = scn._op_scenario(name, fn, inputs, flags)(torch) if torch else None
        rows.append(
            (
                _lambda_text(fn),
                mine["grad_fn"] if "grad_fn" in mine else mine.get("fn"),
                None if theirs is None else theirs.get("grad_fn", theirs.get("fn")),
                None if theirs is None else _same(mine, theirs),
            )
        )
    return rows


def parity_markdown():
    rows = parity_rows()
    have_torch = rows and rows[0][2] is not None
    head = (
        "| operation | srcad `grad_fn` | PyTorch `grad_fn` | value, flags and gradients |\n"
        "| --- | --- | --- | --- |\n"
    )
    body = ""
    for expr, mine, theirs, same in rows:
        verdict = "same" if same else ("**differ**" if same is False else "not run")
        body += f"| `{expr}` | `{mine}` | {f'`{theirs}`' if theirs else '–'} | {verdict} |\n"
    if have_torch:
        lead = (
            f"Each row below was run on srcad's tape and on PyTorch {_torch_version()} when "
            f"this page was built: {sum(1 for r in rows if r[3])} of {len(rows)} give the "
            "same output value, dtype, flags, `grad_fn` name and input gradients (after "
            "`backward` with a non-uniform upstream gradient).\n\n"
        )
    else:
        lead = (
            "PyTorch was not installed when this page was built, so the PyTorch column is "
            "empty; `python -m pytest tests/tape` compares every row (and the other "
            "scenarios) with PyTorch 2.13.\n\n"
        )
    return lead + head + body


def _torch_version():
    import torch

    return torch.__version__


def scenario_counts_markdown():
    scn = _load_scenarios()
    counts = {}
    for name in scn.SCENARIOS:
        group = name.split("_", 1)[0]
        counts[group] = counts.get(group, 0) + 1
    body = "".join(f"| {g} | {n} |\n" for g, n in sorted(counts.items(), key=lambda kv: -kv[1]))
    return (
        f"`tests/tape/scenarios.py` holds {len(scn.SCENARIOS)} scenarios; "
        "`tests/tape/test_differential.py` runs each on PyTorch and on srcad and compares "
        "what they observe. By group:\n\n| group | scenarios |\n| --- | ---: |\n" + body
    )


# -- benchmarks ----------------------------------------------------------------------


def readme_speed_table():
    """``(columns, rows)`` of the README's workload table (ratios to hand-written NumPy)."""
    text = open(os.path.join(ROOT, "README.md"), encoding="utf-8").read()
    section = text.split("## Speed", 1)[1]
    lines = [ln for ln in section.splitlines() if ln.startswith("| workload")]
    start = section.splitlines().index(lines[0])
    table = []
    for ln in section.splitlines()[start:]:
        if not ln.startswith("|"):
            break
        table.append([c.strip() for c in ln.strip("|").split("|")])
    columns = table[0][1:]
    rows = [(r[0], [float(c) for c in r[1:]]) for r in table[2:]]
    return columns, rows


def benchmark_svg(columns, rows):
    """A horizontal bar chart (log scale) of the ratios, as SVG text."""
    colours = [
        "#999999",
        "#1f77b4",
        "#ff7f0e",
        "#2ca02c",
        "#d62728",
        "#9467bd",
        "#8c564b",
        "#e377c2",
    ]
    bar, gap, left, width = 9, 14, 230, 420
    lo, hi = -1.0, 4.0  # log10 of 0.1 .. 10000
    height = len(rows) * (len(columns) * bar + gap) + 90
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{left + width + 40}" '
        f'height="{height}" font-family="sans-serif" font-size="11">'
    ]
    y = 30
    for p in range(int(lo), int(hi) + 1):
        x = left + (p - lo) / (hi - lo) * width
        out.append(f'<line x1="{x:.1f}" y1="20" x2="{x:.1f}" y2="{height - 60}" stroke="#ddd"/>')
        out.append(f'<text x="{x:.1f}" y="14" text-anchor="middle">{10.0**p:g}x</text>')
    for label, values in rows:
        out.append(f'<text x="{left - 8}" y="{y + 3 * bar}" text-anchor="end">{label}</text>')
        for k, v in enumerate(values):
            w = max((np.log10(v) - lo) / (hi - lo) * width, 1.0)
            out.append(
                f'<rect x="{left}" y="{y}" width="{w:.1f}" height="{bar - 1}" '
                f'fill="{colours[k % len(colours)]}"><title>{columns[k]}: {v}</title></rect>'
            )
            y += bar
        y += gap
    for k, c in enumerate(columns):
        lx = 10 + (k % 4) * 170
        ly = height - 40 + (k // 4) * 16
        fill = colours[k % len(colours)]
        out.append(f'<rect x="{lx}" y="{ly - 9}" width="10" height="10" fill="{fill}"/>')
        out.append(f'<text x="{lx + 14}" y="{ly}">{c}</text>')
    out.append("</svg>")
    return "\n".join(out) + "\n"


def benchmarks_markdown():
    columns, rows = readme_speed_table()
    head = "| workload | " + " | ".join(columns) + " |\n"
    head += "| --- |" + " ---: |" * len(columns) + "\n"
    body = "".join(f"| {w} | " + " | ".join(f"{v:g}" for v in vs) + " |\n" for w, vs in rows)
    return (
        "![Time per gradient as a ratio to hand-written NumPy, log scale]"
        "(img/benchmarks.svg)\n\n" + head + body
    )


# -- pictures -----------------------------------------------------------------------


def example_tape():
    w = srcad.tensor([[0.5, -1.0, 2.0], [1.5, 0.25, -0.5]], requires_grad=True)
    b = srcad.zeros(2, requires_grad=True)
    x = srcad.tensor([1.0, 2.0, 3.0])
    loss = ((w @ x + b).tanh() ** 2).mean()
    return viz.graph(loss, params={"w": w, "b": b})


def example_flow():
    return viz.flow(_quickstart().loss)


def _quickstart():
    spec = importlib.util.spec_from_file_location(
        "_srcad_doc_quickstart", os.path.join(ROOT, "examples", "quickstart.py")
    )
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def quickstart_source_markdown():
    return fence(srcad.grad(_quickstart().loss).source)


PICTURES = {"tape_graph": example_tape, "quickstart_flow": example_flow}


def picture_markdown(name):
    if viz.have_dot():
        return f"![{name}](img/{name}.svg)\n"
    return (
        "Graphviz was not installed when this site was built, so here is the DOT text "
        "`srcad.viz` produced (paste it into any Graphviz viewer, or install Graphviz "
        "and rebuild):\n\n" + fence(PICTURES[name](), "dot")
    )


def images():
    """``{path under docs: SVG text}`` for the generated pictures."""
    columns, rows = readme_speed_table()
    out = {"img/benchmarks.svg": benchmark_svg(columns, rows)}
    if viz.have_dot():
        for name, make in PICTURES.items():
            out[f"img/{name}.svg"] = make().svg()
    return out


# -- the command line ---------------------------------------------------------------


def run_cli(*argv):
    from srcad import cli

    out, err = io.StringIO(), io.StringIO()
    cwd = os.getcwd()
    os.chdir(ROOT)
    try:
        with contextlib.redirect_stderr(err):
            code = cli.main(list(argv), out=out)
    finally:
        os.chdir(cwd)
    return code, out.getvalue(), err.getvalue()


CLI_EXAMPLES = [
    ("show", "examples/quickstart.py"),
    ("show", "examples/quickstart.py:loss", "--side-by-side"),
    ("check", "examples/quickstart.py:loss", "--shape", "x=8,3", "--shape", "y=8"),
]


def cli_markdown():
    parts = []
    for argv in CLI_EXAMPLES:
        code, out, err = run_cli(*argv)
        if code != 0:
            raise AssertionError(f"python -m srcad {' '.join(argv)} failed ({code}): {err}")
        parts.append(fence(f"$ python -m srcad {' '.join(argv)}\n{out}", "console"))
    return "\n".join(parts)


# -- the public names ---------------------------------------------------------------

TAPE_NAMES = (
    "tensor ones zeros ones_like zeros_like full empty eye arange linspace rand randn "
    "manual_seed float32 float64 float double int64 long bool device mm matmul t sum mean "
    "max min exp log sqrt sin cos tanh sigmoid relu abs pow clamp reshape transpose permute "
    "squeeze unsqueeze cat stack where no_grad enable_grad set_grad_enabled "
    "is_grad_enabled autograd nn optim"
).split()


def tape_names_markdown():
    missing = [n for n in TAPE_NAMES if not hasattr(srcad, n)]
    have = [f"`{n}`" for n in TAPE_NAMES if hasattr(srcad, n)]
    text = f"Present in `srcad` when this page was built: {', '.join(have)}."
    if missing:
        text += " Missing: " + ", ".join(f"`{n}`" for n in missing) + "."
    return text + "\n"


PARTS = {
    "constructs": constructs_markdown,
    "errors": errors_markdown,
    "parity": parity_markdown,
    "scenarios": scenario_counts_markdown,
    "tape-names": tape_names_markdown,
    "benchmarks": benchmarks_markdown,
    "cli": cli_markdown,
    "quickstart-source": quickstart_source_markdown,
    "picture-tape_graph": lambda: picture_markdown("tape_graph"),
    "picture-quickstart_flow": lambda: picture_markdown("quickstart_flow"),
}


def expand(markdown):
    """Replace every ``<!-- gen:NAME -->`` line with its generated markdown."""

    def sub(m):
        name = m.group(1)
        if name not in PARTS:
            raise KeyError(f"unknown generated part {name!r}; known: {sorted(PARTS)}")
        return PARTS[name]().rstrip("\n")

    return GEN.sub(sub, markdown)


def main(out_dir):
    os.makedirs(os.path.join(out_dir, "img"), exist_ok=True)
    for name, make in PARTS.items():
        with open(os.path.join(out_dir, f"{name}.md"), "w", encoding="utf-8") as fh:
            fh.write(make())
    for path, text in images().items():
        with open(os.path.join(out_dir, path), "w", encoding="utf-8") as fh:
            fh.write(text)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python tools/docs/docgen.py OUT_DIR")
    main(sys.argv[1])
