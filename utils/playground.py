"""Interactive playgrounds: the kernel editor (Chapter 1), the kernel-origin explorer
(Chapter 4) and the arithmetic explorer (Chapter 8).

Each playground comes in two forms:

* ``*_html(...)`` returns a self-contained HTML + JavaScript component that computes in
  the browser. It works in the rendered book with no Python running, and in JupyterLab.
* the plain function (``kernel_editor``, ``arithmetic_explorer``, ``origin_explorer``)
  returns live ipywidgets that recompute with PyTorch in your kernel. They need a running
  kernel, so the book hides them and shows the HTML form instead.

The pure computations behind the widgets (``kernel_response``, ``arithmetic_setting``,
``fft_with_origin``) are ordinary functions with unit tests.
"""
from __future__ import annotations

import hashlib
import html
import io
import json
from importlib import resources

import numpy as np
import torch
import torch.nn.functional as F

from ._validate import as_tensor, check_int
from .kernels import KERNELS
from .shapes import conv_output_size

__all__ = ["PRESETS", "kernel_response", "kernel_editor_html", "kernel_editor",
           "arithmetic_setting", "arithmetic_explorer_html", "arithmetic_explorer",
           "fft_with_origin", "origin_explorer_html", "origin_explorer"]

#: the kernel editor's presets: label -> name in utils.kernels.KERNELS
PRESETS = {
    "top edge": "top_edge", "left edge": "left_edge", "diagonal /": "diag1_edge",
    "diagonal \\": "diag2_edge", "Sobel x": "sobel_x", "Sobel y": "sobel_y",
    "blur": "blur", "sharpen": "sharpen", "identity": "identity",
}


def _js(name: str) -> str:
    return resources.files(__package__).joinpath("js", name).read_text()


def _element_id(prefix: str, *parts) -> str:
    digest = hashlib.sha1(json.dumps(parts, sort_keys=True).encode()).hexdigest()[:10]
    return f"{prefix}-{digest}"


def _html(body: str):
    from IPython.display import HTML
    return HTML(body)


def _component(eid: str, css_class: str, body: str, js_file: str, call: str):
    """One playground's page fragment: its markup, then a script that defines the
    component (from ``utils/js/<js_file>``) and starts it on this element with ``call``."""
    return _html(f"""<div id="{eid}" class="convbook-playground {css_class}" style="font-family:sans-serif;font-size:0.9em">
{body}
<script>(function() {{
{_js(js_file)}
{call}
}})();</script>
</div>""")


def _panel(children, title: str, css_class: str):
    """A VBox whose text form is one short line (what nbval compares and a plain-text
    front end shows) instead of the repr of every child widget."""
    import ipywidgets as W

    class Playground(W.VBox):
        def __repr__(self):
            return f"<{title}: live widgets, run the notebook to use them>"

    box = Playground(children)
    box.add_class(css_class)
    return box


def _check_digits(images, labels):
    images = as_tensor(images, "images", ndim=3)
    if images.shape[1:] != (28, 28) or len(images) == 0:
        raise ValueError(f"images: expected a non-empty stack of 28x28 digits (N, 28, 28), got {tuple(images.shape)}")
    if images.min() < 0 or images.max() > 1:
        raise ValueError("images: pixel values must lie in [0, 1] (as load_mnist returns them)")
    if labels is None:
        labels = [None] * len(images)
    else:
        labels = as_tensor(labels, "labels", ndim=1, floating=False).tolist()
        if len(labels) != len(images):
            raise ValueError(f"labels: got {len(labels)} labels for {len(images)} images")
    return images, labels


# ----------------------------------------------------------------------------- kernel editor

def kernel_response(image, kernel) -> torch.Tensor:
    """What the kernel editor shows: ``F.conv2d`` of one (H, W) image with one (k, k)
    kernel, no padding; returns (H - k + 1, W - k + 1). Chapter 1."""
    image = as_tensor(image, "image", ndim=2)
    kernel = as_tensor(kernel, "kernel", ndim=2).to(image.dtype)
    if kernel.shape[0] > image.shape[0] or kernel.shape[1] > image.shape[1]:
        raise ValueError(f"kernel: a {tuple(kernel.shape)} kernel does not fit in a {tuple(image.shape)} image")
    return F.conv2d(image[None, None], kernel[None, None])[0, 0]


def _start_preset(start):
    if start not in PRESETS:
        raise ValueError(f"start: unknown preset {start!r}; choose one of {', '.join(PRESETS)}")
    return start


