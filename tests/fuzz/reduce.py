"""Line-level reduction of a failing program, after hypothesis' own shrinking.

Design note. Hypothesis shrinks the sequence of choices a program was drawn
from, which removes whole statements only when the rest of the draw still lines
up. This second pass works on the source: it deletes one statement at a time
(a compound statement with its whole block, a helper function with its body),
splits a ``return a + b + c`` into one of its terms, and keeps a change when the
program is still valid and still fails the same way; it repeats until nothing
more can go or the time budget is spent. The result is what is saved and what
the regression tests replay.
"""

from __future__ import annotations

import dataclasses
import time


def _indent(line):
    return len(line) - len(line.lstrip(" "))


def _statement_spans(lines):
    """(start, end) line ranges of every deletable statement, biggest first."""
    spans = []
    for i, line in enumerate(lines):
        text = line.strip()
        if not text or text.startswith(("#", "import ", "return ")) or text == "pass":
            continue
        if text.startswith(("else:", "elif ")):
            continue
        end = i + 1
        while end < len(lines) and (not lines[end].strip() or _indent(lines[end]) > _indent(line)):
            end += 1
        if text.startswith("if "):  # an if statement goes with its elif/else arms
            while end < len(lines) and _indent(lines[end]) == _indent(line):
                nxt = lines[end].strip()
                if not nxt.startswith(("else:", "elif ")):
                    break
                end += 1
                while end < len(lines) and (
                    not lines[end].strip() or _indent(lines[end]) > _indent(line)
                ):
                    end += 1
        spans.append((i, end))
    spans.sort(key=lambda s: s[0] - s[1])
    return spans


def _split_terms(expr):
    """The top-level ``+`` terms of ``expr`` (outside brackets)."""
    terms, depth, cur = [], 0, ""
    i = 0
    while i < len(expr):
        ch = expr[i]
        depth += ch in "([{"
        depth -= ch in ")]}"
        if depth == 0 and expr.startswith(" + ", i):
            terms.append(cur)
            cur = ""
            i += 3
            continue
        cur += ch
        i += 1
    return terms + [cur]


def _candidates(source):
    lines = source.split("\n")
    for start, end in _statement_spans(lines):
        new = lines[:start] + lines[end:]
        # a block left empty gets a `pass`
        if start > 0 and lines[start - 1].rstrip().endswith(":"):
            after = new[start] if start < len(new) else ""
            if not after.strip() or _indent(after) <= _indent(lines[start - 1]):
                new = new[:start] + [" " * _indent(lines[start]) + "pass"] + new[start:]
        yield "\n".join(new)
    for i, line in enumerate(lines):
        text = line.strip()
        if text.startswith("return "):
            terms = _split_terms(text[len("return ") :])
            if len(terms) > 1:
                for t in terms:
                    yield "\n".join(
                        lines[:i] + [" " * _indent(line) + "return " + t] + lines[i + 1 :]
                    )


def reduce_program(prog, still_fails, budget=30.0):
    """The smallest variant of ``prog`` for which ``still_fails(variant)`` holds."""
    until = time.time() + budget
    best = prog
    progress = True
    while progress and time.time() < until:
        progress = False
        for src in _candidates(best.source):
            if time.time() > until:
                break
            cand = dataclasses.replace(best, source=src)
            try:
                ok = still_fails(cand)
            except Exception:  # noqa: BLE001 - a broken candidate is just not kept
                ok = False
            if ok:
                best = cand
                progress = True
                break
    return best
