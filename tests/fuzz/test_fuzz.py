"""A fixed-seed differential fuzzing run: random programs against finite differences.

300 general programs and 200 per-sample loops (seed 0), each checked in source
and tape mode through grad, value_and_grad, vjp and jvp (see check.py). Source
mode must give no wrong number and no internal exception; tape mode no wrong
number. Refusals are allowed, and counted in the printed summary. A failure
message shows the first failing program of every class; ``python -m tests.fuzz
--family F --n N --seed 0 --out DIR`` reproduces the run and saves them shrunk.
"""

import pytest

from .campaign import Campaign

RUNS = [("general", 300), ("loops", 200)]


def _failures(camp):
    out = []
    for (mode, kind, *_), (prog, o) in sorted(camp.first.items()):
        if kind == "refused" or (mode == "tape" and kind == "crash"):
            continue
        out.append(
            f"--- {mode} {kind} in {o.api}: {o.cause}\n"
            + (f"expected {o.expected}\ngot      {o.got}\n" if kind == "wrong" else "")
            + prog.source
        )
    return "\n".join(out)


@pytest.mark.parametrize("family,n", RUNS)
def test_fixed_seed_campaign(family, n):
    camp = Campaign(n, 0, family, ("source", "tape"), which="rotate").run()
    print(camp.summary())
    c = camp.counts
    bad = {
        "source wrong": c[("source", "wrong")],
        "source crash": c[("source", "crash")],
        "tape wrong": c[("tape", "wrong")],
    }
    assert c["checked"] >= n // 2, camp.summary()  # the run really checked programs
    assert not any(bad.values()), f"{bad}\n{camp.summary()}\n{_failures(camp)}"