def kernel_editor_html(images, labels=None, start="top edge", element_id=None):
    """The kernel editor as a self-contained HTML/JavaScript component (Chapter 1).

    ``images``: (N, 28, 28) digits in [0, 1] (a handful: each is embedded in the page);
    ``labels``: their N labels or None; ``start``: the preset shown first (a key of
    ``PRESETS``). Returns an ``IPython.display.HTML`` object.
    """
    images, labels = _check_digits(images, labels)
    if len(images) > 32:
        raise ValueError(f"images: at most 32 digits can be embedded in the page, got {len(images)}")
    _start_preset(start)
    digits = (images * 255).round().to(torch.uint8).reshape(len(images), -1).tolist()
    data = {"digits": digits, "labels": labels, "start": start,
            "presets": {k: [round(v, 6) for v in KERNELS[n].flatten().tolist()] for k, n in PRESETS.items()}}
    eid = element_id or _element_id("ke", digits, start)
    cells = "".join(
        f'<input class="ke-w" type="number" step="0.5" aria-label="weight row {i} col {j}" '
        f'style="width:4.2em;text-align:center" value="0">' + ("<br>" if j == 2 else "")
        for i in range(3) for j in range(3))
    presets = '<option value="">(custom)</option>' + "".join(
        f'<option value="{html.escape(k)}">{html.escape(k)}</option>' for k in PRESETS)
    choices = "".join(f'<option value="{i}">digit #{i}' + (f" (a {lab})" if lab is not None else "") + "</option>"
                      for i, lab in enumerate(labels))
    return _component(eid, "kernel-editor", f"""<div style="display:flex;gap:18px;align-items:flex-start;flex-wrap:wrap">
 <div><b>kernel</b><br>{cells}
  <label>preset <select class="ke-preset">{presets}</select></label><br>
  <label>image <select class="ke-digit">{choices}</select></label></div>
 <div><b>input</b><br><canvas class="ke-in" width="168" height="168" style="border:1px solid #ccc"></canvas></div>
 <div><b>output</b> (red +, blue &minus;)<br><canvas class="ke-out" width="168" height="168" style="border:1px solid #ccc"></canvas></div>
</div>
<div class="ke-readout" style="margin-top:4px"></div>""", "kernel_editor.js",
        f'KernelEditor(document.getElementById("{eid}"), {json.dumps(data, separators=(",", ":"))});')


def _png(fig) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=72, bbox_inches="tight")
    return buf.getvalue()


def _kernel_figure(image, kernel, out, title):
    from matplotlib.figure import Figure
    image, kernel, out = (t.detach().cpu() for t in (image, kernel, out))
    fig = Figure(figsize=(7.5, 2.6))
    axs = fig.subplots(1, 3)
    axs[0].imshow(image.numpy(), cmap="gray", vmin=0, vmax=1)
    axs[0].set_title("input")
    lim = float(kernel.abs().max()) or 1.0
    axs[1].imshow(kernel.numpy(), cmap="RdBu_r", vmin=-lim, vmax=lim)
    for (i, j), v in np.ndenumerate(kernel.numpy()):
        axs[1].text(j, i, f"{v:g}", ha="center", va="center")
    axs[1].set_title(title)
    lim = float(out.abs().max()) or 1.0
    axs[2].imshow(out.numpy(), cmap="RdBu_r", vmin=-lim, vmax=lim)
    axs[2].set_title(f"output {tuple(out.shape)}")
    for ax in axs:
        ax.set_xticks([])
        ax.set_yticks([])
    return fig


