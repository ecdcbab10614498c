/* tamper_lan.c - ARP spoofing (class arp_spoof) and IPv6 Neighbor Discovery spoofing (nd_spoof).
 *
 * References: RFC 826 (ARP), RFC 5227 (ARP probes and announcements: a host sends a few
 * gratuitous ARPs when its address or link comes up), RFC 4861 (Neighbor Discovery: NA flags
 * R/S/O, up to MAX_NEIGHBOR_ADVERTISEMENT = 3 unsolicited NAs on a link-layer change, RA router
 * lifetime and prefix information), RFC 4191 (RA default router preference), RFC 6105 (RA-Guard:
 * what a rogue RA looks like), RFC 5798 (VRRP virtual MACs 00:00:5e:00:01:xx / 00:00:5e:00:02:xx),
 * Cisco HSRP (00:00:0c:07:ac:xx), OpenBSD CARP (VRRP's MACs).
 *
 * Model. A table binds each IP address to the MAC that claims it (ARP sender fields, NS/RA source
 * link-layer option, NA target link-layer option). A claim by another MAC is a "change". A change
 * is benign when the old MAC had gone silent (a DHCP lease reused, a NIC replaced: counted as a
 * rebind); otherwise the binding is "contested" and scored each time new evidence arrives:
 *
 *   +20  the old MAC is still active (sends frames) after the change
 *   +30  the binding flip-flops (old -> new -> old) within a minute and the challenger sent
 *        unsolicited claims (+10 per further flip, at most +50); +5 when every claim answered a
 *        request (two answers to one request: proxy ARP next to the host itself)
 *   +10 / +20 / +30  1 / 3 / 5+ unsolicited replies (ARP reply or NA without S) by the challenger
 *   +5 / +25  gratuitous announcements: bursts (what a failover or boot sends) / more than 5
 *        within 30 s spread over 10 s or more (poisoning by announcements)
 *   +10  the challenger's unsolicited claims span 10 s or more (a tool re-poisoning a cache)
 *   +15  the address is a gateway (its MAC sends IPv4 from 2+ source addresses, i.e. forwards,
 *        3+ hosts asked for it, or it sent router advertisements)
 *   +15  the challenger took 2+ addresses from live owners (man in the middle both ways)
 *   -40  a virtual router MAC (VRRP, HSRP, CARP) is involved: a failover
 * A finding is reported once per binding when the score reaches TAMPER_LAN_FLOOR (60).
 *
 * Impersonation: a MAC that claimed X asks (under another address of its own) who has X; see
 * impersonation() below.
 *
 * Gratuitous storms: per sender MAC, gratuitous (sender IP = target IP) and unsolicited ARP in a
 * 10 s window; 20 or more is a storm (a boot sends 1-3, keepalived 5 per burst).
 *
 * Router advertisements (nd_spoof): routers are keyed by their link-local address.
 *   rogue_ra: a router never seen before advertises while an established router (first seen 30 s
 *   or more earlier) exists: 35 + 20 for a prefix no known router advertised + 15 when an
 *   established router is still active afterwards + 10 for high preference + 5 for a non-zero
 *   lifetime + 30 when 5+ new routers appeared within 10 s (an RA flood) - 40 for a virtual MAC.
 *   Routers seen before any router was established (two routers from the start) are legitimate.
 *   ra_spoof: an RA from a known router's link-local but another MAC: 40 + 20 when the router's
 *   MAC is active within a minute + 15 for a changed lifetime (0: the default route withdrawn) +
 *   10 for a changed prefix + 30 when the link-layer option differs from the Ethernet source
 *   - 40 for a virtual MAC.
 *   na_override: an IPv6 binding contested through NAs, scored like ARP above.
 */
#include "tamper/tamper.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <xxhash.h>

#include "core/vg_alloc.h"
#include "decode/packet.h"
#include "tamper/tamper_int.h"

#define LAN_PROBE 8 /* probe window of the open-addressing tables */
#define LAN_US 1000000LL
#define LAN_SILENT_US (60 * LAN_US) /* an old MAC quiet this long before a change */
#define LAN_ALIVE_US (60 * LAN_US)  /* "active" window around a change */
#define LAN_FLIP_US (60 * LAN_US)   /* flip-flops count within this window */
#define LAN_SOLICIT_US (3 * LAN_US) /* a reply within this time of a request answers it */
#define LAN_PERSIST_US (10 * LAN_US)
#define LAN_STORM_US (10 * LAN_US)
#define LAN_ANN_WINDOW_US (30 * LAN_US)
#define LAN_STORM_N 20
#define LAN_BIND_AGE_US (4 * 3600 * LAN_US) /* a binding unseen this long may be reused */
#define LAN_ROUTERS 16
#define LAN_ESTABLISHED_US (30 * LAN_US)
#define LAN_FLOOD_N 5

struct lan_frame {
    struct tamper_lan_contestant c;
};

struct lan_bind {
    struct vg_addr ip; /* family 0: empty slot */
    uint32_t seg;      /* VLAN ids: one address may live on several VLANs of a trunk */
    bool has_mac;
    uint8_t mac[6];      /* current binding */
    uint8_t orig_mac[6]; /* owner before the first contested change */
    uint8_t chal_mac[6]; /* the latest challenger (a MAC other than orig) */
    int64_t first_us, last_us;
    int64_t last_req_us; /* last request / NS for this address */
    int64_t change_us;   /* first change of the current contest (0: none) */
    int64_t last_change_us;
    int64_t first_unsol_us, last_unsol_us;
    int64_t ann_w_us; /* start of the current 30 s announcement window */
    uint32_t ann_w_n; /* announcements in it */
    bool ann_many;    /* more than 5 within 30 s, spread over 10 s or more (sticky) */
    uint32_t flips, unsol, ann, sol_chal, changes;
    uint32_t req_hash[4];
    uint8_t n_req;
    bool router; /* sent RAs / NA with R */
    bool reported;
    bool imp_reported;
    uint32_t cur_unsol; /* unsolicited claims by the current MAC since it took the address */
    bool contest;
    bool chal_virtual;
    struct tamper_lan_contestant orig_c; /* the claim that established orig_mac */
    struct tamper_lan_contestant chal_c; /* the challenger's first claim */
};

