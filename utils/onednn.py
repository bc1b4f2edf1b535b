"""What oneDNN really runs for a PyTorch call on the CPU.

Introduced in Chapter 2. With ``torch.backends.mkldnn.verbose`` on, oneDNN (the library
behind ``F.conv2d`` on most CPUs) prints one line per primitive it executes: the
operation (``convolution``, ``reorder``), the implementation (``jit:avx512_core``,
``jit:sse41``, ``gemm:jit``), the algorithm (``alg:convolution_direct``) and the memory
layout of each tensor (``aBcd16b``: channels blocked by 16). It prints from C, straight
to the process's standard output, so :func:`onednn_primitives` captures that file
descriptor and parses the lines.
"""
from __future__ import annotations

import os
import sys
import tempfile
from dataclasses import dataclass
from typing import Callable

import torch

__all__ = ["Primitive", "onednn_primitives"]


@dataclass(frozen=True)
class Primitive:
    """One executed oneDNN primitive."""
    operation: str          # "convolution", "reorder", ...
    implementation: str     # "jit:avx512_core", "jit:sse41", "gemm:jit", ...
    algorithm: str          # "convolution_direct" for a convolution, "" otherwise
    formats: dict           # tensor role ("src", "wei", "dst", ...) -> layout, e.g. "aBcd16b"
    problem: str            # oneDNN's shape string, e.g. "mb64_ic16oc32_ih28oh28kh3..."


def _capture_stdout(fn: Callable[[], object]) -> str:
    """Run ``fn`` and return what C code wrote to file descriptor 1 meanwhile."""
    sys.stdout.flush()
    fd = 1
    saved = os.dup(fd)
    with tempfile.TemporaryFile() as tmp:
        os.dup2(tmp.fileno(), fd)
        try:
            fn()
        finally:
            os.dup2(saved, fd)
            os.close(saved)
        tmp.seek(0)
        return tmp.read().decode(errors="replace")


def _parse(line: str) -> Primitive | None:
    fields = line.split(",")
    # onednn_verbose,v1,primitive,exec,cpu,<operation>,<impl>,<prop>,<memory descs>,<attr>,<aux>,<problem>,<ms>
    if len(fields) < 12 or fields[2:4] != ["primitive", "exec"]:
        return None
    formats = {}
    for desc in fields[8].split():
        role, _, rest = desc.partition(":")
        parts = rest.split(":")
        if len(parts) >= 4 and parts[2] == "blocked":
            formats[role] = parts[3]
    aux = fields[10]
    algorithm = aux[4:] if aux.startswith("alg:") else ""
    return Primitive(fields[5], fields[6], algorithm, formats, fields[11])


def onednn_primitives(fn: Callable[[], object]) -> list[Primitive]:
    """Call ``fn()`` once with oneDNN's verbose mode on; return the primitives it executed.

    An empty list means oneDNN ran nothing (PyTorch chose another backend, or this build
    of PyTorch has no oneDNN).
    """
    if not callable(fn):
        raise TypeError(f"fn: expected a zero-argument callable, got {type(fn).__name__}")
    if not torch.backends.mkldnn.is_available():
        return []

    def run():
        with torch.backends.mkldnn.verbose(torch.backends.mkldnn.VERBOSE_ON):
            fn()

    return [p for line in _capture_stdout(run).splitlines() if (p := _parse(line))]

