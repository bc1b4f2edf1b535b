"""A shape table for any model, found by running it once on zeros (introduced in Chapter 9).

:func:`shape_table` works in two steps, each its own function:

* :func:`record_shapes` runs the model under forward hooks (every leaf layer) and a
  ``TorchFunctionMode`` (every shape-changing torch function called *between* layers, which
  hook-based summaries such as torchinfo do not see), and notes where a failure happened;
* :func:`explain_failure` turns such a failure into where it happened and a hint.
"""
from __future__ import annotations

import copy
import textwrap
from dataclasses import dataclass, field
from typing import NamedTuple

import torch
from torch import nn
from torch.overrides import TorchFunctionMode

__all__ = ["shape_table", "ShapeReport", "ShapeRow", "record_shapes", "explain_failure", "Recording"]


class ShapeRow(NamedTuple):
    """One row of :func:`shape_table`: a layer, or a shape-changing function called between layers."""

    name: str            #: module name ("conv1", "features.0"), or "max_pool2d()" for a function call
    kind: str            #: the module's class ("Conv2d"), or "function"
    input_shape: tuple   #: shape of the first tensor it received
    output_shape: tuple  #: shape of the tensor it returned
    num_params: object   #: the module's own parameter count; None for a function


class ShapeReport:
    """What :func:`shape_table` found: ``rows``, and ``output_shape`` or an explained ``error``.

    ``print(report)`` shows the table and, if the model failed, the error, where
    it happened (``failed_at``) and a hint (``explanation``).
    """

    def __init__(self, model_name, input_shape, rows, output_shape, error, failed_at, explanation):
        self.model_name = model_name
        self.input_shape = input_shape
        self.rows = rows
        self.output_shape = output_shape
        self.error = error              #: the exception the forward raised, or None
        self.failed_at = failed_at      #: e.g. "fc1 (Linear)" or "view() in the forward of Net"; None if ok
        self.explanation = explanation  #: a few lines saying what went wrong, "" if ok

    @property
    def ok(self) -> bool:
        return self.error is None

    def __str__(self):
        header = ("layer", "type", "input shape", "output shape", "params")
        cells = [header] + [
            (r.name, r.kind, _shape_str(r.input_shape), _shape_str(r.output_shape),
             "" if r.num_params is None else f"{r.num_params:,}")
            for r in self.rows]
        widths = [max(len(c[i]) for c in cells) for i in range(5)]
        lines = [f"{self.model_name} on an input of shape {_shape_str(self.input_shape)}"]
        for n, c in enumerate(cells):
            padded = (c[i].ljust(widths[i]) if i < 4 else c[i].rjust(widths[i]) for i in range(5))
            lines.append("  ".join(padded).rstrip())
            if n == 0:
                lines.append("-" * len(lines[-1]))
        if self.ok:
            lines.append(f"output shape: {_shape_str(self.output_shape)}")
        else:
            lines.append(f"FAILED at {self.failed_at}")
            for line in [f"{type(self.error).__name__}: {self.error}"] + self.explanation.splitlines():
                lines.append(textwrap.fill(line, 88, initial_indent="  ", subsequent_indent="    ",
                                           break_on_hyphens=False, break_long_words=False))
        return "\n".join(lines)

    __repr__ = __str__


def _shape_str(shape):
    return "-" if shape is None else "(" + ", ".join(str(s) for s in shape) + ")"


def _first_tensor(args):
    for a in args:
        if isinstance(a, torch.Tensor):
            return a
        if isinstance(a, (tuple, list)):
            t = _first_tensor(a)
            if t is not None:
                return t
    return None


def _describe_args(args, kwargs):
    parts = [_shape_str(a.shape) if isinstance(a, torch.Tensor) else repr(a) for a in args]
    parts += [f"{k}={v!r}" for k, v in kwargs.items() if not isinstance(v, torch.Tensor)]
    return ", ".join(parts)


