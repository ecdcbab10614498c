/* rule.h - one parsed Suricata rule, in the typed form the rule compiler and matcher consume.
 *
 * The parser (rule_parser.c) fills a struct rule from the rule text; everything it holds is owned
 * by the rule and released by rule_free. Nothing in here is a string to re-parse: addresses and
 * ports are sorted, disjoint, inclusive ranges with negation and variables already resolved;
 * contents are decoded bytes; pcre is compiled (PCRE2, JIT when available); numbers are numbers.
 *
 * Layout for the matcher:
 *   - header: action, protocol (rule_proto_info() says what it is and whether vigil's app layer
 *     publishes it), address/port sets, direction;
 *   - per-buffer match lists (struct rule_buffer): for each inspection buffer (payload, http.uri,
 *     dns.query, ...) the ordered list of content / pcre / byte_* / isdataat / bsize / base64
 *     matches, in rule order. Relative matches (distance, within, /R, relative) refer to the
 *     previous match of the same list, exactly as in Suricata;
 *   - packet-level conditions (struct rule_pmatch: dsize, ttl, flags, itype, ...), all ANDed;
 *   - flow state: flow flags, flowbits, app-layer-protocol, events, threshold/detection_filter.
 *
 * Semantics follow Suricata 7 wherever Suricata has the keyword; README.md lists the differences.
 */
#ifndef VG_DETECT_RULE_H
#define VG_DETECT_RULE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- header --------------------------------------------------------------------------------- */

enum rule_action {
    RULE_ACTION_ALERT,
    RULE_ACTION_PASS,
    RULE_ACTION_DROP, /* kept as parsed; the engine alerts in IDS mode */
    RULE_ACTION_REJECT,
    RULE_ACTION_REJECTSRC,
    RULE_ACTION_REJECTDST,
    RULE_ACTION_REJECTBOTH,
};

/* What a protocol name in the rule header means. */
enum rule_proto_kind {
    RULE_PK_IP,   /* any IP packet (ip, ipv4, ipv6, pkthdr) */
    RULE_PK_L4,   /* a transport or network protocol (tcp, udp, icmp, sctp, ...) */
    RULE_PK_APP,  /* an application protocol (http, dns, tls, ...) */
    RULE_PK_LINK, /* below IP (ether, arp) */
};

/* Every protocol name Suricata 7/8 accepts in a rule header: id, name, kind, IP protocol it runs
 * over (0: any/several), vigil can match it today (1: vigil's decoder/app layer publishes it). */
