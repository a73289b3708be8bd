#!/usr/bin/env bash
# Builds the non-Go wasm guests into <repo>/.cache/guests/<name>.wasm:
#   slug-rust   examples/plugins/slug-rust (the product page's Rust quick start; wit-bindgen 0.36,
#               Debian's rustc-web with -Zbuild-std, wasm32-unknown-unknown); also copied to
#               examples/plugins/slug-rust/plugin.wasm
#   slug-rust-010  the same sources built against testdata/evolve/v0.1.0 (wit/plugin.wit as it was at
#               0.1.0): the quick start as plugins deployed before 0.1.1 were built, for the tests
#               that show they keep loading
#   audit-rust  examples/plugins/audit-rust (an audit trail on the typed data API of contract 0.1.1;
#               built as slug-rust; also copied to examples/plugins/audit-rust/plugin.wasm)
#   c-plugin    testdata/guests/c-plugin   (wit-bindgen C, plugin-world of wit/plugin.wit)
#   c-alltypes  testdata/guests/c-alltypes (wit-bindgen C, world alltypes of testdata/alltypes)
#   c-res       testdata/guests/c-res      (wit-bindgen C, world res of internal/restest/wit: resources)
#   c-dual      testdata/guests/c-dual     (wit-bindgen C, world dual of internal/restest/dual/wit: one interface imported and exported)
#   rust-dual   testdata/guests/rust-dual  (wit-bindgen 0.36 Rust, world dual of internal/restest/dual/wit)
#   rust-res    testdata/guests/rust-res   (wit-bindgen 0.36 Rust, world res of internal/restest/wit: resources)
#   conformance-rust  interop/rust (the conformance plugin of interop/SPEC.md; wit-bindgen 0.36 Rust)
#   conformance-c     interop/c    (the conformance plugin; wit-bindgen C, clang-16, wasi-libc)
#   conformance-go    interop/go   (the conformance plugin; guest/plugin, the `witgen guest` bindings, wasip1)
#   conformance-wbgo  interop/wbgo (the conformance plugin; wit-bindgen-cli 0.63.0's Go generator,
#                     installed by install-toolchains.sh; see interop/wbgo/README.md).
#   c-evolve-011      testdata/guests/c-evolve-011 (issue 10's evolution tests: wit-bindgen C, plugin-world
#                     of the 0.1.1 test contract testdata/evolve/v0.1.1; does not import now-millis)
#   rust-evolve-020   testdata/guests/rust-evolve-020 (issue 10's evolution tests: wit-bindgen 0.36 Rust,
#                     plugin-world of the breaking 0.2.0 test contract testdata/evolve/v0.2.0)
#   rust-evolve-011   testdata/guests/rust-evolve-011 (issue 10's evolution tests: wit-bindgen 0.36 Rust,
#                     plugin-world of the 0.1.1 test contract testdata/evolve/v0.1.1; imports now-millis)
#   c-evolve-020      testdata/guests/c-evolve-020 (issue 10's evolution tests: wit-bindgen C, plugin-world
#                     of the breaking 0.2.0 test contract testdata/evolve/v0.2.0; does not import now-millis)
#   conformance-zig   interop/zig  (the conformance plugin in Zig over wit-bindgen's C bindings, @cImport;
#                     Zig from PyPI's ziglang, installed by install-toolchains.sh; interop/zig/build.sh)
#   slug-zig          examples/plugins/slug-zig (the quick start in Zig, built like conformance-zig);
#                     also copied to examples/plugins/slug-zig/plugin.wasm
#
# Usage: .ci/build-guests.sh [--force] [NAME...]   (default: all guests)
# A guest is rebuilt only when a hash of its inputs (sources, WIT files, build scripts, tool
# versions) differs from the stamp of its last successful build. Run .ci/install-toolchains.sh first.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CACHE="$REPO/.cache"
OUT="$CACHE/guests"
WIT_BINDGEN="$CACHE/tools/bin/wit-bindgen"
ALL=(slug-rust slug-rust-010 audit-rust c-plugin c-alltypes conformance-rust conformance-c conformance-go conformance-wbgo c-evolve-011 rust-evolve-020 rust-evolve-011 c-evolve-020 conformance-zig slug-zig c-res rust-res c-dual rust-dual)

