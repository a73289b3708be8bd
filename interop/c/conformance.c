// The conformance plugin of interop/SPEC.md on wit-bindgen 0.36's C bindings (plugin_world.h is
// generated at build time by testdata/guests/build-c.sh; see testdata/guests/README.md for the
// ownership rules): every hook of plugin-world, every host-api and data function.
//
// Ownership, kept simple: every hook builds its results and import arguments in fresh heap
// memory (a string builder), frees what imports returned, and frees its own arguments at the end
// with the bindings' *_free helpers. A zero-length string is never allocated (it points at a
// static "", which the bindings' free helpers skip because its length is 0).

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "plugin_world.h"

typedef plugin_world_string_t str_t;
typedef plugin_world_option_string_t opt_t;
typedef plugin_world_list_string_t list_t;
typedef exports_raisfast_plugin_wit_plugin_hooks_post_input_t post_input_t;
typedef exports_raisfast_plugin_wit_plugin_hooks_post_output_t post_output_t;
typedef exports_raisfast_plugin_wit_plugin_hooks_comment_input_t comment_input_t;
typedef exports_raisfast_plugin_wit_plugin_hooks_content_event_t content_event_t;

static uint8_t empty[1];

// ---- a growable byte buffer ----

typedef struct {
	uint8_t *ptr;
	size_t len, cap;
} sb_t;

static void sb_put(sb_t *b, const void *p, size_t n) {
	if (n == 0) return;
	if (b->len + n > b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 64;
		while (cap < b->len + n) cap *= 2;
		b->ptr = realloc(b->ptr, cap);
		if (!b->ptr) abort();
		b->cap = cap;
	}
	memcpy(b->ptr + b->len, p, n);
	b->len += n;
}

static void sb_lit(sb_t *b, const char *s) { sb_put(b, s, strlen(s)); }
static void sb_str(sb_t *b, str_t s) { sb_put(b, s.ptr, s.len); }
static void sb_byte(sb_t *b, uint8_t c) { sb_put(b, &c, 1); }

