#!/usr/bin/env bash
# Installs the non-Go toolchains that build the wasm test guests (see shared/toolchains.md):
#   - Debian: rustc-web/cargo-web/rust-web-src (Rust 1.96 with std sources, for -Zbuild-std on
#     wasm32-unknown-unknown), clang-16 + lld-16 (wasm-ld-16), wasi-libc + libclang-rt-16-dev-wasm32
#     (libc, malloc and compiler builtins for the C guests built with --target=wasm32-wasi).
#   - wit-bindgen-cli (pinned, built with rustup's host cargo) into <repo>/.cache/tools/bin.
#   - @bytecodealliance/jco (pinned) into <repo>/.cache/npm, for differential tests.
#   - Zig (PyPI's `ziglang` package, pinned) in a venv under <repo>/.cache/zig-venv, linked as
#     <repo>/.cache/tools/bin/zig, for the Zig guests (interop/zig, examples/plugins/slug-zig).
#
# Idempotent and non-interactive (safe with CI=true and no stdin); a second run only checks versions.
# Everything cached lives under <repo>/.cache/ (gitignored).
set -euo pipefail

WIT_BINDGEN_VERSION=0.36.0
JCO_VERSION=1.35.0
# 0.16.0, not the newest 0.17.x: Zig 0.17 removed the @cImport builtin the Zig guests use on
# wit-bindgen's C header (0.17 needs `zig translate-c` + @import instead; see interop/zig/README.md).
ZIG_VERSION=0.16.0
APT_PACKAGES=(rustc-web cargo-web rust-web-src lld-16 clang-16 wasi-libc libclang-rt-16-dev-wasm32)
# python3-venv: the venv that holds PyPI's ziglang (Debian's pip refuses system-wide installs).
APT_PACKAGES+=(python3 python3-venv)

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CACHE="$REPO/.cache"
TOOLS="$CACHE/tools"
mkdir -p "$CACHE" "$TOOLS"

export DEBIAN_FRONTEND=noninteractive

now() { date +%s%N; }
# secs T0: seconds since T0 (from now), with one decimal.
secs() { local ms=$((($(now) - $1) / 1000000)); printf '%d.%d' $((ms / 1000)) $((ms % 1000 / 100)); }
T_ALL=$(now)
# step NAME CMD...: runs CMD and prints how long it took.
step() {
	local name=$1 t0 rc=0
	shift
	t0=$(now)
	echo "==> $name"
	# A subshell outside any || context, so that set -e holds inside the step's function.
	set +e
	(set -e; "$@")
	rc=$?
	set -e
	printf '    %s: %ss%s\n' "$name" "$(secs "$t0")" "$([ $rc -eq 0 ] || echo " (FAILED, exit $rc)")"
	return $rc
}

sudo_if_needed() {
	if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo -n "$@"; fi
}