force=0
names=()
for a in "$@"; do
	case $a in
	--force) force=1 ;;
	slug-rust | slug-rust-010 | audit-rust | c-plugin | c-alltypes | conformance-rust | conformance-c | conformance-go | conformance-wbgo | c-evolve-011 | rust-evolve-020 | rust-evolve-011 | c-evolve-020 | conformance-zig | slug-zig | c-res | rust-res | c-dual | rust-dual) names+=("$a") ;;
	*) echo "build-guests: unknown argument $a (guests: ${ALL[*]})" >&2; exit 2 ;;
	esac
done
[ ${#names[@]} -gt 0 ] || names=("${ALL[@]}")

mkdir -p "$OUT"
# One build at a time per checkout (tests may call this script concurrently).
exec 9>"$OUT/.lock"
flock 9

now() { date +%s%N; }
secs() { local ms=$((($(now) - $1) / 1000000)); printf '%d.%d' $((ms / 1000)) $((ms % 1000 / 100)); }
T_ALL=$(now)

fail() {
	echo "build-guests: FAILED: $*" >&2
	exit 1
}

need() {
	command -v "$1" >/dev/null 2>&1 || fail "$1 not found: run .ci/install-toolchains.sh"
}

# inputs NAME: the files a guest is built from, relative to the repo, one per line, sorted.
inputs() {
	local files=(.ci/build-guests.sh)
	case $1 in
	slug-rust)
		files+=(examples/plugins/slug-rust/Cargo.toml examples/plugins/slug-rust/Cargo.lock)
		files+=($(cd "$REPO" && find examples/plugins/slug-rust/src wit -type f))
		;;
	slug-rust-010)
		files+=(examples/plugins/slug-rust/Cargo.toml examples/plugins/slug-rust/Cargo.lock)
		files+=($(cd "$REPO" && find examples/plugins/slug-rust/src testdata/evolve/v0.1.0 -type f))
		;;
	audit-rust)
		files+=(examples/plugins/audit-rust/Cargo.toml examples/plugins/audit-rust/Cargo.lock)
		files+=($(cd "$REPO" && find examples/plugins/audit-rust/src wit -type f))
		;;
	c-plugin)
		files+=(testdata/guests/build-c.sh)
		files+=($(cd "$REPO" && find testdata/guests/c-plugin wit -type f \( -name '*.c' -o -name '*.h' -o -name '*.wit' \)))
		;;
	c-alltypes)
		files+=(testdata/guests/build-c.sh)
		files+=($(cd "$REPO" && find testdata/guests/c-alltypes testdata/alltypes -type f \( -name '*.c' -o -name '*.h' -o -name '*.wit' \)))
		;;
	c-res)
		files+=(testdata/guests/build-c.sh)
		files+=($(cd "$REPO" && find testdata/guests/c-res internal/restest/wit -type f \( -name '*.c' -o -name '*.h' -o -name '*.wit' \)))
		;;
	c-dual)
		files+=(testdata/guests/build-c.sh)
		files+=($(cd "$REPO" && find testdata/guests/c-dual internal/restest/dual/wit -type f \( -name '*.c' -o -name '*.h' -o -name '*.wit' \)))
		;;
	rust-dual)
		files+=(testdata/guests/rust-dual/Cargo.toml testdata/guests/rust-dual/Cargo.lock)
		files+=($(cd "$REPO" && find testdata/guests/rust-dual/src internal/restest/dual/wit -type f))
		;;
	rust-res)
		files+=(testdata/guests/rust-res/Cargo.toml testdata/guests/rust-res/Cargo.lock)
		files+=($(cd "$REPO" && find testdata/guests/rust-res/src internal/restest/wit -type f))
		;;
	conformance-rust)
		files+=(interop/rust/Cargo.toml interop/rust/Cargo.lock)
		files+=($(cd "$REPO" && find interop/rust/src wit -type f))
		;;
	conformance-c)
		files+=(testdata/guests/build-c.sh)
		files+=($(cd "$REPO" && find interop/c wit -type f \( -name '*.c' -o -name '*.h' -o -name '*.wit' \)))
		;;
	conformance-go)
		files+=(go.mod go.sum)
		files+=($(cd "$REPO" && find interop/go guest/cabi guest/plugin -type f -name '*.go' ! -name '*_test.go'))
		;;
	conformance-wbgo)
		files+=($(cd "$REPO" && find interop/wbgo wit -type f \( -name '*.go' -o -name 'go.mod' -o -name '*.wit' \)))
		;;
	c-evolve-011)
		files+=(testdata/guests/build-c.sh)
		files+=($(cd "$REPO" && find testdata/guests/c-evolve-011 testdata/evolve/v0.1.1 -type f \( -name '*.c' -o -name '*.h' -o -name '*.wit' \)))
		;;
	rust-evolve-020)
		files+=(testdata/guests/rust-evolve-020/Cargo.toml testdata/guests/rust-evolve-020/Cargo.lock)
		files+=($(cd "$REPO" && find testdata/guests/rust-evolve-020/src testdata/evolve/v0.2.0 -type f))
		;;
	rust-evolve-011)
		files+=(testdata/guests/rust-evolve-011/Cargo.toml testdata/guests/rust-evolve-011/Cargo.lock)
		files+=($(cd "$REPO" && find testdata/guests/rust-evolve-011/src testdata/evolve/v0.1.1 -type f))
		;;
	c-evolve-020)
		files+=(testdata/guests/build-c.sh)
		files+=($(cd "$REPO" && find testdata/guests/c-evolve-020 testdata/evolve/v0.2.0 -type f \( -name '*.c' -o -name '*.h' -o -name '*.wit' \)))
		;;
	conformance-zig)
		files+=(interop/zig/build.sh)
		files+=($(cd "$REPO" && find interop/zig wit -type f \( -name '*.zig' -o -name '*.wit' \)))
		;;
	slug-zig)
		files+=(interop/zig/build.sh)
		files+=($(cd "$REPO" && find examples/plugins/slug-zig wit -type f \( -name '*.zig' -o -name '*.wit' \)))
		;;
	esac
	printf '%s\n' "${files[@]}" | LC_ALL=C sort
}

