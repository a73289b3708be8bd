#!/usr/bin/env bash
# build.sh SRC.zig WIT_PATH WORLD OUT.wasm
#
# Builds a Zig guest over wit-bindgen's C bindings, the way interop/c's guest is built but with
# Zig as the only compiler:
#   1. `wit-bindgen c WIT_PATH --world WORLD` writes <world>.c/.h and <world>_component_type.o
#      (the pinned wit-bindgen-cli 0.36.0 the C guests use);
#   2. `zig build-exe -target wasm32-wasi -mexec-model=reactor -lc` compiles SRC.zig (which
#      @cImports <world>.h), the bindings' C file and links the component-type object, against
#      the wasi-libc Zig ships (malloc/realloc/free for the bindings). The result is a core module
#      like the C guest's: memory, _initialize, cabi_realloc, one export and one cabi_post_* per
#      hook as the world names them, the world in a component-type custom section, no WASI imports.
#
# Environment: WIT_BINDGEN (default <repo>/.cache/tools/bin/wit-bindgen), ZIG (default
# <repo>/.cache/tools/bin/zig, installed by .ci/install-toolchains.sh), WORK_DIR (scratch directory;
# default a temporary one), ZIG_GLOBAL_CACHE_DIR (default <repo>/.cache/zig-cache: Zig's build of
# wasi-libc, about two minutes the first time on two cores, is kept there).
set -euo pipefail

if [ $# -ne 4 ]; then
	echo "usage: $0 SRC.zig WIT_PATH WORLD OUT.wasm" >&2
	exit 2
fi
SRC=$1 WIT_PATH=$2 WORLD=$3 OUT=$4

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
WIT_BINDGEN=${WIT_BINDGEN:-$REPO/.cache/tools/bin/wit-bindgen}
ZIG=${ZIG:-$REPO/.cache/tools/bin/zig}
export ZIG_GLOBAL_CACHE_DIR=${ZIG_GLOBAL_CACHE_DIR:-$REPO/.cache/zig-cache}
if [ -z "${WORK_DIR:-}" ]; then
	WORK_DIR=$(mktemp -d)
	trap 'rm -rf "$WORK_DIR"' EXIT
fi
GEN="$WORK_DIR/gen"
rm -rf "$GEN"
mkdir -p "$GEN" "$(dirname "$OUT")"
export ZIG_LOCAL_CACHE_DIR="$WORK_DIR/zig-local-cache"

command -v "$WIT_BINDGEN" >/dev/null || { echo "build-zig: $WIT_BINDGEN not found (run .ci/install-toolchains.sh)" >&2; exit 1; }
command -v "$ZIG" >/dev/null || { echo "build-zig: $ZIG not found (run .ci/install-toolchains.sh)" >&2; exit 1; }

if ! log=$("$WIT_BINDGEN" c "$WIT_PATH" --world "$WORLD" --out-dir "$GEN" 2>&1); then
	echo "$log" >&2
	echo "build-zig: wit-bindgen c $WIT_PATH --world $WORLD failed" >&2
	exit 1
fi
base=${WORLD//-/_}
[ -f "$GEN/$base.h" ] || { echo "build-zig: wit-bindgen did not write $GEN/$base.h" >&2; exit 1; }

"$ZIG" build-exe -target wasm32-wasi -mexec-model=reactor -O ReleaseSmall -lc -I "$GEN" \
	"$SRC" "$GEN/$base.c" "$GEN/${base}_component_type.o" -femit-bin="$OUT"
echo "build-zig: built $OUT ($(stat -c %s "$OUT") bytes)"
