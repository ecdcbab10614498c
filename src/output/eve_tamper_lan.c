/* eve_tamper_lan.c - EVE alert events for ARP / ND spoofing findings (see eve_tamper_lan.h). */
#include "output/eve_tamper_lan.h"
#include "output/eve_tamper.h"

#include <stdio.h>
#include <string.h>

#include "core/vg_addr.h"
#include "core/vg_status.h"
#include "core/vg_time.h"
#include "decode/packet.h"
#include "output/evidence_pcap.h"

static void put_ts(struct jw *w, const char *key, struct vg_ts ts)
{
    char b[VG_TS_BUFLEN];
    size_t n = vg_ts_format(ts, b);
    jw_strn(w, key, b, n);
}

static void put_mac(struct jw *w, const char *key, const uint8_t *m)
{
    char b[18];
    jw_str(w, key, tamper_mac_str(m, b));
}

static void put_addr(struct jw *w, const char *key, const struct vg_addr *a)
{
    char b[VG_ADDR_STRLEN];
    if (a->family) jw_str(w, key, vg_addr_str(a, b));
}

static const char *nd_type_str(uint8_t t)
{
    switch (t) {
    case 133:
        return "router_solicitation";
    case 134:
        return "router_advertisement";
    case 135:
        return "neighbor_solicitation";
    case 136:
        return "neighbor_advertisement";
    }
    return "other";
}

static void put_contestant(struct jw *w, const struct tamper_lan_contestant *c, const char *verdict)
{
    jw_obj_open(w, NULL);
    jw_str(w, "verdict", verdict);
    jw_uint(w, "pcap_cnt", c->pcap_cnt);
    put_ts(w, "timestamp", c->ts);
    put_mac(w, "src_mac", c->src_mac);
    put_mac(w, "dest_mac", c->dst_mac);
    put_mac(w, "claimed_mac", c->claim_mac);
    if (c->kind == VG_LAN_ARP) {
        jw_str(w, "message", c->arp_op == 1 ? "arp_request" : "arp_reply");
    } else {
        jw_str(w, "message", nd_type_str(c->icmp_type));
        if (c->icmp_type == 136) {
            jw_bool(w, "router_flag", c->nd_flags & 0x80);
            jw_bool(w, "solicited_flag", c->nd_flags & 0x40);
            jw_bool(w, "override_flag", c->nd_flags & 0x20);
        }
        if (c->icmp_type == 134) jw_uint(w, "router_lifetime", c->ra_lifetime);
    }
    put_addr(w, "sender_ip", &c->sender);
    put_addr(w, "target_ip", &c->target);
    jw_bool(w, "unsolicited", c->unsolicited);
    jw_obj_close(w);
}

void eve_tamper_lan_alert(struct jw *w, const struct tamper_lan_finding *fd,
                          struct evidence_ctx *ev)
{
    const struct tamper_lan_contestant *ch = &fd->c[1];
    bool arp = ch->kind == VG_LAN_ARP;
    bool ev_ok = false;
    char name[64];
    unsigned nfr = 0;
    if (ev) {
        struct evidence_frame fr[2];
        for (int i = 0; i < 2; i++)
            if (fd->c[i].pcap_cnt && fd->c[i].frame_len && fd->c[i].linktype == ch->linktype)
                fr[nfr++] = (struct evidence_frame){fd->c[i].ts, fd->c[i].frame, fd->c[i].frame_len,
                                                    fd->c[i].wire_len};
        snprintf(name, sizeof name, "lan-%llu-%u", (unsigned long long)fd->pcap_cnt,
                 tamper_sig_sid(fd->sig));
        if (nfr) ev_ok = evidence_frames_write(ev, name, ch->linktype, fr, nfr) == VG_OK;
    }

