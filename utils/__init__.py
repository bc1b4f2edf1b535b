"""The Convolution Book's small helper package.

Import what a chapter needs from its module, e.g. ``from utils.data import load_mnist``:

* :mod:`utils.data`     -- MNIST and a colour photograph without a network (Chapter 1)
* :mod:`utils.display`  -- show images, kernels and pixel tables (Chapter 1)
* :mod:`utils.kernels`  -- named 3x3 kernels, ``apply_kernel`` (Chapter 1)
* :mod:`utils.conv`     -- convolution by loops, im2col, Toeplitz, FFT, and a hand-written
  autograd ``Conv2d`` (Chapters 3 to 6; its backward lives in :mod:`utils.conv_autograd`)
* :mod:`utils.conv_transpose` -- transposed convolution from scratch (Chapter 7)
* :mod:`utils.winograd` -- Winograd's minimal filtering, F(2x2,3x3) and F(4x4,3x3) (Chapter 8)
* :mod:`utils.roofline` -- work, traffic and arithmetic intensity of a layer; the measured
  bandwidth, matmul ceiling and speed map (Chapter 8)
* :mod:`utils.onednn`   -- what oneDNN runs for a call, from its verbose log (Chapter 3)
* :mod:`utils.timing`   -- interleaved timing, ratios and readable units (Chapter 3)
* :mod:`utils.shapes`   -- gathers :mod:`utils.output_size` (output sizes, Chapter 2),
  :mod:`utils.receptive_field` and :mod:`utils.shape_table` (Chapter 9)
* :mod:`utils.animation` -- animations of a kernel sliding over a grid (Chapter 2)
* :mod:`utils.training` -- the chapter's networks, a small training loop and metrics (Chapter 10)
* :mod:`utils.playground` -- the interactive playgrounds, one module each (Chapters 1, 2, 5 and 10)
"""
__version__ = "0.1.0"
