/* test_capture.c - unit tests of src/capture: pcap and pcapng files built byte by byte in memory
 * (both byte orders), read through capture_open_mem, a temp file (mmap) and a pipe (read()), plus
 * a few files of the shared corpus checked against what capinfos/tshark say.
 *
 * The corpus is found through $VIGIL_CORPUS (default ../shared/corpus, relative to the repo root
 * where the runner starts us); when it is missing those checks print SKIP.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "capture/capture.h"
#include "core/vg_alloc.h"
#include "core/vg_log.h"
#include "core/vg_status.h"
#include "vg_test.h"

/* --- a growable byte buffer that writes in a chosen byte order -------------------------------- */

struct wb {
    uint8_t *d;
    size_t n, cap;
    bool be;
};

static void wb_put(struct wb *b, const void *p, size_t n)
{
    if (b->n + n > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->n + n)
            cap *= 2;
        uint8_t *d = realloc(b->d, cap);
        if (!d) abort();
        b->d = d;
        b->cap = cap;
    }
    if (n) memcpy(b->d + b->n, p, n);
    b->n += n;
}

static void wb_u8(struct wb *b, uint8_t v)
{
    wb_put(b, &v, 1);
}
static void wb_u16(struct wb *b, uint16_t v)
{
    uint8_t x[2] = {(uint8_t)(b->be ? v >> 8 : v), (uint8_t)(b->be ? v : v >> 8)};
    wb_put(b, x, 2);
}
static void wb_u32(struct wb *b, uint32_t v)
{
    uint8_t x[4];
    for (int i = 0; i < 4; i++)
        x[b->be ? 3 - i : i] = (uint8_t)(v >> (8 * i));
    wb_put(b, x, 4);
}
static void wb_u64(struct wb *b, uint64_t v)
{
    uint8_t x[8];
    for (int i = 0; i < 8; i++)
        x[b->be ? 7 - i : i] = (uint8_t)(v >> (8 * i));
    wb_put(b, x, 8);
}
static uint8_t pat(unsigned seed, size_t i)
{
    return (uint8_t)(seed + i * 7u);
}
static void wb_data(struct wb *b, size_t n, unsigned seed)
{
    for (size_t i = 0; i < n; i++)
        wb_u8(b, pat(seed, i));
}
static void wb_pad4(struct wb *b)
{
    while (b->n % 4)
        wb_u8(b, 0);
}
static void wb_free(struct wb *b)
{
    free(b->d);
    memset(b, 0, sizeof *b);
}

/* --- pcap writers ----------------------------------------------------------------------------- */

static void pcap_hdr(struct wb *b, bool be, bool nsec, uint32_t snaplen, uint32_t linktype)
{
    b->be = be;
    wb_u32(b, nsec ? 0xa1b23c4du : 0xa1b2c3d4u);
    wb_u16(b, 2);
    wb_u16(b, 4);
    wb_u32(b, 0);
    wb_u32(b, 0);
    wb_u32(b, snaplen);
    wb_u32(b, linktype);
}

static void pcap_rec(struct wb *b, uint32_t sec, uint32_t frac, uint32_t caplen, uint32_t wirelen,
                     unsigned seed)
{
    wb_u32(b, sec);
    wb_u32(b, frac);
    wb_u32(b, caplen);
    wb_u32(b, wirelen);
    wb_data(b, caplen, seed);
}

/* --- pcapng writers --------------------------------------------------------------------------- */

enum { SHB = 0x0A0D0D0A, IDB = 1, PB = 2, SPB = 3, NRB = 4, ISB = 5, EPB = 6, DSB = 0x0A };

static void ng_shb_v(struct wb *b, bool be, uint16_t major)
{
    b->be = be;
    wb_u32(b, SHB);
    wb_u32(b, 28 + 12);
    wb_u32(b, 0x1A2B3C4Du);
    wb_u16(b, major);
    wb_u16(b, 0);
    wb_u64(b, UINT64_MAX); /* section length unknown */
    wb_u16(b, 4);          /* shb_userappl, to be skipped */
    wb_u16(b, 4);
    wb_put(b, "test", 4);
    wb_u32(b, 0); /* opt_endofopt */
    wb_u32(b, 28 + 12);
}
static void ng_shb(struct wb *b, bool be)
{
    ng_shb_v(b, be, 1);
}

static void ng_wrap(struct wb *b, uint32_t type, const struct wb *body)
{
    wb_u32(b, type);
    wb_u32(b, (uint32_t)(12 + body->n));
    wb_put(b, body->d, body->n);
    wb_u32(b, (uint32_t)(12 + body->n));
}

/* tsresol < 0: no if_tsresol option; has_off: an if_tsoffset option. */
static void ng_idb(struct wb *b, uint16_t linktype, uint32_t snaplen, int tsresol, bool has_off,
                   int64_t off)
{
    struct wb o = {.be = b->be};
    wb_u16(&o, linktype);
    wb_u16(&o, 0);
    wb_u32(&o, snaplen);
    wb_u16(&o, 2); /* if_name, to be skipped */
    wb_u16(&o, 5);
    wb_put(&o, "eth0x", 5);
    wb_pad4(&o);
    if (tsresol >= 0) {
        wb_u16(&o, 9);
        wb_u16(&o, 1);
        wb_u8(&o, (uint8_t)tsresol);
        wb_pad4(&o);
    }
    if (has_off) {
        wb_u16(&o, 14);
        wb_u16(&o, 8);
        wb_u64(&o, (uint64_t)off);
    }
    wb_u32(&o, 0);
    ng_wrap(b, IDB, &o);
    wb_free(&o);
}

/* An EPB (or PB when pb) whose caplen field may differ from the datalen bytes it really holds. */
static void ng_epb_raw(struct wb *b, bool pb, uint32_t iface, uint64_t ts, uint32_t caplen,
                       uint32_t wirelen, uint32_t datalen, unsigned seed)
{
    struct wb o = {.be = b->be};
    if (pb) {
        wb_u16(&o, (uint16_t)iface);
        wb_u16(&o, 7); /* drops */
    } else {
        wb_u32(&o, iface);
    }
    wb_u32(&o, (uint32_t)(ts >> 32));
    wb_u32(&o, (uint32_t)ts);
    wb_u32(&o, caplen);
    wb_u32(&o, wirelen);
    wb_data(&o, datalen, seed);
    wb_pad4(&o);
    wb_u16(&o, 2); /* epb_flags */
    wb_u16(&o, 4);
    wb_u32(&o, 1);
    wb_u32(&o, 0);
    ng_wrap(b, pb ? PB : EPB, &o);
    wb_free(&o);
}
static void ng_epb(struct wb *b, uint32_t iface, uint64_t ts, uint32_t caplen, uint32_t wirelen,
                   unsigned seed)
{
    ng_epb_raw(b, false, iface, ts, caplen, wirelen, caplen, seed);
}

static void ng_spb(struct wb *b, uint32_t wirelen, uint32_t datalen, unsigned seed)
{
    struct wb o = {.be = b->be};
    wb_u32(&o, wirelen);
    wb_data(&o, datalen, seed);
    wb_pad4(&o);
    ng_wrap(b, SPB, &o);
    wb_free(&o);
}

static void ng_other(struct wb *b, uint32_t type, uint32_t bodylen)
{
    struct wb o = {.be = b->be};
    wb_data(&o, bodylen, 0x55);
    wb_pad4(&o);
    ng_wrap(b, type, &o);
    wb_free(&o);
}

/* --- reading helpers -------------------------------------------------------------------------- */

static bool frame_is(const struct capture_frame *f, int64_t sec, uint32_t nsec, uint32_t caplen,
                     uint32_t wirelen, int linktype, uint32_t iface, uint64_t recno, int seed)
{
    bool ok = f->ts.sec == sec && f->ts.nsec == nsec && f->caplen == caplen &&
              f->wirelen == wirelen && f->linktype == linktype && f->iface == iface &&
              f->record_no == recno;
    if (ok && seed >= 0) {
        for (uint32_t i = 0; i < caplen; i++) {
            if (f->data[i] != pat((unsigned)seed, i)) {
                fprintf(stderr, "  data byte %u: %u != %u\n", i, f->data[i],
                        pat((unsigned)seed, i));
                return false;
            }
        }
    }
    if (!ok) {
        fprintf(stderr,
                "  got ts %lld.%09u caplen %u wirelen %u link %d iface %u rec %llu; want %lld.%09u "
                "%u %u %d %u %llu\n",
                (long long)f->ts.sec, f->ts.nsec, f->caplen, f->wirelen, f->linktype, f->iface,
                (unsigned long long)f->record_no, (long long)sec, nsec, caplen, wirelen, linktype,
                iface, (unsigned long long)recno);
    }
    return ok;
}

