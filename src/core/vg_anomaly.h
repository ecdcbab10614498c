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
    X(ANOM_VLAN_UNKNOWN_TYPE, "decode", "decoder.vlan.unknown_type", 1)                            \
    X(ANOM_MPLS_HEADER_TOO_SMALL, "decode", "decoder.mpls.header_too_small", 1)                    \
    X(ANOM_MPLS_UNKNOWN_PAYLOAD, "decode", "decoder.mpls.unknown_payload_type", 1)                 \
    X(ANOM_MPLS_PKT_TOO_SMALL, "decode", "decoder.mpls.pkt_too_small", 1)                          \
    X(ANOM_MPLS_BAD_LABEL_IMPLICIT_NULL, "decode", "decoder.mpls.bad_label_implicit_null", 1)      \
    X(ANOM_MPLS_BAD_LABEL_RESERVED, "decode", "decoder.mpls.bad_label_reserved", 1)                \
    X(ANOM_MPLS_BAD_LABEL_ROUTER_ALERT, "decode", "decoder.mpls.bad_label_router_alert", 1)        \
    X(ANOM_PPPOE_PKT_TOO_SMALL, "decode", "decoder.pppoe.pkt_too_small", 1)                        \
    X(ANOM_PPPOE_WRONG_CODE, "decode", "decoder.pppoe.wrong_code", 1)                              \
    X(ANOM_PPPOE_WRONG_VERSION, "decode", "decoder.pppoe.wrong_version", 0)                        \
    X(ANOM_PPP_UNSUP_PROTO, "decode", "decoder.ppp.unsup_proto", 1)                                \
    X(ANOM_PPP_PKT_TOO_SMALL, "decode", "decoder.ppp.pkt_too_small", 1)                            \
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
    X(ANOM_IPV4_OPT_DUPLICATE, "decode", "decoder.ipv4.opt_duplicate", 1)                          \
    X(ANOM_IPV4_OPT_UNKNOWN, "decode", "decoder.ipv4.opt_unknown", 1)                              \
    X(ANOM_IPV4_ICMPV6, "decode", "decoder.ipv4.icmpv6", 1)                                        \
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
    X(ANOM_IPV6_EXTHDR_DUPL_HH, "decode", "decoder.ipv6.exthdr_dupl_hh", 1)                        \
    X(ANOM_IPV6_EXTHDR_DUPL_RH, "decode", "decoder.ipv6.exthdr_dupl_rh", 1)                        \
    X(ANOM_IPV6_EXTHDR_DUPL_DH, "decode", "decoder.ipv6.exthdr_dupl_dh", 1)                        \
    X(ANOM_IPV6_EXTHDR_DUPL_AH, "decode", "decoder.ipv6.exthdr_dupl_ah", 1)                        \
    X(ANOM_IPV6_EXTHDR_USELESS_FH, "decode", "decoder.ipv6.exthdr_useless_fh", 1)                  \
    X(ANOM_IPV6_FH_NON_ZERO_RESERVED_FIELD, "decode", "decoder.ipv6.fh_non_zero_reserved_field", 1)\
    X(ANOM_IPV6_EXTHDR_AH_RES_NOT_NULL, "decode", "decoder.ipv6.exthdr_ah_res_not_null", 1)        \
    X(ANOM_IPV6_RH_TYPE_0, "decode", "decoder.ipv6.rh_type_0", 1)                                  \
    X(ANOM_IPV6_ZERO_LEN_PADN, "decode", "decoder.ipv6.zero_len_padn", 1)                          \
    X(ANOM_IPV6_HOPOPTS_UNKNOWN_OPT, "decode", "decoder.ipv6.hopopts_unknown_opt", 1)              \
    X(ANOM_IPV6_HOPOPTS_ONLY_PADDING, "decode", "decoder.ipv6.hopopts_only_padding", 1)            \
    X(ANOM_IPV6_DSTOPTS_UNKNOWN_OPT, "decode", "decoder.ipv6.dstopts_unknown_opt", 1)              \
    X(ANOM_IPV6_DSTOPTS_ONLY_PADDING, "decode", "decoder.ipv6.dstopts_only_padding", 1)            \
    X(ANOM_IPV6_DATA_AFTER_NONE_HEADER, "decode", "decoder.ipv6.data_after_none_header", 1)        \
    X(ANOM_IPV6_ICMPV4, "decode", "decoder.ipv6.icmpv4", 1)                                        \
    X(ANOM_IPV6_TOO_MANY_EXTHDRS, "decode", "decoder.ipv6.too_many_exthdrs", 0)                    \
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
    X(ANOM_UDP_HLEN_TOO_SMALL, "decode", "decoder.udp.hlen_too_small", 1)                          \
    X(ANOM_ICMPV4_PKT_TOO_SMALL, "decode", "decoder.icmpv4.pkt_too_small", 1)                      \
    X(ANOM_ICMPV4_IPV4_TRUNC_PKT, "decode", "decoder.icmpv4.ipv4_trunc_pkt", 1)                    \
    X(ANOM_ICMPV4_IPV4_UNKNOWN_VER, "decode", "decoder.icmpv4.ipv4_unknown_ver", 1)                \
    X(ANOM_ICMPV4_UNKNOWN_TYPE, "decode", "decoder.icmpv4.unknown_type", 1)                        \
    X(ANOM_ICMPV4_UNKNOWN_CODE, "decode", "decoder.icmpv4.unknown_code", 1)                        \
    X(ANOM_ICMPV6_PKT_TOO_SMALL, "decode", "decoder.icmpv6.pkt_too_small", 1)                      \
    X(ANOM_ICMPV6_IPV6_TRUNC_PKT, "decode", "decoder.icmpv6.ipv6_trunc_pkt", 1)                    \
    X(ANOM_ICMPV6_IPV6_UNKNOWN_VERSION, "decode", "decoder.icmpv6.ipv6_unknown_version", 1)        \
    X(ANOM_ICMPV6_UNKNOWN_TYPE, "decode", "decoder.icmpv6.unknown_type", 1)                        \
    X(ANOM_ICMPV6_UNKNOWN_CODE, "decode", "decoder.icmpv6.unknown_code", 1)                        \
    X(ANOM_ICMPV6_EXPERIMENTATION_TYPE, "decode", "decoder.icmpv6.experimentation_type", 1)        \
    X(ANOM_ICMPV6_ND_PKT_TOO_SMALL, "decode", "decoder.icmpv6.nd_pkt_too_small", 0)               \
    X(ANOM_ICMPV6_ND_OPT_INVALID_LEN, "decode", "decoder.icmpv6.nd_opt_invalid_len", 0)           \
    X(ANOM_ICMPV6_ND_INVALID_HL, "decode", "decoder.icmpv6.nd_invalid_hop_limit", 0)              \
    X(ANOM_ARP_PKT_TOO_SMALL, "decode", "decoder.arp.pkt_too_small", 1)                            \
    X(ANOM_ARP_UNSUPPORTED_HARDWARE, "decode", "decoder.arp.unsupported_hardware", 1)              \
    X(ANOM_ARP_UNSUPPORTED_PROTOCOL, "decode", "decoder.arp.unsupported_protocol", 1)              \
    X(ANOM_ARP_INVALID_HARDWARE_SIZE, "decode", "decoder.arp.invalid_hardware_size", 1)            \
    X(ANOM_ARP_INVALID_PROTOCOL_SIZE, "decode", "decoder.arp.invalid_protocol_size", 1)            \
    X(ANOM_ARP_UNSUPPORTED_OPCODE, "decode", "decoder.arp.unsupported_opcode", 1)                  \
    X(ANOM_ESP_PKT_TOO_SMALL, "decode", "decoder.esp.pkt_too_small", 1)                            \
    /* tunnels */                                                                                  \
    X(ANOM_GRE_PKT_TOO_SMALL, "decode", "decoder.gre.pkt_too_small", 1)                            \
    X(ANOM_GRE_WRONG_VERSION, "decode", "decoder.gre.wrong_version", 1)                            \
    X(ANOM_GRE_VERSION0_RECUR, "decode", "decoder.gre.version0_recur", 1)                          \
    X(ANOM_GRE_VERSION0_FLAGS, "decode", "decoder.gre.version0_flags", 1)                          \
    X(ANOM_GRE_VERSION0_HDR_TOO_BIG, "decode", "decoder.gre.version0_hdr_too_big", 1)              \
    X(ANOM_GRE_VERSION0_MALFORMED_SRE_HDR, "decode", "decoder.gre.version0_malformed_sre_hdr", 1)  \
    X(ANOM_GRE_VERSION1_CHKSUM, "decode", "decoder.gre.version1_chksum", 1)                        \
    X(ANOM_GRE_VERSION1_ROUTE, "decode", "decoder.gre.version1_route", 1)                          \
    X(ANOM_GRE_VERSION1_SSR, "decode", "decoder.gre.version1_ssr", 1)                              \
    X(ANOM_GRE_VERSION1_RECUR, "decode", "decoder.gre.version1_recur", 1)                          \
    X(ANOM_GRE_VERSION1_FLAGS, "decode", "decoder.gre.version1_flags", 1)                          \
    X(ANOM_GRE_VERSION1_NO_KEY, "decode", "decoder.gre.version1_no_key", 1)                        \
    X(ANOM_GRE_VERSION1_WRONG_PROTOCOL, "decode", "decoder.gre.version1_wrong_protocol", 1)        \
    X(ANOM_GRE_VERSION1_HDR_TOO_BIG, "decode", "decoder.gre.version1_hdr_too_big", 1)              \
    X(ANOM_VXLAN_UNKNOWN_PAYLOAD, "decode", "decoder.vxlan.unknown_payload_type", 1)               \
    X(ANOM_VXLAN_PKT_TOO_SMALL, "decode", "decoder.vxlan.pkt_too_small", 0)                      \
    /* TCP stream (names as Suricata's stream events) */                                           \
    X(ANOM_STREAM_3WHS_SYNACK_WRONG_ACK, "stream", "stream.3whs_synack_with_wrong_ack", 0)        \
    X(ANOM_STREAM_3WHS_SYNACK_RACE, "stream", "stream.3whs_synack_race", 0)                       \
    X(ANOM_STREAM_PKT_INVALID_ACK, "stream", "stream.pkt_invalid_ack", 0)                         \
    X(ANOM_STREAM_PKT_OUTSIDE_WINDOW, "stream", "stream.pkt_outside_window", 0)                   \
    X(ANOM_STREAM_DATA_AFTER_RST, "stream", "stream.pkt_data_after_rst", 0)                       \
    X(ANOM_STREAM_DATA_AFTER_FIN, "stream", "stream.pkt_data_after_fin", 0)                       \
    X(ANOM_STREAM_OVERLAP_DIFFERENT_DATA, "stream", "stream.reassembly_overlap_different_data", 0) \
    X(ANOM_STREAM_SEQ_GAP, "stream", "stream.reassembly_seq_gap", 0)                              \
    X(ANOM_STREAM_QUEUE_FULL, "stream", "stream.reassembly_segment_queue_full", 0)                \
    X(ANOM_STREAM_MEMCAP, "stream", "stream.reassembly_memcap", 0)                        \
    X(ANOM_GENEVE_UNKNOWN_PAYLOAD, "decode", "decoder.geneve.unknown_payload_type", 1)             \
    X(ANOM_GENEVE_PKT_TOO_SMALL, "decode", "decoder.geneve.pkt_too_small", 0)                      \
    X(ANOM_ERSPAN_HEADER_TOO_SMALL, "decode", "decoder.erspan.header_too_small", 1)                \
    X(ANOM_ERSPAN_UNSUPPORTED_VERSION, "decode", "decoder.erspan.unsupported_version", 1) \
    /* HTTP/1.x app layer: Suricata's http.* event names; vigil's own: */                          \
    /* transfer_encoding_with_content_length, body_size_limit */                                   \
    X(ANOM_HTTP_REQUEST_LINE_INVALID, "applayer", "http.request_line_invalid", 0)                  \
    X(ANOM_HTTP_REQUEST_LINE_MISSING_PROTOCOL, "applayer", "http.request_line_missing_protocol", 0)\
    X(ANOM_HTTP_REQUEST_LINE_LEADING_WS, "applayer", "http.request_line_leading_whitespace", 0)    \
    X(ANOM_HTTP_METHOD_DELIM_NON_COMPLIANT, "applayer", "http.method_delim_non_compliant", 0)      \
    X(ANOM_HTTP_URI_DELIM_NON_COMPLIANT, "applayer", "http.uri_delim_non_compliant", 0)            \
    X(ANOM_HTTP_RESPONSE_INVALID_PROTOCOL, "applayer", "http.response_invalid_protocol", 0)        \
    X(ANOM_HTTP_RESPONSE_INVALID_STATUS, "applayer", "http.response_invalid_status", 0)            \
    X(ANOM_HTTP_REQUEST_HEADER_INVALID, "applayer", "http.request_header_invalid", 0)              \
    X(ANOM_HTTP_RESPONSE_HEADER_INVALID, "applayer", "http.response_header_invalid", 0)            \
    X(ANOM_HTTP_REQUEST_FIELD_MISSING_COLON, "applayer", "http.request_field_missing_colon", 0)    \
    X(ANOM_HTTP_RESPONSE_FIELD_MISSING_COLON, "applayer", "http.response_field_missing_colon", 0)  \
    X(ANOM_HTTP_INVALID_REQUEST_FIELD_FOLDING, "applayer", "http.invalid_request_field_folding", 0)\
    X(ANOM_HTTP_INVALID_RESPONSE_FIELD_FOLDING, "applayer", "http.invalid_response_field_folding", 0)\
    X(ANOM_HTTP_REQUEST_FIELD_TOO_LONG, "applayer", "http.request_field_too_long", 0)              \
    X(ANOM_HTTP_RESPONSE_FIELD_TOO_LONG, "applayer", "http.response_field_too_long", 0)            \
    X(ANOM_HTTP_REQUEST_TOO_MANY_HEADERS, "applayer", "http.request_too_many_headers", 0)          \
    X(ANOM_HTTP_RESPONSE_TOO_MANY_HEADERS, "applayer", "http.response_too_many_headers", 0)        \
    X(ANOM_HTTP_MISSING_HOST_HEADER, "applayer", "http.missing_host_header", 0)                    \
    X(ANOM_HTTP_HOST_HEADER_AMBIGUOUS, "applayer", "http.host_header_ambiguous", 0)                \
    X(ANOM_HTTP_INVALID_CL_REQUEST, "applayer", "http.invalid_content_length_field_in_request", 0) \
    X(ANOM_HTTP_INVALID_CL_RESPONSE, "applayer", "http.invalid_content_length_field_in_response", 0)\
    X(ANOM_HTTP_DUPLICATE_CL_REQUEST, "applayer", "http.duplicate_content_length_field_in_request", 0)\
    X(ANOM_HTTP_DUPLICATE_CL_RESPONSE, "applayer", "http.duplicate_content_length_field_in_response", 0)\
    X(ANOM_HTTP_INVALID_TE_REQUEST, "applayer", "http.invalid_transfer_encoding_value_in_request", 0)\
    X(ANOM_HTTP_INVALID_TE_RESPONSE, "applayer", "http.invalid_transfer_encoding_value_in_response", 0)\
    X(ANOM_HTTP_TE_WITH_CL, "applayer", "http.transfer_encoding_with_content_length", 0)           \
    X(ANOM_HTTP_RESPONSE_CHUNKED_OLD_PROTO, "applayer", "http.response_chunked_old_proto", 0)      \
    X(ANOM_HTTP_INVALID_REQUEST_CHUNK_LEN, "applayer", "http.invalid_request_chunk_len", 0)        \
    X(ANOM_HTTP_INVALID_RESPONSE_CHUNK_LEN, "applayer", "http.invalid_response_chunk_len", 0)      \
    X(ANOM_HTTP_REQUEST_CHUNK_EXTENSION, "applayer", "http.request_chunk_extension", 0)            \
    X(ANOM_HTTP_RESPONSE_CHUNK_EXTENSION, "applayer", "http.response_chunk_extension", 0)          \
    X(ANOM_HTTP_100_CONTINUE_ALREADY_SEEN, "applayer", "http.100_continue_already_seen", 0)        \
    X(ANOM_HTTP_UNMATCHED_RESPONSE, "applayer", "http.unable_to_match_response_to_request", 0)     \
    X(ANOM_HTTP_GZIP_DECOMPRESSION_FAILED, "applayer", "http.gzip_decompression_failed", 0)        \
    X(ANOM_HTTP_COMPRESSION_BOMB, "applayer", "http.compression_bomb", 0)                          \
    X(ANOM_HTTP_BODY_SIZE_LIMIT, "applayer", "http.body_size_limit", 0)                            \
    /* DNS (src/app/dns; names as Suricata's DNS app-layer events where it has them) */            \
    X(ANOM_DNS_MALFORMED_DATA, "applayer", "dns.malformed_data", 0)                                \
    X(ANOM_DNS_NOT_A_REQUEST, "applayer", "dns.not_a_request", 0)                                  \
    X(ANOM_DNS_NOT_A_RESPONSE, "applayer", "dns.not_a_response", 0)                                \
    X(ANOM_DNS_Z_FLAG_SET, "applayer", "dns.z_flag_set", 0)                                        \
    X(ANOM_DNS_INVALID_OPCODE, "applayer", "dns.invalid_opcode", 0)                                \
    X(ANOM_DNS_NAME_TOO_LONG, "applayer", "dns.name_too_long", 0)                                  \
    X(ANOM_DNS_INFINITE_LOOP, "applayer", "dns.infinite_loop", 0)                                  \
    X(ANOM_DNS_INVALID_ADDITIONALS, "applayer", "dns.invalid_additionals", 0)                      \
    X(ANOM_DNS_INVALID_AUTHORITIES, "applayer", "dns.invalid_authorities", 0)                      \
    X(ANOM_DNS_UNSOLICITED_RESPONSE, "applayer", "dns.unsolicited_response", 0)                    \
    X(ANOM_DNS_FLOODED, "applayer", "dns.flooded", 0)                                              \
    X(ANOM_DNS_TOO_MANY_RECORDS, "applayer", "dns.too_many_records", 0)                            \
    X(ANOM_DNS_ARENA_FULL, "applayer", "dns.arena_full", 0)                                        \
    /* TLS (src/app/tls; names as Suricata's tls.* app-layer events where it has them) */          \
    X(ANOM_TLS_INVALID_SSLV2_HEADER, "applayer", "tls.invalid_sslv2_header", 0)                    \
    X(ANOM_TLS_INVALID_RECORD_VERSION, "applayer", "tls.invalid_record_version", 0)                \
    X(ANOM_TLS_INVALID_RECORD_TYPE, "applayer", "tls.invalid_record_type", 0)                      \
    X(ANOM_TLS_INVALID_RECORD_LENGTH, "applayer", "tls.invalid_record_length", 0)                  \
    X(ANOM_TLS_INVALID_SSL_RECORD, "applayer", "tls.invalid_ssl_record", 0)                        \
    X(ANOM_TLS_INVALID_HANDSHAKE_MESSAGE, "applayer", "tls.invalid_handshake_message", 0)          \
    X(ANOM_TLS_HANDSHAKE_INVALID_LENGTH, "applayer", "tls.handshake_invalid_length", 0)            \
    X(ANOM_TLS_HANDSHAKE_MESSAGE_TOO_LONG, "applayer", "tls.handshake_message_too_long", 0)        \
    X(ANOM_TLS_INVALID_CERTIFICATE, "applayer", "tls.invalid_certificate", 0)                      \
    X(ANOM_TLS_CERTIFICATE_INVALID_LENGTH, "applayer", "tls.certificate_invalid_length", 0)        \
    X(ANOM_TLS_CERTIFICATE_INVALID_DER, "applayer", "tls.certificate_invalid_der", 0)              \
    X(ANOM_TLS_MULTIPLE_SNI_EXTENSIONS, "applayer", "tls.multiple_sni_extensions", 0)              \
    X(ANOM_TLS_INVALID_SNI_TYPE, "applayer", "tls.invalid_sni_type", 0)                            \
    X(ANOM_TLS_INVALID_SNI_LENGTH, "applayer", "tls.invalid_sni_length", 0)                        \
    X(ANOM_TLS_INVALID_ALERT_MESSAGE, "applayer", "tls.invalid_alert_message", 0)                  \
    X(ANOM_TLS_HEARTBEAT_MESSAGE, "applayer", "tls.heartbeat_message", 0)                          \
    X(ANOM_TLS_OVERFLOW_HEARTBEAT_MESSAGE, "applayer", "tls.overflow_heartbeat_message", 0)        \
    /* SSH (src/app/ssh; names as Suricata's ssh.* app-layer events) */                            \
    X(ANOM_SSH_INVALID_BANNER, "applayer", "ssh.invalid_banner", 0)                                \
    X(ANOM_SSH_LONG_BANNER, "applayer", "ssh.long_banner", 0)                                      \
    X(ANOM_SSH_INVALID_RECORD, "applayer", "ssh.invalid_record", 0)                                \
    X(ANOM_SSH_LONG_KEX_RECORD, "applayer", "ssh.long_kex_record", 0)

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
