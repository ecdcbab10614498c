/* tls_parser.c - the record layer and handshake layer of TLS 1.0-1.3 / SSL 3.0, SSLv2 hellos,
 * ClientHello / ServerHello / Certificate decoding, probes and the public entry points.
 *
 * RFC 5246 §6.2 (records: type, version, length <= 2^14 + 2048), §7.4 (handshake messages are a
 * byte stream over records of type 22: a message may span records and a record may hold several
 * messages), §7.4.1.2-3 (hellos), §7.4.2 (Certificate); RFC 8446 §4.1.2-4 (ClientHello,
 * ServerHello, HelloRetryRequest random), §4.2.1 (supported_versions), §4.2.8 (key_share), §5
 * (after the ServerHello the server's records are encrypted), D.4 (middlebox-compatibility CCS);
 * RFC 6066 §3 (server_name); RFC 7301 (ALPN); RFC 6520 §4 (heartbeat payload_length check);
 * SSLv2: draft-hickman-netscape-ssl-00 §2.5/§2.6 (CLIENT-HELLO, SERVER-HELLO), RFC 5246 E.2.
 *
 * nginx's habit: each direction keeps its state (record header bytes seen, bytes left in the
 * record, handshake header bytes seen, message bytes collected) and every byte is looked at once;
 * the machine can stop after any byte. Handshake messages are collected whole in the direction's
 * buffer (at most cfg.msg_max) and decoded with the bounds-checked reader (core/vg_reader.h).
 * Once a direction is encrypted its records are framed and counted, never parsed.
 */
#include <stdio.h>
#include <string.h>

#include "app/tls/tls.h"
#include "app/tls/tls_int.h"
#include "core/vg_alloc.h"
#include "core/vg_anomaly.h"
#include "core/vg_reader.h"
#include "core/vg_status.h"

#define TLS_RECORD_MAX (16384u + 2048u) /* RFC 5246 §6.2.3: TLSCiphertext.length */
#define ANOM_QUEUE 16
#define ANOM_SEEN 32
#define MSG_MIN_CAP 1024u

enum { CT_CCS = 20, CT_ALERT = 21, CT_HANDSHAKE = 22, CT_APPDATA = 23, CT_HEARTBEAT = 24 };

enum dir_mode {
    DM_RECORDS = 0, /* framing records */
    DM_RESYNC,      /* framing lost after a gap: wait for a chunk that starts with a header */
    DM_GAVE_UP,     /* not TLS */
    DM_CLOSED,      /* after tls_flush */
};

/* RFC 8446 §4.1.3: the random of a HelloRetryRequest, SHA-256("HelloRetryRequest"). */
static const uint8_t g_hrr_random[32] = {
    0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c, 0x02, 0x1e, 0x65, 0xb8, 0x91,
    0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb, 0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c};

struct tls_dir {
    uint8_t mode;     /* enum dir_mode */
    bool encrypted;   /* records are only counted from here on */
    bool seen_record; /* a record header was accepted */
    bool cert_done;   /* the first Certificate message was handled (later ones are ignored) */
    /* record header */
    uint8_t hdr[5];
    uint8_t hdr_have, hdr_need; /* hdr_need: 5 (TLS) or 2 (SSLv2); 0 before the first byte */
    bool v2;                    /* the current record is SSLv2 */
    bool v2_collect;            /* its body is an SSLv2 hello, collected into msg */
    bool rec_enc;               /* the direction was encrypted when this record began */
    uint8_t rec_type;
    uint16_t rec_version;
    uint32_t rec_len, rec_left;
    uint8_t small[3]; /* first body bytes of a CCS, alert or heartbeat record */
    uint8_t small_have;
    /* handshake layer */
    uint8_t hs_hdr[4];
    uint8_t hs_hdr_have;
    bool hs_skip; /* the message in progress is not kept (over msg_max, or no memory) */
    uint32_t hs_len, hs_have;
    uint8_t *msg;
    uint32_t msg_cap;
};

struct tls_state {
    struct tls_config cfg;
    struct tls_session s;
    struct tls_dir d[2];
    struct tls_cert *cert[2]; /* [TLS_DIR_TOCLIENT] the server's, [TLS_DIR_TOSERVER] the client's */
    struct tls_counters c;
    uint16_t anom_q[ANOM_QUEUE];
    uint8_t anom_n;
    uint8_t anom_seen_n;
    uint16_t anom_seen[ANOM_SEEN];
    bool flushed;
    /* for the duration of one call */
    tls_event_fn emit;
    void *ud;
    struct vg_ts ts;
};

/* ---- small helpers ---- */

static void anom(struct tls_state *st, int id)
{
    for (unsigned i = 0; i < st->anom_seen_n; i++)
        if (st->anom_seen[i] == id) return;
    if (st->anom_seen_n < ANOM_SEEN) st->anom_seen[st->anom_seen_n++] = (uint16_t)id;
    if (st->anom_n < ANOM_QUEUE) st->anom_q[st->anom_n++] = (uint16_t)id;
}

static void emit_ev(struct tls_state *st, struct tls_event *ev)
{
    if (st->emit) st->emit(st->ud, &st->s, ev);
}

static bool is_tls13(uint16_t v)
{
    return v == TLS_VERSION_13 || (v >> 8) == 0x7f || (v >= 0xfb14 && v <= 0xfb1a);
}

/* Suricata's TLSVersionValid: the versions it accepts from supported_versions. */
static bool version_known(uint16_t v)
{
    return (v >= TLS_VERSION_SSL3 && v <= TLS_VERSION_13) || (v >= 0x7f10 && v <= 0x7f1c) ||
           v == TLS_VERSION_13_PRE_DRAFT16 || (v >= 0xfb14 && v <= 0xfb17) || v == 0xfb1a;
}

/* Suricata's mapping of a hello's legacy version field. */
static uint16_t legacy_version(uint16_t v)
{
    if ((v >= 0x7f01 && v < 0x7f10) || v == TLS_VERSION_13) return TLS_VERSION_13_PRE_DRAFT16;
    return v;
}

static void hs_reset(struct tls_dir *d)
{
    d->hs_hdr_have = 0;
    d->hs_have = 0;
    d->hs_len = 0;
    d->hs_skip = false;
}

static bool hs_partial(const struct tls_dir *d)
{
    return d->hs_hdr_have != 0;
}

static bool hello_seen(const struct tls_session *s)
{
    const uint32_t any = TLS_SF_CLIENT_HELLO | TLS_SF_SERVER_HELLO | TLS_SF_HRR | TLS_SF_SSLV2;
    return (s->flags & any) != 0;
}

