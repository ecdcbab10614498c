/* vg_anomaly.h - every named anomaly vigil can raise, in one X-macro table.
 *
 * Hostile input is an event, never an error (Suricata's ENGINE_SET_EVENT habit): a decoder or parser
 * that meets something malformed records one of these ids on the packet, its counter is bumped, and
 * the engine writes an EVE `anomaly` event {"type": TYPE, "event": NAME}.
 *
 * Columns: enum id, EVE anomaly.type ("decode", "stream", "applayer"), EVE anomaly.event name, and
 * whether Suricata's stats schema knows the counter as stats.decoder.event.<layer>.<name> (1) or the
 * counter is vigil's own and is only reported under stats.vigil.anomalies (0).
 * Names follow Suricata's ("decoder.ipv4.trunc_pkt") wherever Suricata has the same condition.
 */
#ifndef VG_ANOMALY_H
#define VG_ANOMALY_H

#define VG_ANOMALY_MAP(X)                                                                          \
    /* link layer */                                                                               \
    X(ANOM_ETH_PKT_TOO_SMALL, "decode", "decoder.ethernet.pkt_too_small", 1)                       \
    X(ANOM_ETH_UNKNOWN_ETHERTYPE, "decode", "decoder.ethernet.unknown_ethertype", 1)               \
    X(ANOM_VLAN_HEADER_TOO_SMALL, "decode", "decoder.vlan.header_too_small", 1)                    \
    X(ANOM_VLAN_TOO_MANY_LAYERS, "decode", "decoder.vlan.too_many_layers", 1)                      \
    X(ANOM_MPLS_HEADER_TOO_SMALL, "decode", "decoder.mpls.header_too_small", 1)                    \
    X(ANOM_MPLS_UNKNOWN_PAYLOAD, "decode", "decoder.mpls.unknown_payload_type", 1)                 \
    X(ANOM_PPPOE_PKT_TOO_SMALL, "decode", "decoder.pppoe.pkt_too_small", 1)                        \
    X(ANOM_PPPOE_WRONG_CODE, "decode", "decoder.pppoe.wrong_code", 1)                              \
    X(ANOM_PPP_UNSUP_PROTO, "decode", "decoder.ppp.unsup_proto", 1)                                \
    X(ANOM_SLL_PKT_TOO_SMALL, "decode", "decoder.sll.pkt_too_small", 1)                            \
    X(ANOM_SLL2_PKT_TOO_SMALL, "decode", "decoder.sll2.pkt_too_small", 1)                          \
    X(ANOM_NULL_PKT_TOO_SMALL, "decode", "decoder.ltnull.pkt_too_small", 1)                        \
    X(ANOM_NULL_UNSUPPORTED_TYPE, "decode", "decoder.ltnull.unsupported_type", 1)                  \
    X(ANOM_RAW_INVALID_IP_VERSION, "decode", "decoder.ipraw.invalid_ip_version", 1)                \
    X(ANOM_UNSUPPORTED_LINKTYPE, "decode", "decoder.unsupported_linktype", 0)                      \
    X(ANOM_TOO_MANY_LAYERS, "decode", "decoder.too_many_layers", 0)                                \
    /* IPv4 */                                                                                     \
    X(ANOM_IPV4_PKT_TOO_SMALL, "decode", "decoder.ipv4.pkt_too_small", 1)                          \
    X(ANOM_IPV4_HLEN_TOO_SMALL, "decode", "decoder.ipv4.hlen_too_small", 1)                        \
    X(ANOM_IPV4_IPLEN_SMALLER_THAN_HLEN, "decode", "decoder.ipv4.iplen_smaller_than_hlen", 1)      \
    X(ANOM_IPV4_TRUNC_PKT, "decode", "decoder.ipv4.trunc_pkt", 1)                                  \
    X(ANOM_IPV4_WRONG_IP_VERSION, "decode", "decoder.ipv4.wrong_ip_version", 1)                    \
    X(ANOM_IPV4_OPT_INVALID_LEN, "decode", "decoder.ipv4.opt_invalid_len", 1)                      \
    X(ANOM_IPV4_OPT_MALFORMED, "decode", "decoder.ipv4.opt_malformed", 1)                          \
    X(ANOM_IPV4_FRAG_PKT_TOO_LARGE, "decode", "decoder.ipv4.frag_pkt_too_large", 1)                \
    X(ANOM_IPV4_FRAG_OVERLAP, "decode", "decoder.ipv4.frag_overlap", 1)                            \
    X(ANOM_IPV4_FRAG_OVERLAP_DIFFERENT, "decode", "decoder.ipv4.frag_overlap_different_data", 0)   \
    X(ANOM_IPV4_FRAG_IGNORED, "decode", "decoder.ipv4.frag_ignored", 1)                            \
    /* IPv6 */                                                                                     \
    X(ANOM_IPV6_PKT_TOO_SMALL, "decode", "decoder.ipv6.pkt_too_small", 1)                          \
    X(ANOM_IPV6_TRUNC_PKT, "decode", "decoder.ipv6.trunc_pkt", 1)                                  \
    X(ANOM_IPV6_TRUNC_EXTHDR, "decode", "decoder.ipv6.trunc_exthdr", 1)                            \
    X(ANOM_IPV6_WRONG_IP_VERSION, "decode", "decoder.ipv6.wrong_ip_version", 1)                    \
    X(ANOM_IPV6_EXTHDR_DUPL_FH, "decode", "decoder.ipv6.exthdr_dupl_fh", 1)                        \
    X(ANOM_IPV6_EXTHDR_INVALID_OPTLEN, "decode", "decoder.ipv6.exthdr_invalid_optlen", 1)          \
    X(ANOM_IPV6_UNKNOWN_NEXT_HEADER, "decode", "decoder.ipv6.unknown_next_header", 1)              \
    X(ANOM_IPV6_FRAG_PKT_TOO_LARGE, "decode", "decoder.ipv6.frag_pkt_too_large", 1)                \
    X(ANOM_IPV6_FRAG_OVERLAP, "decode", "decoder.ipv6.frag_overlap", 1)                            \
    X(ANOM_IPV6_FRAG_OVERLAP_DIFFERENT, "decode", "decoder.ipv6.frag_overlap_different_data", 0)   \
    X(ANOM_IPV6_FRAG_INVALID_LENGTH, "decode", "decoder.ipv6.frag_invalid_length", 1)              \
    X(ANOM_IPV6_FRAG_IGNORED, "decode", "decoder.ipv6.frag_ignored", 1)                            \
    /* L4 */                                                                                       \
    X(ANOM_TCP_PKT_TOO_SMALL, "decode", "decoder.tcp.pkt_too_small", 1)                            \
    X(ANOM_TCP_HLEN_TOO_SMALL, "decode", "decoder.tcp.hlen_too_small", 1)                          \
    X(ANOM_TCP_INVALID_OPTLEN, "decode", "decoder.tcp.invalid_optlen", 1)                          \
    X(ANOM_TCP_OPT_INVALID_LEN, "decode", "decoder.tcp.opt_invalid_len", 1)                        \
    X(ANOM_TCP_OPT_DUPLICATE, "decode", "decoder.tcp.opt_duplicate", 1)                            \
    X(ANOM_UDP_PKT_TOO_SMALL, "decode", "decoder.udp.pkt_too_small", 1)                            \
    X(ANOM_UDP_HLEN_INVALID, "decode", "decoder.udp.hlen_invalid", 1)                              \
    X(ANOM_UDP_LEN_INVALID, "decode", "decoder.udp.len_invalid", 1)                                \
    X(ANOM_ICMPV4_PKT_TOO_SMALL, "decode", "decoder.icmpv4.pkt_too_small", 1)                      \
    X(ANOM_ICMPV4_IPV4_TRUNC_PKT, "decode", "decoder.icmpv4.ipv4_trunc_pkt", 1)                    \
    X(ANOM_ICMPV4_IPV4_UNKNOWN_VER, "decode", "decoder.icmpv4.ipv4_unknown_ver", 1)                \
    X(ANOM_ICMPV6_PKT_TOO_SMALL, "decode", "decoder.icmpv6.pkt_too_small", 1)                      \
    X(ANOM_ICMPV6_IPV6_TRUNC_PKT, "decode", "decoder.icmpv6.ipv6_trunc_pkt", 1)                    \
    X(ANOM_ICMPV6_IPV6_UNKNOWN_VERSION, "decode", "decoder.icmpv6.ipv6_unknown_version", 1)        \
    /* tunnels */                                                                                  \
    X(ANOM_GRE_PKT_TOO_SMALL, "decode", "decoder.gre.pkt_too_small", 1)                            \
    X(ANOM_GRE_WRONG_VERSION, "decode", "decoder.gre.wrong_version", 1)                            \
    X(ANOM_VXLAN_UNKNOWN_PAYLOAD, "decode", "decoder.vxlan.unknown_payload_type", 1)               \
    X(ANOM_VXLAN_PKT_TOO_SMALL, "decode", "decoder.vxlan.pkt_too_small", 0)

enum vg_anomaly {
#define VG_ANOMALY_ENUM(id, type, name, known) id,
    VG_ANOMALY_MAP(VG_ANOMALY_ENUM)
#undef VG_ANOMALY_ENUM
        VG_ANOMALY_COUNT
};

/* Static strings for an anomaly id; NULL for an id out of range. */
const char *vg_anomaly_type(int id);
const char *vg_anomaly_name(int id);
/* 1 if Suricata's stats schema has stats.decoder.event.<layer>.<name> for it. */
int vg_anomaly_suricata_known(int id);

#endif
