/* tls.h - TLS 1.0-1.3 (and SSL 3.0, SSLv2-compatible hellos) handshake parser of one TCP
 * connection: records and handshake messages reassembled across segments and records, ClientHello,
 * ServerHello, Certificate (X.509 via OpenSSL), and the JA3 / JA3S / JA4 fingerprints.
 *
 * RFC 8446 (TLS 1.3: §4.1.2 ClientHello, §4.1.3 ServerHello and HelloRetryRequest, §4.2
 * extensions, §5.1 record layer, D.4 middlebox compatibility CCS), RFC 5246 (TLS 1.2: §6.2 record
 * layer, §7.4 handshake), RFC 6101 (SSL 3.0), draft-hickman-netscape-ssl-00 and RFC 5246 E.2
 * (SSLv2 CLIENT-HELLO), RFC 6066 §3 (server_name), RFC 7301 (ALPN), RFC 8422 (supported_groups,
 * ec_point_formats), RFC 8701 (GREASE), RFC 6520 (heartbeat), RFC 5280 (certificates).
 * Fingerprints: JA3/JA3S (Salesforce, github.com/salesforce/ja3), JA4 TLS client (FoxIO,
 * github.com/FoxIO-LLC/ja4 technical_details/JA4.md, BSD 3-Clause).
 *
 * Shape (app/app.h): tls_probe, tls_state_new/free, tls_parse, tls_gap, tls_flush. Bytes may arrive
 * in any split, one at a time included. Each direction keeps a record-header state and a handshake
 * message buffer (grown on demand, at most cfg.msg_max = 64 KiB per message; a longer message is
 * skipped, counted and raises tls.handshake_message_too_long). After ChangeCipherSpec, application
 * data, or a TLS 1.3 ServerHello, a direction's records are only framed and counted.
 *
 * What the parser hands over goes through one callback, tls_event_fn, with a struct tls_event:
 *   TLS_EV_CLIENT_HELLO  every ClientHello (ev->ch is that hello; the session keeps the first one,
 *                        as Suricata does, so ja3/ja4 of a flow are those of its first hello)
 *   TLS_EV_SERVER_HELLO  every ServerHello, HelloRetryRequest included (ev->sh; the session keeps
 *                        the last one)
 *   TLS_EV_CERTIFICATE   a Certificate message was decoded (ev->dir says whose)
 *   TLS_EV_LOG           once per flow: both directions are encrypted (handshake over), or the flow
 *                        ended (tls_flush) after at least one hello: the moment to write the EVE
 *                        `tls` event.
 * Anomalies (core/vg_anomaly.h, type "applayer", names as Suricata's tls.* events where it has
 * them) are queued per flow, each id at most once, and taken with tls_take_anomalies.
 *
 * Memory: one allocation per flow (struct tls_state, about 4 KiB), the two message buffers (freed
 * when the handshake is over) and at most one certificate record per direction (allocated when
 * that direction's Certificate message is decoded). No allocation per packet or per record.
 */
#ifndef VG_TLS_H
#define VG_TLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/vg_time.h"

/* Directions, equal to flow.h's FLOW_TOSERVER / FLOW_TOCLIENT. */
enum { TLS_DIR_TOSERVER = 0, TLS_DIR_TOCLIENT = 1 };

/* Protocol versions (the wire values). */
enum {
    TLS_VERSION_SSL2 = 0x0002,
    TLS_VERSION_SSL3 = 0x0300,
    TLS_VERSION_10 = 0x0301,
    TLS_VERSION_11 = 0x0302,
    TLS_VERSION_12 = 0x0303,
    TLS_VERSION_13 = 0x0304,
    TLS_VERSION_13_PRE_DRAFT16 = 0x7f01, /* Suricata's name for drafts 1-15 */
};

