// The second host of the conformance suite (interop/SPEC.md): runs a plugin component that
// `jco transpile --instantiation async` turned into JavaScript, on jco's implementation of the
// canonical ABI, with a host-api and data that answer exactly as the Go fake (interop/host_test.go).
//
//   node run.mjs TRANSPILED_DIR [NODE_MODULES] < cases.json > results.json
//
// TRANSPILED_DIR holds plugin.js and its core modules. NODE_MODULES (needed only for components
// that import WASI, i.e. Go guests through the preview1 adapter) is where
// @bytecodealliance/preview2-shim is installed.
//
// Input: {"cases": [{"hook": "on-post-creating", "args": ARGS, "view_count": "-1"}, ...]} where
// ARGS is the argument as the Go host bindings marshal it (snake_case fields, absent = none) or,
// for on-content-deleted, [content-type, id]; view_count carries post-output's s64 as a decimal
// string (a JSON number would lose precision in JavaScript).
// Output: [{"result": R, "calls": [[fn, arg...], ...]} or {"error": "...", "calls": [...]}, ...]
// where R is the filter's result in the same snake_case shape (null for none and for actions).
// All cases run on one instance, in order; after a trap the instance is replaced.

import { readFileSync } from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";

const dir = path.resolve(process.argv[2]);
const nodeModules = process.argv[3];
const { instantiate } = await import(pathToFileURL(path.join(dir, "plugin.js")).href);

// ---- the recording host (SPEC.md, "The host's answers") ----

let calls = [];
const rec = (...a) => calls.push(a);
const missing = (s) => s.includes("missing");
const isNone = (v) => v === undefined || v === null;
const opt = (v) => (isNone(v) ? "~" : "+" + v);
const answer = (prefix, arg) => (missing(arg) ? undefined : prefix + arg);
const utf8Len = (s) => Buffer.byteLength(s, "utf8");

const hostApi = {
	log(level, msg) { rec("log", level, msg); },
	getConfig(key) { rec("get-config", key); return answer("cfg:", key); },
	httpGet(url) { rec("http-get", url); return answer("get:", url); },
	httpPost(url, body) {
		rec("http-post", url, body);
		return missing(url) ? undefined : "post:" + url + ":" + body;
	},
	getData(key) { rec("get-data", key); return answer("data:", key); },
	setData(key, value) { rec("set-data", key, value); return !missing(key); },
	getPost(slug) { rec("get-post", slug); return answer("post:", slug); },
	dbQuery(sql, params) { rec("db-query", sql, opt(params)); return "query:" + sql + ":" + opt(params); },
	dbExecute(sql, params) { rec("db-execute", sql, opt(params)); return "exec:" + sql + ":" + opt(params); },
	dbBegin() { rec("db-begin"); return "begin"; },
	dbCommit() { rec("db-commit"); return "commit"; },
	dbRollback() { rec("db-rollback"); return "rollback"; },
	vfsRead(p) { rec("vfs-read", p); return answer("file:", p); },
	vfsWrite(p, content) { rec("vfs-write", p, content); return !missing(p); },
	vfsDelete(p) { rec("vfs-delete", p); return !missing(p); },
	vfsExists(p) { rec("vfs-exists", p); return !missing(p); },
	vfsList(p) { rec("vfs-list", p); return answer("list:", p); },
	vfsStat(p) { rec("vfs-stat", p); return answer("stat:", p); },
	emitEvent(type, data) { rec("emit-event", type, data); return "event:" + type + ":" + utf8Len(data); },
	newId() { rec("new-id"); return "id:" + calls.length; },
	dbPh(n) { rec("db-ph", String(n)); return "$" + n; },
};

// ---- the data interface (SPEC.md, "The data calls") ----

const dbErrorCases = ["permission-denied", "no-such-table", "no-such-column", "type-mismatch",
	"constraint", "timeout", "too-large", "invalid", "unavailable", "backend"];
// A table named like a db-error case fails with it; jco turns a thrown {payload} into err.
const fail = (fn, table) => {
	if (!dbErrorCases.includes(table)) return;
	throw { payload: table === "timeout" ? { tag: "timeout" } : { tag: table, val: fn + ":" + table } };
};
const f64bits = (x) => {
	const dv = new DataView(new ArrayBuffer(8));
	dv.setFloat64(0, x, true);
	return dv.getBigUint64(0, true).toString(16).padStart(16, "0");
};
const val = (v) => {
	switch (v.tag) {
		case "null": return "null";
		case "integer": return "i:" + v.val.toString();
		case "real": return Number.isNaN(v.val) ? "r:nan" : "r:" + f64bits(v.val);
		case "text": return "t:" + v.val;
		case "blob": return "b:" + Buffer.from(v.val).toString("hex");
	}
	return "bad value " + JSON.stringify(v);
};
const row = (r) => "{" + r.map((f) => f.column + "=" + val(f.value)).join(",") + "}";
const filter = (f) => "[" + f.map((c) => c.column + " " + c.op + " " + val(c.value)).join(",") + "]";
const optU = (n) => (isNone(n) ? "~" : "+" + n);
const query = (q) => "cols=" + q.columns.join(",") + " where=" + filter(q.filter) + " order=" +
	q.orderBy.map((o) => o.column + (o.descending ? " desc" : " asc")).join(",") +
	" limit=" + optU(q.limit) + " offset=" + optU(q.offset);