#define RULE_PROTO_MAP(X)                                                                          \
    X(RULE_PROTO_IP, "ip", RULE_PK_IP, 0, 1)                                                       \
    X(RULE_PROTO_IPV4, "ipv4", RULE_PK_IP, 0, 1)                                                   \
    X(RULE_PROTO_IPV6, "ipv6", RULE_PK_IP, 0, 1)                                                   \
    X(RULE_PROTO_PKTHDR, "pkthdr", RULE_PK_IP, 0, 1)                                               \
    X(RULE_PROTO_TCP, "tcp", RULE_PK_L4, 6, 1)                                                     \
    X(RULE_PROTO_TCP_PKT, "tcp-pkt", RULE_PK_L4, 6, 1)                                             \
    X(RULE_PROTO_TCP_STREAM, "tcp-stream", RULE_PK_L4, 6, 1)                                       \
    X(RULE_PROTO_UDP, "udp", RULE_PK_L4, 17, 1)                                                    \
    X(RULE_PROTO_ICMP, "icmp", RULE_PK_L4, 1, 1)                                                   \
    X(RULE_PROTO_ICMPV4, "icmpv4", RULE_PK_L4, 1, 1)                                               \
    X(RULE_PROTO_ICMPV6, "icmpv6", RULE_PK_L4, 58, 1)                                              \
    X(RULE_PROTO_SCTP, "sctp", RULE_PK_L4, 132, 0)                                                 \
    X(RULE_PROTO_IGMP, "igmp", RULE_PK_L4, 2, 0)                                                   \
    X(RULE_PROTO_ETHER, "ether", RULE_PK_LINK, 0, 0)                                               \
    X(RULE_PROTO_ARP, "arp", RULE_PK_LINK, 0, 0)                                                   \
    X(RULE_PROTO_HTTP, "http", RULE_PK_APP, 6, 1)                                                  \
    X(RULE_PROTO_HTTP1, "http1", RULE_PK_APP, 6, 1)                                                \
    X(RULE_PROTO_HTTP2, "http2", RULE_PK_APP, 6, 0)                                                \
    X(RULE_PROTO_DNS, "dns", RULE_PK_APP, 0, 1)                                                    \
    X(RULE_PROTO_TLS, "tls", RULE_PK_APP, 6, 1)                                                    \
    X(RULE_PROTO_SSH, "ssh", RULE_PK_APP, 6, 1)                                                    \
    X(RULE_PROTO_SMTP, "smtp", RULE_PK_APP, 6, 0)                                                  \
    X(RULE_PROTO_FTP, "ftp", RULE_PK_APP, 6, 0)                                                    \
    X(RULE_PROTO_FTP_DATA, "ftp-data", RULE_PK_APP, 6, 0)                                          \
    X(RULE_PROTO_IMAP, "imap", RULE_PK_APP, 6, 0)                                                  \
    X(RULE_PROTO_POP3, "pop3", RULE_PK_APP, 6, 0)                                                  \
    X(RULE_PROTO_SMB, "smb", RULE_PK_APP, 6, 0)                                                    \
    X(RULE_PROTO_DCERPC, "dcerpc", RULE_PK_APP, 0, 0)                                              \
    X(RULE_PROTO_NFS, "nfs", RULE_PK_APP, 0, 0)                                                    \
    X(RULE_PROTO_NTP, "ntp", RULE_PK_APP, 17, 0)                                                   \
    X(RULE_PROTO_TFTP, "tftp", RULE_PK_APP, 17, 0)                                                 \
    X(RULE_PROTO_DHCP, "dhcp", RULE_PK_APP, 17, 0)                                                 \
    X(RULE_PROTO_SNMP, "snmp", RULE_PK_APP, 17, 0)                                                 \
    X(RULE_PROTO_SIP, "sip", RULE_PK_APP, 0, 0)                                                    \
    X(RULE_PROTO_KRB5, "krb5", RULE_PK_APP, 0, 0)                                                  \
    X(RULE_PROTO_IKE, "ike", RULE_PK_APP, 17, 0)                                                   \
    X(RULE_PROTO_IKEV2, "ikev2", RULE_PK_APP, 17, 0)                                               \
    X(RULE_PROTO_MODBUS, "modbus", RULE_PK_APP, 6, 0)                                              \
    X(RULE_PROTO_DNP3, "dnp3", RULE_PK_APP, 6, 0)                                                  \
    X(RULE_PROTO_ENIP, "enip", RULE_PK_APP, 0, 0)                                                  \
    X(RULE_PROTO_RFB, "rfb", RULE_PK_APP, 6, 0)                                                    \
    X(RULE_PROTO_MQTT, "mqtt", RULE_PK_APP, 6, 0)                                                  \
    X(RULE_PROTO_PGSQL, "pgsql", RULE_PK_APP, 6, 0)                                                \
    X(RULE_PROTO_TELNET, "telnet", RULE_PK_APP, 6, 0)                                              \
    X(RULE_PROTO_RDP, "rdp", RULE_PK_APP, 6, 0)                                                    \
    X(RULE_PROTO_QUIC, "quic", RULE_PK_APP, 17, 0)                                                 \
    X(RULE_PROTO_BITTORRENT_DHT, "bittorrent-dht", RULE_PK_APP, 17, 0)                             \
    X(RULE_PROTO_WEBSOCKET, "websocket", RULE_PK_APP, 6, 0)                                        \
    X(RULE_PROTO_LDAP, "ldap", RULE_PK_APP, 0, 0)                                                  \
    X(RULE_PROTO_DOH2, "doh2", RULE_PK_APP, 6, 0)                                                  \
    X(RULE_PROTO_MDNS, "mdns", RULE_PK_APP, 17, 0)                                                 \
    X(RULE_PROTO_SMB2, "smb2", RULE_PK_APP, 6, 0)                                                  \
    X(RULE_PROTO_TEMPLATE, "template", RULE_PK_APP, 0, 0)

enum rule_proto {
#define RULE_PROTO_ENUM(id, name, kind, ipproto, vigil) id,
    RULE_PROTO_MAP(RULE_PROTO_ENUM)
#undef RULE_PROTO_ENUM
        RULE_PROTO_COUNT
};

struct rule_proto_info {
    const char *name;
    uint8_t kind;    /* enum rule_proto_kind */
    uint8_t ipproto; /* 0: any or several */
    uint8_t vigil;   /* 1: vigil's layers publish what is needed to match it */
};

/* Table row for a protocol id; NULL when out of range. */
const struct rule_proto_info *rule_proto_info(int proto);
/* Protocol id for a header name (case-insensitive, as Suricata); -1 when unknown. */
int rule_proto_lookup(const char *name, size_t len);