static void maybe_log(struct tls_state *st)
{
    if ((st->s.flags & TLS_SF_LOGGED) || !hello_seen(&st->s)) return;
    st->s.flags |= TLS_SF_LOGGED;
    struct tls_event ev = {.kind = TLS_EV_LOG, .dir = -1};
    emit_ev(st, &ev);
}

static void check_done(struct tls_state *st)
{
    if ((st->s.flags & TLS_SF_HANDSHAKE_DONE) || !st->d[0].encrypted || !st->d[1].encrypted) return;
    st->s.flags |= TLS_SF_HANDSHAKE_DONE;
    maybe_log(st);
}

static void set_encrypted(struct tls_state *st, int dir)
{
    struct tls_dir *d = &st->d[dir];
    if (d->encrypted) return;
    if (hs_partial(d)) anom(st, ANOM_TLS_INVALID_HANDSHAKE_MESSAGE); /* cut by the switch */
    hs_reset(d);
    d->v2_collect = false; /* the rest of an SSLv2 record in progress is only counted */
    d->encrypted = true;
    st->s.flags |= dir == TLS_DIR_TOSERVER ? TLS_SF_ENCRYPTED_TS : TLS_SF_ENCRYPTED_TC;
    check_done(st);
}

static bool ensure_msg(struct tls_state *st, struct tls_dir *d, uint32_t need)
{
    if (need <= d->msg_cap) return true;
    uint32_t cap = d->msg_cap ? d->msg_cap : MSG_MIN_CAP;
    while (cap < need)
        cap *= 2;
    if (cap > st->cfg.msg_max) cap = st->cfg.msg_max;
    if (cap < need) return false;
    uint8_t *p = vg_realloc(d->msg, cap);
    if (!p) {
        st->c.nomem++;
        return false;
    }
    d->msg = p;
    d->msg_cap = cap;
    return true;
}

static void push16(uint16_t *arr, uint16_t *n, unsigned cap, uint16_t v, uint32_t *flags,
                   uint32_t trunc_flag)
{
    if (*n < cap)
        arr[(*n)++] = v;
    else
        *flags |= trunc_flag;
}

/* ALPN protocol_name_list (RFC 7301 §3.1) into a; false when malformed. */
static bool parse_alpn(struct vg_reader *r, struct tls_alpn *a)
{
    uint16_t ll;
    const uint8_t *lp;
    if (!vg_rd_be16(r, &ll) || !vg_rd_bytes(r, ll, &lp)) return false;
    struct vg_reader l;
    vg_rd_init(&l, lp, ll);
    /* A hello may carry the extension twice (a malformed or hostile one): the second list is
     * appended after the first, never written over it (the kept entries point into buf). */
    unsigned used = a->n ? a->off[a->n - 1] + a->len[a->n - 1] + 1u : 0;
    while (vg_rd_left(&l)) {
        uint8_t pl;
        const uint8_t *pp;
        if (!vg_rd_u8(&l, &pl) || !vg_rd_bytes(&l, pl, &pp)) return false;
        if (a->n_total < 255) a->n_total++;
        if (a->n < TLS_MAX_ALPN && used + pl + 1u <= TLS_ALPN_BUF) {
            memcpy(a->buf + used, pp, pl);
            a->buf[used + pl] = 0;
            a->off[a->n] = (uint16_t)used;
            a->len[a->n] = pl;
            a->n++;
            used += pl + 1u;
        }
    }
    return true;
}

/* ---- ClientHello ---- */

static void parse_client_ext(struct tls_state *st, struct tls_client_hello *ch, uint16_t type,
                             const uint8_t *body, uint16_t len)
{
    struct vg_reader r;
    vg_rd_init(&r, body, len);
    uint32_t *fl = &ch->flags;
    switch (type) {
    case 0x0000: { /* server_name */
        if (*fl & TLS_CHF_HAS_SNI_EXT) {
            anom(st, ANOM_TLS_MULTIPLE_SNI_EXTENSIONS);
            return;
        }
        *fl |= TLS_CHF_HAS_SNI_EXT;
        if (!len) return;
        uint16_t ll;
        const uint8_t *lp;
        if (!vg_rd_be16(&r, &ll) || !vg_rd_bytes(&r, ll, &lp)) {
            anom(st, ANOM_TLS_HANDSHAKE_INVALID_LENGTH);
            return;
        }
        struct vg_reader l;
        vg_rd_init(&l, lp, ll);
        while (vg_rd_left(&l)) {
            uint8_t nt;
            uint16_t nl;
            if (!vg_rd_u8(&l, &nt) || !vg_rd_be16(&l, &nl)) {
                anom(st, ANOM_TLS_HANDSHAKE_INVALID_LENGTH);
                return;
            }
            if (nt != 0) {
                anom(st, ANOM_TLS_INVALID_SNI_TYPE);
                return;
            }
            const uint8_t *np;
            if (nl == 0 || nl > TLS_SNI_MAX || !vg_rd_bytes(&l, nl, &np)) {
                anom(st, ANOM_TLS_INVALID_SNI_LENGTH);
                return;
            }
            if (!ch->sni_len) {
                memcpy(ch->sni, np, nl);
                ch->sni[nl] = 0;
                ch->sni_len = nl;
            }
        }
        return;
    }
    case 0x000a: { /* supported_groups */
        uint16_t ll;
        if (!vg_rd_be16(&r, &ll) || (ll & 1) || ll > vg_rd_left(&r)) break;
        for (uint16_t i = 0; i < ll / 2; i++) {
            uint16_t g = 0;
            (void)vg_rd_be16(&r, &g);
            push16(ch->groups, &ch->n_groups, TLS_MAX_GROUPS, g, fl, TLS_CHF_TRUNCATED);
        }
        return;
    }
    case 0x000b: { /* ec_point_formats */
        uint8_t ll;
        const uint8_t *lp;
        if (!vg_rd_u8(&r, &ll) || !vg_rd_bytes(&r, ll, &lp)) break;
        for (unsigned i = 0; i < ll; i++) {
            if (ch->n_point_formats < TLS_MAX_POINT_FORMATS)
                ch->point_formats[ch->n_point_formats++] = lp[i];
            else
                *fl |= TLS_CHF_TRUNCATED;
        }
        return;
    }
    case 0x000d: { /* signature_algorithms */
        uint16_t ll;
        if (!vg_rd_be16(&r, &ll) || (ll & 1) || ll > vg_rd_left(&r)) break;
        for (uint16_t i = 0; i < ll / 2; i++) {
            uint16_t v = 0;
            (void)vg_rd_be16(&r, &v);
            push16(ch->sigalgs, &ch->n_sigalgs, TLS_MAX_SIGALGS, v, fl, TLS_CHF_TRUNCATED);
        }
        return;
    }
    case 0x0010: /* application_layer_protocol_negotiation */
        *fl |= TLS_CHF_HAS_ALPN_EXT;
        if (!len) return;
        if (!parse_alpn(&r, &ch->alpn)) break;
        return;
    case 0x002b: { /* supported_versions */
        uint8_t ll;
        const uint8_t *lp;
        *fl |= TLS_CHF_HAS_VERSIONS;
        if (!vg_rd_u8(&r, &ll) || (ll & 1) || !vg_rd_bytes(&r, ll, &lp)) break;
        for (unsigned i = 0; i + 1 < ll; i += 2) {
            if (ch->n_versions < TLS_MAX_VERSIONS)
                ch->versions[ch->n_versions++] = vg_load_be16(lp + i);
            else
                *fl |= TLS_CHF_TRUNCATED;
        }
        return;
    }
    case 0x0033: { /* key_share */
        uint16_t ll;
        const uint8_t *lp;
        *fl |= TLS_CHF_KEY_SHARE;
        if (!vg_rd_be16(&r, &ll) || !vg_rd_bytes(&r, ll, &lp)) break;
        struct vg_reader l;
        vg_rd_init(&l, lp, ll);
        while (vg_rd_left(&l)) {
            uint16_t g, kl;
            if (!vg_rd_be16(&l, &g) || !vg_rd_be16(&l, &kl) || !vg_rd_skip(&l, kl)) {
                anom(st, ANOM_TLS_HANDSHAKE_INVALID_LENGTH);
                return;
            }
            if (ch->n_key_shares < TLS_MAX_KEY_SHARES) ch->key_share_groups[ch->n_key_shares++] = g;
        }
        return;
    }
    case 0x0023:
        *fl |= TLS_CHF_SESSION_TICKET;
        return;
    case 0x002a:
        *fl |= TLS_CHF_EARLY_DATA;
        return;
    case 0x0029:
        *fl |= TLS_CHF_PSK;
        return;
    default:
        return;
    }
    anom(st, ANOM_TLS_HANDSHAKE_INVALID_LENGTH);
}