# tools NAME: the identity of the tools that build a guest.
tools() {
	case $1 in
	slug-rust) /usr/bin/rustc -V; /usr/bin/cargo -V; wasm-ld-16 --version ;;
	c-*) cat "$CACHE/tools/wit-bindgen.stamp" 2>/dev/null || echo "no wit-bindgen stamp"
		clang-16 --version | head -1
		dpkg-query -W -f='${Package} ${Version}\n' wasi-libc 2>/dev/null || true ;;
	audit-rust | conformance-rust | rust-evolve-020 | rust-evolve-011 | slug-rust-010 | rust-res | rust-dual) /usr/bin/rustc -V; /usr/bin/cargo -V; wasm-ld-16 --version ;;
	conformance-go) go version ;;
	conformance-wbgo) go version; "$WBG_GO" --version 2>/dev/null || echo "no $WBG_GO" ;;
	conformance-zig | slug-zig) cat "$CACHE/tools/wit-bindgen.stamp" 2>/dev/null || echo "no wit-bindgen stamp"
		"$ZIG" version 2>/dev/null || echo "no $ZIG" ;;
	esac
}

# input_hash NAME: one hash over the input files' names and contents and the tool versions.
input_hash() {
	{
		(cd "$REPO" && inputs "$1" | while IFS= read -r f; do sha256sum "$f"; done)
		tools "$1"
	} | sha256sum | cut -d' ' -f1
}

check_wasm() {
	[ -s "$1" ] || fail "$1 is missing or empty"
	[ "$(head -c4 "$1" | od -An -c | tr -d ' ')" = '\0asm' ] || fail "$1 is not a wasm module"
}

