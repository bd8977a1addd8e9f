"""``srcad.save`` / ``srcad.load``: tensors and containers in a file that cannot run code.

File format (version 1), a ZIP archive:

* ``srcad_format``: the text ``srcad-save 1``;
* ``tree.json``: the saved object as a JSON tree of tagged nodes;
* ``arrays/<n>.npy``: one array per distinct tensor, written by ``numpy.save`` with
  ``allow_pickle=False`` and read back the same way.

JSON nodes: ``null``, booleans, strings and integers stand for themselves; other
values are objects with a tag ``"$"``: ``float`` (``"v"`` is ``repr``, so ``nan`` and
``inf`` survive), ``complex``, ``list``, ``tuple``, ``dict`` and ``odict`` (``"items"``:
``[key, value]`` pairs, so integer and tuple keys survive; other dict subclasses such
as ``Counter`` load as plain dicts), ``tensor`` (``"array"``: the
array's number, ``"requires_grad"``, ``"parameter"``, ``"device"``), ``size``,
``dtype``, ``device``, and ``ref`` (a tensor saved earlier in the same file: saving
the same tensor twice loads one tensor twice, as ``torch.save`` keeps sharing).

``set`` nodes hold a ``"v"`` list.  One more node, ``module``, holds a whole
``nn.Module`` (``torch.save(model, path)``): ``"class"`` (``module:qualname`` of a
subclass of ``srcad.nn.Module``) and ``"state"`` (its attribute dict as a tree).

Loading builds only these types and never imports or calls anything named in the
file.  A ``module`` node is rebuilt only with ``weights_only=False`` (PyTorch's
default ``weights_only=True`` refuses it with ``pickle.UnpicklingError``, as torch
refuses a pickled model), and only from a class already imported in this process
that subclasses ``srcad.nn.Module``: the instance is made with ``cls.__new__`` and its
attributes set, no ``__init__`` or other code of the class runs.  Anything else (a
lambda, an arbitrary object) is refused at save time with a ``TypeError``.
"""

import io
import json
import os
import pickle
import sys
import zipfile
from collections import OrderedDict

import numpy as np

from .tape import dtypes as _dt
from .tape.device import device as _device
from .tape.tensor import Size, Tensor

__all__ = ["save", "load"]

_MAGIC = "srcad-save 1"


class _Writer:
    def __init__(self):
        self.arrays = []
        self.seen = {}

    def node(self, obj):  # noqa: PLR0911 - one branch per saved type
        if obj is None or isinstance(obj, (bool, str)):
            return obj
        if isinstance(obj, int) and type(obj) is int:
            return obj
        if isinstance(obj, Tensor):
            return self.tensor(obj)
        if isinstance(obj, float):
            return {"$": "float", "v": repr(float(obj))}
        if isinstance(obj, complex):
            return {"$": "complex", "re": repr(obj.real), "im": repr(obj.imag)}
        if isinstance(obj, Size):
            return {"$": "size", "v": list(obj)}
        if isinstance(obj, _dt.dtype):
            return {"$": "dtype", "v": str(obj).removeprefix("torch.")}
        if isinstance(obj, _device):
            return {"$": "device", "v": str(obj)}
        if isinstance(obj, (np.integer, np.floating, np.bool_)):
            return self.node(obj.item())
        if isinstance(obj, OrderedDict):
            return {"$": "odict", "items": self.items(obj)}
        if isinstance(obj, dict):  # dict, and subclasses (Counter, defaultdict) as dicts
            return {"$": "dict", "items": self.items(obj)}
        if type(obj) is list:
            return {"$": "list", "v": [self.node(v) for v in obj]}
        if type(obj) is tuple:
            return {"$": "tuple", "v": [self.node(v) for v in obj]}
        if type(obj) in (set, frozenset):
            return {"$": "set", "v": [self.node(v) for v in obj]}
        from .nn.modules.module import Module  # noqa: PLC0415

        if isinstance(obj, Module):
            cls = type(obj)
            return {
                "$": "module",
                "class": f"{cls.__module__}:{cls.__qualname__}",
                "state": self.node(dict(vars(obj))),
            }
        raise TypeError(
            f"srcad.save cannot save an object of type {type(obj).__module__}."
            f"{type(obj).__qualname__}: it saves tensors, numbers, strings, None and "
            "lists, tuples, sets and dicts of them, and nn.Modules made of those"
        )

    def items(self, mapping):
        return [[self.node(k), self.node(v)] for k, v in mapping.items()]

    def tensor(self, t):
        if id(t) in self.seen:
            return {"$": "ref", "v": self.seen[id(t)]}
        from .nn.parameter import Parameter  # noqa: PLC0415

        data = t.detach().cpu().numpy()
        n = len(self.arrays)
        self.arrays.append(np.asarray(data, order="C"))
        self.seen[id(t)] = n
        return {
            "$": "tensor",
            "array": n,
            "requires_grad": bool(t.requires_grad),
            "parameter": isinstance(t, Parameter),
            "device": str(t.device),
        }


def save(obj, f, pickle_module=None, pickle_protocol=2, _use_new_zipfile_serialization=True):
    """Write ``obj`` (tensors, state dicts, optimizer state, containers) to ``f``.

    ``f`` is a path or a writable binary file object.  ``pickle_module`` and
    ``pickle_protocol`` are accepted for PyTorch compatibility and not used.
    """
    writer = _Writer()
    tree = writer.node(obj)
    with _open(f, "w") as target, zipfile.ZipFile(target, "w") as z:
        z.writestr("srcad_format", _MAGIC)
        z.writestr("tree.json", json.dumps(tree))
        for n, array in enumerate(writer.arrays):
            buf = io.BytesIO()
            np.save(buf, array, allow_pickle=False)
            z.writestr(f"arrays/{n}.npy", buf.getvalue())


