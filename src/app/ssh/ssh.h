/* ssh.h - SSH-2 connection start of one TCP connection: the identification lines ("banners") of
 * both sides and their binary packets up to and including SSH_MSG_KEXINIT, with the HASSH and
 * HASSH-server fingerprints.
 *
 * RFC 4253 §4.2 (protocol version exchange: "SSH-protoversion-softwareversion SP comments CR LF",
 * at most 255 characters; the server may send other lines first), §6 (binary packet protocol:
 * uint32 packet_length, byte padding_length, payload, padding, no MAC before the first NEWKEYS),
 * §7.1 (SSH_MSG_KEXINIT: cookie and ten name-lists), RFC 4251 §5 (name-list encoding), RFC 4250.
 * HASSH: Salesforce, https://github.com/salesforce/hassh: the lowercase hex MD5 of
 * "kex_algorithms;encryption_algorithms_client_to_server;mac_algorithms_client_to_server;
 * compression_algorithms_client_to_server" of the client's KEXINIT (HASSH), and of
 * "kex_algorithms;encryption_algorithms_server_to_client;mac_algorithms_server_to_client;
 * compression_algorithms_server_to_client" of the server's (HASSH-server).
 *
 * Shape (app/app.h): ssh_probe, ssh_state_new/free, ssh_parse, ssh_gap, ssh_flush. Bytes may arrive
 * in any split, one at a time included: each direction keeps its state (banner line bytes, packet
 * header bytes, packet bytes collected in a buffer grown on demand up to cfg.packet_max = 64 KiB).
 * After its KEXINIT (or for SSH-1 after its banner) a direction is no longer parsed.
 * Events: SSH_EV_BANNER (a side's identification line), SSH_EV_KEXINIT (a side's KEXINIT, HASSH
 * computed), SSH_EV_LOG once per flow (both KEXINITs seen, or the flow ended after a banner: the
 * moment to write the EVE `ssh` event). Anomalies (core/vg_anomaly.h, type "applayer",
 * ssh.invalid_banner, ssh.long_banner, ssh.invalid_record, ssh.long_kex_record as Suricata) are
 * queued per flow, each id at most once, and taken with ssh_take_anomalies.
 */
#ifndef VG_SSH_H
#define VG_SSH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/vg_time.h"

/* Directions, equal to flow.h's FLOW_TOSERVER / FLOW_TOCLIENT. */
enum { SSH_DIR_TOSERVER = 0, SSH_DIR_TOCLIENT = 1 };

#define SSH_BANNER_MAX 255     /* RFC 4253 §4.2, CR LF included; longer is ssh.long_banner */
#define SSH_PROTO_MAX 31       /* protoversion kept ("2.0", "1.99") */
#define SSH_HASSH_STR_MAX 2048 /* HASSH string kept, NUL included (the hash covers all of it) */
#define SSH_HASH_HEX 33        /* lowercase MD5 hex + NUL */
#define SSH_PACKET_MAX_DEFAULT 65536u
#define SSH_PRE_BANNER_LINES 32 /* other lines a server may send before its banner */

/* Side flags (struct ssh_side.flags). */
enum {
    SSH_SIDE_BANNER = 1u << 0,     /* identification line seen */
    SSH_SIDE_KEXINIT = 1u << 1,    /* KEXINIT parsed, hassh set */
    SSH_SIDE_SSH1 = 1u << 2,       /* protoversion 1.x (not 1.99): binary packets not parsed */
    SSH_SIDE_BANNER_CUT = 1u << 3, /* the line was longer than SSH_BANNER_MAX: kept cut */
    SSH_SIDE_HASSH_CUT = 1u << 4,  /* hassh_str holds only the first SSH_HASSH_STR_MAX-1 bytes */
    SSH_SIDE_NEWKEYS = 1u << 5,    /* SSH_MSG_NEWKEYS seen before KEXINIT (odd, counted) */
    SSH_SIDE_GAVE_UP = 1u << 6,    /* not SSH, a gap, or a broken packet: parsing stopped */
};

