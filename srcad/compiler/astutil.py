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
import sys

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


def child_fields(node):
    """The fields of ``node`` that can hold a node: ``gast.iter_fields`` without the
    names, flags and leaf markers (what ``walk`` reads)."""
    fields = _CHILD_FIELDS.get(node.__class__)
    if fields is None:
        fields = _child_fields(node.__class__)
    return fields


def replace_children(node, new_for):
    """Replace each node directly under ``node`` for which ``new_for(child)`` gives a
    node (``None``: keep it); the number replaced."""
    count = 0
    for field in child_fields(node):
        value = getattr(node, field, None)
        if isinstance(value, list):
            for k, v in enumerate(value):
                new = new_for(v)
                if new is not None:
                    value[k] = new
                    count += 1
        elif value is not None:
            new = new_for(value)
            if new is not None:
                setattr(node, field, new)
                count += 1
    return count


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


def children(node):
    """The nodes directly under ``node``, in field order, but the leaf markers:
    ``ast.iter_child_nodes`` without the contexts and operators."""
    fields = _CHILD_FIELDS.get(node.__class__)
    if fields is None:
        fields = _child_fields(node.__class__)
    out = []
    for field in fields:
        v = getattr(node, field, None)
        if v is None:
            continue
        if isinstance(v, _AST):
            out.append(v)
        elif isinstance(v, list):
            out.extend(item for item in v if isinstance(item, _AST))
    return out


_BLOCK_ITEMS = (gast.stmt, gast.excepthandler, getattr(gast, "match_case", gast.stmt))


def statements(node):
    """``node`` and every statement under it (except handlers and match cases too),
    in no particular order: ``walk`` for what only statements hold (blocks,
    ``return``, ``break``, comment markers).  Expressions hold no statement, so
    they are not entered (a function has ten times more expression nodes than
    statements)."""
    stack = [node]
    while stack:
        n = stack.pop()
        yield n
        stack.extend(block_items(n))


def statement_lists(stmts):
    """``stmts`` and the statement lists of the loops and branches within (``for``,
    ``while``, ``if``: bodies and ``else`` parts), without walking an expression: the
    blocks in which a pass may move code (as ``negations._Index`` lists them)."""
    out = [stmts]
    for s in stmts:
        if isinstance(s, (gast.For, gast.While, gast.If)):
            out += statement_lists(s.body) + statement_lists(s.orelse)
    return out


def block_items(node):
    """The statements (except handlers, match cases) directly under ``node``."""
    out = []
    for field in node._fields:
        v = getattr(node, field, None)
        if isinstance(v, list):
            out.extend(x for x in v if isinstance(x, _BLOCK_ITEMS))
    return out


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

    def by_name(n):
        kwargs = {}
        for f in fields:
            v = getattr(n, f, missing)
            if v is not missing:
                kwargs[f] = to_ast(v)
        return target(**kwargs)

    if fields != target._fields:
        return by_name

    def conv(n):  # every field there (the common case): by position
        try:
            values = [getattr(n, f) for f in fields]
        except AttributeError:
            return by_name(n)
        return target(*[to_ast(v) for v in values])

    return conv


# -- ast -> gast, for parsing ----------------------------------------------------------
#
# The same for the other direction (``gast.ast_to_gast``, once per function parsed),
# keeping the source positions, which error messages read: a node gets its ``ast``
# fields (converted) and its ``_attributes``, as in gast's generic visitor.  Special
# as in gast for Python 3.8 and later: ``Name`` and ``arg`` become gast Names (with
# ``ast.copy_location``), and a ``FunctionDef`` before 3.12 gets empty
# ``type_params``.  ``ExceptHandler``, ``ClassDef``, type parameters and any class
# gast lacks are converted by gast itself.

_TO_GAST = {}  # ast class -> its converter
_OLD_DEFS = sys.version_info < (3, 12) and "type_params" in gast.FunctionDef._fields


def to_gast(node):
    """The gast tree ``gast.ast_to_gast`` makes of ``node``."""
    if isinstance(node, _AST):
        conv = _TO_GAST.get(node.__class__)
        if conv is None:
            conv = _gast_converter(node.__class__)
        return conv(node)
    if isinstance(node, list):
        return [to_gast(n) for n in node]
    return node


