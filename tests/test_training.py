"""utils.training (Chapter 10): the loop learns, is reproducible, and refuses bad arguments."""
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from utils.training import (History, accuracy, confusion_matrix, evaluate, fit, plot_history,
                            predict, random_shift)


@pytest.fixture(autouse=True)
def _one_thread(one_thread):
    """Every training test runs on one thread (the shared fixture in conftest.py)."""


def toy_data(n=256, seed=0):
    """Two classes of 8x8 images: a bright bar in the top half or in the bottom half."""
    g = torch.Generator().manual_seed(seed)
    y = torch.randint(0, 2, (n,), generator=g)
    x = 0.1 * torch.rand(n, 1, 8, 8, generator=g)
    rows = torch.randint(0, 3, (n,), generator=g)
    for i in range(n):
        r = rows[i] + (5 if y[i] else 0)
        x[i, 0, r, 1:7] += 1.0
    return x[:192], y[:192], x[192:], y[192:]


def tiny_cnn(seed=0):
    torch.manual_seed(seed)
    return nn.Sequential(nn.Conv2d(1, 4, 3, stride=2, padding=1), nn.BatchNorm2d(4), nn.ReLU(),
                         nn.Conv2d(4, 2, 3, stride=2, padding=1), nn.AdaptiveAvgPool2d(1), nn.Flatten())


def train_tiny(seed=0, **kw):
    model = tiny_cnn(seed)
    xt, yt, xv, yv = toy_data()
    opt = torch.optim.SGD(model.parameters(), lr=0.2, momentum=0.9)
    hist = fit(model, xt, yt, xv, yv, epochs=kw.pop("epochs", 6), opt=opt, batch_size=32,
               progress=False, seed=seed, **kw)
    return model, hist


def test_tiny_cnn_learns():
    model, hist = train_tiny()
    assert isinstance(hist, History) and hist.epochs == 6
    assert hist.valid_acc[-1] >= 0.95
    assert hist.train_loss[-1] < hist.train_loss[0]
    assert hist.seconds > 0
    assert not model.training or model.training      # mode is whatever fit left: train
    df = hist.table()
    assert list(df.columns) == ["train_loss", "train_acc", "valid_loss", "valid_acc"]
    assert list(df.index) == list(range(1, 7))


def test_same_seed_same_result_different_seed_different_shuffle():
    m1, h1 = train_tiny(seed=0, epochs=2)
    m2, h2 = train_tiny(seed=0, epochs=2)
    assert h1.train_loss == h2.train_loss and h1.valid_acc == h2.valid_acc
    for a, b in zip(m1.state_dict().values(), m2.state_dict().values()):
        assert torch.equal(a, b)
    _, h3 = train_tiny(seed=1, epochs=2)
    assert h3.train_loss != h1.train_loss


def test_fit_equals_a_hand_written_epoch():
    """One epoch of fit is exactly: permute with the seeded generator, step on each batch."""
    xt, yt, xv, yv = toy_data()
    a, b = tiny_cnn(), tiny_cnn()
    opt_a = torch.optim.SGD(a.parameters(), lr=0.1)
    opt_b = torch.optim.SGD(b.parameters(), lr=0.1)
    fit(a, xt, yt, xv, yv, epochs=1, opt=opt_a, batch_size=50, progress=False, seed=3)
    g = torch.Generator().manual_seed(3)
    perm = torch.randperm(len(xt), generator=g)
    b.train()
    for i in range(0, len(xt), 50):
        idx = perm[i:i + 50]
        loss = F.cross_entropy(b(xt[idx]), yt[idx])
        opt_b.zero_grad()
        loss.backward()
        opt_b.step()
    for pa, pb in zip(a.state_dict().values(), b.state_dict().values()):
        torch.testing.assert_close(pa, pb)