static void client_hello_done(struct tls_state *st, struct tls_client_hello *ch, int dir)
{
    if (!(ch->flags & TLS_CHF_SSLV2)) {
        ch->ja3_len = (uint32_t)tls_ja3(ch, ch->ja3_str, sizeof ch->ja3_str, ch->ja3_hash);
        if (ch->ja3_len >= sizeof ch->ja3_str) ch->flags |= TLS_CHF_JA3_TRUNC;
        struct tls_ja4_input in;
        tls_ja4_input_from_hello(ch, &in);
        tls_ja4(&in, ch->ja4, NULL, 0);
    }
    ch->ja4_version = ch->version;
    bool have = false;
    for (unsigned i = 0; i < ch->n_versions; i++) {
        uint16_t v = ch->versions[i];
        if (tls_is_grease(v)) continue;
        if (!have || v > ch->ja4_version) ch->ja4_version = v;
        have = true;
    }
    if (ch->flags & TLS_CHF_TRUNCATED) st->c.lists_truncated++;
    st->c.client_hellos++;
    st->s.n_client_hellos++;
    if (!(st->s.flags & TLS_SF_CLIENT_HELLO)) {
        memcpy(&st->s.ch, ch, sizeof st->s.ch);
        st->s.flags |= TLS_SF_CLIENT_HELLO;
        if (!(st->s.flags & (TLS_SF_SERVER_HELLO | TLS_SF_HRR))) {
            uint16_t v = legacy_version(ch->version);
            for (unsigned i = 0; i < ch->n_versions; i++)
                if (version_known(ch->versions[i])) {
                    v = ch->versions[i];
                    break;
                }
            st->s.version = v;
        }
    }
    struct tls_event ev = {.kind = TLS_EV_CLIENT_HELLO, .dir = dir, .ch = ch};
    emit_ev(st, &ev);
}

static void parse_client_hello(struct tls_state *st, int dir, const uint8_t *b, uint32_t len)
{
    struct tls_client_hello ch;
    memset(&ch, 0, sizeof ch);
    ch.record_version = st->d[dir].rec_version;
    struct vg_reader r;
    vg_rd_init(&r, b, len);
    const uint8_t *p;
    uint8_t sidl, compl ;
    uint16_t cl, el;
    if (!vg_rd_be16(&r, &ch.version) || !vg_rd_bytes(&r, 32, &p)) goto bad;
    memcpy(ch.random, p, 32);
    if (!vg_rd_u8(&r, &sidl) || !vg_rd_bytes(&r, sidl, &p)) goto bad;
    if (sidl > 32) anom(st, ANOM_TLS_HANDSHAKE_INVALID_LENGTH);
    ch.session_id_len = sidl > 32 ? 32 : sidl;
    memcpy(ch.session_id, p, ch.session_id_len);
    if (!vg_rd_be16(&r, &cl) || (cl & 1) || !vg_rd_bytes(&r, cl, &p)) goto bad;
    for (unsigned i = 0; i < cl; i += 2)
        push16(ch.ciphers, &ch.n_ciphers, TLS_MAX_CIPHERS, vg_load_be16(p + i), &ch.flags,
               TLS_CHF_TRUNCATED);
    if (!vg_rd_u8(&r, &compl ) || !vg_rd_bytes(&r, compl, &p)) goto bad;
    for (unsigned i = 0; i < compl ; i++)
        if (ch.n_compression < TLS_MAX_COMPRESSION) ch.compression[ch.n_compression++] = p[i];
    if (vg_rd_left(&r) == 0) goto done; /* no extensions (RFC 5246 §7.4.1.2) */
    if (!vg_rd_be16(&r, &el)) goto bad;
    if (el > vg_rd_left(&r)) {
        anom(st, ANOM_TLS_HANDSHAKE_INVALID_LENGTH);
        ch.flags |= TLS_CHF_MALFORMED;
        el = (uint16_t)vg_rd_left(&r); /* parse what is there */
    }
    struct vg_reader e;
    vg_rd_init(&e, vg_rd_ptr(&r), el);
    while (vg_rd_left(&e)) {
        uint16_t t, l;
        if (!vg_rd_be16(&e, &t) || !vg_rd_be16(&e, &l) || !vg_rd_bytes(&e, l, &p)) goto bad;
        push16(ch.exts, &ch.n_exts, TLS_MAX_EXTS, t, &ch.flags, TLS_CHF_TRUNCATED);
        parse_client_ext(st, &ch, t, p, l);
    }
    goto done;
bad:
    anom(st, ANOM_TLS_HANDSHAKE_INVALID_LENGTH);
    ch.flags |= TLS_CHF_MALFORMED;
done:
    client_hello_done(st, &ch, dir);
}

/* SSLv2 CLIENT-HELLO (draft-hickman-netscape-ssl-00 §2.5): msg type 1, version, cipher-specs
 * length, session-id length, challenge length, then the three fields. */