struct lan_mac {
    bool used;
    uint8_t mac[6];
    int64_t first_us, last_us;
    uint32_t src_hash[4];
    uint8_t n_src; /* distinct source addresses behind this MAC (saturates at 4) */
    int64_t win_us;
    uint32_t win_cnt;
    uint32_t win_ips;
    uint32_t win_ip_hash[8];
    bool storm_reported;
    uint32_t taken; /* addresses taken from a live owner with unsolicited claims */
    uint32_t taken_hash[8];
    struct tamper_lan_contestant storm_c;
};

struct lan_router {
    bool used;
    uint32_t seg;
    struct vg_addr ll;
    uint8_t mac[6];
    int64_t first_us, last_us;
    uint32_t n_ra;
    uint16_t lifetime;
    struct vg_addr prefix;
    uint8_t prefix_len;
    bool candidate; /* appeared after an established router: judged as a rogue */
    bool reported, spoof_reported;
    int64_t first_ra_us;
    uint8_t prf;
    bool virt;
    struct tamper_lan_contestant est;
};

struct tamper__lan {
    uint32_t nb, nm; /* table sizes */
    uint32_t cap_b;
    struct lan_bind *b;
    struct lan_mac *m;
    struct lan_router r[LAN_ROUTERS];
    int64_t flood_win_us;
    uint32_t flood_cnt;
    bool flood_reported;
    int64_t last_rogue_us;  /* last rogue_ra report (0: none) */
    struct lan_mac *last_m; /* the previous frame's source entry: runs of frames from one MAC
                             * skip the hash (valid while its mac still matches) */
    uint32_t min_conf;
    uint32_t seg;                 /* VLAN ids of the packet being judged (0: untagged) */
    struct tamper_lan_finding fd; /* scratch for the finding being emitted */
};

struct tamper__lan *tamper__lan_new(const struct tamper_config *cfg)
{
    struct tamper__lan *l = vg_calloc(1, sizeof *l);
    if (!l) return NULL;
    l->nb = cfg->lan_max_bindings ? cfg->lan_max_bindings : 1;
    l->nm = cfg->lan_max_macs ? cfg->lan_max_macs : 1;
    l->min_conf = cfg->min_confidence;
    l->cap_b = l->nb;
    l->b = vg_calloc(l->nb, sizeof *l->b);
    l->m = vg_calloc(l->nm, sizeof *l->m);
    if (!l->b || !l->m) {
        tamper__lan_free(l);
        return NULL;
    }
    return l;
}

void tamper__lan_free(struct tamper__lan *l)
{
    if (!l) return;
    vg_free(l->b);
    vg_free(l->m);
    vg_free(l);
}

const struct tamper_lan_counters *tamper_lan_counters(const struct tamper_ctx *ctx)
{
    return &ctx->cnt.lan;
}

const char *tamper_mac_str(const uint8_t mac[6], char *buf)
{
    snprintf(buf, 18, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3], mac[4],
             mac[5]);
    return buf;
}

static int64_t ts_us(struct vg_ts t)
{
    return t.sec * LAN_US + t.nsec / 1000;
}

/* VRRP (RFC 5798, also CARP) IPv4/IPv6 and HSRP v1/v2 virtual router MACs. */
static bool mac_virtual(const uint8_t *m)
{
    static const uint8_t vrrp4[5] = {0, 0, 0x5e, 0, 1}, vrrp6[5] = {0, 0, 0x5e, 0, 2},
                         hsrp[5] = {0, 0, 0x0c, 0x07, 0xac}, hsrp2[4] = {0, 0, 0x0c, 0x9f};
    return !memcmp(m, vrrp4, 5) || !memcmp(m, vrrp6, 5) || !memcmp(m, hsrp, 5) ||
           (!memcmp(m, hsrp2, 4) && (m[4] & 0xf0) == 0xf0);
}

static bool mac_zero(const uint8_t *m)
{
    static const uint8_t z[6];
    return !memcmp(m, z, 6);
}

static bool mac_group(const uint8_t *m)
{
    return m[0] & 1;
}

/* Seeded hash over a key; the tables bound their probing, so a chosen-key flood costs at most
 * LAN_PROBE compares per packet and evicts, never grows. */
static uint32_t hash_bytes(const void *k, size_t n)
{
    return (uint32_t)XXH3_64bits_withSeed(k, n, 0x7a6d6c616e21ULL);
}

/* ---- MAC table ---------------------------------------------------------------------------- */

static struct lan_mac *mac_find(struct tamper__lan *l, const uint8_t *mac)
{
    uint32_t h = hash_bytes(mac, 6);
    for (uint32_t i = 0; i < LAN_PROBE && i < l->nm; i++) {
        struct lan_mac *e = &l->m[(h + i) % l->nm];
        if (!e->used) return NULL;
        if (!memcmp(e->mac, mac, 6)) return e;
    }
    return NULL;
}

static struct lan_mac *mac_get(struct tamper_ctx *ctx, const uint8_t *mac, int64_t now)
{
    struct tamper__lan *l = ctx->lan;
    uint32_t h = hash_bytes(mac, 6);
    struct lan_mac *victim = NULL;
    for (uint32_t i = 0; i < LAN_PROBE && i < l->nm; i++) {
        struct lan_mac *e = &l->m[(h + i) % l->nm];
        if (!e->used) {
            victim = e;
            ctx->cnt.lan.macs++;
            break;
        }
        if (!memcmp(e->mac, mac, 6)) return e;
        if (!victim || e->last_us < victim->last_us) victim = e;
    }
    if (victim->used) ctx->cnt.lan.mac_evictions++;
    memset(victim, 0, sizeof *victim);
    victim->used = true;
    memcpy(victim->mac, mac, 6);
    victim->first_us = victim->last_us = now;
    return victim;
}

/* Adds h to a small set of hashes; returns true when it was new. */
static bool set_add(uint32_t *set, unsigned cap, uint32_t *n, uint32_t h)
{
    unsigned k = *n < cap ? *n : cap;
    for (unsigned i = 0; i < k; i++)
        if (set[i] == h) return false;
    if (*n < cap) set[*n] = h;
    (*n)++;
    return true;
}

/* ---- binding table ------------------------------------------------------------------------ */

