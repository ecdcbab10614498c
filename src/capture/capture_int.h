/* capture_int.h - what the capture front end (capture.c) shares with its file-format backends
 * (capture_pcap.c, capture_pcapng.c). Not part of the API: only src/capture/ includes it.
 *
 * Input model: the backends see the file as a byte window that starts at the current file offset.
 * capture__need(c, n) makes n bytes available contiguously at c->cur and returns that pointer (or
 * NULL when the file ends first, or a limit / read error stops it); capture__advance(c, n) consumes
 * n of them. For a mapped file or a memory buffer the window is the whole rest of the file and both
 * are a compare and an add. For a pipe the window is a handle-owned buffer refilled with large
 * read()s, so the per-frame cost stays one compare; a refill moves the unconsumed tail to the
 * front, which is why a frame's bytes are only valid until the next capture_next().
 */
#ifndef VG_CAPTURE_INT_H
#define VG_CAPTURE_INT_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "capture/capture.h"
#include "core/vg_reader.h"

/* The largest captured length we believe: 4 x libpcap's MAXIMUM_SNAPLEN (262144). A record header
 * that claims more is garbage, and in classic pcap it is also the only way to find the next record,
 * so the rest of the file cannot be trusted. */
#define CAPTURE_MAX_CAPLEN (262144u * 4u)
/* What a snaplen of 0 in a pcap file header is taken to mean (libpcap's MAXIMUM_SNAPLEN). */
#define CAPTURE_DEFAULT_SNAPLEN 262144u
/* The largest pcapng block we hold in memory at once (pipe mode) or parse (any mode). Packet
 * blocks are bounded by CAPTURE_MAX_CAPLEN plus options; larger blocks of types we skip are
 * skipped without being held. This bounds the only input-driven allocation of the pipe mode. */
#define CAPTURE_MAX_BLOCK (16u * 1024u * 1024u)
/* Interfaces per pcapng section: each IDB costs one struct capture__iface; this bounds the table.
 */
#define CAPTURE_MAX_IFACES 65536u

/* One pcapng interface (IDB), with its timestamp conversion precomputed. */
struct capture__iface {
    int linktype;
    uint32_t snaplen;  /* 0: no limit (pcapng) */
    uint8_t tsresol;   /* if_tsresol as in the file: bit 7 set = 2^-n, clear = 10^-n */
    int64_t tsoffset;  /* if_tsoffset, seconds added to every timestamp */
    uint64_t ts_div;   /* decimal resolution: units per second (0 when it exceeds 2^64) */
    uint64_t ts_scale; /* decimal: nsec = frac * scale (n <= 9) or frac / scale (n > 9) */
};

struct capture_ops {
    const char *name;               /* "pcap", "pcapng" */
    int (*open)(struct capture *c); /* parse the file header at offset 0 */
    int (*next)(struct capture *c, struct capture_frame *frame);
    void (*fini)(struct capture *c); /* free backend state; may be NULL */
};

extern const struct capture_ops capture__pcap_ops;
extern const struct capture_ops capture__pcapng_ops;

struct capture {
    const struct capture_ops *ops;
    char *path; /* owned; the file name (or the caller's name for a memory buffer) */

    /* The window (see top of file). Invariant: cur + avail never passes the end of the data. */
    const uint8_t *cur;
    size_t avail;
    uint64_t off;  /* file offset of cur */
    uint64_t size; /* file size; 0 when unknown (pipe) */

    /* Storage behind the window: a mapping, the caller's buffer, or (pipe mode) buf/fd. */
    void *map;
    size_t map_len;
    int fd;       /* >= 0 only in pipe mode */
    uint8_t *buf; /* pipe mode: owned, buf_cap bytes */
    size_t buf_cap;
    bool in_eof;   /* pipe mode: read() returned 0 */
    int in_errno;  /* pipe mode: read() failed with this errno; 0 if not */
    bool in_limit; /* the last capture__need() asked for more than CAPTURE_MAX_BLOCK */
    bool in_nomem; /* the last capture__need() could not grow the buffer */

    bool done;        /* a record could not be framed: capture_next() returns VG_EOF from now on */
    bool warned_snap; /* caplen > snaplen was logged for this file */
    uint64_t record_no;   /* packet records met so far, malformed ones included */
    struct vg_ts last_ts; /* timestamp of the last frame returned (pcapng SPBs have none) */
    struct capture_stats stats;
    char errmsg[512];

    union {
        struct {
            bool be;      /* file byte order is big-endian */
            bool nsec;    /* nanosecond timestamps (magic 0xa1b23c4d) */
            int linktype; /* LINKTYPE_*, FCS bits masked off */
            uint32_t snaplen;
        } pcap;
        struct {
            bool be;                       /* byte order of the current section */
            struct capture__iface *ifaces; /* owned, this section's interfaces */
            uint32_t n_ifaces, cap_ifaces;
        } ng;
    } u;
};

const uint8_t *capture__fill(struct capture *c, size_t n);
bool capture__skip(struct capture *c, uint64_t n);

/* capture__need returns n contiguous bytes at the current offset, or NULL when they are not there:
 * then c->avail says how many are, and capture__short() says why. Does not consume. */
static inline const uint8_t *capture__need(struct capture *c, size_t n)
{
    if (n <= c->avail) return c->cur;
    return capture__fill(c, n);
}

/* capture__advance consumes n bytes that capture__need() has just proven present. */
static inline void capture__advance(struct capture *c, size_t n)
{
    c->cur += n;
    c->avail -= n;
    c->off += n;
}

/* Byte-order-aware reads through the bounds-checked cursor. */
static inline bool capture__rd16(struct vg_reader *r, bool be, uint16_t *v)
{
    return be ? vg_rd_be16(r, v) : vg_rd_le16(r, v);
}
static inline bool capture__rd32(struct vg_reader *r, bool be, uint32_t *v)
{
    return be ? vg_rd_be32(r, v) : vg_rd_le32(r, v);
}
static inline bool capture__rd64(struct vg_reader *r, bool be, uint64_t *v)
{
    uint32_t a = 0, b = 0;
    if (!vg_rd_has(r, 8) || !capture__rd32(r, be, &a) || !capture__rd32(r, be, &b)) return false;
    *v = be ? ((uint64_t)a << 32) | b : ((uint64_t)b << 32) | a;
    return true;
}

/* capture__err writes "<path>: <message>" to c->errmsg and returns status. */
int capture__err(struct capture *c, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int capture__verr(struct capture *c, int status, const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));

/* capture__short describes why the last capture__need(c, want) failed ("truncated ...: only 5 of
 * 16 bytes left", a read error, the block limit) into buf and returns the status that goes with it
 * (VG_ERR_TRUNCATED, VG_ERR_IO, VG_ERR_LIMIT, VG_ERR_NOMEM). */
int capture__short(const struct capture *c, uint64_t want, char *buf, size_t len);

/* capture__snap_over counts a frame whose caplen exceeds the snaplen (it is still returned) and
 * logs the first one of the file with vg_warn. */
void capture__snap_over(struct capture *c, uint64_t record_no, uint32_t caplen, uint32_t snaplen);

#endif
