"""utils.playground.network: batch-norm folding, the explorer's data and its HTML."""
import base64
import json
import re

import pytest
import torch
from torch import nn

from utils.playground import fold_batchnorm, network_data, network_explorer_html, network_from_data
from utils.receptive_field import receptive_field
from utils.training import simple_cnn, tuned_cnn


def trained_like(width=4, seed=0):
    """A tuned_cnn whose batch norms have non-trivial statistics and affine parameters."""
    torch.manual_seed(seed)
    net = tuned_cnn(width=width)
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for m in net.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.running_mean.normal_(generator=g)
                m.running_var.uniform_(0.5, 2.0, generator=g)
                m.weight.uniform_(0.5, 1.5, generator=g)
                m.bias.normal_(generator=g)
    return net.eval()


def digits(n=5):
    g = torch.Generator().manual_seed(1)
    return torch.randint(0, 256, (n, 28, 28), generator=g) / 255


def test_folding_equals_the_eval_mode_network():
    net = trained_like()
    folded = fold_batchnorm(net)
    assert not any(isinstance(m, nn.BatchNorm2d) for m in folded.modules())
    x = digits()[:, None]
    with torch.no_grad():
        torch.testing.assert_close(folded(x), net(x), atol=1e-4, rtol=1e-4)
    assert net[0][1].running_mean.abs().sum() > 0          # the original is left alone


def test_folding_a_network_without_batch_norm_copies_it():
    torch.manual_seed(0)
    net = simple_cnn().eval()
    folded = fold_batchnorm(net)
    with torch.no_grad():
        torch.testing.assert_close(folded(digits()[:, None]), net(digits()[:, None]))
        folded[0].weight.zero_()
    assert net[0][0].weight.abs().sum() > 0


def test_data_round_trips_exactly_and_carries_the_receptive_fields():
    net = trained_like()
    x, y = digits(), torch.tensor([1, 2, 3, 4, 5])
    data = network_data(net, x, y, y.flip(0))
    json.dumps(data)                                       # JSON-ready
    rebuilt = network_from_data(data)
    folded = fold_batchnorm(net)
    with torch.no_grad():
        torch.testing.assert_close(rebuilt(x[:, None]), folded(x[:, None]), atol=0, rtol=0)
    geometry = receptive_field([m for m in folded if isinstance(m, nn.Conv2d)], input_size=28)
    assert [(s["rf"], s["jump"], s["start"], s["size"]) for s in data["layers"]] == \
           [(g.rf, g.jump, g.start, g.size) for g in geometry]
    assert [s["relu"] for s in data["layers"]] == [True] * 4 + [False]
    assert [s["shape"] for s in data["layers"]][0] == [4, 1, 3, 3]
    stored = torch.frombuffer(bytearray(base64.b64decode(data["digits"])), dtype=torch.uint8).view(5, 28, 28)
    torch.testing.assert_close(stored / 255, x)
    assert data["labels"] == [1, 2, 3, 4, 5] and data["preds"] == [5, 4, 3, 2, 1]


def test_the_chapter_network_stays_small():
    net = trained_like(width=16)
    x = digits(30)
    size = len(json.dumps(network_data(net, x, torch.zeros(30, dtype=torch.long), torch.zeros(30, dtype=torch.long))))
    assert size < 1_000_000


def test_html_holds_the_script_and_the_data():
    net = trained_like()
    h = network_explorer_html(net, digits(2), torch.tensor([0, 1]), torch.tensor([1, 0])).data
    assert "function NetworkExplorer" in h and "const Playground" in h
    eid = re.search(r'<div id="(ne-[0-9a-f]+)"', h).group(1)
    assert f'document.getElementById("{eid}")' in h
    assert network_explorer_html(net, digits(2), torch.tensor([0, 1]), torch.tensor([1, 0])).data == h


@pytest.mark.parametrize("call, exc, match", [
    (lambda: fold_batchnorm(nn.Linear(2, 2)), TypeError, "^model"),
    (lambda: fold_batchnorm(nn.Sequential(nn.BatchNorm2d(2))), ValueError, "^model.*follow"),
    (lambda: fold_batchnorm(nn.Sequential(nn.Conv2d(1, 2, 3), nn.MaxPool2d(2))), ValueError, "^model.*MaxPool2d"),
    (lambda: fold_batchnorm(nn.Sequential(nn.Conv2d(1, 2, 3, dilation=2))), ValueError, "^model"),
    (lambda: network_data(trained_like(), torch.rand(2, 27, 28), torch.zeros(2, dtype=torch.long),
                          torch.zeros(2, dtype=torch.long)), ValueError, "^digits"),
    (lambda: network_data(trained_like(), 2 * torch.rand(2, 28, 28), torch.zeros(2, dtype=torch.long),
                          torch.zeros(2, dtype=torch.long)), ValueError, "^digits.*0, 1"),
    (lambda: network_data(trained_like(), torch.rand(2, 28, 28), torch.zeros(3, dtype=torch.long),
                          torch.zeros(2, dtype=torch.long)), ValueError, "^labels"),
    (lambda: network_data(trained_like(), torch.rand(2, 28, 28), torch.zeros(2, dtype=torch.long),
                          torch.zeros(2)), ValueError, "^preds"),
    (lambda: network_data(tuned_cnn(width=2)[:4], torch.rand(2, 28, 28), torch.zeros(2, dtype=torch.long),
                          torch.zeros(2, dtype=torch.long)), ValueError, "^model.*1x1"),
    (lambda: network_from_data([1]), TypeError, "^data"),
])
def test_bad_arguments_are_named(call, exc, match):
    with pytest.raises(exc, match=match):
        call()