/* The key of a binding: the address and the segment (VLAN ids) of the packet being judged. */
static uint32_t bind_hash(const struct tamper__lan *l, const struct vg_addr *ip)
{
    struct {
        struct vg_addr a;
        uint32_t seg;
    } k;
    memset(&k, 0, sizeof k);
    k.a = *ip;
    k.seg = l->seg;
    return hash_bytes(&k, sizeof k);
}

static struct lan_bind *bind_find(struct tamper__lan *l, const struct vg_addr *ip)
{
    uint32_t h = bind_hash(l, ip);
    for (uint32_t i = 0; i < LAN_PROBE && i < l->nb; i++) {
        struct lan_bind *e = &l->b[(h + i) % l->nb];
        if (!e->ip.family) return NULL;
        if (e->seg == l->seg && vg_addr_eq(&e->ip, ip)) return e;
    }
    return NULL;
}

static struct lan_bind *bind_get(struct tamper_ctx *ctx, const struct vg_addr *ip, int64_t now)
{
    struct tamper__lan *l = ctx->lan;
    uint32_t h = bind_hash(l, ip);
    struct lan_bind *victim = NULL;
    for (uint32_t i = 0; i < LAN_PROBE && i < l->nb; i++) {
        struct lan_bind *e = &l->b[(h + i) % l->nb];
        if (!e->ip.family) {
            victim = e;
            ctx->cnt.lan.bindings++;
            break;
        }
        if (e->seg == l->seg && vg_addr_eq(&e->ip, ip)) return e;
        if (!victim || e->last_us < victim->last_us) victim = e;
    }
    if (victim->ip.family) {
        if (now - victim->last_us > LAN_BIND_AGE_US)
            ctx->cnt.lan.bind_aged++;
        else
            ctx->cnt.lan.bind_evictions++;
    }
    memset(victim, 0, sizeof *victim);
    victim->ip = *ip;
    victim->seg = l->seg;
    victim->first_us = victim->last_us = now;
    return victim;
}

/* ---- findings ----------------------------------------------------------------------------- */