/* Handshake message types (RFC 8446 §4, RFC 5246 §7.4). */
enum {
    TLS_HS_HELLO_REQUEST = 0,
    TLS_HS_CLIENT_HELLO = 1,
    TLS_HS_SERVER_HELLO = 2,
    TLS_HS_NEW_SESSION_TICKET = 4,
    TLS_HS_END_OF_EARLY_DATA = 5,
    TLS_HS_HELLO_RETRY_REQUEST = 6, /* drafts only; RFC 8446 uses a ServerHello */
    TLS_HS_ENCRYPTED_EXTENSIONS = 8,
    TLS_HS_CERTIFICATE = 11,
    TLS_HS_SERVER_KEY_EXCHANGE = 12,
    TLS_HS_CERTIFICATE_REQUEST = 13,
    TLS_HS_SERVER_HELLO_DONE = 14,
    TLS_HS_CERTIFICATE_VERIFY = 15,
    TLS_HS_CLIENT_KEY_EXCHANGE = 16,
    TLS_HS_FINISHED = 20,
};

/* Limits. A list longer than its cap is cut (TLS_CHF_TRUNCATED, counter lists_truncated); the
 * fingerprints are then computed over the kept entries. No client seen in the wild comes close. */
#define TLS_MAX_CIPHERS 256
#define TLS_MAX_EXTS 64
#define TLS_MAX_GROUPS 64
#define TLS_MAX_POINT_FORMATS 16
#define TLS_MAX_SIGALGS 64
#define TLS_MAX_VERSIONS 16
#define TLS_MAX_COMPRESSION 16
#define TLS_MAX_KEY_SHARES 8
#define TLS_MAX_ALPN 8       /* ALPN protocols kept per hello */
#define TLS_ALPN_BUF 256     /* bytes for them, each NUL-terminated */
#define TLS_SNI_MAX 255      /* RFC 6066: a DNS name; longer is tls.invalid_sni_length */
#define TLS_JA3_STR_MAX 1024 /* JA3 string kept, NUL included (the hash covers all of it) */
#define TLS_JA3S_STR_MAX 512 /* JA3S string (always fits: TLS_MAX_EXTS bounds it) */
#define TLS_HASH_HEX 33      /* 32 lowercase hex digits of an MD5 + NUL */
#define TLS_JA4_LEN 36       /* "t13d1516h2_8daaf6152771_e5627efa2ab1" */
#define TLS_MSG_MAX_DEFAULT 65536u

/* A byte string owned by the session; p[len] is NUL. Values can hold NUL bytes of their own. */
struct tls_alpn {
    uint8_t n;                  /* protocols kept */
    uint8_t n_total;            /* protocols listed (may exceed TLS_MAX_ALPN) */
    uint16_t off[TLS_MAX_ALPN]; /* protocol i is buf + off[i], len[i] bytes, NUL-terminated */
    uint8_t len[TLS_MAX_ALPN];
    char buf[TLS_ALPN_BUF];
};

/* ClientHello flags (struct tls_client_hello.flags). */
enum {
    TLS_CHF_SSLV2 = 1u << 0,          /* an SSLv2-compatible CLIENT-HELLO (no extensions) */
    TLS_CHF_TRUNCATED = 1u << 1,      /* a list exceeded its cap and was cut */
    TLS_CHF_MALFORMED = 1u << 2,      /* parsing stopped early: later fields are missing */
    TLS_CHF_HAS_SNI_EXT = 1u << 3,    /* extension 0x0000 present (JA4 'd'), valid or not */
    TLS_CHF_HAS_ALPN_EXT = 1u << 4,   /* extension 0x0010 present */
    TLS_CHF_HAS_VERSIONS = 1u << 5,   /* supported_versions present */
    TLS_CHF_KEY_SHARE = 1u << 6,      /* key_share present */
    TLS_CHF_EARLY_DATA = 1u << 7,     /* early_data (0-RTT) offered */
    TLS_CHF_SESSION_TICKET = 1u << 8, /* session_ticket extension present */
    TLS_CHF_PSK = 1u << 9,            /* pre_shared_key present */
    TLS_CHF_JA3_TRUNC = 1u << 10,     /* ja3_str holds only the first TLS_JA3_STR_MAX-1 bytes */
};

