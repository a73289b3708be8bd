// c-res: the resource test world (internal/restest/wit/res.wit) in C over
// wit-bindgen's C bindings. It implements the exported counter resource and
// uses the host's blob resource; internal/restest checks the host side.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "res.h"

struct exports_test_res_counters_counter_t {
	char *name;
	int64_t value;
};

typedef exports_test_res_counters_counter_t counter_t;
typedef exports_test_res_counters_own_counter_t own_counter_t;

static char *dropped_names[4096];
static size_t n_dropped;
static test_res_store_own_blob_t kept[1024];
static size_t n_kept;

static char *cstr(const res_string_t *s) {
	char *p = malloc(s->len + 1);
	memcpy(p, s->ptr, s->len);
	p[s->len] = 0;
	return p;
}

static own_counter_t make(char *name, int64_t v) {
	counter_t *c = malloc(sizeof *c);
	c->name = name;
	c->value = v;
	return exports_test_res_counters_counter_new(c);
}

void exports_test_res_counters_counter_destructor(counter_t *rep) {
	if (n_dropped < sizeof dropped_names / sizeof dropped_names[0]) {
		dropped_names[n_dropped++] = rep->name;
	} else {
		free(rep->name);
	}
	free(rep);
}

own_counter_t exports_test_res_counters_constructor_counter(res_string_t *name, int64_t start) {
	own_counter_t h = make(cstr(name), start);
	res_string_free(name);
	return h;
}

int64_t exports_test_res_counters_method_counter_add(counter_t *self, int64_t n) {
	self->value += n;
	return self->value;
}

int64_t exports_test_res_counters_method_counter_get(counter_t *self) { return self->value; }

void exports_test_res_counters_method_counter_name(counter_t *self, res_string_t *ret) {
	res_string_dup(ret, self->name);
}

own_counter_t exports_test_res_counters_static_counter_merge(own_counter_t a, own_counter_t b) {
	counter_t *ra = exports_test_res_counters_counter_rep(a);
	counter_t *rb = exports_test_res_counters_counter_rep(b);
	size_t n = strlen(ra->name) + strlen(rb->name) + 2;
	char *name = malloc(n);
	snprintf(name, n, "%s+%s", ra->name, rb->name);
	own_counter_t h = make(name, ra->value + rb->value);
	exports_test_res_counters_counter_drop_own(a);
	exports_test_res_counters_counter_drop_own(b);
	return h;
}

void exports_test_res_counters_make_counters(uint32_t n, exports_test_res_counters_list_own_counter_t *ret) {
	ret->ptr = malloc(sizeof(own_counter_t) * (n ? n : 1));
	ret->len = n;
	for (uint32_t i = 0; i < n; i++) {
		char *name = malloc(16);
		snprintf(name, 16, "c%u", i);
		ret->ptr[i] = make(name, i);
	}
}

int64_t exports_test_res_counters_sum_all(exports_test_res_counters_list_borrow_counter_t *cs) {
	int64_t sum = 0;
	for (size_t i = 0; i < cs->len; i++) sum += cs->ptr[i]->value;
	free(cs->ptr);
	return sum;
}

int64_t exports_test_res_counters_total(exports_test_res_counters_list_own_counter_t *cs) {
	int64_t sum = 0;
	for (size_t i = 0; i < cs->len; i++) {
		sum += exports_test_res_counters_counter_rep(cs->ptr[i])->value;
		exports_test_res_counters_counter_drop_own(cs->ptr[i]);
	}
	free(cs->ptr);
	return sum;
}

void exports_test_res_counters_label(exports_test_res_counters_named_counter_t *n,
                                     exports_test_res_counters_named_counter_t *ret) {
	char *l = cstr(&n->label);
	size_t len = strlen(l) + 2;
	char *out = malloc(len);
	snprintf(out, len, "%s!", l);
	free(l);
	res_string_free(&n->label);
	ret->label.ptr = (uint8_t *)out;
	ret->label.len = strlen(out);
	ret->c = n->c;
}

bool exports_test_res_counters_maybe(own_counter_t *maybe_c, own_counter_t *ret, res_string_t *err) {
	if (maybe_c == NULL) {
		res_string_dup(err, "none");
		return false;
	}
	*ret = *maybe_c;
	return true;
}

void exports_test_res_counters_dropped(res_list_string_t *ret) {
	ret->ptr = malloc(sizeof(res_string_t) * (n_dropped ? n_dropped : 1));
	ret->len = n_dropped;
	for (size_t i = 0; i < n_dropped; i++) res_string_dup(&ret->ptr[i], dropped_names[i]);
}

uint32_t exports_test_res_counters_blob_size(exports_test_res_counters_borrow_blob_t b) {
	return test_res_store_method_blob_size(b); // the borrow goes back to the host
}