def test_scheduler_and_augment_are_called():
    calls = {"sched": None, "aug": 0}

    def scheduler(opt, total_steps):
        calls["sched"] = total_steps
        return torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=0.1, total_steps=total_steps)

    def augment(xb, g):
        calls["aug"] += 1
        return random_shift(xb, 1, generator=g)

    train_tiny(epochs=2, scheduler=scheduler, augment=augment)
    assert calls["sched"] == 2 * 6 and calls["aug"] == 2 * 6     # 192 images / 32 = 6 batches


def test_progress_bar_goes_to_stdout(capsys):
    model = tiny_cnn()
    xt, yt, xv, yv = toy_data()
    fit(model, xt, yt, xv, yv, epochs=1, opt=torch.optim.SGD(model.parameters(), lr=0.1),
        progress=True, desc="toy")
    out, err = capsys.readouterr()
    assert "toy" in out and "valid acc" in out and err == ""


def test_metrics():
    logits = torch.tensor([[2.0, 1.0], [0.0, 3.0], [1.0, 0.0]])
    y = torch.tensor([0, 1, 1])
    assert accuracy(logits, y) == pytest.approx(2 / 3)
    cm = confusion_matrix(logits.argmax(1), y, num_classes=2)
    assert cm.tolist() == [[1, 0], [1, 1]]
    assert cm.sum() == 3 and cm.trace() == 2
    model = nn.Sequential(nn.Flatten(), nn.Linear(4, 3))
    x = torch.randn(7, 1, 2, 2)
    model.train()
    out = predict(model, x, batch_size=3)
    assert out.shape == (7, 3) and not out.requires_grad and model.training   # mode restored
    loss, acc = evaluate(model, x, torch.zeros(7, dtype=torch.long))
    torch.testing.assert_close(loss, F.cross_entropy(model(x), torch.zeros(7, dtype=torch.long)).item())
    assert 0 <= acc <= 1


def test_predict_uses_eval_mode_for_batch_norm():
    model = nn.Sequential(nn.BatchNorm1d(3))
    x = torch.randn(10, 3) * 5 + 2
    torch.testing.assert_close(predict(model, x), x / (1 + 1e-5) ** 0.5)   # running stats 0 and 1


def test_random_shift_moves_whole_pixels_and_fills_zeros():
    x = torch.zeros(50, 1, 7, 7)
    x[:, 0, 3, 3] = 1.0
    g = torch.Generator().manual_seed(0)
    out = random_shift(x, 2, generator=g)
    assert out.shape == x.shape
    assert torch.equal(out.sum((1, 2, 3)), torch.ones(50))            # the dot stays inside
    pos = out[:, 0].flatten(1).argmax(1)
    dy, dx = pos // 7 - 3, pos % 7 - 3
    assert dy.abs().max() <= 2 and dx.abs().max() <= 2
    assert len(set(zip(dy.tolist(), dx.tolist()))) > 5                # images get different shifts
    torch.testing.assert_close(random_shift(x, 2, generator=torch.Generator().manual_seed(0)), out)
    # a dot in the corner is pushed out by some shifts: zeros move in, nothing wraps around
    corner = torch.zeros(50, 1, 7, 7)
    corner[:, 0, 0, 0] = 1.0
    moved = random_shift(corner, 1, generator=torch.Generator().manual_seed(0))
    assert moved[:, 0, -1, :].sum() == 0 and moved[:, 0, :, -1].sum() == 0
    assert torch.equal(random_shift(x, 0), x)


def test_plot_history():
    _, hist = train_tiny(epochs=2)
    axs = plot_history(hist, title="toy")
    assert len(axs) == 2 and len(axs[0].lines) == 2
    assert list(axs[1].lines[1].get_ydata()) == hist.valid_acc


