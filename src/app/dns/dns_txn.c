/* dns_txn.c - pairing DNS responses with queries within a flow, and the response-pair report that
 * the tamper module turns into DNS race findings.
 *
 * RFC 1035 7.3 / RFC 5452 (a resolver accepts the first response matching id, question and
 * addresses; an on-path forger wins by answering first, and the genuine answer still arrives
 * afterwards: two responses to one question with different answers is the signature of a race).
 *
 * Per flow: a small table of entries keyed by (id, hash of the lowercased first qname, qtype,
 * qclass). An entry lives `timeout_ms` after its query (or its first response when no query was
 * seen) and remembers the first response (rcode, answer digest and text, packet meta). Lookups
 * scan the table: it holds at most max_entries (64 by default), almost always one or two.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "app/dns/dns.h"
#include "core/vg_anomaly.h"
#include "core/vg_status.h"

enum { ENTRY_WAITING = 0, ENTRY_ANSWERED = 1 };

struct dns_txn_entry {
    uint64_t qhash;
    uint16_t id, qtype, qclass;
    bool has_q; /* keyed by a question (responses without one match by id) */
    bool query_seen;
    uint8_t state; /* ENTRY_* */
    uint32_t nresp;
    struct vg_ts born; /* query time, or first response time when unsolicited */
    uint64_t query_pcap_cnt;
    /* first response */
    struct dns_pkt_meta r_meta;
    uint16_t r_flags, r_nanswers;
    uint8_t r_rcode;
    bool r_trunc, r_incomplete;
    uint64_t r_digest;
    char r_text[DNS_TXN_TEXT_MAX];
};

struct dns_txn_table {
    struct dns_txn_config cfg;
    struct dns_txn_entry *e;
    unsigned n, cap;
    struct dns_txn_counters c;
};

void dns_txn_config_default(struct dns_txn_config *cfg)
{
    cfg->max_entries = 64;
    cfg->timeout_ms = 10000;
}

struct dns_txn_table *dns_txn_new(const struct dns_txn_config *cfg)
{
    struct dns_txn_table *t = calloc(1, sizeof *t);
    if (!t) return NULL;
    if (cfg) {
        t->cfg = *cfg;
    } else {
        dns_txn_config_default(&t->cfg);
    }
    if (t->cfg.max_entries == 0) t->cfg.max_entries = 64;
    if (t->cfg.max_entries > 1024) t->cfg.max_entries = 1024;
    return t;
}

void dns_txn_free(struct dns_txn_table *t)
{
    if (!t) return;
    free(t->e);
    free(t);
}

unsigned dns_txn_pending(const struct dns_txn_table *t)
{
    return t ? t->n : 0;
}

const struct dns_txn_counters *dns_txn_counters(const struct dns_txn_table *t)
{
    return &t->c;
}

/* ---- answer sets ----------------------------------------------------------------------------- */

#define FNV_OFF 0xcbf29ce484222325ull
#define FNV_PRIME 0x100000001b3ull

static uint64_t fnv_lower(uint64_t h, const char *s)
{
    for (; *s; s++) {
        h ^= (uint8_t)tolower((unsigned char)*s);
        h *= FNV_PRIME;
    }
    return h;
}

static uint64_t fnv_exact(uint64_t h, const char *s)
{
    for (; *s; s++) {
        h ^= (uint8_t)*s;
        h *= FNV_PRIME;
    }
    return h;
}

static uint64_t mix64(uint64_t x) /* splitmix64's finaliser */
{
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ull;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebull;
    x ^= x >> 31;
    return x;
}

/* Types whose rdata holds names: compared case-insensitively. */
static bool rdata_has_names(uint16_t t)
{
    switch (t) {
    case DNS_TYPE_NS:
    case DNS_TYPE_CNAME:
    case DNS_TYPE_SOA:
    case DNS_TYPE_PTR:
    case DNS_TYPE_MX:
    case DNS_TYPE_SRV:
    case DNS_TYPE_DNAME:
    case DNS_TYPE_SVCB:
    case DNS_TYPE_HTTPS:
        return true;
    }
    return false;
}

uint64_t dns_answers_digest(const struct dns_msg *m)
{
    /* Order-independent: a sum and an xor of per-record hashes, then the count and rcode. */
    uint64_t sum = 0, x = 0, n = 0;
    for (unsigned i = 0; i < m->nrr[DNS_SEC_ANSWER]; i++) {
        const struct dns_rr *rr = &m->rr[DNS_SEC_ANSWER][i];
        if (rr->type == DNS_TYPE_OPT) continue;
        uint64_t h = fnv_lower(FNV_OFF, rr->name);
        h ^= rr->type;
        h *= FNV_PRIME;
        h = rdata_has_names(rr->type) ? fnv_lower(h, rr->rdata) : fnv_exact(h, rr->rdata);
        h = mix64(h);
        sum += h;
        x ^= mix64(h ^ 0x9e3779b97f4a7c15ull);
        n++;
    }
    return mix64(sum ^ mix64(x) ^ (n << 40) ^ ((uint64_t)m->ext_rcode << 20));
}

