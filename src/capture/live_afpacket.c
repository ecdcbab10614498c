/* live_afpacket.c - AF_PACKET TPACKET_V3 receive ring (one per worker), joined to a PACKET_FANOUT
 * group per interface so that the kernel spreads flows over the workers by a symmetric flow hash
 * (both directions of a connection reach the same worker). Zero copy: a frame points into the
 * mapped ring until its block is handed back. Kernel interfaces: packet(7),
 * Documentation/networking/packet_mmap.rst. */

#include "capture/live.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/filter.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <pcap/pcap.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/vg_alloc.h"
#include "core/vg_status.h"

#ifndef PACKET_FANOUT_FLAG_DEFRAG
#define PACKET_FANOUT_FLAG_DEFRAG 0x8000
#endif

struct afp_src {
    struct live_src base;
    int fd;
    int ifindex;
    bool loopback;       /* lo: each frame is seen twice (outgoing, incoming); keep incoming */
    int linktype;        /* LINKTYPE_ETHERNET or LINKTYPE_RAW */
    uint32_t snaplen;
    uint8_t *ring;
    size_t ring_len;
    uint32_t block_size, block_nr;
    uint32_t cur_block;   /* block being read */
    bool in_block;        /* cur_block is ours (TP_STATUS_USER) and not yet handed back */
    uint32_t pkts_left;   /* frames of the current block not yet returned */
    struct tpacket3_hdr *next_hdr;
    struct live_kstats ks;
    uint8_t *vlan_buf;    /* frame with its VLAN tag put back (the kernel strips it) */
};

static int fail(char *err, size_t errlen, const char *iface, const char *what, int e)
{
    snprintf(err, errlen, "%s: %s: %s", iface, what, strerror(e));
    return e == EPERM || e == EACCES ? VG_ERR_USAGE : VG_ERR_IO;
}

int live_bpf_compile(const char *expr, int linktype, uint32_t snaplen, struct bpf_program *prog,
                     char *err, size_t errlen)
{
    pcap_t *dead = pcap_open_dead(linktype, (int)snaplen);
    if (!dead) {
        snprintf(err, errlen, "BPF: out of memory");
        return -1;
    }
    if (pcap_compile(dead, prog, expr ? expr : "", 1, PCAP_NETMASK_UNKNOWN) != 0) {
        snprintf(err, errlen, "BPF filter '%s': %s", expr ? expr : "", pcap_geterr(dead));
        pcap_close(dead);
        return -1;
    }
    pcap_close(dead);
    return 0;
}

void live_bpf_free(struct bpf_program *prog)
{
    pcap_freecode(prog);
}

static void afp_release(struct live_src *s)
{
    struct afp_src *a = (struct afp_src *)s;
    if (!a->in_block) return;
    struct tpacket_block_desc *bd =
        (struct tpacket_block_desc *)(a->ring + (size_t)a->cur_block * a->block_size);
    /* The kernel reads block_status: every read of the block's frames happens before. */
    __atomic_store_n(&bd->hdr.bh1.block_status, TP_STATUS_KERNEL, __ATOMIC_RELEASE);
    a->in_block = false;
    a->pkts_left = 0;
    a->cur_block = (a->cur_block + 1) % a->block_nr;
}

