//! The conformance plugin of interop/SPEC.md in Zig, over wit-bindgen 0.36's C bindings:
//! `plugin_world.h` (generated at build time by interop/zig/build.sh with the wit-bindgen the C
//! guest uses) is imported with @cImport; plugin_world.c, compiled alongside, does the canonical
//! ABI (lifting arguments, lowering results, cabi_realloc, the cabi_post_* frees) and calls the
//! `exports_raisfast_plugin_wit_plugin_hooks_*` functions this file exports. Every hook of
//! plugin-world, every host-api and data function.
//!
//! Ownership follows wit-bindgen's C rules: a hook owns its arguments (freed here with the
//! bindings' *_free helpers), its results are freed by the bindings' post-return functions, and
//! strings returned by host calls belong to the caller. Everything is allocated with libc's
//! malloc/realloc/free (wasi-libc, which Zig ships), as the bindings free with free(). A zero-length
//! string is never allocated: it points at a static byte, and the bindings skip freeing length 0.

const std = @import("std");
const c = @cImport({
    @cInclude("plugin_world.h");
});

const Str = c.plugin_world_string_t;
const Opt = c.plugin_world_option_string_t;
const List = c.plugin_world_list_string_t;
const PostInput = c.exports_raisfast_plugin_wit_plugin_hooks_post_input_t;
const PostOutput = c.exports_raisfast_plugin_wit_plugin_hooks_post_output_t;
const CommentInput = c.exports_raisfast_plugin_wit_plugin_hooks_comment_input_t;
const ContentEvent = c.exports_raisfast_plugin_wit_plugin_hooks_content_event_t;

var empty: [1]u8 align(8) = .{0}; // aligned: it also stands for empty lists of any element type

// ---- strings ----

/// The bytes of a WIT string.
fn bytes(s: Str) []u8 {
    if (s.len == 0) return empty[0..0];
    return s.ptr[0..s.len];
}

/// A string borrowing `s` (for host-call arguments; never freed).
fn lit(s: []const u8) Str {
    return .{ .ptr = @constCast(s.ptr), .len = s.len };
}

fn eq(s: Str, l: []const u8) bool {
    return std.mem.eql(u8, bytes(s), l);
}

fn some(s: Str) Opt {
    return .{ .is_some = true, .val = s };
}

fn none() Opt {
    return .{ .is_some = false, .val = lit("") };
}

fn drop(s: *Str) void {
    c.plugin_world_string_free(s);
}

fn dropOpt(o: *Opt) void {
    c.plugin_world_option_string_free(o);
}

/// A growable byte buffer on libc's heap, handed over as a string by `done`.
const Buf = struct {
    ptr: ?[*]u8 = null,
    len: usize = 0,
    cap: usize = 0,

    fn put(b: *Buf, p: []const u8) void {
        if (p.len == 0) return;
        if (b.len + p.len > b.cap) {
            var cap: usize = if (b.cap == 0) 64 else b.cap * 2;
            while (cap < b.len + p.len) cap *= 2;
            const np = std.c.realloc(@ptrCast(b.ptr), cap) orelse std.c.abort();
            b.ptr = @ptrCast(np);
            b.cap = cap;
        }
        @memcpy(b.ptr.?[b.len..][0..p.len], p);
        b.len += p.len;
    }

    fn udec(b: *Buf, v: u64) void {
        var d: [20]u8 = undefined;
        var n: usize = d.len;
        var x = v;
        while (true) {
            n -= 1;
            d[n] = @intCast('0' + x % 10);
            x /= 10;
            if (x == 0) break;
        }
        b.put(d[n..]);
    }

    /// dec(n): the two's-complement magnitude, so minInt(i64) needs no special case.
    fn dec(b: *Buf, v: i64) void {
        var u: u64 = @bitCast(v);
        if (v < 0) {
            b.put("-");
            u = ~u +% 1;
        }
        b.udec(u);
    }

    /// add appends one piece by its type: a Str, an Opt as opt(o), a bool as bool(b), an i64 as
    /// dec(n), a usize as its decimal, anything else as bytes (string literals).
    fn add(b: *Buf, x: anytype) void {
        const T = @TypeOf(x);
        if (T == Str) {
            b.put(bytes(x));
        } else if (T == Opt) {
            if (x.is_some) {
                b.put("+");
                b.put(bytes(x.val));
            } else b.put("~");
        } else if (T == bool) {
            b.put(if (x) "true" else "false");
        } else if (T == i64) {
            b.dec(x);
        } else if (T == usize) {
            b.udec(x);
        } else if (@typeInfo(T) == .@"struct" and @typeInfo(T).@"struct".is_tuple) {
            inline for (x) |p| b.add(p);
        } else {
            b.put(x);
        }
    }

    fn done(b: *Buf) Str {
        if (b.len == 0) {
            std.c.free(@ptrCast(b.ptr));
            return lit("");
        }
        return .{ .ptr = b.ptr.?, .len = b.len };
    }
};

