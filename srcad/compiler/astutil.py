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

import ast

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


# -- gast -> ast, for printing ---------------------------------------------------------
#
# ``gast.gast_to_ast`` is a generic NodeTransformer (a visitor lookup, a ``hasattr``
# and a ``copy_location`` per node) and took a tenth of a transformation.  The
# printer (astor) reads no source positions, so ``to_ast`` leaves them out and
# converts each node class with one small function made on first sight.  It does
# what gast does for Python 3.8 and later: ``Name`` drops its annotation fields,
# the parameters in ``arguments`` become ``ast.arg``, ``Assign`` drops its type
# comment, and a node keeps the fields its ``ast`` class has (``FunctionDef``'s
# ``type_params`` before 3.12).  Any other class (``ExceptHandler``, type
# parameters, whatever a newer gast adds, a node that is not gast's) is converted
# by gast itself.

_TO_AST = {}  # gast class -> its converter


def to_ast(node):
    """The ``ast`` tree ``gast.gast_to_ast`` makes of ``node``, without source positions."""
    if isinstance(node, _AST):
        conv = _TO_AST.get(node.__class__)
        if conv is None:
            conv = _converter(node.__class__)
        return conv(node)
    if isinstance(node, list):
        return [to_ast(n) for n in node]
    return node


def _to_arg(n):
    if n is None:
        return None
    return ast.arg(n.id, to_ast(n.annotation), to_ast(n.type_comment))


def _name(n):
    return ast.Name(n.id, to_ast(n.ctx))


def _arguments(n):
    return ast.arguments(
        [_to_arg(a) for a in n.posonlyargs],
        [_to_arg(a) for a in n.args],
        _to_arg(n.vararg),
        [_to_arg(a) for a in n.kwonlyargs],
        to_ast(n.kw_defaults),
        _to_arg(n.kwarg),
        to_ast(n.defaults),
    )


def _assign(n):
    return ast.Assign(to_ast(n.targets), to_ast(n.value))


_SPECIAL = {gast.Name: _name, gast.arguments: _arguments, gast.Assign: _assign}
_BY_GAST = frozenset({"ExceptHandler", "TypeVar", "TypeVarTuple", "ParamSpec", "TypeAlias"})


def _converter(cls):
    conv = _SPECIAL.get(cls)
    target = getattr(ast, cls.__name__, None)
    if conv is None:
        if (
            target is None
            or cls.__name__ in _BY_GAST
            or getattr(gast, cls.__name__, None) is not cls
        ):
            conv = gast.gast_to_ast
        elif not cls._fields:  # Load, Add, ...: nothing to convert
            conv = _leaf(target)
        else:
            conv = _generic(target, tuple(f for f in cls._fields if f in target._fields))
    _TO_AST[cls] = conv
    return conv


def _leaf(target):
    return lambda n: target()


def _generic(target, fields):
    missing = object()

    def conv(n):
        kwargs = {}
        for f in fields:
            v = getattr(n, f, missing)
            if v is not missing:
                kwargs[f] = to_ast(v)
        return target(**kwargs)

    return conv