build_slug_rust() {
	need /usr/bin/cargo
	need /usr/bin/rustc
	need wasm-ld-16
	[ -d /usr/lib/rustlib/src/rust/library ] || fail "rust-web-src missing: run .ci/install-toolchains.sh"
	local crate="$REPO/examples/plugins/slug-rust" target="$CACHE/rust-target"
	# Debian's rustc-web builds std for wasm32-unknown-unknown from source (-Zbuild-std, enabled by
	# RUSTC_BOOTSTRAP=1 on this stable toolchain); /usr/bin/cargo by full path because rustup's
	# cargo comes first on PATH.
	(cd "$crate" &&
		env RUSTC=/usr/bin/rustc RUSTC_BOOTSTRAP=1 \
			CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_LINKER=wasm-ld-16 \
			CARGO_TARGET_DIR="$target" \
			/usr/bin/cargo build --release --locked --target wasm32-unknown-unknown \
			-Zbuild-std=std,panic_abort </dev/null) ||
		fail "slug-rust: cargo build failed (see above)"
	local wasm="$target/wasm32-unknown-unknown/release/slug_rust.wasm"
	check_wasm "$wasm"
	cp "$wasm" "$OUT/slug-rust.wasm.tmp"
}

# build_slug_rust_010: slug-rust's sources, copied with their WIT path pointed at the frozen 0.1.0
# contract, built as slug-rust is (same target dir).
build_slug_rust_010() {
	need /usr/bin/cargo
	need /usr/bin/rustc
	need wasm-ld-16
	[ -d /usr/lib/rustlib/src/rust/library ] || fail "rust-web-src missing: run .ci/install-toolchains.sh"
	local src="$OUT/work/slug-rust-010" target="$CACHE/rust-target"
	rm -rf "$src"
	mkdir -p "$src"
	cp -r "$REPO/examples/plugins/slug-rust/Cargo.toml" "$REPO/examples/plugins/slug-rust/Cargo.lock" "$REPO/examples/plugins/slug-rust/src" "$src/"
	grep -q 'path: "../../../wit/plugin.wit"' "$src/src/lib.rs" || fail "slug-rust-010: lib.rs no longer names ../../../wit/plugin.wit"
	sed -i "s|path: \"../../../wit/plugin.wit\"|path: \"$REPO/testdata/evolve/v0.1.0/plugin.wit\"|" "$src/src/lib.rs"
	(cd "$src" &&
		env RUSTC=/usr/bin/rustc RUSTC_BOOTSTRAP=1 \
			CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_LINKER=wasm-ld-16 \
			CARGO_TARGET_DIR="$target" \
			/usr/bin/cargo build --release --locked --target wasm32-unknown-unknown \
			-Zbuild-std=std,panic_abort </dev/null) ||
		fail "slug-rust-010: cargo build failed (see above)"
	local wasm="$target/wasm32-unknown-unknown/release/slug_rust.wasm"
	check_wasm "$wasm"
	cp "$wasm" "$OUT/slug-rust-010.wasm.tmp"
}

# build_audit_rust: examples/plugins/audit-rust as slug-rust is built (same target dir, so the
# -Zbuild-std standard library is compiled once for all Rust guests).
build_audit_rust() {
	need /usr/bin/cargo
	need /usr/bin/rustc
	need wasm-ld-16
	[ -d /usr/lib/rustlib/src/rust/library ] || fail "rust-web-src missing: run .ci/install-toolchains.sh"
	local target="$CACHE/rust-target"
	(cd "$REPO/examples/plugins/audit-rust" &&
		env RUSTC=/usr/bin/rustc RUSTC_BOOTSTRAP=1 \
			CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_LINKER=wasm-ld-16 \
			CARGO_TARGET_DIR="$target" \
			/usr/bin/cargo build --release --locked --target wasm32-unknown-unknown \
			-Zbuild-std=std,panic_abort </dev/null) ||
		fail "audit-rust: cargo build failed (see above)"
	local wasm="$target/wasm32-unknown-unknown/release/audit_rust.wasm"
	check_wasm "$wasm"
	cp "$wasm" "$OUT/audit-rust.wasm.tmp"
}

build_c() {
	local name=$1 wit=$2 world=$3
	need "$WIT_BINDGEN"
	need clang-16
	[ -f /usr/lib/wasm32-wasi/libc.a ] || fail "wasi-libc missing: run .ci/install-toolchains.sh"
	WIT_BINDGEN="$WIT_BINDGEN" WORK_DIR="$OUT/work/$name" \
		"$REPO/testdata/guests/build-c.sh" "$REPO/testdata/guests/$name" "$REPO/$wit" "$world" "$OUT/$name.wasm.tmp" ||
		fail "$name: build-c.sh failed (see above)"
	check_wasm "$OUT/$name.wasm.tmp"
}

