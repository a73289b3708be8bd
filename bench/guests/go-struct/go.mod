module github.com/raisfast/wasmplug/bench/guests/go-struct

go 1.26.8