def kernel_editor(images, labels=None, start="top edge"):
    """The live kernel editor (Chapter 1): ipywidgets that recompute with ``F.conv2d``.

    A 3x3 grid of weights, a preset menu and a digit menu; the figure below them (input,
    kernel, output) updates whenever any of them changes. Needs a running kernel.
    """
    import ipywidgets as W

    images, labels = _check_digits(images, labels)
    _start_preset(start)
    weights = [W.FloatText(value=0.0, step=0.5, layout=W.Layout(width="70px")) for _ in range(9)]
    preset = W.Dropdown(options=["(custom)"] + list(PRESETS), value=start, description="preset")
    digit = W.Dropdown(options=[(f"digit #{i}" + (f" (a {lab})" if lab is not None else ""), i)
                                for i, lab in enumerate(labels)], value=0, description="image")
    picture = W.Image(format="png")
    readout = W.Label()
    state = {"applying": False}

    def redraw(*_):
        k = torch.tensor([w.value for w in weights], dtype=torch.float32).reshape(3, 3)
        out = kernel_response(images[digit.value], k)
        title = "kernel" if preset.value == "(custom)" else preset.value
        picture.value = _png(_kernel_figure(images[digit.value], k, out, title))
        readout.value = f"output min {out.min():.3f}, max {out.max():.3f}"

    def on_preset(change):
        if change["new"] == "(custom)":
            return
        state["applying"] = True
        for w, v in zip(weights, KERNELS[PRESETS[change["new"]]].flatten().tolist()):
            w.value = round(v, 4)
        state["applying"] = False
        redraw()

    def on_weight(change):
        if not state["applying"]:
            preset.value = "(custom)"
            redraw()

    for w in weights:
        w.observe(on_weight, names="value")
    preset.observe(on_preset, names="value")
    digit.observe(redraw, names="value")
    on_preset({"new": start})
    grid = W.GridBox(weights, layout=W.Layout(grid_template_columns="repeat(3, 75px)"))
    return _panel([W.HBox([grid, W.VBox([preset, digit])]), picture, readout],
                  "kernel editor", "convbook-kernel-editor")


# ----------------------------------------------------------------------- arithmetic explorer

def arithmetic_setting(size, kernel_size, stride=1, padding=0, dilation=1) -> dict:
    """Everything the arithmetic explorer shows for one setting (Chapter 8).

    Returns ``{"output": o, "positions": [(row, col), ...], "torch_shape": (o, o),
    "message": text}`` where ``positions`` are the top-left corners of the kernel in the
    padded input. For an impossible setting ``output`` is None and ``message`` explains why
    (the ``ValueError`` of ``utils.shapes.conv_output_size``).
    """
    for name, v, lo in (("size", size, 1), ("kernel_size", kernel_size, 1), ("stride", stride, 1),
                        ("padding", padding, 0), ("dilation", dilation, 1)):
        check_int(v, name, minimum=lo)
    try:
        o = conv_output_size(size, kernel_size, stride, padding, dilation)
    except ValueError as e:
        return {"output": None, "positions": [], "torch_shape": None, "message": str(e)}
    shape = F.conv2d(torch.zeros(1, 1, size, size), torch.zeros(1, 1, kernel_size, kernel_size),
                     stride=stride, padding=padding, dilation=dilation).shape[-2:]
    positions = [(r * stride, c * stride) for r in range(o) for c in range(o)]
    return {"output": o, "positions": positions, "torch_shape": tuple(shape),
            "message": f"output {o}×{o}: formula ⌊({size} + 2·{padding} − {dilation}·({kernel_size}−1) − 1)/{stride}⌋ + 1 "
                       f"= {o}; F.conv2d gives {tuple(shape)}"}


_AE_LIMITS = {"size": (1, 12), "kernel": (1, 7), "stride": (1, 4), "padding": (0, 4), "dilation": (1, 3)}


def arithmetic_explorer_html(size=5, kernel_size=3, stride=1, padding=0, dilation=1, element_id=None):
    """The arithmetic explorer as a self-contained HTML/JavaScript component (Chapter 8).

    Sliders for input size, kernel size, stride, padding and dilation; it draws the padded
    input with every kernel position and prints the output size, or why the setting is
    impossible. Returns an ``IPython.display.HTML`` object.
    """
    start = {"size": size, "kernel": kernel_size, "stride": stride, "padding": padding, "dilation": dilation}
    for name, v in start.items():
        lo, hi = _AE_LIMITS[name]
        check_int(v, name if name != "kernel" else "kernel_size", minimum=lo)
        if v > hi:
            raise ValueError(f"{name}: the explorer's slider goes up to {hi}, got {v}")
    eid = element_id or _element_id("ae", start)
    rows = "".join(
        f'<label style="display:block">{name} <input class="ae-{name}" type="range" min="{lo}" max="{hi}" '
        f'value="{start[name]}" aria-label="{name}"> <b class="ae-val-{name}">{start[name]}</b></label>'
        for name, (lo, hi) in _AE_LIMITS.items())
    return _component(eid, "arithmetic-explorer", f"""<div style="display:flex;gap:18px;align-items:flex-start;flex-wrap:wrap">
 <div>{rows}</div>
 <svg class="ae-grid" xmlns="http://www.w3.org/2000/svg" width="10" height="10"></svg>
</div>
<div class="ae-formula" style="margin-top:4px;font-family:monospace"></div>
<div class="ae-result" style="margin-top:2px;font-weight:bold"></div>""", "arithmetic_explorer.js",
        f'ArithmeticExplorer(document.getElementById("{eid}"));')