void exports_test_res_counters_keep_blob(exports_test_res_counters_own_blob_t b) {
	if (n_kept < sizeof kept / sizeof kept[0]) {
		kept[n_kept++] = b;
	} else {
		test_res_store_blob_drop_own(b);
	}
}

uint32_t exports_test_res_counters_forget_blobs(void) {
	uint32_t n = n_kept;
	for (size_t i = 0; i < n_kept; i++) test_res_store_blob_drop_own(kept[i]);
	n_kept = 0;
	return n;
}

void exports_test_res_counters_build(uint32_t n, exports_test_res_counters_list_own_blob_t *ret) {
	ret->ptr = malloc(sizeof(test_res_store_own_blob_t) * (n ? n : 1));
	ret->len = n;
	for (uint32_t i = 0; i < n; i++) {
		uint8_t init[2] = {(uint8_t)i, (uint8_t)i};
		res_list_u8_t l = {init, 2};
		test_res_store_own_blob_t b = test_res_store_constructor_blob(&l);
		uint8_t more[1] = {(uint8_t)(i + 1)};
		res_list_u8_t m = {more, 1};
		test_res_store_method_blob_append(test_res_store_borrow_blob(b), &m);
		ret->ptr[i] = b;
	}
}

void exports_test_res_counters_retag(exports_test_res_counters_tagged_t *t, exports_test_res_counters_tagged_t *ret) {
	char *l = cstr(&t->name);
	size_t len = strlen(l) + 2;
	char *out = malloc(len);
	snprintf(out, len, "%s?", l);
	free(l);
	res_string_free(&t->name);
	test_res_store_borrow_blob_t bb = test_res_store_borrow_blob(t->item);
	test_res_store_own_blob_t doubled = test_res_store_static_blob_concat(bb, bb);
	test_res_store_blob_drop_own(t->item);
	ret->name.ptr = (uint8_t *)out;
	ret->name.len = strlen(out);
	ret->item = doubled;
}

own_counter_t exports_test_res_counters_return_dropped(void) {
	char *name = malloc(8);
	strcpy(name, "ghost");
	own_counter_t h = make(name, 0);
	exports_test_res_counters_counter_drop_own(h);
	return h; // misbehaving on purpose: the handle is gone
}

void exports_test_res_counters_store_check(uint32_t n, res_string_t *ret) {
	test_res_store_list_own_blob_t bs;
	test_res_store_make_many(n, &bs);
	test_res_store_list_borrow_blob_t borrows = {malloc(sizeof(test_res_store_borrow_blob_t) * (bs.len ? bs.len : 1)), bs.len};
	for (size_t i = 0; i < bs.len; i++) borrows.ptr[i] = test_res_store_borrow_blob(bs.ptr[i]);
	uint32_t total = test_res_store_total_size(&borrows);
	free(borrows.ptr);
	for (size_t i = 1; i < bs.len; i++) test_res_store_blob_drop_own(bs.ptr[i]);
	res_string_t w;
	res_string_dup(&w, "w");
	test_res_store_tagged_t t;
	test_res_store_wrap(&w, bs.ptr[0], &t);
	free(bs.ptr);
	char *tname = cstr(&t.name);
	test_res_store_own_blob_t b0 = test_res_store_unwrap(&t);
	test_res_store_own_blob_t got;
	res_string_t err;
	uint32_t size = 0;
	if (test_res_store_pick(&b0, &got, &err)) {
		size = test_res_store_method_blob_size(test_res_store_borrow_blob(got));
		test_res_store_blob_drop_own(got);
	}
	char *e = strdup("-");
	test_res_store_own_blob_t unused;
	if (!test_res_store_pick(NULL, &unused, &err)) {
		free(e);
		e = cstr(&err);
		res_string_free(&err);
	}
	char buf[256];
	snprintf(buf, sizeof buf, "total=%u tagged=%s size=%u none=%s", total, tname, size, e);
	free(tname);
	free(e);
	res_string_dup(ret, buf);
}

static int32_t stashed;

void exports_test_res_counters_stash_borrow(exports_test_res_counters_borrow_blob_t b) { stashed = b.__handle; }

uint32_t exports_test_res_counters_bad_handle(uint32_t how) {
	test_res_store_borrow_blob_t b = {0};
	switch (how) {
	case 0: { // a counter's handle passed as a blob
		char *name = malloc(4);
		strcpy(name, "bad");
		own_counter_t c = make(name, 0);
		b.__handle = c.__handle;
		break;
	}
	case 1:
		b.__handle = 12345;
		break;
	case 2: {
		uint8_t init[1] = {1};
		res_list_u8_t l = {init, 1};
		test_res_store_own_blob_t o = test_res_store_constructor_blob(&l);
		test_res_store_blob_drop_own(o);
		b.__handle = o.__handle;
		break;
	}
	default:
		b.__handle = stashed;
	}
	return test_res_store_method_blob_size(b);
}
