"""Write the README's measured tables from benchmarks/results.json (never typed by hand).

Usage:
    python scripts/readme_tables.py                              # rewrite the README's blocks
    python scripts/readme_tables.py --record-test-times FILE     # first add a `make test` run
    python scripts/readme_tables.py --record-ci-run FILE         # first add a `.ci/run` run
    python scripts/readme_tables.py --check                      # exit 1 if the README is stale

Each generated block sits between ``<!-- NAME:start -->`` and ``<!-- NAME:end -->``
comments in README.md and is replaced whole; text outside the blocks is left alone.
Blocks: ``bench`` (the benchmark tables of `make bench`) and ``times`` (notebook execution
times from `make bench`, and the last `make test` runs recorded from the report that
scripts/test.sh writes to _build/logs/test_times.json, and of `.ci/run` on a fresh clone from
_build/logs/ci_run.json).
"""
from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results.json"
README = ROOT / "README.md"
KEEP_TEST_RUNS = 3
BESIDE_NBVAL = ("unit", "book")     # the stages scripts/test.sh runs at the same time as nbval

sys.path.insert(0, str(ROOT))
from utils.timing import fmt_time  # noqa: E402


def _range(values, fmt) -> str:
    lo, hi = min(values), max(values)
    return fmt(lo) if fmt(lo) == fmt(hi) else f"{fmt(lo)}–{fmt(hi)}"


def machine_line(r: dict) -> str:
    m = r["machine"]
    return (f"measured on: {m['cpu']}, {m['cores']} cores, torch {m['torch']} with {m['threads']} threads, "
            f"{r['date']}{' (quick run)' if r.get('quick') else ''}")


def bench_block(r: dict) -> str:
    batch = next(c for c in r["forward"] if c["case"].startswith("batch"))
    digit = next(c for c in r["forward"] if c["case"].startswith("one digit"))
    lines = [f"_{machine_line(r)}_", "",
             f"Forward pass, {batch['case']} ({batch['flops'] / 1e6:.0f} MFLOP); the practical ceiling, a "
             f"{r['matmul']['n']}×{r['matmul']['n']} float32 matrix multiply, ran at "
             f"{r['matmul']['gflops']:.0f} GFLOP/s:", "",
             "| implementation | median (min–max) | GFLOP/s | time vs `F.conv2d` |", "| --- | --- | --- | --- |"]
    for name, x in batch["results"].items():
        lines.append(f"| `{name}` | {fmt_time(x['median_s'])} ({fmt_time(x['min_s'])}–{fmt_time(x['max_s'])}) "
                     f"| {x['gflops']:.0f} | {x['ratio_to_conv2d']:.2f} |")
    if "conv2d_loops" in digit["results"]:
        loops = digit["results"]["conv2d_loops"]
        lines += ["", f"On one 28×28 digit the Python loops take {fmt_time(loops['median_s'])}, "
                      f"{loops['ratio_to_conv2d']:.0f}× `F.conv2d`."]
    if r.get("crossover"):
        last = r["crossover"][-1]
        k = r.get("crossover_k")
        lines += ["", (f"On a 256×256 image the FFT beats the direct convolution from a {k}×{k} kernel on "
                       if k else "On a 256×256 image the FFT never stays ahead of the direct convolution ")
                  + f"(at {last['k']}×{last['k']} the direct one takes {1 / last['fft_ratio']:.1f}× as long)."]
    names = {"training": "Chapter 10's network, `tuned_cnn(width=16)`", "bn": "`tuned_cnn(width=8)`",
             "simple": "the fast.ai simple CNN, `simple_cnn()`"}
    lines += ["", "Forward + backward, batch 64:", "",
              "| network | book's `Conv2d` | `nn.Conv2d` | ratio |", "| --- | --- | --- | --- |"]
    for net, x in r["module"].items():
        lines.append(f"| {names.get(net, net)} | {x['ours_ms']:.2f} ms | {x['ref_ms']:.2f} ms | {x['ratio']:.2f} |")
    sm = r.get("speed_map")
    if sm:
        wins = ", ".join(f"{m} {n}" for m, n in sorted(sm["wins"].items(), key=lambda kv: -kv[1]))
        lines += ["", f"Chapter 8's speed map (`benchmarks/speed_map.py`): the fastest method on each of "
                      f"{sm['layers']} layer shapes, measured in {sm['seconds']:.0f} s; wins: {wins}. "
                      f"Roofline: memory bandwidth {sm['bandwidth_gbs']:.0f} GB/s, float32 matmul "
                      f"{sm['peak_gflops']:.0f} GFLOP/s."]
    return "\n".join(lines)


