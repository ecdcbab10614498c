/* ssh_parser.c - SSH identification lines and binary packets up to SSH_MSG_KEXINIT, HASSH.
 *
 * RFC 4253 §4.2 (version exchange), §6 (binary packet protocol), §7.1 (KEXINIT), RFC 4251 §5
 * (uint32, string, name-list, boolean). HASSH: github.com/salesforce/hassh (README).
 *
 * Each direction is a small resumable machine (nginx habit): BANNER collects one line at a time
 * (up to LF; bytes beyond SSH_BANNER_MAX are counted, not kept), PACKETS collects the 5-byte
 * packet header and then the rest of the packet in a buffer grown on demand up to cfg.packet_max,
 * DONE only counts bytes. Packet contents are read with the bounds-checked reader.
 */
#include <string.h>

#include <openssl/evp.h>

#include "app/ssh/ssh.h"
#include "core/vg_alloc.h"
#include "core/vg_anomaly.h"
#include "core/vg_reader.h"
#include "core/vg_status.h"

#define LINE_GIVE_UP 8192u     /* a "line" this long without LF is not SSH */
#define PACKET_LEN_MAX 262144u /* RFC 4253 §6.1 asks for 35000; beyond 256 KiB is garbage */
#define ANOM_QUEUE 8
#define MSG_KEXINIT 20
#define MSG_NEWKEYS 21

enum { SM_BANNER = 0, SM_PACKETS, SM_DONE, SM_GAVE_UP, SM_CLOSED };

struct ssh_dir {
    uint8_t mode;
    /* banner */
    uint32_t line_len; /* bytes of the current line before its LF */
    uint16_t line_kept;
    char line[SSH_BANNER_MAX + 1];
    /* packets */
    uint8_t hdr[5];
    uint8_t hdr_have;
    bool pkt_skip;
    uint32_t pkt_len;  /* packet_length field */
    uint32_t pkt_have; /* bytes after the padding_length byte collected (or skipped) */
    uint8_t *buf;
    uint32_t cap;
};

struct ssh_state {
    struct ssh_config cfg;
    struct ssh_session s;
    struct ssh_dir d[2];
    struct ssh_counters c;
    uint16_t anom_q[ANOM_QUEUE];
    uint8_t anom_n;
    uint8_t anom_seen[4]; /* the four SSH anomalies, by id - ANOM_SSH_INVALID_BANNER */
    bool flushed;
    ssh_event_fn emit;
    void *ud;
};

static void anom(struct ssh_state *st, int id)
{
    unsigned k = (unsigned)(id - ANOM_SSH_INVALID_BANNER);
    if (k < sizeof st->anom_seen) {
        if (st->anom_seen[k]) return;
        st->anom_seen[k] = 1;
    }
    if (st->anom_n < ANOM_QUEUE) st->anom_q[st->anom_n++] = (uint16_t)id;
}

static struct ssh_side *side(struct ssh_state *st, int dir)
{
    return dir == SSH_DIR_TOSERVER ? &st->s.client : &st->s.server;
}

static void emit_ev(struct ssh_state *st, int kind, int dir)
{
    struct ssh_event ev = {kind, dir};
    if (st->emit) st->emit(st->ud, &st->s, &ev);
}

static void maybe_log(struct ssh_state *st)
{
    if (st->s.flags & SSH_SF_LOGGED) return;
    if (!((st->s.client.flags | st->s.server.flags) & SSH_SIDE_BANNER)) return;
    st->s.flags |= SSH_SF_LOGGED;
    emit_ev(st, SSH_EV_LOG, -1);
}

static void give_up(struct ssh_state *st, int dir, int anomaly)
{
    struct ssh_dir *d = &st->d[dir];
    if (anomaly >= 0) anom(st, anomaly);
    d->mode = SM_GAVE_UP;
    side(st, dir)->flags |= SSH_SIDE_GAVE_UP;
    st->c.gave_up++;
}

static void copy_str(char *dst, size_t cap, const char *src, size_t n)
{
    if (n >= cap) n = cap - 1;
    memcpy(dst, src, n);
    dst[n] = 0;
}

/* ---- banner ---- */