/// cat concatenates a tuple of pieces (see Buf.add) into a new string.
fn cat(parts: anytype) Str {
    var b: Buf = .{};
    inline for (parts) |p| b.add(p);
    return b.done();
}

fn dup(s: Str) Str {
    return cat(.{s});
}

fn upper(s: Str) Str {
    const r = dup(s);
    for (bytes(r)) |*ch| ch.* = std.ascii.toUpper(ch.*);
    return r;
}

fn lower(s: Str) Str {
    const r = dup(s);
    for (bytes(r)) |*ch| ch.* = std.ascii.toLower(ch.*);
    return r;
}

fn slugify(s: Str) Str {
    const r = lower(s);
    for (bytes(r)) |*ch| {
        if (ch.* == ' ') ch.* = '-';
    }
    return r;
}

/// chars(s): Unicode scalar values, i.e. bytes that are not continuation bytes (10xxxxxx).
fn chars(s: Str) usize {
    var n: usize = 0;
    for (bytes(s)) |ch| {
        if (ch & 0xC0 != 0x80) n += 1;
    }
    return n;
}

/// rev(s): the scalar values in reverse order.
fn rev(s: Str) Str {
    const in = bytes(s);
    var b: Buf = .{};
    var end = in.len;
    while (end > 0) {
        var start = end - 1;
        while (start > 0 and in[start] & 0xC0 == 0x80) start -= 1;
        b.put(in[start..end]);
        end = start;
    }
    return b.done();
}

/// strs allocates an array of n strings (for list<string> results).
fn strs(n: usize) [*]Str {
    const p = std.c.malloc(n * @sizeOf(Str)) orelse std.c.abort();
    return @ptrCast(@alignCast(p));
}

// ---- host-api: typed wrappers over the bindings' imports (arguments borrowed) ----

const host = struct {
    fn log(level: []const u8, msg: Str) void {
        var l = lit(level);
        var m = msg;
        c.raisfast_plugin_wit_host_api_log(&l, &m);
    }
    fn opt1(comptime f: anytype, a: Str) Opt {
        var x = a;
        var o = none();
        o.is_some = f(&x, &o.val);
        return o;
    }
    fn getConfig(key: Str) Opt {
        return opt1(c.raisfast_plugin_wit_host_api_get_config, key);
    }
    fn httpGet(url: Str) Opt {
        return opt1(c.raisfast_plugin_wit_host_api_http_get, url);
    }
    fn httpPost(url: Str, body: Str) Opt {
        var u = url;
        var b = body;
        var o = none();
        o.is_some = c.raisfast_plugin_wit_host_api_http_post(&u, &b, &o.val);
        return o;
    }
    fn getData(key: Str) Opt {
        return opt1(c.raisfast_plugin_wit_host_api_get_data, key);
    }
    fn setData(key: Str, value: Str) bool {
        var k = key;
        var v = value;
        return c.raisfast_plugin_wit_host_api_set_data(&k, &v);
    }
    fn getPost(slug: Str) Opt {
        return opt1(c.raisfast_plugin_wit_host_api_get_post, slug);
    }
    fn sql2(comptime f: anytype, sql: []const u8, params: ?Str) Str {
        var s = lit(sql);
        var p: Str = params orelse lit("");
        var r: Str = undefined;
        f(&s, if (params != null) &p else null, &r);
        return r;
    }
    fn dbQuery(sql: []const u8, params: ?Str) Str {
        return sql2(c.raisfast_plugin_wit_host_api_db_query, sql, params);
    }
    fn dbExecute(sql: []const u8, params: ?Str) Str {
        return sql2(c.raisfast_plugin_wit_host_api_db_execute, sql, params);
    }
    fn str0(comptime f: anytype) Str {
        var r: Str = undefined;
        f(&r);
        return r;
    }
    fn dbBegin() Str {
        return str0(c.raisfast_plugin_wit_host_api_db_begin);
    }
    fn dbCommit() Str {
        return str0(c.raisfast_plugin_wit_host_api_db_commit);
    }
    fn dbRollback() Str {
        return str0(c.raisfast_plugin_wit_host_api_db_rollback);
    }
    fn vfsRead(path: Str) Opt {
        return opt1(c.raisfast_plugin_wit_host_api_vfs_read, path);
    }
    fn vfsWrite(path: Str, content: Str) bool {
        var p = path;
        var x = content;
        return c.raisfast_plugin_wit_host_api_vfs_write(&p, &x);
    }
    fn vfsDelete(path: Str) bool {
        var p = path;
        return c.raisfast_plugin_wit_host_api_vfs_delete(&p);
    }
    fn vfsExists(path: Str) bool {
        var p = path;
        return c.raisfast_plugin_wit_host_api_vfs_exists(&p);
    }
    fn vfsList(path: Str) Opt {
        return opt1(c.raisfast_plugin_wit_host_api_vfs_list, path);
    }
    fn vfsStat(path: Str) Opt {
        return opt1(c.raisfast_plugin_wit_host_api_vfs_stat, path);
    }
    fn emitEvent(event_type: []const u8, data: Str) Str {
        var t = lit(event_type);
        var d = data;
        var r: Str = undefined;
        c.raisfast_plugin_wit_host_api_emit_event(&t, &d, &r);
        return r;
    }
};

