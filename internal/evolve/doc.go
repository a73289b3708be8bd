// Package evolve tests contract evolution end to end: real plugins built
// for one version of the contract (Rust with wit-bindgen, C with
// wit-bindgen and clang, Go with `witgen guest`) loaded into hosts
// generated for others.
//
// Three hosts take part: gen/plugin (wit/plugin.wit, 0.1.0), host011 (the
// compatible test contract testdata/evolve/v0.1.1: one host function and
// one hook added) and host020 (the breaking testdata/evolve/v0.2.0). The
// Go test plugins under testplugins/ use the guest bindings guest011 and
// guest020; the C and Rust ones are built by .ci/build-guests.sh.
package evolve
