"""A small, readable training loop and the metrics around it (introduced in Chapter 10).

Chapter 10, "Training a convolutional network", trains small CNNs on the book's MNIST
subset with :func:`fit`, a plain loop you can read in one go::

    for each epoch:
        shuffle the training images (with a seeded torch.Generator)
        for each batch: [augment] -> forward -> loss -> backward -> optimiser step [-> scheduler step]
        evaluate on the held-out images

Everything lives in memory as tensors (the data sets of the book are a few MB), so
no ``DataLoader`` is needed: a batch is ``x[idx]`` for a slice ``idx`` of a random
permutation. Shapes: images ``(N, C, H, W)`` float, labels ``(N,)`` int64 class
indices, model outputs ``(N, num_classes)`` logits.

Reproducibility: :func:`fit` draws the shuffling and the augmentation from its own
``torch.Generator`` seeded with ``seed``; call ``torch.manual_seed`` before building
the model so its initial weights are reproducible too. On the same machine and
number of threads, two runs then give identical numbers.

Also here: the chapter's networks (:func:`conv_block`, :func:`simple_cnn`,
:func:`tuned_cnn`, which ``benchmarks/`` times too), :func:`accuracy`, :func:`evaluate`,
:func:`predict`, :func:`confusion_matrix`, :func:`random_shift` (data augmentation) and
:func:`plot_history`.
"""
from __future__ import annotations

import sys
import time
from dataclasses import dataclass, field

import torch
import torch.nn.functional as F
from torch import nn

from ._validate import as_tensor, check_int

__all__ = ["conv_block", "simple_cnn", "tuned_cnn", "History", "fit", "evaluate", "predict", "accuracy",
           "confusion_matrix", "random_shift", "plot_history"]


# ------------------------------------------------------------------ the chapter's networks
def conv_block(ni: int, nf: int, act: bool = True, bn: bool = False, conv_cls=nn.Conv2d) -> nn.Sequential:
    """3x3 convolution with stride 2 (halves the image) [+ batch norm] [+ ReLU].

    ``ni`` -> ``nf`` channels; ``conv_cls`` builds the convolution (``nn.Conv2d``, or the
    book's ``utils.conv.Conv2d``). Introduced in Chapter 10.
    """
    ni, nf = check_int(ni, "ni", minimum=1), check_int(nf, "nf", minimum=1)
    layers = [conv_cls(ni, nf, kernel_size=3, stride=2, padding=1)]
    if bn:
        layers.append(nn.BatchNorm2d(nf))
    if act:
        layers.append(nn.ReLU())
    return nn.Sequential(*layers)


def simple_cnn(conv_cls=nn.Conv2d) -> nn.Sequential:
    """The fast.ai lesson's simple CNN: 4-8-16-16-10 channels, 28x28 -> 1x1, no batch norm;
    (N, 1, 28, 28) -> (N, 10) logits. Introduced in Chapter 10."""
    return nn.Sequential(conv_block(1, 4, conv_cls=conv_cls), conv_block(4, 8, conv_cls=conv_cls),
                         conv_block(8, 16, conv_cls=conv_cls), conv_block(16, 16, conv_cls=conv_cls),
                         conv_block(16, 10, act=False, conv_cls=conv_cls), nn.Flatten())


def tuned_cnn(width: int = 8, bn: bool = True, conv_cls=nn.Conv2d) -> nn.Sequential:
    """Chapter 10's tuned network: ``width``-2w-4w-8w-10 channels, each 3x3 convolution with
    stride 2 [+ batch norm] + ReLU (none after the last); (N, 1, 28, 28) -> (N, 10) logits.
    The chapter trains ``tuned_cnn(width=16)``. Introduced in Chapter 10."""
    w = check_int(width, "width", minimum=1)
    return nn.Sequential(conv_block(1, w, bn=bn, conv_cls=conv_cls),
                         conv_block(w, 2 * w, bn=bn, conv_cls=conv_cls),
                         conv_block(2 * w, 4 * w, bn=bn, conv_cls=conv_cls),
                         conv_block(4 * w, 8 * w, bn=bn, conv_cls=conv_cls),
                         conv_block(8 * w, 10, act=False, bn=bn, conv_cls=conv_cls),
                         nn.Flatten())