// ---- filters ----

export fn exports_raisfast_plugin_wit_plugin_hooks_on_post_creating(p: *PostInput, ret: *PostInput) bool {
    defer c.exports_raisfast_plugin_wit_plugin_hooks_post_input_free(p);
    if (eq(p.title, "pass")) return false;

    var msg = cat(.{ "creating ", p.title });
    host.log("debug", msg);
    drop(&msg);

    var o: PostInput = undefined;
    var up = upper(p.title);
    o.title = cat(.{ up, " \u{2713}" });
    drop(&up);
    o.content = cat(.{ p.content, " [", p.content.len, "/", chars(p.content), "]" });
    o.slug = some(if (p.slug.is_some) cat(.{ p.slug.val, "-x" }) else slugify(p.title));
    o.excerpt = if (p.excerpt.is_some) some(rev(p.excerpt.val)) else none();
    o.category_id = if (p.category_id.is_some) none() else some(dup(lit("uncategorized")));

    o.tag_ids = .{ .is_some = true, .val = .{ .ptr = null, .len = 0 } };
    if (p.tag_ids.is_some) {
        const in = p.tag_ids.val;
        const n = in.len;
        const ts = strs(n + 1);
        for (0..n) |i| ts[i] = dup(in.ptr[n - 1 - i]);
        ts[n] = dup(lit("conf"));
        o.tag_ids.val = .{ .ptr = ts, .len = n + 1 };
    }

    o.status = some(if (p.status.is_some) upper(p.status.val) else dup(lit("draft")));
    o.cover_image = if (p.cover_image.is_some) some(cat(.{ p.cover_image.val, "?w=640" })) else none();
    ret.* = o;
    return true;
}

export fn exports_raisfast_plugin_wit_plugin_hooks_on_post_updating(p: *PostInput, ret: *PostInput) bool {
    defer c.exports_raisfast_plugin_wit_plugin_hooks_post_input_free(p);
    if (eq(p.title, "pass")) return false;

    var g = host.getPost(if (p.slug.is_some) p.slug.val else p.title);
    defer dropOpt(&g);

    var o: PostInput = undefined;
    o.title = rev(p.title);
    var lo = lower(p.content);
    o.content = cat(.{ lo, "\n", g });
    drop(&lo);
    o.slug = if (p.slug.is_some) some(upper(p.slug.val)) else none();
    o.excerpt = some(if (p.excerpt.is_some) cat(.{ p.excerpt.val, p.excerpt.val }) else lit(""));
    o.category_id = if (p.category_id.is_some) some(cat(.{ "cat:", p.category_id.val })) else none();
    o.tag_ids = .{ .is_some = p.tag_ids.is_some, .val = .{ .ptr = null, .len = 0 } };
    if (p.tag_ids.is_some and p.tag_ids.val.len > 0) {
        const in = p.tag_ids.val;
        const ts = strs(in.len);
        for (0..in.len) |i| ts[i] = upper(in.ptr[i]);
        o.tag_ids.val = .{ .ptr = ts, .len = in.len };
    }
    o.status = if (p.status.is_some) none() else some(dup(lit("published")));
    o.cover_image = some(if (p.cover_image.is_some) rev(p.cover_image.val) else dup(lit("default.png")));
    ret.* = o;
    return true;
}

export fn exports_raisfast_plugin_wit_plugin_hooks_on_comment_creating(in: *CommentInput, ret: *CommentInput) bool {
    defer c.exports_raisfast_plugin_wit_plugin_hooks_comment_input_free(in);
    if (eq(in.content, "pass")) return false;

    var key = cat(.{ "nickname:", in.email });
    var a = host.getConfig(key);
    drop(&key);

    var o: CommentInput = undefined;
    o.content = cat(.{ "\u{1F4AC} ", in.content });
    if (in.nickname.is_some) {
        o.nickname = some(upper(in.nickname.val));
        dropOpt(&a);
    } else {
        o.nickname = a; // the host's answer, moved into the result
    }
    o.email = if (in.email.is_some) some(lower(in.email.val)) else none();
    o.parent_id = if (in.parent_id.is_some) none() else some(dup(lit("root")));
    ret.* = o;
    return true;
}

