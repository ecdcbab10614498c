/* tamper_baseline.c - what a sender's packets normally look like, and which contestant departs.
 *
 * Per flow direction, the baseline counts the sender's IP TTLs (with the inferred initial TTL
 * 32/64/128/255 and so the hop count), the IP ID pattern (incrementing, zero, random, copying the
 * peer's IDs), DF, the TCP option layout and raw window of non-SYN segments, the window scale of
 * its SYN, and its TCP timestamp clock (TSval ticks per second, RFC 7323). All counters can be
 * added to and subtracted from one packet at a time: a ring of the last TAMPER__RING packet
 * records lets a finding rebuild the baseline as it was just before the race, and at flow end the
 * contestants' own contributions are taken out again. So a contestant is never judged against a
 * baseline that contains itself.
 *
 * Which baseline: for each field the judgement prefers the packets sent before the first
 * contestant (an injector acts only after it saw the connection, and may send many packets once
 * it does: in the BroCon 2015 capture the forged segments outnumber the genuine ones), and falls
 * back to the whole flow minus the contestants when the earlier packets say nothing about that
 * field (a SYN/ACK says nothing about data-segment options or windows).
 *
 * Injected packets are typically crafted by a different IP stack than the genuine sender's
 * (Fox-IT's QUANTUMINSERT notes: different TTL, IP ID 1, no DF, no TCP options, window 8192), or
 * copy the fields of a packet they saw (HoneyBadger's tools copy the peer's IP ID and options).
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "tamper/tamper_int.h"

/* IP IDs of an incrementing sender advance by at least 1 (TSO super-packets by the number of
 * segments; Windows' global counter by other connections' packets) and rarely by this much. */
#define ID_STEP_MAX 12288

void tamper__base_init(struct tamper__base *b)
{
    memset(b, 0, sizeof *b);
    b->wscale = -1;
}

static unsigned win_bucket(uint16_t w)
{
    unsigned n = 0;
    while (w) {
        n++;
        w >>= 1;
    }
    return n;
}

static int ttl_find(const struct tamper__stats *st, uint8_t v)
{
    for (unsigned i = 0; i < st->ttl_used; i++)
        if (st->ttl_v[i] == v) return (int)i;
    return -1;
}

static uint32_t ttl_count(const struct tamper__stats *st, uint8_t v)
{
    int i = ttl_find(st, v);
    return i < 0 ? 0 : st->ttl_c[i];
}

static int lay_find(const struct tamper__stats *st, const uint8_t *lay, uint8_t len)
{
    for (unsigned i = 0; i < st->lay_used; i++)
        if (st->lay_len[i] == len && memcmp(st->lay[i], lay, len) == 0) return (int)i;
    return -1;
}

static uint8_t winv_add(struct tamper__stats *st, uint16_t w)
{
    for (unsigned i = 0; i < st->winv_used; i++)
        if (st->winv[i] == w) {
            st->winv_c[i]++;
            return (uint8_t)i;
        }
    if (st->winv_used < TAMPER__WIN_SLOTS) {
        st->winv[st->winv_used] = w;
        st->winv_c[st->winv_used] = 1;
        return st->winv_used++;
    }
    return TAMPER__SLOT_OTHER;
}

static bool in_recent(const struct tamper__base *b, uint16_t id)
{
    for (unsigned i = 0; i < b->recent_n; i++)
        if (b->recent_id[i] == id) return true;
    return false;
}