bool dns_answers_text(const struct dns_msg *m, char *buf, size_t cap)
{
    if (!cap) return false;
    size_t len = 0;
    bool fit = true;
    buf[0] = 0;
    char tb[8];
    for (unsigned i = 0; i < m->nrr[DNS_SEC_ANSWER] && fit; i++) {
        const struct dns_rr *rr = &m->rr[DNS_SEC_ANSWER][i];
        if (rr->type == DNS_TYPE_OPT) continue;
        const char *parts[] = {len ? "; " : "", rr->name, " ", dns_rrtype_str(rr->type, tb), " ",
                               rr->rdata};
        for (size_t k = 0; k < sizeof parts / sizeof parts[0] && fit; k++) {
            size_t l = strlen(parts[k]);
            if (l > cap - 1 - len) {
                l = cap - 1 - len;
                fit = false;
            }
            memcpy(buf + len, parts[k], l);
            len += l;
        }
    }
    buf[len] = 0;
    return fit;
}

/* ---- table ----------------------------------------------------------------------------------- */

static uint64_t qname_hash(const struct dns_msg *m)
{
    return fnv_lower(FNV_OFF, m->q[0].name);
}

static void remove_at(struct dns_txn_table *t, unsigned i)
{
    if (i + 1 < t->n) memmove(&t->e[i], &t->e[i + 1], (t->n - i - 1) * sizeof t->e[0]);
    t->n--;
}

static void expire(struct dns_txn_table *t, struct vg_ts now)
{
    int64_t limit = (int64_t)t->cfg.timeout_ms * 1000;
    unsigned j = 0;
    for (unsigned i = 0; i < t->n; i++) { /* one compacting pass, order kept */
        if (vg_ts_diff_us(now, t->e[i].born) > limit) {
            if (t->e[i].state == ENTRY_WAITING) t->c.expired_unanswered++;
            continue;
        }
        if (j != i) t->e[j] = t->e[i];
        j++;
    }
    t->n = j;
}

static struct dns_txn_entry *find(struct dns_txn_table *t, uint16_t id, bool has_q, uint64_t qh,
                                  uint16_t qt, uint16_t qc)
{
    for (unsigned i = 0; i < t->n; i++) {
        struct dns_txn_entry *e = &t->e[i];
        if (e->id != id) continue;
        if (!has_q) return e; /* a response without a question: id alone */
        if (e->has_q && e->qhash == qh && e->qtype == qt && e->qclass == qc) return e;
    }
    return NULL;
}

/* insert returns a zeroed entry at the end (entries stay in arrival order, oldest first). */
static struct dns_txn_entry *insert(struct dns_txn_table *t, struct dns_msg *m)
{
    if (t->n == t->cfg.max_entries) {
        remove_at(t, 0);
        t->c.evicted++;
        dns_msg_add_anomaly(m, ANOM_DNS_FLOODED);
    }
    if (t->n == t->cap) {
        unsigned cap = t->cap ? t->cap * 2 : 4;
        if (cap > t->cfg.max_entries) cap = t->cfg.max_entries;
        if (cap <= t->n) return NULL; /* cannot happen: max_entries >= 1 and n < max_entries */
        struct dns_txn_entry *e = realloc(t->e, cap * sizeof *e);
        if (!e) return NULL;
        t->e = e;
        t->cap = cap;
    }
    struct dns_txn_entry *e = &t->e[t->n++];
    memset(e, 0, sizeof *e);
    return e;
}

static void remember_response(struct dns_txn_entry *e, const struct dns_msg *m,
                              const struct dns_pkt_meta *meta)
{
    e->state = ENTRY_ANSWERED;
    e->r_meta = *meta;
    e->r_flags = m->flags;
    e->r_rcode = (uint8_t)(m->ext_rcode > 255 ? 255 : m->ext_rcode);
    e->r_nanswers = 0;
    for (unsigned i = 0; i < m->nrr[DNS_SEC_ANSWER]; i++)
        if (m->rr[DNS_SEC_ANSWER][i].type != DNS_TYPE_OPT) e->r_nanswers++;
    e->r_digest = dns_answers_digest(m);
    e->r_trunc = !dns_answers_text(m, e->r_text, sizeof e->r_text);
    e->r_incomplete = m->malformed || m->truncated;
}

