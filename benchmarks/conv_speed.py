"""How fast are the book's convolutions compared with PyTorch's own? (scratch timing script)

Run: ``.venv/bin/python benchmarks/conv_speed.py``. Prints two ratios, each
measured *interleaved* in one process with ``utils.timing`` (ours, theirs, ours,
theirs, ...; the median of the per-round ratios after a warm-up), with torch's
default threads:

1. ``conv2d_unfold`` / ``F.conv2d``, forward only, on a batch
   64x16x28x28 float32 with a 32x16x3x3 kernel, padding 1 (target <= 2.0).
2. forward + backward of the training chapter's MNIST networks
   (``utils.training``) built with ``utils.conv.Conv2d`` / with ``nn.Conv2d``
   (target <= 1.25): "training" is ``tuned_cnn(width=16)``, "bn" is
   ``tuned_cnn(width=8)`` (8-16-32-64-10 with BatchNorm+ReLU), "simple" is
   ``simple_cnn()``, the fast.ai simple CNN (4-8-16-16-10, ReLU only); all 3x3,
   stride 2, padding 1, batch 64x1x28x28, cross-entropy loss. (The notes below
   were taken when "bn" had no batch norm after its last convolution.)

What each variant measured: ratio ours / PyTorch (lower is better; throughput = 1/ratio).
Machine: 2-core AMD EPYC VM (AVX-512). PyTorch's matmul runs MKL (~185 GFLOP/s on
a 1024x1024 matmul here; MKL is not tuned for AMD), while F.conv2d / nn.Conv2d run
oneDNN (~250 GFLOP/s effective on the batch case) -- so on this machine any matmul
formulation starts about 2x behind. Other jobs shared the
machine; the numbers below were repeated, spread about +-0.15.

conv2d_unfold forward, batch case (F.conv2d 1.7-1.9 ms):
  F.unfold + broadcast matmul + bias add (= conv2d_unfold_naive)     4.4-4.7  (21-23%)
  same, bias fused with torch.baddbmm                                4.6
  K-first patches (C*kH*kW, N*H*W), one 2-D addmm, permuted output    3.5
  channels-last patches (N*H*W, kH*kW*C), one 2-D addmm               2.7-3.3
  channels-last patches, per-image bmm giving N,C,H,W directly        2.9-3.1
  "flat shift" patches: rows run across the padded width (840 floats
    contiguous per copy), 7% larger matmul, cropped output            2.9
  partial im2col (unfold kW only; kH taps as matmul rows, 3 shifted
    adds -- "MEC")                                                    2.7
  no im2col (kH*kW*C_out x C matmul then 9 shifted adds -- "kn2row")  14
  batch in chunks of 8 images (cache-sized cols; not ONE matmul)      5-9 (loaded machine)
  as_strided patch view of the F.pad-ded N,C,H,W input + reshape (one
    copy) + ONE broadcast matmul, bias added in place
    (= conv2d_unfold)                                                 2.4-2.7  (37-42%)
  same, bias fused with baddbmm                                       2.4-2.7
  same, matmul on the transposed view, output (N, L, C_out) permuted  2.5-2.65
  parts of conv2d_unfold: the matmul alone 1.9-2.05, the patch copy 0.42 --
  so the <= 2.0 target is out of reach with one MKL matmul on this CPU.

Conv2d network forward+backward, ratio (bn net, simple net):
  [forward N,C,H,W patches + bmm; dW = bmm + sum; dX = F.fold(W^T @ G)]   1.56, 1.14
  same, dX = F.conv_transpose2d                                            1.46, 1.27
  same, dX = hand-written fold (9 strided adds)                            1.96, 1.50
  K-first patches (K, N*L), 2-D addmm, output permuted; dW one 2-D mm;
    dX = F.fold                                                            1.43, 1.09
  ... + output made contiguous                                             1.36, 1.13
  ... + dX = F.conv_transpose2d (contiguous / not)                  1.31, 1.18 / 1.39, 1.20
  row patches from N,C,H,W (N*L, K), addmm; dX = F.fold                    1.47, 1.15
  ... dX = F.conv_transpose2d                                              1.28, 1.17
  channels-last row patches (pad the N,H,W,C view; inner runs of kW*C
    floats), addmm with bias, output a channels-last view (no copy),
    dW = G^T @ J one mm with the saved J, db = G.sum:
      dX = F.fold (col2im; needs a permute copy)                           1.50-1.70, 1.15-1.20
      dX = hand-written fold, channels-last (9 strided adds)               1.25-1.37, 1.20-1.24
      dX = F.conv_transpose2d (full conv with the rotated kernel)
        (= Conv2dFunction)                                  1.08-1.16 (quiet), 1.28-1.41 (later,
                                                            busier machine), 0.99-1.12
      ... + output made contiguous (F.conv2d's layout)                     1.39-1.43, 1.25-1.26
      ... + contiguous only when C_out < 16                                1.37-1.40, 1.21-1.24
      ... + N,C,H,W output from a per-image matmul (W @ J_n^T)             1.46-1.48, 1.26-1.27
  (same session, side by side, "final" measured 1.31-1.41 / 1.05-1.12: it stays the best.)
  Why the bn net lags: BatchNorm+ReLU fwd+bwd on a channels-last 64x8x14x14 tensor
  takes 2.2x as long as on a contiguous one (0.59 vs 0.27 ms; for 64 channels it is
  faster), but making the output contiguous costs more than it saves.
  The first layer never computes dX (needs_input_grad[0] is False for the data).
  Per layer (1 thread), the N,C,H,W patch copy of a 7x7 or 4x4 image cost 200-320 us
  against 12-70 us channels-last; F.fold 160-700 us against conv_transpose2d 70-430 us.
"""
from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F

