"""Animations of a kernel sliding over a grid (introduced in Chapter 2).

Chapter 2, "Sliding windows", derives the output size of a convolution by counting the
positions a kernel can take on the (padded) input. These helpers draw exactly
that, in the style of Dumoulin & Visin's "A guide to convolution arithmetic":
the input grid (blue) with its ring of zero padding (dashed, white), the kernel's
taps at one position (dark), and the output grid (green) with the output unit
that position produces (dark green).

* :func:`kernel_positions` lists, for every output unit, the input cells its
  kernel taps cover (in padded coordinates);
* :func:`draw_conv_position` draws one position on two matplotlib ``Axes``;
* :func:`conv_animation` animates every position and returns an
  ``IPython.display.HTML`` (``FuncAnimation.to_jshtml``) that plays in Jupyter
  and in the rendered book.

Every size argument is an int (square) or an ``(h, w)`` pair, as in PyTorch;
they are validated by :func:`utils.shapes.conv_output_size`.
"""
from __future__ import annotations

import re

import matplotlib.pyplot as plt
from matplotlib.animation import FuncAnimation
from matplotlib.collections import PatchCollection
from matplotlib.patches import Rectangle

from ._validate import as_pair, check_int
from .shapes import conv_output_size

__all__ = ["kernel_positions", "draw_conv_position", "conv_animation"]

INPUT_COLOR = "#9ecae1"
PADDING_EDGE = "#969696"
KERNEL_COLOR = "#08306b"
OUTPUT_DONE = "#c7e9c0"
OUTPUT_NOW = "#238b45"


def _geometry(size, kernel_size, stride, padding, dilation):
    out = conv_output_size(size, kernel_size, stride, padding, dilation)  # validates everything
    size, k, s, d = (as_pair(v, n, minimum=1) for v, n in
                     ((size, "size"), (kernel_size, "kernel_size"), (stride, "stride"), (dilation, "dilation")))
    if isinstance(padding, str):
        raise TypeError(f"padding: give the number of zeros on each side (an int or a pair), got {padding!r}")
    p = as_pair(padding, "padding", minimum=0)
    return size, k, s, p, d, as_pair(out, "out", minimum=1)


def kernel_positions(size, kernel_size, stride=1, padding=0, dilation=1):
    """Every position of the kernel, in the order the output is computed (row by row).

    Returns a list with one ``((out_row, out_col), taps)`` entry per output unit,
    where ``taps`` lists the ``(row, col)`` cells under the kernel's taps in
    *padded* coordinates (cell ``(0, 0)`` is the top-left padding cell; input
    pixel ``(i, j)`` is cell ``(i + padding, j + padding)``). Its length is the
    product of the output sizes of :func:`utils.shapes.conv_output_size`.

    >>> len(kernel_positions(5, 3)), kernel_positions(5, 3, stride=2)[1][1][0]
    (9, (0, 2))
    """
    _, k, s, _, d, out = _geometry(size, kernel_size, stride, padding, dilation)
    positions = []
    for orow in range(out[0]):
        for ocol in range(out[1]):
            taps = [(orow * s[0] + a * d[0], ocol * s[1] + b * d[1]) for a in range(k[0]) for b in range(k[1])]
            positions.append(((orow, ocol), taps))
    return positions


def _frame(ax, rows, cols, title):
    ax.set_xlim(-0.05, cols + 0.05)
    ax.set_ylim(rows + 0.05, -0.05)      # row 0 at the top, as in an image
    ax.set_aspect("equal")
    ax.axis("off")
    # a plain text rather than set_title: title placement is recomputed on every frame
    ax.text(cols / 2, -0.2, title, ha="center", va="bottom", fontsize=11)


def draw_conv_position(ax_in, ax_out, size, kernel_size, stride=1, padding=0, dilation=1, position=0):
    """Draw the kernel at output unit number ``position`` (row-major) on two ``Axes``.

    ``ax_in`` shows the padded input: input pixels in blue, padding cells white
    with dashed edges, the kernel's taps dark. ``ax_out`` shows the output grid:
    units computed before this one in light green, this one in dark green.
    Both axes are cleared first. Returns ``(out_row, out_col)`` of the unit drawn.
    """
    geometry = _geometry(size, kernel_size, stride, padding, dilation)
    positions = kernel_positions(*geometry[:5])
    position = check_int(position, "position", minimum=0)
    if position >= len(positions):
        raise ValueError(f"position: must be < {len(positions)} (the number of output units), got {position}")
    taps, outputs = _draw_grids(ax_in, ax_out, geometry)
    _move(taps, outputs, positions, position)
    return positions[position][0]


