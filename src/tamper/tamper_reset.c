/* tamper_reset.c - class forged_rst: TCP resets that the named sender did not send.
 *
 * After Weaver, Sommer and Paxson, "Detecting Forged TCP Reset Packets" (NDSS 2009). A genuine
 * RST ends the sender's connection (RFC 9293 section 3.10.7): its stack sends nothing more on it
 * and its RST carries the sender's own next sequence number. A RST that a middlebox injects in the
 * sender's name leaves the real sender alive, and that shows:
 *   rst_race        data from the RST's sender at or after the RST's sequence number, shortly after
 *                   the RST (the genuine data the RST was racing; default within 1 s)
 *   data_after_rst  the RST's sender keeps sending data after it (later than a reordering delay,
 *                   default 200 ms, or at old sequence numbers)
 *   rst_seq_jump    back-to-back RSTs from one sender (within 1 s) with different sequence numbers,
 *                   one of them past everything the sender has sent (the highest sequence number
 *                   seen from it, or acknowledged by its peer): injectors spray RSTs across the
 *                   window (e.g. seq, seq+1460, seq+4380)
 *   rst_ack_change  back-to-back RSTs with ACK whose acknowledgement numbers differ though the peer
 *                   sent nothing that explains the change (a new ACK that equals the end of one of
 *                   the peer's recent segments is a RST answering that segment: explained)
 * Benign look-alikes that must stay silent: a RST after a FIN exchange (its sequence is FIN+1, the
 * sender's last), a RST answering a SYN to a closed port, a RST+ACK with the right sequence, and a
 * stack answering each late segment with a socket-less RST (same sequence number, no ACK bit).
 * These findings are behavioural and weaker than a different-bytes race: severity 2 and a
 * confidence capped at 70.
 */
#include "tamper/tamper_int.h"

static void rst_finding(struct tamper_ctx *ctx, struct flow *f, const struct packet *p, int dir,
                        int sig, int score)
{
    struct tamper__dir *d = &f->tamper->d[dir];
    struct tamper__slot *s = tamper__finding(ctx, f, sig, dir);
    if (!s) return;
    struct tamper_finding *fd = &s->fd;
    struct tamper__pkt m;
    tamper__pkt_from_packet(&m, p);
    tamper__contestant_from_pkt(&fd->c[0], &d->rst);
    tamper__contestant_from_pkt(&fd->c[1], &m);
    tamper__contestant_payload(&fd->c[1], p->payload, p->payload_len, p->tcp_seq);
    tamper__pending_init(&s->pd, &d->b, dir, d->rst.pcap_cnt, p->pcap_cnt);
    s->pd.score = score;
    s->pd.score_cap = 70;
    s->pd.is_rst = true;
    double ms = (double)vg_ts_diff_us(p->ts, d->rst.ts) / 1000.0;
    switch (sig) {
    case TAMPER_SIG_RST_RACE:
        tamper__reason(fd,
                       "%u bytes at seq %u from the RST's sender %.3f ms after its RST at seq "
                       "%u: the sender was still sending at the RST's sequence",
                       p->payload_len, p->tcp_seq, ms, d->rst.seq);
        break;
    case TAMPER_SIG_RST_DATA_AFTER:
        tamper__reason(fd,
                       "%u bytes at seq %u from the RST's sender %.3f ms after its RST at seq "
                       "%u: a sender that reset the connection sends nothing more",
                       p->payload_len, p->tcp_seq, ms, d->rst.seq);
        break;
    case TAMPER_SIG_RST_SEQ_JUMP:
        tamper__reason(fd,
                       "back-to-back RSTs %.3f ms apart at seq %u and %u; the sender had sent "
                       "up to seq %u",
                       ms, d->rst.seq, p->tcp_seq, d->max_seq);
        break;
    default:
        tamper__reason(fd,
                       "back-to-back RSTs %.3f ms apart acknowledge %u and %u with nothing "
                       "from the peer to explain the change",
                       ms, d->rst.ack, p->tcp_ack);
        break;
    }
}

void tamper__reset_packet(struct tamper_ctx *ctx, struct flow *f, const struct packet *p, int dir)
{
    struct tamper__dir *d = &f->tamper->d[dir], *peer = &f->tamper->d[dir ^ 1];
    int64_t race_us = (int64_t)ctx->cfg.race_window_ms * 1000;
    int64_t reorder_us = (int64_t)ctx->cfg.reorder_ms * 1000;

    if (p->tcp_flags & VG_TCP_RST) {
        if (d->rst_valid && vg_ts_diff_us(p->ts, d->rst.ts) <= race_us) {
            /* What the sender has sent: its own highest sequence, or what its peer acknowledged
             * (the capture may have missed some of the sender's segments). */
            bool known = d->seq_known || peer->ack_known;
            uint32_t horizon = d->seq_known ? d->max_seq : peer->max_ack;
            if (peer->ack_known && tamper__seq_gt(peer->max_ack, horizon)) horizon = peer->max_ack;
            if (known && p->tcp_seq != d->rst.seq &&
                (tamper__seq_gt(p->tcp_seq, horizon) || tamper__seq_gt(d->rst.seq, horizon)))
                rst_finding(ctx, f, p, dir, TAMPER_SIG_RST_SEQ_JUMP, 30);
            if ((d->rst.tcp_flags & VG_TCP_ACK) && (p->tcp_flags & VG_TCP_ACK) &&
                d->rst.ack != p->tcp_ack) {
                /* A new ACK is explained when the peer sent something in between and the new
                 * value moves forward within what the peer has sent. */
                bool explained = d->peer_pkts_since_rst > 0 &&
                                 !tamper__seq_lt(p->tcp_ack, d->rst.ack) &&
                                 (!peer->seq_known || !tamper__seq_gt(p->tcp_ack, peer->max_seq));
                /* A stack (or a firewall that saw the first RST) answering each segment still in
                 * flight acknowledges exactly the end of one of them. */
                for (unsigned i = 0; i < peer->seg_end_n && !explained; i++)
                    if (peer->seg_end[i] == p->tcp_ack) explained = true;
                if (!explained) rst_finding(ctx, f, p, dir, TAMPER_SIG_RST_ACK_CHANGE, 25);
            }
        }
        d->rst_valid = true;
        tamper__pkt_from_packet(&d->rst, p);
        d->peer_pkts_since_rst = 0;
        return;
    }

    if (!d->rst_valid || !p->payload_len) return;
    int64_t dt = vg_ts_diff_us(p->ts, d->rst.ts);
    bool at_or_after = tamper__seq_gt(p->tcp_seq + p->payload_len, d->rst.seq);
    if (at_or_after && dt <= race_us)
        rst_finding(ctx, f, p, dir, TAMPER_SIG_RST_RACE, 35);
    else if (dt > reorder_us)
        rst_finding(ctx, f, p, dir, TAMPER_SIG_RST_DATA_AFTER, 30);
    /* else: data sent before the RST and reordered behind it */
}
