"""Which convolution algorithm wins where, on this machine: a speed map and a roofline.

`python benchmarks/speed_map.py` (add `--rounds 5` for steadier numbers, `--device cuda`
on a GPU) runs the measurements of Chapter 8, which live in :mod:`utils.roofline`:

1. the roofline's two ceilings, memory bandwidth (a large copy) and float32 matmul
   throughput, then every method's throughput on a few layer shapes (``roofline``);
2. the speed map (``speed_map``): direct (`F.conv2d`), the book's im2col
   (`conv2d_unfold`), FFT (`conv2d_fft`) and Winograd F(2x2, 3x3) and F(4x4, 3x3)
   (`conv2d_winograd`, 3x3 kernels only) on every layer of a grid -- channels 1/16/64
   (in = out), image 7/28/112, kernel 1/3/7/15 ("same" padding), batch 1/64 -- timed
   interleaved shape by shape;

and writes `benchmarks/speed_map.json` and `benchmarks/speed_map.png`.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from utils.roofline import plot_roofline, plot_speed_map, roofline, speed_map  # noqa: E402


def measure(rounds: int = 3, device: str = "cpu", verbose: bool = True) -> dict:
    """Measure the roofline and the speed map, write speed_map.json and speed_map.png, and
    return a summary (ceilings, wins per method, seconds) for results.json and the README."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    roof = roofline(device=device)
    if verbose:
        print(f"memory bandwidth {roof['bandwidth_gbs']:.1f} GB/s, matmul {roof['peak_gflops']:.0f} GFLOP/s, "
              f"ridge {roof['ridge']:.1f} FLOP/byte")
        for name, layer in roof["layers"].items():
            print(f"  {name:18s} I={layer['intensity']:6.1f} (GEMM {layer['gemm_intensity']:5.1f})  " +
                  "  ".join(f"{m} {g:6.1f}" for m, g in layer["gflops"].items()))
    result = speed_map(rounds=rounds, device=device)
    result["roofline"] = {**roof, "layers": {name: {k: v for k, v in layer.items() if k != "timing"}
                                             for name, layer in roof["layers"].items()}}
    wins = {}
    for r in result["rows"]:
        wins[r["winner"]] = wins.get(r["winner"], 0) + 1
    if verbose:
        print(f"speed map: {len(result['rows'])} layers in {result['seconds']:.1f} s; wins: {wins}")
    (HERE / "speed_map.json").write_text(json.dumps(result, indent=1))
    fig, axs = plt.subplots(1, 2, figsize=(15, 5.6), gridspec_kw={"width_ratios": [1.25, 1]})
    plot_speed_map(result, axs[0])
    plot_roofline(roof, axs[1])
    fig.tight_layout()
    fig.savefig(HERE / "speed_map.png", dpi=90)
    plt.close(fig)
    return {"layers": len(result["rows"]), "wins": wins, "seconds": result["seconds"],
            "bandwidth_gbs": roof["bandwidth_gbs"], "peak_gflops": roof["peak_gflops"]}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rounds", type=int, default=3, help="timed rounds per layer (default 3)")
    ap.add_argument("--device", default="cpu", help="cpu or cuda")
    args = ap.parse_args(argv)
    measure(args.rounds, args.device)
    print(f"wrote {HERE / 'speed_map.json'} and {HERE / 'speed_map.png'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
