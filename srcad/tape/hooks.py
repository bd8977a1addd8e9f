"""Handles that remove a registered hook (PyTorch's ``RemovableHandle``)."""

import weakref

__all__ = ["RemovableHandle"]


class _Hooks(dict):
    """An ordered hook table that handles can point to weakly."""

    __slots__ = ("__weakref__",)


class RemovableHandle:
    """Returned by ``register_hook``; ``.remove()`` unregisters (twice is harmless).

    Also a context manager: ``with t.register_hook(f): ...`` removes on exit.
    """

    next_id = 0

    def __init__(self, hooks_dict):
        self.hooks_dict_ref = weakref.ref(hooks_dict)
        self.id = RemovableHandle.next_id
        RemovableHandle.next_id += 1

    def remove(self):
        hooks = self.hooks_dict_ref()
        if hooks is not None and self.id in hooks:
            del hooks[self.id]

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()


def add_hook(table, fn):
    """Add ``fn`` to ``table`` (a ``_Hooks`` or None); return ``(table, handle)``."""
    if table is None:
        table = _Hooks()
    handle = RemovableHandle(table)
    table[handle.id] = fn
    return table, handle


def new_table():
    return _Hooks()