static void parse_v2_client_hello(struct tls_state *st, int dir, const uint8_t *b, uint32_t len)
{
    struct tls_client_hello ch;
    memset(&ch, 0, sizeof ch);
    ch.flags = TLS_CHF_SSLV2;
    struct vg_reader r;
    vg_rd_init(&r, b + 1, len - 1);
    uint16_t csl, sidl, chl;
    const uint8_t *cs, *sid, *chal;
    if (!vg_rd_be16(&r, &ch.version) || !vg_rd_be16(&r, &csl) || !vg_rd_be16(&r, &sidl) ||
        !vg_rd_be16(&r, &chl) || !vg_rd_bytes(&r, csl, &cs) || !vg_rd_bytes(&r, sidl, &sid) ||
        !vg_rd_bytes(&r, chl, &chal) || csl % 3) {
        anom(st, ANOM_TLS_INVALID_SSLV2_HEADER);
        ch.flags |= TLS_CHF_MALFORMED;
    } else {
        for (unsigned i = 0; i + 2 < csl; i += 3) {
            if (cs[i] == 0)
                push16(ch.ciphers, &ch.n_ciphers, TLS_MAX_CIPHERS, vg_load_be16(cs + i + 1),
                       &ch.flags, TLS_CHF_TRUNCATED);
            else
                ch.n_sslv2_ciphers++;
        }
        ch.session_id_len = (uint8_t)(sidl > 32 ? 32 : sidl);
        memcpy(ch.session_id, sid, ch.session_id_len);
        /* RFC 5246 E.2: the challenge is the right-aligned ClientHello.random */
        size_t k = chl > 32 ? 32 : chl;
        memcpy(ch.random + 32 - k, chal + chl - k, k);
    }
    st->c.sslv2_hellos++;
    st->s.flags |= TLS_SF_SSLV2;
    client_hello_done(st, &ch, dir);
}

/* ---- ServerHello ---- */

static void parse_server_hello(struct tls_state *st, int dir, const uint8_t *b, uint32_t len)
{
    struct tls_server_hello sh;
    memset(&sh, 0, sizeof sh);
    sh.record_version = st->d[dir].rec_version;
    struct vg_reader r;
    vg_rd_init(&r, b, len);
    const uint8_t *p;
    if (!vg_rd_be16(&r, &sh.version) || !vg_rd_bytes(&r, 32, &p)) goto bad;
    memcpy(sh.random, p, 32);
    if (memcmp(sh.random, g_hrr_random, 32) == 0) sh.flags |= TLS_SHF_HRR;
    /* TLS 1.3 drafts before 22 (legacy version 0x7fxx or 0x0304) dropped session id and
     * compression from the ServerHello. */
    bool old_draft = sh.version == TLS_VERSION_13 || (sh.version >> 8) == 0x7f;
    if (!old_draft) {
        uint8_t sidl;
        if (!vg_rd_u8(&r, &sidl) || !vg_rd_bytes(&r, sidl, &p)) goto bad;
        sh.session_id_len = sidl > 32 ? 32 : sidl;
        memcpy(sh.session_id, p, sh.session_id_len);
    }
    if (!vg_rd_be16(&r, &sh.cipher)) goto bad;
    if (!old_draft && !vg_rd_u8(&r, &sh.compression)) goto bad;
    if (vg_rd_left(&r) >= 2) {
        uint16_t el;
        (void)vg_rd_be16(&r, &el);
        if (el > vg_rd_left(&r)) {
            anom(st, ANOM_TLS_HANDSHAKE_INVALID_LENGTH);
            sh.flags |= TLS_SHF_MALFORMED;
            el = (uint16_t)vg_rd_left(&r);
        }
        struct vg_reader e;
        vg_rd_init(&e, vg_rd_ptr(&r), el);
        while (vg_rd_left(&e)) {
            uint16_t t, l;
            if (!vg_rd_be16(&e, &t) || !vg_rd_be16(&e, &l) || !vg_rd_bytes(&e, l, &p)) goto bad;
            push16(sh.exts, &sh.n_exts, TLS_MAX_EXTS, t, &sh.flags, TLS_SHF_TRUNCATED);
            struct vg_reader x;
            vg_rd_init(&x, p, l);
            switch (t) {
            case 0x002b:
                (void)vg_rd_be16(&x, &sh.selected_version);
                break;
            case 0x0033:
                (void)vg_rd_be16(&x, &sh.key_share_group);
                break;
            case 0x0029:
                sh.flags |= TLS_SHF_PSK;
                break;
            case 0x0010:
                if (l && !parse_alpn(&x, &sh.alpn)) anom(st, ANOM_TLS_HANDSHAKE_INVALID_LENGTH);
                break;
            default:
                break;
            }
        }
    } else if (vg_rd_left(&r) == 1) {
        goto bad;
    }
    goto done;
bad:
    anom(st, ANOM_TLS_HANDSHAKE_INVALID_LENGTH);
    sh.flags |= TLS_SHF_MALFORMED;
done:
    tls_ja3s(&sh, sh.ja3s_str, sizeof sh.ja3s_str, sh.ja3s_hash);
    st->c.server_hellos++;
    st->s.n_server_hellos++;

    struct tls_session *s = &st->s;
    /* the version as Suricata reports it */
    uint16_t v = legacy_version(sh.version);
    if (sh.selected_version) v = sh.selected_version;
    s->version = v;
    uint16_t sel = sh.selected_version ? sh.selected_version : sh.version;

    if (sh.flags & TLS_SHF_HRR) {
        s->flags |= TLS_SF_HRR;
        st->c.hello_retries++;
        if (!(s->flags & TLS_SF_SERVER_HELLO)) memcpy(&s->sh, &sh, sizeof sh);
    } else {
        memcpy(&s->sh, &sh, sizeof sh);
        s->flags |= TLS_SF_SERVER_HELLO;
        if (is_tls13(sel)) {
            s->flags |= TLS_SF_TLS13;
            if (sh.flags & TLS_SHF_PSK) s->flags |= TLS_SF_RESUMED;
        } else if (sh.session_id_len && sh.session_id_len == s->ch.session_id_len &&
                   memcmp(sh.session_id, s->ch.session_id, sh.session_id_len) == 0) {
            s->flags |= TLS_SF_RESUMED;
        }
    }
    struct tls_event ev = {.kind = TLS_EV_SERVER_HELLO, .dir = dir, .sh = &sh};
    emit_ev(st, &ev);
    /* RFC 8446 §2: everything the server sends after its ServerHello is encrypted */
    if (!(sh.flags & TLS_SHF_HRR) && is_tls13(sel)) set_encrypted(st, dir);
}

