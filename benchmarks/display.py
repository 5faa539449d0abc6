"""What the live display costs: 2,000 trials of a trivial objective, live panel vs --quiet.

Both runs happen in one real Jupyter kernel (ipykernel, started by jupyter_client), where the
panel's widget messages really travel over ZMQ to this client, as they would to JupyterLab.
After a warm-up of each (imports: matplotlib, ipywidgets), the runs come in pairs, one quiet
and one live, in alternating order.  A run is only about 0.1 s, and on a shared virtual
machine the same run varies by tens of percent from one moment to the next, so the figure
that decides is the median over the pairs of the ratio live / quiet (the two runs of a pair
are seconds apart and see the same machine); the medians of each side are printed too.  The
pass mark is at most 10% extra wall time.  The number of widget update messages the kernel
sent during one live run is printed, next to the number of trials (the panel is display
outputs updated in place: update_display_data messages, no widget comms).

    python -m benchmarks.display                 # 2,000 trials, 101 pairs (about 40 s)
    python -m benchmarks.display --trials 10000 --repeats 11
    python -m benchmarks.display --summary       # the summary's render time and HTML size, 100 and 10,000 trials

With ``--summary`` no kernel is started: the static summary (``result._repr_html_()``, what a
notebook saves) is rendered in this process for searches of 100 and 10,000 trials (the same
cell, random, seed 0), best of 3 renders after a warm-up, with its size; and the saved report's.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys

from jupyter_client.manager import start_new_kernel

from .trivial_cell import CELL

SETUP = f"""
import gc, time, json, hpmagic
from hpmagic.display.widget import WidgetReporter
CELL = {CELL!r}

def timed(trials, live):
    reporter = WidgetReporter() if live else None
    gc.collect()  # the same heap for both sides: no collection left over from the run before
    start = time.perf_counter()
    hpmagic.tune(CELL, {{}}, trials=trials, strategy="random", seed=0, apply=False,
                 **({{"display": reporter}} if live else {{"quiet": True}}))
    seconds = time.perf_counter() - start
    return json.dumps({{"seconds": seconds, "updates": reporter.updates if live else 0,
                       "plots": reporter.plot_draws if live else 0}})
"""


def execute(kc, code: str, timeout: float = 600) -> tuple[list[dict], str]:
    """Run code in the kernel; return its iopub messages and its stdout."""
    msg_id = kc.execute(code)
    messages = []
    while True:
        msg = kc.get_iopub_msg(timeout=timeout)
        if msg["parent_header"].get("msg_id") != msg_id:
            continue
        messages.append(msg)
        if msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
            break
    reply = kc.get_shell_msg(timeout=timeout)
    if reply["content"]["status"] != "ok":
        raise RuntimeError("the kernel failed:\n" + "\n".join(reply["content"].get("traceback", [])))
    out = "".join(
        m["content"]["text"] for m in messages if m["msg_type"] == "stream" and m["content"]["name"] == "stdout"
    )
    return messages, out


KINDS = ("comm_open", "comm_msg", "comm_close", "display_data", "update_display_data")


def measure(kc, trials: int, live: bool) -> tuple[dict, dict]:
    messages, out = execute(kc, f"print(timed({trials}, {live}))")
    counts = {kind: sum(1 for m in messages if m["msg_type"] == kind) for kind in KINDS}
    return json.loads(out.strip().splitlines()[-1]), counts


def summary_figures(sizes: tuple[int, ...] = (100, 10_000), repeats: int = 3) -> None:
    """The static summary's render time and size (see the module docstring)."""
    import tempfile
    import time
    from pathlib import Path

    import hpmagic

    for n in sizes:
        result = hpmagic.tune(CELL, {}, trials=n, strategy="random", seed=0, quiet=True, apply=False)
        result._repr_html_()  # warm-up: matplotlib's imports and caches
        times = []
        for _ in range(repeats):
            start = time.perf_counter()
            html = result._repr_html_()
            times.append(time.perf_counter() - start)
        line = f"{n:>6} trials: summary {min(times):6.3f} s, {len(html.encode()) / 1024:8.1f} KiB"
        if hasattr(result, "save"):
            with tempfile.TemporaryDirectory() as folder:
                start = time.perf_counter()
                path = result.save(Path(folder) / "report.html")
                line += f"; report {time.perf_counter() - start:6.3f} s, {path.stat().st_size / 1024:8.1f} KiB"
        print(line)


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.display", description=__doc__.splitlines()[0])
    parser.add_argument("--summary", action="store_true", help="the static summary's render time and size instead")
    parser.add_argument("--trials", type=int, default=2000)
    parser.add_argument("--repeats", type=int, default=101, help="pairs of runs (default 101)")
    parser.add_argument("--limit", type=float, default=0.10, help="allowed extra wall time (default 0.10 = 10%%)")
    args = parser.parse_args()
    if args.summary:
        summary_figures()
        return 0

    km, kc = start_new_kernel(kernel_name="python3")
    try:
        _, out = execute(kc, "import sys; print(sys.executable)")
        print(f"kernel: {out.strip()} (this client: {sys.executable})")
        execute(kc, SETUP)
        measure(kc, 200, False)  # warm-up: imports, caches
        measure(kc, 200, True)
        quiet, live, sent = [], [], []
        for i in range(args.repeats):
            pair = {live: measure(kc, args.trials, live) for live in ((True, False) if i % 2 else (False, True))}
            (q, _), (v, counts) = pair[False], pair[True]
            quiet.append(q["seconds"])
            live.append(v["seconds"])
            sent.append((v["updates"], counts, v["plots"]))
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)

    ratios = sorted(v / q for q, v in zip(quiet, live))
    extra = statistics.median(ratios) - 1
    quartiles = statistics.quantiles(ratios, n=4)
    q, v = statistics.median(quiet), statistics.median(live)
    updates, counts, plots = sent[len(sent) // 2]
    print(f"{args.trials} trials, {args.repeats} pairs of runs (quiet and live, in alternating order)")
    print(
        f"  --quiet      median {q:6.3f} s   ({1e3 * q / args.trials:.3f} ms/trial)   runs: {', '.join(f'{x:.3f}' for x in quiet)}"
    )
    print(
        f"  live panel   median {v:6.3f} s   ({1e3 * v / args.trials:.3f} ms/trial)   runs: {', '.join(f'{x:.3f}' for x in live)}"
    )
    print(
        f"  extra wall time (median of the pairs' ratios): {100 * extra:+.1f}% (limit {100 * args.limit:.0f}%); "
        f"quartiles of the ratios {100 * (quartiles[0] - 1):+.1f}% .. {100 * (quartiles[2] - 1):+.1f}%"
    )
    print(
        f"  panel updates sent in one live run of {args.trials} trials: {updates} counted by the panel, "
        f"{counts['update_display_data']} update_display_data received by the client (the final state included); {plots} convergence plot renders; all messages the client "
        f"received: " + ", ".join(f"{counts[kind]} {kind}" for kind in KINDS)
    )
    ok = extra <= args.limit
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