/* One side of the connection. Strings are NUL-terminated; banner bytes are kept as sent. */
struct ssh_side {
    uint32_t flags; /* SSH_SIDE_* */
    uint16_t banner_len;
    char banner[SSH_BANNER_MAX + 1];           /* the identification line without CR LF */
    char proto_version[SSH_PROTO_MAX + 1];     /* "2.0" */
    char software_version[SSH_BANNER_MAX + 1]; /* "OpenSSH_8.9p1" */
    char comments[SSH_BANNER_MAX + 1];         /* "Ubuntu-3" ("" when none) */
    uint16_t pre_banner_lines;                 /* server lines before the banner */
    uint32_t packets;                          /* binary packets framed before and with KEXINIT */
    uint8_t kex_cookie[16];
    bool first_kex_follows;
    char hassh[SSH_HASH_HEX]; /* HASSH (client) or HASSH-server */
    char hassh_str[SSH_HASSH_STR_MAX];
    uint32_t hassh_len; /* full length of the HASSH string */
};

enum {
    SSH_SF_LOGGED = 1u << 0, /* SSH_EV_LOG was handed over */
};

struct ssh_session {
    uint32_t flags;
    struct ssh_side client, server;
    struct vg_ts ts_first, ts_last; /* first and latest bytes that were parsed */
};

enum { SSH_EV_BANNER = 1, SSH_EV_KEXINIT, SSH_EV_LOG };

struct ssh_event {
    int kind; /* SSH_EV_* */
    int dir;  /* SSH_DIR_* of the side concerned; -1 for SSH_EV_LOG */
};

/* emit(ud, s, ev): s and ev are valid only during the call. */
typedef void (*ssh_event_fn)(void *ud, const struct ssh_session *s, const struct ssh_event *ev);

struct ssh_config {
    uint32_t packet_max; /* a binary packet longer than this is skipped (ssh.long_kex_record) */
};

struct ssh_counters {
    uint64_t banners, pre_banner_lines, packets, kexinits;
    uint64_t long_banners, invalid_banners, invalid_records, long_records;
    uint64_t gaps, gave_up, nomem;
    uint64_t bytes_after[2]; /* bytes of a direction after its parsing ended (only counted) */
};

struct ssh_state;

void ssh_config_default(struct ssh_config *cfg);

/* ssh_probe: VG_OK when the bytes start with "SSH-" and a digit, VG_AGAIN while what is there is
 * a prefix of that, VG_DECLINED otherwise (either direction: a server that sends other lines
 * before its banner is only recognised from the client side). */
int ssh_probe(const uint8_t *data, size_t len, int dir);

/* Per-flow state (cfg copied, NULL = defaults), NULL when out of memory; ssh_state_free(NULL) is a
 * no-op and does not emit SSH_EV_LOG (call ssh_flush first). */
struct ssh_state *ssh_state_new(const struct ssh_config *cfg);
void ssh_state_free(struct ssh_state *st);

/* ssh_parse feeds the next in-order bytes of direction dir (any split); events go to emit (may be
 * NULL) during the call; ts is the time of these bytes. Returns VG_OK, or VG_DECLINED once this
 * direction is no longer parsed (after its KEXINIT, SSH-1, or an error: an anomaly says why); the
 * caller may stop feeding it. VG_ERR_USAGE for a NULL state or a bad dir. */
int ssh_parse(struct ssh_state *st, int dir, const uint8_t *data, size_t len, struct vg_ts ts,
              ssh_event_fn emit, void *ud);

/* ssh_gap: len bytes of dir were lost. A direction still being parsed stops (SSH has no way to
 * find a packet boundary again without the lengths); one already done is unaffected. */
int ssh_gap(struct ssh_state *st, int dir, size_t len);

/* ssh_flush ends the flow: SSH_EV_LOG is handed over now when a banner was seen and it was not
 * yet. After it the state accepts no more bytes. */
void ssh_flush(struct ssh_state *st, ssh_event_fn emit, void *ud);

/* Up to max queued anomaly ids (each at most once per flow) into out; returns how many. */
unsigned ssh_take_anomalies(struct ssh_state *st, uint16_t *out, unsigned max);

const struct ssh_session *ssh_session(const struct ssh_state *st);
const struct ssh_counters *ssh_counters(const struct ssh_state *st);

#endif
