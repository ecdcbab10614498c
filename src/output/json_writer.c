/* json_writer.c - see json_writer.h. RFC 8259 (JSON), RFC 3629 (UTF-8 validity rules). */
#include "output/json_writer.h"

#include <stdio.h>
#include <string.h>

#include "core/vg_alloc.h"

void jw_init(struct jw *w)
{
    memset(w, 0, sizeof *w);
    w->first[0] = true;
}

void jw_fini(struct jw *w)
{
    vg_free(w->buf);
    memset(w, 0, sizeof *w);
}

void jw_reset(struct jw *w)
{
    w->len = 0;
    w->depth = 0;
    w->first[0] = true;
    w->oom = false;
}

bool jw__grow(struct jw *w, size_t n)
{
    if (w->oom) return false;
    if (w->cap - w->len >= n) return true;
    size_t cap = w->cap ? w->cap : 1024;
    while (cap - w->len < n) {
        if (cap > ((size_t)1 << 40)) {
            w->oom = true;
            return false;
        }
        cap *= 2;
    }
    char *b = vg_realloc(w->buf, cap);
    if (!b) {
        w->oom = true;
        return false;
    }
    w->buf = b;
    w->cap = cap;
    return true;
}

#define reserve jw__reserve
#define begin_value jw__begin

static void put(struct jw *w, const char *s, size_t n)
{
    if (!reserve(w, n)) return;
    memcpy(w->buf + w->len, s, n);
    w->len += n;
}

static void putc1(struct jw *w, char c)
{
    if (!reserve(w, 1)) return;
    w->buf[w->len++] = c;
}

/* Length of the valid UTF-8 sequence at s (n bytes available), or 0 if it is not valid. */
static size_t utf8_seq_len(const unsigned char *s, size_t n)
{
    unsigned char c = s[0];
    if (c < 0x80) return 1;
    if (c >= 0xC2 && c <= 0xDF) return n >= 2 && (s[1] & 0xC0) == 0x80 ? 2 : 0;
    if (c >= 0xE0 && c <= 0xEF) {
        if (n < 3 || (s[1] & 0xC0) != 0x80 || (s[2] & 0xC0) != 0x80) return 0;
        if (c == 0xE0 && s[1] < 0xA0) return 0; /* overlong */
        if (c == 0xED && s[1] >= 0xA0) return 0; /* surrogate */
        return 3;
    }
    if (c >= 0xF0 && c <= 0xF4) {
        if (n < 4 || (s[1] & 0xC0) != 0x80 || (s[2] & 0xC0) != 0x80 || (s[3] & 0xC0) != 0x80)
            return 0;
        if (c == 0xF0 && s[1] < 0x90) return 0; /* overlong */
        if (c == 0xF4 && s[1] >= 0x90) return 0; /* above U+10FFFF */
        return 4;
    }
    return 0;
}

/* SWAR byte tests on a 64-bit word (Bit Twiddling Hacks, "determine if a word has a byte less
 * than n" / "has a zero byte"): each is exact as to whether *some* byte matches. */
#define SWAR_ONES 0x0101010101010101ull
#define SWAR_HIGH 0x8080808080808080ull
static inline uint64_t swar_has_zero(uint64_t v) { return (v - SWAR_ONES) & ~v & SWAR_HIGH; }

/* Non-zero when a byte of x is a control character (< 0x20), non-ASCII (>= 0x80), '"' or '\\'. */
static inline uint64_t swar_needs_escape(uint64_t x)
{
    uint64_t lt20 = (x - SWAR_ONES * 0x20) & ~x & SWAR_HIGH;
    return lt20 | (x & SWAR_HIGH) | swar_has_zero(x ^ (SWAR_ONES * '"')) |
           swar_has_zero(x ^ (SWAR_ONES * '\\'));
}

void jw__put_escaped(struct jw *w, const unsigned char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    /* Worst case every byte becomes \u00XX (6 bytes). */
    if (n > ((size_t)1 << 36) || !reserve(w, n * 6 + 2)) {
        w->oom = true;
        return;
    }
    char *o = w->buf + w->len;
    *o++ = '"';
    size_t i = 0;
    while (i < n) {
        /* Fast path: eight bytes at a time while none of them needs attention (SWAR tests below).
         * Nearly all EVE strings (timestamps, addresses, names, most HTTP fields) are plain ASCII;
         * the byte loop below was the largest single cost of writing flow events. Storing 8 bytes
         * is safe: the reservation above is 6 bytes per input byte. */
        while (n - i >= 8) {
            uint64_t x;
            memcpy(&x, s + i, 8);
            if (swar_needs_escape(x)) break;
            memcpy(o, &x, 8);
            o += 8;
            i += 8;
        }
        /* The last 1..7 bytes of a string of 8 or more: test the final 8 bytes (overlapping ones
         * already written). If all are plain, the overlap was copied as is, so the word can be
         * stored ending where the string ends. */
        if (i < n && n >= 8 && n - i < 8) {
            uint64_t x;
            memcpy(&x, s + n - 8, 8);
            if (!swar_needs_escape(x)) {
                size_t r = n - i;
                memcpy(o + r - 8, &x, 8);
                o += r;
                break;
            }
        }
        if (i >= n) break;
        unsigned char c = s[i];
        if (c >= 0x20 && c < 0x80 && c != '"' && c != '\\') {
            *o++ = (char)c;
            i++;
            continue;
        }
        if (c >= 0x80) {
            size_t k = utf8_seq_len(s + i, n - i);
            if (k) {
                memcpy(o, s + i, k);
                o += k;
                i += k;
                continue;
            }
        }
        *o++ = '\\';
        switch (c) {
        case '"': *o++ = '"'; break;
        case '\\': *o++ = '\\'; break;
        case '\n': *o++ = 'n'; break;
        case '\r': *o++ = 'r'; break;
        case '\t': *o++ = 't'; break;
        case '\b': *o++ = 'b'; break;
        case '\f': *o++ = 'f'; break;
        default:
            *o++ = 'u';
            *o++ = '0';
            *o++ = '0';
            *o++ = hex[c >> 4];
            *o++ = hex[c & 15];
        }
        i++;
    }
    *o++ = '"';
    w->len = (size_t)(o - w->buf);
}

