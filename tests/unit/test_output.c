/* test_output.c - JSON writer escaping and structure, EVE timestamps, EVE flow event shape. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/vg_time.h"
#include "output/eve.h"
#include "output/json_writer.h"
#include "vg_test.h"

static char out[4096];

static const char *str_of(const void *s, size_t n)
{
    struct jw w;
    jw_init(&w);
    jw_strn(&w, NULL, s, n);
    memcpy(out, w.buf, w.len);
    out[w.len] = 0;
    jw_fini(&w);
    return out;
}

static void test_escape(void)
{
    CHECK_STR(str_of("abc", 3), "\"abc\"");
    CHECK_STR(str_of("a\"b\\c", 5), "\"a\\\"b\\\\c\"");
    CHECK_STR(str_of("\n\r\t\b\f", 5), "\"\\n\\r\\t\\b\\f\"");
    CHECK_STR(str_of("\x00\x01\x1f", 3), "\"\\u0000\\u0001\\u001f\"");
    CHECK_STR(str_of("\x7f", 1), "\"\x7f\"");
    /* valid UTF-8 copied: é (2 bytes), € (3), 😀 (4) */
    CHECK_STR(str_of("\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80", 9), "\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\"");
    /* invalid: stray continuation, overlong, surrogate, > U+10FFFF, truncated, 0xff */
    CHECK_STR(str_of("\x80", 1), "\"\\u0080\"");
    CHECK_STR(str_of("\xc0\xaf", 2), "\"\\u00c0\\u00af\"");
    CHECK_STR(str_of("\xed\xa0\x80", 3), "\"\\u00ed\\u00a0\\u0080\"");
    CHECK_STR(str_of("\xf4\x90\x80\x80", 4), "\"\\u00f4\\u0090\\u0080\\u0080\"");
    CHECK_STR(str_of("\xe2\x82", 2), "\"\\u00e2\\u0082\"");
    CHECK_STR(str_of("a\xffz", 3), "\"a\\u00ffz\"");
}

static void test_structure(void)
{
    struct jw w;
    jw_init(&w);
    jw_obj_open(&w, NULL);
    jw_str(&w, "a", "x");
    jw_uint(&w, "b", 18446744073709551615ull);
    jw_int(&w, "c", -9223372036854775807ll - 1);
    jw_arr_open(&w, "d");
    jw_uint(&w, NULL, 1);
    jw_bool(&w, NULL, true);
    jw_null(&w, NULL);
    jw_obj_open(&w, NULL);
    jw_obj_close(&w);
    jw_arr_close(&w);
    jw_double(&w, "e", 0.5, 2);
    jw_double(&w, "f", 0.0 / 0.0, 2);
    jw_obj_close(&w);
    memcpy(out, w.buf, w.len);
    out[w.len] = 0;
    CHECK_STR(out, "{\"a\":\"x\",\"b\":18446744073709551615,\"c\":-9223372036854775808,"
                   "\"d\":[1,true,null,{}],\"e\":0.50,\"f\":null}");
    /* reset reuses the buffer */
    jw_reset(&w);
    jw_obj_open(&w, NULL);
    jw_obj_close(&w);
    CHECK_EQ_U(w.len, 2);
    /* nesting deeper than the limit marks the writer failed instead of overflowing */
    jw_reset(&w);
    for (int i = 0; i < JW_MAX_DEPTH + 5; i++) jw_arr_open(&w, NULL);
    CHECK(w.oom);
    jw_fini(&w);
}

static void test_timestamp(void)
{
    char b[VG_TS_BUFLEN];
    vg_ts_format((struct vg_ts){0, 0}, b);
    CHECK_STR(b, "1970-01-01T00:00:00.000000+0000");
    vg_ts_format((struct vg_ts){1455383734, 123456789}, b);
    CHECK_STR(b, "2016-02-13T17:15:34.123456+0000");
    vg_ts_format((struct vg_ts){951782400, 0}, b); /* 2000-02-29, a leap day */
    CHECK_STR(b, "2000-02-29T00:00:00.000000+0000");
    vg_ts_format((struct vg_ts){4102444799, 999999999}, b);
    CHECK_STR(b, "2099-12-31T23:59:59.999999+0000");
}