class _Recorder(TorchFunctionMode):
    """Records shape-changing torch functions called in a forward *between* layers, and the first failure."""

    def __init__(self, stack, rows, label):
        super().__init__()
        self.stack, self.rows, self.label = stack, rows, label
        self.failure = None

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        try:
            out = func(*args, **kwargs)
        except Exception:
            if self.failure is None:
                self.failure = (func, args, kwargs, list(self.stack))
            raise
        if self.stack and not self.stack[-1][1] and isinstance(out, torch.Tensor):
            # inside a forward that is not a leaf layer's: code between layers
            first = _first_tensor(args)
            try:  # an uninitialised (lazy) parameter has no shape yet
                changed = first is not None and tuple(first.shape) != tuple(out.shape)
            except (RuntimeError, ValueError):
                changed = False
            if changed:
                name = getattr(func, "__name__", str(func))
                parent = self.stack[-1][0]
                where = "" if parent == "" else f" in {parent}"
                self.rows.append(ShapeRow(f"{name}(){where}", "function", tuple(first.shape),
                                          tuple(out.shape), None))
        return out


def _hint(module, x, func_name):
    """A sentence of advice for the commonest shape errors, or ''."""
    if isinstance(module, nn.Linear) and x is not None and x.shape[-1] != module.in_features:
        return (f"nn.Linear({module.in_features}, {module.out_features}) needs inputs whose last dimension is "
                f"in_features={module.in_features}, but it got {x.shape[-1]} ({_shape_str(x.shape)}): set "
                f"in_features={x.shape[-1]}, or use nn.LazyLinear({module.out_features}), which infers it.")
    if isinstance(module, nn.Conv2d) and x is not None and x.ndim in (3, 4) and x.shape[-3] != module.in_channels:
        return (f"{type(module).__name__} expects {module.in_channels} input channels but its input "
                f"{_shape_str(x.shape)} has {x.shape[-3]} (dimension -3 is the channel axis in NCHW).")
    if isinstance(module, (nn.Conv2d, nn.MaxPool2d, nn.AvgPool2d)) and x is not None and x.ndim >= 2:
        return (f"check the spatial size {_shape_str(x.shape[-2:])} against the window: "
                f"conv_output_size/pool_output_size say why it does not fit.")
    if func_name in ("view", "reshape") and x is not None:
        return (f"{func_name} must keep the number of elements ({x.numel():,} = "
                f"{' × '.join(str(s) for s in x.shape)}); to flatten each example keep the batch axis: "
                f"x.flatten(1), x.view(x.size(0), -1) or nn.Flatten(), and size the next Linear from the table.")
    return ""


@dataclass
class Recording:
    """What :func:`record_shapes` saw: the rows, and the output shape or the error.

    ``failure`` is ``(func, args, kwargs, stack)`` of the torch function that raised (the
    stack: the modules whose forward was running, innermost last), or None; ``stack`` is
    the stack of modules still running when the error left the model.
    """
    model: nn.Module                 #: the deep copy that was run
    label: str                       #: the model's class name
    input: torch.Tensor
    rows: list = field(default_factory=list)
    output_shape: tuple | None = None
    error: BaseException | None = None
    failure: tuple | None = None
    stack: list = field(default_factory=list)


def _check_arguments(model, input_shape, dtype) -> None:
    if not isinstance(model, nn.Module):
        raise TypeError(f"model: expected an nn.Module, got {type(model).__name__}")
    if isinstance(input_shape, torch.Tensor) or not isinstance(input_shape, (tuple, list, torch.Size)):
        raise TypeError(f"input_shape: expected a tuple of ints such as (1, 3, 32, 32), got "
                        f"{type(input_shape).__name__}")
    if len(input_shape) == 0:
        raise ValueError("input_shape: must have at least one dimension (the batch axis)")
    for s in input_shape:
        if isinstance(s, bool) or not isinstance(s, int):
            raise TypeError(f"input_shape: expected ints, got {input_shape!r}")
        if s < 1:
            raise ValueError(f"input_shape: every size must be >= 1, got {tuple(input_shape)}")
    if not isinstance(dtype, torch.dtype):
        raise TypeError(f"dtype: expected a torch.dtype such as torch.float32, got {dtype!r}")