struct tls_client_hello {
    uint16_t record_version; /* version of the record that carried it */
    uint16_t version;        /* legacy_version (client_version) */
    uint16_t ja4_version;    /* highest non-GREASE supported_versions entry, else version */
    uint8_t random[32];
    uint8_t session_id_len;
    uint8_t session_id[32];
    uint32_t flags; /* TLS_CHF_* */
    /* Lists in wire order, GREASE values included (the fingerprints drop them). */
    uint16_t n_ciphers, ciphers[TLS_MAX_CIPHERS];
    uint16_t n_sslv2_ciphers; /* SSLv2 cipher specs with no TLS equivalent (3-byte kinds) */
    uint8_t n_compression, compression[TLS_MAX_COMPRESSION];
    uint16_t n_exts, exts[TLS_MAX_EXTS];
    uint16_t n_groups, groups[TLS_MAX_GROUPS];
    uint8_t n_point_formats, point_formats[TLS_MAX_POINT_FORMATS];
    uint16_t n_sigalgs, sigalgs[TLS_MAX_SIGALGS];
    uint8_t n_versions;
    uint16_t versions[TLS_MAX_VERSIONS];
    uint8_t n_key_shares;
    uint16_t key_share_groups[TLS_MAX_KEY_SHARES];
    /* server_name: the first host_name entry, raw bytes (sni_len 0 = none kept). */
    uint16_t sni_len;
    char sni[TLS_SNI_MAX + 1];
    struct tls_alpn alpn;
    /* Fingerprints (computed when the hello is parsed; empty strings for SSLv2 hellos). */
    char ja3_hash[TLS_HASH_HEX];
    char ja3_str[TLS_JA3_STR_MAX];
    uint32_t ja3_len; /* full length of the JA3 string (> TLS_JA3_STR_MAX-1 when cut) */
    char ja4[TLS_JA4_LEN + 1];
};

enum {
    TLS_SHF_HRR = 1u << 0,       /* a HelloRetryRequest (RFC 8446 random, or draft type 6) */
    TLS_SHF_MALFORMED = 1u << 1, /* parsing stopped early */
    TLS_SHF_TRUNCATED = 1u << 2, /* the extension list exceeded TLS_MAX_EXTS */
    TLS_SHF_SSLV2 = 1u << 3,     /* an SSLv2 SERVER-HELLO */
    TLS_SHF_PSK = 1u << 4,       /* pre_shared_key accepted (TLS 1.3 resumption) */
};

struct tls_server_hello {
    uint16_t record_version;
    uint16_t version;          /* legacy_version (server_version) */
    uint16_t selected_version; /* supported_versions value, 0 when absent */
    uint8_t random[32];
    uint8_t session_id_len;
    uint8_t session_id[32];
    uint16_t cipher;
    uint8_t compression;
    uint16_t key_share_group; /* key_share group (HRR: the selected group); 0 when absent */
    uint32_t flags;           /* TLS_SHF_* */
    uint16_t n_exts, exts[TLS_MAX_EXTS];
    struct tls_alpn alpn; /* the selected protocol */
    char ja3s_hash[TLS_HASH_HEX];
    char ja3s_str[TLS_JA3S_STR_MAX];
};

/* One decoded X.509 certificate: the first certificate of a chain that decodes (Suricata's
 * "cert0"). Strings are NUL-terminated and formatted as Suricata logs them:
 *   subject / issuer: RDNs joined by ", ", attributes of one RDN by " + ", "TYPE=value" with
 *     C, ST, L, O, OU, CN, DC, Email, else the registry name (serialNumber, street...) or
 *     "OID(1.2.3)"; string values as-is, other ASN.1 types as uppercase hex;
 *   serial: the DER INTEGER content bytes, uppercase hex joined by ':' ("00:97:E6:...");
 *   fingerprint: SHA-1 of the DER bytes, lowercase hex joined by ':';
 *   not_before / not_after: "2016-09-13T20:22:06" (UTC).
 * A string that did not fit is cut (TLS_CERTF_CUT). */
#define TLS_DN_MAX 512
#define TLS_SERIAL_STR_MAX 192 /* 64 serial bytes */
#define TLS_FP_STR_LEN 59      /* 20 bytes as "aa:bb:..." */
#define TLS_SAN_BUF 1024
#define TLS_MAX_SAN 64

