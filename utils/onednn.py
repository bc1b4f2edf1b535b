"""What oneDNN really runs for a PyTorch call on the CPU.

Introduced in Chapter 3. With ``torch.backends.mkldnn.verbose`` on, oneDNN (the library
behind ``F.conv2d`` on most CPUs) prints one line per primitive it executes: the
operation (``convolution``, ``reorder``), the implementation (``jit:avx512_core``,
``jit:sse41``, ``gemm:jit``), the algorithm (``alg:convolution_direct``) and the memory
layout of each tensor (``aBcd16b``: channels blocked by 16). It prints from C, straight
to the process's standard output, so :func:`onednn_primitives` captures that file
descriptor (:func:`capture_c_output`) and parses the lines.
"""
from __future__ import annotations

import ctypes
import os
import sys
import tempfile
from dataclasses import dataclass
from typing import Callable

import torch

__all__ = ["Primitive", "onednn_primitives", "capture_c_output"]


@dataclass(frozen=True)
class Primitive:
    """One executed oneDNN primitive."""
    operation: str          # "convolution", "reorder", ...
    implementation: str     # "jit:avx512_core", "jit:sse41", "gemm:jit", ...
    algorithm: str          # "convolution_direct" for a convolution, "" otherwise
    formats: dict           # tensor role ("src", "wei", "dst", ...) -> layout, e.g. "aBcd16b"
    problem: str            # oneDNN's shape string, e.g. "mb64_ic16oc32_ih28oh28kh3..."


def capture_c_output(fn: Callable[[], object]) -> str:
    """Run ``fn()`` and return what C code wrote to file descriptors 1 and 2 meanwhile.

    Python's ``sys.stdout`` never sees such output (in a notebook it goes to the kernel's
    terminal), so the descriptors themselves are pointed at a temporary file and C's own
    buffers are flushed before they are pointed back.
    """
    sys.stdout.flush()
    sys.stderr.flush()
    saved = {fd: os.dup(fd) for fd in (1, 2)}
    with tempfile.TemporaryFile() as tmp:
        for fd in saved:
            os.dup2(tmp.fileno(), fd)
        try:
            fn()
            ctypes.CDLL(None).fflush(None)          # C's stdout is buffered: empty it
        finally:
            for fd, copy in saved.items():
                os.dup2(copy, fd)
                os.close(copy)
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

    return [p for line in capture_c_output(run).splitlines() if (p := _parse(line))]

