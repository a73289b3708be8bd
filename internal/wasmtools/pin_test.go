package wasmtools

// The wasm-tools binary this package runs lives in go.bytecodealliance.org,
// which nothing else may import. This blank import keeps the requirement (at
// the version in go.mod) through `go mod tidy`.
import _ "go.bytecodealliance.org/wit"