_POSITION = ("lineno", "col_offset", "end_lineno", "end_col_offset")


def _copy_location(new, old):
    """``ast.copy_location``."""
    for attr in _POSITION:
        if attr in old._attributes and attr in new._attributes:
            value = getattr(old, attr, None)
            if value is not None or (hasattr(old, attr) and attr.startswith("end_")):
                setattr(new, attr, value)
    return new


def _from_name(n):
    return _copy_location(gast.Name(n.id, to_gast(n.ctx), None, None), n)


def _from_arg(n):
    new = gast.Name(n.arg, gast.Param(), to_gast(n.annotation), to_gast(n.type_comment))
    return _copy_location(new, n)


def _def_converter(target):
    def conv(n):
        new = target(
            to_gast(n.name),
            to_gast(n.args),
            to_gast(n.body),
            to_gast(n.decorator_list),
            to_gast(n.returns),
            to_gast(n.type_comment),
            [],  # type_params
        )
        for attr in _POSITION:  # gast.copy_location
            if attr in n._attributes and attr in new._attributes and hasattr(n, attr):
                setattr(new, attr, getattr(n, attr))
        return new

    return conv


_FROM_SPECIAL = {ast.Name: _from_name, ast.arg: _from_arg}
if _OLD_DEFS:
    _FROM_SPECIAL[ast.FunctionDef] = _def_converter(gast.FunctionDef)
    _FROM_SPECIAL[ast.AsyncFunctionDef] = _def_converter(gast.AsyncFunctionDef)
_FROM_BY_GAST = frozenset(
    {"ExceptHandler", "ClassDef", "TypeVar", "TypeVarTuple", "ParamSpec", "TypeAlias"}
)


def _gast_converter(cls):
    conv = _FROM_SPECIAL.get(cls)
    if conv is None:
        target = getattr(gast, cls.__name__, None)
        if (
            target is None
            or cls.__name__ in _FROM_BY_GAST
            or getattr(ast, cls.__name__, None) is not cls
            or sys.version_info < (3, 10)
        ):
            conv = gast.ast_to_gast
        else:
            conv = _generic_from(target, cls._fields, cls._attributes)
    _TO_GAST[cls] = conv
    return conv


def _generic_from(target, fields, attributes):
    missing = object()

    def conv(n):
        # (a gast node's constructor only fills its __dict__, in this order)
        new = target.__new__(target)
        d = new.__dict__
        for f in fields:
            v = getattr(n, f, missing)
            if v is not missing:
                d[f] = to_gast(v)
        for a in attributes:
            v = getattr(n, a, missing)
            if v is not missing:
                d[a] = v
        return new

    return conv


def name_readers(values):
    """``{name: the keys of values whose expressions read it}`` for ``values``: key ->
    expressions (None entries skipped): who to ask again when a name changes."""
    readers = {}
    for k, vs in values.items():
        for v in vs:
            if v is not None:
                for m in walk(v):
                    if isinstance(m, gast.Name):
                        readers.setdefault(m.id, set()).add(k)
    return readers


def least_fixpoint(values, joins):
    """The least set of names ``S`` closed under ``joins``: a name ``k`` is in ``S`` when
    ``joins(values[k], S)`` holds (``values``: name -> what it is bound to, expressions
    or None), grown from the empty set until nothing more joins (the analyses over a
    function's bindings: which names surely hold floating point, which may hold the
    symbolic zero).  ``joins`` must be monotone and read ``S`` only for names its
    values mention: then a name is asked again only when a name it reads has joined
    (each value is walked once for its reads, not once per round)."""
    readers = name_readers(values)
    out = set()
    work = list(values)
    queued = set(work)
    while work:
        k = work.pop()
        queued.discard(k)
        if k in out or not joins(values[k], out):
            continue
        out.add(k)
        for r in readers.get(k, ()):
            if r not in out and r not in queued:
                work.append(r)
                queued.add(r)
    return out


def mentions(node, names):
    """Whether a name in ``names`` is read or bound anywhere under ``node``."""
    return any(isinstance(n, gast.Name) and n.id in names for n in walk(node))