def record_shapes(model, input_shape, *, dtype=torch.float32) -> Recording:
    """Run a deep copy of ``model`` (eval mode, no grad, random state restored) once on zeros of
    ``input_shape`` and record every leaf layer and every shape-changing function between
    layers. Never raises because of the model: an error is kept in the :class:`Recording`.
    Introduced in Chapter 9.
    """
    _check_arguments(model, input_shape, dtype)
    with torch.random.fork_rng(devices=[]):
        net = copy.deepcopy(model).eval()
        rec = Recording(net, type(model).__name__, torch.zeros(tuple(input_shape), dtype=dtype))
        names = {id(m): name for name, m in net.named_modules()}
        stack, handles = [], []

        def pre(module, args):
            stack.append((names[id(module)], len(module._modules) == 0, module, _first_tensor(args)))

        def post(module, args, output):
            name, leaf, _, x = stack.pop()
            if leaf:
                out = output if isinstance(output, torch.Tensor) else _first_tensor([output])
                rec.rows.append(ShapeRow(name or rec.label, type(module).__name__,
                                         None if x is None else tuple(x.shape),
                                         None if out is None else tuple(out.shape),
                                         sum(p.numel() for p in module.parameters(recurse=False))))

        for m in net.modules():
            handles.append(m.register_forward_pre_hook(pre))
            handles.append(m.register_forward_hook(post))
        recorder = _Recorder(stack, rec.rows, rec.label)
        try:
            with torch.no_grad(), recorder:
                out = net(rec.input)
            out = out if isinstance(out, torch.Tensor) else _first_tensor([out])
            rec.output_shape = None if out is None else tuple(out.shape)
        except Exception as err:  # the point is to explain it, not to crash
            rec.error = err
        finally:
            for h in handles:
                h.remove()
    rec.failure, rec.stack = recorder.failure, list(stack)
    return rec


def explain_failure(rec: Recording) -> tuple[str, str]:
    """``(failed_at, explanation)`` for a :class:`Recording` whose forward raised: the innermost
    module still running, or the torch function between layers that raised, with the shapes
    it received, the last step that worked and a hint for the commonest mistakes."""
    if rec.error is None:
        raise ValueError("rec: the model ran without an error; there is nothing to explain")
    failure = rec.failure
    active = failure[3] if failure is not None else rec.stack
    name, leaf, module, mx = active[-1] if active else ("", False, rec.model, rec.input)
    shown = name or rec.label
    func_name = getattr(failure[0], "__name__", str(failure[0])) if failure is not None else None
    lines = []
    if leaf:
        failed_at = f"layer {shown} ({type(module).__name__})"
        lines.append(f"Layer {shown} is {module!r}; its input had shape "
                     f"{_shape_str(None if mx is None else mx.shape)}.")
        hint_x = mx
    else:
        where = "the model's forward" if name == "" else f"the forward of {shown}"
        failed_at = f"{func_name}() in {where} (code between layers)" if func_name else where
        if failure is not None:
            lines.append(f"{func_name}() was called with ({_describe_args(failure[1], failure[2])}).")
        hint_x = _first_tensor(failure[1]) if failure is not None else None
    if rec.rows:
        last = rec.rows[-1]
        step = last.name if last.kind == "function" else f"layer {last.name} ({last.kind})"
        lines.append(f"The last step that worked was {step}, which gave {_shape_str(last.output_shape)}.")
    hint = _hint(module if leaf else None, hint_x, func_name)
    if hint:
        lines.append("Hint: " + hint)
    return failed_at, "\n".join(lines)


def shape_table(model, input_shape, *, dtype=torch.float32) -> ShapeReport:
    """Run ``model`` once on zeros of ``input_shape`` and report every layer's input and output shape.

    ``input_shape`` includes the batch axis, e.g. ``(16, 3, 32, 32)``. The model
    is deep-copied and put in eval mode, the forward runs under ``torch.no_grad()``
    and with the random number generator's state restored afterwards, so the
    model you pass (lazy layers included) and the rest of your notebook are left
    untouched.

    Rows are, in call order: every leaf module (a layer with no sub-modules), and
    every torch function called in a forward *between* layers that changes the
    shape (``F.max_pool2d``, ``x.view``, ``torch.flatten``, ``F.interpolate``,
    ...), which hook-based summaries such as torchinfo do not see. A layer used
    twice appears twice.

    If the forward raises, the report keeps the rows up to the failure and says
    where it happened (which layer, or which function between layers, with the
    shapes it received) and, for the commonest mistakes (a Linear whose
    ``in_features`` does not match, a wrong channel count, a ``view`` that
    does not keep the number of elements), what to change. It never raises
    because of the model; only bad arguments raise (``TypeError``/``ValueError``).

    Returns a :class:`ShapeReport`; ``print`` it. Introduced in Chapter 9.
    """
    rec = record_shapes(model, input_shape, dtype=dtype)
    failed_at, explanation = explain_failure(rec) if rec.error is not None else (None, "")
    return ShapeReport(rec.label, tuple(input_shape), rec.rows, rec.output_shape, rec.error,
                       failed_at, explanation)