static void reason(struct tamper_lan_finding *fd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void reason(struct tamper_lan_finding *fd, const char *fmt, ...)
{
    if (fd->n_reasons >= sizeof fd->reasons / sizeof fd->reasons[0]) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(fd->reasons[fd->n_reasons++], sizeof fd->reasons[0], fmt, ap);
    va_end(ap);
}

static void contestant_from_packet(struct tamper_lan_contestant *c, const struct packet *p,
                                   const uint8_t *claim_mac, bool unsolicited)
{
    memset(c, 0, sizeof *c);
    c->pcap_cnt = p->pcap_cnt;
    c->ts = p->ts;
    c->kind = p->lan.kind;
    c->linktype = p->linktype;
    if (p->has_eth && (uint32_t)p->l2_off + 14 <= p->frame_len) {
        const uint8_t *e = p->frame + p->l2_off;
        memcpy(c->dst_mac, e, 6);
        memcpy(c->src_mac, e + 6, 6);
    }
    if (claim_mac) memcpy(c->claim_mac, claim_mac, 6);
    c->unsolicited = unsolicited;
    if (p->lan.kind == VG_LAN_ARP) {
        c->arp_op = p->lan.arp_op;
        c->sender.family = c->target.family = 4;
        memcpy(c->sender.a, p->lan.spa, 4);
        memcpy(c->target.a, p->lan.tpa, 4);
    } else {
        c->icmp_type = p->icmp_type;
        c->nd_flags = p->lan.nd_flags;
        c->sender = p->src;
        if (p->icmp_type == 135 || p->icmp_type == 136) {
            c->target.family = 6;
            memcpy(c->target.a, p->lan.target, 16);
        } else {
            c->target = p->dst;
        }
        c->ra_lifetime = p->lan.ra_lifetime;
    }
    c->wire_len = p->wirelen;
    uint32_t n = p->frame_len < TAMPER_LAN_FRAME_MAX ? p->frame_len : TAMPER_LAN_FRAME_MAX;
    memcpy(c->frame, p->frame, n);
    c->frame_len = (uint16_t)n;
}

static bool report(struct tamper_ctx *ctx, struct tamper_lan_finding *fd, int score,
                   const struct packet *p, tamper_lan_emit_fn emit, void *ud)
{
    fd->pcap_cnt = p->pcap_cnt;
    fd->ts = p->ts;
    if (score < 0) score = 0;
    if (score > 100) score = 100;
    fd->confidence = (uint8_t)score;
    uint32_t floor = ctx->lan->min_conf > TAMPER_LAN_FLOOR ? ctx->lan->min_conf : TAMPER_LAN_FLOOR;
    if ((uint32_t)score < floor) {
        ctx->cnt.lan.below_threshold++;
        if ((uint64_t)score > ctx->cnt.lan.max_below) ctx->cnt.lan.max_below = (uint64_t)score;
        return false;
    }
    ctx->cnt.findings[fd->sig]++;
    if (emit) emit(fd, ud);
    return true;
}

static bool mac_active_after(struct tamper__lan *l, const uint8_t *mac, int64_t t)
{
    const struct lan_mac *m = mac_find(l, mac);
    return m && m->last_us > t;
}

static bool bind_gateway(struct tamper__lan *l, const struct lan_bind *b)
{
    if (b->router || b->n_req >= 3) return true;
    const struct lan_mac *m = mac_find(l, b->orig_mac);
    return m && m->n_src >= 2; /* a host sends from its one IPv4 address; a router forwards */
}

/* Scores a contested binding; reports it (once) when it reaches the floor. */
static void bind_judge(struct tamper_ctx *ctx, struct lan_bind *b, const struct packet *p,
                       tamper_lan_emit_fn emit, void *ud)
{
    struct tamper__lan *l = ctx->lan;
    if (!b->contest) return;
    if (b->reported) {
        ctx->cnt.lan.repeats++;
        return;
    }
    struct tamper_lan_finding *fd = &l->fd;
    memset(fd, 0, sizeof *fd);
    char om[18], nm[18];
    tamper_mac_str(b->orig_mac, om);
    tamper_mac_str(b->chal_mac, nm);
    int score = 0;
    bool alive = mac_active_after(l, b->orig_mac, b->change_us);
    if (alive) {
        score += 20;
        reason(fd, "+20 the old MAC %s is still active after %s claimed the address", om, nm);
    }
    if (b->flips) {
        if (b->unsol) {
            int f = 30 + 10 * (int)(b->flips - 1);
            if (f > 50) f = 50;
            score += f;
            reason(fd, "+%d the binding flipped %u time(s) between %s and %s within a minute", f,
                   b->flips, om, nm);
        } else {
            score += 5;
            reason(fd, "+5 %u flip(s), but every claim answered a request (proxy ARP?)", b->flips);
        }
    }
    if (b->unsol) {
        int u = b->unsol >= 5 ? 30 : b->unsol >= 3 ? 20 : 10;
        score += u;
        reason(fd, "+%d %u unsolicited %s by %s", u, b->unsol,
               b->ip.family == 4 ? "ARP replies" : "neighbor advertisements", nm);
    }
    if (b->ann) {
        bool many = b->ann_many;
        score += many ? 25 : 5;
        reason(
            fd, "+%d %u gratuitous announcement(s) by %s%s", many ? 25 : 5, b->ann, nm,
            many ? ", more than 5 within 30 s spread over 10 s or more (a failover or boot sends a "
                   "burst)"
                 : "");
    }
    if (b->unsol >= 2 && b->last_unsol_us - b->first_unsol_us >= LAN_PERSIST_US) {
        score += 10;
        reason(fd, "+10 the unsolicited claims span %.1f s (a cache being re-poisoned)",
               (double)(b->last_unsol_us - b->first_unsol_us) / LAN_US);
    }
    bool gw = bind_gateway(l, b);
    if (gw) {
        score += 15;
        reason(fd, "+15 the address is a gateway (forwards others' traffic, many hosts ask for "
                   "it, or it advertises routes)");
    }
    const struct lan_mac *cm = mac_find(l, b->chal_mac);
    uint32_t taken = cm ? cm->taken : 0;
    if (taken >= 2) {
        score += 15;
        reason(fd, "+15 %s took %u addresses from live owners", nm, taken);
    }
    if (mac_virtual(b->orig_mac) || mac_virtual(b->chal_mac)) {
        score -= 40;
        reason(fd, "-40 a virtual router MAC (VRRP/HSRP/CARP) is involved: a failover");
    }
    fd->sig = b->ip.family == 4 ? TAMPER_SIG_ARP_MAC_CHANGE : TAMPER_SIG_ND_NA_OVERRIDE;
    fd->ip = b->ip;
    if (b->chal_c.pcap_cnt) {
        fd->victim = b->chal_c.target;
        if (b->ip.family == 4 && vg_addr_eq(&fd->victim, &b->ip))
            memset(&fd->victim, 0, sizeof fd->victim);
        if (b->ip.family == 6) {
            memset(&fd->victim, 0, sizeof fd->victim);
            if (p->ip_ver == 6 && !(p->dst.a[0] == 0xff)) fd->victim = p->dst;
        }
    }
    fd->has_old = true;
    memcpy(fd->old_mac, b->orig_mac, 6);
    memcpy(fd->new_mac, b->chal_mac, 6);
    fd->gateway = gw;
    fd->flips = b->flips;
    fd->unsolicited = b->unsol;
    fd->announcements = b->ann;
    fd->ips_claimed = taken;
    fd->c[0] = b->orig_c;
    fd->c[1] = b->chal_c;
    if (report(ctx, fd, score, p, emit, ud)) b->reported = true;
}

/* One claim "ip is at mac" carried by packet p. */
enum { CLAIM_PLAIN, CLAIM_SOLICITED, CLAIM_UNSOLICITED, CLAIM_ANNOUNCE };

static void claim(struct tamper_ctx *ctx, const struct vg_addr *ip, const uint8_t *mac, int kind,
                  const struct packet *p, int64_t now, tamper_lan_emit_fn emit, void *ud)
{
    struct tamper__lan *l = ctx->lan;
    if (mac_zero(mac) || mac_group(mac)) return;
    struct lan_bind *b = bind_get(ctx, ip, now);
    if (!b->has_mac) {
        b->has_mac = true;
        memcpy(b->mac, mac, 6);
        memcpy(b->orig_mac, mac, 6);
        contestant_from_packet(&b->orig_c, p, mac, kind == CLAIM_UNSOLICITED);
        b->last_us = now;
        b->cur_unsol = kind == CLAIM_UNSOLICITED;
        return;
    }
    bool same = !memcmp(b->mac, mac, 6);
    if (!same) {
        ctx->cnt.lan.changes++;
        if (mac_virtual(mac) || mac_virtual(b->mac)) ctx->cnt.lan.virtual_mac++;
        const struct lan_mac *old = mac_find(l, b->mac);
        int64_t old_seen = old ? old->last_us : b->last_us;
        if (old_seen < b->last_us) old_seen = b->last_us;
        if (now - old_seen >= LAN_SILENT_US) {
            /* the old owner went quiet: a new owner (DHCP reuse, NIC replaced) */
            ctx->cnt.lan.rebinds++;
            struct vg_addr keep = b->ip;
            int64_t req = b->last_req_us, first = b->first_us;
            uint32_t rh[4];
            uint8_t nr = b->n_req;
            bool router = b->router;
            memcpy(rh, b->req_hash, sizeof rh);
            memset(b, 0, sizeof *b);
            b->ip = keep;
            b->seg = ctx->lan->seg;
            b->first_us = first;
            b->last_req_us = req;
            b->n_req = nr;
            b->router = router;
            memcpy(b->req_hash, rh, sizeof rh);
            b->has_mac = true;
            memcpy(b->mac, mac, 6);
            memcpy(b->orig_mac, mac, 6);
            contestant_from_packet(&b->orig_c, p, mac, kind == CLAIM_UNSOLICITED);
            b->last_us = now;
            b->cur_unsol = kind == CLAIM_UNSOLICITED;
            return;
        }
        if (!b->contest) {
            b->contest = true;
            b->change_us = now;
        } else if (now - b->last_change_us <= LAN_FLIP_US) {
            b->flips++;
        }
        b->changes++;
        b->last_change_us = now;
        memcpy(b->mac, mac, 6);
        b->cur_unsol = 0;
    }
    b->last_us = now;
    if (kind == CLAIM_UNSOLICITED) b->cur_unsol++;
    if (!b->contest) return;
    bool challenger = memcmp(mac, b->orig_mac, 6) != 0;
    if (challenger) {
        if (memcmp(b->chal_mac, mac, 6) || !b->chal_c.pcap_cnt) {
            memcpy(b->chal_mac, mac, 6);
            contestant_from_packet(&b->chal_c, p, mac, kind == CLAIM_UNSOLICITED);
        }
        if (kind == CLAIM_UNSOLICITED) {
            if (!b->unsol++) b->first_unsol_us = now;
            b->last_unsol_us = now;
            if (mac_active_after(l, b->orig_mac, b->change_us) || b->flips) {
                struct lan_mac *cm = mac_get(ctx, mac, now);
                set_add(cm->taken_hash, 8, &cm->taken, hash_bytes(ip, sizeof *ip));
            }
        } else if (kind == CLAIM_ANNOUNCE) {
            b->ann++;
            /* keepalived: 2 bursts of 5 within 5 s, then maybe one burst a minute (refresh);
             * a poisoning tool: one every second or two, for as long as it runs */
            if (now - b->ann_w_us > LAN_ANN_WINDOW_US) {
                b->ann_w_us = now;
                b->ann_w_n = 0;
            }
            if (++b->ann_w_n > 5 && now - b->ann_w_us >= LAN_PERSIST_US) b->ann_many = true;
        } else if (kind == CLAIM_SOLICITED) {
            b->sol_chal++;
        }
    }
    bind_judge(ctx, b, p, emit, ud);
}

static void solicit(struct tamper_ctx *ctx, const struct vg_addr *ip, const struct vg_addr *asker,
                    int64_t now)
{
    struct lan_bind *b = bind_get(ctx, ip, now);
    b->last_req_us = now;
    uint32_t n = b->n_req;
    if (asker && asker->family) set_add(b->req_hash, 4, &n, hash_bytes(asker, sizeof *asker));
    b->n_req = (uint8_t)(n > 200 ? 200 : n);
}

static bool solicited(struct tamper__lan *l, const struct vg_addr *ip, int64_t now)
{
    const struct lan_bind *b = bind_find(l, ip);
    return b && b->last_req_us && now - b->last_req_us <= LAN_SOLICIT_US;
}

/* ---- ARP ---------------------------------------------------------------------------------- */

static void storm(struct tamper_ctx *ctx, struct lan_mac *m, const struct packet *p,
                  const struct vg_addr *ip, int64_t now, tamper_lan_emit_fn emit, void *ud)
{
    if (now - m->win_us > LAN_STORM_US) {
        m->win_us = now;
        m->win_cnt = 0;
        m->win_ips = 0;
        contestant_from_packet(&m->storm_c, p, p->lan.sha, true);
    }
    m->win_cnt++;
    set_add(m->win_ip_hash, 8, &m->win_ips, hash_bytes(ip, sizeof *ip));
    if (m->win_cnt < LAN_STORM_N) return;
    if (m->storm_reported) {
        ctx->cnt.lan.repeats++;
        return;
    }
    struct tamper_lan_finding *fd = &ctx->lan->fd;
    memset(fd, 0, sizeof *fd);
    char mm[18];
    tamper_mac_str(m->mac, mm);
    int score = 70;
    reason(fd,
           "+70 %u gratuitous or unsolicited ARP frames from %s within %.1f s (a boot or "
           "failover sends a few)",
           m->win_cnt, mm, (double)(now - m->win_us) / LAN_US);
    if (m->win_ips >= 5) {
        score += 10;
        reason(fd, "+10 they claim %u different addresses", m->win_ips);
    }
    if (m->taken) {
        score += 15;
        reason(fd, "+15 %s took %u address(es) from live owners", mm, m->taken);
    }
    if (m->win_cnt >= 2 * LAN_STORM_N) {
        score += 10;
        reason(fd, "+10 twice the storm rate");
    }
    if (mac_virtual(m->mac)) {
        score -= 30;
        reason(fd, "-30 a virtual router MAC (VRRP/HSRP/CARP)");
    }
    fd->sig = TAMPER_SIG_ARP_STORM;
    fd->ip = *ip;
    memcpy(fd->new_mac, m->mac, 6);
    fd->rate = m->win_cnt;
    fd->window_s = (uint32_t)(LAN_STORM_US / LAN_US);
    fd->ips_claimed = m->win_ips;
    fd->c[0] = m->storm_c;
    contestant_from_packet(&fd->c[1], p, p->lan.sha, true);
    if (report(ctx, fd, score, p, emit, ud)) m->storm_reported = true;
}

/* A MAC that claimed address X asks, under another address, who has X: the owner never asks for
 * itself, so the claims were not its own (arpspoof and ettercap resolve the genuine owner to relay
 * the traffic they divert). 50, +10/+20/+30 for 1/3/5+ unsolicited claims of X by that MAC,
 * +15 when X is a gateway. The claim must be recent (2 minutes): a host whose lease moved may
 * ask for its old address long after. */
#define LAN_IMPERSONATE_US (120 * LAN_US)
static void impersonation(struct tamper_ctx *ctx, const struct packet *p, const struct vg_addr *spa,
                          const struct vg_addr *tpa, int64_t now, tamper_lan_emit_fn emit, void *ud)
{
    struct tamper__lan *l = ctx->lan;
    struct lan_bind *b = bind_find(l, tpa);
    const uint8_t *sha = p->lan.sha;
    if (!b || !b->has_mac || memcmp(b->mac, sha, 6) || now - b->last_us > LAN_IMPERSONATE_US ||
        vg_addr_eq(spa, tpa))
        return;
    if (b->imp_reported) {
        ctx->cnt.lan.repeats++;
        return;
    }
    struct tamper_lan_finding *fd = &l->fd;
    memset(fd, 0, sizeof *fd);
    char m[18], a1[VG_ADDR_STRLEN], a2[VG_ADDR_STRLEN];
    tamper_mac_str(sha, m);
    int score = 50;
    reason(fd, "+50 %s claimed %s, then asked who has %s as %s: the owner never asks for itself", m,
           vg_addr_str(tpa, a1), a1, vg_addr_str(spa, a2));
    if (b->cur_unsol) {
        int u = b->cur_unsol >= 5 ? 30 : b->cur_unsol >= 3 ? 20 : 10;
        score += u;
        reason(fd, "+%d %u unsolicited ARP replies by %s claiming %s", u, b->cur_unsol, m, a1);
    }
    bool gw = bind_gateway(l, b);
    if (gw) {
        score += 15;
        reason(fd, "+15 the address is a gateway");
    }
    if (mac_virtual(sha)) {
        score -= 40;
        reason(fd, "-40 a virtual router MAC (VRRP/HSRP/CARP)");
    }
    fd->sig = TAMPER_SIG_ARP_IMPERSONATION;
    fd->ip = *tpa;
    fd->victim = b->orig_c.target;
    if (vg_addr_eq(&fd->victim, tpa)) memset(&fd->victim, 0, sizeof fd->victim);
    memcpy(fd->new_mac, sha, 6);
    fd->gateway = gw;
    fd->unsolicited = b->cur_unsol;
    fd->c[0] = memcmp(b->mac, b->orig_mac, 6) == 0 ? b->orig_c : b->chal_c;
    contestant_from_packet(&fd->c[1], p, sha, false);
    if (report(ctx, fd, score, p, emit, ud)) b->imp_reported = true;
}

static void lan_arp(struct tamper_ctx *ctx, const struct packet *p, int64_t now,
                    tamper_lan_emit_fn emit, void *ud)
{
    const struct vg_lan *a = &p->lan;
    struct vg_addr spa = {.family = 4}, tpa = {.family = 4};
    memcpy(spa.a, a->spa, 4);
    memcpy(tpa.a, a->tpa, 4);
    ctx->cnt.lan.arp++;
    bool probe = !memcmp(a->spa, "\0\0\0\0", 4); /* RFC 5227 probe: no claim */
    bool grat = !probe && !memcmp(a->spa, a->tpa, 4);
    if (a->arp_op == 1 && !grat && !probe) impersonation(ctx, p, &spa, &tpa, now, emit, ud);
    if (a->arp_op == 1 && !grat) solicit(ctx, &tpa, probe ? NULL : &spa, now);
    if (probe) return;
    int kind = CLAIM_PLAIN;
    if (grat)
        kind = CLAIM_ANNOUNCE;
    else if (a->arp_op == 2)
        kind = solicited(ctx->lan, &spa, now) ? CLAIM_SOLICITED : CLAIM_UNSOLICITED;
    claim(ctx, &spa, a->sha, kind, p, now, emit, ud);
    if ((kind == CLAIM_ANNOUNCE || kind == CLAIM_UNSOLICITED) && !mac_zero(a->sha)) {
        struct lan_mac *m = mac_get(ctx, a->sha, now);
        storm(ctx, m, p, &spa, now, emit, ud);
    }
}

/* ---- Neighbor Discovery ------------------------------------------------------------------- */

static struct lan_router *router_find(struct tamper__lan *l, const struct vg_addr *ll)
{
    for (unsigned i = 0; i < LAN_ROUTERS; i++)
        if (l->r[i].used && l->r[i].seg == l->seg && vg_addr_eq(&l->r[i].ll, ll)) return &l->r[i];
    return NULL;
}

static bool prefix_known(struct tamper__lan *l, const struct vg_addr *pfx, uint8_t len,
                         const struct lan_router *self)
{
    for (unsigned i = 0; i < LAN_ROUTERS; i++) {
        const struct lan_router *r = &l->r[i];
        if (r->used && r->seg == l->seg && r != self && !r->candidate && r->prefix.family &&
            r->prefix_len == len && vg_addr_eq(&r->prefix, pfx))
            return true;
    }
    return false;
}

static bool ll_is_eui64_of(const struct vg_addr *ll, const uint8_t *m)
{
    const uint8_t *a = ll->a;
    return a[0] == 0xfe && (a[1] & 0xc0) == 0x80 && a[8] == (m[0] ^ 2) && a[9] == m[1] &&
           a[10] == m[2] && a[11] == 0xff && a[12] == 0xfe && a[13] == m[3] && a[14] == m[4] &&
           a[15] == m[5];
}

static void ra_fill(struct tamper_lan_finding *fd, const struct lan_router *r,
                    const struct packet *p, const uint8_t *mac)
{
    fd->is_ra = true;
    fd->ip = r->ll;
    memcpy(fd->new_mac, mac, 6);
    fd->new_lifetime = p->lan.ra_lifetime;
    if (p->lan.n_prefix) {
        fd->prefix.family = 6;
        memcpy(fd->prefix.a, p->lan.prefix, 16);
        fd->prefix_len = p->lan.prefix_len;
    }
}

static void rogue_judge(struct tamper_ctx *ctx, struct lan_router *r, const struct packet *p,
                        const uint8_t *mac, int64_t now, tamper_lan_emit_fn emit, void *ud)
{
    struct tamper__lan *l = ctx->lan;
    if (r->reported) {
        ctx->cnt.lan.repeats++;
        return;
    }
    /* An RA flood is one incident: after a report, new routers within the flood window are
     * repeats, except the one that first shows the flood (reported with that reason). */
    bool flood = l->flood_cnt >= LAN_FLOOD_N;
    if (l->last_rogue_us && now - l->last_rogue_us <= LAN_STORM_US && l->flood_cnt > 1 &&
        (!flood || l->flood_reported)) {
        ctx->cnt.lan.repeats++;
        return;
    }
    struct tamper_lan_finding *fd = &l->fd;
    memset(fd, 0, sizeof *fd);
    char rm[18], a[VG_ADDR_STRLEN];
    tamper_mac_str(mac, rm);
    int score = 35;
    reason(fd, "+35 a new router %s (%s) advertises after an established router",
           vg_addr_str(&r->ll, a), rm);
    const struct lan_router *est = NULL;
    bool alive = false;
    for (unsigned i = 0; i < LAN_ROUTERS; i++) {
        const struct lan_router *o = &l->r[i];
        if (!o->used || o->seg != l->seg || o->candidate || o == r) continue;
        if (!est) est = o;
        if (mac_active_after(l, o->mac, r->first_ra_us) || o->last_us > r->first_ra_us) {
            alive = true;
            est = o;
        }
    }
    if (p->lan.n_prefix) {
        struct vg_addr pf = {.family = 6};
        memcpy(pf.a, p->lan.prefix, 16);
        if (!prefix_known(l, &pf, p->lan.prefix_len, r)) {
            score += 20;
            fd->prefix_new = true;
            reason(fd, "+20 prefix %s/%u was not advertised by any established router",
                   vg_addr_str(&pf, a), p->lan.prefix_len);
        }
    }
    if (alive) {
        score += 15;
        reason(fd, "+15 the established router is still active");
    }
    uint8_t prf = (p->lan.nd_flags >> 3) & 3;
    if (prf == 1) {
        score += 10;
        reason(fd, "+10 high default router preference (RFC 4191)");
    }
    if (p->lan.ra_lifetime) {
        score += 5;
        reason(fd, "+5 router lifetime %u s: it offers itself as default router",
               p->lan.ra_lifetime);
    }
    if (l->flood_cnt >= LAN_FLOOD_N) {
        score += 30;
        reason(fd, "+30 %u new routers within 10 s (an RA flood)", l->flood_cnt);
    }
    if (mac_virtual(mac)) {
        score -= 40;
        reason(fd, "-40 a virtual router MAC (VRRP/CARP): a failover");
    }
    fd->sig = TAMPER_SIG_ND_ROGUE_RA;
    ra_fill(fd, r, p, mac);
    fd->new_routers = l->flood_cnt;
    if (est) {
        fd->has_old = true;
        memcpy(fd->old_mac, est->mac, 6);
        fd->old_lifetime = est->lifetime;
        fd->c[0] = est->est;
    }
    fd->c[1] = r->est;
    fd->gateway = true;
    if (report(ctx, fd, score, p, emit, ud)) {
        r->reported = true;
        l->last_rogue_us = now;
        if (flood) l->flood_reported = true;
    }
}

static void lan_ra(struct tamper_ctx *ctx, const struct packet *p, const uint8_t *l2src,
                   int64_t now, tamper_lan_emit_fn emit, void *ud)
{
    struct tamper__lan *l = ctx->lan;
    const struct vg_lan *n = &p->lan;
    const uint8_t *mac = n->has_lladdr ? n->sha : l2src;
    if (!mac) return;
    struct lan_router *r = router_find(l, &p->src);
    if (r && memcmp(r->mac, mac, 6)) {
        /* an RA from a known router's address, another MAC */
        if (r->spoof_reported) {
            ctx->cnt.lan.repeats++;
            return;
        }
        struct tamper_lan_finding *fd = &l->fd;
        memset(fd, 0, sizeof *fd);
        char om[18], nm[18], a[VG_ADDR_STRLEN];
        tamper_mac_str(r->mac, om);
        tamper_mac_str(mac, nm);
        int score = 40;
        reason(fd, "+40 router %s advertised from %s, known at %s", vg_addr_str(&r->ll, a), nm, om);
        const struct lan_mac *om_e = mac_find(l, r->mac);
        if (om_e && now - om_e->last_us <= LAN_ALIVE_US) {
            score += 20;
            reason(fd, "+20 %s was active within the last minute", om);
        }
        if (n->ra_lifetime != r->lifetime) {
            score += 15;
            reason(fd, "+15 router lifetime %u s -> %u s%s", r->lifetime, n->ra_lifetime,
                   n->ra_lifetime ? "" : " (the default route withdrawn)");
        }
        if (n->n_prefix && r->prefix.family &&
            (memcmp(n->prefix, r->prefix.a, 16) || n->prefix_len != r->prefix_len)) {
            score += 10;
            reason(fd, "+10 a different prefix than the router advertised");
        }
        if (n->has_lladdr && l2src && memcmp(n->sha, l2src, 6)) {
            score += 30;
            reason(fd, "+30 the source link-layer option differs from the Ethernet source");
        }
        if (mac_virtual(mac) || mac_virtual(r->mac)) {
            score -= 40;
            reason(fd, "-40 a virtual router MAC (VRRP/CARP) is involved: a failover");
        }
        /* A link-local formed from a MAC (modified EUI-64, RFC 4291 appendix A) names its owner:
         * when that is the challenger, the earlier RA was the forgery. */
        if (ll_is_eui64_of(&r->ll, mac) && !ll_is_eui64_of(&r->ll, r->mac)) {
            fd->forged_first = true;
            reason(fd,
                   "the link-local address is the EUI-64 of %s: the earlier RA from %s was "
                   "the forgery",
                   nm, om);
        }
        fd->sig = TAMPER_SIG_ND_RA_SPOOF;
        ra_fill(fd, r, p, mac);
        fd->has_old = true;
        memcpy(fd->old_mac, r->mac, 6);
        fd->old_lifetime = r->lifetime;
        fd->gateway = true;
        fd->c[0] = r->est;
        contestant_from_packet(&fd->c[1], p, mac, false);
        if (report(ctx, fd, score, p, emit, ud)) r->spoof_reported = true;
        return;
    }
    if (r) {
        r->n_ra++;
        r->last_us = now;
        bool changed = n->ra_lifetime != r->lifetime;
        if (n->n_prefix) {
            if (!r->prefix.family || memcmp(r->prefix.a, n->prefix, 16) ||
                r->prefix_len != n->prefix_len)
                changed = changed || r->prefix.family;
            r->prefix.family = 6;
            memcpy(r->prefix.a, n->prefix, 16);
            r->prefix_len = n->prefix_len;
        }
        if (changed) ctx->cnt.lan.ra_changes++;
        r->lifetime = n->ra_lifetime;
        if (r->candidate) rogue_judge(ctx, r, p, mac, now, emit, ud);
        return;
    }
    /* a new router */
    if (now - l->flood_win_us > LAN_STORM_US) {
        l->flood_win_us = now;
        l->flood_cnt = 0;
    }
    l->flood_cnt++;
    bool established = false;
    for (unsigned i = 0; i < LAN_ROUTERS; i++)
        if (l->r[i].used && l->r[i].seg == l->seg && !l->r[i].candidate &&
            now - l->r[i].first_us >= LAN_ESTABLISHED_US)
            established = true;
    struct lan_router *slot = NULL;
    for (unsigned i = 0; i < LAN_ROUTERS && !slot; i++)
        if (!l->r[i].used) slot = &l->r[i];
    if (!slot) {
        /* table full: the oldest candidate gives way, else the least recently seen router */
        ctx->cnt.lan.router_cap_hits++;
        for (unsigned i = 0; i < LAN_ROUTERS; i++)
            if (!slot || (l->r[i].candidate && !slot->candidate) ||
                (l->r[i].candidate == slot->candidate && l->r[i].last_us < slot->last_us))
                slot = &l->r[i];
        ctx->cnt.lan.routers--;
    }
    memset(slot, 0, sizeof *slot);
    ctx->cnt.lan.routers++;
    slot->used = true;
    slot->ll = p->src;
    slot->seg = l->seg;
    memcpy(slot->mac, mac, 6);
    slot->first_us = slot->last_us = slot->first_ra_us = now;
    slot->n_ra = 1;
    slot->lifetime = n->ra_lifetime;
    if (n->n_prefix) {
        slot->prefix.family = 6;
        memcpy(slot->prefix.a, n->prefix, 16);
        slot->prefix_len = n->prefix_len;
    }
    contestant_from_packet(&slot->est, p, mac, false);
    slot->candidate = established;
    if (established) rogue_judge(ctx, slot, p, mac, now, emit, ud);
}

static void lan_nd(struct tamper_ctx *ctx, const struct packet *p, const uint8_t *l2src,
                   int64_t now, tamper_lan_emit_fn emit, void *ud)
{
    const struct vg_lan *n = &p->lan;
    ctx->cnt.lan.nd++;
    bool src_unspec = true;
    for (int i = 0; i < 16; i++)
        if (p->src.a[i]) src_unspec = false;
    struct vg_addr tgt = {.family = 6};
    memcpy(tgt.a, n->target, 16);
    switch (p->icmp_type) {
    case 134: {
        if (src_unspec) return;
        struct lan_bind *b = bind_get(ctx, &p->src, now);
        b->router = true;
        if (n->has_lladdr) claim(ctx, &p->src, n->sha, CLAIM_PLAIN, p, now, emit, ud);
        lan_ra(ctx, p, l2src, now, emit, ud);
        break;
    }
    case 135:
        solicit(ctx, &tgt, src_unspec ? NULL : &p->src, now);
        if (!src_unspec && n->has_lladdr)
            claim(ctx, &p->src, n->sha, CLAIM_PLAIN, p, now, emit, ud);
        break;
    case 136: {
        if (!n->has_lladdr) return;
        bool s = n->nd_flags & 0x40, o = n->nd_flags & 0x20;
        int kind = CLAIM_PLAIN;
        if (s || solicited(ctx->lan, &tgt, now))
            kind = CLAIM_SOLICITED;
        else if (p->dst.a[0] == 0xff)
            kind = CLAIM_ANNOUNCE;
        else
            kind = CLAIM_UNSOLICITED;
        /* Without O, an NA does not replace an existing binding (RFC 4861 7.2.5). */
        const struct lan_bind *b = bind_find(ctx->lan, &tgt);
        if (!o && b && b->has_mac && memcmp(b->mac, n->sha, 6)) return;
        if (n->nd_flags & 0x80) bind_get(ctx, &tgt, now)->router = true;
        claim(ctx, &tgt, n->sha, kind, p, now, emit, ud);
        break;
    }
    default:
        break;
    }
}

/* What every Ethernet frame tells: its source MAC is alive, and the plain IPv4 source address it
 * carries (src4, NULL for other frames) - a MAC sending from several addresses forwards. */
static void lan_seen(struct tamper_ctx *ctx, int64_t now, uint32_t seg, const uint8_t *l2src,
                     const struct vg_addr *src4)
{
    ctx->lan->seg = seg;
    if (mac_group(l2src) || mac_zero(l2src)) return;
    struct lan_mac *m = ctx->lan->last_m;
    if (!m || !m->used || memcmp(m->mac, l2src, 6)) m = ctx->lan->last_m = mac_get(ctx, l2src, now);
    if (now > m->last_us) m->last_us = now;
    /* IPv4 only: a host has one IPv4 address but often several IPv6 ones */
    if (src4 && m->n_src < 4 && memcmp(src4->a, "\0\0\0\0", 4)) {
        uint32_t n = m->n_src;
        set_add(m->src_hash, 4, &n, hash_bytes(src4, sizeof *src4));
        m->n_src = (uint8_t)(n > 4 ? 4 : n);
    }
}

void tamper_lan_seen(struct tamper_ctx *ctx, struct vg_ts ts, uint32_t seg, const uint8_t l2src[6],
                     const struct vg_addr *src4)
{
    if (!ctx || !ctx->lan) return;
    ctx->cnt.lan.bind_cap = ctx->lan->cap_b;
    lan_seen(ctx, ts_us(ts), seg, l2src, src4);
}

void tamper_lan_packet(struct tamper_ctx *ctx, const struct packet *p, tamper_lan_emit_fn emit,
                       void *ud)
{
    if (!ctx || !ctx->lan) return;
    ctx->cnt.lan.bind_cap = ctx->lan->cap_b;
    if (!p->has_eth || (uint32_t)p->l2_off + 14 > p->caplen) return;
    if (p->flags & VG_PKT_REASSEMBLED) return;
    int64_t now = ts_us(p->ts);
    const uint8_t *l2src = p->data + p->l2_off + 6;
    lan_seen(ctx, now,
             p->vlan_cnt ? p->vlan[0] | (uint32_t)(p->vlan_cnt > 1 ? p->vlan[1] : 0) << 12 : 0,
             l2src, p->ip_ver == 4 && !p->tunnel_depth ? &p->src : NULL);
    if (p->lan.kind == VG_LAN_ARP)
        lan_arp(ctx, p, now, emit, ud);
    else if (p->lan.kind == VG_LAN_ND && p->ip_ver == 6 && !p->tunnel_depth)
        lan_nd(ctx, p, mac_group(l2src) ? NULL : l2src, now, emit, ud);
    (void)emit;
}
