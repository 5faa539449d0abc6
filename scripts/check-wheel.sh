#!/usr/bin/env bash
# Install hpmagic's wheel, as a user would, into a fresh virtual environment outside the
# checkout, and run it from a directory that holds nothing of the source tree.
#
#   bash scripts/check-wheel.sh [WHEEL]       # from anywhere; PYTHON=python3.12 picks the interpreter
#
# Without WHEEL it builds one (`python -m build --wheel`, into a temporary directory) with
# $BUILD_PYTHON (default .venv/bin/python, which needs the `release` extra). Then, in order:
#   1. a virtual environment in a new `mktemp -d` directory (never inside the checkout), made
#      with $PYTHON (default python3); the wheel is installed into it (not editable), with only
#      what runs a notebook added (nbclient, ipykernel: not hpmagic's own dependencies);
#   2. from another new temporary directory, with PYTHONPATH unset and `python -P`: hpmagic is
#      imported from that environment (its __file__ is checked), __version__ is pyproject.toml's
#      version, py.typed is installed, and `pip check` passes;
#   3. the quickstart notebook (a copy of notebooks/01-quickstart.ipynb in that directory, plus a
#      last cell that checks where the kernel imported hpmagic from) runs with nbclient through
#      the environment's own python3 kernel: any cell that raises fails the check;
#   4. a `%%tune -n 8 --jobs 2` search runs in a real IPython shell of that environment, and
#      each trial reports (as metrics) whether its worker process imported hpmagic from it.
# So a file missing from the wheel, or a path that only works in the checkout, fails here.
# Exit status: non-zero on the first failed step. The temporary directories are removed at the
# end (set KEEP_WHEEL_CHECK=1 to keep them).
set -euo pipefail
cd "$(dirname "$0")/.."
REPO=$(pwd -P)
export PIP_DISABLE_PIP_VERSION_CHECK=1 PYTHONUNBUFFERED=1 JUPYTER_PREFER_ENV_PATH=1
unset PYTHONPATH PYTHONHOME
PYTHON=${PYTHON:-python3}
step() { printf '\n== check-wheel: %s\n' "$*"; }
fail() { printf 'check-wheel: FAILED: %s\n' "$*" >&2; exit 1; }
start=$SECONDS

