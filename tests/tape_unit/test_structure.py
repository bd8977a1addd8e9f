"""The tape's layout rules that keep it easy to find one's way in (issue 13, item 3).

grad_fn names live in one table (``srcad/tape/names.py``): no op module spells one.
"""

import ast
import pathlib
import re

import srcad.tape.ops as ops_pkg
from srcad.tape import names

_NAME = re.compile(r"^[A-Z]\w*Backward(\d+|s)(_copy)?$")


def _string_constants(path):
    tree = ast.parse(path.read_text())
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, (ast.Module, ast.FunctionDef, ast.ClassDef))
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            if id(node) not in docstrings:
                yield node.lineno, node.value


def test_op_modules_spell_no_grad_fn_name():
    folder = pathlib.Path(ops_pkg.__file__).parent
    found = [
        f"{path.name}:{line}: {text}"
        for path in sorted(folder.glob("*.py"))
        for line, text in _string_constants(path)
        if _NAME.match(text)
    ]
    assert found == [], "grad_fn names belong in srcad/tape/names.py:\n" + "\n".join(found)


def test_name_table_entries_are_grad_fn_names():
    bad = [v for v in names.NAMES.values() if isinstance(v, str) and not _NAME.match(v)]
    assert bad == []


def test_the_op_families_are_separate_modules():
    folder = pathlib.Path(ops_pkg.__file__).parent
    modules = {p.stem for p in folder.glob("*.py")}
    assert {
        "promotion",
        "arithmetic",
        "unary",
        "reductions",
        "linalg",
        "shapes",
        "conversions",
        "inplace",
        "composites",
        "install",
    } <= modules
    assert max(len(p.read_text().splitlines()) for p in folder.glob("*.py")) < 700
