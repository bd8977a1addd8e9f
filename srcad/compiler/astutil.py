"""Fast tree helpers for the compiler's hot paths (walking and copying gast trees).

``gast.walk`` and ``copy.deepcopy`` are general and slow; the compiler walks and
copies small trees thousands of times per transformation (a transformation of a
fifty-line function visits some 30,000 nodes).

``walk`` is lean in two ways.  Per node class it reads only the fields that can
hold a node (never ``Name.id``, ``Attribute.attr``, ``Constant.value``, ...), and it
yields no *leaf markers*: the context of a name (``Load``/``Store``/``Del``) and
the operator of an operation (``Add``, ``USub``, ``And``, ``Lt``, ...), which hold
nothing and which no pass looks for as nodes (a pass reads ``n.ctx`` or ``n.op``
of the node that owns them).  They were four nodes in ten.
"""

import gast

_AST = gast.AST

# Fields that never hold a node in a gast tree, whatever their class: names and
# flags, plus the leaf markers (``ctx``, ``op``, ``ops``) that walk does not yield.
# (``ExceptHandler.name`` is a gast Name, so ``name`` is read.)
_NOT_CHILDREN = frozenset(
    {
        "id",
        "ctx",
        "op",
        "ops",
        "attr",
        "arg",
        "asname",
        "type_comment",
        "kind",
        "module",
        "level",
        "conversion",
        "simple",
        "is_async",
        "tag",
        "rest",
    }
)
_CHILD_FIELDS = {}  # node class -> the fields walk reads


def _child_fields(cls):
    fields = tuple(
        f
        for f in cls._fields
        if f not in _NOT_CHILDREN and not (cls is gast.Constant and f == "value")
    )
    _CHILD_FIELDS[cls] = fields
    return fields


def walk(node):
    """Every node under ``node`` (``node`` included) but the leaf markers (contexts
    and operators), in no particular order."""
    stack = [node]
    pop = stack.pop
    push = stack.append
    fields_of = _CHILD_FIELDS
    while stack:
        n = pop()
        yield n
        fields = fields_of.get(n.__class__)
        if fields is None:
            fields = _child_fields(n.__class__)
        for field in fields:
            v = getattr(n, field, None)
            if v is None:
                continue
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