/* Address sets: sorted, disjoint, non-adjacent, inclusive ranges per family. */
struct rule_ip4_range {
    uint32_t lo, hi; /* host byte order */
};
struct rule_ip6_range {
    uint8_t lo[16], hi[16]; /* network byte order: memcmp orders them */
};
struct rule_addr {
    bool any; /* every IPv4 and IPv6 address (the ranges say so too) */
    uint32_t n4, n6;
    struct rule_ip4_range *v4;
    struct rule_ip6_range *v6;
};

/* Port sets: sorted, disjoint, non-adjacent, inclusive ranges. */
struct rule_port_range {
    uint16_t lo, hi;
};
struct rule_ports {
    bool any; /* 0-65535 */
    uint32_t n;
    struct rule_port_range *r;
};

/* ---- inspection buffers ----------------------------------------------------------------------
 * One row per buffer: id, sticky keyword, sticky alias (or NULL), legacy content modifier that
 * moves the previous content into the buffer (or NULL), pcre buffer flag (or 0), Suricata's
 * description (used in messages), app family, direction (0 both, 1 to server, 2 to client).
 * http.response_body, http_server_body, file.data and file_data are one buffer (Suricata 7:
 * file.data in HTTP inspects the response body; pcre /Q is accepted on both). */
enum rule_buf_family {
    RULE_BF_PKT, /* packet payload or reassembled stream */
    RULE_BF_HTTP,
    RULE_BF_FILE, /* file data: HTTP bodies, SMTP attachments, ... */
    RULE_BF_DNS,
    RULE_BF_TLS,
    RULE_BF_SSH,
    RULE_BF_BASE64, /* output of base64_decode */
};