const struct tamper__rec *tamper__base_add(struct tamper__base *b, const struct tamper__base *peer,
                                           const struct packet *p)
{
    struct tamper__stats *st = &b->st;
    struct tamper__rec r;
    memset(&r, 0, sizeof r);
    r.pcap_cnt = p->pcap_cnt;
    r.ts = p->ts;
    r.ttl = p->ttl;
    r.df = p->df;
    r.tcp_flags = p->tcp_flags;
    r.ip_id = p->ip_id;
    r.window = p->tcp_win;
    r.ack = p->tcp_ack;
    r.has_ts = p->tcp_opts.has_ts;
    r.ts_val = p->tcp_opts.ts_val;
    r.lay_slot = r.win_slot = TAMPER__SLOT_NONE;
    bool syn = (p->tcp_flags & VG_TCP_SYN) != 0, rst = (p->tcp_flags & VG_TCP_RST) != 0;

    st->n++;
    int ti = ttl_find(st, p->ttl);
    if (ti < 0 && st->ttl_used < TAMPER__TTL_SLOTS) {
        ti = st->ttl_used++;
        st->ttl_v[ti] = p->ttl;
        st->ttl_c[ti] = 0;
    }
    if (ti >= 0)
        st->ttl_c[ti]++;
    else
        st->ttl_other++;
    st->df[p->df ? 1 : 0]++;

    if (!syn && !rst) {
        const struct vg_tcp_opts *o = &p->tcp_opts;
        uint8_t len = o->layout_len > 16 ? 16 : o->layout_len;
        int li = lay_find(st, o->layout, len);
        if (li < 0 && st->lay_used < TAMPER__LAY_SLOTS) {
            li = st->lay_used++;
            memcpy(st->lay[li], o->layout, len);
            st->lay_len[li] = len;
            st->lay_c[li] = 0;
        }
        if (li >= 0) {
            st->lay_c[li]++;
            r.lay_slot = (uint8_t)li;
        } else {
            st->lay_other++;
            r.lay_slot = TAMPER__SLOT_OTHER;
        }
        st->lay_n++;
        if (o->has_ts) st->ts_n++;
        st->win_b[win_bucket(p->tcp_win)]++;
        st->win_n++;
        r.win_slot = winv_add(st, p->tcp_win);
    }
    if (syn && p->tcp_opts.has_wscale) b->wscale = p->tcp_opts.wscale;

    /* IP ID: RSTs and zero-ID SYNs come from other code paths of a stack (Linux answers SYNs and
     * sends socket-less RSTs with ID 0 or a hashed ID) and would blur the pattern. */
    r.id_class = TAMPER__ID_NONE;
    if (p->ip_ver == 4 && !rst && !(syn && p->ip_id == 0)) {
        if (p->ip_id == 0) {
            r.id_class = TAMPER__ID_ZERO;
            st->id_zero++;
        } else {
            st->id_nz++;
            if (!b->have_last_nz) {
                r.id_class = TAMPER__ID_FIRST;
            } else {
                /* Compared with the last two distinct IDs, so that one outlier (an injected
                 * packet) does not also make the next genuine packet look out of sequence. */
                uint16_t d = (uint16_t)(p->ip_id - b->last_nz_id);
                uint16_t d2 = (uint16_t)(p->ip_id - b->prev_nz_id);
                if (d == 0) {
                    r.id_class = TAMPER__ID_DUP;
                    st->id_dup++;
                } else if (d <= ID_STEP_MAX || (b->have_prev_nz && d2 && d2 <= ID_STEP_MAX)) {
                    r.id_class = TAMPER__ID_INC;
                    r.id_step = (uint8_t)win_bucket(d <= ID_STEP_MAX ? d : d2);
                    st->id_inc++;
                    st->id_step[r.id_step]++;
                } else {
                    r.id_class = TAMPER__ID_OTHER;
                    st->id_other++;
                }
            }
            if (!b->have_last_nz || b->last_nz_id != p->ip_id) {
                b->prev_nz_id = b->last_nz_id;
                b->have_prev_nz = b->have_last_nz;
            }
            b->have_last_nz = true;
            b->last_nz_id = p->ip_id;
            if (peer && in_recent(peer, p->ip_id)) {
                r.id_copy = true;
                r.pflags |= TAMPER__PF_ID_COPIES_PEER;
                st->id_copy++;
            }
        }
    }
    if (p->ip_ver == 4 && p->ip_id != 0) {
        b->recent_id[b->recent_pos] = p->ip_id;
        b->recent_pos = (uint8_t)((b->recent_pos + 1) % TAMPER__RECENT_IDS);
        if (b->recent_n < TAMPER__RECENT_IDS) b->recent_n++;
    }

    /* RFC 7323 section 3.2: TSecr is valid with ACK and echoes a TSval the peer sent. */
    const struct vg_tcp_opts *o = &p->tcp_opts;
    if (o->has_ts && (p->tcp_flags & VG_TCP_ACK) && peer && peer->ts_have) {
        if (o->ts_ecr == 0 && peer->ts_max != 0)
            r.pflags |= TAMPER__PF_TS_ECR_ZERO;
        else if (o->ts_ecr != 0 && tamper__seq_gt(o->ts_ecr, peer->ts_max))
            r.pflags |= TAMPER__PF_TS_ECR_UNSENT;
    }
    if (o->has_ts && !rst) {
        if (!b->ts_have) {
            b->ts_have = true;
            b->ts_first_val = b->ts_max = o->ts_val;
            b->ts_first_t = p->ts;
        } else if (tamper__seq_gt(o->ts_val, b->ts_max)) {
            b->ts_max = o->ts_val;
        }
        b->ts_last_val = o->ts_val;
        b->ts_last_t = p->ts;
    }

    struct tamper__rec *slot = &b->ring[b->ring_pos];
    *slot = r;
    b->ring_pos = (uint8_t)((b->ring_pos + 1) % TAMPER__RING);
    if (b->ring_n < TAMPER__RING) b->ring_n++;
    return slot;
}

