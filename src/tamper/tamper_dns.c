/* tamper_dns.c - class dns_race: one DNS query over UDP answered twice with different answers.
 *
 * RFC 5452 section 9.1 (a stub or resolver takes the first response that matches the query's id,
 * question and addresses; an on-path forger wins by answering first) and Duan et al., "Hold-On:
 * Protecting Against On-Path DNS Poisoning" (SATIN 2012): an injector that sees a query answers
 * at once, before the real resolver can; the victim takes the forged answer and drops the genuine
 * one that arrives afterwards. A passive sensor sees both. The Great Firewall's injector and
 * Kaminsky-style on-path spoofers leave exactly this trace: two responses with the same id and
 * question, different answers, the first one very fast after the query, with an IP TTL (hop
 * distance) and IP ID unlike the resolver's other packets.
 *
 * The pairing itself is the DNS parser's job (app/dns: dns_txn_observe reports every second
 * response to one (id, question) through the app layer's dns_pair hook, `identical` or not); this
 * file only judges the pairs:
 *   - identical answer sets (rcode and records, order and TTLs ignored) stay silent: a duplicated
 *     packet, a retransmitted query answered twice, a resolver reshuffling round-robin records;
 *   - different ones over UDP become one finding per flow (repeats counted) with both answer sets;
 *   - skipped (counted in dns_pairs_skipped), because a second different response is normal or
 *     not a race there: DNS over TCP (two versions of one response range are a TCP race, which
 *     tamper_race.c reports; a second message at later sequence numbers is the server's own),
 *     mDNS (port 5353 or a multicast address: RFC 6762 responders repeat and update answers),
 *     responses with TC set (a truncated answer that sends the client to TCP), and malformed or
 *     cut responses (their answer sets may be partial).
 * Which contestant is forged: the IP TTL, IP ID and DF of each response against the sender's
 * baseline of the flow (tamper_baseline.c, fed with every packet of the UDP flow by tamper.c),
 * as for TCP races. When the baseline cannot tell (often: a flow of one query and its two
 * answers), arrival order decides if the two responses visibly come from two senders (different
 * TTL or DF): the first one, answered that fast, is the forger's (tamper__dns_judge).
 *
 * The pair hook carries no direction: the finding is held until the tamper_packet call of the
 * packet that carried the second response (the engine makes it right after app_packet), which
 * gives the direction and lets the baseline count that packet before the contestants are taken
 * out of it again.
 */
#include <stdio.h>
#include <strings.h>
#include <string.h>

#include "app/dns/dns.h"
#include "tamper/tamper_int.h"

#define DNS_FLAG_TC 0x0200 /* RFC 1035 4.1.1 */
#define MDNS_PORT 5353     /* RFC 6762 */
#define MAX_RECS 32        /* answer records compared per contestant for the reasons */

static bool is_multicast(const struct vg_addr *a)
{
    if (a->family == 4) return (a->a[0] & 0xf0) == 0xe0; /* 224.0.0.0/4 */
    if (a->family == 6) return a->a[0] == 0xff;          /* ff00::/8 */
    return false;
}

/* Copies a NUL-terminated string into dst (cap bytes); true when it was cut. */
static bool copy_text(char *dst, size_t cap, const char *src)
{
    if (!src) src = "";
    size_t n = strlen(src);
    bool cut = n >= cap;
    if (cut) n = cap - 1;
    memcpy(dst, src, n);
    dst[n] = '\0';
    return cut;
}

static void contestant_from_resp(struct tamper_contestant *c, const struct dns_resp_info *r,
                                 const struct dns_response_pair *pr)
{
    c->pcap_cnt = r->meta.pcap_cnt;
    c->ts = r->meta.ts;
    c->ttl = r->meta.ttl;
    c->ip_id = r->meta.ip_id;
    c->dns_rcode = r->rcode;
    c->dns_nanswers = r->nanswers;
    c->app_text_truncated =
        copy_text(c->dns_answers, sizeof c->dns_answers, r->answers) || r->answers_truncated;
    c->delay_us = pr->query_seen ? vg_ts_diff_us(r->meta.ts, pr->query_ts) : -1;
    c->http_content_length = -1;
}