static void decode_cert_into(struct tls_state *st, int dir, const uint8_t *der, uint32_t len,
                             bool *decoded);

/* SSLv2 SERVER-HELLO (§2.6): msg type 4, session-id-hit, certificate type, version, certificate
 * length, cipher-specs length, connection-id length, then the certificate. */
static void parse_v2_server_hello(struct tls_state *st, int dir, const uint8_t *b, uint32_t len)
{
    struct tls_server_hello sh;
    memset(&sh, 0, sizeof sh);
    sh.flags = TLS_SHF_SSLV2;
    struct vg_reader r;
    vg_rd_init(&r, b + 1, len - 1);
    uint8_t hit, ctype;
    uint16_t certl, csl, cidl;
    const uint8_t *cert = NULL;
    if (!vg_rd_u8(&r, &hit) || !vg_rd_u8(&r, &ctype) || !vg_rd_be16(&r, &sh.version) ||
        !vg_rd_be16(&r, &certl) || !vg_rd_be16(&r, &csl) || !vg_rd_be16(&r, &cidl) ||
        !vg_rd_bytes(&r, certl, &cert)) {
        anom(st, ANOM_TLS_INVALID_SSLV2_HEADER);
        sh.flags |= TLS_SHF_MALFORMED;
        cert = NULL;
    }
    st->c.server_hellos++;
    st->s.n_server_hellos++;
    st->s.flags |= TLS_SF_SERVER_HELLO | TLS_SF_SSLV2;
    st->s.version = TLS_VERSION_SSL2;
    memcpy(&st->s.sh, &sh, sizeof sh);
    struct tls_event ev = {.kind = TLS_EV_SERVER_HELLO, .dir = dir, .sh = &sh};
    emit_ev(st, &ev);
    if (cert && certl && ctype == 1 && !st->d[dir].cert_done) {
        st->d[dir].cert_done = true;
        bool decoded = false;
        st->c.certificates++;
        decode_cert_into(st, dir, cert, certl, &decoded);
        st->s.server_chain_len = 1;
        struct tls_event cev = {.kind = TLS_EV_CERTIFICATE,
                                .dir = dir,
                                .cert = decoded ? st->cert[dir] : NULL,
                                .chain_len = 1};
        emit_ev(st, &cev);
    }
    /* the rest of an SSLv2 session is not parsed */
    set_encrypted(st, TLS_DIR_TOCLIENT);
    set_encrypted(st, TLS_DIR_TOSERVER);
}

/* ---- Certificate ---- */

static void decode_cert_into(struct tls_state *st, int dir, const uint8_t *der, uint32_t len,
                             bool *decoded)
{
    if (!st->cert[dir]) {
        st->cert[dir] = vg_calloc(1, sizeof *st->cert[dir]);
        if (!st->cert[dir]) {
            st->c.nomem++;
            return;
        }
    }
    if (tls__cert_decode(der, len, st->cert[dir])) {
        *decoded = true;
        st->c.cert_decoded++;
        if (dir == TLS_DIR_TOCLIENT)
            st->s.server_cert = st->cert[dir];
        else
            st->s.client_cert = st->cert[dir];
    } else {
        st->c.cert_errors++;
        anom(st, ANOM_TLS_CERTIFICATE_INVALID_DER);
    }
}

static uint32_t be24(const uint8_t *p)
{
    return ((uint32_t)p[0] << 16) | ((uint32_t)p[1] << 8) | p[2];
}

#define CERT_DECODE_TRIES 4 /* certificates tried for "the first one that decodes" */

static void parse_certificate(struct tls_state *st, int dir, const uint8_t *b, uint32_t len)
{
    struct tls_dir *d = &st->d[dir];
    if (d->cert_done) return; /* renegotiation re-sends it; the first one is kept (Suricata) */
    d->cert_done = true;
    struct vg_reader r;
    vg_rd_init(&r, b, len);
    const uint8_t *p;
    if (!vg_rd_bytes(&r, 3, &p)) {
        anom(st, ANOM_TLS_INVALID_CERTIFICATE);
        return;
    }
    uint32_t chain = be24(p);
    if (chain != vg_rd_left(&r)) anom(st, ANOM_TLS_CERTIFICATE_INVALID_LENGTH);
    if (chain > vg_rd_left(&r)) chain = (uint32_t)vg_rd_left(&r);
    struct vg_reader c;
    vg_rd_init(&c, vg_rd_ptr(&r), chain);
    uint16_t count = 0;
    unsigned tries = 0;
    bool decoded = false;
    while (vg_rd_left(&c)) {
        const uint8_t *der;
        if (!vg_rd_bytes(&c, 3, &p)) {
            anom(st, ANOM_TLS_INVALID_CERTIFICATE);
            break;
        }
        uint32_t cl = be24(p);
        if (!vg_rd_bytes(&c, cl, &der)) {
            anom(st, ANOM_TLS_CERTIFICATE_INVALID_LENGTH);
            break;
        }
        if (count < UINT16_MAX) count++;
        st->c.certificates++;
        if (!decoded && tries < CERT_DECODE_TRIES && cl) {
            tries++;
            decode_cert_into(st, dir, der, cl, &decoded);
        }
    }
    if (dir == TLS_DIR_TOCLIENT)
        st->s.server_chain_len = count;
    else
        st->s.client_chain_len = count;
    struct tls_event ev = {.kind = TLS_EV_CERTIFICATE,
                           .dir = dir,
                           .cert = decoded ? st->cert[dir] : NULL,
                           .chain_len = count};
    emit_ev(st, &ev);
}

/* ---- handshake layer ---- */

static void handle_message(struct tls_state *st, int dir, uint8_t type, const uint8_t *b,
                           uint32_t len)
{
    st->c.handshake_msgs[dir]++;
    switch (type) {
    case TLS_HS_CLIENT_HELLO:
        if (dir != TLS_DIR_TOSERVER) {
            anom(st, ANOM_TLS_INVALID_HANDSHAKE_MESSAGE);
            return;
        }
        parse_client_hello(st, dir, b, len);
        return;
    case TLS_HS_SERVER_HELLO:
        if (dir != TLS_DIR_TOCLIENT) {
            anom(st, ANOM_TLS_INVALID_HANDSHAKE_MESSAGE);
            return;
        }
        parse_server_hello(st, dir, b, len);
        return;
    case TLS_HS_HELLO_RETRY_REQUEST: /* drafts' own message */
        st->s.flags |= TLS_SF_HRR;
        st->c.hello_retries++;
        return;
    case TLS_HS_CERTIFICATE:
        parse_certificate(st, dir, b, len);
        return;
    case TLS_HS_HELLO_REQUEST:
    case 3: /* hello_verify_request (DTLS) */
    case TLS_HS_NEW_SESSION_TICKET:
    case TLS_HS_END_OF_EARLY_DATA:
    case TLS_HS_ENCRYPTED_EXTENSIONS:
    case TLS_HS_SERVER_KEY_EXCHANGE:
    case TLS_HS_CERTIFICATE_REQUEST:
    case TLS_HS_SERVER_HELLO_DONE:
    case TLS_HS_CERTIFICATE_VERIFY:
    case TLS_HS_CLIENT_KEY_EXCHANGE:
    case TLS_HS_FINISHED:
    case 21:  /* certificate_url */
    case 22:  /* certificate_status */
    case 23:  /* supplemental_data */
    case 24:  /* key_update */
    case 25:  /* compressed_certificate (RFC 8879) */
    case 67:  /* next_protocol (NPN) */
    case 254: /* message_hash */
        return;
    default:
        anom(st, ANOM_TLS_INVALID_HANDSHAKE_MESSAGE);
        return;
    }
}

