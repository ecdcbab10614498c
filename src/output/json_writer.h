/* json_writer.h - one fast, allocation-free-per-event JSON writer.
 *
 * Hand-written on purpose: EVE output is written for every flow and every event, and a general
 * JSON library builds a tree per event (allocations) before it serialises. This writer appends
 * straight into a growable buffer that is reused for every event.
 *
 *     struct jw w; jw_init(&w);
 *     jw_obj_open(&w, NULL); jw_str(&w, "event_type", "flow"); jw_uint(&w, "pkts", 3);
 *     jw_obj_close(&w);       // w.buf / w.len hold {"event_type":"flow","pkts":3}
 *     jw_reset(&w);           // ready for the next event
 *
 * Strings: any byte sequence is accepted. Valid UTF-8 is copied; `"`, `\` and control characters are
 * escaped; each byte that is not part of valid UTF-8 (stray continuation bytes, overlongs, surrogates,
 * code points above U+10FFFF, truncated sequences) is written as \u00XX, so the output is always
 * valid JSON and the original bytes 0x80-0xFF stay recognisable. Keys are written unescaped and must
 * be plain ASCII literals chosen by vigil.
 * Out of memory: the writer sets `oom` and further calls do nothing; the caller drops the event.
 */
#ifndef VG_JSON_WRITER_H
#define VG_JSON_WRITER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define JW_MAX_DEPTH 32

struct jw {
    char *buf;
    size_t len, cap;
    int depth;
    bool first[JW_MAX_DEPTH]; /* no member written yet at this depth */
    bool oom;                 /* allocation failed or nesting too deep */
};

/* Slow path of jw__reserve: grows the buffer; false (and oom set) when it cannot. */
bool jw__grow(struct jw *w, size_t n);

/* Hot helpers, inline so that the length of a literal key folds to a constant at each call site
 * (strlen and call overhead were a tenth of the flow-event cost). */
static inline bool jw__reserve(struct jw *w, size_t n)
{
    return !w->oom && w->cap - w->len >= n ? true : jw__grow(w, n);
}

/* Writes the separator and the key of the next member or element. */
static inline void jw__begin(struct jw *w, const char *key)
{
    size_t klen = key ? __builtin_strlen(key) : 0;
    if (!jw__reserve(w, klen + 4)) return;
    char *o = w->buf + w->len;
    if (!w->first[w->depth]) *o++ = ',';
    w->first[w->depth] = false;
    if (key) {
        *o++ = '"';
        __builtin_memcpy(o, key, klen);
        o += klen;
        *o++ = '"';
        *o++ = ':';
    }
    w->len = (size_t)(o - w->buf);
}

/* For text vigil formats itself that never needs escaping (digits, addresses, hex; printable
 * ASCII without `"` or `\`): jw__str_open begins the string member `key` and returns where up to
 * `max` bytes of text may be written (NULL when out of memory); jw__str_close ends the string at
 * `end`. Saves the escaping pass and a copy per timestamp and address of every event. */
static inline char *jw__str_open(struct jw *w, const char *key, size_t max)
{
    jw__begin(w, key);
    if (!jw__reserve(w, max + 2)) return NULL;
    char *o = w->buf + w->len;
    *o = '"';
    return o + 1;
}
static inline void jw__str_close(struct jw *w, char *end)
{
    *end++ = '"';
    w->len = (size_t)(end - w->buf);
}

/* Appends n bytes as they are (the caller guarantees they are valid JSON text). */
static inline void jw__put_raw(struct jw *w, const char *s, size_t n)
{
    if (!jw__reserve(w, n)) return;
    __builtin_memcpy(w->buf + w->len, s, n);
    w->len += n;
}

void jw_init(struct jw *w);
void jw_fini(struct jw *w);
void jw_reset(struct jw *w); /* empties the buffer, keeps the memory */

/* key is NULL inside arrays and for the top-level value. Inline: an EVE flow event opens and
 * closes three objects. */
static inline void jw__open(struct jw *w, const char *key, char c)
{
    jw__begin(w, key);
    if (w->depth + 1 >= JW_MAX_DEPTH) {
        w->oom = true;
        return;
    }
    if (!jw__reserve(w, 1)) return;
    w->buf[w->len++] = c;
    w->first[++w->depth] = true;
}
static inline void jw__close(struct jw *w, char c)
{
    if (w->oom || w->depth == 0) return;
    w->depth--;
    if (!jw__reserve(w, 1)) return;
    w->buf[w->len++] = c;
}
static inline void jw_obj_open(struct jw *w, const char *key) { jw__open(w, key, '{'); }
static inline void jw_obj_close(struct jw *w) { jw__close(w, '}'); }
static inline void jw_arr_open(struct jw *w, const char *key) { jw__open(w, key, '['); }
static inline void jw_arr_close(struct jw *w) { jw__close(w, ']'); }
/* Appends s (n bytes) as an escaped JSON string (see the escaping rules above). */
void jw__put_escaped(struct jw *w, const unsigned char *s, size_t n);
/* Appends the decimal digits of v. */
void jw__put_uint(struct jw *w, uint64_t v);

static inline void jw_strn(struct jw *w, const char *key, const void *s, size_t n)
{
    jw__begin(w, key);
    jw__put_escaped(w, (const unsigned char *)s, n);
}
static inline void jw_str(struct jw *w, const char *key, const char *s)
{
    jw_strn(w, key, s, __builtin_strlen(s));
}
static inline void jw_uint(struct jw *w, const char *key, uint64_t v)
{
    jw__begin(w, key);
    jw__put_uint(w, v);
}
/* jw_str_plain writes s without escaping it: only for strings vigil chose (literals, names from
 * its own tables) that are printable ASCII without `"` or `\`. Anything from packets or files
 * goes through jw_str / jw_strn. */
static inline void jw_str_plain(struct jw *w, const char *key, const char *s)
{
    size_t n = __builtin_strlen(s);
    char *o = jw__str_open(w, key, n);
    if (!o) return;
    __builtin_memcpy(o, s, n);
    jw__str_close(w, o + n);
}
void jw_int(struct jw *w, const char *key, int64_t v);
void jw_double(struct jw *w, const char *key, double v, int decimals);
static inline void jw_bool(struct jw *w, const char *key, bool v)
{
    jw__begin(w, key);
    if (v)
        jw__put_raw(w, "true", 4);
    else
        jw__put_raw(w, "false", 5);
}
void jw_null(struct jw *w, const char *key);
/* jw_raw appends already-valid JSON text as the value of key. */
void jw_raw(struct jw *w, const char *key, const char *json, size_t n);
/* jw_reopen opens the complete top-level object just written again, so that members can be
 * appended (then jw_obj_close it again): for a stage that adds to another stage's event. False
 * (nothing changed) when w does not hold one closed top-level object. */
bool jw_reopen(struct jw *w);

#endif