static struct capture *open_ok(const struct wb *b, const char *name)
{
    struct capture *c = NULL;
    char eb[256] = "";
    int st = capture_open_mem(b->d, b->n, name, &c, eb, sizeof eb);
    CHECK_EQ_U(st, VG_OK);
    if (st != VG_OK) fprintf(stderr, "  open: %s\n", eb);
    return c;
}

static bool has(const char *hay, const char *needle)
{
    bool ok = hay && strstr(hay, needle);
    if (!ok) fprintf(stderr, "  \"%s\" does not contain \"%s\"\n", hay ? hay : "(null)", needle);
    return ok;
}

static int count(const char *hay, const char *needle)
{
    int n = 0;
    for (const char *p = strstr(hay, needle); p; p = strstr(p + 1, needle))
        n++;
    return n;
}

/* Runs fn with stderr sent to a temp file and returns what was written (static buffer). */
static const char *capture_stderr(void (*fn)(void *), void *arg)
{
    static char out[4096];
    char path[] = "/tmp/vg_test_capture_err_XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0) return "";
    fflush(stderr);
    int saved = dup(2);
    dup2(fd, 2);
    fn(arg);
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    ssize_t n = pread(fd, out, sizeof out - 1, 0);
    out[n > 0 ? n : 0] = '\0';
    close(fd);
    unlink(path);
    return out;
}

/* --- pcap ------------------------------------------------------------------------------------- */

static void check_pcap_order(bool be, bool nsec)
{
    struct wb b = {0};
    pcap_hdr(&b, be, nsec, 65535, 1);
    pcap_rec(&b, 1700000000u, nsec ? 123456789u : 123456u, 60, 60, 1);
    pcap_rec(&b, 1700000001u, nsec ? 999999999u : 999999u, 1514, 1514, 2);
    pcap_rec(&b, 0xFFFFFFFFu, 0, 0, 40, 3); /* ts_sec is unsigned; an empty frame is fine */
    struct capture *c = open_ok(&b, "order.pcap");
    if (!c) return;
    CHECK_STR(capture_format(c), "pcap");
    CHECK_STR(capture_path(c), "order.pcap");
    CHECK_EQ_U(capture_offset(c), 24);
    CHECK_EQ_U(capture_size(c), b.n);
    struct capture_frame f;
    CHECK_EQ_U(capture_next(c, &f), VG_OK);
    CHECK(frame_is(&f, 1700000000, nsec ? 123456789u : 123456000u, 60, 60, 1, 0, 1, 1));
    CHECK(f.data == b.d + 24 + 16); /* zero copy */
    CHECK_EQ_U(capture_offset(c), 24 + 16 + 60);
    CHECK_EQ_U(capture_next(c, &f), VG_OK);
    CHECK(frame_is(&f, 1700000001, nsec ? 999999999u : 999999000u, 1514, 1514, 1, 0, 2, 2));
    CHECK_EQ_U(capture_next(c, &f), VG_OK);
    CHECK(frame_is(&f, 4294967295LL, 0, 0, 40, 1, 0, 3, 3));
    CHECK_EQ_U(capture_next(c, &f), VG_EOF);
    CHECK_EQ_U(capture_next(c, &f), VG_EOF);
    CHECK_EQ_U(capture_offset(c), b.n);
    const struct capture_stats *s = capture_stats(c);
    CHECK_EQ_U(s->frames, 3);
    CHECK_EQ_U(s->bytes, 60 + 1514);
    CHECK_EQ_U(s->errors, 0);
    CHECK_EQ_U(s->skipped_blocks, 0);
    CHECK_STR(capture_errmsg(c), "");
    capture_close(c);
    wb_free(&b);
}

static void test_pcap_le_usec(void)
{
    check_pcap_order(false, false);
}
static void test_pcap_be_usec(void)
{
    check_pcap_order(true, false);
}
static void test_pcap_le_nsec(void)
{
    check_pcap_order(false, true);
}
static void test_pcap_be_nsec(void)
{
    check_pcap_order(true, true);
}

static void test_pcap_magic_bytes(void)
{
    /* The magic as the bytes on disk: d4 c3 b2 a1 is a little-endian microsecond file. */
    struct wb b = {0};
    pcap_hdr(&b, false, false, 65535, 1);
    CHECK(b.d[0] == 0xd4 && b.d[1] == 0xc3 && b.d[2] == 0xb2 && b.d[3] == 0xa1);
    wb_free(&b);
    pcap_hdr(&b, true, true, 65535, 1);
    CHECK(b.d[0] == 0xa1 && b.d[1] == 0xb2 && b.d[2] == 0x3c && b.d[3] == 0x4d);
    wb_free(&b);
}

static void test_pcap_ts_normalised(void)
{
    /* A fraction of a second or more in the fraction field is folded into the seconds. */
    struct wb b = {0};
    pcap_hdr(&b, false, false, 65535, 1);
    pcap_rec(&b, 10, 2500000, 4, 4, 0);
    struct wb n = {0};
    pcap_hdr(&n, true, true, 65535, 1);
    pcap_rec(&n, 10, 4294967295u, 4, 4, 0);
    struct capture *c = open_ok(&b, "us.pcap");
    struct capture_frame f;
    CHECK_EQ_U(capture_next(c, &f), VG_OK);
    CHECK(frame_is(&f, 12, 500000000, 4, 4, 1, 0, 1, 0));
    capture_close(c);
    c = open_ok(&n, "ns.pcap");
    CHECK_EQ_U(capture_next(c, &f), VG_OK);
    CHECK(frame_is(&f, 14, 294967295, 4, 4, 1, 0, 1, 0));
    capture_close(c);
    wb_free(&b);
    wb_free(&n);
}

static void test_pcap_linktype(void)
{
    /* FCS bits in the upper nibble are masked; unknown link types pass through. */
    struct wb b = {0};
    pcap_hdr(&b, false, false, 65535, 0x30000084u);
    pcap_rec(&b, 1, 0, 8, 8, 0);
    struct capture *c = open_ok(&b, "fcs.pcap");
    struct capture_frame f;
    CHECK_EQ_U(capture_next(c, &f), VG_OK);
    CHECK_EQ_U(f.linktype, 132);
    capture_close(c);
    wb_free(&b);
    pcap_hdr(&b, true, false, 65535, 4242);
    pcap_rec(&b, 1, 0, 8, 8, 0);
    c = open_ok(&b, "odd.pcap");
    CHECK_EQ_U(capture_next(c, &f), VG_OK);
    CHECK_EQ_U(f.linktype, 4242);
    CHECK_EQ_U(capture_stats(c)->errors, 0);
    capture_close(c);
    wb_free(&b);
}

struct rd_arg {
    struct wb *b;
    const char *name;
    int frames, errors;
};
static void read_all_cb(void *arg)
{
    struct rd_arg *a = arg;
    struct capture *c = NULL;
    char eb[256];
    if (capture_open_mem(a->b->d, a->b->n, a->name, &c, eb, sizeof eb) != VG_OK) return;
    struct capture_frame f;
    int st;
    while ((st = capture_next(c, &f)) != VG_EOF) {
        if (st == VG_OK)
            a->frames++;
        else
            a->errors++;
    }
    a->errors += (int)capture_stats(c)->errors * 1000;
    capture_close(c);
}

static void test_pcap_snaplen_zero(void)
{
    struct wb b = {0};
    pcap_hdr(&b, false, false, 0, 1);
    pcap_rec(&b, 1, 0, 70000, 70000, 9);
    pcap_rec(&b, 1, 0, 100, 100, 9);
    struct rd_arg a = {&b, "snap0.pcap", 0, 0};
    const char *err = capture_stderr(read_all_cb, &a);
    CHECK_EQ_U(a.frames, 2);
    CHECK_EQ_U(a.errors, 0); /* 70000 <= 262144: not over the assumed snaplen */
    CHECK(has(err, "snap0.pcap"));
    CHECK(has(err, "snapshot length 0"));
    CHECK_EQ_U(count(err, "snapshot length 0"), 1); /* warned once */
    wb_free(&b);
}

