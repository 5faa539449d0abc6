#!/usr/bin/env bash
# Build the environment Binder would build, from binder/ alone, and run every tutorial in it.
#
#   bash scripts/check-binder.sh            # from anywhere; works in the repository root
#
# What it does, in order:
#   1. a fresh virtual environment (default build/binder-venv, or $BINDER_VENV; deleted first),
#      made with $PYTHON (default python3), which should be the version in binder/runtime.txt;
#   2. `pip install -r binder/requirements.txt` from the repository root, exactly as repo2docker
#      runs it; hpmagic comes from the `.` line in that file, as a regular (non-editable) install,
#      never from the development install;
#   3. checks that environment: `pip check`, hpmagic imported from the new environment, the
#      ipywidgets JupyterLab extension present, and the `python3` kernel registered in it;
#   4. adds only pytest and nbval, constrained to the versions already installed (so the test
#      tools cannot change what Binder gets), and runs every notebook under notebooks/ (except
#      *.out.ipynb copies and checkpoints) with nbval, through a kernel of that environment, with
#      the options of pyproject.toml (--nbval-lax, the sanitizer in tests/nbval-sanitize.cfg).
#
# Speed: pip's cache is left on (no --no-cache-dir), so where pip downloads wheels from an index
# (~/.cache/pip), a second build, or one after CI's own `pip install -e ".[test]"` (same wheels),
# downloads nothing again. Where the wheels come from a local file mirror (pip's find-links or a
# file:// index, as on the machines this project is developed on) there is nothing to cache and
# the build is bound by resolving and unpacking: 5-6 minutes on a busy 2-core machine. Each
# notebook then runs in under a minute; the whole script took 7-10 minutes there.
# Exit status: non-zero if the environment cannot be built or checked, or any notebook fails.
set -euo pipefail
cd "$(dirname "$0")/.."
export PIP_DISABLE_PIP_VERSION_CHECK=1 PYTHONUNBUFFERED=1
# Kernel specs of this environment win over ones a user registered in ~/.local/share/jupyter.
export JUPYTER_PREFER_ENV_PATH=1

VENV=${BINDER_VENV:-build/binder-venv}
PYTHON=${PYTHON:-python3}
step() { printf '\n== check-binder: %s\n' "$*"; }
fail() { printf 'check-binder: FAILED: %s\n' "$*" >&2; exit 1; }
start=$SECONDS

want=$(sed -n 's/^python-\([0-9]*\.[0-9]*\).*/\1/p' binder/runtime.txt 2>/dev/null || true)
have=$("$PYTHON" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
if [[ -n "$want" && "$want" != "$have" ]]; then
    echo "check-binder: warning: binder/runtime.txt asks for Python $want, testing with $have ($PYTHON)" >&2
fi

step "building $VENV from binder/requirements.txt (Python $have)"
rm -rf "$VENV"
"$PYTHON" -m venv "$VENV"
PY="$VENV/bin/python"
"$PY" -m pip install -q -r binder/requirements.txt || fail "pip could not install binder/requirements.txt"
built=$SECONDS
echo "built in $((built - start)) s"

step "checking the environment"
"$PY" -m pip check || fail "the pinned versions in binder/requirements.txt do not fit together"
# -P: do not put the current directory (the source tree) on sys.path.
where=$("$PY" -P -c 'import hpmagic, os; print(os.path.realpath(hpmagic.__file__))')
venv_real=$(cd "$VENV" && pwd -P)
[[ "$where" == "$venv_real"/* ]] || fail "hpmagic was imported from $where, not from the Binder environment"
echo "hpmagic $("$PY" -P -c 'import hpmagic; print(getattr(hpmagic, "__version__", "?"))') from $where"
"$VENV/bin/jupyter" labextension list 2>&1 | grep -q "@jupyter-widgets/jupyterlab-manager" \
    || fail "the ipywidgets JupyterLab extension is missing: the live progress panel would not show"
"$PY" -m ipykernel install --sys-prefix --name python3 --display-name "Python 3 (ipykernel)" >/dev/null
kernel_dir=$("$VENV/bin/jupyter" kernelspec list --json | "$PY" -c 'import json, sys; print(json.load(sys.stdin)["kernelspecs"]["python3"]["resource_dir"])')
[[ "$(cd "$kernel_dir" && pwd -P)" == "$venv_real"/* ]] || fail "the python3 kernel resolves to $kernel_dir, outside the Binder environment"
echo "kernel python3: $kernel_dir"
# Every runtime dependency of hpmagic should be pinned in binder/requirements.txt (a warning only:
# the `.` line installs an unpinned one anyway).
"$PY" -P - <<'EOF'
import re, tomllib
deps = tomllib.load(open("pyproject.toml", "rb"))["project"]["dependencies"]
norm = lambda s: re.sub(r"[-_.]+", "-", s).lower()
pinned = {norm(m.group(1)) for line in open("binder/requirements.txt")
          if (m := re.match(r"\s*([A-Za-z0-9_.-]+)(\[[^]]*\])?\s*==", line))}
missing = [d for d in deps if norm(re.match(r"[A-Za-z0-9_.-]+", d).group()) not in pinned]
if missing:
    print("check-binder: warning: not pinned in binder/requirements.txt:", ", ".join(missing))
EOF

step "adding the test tools (pytest, nbval) without changing any installed version"
constraints="$VENV/binder-constraints.txt"
"$PY" -m pip freeze --exclude-editable | grep -v -i '^hpmagic' > "$constraints"
"$PY" -m pip install -q -c "$constraints" "pytest>=8" "nbval>=0.11" \
    || fail "pytest/nbval cannot be added without changing the Binder environment's pins"

mapfile -t notebooks < <(find notebooks -name '*.ipynb' ! -name '*.out.ipynb' ! -path '*/.ipynb_checkpoints/*' | sort)
(( ${#notebooks[@]} > 0 )) || fail "no notebooks found under notebooks/"
step "running ${#notebooks[@]} notebook(s) with nbval in the Binder environment: ${notebooks[*]}"
"$PY" -m pytest -q "${notebooks[@]}"
echo >&2 "check-binder: OK in $((SECONDS - start)) s (environment $((built - start)) s, notebooks $((SECONDS - built)) s)"
