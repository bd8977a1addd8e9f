"""Fast tree helpers for the compiler's hot paths (walking and copying gast trees).

``gast.walk`` and ``copy.deepcopy`` are general and slow; the compiler walks and
copies small trees thousands of times per transformation.
"""

import gast

_AST = gast.AST


def walk(node):
    """Every node under ``node`` (``node`` included), in no particular order."""
    stack = [node]
    pop = stack.pop
    push = stack.append
    while stack:
        n = pop()
        yield n
        for field in n._fields:
            v = getattr(n, field, None)
            if isinstance(v, _AST):
                push(v)
            elif isinstance(v, list):
                for item in v:
                    if isinstance(item, _AST):
                        push(item)


def clone(node):
    """A deep copy of a gast tree that keeps srcad's annotations (``srcad_*``)."""
    if isinstance(node, list):
        return [clone(n) for n in node]
    if not isinstance(node, _AST):
        return node
    new = node.__class__.__new__(node.__class__)
    d = new.__dict__
    for k, v in node.__dict__.items():
        if isinstance(v, _AST):
            d[k] = clone(v)
        elif isinstance(v, list):
            d[k] = [clone(x) if isinstance(x, _AST) else x for x in v]
        else:
            d[k] = v
    return new