static int afp_next(struct live_src *s, struct capture_frame *fr)
{
    struct afp_src *a = (struct afp_src *)s;
    for (;;) {
        if (!a->in_block) {
            struct tpacket_block_desc *bd =
                (struct tpacket_block_desc *)(a->ring + (size_t)a->cur_block * a->block_size);
            if (!(__atomic_load_n(&bd->hdr.bh1.block_status, __ATOMIC_ACQUIRE) & TP_STATUS_USER))
                return VG_AGAIN;
            a->in_block = true;
            a->pkts_left = bd->hdr.bh1.num_pkts;
            uint32_t off = bd->hdr.bh1.offset_to_first_pkt;
            a->next_hdr = off < a->block_size ? (struct tpacket3_hdr *)((uint8_t *)bd + off) : NULL;
            if (!a->next_hdr) a->pkts_left = 0;
        }
        if (a->pkts_left == 0) {
            afp_release(s);
            continue;
        }
        struct tpacket3_hdr *h = a->next_hdr;
        uint8_t *blk = a->ring + (size_t)a->cur_block * a->block_size;
        a->pkts_left--;
        /* The kernel wrote these offsets; still, nothing is read outside the block. */
        if (a->pkts_left) {
            if (h->tp_next_offset == 0 ||
                (uint8_t *)h + h->tp_next_offset + sizeof *h > blk + a->block_size)
                a->pkts_left = 0;
            else
                a->next_hdr = (struct tpacket3_hdr *)((uint8_t *)h + h->tp_next_offset);
        }
        if ((uint8_t *)h + h->tp_mac + h->tp_snaplen > blk + a->block_size) continue;
        const struct sockaddr_ll *sll =
            (const struct sockaddr_ll *)((uint8_t *)h + TPACKET_ALIGN(sizeof(struct tpacket3_hdr)));
        if (a->loopback && sll->sll_pkttype == PACKET_OUTGOING) continue; /* seen again incoming */
        const uint8_t *data = (uint8_t *)h + h->tp_mac;
        uint32_t caplen = h->tp_snaplen, wirelen = h->tp_len;
        if ((h->tp_status & TP_STATUS_VLAN_VALID) && a->linktype == 1 && caplen >= 12) {
            /* The kernel took the 802.1Q tag out of the frame (VLAN offload): put it back, as
             * libpcap does, so that decode sees the frame as it was on the wire. */
            uint16_t tpid = (h->tp_status & TP_STATUS_VLAN_TPID_VALID) ? h->hv1.tp_vlan_tpid : 0x8100;
            uint32_t n = caplen > a->snaplen ? a->snaplen : caplen;
            memcpy(a->vlan_buf, data, 12);
            a->vlan_buf[12] = (uint8_t)(tpid >> 8);
            a->vlan_buf[13] = (uint8_t)tpid;
            a->vlan_buf[14] = (uint8_t)(h->hv1.tp_vlan_tci >> 8);
            a->vlan_buf[15] = (uint8_t)h->hv1.tp_vlan_tci;
            memcpy(a->vlan_buf + 16, data + 12, n - 12);
            data = a->vlan_buf;
            caplen = n + 4;
            wirelen += 4;
        }
        memset(fr, 0, sizeof *fr);
        fr->data = data;
        fr->caplen = caplen;
        fr->wirelen = wirelen < caplen ? caplen : wirelen;
        fr->ts.sec = h->tp_sec;
        fr->ts.nsec = h->tp_nsec;
        fr->linktype = a->linktype;
        return VG_OK;
    }
}

static int afp_fd(const struct live_src *s)
{
    return ((const struct afp_src *)s)->fd;
}

static void afp_kstats(struct live_src *s, struct live_kstats *ks)
{
    struct afp_src *a = (struct afp_src *)s;
    struct tpacket_stats_v3 st;
    socklen_t len = sizeof st;
    memset(&st, 0, sizeof st);
    /* The kernel resets its counters on every read: keep the sums. tp_packets includes drops. */
    if (getsockopt(a->fd, SOL_PACKET, PACKET_STATISTICS, &st, &len) == 0) {
        a->ks.packets += st.tp_packets;
        a->ks.drops += st.tp_drops;
        a->ks.freeze_q += st.tp_freeze_q_cnt;
    }
    *ks = a->ks;
}

static void afp_close(struct live_src *s)
{
    struct afp_src *a = (struct afp_src *)s;
    if (a->ring && a->ring != MAP_FAILED) munmap(a->ring, a->ring_len);
    if (a->fd >= 0) close(a->fd);
    vg_free(a->vlan_buf);
    vg_free(a);
}