static void test_flow_event(void)
{
    struct flow f;
    memset(&f, 0, sizeof f);
    f.src.family = f.dst.family = 4;
    f.src.a[0] = 192, f.src.a[1] = 0, f.src.a[2] = 2, f.src.a[3] = 1;
    f.dst.a[0] = 198, f.dst.a[1] = 51, f.dst.a[2] = 100, f.dst.a[3] = 7;
    f.sport = 40000;
    f.dport = 80;
    f.proto = 6;
    f.flow_id = 42;
    f.start = (struct vg_ts){100, 0};
    f.last = (struct vg_ts){103, 500000000};
    f.pkts[0] = 3, f.pkts[1] = 2, f.bytes[0] = 300, f.bytes[1] = 200;
    f.tcp_flags[0] = VG_TCP_SYN | VG_TCP_ACK;
    f.tcp_flags[1] = VG_TCP_SYN | VG_TCP_ACK | VG_TCP_FIN;
    f.tcp_state = FLOW_TCP_FIN_WAIT1;
    f.end_reason = FLOW_END_SHUTDOWN;
    struct jw w;
    jw_init(&w);
    eve_flow(&w, &f);
    memcpy(out, w.buf, w.len);
    out[w.len] = 0;
    CHECK_STR(out,
              "{\"timestamp\":\"1970-01-01T00:01:43.500000+0000\",\"flow_id\":42,"
              "\"event_type\":\"flow\",\"src_ip\":\"192.0.2.1\",\"src_port\":40000,"
              "\"dest_ip\":\"198.51.100.7\",\"dest_port\":80,\"proto\":\"TCP\",\"flow\":{"
              "\"pkts_toserver\":3,\"pkts_toclient\":2,\"bytes_toserver\":300,"
              "\"bytes_toclient\":200,\"start\":\"1970-01-01T00:01:40.000000+0000\","
              "\"end\":\"1970-01-01T00:01:43.500000+0000\",\"age\":3,\"state\":\"established\","
              "\"reason\":\"shutdown\",\"alerted\":false},\"tcp\":{\"tcp_flags\":\"13\","
              "\"tcp_flags_ts\":\"12\",\"tcp_flags_tc\":\"13\",\"fin\":true,\"syn\":true,"
              "\"ack\":true,\"state\":\"fin_wait1\"}}");
    jw_fini(&w);
}

/* The byte-at-a-time escaper the writer had before its 8-byte fast path: the reference. */
static size_t ref_escape(const unsigned char *s, size_t n, char *o0)
{
    static const char hex[] = "0123456789abcdef";
    char *o = o0;
    *o++ = '"';
    for (size_t i = 0; i < n;) {
        unsigned char c = s[i];
        if (c >= 0x20 && c < 0x80 && c != '"' && c != '\\') {
            *o++ = (char)c;
            i++;
            continue;
        }
        if (c >= 0x80) {
            size_t k = 0, left = n - i;
            if (c >= 0xC2 && c <= 0xDF && left >= 2 && (s[i + 1] & 0xC0) == 0x80) k = 2;
            if (c >= 0xE0 && c <= 0xEF && left >= 3 && (s[i + 1] & 0xC0) == 0x80 &&
                (s[i + 2] & 0xC0) == 0x80 && !(c == 0xE0 && s[i + 1] < 0xA0) &&
                !(c == 0xED && s[i + 1] >= 0xA0))
                k = 3;
            if (c >= 0xF0 && c <= 0xF4 && left >= 4 && (s[i + 1] & 0xC0) == 0x80 &&
                (s[i + 2] & 0xC0) == 0x80 && (s[i + 3] & 0xC0) == 0x80 &&
                !(c == 0xF0 && s[i + 1] < 0x90) && !(c == 0xF4 && s[i + 1] >= 0x90))
                k = 4;
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
            *o++ = 'u', *o++ = '0', *o++ = '0', *o++ = hex[c >> 4], *o++ = hex[c & 15];
        }
        i++;
    }
    *o++ = '"';
    return (size_t)(o - o0);
}

/* The 8-byte fast path and its overlapping tail against the reference: random strings of 0..40
 * bytes, mostly plain, with quotes, backslashes, controls, UTF-8 lead/continuation bytes and
 * 0xff at every position. */
static void test_escape_fast_path(void)
{
    static const unsigned char alpha[] = {'a', 'Z', ' ', '~', '"', '\\', '\n', 0x01, 0x1f,
                                          0x7f, 0xc3, 0xa9, 0xe2, 0x82, 0xac, 0xf0, 0x9f, 0xff};
    unsigned seed = 12345;
    struct jw w;
    jw_init(&w);
    unsigned bad = 0;
    for (int t = 0; t < 200000; t++) {
        unsigned char s[40];
        char ref[40 * 6 + 2];
        seed = seed * 1103515245u + 12345u;
        size_t n = (seed >> 16) % 41;
        for (size_t i = 0; i < n; i++) {
            seed = seed * 1103515245u + 12345u;
            unsigned r = (seed >> 16) % 64;
            s[i] = r < sizeof alpha ? alpha[r] : (unsigned char)('a' + r % 26);
        }
        size_t rn = ref_escape(s, n, ref);
        jw_reset(&w);
        jw_strn(&w, NULL, s, n);
        if (w.len != rn || memcmp(w.buf, ref, rn) != 0) bad++;
    }
    CHECK_EQ_U(bad, 0);
    jw_fini(&w);
}