#define RULE_BUF_MAP(X)                                                                            \
    X(RULE_BUF_PKT, "pkt_data", NULL, NULL, 0, "payload", RULE_BF_PKT, 0)                          \
    X(RULE_BUF_HTTP_URI, "http.uri", NULL, "http_uri", 'U', "http uri", RULE_BF_HTTP, 1)           \
    X(RULE_BUF_HTTP_URI_RAW, "http.uri.raw", NULL, "http_raw_uri", 'I', "raw http uri",            \
      RULE_BF_HTTP, 1)                                                                             \
    X(RULE_BUF_HTTP_METHOD, "http.method", NULL, "http_method", 'M', "http request method",        \
      RULE_BF_HTTP, 1)                                                                             \
    X(RULE_BUF_HTTP_PROTOCOL, "http.protocol", "http_protocol", NULL, 0, "http protocol",          \
      RULE_BF_HTTP, 0)                                                                             \
    X(RULE_BUF_HTTP_REQUEST_LINE, "http.request_line", "http_request_line", NULL, 0,               \
      "http request line", RULE_BF_HTTP, 1)                                                        \
    X(RULE_BUF_HTTP_START, "http.start", "http_start", NULL, 0, "http start line and headers",     \
      RULE_BF_HTTP, 0)                                                                             \
    X(RULE_BUF_HTTP_HOST, "http.host", NULL, "http_host", 'W', "http host", RULE_BF_HTTP, 1)       \
    X(RULE_BUF_HTTP_HOST_RAW, "http.host.raw", NULL, "http_raw_host", 'Z', "raw http host",        \
      RULE_BF_HTTP, 1)                                                                             \
    X(RULE_BUF_HTTP_HEADER, "http.header", NULL, "http_header", 'H', "http headers", RULE_BF_HTTP, \
      0)                                                                                           \
    X(RULE_BUF_HTTP_HEADER_RAW, "http.header.raw", NULL, "http_raw_header", 'D',                   \
      "raw http headers", RULE_BF_HTTP, 0)                                                         \
    X(RULE_BUF_HTTP_HEADER_NAMES, "http.header_names", "http_header_names", NULL, 0,               \
      "http header names", RULE_BF_HTTP, 0)                                                        \
    X(RULE_BUF_HTTP_COOKIE, "http.cookie", NULL, "http_cookie", 'C', "http cookie header",         \
      RULE_BF_HTTP, 0)                                                                             \
    X(RULE_BUF_HTTP_USER_AGENT, "http.user_agent", NULL, "http_user_agent", 'V',                   \
      "http user agent", RULE_BF_HTTP, 1)                                                          \
    X(RULE_BUF_HTTP_REFERER, "http.referer", "http_referer", NULL, 0, "http referer",              \
      RULE_BF_HTTP, 1)                                                                             \
    X(RULE_BUF_HTTP_ACCEPT, "http.accept", "http_accept", NULL, 0, "http accept", RULE_BF_HTTP, 1) \
    X(RULE_BUF_HTTP_ACCEPT_ENC, "http.accept_enc", "http_accept_enc", NULL, 0,                     \
      "http accept encoding", RULE_BF_HTTP, 1)                                                     \
    X(RULE_BUF_HTTP_ACCEPT_LANG, "http.accept_lang", "http_accept_lang", NULL, 0,                  \
      "http accept language", RULE_BF_HTTP, 1)                                                     \
    X(RULE_BUF_HTTP_CONNECTION, "http.connection", "http_connection", NULL, 0, "http connection",  \
      RULE_BF_HTTP, 0)                                                                             \
    X(RULE_BUF_HTTP_CONTENT_TYPE, "http.content_type", "http_content_type", NULL, 0,               \
      "http content type", RULE_BF_HTTP, 0)                                                        \
    X(RULE_BUF_HTTP_CONTENT_LEN, "http.content_len", "http_content_len", NULL, 0,                  \
      "http content length", RULE_BF_HTTP, 0)                                                      \
    X(RULE_BUF_HTTP_REQUEST_BODY, "http.request_body", NULL, "http_client_body", 'P',              \
      "http request body", RULE_BF_HTTP, 1)                                                        \
    X(RULE_BUF_HTTP_STAT_CODE, "http.stat_code", NULL, "http_stat_code", 'S',                      \
      "http response status code", RULE_BF_HTTP, 2)                                                \
    X(RULE_BUF_HTTP_STAT_MSG, "http.stat_msg", NULL, "http_stat_msg", 'Y',                         \
      "http response status message", RULE_BF_HTTP, 2)                                             \
    X(RULE_BUF_HTTP_RESPONSE_LINE, "http.response_line", "http_response_line", NULL, 0,            \
      "http response line", RULE_BF_HTTP, 2)                                                       \
    X(RULE_BUF_HTTP_LOCATION, "http.location", "http_location", NULL, 0, "http location",          \
      RULE_BF_HTTP, 2)                                                                             \
    X(RULE_BUF_HTTP_SERVER, "http.server", "http_server", NULL, 0, "http server", RULE_BF_HTTP, 2) \
    X(RULE_BUF_FILE_DATA, "file.data", "file_data", "http_server_body", 'Q',                       \
      "data from tracked files", RULE_BF_FILE, 0)                                                  \
    X(RULE_BUF_DNS_QUERY, "dns.query", "dns_query", NULL, 0, "dns query name", RULE_BF_DNS, 1)     \
    X(RULE_BUF_TLS_SNI, "tls.sni", "tls_sni", NULL, 0, "tls server name indication", RULE_BF_TLS,  \
      1)                                                                                           \
    X(RULE_BUF_TLS_CERT_SUBJECT, "tls.cert_subject", "tls_cert_subject", NULL, 0,                  \
      "tls certificate subject", RULE_BF_TLS, 2)                                                   \
    X(RULE_BUF_TLS_CERT_ISSUER, "tls.cert_issuer", "tls_cert_issuer", NULL, 0,                     \
      "tls certificate issuer", RULE_BF_TLS, 2)                                                    \
    X(RULE_BUF_TLS_CERT_SERIAL, "tls.cert_serial", "tls_cert_serial", NULL, 0,                     \
      "tls certificate serial", RULE_BF_TLS, 2)                                                    \
    X(RULE_BUF_TLS_CERT_FINGERPRINT, "tls.cert_fingerprint", "tls_cert_fingerprint", NULL, 0,      \
      "tls certificate fingerprint", RULE_BF_TLS, 2)                                               \
    X(RULE_BUF_TLS_CERTS, "tls.certs", NULL, NULL, 0, "tls certificates", RULE_BF_TLS, 2)          \
    X(RULE_BUF_JA3_HASH, "ja3.hash", "ja3_hash", NULL, 0, "ja3 hash", RULE_BF_TLS, 1)              \
    X(RULE_BUF_JA3_STRING, "ja3.string", "ja3_string", NULL, 0, "ja3 string", RULE_BF_TLS, 1)      \
    X(RULE_BUF_JA3S_HASH, "ja3s.hash", "ja3s_hash", NULL, 0, "ja3s hash", RULE_BF_TLS, 2)          \
    X(RULE_BUF_JA3S_STRING, "ja3s.string", "ja3s_string", NULL, 0, "ja3s string", RULE_BF_TLS, 2)  \
    X(RULE_BUF_JA4_HASH, "ja4.hash", NULL, NULL, 0, "ja4 hash", RULE_BF_TLS, 1)                    \
    X(RULE_BUF_SSH_PROTO, "ssh.proto", "ssh_proto", NULL, 0, "ssh protocol version", RULE_BF_SSH,  \
      0)                                                                                           \
    X(RULE_BUF_SSH_SOFTWARE, "ssh.software", "ssh_software", NULL, 0, "ssh software", RULE_BF_SSH, \
      0)                                                                                           \
    X(RULE_BUF_SSH_HASSH, "ssh.hassh", NULL, NULL, 0, "ssh hassh", RULE_BF_SSH, 1)                 \
    X(RULE_BUF_SSH_HASSH_STRING, "ssh.hassh.string", NULL, NULL, 0, "ssh hassh string",            \
      RULE_BF_SSH, 1)                                                                              \
    X(RULE_BUF_SSH_HASSH_SERVER, "ssh.hassh.server", NULL, NULL, 0, "ssh hassh server",            \
      RULE_BF_SSH, 2)                                                                              \
    X(RULE_BUF_SSH_HASSH_SERVER_STRING, "ssh.hassh.server.string", NULL, NULL, 0,                  \
      "ssh hassh server string", RULE_BF_SSH, 2)                                                   \
    X(RULE_BUF_BASE64_DATA, "base64_data", NULL, NULL, 0, "base64 decoded data", RULE_BF_BASE64, 0)

