// An evolution test guest (issue 10): a C plugin for plugin-world of the breaking 0.2.0 test
// contract testdata/evolve/v0.2.0/plugin.wit (http-post removed, on-login gains at-millis,
// now-millis added), built on wit-bindgen 0.36's C bindings by testdata/guests/build-c.sh.
//
// It never calls now-millis, so its module imports only log.
// Ownership as in c-plugin/plugin.c: an export owns its arguments (free them or move them into the
// result); a result is freed by the bindings' cabi_post_*; imports borrow their arguments.
//
// Hooks:
//   on-post-creating  some(input) with slug = "c-0.2.0" (every other field unchanged)
//   on-login          log("info", "c-0.2.0 login " + user-id + " at " + at-millis in decimal)
//   every other hook  filters return none, actions do nothing.

#include <stdlib.h>
#include <string.h>

#include "plugin_world.h"

typedef plugin_world_string_t str_t;

// A borrowed view of a C string literal (not to be freed).
static str_t lit(const char *s) {
	return (str_t){(uint8_t *)s, strlen(s)};
}

// dup returns a newly allocated copy of s (an empty string is not allocated: the bindings free a
// string only when its length is not zero).
static str_t dup(str_t s) {
	if (s.len == 0) return lit("");
	str_t out = {malloc(s.len), s.len};
	if (!out.ptr) abort();
	memcpy(out.ptr, s.ptr, s.len);
	return out;
}

// concat2 returns a newly allocated a + b.
static str_t concat2(str_t a, str_t b) {
	str_t out = {malloc(a.len + b.len), a.len + b.len};
	if (!out.ptr) abort();
	memcpy(out.ptr, a.ptr, a.len);
	memcpy(out.ptr + a.len, b.ptr, b.len);
	return out;
}

// decimal returns a newly allocated decimal rendering of v.
static str_t decimal(uint64_t v) {
	char buf[20]; // UINT64_MAX has 20 digits
	size_t n = 0;
	do {
		buf[sizeof buf - 1 - n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	str_t out = {malloc(n), n};
	if (!out.ptr) abort();
	memcpy(out.ptr, buf + sizeof buf - n, n);
	return out;
}

bool exports_raisfast_plugin_wit_plugin_hooks_on_post_creating(
	exports_raisfast_plugin_wit_plugin_hooks_post_input_t *input,
	exports_raisfast_plugin_wit_plugin_hooks_post_input_t *ret) {
	if (input->slug.is_some) plugin_world_string_free(&input->slug.val);
	input->slug.is_some = true;
	input->slug.val = dup(lit("c-0.2.0"));
	*ret = *input; // moves every field (and the new slug) into the result
	return true;
}

bool exports_raisfast_plugin_wit_plugin_hooks_on_post_updating(
	exports_raisfast_plugin_wit_plugin_hooks_post_input_t *input,
	exports_raisfast_plugin_wit_plugin_hooks_post_input_t *ret) {
	(void)ret;
	exports_raisfast_plugin_wit_plugin_hooks_post_input_free(input);
	return false;
}

bool exports_raisfast_plugin_wit_plugin_hooks_on_comment_creating(
	exports_raisfast_plugin_wit_plugin_hooks_comment_input_t *input,
	exports_raisfast_plugin_wit_plugin_hooks_comment_input_t *ret) {
	(void)ret;
	exports_raisfast_plugin_wit_plugin_hooks_comment_input_free(input);
	return false;
}

bool exports_raisfast_plugin_wit_plugin_hooks_on_content_creating(
	exports_raisfast_plugin_wit_plugin_hooks_content_event_t *input,
	exports_raisfast_plugin_wit_plugin_hooks_content_event_t *ret) {
	(void)ret;
	exports_raisfast_plugin_wit_plugin_hooks_content_event_free(input);
	return false;
}

bool exports_raisfast_plugin_wit_plugin_hooks_on_content_updating(
	exports_raisfast_plugin_wit_plugin_hooks_content_event_t *input,
	exports_raisfast_plugin_wit_plugin_hooks_content_event_t *ret) {
	(void)ret;
	exports_raisfast_plugin_wit_plugin_hooks_content_event_free(input);
	return false;
}

bool exports_raisfast_plugin_wit_plugin_hooks_render_markdown(str_t *input, str_t *ret) {
	(void)ret;
	plugin_world_string_free(input);
	return false;
}

bool exports_raisfast_plugin_wit_plugin_hooks_filter_html(str_t *input, str_t *ret) {
	(void)ret;
	plugin_world_string_free(input);
	return false;
}

void exports_raisfast_plugin_wit_plugin_hooks_on_post_created(
	exports_raisfast_plugin_wit_plugin_hooks_post_output_t *output) {
	exports_raisfast_plugin_wit_plugin_hooks_post_output_free(output);
}

void exports_raisfast_plugin_wit_plugin_hooks_on_post_updated(
	exports_raisfast_plugin_wit_plugin_hooks_post_output_t *output) {
	exports_raisfast_plugin_wit_plugin_hooks_post_output_free(output);
}

void exports_raisfast_plugin_wit_plugin_hooks_on_post_deleted(str_t *id) {
	plugin_world_string_free(id);
}

void exports_raisfast_plugin_wit_plugin_hooks_on_comment_created(
	exports_raisfast_plugin_wit_plugin_hooks_comment_input_t *input) {
	exports_raisfast_plugin_wit_plugin_hooks_comment_input_free(input);
}

void exports_raisfast_plugin_wit_plugin_hooks_on_content_created(
	exports_raisfast_plugin_wit_plugin_hooks_content_event_t *input) {
	exports_raisfast_plugin_wit_plugin_hooks_content_event_free(input);
}

void exports_raisfast_plugin_wit_plugin_hooks_on_content_updated(
	exports_raisfast_plugin_wit_plugin_hooks_content_event_t *input) {
	exports_raisfast_plugin_wit_plugin_hooks_content_event_free(input);
}

void exports_raisfast_plugin_wit_plugin_hooks_on_content_deleted(str_t *content_type, str_t *id) {
	plugin_world_string_free(content_type);
	plugin_world_string_free(id);
}

void exports_raisfast_plugin_wit_plugin_hooks_on_login(str_t *user_id, uint64_t at_millis) {
	str_t level = lit("info");
	str_t head = concat2(lit("c-0.2.0 login "), *user_id);
	str_t with_at = concat2(head, lit(" at "));
	str_t num = decimal(at_millis);
	str_t msg = concat2(with_at, num);
	raisfast_plugin_wit_host_api_log(&level, &msg);
	plugin_world_string_free(&msg);
	plugin_world_string_free(&num);
	plugin_world_string_free(&with_at);
	plugin_world_string_free(&head);
	plugin_world_string_free(user_id);
}

void exports_raisfast_plugin_wit_plugin_hooks_on_cron_tick(str_t *maybe_payload) {
	if (maybe_payload) plugin_world_string_free(maybe_payload);
}
