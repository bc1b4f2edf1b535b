"""utils.display: figures and tables are built, return what they promise, and bad input is refused."""
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
import torch

from utils.display import pixel_table, show_image, show_images, show_kernel, show_signed


def test_show_image_returns_axes_and_draws_the_data():
    im = torch.rand(28, 28)
    ax = show_image(im, title="digit")
    assert ax.get_title() == "digit"
    np.testing.assert_allclose(ax.images[0].get_array(), im.numpy())
    assert ax.images[0].get_cmap().name == "gray"
    assert not ax.axison                      # no axes clutter by default


def test_show_image_channel_layouts_and_existing_axes():
    fig, ax = plt.subplots()
    assert show_image(torch.rand(1, 5, 6), ax=ax) is ax
    assert ax.images[0].get_array().shape == (5, 6)
    ax2 = show_image(torch.rand(3, 5, 6))
    assert ax2.images[0].get_array().shape == (5, 6, 3)
    ax3 = show_image(np.random.rand(5, 6, 3), noframe=False)
    assert ax3.axison


def test_show_signed_is_symmetric_about_zero():
    t = torch.tensor([[-1.0, 0.5], [0.25, 2.0]])
    ax = show_signed(t, title="signed")
    im = ax.get_images()[0]
    assert im.get_clim() == (-2.0, 2.0) and im.get_cmap().name == "RdBu_r"
    assert ax.axison and ax.get_xticks().size == 0 and ax.get_title() == "signed"
    assert show_signed(t, lim=4).get_images()[0].get_clim() == (-4.0, 4.0)
    assert show_signed(torch.zeros(2, 2)).get_images()[0].get_clim() == (-1.0, 1.0)
    plt.close("all")


def test_show_images_grid_and_titles():
    axs = show_images(torch.rand(5, 8, 8), titles=list("abcde"))
    assert axs.shape == (2, 3)
    assert [a.get_title() for a in axs.flat[:5]] == list("abcde")
    assert len(axs.flat[5].images) == 0
    assert show_images([torch.rand(4, 4)] * 4, nrows=1).shape == (1, 4)
    assert show_images([torch.rand(4, 4)] * 3, ncols=1).shape == (3, 1)


def test_show_kernel_annotates_every_weight():
    k = torch.tensor([[-1.0, 0.0, 1.0], [-2.0, 0.0, 2.0], [-1.0, 0.0, 1.0]])
    ax = show_kernel(k, title="sobel")
    texts = [t.get_text() for t in ax.texts]
    assert texts == ["-1", "0", "1", "-2", "0", "2", "-1", "0", "1"]
    lo, hi = ax.images[0].get_clim()
    assert lo == -hi == -2                     # symmetric colour scale around zero


def test_pixel_table_styler():
    im = torch.arange(12.0).reshape(3, 4) / 11
    sty = pixel_table(im, rows=slice(1, 3), cols=range(0, 2))
    assert isinstance(sty, pd.io.formats.style.Styler)
    assert sty.data.shape == (2, 2)
    assert list(sty.data.index) == [1, 2] and list(sty.data.columns) == [0, 1]
    html = sty.to_html()
    assert "background-color" in html and "0.36" in html


@pytest.mark.parametrize("call, exc, match", [
    (lambda: show_image("x"), TypeError, "im"),
    (lambda: show_image(torch.rand(2, 2, 2, 2)), ValueError, "im: expected 2 or 3 dimensions"),
    (lambda: show_image(torch.rand(5, 5, 7)), ValueError, "im: a 3-D image must have 1, 3 or 4 channels"),
    (lambda: show_image(torch.rand(0, 5)), ValueError, "im: image is empty"),
    (lambda: show_image(torch.rand(4, 4), title=3), TypeError, "title"),
    (lambda: show_signed(torch.rand(3, 4, 4)), ValueError, "im: expected a single-channel map"),
    (lambda: show_signed(torch.rand(4, 4), lim=0), ValueError, "lim: expected a positive number"),
    (lambda: show_images([]), ValueError, "ims"),
    (lambda: show_images(torch.rand(4, 4)), ValueError, "ims"),
    (lambda: show_images("abc"), TypeError, "ims"),
    (lambda: show_images([torch.rand(3, 3)] * 2, titles=["a"]), ValueError, "titles"),
    (lambda: show_images([torch.rand(3, 3)] * 5, nrows=2, ncols=2), ValueError, "nrows, ncols"),
    (lambda: show_images([torch.rand(3, 3)] * 2, nrows=0), ValueError, "nrows"),
    (lambda: show_kernel(torch.rand(3)), ValueError, "kernel"),
    (lambda: show_kernel(torch.rand(3, 3), fmt=2), TypeError, "fmt"),
    (lambda: pixel_table(torch.rand(3, 3, 3)), ValueError, "im"),
    (lambda: pixel_table(torch.rand(3, 3), rows=[0, 1]), TypeError, "rows"),
    (lambda: pixel_table(torch.rand(3, 3), precision=-1), ValueError, "precision"),
])
def test_bad_input(call, exc, match):
    with pytest.raises(exc, match=match):
        call()