enum rule_buf {
#define RULE_BUF_ENUM(id, name, alias, modifier, pcre_flag, desc, family, dir) id,
    RULE_BUF_MAP(RULE_BUF_ENUM)
#undef RULE_BUF_ENUM
        RULE_BUF_COUNT
};

struct rule_buf_info {
    const char *name;     /* sticky buffer keyword */
    const char *alias;    /* older sticky spelling, or NULL */
    const char *modifier; /* legacy content modifier, or NULL */
    char pcre_flag;       /* pcre buffer modifier letter, or 0 */
    const char *desc;
    uint8_t family; /* enum rule_buf_family */
    uint8_t dir;    /* 0 both, 1 to server, 2 to client */
};

/* Table row for a buffer id; NULL when out of range. */
const struct rule_buf_info *rule_buf_info(int buf);

/* ---- buffer matches ------------------------------------------------------------------------- */

/* A number in a match that may instead name a byte_extract variable of the same rule. */
struct rule_num {
    int64_t v;   /* the value when var < 0 */
    int16_t var; /* index into rule->vars, or -1 */
};

enum rule_content_flags {
    RULE_CONTENT_NEGATED = 1u << 0,
    RULE_CONTENT_NOCASE = 1u << 1,
    RULE_CONTENT_RAWBYTES = 1u << 2,
    RULE_CONTENT_DEPTH = 1u << 3,
    RULE_CONTENT_OFFSET = 1u << 4,
    RULE_CONTENT_DISTANCE = 1u << 5,
    RULE_CONTENT_WITHIN = 1u << 6,
    RULE_CONTENT_STARTSWITH = 1u << 7, /* also sets DEPTH (len) and OFFSET (0) */
    RULE_CONTENT_ENDSWITH = 1u << 8,
    RULE_CONTENT_FAST_PATTERN = 1u << 9,
    RULE_CONTENT_FAST_PATTERN_ONLY = 1u << 10,
    RULE_CONTENT_FAST_PATTERN_CHOP = 1u << 11, /* fast_pattern:offset,length */
};

struct rule_content {
    uint8_t *pat; /* decoded bytes, len bytes, NUL-terminated for convenience */
    uint32_t len;
    uint32_t flags;                                  /* enum rule_content_flags */
    struct rule_num depth, offset, distance, within; /* valid when the flag is set */
    uint16_t fp_off, fp_len;                         /* fast_pattern:o,l */
};

enum rule_pcre_flags {
    RULE_PCRE_NEGATED = 1u << 0,
    RULE_PCRE_RELATIVE = 1u << 1, /* R */
    RULE_PCRE_RAWBYTES = 1u << 2, /* B */
    RULE_PCRE_NO_LIMIT = 1u << 3, /* O: no match limits */
    RULE_PCRE_JIT = 1u << 4,      /* JIT compilation succeeded */
};

struct pcre2_real_code_8;
struct rule_pcre {
    char *src;                      /* the expression between the slashes, as written */
    char *flags_str;                /* the modifiers after the last slash, as written */
    uint32_t flags;                 /* enum rule_pcre_flags */
    uint32_t options;               /* PCRE2 compile options used */
    struct pcre2_real_code_8 *code; /* pcre2_code *, compiled (and JIT-compiled) */
};