// ---- the data path of on-content-creating (the model's modelData; interop/c's data_path) ----
//
// Import arguments are borrowed (built here on the stack); every answer is owned and freed with
// the bindings' *_free helpers once rendered.

const Value = c.raisfast_plugin_wit_data_value_t;
const Field = c.raisfast_plugin_wit_data_field_t;
const Row = c.raisfast_plugin_wit_data_row_t;
const Condition = c.raisfast_plugin_wit_data_condition_t;
const Filter = c.raisfast_plugin_wit_data_filter_t;
const Order = c.raisfast_plugin_wit_data_order_t;
const Query = c.raisfast_plugin_wit_data_query_t;
const DbError = c.raisfast_plugin_wit_data_db_error_t;

fn vNull() Value {
    return .{ .tag = c.RAISFAST_PLUGIN_WIT_DATA_VALUE_NULL, .val = .{ .integer = 0 } };
}
fn vInt(n: i64) Value {
    return .{ .tag = c.RAISFAST_PLUGIN_WIT_DATA_VALUE_INTEGER, .val = .{ .integer = n } };
}
fn vReal(x: f64) Value {
    return .{ .tag = c.RAISFAST_PLUGIN_WIT_DATA_VALUE_REAL, .val = .{ .real = x } };
}
fn vRealBits(bits: u64) Value {
    return vReal(@bitCast(bits));
}
fn vText(s: []const u8) Value {
    return .{ .tag = c.RAISFAST_PLUGIN_WIT_DATA_VALUE_TEXT, .val = .{ .text = lit(s) } };
}
fn vBlob(p: []const u8) Value {
    return .{ .tag = c.RAISFAST_PLUGIN_WIT_DATA_VALUE_BLOB, .val = .{ .blob = .{ .ptr = if (p.len == 0) &empty else @constCast(p.ptr), .len = p.len } } };
}

const hexdig = "0123456789abcdef";

/// val(v)
fn addVal(b: *Buf, v: Value) void {
    switch (v.tag) {
        c.RAISFAST_PLUGIN_WIT_DATA_VALUE_NULL => b.put("null"),
        c.RAISFAST_PLUGIN_WIT_DATA_VALUE_INTEGER => {
            b.put("i:");
            b.dec(v.val.integer);
        },
        c.RAISFAST_PLUGIN_WIT_DATA_VALUE_REAL => {
            const x = v.val.real;
            if (std.math.isNan(x)) return b.put("r:nan");
            const bits: u64 = @bitCast(x);
            b.put("r:");
            var sh: u7 = 64;
            while (sh > 0) {
                sh -= 4;
                b.put(hexdig[@intCast((bits >> @intCast(sh)) & 15)..][0..1]);
            }
        },
        c.RAISFAST_PLUGIN_WIT_DATA_VALUE_TEXT => {
            b.put("t:");
            b.add(v.val.text);
        },
        c.RAISFAST_PLUGIN_WIT_DATA_VALUE_BLOB => {
            b.put("b:");
            const blob = v.val.blob;
            for (0..blob.len) |i| {
                b.put(hexdig[blob.ptr[i] >> 4 ..][0..1]);
                b.put(hexdig[blob.ptr[i] & 15 ..][0..1]);
            }
        },
        else => b.put("?"),
    }
}

/// row(r)
fn addRow(b: *Buf, r: Row) void {
    b.put("{");
    for (0..r.len) |i| {
        if (i > 0) b.put(",");
        b.add(r.ptr[i].column);
        b.put("=");
        addVal(b, r.ptr[i].value);
    }
    b.put("}");
}

/// "err:" + the error, which it frees.
fn addErr(b: *Buf, e: *DbError) void {
    const names = [_][]const u8{ "permission-denied", "no-such-table", "no-such-column", "type-mismatch", "constraint", "timeout", "too-large", "invalid", "unavailable", "backend" };
    b.put("err:");
    if (e.tag >= names.len) return b.put("?");
    b.put(names[e.tag]);
    if (e.tag != c.RAISFAST_PLUGIN_WIT_DATA_DB_ERROR_TIMEOUT) {
        // Every case but timeout carries a string, all at the same place in the union.
        b.add(.{ "(", e.val.backend, ")" });
    }
    c.raisfast_plugin_wit_data_db_error_free(e);
}

fn addLine(b: *Buf, f: []const u8) void {
    b.add(.{ "\n", f, "=" });
}

