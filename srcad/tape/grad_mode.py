"""Grad mode: a thread-local switch that says whether ops record on the tape.

``no_grad``, ``enable_grad`` and ``set_grad_enabled`` work as context managers and
as decorators (``@no_grad()`` and bare ``@no_grad``).  Entering saves the previous
mode and exiting restores it, so they nest in any order.  ``set_grad_enabled(False)``
takes effect when it is constructed, so it also works as a plain call.
"""

import functools
import inspect
import threading

__all__ = [
    "no_grad",
    "enable_grad",
    "set_grad_enabled",
    "is_grad_enabled",
    "inference_mode",
    "is_inference_mode_enabled",
]


class _State(threading.local):
    def __init__(self):
        self.enabled = True
        # inside the engine's backward pass (engine.py): the ops a rule runs there
        # meet the dtypes of the forward pass, which NumPy programs mix
        self.in_backward = False


STATE = _State()


def is_grad_enabled():
    """True when operations are recorded for backward (the default)."""
    return STATE.enabled


def _set(mode):
    STATE.enabled = bool(mode)


def _wrap_function(make_ctx, fn):
    """``fn`` running inside a fresh context from ``make_ctx()`` at every call."""
    if inspect.isgeneratorfunction(fn):

        @functools.wraps(fn)
        def gen_wrapper(*args, **kwargs):
            gen = fn(*args, **kwargs)
            try:
                with make_ctx():
                    request = gen.send(None)
                while True:
                    try:
                        response = yield request
                    except GeneratorExit:
                        with make_ctx():
                            gen.close()
                        raise
                    except BaseException as e:  # noqa: BLE001 - re-thrown into gen
                        with make_ctx():
                            request = gen.throw(e)
                    else:
                        with make_ctx():
                            request = gen.send(response)
            except StopIteration as e:
                return e.value

        return gen_wrapper

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        with make_ctx():
            return fn(*args, **kwargs)

    return wrapper


class _DecoratorContextManager:
    """Base of the mode switches: a context manager that is also a decorator."""

    def __call__(self, fn):
        if inspect.isclass(fn):
            import warnings  # noqa: PLC0415

            warnings.warn(
                "Decorating classes is deprecated and will be disabled in future versions. "
                "You should only decorate functions or methods. To preserve the current "
                "behavior of class decoration, you can directly decorate the `__init__` "
                "method and nothing else.",
                FutureWarning,
                stacklevel=2,
            )
        return _wrap_function(self.clone, fn)

    def clone(self):
        return self.__class__()


class _NoParamDecorator(_DecoratorContextManager):
    """Allows ``@no_grad`` without parentheses."""

    def __new__(cls, orig_func=None):
        if orig_func is None:
            return super().__new__(cls)
        return cls()(orig_func)


class no_grad(_NoParamDecorator):  # noqa: N801 - PyTorch's spelling
    """Turn recording off: results of ops inside have ``requires_grad=False``.

    Example::

        with srcad.no_grad():
            w -= lr * w.grad        # an in-place update of a leaf is allowed here
    """

    def __init__(self):
        self.prev = False

    def __enter__(self):
        self.prev = STATE.enabled
        STATE.enabled = False

    def __exit__(self, *exc):
        STATE.enabled = self.prev


class enable_grad(_NoParamDecorator):  # noqa: N801
    """Turn recording back on (for example inside ``no_grad``)."""

    def __init__(self):
        self.prev = True

    def __enter__(self):
        self.prev = STATE.enabled
        STATE.enabled = True

    def __exit__(self, *exc):
        STATE.enabled = self.prev


class set_grad_enabled(_DecoratorContextManager):  # noqa: N801
    """Set grad mode to ``mode`` now; as a context manager, restore it on exit."""

    def __init__(self, mode):
        self.prev = STATE.enabled
        self.mode = bool(mode)
        STATE.enabled = self.mode

    def __call__(self, fn):
        STATE.enabled = self.prev
        return super().__call__(fn)

    def __enter__(self):
        STATE.enabled = self.mode

    def __exit__(self, *exc):
        STATE.enabled = self.prev

    def clone(self):
        return self.__class__(self.mode)

    def __repr__(self):
        return f"torch.autograd.grad_mode.set_grad_enabled(mode={self.mode})"


class inference_mode(_NoParamDecorator):  # noqa: N801
    """Like ``no_grad`` (srcad has no separate inference tensors)."""

    def __init__(self, mode=True):
        self.mode = mode
        self.prev = True

    def __new__(cls, mode_or_fn=True):
        if callable(mode_or_fn) and not isinstance(mode_or_fn, bool):
            return cls()(mode_or_fn)
        return object.__new__(cls)

    def __enter__(self):
        self.prev = STATE.enabled
        if self.mode:
            STATE.enabled = False

    def __exit__(self, *exc):
        STATE.enabled = self.prev

    def clone(self):
        return self.__class__(self.mode)


def is_inference_mode_enabled():
    return False
