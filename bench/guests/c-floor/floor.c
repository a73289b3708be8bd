// The hand-rolled C floor: the same slug filter as testdata/guests/c-plugin, over a minimal custom
// protocol instead of the canonical ABI. It is what a careful author would write by hand to make
// this one call as cheap as possible, and so the floor the generated bindings are measured against.
//
// Protocol (little-endian u32s, no alignment; NONE = 0xFFFFFFFF):
//
//   a post is its 8 fields of post-input in WIT order, each encoded in turn:
//     string                 u32 len, len bytes                      (title, content)
//     option<string>         u32 len or NONE, len bytes              (slug, excerpt, category-id,
//                                                                     status, cover-image)
//     option<list<string>>   u32 count or NONE, count × string       (tag-ids)
//
//   floor_alloc(n) -> ptr         a guest buffer of n bytes the host writes the encoded post into
//                                 (one buffer, reused and grown across calls)
//   floor_on_post_creating(n) -> u64
//                                 reads the post (n bytes at the buffer); 0 means none (the post
//                                 already has a slug); otherwise ptr<<32 | len of the encoded
//                                 result, valid until the next call.
//
// Only slug changes, so the result is the input with the slug field spliced in: two memcpy and the
// slug itself, no parsing beyond finding the slug.

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define NONE 0xFFFFFFFFu

static uint8_t *in_buf, *out_buf;
static uint32_t in_cap, out_cap;

static uint32_t get32(const uint8_t *p) {
	uint32_t v;
	memcpy(&v, p, 4);
	return v;
}

static void put32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }

// grow makes *buf hold at least n bytes (its contents are not kept).
static uint8_t *grow(uint8_t **buf, uint32_t *cap, uint32_t n) {
	if (n > *cap) {
		free(*buf);
		*buf = malloc(n);
		if (!*buf) abort();
		*cap = n;
	}
	return *buf;
}

__attribute__((export_name("floor_alloc"))) uint8_t *floor_alloc(uint32_t n) {
	return grow(&in_buf, &in_cap, n ? n : 1);
}

__attribute__((export_name("floor_on_post_creating"))) uint64_t floor_on_post_creating(uint32_t n) {
	const uint8_t *in = in_buf;
	uint32_t title_len = get32(in);
	const uint8_t *title = in + 4;
	uint32_t slug_at = 4 + title_len;             // content
	slug_at += 4 + get32(in + slug_at);           // slug
	if (slug_at + 4 > n) abort();
	if (get32(in + slug_at) != NONE) return 0;    // already has a slug: none
	uint32_t rest = slug_at + 4;                  // excerpt … cover-image, unchanged

	uint32_t size = n + title_len;                // the slug is as long as the title
	uint8_t *out = grow(&out_buf, &out_cap, size);
	memcpy(out, in, slug_at);
	put32(out + slug_at, title_len);
	uint8_t *slug = out + slug_at + 4;
	for (uint32_t i = 0; i < title_len; i++) {
		uint8_t c = title[i];
		if (c == ' ') c = '-';
		else if (c >= 'A' && c <= 'Z') c = (uint8_t)(c - 'A' + 'a');
		slug[i] = c;
	}
	memcpy(slug + title_len, in + rest, n - rest);
	return (uint64_t)(uintptr_t)out << 32 | size;
}