fn addU64Res(b: *Buf, f: []const u8, ok: bool, n: u64, e: *DbError) void {
    addLine(b, f);
    if (!ok) return addErr(b, e);
    b.put("ok:");
    b.udec(n);
}

fn dataPath(table: Str, o: *ContentEvent) void {
    var t = table;
    const blob4 = [_]u8{ 0x00, 0xff, 0x80, 0x7f };
    const blob3 = [_]u8{ 0x01, 0x02, 0x03 };
    var rfields = [_]Field{
        .{ .column = lit("n"), .value = vNull() },
        .{ .column = lit("i"), .value = vInt(-1) },
        .{ .column = lit("r"), .value = vReal(-1.5) },
        .{ .column = lit("t"), .value = vText("Zo\u{eb} \u{20ac} \u{1F600}") },
        .{ .column = lit("e"), .value = vText("") },
        .{ .column = lit("b"), .value = vBlob("") },
        .{ .column = lit("c"), .value = vBlob(&blob4) },
    };
    var r: Row = .{ .ptr = &rfields, .len = rfields.len };
    var conds = [_]Condition{
        .{ .column = lit("a"), .op = c.RAISFAST_PLUGIN_WIT_DATA_COMPARISON_EQ, .value = vInt(std.math.minInt(i64)) },
        .{ .column = lit("b"), .op = c.RAISFAST_PLUGIN_WIT_DATA_COMPARISON_NE, .value = vText("\u{fc}\u{1F600}") },
        .{ .column = lit("c"), .op = c.RAISFAST_PLUGIN_WIT_DATA_COMPARISON_LT, .value = vRealBits(0x8000000000000000) },
        .{ .column = lit("d"), .op = c.RAISFAST_PLUGIN_WIT_DATA_COMPARISON_LE, .value = vReal(std.math.nan(f64)) },
        .{ .column = lit("e"), .op = c.RAISFAST_PLUGIN_WIT_DATA_COMPARISON_GT, .value = vInt(std.math.maxInt(i64)) },
        .{ .column = lit("f"), .op = c.RAISFAST_PLUGIN_WIT_DATA_COMPARISON_GE, .value = vRealBits(1) },
        .{ .column = lit("g"), .op = c.RAISFAST_PLUGIN_WIT_DATA_COMPARISON_LIKE, .value = vText("%a_b%") },
        .{ .column = lit("h"), .op = c.RAISFAST_PLUGIN_WIT_DATA_COMPARISON_IS_NULL, .value = vNull() },
        .{ .column = lit("i"), .op = c.RAISFAST_PLUGIN_WIT_DATA_COMPARISON_IS_NOT_NULL, .value = vBlob(&blob3) },
    };
    var f: Filter = .{ .ptr = &conds, .len = conds.len };
    var nothing: Filter = .{ .ptr = @ptrCast(&empty), .len = 0 };
    var cols = [_]Str{ lit("id"), lit("t\u{ed}tle"), lit("") };
    var orders = [_]Order{ .{ .column = lit("id"), .descending = false }, .{ .column = lit("t\u{ed}tle"), .descending = true } };
    var qs = [2]Query{
        .{
            .columns = .{ .ptr = &cols, .len = cols.len },
            .filter = f,
            .order_by = .{ .ptr = &orders, .len = orders.len },
            .limit = .{ .is_some = true, .val = std.math.maxInt(u32) },
            .offset = .{ .is_some = true, .val = 0 },
        },
        .{
            .columns = .{ .ptr = @ptrCast(&empty), .len = 0 },
            .filter = nothing,
            .order_by = .{ .ptr = @ptrCast(&empty), .len = 0 },
            .limit = .{ .is_some = false, .val = 0 },
            .offset = .{ .is_some = false, .val = 0 },
        },
    };
    var sfields = [_]Field{ .{ .column = lit("s"), .value = vText("ok \u{2713}") }, .{ .column = lit("n"), .value = vNull() } };
    var set: Row = .{ .ptr = &sfields, .len = sfields.len };
    var by = [_]Str{ lit("k1"), lit("k2"), lit("k3"), lit("k4"), lit("k5"), lit("k6"), lit("k7"), lit("k8"), lit("k9") };

    var b: Buf = .{};
    var id: Str = undefined; // moves into the result's id
    c.raisfast_plugin_wit_host_api_new_id(&id);
    b.add(.{ "new-id=", id, "\ndb-ph=" });
    var s: Str = undefined;
    c.raisfast_plugin_wit_host_api_db_ph(1, &s);
    b.add(s);
    drop(&s);
    b.put(" ");
    c.raisfast_plugin_wit_host_api_db_ph(std.math.maxInt(u32), &s);
    b.add(s);
    drop(&s);

    var n: u64 = undefined;
    var e: DbError = undefined;
    var ok = c.raisfast_plugin_wit_data_insert(&t, &r, &n, &e);
    addU64Res(&b, "insert", ok, n, &e);
    for (&qs) |*q| {
        var row: c.raisfast_plugin_wit_data_option_row_t = undefined;
        addLine(&b, "fetch-one");
        if (!c.raisfast_plugin_wit_data_fetch_one(&t, q, &row, &e)) {
            addErr(&b, &e);
            continue;
        }
        b.put("ok:");
        if (row.is_some) {
            b.put("+");
            addRow(&b, row.val);
        } else b.put("~");
        c.raisfast_plugin_wit_data_option_row_free(&row);
    }
    for (&qs) |*q| {
        var l: c.raisfast_plugin_wit_data_list_row_t = undefined;
        addLine(&b, "fetch-all");
        if (!c.raisfast_plugin_wit_data_fetch_all(&t, q, &l, &e)) {
            addErr(&b, &e);
            continue;
        }
        b.put("ok:[");
        for (0..l.len) |k| {
            if (k > 0) b.put(",");
            addRow(&b, l.ptr[k]);
        }
        b.put("]");
        c.raisfast_plugin_wit_data_list_row_free(&l);
    }
    ok = c.raisfast_plugin_wit_data_update(&t, &set, &f, &n, &e);
    addU64Res(&b, "update", ok, n, &e);
    ok = c.raisfast_plugin_wit_data_delete(&t, &f, &n, &e);
    addU64Res(&b, "delete", ok, n, &e);
    ok = c.raisfast_plugin_wit_data_count(&t, &nothing, &n, &e);
    addU64Res(&b, "count", ok, n, &e);
    var views = lit("views");
    var total = lit("total");
    var vcol = lit("v");
    ok = c.raisfast_plugin_wit_data_increment(&t, &views, std.math.minInt(i64), &f, &n, &e);
    addU64Res(&b, "increment", ok, n, &e);
    for ([_]*Filter{ &f, &nothing }) |sf| {
        var v: Value = undefined;
        addLine(&b, "sum");
        if (!c.raisfast_plugin_wit_data_sum(&t, &total, sf, &v, &e)) {
            addErr(&b, &e);
            continue;
        }
        b.put("ok:");
        addVal(&b, v);
        c.raisfast_plugin_wit_data_value_free(&v);
    }
    var a: u8 = c.RAISFAST_PLUGIN_WIT_DATA_AGGREGATE_COUNT;
    while (a <= c.RAISFAST_PLUGIN_WIT_DATA_AGGREGATE_AVG) : (a += 1) {
        var bl: List = .{ .ptr = if (a > 0) &by else @ptrCast(&empty), .len = 2 * @as(usize, a) };
        var g: c.raisfast_plugin_wit_data_list_group_t = undefined;
        addLine(&b, "group-by");
        if (!c.raisfast_plugin_wit_data_group_by(&t, &bl, a, &vcol, &f, &g, &e)) {
            addErr(&b, &e);
            continue;
        }
        b.put("ok:[");
        for (0..g.len) |k| {
            if (k > 0) b.put(",");
            addRow(&b, g.ptr[k].key);
            b.put("->");
            addVal(&b, g.ptr[k].value);
        }
        b.put("]");
        c.raisfast_plugin_wit_data_list_group_free(&g);
    }
    o.* = .{ .content_type = dup(lit("DATA")), .data = b.done(), .id = some(id) };
}

