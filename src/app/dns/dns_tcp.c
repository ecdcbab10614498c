/* dns_tcp.c - DNS over TCP framing (RFC 7766 8, RFC 1035 4.2.2): each message is preceded by
 * its length as a 2-byte big-endian integer; messages may be split across segments and several
 * may share one.
 *
 * Resumable byte state machine per direction (nginx's habit): the state is (prefix bytes seen,
 * message length, bytes of the message collected, bytes to skip, framing lost). Each input byte
 * is looked at once; a message that lies whole inside one chunk is parsed in place, only a split
 * message is copied into the direction's buffer (grown on demand, kept for the flow).
 */
#include <stdlib.h>
#include <string.h>

#include "app/dns/dns.h"
#include "core/vg_reader.h"
#include "core/vg_status.h"

struct dns_tcp_dir {
    uint8_t hdr[2];
    uint8_t nhdr;  /* length-prefix bytes collected: 0, 1, or 2 (then collecting the body) */
    uint32_t need; /* message length, valid when nhdr == 2 */
    uint32_t fill; /* body bytes collected */
    uint8_t *buf;  /* body of a split message; owned */
    uint32_t cap;
    uint32_t skip; /* bytes still to drop (rest of a message cut by a gap, or of one too big) */
    bool resync;   /* framing lost: accept the next chunk only if the probe accepts it */
};

struct dns_tcp_state {
    struct dns_arena *arena; /* not owned */
    struct dns_tcp_dir d[2];
    struct dns_tcp_counters c;
};

struct dns_tcp_state *dns_tcp_state_new(struct dns_arena *arena)
{
    if (!arena) return NULL;
    struct dns_tcp_state *st = calloc(1, sizeof *st);
    if (st) st->arena = arena;
    return st;
}

void dns_tcp_state_free(struct dns_tcp_state *st)
{
    if (!st) return;
    free(st->d[0].buf);
    free(st->d[1].buf);
    free(st);
}

const struct dns_tcp_counters *dns_tcp_counters(const struct dns_tcp_state *st)
{
    return &st->c;
}

static void deliver(struct dns_tcp_state *st, int dir, const uint8_t *p, size_t n, dns_emit_fn emit,
                    void *ud)
{
    struct dns_msg m;
    dns_arena_reset(st->arena);
    int rc = dns_parse_message(p, n, &m, st->arena);
    dns_msg_check_dir(&m, dir);
    st->c.msgs++;
    if (emit) emit(ud, dir, &m, rc, p, n);
}

/* grow makes room for n body bytes; false when memory is short. */
static bool grow(struct dns_tcp_dir *d, uint32_t n)
{
    if (d->cap >= n) return true;
    uint32_t cap = d->cap ? d->cap : 512;
    while (cap < n)
        cap *= 2;
    if (cap > 65535) cap = 65535;
    uint8_t *b = realloc(d->buf, cap);
    if (!b) return false;
    d->buf = b;
    d->cap = cap;
    return true;
}

/* A complete length prefix was read: prepare for the body. */
static void start_body(struct dns_tcp_state *st, struct dns_tcp_dir *d)
{
    d->need = vg_load_be16(d->hdr);
    d->fill = 0;
    if (d->need == 0) {
        st->c.zero_len++;
        d->nhdr = 0;
        return;
    }
    if (!grow(d, d->need)) {
        st->c.nomem++;
        d->skip = d->need;
        d->nhdr = 0;
    }
}

int dns_tcp_parse(struct dns_tcp_state *st, int dir, const uint8_t *data, size_t len,
                  struct vg_ts ts, dns_emit_fn emit, void *ud)
{
    (void)ts;
    if (!st || (dir != DNS_TOSERVER && dir != DNS_TOCLIENT) || (!data && len)) return VG_ERR_USAGE;
    struct dns_tcp_dir *d = &st->d[dir];
    size_t off = 0;

    if (d->resync && len > 0) {
        if (dns_probe_tcp(data, len) == VG_DECLINED) {
            st->c.resync_drops++;
            return VG_OK;
        }
        d->resync = false;
        st->c.resyncs++;
    }

    while (off < len) {
        size_t left = len - off;
        if (d->skip) {
            size_t n = left < d->skip ? left : d->skip;
            d->skip -= (uint32_t)n;
            off += n;
            continue;
        }
        if (d->nhdr < 2) {
            if (d->nhdr == 0 && left >= 2) {
                /* Fast path: a whole message in this chunk is parsed where it lies. */
                size_t mlen = vg_load_be16(data + off);
                if (mlen > 0 && left - 2 >= mlen) {
                    deliver(st, dir, data + off + 2, mlen, emit, ud);
                    off += 2 + mlen;
                    continue;
                }
            }
            d->hdr[d->nhdr++] = data[off++];
            if (d->nhdr == 2) start_body(st, d);
            continue;
        }
        size_t want = d->need - d->fill;
        size_t n = left < want ? left : want;
        memcpy(d->buf + d->fill, data + off, n);
        d->fill += (uint32_t)n;
        off += n;
        if (d->fill == d->need) {
            d->nhdr = 0;
            d->fill = 0;
            deliver(st, dir, d->buf, d->need, emit, ud);
        }
    }
    return VG_OK;
}

void dns_tcp_gap(struct dns_tcp_state *st, int dir, size_t len)
{
    if (!st || (dir != DNS_TOSERVER && dir != DNS_TOCLIENT) || len == 0) return;
    struct dns_tcp_dir *d = &st->d[dir];
    if (d->resync) return;
    if (d->skip) {
        if (len <= d->skip) {
            d->skip -= (uint32_t)len;
            return;
        }
    } else if (d->nhdr == 2) {
        size_t rest = d->need - d->fill;
        st->c.lost_partial++;
        d->nhdr = 0;
        d->fill = 0;
        if (len <= rest) { /* the gap ends inside (or at the end of) this message */
            d->skip = (uint32_t)(rest - len);
            return;
        }
    } else if (d->nhdr == 1) {
        st->c.lost_partial++;
    }
    /* The gap reaches past a message boundary we cannot locate: framing lost. */
    d->nhdr = 0;
    d->fill = 0;
    d->skip = 0;
    d->resync = true;
}
