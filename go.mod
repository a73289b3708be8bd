module github.com/raisfast/wasmplug

go 1.26.8

require go.bytecodealliance.org v0.7.0

require (
	github.com/coreos/go-semver v0.3.1 // indirect
	github.com/tetratelabs/wazero v1.12.0 // indirect
	golang.org/x/sys v0.44.0 // indirect
)