export fn exports_raisfast_plugin_wit_plugin_hooks_on_content_creating(e: *ContentEvent, ret: *ContentEvent) bool {
    defer c.exports_raisfast_plugin_wit_plugin_hooks_content_event_free(e);
    if (eq(e.content_type, "pass")) return false;
    if (eq(e.content_type, "data")) {
        dataPath(e.data, ret);
        return true;
    }

    var url = cat(.{ "https://schema.example/", e.content_type });
    var s = host.httpGet(url);
    drop(&url);
    defer dropOpt(&s);

    ret.* = .{
        .content_type = upper(e.content_type),
        .data = cat(.{ e.data, "\n", s }),
        .id = some(if (e.id.is_some) cat(.{ e.id.val, "+1" }) else cat(.{ "new-", e.data.len })),
    };
    return true;
}

export fn exports_raisfast_plugin_wit_plugin_hooks_on_content_updating(e: *ContentEvent, ret: *ContentEvent) bool {
    defer c.exports_raisfast_plugin_wit_plugin_hooks_content_event_free(e);
    if (eq(e.content_type, "pass")) return false;

    var q = host.dbQuery("SELECT data FROM content WHERE id = ?", if (e.id.is_some) e.id.val else null);
    ret.* = .{
        .content_type = lower(e.content_type),
        .data = rev(e.data),
        .id = if (e.id.is_some) none() else some(q),
    };
    if (e.id.is_some) drop(&q);
    return true;
}

