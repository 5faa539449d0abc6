"""A real Jupyter kernel running this interpreter, for tests."""

from __future__ import annotations

import json
import sys
from contextlib import contextmanager
from pathlib import Path

from jupyter_client import KernelManager
from jupyter_client.kernelspec import KernelSpecManager


@contextmanager
def running_kernel(tmp_path: Path, cwd: Path | None = None):
    """Start an ipykernel on this very Python (not whatever `python` is on PATH)."""
    spec_dir = tmp_path / "kernels" / "hpmagic-test"
    spec_dir.mkdir(parents=True, exist_ok=True)
    (spec_dir / "kernel.json").write_text(
        json.dumps(
            {
                "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
                "display_name": "hpmagic test",
                "language": "python",
            }
        )
    )
    ksm = KernelSpecManager(kernel_dirs=[str(tmp_path / "kernels")])
    km = KernelManager(kernel_name="hpmagic-test", kernel_spec_manager=ksm)
    km.start_kernel(cwd=str(cwd or tmp_path))
    kc = km.client()
    kc.start_channels()
    try:
        kc.wait_for_ready(timeout=60)
        yield km, kc
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)


def execute(kc, code: str, timeout: float = 120) -> tuple[dict, list[dict]]:
    """Run code; return (execute_reply content, iopub messages of that request)."""
    msg_id = kc.execute(code)
    messages = iopub(kc, msg_id, timeout)
    return wait_reply(kc, msg_id, timeout), messages


def iopub(kc, msg_id: str, timeout: float = 120) -> list[dict]:
    """The iopub messages of request ``msg_id``, up to its end (the kernel going idle)."""
    messages = []
    while True:
        msg = kc.get_iopub_msg(timeout=timeout)
        if msg["parent_header"].get("msg_id") != msg_id:
            continue
        messages.append(msg)
        if msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
            return messages


def wait_reply(kc, msg_id: str, timeout: float = 60) -> dict:
    """The content of the execute_reply to request ``msg_id``."""
    reply = kc.get_shell_msg(timeout=timeout)
    while reply["parent_header"].get("msg_id") != msg_id:
        reply = kc.get_shell_msg(timeout=timeout)
    return reply["content"]


def stream_text(messages: list[dict], name: str = "stdout") -> str:
    return "".join(m["content"]["text"] for m in messages if m["msg_type"] == "stream" and m["content"]["name"] == name)