enum {
    TLS_CERTF_CUT = 1u << 0,      /* a string or the SAN list did not fit and was cut */
    TLS_CERTF_NO_SAN = 1u << 1,   /* no subjectAltName extension */
    TLS_CERTF_BAD_NAME = 1u << 2, /* a name held a string value that is not UTF-8 (logged as
                                      "<X509Error: Invalid X.509 name>", as Suricata) */
};

struct tls_cert {
    uint32_t der_len;
    uint32_t flags; /* TLS_CERTF_* */
    uint16_t subject_len, issuer_len, serial_len;
    char subject[TLS_DN_MAX];
    char issuer[TLS_DN_MAX];
    char serial[TLS_SERIAL_STR_MAX];
    char fingerprint[TLS_FP_STR_LEN + 1];
    char not_before[20], not_after[20];
    int64_t not_before_s, not_after_s; /* seconds since the epoch (negative before 1970) */
    /* subjectAltName dNSName entries: n_san strings, entry i at san + san_off[i], san_len[i]
     * bytes, NUL-terminated (an entry may hold NUL bytes of its own). */
    uint16_t n_san;
    uint16_t san_off[TLS_MAX_SAN];
    uint16_t san_len[TLS_MAX_SAN];
    char san[TLS_SAN_BUF];
};

/* Session flags (struct tls_session.flags). */
enum {
    TLS_SF_CLIENT_HELLO = 1u << 0,
    TLS_SF_SERVER_HELLO = 1u << 1, /* a ServerHello that is not a HelloRetryRequest */
    TLS_SF_HRR = 1u << 2,
    TLS_SF_TLS13 = 1u << 3,          /* the server selected TLS 1.3 (or a draft of it) */
    TLS_SF_RESUMED = 1u << 4,        /* session id echoed, or PSK accepted */
    TLS_SF_SSLV2 = 1u << 5,          /* SSLv2 hello seen */
    TLS_SF_ENCRYPTED_TS = 1u << 6,   /* client → server is encrypted */
    TLS_SF_ENCRYPTED_TC = 1u << 7,   /* server → client is encrypted */
    TLS_SF_HANDSHAKE_DONE = 1u << 8, /* both directions encrypted */
    TLS_SF_ALERT_TS = 1u << 9,       /* a cleartext alert from the client */
    TLS_SF_ALERT_TC = 1u << 10,      /* a cleartext alert from the server */
    TLS_SF_LOGGED = 1u << 11,        /* TLS_EV_LOG was handed over */
    TLS_SF_GAVE_UP = 1u << 12,       /* a direction was not TLS or lost its framing for good */
};

struct tls_session {
    uint32_t flags; /* TLS_SF_* */
    /* The version as Suricata (>= 8.0.3) reports it: the ServerHello's supported_versions value,
     * else its legacy version (0x0304 and 0x7f01..0x7f0f there mean TLS_VERSION_13_PRE_DRAFT16);
     * 0x0002 after an SSLv2 SERVER-HELLO. Until a ServerHello: the client's, i.e. the first
     * supported_versions entry that is a known version, else the ClientHello's version (same
     * mapping). 0 ("UNDETERMINED") before any hello. */
    uint16_t version;
    struct tls_client_hello ch; /* valid when TLS_SF_CLIENT_HELLO (or TLS_SF_SSLV2) is set */
    struct tls_server_hello sh; /* valid when TLS_SF_SERVER_HELLO or TLS_SF_HRR is set */
    const struct tls_cert *server_cert;          /* NULL until the server's certificate decoded */
    const struct tls_cert *client_cert;          /* NULL until the client's certificate decoded */
    uint16_t server_chain_len, client_chain_len; /* certificates in the first Certificate message */
    uint8_t alert_level[2], alert_desc[2];       /* last cleartext alert per direction */
    uint32_t n_client_hellos, n_server_hellos;
    struct vg_ts ts_first, ts_last; /* first and latest bytes that carried handshake data */
};