static const struct live_ops afp_ops = {afp_next, afp_release, afp_fd, afp_kstats, afp_close};

int live_afpacket_open(const struct live_opts *o, struct live_src **out, char *err, size_t errlen)
{
    *out = NULL;
    const char *ifn = o->iface;
    if (strlen(ifn) >= IFNAMSIZ) {
        snprintf(err, errlen, "%s: interface name too long", ifn);
        return VG_ERR_USAGE;
    }
    struct afp_src *a = vg_calloc(1, sizeof *a);
    if (!a) {
        snprintf(err, errlen, "%s: out of memory", ifn);
        return VG_ERR_NOMEM;
    }
    a->base.ops = &afp_ops;
    snprintf(a->base.iface, sizeof a->base.iface, "%s", ifn);
    a->fd = -1;
    a->snaplen = o->snaplen ? o->snaplen : 65535;
    int rc;
    /* Protocol 0: no frame is queued before the ring, the filter and the bind are in place. */
    a->fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
    if (a->fd < 0) {
        rc = fail(err, errlen, ifn, "AF_PACKET socket (needs CAP_NET_RAW)", errno);
        goto out;
    }
    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    memcpy(ifr.ifr_name, ifn, strlen(ifn));
    if (ioctl(a->fd, SIOCGIFINDEX, &ifr) != 0) {
        rc = fail(err, errlen, ifn, "no such interface", errno);
        if (rc == VG_ERR_IO) rc = VG_ERR_USAGE;
        goto out;
    }
    a->ifindex = ifr.ifr_ifindex;
    if (ioctl(a->fd, SIOCGIFHWADDR, &ifr) != 0) {
        rc = fail(err, errlen, ifn, "SIOCGIFHWADDR", errno);
        goto out;
    }
    switch (ifr.ifr_hwaddr.sa_family) {
    case ARPHRD_ETHER: a->linktype = 1; break;
    case ARPHRD_LOOPBACK: a->linktype = 1; a->loopback = true; break;
    case ARPHRD_NONE: a->linktype = 101; break; /* tun: raw IP */
    default:
        snprintf(err, errlen, "%s: link type ARPHRD %u is not supported by the AF_PACKET reader; "
                 "try --capture pcap", ifn, ifr.ifr_hwaddr.sa_family);
        rc = VG_ERR_UNSUPPORTED;
        goto out;
    }
    int ver = TPACKET_V3;
    if (setsockopt(a->fd, SOL_PACKET, PACKET_VERSION, &ver, sizeof ver) != 0) {
        rc = fail(err, errlen, ifn, "PACKET_VERSION TPACKET_V3", errno);
        goto out;
    }
    /* The ring: blocks of 1 MiB (a frame up to 64 KiB always fits), ring_mb of them. */
    struct tpacket_req3 req;
    memset(&req, 0, sizeof req);
    uint32_t mb = o->ring_mb ? o->ring_mb : 32;
    req.tp_block_size = 1u << 20;
    req.tp_block_nr = mb;
    req.tp_frame_size = 2048;
    req.tp_frame_nr = req.tp_block_size / req.tp_frame_size * req.tp_block_nr;
    req.tp_retire_blk_tov = o->block_ms ? o->block_ms : 10;
    req.tp_feature_req_word = 0;
    if (setsockopt(a->fd, SOL_PACKET, PACKET_RX_RING, &req, sizeof req) != 0) {
        rc = fail(err, errlen, ifn, "PACKET_RX_RING", errno);
        goto out;
    }
    a->block_size = req.tp_block_size;
    a->block_nr = req.tp_block_nr;
    a->ring_len = (size_t)a->block_size * a->block_nr;
    a->ring = mmap(NULL, a->ring_len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_LOCKED, a->fd, 0);
    if (a->ring == MAP_FAILED) /* MAP_LOCKED needs RLIMIT_MEMLOCK; go on without it */
        a->ring = mmap(NULL, a->ring_len, PROT_READ | PROT_WRITE, MAP_SHARED, a->fd, 0);
    if (a->ring == MAP_FAILED) {
        rc = fail(err, errlen, ifn, "mmap of the ring", errno);
        goto out;
    }
    a->vlan_buf = vg_malloc((size_t)a->snaplen + 8);
    if (!a->vlan_buf) {
        snprintf(err, errlen, "%s: out of memory", ifn);
        rc = VG_ERR_NOMEM;
        goto out;
    }
    /* The filter (and the snap length: the program's return value) before the first frame. */
    struct bpf_program prog;
    if (live_bpf_compile(o->bpf, a->linktype, a->snaplen, &prog, err, errlen) != 0) {
        rc = VG_ERR_USAGE;
        goto out;
    }
    struct sock_fprog fp = {(unsigned short)prog.bf_len, (struct sock_filter *)prog.bf_insns};
    int frc = setsockopt(a->fd, SOL_SOCKET, SO_ATTACH_FILTER, &fp, sizeof fp);
    int fe = errno;
    live_bpf_free(&prog);
    if (frc != 0) {
        rc = fail(err, errlen, ifn, "SO_ATTACH_FILTER", fe);
        goto out;
    }
    struct sockaddr_ll sll;
    memset(&sll, 0, sizeof sll);
    sll.sll_family = AF_PACKET;
    sll.sll_protocol = htons(ETH_P_ALL);
    sll.sll_ifindex = a->ifindex;
    if (bind(a->fd, (struct sockaddr *)&sll, sizeof sll) != 0) {
        rc = fail(err, errlen, ifn, "bind", errno);
        goto out;
    }
    if (o->promisc) {
        struct packet_mreq mr;
        memset(&mr, 0, sizeof mr);
        mr.mr_ifindex = a->ifindex;
        mr.mr_type = PACKET_MR_PROMISC; /* undone by the kernel when the socket closes */
        if (setsockopt(a->fd, SOL_PACKET, PACKET_ADD_MEMBERSHIP, &mr, sizeof mr) != 0) {
            rc = fail(err, errlen, ifn, "promiscuous mode", errno);
            goto out;
        }
    }
    if (o->fanout_group) {
        uint32_t fou = (uint32_t)o->fanout_group |
                       ((uint32_t)(PACKET_FANOUT_HASH | PACKET_FANOUT_FLAG_DEFRAG) << 16);
        int fo;
        memcpy(&fo, &fou, sizeof fo); /* the kernel reads the bits of an int */
        if (setsockopt(a->fd, SOL_PACKET, PACKET_FANOUT, &fo, sizeof fo) != 0) {
            rc = fail(err, errlen, ifn, "PACKET_FANOUT (group in use by another program?)", errno);
            goto out;
        }
    }
    /* Counters start now: what was queued while setting up is not reported. */
    struct tpacket_stats_v3 st;
    socklen_t sl = sizeof st;
    (void)getsockopt(a->fd, SOL_PACKET, PACKET_STATISTICS, &st, &sl);
    *out = &a->base;
    return VG_OK;
out:
    afp_close(&a->base);
    return rc;
}

/* ---- the shared entry points (both backends) ---- */

int live_next(struct live_src *s, struct capture_frame *fr)
{
    return s->ops->next(s, fr);
}

void live_release(struct live_src *s)
{
    s->ops->release(s);
}

int live_fd(const struct live_src *s)
{
    return s->ops->fd(s);
}

void live_kstats(struct live_src *s, struct live_kstats *ks)
{
    memset(ks, 0, sizeof *ks);
    s->ops->kstats(s, ks);
}

const char *live_errmsg(const struct live_src *s)
{
    return s->errmsg;
}

const char *live_iface(const struct live_src *s)
{
    return s->iface;
}

void live_close(struct live_src *s)
{
    if (s) s->ops->close(s);
}
