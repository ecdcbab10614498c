/* eve_tls.c - the EVE `tls` event. Field names, types and order follow Suricata's
 * output-json-tls.c (extended format) and etc/schema.json (properties.tls); vigil's own facts go
 * under `vigil`. */
#include "output/eve_tls.h"

#include <string.h>

#include "core/vg_addr.h"
#include "core/vg_time.h"

_Static_assert((int)TLS_DIR_TOSERVER == (int)FLOW_TOSERVER &&
                   (int)TLS_DIR_TOCLIENT == (int)FLOW_TOCLIENT,
               "tls and flow direction values must agree");

static void put_nonempty(struct jw *w, const char *key, const char *s, size_t n)
{
    if (s && n) jw_strn(w, key, s, n);
}

static void put_alpns(struct jw *w, const char *key, const struct tls_alpn *a)
{
    if (!a->n) return;
    jw_arr_open(w, key);
    for (unsigned i = 0; i < a->n; i++)
        jw_strn(w, NULL, a->buf + a->off[i], a->len[i]);
    jw_arr_close(w);
}

static void put_san(struct jw *w, const struct tls_cert *c)
{
    if (!c->n_san) return;
    jw_arr_open(w, "subjectaltname");
    for (unsigned i = 0; i < c->n_san; i++)
        jw_strn(w, NULL, c->san + c->san_off[i], c->san_len[i]);
    jw_arr_close(w);
}

/* The certificate members shared by the top level (server) and "client". */
static void put_cert_head(struct jw *w, const struct tls_cert *c)
{
    put_nonempty(w, "subject", c->subject, c->subject_len);
    put_nonempty(w, "issuerdn", c->issuer, c->issuer_len);
    put_san(w, c);
}

static void put_cert_tail(struct jw *w, const struct tls_cert *c)
{
    put_nonempty(w, "serial", c->serial, c->serial_len);
    put_nonempty(w, "fingerprint", c->fingerprint, strlen(c->fingerprint));
}

static void put_dates(struct jw *w, const struct tls_cert *c)
{
    put_nonempty(w, "notbefore", c->not_before, strlen(c->not_before));
    put_nonempty(w, "notafter", c->not_after, strlen(c->not_after));
}

static void put_hash(struct jw *w, const char *key, const char *hash, const char *str)
{
    if (!hash[0]) return;
    jw_obj_open(w, key);
    jw_str(w, "hash", hash);
    jw_str(w, "string", str);
    jw_obj_close(w);
}

static void tls_object(struct jw *w, const struct tls_session *s)
{
    char vb[TLS_VERSION_STR_MAX];
    const struct tls_cert *sc = s->server_cert;
    bool ch = (s->flags & TLS_SF_CLIENT_HELLO) != 0;
    bool ch_v2 = ch && (s->ch.flags & TLS_CHF_SSLV2);
    bool sh = (s->flags & (TLS_SF_SERVER_HELLO | TLS_SF_HRR)) != 0;
    bool sh_v2 = sh && (s->sh.flags & TLS_SHF_SSLV2);

    jw_obj_open(w, "tls");
    if (sc) put_cert_head(w, sc);
    if (s->flags & TLS_SF_RESUMED) jw_bool(w, "session_resumed", true);
    if (sc) put_cert_tail(w, sc);
    if (ch) put_nonempty(w, "sni", s->ch.sni, s->ch.sni_len);
    jw_str(w, "version", tls_version_str(s->version, vb));
    if (sc) put_dates(w, sc);
    if (ch && !ch_v2) put_hash(w, "ja3", s->ch.ja3_hash, s->ch.ja3_str);
    if (sh && !sh_v2) put_hash(w, "ja3s", s->sh.ja3s_hash, s->sh.ja3s_str);
    if (ch && !ch_v2 && s->ch.ja4[0]) jw_str(w, "ja4", s->ch.ja4);
    if (ch) put_alpns(w, "client_alpns", &s->ch.alpn);
    if (sh) put_alpns(w, "server_alpns", &s->sh.alpn);
    if (s->client_cert) {
        jw_obj_open(w, "client");
        put_cert_head(w, s->client_cert);
        put_cert_tail(w, s->client_cert);
        put_dates(w, s->client_cert);
        jw_obj_close(w);
    }
    jw_obj_close(w);
}

