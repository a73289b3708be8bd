#!/usr/bin/env bash
# build-c.sh GUEST_DIR WIT_PATH WORLD OUT.wasm
#
# Builds a C guest: generates the world's C bindings with wit-bindgen's C generator, compiles
# GUEST_DIR/*.c plus the bindings with clang-16 for wasm32-wasi against Debian's wasi-libc as a
# reactor (-mexec-model=reactor), and links the component-type object in (so the module carries
# its WIT world, as wit-bindgen's Rust guests do). Run .ci/install-toolchains.sh first.
#
# Environment: WIT_BINDGEN (default <repo>/.cache/tools/bin/wit-bindgen), CC (default clang-16),
# WORK_DIR (scratch directory for bindings and objects; default a temporary directory).
set -euo pipefail

if [ $# -ne 4 ]; then
	echo "usage: $0 GUEST_DIR WIT_PATH WORLD OUT.wasm" >&2
	exit 2
fi
GUEST_DIR=$1 WIT_PATH=$2 WORLD=$3 OUT=$4

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
WIT_BINDGEN=${WIT_BINDGEN:-$REPO/.cache/tools/bin/wit-bindgen}
CC=${CC:-clang-16}
if [ -z "${WORK_DIR:-}" ]; then
	WORK_DIR=$(mktemp -d)
	trap 'rm -rf "$WORK_DIR"' EXIT
fi
GEN="$WORK_DIR/gen"
rm -rf "$GEN" "$WORK_DIR/obj"
mkdir -p "$GEN" "$WORK_DIR/obj" "$(dirname "$OUT")"

command -v "$WIT_BINDGEN" >/dev/null || { echo "build-c: $WIT_BINDGEN not found (run .ci/install-toolchains.sh)" >&2; exit 1; }
command -v "$CC" >/dev/null || { echo "build-c: $CC not found (run .ci/install-toolchains.sh)" >&2; exit 1; }

if ! log=$("$WIT_BINDGEN" c "$WIT_PATH" --world "$WORLD" --out-dir "$GEN" 2>&1); then
	echo "$log" >&2
	echo "build-c: wit-bindgen c $WIT_PATH --world $WORLD failed" >&2
	exit 1
fi
# wit-bindgen names the files after the world, with '-' turned into '_'.
base=${WORLD//-/_}
[ -f "$GEN/$base.c" ] || { echo "build-c: wit-bindgen did not write $GEN/$base.c" >&2; exit 1; }

# wasm32-wasi + wasi-libc gives wit-bindgen's C output the malloc/realloc/free/abort and
# memcpy/strlen it calls. As a reactor the module exports _initialize (runs constructors) and
# has no start function; nothing here does I/O, so no wasi_snapshot_preview1 import is linked in.
CFLAGS=(--target=wasm32-wasi -O2 -std=c11 -I"$GEN")
"$CC" "${CFLAGS[@]}" -c "$GEN/$base.c" -o "$WORK_DIR/obj/bindings.o"
objs=("$WORK_DIR/obj/bindings.o")
for src in "$GUEST_DIR"/*.c; do
	obj="$WORK_DIR/obj/$(basename "${src%.c}").o"
	"$CC" "${CFLAGS[@]}" -Wall -Wextra -Werror -c "$src" -o "$obj"
	objs+=("$obj")
done
"$CC" --target=wasm32-wasi -mexec-model=reactor -O2 -o "$OUT" "${objs[@]}" "$GEN/${base}_component_type.o" \
	-Wl,--strip-debug
echo "build-c: built $OUT ($(stat -c %s "$OUT") bytes)"
