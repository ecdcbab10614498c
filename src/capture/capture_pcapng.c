/* capture_pcapng.c - pcapng files.
 *
 * Spec: draft-ietf-opsawg-pcapng ("PCAP Now Generic (pcapng) Capture File Format"): section 3
 * (block layout), 4.1 SHB, 4.2 IDB (if_tsresol, if_tsoffset), 4.3 EPB, 4.4 SPB, Appendix A
 * (obsolete Packet Block, type 2). Every other block type (NRB, ISB, DSB, custom, unknown) is
 * skipped and counted in stats.skipped_blocks.
 *
 * Framing: every block is [type, total length, body, total length], 32-bit words in the byte order
 * of its section, the length a multiple of 4 and at least 12. A block whose leading length is not
 * plausible, or whose trailing copy differs, cannot be trusted to lead to the next block: that ends
 * the file. A block that is framed correctly but wrong inside (an undeclared interface, a captured
 * length larger than the block) is reported and skipped, and reading goes on with the next block.
 *
 * Sections: an SHB may appear again later in the file, possibly in the other byte order; it starts
 * a new section with an empty interface table (interface ids are per section).
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "capture/capture_int.h"
#include "core/vg_alloc.h"
#include "core/vg_status.h"

enum {
    NG_SHB = 0x0A0D0D0Au,
    NG_IDB = 1,
    NG_PB = 2, /* obsolete Packet Block */
    NG_SPB = 3,
    NG_NRB = 4,
    NG_ISB = 5,
    NG_EPB = 6,
    NG_DSB = 0x0Au,
};

#define NG_BOM 0x1A2B3C4Du
#define NG_MIN_BLOCK 12u
#define NG_MIN_SHB 28u /* header 8 + BOM 4 + version 4 + section length 8 + trailer 4 */
#define NG_MIN_IDB 20u /* header 8 + linktype 2 + reserved 2 + snaplen 4 + trailer 4 */
#define NG_MIN_EPB 32u /* header 8 + iface 4 + ts 8 + caplen 4 + len 4 + trailer 4 */
#define NG_MIN_PB 32u  /* header 8 + iface 2 + drops 2 + ts 8 + caplen 4 + len 4 + trailer 4 */
#define NG_MIN_SPB 16u /* header 8 + len 4 + trailer 4 */

#define OPT_ENDOFOPT 0
#define OPT_IF_TSRESOL 9
#define OPT_IF_TSOFFSET 14

/* The block being read, for messages. */
struct ng_blk {
    uint32_t type;
    uint64_t off;
    bool known; /* type was read */
};

static bool ng_is_packet(uint32_t type)
{
    return type == NG_EPB || type == NG_SPB || type == NG_PB;
}

static const char *ng_name(uint32_t type)
{
    switch (type) {
    case NG_SHB:
        return "SHB";
    case NG_IDB:
        return "IDB";
    case NG_PB:
        return "PB";
    case NG_SPB:
        return "SPB";
    case NG_NRB:
        return "NRB";
    case NG_ISB:
        return "ISB";
    case NG_EPB:
        return "EPB";
    case NG_DSB:
        return "DSB";
    default:
        return "unknown";
    }
}

static uint32_t ng_min_len(uint32_t type)
{
    switch (type) {
    case NG_IDB:
        return NG_MIN_IDB;
    case NG_EPB:
        return NG_MIN_EPB;
    case NG_PB:
        return NG_MIN_PB;
    case NG_SPB:
        return NG_MIN_SPB;
    default:
        return NG_MIN_BLOCK;
    }
}

/* ng_verr writes the message for block b: packet blocks are named by their record number (the
 * numbering users see in Wireshark), other blocks by type and the record they follow. */
static int ng_verr(struct capture *c, const struct ng_blk *b, int status, const char *fmt,
                   va_list ap) __attribute__((format(printf, 4, 0)));