/* Splits "owner TYPE rdata; owner TYPE rdata" into at most max records (pointers into buf, which
 * is modified). Answer text never holds "; " except between records, but for TXT strings, which
 * then count as several records on both sides alike. */
static unsigned split_records(char *buf, char **rec, unsigned max)
{
    unsigned n = 0;
    char *p = buf;
    while (*p && n < max) {
        rec[n++] = p;
        char *sep = strstr(p, "; ");
        if (!sep) break;
        *sep = '\0';
        p = sep + 2;
    }
    return n;
}

/* Records of a that b holds too (names compared case-insensitively, as the digest does). */
static unsigned common_records(const char *a, const char *b, unsigned *na_out)
{
    char ba[TAMPER_DNS_ANSWERS_MAX], bb[TAMPER_DNS_ANSWERS_MAX];
    char *ra[MAX_RECS], *rb[MAX_RECS];
    copy_text(ba, sizeof ba, a);
    copy_text(bb, sizeof bb, b);
    unsigned na = split_records(ba, ra, MAX_RECS), nb = split_records(bb, rb, MAX_RECS), k = 0;
    for (unsigned i = 0; i < na; i++)
        for (unsigned j = 0; j < nb; j++)
            if (strcasecmp(ra[i], rb[j]) == 0) {
                k++;
                break;
            }
    *na_out = na;
    return k;
}

void tamper_dns_pair(struct tamper_ctx *ctx, struct flow *f, const struct dns_response_pair *pr)
{
    if (!ctx || !f || !pr) return;
    ctx->cnt.dns_pairs++;
    if (pr->identical) {
        ctx->cnt.dns_pairs_identical++;
        return;
    }
    if (f->proto != 17 || f->sport == MDNS_PORT || f->dport == MDNS_PORT || is_multicast(&f->src) ||
        is_multicast(&f->dst) || (pr->first.flags & DNS_FLAG_TC) ||
        (pr->second.flags & DNS_FLAG_TC) || pr->first.incomplete || pr->second.incomplete) {
        ctx->cnt.dns_pairs_skipped++;
        return;
    }
    /* Provisional direction: tamper__dns_packet sets the real one a moment later. */
    struct tamper__slot *s = tamper__finding(ctx, f, TAMPER_SIG_DNS_RACE, FLOW_TOCLIENT);
    if (!s) return;
    struct tamper_finding *fd = &s->fd;
    struct tamper_flow *tf = f->tamper;
    contestant_from_resp(&fd->c[0], &pr->first, pr);
    contestant_from_resp(&fd->c[1], &pr->second, pr);
    fd->dns.query_seen = pr->query_seen;
    fd->dns.id = pr->id;
    fd->dns.qtype = pr->qtype;
    fd->dns.qclass = pr->qclass;
    if (pr->query_seen) {
        fd->dns.query_pcap_cnt = pr->query_pcap_cnt;
        fd->dns.query_ts = pr->query_ts;
    }
    copy_text(fd->dns.qname, sizeof fd->dns.qname, pr->qname);
    tf->dns_wait_cnt = pr->second.meta.pcap_cnt;

    /* Confidence gathered now: different answers to one question are the core of the finding;
     * disjoint answer sets or another rcode (a forged NXDOMAIN) make it stronger. */
    char t[8], b0[8], b1[8];
    const char *r0 = dns_rcode_str(pr->first.rcode, b0), *r1 = dns_rcode_str(pr->second.rcode, b1);
    s->pd.score = 50;
    s->pd.score_cap = 95;
    tamper__reason(fd,
                   "two different responses to one query (id 0x%04x, %s %s): pcap_cnt %llu (%s, "
                   "%u answer%s) and pcap_cnt %llu (%s, %u answer%s)",
                   pr->id, pr->qname ? pr->qname : "", dns_rrtype_str(pr->qtype, t),
                   (unsigned long long)pr->first.meta.pcap_cnt, r0, pr->first.nanswers,
                   pr->first.nanswers == 1 ? "" : "s", (unsigned long long)pr->second.meta.pcap_cnt,
                   r1, pr->second.nanswers, pr->second.nanswers == 1 ? "" : "s");
    unsigned na = 0, k = common_records(fd->c[0].dns_answers, fd->c[1].dns_answers, &na);
    if (pr->first.rcode != pr->second.rcode) {
        s->pd.score += 10;
        tamper__reason(fd, "the response codes differ (%s vs %s)", r0, r1);
    } else if (na && !k) {
        s->pd.score += 10;
        tamper__reason(fd, "the answer sets have no record in common");
    } else if (na) {
        tamper__reason(fd, "%u of the first response's %u answer records are in the second", k, na);
    }
    if (pr->nth > 2)
        tamper__reason(fd, "response number %u to this query (compared with the first)", pr->nth);
}

