// The second host of the resource round trips (internal/restest): runs a guest component that
// `jco transpile --instantiation async` turned into JavaScript, on jco's implementation of the
// canonical ABI, with a store (blob) host like the Go test's, and makes the same calls as script()
// in internal/restest/jco_test.go. It prints the trace of what it saw as a JSON array of strings;
// the Go test compares it with the trace of the same script on the wazero host bindings.
//
//   node run.mjs TRANSPILED_DIR [NODE_MODULES] > trace.json

import { readFileSync } from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";

const dir = path.resolve(process.argv[2]);
const nodeModules = process.argv[3];
const { instantiate } = await import(pathToFileURL(path.join(dir, "res.js")).href);

const trace = [];
const out = (s) => trace.push(s);

// ---- the host's store: blobs numbered in creation order ----

let nextId = 0;
let dropped = [];
const live = new Map();
class Blob {
	constructor(init) {
		this.id = ++nextId;
		this.data = Array.from(init);
		live.set(this.id, this);
	}
	read() { return Uint8Array.from(this.data); }
	append(more) { this.data.push(...more); }
	size() { return this.data.length; }
	static concat(a, b) { return new Blob([...a.data, ...b.data]); }
	[Symbol.dispose]() {
		dropped.push(this.id);
		live.delete(this.id);
	}
}
const store = {
	Blob,
	makeMany(n) { return Array.from({ length: n }, (_, i) => new Blob([i])); },
	totalSize(items) { return items.reduce((n, b) => n + b.data.length, 0); },
	wrap(name, b) { return { name: name + "-wrapped", item: b }; },
	unwrap(t) { return t.item; },
	pick(b) {
		if (b === undefined || b === null) throw "empty";
		return b;
	},
};

let shim = null;
if (nodeModules) {
	const entry = path.join(nodeModules, "@bytecodealliance/preview2-shim/dist/nodejs/index.js");
	shim = await import(pathToFileURL(entry).href);
}
const camel = (s) => s.replace(/-([a-z])/g, (_, c) => c.toUpperCase());
const imports = new Proxy({}, {
	get(_, key) {
		if (typeof key !== "string") return undefined;
		const name = key.replace(/@.*$/, "");
		if (name === "test:res/store") return store;
		const m = /^wasi:([a-z-]+)\/([a-z-]+)$/.exec(name);
		if (m && shim) return shim[camel(m[1])]?.[camel(m[2])];
		return undefined;
	},
	has(_, key) { return typeof key === "string"; },
});
const getCoreModule = (name) => WebAssembly.compile(readFileSync(path.join(dir, name)));
const root = await instantiate(getCoreModule, imports);
const c = root["test:res/counters@0.1.0"] ?? root.counters;
const { Counter } = c;
const drop = (x) => x[Symbol.dispose]();
const list = (xs) => "[" + xs.join(" ") + "]";

// ---- the script: keep in step with script() in jco_test.go ----

{
	const a = new Counter("a", 5n);
	out("add=" + a.add(3n));
	out("get=" + a.get());
	out("name=" + a.name());
	const b = new Counter("b", 10n);
	const m = Counter.merge(a, b);
	out("merged=" + m.get() + " " + m.name());
	out("dropped=" + list(c.dropped()));
	drop(m);
	out("dropped=" + list(c.dropped()));
}
{
	const cs = c.makeCounters(10);
	out("sum-all=" + c.sumAll(cs));
	// Odd ones moved back last first, then the even ones: the guest drops each list in order.
	// (Not dropped one by one from JavaScript: jco 1.x's dispose of the elements of a returned
	// list of owned handles captures the loop variable, so every element drops the last one.)
	out("total-odd=" + c.total(cs.filter((_, k) => k % 2 === 1).reverse()));
	out("total-even=" + c.total(cs.filter((_, k) => k % 2 === 0)));
	out("dropped=" + list(c.dropped()));
}
{
	const nc = c.label({ label: "x", c: new Counter("r", 7n) });
	out("label=" + nc.label + " " + nc.c.get());
	try {
		c.maybe(undefined);
		out("maybe(none)=ok");
	} catch (e) {
		out("maybe(none)=err:" + (e.payload ?? e));
	}
	out("maybe(some)=" + c.maybe(nc.c).get());
}
{
	const b = new Blob(new TextEncoder().encode("hello"));
	out("blob-size=" + c.blobSize(b));
	for (let k = 0; k < 3; k++) c.keepBlob(new Blob([k]));
	out("forget-blobs=" + c.forgetBlobs() + " dropped=" + list(dropped));
	const built = c.build(3);
	out("built=" + list(built.map((x) => x.data.join(","))));
	const old = new Blob([97, 98]);
	const t = c.retag({ name: "t", item: old });
	out("retag=" + t.name + " " + t.item.data.join(",") + " dropped=" + list(dropped));
	out("store-check=" + c.storeCheck(4));
	out("live-blobs=" + live.size);
}
try {
	c.returnDropped();
	out("return-dropped=ok");
} catch (e) {
	out("return-dropped=trap");
}
process.stdout.write(JSON.stringify(trace));