@pytest.mark.parametrize("kwargs, exc, name", [
    ({"epochs": 0}, ValueError, "epochs"),
    ({"epochs": 1.5}, TypeError, "epochs"),
    ({"batch_size": 0}, ValueError, "batch_size"),
    ({"opt": "sgd"}, TypeError, "opt"),
    ({"model": lambda x: x}, TypeError, "model"),
    ({"y_train": torch.zeros(3, dtype=torch.long)}, ValueError, "x_train, y_train"),
    ({"y_train": torch.zeros(192)}, ValueError, "y_train"),
    ({"x_valid": "images"}, TypeError, "x_valid"),
    ({"scheduler": 3}, TypeError, "scheduler"),
    ({"augment": "shift"}, TypeError, "augment"),
    ({"seed": None}, TypeError, "seed"),
])
def test_fit_rejects_bad_arguments(kwargs, exc, name):
    model = tiny_cnn()
    xt, yt, xv, yv = toy_data()
    args = dict(model=model, x_train=xt, y_train=yt, x_valid=xv, y_valid=yv, epochs=1,
                opt=torch.optim.SGD(model.parameters(), lr=0.1), progress=False)
    args.update(kwargs)
    with pytest.raises(exc, match=rf"^{name}"):
        fit(**args)


def test_helpers_reject_bad_arguments():
    with pytest.raises(ValueError, match="^x"):
        random_shift(torch.zeros(3, 7, 7))
    with pytest.raises(ValueError, match="^max_shift"):
        random_shift(torch.zeros(1, 1, 7, 7), -1)
    with pytest.raises(TypeError, match="^generator"):
        random_shift(torch.zeros(1, 1, 7, 7), 1, generator=0)
    with pytest.raises(ValueError, match="^preds"):
        confusion_matrix(torch.tensor([0, 10]), torch.tensor([0, 1]))
    with pytest.raises(ValueError, match="^preds, targets"):
        confusion_matrix(torch.tensor([0]), torch.tensor([0, 1]))
    with pytest.raises(ValueError, match="^targets"):
        accuracy(torch.zeros(3, 2), torch.zeros(2, dtype=torch.long))
    with pytest.raises(TypeError, match="^model"):
        predict("net", torch.zeros(1, 1))
    with pytest.raises(TypeError, match="^history"):
        plot_history({"train_loss": [1.0]})
    with pytest.raises(ValueError, match="^history"):
        plot_history(History())


def test_notebook_progress_line_keeps_one_updated_output(monkeypatch):
    """In a notebook the bar is one display output, updated in place (not one output per update)."""
    import IPython.display
    from utils.training import _NotebookLine
    shown = []

    class Handle:
        def update(self, obj):
            shown[-1] = obj.data

    def fake_display(obj, display_id=False):
        assert display_id
        shown.append(obj.data)
        return Handle()

    monkeypatch.setattr(IPython.display, "display", fake_display)
    line = _NotebookLine()
    line.write("train:   0%|  | 0/2")
    line.write("\rtrain:  50%|# | 1/2")
    line.write("\rtrain: 100%|##| 2/2")
    line.write("\n")
    line.flush()
    assert shown == ["train: 100%|##| 2/2"]


def test_the_chapters_networks():
    from utils.conv import Conv2d
    from utils.training import conv_block, simple_cnn, tuned_cnn
    x = torch.zeros(2, 1, 28, 28)
    assert simple_cnn()(x).shape == (2, 10) and sum(p.numel() for p in simple_cnn().parameters()) == 5_274
    channels = [1, 16, 32, 64, 128, 10]
    expected = sum(ci * co * 9 + co + 2 * co for ci, co in zip(channels[:-1], channels[1:]))
    assert sum(p.numel() for p in tuned_cnn(width=16).parameters()) == expected
    assert not any(isinstance(m, nn.BatchNorm2d) for m in tuned_cnn(bn=False).modules())
    torch.manual_seed(0)
    ours = tuned_cnn(conv_cls=Conv2d)
    torch.manual_seed(0)
    ref = tuned_cnn()
    assert sum(isinstance(m, Conv2d) for m in ours.modules()) == 5
    assert all(torch.equal(a, b) for a, b in zip(ours.state_dict().values(), ref.state_dict().values()))
    assert [type(m).__name__ for m in conv_block(3, 4, bn=True)] == ["Conv2d", "BatchNorm2d", "ReLU"]
    with pytest.raises(ValueError, match="width"):
        tuned_cnn(width=0)