static void test_pcap_caplen_over_snaplen(void)
{
    struct wb b = {0};
    pcap_hdr(&b, true, false, 64, 1);
    pcap_rec(&b, 1, 0, 64, 64, 1);
    pcap_rec(&b, 2, 0, 100, 100, 2);
    pcap_rec(&b, 3, 0, 65, 65, 3);
    struct rd_arg a = {&b, "oversnap.pcap", 0, 0};
    const char *err = capture_stderr(read_all_cb, &a);
    CHECK_EQ_U(a.frames, 3);
    CHECK_EQ_U(a.errors, 2000); /* no error returns, stats.errors == 2 */
    CHECK(has(err, "oversnap.pcap"));
    CHECK(has(err, "packet 2"));
    CHECK(strstr(err, "packet 3") == NULL); /* logged once per file */
    /* The frames themselves are intact. */
    struct capture *c = open_ok(&b, "oversnap.pcap");
    struct capture_frame f;
    vg_log_set_level(VG_LOG_ERROR); /* the warning was checked above */
    CHECK_EQ_U(capture_next(c, &f), VG_OK);
    CHECK_EQ_U(capture_next(c, &f), VG_OK);
    CHECK(frame_is(&f, 2, 0, 100, 100, 1, 0, 2, 2));
    vg_log_set_level(VG_LOG_WARN);
    capture_close(c);
    wb_free(&b);
}

static void test_pcap_caplen_limit(void)
{
    struct wb b = {0};
    pcap_hdr(&b, false, false, 65535, 1);
    pcap_rec(&b, 1, 0, 10, 10, 1);
    wb_u32(&b, 2);
    wb_u32(&b, 0);
    wb_u32(&b, 262144 * 4 + 1);
    wb_u32(&b, 100);
    wb_data(&b, 64, 0);
    struct capture *c = open_ok(&b, "huge.pcap");
    struct capture_frame f;
    CHECK_EQ_U(capture_next(c, &f), VG_OK);
    CHECK_EQ_U(capture_next(c, &f), VG_ERR_FORMAT);
    CHECK(has(capture_errmsg(c), "huge.pcap"));
    CHECK(has(capture_errmsg(c), "packet 2"));
    CHECK(has(capture_errmsg(c), "1048577"));
    CHECK_EQ_U(capture_next(c, &f), VG_EOF);
    CHECK_EQ_U(capture_stats(c)->errors, 1);
    capture_close(c);
    /* Exactly at the limit is believed (and here the bytes are present). */
    wb_free(&b);
    pcap_hdr(&b, false, false, 262144 * 4, 1);
    pcap_rec(&b, 1, 0, 262144 * 4, 262144 * 4, 1);
    c = open_ok(&b, "max.pcap");
    CHECK_EQ_U(capture_next(c, &f), VG_OK);
    CHECK(frame_is(&f, 1, 0, 262144 * 4, 262144 * 4, 1, 0, 1, 1));
    capture_close(c);
    wb_free(&b);
}

static void test_pcap_truncated(void)
{
    struct wb b = {0};
    pcap_hdr(&b, false, false, 65535, 1);
    pcap_rec(&b, 1, 0, 10, 10, 1);
    pcap_rec(&b, 2, 0, 10, 10, 2);
    size_t full = b.n;
    wb_u32(&b, 3);
    wb_u32(&b, 0); /* 8 of 16 header bytes */
    struct capture *c = open_ok(&b, "trunc-hdr.pcap");
    struct capture_frame f;
    CHECK_EQ_U(capture_next(c, &f), VG_OK);
    CHECK_EQ_U(capture_next(c, &f), VG_OK);
    CHECK_EQ_U(capture_next(c, &f), VG_ERR_TRUNCATED);
    CHECK(has(capture_errmsg(c), "trunc-hdr.pcap: packet 3"));
    CHECK(has(capture_errmsg(c), "truncated record header"));
    CHECK(has(capture_errmsg(c), "8 of 16"));
    CHECK_EQ_U(capture_next(c, &f), VG_EOF);
    CHECK_EQ_U(capture_next(c, &f), VG_EOF);
    CHECK_EQ_U(capture_stats(c)->frames, 2);
    capture_close(c);

    b.n = full;
    pcap_rec(&b, 3, 0, 100, 100, 3);
    b.n -= 30; /* 70 of the 100 data bytes */
    c = open_ok(&b, "trunc-data.pcap");
    CHECK_EQ_U(capture_next(c, &f), VG_OK);
    CHECK_EQ_U(capture_next(c, &f), VG_OK);
    CHECK_EQ_U(capture_next(c, &f), VG_ERR_TRUNCATED);
    CHECK(has(capture_errmsg(c), "trunc-data.pcap: packet 3"));
    CHECK(has(capture_errmsg(c), "86 of 116"));
    CHECK_EQ_U(capture_next(c, &f), VG_EOF);
    capture_close(c);
    wb_free(&b);
}

static void test_open_errors(void)
{
    struct capture *c = (struct capture *)&c;
    char eb[256];
    static const uint8_t bad[] = {0x12, 0x34, 0x56, 0x78, 0, 0, 0, 0};
    CHECK_EQ_U(capture_open_mem(bad, 0, "empty.pcap", &c, eb, sizeof eb), VG_ERR_FORMAT);
    CHECK(c == NULL);
    CHECK_STR(eb, "empty.pcap: empty file");
    CHECK_EQ_U(capture_open_mem(bad, sizeof bad, "bad.pcap", &c, eb, sizeof eb), VG_ERR_FORMAT);
    CHECK_STR(eb, "bad.pcap: bad magic 0x12345678: not a pcap or pcapng file");
    CHECK_EQ_U(capture_open_mem(bad, 3, "tiny.pcap", &c, eb, sizeof eb), VG_ERR_TRUNCATED);
    CHECK(has(eb, "tiny.pcap: truncated file header"));
    static const uint8_t gz[] = {0x1f, 0x8b, 0x08, 0x00, 1, 2, 3, 4};
    CHECK_EQ_U(capture_open_mem(gz, sizeof gz, "x.pcap.gz", &c, eb, sizeof eb), VG_ERR_UNSUPPORTED);
    CHECK(has(eb, "x.pcap.gz: gzip"));
    /* A pcap header cut short. */
    struct wb b = {0};
    pcap_hdr(&b, false, false, 65535, 1);
    CHECK_EQ_U(capture_open_mem(b.d, 20, "short.pcap", &c, eb, sizeof eb), VG_ERR_TRUNCATED);
    CHECK(has(eb, "short.pcap: truncated file header"));
    CHECK(has(eb, "20 of 24"));
    /* A header and no records: a valid, empty capture. */
    c = open_ok(&b, "norec.pcap");
    struct capture_frame f;
    CHECK_EQ_U(capture_next(c, &f), VG_EOF);
    capture_close(c);
    wb_free(&b);
    /* A pcapng SHB cut short, a bad byte-order magic, an unsupported version. */
    ng_shb(&b, false);
    CHECK_EQ_U(capture_open_mem(b.d, 20, "short.pcapng", &c, eb, sizeof eb), VG_ERR_TRUNCATED);
    CHECK(has(eb, "short.pcapng: truncated file header"));
    b.d[8] = 0x99;
    CHECK_EQ_U(capture_open_mem(b.d, b.n, "bom.pcapng", &c, eb, sizeof eb), VG_ERR_FORMAT);
    CHECK(has(eb, "bom.pcapng: bad byte-order magic"));
    wb_free(&b);
    ng_shb_v(&b, true, 2);
    CHECK_EQ_U(capture_open_mem(b.d, b.n, "v2.pcapng", &c, eb, sizeof eb), VG_ERR_UNSUPPORTED);
    CHECK(has(eb, "v2.pcapng: unsupported pcapng version 2.0"));
    wb_free(&b);
    ng_shb(&b, false);
    b.d[4] = 30; /* leading length 30: not a multiple of 4 */
    CHECK_EQ_U(capture_open_mem(b.d, b.n, "len.pcapng", &c, eb, sizeof eb), VG_ERR_FORMAT);
    CHECK(has(eb, "len.pcapng: file header"));
    wb_free(&b);
    /* Bad arguments. */
    CHECK_EQ_U(capture_open_mem(NULL, 4, "x", &c, eb, sizeof eb), VG_ERR_USAGE);
    CHECK_EQ_U(capture_open_mem(bad, sizeof bad, "x", &c, NULL, 0), VG_ERR_FORMAT);
    capture_close(NULL);
    CHECK_EQ_U(capture_next(NULL, &f), VG_ERR_USAGE);
}