export fn exports_raisfast_plugin_wit_plugin_hooks_render_markdown(s: *Str, ret: *Str) bool {
    defer drop(s);
    if (eq(s.*, "pass")) return false;
    ret.* = cat(.{ "<p>", s.*, "</p>" });
    return true;
}

export fn exports_raisfast_plugin_wit_plugin_hooks_filter_html(s: *Str, ret: *Str) bool {
    defer drop(s);
    if (eq(s.*, "pass")) return false;
    var up = upper(s.*);
    defer drop(&up);
    ret.* = cat(.{ up, "<!--", s.len, "-->" });
    return true;
}

// ---- actions ----

/// post(o, n) of the SPEC.
fn post(o: *const PostOutput, n: i64) Str {
    return cat(.{
        "id=",             o.id,           "\ntitle=",      o.title,
        "\nslug=",         o.slug,         "\ncontent=",    o.content,
        "\nexcerpt=",      o.excerpt,      "\nstatus=",     o.status,
        "\ncreated-by=",   o.created_by,   "\nupdated-by=", o.updated_by,
        "\ncategory-id=",  o.category_id,  "\nview-count=", n,
        "\ncreated-at=",   o.created_at,   "\nupdated-at=", o.updated_at,
        "\npublished-at=", o.published_at,
    });
}

export fn exports_raisfast_plugin_wit_plugin_hooks_on_post_created(o: *PostOutput) void {
    defer c.exports_raisfast_plugin_wit_plugin_hooks_post_output_free(o);
    const next = o.view_count +% 1;
    var f = cat(.{ "posts/", o.slug, ".md" });
    defer drop(&f);

    var t = cat(.{ "created ", o.id });
    host.log("info", t);
    drop(&t);

    t = cat(.{ "views:", o.slug });
    var a1 = host.getConfig(t);
    drop(&t);
    var pk = cat(.{ "post:", o.id });
    var a2 = host.getData(pk);
    const a3 = host.setData(pk, o.title);
    drop(&pk);
    var a4 = host.getPost(o.slug);
    var hook = cat(.{ "https://hooks.example/", o.slug });
    var a5 = host.httpGet(hook);
    var a6 = host.httpPost(hook, o.title);
    drop(&hook);
    var a7 = host.dbBegin();
    var params = cat(.{ "[\"", o.id, "\"]" });
    var a8 = host.dbQuery("SELECT views FROM posts WHERE id = ?", params);
    drop(&params);
    params = cat(.{ "[", next, ",\"", o.id, "\"]" });
    var a9 = host.dbExecute("UPDATE posts SET views = ? WHERE id = ?", params);
    drop(&params);
    var a10 = host.dbCommit();
    const a11 = host.vfsWrite(f, o.content);
    const a12 = host.vfsExists(f);
    var a13 = host.vfsRead(f);
    var a14 = host.vfsStat(f);
    t = cat(.{ "posts/", o.slug });
    var a15 = host.vfsList(t);
    drop(&t);
    const a16 = host.vfsDelete(f);
    var a17 = host.dbRollback();

    var head = post(o, next);
    var b: Buf = .{};
    b.add(head);
    inline for (.{
        .{ "\nget-config=", a1 },
        .{ "\nget-data=", a2 },
        .{ "\nset-data=", a3 },
        .{ "\nget-post=", a4 },
        .{ "\nhttp-get=", a5 },
        .{ "\nhttp-post=", a6 },
        .{ "\ndb-begin=", a7 },
        .{ "\ndb-query=", a8 },
        .{ "\ndb-execute=", a9 },
        .{ "\ndb-commit=", a10 },
        .{ "\nvfs-write=", a11 },
        .{ "\nvfs-exists=", a12 },
        .{ "\nvfs-read=", a13 },
        .{ "\nvfs-stat=", a14 },
        .{ "\nvfs-list=", a15 },
        .{ "\nvfs-delete=", a16 },
        .{ "\ndb-rollback=", a17 },
    }) |kv| {
        b.add(kv[0]);
        b.add(kv[1]);
    }
    var data = b.done();
    drop(&head);
    var ev = host.emitEvent("post.created", data);
    drop(&data);
    t = cat(.{ "emitted ", ev });
    host.log("debug", t);
    drop(&t);
    drop(&ev);

    for ([_]*Opt{ &a1, &a2, &a4, &a5, &a6, &a13, &a14, &a15 }) |a| dropOpt(a);
    for ([_]*Str{ &a7, &a8, &a9, &a10, &a17 }) |a| drop(a);
}

