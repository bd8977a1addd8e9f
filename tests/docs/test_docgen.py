"""The documentation's generated parts: the same generator the site build runs.

If srcad changes so that a documented construct stops transforming, a refusal
stops being refused (or fails with an internal error), or a page asks for a part
that does not exist, these tests fail. ``mkdocs build --strict`` itself runs here
when the ``docs`` extra is installed (``pip install -e ".[docs]"``).
"""

import glob
import importlib.util
import inspect
import os
import shutil
import subprocess
import sys
from xml.etree import ElementTree

import numpy as np
import pytest

import srcad
from srcad.testing import numerical_grad

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _load(name):
    spec = importlib.util.spec_from_file_location(
        f"_test_{name}", os.path.join(ROOT, "tools", "docs", f"{name}.py")
    )
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


docgen = _load("docgen")
constructs = docgen.load_here("constructs")
refusals = docgen.load_here("refusals")


def test_every_construct_transforms_and_is_right():
    entries = docgen.construct_entries()
    assert len(entries) == len(constructs.EXAMPLES) >= 15
    for (title, _, user, generated, err), example in zip(entries, constructs.EXAMPLES):
        fn, kind = example[2], example[5]
        assert generated.startswith("def "), title
        assert user.startswith(f"def {fn.__name__}("), title
        if kind != "jvp":
            assert "# Grad of:" in generated, title
        if err is not None:
            assert err < 1e-6, f"{title}: srcad differs from finite differences by {err}"


def test_constructs_that_change_the_gradient_do_what_they_say():
    x = np.array([0.5, -2.0, 3.0])
    g = srcad.grad(constructs.cut_gradient)(x)
    scale, offset = np.max(x), np.mean(x)  # constants, as stop_gradient/no_grad say
    assert np.allclose(g, 1.0 / scale + offset)
    g = srcad.grad(constructs.clip_adjoint)(x)
    assert np.allclose(g, np.clip(3.0, -0.1, 0.1) * (1 - np.tanh(x) ** 2))


def test_every_refusal_is_an_unsupported_error_with_a_fix():
    entries = docgen.refusal_entries()
    assert len(entries) == len(refusals.REFUSALS) >= 30
    messages = set()
    for title, _code, message in entries:
        assert message.startswith("srcad.UnsupportedError: "), title
        assert "Instead: " in message, title
        assert "Traceback" not in message and "/" not in message.split(":")[1], title
        messages.add(message.split("\n")[0])
    assert len(messages) == len(entries), "two entries show the same refusal"


def test_fallback_runs_on_the_tape_and_is_right():
    message, mode, value = docgen.fallback_entry()
    assert mode == "tape" and "`try` statements are not supported" in message
    x = np.array([0.5, 2.0])
    assert np.allclose(value, numerical_grad(refusals.uses_try, (x,)), atol=1e-6)


def test_pages_ask_only_for_known_parts():
    asked = set()
    for path in glob.glob(os.path.join(ROOT, "docs", "*.md")):
        with open(path, encoding="utf-8") as fh:
            asked |= set(docgen.GEN.findall(fh.read()))
    assert asked == set(docgen.PARTS), "a part is generated but unused, or used but unknown"
    with pytest.raises(KeyError, match="unknown generated part"):
        docgen.expand("<!-- gen:nope -->")


def test_quickstart_source_and_cli_parts():
    from_srcad = srcad.grad(docgen._quickstart().loss).source
    assert from_srcad in docgen.quickstart_source_markdown()
    cli = docgen.cli_markdown()
    assert from_srcad.splitlines()[0] in cli and "max abs error" in cli


def test_parity_table_matches_pytorch():
    pytest.importorskip("torch", reason="PyTorch is the oracle: pip install -e .[test]")
    rows = docgen.parity_rows()
    assert len(rows) >= 100
    bad = [r for r in rows if not r[3] or r[1] != r[2]]
    assert not bad, f"rows that differ from PyTorch: {bad}"


def test_benchmark_table_is_the_readmes():
    columns, rows = docgen.readme_speed_table()
    with open(os.path.join(ROOT, "README.md"), encoding="utf-8") as fh:
        readme = fh.read()
    assert columns[0] == "NumPy by hand" and len(rows) >= 6
    for label, values in rows:
        line = next(ln for ln in readme.splitlines() if ln.startswith(f"| {label} |"))
        assert [float(c) for c in line.strip("|").split("|")[1:]] == values
    svg = docgen.benchmark_svg(columns, rows)
    assert svg.count("<rect") == len(rows) * len(columns) + len(columns)  # bars + legend
    root = ElementTree.fromstring(svg)  # well-formed XML
    widths = [float(r.get("width")) for r in root.iter("{http://www.w3.org/2000/svg}rect")]
    # the first bar is the hand-written 1.0; a slower library is drawn longer
    first = rows[0][1]
    k10 = [k for k, v in enumerate(first) if v > 1.0]
    assert widths[k10[0]] > widths[0]


def test_pictures_fall_back_to_dot_text(monkeypatch):
    monkeypatch.setattr(docgen.viz.shutil, "which", lambda name: None)
    md = docgen.picture_markdown("tape_graph")
    assert "```dot\ndigraph" in md and "MvBackward0" in md
    assert set(docgen.images()) == {"img/benchmarks.svg"}


def test_generator_writes_every_part(tmp_path):
    docgen.main(str(tmp_path))
    for name in docgen.PARTS:
        assert (tmp_path / f"{name}.md").read_text().strip(), name
    assert (tmp_path / "img" / "benchmarks.svg").read_text().startswith("<svg")


@pytest.mark.slow
def test_mkdocs_build_strict(tmp_path):
    if importlib.util.find_spec("mkdocs") is None or importlib.util.find_spec("material") is None:
        pytest.skip('needs the docs extra: pip install -e ".[docs]"')
    env = dict(os.environ, NO_MKDOCS_2_WARNING="1", PYTHONPATH=ROOT)
    p = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-d", str(tmp_path / "site")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert p.returncode == 0, p.stderr
    assert "WARNING" not in p.stderr, p.stderr
    assert (tmp_path / "site" / "errors" / "index.html").exists()
    if shutil.which("dot") is None:
        assert "```dot" not in (tmp_path / "site" / "tape" / "index.html").read_text()


def test_api_page_names_public_functions():
    with open(os.path.join(ROOT, "docs", "api.md"), encoding="utf-8") as fh:
        api = fh.read()
    for name in ("grad", "value_and_grad", "vjp", "jvp", "hvp", "jacobian", "hessian"):
        assert f"::: srcad.{name}\n" in api
        assert inspect.getdoc(getattr(srcad, name)), name


def test_parity_table_without_pytorch_says_so(monkeypatch):
    monkeypatch.setitem(sys.modules, "torch", None)  # import torch raises ImportError
    md = docgen.parity_markdown()
    assert md.startswith("PyTorch was not installed when this page was built")
    assert "| not run |" in md and "**differ**" not in md