def _draw_grids(ax_in, ax_out, geometry):
    """Draw both grids; return the tap patches and the output cell patches (row-major) to update."""
    size, _, _, p, _, out = geometry
    rows, cols = size[0] + 2 * p[0], size[1] + 2 * p[1]
    for ax in (ax_in, ax_out):
        ax.clear()
    cells, faces, edges, styles = [], [], [], []
    for r in range(rows):
        for c in range(cols):
            inside = p[0] <= r < p[0] + size[0] and p[1] <= c < p[1] + size[1]
            shift = 0 if inside else 0.04
            cells.append(Rectangle((c + shift, r + shift), 1, 1))
            faces.append(INPUT_COLOR if inside else "white")
            edges.append("white" if inside else PADDING_EDGE)
            styles.append("-" if inside else "--")
    # one artist for the whole background grid: much faster to draw than one patch per cell
    ax_in.add_collection(PatchCollection(cells, facecolors=faces, edgecolors=edges, linestyles=styles,
                                         linewidths=0.8))
    taps = ax_in.add_collection(PatchCollection([], facecolor=KERNEL_COLOR, edgecolor="white", alpha=0.75))
    _frame(ax_in, rows, cols, f"input {size[0]}×{size[1]}" + (f", padding {_each(p)}" if p != (0, 0) else ""))
    outputs = ax_out.add_collection(PatchCollection(
        [Rectangle((c, r), 1, 1) for r in range(out[0]) for c in range(out[1])], linewidths=1.0))
    _frame(ax_out, out[0], out[1], f"output {out[0]}×{out[1]}")
    # keep the output cells the same size as the input cells
    ax_out.set_xlim(-0.05, max(cols, out[1]) + 0.05)
    ax_out.set_ylim(max(rows, out[0]) + 0.05, -0.05)
    return taps, outputs


def _move(taps, outputs, positions, position):
    """Put the kernel's taps on ``position`` and colour the output cells (both are PatchCollections)."""
    taps.set_paths([Rectangle((c, r), 1, 1) for r, c in positions[position][1]])
    faces = [OUTPUT_NOW if n == position else OUTPUT_DONE if n < position else "white"
             for n in range(len(positions))]
    outputs.set_facecolor(faces)
    outputs.set_edgecolor([PADDING_EDGE if f == "white" else "white" for f in faces])


def _each(pair):
    return str(pair[0]) if pair[0] == pair[1] else str(pair)


def conv_animation(size, kernel_size, stride=1, padding=0, dilation=1, *, max_frames=16, dpi=60,
                   interval=600, cell=0.45):
    """Animate the kernel over every position; return an ``IPython.display.HTML``.

    One frame per output unit, in row-major order, rendered at ``dpi`` with cells
    of ``cell`` inches, ``interval`` milliseconds apart, embedded in the HTML
    (``to_jshtml(embed_frames=True, default_mode="loop")``) so it plays without
    a kernel running. Refuses more than ``max_frames`` frames (``ValueError``):
    keep the example small (e.g. a 5×5 input), every frame is a PNG in the page.
    The figure is closed before returning.
    """
    from IPython.display import HTML

    size, k, s, p, d, out = _geometry(size, kernel_size, stride, padding, dilation)
    max_frames = check_int(max_frames, "max_frames", minimum=1)
    dpi = check_int(dpi, "dpi", minimum=10)
    interval = check_int(interval, "interval", minimum=10)
    n = out[0] * out[1]
    if n > max_frames:
        raise ValueError(f"size: this configuration has {n} output units, hence {n} frames, more than "
                         f"max_frames={max_frames}; use a smaller input or raise max_frames")
    rows, cols = size[0] + 2 * p[0], size[1] + 2 * p[1]
    width, height = cell * (cols + max(cols, out[1])) + 0.5, cell * max(rows, out[0]) + 0.6
    fig, (ax_in, ax_out) = plt.subplots(1, 2, figsize=(width, height), dpi=dpi)
    kname = f"{k[0]}×{k[1]}"
    extra = "".join(f", {name} {_each(v)}" for name, v, default in
                    (("stride", s, (1, 1)), ("dilation", d, (1, 1))) if v != default)
    fig.suptitle(f"{kname} kernel{extra}", fontsize=11)
    fig.subplots_adjust(left=0.02, right=0.98, bottom=0.02, top=0.8, wspace=0.1)

    geometry = (size, k, s, p, d, out)
    positions = kernel_positions(size, k, s, p, d)
    taps, outputs = _draw_grids(ax_in, ax_out, geometry)

    def update(i):
        _move(taps, outputs, positions, i)
        return [taps, outputs]

    anim = FuncAnimation(fig, update, frames=n, interval=interval, blit=False)
    try:
        html = offline_jshtml(anim)
    finally:
        plt.close(fig)
    return HTML(html)


# matplotlib's player draws its buttons with Font Awesome icons loaded from a CDN; the book
# must load nothing from the internet, so the icons become plain characters.
_PLAYER_ICONS = {
    "fa-minus": "&minus;", "fa-plus": "+", "fa-fast-backward": "&#x23EE;", "fa-step-backward": "&#x23F4;&#x23F4;",
    "fa-play fa-flip-horizontal": "&#x25C0;", "fa-pause": "&#x23F8;", "fa-play": "&#x25B6;",
    "fa-step-forward": "&#x23F5;&#x23F5;", "fa-fast-forward": "&#x23ED;",
}


def offline_jshtml(anim, **kwargs) -> str:
    """``anim.to_jshtml(embed_frames=True, default_mode="loop", **kwargs)`` without the
    stylesheet matplotlib links from a CDN: its icon buttons become plain characters, so
    the player works offline (used by :func:`conv_animation`)."""
    kwargs = {"embed_frames": True, "default_mode": "loop", **kwargs}
    html = anim.to_jshtml(**kwargs)
    html = re.sub(r'<link rel="stylesheet"\s+href="https://[^"]*font-awesome[^"]*">', "", html)
    for icon, text in _PLAYER_ICONS.items():
        html = html.replace(f'<i class="fa {icon}"></i>', text)
    if "https://" in html or 'class="fa ' in html:
        raise RuntimeError("offline_jshtml: matplotlib's player template changed; update _PLAYER_ICONS")
    return html
