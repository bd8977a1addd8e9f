"""astutil's fast tree helpers against gast's own: ``walk`` against ``gast.walk`` and
``to_ast`` against ``gast.gast_to_ast`` (the compiler's printer reads ``to_ast``)."""

import ast
import os
import sys
import textwrap

import astor
import gast
import pytest

from srcad.compiler.astutil import children, statements, to_ast, to_gast, walk

_LEAVES = (gast.expr_context, gast.operator, gast.unaryop, gast.boolop, gast.cmpop)

SOURCES = [
    """
    def f(a, b: "float" = 2.0, /, c=3, *args, d, e: int = 4, **kw) -> float:
        x = a[1:2, ::3] + b ** -c if a > b >= c and not d else (lambda t, *u: t)(e)
        y, *z = [v for v in range(3) if v], {k: 1 for k in "ab"}
        del x
        x: float = 1.5
        x += 2j
        return f"{x!r:>{y}} and {a}" + b"raw".decode()
    """,
    """
    def g(x):
        for i in range(3):
            while x < 1:
                x = x * 2
                if x:
                    break
                elif x is None or x is not x:
                    continue
                else:
                    pass
        else:
            x = ~x
        try:
            x = x @ x
        except (ValueError, TypeError) as err:
            raise RuntimeError("no") from err
        except Exception:
            pass
        finally:
            x = -x
        with open("f") as fh, open("g"):
            x = {1, 2} | {3} & {4} ^ {5}
        global q
        assert x, "msg"
        return (yield x)
    """,
    """
    class C(object, metaclass=type):
        @staticmethod
        async def m(self, *, k=None):
            async for a in b:
                await a
            async with c as d:
                pass
            return [*a, *b], {**d}, a if b else c, a[...], (a := 3)
    """,
    """
    import os.path as p
    from . import x as y
    def h(x):
        nonlocal_ = 1
        return x // 2 % 3 << 1 >> 1 in [x] not in (x,)
    async def k(x, *, y):
        await x
    """,
]


def _trees():
    trees = [gast.parse(textwrap.dedent(s)) for s in SOURCES]
    # and every function of the compiler's own test corpus
    sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
    import corpus

    with open(corpus.__file__) as fh:
        trees.append(gast.parse(fh.read()))
    return trees


@pytest.mark.parametrize("tree", _trees(), ids=lambda t: type(t.body[0]).__name__)
def test_walk_is_gast_walk_without_leaf_markers(tree):
    for node in [tree] + [n for n in gast.walk(tree) if isinstance(n, gast.stmt)]:
        want = [n for n in gast.walk(node) if not isinstance(n, _LEAVES)]
        got = list(walk(node))
        assert len(got) == len(want)
        assert {id(n) for n in got} == {id(n) for n in want}


@pytest.mark.parametrize("tree", _trees(), ids=lambda t: type(t.body[0]).__name__)
def test_children_and_statements_against_gast(tree):
    for node in gast.walk(tree):
        want = [n for n in gast.iter_child_nodes(node) if not isinstance(n, _LEAVES)]
        assert [id(n) for n in children(node)] == [id(n) for n in want]
    holders = (gast.stmt, gast.excepthandler, gast.Module)
    for node in [tree] + [n for n in gast.walk(tree) if isinstance(n, gast.stmt)]:
        want = {id(n) for n in gast.walk(node) if isinstance(n, holders)}
        got = [id(n) for n in statements(node)]
        assert len(got) == len(want) and set(got) == want


@pytest.mark.parametrize("tree", _trees(), ids=lambda t: type(t.body[0]).__name__)
def test_to_ast_is_gast_to_ast(tree):
    for node in [tree] + [n for n in gast.walk(tree) if isinstance(n, (gast.stmt, gast.expr))]:
        mine, ref = to_ast(node), gast.gast_to_ast(node)
        assert ast.dump(mine) == ast.dump(ref)
    printed = astor.to_source(to_ast(tree))
    assert printed == astor.to_source(gast.gast_to_ast(tree))
    # and it is Python that means the same (a round trip through the parser)
    assert ast.dump(ast.parse(printed)) == ast.dump(gast.gast_to_ast(tree))


def _ast_trees():
    here = os.path.dirname(__file__)
    paths = [os.path.join(here, "..", "corpus", "__init__.py")]
    srcad_dir = os.path.join(here, "..", "..", "srcad", "compiler")
    paths += [os.path.join(srcad_dir, f) for f in ("reverse.py", "analyze.py", "parse.py")]
    texts = [textwrap.dedent(s) for s in SOURCES]
    for p in paths:
        with open(p) as fh:
            texts.append(fh.read())
    return [ast.parse(t) for t in texts]


@pytest.mark.parametrize("tree", _ast_trees(), ids=lambda t: type(t.body[0]).__name__)
def test_to_gast_is_ast_to_gast(tree):
    for node in [tree] + [n for n in ast.walk(tree) if isinstance(n, (ast.stmt, ast.expr))]:
        mine, ref = to_gast(node), gast.ast_to_gast(node)
        # the source positions too: error messages read them
        assert gast.dump(mine, include_attributes=True) == gast.dump(ref, include_attributes=True)


def test_replace_children_replaces_direct_children_in_lists_and_fields():
    import gast

    from srcad.compiler.astutil import replace_children

    call = gast.parse("f(a, b, k=a)").body[0].value
    renamed = replace_children(
        call,
        lambda v: gast.Name("z", gast.Load(), None, None) if getattr(v, "id", "") == "a" else None,
    )
    # f's func and the keyword are children too; only the positional `a` is a Name "a"
    assert renamed == 1
    assert [getattr(a, "id", None) for a in call.args] == ["z", "b"]
    assert call.keywords[0].value.id == "a"  # (a grandchild: not replaced)


def test_statement_lists_are_the_blocks_code_may_move_in():
    import gast

    from srcad.compiler.astutil import statement_lists

    fdef = gast.parse(
        "def f(x):\n"
        "    a = 1\n"
        "    for i in x:\n"
        "        b = 2\n"
        "        if b:\n"
        "            c = 3\n"
        "        else:\n"
        "            d = 4\n"
        "    while a:\n"
        "        e = 5\n"
        "    with x:\n"
        "        g = 6\n"
        "    return a\n"
    ).body[0]
    lists = statement_lists(fdef.body)
    firsts = [getattr(b[0], "targets", [None])[0] for b in lists if b]
    names = sorted(t.id for t in firsts if t is not None)
    assert names == ["a", "b", "c", "d", "e"]  # (a with-body is not one: not entered)
    assert lists[0] is fdef.body and all(isinstance(b, list) for b in lists)