/* Feeds n body bytes of a cleartext handshake record. */
static void hs_feed(struct tls_state *st, int dir, const uint8_t *p, size_t n)
{
    struct tls_dir *d = &st->d[dir];
    while (n && !d->encrypted && d->mode == DM_RECORDS) {
        if (d->hs_hdr_have < 4) {
            d->hs_hdr[d->hs_hdr_have++] = *p++;
            n--;
            if (d->hs_hdr_have < 4) continue;
            d->hs_len = be24(d->hs_hdr + 1);
            d->hs_have = 0;
            d->hs_skip = false;
            if (d->hs_len > st->cfg.msg_max) {
                anom(st, ANOM_TLS_HANDSHAKE_MESSAGE_TOO_LONG);
                st->c.msg_too_long++;
                d->hs_skip = true;
            } else if (!ensure_msg(st, d, d->hs_len)) {
                d->hs_skip = true;
            }
        } else {
            size_t take = d->hs_len - d->hs_have;
            if (take > n) take = n;
            if (!d->hs_skip) memcpy(d->msg + d->hs_have, p, take);
            d->hs_have += (uint32_t)take;
            p += take;
            n -= take;
        }
        if (d->hs_hdr_have == 4 && d->hs_have == d->hs_len) {
            uint8_t type = d->hs_hdr[0];
            bool skip = d->hs_skip;
            uint32_t l = d->hs_len;
            hs_reset(d);
            if (!skip) handle_message(st, dir, type, d->msg, l);
        }
    }
}

/* ---- record layer ---- */

static void give_up(struct tls_state *st, struct tls_dir *d)
{
    if (d->mode == DM_GAVE_UP) return;
    d->mode = DM_GAVE_UP;
    st->s.flags |= TLS_SF_GAVE_UP;
    st->c.gave_up++;
}

/* The record header in d->hdr is complete. */
static void record_begin(struct tls_state *st, int dir)
{
    struct tls_dir *d = &st->d[dir];
    d->small_have = 0;
    d->v2_collect = false;
    if (d->v2) {
        d->rec_type = 0;
        d->rec_version = TLS_VERSION_SSL2;
        d->rec_len = ((uint32_t)(d->hdr[0] & 0x7f) << 8) | d->hdr[1];
        bool sslv2_session = (st->s.sh.flags & TLS_SHF_SSLV2) != 0;
        if (d->seen_record && !sslv2_session) {
            anom(st, ANOM_TLS_INVALID_RECORD_TYPE);
            give_up(st, d);
            return;
        }
        if (!d->seen_record) {
            if (d->rec_len < 1 || d->rec_len > st->cfg.msg_max || !ensure_msg(st, d, d->rec_len)) {
                anom(st, ANOM_TLS_INVALID_SSLV2_HEADER);
                give_up(st, d);
                return;
            }
            d->v2_collect = true;
        }
    } else {
        d->rec_type = d->hdr[0];
        d->rec_version = vg_load_be16(d->hdr + 1);
        d->rec_len = vg_load_be16(d->hdr + 3);
        if (d->rec_type < CT_CCS || d->rec_type > CT_HEARTBEAT) {
            anom(st, ANOM_TLS_INVALID_RECORD_TYPE);
            give_up(st, d);
            return;
        }
        if (d->hdr[1] != 3) {
            anom(st, ANOM_TLS_INVALID_RECORD_VERSION);
            give_up(st, d);
            return;
        }
        if (d->hdr[2] > 4) anom(st, ANOM_TLS_INVALID_RECORD_VERSION);
        if (d->rec_len > TLS_RECORD_MAX || (d->rec_len == 0 && d->rec_type != CT_APPDATA))
            anom(st, ANOM_TLS_INVALID_RECORD_LENGTH);
    }
    d->seen_record = true;
    d->rec_enc = d->encrypted;
    d->rec_left = d->rec_len;
    st->c.records[dir]++;
}

static bool client_offers_tls13(const struct tls_session *s)
{
    if (!(s->flags & TLS_SF_CLIENT_HELLO)) return false;
    for (unsigned i = 0; i < s->ch.n_versions; i++)
        if (!tls_is_grease(s->ch.versions[i]) && is_tls13(s->ch.versions[i])) return true;
    return false;
}