def times_block(r: dict) -> str:
    lines = ["| what | time |", "| --- | --- |"]
    nbs = r.get("notebooks")
    if nbs:
        slowest = max(nbs["per_notebook_s"], key=nbs["per_notebook_s"].get)
        lines.append(f"| executing all {len(nbs['per_notebook_s'])} notebooks once (`make bench`) | "
                     f"{nbs['total_s']:.0f} s (slowest: {slowest}, {nbs['per_notebook_s'][slowest]:.0f} s) |")
    runs = r.get("make_test", [])
    if runs:
        def took(stage):
            return f"{stage} {_range([run['stages'].get(stage, 0) for run in runs], lambda v: f'{v:.0f}')} s"

        stages = [s for s in ("nbval", "browser") if s in runs[-1]["stages"]]
        stages += [s for s in runs[-1]["stages"] if s not in stages + list(BESIDE_NBVAL)]
        beside = [s for s in BESIDE_NBVAL if s in runs[-1]["stages"]]
        per_stage = ", ".join(took(s) + (f" (with {' and '.join(took(b) for b in beside)} beside it)"
                                         if s == "nbval" and beside else "") for s in stages)
        lines.append(f"| `make test`, warm virtual environment ({len(runs)} run{'s' * (len(runs) > 1)}) | "
                     f"{_range([run['total_s'] for run in runs], lambda v: f'{v:.0f}')} s: {per_stage} |")
    ci = r.get("ci_run", [])
    if ci:
        installed = sorted({p for run in ci for p in run.get("installed", "").split()})
        lines.append(f"| `.ci/run` on a fresh clone: installs{' (' + ', '.join(installed) + ')' if installed else ''}, "
                     f"venv, vendored assets, `make test` ({len(ci)} run{'s' * (len(ci) > 1)}) | "
                     f"{_range([run['total_s'] for run in ci], lambda v: f'{v:.0f}')} s |")
    if runs:
        loads = ", ".join(run.get("load", "?") for run in runs)
        lines += ["", f"_`make test`: {runs[-1].get('machine', '?')}; load averages at the start: {loads}_"]
    if nbs:
        lines += ["", f"_notebooks: {machine_line(r)}_"]
    return "\n".join(lines)


def replace_block(text: str, name: str, body: str) -> str:
    pattern = re.compile(rf"(<!-- {name}:start -->\n).*?(<!-- {name}:end -->)", re.S)
    if not pattern.search(text):
        raise SystemExit(f"README.md has no <!-- {name}:start --> ... <!-- {name}:end --> block")
    return pattern.sub(lambda m: m.group(1) + body.rstrip() + "\n" + m.group(2), text)


def render(r: dict, text: str) -> str:
    return replace_block(replace_block(text, "bench", bench_block(r)), "times", times_block(r))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--record-test-times", type=Path, metavar="FILE",
                    help="add the `make test` run in FILE (written by scripts/test.sh) to results.json")
    ap.add_argument("--record-ci-run", type=Path, metavar="FILE",
                    help="add the `.ci/run` run in FILE (written by .ci/run) to results.json")
    ap.add_argument("--check", action="store_true", help="only check that the README is up to date")
    args = ap.parse_args(argv)
    r = json.loads(RESULTS.read_text())
    if args.record_test_times:
        run = json.loads(args.record_test_times.read_text())
        # a range only means something on one machine: a run on another one starts afresh
        same = [old for old in r.get("make_test", []) if old.get("machine") == run.get("machine")]
        r["make_test"] = (same + [run])[-KEEP_TEST_RUNS:]
        RESULTS.write_text(json.dumps(r, indent=1))
    if args.record_ci_run:
        run = json.loads(args.record_ci_run.read_text())
        if run.get("mode") == "test":
            same = [old for old in r.get("ci_run", []) if old.get("machine") == run.get("machine")]
            r["ci_run"] = (same + [run])[-KEEP_TEST_RUNS:]
            RESULTS.write_text(json.dumps(r, indent=1))
    text = README.read_text()
    new = render(r, text)
    if args.check:
        if new != text:
            print("README.md's measured tables are stale: run `make readme`", file=sys.stderr)
            return 1
        return 0
    README.write_text(new)
    print(f"wrote the measured tables of {README.name} from {RESULTS.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