static void test_uint_digits(void)
{
    struct jw w;
    jw_init(&w);
    unsigned bad = 0;
    uint64_t p = 1;
    for (int k = 0; k < 20; k++, p *= 10) {
        uint64_t vals[3] = {p - 1, p, p + 1};
        for (int j = 0; j < 3; j++) {
            char ref[32];
            snprintf(ref, sizeof ref, "%llu", (unsigned long long)vals[j]);
            jw_reset(&w);
            jw_uint(&w, NULL, vals[j]);
            if (w.len != strlen(ref) || memcmp(w.buf, ref, w.len) != 0) bad++;
        }
    }
    /* random values of every magnitude (the writer splits at 2^32 and at 10^8 x 2^32) */
    uint64_t x = 88172645463325252ull;
    for (int t = 0; t < 100000; t++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17; /* xorshift64 */
        uint64_t v = x >> (x % 64);
        char rb[32];
        snprintf(rb, sizeof rb, "%llu", (unsigned long long)v);
        jw_reset(&w);
        jw_uint(&w, NULL, v);
        if (w.len != strlen(rb) || memcmp(w.buf, rb, w.len) != 0) bad++;
    }
    char ref[32];
    snprintf(ref, sizeof ref, "%llu", 18446744073709551615ull);
    jw_reset(&w);
    jw_uint(&w, NULL, 18446744073709551615ull);
    CHECK(w.len == strlen(ref) && memcmp(w.buf, ref, w.len) == 0);
    CHECK_EQ_U(bad, 0);
    jw_fini(&w);
}

/* vg_ts_format against gmtime_r + snprintf over random instants of 1970..2099. */
static void test_timestamp_random(void)
{
    unsigned seed = 777, bad = 0;
    for (int t = 0; t < 20000; t++) {
        seed = seed * 1103515245u + 12345u;
        uint64_t hi = seed >> 8;
        seed = seed * 1103515245u + 12345u;
        int64_t sec = (int64_t)((hi << 16 ^ (seed >> 8)) % 4102444800ull);
        uint32_t nsec = (seed * 2654435761u) % 1000000000u;
        time_t tt = (time_t)sec;
        struct tm tm;
        gmtime_r(&tt, &tm);
        char ref[64], b[VG_TS_BUFLEN];
        snprintf(ref, sizeof ref, "%04d-%02d-%02dT%02d:%02d:%02d.%06u+0000", tm.tm_year + 1900,
                 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, nsec / 1000);
        size_t n = vg_ts_format((struct vg_ts){sec, nsec}, b);
        if (n != strlen(ref) || strcmp(b, ref) != 0) bad++;
    }
    CHECK_EQ_U(bad, 0);
}

/* Flow events format IPv4 addresses themselves: compare with vg_addr_str. */
static void test_flow_event_addresses(void)
{
    unsigned seed = 99, bad = 0;
    struct jw w;
    jw_init(&w);
    for (int t = 0; t < 5000; t++) {
        struct flow f;
        memset(&f, 0, sizeof f);
        f.src.family = f.dst.family = 4;
        for (int i = 0; i < 4; i++) {
            seed = seed * 1103515245u + 12345u;
            static const uint8_t edge[] = {0, 1, 9, 10, 99, 100, 199, 200, 255};
            f.src.a[i] = (seed >> 20) % 3 ? (uint8_t)(seed >> 8) : edge[(seed >> 12) % 9];
            f.dst.a[i] = (uint8_t)(seed >> 16);
        }
        f.proto = 17;
        jw_reset(&w);
        eve_flow(&w, &f);
        char a[VG_ADDR_STRLEN], b[VG_ADDR_STRLEN], want[160];
        snprintf(want, sizeof want, "\"src_ip\":\"%s\",\"src_port\":0,\"dest_ip\":\"%s\",",
                 vg_addr_str(&f.src, a), vg_addr_str(&f.dst, b));
        char *ev = strndup(w.buf, w.len);
        if (!ev || !strstr(ev, want)) bad++;
        free(ev);
    }
    CHECK_EQ_U(bad, 0);
    jw_fini(&w);
}

int main(void)
{
    RUN(test_escape);
    RUN(test_structure);
    RUN(test_timestamp);
    RUN(test_flow_event);
    RUN(test_escape_fast_path);
    RUN(test_uint_digits);
    RUN(test_timestamp_random);
    RUN(test_flow_event_addresses);
    return vg_test_done("output");
}