# ------------------------------------------------------------------ checks
def _check_model(model) -> nn.Module:
    if not isinstance(model, nn.Module):
        raise TypeError(f"model: expected a torch.nn.Module, got {type(model).__name__}")
    return model


def _check_images_labels(x, y, xname: str, yname: str):
    x = as_tensor(x, xname, finite=False)
    if x.ndim < 2:
        raise ValueError(f"{xname}: expected a batch of inputs (N, ...), got shape {tuple(x.shape)}")
    if not isinstance(y, torch.Tensor):
        raise TypeError(f"{yname}: expected a torch.Tensor of class indices, got {type(y).__name__}")
    if y.ndim != 1 or y.is_floating_point() or y.is_complex() or y.dtype == torch.bool:
        raise ValueError(f"{yname}: expected a 1-D integer tensor of class indices, "
                         f"got shape {tuple(y.shape)} and dtype {y.dtype}")
    if len(x) != len(y):
        raise ValueError(f"{xname}, {yname}: {len(x)} inputs but {len(y)} labels")
    if len(x) == 0:
        raise ValueError(f"{xname}: no examples")
    return x, y.long()


def _check_batch_size(batch_size) -> int:
    return check_int(batch_size, "batch_size", minimum=1)


# ------------------------------------------------------------------ metrics
def accuracy(logits, targets) -> float:
    """Fraction of rows of ``logits`` (N, num_classes) whose largest entry is ``targets`` (N,)."""
    logits = as_tensor(logits, "logits", ndim=2, finite=False)
    if not isinstance(targets, torch.Tensor) or targets.ndim != 1 or len(targets) != len(logits):
        raise ValueError(f"targets: expected a 1-D tensor of {len(logits)} class indices, got "
                         f"{tuple(targets.shape) if isinstance(targets, torch.Tensor) else type(targets).__name__}")
    return (logits.argmax(1) == targets).float().mean().item()


@torch.no_grad()
def predict(model, x, *, batch_size: int = 1000) -> torch.Tensor:
    """The model's outputs for every row of ``x``, computed in eval mode, in batches.

    ``x`` (N, ...) -> (N, num_classes). The model's train/eval mode is restored afterwards.
    """
    model = _check_model(model)
    x = as_tensor(x, "x", finite=False)
    batch_size = _check_batch_size(batch_size)
    was_training = model.training
    model.eval()                     # batch norm uses its running statistics, not the batch's
    try:
        return torch.cat([model(x[i:i + batch_size]) for i in range(0, len(x), batch_size)])
    finally:
        model.train(was_training)


def evaluate(model, x, y, *, loss_fn=F.cross_entropy, batch_size: int = 1000) -> tuple[float, float]:
    """``(mean loss, accuracy)`` of ``model`` on inputs ``x`` (N, ...) with labels ``y`` (N,)."""
    x, y = _check_images_labels(x, y, "x", "y")
    logits = predict(model, x, batch_size=batch_size)
    return loss_fn(logits, y).item(), accuracy(logits, y)


def confusion_matrix(preds, targets, num_classes: int = 10) -> torch.Tensor:
    """Counts ``C[i, j]`` = number of examples of true class ``i`` predicted as ``j``.

    ``preds`` and ``targets``: 1-D integer tensors of the same length, values in
    ``0 .. num_classes-1``. Returns an int64 tensor (num_classes, num_classes) whose
    diagonal holds the correct predictions.
    """
    num_classes = check_int(num_classes, "num_classes", minimum=1)
    for name, t in (("preds", preds), ("targets", targets)):
        if not isinstance(t, torch.Tensor) or t.ndim != 1 or t.is_floating_point():
            raise ValueError(f"{name}: expected a 1-D integer tensor of class indices")
        if len(t) and (t.min() < 0 or t.max() >= num_classes):
            raise ValueError(f"{name}: class indices must lie in 0..{num_classes - 1}")
    if len(preds) != len(targets):
        raise ValueError(f"preds, targets: {len(preds)} predictions but {len(targets)} targets")
    flat = targets.long() * num_classes + preds.long()
    return torch.bincount(flat, minlength=num_classes ** 2).view(num_classes, num_classes)