/* "00" .. "99": two digits per division (flow events are mostly numbers). */
static const char digit_pairs[201] = "00010203040506070809101112131415161718192021222324"
                                     "25262728293031323334353637383940414243444546474849"
                                     "50515253545556575859606162636465666768697071727374"
                                     "75767778798081828384858687888990919293949596979899";

/* Any 32-bit value, written from its last digit back, two digits per division by 100; 32-bit
 * arithmetic is cheaper than 64-bit, so larger values are split into 8-digit chunks first. */
static char *put_u32(char *o, uint32_t v)
{
    unsigned n = v < 10 ? 1 : v < 100 ? 2 : v < 1000 ? 3 : v < 10000 ? 4 : v < 100000 ? 5
               : v < 1000000 ? 6 : v < 10000000 ? 7 : v < 100000000 ? 8 : v < 1000000000 ? 9 : 10;
    char *e = o + n;
    while (v >= 100) {
        e -= 2;
        memcpy(e, digit_pairs + 2 * (v % 100), 2);
        v /= 100;
    }
    if (v >= 10) {
        memcpy(e - 2, digit_pairs + 2 * v, 2);
    } else {
        e[-1] = (char)('0' + v);
    }
    return o + n;
}

/* Exactly 8 digits of v < 10^8, leading zeros included. */
static char *put_8(char *o, uint32_t v)
{
    uint32_t hi = v / 10000, lo = v % 10000;
    memcpy(o, digit_pairs + 2 * (hi / 100), 2);
    memcpy(o + 2, digit_pairs + 2 * (hi % 100), 2);
    memcpy(o + 4, digit_pairs + 2 * (lo / 100), 2);
    memcpy(o + 6, digit_pairs + 2 * (lo % 100), 2);
    return o + 8;
}

void jw__put_uint(struct jw *w, uint64_t v)
{
    if (!reserve(w, 20)) return;
    char *o = w->buf + w->len;
    if (v <= UINT32_MAX) {
        o = put_u32(o, (uint32_t)v);
    } else {
        uint64_t hi = v / 100000000u;
        if (hi <= UINT32_MAX) {
            o = put_u32(o, (uint32_t)hi);
        } else { /* v >= 10^8 * 2^32: at most 20 digits */
            o = put_u32(o, (uint32_t)(hi / 100000000u));
            o = put_8(o, (uint32_t)(hi % 100000000u));
        }
        o = put_8(o, (uint32_t)(v % 100000000u));
    }
    w->len = (size_t)(o - w->buf);
}

void jw_int(struct jw *w, const char *key, int64_t v)
{
    begin_value(w, key);
    if (v >= 0) {
        jw__put_uint(w, (uint64_t)v);
        return;
    }
    putc1(w, '-');
    jw__put_uint(w, (uint64_t)(-(v + 1)) + 1);
}

void jw_double(struct jw *w, const char *key, double v, int decimals)
{
    char tmp[64];
    if (v != v || v > 1e300 || v < -1e300) { /* NaN and infinities are not JSON */
        jw_null(w, key);
        return;
    }
    int n = snprintf(tmp, sizeof tmp, "%.*f", decimals < 0 ? 0 : decimals > 17 ? 17 : decimals, v);
    begin_value(w, key);
    if (n > 0) put(w, tmp, (size_t)n < sizeof tmp ? (size_t)n : sizeof tmp - 1);
}

void jw_null(struct jw *w, const char *key)
{
    begin_value(w, key);
    put(w, "null", 4);
}

void jw_raw(struct jw *w, const char *key, const char *json, size_t n)
{
    begin_value(w, key);
    put(w, json, n);
}

bool jw_reopen(struct jw *w)
{
    if (w->oom || w->depth != 0 || w->len < 2 || w->buf[w->len - 1] != '}') return false;
    w->len--;
    w->depth = 1;
    w->first[1] = w->buf[w->len - 1] == '{'; /* "{}": no member yet */
    return true;
}
