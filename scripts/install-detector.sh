#!/usr/bin/env bash
# Install OpenMMLab mmrotate 0.3.4 (the oriented-box detector behind `rune detect`) into the
# active Python environment.
#
# mmrotate 0.3.4 needs mmcv-full 1.x and mmdet 2.x. mmcv-full 1.7.2 has no wheel for a current
# torch, so it is built from its PyPI source against torch 2.14.1 (15-40 minutes on 2 cores, a
# progress line a minute).
# The built wheel is kept in a cache directory outside the repository, so a machine that built
# it once installs it in seconds. Work already done is skipped; running this twice is safe.
#
#   bash scripts/install-detector.sh            # into the active virtual environment
#   RUNE_WHEEL_CACHE=DIR bash scripts/...       # where built wheels are kept
#                                               # (default: ~/.cache/rune-kg/wheels)
#   MAX_JOBS=N                                  # parallel compile jobs (default: all cores)
set -euo pipefail

PYTHON=${PYTHON:-python}
TORCH=2.14.1
TORCHVISION=0.29.1
MMCV=1.7.2
MMDET=2.28.2
MMROTATE=0.3.4

started=$(date +%s)
say() { printf '[install-detector %4ss] %s\n' "$(( $(date +%s) - started ))" "$*" >&2; }

installed() {  # installed VERSION of a distribution, or nothing
    "$PYTHON" - "$1" <<'PY' 2>/dev/null || true
import sys
from importlib.metadata import version, PackageNotFoundError
try:
    print(version(sys.argv[1]))
except PackageNotFoundError:
    pass
PY
}

if [ -z "${VIRTUAL_ENV:-}" ] && [ -z "${CONDA_PREFIX:-}" ]; then
    say "warning: no virtual environment is active; installing into $("$PYTHON" -c 'import sys; print(sys.prefix)')"
fi

tag=$("$PYTHON" -c 'import sys; v = sys.version_info; print(f"cp{v.major}{v.minor}")')-torch$TORCH
cache=${RUNE_WHEEL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/rune-kg/wheels}/$tag
say "plan: 1. torch $TORCH + torchvision $TORCHVISION (the CUDA build, about 5.8 GB on disk even"
say "      without a GPU: mmcv-full is built against it); 2. mmcv-full $MMCV: $(
    ls "$cache"/mmcv_full-"$MMCV"-*.whl >/dev/null 2>&1 && echo "its cached wheel, seconds" \
    || echo "built from source, 15-40 minutes on 2 cores, then cached in $cache")"
say "      3. mmdet $MMDET and mmrotate $MMROTATE (pure Python, under a minute)"

# 1. torch and torchvision (torchvision's operators must match torch's build exactly).
if [ "$(installed torch)" != "$TORCH" ] || [ "$(installed torchvision)" != "$TORCHVISION" ]; then
    say "1/3 installing torch==$TORCH torchvision==$TORCHVISION (a few minutes)"
    "$PYTHON" -m pip install -q "torch==$TORCH" "torchvision==$TORCHVISION"
else
    say "1/3 torch $TORCH and torchvision $TORCHVISION are installed"
fi

# 2. mmcv-full with its compiled operators (rotated NMS, rotated IoU, RoI align ...).
mkdir -p "$cache"
if [ "$(installed mmcv-full)" != "$MMCV" ] || ! "$PYTHON" -c 'from mmcv.ops import nms_rotated' 2>/dev/null; then
    wheel=$(ls "$cache"/mmcv_full-"$MMCV"-*.whl 2>/dev/null | head -n 1 || true)
    if [ -z "$wheel" ]; then
        work=$(mktemp -d)
        trap 'rm -rf "$work"' EXIT
        say "2/3 building mmcv-full==$MMCV from source for $tag (15-40 minutes on 2 cores;"
        say "    a progress line every minute)"
        # The build runs in this environment (it needs torch's headers), with a setuptools
        # that still has what mmcv's setup.py uses (torch asks for a newer one: step 3 puts it
        # back, so pip's conflict warning is silenced here), and ninja for parallel compiles.
        "$PYTHON" -m pip install -q --no-warn-conflicts "setuptools<70" wheel ninja
        "$PYTHON" -m pip download -q --no-deps --no-binary :all: --no-build-isolation \
            "mmcv-full==$MMCV" -d "$work"
        tar -xzf "$work"/mmcv-full-"$MMCV".tar.gz -C "$work"
        # torch 2.14's headers need C++20; mmcv's setup.py asks for C++14/17.
        sed -i -e 's/-std=c++14/-std=c++20/g' -e 's/-std=c++17/-std=c++20/g' \
            "$work"/mmcv-full-"$MMCV"/setup.py
        sources=$(find "$work"/mmcv-full-"$MMCV"/mmcv/ops/csrc -name '*.cpp' | wc -l)
        (cd "$work"/mmcv-full-"$MMCV" &&
            MMCV_WITH_OPS=1 MAX_JOBS=${MAX_JOBS:-$(nproc)} \
            "$PYTHON" -m pip wheel -v --no-deps --no-build-isolation . -w "$work/dist" \
            >"$work/build.log" 2>&1) &
        build=$!
        while kill -0 "$build" 2>/dev/null; do
            sleep 60
            kill -0 "$build" 2>/dev/null || break
            say "    mmcv-full: $(find "$work" -name '*.o' | wc -l) of about $sources sources compiled"
        done
        if ! wait "$build"; then
            tail -n 40 "$work/build.log" >&2
            say "the mmcv-full build failed (the end of its log is above)"
            exit 1
        fi
        cp "$work"/dist/mmcv_full-*.whl "$cache"/
        wheel=$(ls "$cache"/mmcv_full-"$MMCV"-*.whl | head -n 1)
        say "built $wheel"
    else
        say "2/3 using the cached $wheel"
    fi
    "$PYTHON" -m pip install -q --no-deps "$wheel"
else
    say "2/3 mmcv-full $MMCV is installed"
fi

# 3. mmdet and mmrotate (pure Python), and every requirement of the three (mmcv-full's too;
#    this also puts back the setuptools that torch asks for).
if ! "$PYTHON" -m pip check >/dev/null 2>&1 || [ "$(installed mmdet)" != "$MMDET" ] \
        || [ "$(installed mmrotate)" != "$MMROTATE" ]; then
    say "3/3 installing mmdet==$MMDET mmrotate==$MMROTATE and their requirements"
    "$PYTHON" -m pip install -q "mmdet==$MMDET" "mmrotate==$MMROTATE" "mmcv-full==$MMCV" \
        "torch==$TORCH" "torchvision==$TORCHVISION"
fi

"$PYTHON" - <<'PY'
import mmcv, mmdet, mmrotate, torch
from mmcv.ops import nms_rotated  # noqa: F401  (the compiled operators load)
print(f"[install-detector] ready: torch {torch.__version__}, mmcv-full {mmcv.__version__}, "
      f"mmdet {mmdet.__version__}, mmrotate {mmrotate.__version__}")
PY
