"""The Convolution Book's small helper package.

Import what a chapter needs from its module, e.g. ``from utils.data import load_mnist``:

* :mod:`utils.data`     -- MNIST without a network (Chapter 1)
* :mod:`utils.display`  -- show images, kernels and pixel tables (Chapter 1)
* :mod:`utils.kernels`  -- named 3x3 kernels, ``apply_kernel`` (Chapter 1)
"""
__version__ = "0.1.0"
