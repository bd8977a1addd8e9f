"""Every shrunk failing program the fuzzer found, replayed in both modes.

Each ``*.py`` file beside this one is a program saved by ``python -m tests.fuzz
--out DIR`` (its header says what failed and how); this test checks it again
against finite differences: source mode must be right or refuse, tape mode must
not be wrong.
"""

import glob
import json
import os

import pytest

from ..check import check_program
from ..gen import Param, Program

HERE = os.path.dirname(__file__)
CASES = sorted(glob.glob(os.path.join(HERE, "*.py")))
CASES = [p for p in CASES if not os.path.basename(p).startswith(("test_", "__"))]


def load_case(path):
    with open(path) as fh:
        source = fh.read()
    meta = None
    for line in source.splitlines():
        if line.startswith("# fuzz-case: "):
            meta = json.loads(line[len("# fuzz-case: ") :])
    assert meta is not None, f"{path}: no '# fuzz-case:' header"
    params = [Param(n, k, tuple(s), v) for n, k, s, v in meta["params"]]
    return Program(source, meta["name"], params, meta["seed"], meta["family"])


def test_cases_exist():
    assert CASES, "no saved fuzz cases"


@pytest.mark.parametrize("path", CASES, ids=[os.path.basename(p) for p in CASES])
def test_saved_case(path):
    prog = load_case(path)
    rep = check_program(prog, ("source", "tape"))
    assert rep.status == "checked", f"{rep.status}: {rep.why}"
    src, tape = rep.modes["source"], rep.modes["tape"]
    assert src.kind in ("ok", "refused"), src
    assert tape.kind != "wrong", tape
