/* live_pcap.c - libpcap live capture (`vigil run --capture pcap`): the fallback for interfaces
 * and kernels the AF_PACKET reader does not handle. One handle per interface, non-blocking, read
 * by one worker; no fanout. */
#include "capture/live.h"

#include <pcap/pcap.h>
#include <stdio.h>
#include <string.h>

#include "core/vg_alloc.h"
#include "core/vg_status.h"

struct pcap_src {
    struct live_src base;
    pcap_t *p;
    int linktype;
    int fd;
    struct live_kstats base_ks; /* counters at open: reported relative to them */
};

static int lp_next(struct live_src *s, struct capture_frame *fr)
{
    struct pcap_src *l = (struct pcap_src *)s;
    struct pcap_pkthdr *h;
    const u_char *data;
    int rc = pcap_next_ex(l->p, &h, &data);
    if (rc == 0) return VG_AGAIN;
    if (rc < 0) {
        snprintf(s->errmsg, sizeof s->errmsg, "%s: %s", s->iface,
                 rc == PCAP_ERROR ? pcap_geterr(l->p) : "capture ended");
        return VG_ERR_IO;
    }
    memset(fr, 0, sizeof *fr);
    fr->data = data;
    fr->caplen = h->caplen;
    fr->wirelen = h->len < h->caplen ? h->caplen : h->len;
    fr->ts.sec = h->ts.tv_sec;
    fr->ts.nsec = (uint32_t)h->ts.tv_usec * 1000u; /* microseconds, unless nanosecond precision */
    if (pcap_get_tstamp_precision(l->p) == PCAP_TSTAMP_PRECISION_NANO)
        fr->ts.nsec = (uint32_t)h->ts.tv_usec;
    fr->linktype = l->linktype;
    return VG_OK;
}

static void lp_release(struct live_src *s)
{
    (void)s;
}

static int lp_fd(const struct live_src *s)
{
    return ((const struct pcap_src *)s)->fd;
}

static void lp_kstats(struct live_src *s, struct live_kstats *ks)
{
    struct pcap_src *l = (struct pcap_src *)s;
    struct pcap_stat st;
    if (pcap_stats(l->p, &st) != 0) return;
    /* libpcap on Linux: ps_recv counts frames passed by the filter, drops included. */
    ks->packets = st.ps_recv;
    ks->drops = st.ps_drop;
    ks->ifdrops = st.ps_ifdrop >= l->base_ks.ifdrops ? st.ps_ifdrop - l->base_ks.ifdrops : 0;
}

static void lp_close(struct live_src *s)
{
    struct pcap_src *l = (struct pcap_src *)s;
    if (l->p) pcap_close(l->p);
    vg_free(l);
}

static const struct live_ops lp_ops = {lp_next, lp_release, lp_fd, lp_kstats, lp_close};

int live_pcap_open(const struct live_opts *o, struct live_src **out, char *err, size_t errlen)
{
    *out = NULL;
    struct pcap_src *l = vg_calloc(1, sizeof *l);
    if (!l) {
        snprintf(err, errlen, "%s: out of memory", o->iface);
        return VG_ERR_NOMEM;
    }
    l->base.ops = &lp_ops;
    snprintf(l->base.iface, sizeof l->base.iface, "%s", o->iface);
    char ebuf[PCAP_ERRBUF_SIZE] = "";
    int rc = VG_ERR_IO;
    l->p = pcap_create(o->iface, ebuf);
    if (!l->p) {
        snprintf(err, errlen, "%s: %s", o->iface, ebuf);
        goto out;
    }
    uint32_t snap = o->snaplen ? o->snaplen : 65535;
    pcap_set_snaplen(l->p, (int)snap);
    pcap_set_promisc(l->p, o->promisc ? 1 : 0);
    pcap_set_immediate_mode(l->p, 1);
    pcap_set_buffer_size(l->p, (int)((o->ring_mb ? o->ring_mb : 32) << 20));
    (void)pcap_set_tstamp_precision(l->p, PCAP_TSTAMP_PRECISION_NANO);
    int arc = pcap_activate(l->p);
    if (arc < 0) {
        snprintf(err, errlen, "%s: %s%s", o->iface, pcap_statustostr(arc),
                 arc == PCAP_ERROR_PERM_DENIED ? " (needs CAP_NET_RAW)" : "");
        if (arc == PCAP_ERROR || arc == PCAP_ERROR_PERM_DENIED)
            snprintf(err, errlen, "%s: %s", o->iface, pcap_geterr(l->p));
        rc = arc == PCAP_ERROR_NO_SUCH_DEVICE || arc == PCAP_ERROR_PERM_DENIED ? VG_ERR_USAGE
                                                                               : VG_ERR_IO;
        goto out;
    }
    l->linktype = pcap_datalink(l->p);
    struct bpf_program prog;
    if (pcap_compile(l->p, &prog, o->bpf ? o->bpf : "", 1, PCAP_NETMASK_UNKNOWN) != 0) {
        snprintf(err, errlen, "%s: BPF filter '%s': %s", o->iface, o->bpf ? o->bpf : "",
                 pcap_geterr(l->p));
        rc = VG_ERR_USAGE;
        goto out;
    }
    int frc = pcap_setfilter(l->p, &prog);
    pcap_freecode(&prog);
    if (frc != 0) {
        snprintf(err, errlen, "%s: pcap_setfilter: %s", o->iface, pcap_geterr(l->p));
        goto out;
    }
    if (pcap_setnonblock(l->p, 1, ebuf) != 0) {
        snprintf(err, errlen, "%s: %s", o->iface, ebuf);
        goto out;
    }
    l->fd = pcap_get_selectable_fd(l->p);
    if (l->fd < 0) {
        snprintf(err, errlen, "%s: no selectable descriptor", o->iface);
        goto out;
    }
    struct pcap_stat st;
    if (pcap_stats(l->p, &st) == 0) l->base_ks.ifdrops = st.ps_ifdrop;
    *out = &l->base;
    return VG_OK;
out:
    lp_close(&l->base);
    return rc;
}