# build_conformance_rust: interop/rust as slug-rust is built (same target dir, so the
# -Zbuild-std standard library is compiled once for both).
build_conformance_rust() {
	need /usr/bin/cargo
	need /usr/bin/rustc
	need wasm-ld-16
	[ -d /usr/lib/rustlib/src/rust/library ] || fail "rust-web-src missing: run .ci/install-toolchains.sh"
	local target="$CACHE/rust-target"
	(cd "$REPO/interop/rust" &&
		env RUSTC=/usr/bin/rustc RUSTC_BOOTSTRAP=1 \
			CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_LINKER=wasm-ld-16 \
			CARGO_TARGET_DIR="$target" \
			/usr/bin/cargo build --release --locked --target wasm32-unknown-unknown \
			-Zbuild-std=std,panic_abort </dev/null) ||
		fail "conformance-rust: cargo build failed (see above)"
	local wasm="$target/wasm32-unknown-unknown/release/conformance_rust.wasm"
	check_wasm "$wasm"
	cp "$wasm" "$OUT/conformance-rust.wasm.tmp"
}

# build_rust_evolve_020: testdata/guests/rust-evolve-020 as slug-rust is built (same target dir, so
# the -Zbuild-std standard library is compiled once for all Rust guests).
build_rust_evolve_020() {
	need /usr/bin/cargo
	need /usr/bin/rustc
	need wasm-ld-16
	[ -d /usr/lib/rustlib/src/rust/library ] || fail "rust-web-src missing: run .ci/install-toolchains.sh"
	local target="$CACHE/rust-target"
	(cd "$REPO/testdata/guests/rust-evolve-020" &&
		env RUSTC=/usr/bin/rustc RUSTC_BOOTSTRAP=1 \
			CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_LINKER=wasm-ld-16 \
			CARGO_TARGET_DIR="$target" \
			/usr/bin/cargo build --release --locked --target wasm32-unknown-unknown \
			-Zbuild-std=std,panic_abort </dev/null) ||
		fail "rust-evolve-020: cargo build failed (see above)"
	local wasm="$target/wasm32-unknown-unknown/release/rust_evolve_020.wasm"
	check_wasm "$wasm"
	cp "$wasm" "$OUT/rust-evolve-020.wasm.tmp"
}

# build_rust_guest NAME: testdata/guests/NAME (the resource test guests) as slug-rust is built (same
# target dir, so the -Zbuild-std standard library is compiled once for all Rust guests).
build_rust_guest() {
	local name=$1
	need /usr/bin/cargo
	need /usr/bin/rustc
	need wasm-ld-16
	[ -d /usr/lib/rustlib/src/rust/library ] || fail "rust-web-src missing: run .ci/install-toolchains.sh"
	local target="$CACHE/rust-target"
	(cd "$REPO/testdata/guests/$name" &&
		env RUSTC=/usr/bin/rustc RUSTC_BOOTSTRAP=1 \
			CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_LINKER=wasm-ld-16 \
			CARGO_TARGET_DIR="$target" \
			/usr/bin/cargo build --release --locked --target wasm32-unknown-unknown \
			-Zbuild-std=std,panic_abort </dev/null) ||
		fail "$name: cargo build failed (see above)"
	local wasm="$target/wasm32-unknown-unknown/release/${name//-/_}.wasm"
	check_wasm "$wasm"
	cp "$wasm" "$OUT/$name.wasm.tmp"
}

# build_rust_evolve_011: testdata/guests/rust-evolve-011 as slug-rust is built (same target dir, so
# the -Zbuild-std standard library is compiled once for all Rust guests).
build_rust_evolve_011() {
	need /usr/bin/cargo
	need /usr/bin/rustc
	need wasm-ld-16
	[ -d /usr/lib/rustlib/src/rust/library ] || fail "rust-web-src missing: run .ci/install-toolchains.sh"
	local target="$CACHE/rust-target"
	(cd "$REPO/testdata/guests/rust-evolve-011" &&
		env RUSTC=/usr/bin/rustc RUSTC_BOOTSTRAP=1 \
			CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_LINKER=wasm-ld-16 \
			CARGO_TARGET_DIR="$target" \
			/usr/bin/cargo build --release --locked --target wasm32-unknown-unknown \
			-Zbuild-std=std,panic_abort </dev/null) ||
		fail "rust-evolve-011: cargo build failed (see above)"
	local wasm="$target/wasm32-unknown-unknown/release/rust_evolve_011.wasm"
	check_wasm "$wasm"
	cp "$wasm" "$OUT/rust-evolve-011.wasm.tmp"
}

