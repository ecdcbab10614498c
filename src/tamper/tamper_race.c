/* tamper_race.c - class tcp_injection_race: two versions of the same TCP sequence range.
 *
 * An on-path injector (NSA QUANTUMINSERT as documented by Fox-IT in 2015; HoneyBadger's attack
 * tools) sees a request go by and shoots its own response with the sequence numbers the genuine
 * server will use; being nearer, it wins the race and the client takes its bytes. The genuine
 * segment still arrives, carrying other bytes for the same sequence numbers. A passive sensor
 * sees both; the stream module compares them and reports a fact when they differ (RFC 9293
 * retransmissions carry identical bytes, so those are silent). This file turns the facts into
 * findings:
 *   handshake_hijack   two SYN/ACKs acknowledge the client's ISN with different sequence numbers
 *   segment_veto       same sequence number, same length, different bytes
 *   sloppy_injection   same sequence number, different lengths
 *   coalesce_injection the contestants start at different sequence numbers, or the first was held
 *                      out of order, or the overlap lies in bytes that a gap-filling segment
 *                      released together with segments queued out of order (HoneyBadger's
 *                      "ordered coalesce": injected segments parked ahead of a gap, then a filler)
 *   close_injection    the overlap touches the sequence number of a FIN seen in that direction,
 *                      or a sender's data lies past the FIN it sent (a FIN is a sender's last
 *                      sequence number, RFC 9293 section 3.10.4; data beyond it is not its own or
 *                      the FIN was not)
 * Which contestant was forged is decided at flow end (tamper_baseline.c).
 */
#include <stdio.h>
#include <string.h>

#include "tamper/tamper_int.h"

static int coalesced_range(const struct tamper__dir *d, uint32_t seq, uint32_t len)
{
    for (int i = 0; i < 2; i++) {
        if (!d->coal[i].valid || !len) continue;
        if (tamper__seq_lt(seq, d->coal[i].end) && tamper__seq_gt(seq + len, d->coal[i].start))
            return i;
    }
    return -1;
}

static double ms_between(struct vg_ts a, struct vg_ts b)
{
    return (double)vg_ts_diff_us(b, a) / 1000.0;
}

static bool http_response(const struct tamper_contestant *c)
{
    return c->payload_len >= 7 && c->payload_seq == c->seq && memcmp(c->payload, "HTTP/1.", 7) == 0;
}

/* Score and reasons shared by every race finding. */
static void race_common(struct tamper__slot *s)
{
    struct tamper_finding *fd = &s->fd;
    if (http_response(&fd->c[0])) {
        s->pd.score += 10;
        tamper__reason(fd, "the first contestant's payload starts an HTTP response");
    }
    double ms = ms_between(fd->c[0].ts, fd->c[1].ts);
    tamper__reason(fd,
                   "second contestant (pcap_cnt %llu) arrived %.3f ms after the first (pcap_cnt "
                   "%llu)",
                   (unsigned long long)fd->c[1].pcap_cnt, ms,
                   (unsigned long long)fd->c[0].pcap_cnt);
}