export fn exports_raisfast_plugin_wit_plugin_hooks_on_post_updated(o: *PostOutput) void {
    defer c.exports_raisfast_plugin_wit_plugin_hooks_post_output_free(o);
    var data = post(o, o.view_count -% 1);
    var ev = host.emitEvent("post.updated", data);
    drop(&data);
    var msg = cat(.{ "updated ", o.id, " ", o.updated_by, " ", ev });
    host.log("info", msg);
    drop(&msg);
    drop(&ev);
}

export fn exports_raisfast_plugin_wit_plugin_hooks_on_post_deleted(id: *Str) void {
    defer drop(id);
    var sql = cat(.{ "DELETE FROM posts WHERE id = '", id.*, "'" });
    var r = host.dbExecute(bytes(sql), null);
    drop(&sql);
    var path = cat(.{ "posts/", id.*, ".md" });
    const d = host.vfsDelete(path);
    drop(&path);
    var msg = cat(.{ "deleted ", id.*, " ", r, " ", d });
    host.log("info", msg);
    drop(&msg);
    drop(&r);
}

export fn exports_raisfast_plugin_wit_plugin_hooks_on_comment_created(in: *CommentInput) void {
    defer c.exports_raisfast_plugin_wit_plugin_hooks_comment_input_free(in);
    var data = cat(.{
        "content=", in.content, "\nnickname=",  in.nickname,
        "\nemail=", in.email,   "\nparent-id=", in.parent_id,
    });
    var ev = host.emitEvent("comment.created", data);
    drop(&data);
    var msg = cat(.{ "comment ", ev });
    host.log("info", msg);
    drop(&msg);
    drop(&ev);
}

export fn exports_raisfast_plugin_wit_plugin_hooks_on_content_created(e: *ContentEvent) void {
    defer c.exports_raisfast_plugin_wit_plugin_hooks_content_event_free(e);
    var url = cat(.{ "https://index.example/", e.content_type });
    var a = host.httpPost(url, e.data);
    drop(&url);
    var data = cat(.{ "content-type=", e.content_type, "\ndata=", e.data, "\nid=", e.id, "\nindexed=", a });
    var ev = host.emitEvent("content.created", data);
    drop(&data);
    drop(&ev);
    dropOpt(&a);
}

export fn exports_raisfast_plugin_wit_plugin_hooks_on_content_updated(e: *ContentEvent) void {
    defer c.exports_raisfast_plugin_wit_plugin_hooks_content_event_free(e);
    var path = cat(.{ "content/", e.content_type, "/", e.id, ".json" });
    const w = host.vfsWrite(path, e.data);
    drop(&path);
    var data = cat(.{ "content-type=", e.content_type, "\ndata=", e.data, "\nid=", e.id, "\nwritten=", w });
    var ev = host.emitEvent("content.updated", data);
    drop(&data);
    drop(&ev);
}

export fn exports_raisfast_plugin_wit_plugin_hooks_on_content_deleted(content_type: *Str, id: *Str) void {
    defer drop(content_type);
    defer drop(id);
    var path = cat(.{ "content/", content_type.*, "/", id.*, ".json" });
    const d = host.vfsDelete(path);
    drop(&path);
    var params = cat(.{ "[\"", content_type.*, "\",\"", id.*, "\"]" });
    var r = host.dbExecute("DELETE FROM content WHERE type = ? AND id = ?", params);
    drop(&params);
    var msg = cat(.{ "deleted ", content_type.*, "/", id.*, " ", d, " ", r });
    host.log("info", msg);
    drop(&msg);
    drop(&r);
}

export fn exports_raisfast_plugin_wit_plugin_hooks_on_login(user_id: *Str) void {
    defer drop(user_id);
    var key = cat(.{ "login:", user_id.* });
    var prev = host.getData(key);
    var value = cat(.{prev});
    const ok = host.setData(key, value);
    drop(&key);
    var msg = cat(.{ "login ", user_id.*, " ", value, " ", ok });
    host.log("info", msg);
    drop(&msg);
    drop(&value);
    dropOpt(&prev);
}

export fn exports_raisfast_plugin_wit_plugin_hooks_on_cron_tick(payload: ?*Str) void {
    const p = payload orelse {
        host.log("debug", lit("tick"));
        return;
    };
    defer drop(p);
    var path = cat(.{ "cron/", p.* });
    var l = host.vfsList(path);
    drop(&path);
    var url = cat(.{ "https://cron.example/", p.* });
    var g = host.httpGet(url);
    drop(&url);
    var msg = cat(.{ "tick ", p.*, " ", l, " ", g });
    host.log("info", msg);
    drop(&msg);
    dropOpt(&l);
    dropOpt(&g);
}
