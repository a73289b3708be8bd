// c-dual: the dual test world (internal/restest/dual/wit/dual.wit) in C over wit-bindgen's C
// bindings: the guest exports pool.conn as a wrapper of the host's pool.conn.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dual.h"

struct exports_test_dual_pool_conn_t {
	test_dual_pool_own_conn_t inner;
	char *name;
};

static char *gone_names[256];
static size_t n_gone;

static char *cstr(const dual_string_t *s) {
	char *p = malloc(s->len + 1);
	memcpy(p, s->ptr, s->len);
	p[s->len] = 0;
	return p;
}

static test_dual_pool_own_conn_t host_conn(const char *name) {
	dual_string_t s;
	dual_string_dup(&s, name);
	test_dual_pool_own_conn_t c = test_dual_pool_constructor_conn(&s);
	dual_string_free(&s);
	return c;
}

exports_test_dual_pool_own_conn_t exports_test_dual_pool_constructor_conn(dual_string_t *name) {
	exports_test_dual_pool_conn_t *rep = malloc(sizeof *rep);
	rep->name = cstr(name);
	dual_string_free(name);
	size_t n = strlen(rep->name) + 6;
	char *hn = malloc(n);
	snprintf(hn, n, "%s@host", rep->name);
	rep->inner = host_conn(hn);
	free(hn);
	return exports_test_dual_pool_conn_new(rep);
}

void exports_test_dual_pool_method_conn_name(exports_test_dual_pool_conn_t *self, dual_string_t *ret) {
	dual_string_t inner;
	test_dual_pool_method_conn_name(test_dual_pool_borrow_conn(self->inner), &inner);
	char *s = cstr(&inner);
	dual_string_free(&inner);
	size_t n = strlen(s) + 8;
	char *out = malloc(n);
	snprintf(out, n, "guest(%s)", s);
	free(s);
	ret->ptr = (uint8_t *)out;
	ret->len = strlen(out);
}

void exports_test_dual_pool_conn_destructor(exports_test_dual_pool_conn_t *rep) {
	if (n_gone < 256) gone_names[n_gone++] = rep->name;
	test_dual_pool_conn_drop_own(rep->inner);
	free(rep);
}

void exports_test_dual_pool_echo(exports_test_dual_pool_wrapped_t *w, exports_test_dual_pool_wrapped_t *ret) {
	exports_test_dual_pool_conn_t *rep = exports_test_dual_pool_conn_rep(w->c);
	size_t n = strlen(rep->name) + 2;
	char *hn = malloc(n);
	snprintf(hn, n, "%s~", rep->name);
	test_dual_pool_wrapped_t hw = {host_conn(hn), w->n + 1}, back;
	free(hn);
	test_dual_pool_echo(&hw, &back);
	test_dual_pool_conn_drop_own(back.c);
	ret->c = w->c;
	ret->n = back.n + 1;
}

void exports_test_dual_pool_gone(dual_list_string_t *ret) {
	ret->ptr = malloc(sizeof(dual_string_t) * (n_gone ? n_gone : 1));
	ret->len = n_gone;
	for (size_t i = 0; i < n_gone; i++) dual_string_dup(&ret->ptr[i], gone_names[i]);
}