enum rule_cmp_op {
    RULE_CMP_EQ,
    RULE_CMP_NE,
    RULE_CMP_LT,
    RULE_CMP_LE,
    RULE_CMP_GT,
    RULE_CMP_GE,
    RULE_CMP_RANGE, /* a < x < b (Suricata's "a<>b" and "a-b", both exclusive) */
};

/* A numeric condition: x op a (or a, b for the ranges). */
struct rule_cmp {
    uint8_t op; /* enum rule_cmp_op */
    uint64_t a, b;
};

enum rule_byte_flags {
    RULE_BYTE_RELATIVE = 1u << 0,
    RULE_BYTE_LITTLE = 1u << 1, /* default big endian */
    RULE_BYTE_STRING = 1u << 2, /* number in text; base below */
    RULE_BYTE_DCE = 1u << 3,
    RULE_BYTE_ALIGN = 1u << 4, /* byte_jump align (4); byte_extract align uses align */
    RULE_BYTE_FROM_BEGINNING = 1u << 5,
    RULE_BYTE_FROM_END = 1u << 6,
    RULE_BYTE_NEGATED = 1u << 7, /* byte_test "!op" */
    RULE_BYTE_BITMASK = 1u << 8,
};

enum rule_byte_test_op {
    RULE_BT_LT,
    RULE_BT_GT,
    RULE_BT_EQ,
    RULE_BT_LE,
    RULE_BT_GE,
    RULE_BT_AND, /* & */
    RULE_BT_XOR, /* ^ */
};

struct rule_byte {
    uint8_t nbytes;
    uint8_t base;          /* 10, 16 or 8 when STRING */
    uint8_t op;            /* byte_test: enum rule_byte_test_op */
    uint8_t align;         /* byte_extract: 0, 2 or 4 */
    uint32_t flags;        /* enum rule_byte_flags */
    struct rule_num value; /* byte_test */
    struct rule_num offset;
    int32_t multiplier;  /* byte_jump / byte_extract; 1 when unset */
    int32_t post_offset; /* byte_jump */
    uint32_t bitmask;
    int16_t var;        /* byte_extract: the variable it defines */
    int16_t nbytes_var; /* byte_test/byte_jump: nbytes from this variable, or -1 */
};

struct rule_isdataat {
    struct rule_num n;
    bool negated, relative, rawbytes;
};

struct rule_base64 {
    uint32_t bytes; /* 0: to the end of the buffer */
    uint32_t offset;
    bool relative;
};

enum rule_match_kind {
    RULE_M_CONTENT,
    RULE_M_PCRE,
    RULE_M_BYTE_TEST,
    RULE_M_BYTE_JUMP,
    RULE_M_BYTE_EXTRACT,
    RULE_M_ISDATAAT,
    RULE_M_BSIZE,         /* buffer size (bsize; urilen is bsize on http.uri / http.uri.raw) */
    RULE_M_BASE64_DECODE, /* decodes into the base64_data buffer */
};

struct rule_match {
    uint8_t kind;     /* enum rule_match_kind */
    uint8_t buf;      /* enum rule_buf (same as the list it is in) */
    uint8_t list;     /* index of its list in rule->buf */
    uint32_t src_off; /* offset of its keyword in the rule text (for messages) */
    union {
        struct rule_content content;
        struct rule_pcre pcre;
        struct rule_byte byte; /* byte_test, byte_jump, byte_extract */
        struct rule_isdataat isdataat;
        struct rule_cmp bsize;
        struct rule_base64 base64;
    } u;
};

/* Transforms applied to a sticky buffer before its matches (Suricata 6+): "dns.query;
 * dotprefix; content:...". Applied in the order listed. */
#define RULE_TRANSFORM_MAP(X)                                                                      \
    X(RULE_TX_DOTPREFIX, "dotprefix")                                                              \
    X(RULE_TX_STRIP_WHITESPACE, "strip_whitespace")                                                \
    X(RULE_TX_COMPRESS_WHITESPACE, "compress_whitespace")                                          \
    X(RULE_TX_TO_LOWERCASE, "to_lowercase")                                                        \
    X(RULE_TX_TO_UPPERCASE, "to_uppercase")                                                        \
    X(RULE_TX_TO_MD5, "to_md5")                                                                    \
    X(RULE_TX_TO_SHA1, "to_sha1")                                                                  \
    X(RULE_TX_TO_SHA256, "to_sha256")                                                              \
    X(RULE_TX_URL_DECODE, "url_decode")                                                            \
    X(RULE_TX_HEADER_LOWERCASE, "header_lowercase")                                                \
    X(RULE_TX_STRIP_PSEUDO_HEADERS, "strip_pseudo_headers")