/* The i-th oldest record of the ring. */
static const struct tamper__rec *ring_at(const struct tamper__base *b, unsigned i)
{
    unsigned start = (b->ring_pos + TAMPER__RING - b->ring_n) % TAMPER__RING;
    return &b->ring[(start + i) % TAMPER__RING];
}

const struct tamper__rec *tamper__base_find(const struct tamper__base *b, uint64_t pcap_cnt)
{
    for (unsigned i = 0; i < b->ring_n; i++) {
        const struct tamper__rec *r = ring_at(b, i);
        if (r->pcap_cnt == pcap_cnt) return r;
    }
    return NULL;
}

static void dec(uint32_t *c)
{
    if (*c) (*c)--;
}

void tamper__stats_sub(struct tamper__stats *st, const struct tamper__rec *r)
{
    dec(&st->n);
    int ti = ttl_find(st, r->ttl);
    if (ti >= 0 && st->ttl_c[ti])
        st->ttl_c[ti]--;
    else
        dec(&st->ttl_other);
    dec(&st->df[r->df ? 1 : 0]);
    if (r->lay_slot != TAMPER__SLOT_NONE) {
        if (r->lay_slot < TAMPER__LAY_SLOTS)
            dec(&st->lay_c[r->lay_slot]);
        else
            dec(&st->lay_other);
        dec(&st->lay_n);
        if (r->has_ts) dec(&st->ts_n);
        dec(&st->win_b[win_bucket(r->window)]);
        dec(&st->win_n);
        if (r->win_slot < TAMPER__WIN_SLOTS) dec(&st->winv_c[r->win_slot]);
    }
    switch (r->id_class) {
    case TAMPER__ID_ZERO:
        dec(&st->id_zero);
        break;
    case TAMPER__ID_FIRST:
        dec(&st->id_nz);
        break;
    case TAMPER__ID_INC:
        dec(&st->id_nz);
        dec(&st->id_inc);
        dec(&st->id_step[r->id_step]);
        break;
    case TAMPER__ID_DUP:
        dec(&st->id_nz);
        dec(&st->id_dup);
        break;
    case TAMPER__ID_OTHER:
        dec(&st->id_nz);
        dec(&st->id_other);
        break;
    default:
        break;
    }
    if (r->id_copy) dec(&st->id_copy);
}

bool tamper__base_before(const struct tamper__base *b, uint64_t from, struct tamper__stats *out)
{
    *out = b->st;
    for (unsigned i = 0; i < b->ring_n; i++) {
        const struct tamper__rec *r = ring_at(b, i);
        if (r->pcap_cnt >= from) tamper__stats_sub(out, r);
    }
    if (b->st.n == b->ring_n) return true; /* the ring still holds every packet */
    return b->ring_n > 0 && ring_at(b, 0)->pcap_cnt < from;
}

uint32_t tamper__base_ts_hz(const struct tamper__base *b)
{
    if (!b->ts_have) return 0;
    int64_t dt_us = vg_ts_diff_us(b->ts_last_t, b->ts_first_t);
    int32_t dv = (int32_t)(b->ts_last_val - b->ts_first_val);
    if (dt_us < 500000 || dv <= 0) return 0;
    double hz = (double)dv * 1e6 / (double)dt_us;
    /* Common clock rates (RFC 7323 recommends 1 ms to 1 s per tick). */
    static const uint32_t known[] = {1, 2, 10, 100, 128, 250, 300, 1000};
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
        if (hz > known[i] * 0.75 && hz < known[i] * 1.25) return known[i];
    return hz < 1 ? 1 : (uint32_t)(hz + 0.5);
}