static uint64_t rng_state = 0x9E3779B97F4A7C15ull;
static uint8_t rng8(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (uint8_t)(rng_state >> 24);
}

/* Reads everything and checks the progress invariant: each call consumes bytes or ends. */
static void drain(struct capture *c, int *frames, int *errors)
{
    struct capture_frame f;
    uint64_t last = capture_offset(c);
    int calls = 0, st;
    bool progress = true;
    *frames = *errors = 0;
    while ((st = capture_next(c, &f)) != VG_EOF && calls++ < 100000) {
        if (st == VG_OK) {
            (*frames)++;
            volatile uint8_t sink = 0;
            for (uint32_t i = 0; i < f.caplen; i++)
                sink ^= f.data[i];
            (void)sink;
        } else {
            (*errors)++;
            CHECK(strlen(capture_errmsg(c)) > 0);
        }
        if (capture_offset(c) <= last && capture_next(c, &f) != VG_EOF) progress = false;
        last = capture_offset(c);
    }
    CHECK(progress);
    CHECK(calls < 100000);
}

static void test_garbage(void)
{
    struct wb b = {0};
    for (int i = 0; i < 65536; i++)
        wb_u8(&b, rng8());
    b.d[0] = 0x42;
    struct capture *c = NULL;
    char eb[256];
    CHECK_EQ_U(capture_open_mem(b.d, b.n, "noise.bin", &c, eb, sizeof eb), VG_ERR_FORMAT);
    CHECK(has(eb, "noise.bin: bad magic 0x42"));
    /* The same noise after a valid pcap header or SHB: errors, never a crash, always an end. */
    struct wb p = {0};
    pcap_hdr(&p, false, false, 65535, 1);
    wb_put(&p, b.d, b.n);
    c = open_ok(&p, "noise.pcap");
    int frames, errors;
    drain(c, &frames, &errors);
    CHECK(errors >= 1);
    capture_close(c);
    wb_free(&p);
    for (int be = 0; be < 2; be++) {
        ng_shb(&p, be);
        ng_idb(&p, 1, 0, -1, false, 0);
        wb_put(&p, b.d, b.n);
        c = open_ok(&p, "noise.pcapng");
        drain(c, &frames, &errors);
        CHECK(errors >= 1);
        capture_close(c);
        wb_free(&p);
    }
    wb_free(&b);
}

/* --- pcapng ----------------------------------------------------------------------------------- */

static void check_ng_basic(bool be)
{
    struct wb b = {0};
    ng_shb(&b, be);
    ng_idb(&b, 1, 65535, -1, false, 0);
    ng_epb(&b, 0, 1700000000123456ull, 60, 60, 1);
    ng_epb(&b, 0, 1700000001999999ull, 61, 1514, 2);
    struct capture *c = open_ok(&b, be ? "be.pcapng" : "le.pcapng");
    if (!c) return;
    CHECK_STR(capture_format(c), "pcapng");
    struct capture_frame f;
    CHECK_EQ_U(capture_next(c, &f), VG_OK);
    CHECK(frame_is(&f, 1700000000, 123456000, 60, 60, 1, 0, 1, 1));
    CHECK(f.data > b.d && f.data < b.d + b.n); /* zero copy */
    CHECK_EQ_U(capture_next(c, &f), VG_OK);
    CHECK(frame_is(&f, 1700000001, 999999000, 61, 1514, 1, 0, 2, 2));
    CHECK_EQ_U(capture_next(c, &f), VG_EOF);
    CHECK_EQ_U(capture_offset(c), b.n);
    CHECK_EQ_U(capture_stats(c)->frames, 2);
    CHECK_EQ_U(capture_stats(c)->bytes, 121);
    CHECK_EQ_U(capture_stats(c)->errors, 0);
    CHECK_EQ_U(capture_stats(c)->skipped_blocks, 0);
    capture_close(c);
    wb_free(&b);
}
static void test_ng_basic_le(void)
{
    check_ng_basic(false);
}
static void test_ng_basic_be(void)
{
    check_ng_basic(true);
}

static void check_ng_tsresol(bool be)
{
    struct wb b = {0};
    ng_shb(&b, be);
    ng_idb(&b, 1, 0, -1, false, 0);          /* 0: default 10^-6 */
    ng_idb(&b, 101, 0, 9, false, 0);         /* 1: 10^-9 */
    ng_idb(&b, 113, 0, 0x80 | 20, false, 0); /* 2: 2^-20 */
    ng_idb(&b, 0, 0, 3, true, 1000);         /* 3: 10^-3, +1000 s */
    ng_idb(&b, 1, 0, 12, true, -5);          /* 4: 10^-12, -5 s */
    ng_idb(&b, 1, 0, 0x80 | 40, false, 0);   /* 5: 2^-40 */
    ng_idb(&b, 1, 0, 0, false, 0);           /* 6: seconds */
    ng_idb(&b, 1, 0, 0x80 | 64, false, 0);   /* 7: 2^-64 */
    ng_idb(&b, 1, 0, 25, false, 0);          /* 8: 10^-25 */
    ng_idb(&b, 1, 0, 0, true, INT64_MAX);    /* 9: saturating offset */
    ng_idb(&b, 1, 0, 0x80, false, 0);        /* 10: 2^0 */
    ng_idb(&b, 1, 0, 0x80 | 31, false, 0);   /* 11: 2^-31 */
    ng_idb(&b, 1, 0, 0x80 | 32, false, 0);   /* 12: 2^-32 */
    ng_idb(&b, 1, 0, 0x80 | 33, false, 0);   /* 13: 2^-33 */
    ng_epb(&b, 0, 1500000000000001ull, 4, 4, 0);
    ng_epb(&b, 1, 1500000000123456789ull, 4, 4, 0);
    ng_epb(&b, 2, (5ull << 20) | (1ull << 19), 4, 4, 0);
    ng_epb(&b, 2, 1, 4, 4, 0);
    ng_epb(&b, 3, 1234567, 4, 4, 0);
    ng_epb(&b, 4, 1234567890123456ull, 4, 4, 0);
    ng_epb(&b, 5, (1ull << 40) - 1, 4, 4, 0);
    ng_epb(&b, 5, (3ull << 40) + 1, 4, 4, 0);
    ng_epb(&b, 6, 42, 4, 4, 0);
    ng_epb(&b, 7, 1ull << 63, 4, 4, 0);
    ng_epb(&b, 8, 12345678901234567890ull, 4, 4, 0);
    ng_epb(&b, 9, 10, 4, 4, 0);
    ng_epb(&b, 10, UINT64_MAX, 4, 4, 0);
    ng_epb(&b, 11, (1ull << 31) + (1ull << 30), 4, 4, 0);
    ng_epb(&b, 12, (7ull << 32) + 0xffffffffu, 4, 4, 0);
    ng_epb(&b, 13, (9ull << 33) + 5, 4, 4, 0);
    struct capture *c = open_ok(&b, "tsresol.pcapng");
    if (!c) return;
    struct capture_frame f;
    struct {
        int64_t sec;
        uint32_t nsec;
        int link;
        uint32_t iface;
    } want[] = {
        {1500000000, 1000, 1, 0},
        {1500000000, 123456789, 101, 1},
        {5, 500000000, 113, 2},
        {0, 953, 113, 2}, /* floor(10^9 / 2^20) */
        {1234 + 1000, 567000000, 0, 3},
        {1234 - 5, 567890123, 1, 4},
        {0, 999999999, 1, 5}, /* floor((2^40 - 1) 10^9 / 2^40) */
        {3, 0, 1, 5},         /* 1 / 2^40 s is below a nanosecond */
        {42, 0, 1, 6},
        {0, 500000000, 1, 7},
        {0, 1234, 1, 8}, /* 1.2345e19 * 10^-25 s = 1.2345e-6 s */
        {INT64_MAX, 0, 1, 9},
        {INT64_MAX, 0, 1, 10}, /* 2^64 - 1 s does not fit int64: saturated */
        {1, 500000000, 1, 11},
        {7, 999999999, 1, 12}, /* floor((2^32 - 1) 10^9 / 2^32) */
        {9, 0, 1, 13},         /* 5 / 2^33 s = 0.58 ns */
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        CHECK_EQ_U(capture_next(c, &f), VG_OK);
        CHECK(frame_is(&f, want[i].sec, want[i].nsec, 4, 4, want[i].link, want[i].iface, i + 1, 0));
    }
    CHECK_EQ_U(capture_next(c, &f), VG_EOF);
    CHECK_EQ_U(capture_stats(c)->errors, 0);
    capture_close(c);
    wb_free(&b);
}
static void test_ng_tsresol_le(void)
{
    check_ng_tsresol(false);
}
static void test_ng_tsresol_be(void)
{
    check_ng_tsresol(true);
}

