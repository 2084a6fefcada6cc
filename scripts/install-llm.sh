#!/usr/bin/env bash
# Install llama-cpp-python (the `llama-cpp` translator, and the OpenAI-compatible server the tests
# start) into the active Python environment.
#
# llama-cpp-python has no wheel on PyPI: it is built from its source, about 6 minutes on 2 cores.
# The built wheel is kept in a cache directory outside the repository, so a machine that built it
# once installs it in seconds. Running this twice is safe.
#
#   bash scripts/install-llm.sh                 # into the active virtual environment
#   RUNE_WHEEL_CACHE=DIR bash scripts/...       # where built wheels are kept
#                                               # (default: ~/.cache/rune-kg/wheels)
#   CMAKE_ARGS=... bash scripts/...             # llama.cpp build options (e.g. -DGGML_CUDA=on)
set -euo pipefail

PYTHON=${PYTHON:-python}
LLAMA=0.3.36
started=$(date +%s)
say() { printf '[install-llm %4ss] %s\n' "$(( $(date +%s) - started ))" "$*" >&2; }

if "$PYTHON" -c "import llama_cpp, sys; sys.exit(llama_cpp.__version__ != '$LLAMA')" 2>/dev/null; then
    say "llama-cpp-python $LLAMA is installed"
    exit 0
fi
tag=$("$PYTHON" -c 'import sys; v = sys.version_info; print(f"cp{v.major}{v.minor}")')
cache=${RUNE_WHEEL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/rune-kg/wheels}/$tag
mkdir -p "$cache"
wheel=$(ls "$cache"/llama_cpp_python-"$LLAMA"-*.whl 2>/dev/null | head -n 1 || true)
if [ -z "$wheel" ]; then
    say "building llama-cpp-python $LLAMA from source (about 6 minutes on 2 cores; the next step installs it)"
    work=$(mktemp -d)
    trap 'rm -rf "$work"' EXIT
    CMAKE_BUILD_PARALLEL_LEVEL=${CMAKE_BUILD_PARALLEL_LEVEL:-$(nproc)} \
        "$PYTHON" -m pip wheel -q --no-deps --no-binary llama-cpp-python "llama-cpp-python==$LLAMA" -w "$work"
    cp "$work"/llama_cpp_python-*.whl "$cache"/
    wheel=$(ls "$cache"/llama_cpp_python-"$LLAMA"-*.whl | head -n 1)
    say "built $wheel"
else
    say "using the cached $wheel"
fi
# The server extra brings what `python -m llama_cpp.server` needs (the tests start one).
"$PYTHON" -m pip install -q "$wheel[server]"
say "ready: llama-cpp-python $("$PYTHON" -c 'import llama_cpp; print(llama_cpp.__version__)')"
