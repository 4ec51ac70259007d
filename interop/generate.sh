#!/usr/bin/env bash
# Records test/fixtures/frameworks/<framework>.json from the real frameworks.
#
#   interop/generate.sh [--check|--install] [FRAMEWORK...]     (default: all of FRAMEWORKS)
#
# Each framework runs in its own venv, pinned by interop/requirements/<venv>.txt, kept under
# ${TFJS_LAYERNORM_CACHE:-~/.cache/tfjs-layernorm}/interop-venvs (outside the work tree) and
# reused while its requirements file is unchanged. --check writes to a temporary folder and
# compares with the committed fixtures (interop/compare.py): exit 1 on any difference beyond
# float noise. --install only creates the missing venvs (npm test starts it early, in the background).
# The venvs are made with $PYTHON (default python3), Lucid's with a Python >= 3.12 found on PATH
# or in pyenv (python_3_12 below).
set -euo pipefail
cd "$(dirname "$0")/.."

FRAMEWORKS=(mxnet torch flax mlx keras3 tf-keras lucid)
declare -A VENV=([mxnet]=mxnet [torch]=torch [flax]=flax [mlx]=mlx [keras3]=keras [tf-keras]=keras
                 [lucid]=lucid)
declare -A SCRIPT=([mxnet]=gen_mxnet.py [torch]=gen_torch.py [flax]=gen_flax.py [mlx]=gen_mlx.py
                   [keras3]=gen_keras.py [tf-keras]=gen_keras.py [lucid]=gen_lucid.py)
# Venvs made with Python >= 3.12 (every lucid-dl release requires it; python3 may be older).
declare -A NEEDS_PYTHON_3_12=([lucid]=1)
FIXTURES=test/fixtures/frameworks
CACHE="${TFJS_LAYERNORM_CACHE:-$HOME/.cache/tfjs-layernorm}/interop-venvs"
PYTHON="${PYTHON:-python3}"

check=0
install_only=0
selected=()
for arg in "$@"; do
  case "$arg" in
    --check) check=1 ;;
    --install) install_only=1 ;;
    -*) echo "generate.sh: unknown option $arg" >&2; exit 2 ;;
    *) [[ -n "${VENV[$arg]:-}" ]] || { echo "generate.sh: unknown framework $arg (one of ${FRAMEWORKS[*]})" >&2; exit 2; }
       selected+=("$arg") ;;
  esac
done
[[ ${#selected[@]} -gt 0 ]] || selected=("${FRAMEWORKS[@]}")

venv_dir() {
  local req="interop/requirements/$1.txt"
  echo "$CACHE/$1-$(sha256sum "$req" | cut -c1-12)"
}

# A Python >= 3.12 that can make venvs: python3.12, then python3.13, each first on PATH, then in
# pyenv (3.12 first, as the fixtures record the Python version). Each is run, since a pyenv shim
# of a version that is not selected is on PATH but fails.
python_3_12() {
  local py pyenv="${PYENV_ROOT:-$HOME/.pyenv}/versions"
  local candidates=(python3.12 "$pyenv"/3.12*/bin/python3.12
                    python3.13 "$pyenv"/3.13*/bin/python3.13)
  for py in "${candidates[@]}"; do
    if "$py" -c 'import ensurepip, sys, venv; sys.exit(sys.version_info < (3, 12))' \
         >/dev/null 2>&1; then
      echo "$py"
      return 0
    fi
  done
  echo "generate.sh: the $1 venv needs Python >= 3.12 with venv support, and none of these runs:" \
       "${candidates[*]} (install one, e.g. pyenv install 3.12)" >&2
  return 1
}

# Creates the missing venvs, in parallel; a venv counts only once its install finished.
install_venv() {
  local name=$1 dir python=$PYTHON
  dir=$(venv_dir "$name")
  [[ -f "$dir/.complete" ]] && return 0
  if [[ -n "${NEEDS_PYTHON_3_12[$name]:-}" ]]; then python=$(python_3_12 "$name") || return 1; fi
  rm -rf "$dir"
  mkdir -p "$CACHE"
  echo "generate.sh: installing the $name venv into $dir ($("$python" --version))"
  "$python" -m venv "$dir"
  if ! "$dir/bin/pip" install -q --disable-pip-version-check -r "interop/requirements/$name.txt" \
       > "$dir.log" 2>&1; then
    echo "generate.sh: pip install for $name failed; last lines of $dir.log:" >&2
    tail -n 20 "$dir.log" >&2
    return 1
  fi
  touch "$dir/.complete"
}

if ! "$PYTHON" -c 'import ensurepip, venv' 2>/dev/null; then
  echo "generate.sh: $PYTHON cannot create venvs (on Debian: apt-get install python3-venv)" >&2
  exit 1
fi

declare -A wanted=()
for fw in "${selected[@]}"; do wanted[${VENV[$fw]}]=1; done
pids=()
for name in "${!wanted[@]}"; do install_venv "$name" & pids+=($!); done
status=0
for pid in "${pids[@]}"; do wait "$pid" || status=1; done
[[ $status -eq 0 ]] || exit 1
[[ $install_only -eq 0 ]] || exit 0

out=$FIXTURES
if [[ $check -eq 1 ]]; then
  out=$(mktemp -d)
  trap 'rm -rf "$out"' EXIT
fi
mkdir -p "$out"
out_abs=$(cd "$out" && pwd)
for fw in "${selected[@]}"; do
  dir=$(venv_dir "${VENV[$fw]}")
  started=$SECONDS
  (cd interop && PYTHONDONTWRITEBYTECODE=1 KERAS_FLAVOUR="$fw" JAX_PLATFORMS=cpu TF_CPP_MIN_LOG_LEVEL=3 \
     "$dir/bin/python" "${SCRIPT[$fw]}" "$out_abs" 2> >(grep -v -e oneDNN -e cuda -e '^WARNING: All log' >&2))
  echo "generate.sh: $fw -> $out/$fw.json ($((SECONDS - started)) s)"
done

if [[ $check -eq 1 ]]; then
  files=()
  for fw in "${selected[@]}"; do files+=("$fw.json"); done
  "$PYTHON" interop/compare.py "$out" "$FIXTURES" "${files[@]}"
fi