static void test_ng_sections(void)
{
    /* Three sections, alternating byte order; each resets the interface list. */
    struct wb b = {0};
    ng_shb(&b, false);
    ng_idb(&b, 1, 0, -1, false, 0);
    ng_idb(&b, 101, 0, 9, false, 0);
    ng_epb(&b, 1, 7000000001ull, 10, 10, 1);
    ng_shb(&b, true);
    ng_idb(&b, 113, 0, 3, false, 0);
    ng_epb(&b, 0, 7001, 11, 11, 2);
    ng_epb(&b, 1, 7001, 12, 12, 3); /* interface 1 belonged to the previous section */
    ng_epb(&b, 0, 7002, 13, 13, 4);
    ng_shb(&b, false);
    ng_other(&b, NRB, 20);
    ng_idb(&b, 0, 0, -1, false, 0);
    ng_epb(&b, 0, 9000000, 14, 14, 5);
    struct capture *c = open_ok(&b, "sections.pcapng");
    if (!c) return;
    struct capture_frame f;
    CHECK_EQ_U(capture_next(c, &f), VG_OK);
    CHECK(frame_is(&f, 7, 1, 10, 10, 101, 1, 1, 1));
    CHECK_EQ_U(capture_next(c, &f), VG_OK);
    CHECK(frame_is(&f, 7, 1000000, 11, 11, 113, 0, 2, 2));
    CHECK_EQ_U(capture_next(c, &f), VG_ERR_FORMAT);
    CHECK(has(capture_errmsg(c), "sections.pcapng: packet 3"));
    CHECK(has(capture_errmsg(c), "interface 1 is not declared"));
    CHECK_EQ_U(capture_next(c, &f), VG_OK);
    CHECK(frame_is(&f, 7, 2000000, 13, 13, 113, 0, 4, 4));
    CHECK_EQ_U(capture_next(c, &f), VG_OK);
    CHECK(frame_is(&f, 9, 0, 14, 14, 0, 0, 5, 5));
    CHECK_EQ_U(capture_next(c, &f), VG_EOF);
    CHECK_EQ_U(capture_stats(c)->frames, 4);
    CHECK_EQ_U(capture_stats(c)->errors, 1);
    CHECK_EQ_U(capture_stats(c)->skipped_blocks, 1);
    capture_close(c);
    wb_free(&b);
}

static void check_ng_spb_pb(bool be)
{
    struct wb b = {0};
    ng_shb(&b, be);
    ng_spb(&b, 10, 10, 9); /* no interface yet: skipped */
    ng_idb(&b, 1, 100, -1, false, 0);
    ng_idb(&b, 105, 0, -1, false, 0);
    ng_spb(&b, 50, 50, 1);                           /* before any timestamped frame: ts 0 */
    ng_epb_raw(&b, true, 1, 3000000, 20, 30, 20, 2); /* obsolete PB on interface 1 */
    ng_spb(&b, 150, 100, 3);                         /* snaplen 100 < original length 150 */
    ng_spb(&b, 90, 60, 4); /* room in the block (60) < original length 90 */
    ng_spb(&b, 5, 5, 5);   /* padding is not data */
    struct capture *c = open_ok(&b, "spb.pcapng");
    if (!c) return;
    struct capture_frame f;
    CHECK_EQ_U(capture_next(c, &f), VG_ERR_FORMAT);
    CHECK(has(capture_errmsg(c), "spb.pcapng: packet 1"));
    CHECK(has(capture_errmsg(c), "no interface declared"));
    CHECK_EQ_U(capture_next(c, &f), VG_OK);
    CHECK(frame_is(&f, 0, 0, 50, 50, 1, 0, 2, 1));
    CHECK_EQ_U(capture_next(c, &f), VG_OK);
    CHECK(frame_is(&f, 3, 0, 20, 30, 105, 1, 3, 2));
    CHECK_EQ_U(capture_next(c, &f), VG_OK);
    CHECK(frame_is(&f, 3, 0, 100, 150, 1, 0, 4, 3)); /* SPB: previous frame's time */
    CHECK_EQ_U(capture_next(c, &f), VG_OK);
    CHECK(frame_is(&f, 3, 0, 60, 90, 1, 0, 5, 4));
    CHECK_EQ_U(capture_next(c, &f), VG_OK);
    CHECK(frame_is(&f, 3, 0, 5, 5, 1, 0, 6, 5));
    CHECK_EQ_U(capture_next(c, &f), VG_EOF);
    CHECK_EQ_U(capture_stats(c)->errors, 1);
    capture_close(c);
    wb_free(&b);
}
static void test_ng_spb_pb_le(void)
{
    check_ng_spb_pb(false);
}
static void test_ng_spb_pb_be(void)
{
    check_ng_spb_pb(true);
}

static void test_ng_skipped_blocks(void)
{
    struct wb b = {0};
    ng_shb(&b, true);
    ng_other(&b, NRB, 16);
    ng_idb(&b, 1, 0, -1, false, 0);
    ng_other(&b, ISB, 24);
    ng_other(&b, DSB, 0);
    ng_epb(&b, 0, 1000000, 8, 8, 1);
    ng_other(&b, 0xBAD, 10);
    ng_other(&b, 0x40000BADu, 3);
    ng_other(&b, 0x7777, 100);
    ng_epb(&b, 0, 2000000, 8, 8, 2);
    ng_other(&b, 9, 4); /* systemd journal export: not a packet for us */
    struct capture *c = open_ok(&b, "skip.pcapng");
    struct capture_frame f;
    CHECK_EQ_U(capture_next(c, &f), VG_OK);
    CHECK(frame_is(&f, 1, 0, 8, 8, 1, 0, 1, 1));
    CHECK_EQ_U(capture_next(c, &f), VG_OK);
    CHECK(frame_is(&f, 2, 0, 8, 8, 1, 0, 2, 2));
    CHECK_EQ_U(capture_next(c, &f), VG_EOF);
    CHECK_EQ_U(capture_stats(c)->skipped_blocks, 7);
    CHECK_EQ_U(capture_stats(c)->errors, 0);
    capture_close(c);
    wb_free(&b);
}