int dns_txn_observe(struct dns_txn_table *t, struct dns_msg *m, const struct dns_pkt_meta *meta,
                    dns_race_fn on_pair, void *ud, struct dns_txn_result *res)
{
    struct dns_txn_result dummy;
    if (!res) res = &dummy;
    memset(res, 0, sizeof *res);
    if (!t || !m || !meta) return VG_ERR_USAGE;
    expire(t, meta->ts);

    bool has_q = m->nq > 0;
    uint64_t qh = has_q ? qname_hash(m) : 0;
    uint16_t qt = has_q ? m->q[0].type : 0, qc = has_q ? m->q[0].qclass : 0;

    if (!m->qr) {
        if (!has_q) {
            t->c.ignored++;
            res->kind = DNS_TXN_IGNORED;
            return VG_OK;
        }
        struct dns_txn_entry *e = find(t, m->id, true, qh, qt, qc);
        if (e) {
            t->c.retransmits++;
            res->kind = DNS_TXN_QUERY_RETRANSMIT;
            return VG_OK;
        }
        t->c.queries++;
        res->kind = DNS_TXN_QUERY;
        e = insert(t, m);
        if (!e) return VG_ERR_NOMEM;
        e->qhash = qh;
        e->id = m->id;
        e->qtype = qt;
        e->qclass = qc;
        e->has_q = true;
        e->query_seen = true;
        e->born = meta->ts;
        e->query_pcap_cnt = meta->pcap_cnt;
        return VG_OK;
    }

    t->c.responses++;
    struct dns_txn_entry *e = find(t, m->id, has_q, qh, qt, qc);
    if (!e) {
        t->c.unsolicited++;
        dns_msg_add_anomaly(m, ANOM_DNS_UNSOLICITED_RESPONSE);
        res->kind = DNS_TXN_RESPONSE_UNSOLICITED;
        if (!has_q) return VG_OK;
        /* Remembered anyway: two unsolicited responses to one question still pair. */
        e = insert(t, m);
        if (!e) return VG_ERR_NOMEM;
        e->qhash = qh;
        e->id = m->id;
        e->qtype = qt;
        e->qclass = qc;
        e->has_q = true;
        e->born = meta->ts;
        remember_response(e, m, meta);
        e->nresp = 1;
        return VG_OK;
    }

    if (e->nresp == 0) {
        res->kind = DNS_TXN_RESPONSE;
        if (e->query_seen) res->rtt_us = vg_ts_diff_us(meta->ts, e->born);
        remember_response(e, m, meta);
        e->nresp = 1;
        return VG_OK;
    }

    /* A later response to the same question: report the pair. */
    e->nresp++;
    struct dns_response_pair pair;
    char text[DNS_TXN_TEXT_MAX];
    memset(&pair, 0, sizeof pair);
    pair.id = m->id;
    pair.qtype = e->qtype;
    pair.qclass = e->qclass;
    pair.qname = has_q ? m->q[0].name : "";
    pair.query_seen = e->query_seen;
    if (e->query_seen) {
        pair.query_ts = e->born;
        pair.query_pcap_cnt = e->query_pcap_cnt;
    }
    pair.nth = e->nresp;
    pair.first.meta = e->r_meta;
    pair.first.flags = e->r_flags;
    pair.first.rcode = e->r_rcode;
    pair.first.nanswers = e->r_nanswers;
    pair.first.digest = e->r_digest;
    pair.first.answers = e->r_text;
    pair.first.answers_truncated = e->r_trunc;
    pair.first.incomplete = e->r_incomplete;
    pair.second.meta = *meta;
    pair.second.flags = m->flags;
    pair.second.rcode = (uint8_t)(m->ext_rcode > 255 ? 255 : m->ext_rcode);
    for (unsigned i = 0; i < m->nrr[DNS_SEC_ANSWER]; i++)
        if (m->rr[DNS_SEC_ANSWER][i].type != DNS_TYPE_OPT) pair.second.nanswers++;
    pair.second.digest = dns_answers_digest(m);
    pair.second.answers_truncated = !dns_answers_text(m, text, sizeof text);
    pair.second.answers = text;
    pair.second.incomplete = m->malformed || m->truncated;
    pair.identical = pair.first.digest == pair.second.digest;
    if (pair.identical) {
        t->c.dup_identical++;
    } else {
        t->c.dup_different++;
    }
    res->kind = DNS_TXN_RESPONSE_DUP;
    res->identical = pair.identical;
    if (on_pair) on_pair(ud, &pair);
    return VG_OK;
}