def _arithmetic_figure(size, kernel_size, stride, padding, dilation, setting):
    from matplotlib.figure import Figure
    from matplotlib.patches import Rectangle
    n = size + 2 * padding
    fig = Figure(figsize=(3.2, 3.2))
    ax = fig.subplots()
    for r in range(n):
        for c in range(n):
            inside = padding <= r < padding + size and padding <= c < padding + size
            ax.add_patch(Rectangle((c, r), 1, 1, facecolor="#cfe3f7" if inside else "#f2f2f2", edgecolor="#999"))
    for r, c in setting["positions"]:
        ax.plot(c + 0.5, r + 0.5, "s", color="#1f77b4", markersize=4)
    if setting["output"] is not None:
        for a in range(kernel_size):
            for b in range(kernel_size):
                ax.add_patch(Rectangle((b * dilation + 0.1, a * dilation + 0.1), 0.8, 0.8,
                                       facecolor=(1, 0.5, 0.05, 0.55), edgecolor="#d62728"))
    ax.set_xlim(0, max(n, 1))
    ax.set_ylim(max(n, 1), 0)
    ax.set_aspect("equal")
    ax.axis("off")
    return fig


def arithmetic_explorer(size=5, kernel_size=3, stride=1, padding=0, dilation=1):
    """The live arithmetic explorer (Chapter 8): ipywidgets sliders; the drawing and the
    output size are recomputed with ``utils.shapes`` and checked against ``F.conv2d``."""
    import ipywidgets as W

    values = {"size": size, "kernel": kernel_size, "stride": stride, "padding": padding, "dilation": dilation}
    sliders = {n: W.IntSlider(value=values[n], min=lo, max=hi, description=n, continuous_update=False)
               for n, (lo, hi) in _AE_LIMITS.items()}
    picture = W.Image(format="png")
    message = W.HTML()

    def redraw(*_):
        v = {n: s.value for n, s in sliders.items()}
        setting = arithmetic_setting(v["size"], v["kernel"], v["stride"], v["padding"], v["dilation"])
        picture.value = _png(_arithmetic_figure(v["size"], v["kernel"], v["stride"], v["padding"], v["dilation"], setting))
        colour = "black" if setting["output"] is not None else "#b00020"
        message.value = f'<span style="color:{colour}">{html.escape(setting["message"])}</span>'

    for s in sliders.values():
        s.observe(redraw, names="value")
    redraw()
    return _panel([W.HBox([W.VBox(list(sliders.values())), picture]), message],
                  "arithmetic explorer", "convbook-arithmetic-explorer")


# --------------------------------------------------------------------- kernel-origin explorer

def fft_with_origin(image, kernel, shift=(0, 0)) -> torch.Tensor:
    """Circular cross-correlation of one (H, W) image with a (k, k) kernel via the FFT,
    with the zero-padded kernel rolled by ``shift`` before transforming (Chapter 4).

    ``shift=(0, 0)`` leaves the kernel's top-left weight at the origin, which gives the
    correlation shifted by ``k // 2`` pixels; ``shift=(-(k // 2), -(k // 2))`` puts the
    kernel's centre at the origin and matches ``F.pad(mode="circular")`` + ``F.conv2d``.
    """
    image = as_tensor(image, "image", ndim=2).double()
    kernel = as_tensor(kernel, "kernel", ndim=2).double()
    h, w = image.shape
    if kernel.shape[0] > h or kernel.shape[1] > w:
        raise ValueError(f"kernel: a {tuple(kernel.shape)} kernel is larger than the {tuple(image.shape)} image")
    if not (isinstance(shift, (tuple, list)) and len(shift) == 2):
        raise TypeError(f"shift: expected a pair of ints (dy, dx), got {shift!r}")
    dy, dx = (check_int(s, "shift") for s in shift)
    padded = torch.zeros(h, w, dtype=torch.float64)
    padded[: kernel.shape[0], : kernel.shape[1]] = kernel
    padded = torch.roll(padded, shifts=(dy, dx), dims=(0, 1))
    # correlation = multiply by the conjugate spectrum of the kernel
    spectrum = torch.fft.rfft2(image) * torch.conj(torch.fft.rfft2(padded))
    return torch.fft.irfft2(spectrum, s=(h, w))