static void test_ng_bad_packets(void)
{
    /* Well-framed blocks that are wrong inside: reported, skipped, reading goes on. */
    struct wb b = {0};
    ng_shb(&b, false);
    ng_idb(&b, 1, 64, -1, false, 0);
    ng_epb(&b, 3, 1000000, 8, 8, 1);                  /* undeclared interface */
    ng_epb_raw(&b, false, 0, 2000000, 40, 40, 20, 2); /* caplen > the block's data */
    ng_epb(&b, 0, 3000000, 100, 100, 3);              /* caplen > snaplen: kept, counted */
    ng_epb(&b, 0, 4000000, 65, 65, 4);                /* again: counted, not logged */
    ng_epb(&b, 0, 5000000, 8, 8, 5);
    struct rd_arg a = {&b, "badpkt.pcapng", 0, 0};
    const char *err = capture_stderr(read_all_cb, &a);
    CHECK_EQ_U(a.frames, 3);
    CHECK_EQ_U(a.errors, 2 + 4000); /* two error returns; stats: 2 skipped + 2 over snaplen */
    CHECK(has(err, "badpkt.pcapng"));
    CHECK(has(err, "packet 3"));
    CHECK(strstr(err, "packet 4") == NULL);
    struct capture *c = open_ok(&b, "badpkt.pcapng");
    struct capture_frame f;
    CHECK_EQ_U(capture_next(c, &f), VG_ERR_FORMAT);
    CHECK(has(capture_errmsg(c), "badpkt.pcapng: packet 1"));
    CHECK(has(capture_errmsg(c), "interface 3 is not declared"));
    CHECK_EQ_U(capture_next(c, &f), VG_ERR_FORMAT);
    CHECK(has(capture_errmsg(c), "badpkt.pcapng: packet 2"));
    CHECK(has(capture_errmsg(c), "captured length 40"));
    vg_log_set_level(VG_LOG_ERROR); /* the warning was checked above */
    CHECK_EQ_U(capture_next(c, &f), VG_OK);
    CHECK(frame_is(&f, 3, 0, 100, 100, 1, 0, 3, 3));
    vg_log_set_level(VG_LOG_WARN);
    capture_close(c);
    wb_free(&b);
}

static void test_ng_framing(void)
{
    struct wb b = {0};
    struct capture *c;
    struct capture_frame f;
    size_t start;
    /* Lengths that cannot be trusted end the file. */
    static const struct {
        uint32_t lead, trail;
        const char *msg;
        int status;
    } cases[] = {
        {30, 60, "not a multiple of 4", VG_ERR_FORMAT},
        {8, 60, "below the minimum of 12 bytes", VG_ERR_FORMAT},
        {28, 60, "below the minimum of 32 bytes for EPB", VG_ERR_FORMAT},
        {4096, 60, "4096 bytes", VG_ERR_TRUNCATED},
        {60, 64, "trailing block length 64 differs", VG_ERR_FORMAT},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        ng_shb(&b, i % 2);
        ng_idb(&b, 1, 0, -1, false, 0);
        ng_epb(&b, 0, 1000000, 8, 8, 1);
        start = b.n;
        ng_epb(&b, 0, 2000000, 16, 16, 2); /* 60 bytes with its options */
        size_t blen = b.n - start;
        CHECK_EQ_U(blen, 60);
        ng_epb(&b, 0, 3000000, 8, 8, 3);
        struct wb patch = {.be = b.be};
        wb_u32(&patch, cases[i].lead);
        memcpy(b.d + start + 4, patch.d, 4);
        wb_u32(&patch, cases[i].trail);
        memcpy(b.d + start + blen - 4, patch.d + 4, 4);
        wb_free(&patch);
        c = open_ok(&b, "framing.pcapng");
        CHECK_EQ_U(capture_next(c, &f), VG_OK);
        CHECK_EQ_U(capture_next(c, &f), cases[i].status);
        CHECK(has(capture_errmsg(c), "framing.pcapng: packet 2"));
        CHECK(has(capture_errmsg(c), cases[i].msg));
        CHECK_EQ_U(capture_next(c, &f), VG_EOF);
        CHECK_EQ_U(capture_stats(c)->errors, 1);
        capture_close(c);
        wb_free(&b);
    }
    /* A block header cut short at the end of the file. */
    ng_shb(&b, false);
    ng_idb(&b, 1, 0, -1, false, 0);
    ng_epb(&b, 0, 1000000, 8, 8, 1);
    wb_u32(&b, EPB);
    wb_u8(&b, 0);
    c = open_ok(&b, "tail.pcapng");
    CHECK_EQ_U(capture_next(c, &f), VG_OK);
    CHECK_EQ_U(capture_next(c, &f), VG_ERR_TRUNCATED);
    CHECK(has(capture_errmsg(c), "tail.pcapng: block after packet 1"));
    CHECK(has(capture_errmsg(c), "5 of 8"));
    CHECK_EQ_U(capture_next(c, &f), VG_EOF);
    capture_close(c);
    wb_free(&b);
    /* A non-packet block cut short names the record it follows. */
    ng_shb(&b, true);
    ng_idb(&b, 1, 0, -1, false, 0);
    ng_epb(&b, 0, 1000000, 8, 8, 1);
    ng_other(&b, ISB, 40);
    b.n -= 8;
    c = open_ok(&b, "isb.pcapng");
    CHECK_EQ_U(capture_next(c, &f), VG_OK);
    CHECK_EQ_U(capture_next(c, &f), VG_ERR_TRUNCATED);
    CHECK(has(capture_errmsg(c), "isb.pcapng: ISB block (type 0x00000005) after packet 1"));
    CHECK_EQ_U(capture_next(c, &f), VG_EOF);
    capture_close(c);
    wb_free(&b);
    /* An SHB in the middle with a bad byte-order magic ends the file. */
    ng_shb(&b, false);
    ng_idb(&b, 1, 0, -1, false, 0);
    ng_epb(&b, 0, 1000000, 8, 8, 1);
    start = b.n;
    ng_shb(&b, false);
    b.d[start + 8] = 0;
    ng_idb(&b, 1, 0, -1, false, 0);
    ng_epb(&b, 0, 1000000, 8, 8, 1);
    c = open_ok(&b, "shb2.pcapng");
    CHECK_EQ_U(capture_next(c, &f), VG_OK);
    CHECK_EQ_U(capture_next(c, &f), VG_ERR_FORMAT);
    CHECK(has(capture_errmsg(c), "shb2.pcapng: SHB block"));
    CHECK(has(capture_errmsg(c), "after packet 1"));
    CHECK(has(capture_errmsg(c), "byte-order magic"));
    CHECK_EQ_U(capture_next(c, &f), VG_EOF);
    capture_close(c);
    wb_free(&b);
}

static void test_ng_big_blocks(void)
{
    /* A skipped block larger than the 16 MiB hold limit is stepped over without holding it; a
     * packet block that large is skipped with a message; reading goes on after both. */
    struct wb b = {0};
    ng_shb(&b, false);
    ng_idb(&b, 1, 0, -1, false, 0);
    ng_other(&b, NRB, 17u << 20);
    ng_epb_raw(&b, false, 0, 1000000, 8, 8, 17u << 20, 1);
    ng_epb(&b, 0, 2000000, 8, 8, 2);
    ng_epb_raw(&b, false, 0, 3000000, (1u << 20) + 4, 100, (1u << 20) + 4, 3);
    ng_epb(&b, 0, 4000000, 8, 8, 4);
    struct capture *c = open_ok(&b, "big.pcapng");
    struct capture_frame f;
    CHECK_EQ_U(capture_next(c, &f), VG_ERR_LIMIT);
    CHECK(has(capture_errmsg(c), "big.pcapng: packet 1"));
    CHECK(has(capture_errmsg(c), "exceeds the limit"));
    CHECK_EQ_U(capture_next(c, &f), VG_OK);
    CHECK(frame_is(&f, 2, 0, 8, 8, 1, 0, 2, 2));
    CHECK_EQ_U(capture_next(c, &f), VG_ERR_LIMIT);
    CHECK(has(capture_errmsg(c), "packet 3"));
    CHECK(has(capture_errmsg(c), "captured length 1048580"));
    CHECK_EQ_U(capture_next(c, &f), VG_OK);
    CHECK(frame_is(&f, 4, 0, 8, 8, 1, 0, 4, 4));
    CHECK_EQ_U(capture_next(c, &f), VG_EOF);
    CHECK_EQ_U(capture_stats(c)->skipped_blocks, 1);
    CHECK_EQ_U(capture_stats(c)->errors, 2);
    capture_close(c);
    wb_free(&b);
}