enum rule_transform {
#define RULE_TX_ENUM(id, name) id,
    RULE_TRANSFORM_MAP(RULE_TX_ENUM)
#undef RULE_TX_ENUM
        RULE_TX_COUNT
};

#define RULE_MAX_TX 8

/* The ordered matches of one inspection buffer. The same buffer with different transforms is a
 * different list (Suricata does the same). */
struct rule_buffer {
    uint8_t id;  /* enum rule_buf */
    uint8_t ntx; /* transforms, in order */
    uint8_t tx[RULE_MAX_TX];
    uint32_t n;
    struct rule_match *m;
};

/* ---- packet-level conditions ---------------------------------------------------------------- */

enum rule_pmatch_kind {
    RULE_P_DSIZE,       /* cmp on payload size */
    RULE_P_TTL,         /* cmp */
    RULE_P_TOS,         /* cmp (EQ/NE) */
    RULE_P_IP_ID,       /* cmp */
    RULE_P_IP_PROTO,    /* cmp */
    RULE_P_TCP_FLAGS,   /* flags */
    RULE_P_TCP_SEQ,     /* cmp */
    RULE_P_TCP_ACK,     /* cmp */
    RULE_P_TCP_WINDOW,  /* cmp (EQ/NE) */
    RULE_P_TCP_MSS,     /* cmp */
    RULE_P_ICMP_TYPE,   /* cmp */
    RULE_P_ICMP_CODE,   /* cmp */
    RULE_P_ICMP_ID,     /* cmp */
    RULE_P_ICMP_SEQ,    /* cmp */
    RULE_P_FRAGBITS,    /* flags */
    RULE_P_FRAGOFFSET,  /* cmp */
    RULE_P_IPOPTS,      /* ipopt */
    RULE_P_STREAM_SIZE, /* stream_size */
};

/* flags / fragbits: bits as on the wire (TCP: FIN 0x01 ... CWR 0x80; fragbits: R 0x8000 D 0x4000
 * M 0x2000). mode: exact (default), '+' all of bits plus any others, '*' any of bits, '!' none. */
enum rule_flags_mode {
    RULE_FLAGS_EXACT,
    RULE_FLAGS_PLUS,
    RULE_FLAGS_ANY,
    RULE_FLAGS_NOT,
};
struct rule_flags {
    uint8_t mode; /* enum rule_flags_mode */
    uint16_t bits;
    uint16_t ignore; /* bits masked out before comparing (flags:S,12 ignores CWR/ECE) */
};

enum rule_ipopt {
    RULE_IPOPT_RR,
    RULE_IPOPT_EOL,
    RULE_IPOPT_NOP,
    RULE_IPOPT_TS,
    RULE_IPOPT_SEC,
    RULE_IPOPT_ESEC,
    RULE_IPOPT_LSRR,
    RULE_IPOPT_SSRR,
    RULE_IPOPT_SATID,
    RULE_IPOPT_ANY,
};

enum rule_stream_side { RULE_SS_SERVER, RULE_SS_CLIENT, RULE_SS_BOTH, RULE_SS_EITHER };

struct rule_pmatch {
    uint8_t kind; /* enum rule_pmatch_kind */
    union {
        struct rule_cmp cmp;
        struct rule_flags flags;
        uint8_t ipopt; /* enum rule_ipopt */
        struct {
            uint8_t side; /* enum rule_stream_side */
            struct rule_cmp cmp;
        } stream_size;
    } u;
};

/* ---- flow state, meta ----------------------------------------------------------------------- */

enum rule_flow_flags {
    RULE_FLOW_ESTABLISHED = 1u << 0,
    RULE_FLOW_NOT_ESTABLISHED = 1u << 1,
    RULE_FLOW_STATELESS = 1u << 2,
    RULE_FLOW_TO_SERVER = 1u << 3, /* also from_client */
    RULE_FLOW_TO_CLIENT = 1u << 4, /* also from_server */
    RULE_FLOW_ONLY_STREAM = 1u << 5,
    RULE_FLOW_NO_STREAM = 1u << 6,
    RULE_FLOW_ONLY_FRAG = 1u << 7,
    RULE_FLOW_NO_FRAG = 1u << 8,
};

enum rule_flowbit_cmd {
    RULE_FB_SET,
    RULE_FB_ISSET,
    RULE_FB_ISNOTSET,
    RULE_FB_UNSET,
    RULE_FB_TOGGLE,
};

struct rule_flowbit {
    uint8_t cmd; /* enum rule_flowbit_cmd */
    uint8_t op;  /* '|' (any of) or '&' (all of) when n > 1, else 0 */
    uint16_t n;
    char **names; /* n names */
};

