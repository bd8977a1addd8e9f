"""A fuzzing campaign: many programs, a summary, and shrunk failures on disk.

Design note. Programs come from ``@given(programs(family))`` under
``@seed(seed)`` with no example database and only the *generate* phase, so a
campaign is reproducible from (n, seed, family) and a failing program does not
stop it: the test body records every outcome and never raises. An invalid
program (the plain program fails) is rejected with ``reject()``, so it is
replaced by another draw and not counted.

Shrinking is a second pass per class of failure (mode, kind, cause): the same
``@given`` under the same seed replays the draws cheaply (the body only compares
the source with the recorded failing program) until it reaches that program,
fails there, and then hypothesis' shrinker minimizes it, with a body that now
checks each candidate for the same class of failure, within a time budget.
"""

from __future__ import annotations

import collections
import json
import os
import time

from hypothesis import HealthCheck, Phase, given, reject, seed, settings

from .check import check_program
from .gen import programs
from .reduce import reduce_program


class _Failing(Exception):
    """Raised in the shrinking pass: the program shows the class of failure sought."""


class _OutOfTime(BaseException):
    """Ends hypothesis' shrinking at once (it lets a BaseException through)."""


def _settings(n, phases):
    return settings(
        max_examples=n,
        database=None,
        deadline=None,
        phases=phases,
        suppress_health_check=list(HealthCheck),
        derandomize=False,
        print_blob=False,
    )


def _identity(prog):
    return (prog.source, prog.seed)