static void on_fact(struct tamper_ctx *ctx, struct flow *f, const struct packet *p,
                    const struct stream_fact *fa)
{
    struct tamper_flow *tf = f->tamper;
    if (fa->dir != FLOW_TOSERVER && fa->dir != FLOW_TOCLIENT) return;
    struct tamper__dir *d = &tf->d[fa->dir];
    int sig, coal = -1;
    if (fa->kind == STREAM_FACT_SYNACK_RACE) {
        /* A client SYN retransmitted between the two SYN/ACKs explains a new ISN: SYN cookies,
         * a server or load balancer that dropped the half-open state, another backend. */
        uint64_t syn = tf->d[fa->dir ^ 1].last_syn_cnt;
        if (syn > fa->first.pcap_cnt && syn < fa->second.pcap_cnt) {
            ctx->cnt.synack_after_syn_retransmit++;
            return;
        }
        sig = TAMPER_SIG_HANDSHAKE_HIJACK;
    } else if (fa->kind == STREAM_FACT_DATA_OVERLAP) {
        /* RFC 9293 section 3.8.4: a keep-alive may carry one garbage octet at SND.NXT-1 (Windows
         * sends 0x00), which differs from the byte first sent there. */
        if (fa->second.len == 1 && fa->ov_len == 1 && fa->first_delivered) {
            ctx->cnt.keepalive_overlaps++;
            return;
        }
        coal = coalesced_range(d, fa->ov_seq, fa->ov_len);
        if (fa->at_close)
            sig = TAMPER_SIG_CLOSE_INJECTION;
        else if (fa->first.seq != fa->second.seq || !fa->first_delivered || coal >= 0)
            sig = TAMPER_SIG_COALESCE_INJECTION;
        else if (fa->first.len == fa->second.len)
            sig = TAMPER_SIG_SEGMENT_VETO;
        else
            sig = TAMPER_SIG_SLOPPY_INJECTION;
        /* Both versions start an HTTP response: also an http_race (tamper_http.c). */
        tamper__http_fact(ctx, f, p, fa);
    } else {
        return;
    }
    struct tamper__slot *s = tamper__finding(ctx, f, sig, fa->dir);
    if (!s) return;
    struct tamper_finding *fd = &s->fd;
    tamper__contestant_from_meta(&fd->c[0], &fa->first);
    tamper__contestant_from_meta(&fd->c[1], &fa->second);
    tamper__pending_init(&s->pd, &d->b, fa->dir, fa->first.pcap_cnt, fa->second.pcap_cnt);
    if (s->pd.rec_valid[0]) fd->c[0].ack = s->pd.rec[0].ack;
    if (s->pd.rec_valid[1]) fd->c[1].ack = s->pd.rec[1].ack;
    if (fa->second.pcap_cnt == p->pcap_cnt) fd->c[1].ack = p->tcp_ack;
    s->pd.score_cap = 95;

    if (sig == TAMPER_SIG_HANDSHAKE_HIJACK) {
        s->pd.score = 45;
        tamper__reason(fd,
                       "two SYN/ACKs acknowledge the same client SYN with different sequence "
                       "numbers: %u (pcap_cnt %llu) and %u (pcap_cnt %llu)",
                       fa->first.seq, (unsigned long long)fa->first.pcap_cnt, fa->second.seq,
                       (unsigned long long)fa->second.pcap_cnt);
        race_common(s);
        return;
    }

    if (fa->first_data)
        tamper__contestant_payload(&fd->c[0], fa->first_data, fa->first_data_len,
                                   fa->first_data_seq);
    if (fa->second_data)
        tamper__contestant_payload(&fd->c[1], fa->second_data, fa->second_data_len, fa->second.seq);
    fd->ov_seq = fa->ov_seq;
    fd->ov_len = fa->ov_len;
    fd->diff_bytes = fa->diff_bytes;
    s->pd.score = 40 + ((uint64_t)fa->diff_bytes * 2 >= fa->ov_len ? 20 : 10);
    tamper__reason(fd, "%u of %u overlapping bytes differ (seq %u to %u)", fa->diff_bytes,
                   fa->ov_len, fa->ov_seq, fa->ov_seq + fa->ov_len);
    switch (sig) {
    case TAMPER_SIG_CLOSE_INJECTION:
        tamper__reason(fd, "the overlap touches the sequence number of a FIN from the same sender");
        break;
    case TAMPER_SIG_COALESCE_INJECTION:
        if (fa->first.seq != fa->second.seq)
            tamper__reason(fd, "the contestants start at different sequence numbers (%u and %u)",
                           fa->first.seq, fa->second.seq);
        if (!fa->first_delivered)
            tamper__reason(fd, "the first contestant was held out of order, ahead of a gap");
        if (coal >= 0)
            tamper__reason(fd,
                           "the overlap lies in bytes released in order when pcap_cnt %llu "
                           "filled a gap ahead of queued segments",
                           (unsigned long long)d->coal[coal].pcap_cnt);
        break;
    case TAMPER_SIG_SEGMENT_VETO:
        tamper__reason(fd, "same sequence number %u and length %u, different bytes", fa->first.seq,
                       fa->first.len);
        break;
    default:
        tamper__reason(fd, "same sequence number %u, lengths %u and %u", fa->first.seq,
                       fa->first.len, fa->second.len);
        break;
    }
    race_common(s);
}

