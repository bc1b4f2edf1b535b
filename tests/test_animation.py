"""utils.animation (Chapter 2): the kernel positions are the ones PyTorch uses, the drawing shows
them, the animation has one frame per output unit, and bad arguments are refused."""
import matplotlib
import matplotlib.pyplot as plt
import pytest
import torch
import torch.nn.functional as F

from utils.animation import conv_animation, draw_conv_position, kernel_positions
from utils.shapes import conv_output_size


CASES = [  # size, kernel, stride, padding, dilation: the chapter's five animations and some non-square ones
    (5, 3, 1, 0, 1), (4, 3, 1, 1, 1), (2, 3, 1, 2, 1), (5, 3, 2, 1, 1), (7, 3, 1, 0, 2),
    ((4, 6), (2, 3), (1, 2), (0, 1), 1), (6, 2, 3, 1, (2, 1)),
]


@pytest.mark.parametrize("size, k, s, p, d", CASES)
def test_kernel_positions_are_the_windows_of_unfold(size, k, s, p, d):
    """Number each padded cell; F.unfold on that picture lists the cells each window covers."""
    pair = lambda v: v if isinstance(v, tuple) else (v, v)
    (h, w), (ph, pw) = pair(size), pair(p)
    cells = torch.arange((h + 2 * ph) * (w + 2 * pw), dtype=torch.float64).reshape(1, 1, h + 2 * ph, w + 2 * pw)
    cols = F.unfold(cells, k, dilation=d, stride=s)[0]          # (kh*kw, n_positions)
    positions = kernel_positions(size, k, s, p, d)
    out = pair(conv_output_size(size, k, s, p, d))
    assert len(positions) == out[0] * out[1] == cols.shape[1]
    for n, ((orow, ocol), taps) in enumerate(positions):
        assert (orow, ocol) == divmod(n, out[1])
        assert [r * (w + 2 * pw) + c for r, c in taps] == cols[:, n].long().tolist()


def test_draw_conv_position_colours_the_taps_and_the_output_unit():
    fig, (a, b) = plt.subplots(1, 2)
    assert draw_conv_position(a, b, 5, 3, stride=2, padding=1, position=4) == (1, 1)
    taps, outputs = a.collections[-1], b.collections[-1]
    corners = sorted(tuple(p.vertices.min(axis=0)) for p in taps.get_paths())
    assert corners == sorted((float(c), float(r)) for r in (2, 3, 4) for c in (2, 3, 4))   # (x, y) = (col, row)
    faces = outputs.get_facecolor()
    assert len(faces) == 9
    dark = [n for n, f in enumerate(faces) if tuple(f[:3]) == matplotlib.colors.to_rgb("#238b45")]
    assert dark == [4]
    assert [t.get_text() for t in a.texts] == ["input 5×5, padding 1"]
    assert [t.get_text() for t in b.texts] == ["output 3×3"]


def test_conv_animation_has_one_frame_per_output_unit_and_closes_its_figure():
    before = plt.get_fignums()
    html = conv_animation(5, 3, stride=2, padding=1).data
    assert html.count("data:image/png;base64") == 9
    assert plt.get_fignums() == before
    assert 'loop' in html


@pytest.mark.parametrize("call, error, match", [
    (lambda: kernel_positions(2, 3), ValueError, "kernel_size"),
    (lambda: kernel_positions(5, 3, stride=0), ValueError, "stride"),
    (lambda: kernel_positions(5, 3, padding="same"), TypeError, "padding"),
    (lambda: kernel_positions(5.0, 3), TypeError, "size"),
    (lambda: conv_animation(9, 3, padding=1), ValueError, "max_frames"),
    (lambda: conv_animation(5, 3, dpi=0), ValueError, "dpi"),
    (lambda: draw_conv_position(*plt.subplots(1, 2)[1], 5, 3, position=9), ValueError, "position"),
    (lambda: draw_conv_position(*plt.subplots(1, 2)[1], 5, 3, position=1.0), TypeError, "position"),
])
def test_bad_arguments_raise_naming_the_argument(call, error, match):
    with pytest.raises(error, match=match):
        call()


def test_animation_html_loads_nothing_from_the_internet():
    """matplotlib's player links Font Awesome from a CDN; the book's version must not."""
    html = conv_animation(4, 3).data
    assert "https://" not in html and "http://" not in html
    assert 'class="fa ' not in html
    assert "&#x25B6;" in html            # the play button is a plain character