from utils.conv import Conv2d, conv2d_unfold, conv2d_unfold_naive
from utils.timing import ratio, time_interleaved
from utils.training import simple_cnn, tuned_cnn


def _interleaved(f_ours, f_ref, repeats: int, warmup: int) -> dict:
    """``utils.timing.time_interleaved`` of the pair: median per-round ratio and median times."""
    t = time_interleaved({"ours": f_ours, "ref": f_ref}, rounds=repeats, warmup=warmup)
    return {"ratio": ratio(t, "ours", "ref"), "ours_ms": 1e3 * t["ours"].median,
            "ref_ms": 1e3 * t["ref"].median, "repeats": repeats}


def measure_unfold_ratio(impl=conv2d_unfold, repeats: int = 50, warmup: int = 10,
                         shape=(64, 16, 28, 28), out_channels: int = 32) -> dict:
    """Forward time of ``impl`` over ``F.conv2d`` on the batch case (3x3 kernel, padding 1)."""
    torch.manual_seed(0)
    x = torch.randn(*shape)
    w = torch.randn(out_channels, shape[1], 3, 3)
    b = torch.randn(out_channels)
    with torch.no_grad():
        torch.testing.assert_close(impl(x, w, b, 1, 1, 1), F.conv2d(x, w, b, 1, 1), rtol=1e-4, atol=1e-4)
        return _interleaved(lambda: impl(x, w, b, 1, 1, 1), lambda: F.conv2d(x, w, b, 1, 1), repeats, warmup)


#: the networks timed: name -> function(conv_cls) building it (Chapter 10's, from utils.training)
NETWORKS = {
    "training": lambda conv_cls: tuned_cnn(width=16, conv_cls=conv_cls),   # the one the book trains
    "bn": lambda conv_cls: tuned_cnn(width=8, conv_cls=conv_cls),          # the narrower variant
    "simple": lambda conv_cls: simple_cnn(conv_cls=conv_cls),              # the fast.ai simple CNN
}


def measure_module_ratio(network: str = "bn", conv_cls=Conv2d, repeats: int = 100, warmup: int = 20,
                         batch: int = 64) -> dict:
    """Forward+backward time of network ``network`` built with ``conv_cls`` over the same with nn.Conv2d."""
    nets = []
    for cls in (conv_cls, nn.Conv2d):
        torch.manual_seed(0)                      # identical initial weights
        nets.append(NETWORKS[network](cls))
    x = torch.randn(batch, 1, 28, 28)
    y = torch.randint(0, 10, (batch,))

    def step(net):
        net.zero_grad(set_to_none=True)
        F.cross_entropy(net(x), y).backward()
    return _interleaved(lambda: step(nets[0]), lambda: step(nets[1]), repeats, warmup)


def main():
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads")
    for impl in (conv2d_unfold_naive, conv2d_unfold):
        r = measure_unfold_ratio(impl)
        print(f"{impl.__name__:19s} / F.conv2d, forward 64x16x28x28 * 32x16x3x3: ratio {r['ratio']:.2f} "
              f"({r['ours_ms']:.2f} ms vs {r['ref_ms']:.2f} ms, median of {r['repeats']})")
    for name in NETWORKS:
        r = measure_module_ratio(name)
        print(f"Conv2d / nn.Conv2d, {name:8s} MNIST net fwd+bwd, batch 64: ratio {r['ratio']:.2f} "
              f"({r['ours_ms']:.2f} ms vs {r['ref_ms']:.2f} ms, median of {r['repeats']})")


if __name__ == "__main__":
    main()
