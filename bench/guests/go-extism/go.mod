module github.com/raisfast/wasmplug/bench/guests/go-extism

go 1.26.8

require github.com/extism/go-pdk v1.1.3
