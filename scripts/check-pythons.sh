#!/usr/bin/env bash
# Run hpmagic's fast test subset on other Python versions (the full suite runs on 3.11).
#
#   bash scripts/check-pythons.sh [--setup | --test] [VERSION ...]     # default: both steps, 3.12 3.13
#
# --setup makes a fresh virtual environment build/py-VERSION with that interpreter and installs
# hpmagic with the `test` extra into it (editable: these runs test the checkout; the installed
# wheel is tested by scripts/check-wheel.sh). --test runs the subset in it. CI runs the setups of
# all versions at once in the background while it builds the docs and the wheel, then the tests.
#
# The subset is the files that exercise what changes between Python versions, and run in a couple
# of minutes: the parser and the cell checks (the `ast` module changes between versions), the
# search space, trial isolation and pickling, the real IPython shell and the magic, the runner,
# every strategy's contract, the pruning rules and reports, SQLite studies, the write-back and the
# structure and docstring checks. Left to the full run on 3.11: Jupyter kernels and front ends
# (nbval, JupyterLab in Chromium), worker pools, Dask and ipyparallel clusters, and the display and
# plot tests, which test Jupyter and matplotlib more than the interpreter and take most of the time.
#
# An interpreter is found as pythonVERSION on the PATH, else under pyenv
# ($PYENV_ROOT/versions/VERSION.*, newest first). A missing one is an error, with what to install.
set -euo pipefail
cd "$(dirname "$0")/.."
export PIP_DISABLE_PIP_VERSION_CHECK=1 PYTHONUNBUFFERED=1
unset PYTHONPATH

SUBSET=(
    tests/test_annotations.py tests/test_cell_checks.py tests/test_space.py tests/test_ordinal.py
    tests/test_options.py tests/test_objective.py tests/test_capture.py tests/test_isolation.py
    tests/test_magic.py tests/test_runner.py tests/test_strategy_contract.py tests/test_de.py
    tests/test_auto.py tests/test_pruning_points.py tests/test_pruning_median.py tests/test_pruning_asha.py tests/test_pruning_hyperband.py tests/test_pruning_folds.py tests/test_pruning_resume_state.py tests/test_pruning_spec.py tests/test_reports.py tests/test_storage_contract.py
    tests/test_studies.py tests/test_writeback.py tests/test_docstrings.py tests/test_architecture.py
)

find_python() {
    local version=$1 found
    if found=$(command -v "python$version" 2>/dev/null) && "$found" -c 'import venv' 2>/dev/null; then
        echo "$found"; return
    fi
    for found in $(ls -d "${PYENV_ROOT:-$HOME/.pyenv}"/versions/"$version".* 2>/dev/null | sort -V -r); do
        if [[ -x "$found/bin/python$version" ]]; then echo "$found/bin/python$version"; return; fi
    done
    echo "check-pythons: no Python $version found (python$version on the PATH, or pyenv's" \
         "${PYENV_ROOT:-$HOME/.pyenv}/versions/$version.*): install it, e.g. 'pyenv install $version'" >&2
    return 1
}

setup() {
    local version=$1 python venv=build/py-$1 start=$SECONDS
    python=$(find_python "$version")
    rm -rf "$venv"
    "$python" -m venv "$venv"
    # pip's index warnings go to the log; on failure its tail is shown.
    if ! "$venv/bin/python" -m pip install -q -e ".[test]" >"$venv/pip.log" 2>&1; then
        tail -30 "$venv/pip.log" >&2
        echo "check-pythons: FAILED: hpmagic[test] does not install on $("$python" -V)" >&2
        return 1
    fi
    echo "check-pythons: $("$venv/bin/python" -V) ready in $((SECONDS - start)) s ($venv)"
}

run_tests() {
    local version=$1 venv=build/py-$1 start=$SECONDS
    [[ -x "$venv/bin/python" ]] || { echo "check-pythons: no environment for $version: run --setup first" >&2; return 1; }
    echo "== check-pythons: $("$venv/bin/python" -V): pytest -q ${SUBSET[*]}"
    "$venv/bin/python" -m pytest -q "${SUBSET[@]}"
    echo "check-pythons: Python $version passed in $((SECONDS - start)) s"
}

steps=(setup run_tests)
case "${1:-}" in
    --setup) steps=(setup); shift ;;
    --test) steps=(run_tests); shift ;;
esac
versions=("$@")
(( ${#versions[@]} )) || versions=(3.12 3.13)
for step in "${steps[@]}"; do
    for version in "${versions[@]}"; do "$step" "$version"; done
done