const char *tamper__stats_id_pattern(const struct tamper__stats *st)
{
    /* Repeated IDs are left out of the ratio: they are either the same packet seen twice or a
     * forgery reusing the sender's last ID, and say nothing about how the sender counts. */
    uint32_t samples = st->id_zero + st->id_nz;
    uint32_t deltas = st->id_inc + st->id_other;
    if (samples < 2) return "unknown";
    if (st->id_zero * 5 >= samples * 4) return "zero";
    if (st->id_nz >= 2 && st->id_copy * 2 >= st->id_nz) return "copies_peer";
    if (deltas >= 1 && st->id_inc * 5 >= deltas * 3) return "incrementing";
    if (deltas >= 2) return "random";
    return "unknown";
}

static bool id_counted_nz(const struct tamper__rec *r)
{
    return r->id_class >= TAMPER__ID_FIRST;
}

void tamper__pending_init(struct tamper__pending *pd, const struct tamper__base *b, int dir,
                          uint64_t first_cnt, uint64_t second_cnt)
{
    pd->dir = dir;
    pd->pre_exact = tamper__base_before(b, first_cnt, &pd->pre);
    const struct tamper__rec *r = tamper__base_find(b, first_cnt);
    if (r) {
        pd->rec[0] = *r;
        pd->rec_valid[0] = true;
    }
    r = tamper__base_find(b, second_cnt);
    if (r && second_cnt != first_cnt) {
        pd->rec[1] = *r;
        pd->rec_valid[1] = true;
    }
    for (unsigned i = 0; i < b->ring_n; i++) {
        r = ring_at(b, i);
        if (r->pcap_cnt < first_cnt) {
            if (id_counted_nz(r)) {
                pd->prev_id = r->ip_id;
                pd->have_prev_id = true;
            }
            if (r->has_ts && !(r->tcp_flags & VG_TCP_RST)) {
                pd->have_prev_ts = true;
                pd->prev_ts_val = r->ts_val;
                pd->prev_ts_t = r->ts;
            }
        } else if (r->pcap_cnt > first_cnt && r->pcap_cnt < second_cnt && id_counted_nz(r)) {
            if (!pd->have_between_id) pd->between_first_id = r->ip_id;
            pd->between_last_id = r->ip_id;
            pd->have_between_id = true;
        }
    }
}

void tamper__pending_packet(struct tamper__pending *pd, const struct packet *p)
{
    if (pd->have_post_id || p->ip_ver != 4 || p->ip_id == 0 || (p->tcp_flags & VG_TCP_RST)) return;
    pd->post_id = p->ip_id;
    pd->have_post_id = true;
}

/* ---- judging ------------------------------------------------------------------------------- */

/* How far the sender's IP ID may plausibly move from one packet to the next: four times its usual
 * step (per-connection counters move by 1, or by the segment count of a TSO super-packet; global
 * counters by other connections' traffic), at least 256. "Usual" is the 75th percentile of the
 * steps seen, so that the one big step into or out of an injected packet's ID does not count. */
static uint16_t id_step_bound(const struct tamper__stats *st)
{
    uint32_t n = 0, seen = 0;
    for (unsigned i = 0; i < 17; i++)
        n += st->id_step[i];
    unsigned top = 0;
    uint32_t want = n ? (n - 1) * 3 / 4 + 1 : 0; /* rank of the 75th percentile, 1-based */
    for (unsigned i = 0; i < 17 && seen < want; i++) {
        seen += st->id_step[i];
        top = i;
    }
    uint32_t bound = top ? 4u << top : 0;
    if (bound < 256) bound = 256;
    return (uint16_t)(bound > ID_STEP_MAX ? ID_STEP_MAX : bound);
}

static uint8_t initial_ttl(uint8_t ttl)
{
    return ttl <= 32 ? 32 : ttl <= 64 ? 64 : ttl <= 128 ? 128 : 255;
}

/* Most frequent TTL of st (0 when none). */
static uint8_t ttl_top(const struct tamper__stats *st)
{
    uint8_t v = 0;
    uint32_t best = 0;
    for (unsigned i = 0; i < st->ttl_used; i++)
        if (st->ttl_c[i] > best) {
            best = st->ttl_c[i];
            v = st->ttl_v[i];
        }
    return v;
}

static int lay_top(const struct tamper__stats *st)
{
    int li = -1;
    uint32_t best = 0;
    for (unsigned i = 0; i < st->lay_used; i++)
        if (st->lay_c[i] > best) {
            best = st->lay_c[i];
            li = (int)i;
        }
    return li;
}

