// The second host of the conformance suite (interop/SPEC.md): runs a plugin component that
// `jco transpile --instantiation async` turned into JavaScript, on jco's implementation of the
// canonical ABI, with a host-api that answers exactly as the Go fake (interop/host_test.go).
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