def _circular_reference(image, kernel):
    k = kernel.shape[0]
    p = k // 2
    x = F.pad(image.double()[None, None], (p, p, p, p), mode="circular")
    return F.conv2d(x, kernel.double()[None, None])[0, 0]


def origin_explorer_html(image, kernel, element_id=None):
    """The kernel-origin explorer as a self-contained HTML/JavaScript component (Chapter 4).

    ``image`` (H, W) and ``kernel`` (k, k) with H, W <= 32. The FFT result for every roll
    (dy, dx) in -k..k is computed here with :func:`fft_with_origin` and embedded in the
    page; two sliders choose the roll, and the page shows circular ``F.conv2d``, the FFT
    result and their difference. Returns an ``IPython.display.HTML`` object.
    """
    image = as_tensor(image, "image", ndim=2)
    kernel = as_tensor(kernel, "kernel", ndim=2)
    h, w = image.shape
    if h > 32 or w > 32:
        raise ValueError(f"image: at most 32x32 pixels are embedded in the page, got {h}x{w}")
    if kernel.shape[0] != kernel.shape[1] or kernel.shape[0] % 2 == 0:
        raise ValueError(f"kernel: expected a square kernel of odd size, got {tuple(kernel.shape)}")
    k = kernel.shape[0]
    ref = _circular_reference(image, kernel)
    r4 = lambda t: [round(v, 4) + 0.0 for v in t.flatten().tolist()]
    frames = {f"{a},{b}": r4(fft_with_origin(image, kernel, (a, b))) for a in range(-k, k + 1) for b in range(-k, k + 1)}
    data = {"k": k, "h": h, "w": w, "reference": r4(ref), "frames": frames, "lim": float(ref.abs().max()) or 1.0}
    eid = element_id or _element_id("oe", data["reference"], r4(kernel))
    size = 150
    sliders = "".join(
        f'<label style="display:block">{label} <input class="oe-{n}" type="range" min="{-k}" max="{k}" value="0" '
        f'aria-label="{label}"> <b class="oe-val-{n}">0</b></label>' for n, label in (("dy", "roll rows"), ("dx", "roll columns")))
    panels = "".join(f'<div><b>{t}</b><br><canvas class="oe-panel" width="{size}" height="{size}" '
                     f'style="border:1px solid #ccc"></canvas></div>'
                     for t in ("F.conv2d, circular", "FFT with rolled kernel", "difference"))
    return _component(eid, "origin-explorer", f"""<div style="display:flex;gap:14px;align-items:flex-start;flex-wrap:wrap"><div>{sliders}</div>{panels}</div>
<div class="oe-readout" style="margin-top:4px;font-weight:bold"></div>""", "origin_explorer.js",
        f'OriginExplorer(document.getElementById("{eid}"), {json.dumps(data, separators=(",", ":"))});')


def origin_explorer(image, kernel):
    """The live kernel-origin explorer (Chapter 4): sliders roll the zero-padded kernel
    and the figure compares the FFT result with circular ``F.conv2d``."""
    import ipywidgets as W
    from matplotlib.figure import Figure

    image = as_tensor(image, "image", ndim=2)
    kernel = as_tensor(kernel, "kernel", ndim=2)
    ref = _circular_reference(image, kernel)
    k = kernel.shape[0]
    dy = W.IntSlider(value=0, min=-k, max=k, description="roll rows", continuous_update=False)
    dx = W.IntSlider(value=0, min=-k, max=k, description="roll cols", continuous_update=False)
    picture = W.Image(format="png")
    readout = W.Label()

    def redraw(*_):
        out = fft_with_origin(image, kernel, (dy.value, dx.value))
        err = (out - ref).abs().max().item()
        fig = Figure(figsize=(7.5, 2.6))
        axs = fig.subplots(1, 3)
        lim = float(ref.abs().max()) or 1.0
        for ax, im, t in zip(axs, [ref, out, out - ref], ["F.conv2d (circular)", "FFT", "difference"]):
            ax.imshow(im.numpy(), cmap="RdBu_r", vmin=-lim, vmax=lim)
            ax.set_title(t)
            ax.axis("off")
        picture.value = _png(fig)
        readout.value = f"max |FFT - F.conv2d| = {err:.2e}" + ("  (they agree)" if err < 1e-9 else "")

    dy.observe(redraw, names="value")
    dx.observe(redraw, names="value")
    redraw()
    return _panel([W.HBox([dy, dx]), picture, readout], "kernel-origin explorer", "convbook-origin-explorer")