static int winv_top(const struct tamper__stats *st)
{
    int wi = -1;
    uint32_t best = 0;
    for (unsigned i = 0; i < st->winv_used; i++)
        if (st->winv_c[i] > best) {
            best = st->winv_c[i];
            wi = (int)i;
        }
    return wi;
}

struct basis {
    const struct tamper__stats *ttl, *lay, *win, *id; /* NULL: no baseline for the field */
    struct tamper__stats full;
    const struct tamper__pending *pd;
    uint32_t hz;
};

static void basis_init(struct basis *bs, const struct tamper__pending *pd,
                       const struct tamper__base *b)
{
    memset(bs, 0, sizeof *bs);
    bs->pd = pd;
    bs->full = b->st;
    for (int i = 0; i < 2; i++)
        if (pd->rec_valid[i]) tamper__stats_sub(&bs->full, &pd->rec[i]);
    const struct tamper__stats *pre = &pd->pre, *full = &bs->full;
    bs->ttl = pre->n ? pre : full->n ? full : NULL;
    bs->lay = pre->lay_n ? pre : full->lay_n ? full : NULL;
    bs->win = pre->win_n ? pre : full->win_n ? full : NULL;
    bs->id = strcmp(tamper__stats_id_pattern(pre), "unknown") != 0 ? pre : full;
    bs->hz = tamper__base_ts_hz(b);
}

/* Appends "; "-separated text to buf. */
void tamper__add_txt(char *buf, size_t n, const char *fmt, ...)
{
    size_t l = strlen(buf);
    if (l + 3 >= n) return;
    char *at = buf + l;
    if (l) {
        memcpy(at, "; ", 3);
        at += 2;
    }
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(at, n - (size_t)(at - buf), fmt, ap);
    va_end(ap);
}

/* Judges one contestant (which: 0 first, 1 second); returns the departs mask and describes each
 * departure in why. *strong gets the departures judged on the packets sent before the race (or on
 * the packet's own protocol consistency), which an injector cannot have polluted. */