static void banner_line(struct ssh_state *st, int dir)
{
    struct ssh_dir *d = &st->d[dir];
    struct ssh_side *sd = side(st, dir);
    size_t n = d->line_kept;
    bool cut = d->line_len > d->line_kept;
    if (!cut && n && d->line[n - 1] == '\r') n--;
    d->line[n] = 0;
    if (n < 4 || memcmp(d->line, "SSH-", 4) != 0) {
        if (dir == SSH_DIR_TOCLIENT && sd->pre_banner_lines < SSH_PRE_BANNER_LINES) {
            sd->pre_banner_lines++; /* RFC 4253 §4.2: a server may say other things first */
            st->c.pre_banner_lines++;
            return;
        }
        st->c.invalid_banners++;
        give_up(st, dir, ANOM_SSH_INVALID_BANNER);
        return;
    }
    st->c.banners++;
    sd->flags |= SSH_SIDE_BANNER;
    if (d->line_len + 1 > SSH_BANNER_MAX) { /* CR LF (or LF) included */
        anom(st, ANOM_SSH_LONG_BANNER);
        st->c.long_banners++;
    }
    if (cut) sd->flags |= SSH_SIDE_BANNER_CUT;
    memcpy(sd->banner, d->line, n + 1);
    sd->banner_len = (uint16_t)n;

    /* SSH-protoversion-softwareversion SP comments */
    const char *p = d->line + 4, *end = d->line + n;
    const char *dash = memchr(p, '-', (size_t)(end - p));
    bool ok = dash != NULL && dash > p;
    const char *pe = dash ? dash : end;
    copy_str(sd->proto_version, sizeof sd->proto_version, p, (size_t)(pe - p));
    if (dash) {
        const char *sw = dash + 1;
        const char *sp = memchr(sw, ' ', (size_t)(end - sw));
        const char *swe = sp ? sp : end;
        copy_str(sd->software_version, sizeof sd->software_version, sw, (size_t)(swe - sw));
        if (sp) copy_str(sd->comments, sizeof sd->comments, sp + 1, (size_t)(end - sp - 1));
        if (swe == sw) ok = false;
    }
    if (!ok) {
        anom(st, ANOM_SSH_INVALID_BANNER);
        st->c.invalid_banners++;
    }
    emit_ev(st, SSH_EV_BANNER, dir);
    if (strcmp(sd->proto_version, "2.0") == 0 || strcmp(sd->proto_version, "1.99") == 0) {
        d->mode = SM_PACKETS;
    } else {
        if (sd->proto_version[0] == '1') sd->flags |= SSH_SIDE_SSH1;
        d->mode = SM_DONE; /* SSH-1 packets (or an unknown version) are not parsed */
    }
}

static size_t feed_banner(struct ssh_state *st, int dir, const uint8_t *p, size_t n)
{
    struct ssh_dir *d = &st->d[dir];
    size_t i = 0;
    while (i < n && d->mode == SM_BANNER) {
        uint8_t c = p[i++];
        if (c == '\n') {
            banner_line(st, dir);
            d->line_len = 0;
            d->line_kept = 0;
            continue;
        }
        if (d->line_kept < SSH_BANNER_MAX) d->line[d->line_kept++] = (char)c;
        d->line_len++;
        if (d->line_len > LINE_GIVE_UP) {
            st->c.invalid_banners++;
            give_up(st, dir, ANOM_SSH_INVALID_BANNER);
        }
    }
    return i;
}

/* ---- packets ---- */

static bool ensure_buf(struct ssh_state *st, struct ssh_dir *d, uint32_t need)
{
    if (need <= d->cap) return true;
    uint32_t cap = d->cap ? d->cap : 2048;
    while (cap < need)
        cap *= 2;
    uint8_t *b = vg_realloc(d->buf, cap);
    if (!b) {
        st->c.nomem++;
        return false;
    }
    d->buf = b;
    d->cap = cap;
    return true;
}

static void hassh(struct ssh_side *sd, const uint8_t *const part[4], const uint32_t plen[4])
{
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    bool ok = ctx && EVP_DigestInit_ex(ctx, EVP_md5(), NULL);
    size_t used = 0, total = 0;
    for (int i = 0; i < 4; i++) {
        if (i) {
            ok = ok && EVP_DigestUpdate(ctx, ";", 1);
            if (used + 1 < sizeof sd->hassh_str) sd->hassh_str[used++] = ';';
            total++;
        }
        ok = ok && EVP_DigestUpdate(ctx, part[i], plen[i]);
        size_t k = plen[i];
        if (k > sizeof sd->hassh_str - 1 - used) k = sizeof sd->hassh_str - 1 - used;
        memcpy(sd->hassh_str + used, part[i], k);
        used += k;
        total += plen[i];
    }
    sd->hassh_str[used] = 0;
    sd->hassh_len = (uint32_t)total;
    if (total > used) sd->flags |= SSH_SIDE_HASSH_CUT;
    ok = ok && EVP_DigestFinal_ex(ctx, md, &mdlen) && mdlen == 16;
    EVP_MD_CTX_free(ctx);
    static const char hex[] = "0123456789abcdef";
    if (ok) {
        for (int i = 0; i < 16; i++) {
            sd->hassh[2 * i] = hex[md[i] >> 4];
            sd->hassh[2 * i + 1] = hex[md[i] & 15];
        }
        sd->hassh[32] = 0;
    } else {
        sd->hassh[0] = 0;
    }
}

