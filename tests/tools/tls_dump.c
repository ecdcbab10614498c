/* tls_dump.c - runs a capture through vigil's capture, decode, flow and stream modules and the
 * TLS and SSH parsers (src/app/tls, src/app/ssh), and prints what they found, for
 * tests/tools/ja3_vs_tshark.py to compare with tshark and suricata-verify.
 *
 *   usage: tls_dump [-e] FILE
 *   build: gcc -std=gnu11 -O2 -D_GNU_SOURCE -Isrc src/core/\*.c src/capture/\*.c src/decode/\*.c \
 *              src/flow/\*.c src/stream/\*.c src/app/tls/\*.c src/app/ssh/\*.c \
 *              src/output/json_writer.c src/output/eve_tls.c src/output/eve_ssh.c \
 *              tests/tools/tls_dump.c -lcrypto -lxxhash -o /tmp/tls_dump
 *          (CMake builds it as build/tls_dump.)
 *
 * Without -e, one tab-separated line per finding (the key is "client_ip:port>server_ip:port" of
 * the flow, as the ClientHello travelled; frame = pcap_cnt of the packet that completed it):
 *   CH   frame key ja3_string ja3_hash ja4 sni flags ja4_r
 *   SH   frame key ja3s_string ja3s_hash version
 *   CERT frame key dir chain_len subject | issuer | serial | fingerprint | notbefore | notafter
 *   SSH  frame key dir hassh hassh_string proto_version software_version
 *   ANOM frame key name
 * With -e, the EVE `tls` and `ssh` events (one JSON line each, written at TLS_EV_LOG /
 * SSH_EV_LOG) instead.
 *
 * Protocol detection is by content: a direction's TLS parsing starts with the first in-order chunk
 * that tls_probe accepts (so STARTTLS flows are picked up after their plaintext part), SSH with
 * the first chunk that ssh_probe accepts.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/ssh/ssh.h"
#include "app/tls/tls.h"
#include "capture/capture.h"
#include "core/vg_addr.h"
#include "core/vg_anomaly.h"
#include "core/vg_status.h"
#include "decode/decode.h"
#include "flow/flow.h"
#include "output/eve_ssh.h"
#include "output/eve_tls.h"
#include "output/json_writer.h"
#include "stream/stream.h"

struct app {
    uint64_t flow_id;
    struct app *next;
    struct tls_state *tls;
    struct ssh_state *ssh;
    bool tls_on[2], ssh_on[2];
};

#define NBUCKET 4096
static struct app *g_apps[NBUCKET];
static int g_eve;
static uint64_t g_frame;
static struct jw g_jw;
static const struct flow *g_flow; /* the flow being worked on, for keys and EVE */

static struct app **slot(uint64_t id)
{
    struct app **pp = &g_apps[(id * 0x9e3779b97f4a7c15ull) >> 52];
    while (*pp && (*pp)->flow_id != id)
        pp = &(*pp)->next;
    return pp;
}

static void key(const struct flow *f, char *out, size_t cap)
{
    char a[VG_ADDR_STRLEN], b[VG_ADDR_STRLEN];
    snprintf(out, cap, "%s:%u>%s:%u", vg_addr_str(&f->src, a), f->sport, vg_addr_str(&f->dst, b),
             f->dport);
}

/* Prints a field with tabs and newlines replaced, non-printable bytes as \xNN. */
static void field(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '\t' || c == '\n' || c == '\r' || c < 0x20 || c >= 0x7f)
            printf("\\x%02x", c);
        else
            putchar(c);
    }
}