# build_conformance_c: interop/c with build-c.sh (bindings generated from wit/ at build time).
build_conformance_c() {
	need "$WIT_BINDGEN"
	need clang-16
	[ -f /usr/lib/wasm32-wasi/libc.a ] || fail "wasi-libc missing: run .ci/install-toolchains.sh"
	WIT_BINDGEN="$WIT_BINDGEN" WORK_DIR="$OUT/work/conformance-c" \
		"$REPO/testdata/guests/build-c.sh" "$REPO/interop/c" "$REPO/wit" plugin-world "$OUT/conformance-c.wasm.tmp" ||
		fail "conformance-c: build-c.sh failed (see above)"
	check_wasm "$OUT/conformance-c.wasm.tmp"
}

# build_conformance_go: interop/go, a standard Go wasip1 reactor on `witgen guest` bindings.
build_conformance_go() {
	need go
	(cd "$REPO" && env GOOS=wasip1 GOARCH=wasm CGO_ENABLED=0 \
		go build -buildmode=c-shared -o "$OUT/conformance-go.wasm.tmp" ./interop/go </dev/null) ||
		fail "conformance-go: go build failed (see above)"
	check_wasm "$OUT/conformance-go.wasm.tmp"
}

# wit-bindgen-cli 0.63.0 (the first with a Go generator for standard Go), installed by
# install-toolchains.sh into .cache/tools-go.
WBG_GO="$CACHE/tools-go/bin/wit-bindgen"

# build_conformance_wbgo: bindings from `wit-bindgen go`, interop/wbgo's hook implementations, and
# go.bytecodealliance.org/pkg v0.4.0 (the generated code's runtime package). That package is not
# served by this machine's Go module proxy; the wit-bindgen-go 0.63.0 crate ships its source, so the
# copy in cargo's registry (unpacked when wit-bindgen-cli was built) is used through a replace
# directive. Its go.mod says `go 1.27.1` while this repository builds with Go 1.26: the work copy's
# go line is lowered (the code needs nothing newer). -checklinkname=0 because the package
# go:linknames runtime.sbrk (as wit-bindgen's own instructions say).
build_conformance_wbgo() {
	need go
	[ -x "$WBG_GO" ] || fail "conformance-wbgo: $WBG_GO not found (see interop/wbgo/README.md)"
	local pkg work="$OUT/work/conformance-wbgo"
	pkg=$(find "${CARGO_HOME:-$HOME/.cargo}/registry/src" -mindepth 2 -maxdepth 2 -type d -name 'wit-bindgen-go-0.63.0' | head -1)
	[ -n "$pkg" ] && [ -f "$pkg/src/pkg/wit/runtime/runtime.go" ] ||
		fail "conformance-wbgo: wit-bindgen-go 0.63.0 crate source not found in cargo's registry"
	rm -rf "$work"
	mkdir -p "$work"
	local log
	log=$("$WBG_GO" go -w plugin-world "$REPO/wit/plugin.wit" --out-dir "$work/src" 2>&1) ||
		{ echo "$log" >&2; fail "conformance-wbgo: wit-bindgen go failed"; }
	cp -r "$REPO/interop/wbgo/." "$work/src/"
	rm -f "$work/src/README.md"
	cp -r "$pkg/src/pkg" "$work/pkg"
	chmod -R u+w "$work/pkg"
	sed -i 's/^go 1\.27\.1$/go 1.25/' "$work/pkg/go.mod"
	printf '\nreplace go.bytecodealliance.org/pkg => ../pkg\n' >>"$work/src/go.mod"
	(cd "$work/src" && env GOOS=wasip1 GOARCH=wasm CGO_ENABLED=0 GOFLAGS=-mod=mod GOPROXY=off GOTOOLCHAIN=local \
		go build -buildmode=c-shared -ldflags=-checklinkname=0 -o "$OUT/conformance-wbgo.wasm.tmp" . </dev/null) ||
		fail "conformance-wbgo: go build failed (see above)"
	check_wasm "$OUT/conformance-wbgo.wasm.tmp"
}