/* KEXINIT payload (msg byte included). Returns false when it is malformed. */
static bool parse_kexinit(struct ssh_state *st, int dir, const uint8_t *pl, uint32_t n)
{
    struct ssh_side *sd = side(st, dir);
    struct vg_reader r;
    vg_rd_init(&r, pl, n);
    const uint8_t *p;
    if (!vg_rd_skip(&r, 1) || !vg_rd_bytes(&r, 16, &p)) return false;
    memcpy(sd->kex_cookie, p, 16);
    const uint8_t *list[10];
    uint32_t len[10];
    for (int i = 0; i < 10; i++)
        if (!vg_rd_be32(&r, &len[i]) || !vg_rd_bytes(&r, len[i], &list[i])) return false;
    uint8_t follows = 0;
    (void)vg_rd_u8(&r, &follows); /* boolean and reserved uint32: tolerated when missing */
    sd->first_kex_follows = follows != 0;
    /* name-lists: 0 kex, 1 host key, 2/3 enc c2s/s2c, 4/5 mac c2s/s2c, 6/7 comp c2s/s2c */
    int o = dir == SSH_DIR_TOSERVER ? 0 : 1;
    const uint8_t *part[4] = {list[0], list[2 + o], list[4 + o], list[6 + o]};
    const uint32_t plen[4] = {len[0], len[2 + o], len[4 + o], len[6 + o]};
    hassh(sd, part, plen);
    sd->flags |= SSH_SIDE_KEXINIT;
    st->c.kexinits++;
    return true;
}

static void packet_done(struct ssh_state *st, int dir)
{
    struct ssh_dir *d = &st->d[dir];
    struct ssh_side *sd = side(st, dir);
    sd->packets++;
    st->c.packets++;
    if (d->pkt_skip) return;
    uint32_t pad = d->hdr[4];
    uint32_t plen = d->pkt_len - pad - 1; /* checked in feed_packets */
    if (!plen) return;
    uint8_t msg = d->buf[0];
    if (msg == MSG_KEXINIT) {
        if (!parse_kexinit(st, dir, d->buf, plen)) {
            st->c.invalid_records++;
            give_up(st, dir, ANOM_SSH_INVALID_RECORD);
            return;
        }
        d->mode = SM_DONE;
        emit_ev(st, SSH_EV_KEXINIT, dir);
        if ((st->s.client.flags & SSH_SIDE_KEXINIT) && (st->s.server.flags & SSH_SIDE_KEXINIT))
            maybe_log(st);
    } else if (msg == MSG_NEWKEYS) {
        sd->flags |= SSH_SIDE_NEWKEYS;
        d->mode = SM_DONE; /* encrypted from here: framing is unknown */
    }
}

static size_t feed_packets(struct ssh_state *st, int dir, const uint8_t *p, size_t n)
{
    struct ssh_dir *d = &st->d[dir];
    size_t i = 0;
    while (i < n && d->mode == SM_PACKETS) {
        if (d->hdr_have < 5) {
            d->hdr[d->hdr_have++] = p[i++];
            if (d->hdr_have < 5) continue;
            d->pkt_len = vg_load_be32(d->hdr);
            d->pkt_have = 0;
            d->pkt_skip = false;
            uint32_t pad = d->hdr[4];
            if (d->pkt_len < 2 || d->pkt_len > PACKET_LEN_MAX || pad + 2 > d->pkt_len) {
                st->c.invalid_records++;
                give_up(st, dir, ANOM_SSH_INVALID_RECORD);
                break;
            }
            if (d->pkt_len - 1 > st->cfg.packet_max) {
                anom(st, ANOM_SSH_LONG_KEX_RECORD);
                st->c.long_records++;
                d->pkt_skip = true;
            } else if (!ensure_buf(st, d, d->pkt_len - 1)) {
                d->pkt_skip = true;
            }
        } else {
            size_t take = d->pkt_len - 1 - d->pkt_have;
            if (take > n - i) take = n - i;
            if (!d->pkt_skip) memcpy(d->buf + d->pkt_have, p + i, take);
            d->pkt_have += (uint32_t)take;
            i += take;
        }
        if (d->hdr_have == 5 && d->pkt_have == d->pkt_len - 1) {
            d->hdr_have = 0;
            packet_done(st, dir);
        }
    }
    return i;
}