TMP=$(mktemp -d -t hpmagic-wheel-XXXXXX)
case "$TMP/" in "$REPO"/*) fail "the temporary directory $TMP is inside the checkout";; esac
[[ "${KEEP_WHEEL_CHECK:-}" == 1 ]] || trap 'rm -rf "$TMP"' EXIT

WHEEL=${1:-}
if [[ -z "$WHEEL" ]]; then
    step "building the wheel"
    "${BUILD_PYTHON:-.venv/bin/python}" -m build --wheel --outdir "$TMP/dist" . >"$TMP/build.log" 2>&1 \
        || { tail -20 "$TMP/build.log" >&2; fail "python -m build --wheel failed"; }
    WHEEL=$(ls "$TMP"/dist/hpmagic-*.whl)
fi
WHEEL=$(cd "$(dirname "$WHEEL")" && pwd -P)/$(basename "$WHEEL")
[[ -f "$WHEEL" ]] || fail "no wheel at $WHEEL"
VERSION=$("$PYTHON" -c 'import sys, tomllib; print(tomllib.load(open(sys.argv[1], "rb"))["project"]["version"])' pyproject.toml)

step "installing $(basename "$WHEEL") into a fresh environment ($("$PYTHON" -V))"
VENV="$TMP/venv"
"$PYTHON" -m venv "$VENV"
PY="$VENV/bin/python"
# pip's index warnings go to a log; on failure its tail is shown.
"$PY" -m pip install -q "$WHEEL" "nbclient>=0.10" "ipykernel>=6.29" >"$TMP/pip.log" 2>&1 \
    || { tail -30 "$TMP/pip.log" >&2; fail "the wheel or its dependencies cannot be installed"; }
"$PY" -m pip check || fail "the installed dependencies do not fit together"
"$PY" -m ipykernel install --sys-prefix --name python3 --display-name "Python 3 (ipykernel)" >/dev/null
installed=$SECONDS

RUN="$TMP/run"
mkdir "$RUN"
cp notebooks/01-quickstart.ipynb "$RUN/"
cd "$RUN"  # from here on nothing of the checkout is reachable: no source tree on the path

step "checking the installed package (from $RUN)"
"$PY" -P - "$VERSION" <<'PY' || fail "the installed package is not the wheel's"
import os, sys
from importlib.metadata import distribution
import hpmagic
where, prefix = os.path.realpath(hpmagic.__file__), os.path.realpath(sys.prefix)
assert where.startswith(prefix + os.sep), f"hpmagic imported from {where}, outside the environment {prefix}"
assert hpmagic.__version__ == sys.argv[1], f"hpmagic.__version__ is {hpmagic.__version__!r}, pyproject.toml says {sys.argv[1]!r}"
assert os.path.exists(os.path.join(os.path.dirname(where), "py.typed")), "py.typed is not installed"
assert not distribution("hpmagic").read_text("direct_url.json") or "editable" not in distribution("hpmagic").read_text("direct_url.json")
for name in hpmagic.__all__:
    getattr(hpmagic, name)  # every public name imports from the installed files
print(f"hpmagic {hpmagic.__version__} from {where}")
PY

step "running the quickstart notebook through the environment's kernel"
"$PY" -P - <<'PY' || fail "the quickstart notebook failed when run from the installed wheel"
import os, sys
import nbformat
from nbclient import NotebookClient
from jupyter_client.kernelspec import KernelSpecManager

spec = KernelSpecManager().get_kernel_spec("python3")
assert os.path.realpath(spec.resource_dir).startswith(os.path.realpath(sys.prefix)), spec.resource_dir
nb = nbformat.read("01-quickstart.ipynb", as_version=4)
nb.cells.append(nbformat.v4.new_code_cell(
    "import hpmagic, os, sys\n"
    "_where = os.path.realpath(hpmagic.__file__)\n"
    "assert _where.startswith(os.path.realpath(sys.prefix) + os.sep), _where\n"
    "assert os.getcwd() == " + repr(os.getcwd()) + ", os.getcwd()\n"
    "print('kernel imported hpmagic from', _where)"))
NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": os.getcwd()}}).execute()
code = [c for c in nb.cells if c.cell_type == "code"]
print(f"{len(code)} code cells ran;", "".join(o.get("text", "") for o in code[-1].outputs).strip())
PY

step "a %%tune search with --jobs 2 in an IPython shell"
cat > tune_jobs.py <<'PY'
import os, sys
from IPython.core.interactiveshell import InteractiveShell

shell = InteractiveShell.instance()
shell.run_cell("%load_ext hpmagic").raise_error()
result = shell.run_cell('''%%tune -n 8 --jobs 2 --seed 0 --metric loss -q -o result
import os, sys, hpmagic
x = 0.5  # tune: uniform(-2, 2)
where = os.path.realpath(hpmagic.__file__)
{"loss": (x - 1) ** 2, "pid": os.getpid(),
 "in_env": float(where.startswith(os.path.realpath(sys.prefix) + os.sep))}
''')
result.raise_error()
res = shell.user_ns["result"]
trials = res.trials
assert len(trials) == 8 and all(t.state == "complete" for t in trials), [(t.number, t.state, t.error) for t in trials]
assert all(t.metrics["in_env"] == 1.0 for t in trials), "a worker imported hpmagic from outside the environment"
pids = {int(t.metrics["pid"]) for t in trials}
assert os.getpid() not in pids and len(pids) >= 2, f"trials ran in {pids}, not in two worker processes"
print(f"8 trials complete in worker processes {sorted(pids)}; best {res.best_params} -> {res.best_value:.4f}")
PY
"$PY" -P tune_jobs.py || fail "%%tune --jobs 2 failed when run from the installed wheel"

echo >&2 "check-wheel: OK in $((SECONDS - start)) s (environment $((installed - start)) s)"
