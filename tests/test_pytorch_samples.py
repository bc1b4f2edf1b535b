"""utils.conv against PyTorch's own test samples (OpInfo and ModuleInfo).

PyTorch tests ``F.conv2d`` and ``F.conv_transpose2d`` with the sample inputs
and error inputs of their OpInfo entries (``op_db``), and ``nn.Conv2d`` with
the inputs of its ModuleInfo entry (``module_db``). Here every implementation
gets each sample exactly as PyTorch's tests pass it, ``op(sample.input,
*sample.args, **sample.kwargs)``, in float64:

* a sample within the implementation's stated scope must match PyTorch (1e-10);
* a sample outside it (only ``conv2d_fft``: stride 1, no dilation) must raise
  ``ValueError`` whose message starts with the argument's name;
* every error input must be rejected with ``ValueError``/``TypeError``.

``python tests/test_pytorch_samples.py`` prints the counts per implementation.
"""
import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F

pytest.importorskip("expecttest")   # torch.testing._internal needs it (requirements.txt, tests)
from torch.testing._internal.common_methods_invocations import op_db  # noqa: E402
from torch.testing._internal.common_modules import module_db  # noqa: E402

from utils.conv import (Conv2d, Conv2dFunction, conv2d_fft, conv2d_loops, conv2d_toeplitz,  # noqa: E402
                        conv2d_unfold, conv2d_unfold_naive)
from utils.conv_transpose import conv_transpose2d  # noqa: E402

DTYPE = torch.float64
# the reference F.conv2d warns that padding="same" with an even kernel copies the input
pytestmark = pytest.mark.filterwarnings("ignore:Using padding=.same.:UserWarning")
TOL = dict(rtol=1e-10, atol=1e-10)

CONV2D = {
    "conv2d_loops": conv2d_loops, "conv2d_unfold_naive": conv2d_unfold_naive,
    "conv2d_unfold": conv2d_unfold, "conv2d_toeplitz": conv2d_toeplitz, "conv2d_fft": conv2d_fft,
    "Conv2dFunction": Conv2dFunction.apply,
}


pytestmark = pytest.mark.usefixtures("one_thread")   # tiny tensors: one thread is fastest


def _is_one(v):
    return v == 1 or v == (1, 1) or v == [1, 1]


def out_of_scope(name, kwargs):
    """The argument a sample uses outside ``name``'s stated scope, or None."""
    if name == "conv2d_fft":
        for arg in ("stride", "dilation"):
            if not _is_one(kwargs.get(arg, 1)):
                return arg
    return None


def _op(name):
    (op,) = [o for o in op_db if o.name == name and o.variant_test_name == ""]
    return op


def run_samples(name, fn, reference, op_name, scope=out_of_scope):
    """Pass every sample of ``op_name`` to ``fn``; return counts and the failures."""
    counts = dict(samples=0, matched=0, rejected_out_of_scope=0, wrong=0, errors=0, errors_rejected=0)
    failures = []
    op = _op(op_name)
    for s in op.sample_inputs("cpu", DTYPE, requires_grad=False):
        counts["samples"] += 1
        outside = scope(name, s.kwargs)
        desc = f"{name}{(tuple(s.input.shape), *(getattr(a, 'shape', a) for a in s.args))} {s.kwargs}"
        try:
            out = fn(s.input, *s.args, **s.kwargs)
        except (ValueError, TypeError) as err:
            if outside and str(err).startswith(outside):
                counts["rejected_out_of_scope"] += 1
            else:
                failures.append(f"{desc}: raised {type(err).__name__}: {err}")
            continue
        ref = reference(s.input, *s.args, **s.kwargs)
        if outside:
            failures.append(f"{desc}: outside the stated scope ({outside}) but accepted")
        if out.shape == ref.shape and torch.allclose(out, ref, **TOL):
            counts["matched"] += 1
        else:
            counts["wrong"] += 1
            failures.append(f"{desc}: WRONG result")
    for e in op.error_inputs("cpu") if op.error_inputs_func is not None else ():
        counts["errors"] += 1
        s = e.sample_input
        try:
            fn(s.input, *s.args, **s.kwargs)
            failures.append(f"{name}: error input accepted: {s.kwargs} (PyTorch: {e.error_regex})")
        except (ValueError, TypeError):
            counts["errors_rejected"] += 1
    return counts, failures


def run_module_inputs(cls=Conv2d):
    """Every ModuleInfo input of nn.Conv2d: forward and backward against nn.Conv2d."""
    (info,) = [m for m in module_db if m.module_cls is nn.Conv2d]
    counts, failures = dict(inputs=0, matched=0), []
    for mi in info.module_inputs_func(info, device="cpu", dtype=DTYPE, requires_grad=True, training=True):
        counts["inputs"] += 1
        args, kwargs = mi.constructor_input.args, mi.constructor_input.kwargs
        modules = []
        for c in (cls, nn.Conv2d):
            torch.manual_seed(0)                      # same initial weights
            modules.append(c(*args, **kwargs).to(DTYPE))
        x = mi.forward_input.args[0]
        xs = [x.detach().clone().requires_grad_() for _ in modules]
        outs = [m(xi) for m, xi in zip(modules, xs)]
        ok = outs[0].shape == outs[1].shape and torch.allclose(outs[0], outs[1], **TOL)
        if ok:
            g = torch.linspace(-1, 1, outs[1].numel(), dtype=DTYPE).view_as(outs[1])
            for out in outs:
                out.backward(g)
            grads = [[xi.grad] + [p.grad for p in m.parameters()] for m, xi in zip(modules, xs)]
            ok = all(torch.allclose(a, b, **TOL) for a, b in zip(*grads))
        counts["matched"] += ok
        if not ok:
            failures.append(f"Conv2d{args} {kwargs} on {tuple(x.shape)}: differs from nn.Conv2d")
    return counts, failures


@pytest.mark.parametrize("name", CONV2D)
def test_conv2d_opinfo_samples(name):
    counts, failures = run_samples(name, CONV2D[name], F.conv2d, "nn.functional.conv2d")
    assert not failures, "\n".join(failures)
    assert counts["wrong"] == 0 and counts["errors_rejected"] == counts["errors"] > 0
    if name != "conv2d_fft":   # the target: every sample accepted and matched
        assert counts["matched"] == counts["samples"] >= 30


def test_conv_transpose2d_opinfo_samples():
    counts, failures = run_samples("conv_transpose2d", conv_transpose2d, F.conv_transpose2d,
                                   "nn.functional.conv_transpose2d")
    assert not failures, "\n".join(failures)
    assert counts["matched"] == counts["samples"] >= 12


def test_conv2d_module_info_inputs():
    counts, failures = run_module_inputs()
    assert not failures, "\n".join(failures)
    assert counts["matched"] == counts["inputs"] >= 4


if __name__ == "__main__":
    for name, fn in CONV2D.items():
        print(name, *run_samples(name, fn, F.conv2d, "nn.functional.conv2d"))
    print("conv_transpose2d", *run_samples("conv_transpose2d", conv_transpose2d, F.conv_transpose2d,
                                           "nn.functional.conv_transpose2d"))
    print("Conv2d (ModuleInfo)", *run_module_inputs())