/* The record body has been seen whole. */
static void record_end(struct tls_state *st, int dir)
{
    struct tls_dir *d = &st->d[dir];
    struct tls_session *s = &st->s;
    if (d->v2) {
        if (d->v2_collect) {
            d->v2_collect = false;
            uint8_t mt = d->msg[0];
            if (mt == 1 && dir == TLS_DIR_TOSERVER)
                parse_v2_client_hello(st, dir, d->msg, d->rec_len);
            else if (mt == 4 && dir == TLS_DIR_TOCLIENT)
                parse_v2_server_hello(st, dir, d->msg, d->rec_len);
            else
                anom(st, ANOM_TLS_INVALID_SSLV2_HEADER);
        } else {
            st->c.encrypted_records[dir]++;
        }
        return;
    }
    switch (d->rec_type) {
    case CT_HANDSHAKE:
        if (d->rec_enc) st->c.encrypted_records[dir]++;
        return;
    case CT_CCS: {
        st->c.ccs++;
        if (d->rec_enc) {
            st->c.encrypted_records[dir]++;
            return;
        }
        if (d->rec_len != 1 || d->small[0] != 1) anom(st, ANOM_TLS_INVALID_SSL_RECORD);
        /* RFC 8446 D.4: a TLS 1.3 peer may send a dummy CCS before its second ClientHello or
         * after a HelloRetryRequest; the hellos that follow are still in the clear. */
        bool compat;
        if (dir == TLS_DIR_TOSERVER)
            compat = client_offers_tls13(s) &&
                     (!(s->flags & TLS_SF_SERVER_HELLO) || (s->flags & TLS_SF_TLS13));
        else
            compat = (s->flags & TLS_SF_HRR) && !(s->flags & TLS_SF_SERVER_HELLO);
        if (compat) {
            if (hs_partial(d)) {
                anom(st, ANOM_TLS_INVALID_HANDSHAKE_MESSAGE);
                hs_reset(d);
            }
            return;
        }
        set_encrypted(st, dir);
        return;
    }
    case CT_ALERT:
        st->c.alerts++;
        if (d->rec_enc) {
            st->c.encrypted_records[dir]++;
            return;
        }
        if (d->rec_len >= 2) {
            s->alert_level[dir] = d->small[0];
            s->alert_desc[dir] = d->small[1];
            s->flags |= dir == TLS_DIR_TOSERVER ? TLS_SF_ALERT_TS : TLS_SF_ALERT_TC;
        }
        if (d->rec_len != 2) anom(st, ANOM_TLS_INVALID_ALERT_MESSAGE);
        return;
    case CT_APPDATA:
        st->c.encrypted_records[dir]++;
        set_encrypted(st, dir);
        return;
    case CT_HEARTBEAT:
        st->c.heartbeats++;
        anom(st, ANOM_TLS_HEARTBEAT_MESSAGE);
        if (d->rec_enc) {
            st->c.encrypted_records[dir]++;
            return;
        }
        /* RFC 6520 §4: type(1) payload_length(2) payload padding(>= 16) */
        if (d->small_have < 3 || 3u + vg_load_be16(d->small + 1) + 16u > d->rec_len)
            anom(st, ANOM_TLS_OVERFLOW_HEARTBEAT_MESSAGE);
        return;
    }
}

/* Record body bytes. */
static void record_body(struct tls_state *st, int dir, const uint8_t *p, size_t n)
{
    struct tls_dir *d = &st->d[dir];
    if (d->v2) {
        if (d->v2_collect)
            memcpy(d->msg + (d->rec_len - d->rec_left), p, n);
        else
            st->c.encrypted_bytes[dir] += n;
        return;
    }
    switch (d->rec_type) {
    case CT_HANDSHAKE:
        if (!d->rec_enc) {
            hs_feed(st, dir, p, n); /* stops parsing if the message switched to encryption */
            return;
        }
        break;
    case CT_CCS:
    case CT_ALERT:
    case CT_HEARTBEAT:
        for (size_t i = 0; i < n && d->small_have < sizeof d->small; i++)
            d->small[d->small_have++] = p[i];
        if (!d->rec_enc) return;
        break;
    default:
        break;
    }
    st->c.encrypted_bytes[dir] += n;
}

static bool header_plausible(const uint8_t *p, size_t n)
{
    return n >= 5 && p[0] >= CT_CCS && p[0] <= CT_HEARTBEAT && p[1] == 3 && p[2] <= 4 &&
           vg_load_be16(p + 3) <= TLS_RECORD_MAX;
}

static void dir_feed(struct tls_state *st, int dir, const uint8_t *data, size_t len)
{
    struct tls_dir *d = &st->d[dir];
    size_t off = 0;
    while (off < len && d->mode == DM_RECORDS) {
        if (d->hdr_need == 0 || d->hdr_have < d->hdr_need) {
            if (d->hdr_have == 0) {
                d->v2 = (data[off] & 0x80) != 0;
                d->hdr_need = d->v2 ? 2 : 5;
            }
            while (off < len && d->hdr_have < d->hdr_need)
                d->hdr[d->hdr_have++] = data[off++];
            if (d->hdr_have < d->hdr_need) break;
            record_begin(st, dir);
            if (d->mode != DM_RECORDS) break;
        } else {
            size_t n = len - off;
            if (n > d->rec_left) n = d->rec_left;
            record_body(st, dir, data + off, n);
            off += n;
            d->rec_left -= (uint32_t)n;
        }
        if (d->hdr_have == d->hdr_need && d->rec_left == 0) {
            record_end(st, dir);
            d->hdr_have = 0;
            d->hdr_need = 0;
        }
    }
}

/* ---- public ---- */

void tls_config_default(struct tls_config *cfg)
{
    cfg->msg_max = TLS_MSG_MAX_DEFAULT;
}

struct tls_state *tls_state_new(const struct tls_config *cfg)
{
    struct tls_state *st = vg_calloc(1, sizeof *st);
    if (!st) return NULL;
    if (cfg)
        st->cfg = *cfg;
    else
        tls_config_default(&st->cfg);
    if (st->cfg.msg_max < 64) st->cfg.msg_max = 64;
    if (st->cfg.msg_max > (1u << 24)) st->cfg.msg_max = 1u << 24;
    return st;
}

void tls_state_free(struct tls_state *st)
{
    if (!st) return;
    for (int i = 0; i < 2; i++) {
        vg_free(st->d[i].msg);
        vg_free(st->cert[i]);
    }
    vg_free(st);
}

static void trim(struct tls_state *st)
{
    /* the handshake is over: the message buffers are not needed any more */
    for (int i = 0; i < 2; i++) {
        if (st->d[i].v2_collect || hs_partial(&st->d[i])) continue;
        vg_free(st->d[i].msg);
        st->d[i].msg = NULL;
        st->d[i].msg_cap = 0;
    }
}

int tls_parse(struct tls_state *st, int dir, const uint8_t *data, size_t len, struct vg_ts ts,
              tls_event_fn emit, void *ud)
{
    if (!st || (dir != TLS_DIR_TOSERVER && dir != TLS_DIR_TOCLIENT) || (len && !data))
        return VG_ERR_USAGE;
    struct tls_dir *d = &st->d[dir];
    if (st->flushed || d->mode == DM_CLOSED || d->mode == DM_GAVE_UP) return VG_DECLINED;
    if (!len) return VG_OK;
    st->emit = emit;
    st->ud = ud;
    st->ts = ts;
    if (d->mode == DM_RESYNC) {
        if (!header_plausible(data, len)) {
            st->c.resync_drops++;
            return VG_OK;
        }
        d->mode = DM_RECORDS;
        d->hdr_have = d->hdr_need = 0;
        hs_reset(d);
        st->c.resyncs++;
    }
    bool hs_before = !d->encrypted;
    dir_feed(st, dir, data, len);
    if (hs_before) {
        if (!st->s.ts_first.sec && !st->s.ts_first.nsec) st->s.ts_first = ts;
        st->s.ts_last = ts;
    }
    if ((st->s.flags & TLS_SF_HANDSHAKE_DONE) && (st->d[0].msg || st->d[1].msg)) trim(st);
    st->emit = NULL;
    st->ud = NULL;
    return d->mode == DM_GAVE_UP ? VG_DECLINED : VG_OK;
}