# Zig (PyPI's ziglang), installed by install-toolchains.sh into .cache/tools/bin.
ZIG="$CACHE/tools/bin/zig"

# build_zig NAME SRC.zig: a Zig guest over wit-bindgen's C bindings of plugin-world (interop/zig/build.sh).
build_zig() {
	local name=$1 src=$2
	need "$WIT_BINDGEN"
	need "$ZIG"
	WIT_BINDGEN="$WIT_BINDGEN" ZIG="$ZIG" WORK_DIR="$OUT/work/$name" \
		"$REPO/interop/zig/build.sh" "$REPO/$src" "$REPO/wit" plugin-world "$OUT/$name.wasm.tmp" ||
		fail "$name: interop/zig/build.sh failed (see above)"
	check_wasm "$OUT/$name.wasm.tmp"
}

build() {
	case $1 in
	slug-rust) build_slug_rust ;;
	audit-rust) build_audit_rust ;;
	c-plugin) build_c c-plugin wit plugin-world ;;
	c-alltypes) build_c c-alltypes testdata/alltypes alltypes ;;
	c-res) build_c c-res internal/restest/wit res ;;
	rust-res) build_rust_guest rust-res ;;
	rust-dual) build_rust_guest rust-dual ;;
	c-dual) build_c c-dual internal/restest/dual/wit dual ;;
	conformance-rust) build_conformance_rust ;;
	conformance-c) build_conformance_c ;;
	conformance-go) build_conformance_go ;;
	conformance-wbgo) build_conformance_wbgo ;;
	c-evolve-011) build_c c-evolve-011 testdata/evolve/v0.1.1 plugin-world ;;
	rust-evolve-020) build_rust_evolve_020 ;;
	rust-evolve-011) build_rust_evolve_011 ;;
	slug-rust-010) build_slug_rust_010 ;;
	c-evolve-020) build_c c-evolve-020 testdata/evolve/v0.2.0 plugin-world ;;
	conformance-zig) build_zig conformance-zig interop/zig/conformance.zig ;;
	slug-zig) build_zig slug-zig examples/plugins/slug-zig/plugin.zig ;;
	esac
}

for name in "${names[@]}"; do
	t0=$(now)
	hash=$(input_hash "$name")
	stamp="$OUT/$name.stamp"
	if [ $force -eq 0 ] && [ -s "$OUT/$name.wasm" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$hash" ]; then
		status="up to date"
	else
		echo "==> building $name"
		rm -f "$stamp"
		build "$name"
		mv "$OUT/$name.wasm.tmp" "$OUT/$name.wasm"
		echo "$hash" >"$stamp"
		status="built"
	fi
	if [ "$name" = slug-rust ] && ! cmp -s "$OUT/slug-rust.wasm" "$REPO/examples/plugins/slug-rust/plugin.wasm"; then
		cp "$OUT/slug-rust.wasm" "$REPO/examples/plugins/slug-rust/plugin.wasm"
	fi
	if [ "$name" = slug-zig ] && ! cmp -s "$OUT/slug-zig.wasm" "$REPO/examples/plugins/slug-zig/plugin.wasm"; then
		cp "$OUT/slug-zig.wasm" "$REPO/examples/plugins/slug-zig/plugin.wasm"
	fi
	if [ "$name" = audit-rust ] && ! cmp -s "$OUT/audit-rust.wasm" "$REPO/examples/plugins/audit-rust/plugin.wasm"; then
		cp "$OUT/audit-rust.wasm" "$REPO/examples/plugins/audit-rust/plugin.wasm"
	fi
	printf '    %-10s %-10s %7d bytes  %ss  %s\n' "$name" "$status" "$(stat -c %s "$OUT/$name.wasm")" "$(secs "$t0")" "${OUT#"$REPO"/}/$name.wasm"
done
echo "build-guests: done in $(secs "$T_ALL")s"