static void test_ng_many_ifaces(void)
{
    /* 65536 interfaces per section at most: the next IDB is refused, a packet on it skipped. */
    struct wb b = {0};
    ng_shb(&b, false);
    for (int i = 0; i < 65537; i++)
        ng_idb(&b, (uint16_t)i, 0, -1, false, 0);
    ng_epb(&b, 65535, 1000000, 8, 8, 1);
    ng_epb(&b, 65536, 1000000, 8, 8, 1);
    struct capture *c = open_ok(&b, "ifaces.pcapng");
    struct capture_frame f;
    CHECK_EQ_U(capture_next(c, &f), VG_ERR_LIMIT);
    CHECK(has(capture_errmsg(c), "ifaces.pcapng: IDB block"));
    CHECK(has(capture_errmsg(c), "more than 65536 interfaces"));
    CHECK_EQ_U(capture_next(c, &f), VG_OK);
    CHECK(frame_is(&f, 1, 0, 8, 8, 65535, 65535, 1, 1));
    CHECK_EQ_U(capture_next(c, &f), VG_ERR_FORMAT);
    CHECK(has(capture_errmsg(c), "interface 65536 is not declared"));
    CHECK_EQ_U(capture_next(c, &f), VG_EOF);
    capture_close(c);
    wb_free(&b);
}

static void test_alloc_failures(void)
{
    struct wb b = {0};
    ng_shb(&b, false);
    for (int i = 0; i < 20; i++)
        ng_idb(&b, 1, 0, -1, false, 0);
    ng_epb(&b, 19, 1000000, 8, 8, 1);
    struct capture *c;
    char eb[256];
    vg_alloc_fail_after(0);
    CHECK_EQ_U(capture_open_mem(b.d, b.n, "nomem.pcapng", &c, eb, sizeof eb), VG_ERR_NOMEM);
    CHECK(c == NULL);
    vg_alloc_fail_after(1);
    CHECK_EQ_U(capture_open_mem(b.d, b.n, "nomem.pcapng", &c, eb, sizeof eb), VG_ERR_NOMEM);
    vg_alloc_fail_after(2); /* the handle and its name succeed, the interface table fails */
    CHECK_EQ_U(capture_open_mem(b.d, b.n, "nomem.pcapng", &c, eb, sizeof eb), VG_OK);
    struct capture_frame f;
    CHECK_EQ_U(capture_next(c, &f), VG_ERR_NOMEM);
    CHECK(has(capture_errmsg(c), "nomem.pcapng: IDB block"));
    CHECK_EQ_U(capture_next(c, &f), VG_EOF);
    capture_close(c);
    for (long n = 0; n < 8; n++) { /* every failure point: clean errors, no leaks (ASan) */
        vg_alloc_fail_after(n);
        if (capture_open_mem(b.d, b.n, "nomem.pcapng", &c, eb, sizeof eb) == VG_OK) {
            while (capture_next(c, &f) != VG_EOF) {
            }
            capture_close(c);
        }
    }
    vg_alloc_fail_after(-1);
    wb_free(&b);
}

/* --- files and pipes -------------------------------------------------------------------------- */

static bool write_tmp(const struct wb *b, char *path)
{
    snprintf(path, 64, "%s", "/tmp/vg_test_capture_XXXXXX");
    int fd = mkstemp(path);
    if (fd < 0) return false;
    bool ok = write(fd, b->d, b->n) == (ssize_t)b->n;
    close(fd);
    return ok;
}

static void test_open_file(void)
{
    struct wb b = {0};
    pcap_hdr(&b, true, true, 65535, 1);
    pcap_rec(&b, 100, 5, 30, 30, 1);
    pcap_rec(&b, 101, 6, 31, 31, 2);
    char path[64];
    CHECK(write_tmp(&b, path));
    struct capture *c = NULL;
    char eb[256];
    CHECK_EQ_U(capture_open_file(path, &c, eb, sizeof eb), VG_OK);
    if (c) {
        struct capture_frame f;
        CHECK_STR(capture_path(c), path);
        CHECK_EQ_U(capture_size(c), b.n);
        CHECK_EQ_U(capture_next(c, &f), VG_OK);
        CHECK(frame_is(&f, 100, 5, 30, 30, 1, 0, 1, 1));
        CHECK_EQ_U(capture_next(c, &f), VG_OK);
        CHECK(frame_is(&f, 101, 6, 31, 31, 1, 0, 2, 2));
        CHECK_EQ_U(capture_next(c, &f), VG_EOF);
        CHECK_EQ_U(capture_offset(c), b.n);
        capture_close(c);
    }
    unlink(path);
    wb_free(&b);

    /* pcapng through a file, with a truncated tail whose message names the temp file. */
    ng_shb(&b, true);
    ng_idb(&b, 1, 0, 9, false, 0);
    ng_epb(&b, 0, 1000000001ull, 8, 8, 1);
    ng_epb(&b, 0, 2000000002ull, 8, 8, 2);
    b.n -= 4;
    CHECK(write_tmp(&b, path));
    CHECK_EQ_U(capture_open_file(path, &c, eb, sizeof eb), VG_OK);
    if (c) {
        struct capture_frame f;
        CHECK_EQ_U(capture_next(c, &f), VG_OK);
        CHECK(frame_is(&f, 1, 1, 8, 8, 1, 0, 1, 1));
        CHECK_EQ_U(capture_next(c, &f), VG_ERR_TRUNCATED);
        CHECK(has(capture_errmsg(c), path));
        CHECK(has(capture_errmsg(c), "packet 2"));
        CHECK_EQ_U(capture_next(c, &f), VG_EOF);
        capture_close(c);
    }
    unlink(path);
    wb_free(&b);

    /* Empty file, missing file, directory. */
    CHECK(write_tmp(&b, path));
    CHECK_EQ_U(capture_open_file(path, &c, eb, sizeof eb), VG_ERR_FORMAT);
    CHECK(has(eb, path));
    CHECK(has(eb, "empty file"));
    unlink(path);
    CHECK_EQ_U(capture_open_file(path, &c, eb, sizeof eb), VG_ERR_IO);
    CHECK(has(eb, path));
    CHECK(c == NULL);
    CHECK_EQ_U(capture_open_file("/tmp", &c, eb, sizeof eb), VG_ERR_IO);
    CHECK(has(eb, "/tmp: is a directory"));
}

/* Reads b through a pipe (read() mode): a child process writes it in odd-sized pieces. */
static struct capture *open_pipe(const struct wb *b, int *rfd, pid_t *pid)
{
    int fds[2];
    if (pipe(fds) != 0) return NULL;
    *pid = fork();
    if (*pid == 0) {
        close(fds[0]);
        for (size_t off = 0; off < b->n;) {
            size_t n = b->n - off < 3333 ? b->n - off : 3333;
            ssize_t w = write(fds[1], b->d + off, n);
            if (w <= 0) _exit(1);
            off += (size_t)w;
        }
        _exit(0);
    }
    close(fds[1]);
    *rfd = fds[0];
    char path[64];
    snprintf(path, sizeof path, "/proc/self/fd/%d", fds[0]);
    struct capture *c = NULL;
    char eb[256];
    int st = capture_open_file(path, &c, eb, sizeof eb);
    CHECK_EQ_U(st, VG_OK);
    if (st != VG_OK) fprintf(stderr, "  %s\n", eb);
    return c;
}

static void close_pipe(struct capture *c, int rfd, pid_t pid)
{
    capture_close(c);
    close(rfd);
    waitpid(pid, NULL, 0);
}

static void test_pipe_pcap(void)
{
    /* Records of growing size, up to the 1 MiB limit, then many small ones, the last cut short:
     * the read() window must grow, refill and move partial records to its front. */
    static uint32_t lens[1100];
    uint32_t n = 0;
    for (uint32_t len = 1; len < 262144 * 4; len = len * 3 + 1)
        lens[n++] = len;
    lens[n++] = 262144 * 4;
    while (n < 1100)
        lens[n] = 60 + n % 50, n++;
    struct wb b = {0};
    pcap_hdr(&b, false, false, 262144 * 4, 1);
    size_t last_start = 0;
    for (uint32_t i = 0; i < n; i++) {
        last_start = b.n;
        pcap_rec(&b, i, i, lens[i], 1514, i);
    }
    b.n -= 10;
    int rfd;
    pid_t pid;
    struct capture *c = open_pipe(&b, &rfd, &pid);
    if (!c) return;
    CHECK_EQ_U(capture_size(c), 0);
    struct capture_frame f;
    uint32_t got = 0;
    bool ok = true;
    int st;
    while ((st = capture_next(c, &f)) == VG_OK && got < n) {
        ok = ok && frame_is(&f, got, got * 1000, lens[got], 1514, 1, 0, got + 1, (int)(got & 0xff));
        got++;
    }
    CHECK(ok);
    CHECK_EQ_U(got, n - 1);
    CHECK_EQ_U(st, VG_ERR_TRUNCATED);
    CHECK(has(capture_errmsg(c), "/proc/self/fd/"));
    CHECK(has(capture_errmsg(c), "packet 1100"));
    CHECK_EQ_U(capture_next(c, &f), VG_EOF);
    CHECK_EQ_U(capture_offset(c), last_start);
    close_pipe(c, rfd, pid);
    wb_free(&b);
}