static uint8_t judge_one(const struct basis *bs, const struct tamper_contestant *c, int which,
                         uint8_t pflags, char *why, size_t whyn, uint8_t *strong)
{
    const struct tamper__pending *pd = bs->pd;
    const struct tamper__stats *pre = &pd->pre;
    uint8_t dep = 0, st = 0;
    bool syn = (c->tcp_flags & VG_TCP_SYN) != 0, rst = (c->tcp_flags & VG_TCP_RST) != 0;
    why[0] = '\0';

    if (bs->ttl && !ttl_count(bs->ttl, c->ttl)) {
        uint8_t top = ttl_top(bs->ttl);
        dep |= TAMPER_DEP_TTL;
        if (bs->ttl == pre) st |= TAMPER_DEP_TTL;
        unsigned h1 = initial_ttl(c->ttl) - c->ttl, h2 = initial_ttl(top) - top;
        tamper__add_txt(why, whyn, "TTL %u (%u hop%s from %u) vs %u (%u hop%s from %u)", c->ttl, h1,
                h1 == 1 ? "" : "s", initial_ttl(c->ttl), top, h2, h2 == 1 ? "" : "s",
                initial_ttl(top));
    }

    /* IP ID (IPv4; not for RSTs, which most stacks build on another code path). */
    if (!rst && c->ip_id != 0 && (pflags & TAMPER__PF_ID_COPIES_PEER) &&
        strcmp(tamper__stats_id_pattern(&pd->pre), "copies_peer") != 0) {
        dep |= TAMPER_DEP_IP_ID;
        st |= TAMPER_DEP_IP_ID;
        tamper__add_txt(why, whyn, "IP ID 0x%04x copies one the peer just sent", c->ip_id);
    } else if (!rst && bs->id) {
        const char *pat = tamper__stats_id_pattern(bs->id);
        if (bs->id == pre) st |= TAMPER_DEP_IP_ID; /* cleared below when nothing departs */
        if (strcmp(pat, "zero") == 0 && c->ip_id != 0) {
            dep |= TAMPER_DEP_IP_ID;
            tamper__add_txt(why, whyn, "IP ID 0x%04x where the sender uses 0", c->ip_id);
        } else if (strcmp(pat, "incrementing") == 0 && c->ip_id != 0) {
            bool hp, hn;
            uint16_t prev, next;
            if (which == 0) {
                hp = pd->have_prev_id, prev = pd->prev_id;
                hn = pd->have_between_id || pd->have_post_id;
                next = pd->have_between_id ? pd->between_first_id : pd->post_id;
            } else {
                hp = pd->have_prev_id || pd->have_between_id;
                prev = pd->have_prev_id ? pd->prev_id : pd->between_last_id;
                hn = pd->have_post_id, next = pd->post_id;
            }
            uint16_t d1 = (uint16_t)(c->ip_id - prev), d2 = (uint16_t)(next - c->ip_id);
            uint16_t bound = id_step_bound(bs->id);
            if (hp && d1 == 0) {
                dep |= TAMPER_DEP_IP_ID;
                tamper__add_txt(why, whyn, "IP ID 0x%04x repeats the sender's previous one", c->ip_id);
            } else if ((hp && d1 > bound) || (hn && (d2 == 0 || d2 > bound))) {
                dep |= TAMPER_DEP_IP_ID;
                tamper__add_txt(why, whyn,
                        "IP ID 0x%04x outside the sender's incrementing sequence (%s 0x%04x, "
                        "steps up to %u)",
                        c->ip_id, (hp && d1 > bound) ? "after" : "before",
                        (hp && d1 > bound) ? prev : next, bound);
            }
        }
    }

    st &= (uint8_t)(dep | ~TAMPER_DEP_IP_ID);
    if (bs->ttl && !bs->ttl->df[c->df ? 1 : 0]) {
        dep |= TAMPER_DEP_DF;
        if (bs->ttl == pre) st |= TAMPER_DEP_DF;
        tamper__add_txt(why, whyn, "DF %d vs %d", c->df ? 1 : 0, c->df ? 0 : 1);
    }

    if (!syn && !rst && bs->lay) {
        uint8_t len = c->opts.layout_len > 16 ? 16 : c->opts.layout_len;
        int li = lay_find(bs->lay, c->opts.layout, len);
        if ((li < 0 && !bs->lay->lay_other) || (li >= 0 && !bs->lay->lay_c[li])) {
            char a[80], bstr[80];
            int top = lay_top(bs->lay);
            dep |= TAMPER_DEP_TCP_OPTIONS;
            if (bs->lay == pre) st |= TAMPER_DEP_TCP_OPTIONS;
            tamper_options_str(c->opts.layout, len, a, sizeof a);
            if (top >= 0)
                tamper_options_str(bs->lay->lay[top], bs->lay->lay_len[top], bstr, sizeof bstr);
            else
                bstr[0] = '\0';
            tamper__add_txt(why, whyn, "options \"%s\" vs \"%s\"", a, bstr);
        }
    } else if (syn && bs->full.lay_n >= 2) {
        /* A SYN/ACK has no SYN/ACK to compare with; its timestamps must agree with the sender's
         * later segments (RFC 7323: TS is used only when both SYNs carried it). */
        bool uses = bs->full.ts_n * 10 >= bs->full.lay_n * 9, never = bs->full.ts_n == 0;
        if ((c->opts.has_ts && never) || (!c->opts.has_ts && uses)) {
            dep |= TAMPER_DEP_TCP_OPTIONS;
            tamper__add_txt(why, whyn, "SYN %s timestamps, the sender's segments %s",
                    c->opts.has_ts ? "offers" : "lacks", never ? "never carry them" : "carry them");
        }
    }

    if (!syn && !rst && bs->win) {
        unsigned wb = win_bucket(c->window);
        uint32_t near = bs->win->win_b[wb];
        if (wb > 0) near += bs->win->win_b[wb - 1];
        if (wb + 1 < TAMPER__WIN_BUCKETS) near += bs->win->win_b[wb + 1];
        if (!near) {
            int wi = winv_top(bs->win);
            dep |= TAMPER_DEP_WINDOW;
            if (bs->win == pre) st |= TAMPER_DEP_WINDOW;
            tamper__add_txt(why, whyn, "window %u vs %u", c->window, wi >= 0 ? bs->win->winv[wi] : 0);
        }
    }

    if (c->opts.has_ts) {
        if (pflags & TAMPER__PF_TS_ECR_ZERO) {
            dep |= TAMPER_DEP_TS;
            st |= TAMPER_DEP_TS;
            tamper__add_txt(why, whyn, "TS echo 0 though the peer sends timestamps");
        } else if (pflags & TAMPER__PF_TS_ECR_UNSENT) {
            dep |= TAMPER_DEP_TS;
            st |= TAMPER_DEP_TS;
            tamper__add_txt(why, whyn, "TS echo %u is a value the peer never sent", c->opts.ts_ecr);
        } else if (pd->have_prev_ts && !rst) {
            uint32_t hz = bs->hz ? bs->hz : 1000;
            int64_t dt_us = vg_ts_diff_us(c->ts, pd->prev_ts_t);
            if (dt_us < 0) dt_us = 0;
            int64_t predicted = (int64_t)pd->prev_ts_val + (int64_t)hz * dt_us / 1000000;
            int64_t off = (int64_t)(int32_t)(c->opts.ts_val - (uint32_t)predicted);
            int64_t tol = (int64_t)hz * 2 + 100;
            if (off > tol || off < -tol) {
                dep |= TAMPER_DEP_TS;
                st |= TAMPER_DEP_TS;
                tamper__add_txt(why, whyn, "TSval %u off the sender's %u Hz clock by %lld ticks",
                        c->opts.ts_val, hz, (long long)off);
            }
        }
    }
    *strong = st & dep;
    return dep;
}