# ------------------------------------------------------------------ augmentation
def random_shift(x, max_shift: int = 2, *, generator: torch.Generator | None = None) -> torch.Tensor:
    """Move each image of ``x`` (N, C, H, W) by a random whole number of pixels.

    Each image gets its own shift, between ``-max_shift`` and ``+max_shift`` pixels
    vertically and horizontally (drawn from ``generator``); pixels that move in
    from outside are 0 (background). Returns a new (N, C, H, W) tensor.
    """
    x = as_tensor(x, "x", ndim=4, finite=False)
    max_shift = check_int(max_shift, "max_shift", minimum=0)
    if generator is not None and not isinstance(generator, torch.Generator):
        raise TypeError(f"generator: expected a torch.Generator or None, got {type(generator).__name__}")
    if max_shift == 0:
        return x.clone()
    n, _, h, w = x.shape
    m = max_shift
    dy, dx = torch.randint(-m, m + 1, (2, n, 1), generator=generator)
    padded = F.pad(x, (m, m, m, m))
    rows = torch.arange(h) + m - dy                       # (N, H): which padded row lands on row r
    cols = torch.arange(w) + m - dx                       # (N, W)
    batch = torch.arange(n)[:, None, None]
    # advanced indexing puts the indexed axes first: (N, H, W, C) -> (N, C, H, W)
    return padded.permute(0, 2, 3, 1)[batch, rows[:, :, None], cols[:, None, :]].permute(0, 3, 1, 2)


# ------------------------------------------------------------------ the loop
@dataclass
class History:
    """Per-epoch metrics recorded by :func:`fit`, and the training time in seconds.

    ``train_loss``/``train_acc`` average the batches of each epoch (so they are
    measured while the weights change, in train mode); ``valid_loss``/``valid_acc``
    evaluate the held-out data at the end of each epoch.
    """
    train_loss: list = field(default_factory=list)
    train_acc: list = field(default_factory=list)
    valid_loss: list = field(default_factory=list)
    valid_acc: list = field(default_factory=list)
    seconds: float = 0.0

    @property
    def epochs(self) -> int:
        return len(self.train_loss)

    def table(self, digits: int = 4):
        """The metrics as a pandas DataFrame, one row per epoch, rounded to ``digits``."""
        import pandas as pd
        df = pd.DataFrame({"train_loss": self.train_loss, "train_acc": self.train_acc,
                           "valid_loss": self.valid_loss, "valid_acc": self.valid_acc},
                          index=pd.RangeIndex(1, self.epochs + 1, name="epoch"))
        return df.round(digits)


