"""Shapes: output sizes, receptive fields and a shape table (introduced in Chapters 2 and 9).

Chapters 2 ("Sliding windows") and 9 ("Shapes in a network") use three
small modules, gathered here so that a chapter imports them from one place:

* :mod:`utils.output_size` -- the one output-size formula behind every layer
  (``conv_output_size``, ``pool_output_size``, ``conv_transpose_output_size``,
  ``same_padding``);
* :mod:`utils.receptive_field` -- ``receptive_field`` and its rows, ``LayerGeometry``;
* :mod:`utils.shape_table` -- ``shape_table``, a shape calculator for any model.

>>> conv_output_size(28, 3, stride=2, padding=1)
14
"""
from .output_size import conv_output_size, conv_transpose_output_size, pool_output_size, same_padding
from .receptive_field import LayerGeometry, receptive_field
from .shape_table import ShapeReport, ShapeRow, shape_table

__all__ = [
    "conv_output_size",
    "pool_output_size",
    "conv_transpose_output_size",
    "same_padding",
    "receptive_field",
    "LayerGeometry",
    "shape_table",
    "ShapeReport",
    "ShapeRow",
]
