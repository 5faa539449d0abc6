#!/usr/bin/env bash
# Test hpmagic.integrations against the real libraries, in an environment of their own.
#
#   bash scripts/check-integrations.sh [--setup | --test]     # default: both steps
#
# XGBoost, LightGBM and MLflow are optional extras (hpmagic[xgboost], [lightgbm], [mlflow]) and
# weigh more than a gigabyte installed (XGBoost brings NVIDIA's NCCL, MLflow pyarrow), so the
# main environment (the README's `.[test]`) does not have them: there tests/test_integrations_*.py
# skip what needs them (the refusals of a missing extra run everywhere). --setup makes
# build/integrations with `.[test,xgboost,lightgbm,mlflow]`; --test runs those test files in it.
# CI runs the setup in the background while it builds the docs and the wheel, then the tests.
set -euo pipefail
cd "$(dirname "$0")/.."
export PIP_DISABLE_PIP_VERSION_CHECK=1 PYTHONUNBUFFERED=1
unset PYTHONPATH
venv=build/integrations

setup() {
    local start=$SECONDS
    rm -rf "$venv"
    python3 -m venv "$venv"
    if ! "$venv/bin/python" -m pip install -q -e ".[test,xgboost,lightgbm,mlflow]" >"$venv/pip.log" 2>&1; then
        tail -30 "$venv/pip.log" >&2
        echo "check-integrations: FAILED: hpmagic[test,xgboost,lightgbm,mlflow] does not install" >&2
        return 1
    fi
    echo "check-integrations: ready in $((SECONDS - start)) s ($venv: $(du -sh "$venv" | cut -f1))"
}

run_tests() {
    local start=$SECONDS
    [[ -x "$venv/bin/python" ]] || { echo "check-integrations: no environment: run --setup first" >&2; return 1; }
    "$venv/bin/python" -c 'import xgboost, lightgbm, mlflow; print("check-integrations: xgboost", xgboost.__version__,
        "lightgbm", lightgbm.__version__, "mlflow", mlflow.__version__)'
    # -rs: a test skipped here (a library missing after all) is listed, and the run fails below
    "$venv/bin/python" -m pytest -q -rs tests/test_integrations_*.py | tee "$venv/pytest.log"
    if grep -q "SKIPPED" "$venv/pytest.log"; then
        echo "check-integrations: FAILED: tests were skipped in the environment that has every extra" >&2
        return 1
    fi
    echo "check-integrations: passed in $((SECONDS - start)) s"
}

case "${1:-}" in
    --setup) setup ;;
    --test) run_tests ;;
    *) setup && run_tests ;;
esac