apt_install() {
	local missing=() p
	for p in "${APT_PACKAGES[@]}"; do
		if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q '^install ok installed$'; then
			missing+=("$p")
		fi
	done
	if [ ${#missing[@]} -eq 0 ]; then
		echo "    all present: ${APT_PACKAGES[*]}"
		return 0
	fi
	echo "    missing: ${missing[*]}"
	# Update the package lists once (an image's lists may be stale or empty), then install.
	sudo_if_needed apt-get update -o DPkg::Lock::Timeout=900 </dev/null
	sudo_if_needed apt-get install -y -o DPkg::Lock::Timeout=900 --no-install-recommends "${missing[@]}" </dev/null
}

host_cargo() {
	# rustup's cargo (host toolchain), not Debian's /usr/bin/cargo.
	if [ -x "$HOME/.cargo/bin/cargo" ]; then
		echo "$HOME/.cargo/bin/cargo"
	elif command -v cargo >/dev/null 2>&1; then
		command -v cargo
	else
		echo "install-toolchains: no host cargo found (rustup's ~/.cargo/bin/cargo or cargo on PATH)" >&2
		return 1
	fi
}

# wit-bindgen-cli 0.36.0's own Cargo.lock pins wit-parser 0.220.0, whose size/alignment code
# mis-orders pointer alignment (fixed in wit-parser 0.220.1): `cargo install --locked` of 0.36.0
# then emits C and Rust bindings that place option/variant payloads holding strings or lists at the
# wrong offsets (option<string> payload at +1 instead of +4), which crashes in cabi_post_* under any
# canonical-ABI host. A Rust guest depending on wit-bindgen = "0.36" resolves wit-parser 0.220.1 and
# is correct. So the CLI is built from its published source with exactly that lock file, except the
# wasm-tools 0.220 crates raised to 0.220.1: then the C generator is the one the 0.36 Rust guests use.
WIT_BINDGEN_STAMP="wit-bindgen-cli $WIT_BINDGEN_VERSION; wit-parser/wasmparser/wit-component/wasm-encoder/wasm-metadata 0.220.1"

# probe_wit_bindgen BIN: checks that BIN places an option<string> payload at offset 4.
probe_wit_bindgen() {
	local dir
	dir=$(mktemp -d)
	printf 'package probe:abi;\nworld probe {\n  export f: func() -> option<string>;\n}\n' >"$dir/probe.wit"
	"$1" c "$dir/probe.wit" --out-dir "$dir/out" >/dev/null 2>&1 &&
		grep -q 'size_t\*) (arg0 + 8)' "$dir/out/probe.c"
	local rc=$?
	rm -rf "$dir"
	return $rc
}

install_wit_bindgen() {
	if [ -x "$TOOLS/bin/wit-bindgen" ] && [ "$(cat "$TOOLS/wit-bindgen.stamp" 2>/dev/null)" = "$WIT_BINDGEN_STAMP" ]; then
		echo "    $("$TOOLS/bin/wit-bindgen" --version) already in $TOOLS/bin"
		return 0
	fi
	local cargo src fetch reg
	cargo=$(host_cargo)
	src="$CACHE/src/wit-bindgen-cli-$WIT_BINDGEN_VERSION"
	fetch="$CACHE/src/fetch-wit-bindgen-cli"
	# 1. The published crate (with its Cargo.lock), through cargo's registry cache.
	mkdir -p "$fetch/src"
	cat >"$fetch/Cargo.toml" <<TOML
[package]
name = "fetch-wit-bindgen-cli"
version = "0.0.0"
edition = "2021"
publish = false

[dependencies]
wit-bindgen-cli = "=$WIT_BINDGEN_VERSION"
TOML
	: >"$fetch/src/lib.rs"
	"$cargo" fetch --manifest-path "$fetch/Cargo.toml" --quiet </dev/null
	reg=$(find "${CARGO_HOME:-$HOME/.cargo}/registry/src" -mindepth 2 -maxdepth 2 -type d \
		-name "wit-bindgen-cli-$WIT_BINDGEN_VERSION" | head -1)
	[ -n "$reg" ] && [ -f "$reg/Cargo.lock" ] || { echo "install-toolchains: wit-bindgen-cli $WIT_BINDGEN_VERSION source not found in cargo's registry" >&2; return 1; }
	rm -rf "$src"
	mkdir -p "$(dirname "$src")"
	cp -r "$reg" "$src"
	# 2. Its lock file with the 0.220 wasm-tools crates at 0.220.1 (wasmparser follows wit-parser,
	#    wasm-encoder and wasm-metadata follow wit-component).
	(cd "$src" &&
		"$cargo" update --quiet -p wit-parser@0.220.0 --precise 0.220.1 </dev/null &&
		"$cargo" update --quiet -p wit-component@0.220.0 --precise 0.220.1 </dev/null)
	grep -A1 '^name = "wit-parser"' "$src/Cargo.lock" | grep -q '"0.220.1"' ||
		{ echo "install-toolchains: could not move wit-bindgen-cli's lock to wit-parser 0.220.1" >&2; return 1; }
	# 3. Build and install; a persistent target dir keeps a retry after a failure incremental.
	echo "    $cargo install --path $src --locked --root $TOOLS"
	CARGO_TARGET_DIR="$CACHE/cargo-install-target" \
		"$cargo" install --path "$src" --locked --root "$TOOLS" --force --quiet </dev/null
	probe_wit_bindgen "$TOOLS/bin/wit-bindgen" ||
		{ echo "install-toolchains: $TOOLS/bin/wit-bindgen still lays out option<string> wrongly" >&2; return 1; }
	echo "$WIT_BINDGEN_STAMP" >"$TOOLS/wit-bindgen.stamp"
	"$TOOLS/bin/wit-bindgen" --version
}

# wit-bindgen-cli 0.63.0: the first whose Go generator targets standard Go (a second, independent Go
# guest for the interop suite). Only the Go generator is built (--no-default-features --features go),
# into its own root so it never shadows the pinned 0.36.0 above.
WIT_BINDGEN_GO_VERSION=0.63.0
install_wit_bindgen_go() {
	local bin="$CACHE/tools-go/bin/wit-bindgen"
	if [ -x "$bin" ] && "$bin" --version 2>/dev/null | grep -q " $WIT_BINDGEN_GO_VERSION"; then
		echo "    $("$bin" --version) already in $CACHE/tools-go/bin"
		return 0
	fi
	local cargo
	cargo=$(host_cargo)
	CARGO_TARGET_DIR="$CACHE/cargo-install-target-go" \
		"$cargo" install wit-bindgen-cli --version "$WIT_BINDGEN_GO_VERSION" --locked \
		--no-default-features --features go --root "$CACHE/tools-go" --force --quiet </dev/null
	"$bin" --version
}

install_jco() {
	local pkg="$CACHE/npm/node_modules/@bytecodealliance/jco/package.json" have=""
	if [ -f "$pkg" ]; then
		have=$(node -p "require(process.argv[1]).version" "$pkg" 2>/dev/null || true)
	fi
	if [ "$have" = "$JCO_VERSION" ]; then
		echo "    jco $have already in $CACHE/npm"
		return 0
	fi
	mkdir -p "$CACHE/npm"
	npm install --prefix "$CACHE/npm" --save-exact --no-audit --no-fund --loglevel=error \
		"@bytecodealliance/jco@$JCO_VERSION" </dev/null
	"$CACHE/npm/node_modules/.bin/jco" --version
}

# install_zig: PyPI's ziglang wheel carries the whole Zig toolchain (compiler, its lib/ with
# wasi-libc and compiler-rt) in the package directory; the venv keeps it off the system Python.
install_zig() {
	local venv="$CACHE/zig-venv" bin="$TOOLS/bin/zig" zig have=""
	if [ -x "$bin" ]; then
		have=$("$bin" version 2>/dev/null || true)
	fi
	if [ "$have" = "$ZIG_VERSION" ]; then
		echo "    zig $have already in $TOOLS/bin"
		return 0
	fi
	# Debian's own python3 first: pyenv or other shims on PATH may lack venv.
	local py=/usr/bin/python3
	[ -x "$py" ] || py=$(command -v python3)
	[ -x "$venv/bin/python" ] || "$py" -m venv "$venv"
	"$venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-input \
		"ziglang==$ZIG_VERSION" </dev/null
	zig=$("$venv/bin/python" -c 'import os, ziglang; print(os.path.join(os.path.dirname(ziglang.__file__), "zig"))')
	[ -x "$zig" ] || { echo "install-toolchains: ziglang $ZIG_VERSION has no zig binary at $zig" >&2; return 1; }
	mkdir -p "$TOOLS/bin"
	# Relative, so the link survives the cache being reached through another checkout.
	ln -sfnr "$zig" "$bin"
	have=$("$bin" version)
	[ "$have" = "$ZIG_VERSION" ] || { echo "install-toolchains: $bin reports $have, want $ZIG_VERSION" >&2; return 1; }
	echo "    zig $have"
}

check() {
	local ok=1 t
	for t in /usr/bin/rustc /usr/bin/cargo clang-16 wasm-ld-16 "$TOOLS/bin/wit-bindgen" "$CACHE/npm/node_modules/.bin/jco" "$TOOLS/bin/zig"; do
		if ! command -v "$t" >/dev/null 2>&1; then
			echo "install-toolchains: missing $t" >&2
			ok=0
		fi
	done
	[ -d /usr/lib/rustlib/src/rust/library ] || { echo "install-toolchains: rust-web-src missing (no /usr/lib/rustlib/src/rust/library)" >&2; ok=0; }
	[ -f /usr/lib/wasm32-wasi/libc.a ] || { echo "install-toolchains: wasi-libc missing (no /usr/lib/wasm32-wasi/libc.a)" >&2; ok=0; }
	[ $ok -eq 1 ] || return 1
	echo "    $(/usr/bin/rustc --version) | $(clang-16 --version | head -1) | $("$TOOLS/bin/wit-bindgen" --version) | jco $("$CACHE/npm/node_modules/.bin/jco" --version) | zig $("$TOOLS/bin/zig" version)"
}

step "apt packages" apt_install
step "wit-bindgen-cli $WIT_BINDGEN_VERSION" install_wit_bindgen
step "wit-bindgen-cli $WIT_BINDGEN_GO_VERSION (Go generator)" install_wit_bindgen_go
step "jco $JCO_VERSION" install_jco
step "zig $ZIG_VERSION (PyPI ziglang)" install_zig
step "check" check
echo "install-toolchains: done in $(secs "$T_ALL")s"