static int ng_verr(struct capture *c, const struct ng_blk *b, int status, const char *fmt,
                   va_list ap)
{
    char what[320];
    vsnprintf(what, sizeof what, fmt, ap);
    c->stats.errors++;
    if (b->known && ng_is_packet(b->type)) {
        return capture__err(c, status, "packet %" PRIu64 " (%s at offset %" PRIu64 "): %s",
                            c->record_no, ng_name(b->type), b->off, what);
    }
    if (b->known) {
        return capture__err(
            c, status, "%s block (type 0x%08x) after packet %" PRIu64 " (offset %" PRIu64 "): %s",
            ng_name(b->type), b->type, c->record_no, b->off, what);
    }
    return capture__err(c, status, "block after packet %" PRIu64 " (offset %" PRIu64 "): %s",
                        c->record_no, b->off, what);
}

/* ng_skip: block b is consumed; report it and let the caller go on with the next block. */
static int ng_skip(struct capture *c, const struct ng_blk *b, int status, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int ng_skip(struct capture *c, const struct ng_blk *b, int status, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    ng_verr(c, b, status, fmt, ap);
    va_end(ap);
    return status;
}

/* ng_fatal: the framing is lost; report it and end the file. */
static int ng_fatal(struct capture *c, const struct ng_blk *b, int status, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int ng_fatal(struct capture *c, const struct ng_blk *b, int status, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    ng_verr(c, b, status, fmt, ap);
    va_end(ap);
    c->done = true;
    return status;
}

/* --- timestamps ------------------------------------------------------------------------------ */

static const uint64_t pow10_tab[20] = {
    1ull,
    10ull,
    100ull,
    1000ull,
    10000ull,
    100000ull,
    1000000ull,
    10000000ull,
    100000000ull,
    1000000000ull,
    10000000000ull,
    100000000000ull,
    1000000000000ull,
    10000000000000ull,
    100000000000000ull,
    1000000000000000ull,
    10000000000000000ull,
    100000000000000000ull,
    1000000000000000000ull,
    10000000000000000000ull,
};

/* if_tsresol: bit 7 clear, units of 10^-n s; set, units of 2^-n s (draft-ietf-opsawg-pcapng 4.2).
 * The decimal divisors are precomputed here so that a timestamp costs one division. */
static void ng_set_tsresol(struct capture__iface *ifc, uint8_t res)
{
    ifc->tsresol = res;
    ifc->ts_div = 0;
    ifc->ts_scale = 0;
    if (res & 0x80) return;
    unsigned n = res;
    if (n <= 19) ifc->ts_div = pow10_tab[n];
    if (n <= 9) {
        ifc->ts_scale = pow10_tab[9 - n];
    } else if (n - 9 <= 19) {
        ifc->ts_scale = pow10_tab[n - 9];
    }
}

/* floor(x * 10^9 / 2^s) for x < 2^s or s >= 64, without 128-bit arithmetic: x is split in 32-bit
 * halves so that each partial product fits (2^32 * 10^9 < 2^62). The result is below 10^9. */
static uint64_t ng_mulshift_1e9(uint64_t x, unsigned s)
{
    uint64_t lo = (x & 0xffffffffu) * 1000000000u;
    uint64_t hi = (x >> 32) * 1000000000u;
    if (s < 32) return lo >> s;     /* x < 2^s < 2^32, so hi is 0 */
    uint64_t mid = hi + (lo >> 32); /* floor(x * 10^9 / 2^32) */
    s -= 32;
    return s >= 64 ? 0 : mid >> s;
}

static struct vg_ts ng_ts(const struct capture__iface *ifc, uint64_t units)
{
    uint64_t sec, nsec;
    if (!(ifc->tsresol & 0x80)) {
        unsigned n = ifc->tsresol;
        if (n <= 9) {
            sec = units / ifc->ts_div;
            nsec = (units % ifc->ts_div) * ifc->ts_scale;
        } else if (n <= 19) {
            sec = units / ifc->ts_div;
            nsec = (units % ifc->ts_div) / ifc->ts_scale;
        } else {
            /* More than 2^64 units per second: always less than one second. */
            sec = 0;
            nsec = ifc->ts_scale ? units / ifc->ts_scale : 0;
        }
    } else {
        unsigned n = ifc->tsresol & 0x7fu;
        if (n < 64) {
            sec = units >> n;
            nsec = ng_mulshift_1e9(units & ((1ull << n) - 1), n);
        } else {
            sec = 0;
            nsec = ng_mulshift_1e9(units, n);
        }
    }
    /* Saturate rather than overflow: a hostile if_tsoffset must not be undefined behaviour. */
    struct vg_ts ts;
    int64_t s = sec > (uint64_t)INT64_MAX ? INT64_MAX : (int64_t)sec;
    if (__builtin_add_overflow(s, ifc->tsoffset, &ts.sec)) {
        ts.sec = ifc->tsoffset > 0 ? INT64_MAX : INT64_MIN;
    }
    ts.nsec = (uint32_t)nsec;
    return ts;
}

/* --- blocks ---------------------------------------------------------------------------------- */

/* ng_section reads an SHB at the current offset (the file header when first). The SHB carries its
 * own byte order, so it is recognised before the section's order is known: its type is the same
 * both ways. Returns VG_AGAIN (first: VG_OK) when the new section starts, else an error. */
static int ng_section(struct capture *c, bool first)
{
    struct ng_blk b = {.type = NG_SHB, .off = c->off, .known = true};
    char why[160];
    const uint8_t *h = capture__need(c, 12);
    if (!h) {
        int st = capture__short(c, 12, why, sizeof why);
        if (first) return capture__err(c, st, "truncated file header (pcapng SHB): %s", why);
        return ng_fatal(c, &b, st, "truncated section header: %s", why);
    }
    struct vg_reader r;
    uint32_t type = 0, len = 0, bom = 0;
    vg_rd_init(&r, h, 12);
    vg_rd_be32(&r, &type);
    vg_rd_skip(&r, 4);
    vg_rd_be32(&r, &bom);
    bool be;
    if (bom == NG_BOM) {
        be = true;
    } else if (bom == 0x4D3C2B1Au) {
        be = false;
    } else {
        if (first) {
            return capture__err(c, VG_ERR_FORMAT,
                                "bad byte-order magic 0x%08x in the pcapng section header", bom);
        }
        return ng_fatal(c, &b, VG_ERR_FORMAT, "bad byte-order magic 0x%08x", bom);
    }
    vg_rd_init(&r, h, 12);
    vg_rd_skip(&r, 4);
    capture__rd32(&r, be, &len);
    const char *bad = NULL;
    if (len % 4)
        bad = "is not a multiple of 4";
    else if (len < NG_MIN_SHB)
        bad = "is smaller than the 28 bytes of a section header";
    else if (len > CAPTURE_MAX_BLOCK)
        bad = "exceeds the block limit";
    if (bad) {
        if (first) {
            return capture__err(c, VG_ERR_FORMAT, "file header (pcapng SHB): block length %u %s",
                                len, bad);
        }
        return ng_fatal(c, &b, VG_ERR_FORMAT, "block length %u %s", len, bad);
    }
    const uint8_t *p = capture__need(c, len);
    if (!p) {
        int st = capture__short(c, len, why, sizeof why);
        if (first) {
            return capture__err(c, st, "truncated file header (pcapng SHB of %u bytes): %s", len,
                                why);
        }
        return ng_fatal(c, &b, st, "truncated section header (%u bytes): %s", len, why);
    }
    uint16_t major = 0, minor = 0;
    uint32_t trail = 0; /* a failed read leaves 0, which no valid length equals */
    vg_rd_init(&r, p, len);
    vg_rd_skip(&r, 12);
    capture__rd16(&r, be, &major);
    capture__rd16(&r, be, &minor);
    vg_rd_skip(&r, len - 16 - 4);
    capture__rd32(&r, be, &trail);
    if (trail != len) {
        if (first) {
            return capture__err(c, VG_ERR_FORMAT,
                                "file header (pcapng SHB): trailing block length %u differs from "
                                "the leading %u",
                                trail, len);
        }
        return ng_fatal(c, &b, VG_ERR_FORMAT,
                        "trailing block length %u differs from the leading %u", trail, len);
    }
    if (major != 1) {
        /* Blocks of another major version may be laid out differently: nothing after is safe. */
        if (first) {
            return capture__err(c, VG_ERR_UNSUPPORTED, "unsupported pcapng version %u.%u", major,
                                minor);
        }
        return ng_fatal(c, &b, VG_ERR_UNSUPPORTED, "unsupported pcapng version %u.%u", major,
                        minor);
    }
    capture__advance(c, len);
    c->u.ng.be = be;
    c->u.ng.n_ifaces = 0;
    return first ? VG_OK : VG_AGAIN;
}

static int ng_idb(struct capture *c, const struct ng_blk *b, struct vg_reader *r)
{
    const bool be = c->u.ng.be;
    uint16_t linktype, reserved;
    uint32_t snaplen;
    if (!capture__rd16(r, be, &linktype) || !capture__rd16(r, be, &reserved) ||
        !capture__rd32(r, be, &snaplen)) {
        return ng_skip(c, b, VG_ERR_TRUNCATED, "interface description too short");
    }
    if (c->u.ng.n_ifaces >= CAPTURE_MAX_IFACES) {
        return ng_skip(c, b, VG_ERR_LIMIT,
                       "more than %u interfaces in one section: interface ignored",
                       CAPTURE_MAX_IFACES);
    }
    if (c->u.ng.n_ifaces == c->u.ng.cap_ifaces) {
        uint32_t cap = c->u.ng.cap_ifaces ? c->u.ng.cap_ifaces * 2 : 8;
        struct capture__iface *t = vg_realloc(c->u.ng.ifaces, cap * sizeof *t);
        if (!t) {
            /* Ignoring it would renumber every later interface: stop instead. */
            return ng_fatal(c, b, VG_ERR_NOMEM, "out of memory for the interface table");
        }
        c->u.ng.ifaces = t;
        c->u.ng.cap_ifaces = cap;
    }
    struct capture__iface *ifc = &c->u.ng.ifaces[c->u.ng.n_ifaces];
    memset(ifc, 0, sizeof *ifc);
    ifc->linktype = linktype;
    ifc->snaplen = snaplen;
    uint8_t tsresol = 6;
    /* Options: {code 16, length 16, value padded to 32 bits}. A malformed option list ends the
     * list: what was read so far stands, the interface itself is still valid. */
    while (vg_rd_left(r) >= 4) {
        uint16_t code, olen;
        const uint8_t *val;
        if (!capture__rd16(r, be, &code) || !capture__rd16(r, be, &olen)) break;
        if (code == OPT_ENDOFOPT || !vg_rd_bytes(r, olen, &val)) break;
        vg_rd_skip(r, (4u - olen % 4u) % 4u);
        struct vg_reader o;
        vg_rd_init(&o, val, olen);
        uint64_t v;
        if (code == OPT_IF_TSRESOL) {
            vg_rd_u8(&o, &tsresol); /* an empty value leaves the default */
        } else if (code == OPT_IF_TSOFFSET && capture__rd64(&o, be, &v)) {
            ifc->tsoffset = (int64_t)v;
        }
    }
    ng_set_tsresol(ifc, tsresol);
    c->u.ng.n_ifaces++;
    return VG_AGAIN;
}

static int ng_frame_done(struct capture *c, struct capture_frame *f,
                         const struct capture__iface *ifc, uint32_t iface)
{
    f->linktype = ifc->linktype;
    f->iface = iface;
    f->record_no = c->record_no;
    if (ifc->snaplen && f->caplen > ifc->snaplen) {
        capture__snap_over(c, c->record_no, f->caplen, ifc->snaplen);
    }
    c->last_ts = f->ts;
    c->stats.frames++;
    c->stats.bytes += f->caplen;
    return VG_OK;
}

/* EPB and the obsolete PB: the same fields, the PB with a 16-bit interface id and a drop count. */
static int ng_epb(struct capture *c, const struct ng_blk *b, struct vg_reader *r,
                  struct capture_frame *f)
{
    const bool be = c->u.ng.be;
    uint32_t iface, hi, lo, caplen, wirelen;
    bool ok;
    if (b->type == NG_EPB) {
        ok = capture__rd32(r, be, &iface);
    } else {
        uint16_t id16, drops;
        ok = capture__rd16(r, be, &id16) && capture__rd16(r, be, &drops);
        iface = id16;
    }
    ok = ok && capture__rd32(r, be, &hi) && capture__rd32(r, be, &lo) &&
         capture__rd32(r, be, &caplen) && capture__rd32(r, be, &wirelen);
    if (!ok) return ng_skip(c, b, VG_ERR_TRUNCATED, "packet block too short");
    if (iface >= c->u.ng.n_ifaces) {
        return ng_skip(c, b, VG_ERR_FORMAT,
                       "interface %u is not declared (%u in this section): packet skipped", iface,
                       c->u.ng.n_ifaces);
    }
    if (caplen > vg_rd_left(r)) {
        return ng_skip(c, b, VG_ERR_FORMAT,
                       "captured length %u exceeds the %zu bytes of the block: packet skipped",
                       caplen, vg_rd_left(r));
    }
    if (caplen > CAPTURE_MAX_CAPLEN) {
        return ng_skip(c, b, VG_ERR_LIMIT,
                       "captured length %u exceeds the limit of %u bytes: packet skipped", caplen,
                       CAPTURE_MAX_CAPLEN);
    }
    const struct capture__iface *ifc = &c->u.ng.ifaces[iface];
    vg_rd_bytes(r, caplen, &f->data);
    f->caplen = caplen;
    f->wirelen = wirelen;
    f->ts = ng_ts(ifc, ((uint64_t)hi << 32) | lo);
    return ng_frame_done(c, f, ifc, iface);
}

/* SPB: interface 0 of the section, no timestamp (we repeat the previous frame's so that time never
 * jumps back to 1970 for the flow timers), and a captured length that the writer did not record:
 * min(original length, snaplen, room in the block) (draft-ietf-opsawg-pcapng 4.4). */
static int ng_spb(struct capture *c, const struct ng_blk *b, struct vg_reader *r,
                  struct capture_frame *f)
{
    uint32_t wirelen;
    if (!capture__rd32(r, c->u.ng.be, &wirelen)) {
        return ng_skip(c, b, VG_ERR_TRUNCATED, "simple packet block too short");
    }
    if (c->u.ng.n_ifaces == 0) {
        return ng_skip(c, b, VG_ERR_FORMAT,
                       "no interface declared in this section: packet skipped");
    }
    const struct capture__iface *ifc = &c->u.ng.ifaces[0];
    size_t room = vg_rd_left(r);
    uint32_t caplen = wirelen;
    if (ifc->snaplen && caplen > ifc->snaplen) caplen = ifc->snaplen;
    if (caplen > room) caplen = (uint32_t)room;
    if (caplen > CAPTURE_MAX_CAPLEN) {
        return ng_skip(c, b, VG_ERR_LIMIT,
                       "captured length %u exceeds the limit of %u bytes: packet skipped", caplen,
                       CAPTURE_MAX_CAPLEN);
    }
    vg_rd_bytes(r, caplen, &f->data);
    f->caplen = caplen;
    f->wirelen = wirelen;
    f->ts = c->last_ts;
    return ng_frame_done(c, f, ifc, 0);
}

/* ng_block reads one block. Returns VG_OK with a frame, VG_AGAIN when the block carried no frame
 * (the caller reads on), VG_EOF, or an error. */
static int ng_block(struct capture *c, struct capture_frame *f)
{
    struct ng_blk b = {.type = 0, .off = c->off, .known = false};
    const bool be = c->u.ng.be;
    char why[160];
    const uint8_t *h = capture__need(c, 8);
    if (!h) {
        if (c->avail == 0 && !c->in_errno) {
            c->done = true;
            return VG_EOF;
        }
        int st = capture__short(c, 8, why, sizeof why);
        return ng_fatal(c, &b, st, "truncated block header: %s", why);
    }
    struct vg_reader r;
    uint32_t type = 0, len = 0, trail = 0;
    vg_rd_init(&r, h, 8);
    if (!capture__rd32(&r, be, &type) || !capture__rd32(&r, be, &len)) {
        return ng_fatal(c, &b, VG_ERR_TRUNCATED, "truncated block header");
    }
    if (type == NG_SHB) return ng_section(c, false);
    b.type = type;
    b.known = true;
    if (ng_is_packet(type)) c->record_no++;

    if (len % 4)
        return ng_fatal(c, &b, VG_ERR_FORMAT, "block length %u is not a multiple of 4", len);
    uint32_t min = ng_min_len(type);
    if (len < NG_MIN_BLOCK) {
        return ng_fatal(c, &b, VG_ERR_FORMAT, "block length %u is below the minimum of %u bytes",
                        len, NG_MIN_BLOCK);
    }
    if (len < min) {
        return ng_fatal(c, &b, VG_ERR_FORMAT,
                        "block length %u is below the minimum of %u bytes for %s blocks", len, min,
                        ng_name(type));
    }
    if (len > CAPTURE_MAX_BLOCK) {
        /* Too big to hold. A block we would skip anyway is skipped without holding it, a packet
         * block is skipped with a message; an IDB cannot be skipped without renumbering. */
        if (type == NG_IDB) {
            return ng_fatal(c, &b, VG_ERR_LIMIT, "block length %u exceeds the limit of %u bytes",
                            len, CAPTURE_MAX_BLOCK);
        }
        if (!capture__skip(c, len - 4u)) {
            return ng_fatal(c, &b, VG_ERR_TRUNCATED,
                            "the file ends inside the block (block length %u)", len);
        }
        const uint8_t *t = capture__need(c, 4);
        if (!t) {
            return ng_fatal(c, &b, VG_ERR_TRUNCATED,
                            "the file ends inside the block (block length %u)", len);
        }
        vg_rd_init(&r, t, 4);
        capture__rd32(&r, be, &trail);
        if (trail != len) {
            return ng_fatal(c, &b, VG_ERR_FORMAT,
                            "trailing block length %u differs from the leading %u", trail, len);
        }
        capture__advance(c, 4);
        if (ng_is_packet(type)) {
            return ng_skip(c, &b, VG_ERR_LIMIT,
                           "block length %u exceeds the limit of %u bytes: packet skipped", len,
                           CAPTURE_MAX_BLOCK);
        }
        c->stats.skipped_blocks++;
        return VG_AGAIN;
    }
    const uint8_t *p = capture__need(c, len);
    if (!p) {
        int st = capture__short(c, len, why, sizeof why);
        return ng_fatal(c, &b, st, "truncated block (block length %u): %s", len, why);
    }
    const uint8_t *bodyp = NULL;
    vg_rd_init(&r, p, len);
    if (!vg_rd_skip(&r, 8) || !vg_rd_bytes(&r, len - 12u, &bodyp) ||
        !capture__rd32(&r, be, &trail) || trail != len) {
        return ng_fatal(c, &b, VG_ERR_FORMAT,
                        "trailing block length %u differs from the leading %u", trail, len);
    }
    capture__advance(c, len);
    /* The block is consumed: from here on an error skips it and the next call reads on. */
    struct vg_reader body;
    vg_rd_init(&body, bodyp, len - 12u);
    switch (type) {
    case NG_IDB:
        return ng_idb(c, &b, &body);
    case NG_EPB:
    case NG_PB:
        return ng_epb(c, &b, &body, f);
    case NG_SPB:
        return ng_spb(c, &b, &body, f);
    default:
        c->stats.skipped_blocks++;
        return VG_AGAIN;
    }
}

static int ng_open(struct capture *c)
{
    return ng_section(c, true);
}

static int ng_next(struct capture *c, struct capture_frame *f)
{
    for (;;) {
        if (c->done) return VG_EOF;
        int st = ng_block(c, f);
        if (st != VG_AGAIN) return st;
    }
}

static void ng_fini(struct capture *c)
{
    vg_free(c->u.ng.ifaces);
    c->u.ng.ifaces = NULL;
}

const struct capture_ops capture__pcapng_ops = {
    .name = "pcapng",
    .open = ng_open,
    .next = ng_next,
    .fini = ng_fini,
};
