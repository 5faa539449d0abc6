"""What the live display costs: 2,000 trials of a trivial objective, live panel vs --quiet.

Both runs happen in one real Jupyter kernel (ipykernel, started by jupyter_client), where the
panel's widget messages really travel over ZMQ to this client, as they would to JupyterLab.
Runs alternate (quiet, live, quiet, live, ...) after a warm-up of each, so imports
(matplotlib, ipywidgets) and machine noise do not favour either side; the medians are
compared.  The pass mark is at most 10% extra wall time.  The number of widget update
messages the kernel sent during one live run is printed, next to the number of trials.

    python benchmarks/display.py                 # 2,000 trials, 5 repeats
    python benchmarks/display.py --trials 500 --repeats 5
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys

from _common import CELL  # benchmarks/ is on sys.path when run as a script
from jupyter_client.manager import start_new_kernel

SETUP = f"""
import time, json, hpmagic
from hpmagic.display.widget import WidgetReporter
CELL = {CELL!r}

def timed(trials, live):
    reporter = WidgetReporter() if live else None
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
    out = "".join(m["content"]["text"] for m in messages if m["msg_type"] == "stream" and m["content"]["name"] == "stdout")
    return messages, out


def measure(kc, trials: int, live: bool) -> tuple[dict, int]:
    messages, out = execute(kc, f"print(timed({trials}, {live}))")
    comm_msgs = sum(1 for m in messages if m["msg_type"] == "comm_msg")
    return json.loads(out.strip().splitlines()[-1]), comm_msgs


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=2000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--limit", type=float, default=0.10, help="allowed extra wall time (default 0.10 = 10%%)")
    args = parser.parse_args()

    km, kc = start_new_kernel(kernel_name="python3")
    try:
        _, out = execute(kc, "import sys; print(sys.executable)")
        print(f"kernel: {out.strip()} (this client: {sys.executable})")
        execute(kc, SETUP)
        measure(kc, 200, False)  # warm-up: imports, caches
        measure(kc, 200, True)
        quiet, live, sent = [], [], []
        for _ in range(args.repeats):
            q, _ = measure(kc, args.trials, False)
            v, comm_msgs = measure(kc, args.trials, True)
            quiet.append(q["seconds"])
            live.append(v["seconds"])
            sent.append((v["updates"], comm_msgs, v["plots"]))
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)

    q, v = statistics.median(quiet), statistics.median(live)
    extra = (v - q) / q
    updates, comm_msgs, plots = sent[len(sent) // 2]
    print(f"{args.trials} trials, {args.repeats} alternating repeats, medians")
    print(f"  --quiet      {q:7.3f} s   ({1e3 * q / args.trials:.3f} ms/trial)   runs: {', '.join(f'{x:.3f}' for x in quiet)}")
    print(f"  live panel   {v:7.3f} s   ({1e3 * v / args.trials:.3f} ms/trial)   runs: {', '.join(f'{x:.3f}' for x in live)}")
    print(f"  extra wall time: {100 * extra:+.1f}% (limit {100 * args.limit:.0f}%)")
    print(f"  widget updates sent in one live run: {updates} counted by the panel, {comm_msgs} comm messages "
          f"received by the client, {plots} convergence plot renders, for {args.trials} trials")
    ok = extra <= args.limit
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
