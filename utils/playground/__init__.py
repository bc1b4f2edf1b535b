"""Interactive playgrounds: the kernel editor (Chapter 1), the kernel-origin explorer
(Chapter 5), the arithmetic explorer (Chapter 2) and the network explorer (Chapter 10), one
module each.

Each playground comes in two forms:

* ``*_html(...)`` -- the canonical form: a container and the playground's data (JSON);
  ``utils/js/<name>.js`` builds the controls and computes in the browser. It works in the
  rendered book with no Python running, and in JupyterLab.
* the plain function (``kernel_editor``, ``arithmetic_explorer``, ``origin_explorer``)
  returns live ipywidgets that recompute with PyTorch in your kernel and draw with
  :mod:`utils.display`/:mod:`utils.animation`. They need a running kernel, so the book
  hides them and shows the HTML form instead.

The pure computations behind them (``kernel_response``, ``arithmetic_setting``,
``fft_with_origin``) are ordinary functions with unit tests.
"""
from .arithmetic import arithmetic_explorer, arithmetic_explorer_html, arithmetic_setting
from .editor import PRESETS, kernel_editor, kernel_editor_html, kernel_response
from .network import fold_batchnorm, network_data, network_explorer_html, network_from_data
from .origin import fft_with_origin, origin_explorer, origin_explorer_html

__all__ = ["PRESETS", "kernel_response", "kernel_editor_html", "kernel_editor",
           "arithmetic_setting", "arithmetic_explorer_html", "arithmetic_explorer",
           "fft_with_origin", "origin_explorer_html", "origin_explorer",
           "fold_batchnorm", "network_data", "network_from_data", "network_explorer_html"]
