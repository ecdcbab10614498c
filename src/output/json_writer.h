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

void jw_init(struct jw *w);
void jw_fini(struct jw *w);
void jw_reset(struct jw *w); /* empties the buffer, keeps the memory */

/* key is NULL inside arrays and for the top-level value. */
void jw_obj_open(struct jw *w, const char *key);
void jw_obj_close(struct jw *w);
void jw_arr_open(struct jw *w, const char *key);
void jw_arr_close(struct jw *w);
void jw_str(struct jw *w, const char *key, const char *s);
void jw_strn(struct jw *w, const char *key, const void *s, size_t n);
void jw_uint(struct jw *w, const char *key, uint64_t v);
void jw_int(struct jw *w, const char *key, int64_t v);
void jw_double(struct jw *w, const char *key, double v, int decimals);
void jw_bool(struct jw *w, const char *key, bool v);
void jw_null(struct jw *w, const char *key);
/* jw_raw appends already-valid JSON text as the value of key. */
void jw_raw(struct jw *w, const char *key, const char *json, size_t n);

#endif