/* Data past the sender's own FIN: the FIN or the data is not the sender's. */
static void past_fin(struct tamper_ctx *ctx, struct flow *f, const struct packet *p, int dir)
{
    struct tamper__dir *d = &f->tamper->d[dir];
    if (!d->fin_valid || !p->payload_len || (p->tcp_flags & VG_TCP_RST) ||
        p->pcap_cnt == d->fin.pcap_cnt)
        return;
    uint32_t end = p->tcp_seq + p->payload_len;
    if (!tamper__seq_gt(end, d->fin_pos)) return;
    struct tamper__slot *s = tamper__finding(ctx, f, TAMPER_SIG_CLOSE_INJECTION, dir);
    if (!s) return;
    struct tamper_finding *fd = &s->fd;
    struct tamper__pkt m;
    tamper__pkt_from_packet(&m, p);
    tamper__contestant_from_pkt(&fd->c[0], &d->fin);
    tamper__contestant_from_pkt(&fd->c[1], &m);
    tamper__contestant_payload(&fd->c[1], p->payload, p->payload_len, p->tcp_seq);
    tamper__pending_init(&s->pd, &d->b, dir, d->fin.pcap_cnt, p->pcap_cnt);
    s->pd.score = 40;
    s->pd.score_cap = 95;
    fd->ov_seq = d->fin_pos;
    fd->ov_len = 0;
    tamper__reason(fd,
                   "%u bytes at seq %u to %u lie past the sender's FIN at seq %u (pcap_cnt "
                   "%llu): a FIN is a sender's last sequence number",
                   p->payload_len, p->tcp_seq, end, d->fin_pos,
                   (unsigned long long)d->fin.pcap_cnt);
    race_common(s);
}

/* Follows what the stream delivered in order in `dir` so that bytes released by a gap filler
 * together with segments queued out of order (coalescing) can be recognised later. */
static void track_delivery(struct tamper__dir *d, const struct packet *p,
                           const struct stream_result *sr)
{
    if (!sr->data_len) return;
    uint32_t start;
    if (!d->dlv_known)
        start = sr->data_len <= p->payload_len ? p->tcp_seq + (p->payload_len - sr->data_len)
                                               : p->tcp_seq;
    else
        start = d->dlv_end + sr->gap_len;
    d->dlv_end = start + sr->data_len;
    d->dlv_known = true;
    if (sr->data_len > p->payload_len) {
        d->coal[d->coal_pos].valid = true;
        d->coal[d->coal_pos].start = start;
        d->coal[d->coal_pos].end = start + sr->data_len;
        d->coal[d->coal_pos].pcap_cnt = p->pcap_cnt;
        d->coal_pos ^= 1;
    }
}

void tamper__race_packet(struct tamper_ctx *ctx, struct flow *f, const struct packet *p, int dir,
                         const struct stream_result *sr)
{
    struct tamper__dir *d = &f->tamper->d[dir];
    for (unsigned i = 0; i < sr->n_facts && i < STREAM_MAX_FACTS; i++)
        on_fact(ctx, f, p, &sr->facts[i]);
    past_fin(ctx, f, p, dir);
    if (sr->dir == dir) track_delivery(d, p, sr);
    if ((p->tcp_flags & VG_TCP_FIN) && !(p->tcp_flags & VG_TCP_RST) && !d->fin_valid) {
        d->fin_valid = true;
        d->fin_pos = p->tcp_seq + p->payload_len;
        tamper__pkt_from_packet(&d->fin, p);
    }
}
