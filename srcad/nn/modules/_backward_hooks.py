"""Module backward hooks, wired into the graph with identity autograd Functions.

``register_full_backward_hook`` works as in PyTorch: the tensors entering the module
pass through one identity node and the tensors leaving it through another.  The
output node's backward sees every ``grad_output`` at once and keeps them; the input
node's backward sees every ``grad_input`` at once and calls the user hooks with
both (a returned tuple replaces ``grad_input``).  Both nodes are a Function named
``BackwardHookFunction``, so they print as ``BackwardHookFunctionBackward``.
"""

import warnings

from ...tape.grad_mode import is_grad_enabled
from ...tape.tensor import Tensor

__all__ = ["BackwardHook", "warn_non_full_backward_hook"]

_W4 = (
    "Full backward hook is firing when gradients are computed with respect to module outputs "
    "since no inputs require gradients. See "
    "https://docs.pytorch.org/docs/main/generated/torch.nn.Module.html"
    "#torch.nn.Module.register_full_backward_hook for more details."
)

_FUNCTION = None


def _function():
    """The identity Function (built on first use, once ``srcad.autograd`` exists)."""
    global _FUNCTION
    if _FUNCTION is None:
        from ...autograd import Function  # noqa: PLC0415

        class BackwardHookFunction(Function):
            @staticmethod
            def forward(ctx, state, kind, *tensors):
                ctx.state = state
                ctx.kind = kind
                return tuple(t.detach() for t in tensors)

            @staticmethod
            def backward(ctx, *grads):
                if ctx.kind == "output":
                    grads = ctx.state.on_grad_outputs(grads)
                else:
                    grads = ctx.state.on_grad_inputs(grads)
                return (None, None, *grads)

        _FUNCTION = BackwardHookFunction
    return _FUNCTION


class BackwardHook:
    """The backward hooks of one module call."""

    def __init__(self, module, user_hooks, user_pre_hooks):
        self.module = module
        self.user_hooks = user_hooks
        self.user_pre_hooks = user_pre_hooks
        self.grad_outputs = None
        self.n_inputs = 0
        self.n_outputs = 0
        self.input_index = None
        self.output_index = None

    @staticmethod
    def _pack(index, values, size):
        out = [None] * size
        for i, v in zip(index, values):
            out[i] = v
        return tuple(out)

    def _through_identity(self, kind, args):
        index = [i for i, a in enumerate(args) if isinstance(a, Tensor) and a.requires_grad]
        if not index or not is_grad_enabled():
            return args, None
        outs = _function().apply(self, kind, *(args[i] for i in index))
        if isinstance(outs, Tensor):
            outs = (outs,)
        new = list(args)
        for i, t in zip(index, outs):
            new[i] = t
        return tuple(new), index

    def setup_input_hook(self, args):
        res, self.input_index = self._through_identity("input", args)
        self.n_inputs = len(args)
        return res

    def setup_output_hook(self, result):
        single = not isinstance(result, tuple)
        outs = (result,) if single else result
        res, self.output_index = self._through_identity("output", outs)
        self.n_outputs = len(outs)
        return res[0] if single else res

    def on_grad_outputs(self, grads):
        """Backward of the output node: keep ``grad_output``; run pre-hooks."""
        self.grad_outputs = self._pack(self.output_index, grads, self.n_outputs)
        for hook in self.user_pre_hooks:
            new = hook(self.module, self.grad_outputs)
            if new is None:
                continue
            if not isinstance(new, tuple):
                new = (new,)
            if len(new) != len(self.grad_outputs):
                raise RuntimeError(
                    "Backward pre hook returned an invalid number of grad_output, "
                    f"got {len(new)}, but expected {len(self.grad_outputs)}"
                )
            self.grad_outputs = new
        local = self.grad_outputs
        if self.input_index is None:
            warnings.warn(_W4, UserWarning, stacklevel=2)
            grad_inputs = (None,) * self.n_inputs
            for hook in self.user_hooks:
                res = hook(self.module, grad_inputs, self.grad_outputs)
                if res is not None and not (
                    isinstance(res, tuple) and all(r is None for r in res)
                ):
                    raise RuntimeError(
                        "Backward hook for Modules where no input requires gradient should "
                        "always return None or None for all gradients."
                    )
            self.grad_outputs = None
        return tuple(local[i] for i in self.output_index)

    def on_grad_inputs(self, grads):
        """Backward of the input node: call the user hooks with both sides."""
        if self.grad_outputs is None:
            return grads  # gradient reached the inputs without passing the outputs
        res = self._pack(self.input_index, grads, self.n_inputs)
        for hook in self.user_hooks:
            out = hook(self.module, res, self.grad_outputs)
            if out is None:
                continue
            if not isinstance(out, tuple):
                out = (out,)
            if len(out) != len(res):
                raise RuntimeError(
                    "Backward hook returned an invalid number of grad_input, "
                    f"got {len(out)}, but expected {len(res)}"
                )
            res = out
        self.grad_outputs = None
        return tuple(res[i] for i in self.input_index)


def warn_non_full_backward_hook(inputs, result, grad_fn):
    """PyTorch's deprecation warnings for ``register_backward_hook`` (non-full hooks)."""
    if not isinstance(result, Tensor):
        if not (isinstance(result, tuple) and all(isinstance(r, Tensor) for r in result)):
            warnings.warn(
                "Using non-full backward hooks on a Module that does not return a single "
                "Tensor or a tuple of Tensors is deprecated and will be removed in future "
                "versions. This hook will be missing some of the grad_output. Please use "
                "register_full_backward_hook to get the documented behavior.",
                FutureWarning,
                stacklevel=3,
            )
            return
    else:
        result = (result,)
    if not isinstance(inputs, Tensor):
        if not (isinstance(inputs, tuple) and all(isinstance(i, Tensor) for i in inputs)):
            warnings.warn(
                "Using non-full backward hooks on a Module that does not take as input a "
                "single Tensor or a tuple of Tensors is deprecated and will be removed in "
                "future versions. This hook will be missing some of the grad_input. Please "
                "use register_full_backward_hook to get the documented behavior.",
                FutureWarning,
                stacklevel=3,
            )
            return
    else:
        inputs = (inputs,)
    out_fns = {r.grad_fn for r in result if r.grad_fn is not None}
    if not out_fns or (len(out_fns) == 1 and grad_fn not in out_fns):
        warnings.warn(
            "Using a non-full backward hook when outputs are nested in python data structure "
            "is deprecated and will be removed in future versions. This hook will be missing "
            "some grad_output.",
            FutureWarning,
            stacklevel=3,
        )
    elif len(out_fns) > 1:
        warnings.warn(
            "Using a non-full backward hook when outputs are generated by different autograd "
            "Nodes is deprecated and will be removed in future versions. This hook will be "
            "missing some grad_output. Please use register_full_backward_hook to get the "
            "documented behavior.",
            FutureWarning,
            stacklevel=3,
        )
    else:
        in_fns = {i.grad_fn for i in inputs if i.grad_fn is not None}
        nexts = {n for n, _ in grad_fn.next_functions}
        if in_fns != nexts:
            warnings.warn(
                "Using a non-full backward hook when the forward contains multiple autograd "
                "Nodes is deprecated and will be removed in future versions. This hook will "
                "be missing some grad_input. Please use register_full_backward_hook to get "
                "the documented behavior.",
                FutureWarning,
                stacklevel=3,
            )