enum { TLS_EV_CLIENT_HELLO = 1, TLS_EV_SERVER_HELLO, TLS_EV_CERTIFICATE, TLS_EV_LOG };

struct tls_event {
    int kind;                          /* TLS_EV_* */
    int dir;                           /* direction of the message (TLS_EV_LOG: -1) */
    const struct tls_client_hello *ch; /* TLS_EV_CLIENT_HELLO: the hello just parsed */
    const struct tls_server_hello *sh; /* TLS_EV_SERVER_HELLO */
    const struct tls_cert *cert;       /* TLS_EV_CERTIFICATE: NULL when no certificate decoded */
    uint16_t chain_len;                /* TLS_EV_CERTIFICATE: certificates in the message */
};

/* emit(ud, s, ev): s and ev (and what they point to) are valid only during the call. */
typedef void (*tls_event_fn)(void *ud, const struct tls_session *s, const struct tls_event *ev);

struct tls_config {
    uint32_t msg_max; /* bytes of one handshake message kept (64 KiB); longer ones are skipped */
};

struct tls_counters {
    uint64_t records[2];           /* records framed per direction */
    uint64_t handshake_msgs[2];    /* cleartext handshake messages */
    uint64_t encrypted_records[2]; /* records after encryption started (not parsed) */
    uint64_t encrypted_bytes[2];
    uint64_t client_hellos, server_hellos, sslv2_hellos, hello_retries;
    uint64_t certificates; /* certificates seen in Certificate messages */
    uint64_t cert_decoded, cert_errors;
    uint64_t alerts, heartbeats, ccs;
    uint64_t msg_too_long;    /* handshake messages over msg_max (skipped) */
    uint64_t lists_truncated; /* hellos with a list over its cap */
    uint64_t gaps, gap_bytes, resyncs, gave_up, resync_drops;
    uint64_t nomem;
};

struct tls_state;

void tls_config_default(struct tls_config *cfg);

/* tls_probe looks at the first bytes of one direction, whatever the port: a handshake record (type
 * 22, version 0x0300-0x0304, length 1..18432) whose first message is a ClientHello (dir
 * TLS_DIR_TOSERVER), a ServerHello (TLS_DIR_TOCLIENT) or either (any other dir), with a plausible
 * message length and client version; or an SSLv2 CLIENT-HELLO (2-byte header, message type 1,
 * version 0x0002-0x0303) / SERVER-HELLO (type 4). Returns VG_OK, VG_DECLINED, or VG_AGAIN while
 * the bytes seen so far fit but do not suffice (at most 11 are needed). */
int tls_probe(const uint8_t *data, size_t len, int dir);

/* tls_state_new returns the per-flow state (cfg copied; NULL means defaults) or NULL when out of
 * memory. tls_state_free(NULL) is a no-op; it does not emit TLS_EV_LOG (call tls_flush first). */
struct tls_state *tls_state_new(const struct tls_config *cfg);
void tls_state_free(struct tls_state *st);

/* tls_parse feeds the next in-order bytes of direction dir (any split). Events go to emit(ud, ...)
 * during the call (emit may be NULL). ts is the time of these bytes. Returns VG_OK, or
 * VG_DECLINED once this direction is not parsed any more (not TLS, or its framing was lost and no
 * record header could be found again): an anomaly says why, and the caller may stop feeding it.
 * After the handshake is over (tls_handshake_done) the bytes are only framed and counted; the
 * caller may stop feeding both directions. VG_ERR_USAGE for a NULL state or a bad dir. */
int tls_parse(struct tls_state *st, int dir, const uint8_t *data, size_t len, struct vg_ts ts,
              tls_event_fn emit, void *ud);

/* tls_gap tells that len bytes of direction dir were lost. Inside the body of a record that is
 * only counted (encrypted) they are skipped and framing is kept; otherwise the message in progress
 * is dropped and the direction resynchronises: each later tls_parse call is accepted only when its
 * bytes start with a plausible record header (the chunks before are dropped and counted). */
int tls_gap(struct tls_state *st, int dir, size_t len);