static void on_tls(void *ud, const struct tls_session *s, const struct tls_event *ev)
{
    char k[2 * VG_ADDR_STRLEN + 16], vb[TLS_VERSION_STR_MAX];
    key(g_flow, k, sizeof k);
    if (g_eve) {
        if (ev->kind == TLS_EV_LOG) {
            jw_reset(&g_jw);
            eve_tls(&g_jw, g_flow, s);
            fwrite(g_jw.buf, 1, g_jw.len, stdout);
            putchar('\n');
        }
        return;
    }
    switch (ev->kind) {
    case TLS_EV_CLIENT_HELLO:
        printf("CH\t%llu\t%s\t", (unsigned long long)g_frame, k);
        field(ev->ch->ja3_str, strlen(ev->ch->ja3_str));
        printf("\t%s\t%s\t", ev->ch->ja3_hash, ev->ch->ja4);
        field(ev->ch->sni, ev->ch->sni_len);
        printf("\t0x%x\t", ev->ch->flags);
        if (!(ev->ch->flags & TLS_CHF_SSLV2)) {
            char raw[4096], j4[TLS_JA4_LEN + 1];
            struct tls_ja4_input in;
            tls_ja4_input_from_hello(ev->ch, &in);
            tls_ja4(&in, j4, raw, sizeof raw);
            printf("%s", raw);
        }
        putchar('\n');
        break;
    case TLS_EV_SERVER_HELLO:
        printf("SH\t%llu\t%s\t%s\t%s\t%s\n", (unsigned long long)g_frame, k, ev->sh->ja3s_str,
               ev->sh->ja3s_hash, tls_version_str(s->version, vb));
        break;
    case TLS_EV_CERTIFICATE:
        printf("CERT\t%llu\t%s\t%d\t%u\t", (unsigned long long)g_frame, k, ev->dir, ev->chain_len);
        if (ev->cert) {
            const struct tls_cert *c = ev->cert;
            field(c->subject, c->subject_len);
            printf(" | ");
            field(c->issuer, c->issuer_len);
            printf(" | %s | %s | %s | %s", c->serial, c->fingerprint, c->not_before, c->not_after);
            for (unsigned i = 0; i < c->n_san; i++) {
                printf(i ? "," : " | ");
                field(c->san + c->san_off[i], c->san_len[i]);
            }
        }
        putchar('\n');
        break;
    default:
        break;
    }
}

static void on_ssh(void *ud, const struct ssh_session *s, const struct ssh_event *ev)
{
    char k[2 * VG_ADDR_STRLEN + 16];
    key(g_flow, k, sizeof k);
    if (g_eve) {
        if (ev->kind == SSH_EV_LOG) {
            jw_reset(&g_jw);
            eve_ssh(&g_jw, g_flow, s);
            fwrite(g_jw.buf, 1, g_jw.len, stdout);
            putchar('\n');
        }
        return;
    }
    if (ev->kind != SSH_EV_KEXINIT) return;
    const struct ssh_side *sd = ev->dir == SSH_DIR_TOSERVER ? &s->client : &s->server;
    printf("SSH\t%llu\t%s\t%d\t%s\t", (unsigned long long)g_frame, k, ev->dir, sd->hassh);
    field(sd->hassh_str, strlen(sd->hassh_str));
    printf("\t%s\t", sd->proto_version);
    field(sd->software_version, strlen(sd->software_version));
    putchar('\n');
}

static void drain(struct app *a)
{
    if (g_eve) return;
    char k[2 * VG_ADDR_STRLEN + 16];
    uint16_t ids[16];
    unsigned n;
    while (a->tls && (n = tls_take_anomalies(a->tls, ids, 16)) > 0)
        for (unsigned i = 0; i < n; i++) {
            key(g_flow, k, sizeof k);
            printf("ANOM\t%llu\t%s\t%s\n", (unsigned long long)g_frame, k, vg_anomaly_name(ids[i]));
        }
    while (a->ssh && (n = ssh_take_anomalies(a->ssh, ids, 16)) > 0)
        for (unsigned i = 0; i < n; i++) {
            key(g_flow, k, sizeof k);
            printf("ANOM\t%llu\t%s\t%s\n", (unsigned long long)g_frame, k, vg_anomaly_name(ids[i]));
        }
}

static bool record_start(const uint8_t *p, size_t n)
{
    return n >= 3 && p[0] >= 20 && p[0] <= 24 && p[1] == 3 && p[2] <= 4;
}

