/* capture_pcap.c - classic libpcap files.
 *
 * Spec: draft-ietf-opsawg-pcap ("PCAP Capture File Format"); pcap-savefile(5); the FCS bits of the
 * LinkType field per pcap-linktype(7).
 *
 * File header (24 bytes): magic, version major/minor (16 each), thiszone, sigfigs, snaplen,
 * linktype. The magic gives the byte order (a1b2c3d4 as written by the capturing host) and the
 * timestamp unit (a1b2c3d4 microseconds, a1b23c4d nanoseconds). Record header (16 bytes): ts_sec,
 * ts_frac, caplen, wirelen, then caplen bytes of frame. caplen is the only framing: a caplen we
 * cannot believe leaves no way to find the next record, so such a record ends the file.
 */
#include <inttypes.h>
#include <stdio.h>

#include "capture/capture_int.h"
#include "core/vg_log.h"
#include "core/vg_status.h"

#define PCAP_FILE_HDR 24u
#define PCAP_REC_HDR 16u

static int pcap_open(struct capture *c)
{
    const uint8_t *h = capture__need(c, PCAP_FILE_HDR);
    if (!h) {
        char why[160];
        int st = capture__short(c, PCAP_FILE_HDR, why, sizeof why);
        return capture__err(c, st, "truncated file header (pcap): %s", why);
    }
    struct vg_reader r;
    uint32_t magic, zone, sigfigs, snaplen, linktype;
    uint16_t major, minor;
    vg_rd_init(&r, h, PCAP_FILE_HDR);
    vg_rd_be32(&r, &magic);
    bool be = magic == 0xa1b2c3d4u || magic == 0xa1b23c4du;
    if (!capture__rd16(&r, be, &major) || !capture__rd16(&r, be, &minor) ||
        !capture__rd32(&r, be, &zone) || !capture__rd32(&r, be, &sigfigs) ||
        !capture__rd32(&r, be, &snaplen) || !capture__rd32(&r, be, &linktype)) {
        return capture__err(c, VG_ERR_TRUNCATED, "truncated file header (pcap)");
    }
    c->u.pcap.be = be;
    c->u.pcap.nsec = magic == 0xa1b23c4du || magic == 0x4d3cb2a1u;
    /* The upper 4 bits carry the FCS length of the frames (pcap-linktype(7)); they are not part
     * of the link type. Unknown link types are the decoder's business, not ours. */
    c->u.pcap.linktype = (int)(linktype & 0x0FFFFFFFu);
    if (snaplen == 0) {
        /* Some writers leave it 0; libpcap reads such files, so we do too. */
        vg_warn("%s: snapshot length 0 in the file header, taken as %u", c->path,
                CAPTURE_DEFAULT_SNAPLEN);
        snaplen = CAPTURE_DEFAULT_SNAPLEN;
    }
    c->u.pcap.snaplen = snaplen;
    capture__advance(c, PCAP_FILE_HDR);
    return VG_OK;
}

/* A record that cannot be framed: say so, and end the file (the next call returns VG_EOF). */
static int pcap_fatal(struct capture *c, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int pcap_fatal(struct capture *c, int status, const char *fmt, ...)
{
    char what[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    c->done = true;
    c->stats.errors++;
    return capture__err(c, status, "packet %" PRIu64 " (offset %" PRIu64 "): %s", c->record_no + 1,
                        c->off, what);
}

static int pcap_next(struct capture *c, struct capture_frame *f)
{
    const bool be = c->u.pcap.be;
    const uint8_t *h = capture__need(c, PCAP_REC_HDR);
    if (!h) {
        if (c->avail == 0 && !c->in_errno) {
            c->done = true;
            return VG_EOF;
        }
        char why[160];
        int st = capture__short(c, PCAP_REC_HDR, why, sizeof why);
        return pcap_fatal(c, st, "truncated record header: %s", why);
    }
    struct vg_reader r;
    uint32_t sec, frac, caplen, wirelen;
    vg_rd_init(&r, h, PCAP_REC_HDR);
    if (!capture__rd32(&r, be, &sec) || !capture__rd32(&r, be, &frac) ||
        !capture__rd32(&r, be, &caplen) || !capture__rd32(&r, be, &wirelen)) {
        return pcap_fatal(c, VG_ERR_TRUNCATED, "truncated record header");
    }
    if (caplen > CAPTURE_MAX_CAPLEN) {
        return pcap_fatal(c, VG_ERR_FORMAT,
                          "captured length %u exceeds the limit of %u bytes; the next record "
                          "cannot be found",
                          caplen, CAPTURE_MAX_CAPLEN);
    }
    const uint8_t *rec = capture__need(c, PCAP_REC_HDR + (size_t)caplen);
    if (!rec) {
        char why[160];
        int st = capture__short(c, PCAP_REC_HDR + (uint64_t)caplen, why, sizeof why);
        return pcap_fatal(c, st, "truncated record (captured length %u): %s", caplen, why);
    }
    vg_rd_init(&r, rec, PCAP_REC_HDR + (size_t)caplen);
    vg_rd_skip(&r, PCAP_REC_HDR);
    vg_rd_bytes(&r, caplen, &f->data);
    capture__advance(c, PCAP_REC_HDR + (size_t)caplen);
    c->record_no++;

    /* ts_sec is unsigned (draft-ietf-opsawg-pcap); a fraction past one second is folded into the
     * seconds so that nsec stays below 10^9 whatever the writer did. */
    uint64_t nsec = c->u.pcap.nsec ? frac : (uint64_t)frac * 1000u;
    f->ts.sec = (int64_t)sec + (int64_t)(nsec / 1000000000u);
    f->ts.nsec = (uint32_t)(nsec % 1000000000u);
    f->caplen = caplen;
    f->wirelen = wirelen;
    f->linktype = c->u.pcap.linktype;
    f->iface = 0;
    f->record_no = c->record_no;
    if (caplen > c->u.pcap.snaplen) capture__snap_over(c, c->record_no, caplen, c->u.pcap.snaplen);
    c->last_ts = f->ts;
    c->stats.frames++;
    c->stats.bytes += caplen;
    return VG_OK;
}

const struct capture_ops capture__pcap_ops = {
    .name = "pcap",
    .open = pcap_open,
    .next = pcap_next,
    .fini = NULL,
};
