"""``python -m tests.fuzz``: run a differential fuzzing campaign (see docs/testing.md)."""

import argparse
import json
import os
import sys

from .campaign import Campaign


def main(argv=None):
    ap = argparse.ArgumentParser(prog="python -m tests.fuzz", description=__doc__)
    ap.add_argument("--n", type=int, default=1000, help="programs to check (invalid ones redrawn)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument(
        "--family", default="all", choices=("all", "general", "loops", "locals", "states")
    )
    ap.add_argument("--modes", default="source,tape", help="comma-separated: source,tape")
    ap.add_argument("--out", default=None, help="directory for shrunk failures and summary.json")
    ap.add_argument("--time-limit", type=float, default=None, help="stop checking after S s")
    ap.add_argument(
        "--apis",
        default="full",
        choices=("full", "rotate"),
        help="full: grad of each parameter, value_and_grad, vjp, jvp; rotate: "
        "value_and_grad, jvp and one of the others per program (faster)",
    )
    ap.add_argument("--timeout", type=float, default=20.0, help="seconds per transformation")
    ap.add_argument("--shrink-budget", type=float, default=60.0, help="seconds per failure class")
    ap.add_argument("--max-saved", type=int, default=30, help="failure classes to shrink")
    ap.add_argument("--no-shrink", action="store_true", help="save the failures unshrunk")
    ap.add_argument("--progress", type=int, default=100, help="print progress every K programs")
    ap.add_argument("--replay", nargs="+", metavar="FILE", help="re-check saved cases")
    a = ap.parse_args(argv)
    if a.replay:
        return replay(a.replay)
    modes = tuple(m.strip() for m in a.modes.split(",") if m.strip())
    for m in modes:
        if m not in ("source", "tape"):
            ap.error(f"--modes: unknown mode {m!r}")
    print(f"python -m tests.fuzz {' '.join(sys.argv[1:] if argv is None else argv)}", flush=True)
    camp = Campaign(a.n, a.seed, a.family, modes, a.timeout, a.apis)
    camp.run(time_limit=a.time_limit, progress=a.progress)
    print(camp.summary(), flush=True)
    if a.out:
        os.makedirs(a.out, exist_ok=True)
        saved = camp.save_failures(
            a.out, budget=0.0 if a.no_shrink else a.shrink_budget, limit=a.max_saved
        )
        with open(os.path.join(a.out, "summary.json"), "w") as fh:
            json.dump(camp.as_json(), fh, indent=1)
        with open(os.path.join(a.out, "summary.txt"), "w") as fh:
            fh.write(camp.summary() + "\n")
        print(f"saved {len(saved)} shrunk failures under {a.out}")
        for p in saved:
            print("  " + p)
    bad = sum(camp.counts[(m, k)] for m in modes for k in ("wrong",))
    bad += camp.counts[("source", "crash")]
    return 1 if bad else 0


def replay(paths):
    """Re-check saved failing programs and print each mode's outcome."""
    from .check import check_program
    from .regressions.test_regressions import load_case

    bad = 0
    for path in paths:
        if os.path.basename(path).startswith(("test_", "__")):
            continue
        rep = check_program(load_case(path), ("source", "tape"))
        print(f"{path}: {rep.status} {rep.why}")
        for mode, out in rep.modes.items():
            print(f"  {mode}: {out.kind} {out.api} {out.cause}")
            if out.kind == "wrong":
                print(f"    expected {out.expected}\n    got      {out.got}")
            if out.trace:
                print("    " + out.trace.replace("\n", "\n    "))
            bad += out.kind == "wrong" or (mode == "source" and out.kind == "crash")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