/* tls_flush ends the flow: when the session had a hello and TLS_EV_LOG was not handed over yet, it
 * is now. After it the state accepts no more bytes. */
void tls_flush(struct tls_state *st, tls_event_fn emit, void *ud);

/* tls_take_anomalies moves up to max queued anomaly ids (each id at most once per flow) into out
 * and returns how many. Call after tls_parse / tls_gap / tls_flush. */
unsigned tls_take_anomalies(struct tls_state *st, uint16_t *out, unsigned max);

/* The session so far (valid until tls_state_free), the counters, and whether both directions are
 * encrypted. */
const struct tls_session *tls_session(const struct tls_state *st);
const struct tls_counters *tls_counters(const struct tls_state *st);
bool tls_handshake_done(const struct tls_state *st);

/* tls_version_str writes Suricata's name of a version ("SSLv2", "SSLv3", "TLSv1", "TLS 1.1",
 * "TLS 1.2", "TLS 1.3", "TLS 1.3 draft-28", "TLS 1.3 draft-<16", "TLS 1.3 draft-23-fb",
 * "UNDETERMINED" for 0, else "0x7e02") into buf (TLS_VERSION_STR_MAX bytes) and returns buf. */
#define TLS_VERSION_STR_MAX 24
const char *tls_version_str(uint16_t version, char *buf);

/* ---- fingerprints (tls_fingerprint.c) ----------------------------------------------------- */

/* RFC 8701 GREASE values: 0x0a0a, 0x1a1a, ..., 0xfafa. */
static inline bool tls_is_grease(uint16_t v)
{
    return (v & 0x0f0f) == 0x0a0a && (v >> 12) == ((v >> 4) & 0xf);
}

/* JA3 of a ClientHello: "SSLVersion,Ciphers,Extensions,EllipticCurves,EllipticCurvePointFormats",
 * decimal values joined by '-', GREASE removed from every list. The full string goes to str when
 * it fits in cap (NUL included); otherwise the first cap-1 bytes. hash gets the lowercase MD5 of
 * the full string. Returns the full string's length. */
size_t tls_ja3(const struct tls_client_hello *ch, char *str, size_t cap, char hash[TLS_HASH_HEX]);

/* JA3S of a ServerHello: "SSLVersion,Cipher,Extensions" (legacy version, GREASE removed). Same
 * contract as tls_ja3. */
size_t tls_ja3s(const struct tls_server_hello *sh, char *str, size_t cap, char hash[TLS_HASH_HEX]);

/* The inputs of JA4, as raw lists (GREASE values may be present: they are removed here). */
struct tls_ja4_input {
    char proto;               /* 't' TLS over TCP, 'q' QUIC, 'd' DTLS */
    uint16_t version;         /* ClientHello legacy version */
    const uint16_t *versions; /* supported_versions entries (NULL/0 when absent) */
    size_t n_versions;
    bool has_sni; /* extension 0x0000 present */
    const uint16_t *ciphers;
    size_t n_ciphers;
    const uint16_t *exts; /* extension types in wire order */
    size_t n_exts;
    const uint8_t *alpn; /* first ALPN protocol's bytes (NULL/0: none or empty) */
    size_t alpn_len;
    const uint16_t *sigalgs; /* signature_algorithms in wire order */
    size_t n_sigalgs;
};

/* tls_ja4 writes the JA4 fingerprint ("t13d1516h2_8daaf6152771_e5627efa2ab1", FoxIO JA4.md) into
 * out. When raw is not NULL it also writes JA4_r (sorted lists in clear: "t13d1516h2_002f,...
 * _0005,...,ff01_0403,...") into raw (cap bytes, cut to fit) — the form the JA4 README publishes,
 * used by the tests. Returns the full length of JA4_r. */
size_t tls_ja4(const struct tls_ja4_input *in, char out[TLS_JA4_LEN + 1], char *raw, size_t cap);

/* tls_ja4_input_from_hello fills a tls_ja4_input from a parsed ClientHello (proto 't'); the
 * pointers refer into ch. */
void tls_ja4_input_from_hello(const struct tls_client_hello *ch, struct tls_ja4_input *in);

#endif