static unsigned popcount8(uint8_t v)
{
    unsigned n = 0;
    for (; v; v &= (uint8_t)(v - 1))
        n++;
    return n;
}

static bool twins(const struct tamper_contestant *a, const struct tamper_contestant *b)
{
    return a->departs == b->departs && a->ttl == b->ttl && a->ip_id == b->ip_id && a->df == b->df &&
           a->window == b->window && a->opts.layout_len == b->opts.layout_len &&
           memcmp(a->opts.layout, b->opts.layout,
                  a->opts.layout_len > 16 ? 16 : a->opts.layout_len) == 0;
}

static void summarize(struct tamper_baseline_summary *s, const struct basis *bs,
                      const struct tamper__base *b, const struct tamper__pending *pd)
{
    memset(s, 0, sizeof *s);
    s->samples = bs->full.n;
    s->samples_before = pd->pre.n;
    s->df = -1;
    s->wscale = b->wscale;
    s->ts_hz = bs->hz;
    s->ip_id = tamper__stats_id_pattern(bs->id);
    const struct tamper__stats *t = bs->ttl;
    if (t) {
        /* TTL values by count, most frequent first (selection of up to 4). */
        bool used[TAMPER__TTL_SLOTS] = {false};
        while (s->n_ttl < 4) {
            int best = -1;
            for (unsigned i = 0; i < t->ttl_used; i++)
                if (!used[i] && t->ttl_c[i] && (best < 0 || t->ttl_c[i] > t->ttl_c[best]))
                    best = (int)i;
            if (best < 0) break;
            used[best] = true;
            s->ttl[s->n_ttl++] = t->ttl_v[best];
        }
        if (s->n_ttl) {
            s->initial_ttl = initial_ttl(s->ttl[0]);
            s->hops = (uint8_t)(s->initial_ttl - s->ttl[0]);
        }
        if (t->df[0] + t->df[1]) s->df = t->df[1] >= t->df[0] ? 1 : 0;
    }
    if (bs->lay) {
        int li = lay_top(bs->lay);
        if (li >= 0) {
            s->has_options = true;
            s->layout_len = bs->lay->lay_len[li];
            memcpy(s->layout, bs->lay->lay[li], s->layout_len);
        }
    }
    if (bs->win) {
        int wi = winv_top(bs->win);
        if (wi >= 0) {
            s->has_window = true;
            s->window = bs->win->winv[wi];
        }
    }
}

uint8_t tamper__initial_ttl(uint8_t ttl)
{
    return initial_ttl(ttl);
}
uint8_t tamper__stats_ttl_top(const struct tamper__stats *st)
{
    return ttl_top(st);
}
uint32_t tamper__stats_ttl_count(const struct tamper__stats *st, uint8_t ttl)
{
    return ttl_count(st, ttl);
}
bool tamper__stats_has_layout(const struct tamper__stats *st, const uint8_t *lay, uint8_t len)
{
    if (len > 16) len = 16;
    int li = lay_find(st, lay, len);
    return li >= 0 ? st->lay_c[li] > 0 : st->lay_other > 0;
}
uint16_t tamper__stats_id_bound(const struct tamper__stats *st)
{
    return id_step_bound(st);
}
void tamper__summary_from_stats(struct tamper_baseline_summary *s, const struct tamper__stats *st,
                                const struct tamper__base *b)
{
    struct tamper__pending pd;
    memset(&pd, 0, sizeof pd);
    pd.pre = *st;
    struct basis bs;
    memset(&bs, 0, sizeof bs);
    bs.pd = &pd;
    bs.full = *st;
    bs.ttl = st->n ? st : NULL;
    bs.lay = st->lay_n ? st : NULL;
    bs.win = st->win_n ? st : NULL;
    bs.id = st;
    bs.hz = tamper__base_ts_hz(b);
    summarize(s, &bs, b, &pd);
}