int tls_gap(struct tls_state *st, int dir, size_t len)
{
    if (!st || (dir != TLS_DIR_TOSERVER && dir != TLS_DIR_TOCLIENT)) return VG_ERR_USAGE;
    struct tls_dir *d = &st->d[dir];
    if (!len || d->mode != DM_RECORDS || st->flushed) return VG_OK;
    st->c.gaps++;
    st->c.gap_bytes += len;
    bool in_body = d->hdr_need && d->hdr_have == d->hdr_need;
    bool counted_only = d->v2 ? !d->v2_collect : (d->rec_enc || d->rec_type == CT_APPDATA);
    if (in_body && counted_only && len <= d->rec_left) {
        /* skipped inside a counted-only record: framing is kept; when the record ends here,
         * record_end runs at the next tls_parse call (which has the event callback) */
        st->c.encrypted_bytes[dir] += len;
        d->rec_left -= (uint32_t)len;
        return VG_OK;
    }
    hs_reset(d);
    d->v2_collect = false;
    d->hdr_have = d->hdr_need = 0;
    d->rec_left = 0;
    d->mode = DM_RESYNC;
    return VG_OK;
}

void tls_flush(struct tls_state *st, tls_event_fn emit, void *ud)
{
    if (!st || st->flushed) return;
    st->flushed = true;
    st->emit = emit;
    st->ud = ud;
    maybe_log(st);
    st->emit = NULL;
    st->ud = NULL;
    for (int i = 0; i < 2; i++)
        st->d[i].mode = DM_CLOSED;
    trim(st);
}

unsigned tls_take_anomalies(struct tls_state *st, uint16_t *out, unsigned max)
{
    if (!st || !out) return 0;
    unsigned n = st->anom_n < max ? st->anom_n : max;
    memcpy(out, st->anom_q, n * sizeof *out);
    memmove(st->anom_q, st->anom_q + n, (st->anom_n - n) * sizeof *out);
    st->anom_n = (uint8_t)(st->anom_n - n);
    return n;
}

const struct tls_session *tls_session(const struct tls_state *st)
{
    return st ? &st->s : NULL;
}

const struct tls_counters *tls_counters(const struct tls_state *st)
{
    return st ? &st->c : NULL;
}

bool tls_handshake_done(const struct tls_state *st)
{
    return st && (st->s.flags & TLS_SF_HANDSHAKE_DONE);
}

const char *tls_version_str(uint16_t v, char *buf)
{
    const char *s = NULL;
    switch (v) {
    case 0:
        s = "UNDETERMINED";
        break;
    case TLS_VERSION_SSL2:
        s = "SSLv2";
        break;
    case TLS_VERSION_SSL3:
        s = "SSLv3";
        break;
    case TLS_VERSION_10:
        s = "TLSv1";
        break;
    case TLS_VERSION_11:
        s = "TLS 1.1";
        break;
    case TLS_VERSION_12:
        s = "TLS 1.2";
        break;
    case TLS_VERSION_13:
        s = "TLS 1.3";
        break;
    case TLS_VERSION_13_PRE_DRAFT16:
        s = "TLS 1.3 draft-<16";
        break;
    case 0xfb14:
        s = "TLS 1.3 draft-20-fb";
        break;
    case 0xfb15:
        s = "TLS 1.3 draft-21-fb";
        break;
    case 0xfb16:
        s = "TLS 1.3 draft-22-fb";
        break;
    case 0xfb17:
        s = "TLS 1.3 draft-23-fb";
        break;
    case 0xfb1a:
        s = "TLS 1.3 draft-26-fb";
        break;
    default:
        if (v >= 0x7f10 && v <= 0x7f1c)
            snprintf(buf, TLS_VERSION_STR_MAX, "TLS 1.3 draft-%u", (unsigned)(v & 0xff));
        else
            snprintf(buf, TLS_VERSION_STR_MAX, "0x%04x", (unsigned)v);
        return buf;
    }
    snprintf(buf, TLS_VERSION_STR_MAX, "%s", s);
    return buf;
}

/* ---- probe ---- */

int tls_probe(const uint8_t *p, size_t len, int dir)
{
    if (!p || len == 0) return VG_AGAIN;
    if (p[0] == CT_HANDSHAKE) {
        if (len >= 2 && p[1] != 3) return VG_DECLINED;
        if (len >= 3 && p[2] > 4) return VG_DECLINED;
        if (len < 5) return VG_AGAIN;
        uint16_t rl = vg_load_be16(p + 3);
        if (rl == 0 || rl > TLS_RECORD_MAX) return VG_DECLINED;
        if (len < 6) return VG_AGAIN;
        uint8_t t = p[5];
        bool ok = dir == TLS_DIR_TOSERVER ? t == TLS_HS_CLIENT_HELLO
                  : dir == TLS_DIR_TOCLIENT
                      ? t == TLS_HS_SERVER_HELLO
                      : (t == TLS_HS_CLIENT_HELLO || t == TLS_HS_SERVER_HELLO);
        if (!ok) return VG_DECLINED;
        if (rl < 4) return VG_OK; /* the message header continues in the next record */
        if (len < 9) return VG_AGAIN;
        uint32_t ml = be24(p + 6);
        if (ml < 38 || ml > (1u << 20)) return VG_DECLINED;
        if (rl < 6) return VG_OK;
        if (len < 11) return VG_AGAIN;
        uint16_t v = vg_load_be16(p + 9);
        if ((v >> 8) == 3 && (v & 0xff) <= 4) return VG_OK;
        if (t == TLS_HS_SERVER_HELLO && ((v >> 8) == 0x7f || (v >> 8) == 0xfb)) return VG_OK;
        return VG_DECLINED;
    }
    if (p[0] & 0x80) { /* SSLv2 2-byte header */
        if (len < 3) return VG_AGAIN;
        uint32_t rl = ((uint32_t)(p[0] & 0x7f) << 8) | p[1];
        uint8_t t = p[2];
        if (t == 1 && dir != TLS_DIR_TOCLIENT) {
            if (rl < 9) return VG_DECLINED;
            if (len < 5) return VG_AGAIN;
            uint16_t v = vg_load_be16(p + 3);
            return (v == TLS_VERSION_SSL2 || (v >= TLS_VERSION_SSL3 && v <= TLS_VERSION_12))
                       ? VG_OK
                       : VG_DECLINED;
        }
        if (t == 4 && dir != TLS_DIR_TOSERVER) {
            if (rl < 11) return VG_DECLINED;
            if (len < 7) return VG_AGAIN;
            return vg_load_be16(p + 5) == TLS_VERSION_SSL2 ? VG_OK : VG_DECLINED;
        }
        return VG_DECLINED;
    }
    return VG_DECLINED;
}