    jw_obj_open(w, NULL);
    put_ts(w, "timestamp", fd->ts);
    jw_uint(w, "pcap_cnt", fd->pcap_cnt);
    jw_str(w, "event_type", "alert");
    put_addr(w, "src_ip", &fd->ip);
    put_addr(w, "dest_ip", &fd->victim);
    if (!arp) {
        jw_str(w, "proto", "IPv6-ICMP");
        jw_uint(w, "icmp_type", ch->icmp_type);
        jw_uint(w, "icmp_code", 0);
    }
    jw_obj_open(w, "ether");
    put_mac(w, "src_mac", ch->src_mac);
    put_mac(w, "dest_mac", ch->dst_mac);
    jw_obj_close(w);
    if (arp) { /* Suricata's ARP logging object, of the challenger's frame */
        jw_obj_open(w, "arp");
        jw_str(w, "hw_type", "ethernet");
        jw_str(w, "proto_type", "ipv4");
        jw_str(w, "opcode", ch->arp_op == 1 ? "request" : "reply");
        put_mac(w, "src_mac", ch->claim_mac);
        put_addr(w, "src_ip", &ch->sender);
        put_mac(w, "dest_mac", ch->dst_mac);
        put_addr(w, "dest_ip", &ch->target);
        jw_obj_close(w);
    }

    eve_tamper_put_alert(w, fd->sig);

    jw_obj_open(w, "tamper");
    jw_str(w, "class", tamper_sig_class(fd->sig));
    jw_str(w, "subtype", tamper_sig_subtype(fd->sig));
    jw_uint(w, "confidence", fd->confidence);
    jw_arr_open(w, "reasons");
    for (unsigned i = 0; i < fd->n_reasons && i < 8; i++)
        jw_strn(w, NULL, fd->reasons[i], strnlen(fd->reasons[i], sizeof fd->reasons[i]));
    jw_arr_close(w);
    jw_obj_open(w, "lan");
    put_addr(w, "ip", &fd->ip);
    if (fd->has_old) put_mac(w, "old_mac", fd->old_mac);
    put_mac(w, "new_mac", fd->new_mac);
    put_addr(w, "victim", &fd->victim);
    jw_bool(w, "gateway", fd->gateway);
    if (fd->sig == TAMPER_SIG_ARP_STORM) {
        jw_uint(w, "frames", fd->rate);
        jw_uint(w, "window_s", fd->window_s);
        jw_uint(w, "addresses", fd->ips_claimed);
    } else if (fd->is_ra) {
        if (fd->has_old) jw_uint(w, "old_router_lifetime", fd->old_lifetime);
        jw_uint(w, "router_lifetime", fd->new_lifetime);
        if (fd->prefix.family) {
            char b[VG_ADDR_STRLEN], pf[VG_ADDR_STRLEN + 8];
            snprintf(pf, sizeof pf, "%s/%u", vg_addr_str(&fd->prefix, b), fd->prefix_len);
            jw_str(w, "prefix", pf);
            jw_bool(w, "prefix_new", fd->prefix_new);
        }
        if (fd->sig == TAMPER_SIG_ND_ROGUE_RA) jw_uint(w, "new_routers_10s", fd->new_routers);
    } else {
        jw_uint(w, "flips", fd->flips);
        jw_uint(w, "unsolicited", fd->unsolicited);
        jw_uint(w, "announcements", fd->announcements);
        jw_uint(w, "addresses_taken", fd->ips_claimed);
    }
    jw_obj_close(w);
    jw_arr_open(w, "contestants");
    bool storm = fd->sig == TAMPER_SIG_ARP_STORM || fd->sig == TAMPER_SIG_ARP_IMPERSONATION;
    for (int i = 0; i < 2; i++)
        if (fd->c[i].pcap_cnt)
            put_contestant(w, &fd->c[i],
                           storm || (i == 1) != fd->forged_first ? "forged" : "genuine");
    jw_arr_close(w);
    jw_uint(w, "count", 1);
    jw_obj_close(w);

    if (ev_ok) {
        char rel[80];
        snprintf(rel, sizeof rel, "evidence/%s.pcap", name);
        jw_obj_open(w, "evidence");
        jw_str(w, "pcap", rel);
        jw_arr_open(w, "packets");
        unsigned k = 0;
        for (int i = 0; i < 2; i++)
            if (fd->c[i].pcap_cnt && fd->c[i].frame_len && fd->c[i].linktype == ch->linktype)
                jw_uint(w, NULL, ++k);
        jw_arr_close(w);
        jw_uint(w, "packets_in_file", nfr);
        jw_obj_close(w);
    }
    jw_obj_close(w);
}