void tamper__judge(struct tamper_finding *fd, const struct tamper__pending *pd,
                   const struct tamper__base *b)
{
    struct basis bs;
    basis_init(&bs, pd, b);
    char why[2][TAMPER_REASON_LEN];
    uint8_t strong[2];
    for (int i = 0; i < 2; i++) {
        struct tamper_contestant *c = &fd->c[i];
        uint8_t pf = pd->rec_valid[i] ? pd->rec[i].pflags : 0;
        c->departs = judge_one(&bs, c, i, pf, why[i], sizeof why[i], &strong[i]);
    }
    struct tamper_contestant *c0 = &fd->c[0], *c1 = &fd->c[1];
    unsigned d0 = popcount8(c0->departs), d1 = popcount8(c1->departs);
    unsigned s0 = popcount8(strong[0]), s1 = popcount8(strong[1]);
    for (int i = 0; i < 2; i++)
        if (fd->c[i].departs)
            tamper__reason(fd, "pcap_cnt %llu departs from the sender's baseline: %s",
                           (unsigned long long)fd->c[i].pcap_cnt, why[i]);

    /* Verdicts. Departures judged on the packets before the race (strong) outweigh those judged
     * on the whole flow, which the injector's own later packets may have filled. */
    int score = pd->score, bonus = 0;
    unsigned dforged = 0;
    int forged = -1, genuine = -1;
    c0->verdict = c1->verdict = TAMPER_VERDICT_UNKNOWN;
    if (!d0 && !d1) {
        tamper__reason(fd,
                       "neither contestant departs from the sender's baseline: verdicts unknown");
    } else if (!d0 || !d1) {
        forged = d0 ? 0 : 1;
        genuine = forged ^ 1;
    } else if ((s0 && !s1) || (s1 && !s0)) {
        forged = s0 ? 0 : 1;
        genuine = forged ^ 1;
        tamper__reason(fd,
                       "pcap_cnt %llu departs only from the whole-flow baseline, which the "
                       "injector's packets may have filled; it matches the sender before the race",
                       (unsigned long long)fd->c[genuine].pcap_cnt);
    } else if (s0 != s1 || d0 != d1) {
        forged = (s0 != s1) ? (s0 > s1 ? 0 : 1) : (d0 > d1 ? 0 : 1);
        tamper__reason(fd,
                       "verdict: both depart; pcap_cnt %llu departs in more fields (%u vs %u): "
                       "forged, the other unknown",
                       (unsigned long long)fd->c[forged].pcap_cnt, forged ? d1 : d0,
                       forged ? d0 : d1);
        fd->c[forged].verdict = TAMPER_VERDICT_FORGED;
        dforged = forged ? d1 : d0;
        bonus = 10;
        forged = -1;
    } else if (twins(c0, c1)) {
        c0->verdict = c1->verdict = TAMPER_VERDICT_FORGED;
        dforged = d0;
        bonus = 10;
        tamper__reason(fd, "verdict: both contestants depart the same way (same TTL, IP ID, DF, "
                           "options, window): both look injected");
    } else {
        tamper__reason(fd, "both contestants depart from the baseline equally: verdicts unknown");
    }
    if (forged >= 0) {
        fd->c[forged].verdict = TAMPER_VERDICT_FORGED;
        fd->c[genuine].verdict = TAMPER_VERDICT_GENUINE;
        dforged = forged ? d1 : d0;
        bonus = 15;
        tamper__reason(fd,
                       "verdict: pcap_cnt %llu forged (%u field%s depart%s), pcap_cnt %llu "
                       "genuine",
                       (unsigned long long)fd->c[forged].pcap_cnt, dforged, dforged == 1 ? "" : "s",
                       dforged == 1 ? "s" : "", (unsigned long long)fd->c[genuine].pcap_cnt);
    }
    if (bonus) bonus += 5 * (int)(dforged > 5 ? 5 : dforged);
    score += bonus;
    if (score > pd->score_cap) score = pd->score_cap;
    if (score < 1) score = 1;
    fd->confidence = (uint8_t)score;
    summarize(&fd->baseline, &bs, b, pd);
}