class Campaign:
    """Counts and first failing program of every class, for one run."""

    def __init__(
        self, n, seed_=0, family="all", modes=("source", "tape"), timeout=20.0, which="full"
    ):
        self.n, self.seed, self.family, self.modes = n, seed_, family, tuple(modes)
        self.timeout, self.which = timeout, which
        self.counts = collections.Counter()  # (mode, kind) and status
        self.causes = {m: collections.Counter() for m in self.modes}  # (kind, cause)
        self.first = {}  # (mode, kind, detail, family) -> (first prog, its outcome)
        self.invalid = set()
        self.elapsed = 0.0
        self.stopped_early = False

    def run(self, time_limit=None, progress=None):
        start = time.time()
        seen = [0]

        @seed(self.seed)
        @_settings(self.n, [Phase.generate])
        @given(programs(self.family))
        def body(prog):
            if time_limit is not None and time.time() - start > time_limit:
                self.stopped_early = True
                raise _OutOfTime  # hypothesis lets it through: no more draws
            rep = check_program(prog, self.modes, self.timeout, self.which)
            if rep.status == "invalid":
                self.invalid.add(_identity(prog))
                self.counts["invalid"] += 1
                reject()
            self.counts["programs"] += 1
            self.counts[rep.status] += 1
            seen[0] += 1
            if progress and seen[0] % progress == 0:
                print(f"  ... {seen[0]} programs, {time.time() - start:.0f} s", flush=True)
            for mode, out in rep.modes.items():
                self.counts[(mode, out.kind)] += 1
                if out.kind == "ok":
                    continue
                label = out.cause if out.kind != "wrong" else f"{out.api.split('[')[0]}"
                self.causes[mode][(out.kind, label)] += 1
                self.first.setdefault((mode,) + out.key + (prog.family,), (prog, out))

        try:
            body()
        except _OutOfTime:
            pass
        self.elapsed = time.time() - start
        return self

    # ---- shrinking --------------------------------------------------------------------
    def shrink(self, mode, key, budget=60.0):
        """The smallest program found showing failure ``key`` (kind, detail, family) in
        ``mode``, with its Outcome."""
        target, out0 = self.first[(mode,) + key]
        key, family = key[:-1], key[-1]
        state = {"found": False, "best": (target, out0), "until": None}

        @seed(self.seed)
        @_settings(self.n, [Phase.generate, Phase.shrink])
        @given(programs(self.family))
        def body(prog):
            if not state["found"]:
                if _identity(prog) in self.invalid:
                    reject()
                if _identity(prog) != _identity(target):
                    return
                state["found"] = True
                state["until"] = time.time() + budget / 2
                raise _Failing
            if time.time() > state["until"]:
                raise _OutOfTime
            rep = check_program(prog, (mode,), self.timeout, self.which)
            if rep.status == "invalid":
                reject()
            if rep.status != "checked":
                return
            out = rep.modes[mode]
            if out.key == key and prog.family == family:
                if len(prog.source) < len(state["best"][0].source):
                    state["best"] = (prog, out)
                raise _Failing

        try:
            body()
        except (Exception, _OutOfTime):  # noqa: BLE001 - the expected ends of a shrinking pass
            pass
        if not state["found"]:
            print(f"  (could not replay the failing program of {mode} {key}; saved unshrunk)")

        def still_fails(prog):
            rep = check_program(prog, (mode,), self.timeout, self.which)
            return rep.status == "checked" and rep.modes[mode].key == key and prog.family == family

        prog = reduce_program(state["best"][0], still_fails, budget)
        rep = check_program(prog, (mode,), self.timeout, self.which)
        return prog, rep.modes.get(mode, state["best"][1])

    def save_failures(self, out_dir, budget=60.0, limit=30):
        """Shrink each class of failure (at most ``limit``) into out_dir/<kind>/NNN.py.

        Wrong and crash first; then source-mode refusals, with a third of the budget."""
        saved = []
        numbers = collections.Counter()
        classes = sorted(self.first, key=lambda k: ("wrong", "crash", "refused").index(k[1]))
        for cls in classes:
            mode, kind = cls[0], cls[1]
            if len(saved) >= limit or (kind == "refused" and mode != "source"):
                continue
            # a refusal is allowed, but one of valid code is worth a look: a shorter shrink
            prog, out = self.shrink(mode, cls[1:], budget if kind != "refused" else budget / 3)
            numbers[kind] += 1
            path = os.path.join(out_dir, kind, f"{numbers[kind]:03d}.py")
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "w") as fh:
                fh.write(case_text(prog, mode, out))
            saved.append(path)
        return saved

    # ---- reporting -----------------------------------------------------------------------
    def summary(self):
        c = self.counts
        lines = [
            f"family={self.family} seed={self.seed} n={self.n} apis={self.which}"
            + (" (stopped early by the time limit)" if self.stopped_early else ""),
            f"programs: {c['programs']} (checked {c['checked']}, dropped near a kink "
            f"{c['dropped']}; invalid, regenerated: {c['invalid']})",
            f"{'mode':8} {'ok':>7} {'refused':>8} {'crash':>7} {'wrong':>7} {'dropped':>8}",
        ]
        for m in self.modes:
            lines.append(
                f"{m:8} {c[(m, 'ok')]:7d} {c[(m, 'refused')]:8d} {c[(m, 'crash')]:7d} "
                f"{c[(m, 'wrong')]:7d} {c['dropped']:8d}"
            )
        for m in self.modes:
            for kind in ("wrong", "crash", "refused"):
                items = [(n, cause) for (k, cause), n in self.causes[m].items() if k == kind]
                if not items:
                    continue
                lines.append(f"{m} {kind} by cause:")
                for n, cause in sorted(items, reverse=True):
                    lines.append(f"  {n:6d}  {cause}")
        lines.append(f"elapsed: {self.elapsed:.1f} s")
        return "\n".join(lines)

    def as_json(self):
        return {
            "family": self.family,
            "seed": self.seed,
            "n": self.n,
            "elapsed_s": round(self.elapsed, 1),
            "counts": {
                " ".join(k) if isinstance(k, tuple) else k: v for k, v in self.counts.items()
            },
            "causes": {
                m: [[k, cause, n] for (k, cause), n in cs.most_common()]
                for m, cs in self.causes.items()
            },
        }


def case_header(prog):
    params = [[p.name, p.kind, list(p.shape), p.value] for p in prog.params]
    meta = {"name": prog.name, "seed": prog.seed, "family": prog.family, "params": params}
    return f"# fuzz-case: {json.dumps(meta)}\n"


def case_text(prog, mode, out):
    """A saved failing program: what failed, then the program itself."""
    head = [
        "# ruff: noqa",
        f"# srcad fuzz finding: mode={mode} kind={out.kind} api={out.api}",
        f"# what: {out.cause}",
    ]
    if out.kind == "wrong":
        head += [f"# expected: {out.expected}", f"# got: {out.got}"]
    body = prog.source.replace("import numpy as np\n", "", 1)
    return "\n".join(head) + "\n" + case_header(prog) + "import numpy as np\n" + body