const echo = (f) => f.map((c) => ({ column: c.column, value: c.value }));
const U64_MAX = (1n << 64n) - 1n;

const dataApi = {
	insert(t, r) { rec("insert", t, row(r)); fail("insert", t); return BigInt(r.length); },
	fetchOne(t, q) {
		rec("fetch-one", t, query(q)); fail("fetch-one", t);
		return q.filter.length === 0 ? undefined : echo(q.filter);
	},
	fetchAll(t, q) {
		rec("fetch-all", t, query(q)); fail("fetch-all", t);
		const rows = q.columns.map((c, k) => [{ column: "col", value: { tag: "text", val: c } },
			{ column: "i", value: { tag: "integer", val: BigInt(k) } }]);
		if (q.filter.length > 0) rows.push(echo(q.filter));
		return rows;
	},
	update(t, set, f) { rec("update", t, row(set), filter(f)); fail("update", t); return BigInt(set.length * 100 + f.length); },
	delete(t, f) { rec("delete", t, filter(f)); fail("delete", t); return BigInt(f.length); },
	count(t, f) { rec("count", t, filter(f)); fail("count", t); return U64_MAX - BigInt(f.length); },
	increment(t, column, by, f) {
		rec("increment", t, column, by.toString(), filter(f)); fail("increment", t);
		return BigInt.asUintN(64, by);
	},
	sum(t, column, f) {
		rec("sum", t, column, filter(f)); fail("sum", t);
		return f.length === 0 ? { tag: "null" } : f[f.length - 1].value;
	},
	groupBy(t, by, agg, column, f) {
		rec("group-by", t, by.join(","), agg, column, filter(f)); fail("group-by", t);
		return by.map((b, k) => ({
			key: [{ column: b, value: { tag: "integer", val: BigInt(k) } }, { column, value: { tag: "text", val: agg } }],
			value: k < f.length ? f[k].value : { tag: "null" },
		}));
	},
};

// ---- imports: host-api, the (function-less) types interface, and WASI for adapted modules ----

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
		if (name === "raisfast:plugin-wit/host-api") return hostApi;
		if (name === "raisfast:plugin-wit/types") return {};
		if (name === "raisfast:plugin-wit/data") return dataApi;
		const m = /^wasi:([a-z-]+)\/([a-z-]+)$/.exec(name);
		if (m && shim) return shim[camel(m[1])]?.[camel(m[2])];
		return undefined;
	},
	has(_, key) { return typeof key === "string"; },
});

const getCoreModule = (name) => WebAssembly.compile(readFileSync(path.join(dir, name)));
const instance = async () => {
	const root = await instantiate(getCoreModule, imports);
	return root["raisfast:plugin-wit/plugin-hooks@0.1.0"] ?? root.pluginHooks;
};

// ---- argument and result shapes ----

const toCamel = (s) => s.replace(/_([a-z])/g, (_, c) => c.toUpperCase());
const toSnake = (s) => s.replace(/[A-Z]/g, (c) => "_" + c.toLowerCase());
const rename = (obj, f) => {
	if (obj === null || typeof obj !== "object" || Array.isArray(obj)) return obj;
	const out = {};
	for (const [k, v] of Object.entries(obj)) if (!isNone(v)) out[f(k)] = v;
	return out;
};

function call(hooks, c) {
	const a = c.args;
	switch (c.hook) {
		case "on-post-creating": return hooks.onPostCreating(rename(a, toCamel));
		case "on-post-updating": return hooks.onPostUpdating(rename(a, toCamel));
		case "on-comment-creating": return hooks.onCommentCreating(rename(a, toCamel));
		case "on-content-creating": return hooks.onContentCreating(rename(a, toCamel));
		case "on-content-updating": return hooks.onContentUpdating(rename(a, toCamel));
		case "render-markdown": return hooks.renderMarkdown(a);
		case "filter-html": return hooks.filterHtml(a);
		case "on-post-created":
		case "on-post-updated": {
			const o = rename(a, toCamel);
			o.viewCount = BigInt(c.view_count);
			return c.hook === "on-post-created" ? hooks.onPostCreated(o) : hooks.onPostUpdated(o);
		}
		case "on-post-deleted": return hooks.onPostDeleted(a);
		case "on-comment-created": return hooks.onCommentCreated(rename(a, toCamel));
		case "on-content-created": return hooks.onContentCreated(rename(a, toCamel));
		case "on-content-updated": return hooks.onContentUpdated(rename(a, toCamel));
		case "on-content-deleted": return hooks.onContentDeleted(a[0], a[1]);
		case "on-login": return hooks.onLogin(a);
		case "on-cron-tick": return hooks.onCronTick(isNone(a) ? undefined : a);
	}
	throw new Error("unknown hook " + c.hook);
}

const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const input = JSON.parse(Buffer.concat(chunks).toString("utf8"));

let hooks = await instance();
const results = [];
for (const c of input.cases) {
	calls = [];
	try {
		const r = call(hooks, c);
		results.push({ result: isNone(r) ? null : rename(r, toSnake), calls });
	} catch (e) {
		results.push({ error: String(e && e.stack ? e.stack : e), calls });
		hooks = await instance();
	}
}
process.stdout.write(JSON.stringify(results));