enum rule_thr_type {
    RULE_THR_LIMIT,
    RULE_THR_THRESHOLD,
    RULE_THR_BOTH,
    RULE_THR_BACKOFF, /* alert at count, then at count * multiplier, ... (Suricata 7.0.3+) */
    RULE_THR_DETECTION_FILTER,
};
enum rule_thr_track {
    RULE_TRACK_BY_SRC,
    RULE_TRACK_BY_DST,
    RULE_TRACK_BY_RULE,
    RULE_TRACK_BY_BOTH,
    RULE_TRACK_BY_FLOW,
};

struct rule_threshold {
    uint8_t type;  /* enum rule_thr_type */
    uint8_t track; /* enum rule_thr_track */
    uint32_t count;
    uint32_t seconds;    /* 0 for backoff */
    uint32_t multiplier; /* backoff only */
};

struct rule_reference {
    char *type; /* "url", "cve", ... */
    char *value;
};

struct rule_metadata {
    char *key;
    char *value; /* "" when the entry had no value */
};

/* A named event condition: one of vigil's anomaly ids (core/vg_anomaly.h) or a tamper finding. */
enum rule_event_kind {
    RULE_EV_ANOMALY, /* app-layer-event, decode-event, stream-event, vigil.anomaly */
    RULE_EV_TAMPER,  /* vigil.tamper */
};
struct rule_event {
    uint8_t kind;    /* enum rule_event_kind */
    int32_t anomaly; /* enum vg_anomaly (RULE_EV_ANOMALY) */
    char *tclass;    /* RULE_EV_TAMPER: tamper class ("forged_rst") */
    char *tsubtype;  /* RULE_EV_TAMPER: subtype, or NULL for any */
};

enum rule_target { RULE_TARGET_NONE, RULE_TARGET_SRC, RULE_TARGET_DST };

enum rule_flag {
    RULE_F_NOALERT = 1u << 0, /* noalert or flowbits:noalert */
    RULE_F_BIDIR = 1u << 1,   /* "<>" */
    RULE_F_HAS_THRESHOLD = 1u << 2,
    RULE_F_HAS_DETECTION_FILTER = 1u << 3,
    RULE_F_TAG = 1u << 4,          /* tag: parsed and ignored */
    RULE_F_PRIORITY_SET = 1u << 5, /* priority keyword given */
    RULE_F_PREFILTER = 1u << 7,    /* prefilter keyword on a non-content match */
};

#define RULE_MAX_VARS 16 /* byte_extract variables per rule */

struct rule {
    /* header */
    uint8_t action; /* enum rule_action */
    uint8_t proto;  /* enum rule_proto (header) */
    uint8_t app;    /* enum rule_proto of kind APP the rule needs (header or inferred), or
                       RULE_PROTO_COUNT when none */
    uint32_t flags; /* enum rule_flag */
    struct rule_addr src, dst;
    struct rule_ports sport, dport;

    /* meta */
    uint32_t sid, gid, rev;
    char *msg;        /* "" when absent */
    char *classtype;  /* short name, or NULL */
    char *class_desc; /* description from the classification table, or NULL */
    uint8_t priority; /* from priority:, else the classtype's, else 3 */
    uint8_t target;   /* enum rule_target */
    uint32_t nref, nmeta;
    struct rule_reference *ref;
    struct rule_metadata *meta;

    /* matches */
    uint32_t nbuf;
    struct rule_buffer *buf; /* one per buffer used, in order of first use */
    uint32_t npm;
    struct rule_pmatch *pm;
    int32_t fp_buf, fp_idx; /* buffer index / match index of the fast_pattern content, or -1 */

    /* flow state */
    uint32_t flow; /* enum rule_flow_flags */
    uint32_t nflowbits;
    struct rule_flowbit *flowbits;
    uint8_t app_proto; /* app-layer-protocol:<p>: enum rule_proto, or RULE_PROTO_COUNT */
    uint64_t app_not;  /* app-layer-protocol:!<p>: bit (1 << proto) per excluded one */
    uint32_t nev;
    struct rule_event *ev;
    struct rule_threshold threshold;        /* valid with RULE_F_HAS_THRESHOLD */
    struct rule_threshold detection_filter; /* valid with RULE_F_HAS_DETECTION_FILTER */
    int32_t tls_version;                    /* tls.version: 0x0300..0x0304, or -1 */

    /* byte_extract variables: names, in definition order */
    uint32_t nvars;
    char *vars[RULE_MAX_VARS];

    /* where it came from */
    char *file; /* as given to the loader, or NULL */
    uint32_t line;
};

/* rule_free releases a rule and everything it owns; NULL is a no-op. */
void rule_free(struct rule *r);

#endif
