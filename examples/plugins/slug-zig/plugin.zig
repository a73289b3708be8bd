//! The product page's quick start (a slug filter, a cache write when a post is created, a cron
//! log) as a Zig plugin over wit-bindgen's C bindings of wit/plugin.wit's plugin-world.
//!
//! `wit-bindgen c wit/ --world plugin-world` writes plugin_world.h (imported below with @cImport),
//! plugin_world.c (the canonical ABI: it lifts the host's arguments, calls the functions exported
//! here, lowers their results and frees them after the host has read them) and
//! plugin_world_component_type.o (the world, linked in as a custom section). See README.md.
//!
//! wit-bindgen's C ownership rules: a hook owns its arguments (free them with the bindings'
//! *_free functions, or move them into the result), a filter's result is freed by the bindings
//! after the call, and memory is libc's malloc/free (wasi-libc, shipped with Zig).

const std = @import("std");
const c = @cImport({
    @cInclude("plugin_world.h");
});

const Str = c.plugin_world_string_t;
const PostInput = c.exports_raisfast_plugin_wit_plugin_hooks_post_input_t;
const PostOutput = c.exports_raisfast_plugin_wit_plugin_hooks_post_output_t;
const CommentInput = c.exports_raisfast_plugin_wit_plugin_hooks_comment_input_t;
const ContentEvent = c.exports_raisfast_plugin_wit_plugin_hooks_content_event_t;

var empty: [1]u8 = .{0};

fn bytes(s: Str) []u8 {
    return if (s.len == 0) empty[0..0] else s.ptr[0..s.len];
}

/// A WIT string borrowing `s`, for host-call arguments.
fn str(s: []const u8) Str {
    return .{ .ptr = @constCast(s.ptr), .len = s.len };
}

/// concat returns the pieces joined in a buffer from libc's heap (the caller frees it).
fn concat(pieces: []const []const u8) []u8 {
    var n: usize = 0;
    for (pieces) |p| n += p.len;
    const buf: [*]u8 = @ptrCast(std.c.malloc(@max(n, 1)) orelse std.c.abort());
    var i: usize = 0;
    for (pieces) |p| {
        @memcpy(buf[i..][0..p.len], p);
        i += p.len;
    }
    return buf[0..n];
}

fn log(level: []const u8, msg: []const u8) void {
    var l = str(level);
    var m = str(msg);
    c.raisfast_plugin_wit_host_api_log(&l, &m);
}

fn vfsWrite(path: []const u8, content: []const u8) bool {
    var p = str(path);
    var x = str(content);
    return c.raisfast_plugin_wit_host_api_vfs_write(&p, &x);
}

// ---- the quick start's three hooks ----

/// A post without a slug gets one from its title: lowercase, spaces turned into '-'. The post
/// is returned (moved into the result, which the bindings free after the host has read it).
export fn exports_raisfast_plugin_wit_plugin_hooks_on_post_creating(input: *PostInput, ret: *PostInput) bool {
    ret.* = input.*;
    if (!ret.slug.is_some and ret.title.len == 0) {
        ret.slug = .{ .is_some = true, .val = str("") }; // a zero-length string is never freed
    } else if (!ret.slug.is_some) {
        const slug = concat(&.{bytes(ret.title)});
        for (slug) |*ch| {
            ch.* = if (ch.* == ' ') '-' else std.ascii.toLower(ch.*);
        }
        ret.slug = .{ .is_some = true, .val = .{ .ptr = slug.ptr, .len = slug.len } };
    }
    return true;
}

export fn exports_raisfast_plugin_wit_plugin_hooks_on_post_created(output: *PostOutput) void {
    defer c.exports_raisfast_plugin_wit_plugin_hooks_post_output_free(output);
    const slug = bytes(output.slug);
    const msg = concat(&.{ "published: ", slug });
    defer std.c.free(msg.ptr);
    log("info", msg);
    const key = concat(&.{ "cache/posts/", slug, ".json" });
    defer std.c.free(key.ptr);
    _ = vfsWrite(key, "{}");
}

export fn exports_raisfast_plugin_wit_plugin_hooks_on_cron_tick(payload: ?*Str) void {
    const p = payload orelse return;
    defer c.plugin_world_string_free(p);
    const msg = concat(&.{ "cron fired: ", bytes(p.*) });
    defer std.c.free(msg.ptr);
    log("info", msg);
}

// ---- every other hook of plugin-hooks ----
// wit-bindgen's C bindings export every hook of the world, so each needs a definition; the
// manifest decides which ones the host calls. Filters return false (none: the value stays as it
// is) after freeing their argument; actions free their arguments and do nothing.

export fn exports_raisfast_plugin_wit_plugin_hooks_on_post_updating(input: *PostInput, _: *PostInput) bool {
    c.exports_raisfast_plugin_wit_plugin_hooks_post_input_free(input);
    return false;
}

export fn exports_raisfast_plugin_wit_plugin_hooks_on_comment_creating(input: *CommentInput, _: *CommentInput) bool {
    c.exports_raisfast_plugin_wit_plugin_hooks_comment_input_free(input);
    return false;
}

export fn exports_raisfast_plugin_wit_plugin_hooks_on_content_creating(input: *ContentEvent, _: *ContentEvent) bool {
    c.exports_raisfast_plugin_wit_plugin_hooks_content_event_free(input);
    return false;
}

export fn exports_raisfast_plugin_wit_plugin_hooks_on_content_updating(input: *ContentEvent, _: *ContentEvent) bool {
    c.exports_raisfast_plugin_wit_plugin_hooks_content_event_free(input);
    return false;
}

export fn exports_raisfast_plugin_wit_plugin_hooks_render_markdown(input: *Str, _: *Str) bool {
    c.plugin_world_string_free(input);
    return false;
}

export fn exports_raisfast_plugin_wit_plugin_hooks_filter_html(input: *Str, _: *Str) bool {
    c.plugin_world_string_free(input);
    return false;
}

export fn exports_raisfast_plugin_wit_plugin_hooks_on_post_updated(output: *PostOutput) void {
    c.exports_raisfast_plugin_wit_plugin_hooks_post_output_free(output);
}

export fn exports_raisfast_plugin_wit_plugin_hooks_on_post_deleted(id: *Str) void {
    c.plugin_world_string_free(id);
}

export fn exports_raisfast_plugin_wit_plugin_hooks_on_comment_created(input: *CommentInput) void {
    c.exports_raisfast_plugin_wit_plugin_hooks_comment_input_free(input);
}

export fn exports_raisfast_plugin_wit_plugin_hooks_on_content_created(input: *ContentEvent) void {
    c.exports_raisfast_plugin_wit_plugin_hooks_content_event_free(input);
}

export fn exports_raisfast_plugin_wit_plugin_hooks_on_content_updated(input: *ContentEvent) void {
    c.exports_raisfast_plugin_wit_plugin_hooks_content_event_free(input);
}

export fn exports_raisfast_plugin_wit_plugin_hooks_on_content_deleted(content_type: *Str, id: *Str) void {
    c.plugin_world_string_free(content_type);
    c.plugin_world_string_free(id);
}

export fn exports_raisfast_plugin_wit_plugin_hooks_on_login(user_id: *Str) void {
    c.plugin_world_string_free(user_id);
}
