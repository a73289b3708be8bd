module github.com/raisfast/wasmplug/bench/guests/go-witgen

go 1.26.8