void eve_tls_fields(struct jw *w, const struct tls_session *s)
{
    tls_object(w, s);
}

static const struct {
    uint32_t bit;
    const char *name;
} g_flags[] = {
    {TLS_SF_CLIENT_HELLO, "client_hello"},
    {TLS_SF_SERVER_HELLO, "server_hello"},
    {TLS_SF_HRR, "hello_retry_request"},
    {TLS_SF_TLS13, "tls13"},
    {TLS_SF_SSLV2, "sslv2"},
    {TLS_SF_ENCRYPTED_TS, "encrypted_toserver"},
    {TLS_SF_ENCRYPTED_TC, "encrypted_toclient"},
    {TLS_SF_HANDSHAKE_DONE, "handshake_done"},
    {TLS_SF_GAVE_UP, "gave_up"},
};

static void vigil_object(struct jw *w, const struct tls_session *s)
{
    jw_obj_open(w, "vigil");
    jw_obj_open(w, "tls");
    jw_arr_open(w, "flags");
    for (size_t i = 0; i < sizeof g_flags / sizeof g_flags[0]; i++)
        if (s->flags & g_flags[i].bit) jw_str(w, NULL, g_flags[i].name);
    jw_arr_close(w);
    jw_uint(w, "client_hellos", s->n_client_hellos);
    jw_uint(w, "server_hellos", s->n_server_hellos);
    jw_uint(w, "server_chain_len", s->server_chain_len);
    if (s->client_chain_len) jw_uint(w, "client_chain_len", s->client_chain_len);
    if (s->flags & TLS_SF_CLIENT_HELLO) {
        char vb[TLS_VERSION_STR_MAX];
        jw_str(w, "client_version", tls_version_str(s->ch.ja4_version, vb));
    }
    if (s->flags & TLS_SF_ALERT_TS) {
        jw_obj_open(w, "client_alert");
        jw_uint(w, "level", s->alert_level[TLS_DIR_TOSERVER]);
        jw_uint(w, "description", s->alert_desc[TLS_DIR_TOSERVER]);
        jw_obj_close(w);
    }
    if (s->flags & TLS_SF_ALERT_TC) {
        jw_obj_open(w, "server_alert");
        jw_uint(w, "level", s->alert_level[TLS_DIR_TOCLIENT]);
        jw_uint(w, "description", s->alert_desc[TLS_DIR_TOCLIENT]);
        jw_obj_close(w);
    }
    jw_obj_close(w);
    jw_obj_close(w);
}

static void put_ts(struct jw *w, const char *key, struct vg_ts ts)
{
    char b[VG_TS_BUFLEN];
    size_t n = vg_ts_format(ts, b);
    jw_strn(w, key, b, n);
}

void eve_tls_ex(struct jw *w, const struct flow *f, const struct tls_session *s, unsigned opts)
{
    char a[VG_ADDR_STRLEN];
    jw_obj_open(w, NULL);
    put_ts(w, "timestamp", (s->ts_last.sec || s->ts_last.nsec) ? s->ts_last : f->last);
    jw_uint(w, "flow_id", f->flow_id);
    jw_str(w, "event_type", "tls");
    if (f->vlan_cnt) {
        jw_arr_open(w, "vlan");
        for (unsigned i = 0; i < f->vlan_cnt && i < 2; i++)
            jw_uint(w, NULL, f->vlan[i]);
        jw_arr_close(w);
    }
    jw_str(w, "src_ip", vg_addr_str(&f->src, a));
    jw_uint(w, "src_port", f->sport);
    jw_str(w, "dest_ip", vg_addr_str(&f->dst, a));
    jw_uint(w, "dest_port", f->dport);
    jw_str(w, "proto", "TCP");
    tls_object(w, s);
    if (opts & EVE_TLS_VIGIL) vigil_object(w, s);
    jw_obj_close(w);
}

void eve_tls(struct jw *w, const struct flow *f, const struct tls_session *s)
{
    eve_tls_ex(w, f, s, EVE_TLS_VIGIL);
}
