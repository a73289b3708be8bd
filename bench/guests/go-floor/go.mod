module github.com/raisfast/wasmplug/bench/guests/go-floor

go 1.26.8
