"""A fixed-seed differential fuzzing run: random programs against finite differences.

300 general programs, 200 per-sample loops, 150 general programs with helpers
defined inside the function and 300 general programs with loops that keep their
states in a dict or a list keyed by the loop index (seed 0), each checked in source
and tape mode through grad, value_and_grad, vjp and jvp (see check.py). Source
mode must give no wrong number and no internal exception; tape mode no wrong
number. Refusals are allowed, and counted in the printed summary. A failure
message shows the first failing program of every class; ``python -m tests.fuzz
--family F --n N --seed 0 --out DIR`` reproduces the run and saves them shrunk.
"""

import pytest

from .campaign import Campaign

RUNS = [("general", 300), ("loops", 200), ("locals", 150), ("states", 300)]


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


def test_device_stand_in_programs_give_numpy_gradients():
    """Random programs on the CPU stand-in for CuPy arrays (tests/fuzz/device.py): no
    gradient differs from the NumPy one, in source mode or on the tape, and most
    programs that run on device arrays also differentiate there (the rest raise:
    programs that write device values into NumPy arrays they made)."""
    from .device import run

    counts, saved = run("strict", n=120, seed_=3, time_limit=120.0)
    differs = [s for s in saved if s["kind"] == "differs"]
    assert not differs, differs[0]
    assert counts["checked"] >= 30
    assert counts[("source", "same")] >= 0.8 * counts["checked"]
    assert counts[("tape", "same")] >= 0.7 * counts["checked"]