static void sb_u64(sb_t *b, uint64_t v) {
	char d[20];
	int n = 0;
	do {
		d[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	while (n) sb_byte(b, (uint8_t)d[--n]);
}

// dec(n): two's complement magnitude, so INT64_MIN needs no special case.
static void sb_i64(sb_t *b, int64_t v) {
	uint64_t u = (uint64_t)v;
	if (v < 0) {
		sb_byte(b, '-');
		u = ~u + 1;
	}
	sb_u64(b, u);
}

// opt(o): "~" or "+" + s.
static void sb_opt(sb_t *b, const opt_t *o) {
	if (!o->is_some) {
		sb_byte(b, '~');
		return;
	}
	sb_byte(b, '+');
	sb_str(b, o->val);
}

static void sb_bool(sb_t *b, bool v) { sb_lit(b, v ? "true" : "false"); }

static size_t chars(str_t s) {
	size_t n = 0;
	for (size_t i = 0; i < s.len; i++)
		if ((s.ptr[i] & 0xC0) != 0x80) n++;
	return n;
}

// sb_done hands the buffer over as a string (static "" when empty).
static str_t sb_done(sb_t *b) {
	if (b->len == 0) {
		free(b->ptr);
		return (str_t){empty, 0};
	}
	return (str_t){b->ptr, b->len};
}

// ---- strings ----

static str_t lit(const char *s) { return (str_t){(uint8_t *)s, strlen(s)}; }

static str_t dup(str_t s) {
	sb_t b = {0};
	sb_str(&b, s);
	return sb_done(&b);
}

static str_t cat(const char *prefix, str_t s, const char *suffix) {
	sb_t b = {0};
	sb_lit(&b, prefix);
	sb_str(&b, s);
	sb_lit(&b, suffix);
	return sb_done(&b);
}

static str_t upper(str_t s) {
	str_t r = dup(s);
	for (size_t i = 0; i < r.len; i++)
		if (r.ptr[i] >= 'a' && r.ptr[i] <= 'z') r.ptr[i] = (uint8_t)(r.ptr[i] - 'a' + 'A');
	return r;
}

static str_t lower(str_t s) {
	str_t r = dup(s);
	for (size_t i = 0; i < r.len; i++)
		if (r.ptr[i] >= 'A' && r.ptr[i] <= 'Z') r.ptr[i] = (uint8_t)(r.ptr[i] - 'A' + 'a');
	return r;
}

static str_t slugify(str_t s) {
	str_t r = lower(s);
	for (size_t i = 0; i < r.len; i++)
		if (r.ptr[i] == ' ') r.ptr[i] = '-';
	return r;
}

// rev(s): reverse the scalar values; a scalar starts at a byte that is not 10xxxxxx.
static str_t rev(str_t s) {
	sb_t b = {0};
	size_t end = s.len;
	while (end > 0) {
		size_t start = end - 1;
		while (start > 0 && (s.ptr[start] & 0xC0) == 0x80) start--;
		sb_put(&b, s.ptr + start, end - start);
		end = start;
	}
	return sb_done(&b);
}

static bool eq(str_t s, const char *l) { return s.len == strlen(l) && memcmp(s.ptr, l, s.len) == 0; }

static opt_t some(str_t s) { return (opt_t){true, s}; }
static opt_t none(void) { return (opt_t){false, {empty, 0}}; }

static void drop(str_t *s) { plugin_world_string_free(s); }
static void drop_opt(opt_t *o) { plugin_world_option_string_free(o); }

// ---- host calls with borrowed literal/string arguments ----

static void host_log(const char *level, str_t msg) {
	str_t l = lit(level);
	raisfast_plugin_wit_host_api_log(&l, &msg);
}

// ---- filters ----

bool exports_raisfast_plugin_wit_plugin_hooks_on_post_creating(post_input_t *p, post_input_t *ret) {
	if (eq(p->title, "pass")) {
		exports_raisfast_plugin_wit_plugin_hooks_post_input_free(p);
		return false;
	}
	str_t msg = cat("creating ", p->title, "");
	host_log("debug", msg);
	drop(&msg);

	post_input_t o;
	str_t up = upper(p->title);
	o.title = cat("", up, " \xE2\x9C\x93");
	drop(&up);

	sb_t b = {0};
	sb_str(&b, p->content);
	sb_lit(&b, " [");
	sb_u64(&b, p->content.len);
	sb_byte(&b, '/');
	sb_u64(&b, chars(p->content));
	sb_byte(&b, ']');
	o.content = sb_done(&b);

	o.slug = some(p->slug.is_some ? cat("", p->slug.val, "-x") : slugify(p->title));
	o.excerpt = p->excerpt.is_some ? some(rev(p->excerpt.val)) : none();
	o.category_id = p->category_id.is_some ? none() : some(dup(lit("uncategorized")));

	o.tag_ids.is_some = true;
	o.tag_ids.val = (list_t){NULL, 0};
	if (p->tag_ids.is_some) {
		size_t n = p->tag_ids.val.len;
		str_t *ts = malloc((n + 1) * sizeof(str_t));
		if (!ts) abort();
		for (size_t i = 0; i < n; i++) ts[i] = dup(p->tag_ids.val.ptr[n - 1 - i]);
		ts[n] = dup(lit("conf"));
		o.tag_ids.val = (list_t){ts, n + 1};
	}

	o.status = some(p->status.is_some ? upper(p->status.val) : dup(lit("draft")));
	o.cover_image = p->cover_image.is_some ? some(cat("", p->cover_image.val, "?w=640")) : none();

	exports_raisfast_plugin_wit_plugin_hooks_post_input_free(p);
	*ret = o;
	return true;
}

bool exports_raisfast_plugin_wit_plugin_hooks_on_post_updating(post_input_t *p, post_input_t *ret) {
	if (eq(p->title, "pass")) {
		exports_raisfast_plugin_wit_plugin_hooks_post_input_free(p);
		return false;
	}
	opt_t g = none();
	str_t key = p->slug.is_some ? p->slug.val : p->title;
	g.is_some = raisfast_plugin_wit_host_api_get_post(&key, &g.val);

	post_input_t o;
	o.title = rev(p->title);
	str_t lo = lower(p->content);
	sb_t b = {0};
	sb_str(&b, lo);
	sb_byte(&b, '\n');
	sb_opt(&b, &g);
	o.content = sb_done(&b);
	drop(&lo);
	drop_opt(&g);

	o.slug = p->slug.is_some ? some(upper(p->slug.val)) : none();
	if (p->excerpt.is_some) {
		sb_t e = {0};
		sb_str(&e, p->excerpt.val);
		sb_str(&e, p->excerpt.val);
		o.excerpt = some(sb_done(&e));
	} else {
		o.excerpt = some((str_t){empty, 0});
	}
	o.category_id = p->category_id.is_some ? some(cat("cat:", p->category_id.val, "")) : none();
	o.tag_ids.is_some = p->tag_ids.is_some;
	o.tag_ids.val = (list_t){NULL, 0};
	if (p->tag_ids.is_some && p->tag_ids.val.len > 0) {
		size_t n = p->tag_ids.val.len;
		str_t *ts = malloc(n * sizeof(str_t));
		if (!ts) abort();
		for (size_t i = 0; i < n; i++) ts[i] = upper(p->tag_ids.val.ptr[i]);
		o.tag_ids.val = (list_t){ts, n};
	}
	o.status = p->status.is_some ? none() : some(dup(lit("published")));
	o.cover_image = some(p->cover_image.is_some ? rev(p->cover_image.val) : dup(lit("default.png")));

	exports_raisfast_plugin_wit_plugin_hooks_post_input_free(p);
	*ret = o;
	return true;
}

bool exports_raisfast_plugin_wit_plugin_hooks_on_comment_creating(comment_input_t *c, comment_input_t *ret) {
	if (eq(c->content, "pass")) {
		exports_raisfast_plugin_wit_plugin_hooks_comment_input_free(c);
		return false;
	}
	sb_t k = {0};
	sb_lit(&k, "nickname:");
	sb_opt(&k, &c->email);
	str_t key = sb_done(&k);
	opt_t a = none();
	a.is_some = raisfast_plugin_wit_host_api_get_config(&key, &a.val);
	drop(&key);

	comment_input_t o;
	o.content = cat("\xF0\x9F\x92\xAC ", c->content, "");
	if (c->nickname.is_some) {
		o.nickname = some(upper(c->nickname.val));
		drop_opt(&a);
	} else {
		o.nickname = a; // the host's answer, moved into the result
	}
	o.email = c->email.is_some ? some(lower(c->email.val)) : none();
	o.parent_id = c->parent_id.is_some ? none() : some(dup(lit("root")));

	exports_raisfast_plugin_wit_plugin_hooks_comment_input_free(c);
	*ret = o;
	return true;
}

// ---- the data path of on-content-creating (SPEC.md, "The data calls") ----
//
// Import arguments are borrowed (built here on the stack from literals); every answer is owned
// and freed with the bindings' *_free helpers once rendered.

typedef raisfast_plugin_wit_data_value_t value_t;
typedef raisfast_plugin_wit_data_field_t field_t;
typedef raisfast_plugin_wit_data_row_t row_t;
typedef raisfast_plugin_wit_data_condition_t condition_t;
typedef raisfast_plugin_wit_data_filter_t filter_t;
typedef raisfast_plugin_wit_data_order_t order_t;
typedef raisfast_plugin_wit_data_query_t query_t;
typedef raisfast_plugin_wit_data_db_error_t db_error_t;

static value_t v_null(void) { return (value_t){.tag = RAISFAST_PLUGIN_WIT_DATA_VALUE_NULL}; }
static value_t v_int(int64_t n) { return (value_t){.tag = RAISFAST_PLUGIN_WIT_DATA_VALUE_INTEGER, .val.integer = n}; }
static value_t v_real(double x) { return (value_t){.tag = RAISFAST_PLUGIN_WIT_DATA_VALUE_REAL, .val.real = x}; }
static value_t v_real_bits(uint64_t bits) {
	double x;
	memcpy(&x, &bits, sizeof x);
	return v_real(x);
}
static value_t v_text(const char *s) { return (value_t){.tag = RAISFAST_PLUGIN_WIT_DATA_VALUE_TEXT, .val.text = lit(s)}; }
static value_t v_blob(const uint8_t *p, size_t n) {
	return (value_t){.tag = RAISFAST_PLUGIN_WIT_DATA_VALUE_BLOB, .val.blob = {(uint8_t *)(n ? p : empty), n}};
}

static const char hexdig[] = "0123456789abcdef";

// val(v)
static void sb_val(sb_t *b, const value_t *v) {
	switch (v->tag) {
	case RAISFAST_PLUGIN_WIT_DATA_VALUE_NULL: sb_lit(b, "null"); return;
	case RAISFAST_PLUGIN_WIT_DATA_VALUE_INTEGER: sb_lit(b, "i:"); sb_i64(b, v->val.integer); return;
	case RAISFAST_PLUGIN_WIT_DATA_VALUE_REAL: {
		double x = v->val.real;
		if (x != x) {
			sb_lit(b, "r:nan");
			return;
		}
		uint64_t bits;
		memcpy(&bits, &x, sizeof bits);
		sb_lit(b, "r:");
		for (int s = 60; s >= 0; s -= 4) sb_byte(b, (uint8_t)hexdig[(bits >> s) & 15]);
		return;
	}
	case RAISFAST_PLUGIN_WIT_DATA_VALUE_TEXT: sb_lit(b, "t:"); sb_str(b, v->val.text); return;
	case RAISFAST_PLUGIN_WIT_DATA_VALUE_BLOB:
		sb_lit(b, "b:");
		for (size_t i = 0; i < v->val.blob.len; i++) {
			sb_byte(b, (uint8_t)hexdig[v->val.blob.ptr[i] >> 4]);
			sb_byte(b, (uint8_t)hexdig[v->val.blob.ptr[i] & 15]);
		}
		return;
	}
	sb_lit(b, "?");
}

// row(r)
static void sb_row(sb_t *b, const row_t *r) {
	sb_byte(b, '{');
	for (size_t i = 0; i < r->len; i++) {
		if (i) sb_byte(b, ',');
		sb_str(b, r->ptr[i].column);
		sb_byte(b, '=');
		sb_val(b, &r->ptr[i].value);
	}
	sb_byte(b, '}');
}

// "err:" + the error, which it frees.
static void sb_err(sb_t *b, db_error_t *e) {
	static const char *names[] = {"permission-denied", "no-such-table", "no-such-column", "type-mismatch",
		"constraint", "timeout", "too-large", "invalid", "unavailable", "backend"};
	sb_lit(b, "err:");
	if (e->tag > RAISFAST_PLUGIN_WIT_DATA_DB_ERROR_BACKEND) {
		sb_lit(b, "?");
		return;
	}
	sb_lit(b, names[e->tag]);
	if (e->tag != RAISFAST_PLUGIN_WIT_DATA_DB_ERROR_TIMEOUT) {
		// Every case but timeout carries a string, all at the same place in the union.
		sb_byte(b, '(');
		sb_str(b, e->val.backend);
		sb_byte(b, ')');
	}
	raisfast_plugin_wit_data_db_error_free(e);
}

static void sb_line(sb_t *b, const char *fn) {
	sb_byte(b, '\n');
	sb_lit(b, fn);
	sb_byte(b, '=');
}

static void sb_u64_res(sb_t *b, const char *fn, bool ok, uint64_t n, db_error_t *e) {
	sb_line(b, fn);
	if (!ok) {
		sb_err(b, e);
		return;
	}
	sb_lit(b, "ok:");
	sb_u64(b, n);
}

static void data_path(str_t t, content_event_t *o) {
	static const uint8_t blob4[] = {0x00, 0xff, 0x80, 0x7f}, blob3[] = {0x01, 0x02, 0x03};
	field_t rfields[] = {
		{lit("n"), v_null()}, {lit("i"), v_int(-1)}, {lit("r"), v_real(-1.5)}, {lit("t"), v_text("Zo\xc3\xab \xe2\x82\xac \xf0\x9f\x98\x80")},
		{lit("e"), v_text("")}, {lit("b"), v_blob(NULL, 0)}, {lit("c"), v_blob(blob4, 4)},
	};
	row_t r = {rfields, 7};
	condition_t conds[] = {
		{lit("a"), RAISFAST_PLUGIN_WIT_DATA_COMPARISON_EQ, v_int(INT64_MIN)},
		{lit("b"), RAISFAST_PLUGIN_WIT_DATA_COMPARISON_NE, v_text("\xc3\xbc\xf0\x9f\x98\x80")},
		{lit("c"), RAISFAST_PLUGIN_WIT_DATA_COMPARISON_LT, v_real_bits(0x8000000000000000ull)},
		{lit("d"), RAISFAST_PLUGIN_WIT_DATA_COMPARISON_LE, v_real(__builtin_nan(""))},
		{lit("e"), RAISFAST_PLUGIN_WIT_DATA_COMPARISON_GT, v_int(INT64_MAX)},
		{lit("f"), RAISFAST_PLUGIN_WIT_DATA_COMPARISON_GE, v_real_bits(1)},
		{lit("g"), RAISFAST_PLUGIN_WIT_DATA_COMPARISON_LIKE, v_text("%a_b%")},
		{lit("h"), RAISFAST_PLUGIN_WIT_DATA_COMPARISON_IS_NULL, v_null()},
		{lit("i"), RAISFAST_PLUGIN_WIT_DATA_COMPARISON_IS_NOT_NULL, v_blob(blob3, 3)},
	};
	filter_t f = {conds, 9}, none = {(condition_t *)empty, 0};
	str_t cols[] = {lit("id"), lit("t\xc3\xadtle"), lit("")};
	order_t orders[] = {{lit("id"), false}, {lit("t\xc3\xadtle"), true}};
	query_t qs[2] = {
		{{cols, 3}, f, {orders, 2}, {true, UINT32_MAX}, {true, 0}},
		{{(str_t *)empty, 0}, none, {(order_t *)empty, 0}, {false, 0}, {false, 0}},
	};
	field_t sfields[] = {{lit("s"), v_text("ok \xe2\x9c\x93")}, {lit("n"), v_null()}};
	row_t set = {sfields, 2};
	str_t by[9] = {lit("k1"), lit("k2"), lit("k3"), lit("k4"), lit("k5"), lit("k6"), lit("k7"), lit("k8"), lit("k9")};

	sb_t b = {0};
	str_t s;
	raisfast_plugin_wit_host_api_new_id(&s);
	sb_lit(&b, "new-id=");
	sb_str(&b, s);
	str_t id = s; // moves into the result's id
	sb_lit(&b, "\ndb-ph=");
	raisfast_plugin_wit_host_api_db_ph(1, &s);
	sb_str(&b, s);
	drop(&s);
	sb_byte(&b, ' ');
	raisfast_plugin_wit_host_api_db_ph(UINT32_MAX, &s);
	sb_str(&b, s);
	drop(&s);

	uint64_t n;
	db_error_t e;
	bool ok = raisfast_plugin_wit_data_insert(&t, &r, &n, &e);
	sb_u64_res(&b, "insert", ok, n, &e);
	for (int i = 0; i < 2; i++) {
		raisfast_plugin_wit_data_option_row_t o;
		sb_line(&b, "fetch-one");
		if (!raisfast_plugin_wit_data_fetch_one(&t, &qs[i], &o, &e)) {
			sb_err(&b, &e);
			continue;
		}
		sb_lit(&b, "ok:");
		if (o.is_some) {
			sb_byte(&b, '+');
			sb_row(&b, &o.val);
		} else {
			sb_byte(&b, '~');
		}
		raisfast_plugin_wit_data_option_row_free(&o);
	}
	for (int i = 0; i < 2; i++) {
		raisfast_plugin_wit_data_list_row_t l;
		sb_line(&b, "fetch-all");
		if (!raisfast_plugin_wit_data_fetch_all(&t, &qs[i], &l, &e)) {
			sb_err(&b, &e);
			continue;
		}
		sb_lit(&b, "ok:[");
		for (size_t k = 0; k < l.len; k++) {
			if (k) sb_byte(&b, ',');
			sb_row(&b, &l.ptr[k]);
		}
		sb_byte(&b, ']');
		raisfast_plugin_wit_data_list_row_free(&l);
	}
	ok = raisfast_plugin_wit_data_update(&t, &set, &f, &n, &e);
	sb_u64_res(&b, "update", ok, n, &e);
	ok = raisfast_plugin_wit_data_delete(&t, &f, &n, &e);
	sb_u64_res(&b, "delete", ok, n, &e);
	ok = raisfast_plugin_wit_data_count(&t, &none, &n, &e);
	sb_u64_res(&b, "count", ok, n, &e);
	str_t views = lit("views"), total = lit("total"), vcol = lit("v");
	ok = raisfast_plugin_wit_data_increment(&t, &views, INT64_MIN, &f, &n, &e);
	sb_u64_res(&b, "increment", ok, n, &e);
	filter_t *sums[] = {&f, &none};
	for (int i = 0; i < 2; i++) {
		value_t v;
		sb_line(&b, "sum");
		if (!raisfast_plugin_wit_data_sum(&t, &total, sums[i], &v, &e)) {
			sb_err(&b, &e);
			continue;
		}
		sb_lit(&b, "ok:");
		sb_val(&b, &v);
		raisfast_plugin_wit_data_value_free(&v);
	}
	for (uint8_t a = RAISFAST_PLUGIN_WIT_DATA_AGGREGATE_COUNT; a <= RAISFAST_PLUGIN_WIT_DATA_AGGREGATE_AVG; a++) {
		list_t bl = {a ? by : (str_t *)empty, 2 * (size_t)a};
		raisfast_plugin_wit_data_list_group_t g;
		sb_line(&b, "group-by");
		if (!raisfast_plugin_wit_data_group_by(&t, &bl, a, &vcol, &f, &g, &e)) {
			sb_err(&b, &e);
			continue;
		}
		sb_lit(&b, "ok:[");
		for (size_t k = 0; k < g.len; k++) {
			if (k) sb_byte(&b, ',');
			sb_row(&b, &g.ptr[k].key);
			sb_lit(&b, "->");
			sb_val(&b, &g.ptr[k].value);
		}
		sb_byte(&b, ']');
		raisfast_plugin_wit_data_list_group_free(&g);
	}
	o->content_type = dup(lit("DATA"));
	o->data = sb_done(&b);
	o->id = some(id);
}

bool exports_raisfast_plugin_wit_plugin_hooks_on_content_creating(content_event_t *e, content_event_t *ret) {
	if (eq(e->content_type, "pass")) {
		exports_raisfast_plugin_wit_plugin_hooks_content_event_free(e);
		return false;
	}
	if (eq(e->content_type, "data")) {
		data_path(e->data, ret);
		exports_raisfast_plugin_wit_plugin_hooks_content_event_free(e);
		return true;
	}
	str_t url = cat("https://schema.example/", e->content_type, "");
	opt_t s = none();
	s.is_some = raisfast_plugin_wit_host_api_http_get(&url, &s.val);
	drop(&url);

	content_event_t o;
	o.content_type = upper(e->content_type);
	sb_t b = {0};
	sb_str(&b, e->data);
	sb_byte(&b, '\n');
	sb_opt(&b, &s);
	o.data = sb_done(&b);
	drop_opt(&s);
	if (e->id.is_some) {
		o.id = some(cat("", e->id.val, "+1"));
	} else {
		sb_t i = {0};
		sb_lit(&i, "new-");
		sb_u64(&i, e->data.len);
		o.id = some(sb_done(&i));
	}

	exports_raisfast_plugin_wit_plugin_hooks_content_event_free(e);
	*ret = o;
	return true;
}

bool exports_raisfast_plugin_wit_plugin_hooks_on_content_updating(content_event_t *e, content_event_t *ret) {
	if (eq(e->content_type, "pass")) {
		exports_raisfast_plugin_wit_plugin_hooks_content_event_free(e);
		return false;
	}
	str_t sql = lit("SELECT data FROM content WHERE id = ?");
	str_t q;
	raisfast_plugin_wit_host_api_db_query(&sql, e->id.is_some ? &e->id.val : NULL, &q);

	content_event_t o;
	o.content_type = lower(e->content_type);
	o.data = rev(e->data);
	if (e->id.is_some) {
		o.id = none();
		drop(&q);
	} else {
		o.id = some(q);
	}

	exports_raisfast_plugin_wit_plugin_hooks_content_event_free(e);
	*ret = o;
	return true;
}

bool exports_raisfast_plugin_wit_plugin_hooks_render_markdown(str_t *s, str_t *ret) {
	bool pass = eq(*s, "pass");
	if (!pass) *ret = cat("<p>", *s, "</p>");
	drop(s);
	return !pass;
}

bool exports_raisfast_plugin_wit_plugin_hooks_filter_html(str_t *s, str_t *ret) {
	bool pass = eq(*s, "pass");
	if (!pass) {
		str_t up = upper(*s);
		sb_t b = {0};
		sb_str(&b, up);
		sb_lit(&b, "<!--");
		sb_u64(&b, s->len);
		sb_lit(&b, "-->");
		*ret = sb_done(&b);
		drop(&up);
	}
	drop(s);
	return !pass;
}

// ---- actions ----

// sb_post appends post(o, n) of the SPEC.
static void sb_post(sb_t *b, const post_output_t *o, int64_t n) {
	sb_lit(b, "id="), sb_str(b, o->id);
	sb_lit(b, "\ntitle="), sb_str(b, o->title);
	sb_lit(b, "\nslug="), sb_str(b, o->slug);
	sb_lit(b, "\ncontent="), sb_str(b, o->content);
	sb_lit(b, "\nexcerpt="), sb_opt(b, &o->excerpt);
	sb_lit(b, "\nstatus="), sb_str(b, o->status);
	sb_lit(b, "\ncreated-by="), sb_str(b, o->created_by);
	sb_lit(b, "\nupdated-by="), sb_opt(b, &o->updated_by);
	sb_lit(b, "\ncategory-id="), sb_opt(b, &o->category_id);
	sb_lit(b, "\nview-count="), sb_i64(b, n);
	sb_lit(b, "\ncreated-at="), sb_str(b, o->created_at);
	sb_lit(b, "\nupdated-at="), sb_str(b, o->updated_at);
	sb_lit(b, "\npublished-at="), sb_opt(b, &o->published_at);
}

void exports_raisfast_plugin_wit_plugin_hooks_on_post_created(post_output_t *o) {
	int64_t next = (int64_t)((uint64_t)o->view_count + 1);
	str_t f = cat("posts/", o->slug, ".md");
	str_t t;

	t = cat("created ", o->id, "");
	host_log("info", t);
	drop(&t);

	opt_t a1 = none();
	t = cat("views:", o->slug, "");
	a1.is_some = raisfast_plugin_wit_host_api_get_config(&t, &a1.val);
	drop(&t);

	str_t pk = cat("post:", o->id, "");
	opt_t a2 = none();
	a2.is_some = raisfast_plugin_wit_host_api_get_data(&pk, &a2.val);
	bool a3 = raisfast_plugin_wit_host_api_set_data(&pk, &o->title);
	drop(&pk);

	opt_t a4 = none();
	a4.is_some = raisfast_plugin_wit_host_api_get_post(&o->slug, &a4.val);

	str_t hook = cat("https://hooks.example/", o->slug, "");
	opt_t a5 = none();
	a5.is_some = raisfast_plugin_wit_host_api_http_get(&hook, &a5.val);
	opt_t a6 = none();
	a6.is_some = raisfast_plugin_wit_host_api_http_post(&hook, &o->title, &a6.val);
	drop(&hook);

	str_t a7, a8, a9, a10, a17;
	raisfast_plugin_wit_host_api_db_begin(&a7);

	str_t sql = lit("SELECT views FROM posts WHERE id = ?");
	str_t params = cat("[\"", o->id, "\"]");
	raisfast_plugin_wit_host_api_db_query(&sql, &params, &a8);
	drop(&params);

	sql = lit("UPDATE posts SET views = ? WHERE id = ?");
	sb_t pb = {0};
	sb_byte(&pb, '[');
	sb_i64(&pb, next);
	sb_lit(&pb, ",\"");
	sb_str(&pb, o->id);
	sb_lit(&pb, "\"]");
	params = sb_done(&pb);
	raisfast_plugin_wit_host_api_db_execute(&sql, &params, &a9);
	drop(&params);

	raisfast_plugin_wit_host_api_db_commit(&a10);

	bool a11 = raisfast_plugin_wit_host_api_vfs_write(&f, &o->content);
	bool a12 = raisfast_plugin_wit_host_api_vfs_exists(&f);
	opt_t a13 = none(), a14 = none(), a15 = none();
	a13.is_some = raisfast_plugin_wit_host_api_vfs_read(&f, &a13.val);
	a14.is_some = raisfast_plugin_wit_host_api_vfs_stat(&f, &a14.val);
	t = cat("posts/", o->slug, "");
	a15.is_some = raisfast_plugin_wit_host_api_vfs_list(&t, &a15.val);
	drop(&t);
	bool a16 = raisfast_plugin_wit_host_api_vfs_delete(&f);
	raisfast_plugin_wit_host_api_db_rollback(&a17);

	sb_t b = {0};
	sb_post(&b, o, next);
	sb_lit(&b, "\nget-config="), sb_opt(&b, &a1);
	sb_lit(&b, "\nget-data="), sb_opt(&b, &a2);
	sb_lit(&b, "\nset-data="), sb_bool(&b, a3);
	sb_lit(&b, "\nget-post="), sb_opt(&b, &a4);
	sb_lit(&b, "\nhttp-get="), sb_opt(&b, &a5);
	sb_lit(&b, "\nhttp-post="), sb_opt(&b, &a6);
	sb_lit(&b, "\ndb-begin="), sb_str(&b, a7);
	sb_lit(&b, "\ndb-query="), sb_str(&b, a8);
	sb_lit(&b, "\ndb-execute="), sb_str(&b, a9);
	sb_lit(&b, "\ndb-commit="), sb_str(&b, a10);
	sb_lit(&b, "\nvfs-write="), sb_bool(&b, a11);
	sb_lit(&b, "\nvfs-exists="), sb_bool(&b, a12);
	sb_lit(&b, "\nvfs-read="), sb_opt(&b, &a13);
	sb_lit(&b, "\nvfs-stat="), sb_opt(&b, &a14);
	sb_lit(&b, "\nvfs-list="), sb_opt(&b, &a15);
	sb_lit(&b, "\nvfs-delete="), sb_bool(&b, a16);
	sb_lit(&b, "\ndb-rollback="), sb_str(&b, a17);
	str_t data = sb_done(&b);
	str_t type = lit("post.created"), ev;
	raisfast_plugin_wit_host_api_emit_event(&type, &data, &ev);
	drop(&data);

	t = cat("emitted ", ev, "");
	host_log("debug", t);
	drop(&t);
	drop(&ev);

	drop_opt(&a1), drop_opt(&a2), drop_opt(&a4), drop_opt(&a5), drop_opt(&a6);
	drop_opt(&a13), drop_opt(&a14), drop_opt(&a15);
	drop(&a7), drop(&a8), drop(&a9), drop(&a10), drop(&a17);
	drop(&f);
	exports_raisfast_plugin_wit_plugin_hooks_post_output_free(o);
}

void exports_raisfast_plugin_wit_plugin_hooks_on_post_updated(post_output_t *o) {
	sb_t b = {0};
	sb_post(&b, o, (int64_t)((uint64_t)o->view_count - 1));
	str_t data = sb_done(&b);
	str_t type = lit("post.updated"), ev;
	raisfast_plugin_wit_host_api_emit_event(&type, &data, &ev);
	drop(&data);

	sb_t m = {0};
	sb_lit(&m, "updated ");
	sb_str(&m, o->id);
	sb_byte(&m, ' ');
	sb_opt(&m, &o->updated_by);
	sb_byte(&m, ' ');
	sb_str(&m, ev);
	str_t msg = sb_done(&m);
	host_log("info", msg);
	drop(&msg);
	drop(&ev);
	exports_raisfast_plugin_wit_plugin_hooks_post_output_free(o);
}

void exports_raisfast_plugin_wit_plugin_hooks_on_post_deleted(str_t *id) {
	str_t sql = cat("DELETE FROM posts WHERE id = '", *id, "'"), r;
	raisfast_plugin_wit_host_api_db_execute(&sql, NULL, &r);
	drop(&sql);
	str_t path = cat("posts/", *id, ".md");
	bool d = raisfast_plugin_wit_host_api_vfs_delete(&path);
	drop(&path);

	sb_t m = {0};
	sb_lit(&m, "deleted ");
	sb_str(&m, *id);
	sb_byte(&m, ' ');
	sb_str(&m, r);
	sb_byte(&m, ' ');
	sb_bool(&m, d);
	str_t msg = sb_done(&m);
	host_log("info", msg);
	drop(&msg);
	drop(&r);
	drop(id);
}

void exports_raisfast_plugin_wit_plugin_hooks_on_comment_created(comment_input_t *c) {
	sb_t b = {0};
	sb_lit(&b, "content="), sb_str(&b, c->content);
	sb_lit(&b, "\nnickname="), sb_opt(&b, &c->nickname);
	sb_lit(&b, "\nemail="), sb_opt(&b, &c->email);
	sb_lit(&b, "\nparent-id="), sb_opt(&b, &c->parent_id);
	str_t data = sb_done(&b);
	str_t type = lit("comment.created"), ev;
	raisfast_plugin_wit_host_api_emit_event(&type, &data, &ev);
	drop(&data);
	str_t msg = cat("comment ", ev, "");
	host_log("info", msg);
	drop(&msg);
	drop(&ev);
	exports_raisfast_plugin_wit_plugin_hooks_comment_input_free(c);
}

// sb_content appends the content-event lines shared by on-content-created/updated.
static void sb_content(sb_t *b, const content_event_t *e) {
	sb_lit(b, "content-type="), sb_str(b, e->content_type);
	sb_lit(b, "\ndata="), sb_str(b, e->data);
	sb_lit(b, "\nid="), sb_opt(b, &e->id);
}

void exports_raisfast_plugin_wit_plugin_hooks_on_content_created(content_event_t *e) {
	str_t url = cat("https://index.example/", e->content_type, "");
	opt_t a = none();
	a.is_some = raisfast_plugin_wit_host_api_http_post(&url, &e->data, &a.val);
	drop(&url);

	sb_t b = {0};
	sb_content(&b, e);
	sb_lit(&b, "\nindexed="), sb_opt(&b, &a);
	str_t data = sb_done(&b);
	str_t type = lit("content.created"), ev;
	raisfast_plugin_wit_host_api_emit_event(&type, &data, &ev);
	drop(&data);
	drop(&ev);
	drop_opt(&a);
	exports_raisfast_plugin_wit_plugin_hooks_content_event_free(e);
}

void exports_raisfast_plugin_wit_plugin_hooks_on_content_updated(content_event_t *e) {
	sb_t p = {0};
	sb_lit(&p, "content/");
	sb_str(&p, e->content_type);
	sb_byte(&p, '/');
	sb_opt(&p, &e->id);
	sb_lit(&p, ".json");
	str_t path = sb_done(&p);
	bool w = raisfast_plugin_wit_host_api_vfs_write(&path, &e->data);
	drop(&path);

	sb_t b = {0};
	sb_content(&b, e);
	sb_lit(&b, "\nwritten="), sb_bool(&b, w);
	str_t data = sb_done(&b);
	str_t type = lit("content.updated"), ev;
	raisfast_plugin_wit_host_api_emit_event(&type, &data, &ev);
	drop(&data);
	drop(&ev);
	exports_raisfast_plugin_wit_plugin_hooks_content_event_free(e);
}

void exports_raisfast_plugin_wit_plugin_hooks_on_content_deleted(str_t *content_type, str_t *id) {
	sb_t p = {0};
	sb_lit(&p, "content/");
	sb_str(&p, *content_type);
	sb_byte(&p, '/');
	sb_str(&p, *id);
	sb_lit(&p, ".json");
	str_t path = sb_done(&p);
	bool d = raisfast_plugin_wit_host_api_vfs_delete(&path);
	drop(&path);

	str_t sql = lit("DELETE FROM content WHERE type = ? AND id = ?"), r;
	sb_t q = {0};
	sb_lit(&q, "[\"");
	sb_str(&q, *content_type);
	sb_lit(&q, "\",\"");
	sb_str(&q, *id);
	sb_lit(&q, "\"]");
	str_t params = sb_done(&q);
	raisfast_plugin_wit_host_api_db_execute(&sql, &params, &r);
	drop(&params);

	sb_t m = {0};
	sb_lit(&m, "deleted ");
	sb_str(&m, *content_type);
	sb_byte(&m, '/');
	sb_str(&m, *id);
	sb_byte(&m, ' ');
	sb_bool(&m, d);
	sb_byte(&m, ' ');
	sb_str(&m, r);
	str_t msg = sb_done(&m);
	host_log("info", msg);
	drop(&msg);
	drop(&r);
	drop(content_type);
	drop(id);
}

void exports_raisfast_plugin_wit_plugin_hooks_on_login(str_t *user_id) {
	str_t key = cat("login:", *user_id, "");
	opt_t prev = none();
	prev.is_some = raisfast_plugin_wit_host_api_get_data(&key, &prev.val);
	sb_t v = {0};
	sb_opt(&v, &prev);
	str_t value = sb_done(&v);
	bool ok = raisfast_plugin_wit_host_api_set_data(&key, &value);
	drop(&key);

	sb_t m = {0};
	sb_lit(&m, "login ");
	sb_str(&m, *user_id);
	sb_byte(&m, ' ');
	sb_str(&m, value);
	sb_byte(&m, ' ');
	sb_bool(&m, ok);
	str_t msg = sb_done(&m);
	host_log("info", msg);
	drop(&msg);
	drop(&value);
	drop_opt(&prev);
	drop(user_id);
}

void exports_raisfast_plugin_wit_plugin_hooks_on_cron_tick(str_t *payload) {
	if (!payload) {
		host_log("debug", lit("tick"));
		return;
	}
	str_t path = cat("cron/", *payload, "");
	opt_t l = none();
	l.is_some = raisfast_plugin_wit_host_api_vfs_list(&path, &l.val);
	drop(&path);
	str_t url = cat("https://cron.example/", *payload, "");
	opt_t g = none();
	g.is_some = raisfast_plugin_wit_host_api_http_get(&url, &g.val);
	drop(&url);

	sb_t m = {0};
	sb_lit(&m, "tick ");
	sb_str(&m, *payload);
	sb_byte(&m, ' ');
	sb_opt(&m, &l);
	sb_byte(&m, ' ');
	sb_opt(&m, &g);
	str_t msg = sb_done(&m);
	host_log("info", msg);
	drop(&msg);
	drop_opt(&l);
	drop_opt(&g);
	drop(payload);
}