def fit(model, x_train, y_train, x_valid, y_valid, *, epochs: int, opt, batch_size: int = 64,
        loss_fn=F.cross_entropy, scheduler=None, augment=None, seed: int = 0,
        progress: bool = True, desc: str | None = None) -> History:
    """Train ``model`` for ``epochs`` epochs with optimiser ``opt``; return a :class:`History`.

    * ``x_train`` (N, C, H, W), ``y_train`` (N,); ``x_valid``, ``y_valid`` likewise:
      whole data sets as tensors.
    * ``opt``: a ``torch.optim.Optimizer`` over the model's parameters.
    * ``scheduler``: ``None`` or a function ``scheduler(opt, total_steps)`` returning a
      learning-rate scheduler that is stepped after every batch, e.g.
      ``lambda opt, n: OneCycleLR(opt, max_lr=0.01, total_steps=n)``.
    * ``augment``: ``None`` or a function ``augment(xb, generator)`` returning a
      changed copy of a training batch, e.g. :func:`random_shift`.
    * ``seed``: seeds the generator that shuffles the data and drives ``augment``.
    * ``progress``: show a tqdm progress bar, one step per epoch, with the latest
      losses and validation accuracy (on stdout, or as one updating output in a notebook).
    """
    model = _check_model(model)
    x_train, y_train = _check_images_labels(x_train, y_train, "x_train", "y_train")
    x_valid, y_valid = _check_images_labels(x_valid, y_valid, "x_valid", "y_valid")
    epochs = check_int(epochs, "epochs", minimum=1)
    batch_size = _check_batch_size(batch_size)
    seed = check_int(seed, "seed")
    if not isinstance(opt, torch.optim.Optimizer):
        raise TypeError(f"opt: expected a torch.optim.Optimizer, e.g. torch.optim.SGD(model.parameters(), "
                        f"lr=0.1), got {type(opt).__name__}")
    for name, fn in (("loss_fn", loss_fn), ("scheduler", scheduler), ("augment", augment)):
        if fn is not None and not callable(fn):
            raise TypeError(f"{name}: expected a function or None, got {type(fn).__name__}")

    g = torch.Generator().manual_seed(seed)
    n = len(x_train)
    steps_per_epoch = -(-n // batch_size)                   # ceil(n / batch_size)
    sched = scheduler(opt, epochs * steps_per_epoch) if scheduler is not None else None
    history = History()
    bar = _progress_bar(epochs, desc) if progress else None
    start = time.perf_counter()
    for _ in range(epochs):
        model.train()
        perm = torch.randperm(n, generator=g)
        total_loss = total_correct = 0.0
        for i in range(0, n, batch_size):
            idx = perm[i:i + batch_size]
            xb, yb = x_train[idx], y_train[idx]
            if augment is not None:
                xb = augment(xb, g)
            out = model(xb)
            loss = loss_fn(out, yb)
            opt.zero_grad()
            loss.backward()
            opt.step()
            if sched is not None:
                sched.step()
            total_loss += loss.item() * len(idx)
            total_correct += (out.argmax(1) == yb).sum().item()
        history.train_loss.append(total_loss / n)
        history.train_acc.append(total_correct / n)
        valid_loss, valid_acc = evaluate(model, x_valid, y_valid, loss_fn=loss_fn)
        history.valid_loss.append(valid_loss)
        history.valid_acc.append(valid_acc)
        if bar is not None:
            bar.set_postfix_str(f"loss {history.train_loss[-1]:.3f} (valid {valid_loss:.3f}), "
                                f"valid acc {valid_acc:.3f}", refresh=False)
            bar.update(1)
    history.seconds = time.perf_counter() - start
    if bar is not None:
        bar.close()
    return history


def _progress_bar(total: int, desc: str | None):
    # A text tqdm bar. In a terminal it updates in place on stdout (not stderr, so it is
    # never mistaken for a warning). In a notebook every write to stdout would become its
    # own output in the saved file and on the book's page, so there it goes through
    # _NotebookLine, which keeps a single output and updates it in place.
    from tqdm import tqdm
    return tqdm(total=total, desc=desc or "training", ncols=100, leave=True,
                bar_format="{desc}: {n_fmt}/{total_fmt} epochs |{bar}| {elapsed}<{remaining}{postfix}",
                file=_NotebookLine() if _in_notebook() else sys.stdout)


def _in_notebook() -> bool:
    """True inside a Jupyter kernel (JupyterLab, nbclient), False in a terminal or pytest."""
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None else None
    return shell is not None and hasattr(shell, "kernel")


class _NotebookLine:
    """A file-like object for tqdm that shows only the latest line, in one notebook output."""

    encoding = "utf-8"          # tells tqdm it may draw the bar with Unicode blocks

    def __init__(self):
        self._handle = None

    def write(self, text: str) -> None:
        from IPython.display import Pretty, display
        line = text.replace("\r", "\n").strip().split("\n")[-1]
        if not line:
            return
        if self._handle is None:
            self._handle = display(Pretty(line), display_id=True)
        else:
            self._handle.update(Pretty(line))

    def flush(self) -> None:
        pass


# ------------------------------------------------------------------ plots
def plot_history(history: History, *, title: str | None = None, axs=None):
    """Two panels: loss and accuracy per epoch, training and validation; returns the axes."""
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator
    if not isinstance(history, History):
        raise TypeError(f"history: expected a History returned by fit, got {type(history).__name__}")
    if history.epochs == 0:
        raise ValueError("history: no epochs recorded")
    if axs is None:
        _, axs = plt.subplots(1, 2, figsize=(8, 3))
    epochs = range(1, history.epochs + 1)
    for ax, what in zip(axs, ("loss", "acc")):
        ax.plot(epochs, getattr(history, f"train_{what}"), "o-", label="training")
        ax.plot(epochs, getattr(history, f"valid_{what}"), "s-", label="validation")
        ax.set_xlabel("epoch")
        ax.set_ylabel("cross-entropy loss" if what == "loss" else "accuracy")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.grid(alpha=0.3)
        ax.legend()
    if title:
        axs[0].figure.suptitle(title)
    axs[0].figure.tight_layout()
    return axs