static void feed(struct flow *f, int dir, const uint8_t *data, uint32_t len, uint32_t gap,
                 struct vg_ts ts)
{
    struct app **pp = slot(f->flow_id);
    struct app *a = *pp;
    if (!a) {
        if (!len) return;
        a = calloc(1, sizeof *a);
        if (!a) return;
        a->flow_id = f->flow_id;
        *pp = a;
    }
    g_flow = f;
    if (a->tls) {
        if (a->tls_on[dir] && gap) tls_gap(a->tls, dir, gap);
        if (!a->tls_on[dir] && len &&
            (tls_probe(data, len, dir) == VG_OK ||
             (dir == TLS_DIR_TOCLIENT && record_start(data, len))))
            a->tls_on[dir] = true;
        if (a->tls_on[dir] && len) tls_parse(a->tls, dir, data, len, ts, on_tls, NULL);
    } else if (a->ssh) {
        if (a->ssh_on[dir] && gap) ssh_gap(a->ssh, dir, gap);
        if (!a->ssh_on[dir] && len && ssh_probe(data, len, dir) == VG_OK) a->ssh_on[dir] = true;
        if (a->ssh_on[dir] && len) ssh_parse(a->ssh, dir, data, len, ts, on_ssh, NULL);
    } else if (len) {
        if (tls_probe(data, len, dir) == VG_OK) {
            a->tls = tls_state_new(NULL);
            a->tls_on[dir] = a->tls != NULL;
            if (a->tls) tls_parse(a->tls, dir, data, len, ts, on_tls, NULL);
        } else if (ssh_probe(data, len, dir) == VG_OK) {
            a->ssh = ssh_state_new(NULL);
            a->ssh_on[dir] = a->ssh != NULL;
            if (a->ssh) ssh_parse(a->ssh, dir, data, len, ts, on_ssh, NULL);
        }
    }
    drain(a);
}

static struct stream_ctx *g_stream;

static void on_flow_end(struct flow *f, void *ud)
{
    struct app **pp = slot(f->flow_id);
    struct app *a = *pp;
    if (a) {
        g_flow = f;
        if (a->tls) tls_flush(a->tls, on_tls, NULL);
        if (a->ssh) ssh_flush(a->ssh, on_ssh, NULL);
        drain(a);
        tls_state_free(a->tls);
        ssh_state_free(a->ssh);
        *pp = a->next;
        free(a);
    }
    stream_flow_free(g_stream, f);
}

int main(int argc, char **argv)
{
    int ai = 1;
    if (argc > 1 && strcmp(argv[1], "-e") == 0) {
        g_eve = 1;
        ai++;
    }
    if (ai + 1 != argc) {
        fprintf(stderr, "usage: %s [-e] FILE\n", argv[0]);
        return 2;
    }
    char err[512];
    struct capture *c;
    if (capture_open_file(argv[ai], &c, err, sizeof(err)) != VG_OK) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    jw_init(&g_jw);
    struct decode_ctx *dctx = decode_ctx_new(NULL);
    struct flow_table *ft = flow_table_new(NULL, on_flow_end, NULL);
    g_stream = stream_ctx_new(NULL);
    if (!dctx || !ft || !g_stream) return 1;
    struct capture_frame fr;
    int st;
    while ((st = capture_next(c, &fr)) != VG_EOF) {
        if (st != VG_OK) continue;
        struct packet p;
        memset(&p, 0, sizeof(p));
        p.data = fr.data;
        p.caplen = fr.caplen;
        p.wirelen = fr.wirelen;
        p.ts = fr.ts;
        p.linktype = fr.linktype;
        p.iface = fr.iface;
        p.pcap_cnt = ++g_frame;
        (void)decode_packet(dctx, &p);
        int dir = 0;
        struct flow *f = flow_table_get(ft, &p, &dir);
        if (!f || p.proto != 6 || !p.l4_off || (p.flags & VG_PKT_FRAGMENT)) continue;
        struct stream_result res;
        memset(&res, 0, sizeof res);
        stream_packet(g_stream, f, &p, dir, &res);
        if (res.data_len || res.gap_len)
            feed(f, res.dir, res.data, res.data_len, res.gap_len, p.ts);
    }
    flow_table_flush(ft, FLOW_END_SHUTDOWN);
    flow_table_free(ft);
    stream_ctx_free(g_stream);
    decode_ctx_free(dctx);
    capture_close(c);
    jw_fini(&g_jw);
    return 0;
}
