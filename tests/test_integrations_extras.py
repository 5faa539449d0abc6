"""Each integration is an optional extra: nothing heavy is imported until used, and a missing
library is refused with the command that installs it (tested in a fresh interpreter where the
library is hidden: ``sys.modules[name] = None`` makes its import fail as if it were absent)."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest


def run(code: str) -> str:
    done = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_importing_hpmagic_and_its_integrations_imports_no_framework():
    out = run("""
        import sys, hpmagic, hpmagic.integrations
        from hpmagic.integrations import mlflow, watch
        print(sorted(m for m in ("xgboost", "lightgbm", "mlflow") if m in sys.modules))
    """)
    assert out == "[]"


@pytest.mark.parametrize(
    ("name", "module", "extra"),
    [
        ("XGBoostCallback", "xgboost", "xgboost"),
        ("LightGBMCallback", "lightgbm", "lightgbm"),
    ],
)
def test_a_callback_without_its_framework_is_refused_with_the_install_command(name, module, extra):
    out = run(f"""
        import sys
        sys.modules[{module!r}] = None
        from hpmagic.errors import MissingExtraError
        try:
            from hpmagic.integrations import {name}
        except MissingExtraError as exc:
            print(type(exc).__mro__[1].__name__, isinstance(exc, ImportError), exc)
    """)
    assert out == (
        f"HpmagicError True hpmagic.integrations.{name} needs {module}, which is not installed here; "
        f"install it with pip install 'hpmagic[{extra}]' (or pip install {module})"
    )


def test_log_mlflow_without_mlflow_is_refused_before_anything_runs():
    out = run("""
        import sys
        sys.modules["mlflow"] = None
        import hpmagic
        from hpmagic.errors import MissingExtraError
        namespace = {}
        try:
            hpmagic.tune("x = 1.0  # tune: uniform(0, 2)\\nran = True\\nx", namespace, trials=2, quiet=True, log="mlflow")
        except MissingExtraError as exc:
            print(exc, "|", sorted(k for k in namespace if not k.startswith("__")))
    """)
    assert out == (
        "--log mlflow needs mlflow, which is not installed here; install it with "
        "pip install 'hpmagic[mlflow]' (or pip install mlflow) | []"
    )
