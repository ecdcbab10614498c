/* live.h - live capture sources: AF_PACKET TPACKET_V3 rings with PACKET_FANOUT (live_afpacket.c)
 * and libpcap as a fallback (live_pcap.c). One source is one ring (or one pcap handle) on one
 * interface, read by exactly one worker thread; frames are returned one at a time and stay valid
 * until the next live_next() or live_release() on the same source.
 *
 * Both backends compile the BPF filter with libpcap; the AF_PACKET backend attaches it to the
 * socket with SO_ATTACH_FILTER (its return value is the snap length, so an empty filter still
 * truncates frames to snaplen), the pcap backend uses pcap_setfilter. */
#ifndef VG_CAPTURE_LIVE_H
#define VG_CAPTURE_LIVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "capture/capture.h"

enum live_kind { LIVE_AFPACKET, LIVE_PCAP };

struct live_opts {
    const char *iface;
    uint32_t snaplen;      /* bytes kept per frame (default 65535) */
    bool promisc;          /* put the interface in promiscuous mode while open */
    const char *bpf;       /* BPF filter expression; NULL or "" for none */
    uint16_t fanout_group; /* AF_PACKET: fanout group id (one per interface); 0: no fanout */
    uint32_t ring_mb;      /* AF_PACKET ring size per socket / pcap buffer size, MiB (default 32) */
    uint32_t block_ms;     /* AF_PACKET: a partly filled block is handed over after this (10) */
};

/* Kernel counters of one source, cumulative since it was opened. */
struct live_kstats {
    uint64_t packets;  /* received by the kernel for this socket (drops included) */
    uint64_t drops;    /* dropped because the ring/buffer was full */
    uint64_t ifdrops;  /* dropped by the interface (pcap only; 0 for AF_PACKET) */
    uint64_t freeze_q; /* AF_PACKET: times the queue was frozen (tp_freeze_q_cnt) */
};

struct live_src;

/* Opens a source. On failure returns a negative status and err names the interface and why. */
int live_afpacket_open(const struct live_opts *o, struct live_src **out, char *err, size_t errlen);
int live_pcap_open(const struct live_opts *o, struct live_src **out, char *err, size_t errlen);

/* live_next: VG_OK (frame filled in; linktype and iface set), VG_AGAIN (nothing ready now: poll the
 * fd, then call again), or a negative error (live_errmsg says what). */
int live_next(struct live_src *s, struct capture_frame *fr);
/* live_release gives the frames read so far back to the kernel (AF_PACKET: the current block);
 * called before the worker waits. */
void live_release(struct live_src *s);
/* The descriptor to poll for readability. */
int live_fd(const struct live_src *s);
/* Reads the kernel counters (AF_PACKET's PACKET_STATISTICS reset on read: they are summed). */
void live_kstats(struct live_src *s, struct live_kstats *ks);
const char *live_errmsg(const struct live_src *s);
const char *live_iface(const struct live_src *s);
void live_close(struct live_src *s); /* NULL is a no-op */

/* Compiles expr for linktype with snaplen into a classic BPF program (libpcap). Returns 0, or -1
 * with err set. The program is freed with live_bpf_free. */
struct bpf_program;
int live_bpf_compile(const char *expr, int linktype, uint32_t snaplen, struct bpf_program *prog,
                     char *err, size_t errlen);
void live_bpf_free(struct bpf_program *prog);

/* Internal: the ops every backend implements. */
struct live_ops {
    int (*next)(struct live_src *s, struct capture_frame *fr);
    void (*release)(struct live_src *s);
    int (*fd)(const struct live_src *s);
    void (*kstats)(struct live_src *s, struct live_kstats *ks);
    void (*close)(struct live_src *s);
};
struct live_src {
    const struct live_ops *ops;
    char iface[64];
    char errmsg[256];
};

#endif
