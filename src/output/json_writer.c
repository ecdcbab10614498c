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

static void open_container(struct jw *w, const char *key, char c)
{
    begin_value(w, key);
    if (w->depth + 1 >= JW_MAX_DEPTH) {
        w->oom = true;
        return;
    }
    putc1(w, c);
    w->first[++w->depth] = true;
}

static void close_container(struct jw *w, char c)
{
    if (w->oom || w->depth == 0) return;
    w->depth--;
    putc1(w, c);
}

void jw_obj_open(struct jw *w, const char *key) { open_container(w, key, '{'); }
void jw_obj_close(struct jw *w) { close_container(w, '}'); }
void jw_arr_open(struct jw *w, const char *key) { open_container(w, key, '['); }
void jw_arr_close(struct jw *w) { close_container(w, ']'); }

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

void jw__put_uint(struct jw *w, uint64_t v)
{
    char tmp[24];
    int i = (int)sizeof tmp;
    do {
        tmp[--i] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    put(w, tmp + i, sizeof tmp - (size_t)i);
}

void jw_int(struct jw *w, const char *key, int64_t v)
{
    if (v >= 0) {
        begin_value(w, key);
        jw__put_uint(w, (uint64_t)v);
        return;
    }
    begin_value(w, key);
    putc1(w, '-');
    uint64_t u = (uint64_t)(-(v + 1)) + 1;
    char tmp[24];
    int i = (int)sizeof tmp;
    do {
        tmp[--i] = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    put(w, tmp + i, sizeof tmp - (size_t)i);
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

void jw_bool(struct jw *w, const char *key, bool v)
{
    begin_value(w, key);
    if (v)
        put(w, "true", 4);
    else
        put(w, "false", 5);
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