class _Reader:
    def __init__(self, z, map_location, weights_only):
        self.z = z
        self.map_location = map_location
        self.weights_only = weights_only
        self.tensors = {}

    def node(self, n):  # noqa: PLR0911
        if n is None or isinstance(n, (bool, str, int)):
            return n
        if isinstance(n, list) or not isinstance(n.get("$"), str):
            raise _format_error("unknown node")
        tag = n["$"]
        if tag == "float":
            return float(n["v"])
        if tag == "complex":
            return complex(float(n["re"]), float(n["im"]))
        if tag == "list":
            return [self.node(v) for v in n["v"]]
        if tag == "tuple":
            return tuple(self.node(v) for v in n["v"])
        if tag in ("dict", "odict"):
            pairs = [(_hashable(self.node(k)), self.node(v)) for k, v in n["items"]]
            return OrderedDict(pairs) if tag == "odict" else dict(pairs)
        if tag == "size":
            return Size(int(v) for v in n["v"])
        if tag == "dtype":
            return _dt.to_dtype(str(n["v"]))
        if tag == "device":
            return _device(str(n["v"]))
        if tag == "tensor":
            return self.tensor(n)
        if tag == "set":
            return {_hashable(self.node(v)) for v in n["v"]}
        if tag == "module":
            return self.module(n)
        if tag == "ref":
            if n["v"] not in self.tensors:
                raise _format_error("a reference to a tensor not saved before it")
            return self.tensors[n["v"]]
        raise _format_error(f"unknown tag {tag!r}")

    def module(self, n):
        name = str(n["class"])
        if self.weights_only is not False:
            raise pickle.UnpicklingError(
                "Weights only load failed. This file holds a whole module "
                f"({name.replace(':', '.')}), not only weights. Re-run srcad.load with "
                "weights_only=False if you trust the file: srcad then rebuilds the module "
                "from its class, which must already be imported, without running its code."
            )
        cls = _loaded_class(name)
        obj = cls.__new__(cls)
        state = self.node(n["state"])
        if not isinstance(state, dict):
            raise _format_error("a module's state is not a dict")
        for key, value in state.items():
            object.__setattr__(obj, key, value)
        return obj

    def tensor(self, n):
        from .nn.parameter import Parameter  # noqa: PLC0415
        from .tape.factories import from_numpy  # noqa: PLC0415

        index = int(n["array"])
        with self.z.open(f"arrays/{index}.npy") as fh:
            array = np.load(io.BytesIO(fh.read()), allow_pickle=False)
        t = from_numpy(array)
        where = self.device(str(n.get("device", "cpu")))
        if where != "cpu":
            t = t.to(where)
        if n.get("parameter"):
            t = Parameter(t, bool(n.get("requires_grad", True)))
        elif n.get("requires_grad"):
            t.requires_grad_(True)
        self.tensors[index] = t
        return t

    def device(self, saved):
        loc = self.map_location
        if loc is None:
            return saved
        if isinstance(loc, dict):
            return str(loc.get(saved, saved))
        if callable(loc) and not isinstance(loc, (str, _device)):
            raise NotImplementedError("srcad.load: map_location as a function is not supported")
        return str(loc)


def _loaded_class(name):
    """The ``nn.Module`` subclass ``module:qualname``, from modules already imported."""
    from .nn.modules.module import Module  # noqa: PLC0415

    module_name, _, qualname = name.partition(":")
    obj = sys.modules.get(module_name)
    for part in qualname.split("."):
        obj = getattr(obj, part, None) if part != "<locals>" else None
    if not (isinstance(obj, type) and issubclass(obj, Module)):
        raise pickle.UnpicklingError(
            f"srcad.load: cannot rebuild {name.replace(':', '.')}: it is not an nn.Module "
            "class of a module imported in this process (import it before loading)"
        )
    return obj


def _hashable(key):
    return tuple(_hashable(k) for k in key) if isinstance(key, list) else key


def _format_error(why):
    return RuntimeError(f"srcad.load: not a file written by srcad.save ({why})")


def load(f, map_location=None, pickle_module=None, *, weights_only=None, mmap=None, **kwargs):
    """Read an object written by :func:`save` from a path or binary file object.

    No code from the file runs.  ``weights_only`` (default ``True``, as PyTorch)
    refuses a saved whole module; ``weights_only=False`` rebuilds it from its
    already-imported class.  ``map_location`` may be a device, a device string, or
    a ``{saved: wanted}`` dict of device strings.
    """
    with _open(f, "r") as source:
        try:
            z = zipfile.ZipFile(source)
        except zipfile.BadZipFile:
            raise _format_error("not a ZIP archive") from None
        with z:
            names = set(z.namelist())
            if "srcad_format" not in names or "tree.json" not in names:
                raise _format_error(
                    "no srcad_format entry; files written by torch.save hold pickles, which "
                    "srcad does not run"
                )
            if z.read("srcad_format").decode() != _MAGIC:
                raise _format_error("unknown format version")
            tree = json.loads(z.read("tree.json"))
            return _Reader(z, map_location, weights_only).node(tree)


class _open:  # noqa: N801 - a context manager over paths and file objects
    def __init__(self, f, mode):
        self.f = f
        self.mode = mode
        self.opened = None

    def __enter__(self):
        if isinstance(self.f, (str, os.PathLike)):
            self.opened = open(self.f, self.mode + "b")  # noqa: SIM115
            return self.opened
        need = "write" if self.mode == "w" else "read"
        if not hasattr(self.f, need):
            raise TypeError(f"f must be a path or a binary file object, got {type(self.f)}")
        return self.f

    def __exit__(self, *exc):
        if self.opened is not None:
            self.opened.close()