static void test_pipe_pcapng(void)
{
    struct wb b = {0};
    ng_shb(&b, true);
    ng_idb(&b, 1, 0, -1, false, 0);
    ng_other(&b, NRB, 17u << 20); /* skipped without being held */
    for (uint32_t i = 0; i < 500; i++)
        ng_epb(&b, 0, 1000000ull * i, 100 + i, 100 + i, i);
    ng_shb(&b, false);
    ng_idb(&b, 101, 0, 9, false, 0);
    ng_spb(&b, 2000, 2000, 7);
    ng_epb(&b, 0, 5, 9, 9, 8);
    int rfd;
    pid_t pid;
    struct capture *c = open_pipe(&b, &rfd, &pid);
    if (!c) return;
    struct capture_frame f;
    bool ok = true;
    for (uint32_t i = 0; i < 500; i++) {
        ok = ok && capture_next(c, &f) == VG_OK;
        ok = ok && frame_is(&f, i, 0, 100 + i, 100 + i, 1, 0, i + 1, (int)(i & 0xff));
    }
    CHECK(ok);
    CHECK_EQ_U(capture_next(c, &f), VG_OK);
    CHECK(frame_is(&f, 499, 0, 2000, 2000, 101, 0, 501, 7));
    CHECK_EQ_U(capture_next(c, &f), VG_OK);
    CHECK(frame_is(&f, 0, 5, 9, 9, 101, 0, 502, 8));
    CHECK_EQ_U(capture_next(c, &f), VG_EOF);
    CHECK_EQ_U(capture_stats(c)->skipped_blocks, 1);
    CHECK_EQ_U(capture_offset(c), b.n);
    close_pipe(c, rfd, pid);
    wb_free(&b);
}

/* --- the shared corpus ------------------------------------------------------------------------ */

static const char *corpus_dir(void)
{
    const char *d = getenv("VIGIL_CORPUS");
    return d && *d ? d : "../shared/corpus";
}

struct corpus_case {
    const char *file;
    uint64_t frames;
    bool check_first; /* first frame's time and link type */
    int64_t sec0;
    uint32_t nsec0;
    int link0;
    uint64_t skipped; /* pcapng blocks we skip (CB, DCB, ISB, NRB) */
};

static void test_corpus(void)
{
    /* Expected values from Wireshark 4.0.17 on Debian 12, for each file:
     *   capinfos -c -a -S <file>                    (Number of packets, First packet time)
     *   tshark -r <file> -c 1 -T fields -e frame.time_epoch   (the exact first timestamp)
     * Skipped-block counts from the .txt description next to each pcapng-test-generator file. */
    static const struct corpus_case cases[] = {
        {"chrissanders-packets/dns.pcap", 7, true, 1452286755, 346584000, 1, 0},
        /* nanosecond pcaps: Linux SLL, and Ethernet */
        {"tcpdump-tests/tcp-handshake-nano.pcap", 3, true, 1418145369, 924505488, 113, 0},
        {"zeek/testing/btest/Traces/vntag.pcap", 3, true, 1342606813, 729856830, 1, 0},
        {"pcapng-test-generator/output_le/basic/test001.pcapng", 4, true, 0, 0, 1, 0},
        {"pcapng-test-generator/output_be/basic/test001.pcapng", 4, true, 0, 0, 1, 0},
        /* two interfaces, Ethernet and NULL */
        {"pcapng-test-generator/output_be/basic/test006.pcapng", 5, true, 1340954905, 298858000, 1,
         0},
        {"pcapng-test-generator/output_le/basic/test006.pcapng", 5, true, 1340954905, 298858000, 1,
         0},
        /* if_tsresol 10^-9 */
        {"pcapng-test-generator/output_le/basic/test008.pcapng", 4, true, 1340954, 905298858, 1, 0},
        {"pcapng-test-generator/output_be/basic/test008.pcapng", 4, true, 1340954, 905298858, 1, 0},
        /* 3 sections of different byte orders, every block type: CB 1 + DCB 2 + ISB 4 + NRB 5 */
        {"pcapng-test-generator/output_le/difficult/test202.pcapng", 8, true, 1340954905, 298858000,
         1, 12},
        {"pcapng-test-generator/output_be/difficult/test202.pcapng", 8, true, 1340954905, 298858000,
         1, 12},
        /* all block types intermixed: CB 1 + DCB 2 + ISB 6 + NRB 3; it starts with an SPB, which
         * tshark shows without a time, so the first time is not compared */
        {"pcapng-test-generator/output_le/advanced/test102.pcapng", 5, false, 0, 0, 0, 12},
        /* only SHBs and IDBs: no frames */
        {"pcapng-test-generator/output_le/difficult/test200.pcapng", 0, false, 0, 0, 0, 0},
    };
    const char *dir = corpus_dir();
    char path[1024];
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const struct corpus_case *k = &cases[i];
        snprintf(path, sizeof path, "%s/%s", dir, k->file);
        if (access(path, R_OK) != 0) {
            printf("SKIP corpus %s (not found; set VIGIL_CORPUS)\n", path);
            continue;
        }
        struct capture *c = NULL;
        char eb[256];
        CHECK_EQ_U(capture_open_file(path, &c, eb, sizeof eb), VG_OK);
        if (!c) continue;
        struct capture_frame f;
        uint64_t n = 0;
        int st;
        while ((st = capture_next(c, &f)) == VG_OK) {
            if (n++ == 0 && k->check_first) {
                if (f.ts.sec != k->sec0 || f.ts.nsec != k->nsec0 || f.linktype != k->link0) {
                    fprintf(stderr, "  %s: first frame %lld.%09u link %d\n", k->file,
                            (long long)f.ts.sec, f.ts.nsec, f.linktype);
                }
                CHECK(f.ts.sec == k->sec0 && f.ts.nsec == k->nsec0 && f.linktype == k->link0);
            }
        }
        CHECK_EQ_U(st, VG_EOF);
        if (n != k->frames) fprintf(stderr, "  %s: %llu frames\n", k->file, (unsigned long long)n);
        CHECK_EQ_U(n, k->frames);
        CHECK_EQ_U(capture_stats(c)->errors, 0);
        CHECK_EQ_U(capture_stats(c)->skipped_blocks, k->skipped);
        capture_close(c);
    }
}

int main(void)
{
    RUN(test_pcap_le_usec);
    RUN(test_pcap_be_usec);
    RUN(test_pcap_le_nsec);
    RUN(test_pcap_be_nsec);
    RUN(test_pcap_magic_bytes);
    RUN(test_pcap_ts_normalised);
    RUN(test_pcap_linktype);
    RUN(test_pcap_snaplen_zero);
    RUN(test_pcap_caplen_over_snaplen);
    RUN(test_pcap_caplen_limit);
    RUN(test_pcap_truncated);
    RUN(test_open_errors);
    RUN(test_garbage);
    RUN(test_ng_basic_le);
    RUN(test_ng_basic_be);
    RUN(test_ng_tsresol_le);
    RUN(test_ng_tsresol_be);
    RUN(test_ng_sections);
    RUN(test_ng_spb_pb_le);
    RUN(test_ng_spb_pb_be);
    RUN(test_ng_skipped_blocks);
    RUN(test_ng_bad_packets);
    RUN(test_ng_framing);
    RUN(test_ng_big_blocks);
    RUN(test_ng_many_ifaces);
    RUN(test_alloc_failures);
    RUN(test_open_file);
    RUN(test_pipe_pcap);
    RUN(test_pipe_pcapng);
    RUN(test_corpus);
    return vg_test_done("capture");
}
