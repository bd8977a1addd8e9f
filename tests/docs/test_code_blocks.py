"""Every ```python block of README.md and docs/*.md runs, so the docs cannot rot.

Blocks of one file run in order in one fresh namespace that starts with ``np`` and
``srcad``; each block is written to a real file first, so that ``srcad.grad`` can
read the source of the functions it defines. Blocks that are not meant to run use
another fence language (```text, ```console, ```bash). The README's listing of
``loss.source`` must be what srcad generates today.
"""

import glob
import os
import re
import warnings

import numpy as np
import pytest

import srcad

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FILES = ["README.md"] + sorted(
    os.path.relpath(p, ROOT) for p in glob.glob(os.path.join(ROOT, "docs", "*.md"))
)
FENCE = re.compile(r"^```([\w+-]*)[^\n]*\n(.*?)^```[ \t]*$", re.M | re.S)


def blocks(path, lang="python"):
    with open(os.path.join(ROOT, path), encoding="utf-8") as fh:
        text = fh.read()
    return [m.group(2) for m in FENCE.finditer(text) if m.group(1) == lang]


def run_blocks(path, tmp_path):
    ns = {"np": np, "srcad": srcad, "__name__": "docs_" + re.sub(r"\W", "_", path)}
    for k, code in enumerate(blocks(path)):
        file = tmp_path / f"{os.path.basename(path)}_block{k}.py"
        file.write_text(code)
        try:
            exec(compile(code, str(file), "exec"), ns)
        except Exception as exc:
            raise AssertionError(f"{path}, python block {k + 1} failed:\n{code}") from exc
    return ns


def test_every_file_is_collected():
    assert "docs/index.md" in FILES and "docs/tape.md" in FILES
    assert len(blocks("README.md")) >= 3 and len(blocks("docs/index.md")) >= 4


def test_fences_are_closed():
    for path in FILES:
        with open(os.path.join(ROOT, path), encoding="utf-8") as fh:
            fences = [ln for ln in fh if ln.startswith("```")]
        assert len(fences) % 2 == 0, f"{path} has an unclosed code fence"


@pytest.mark.parametrize("path", FILES)
def test_code_blocks_run(path, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    with warnings.catch_warnings():
        warnings.simplefilter("error", srcad.FallbackWarning)  # the docs show source mode
        run_blocks(path, tmp_path)


def readme_first_block(tmp_path):
    ns = {"np": np, "srcad": srcad}
    first = blocks("README.md")[0]
    file = tmp_path / "readme_first.py"
    file.write_text(first)
    exec(compile(first, str(file), "exec"), ns)
    return ns


def test_readme_listing_is_the_generated_code(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    ns = readme_first_block(tmp_path)
    listing = next(b for b in blocks("README.md") if b.startswith("def dloss_dw"))
    assert listing == ns["loss"].source, "update README.md's listing of loss.source"


def test_readme_first_example_computes_the_gradient(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    ns = readme_first_block(tmp_path)
    w, x, y = ns["w"], ns["x"], ns["y"]
    p = np.tanh(x @ w)
    by_hand = x.T @ ((2.0 / len(y)) * (p - y) * (1 - p * p))
    assert np.allclose(ns["dw"], by_hand, rtol=1e-10, atol=1e-12)