/* ---- public ---- */

void ssh_config_default(struct ssh_config *cfg)
{
    cfg->packet_max = SSH_PACKET_MAX_DEFAULT;
}

int ssh_probe(const uint8_t *data, size_t len, int dir)
{
    static const char pfx[] = "SSH-";
    if (!data || !len) return VG_AGAIN;
    size_t k = len < 4 ? len : 4;
    if (memcmp(data, pfx, k) != 0) return VG_DECLINED;
    if (len < 5) return VG_AGAIN;
    return data[4] >= '0' && data[4] <= '9' ? VG_OK : VG_DECLINED;
}

struct ssh_state *ssh_state_new(const struct ssh_config *cfg)
{
    struct ssh_state *st = vg_calloc(1, sizeof *st);
    if (!st) return NULL;
    if (cfg)
        st->cfg = *cfg;
    else
        ssh_config_default(&st->cfg);
    if (st->cfg.packet_max < 64) st->cfg.packet_max = 64;
    if (st->cfg.packet_max > PACKET_LEN_MAX) st->cfg.packet_max = PACKET_LEN_MAX;
    return st;
}

void ssh_state_free(struct ssh_state *st)
{
    if (!st) return;
    vg_free(st->d[0].buf);
    vg_free(st->d[1].buf);
    vg_free(st);
}

static void release_buf(struct ssh_dir *d)
{
    vg_free(d->buf);
    d->buf = NULL;
    d->cap = 0;
}

int ssh_parse(struct ssh_state *st, int dir, const uint8_t *data, size_t len, struct vg_ts ts,
              ssh_event_fn emit, void *ud)
{
    if (!st || (dir != SSH_DIR_TOSERVER && dir != SSH_DIR_TOCLIENT) || (len && !data))
        return VG_ERR_USAGE;
    struct ssh_dir *d = &st->d[dir];
    if (st->flushed || d->mode == SM_GAVE_UP || d->mode == SM_CLOSED) return VG_DECLINED;
    if (d->mode == SM_DONE) {
        st->c.bytes_after[dir] += len;
        return VG_DECLINED;
    }
    if (!len) return VG_OK;
    st->emit = emit;
    st->ud = ud;
    if (!st->s.ts_first.sec && !st->s.ts_first.nsec) st->s.ts_first = ts;
    st->s.ts_last = ts;
    size_t off = 0;
    while (off < len && (d->mode == SM_BANNER || d->mode == SM_PACKETS)) {
        if (d->mode == SM_BANNER)
            off += feed_banner(st, dir, data + off, len - off);
        else
            off += feed_packets(st, dir, data + off, len - off);
    }
    if (d->mode == SM_DONE) st->c.bytes_after[dir] += len - off;
    if (d->mode != SM_BANNER && d->mode != SM_PACKETS) release_buf(d);
    st->emit = NULL;
    st->ud = NULL;
    return (d->mode == SM_BANNER || d->mode == SM_PACKETS) ? VG_OK : VG_DECLINED;
}

int ssh_gap(struct ssh_state *st, int dir, size_t len)
{
    if (!st || (dir != SSH_DIR_TOSERVER && dir != SSH_DIR_TOCLIENT)) return VG_ERR_USAGE;
    struct ssh_dir *d = &st->d[dir];
    if (!len) return VG_OK;
    st->c.gaps++;
    if (d->mode == SM_BANNER || d->mode == SM_PACKETS) {
        give_up(st, dir, -1);
        release_buf(d);
    }
    return VG_OK;
}

void ssh_flush(struct ssh_state *st, ssh_event_fn emit, void *ud)
{
    if (!st || st->flushed) return;
    st->flushed = true;
    st->emit = emit;
    st->ud = ud;
    maybe_log(st);
    st->emit = NULL;
    st->ud = NULL;
    for (int i = 0; i < 2; i++) {
        st->d[i].mode = SM_CLOSED;
        release_buf(&st->d[i]);
    }
}

unsigned ssh_take_anomalies(struct ssh_state *st, uint16_t *out, unsigned max)
{
    if (!st || !out) return 0;
    unsigned n = st->anom_n < max ? st->anom_n : max;
    memcpy(out, st->anom_q, n * sizeof *out);
    memmove(st->anom_q, st->anom_q + n, (st->anom_n - n) * sizeof *out);
    st->anom_n = (uint8_t)(st->anom_n - n);
    return n;
}

const struct ssh_session *ssh_session(const struct ssh_state *st)
{
    return st ? &st->s : NULL;
}

const struct ssh_counters *ssh_counters(const struct ssh_state *st)
{
    return st ? &st->c : NULL;
}