/* The contestants' DF (the pair's packet metadata has none) from their baseline records, else
 * the sender's majority. */
static void fill_df(struct tamper_finding *fd, const struct tamper__pending *pd,
                    const struct tamper__base *b)
{
    for (int i = 0; i < 2; i++)
        fd->c[i].df = pd->rec_valid[i] ? pd->rec[i].df : b->st.df[1] >= b->st.df[0];
}

static void complete(struct tamper_ctx *ctx, struct flow *f, int dir)
{
    struct tamper_flow *tf = f->tamper;
    tf->dns_wait_cnt = 0;
    if (!tf->slot[TAMPER_SIG_DNS_RACE]) return;
    struct tamper__slot *s = &ctx->slots[tf->slot[TAMPER_SIG_DNS_RACE] - 1];
    s->fd.dir = dir;
    tamper__pending_init(&s->pd, &tf->d[dir].b, dir, s->fd.c[0].pcap_cnt, s->fd.c[1].pcap_cnt);
    fill_df(&s->fd, &s->pd, &tf->d[dir].b);
}

void tamper__dns_packet(struct tamper_ctx *ctx, struct flow *f, const struct packet *p, int dir)
{
    struct tamper_flow *tf = f->tamper;
    if (tf && tf->dns_wait_cnt && tf->dns_wait_cnt == p->pcap_cnt) complete(ctx, f, dir);
}

void tamper__dns_settle(struct tamper_ctx *ctx, struct flow *f)
{
    struct tamper_flow *tf = f->tamper;
    if (tf && tf->dns_wait_cnt) complete(ctx, f, FLOW_TOCLIENT);
}

void tamper__dns_judge(struct tamper_finding *fd)
{
    struct tamper_contestant *c0 = &fd->c[0], *c1 = &fd->c[1];
    bool timed = c0->delay_us >= 0 && c1->delay_us >= 0;
    if (timed)
        tamper__reason(fd,
                       "pcap_cnt %llu answered %.3f ms after the query (pcap_cnt %llu), pcap_cnt "
                       "%llu %.3f ms after it",
                       (unsigned long long)c0->pcap_cnt, (double)c0->delay_us / 1000.0,
                       (unsigned long long)fd->dns.query_pcap_cnt, (unsigned long long)c1->pcap_cnt,
                       (double)c1->delay_us / 1000.0);
    else
        tamper__reason(fd, "the query was not seen: no response times");
    if (c0->verdict != TAMPER_VERDICT_UNKNOWN || c1->verdict != TAMPER_VERDICT_UNKNOWN) return;

    /* The baseline could not tell. Two senders (a TTL or DF that the other response does not
     * share) and the first one fast: the forger is the one that won the race. */
    bool two = c0->ttl != c1->ttl || c0->df != c1->df;
    bool fast = !timed || c0->delay_us * 2 <= c1->delay_us;
    if (two && fast) {
        c0->verdict = TAMPER_VERDICT_FORGED;
        int conf = fd->confidence + 5;
        fd->confidence = (uint8_t)(conf > 95 ? 95 : conf);
        tamper__reason(fd,
                       "verdict by arrival order: the responses come from two senders (TTL %u vs "
                       "%u, DF %d vs %d) and an on-path forger answers first: pcap_cnt %llu "
                       "forged, pcap_cnt %llu unknown",
                       c0->ttl, c1->ttl, c0->df ? 1 : 0, c1->df ? 1 : 0,
                       (unsigned long long)c0->pcap_cnt, (unsigned long long)c1->pcap_cnt);
    } else if (!two) {
        tamper__reason(fd, "both responses look like one sender (same TTL and DF): a resolver "
                           "answering a retransmitted query twice with other records looks "
                           "like this too");
    }
}
