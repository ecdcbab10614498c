/* test_ssh.c - unit tests of src/app/ssh (banners, binary packets, KEXINIT, HASSH) and of the
 * EVE `ssh` event (src/output/eve_ssh.c), validated against Suricata's schema with
 * /usr/bin/python3 + jsonschema when they are there.
 *
 * Expected HASSH values were computed with python3 hashlib.md5 over the strings shown:
 *   client "curve25519-sha256,curve25519-sha256@libssh.org,ecdh-sha2-nistp256,
 *           diffie-hellman-group14-sha256,ext-info-c;chacha20-poly1305@openssh.com,aes128-ctr,
 *           aes256-gcm@openssh.com;umac-64-etm@openssh.com,hmac-sha2-256;none,zlib@openssh.com"
 *          (one line, no spaces) -> 124c1dbbae734639b8d74a56fcc97f2a
 *   server "curve25519-sha256,diffie-hellman-group16-sha512;chacha20-poly1305@openssh.com,
 *           aes128-ctr;hmac-sha2-512;none" -> 57592c01c74624296c4ae1a430b41625
 * Each stream is fed whole, byte by byte and split at every point; results must agree.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "app/ssh/ssh.h"
#include "core/vg_anomaly.h"
#include "core/vg_status.h"
#include "output/eve_ssh.h"
#include "output/json_writer.h"
#include "vg_test.h"

#define KEX_C                                                                                      \
    "curve25519-sha256,curve25519-sha256@libssh.org,ecdh-sha2-nistp256,"                           \
    "diffie-hellman-group14-sha256,ext-info-c"
#define KEX_S "curve25519-sha256,diffie-hellman-group16-sha512"
#define HOSTKEY "ssh-ed25519,rsa-sha2-512"
#define ENC_C2S "chacha20-poly1305@openssh.com,aes128-ctr,aes256-gcm@openssh.com"
#define ENC_S2C "chacha20-poly1305@openssh.com,aes128-ctr"
#define MAC_C2S "umac-64-etm@openssh.com,hmac-sha2-256"
#define MAC_S2C "hmac-sha2-512"
#define COMP_C2S "none,zlib@openssh.com"
#define COMP_S2C "none"
#define HASSH_C_STR KEX_C ";" ENC_C2S ";" MAC_C2S ";" COMP_C2S
#define HASSH_C "124c1dbbae734639b8d74a56fcc97f2a"
#define HASSH_S_STR KEX_S ";" ENC_S2C ";" MAC_S2C ";" COMP_S2C
#define HASSH_S "57592c01c74624296c4ae1a430b41625"

struct bb {
    uint8_t b[8192];
    size_t n;
};

static void b_u8(struct bb *b, unsigned v)
{
    b->b[b->n++] = (uint8_t)v;
}
static void b_u32(struct bb *b, uint32_t v)
{
    b_u8(b, v >> 24);
    b_u8(b, v >> 16);
    b_u8(b, v >> 8);
    b_u8(b, v);
}
static void b_str(struct bb *b, const char *s)
{
    memcpy(b->b + b->n, s, strlen(s));
    b->n += strlen(s);
}
static void b_namelist(struct bb *b, const char *s)
{
    b_u32(b, (uint32_t)strlen(s));
    b_str(b, s);
}

/* One binary packet (RFC 4253 §6): payload padded to a multiple of 8 with at least 4 bytes. */
static void packet(struct bb *out, const struct bb *payload)
{
    size_t pad = 8 - (5 + payload->n) % 8;
    if (pad < 4) pad += 8;
    b_u32(out, (uint32_t)(1 + payload->n + pad));
    b_u8(out, (unsigned)pad);
    memcpy(out->b + out->n, payload->b, payload->n);
    out->n += payload->n;
    for (size_t i = 0; i < pad; i++)
        b_u8(out, 0);
}

static void kexinit(struct bb *out, const char *kex, int lists)
{
    struct bb p;
    p.n = 0;
    b_u8(&p, 20);
    for (int i = 0; i < 16; i++)
        b_u8(&p, (unsigned)i);
    const char *l[10] = {kex,     HOSTKEY,  ENC_C2S,  ENC_S2C, MAC_C2S,
                         MAC_S2C, COMP_C2S, COMP_S2C, "",      ""};
    for (int i = 0; i < lists; i++)
        b_namelist(&p, l[i]);
    if (lists == 10) {
        b_u8(&p, 0);
        b_u32(&p, 0);
    }
    packet(out, &p);
}

static void client_stream(struct bb *c)
{
    c->n = 0;
    b_str(c, "SSH-2.0-OpenSSH_8.9p1 Ubuntu-3\r\n");
    kexinit(c, KEX_C, 10);
    /* what follows KEXINIT is not parsed */
    struct bb p;
    p.n = 0;
    b_u8(&p, 30);
    for (int i = 0; i < 36; i++)
        b_u8(&p, 7);
    packet(c, &p);
}

static void server_stream(struct bb *s)
{
    s->n = 0;
    b_str(s, "Welcome to the test server\r\n");
    b_str(s, "SSH-2.0-OpenSSH_7.4\r\n");
    struct bb p; /* an SSH_MSG_IGNORE before KEXINIT */
    p.n = 0;
    b_u8(&p, 2);
    b_u32(&p, 3);
    b_str(&p, "abc");
    packet(s, &p);
    kexinit(s, KEX_S, 10);
}

struct result {
    char text[8192];
    size_t len;
    int kinds[16];
    int dirs[16];
    int n;
    uint16_t anoms[8];
    unsigned n_anoms;
};

static void r_put(struct result *r, const char *a, const char *b)
{
    int k = snprintf(r->text + r->len, sizeof r->text - r->len, "%s%s;", a, b);
    if (k > 0 && (size_t)k < sizeof r->text - r->len) r->len += (size_t)k;
}

static void on_ev(void *ud, const struct ssh_session *s, const struct ssh_event *ev)
{
    struct result *r = ud;
    if (r->n < 16) {
        r->kinds[r->n] = ev->kind;
        r->dirs[r->n++] = ev->dir;
    }
    char t[32];
    snprintf(t, sizeof t, "%d/%d", ev->kind, ev->dir);
    r_put(r, "ev=", t);
}

struct seg {
    int dir;
    const uint8_t *p;
    size_t n;
};

static struct ssh_state *run(const struct seg *segs, int n, int mode, size_t at,
                             const struct ssh_config *cfg, struct result *r)
{
    memset(r, 0, sizeof *r);
    struct ssh_state *st = ssh_state_new(cfg);
    struct vg_ts ts = {1700000000, 0};
    for (int i = 0; i < n; i++) {
        const struct seg *g = &segs[i];
        if (mode == 1) {
            for (size_t k = 0; k < g->n; k++)
                ssh_parse(st, g->dir, g->p + k, 1, ts, on_ev, r);
        } else if (mode == 2 && at < g->n) {
            ssh_parse(st, g->dir, g->p, at, ts, on_ev, r);
            ssh_parse(st, g->dir, g->p + at, g->n - at, ts, on_ev, r);
        } else {
            ssh_parse(st, g->dir, g->p, g->n, ts, on_ev, r);
        }
        r->n_anoms += ssh_take_anomalies(st, r->anoms + r->n_anoms, 8 - r->n_anoms);
    }
    ssh_flush(st, on_ev, r);
    r->n_anoms += ssh_take_anomalies(st, r->anoms + r->n_anoms, 8 - r->n_anoms);
    const struct ssh_session *s = ssh_session(st);
    const struct ssh_side *sides[2] = {&s->client, &s->server};
    for (int i = 0; i < 2; i++) {
        r_put(r, "banner=", sides[i]->banner);
        r_put(r, "proto=", sides[i]->proto_version);
        r_put(r, "sw=", sides[i]->software_version);
        r_put(r, "cm=", sides[i]->comments);
        r_put(r, "hassh=", sides[i]->hassh);
        r_put(r, "hs=", sides[i]->hassh_str);
        char t[64];
        snprintf(t, sizeof t, "%x/%u/%u", sides[i]->flags, sides[i]->packets,
                 sides[i]->pre_banner_lines);
        r_put(r, "f=", t);
    }
    return st;
}

static bool has_anom(const struct result *r, int id)
{
    for (unsigned i = 0; i < r->n_anoms; i++)
        if (r->anoms[i] == id) return true;
    return false;
}

static void test_handshake(void)
{
    static struct bb c, s;
    client_stream(&c);
    server_stream(&s);
    struct seg segs[2] = {{SSH_DIR_TOSERVER, c.b, c.n}, {SSH_DIR_TOCLIENT, s.b, s.n}};
    static struct result r, r2;
    struct ssh_state *st = run(segs, 2, 0, 0, NULL, &r);
    const struct ssh_session *ss = ssh_session(st);
    CHECK(ss->client.flags & SSH_SIDE_BANNER);
    CHECK(ss->client.flags & SSH_SIDE_KEXINIT);
    CHECK_STR(ss->client.banner, "SSH-2.0-OpenSSH_8.9p1 Ubuntu-3");
    CHECK_STR(ss->client.proto_version, "2.0");
    CHECK_STR(ss->client.software_version, "OpenSSH_8.9p1");
    CHECK_STR(ss->client.comments, "Ubuntu-3");
    CHECK_STR(ss->client.hassh, HASSH_C);
    CHECK_STR(ss->client.hassh_str, HASSH_C_STR);
    CHECK_EQ_U(ss->client.hassh_len, strlen(HASSH_C_STR));
    CHECK_EQ_U(ss->client.packets, 1);
    CHECK_EQ_U(ss->client.kex_cookie[15], 15);
    CHECK_STR(ss->server.software_version, "OpenSSH_7.4");
    CHECK_STR(ss->server.comments, "");
    CHECK_EQ_U(ss->server.pre_banner_lines, 1);
    CHECK_STR(ss->server.hassh, HASSH_S);
    CHECK_STR(ss->server.hassh_str, HASSH_S_STR);
    CHECK_EQ_U(ss->server.packets, 2);
    CHECK_EQ_U(r.n_anoms, 0);
    /* events: client banner + kexinit, server banner + kexinit, log once */
    CHECK_EQ_U(r.n, 5);
    CHECK(r.kinds[0] == SSH_EV_BANNER && r.dirs[0] == 0 && r.kinds[1] == SSH_EV_KEXINIT);
    CHECK(r.kinds[2] == SSH_EV_BANNER && r.dirs[2] == 1 && r.kinds[3] == SSH_EV_KEXINIT);
    CHECK(r.kinds[4] == SSH_EV_LOG);
    /* after KEXINIT the direction only counts */
    CHECK(ssh_parse(st, 0, c.b, 4, (struct vg_ts){0, 0}, NULL, NULL) == VG_DECLINED);
    ssh_state_free(st);

    st = run(segs, 2, 1, 0, NULL, &r2);
    CHECK(r2.len == r.len && memcmp(r2.text, r.text, r.len) == 0);
    ssh_state_free(st);
    int bad = 0;
    size_t maxn = c.n > s.n ? c.n : s.n;
    for (size_t at = 1; at < maxn; at++) {
        st = run(segs, 2, 2, at, NULL, &r2);
        if (r2.len != r.len || memcmp(r2.text, r.text, r.len) != 0) bad++;
        ssh_state_free(st);
    }
    CHECK_EQ_U(bad, 0);
    /* interleaved the other way: server first */
    struct seg rev[2] = {segs[1], segs[0]};
    st = run(rev, 2, 0, 0, NULL, &r2);
    CHECK_STR(ssh_session(st)->client.hassh, HASSH_C);
    CHECK_STR(ssh_session(st)->server.hassh, HASSH_S);
    CHECK_EQ_U(r2.n, 5);
    ssh_state_free(st);
}

static void test_banners(void)
{
    static struct result r;
    /* SSH-1.99 (both) is parsed; SSH-1.5 is SSH-1: no packets */
    const char *b199 = "SSH-1.99-Cisco-1.25\r\n";
    struct seg s1[1] = {{1, (const uint8_t *)b199, strlen(b199)}};
    struct ssh_state *st = run(s1, 1, 0, 0, NULL, &r);
    CHECK_STR(ssh_session(st)->server.proto_version, "1.99");
    CHECK_STR(ssh_session(st)->server.software_version, "Cisco-1.25");
    CHECK(!(ssh_session(st)->server.flags & SSH_SIDE_SSH1));
    CHECK_EQ_U(r.n, 2); /* banner, then the log at flush */
    ssh_state_free(st);
    const char *b15 = "SSH-1.5-OpenSSH_3.1\n\x00\x00\x01\x2c\x00";
    struct seg s2[1] = {{0, (const uint8_t *)b15, 25}};
    st = run(s2, 1, 0, 0, NULL, &r);
    CHECK(ssh_session(st)->client.flags & SSH_SIDE_SSH1);
    CHECK_STR(ssh_session(st)->client.software_version, "OpenSSH_3.1");
    CHECK_EQ_U(r.n_anoms, 0);
    ssh_state_free(st);
    /* no software version: invalid banner, kept */
    const char *nosw = "SSH-2.0\r\n";
    struct seg s3[1] = {{0, (const uint8_t *)nosw, strlen(nosw)}};
    st = run(s3, 1, 0, 0, NULL, &r);
    CHECK(has_anom(&r, ANOM_SSH_INVALID_BANNER));
    CHECK_STR(ssh_session(st)->client.proto_version, "2.0");
    ssh_state_free(st);
    /* a client that does not start with SSH- */
    const char *junk = "HELLO\r\nSSH-2.0-x\r\n";
    struct seg s4[1] = {{0, (const uint8_t *)junk, strlen(junk)}};
    st = run(s4, 1, 0, 0, NULL, &r);
    CHECK(has_anom(&r, ANOM_SSH_INVALID_BANNER));
    CHECK(ssh_session(st)->client.flags & SSH_SIDE_GAVE_UP);
    CHECK_EQ_U(r.n, 0);
    ssh_state_free(st);
    /* a long banner: anomaly, kept cut to 255 */
    static char longb[600];
    strcpy(longb, "SSH-2.0-");
    memset(longb + 8, 'x', 400);
    strcpy(longb + 408, " comment\r\n");
    struct seg s5[1] = {{0, (const uint8_t *)longb, strlen(longb)}};
    st = run(s5, 1, 0, 0, NULL, &r);
    CHECK(has_anom(&r, ANOM_SSH_LONG_BANNER));
    CHECK(ssh_session(st)->client.flags & SSH_SIDE_BANNER_CUT);
    CHECK_EQ_U(ssh_session(st)->client.banner_len, SSH_BANNER_MAX);
    ssh_state_free(st);
    /* a line that never ends */
    static uint8_t endless[9000];
    memset(endless, 'a', sizeof endless);
    struct seg s6[1] = {{1, endless, sizeof endless}};
    st = run(s6, 1, 0, 0, NULL, &r);
    CHECK(has_anom(&r, ANOM_SSH_INVALID_BANNER));
    ssh_state_free(st);
    /* probe */
    CHECK(ssh_probe((const uint8_t *)"SSH-2.0-x", 9, 0) == VG_OK);
    CHECK(ssh_probe((const uint8_t *)"SSH", 3, 0) == VG_AGAIN);
    CHECK(ssh_probe((const uint8_t *)"SSH-", 4, 1) == VG_AGAIN);
    CHECK(ssh_probe((const uint8_t *)"SSH-x", 5, 0) == VG_DECLINED);
    CHECK(ssh_probe((const uint8_t *)"GET /", 5, 0) == VG_DECLINED);
    CHECK(ssh_probe(NULL, 0, 0) == VG_AGAIN);
}

static void test_packets(void)
{
    static struct result r;
    static struct bb c;
    /* a huge packet_length: invalid record */
    c.n = 0;
    b_str(&c, "SSH-2.0-a\r\n");
    b_u32(&c, 0x7fffffff);
    b_u8(&c, 4);
    struct seg s1[1] = {{0, c.b, c.n}};
    struct ssh_state *st = run(s1, 1, 0, 0, NULL, &r);
    CHECK(has_anom(&r, ANOM_SSH_INVALID_RECORD));
    CHECK(ssh_session(st)->client.flags & SSH_SIDE_GAVE_UP);
    ssh_state_free(st);
    /* padding longer than the packet */
    c.n = 0;
    b_str(&c, "SSH-2.0-a\r\n");
    b_u32(&c, 12);
    b_u8(&c, 40);
    struct seg s2[1] = {{0, c.b, c.n}};
    st = run(s2, 1, 0, 0, NULL, &r);
    CHECK(has_anom(&r, ANOM_SSH_INVALID_RECORD));
    ssh_state_free(st);
    /* a packet over packet_max is skipped; the KEXINIT after it still counts */
    struct ssh_config cfg;
    ssh_config_default(&cfg);
    cfg.packet_max = 512;
    c.n = 0;
    b_str(&c, "SSH-2.0-a\r\n");
    struct bb p;
    p.n = 0;
    b_u8(&p, 2);
    for (int i = 0; i < 1000; i++)
        b_u8(&p, 1);
    packet(&c, &p);
    kexinit(&c, KEX_C, 10);
    struct seg s3[1] = {{0, c.b, c.n}};
    st = run(s3, 1, 1, 0, &cfg, &r);
    CHECK(has_anom(&r, ANOM_SSH_LONG_KEX_RECORD));
    CHECK_STR(ssh_session(st)->client.hassh, HASSH_C);
    CHECK_EQ_U(ssh_counters(st)->long_records, 1);
    ssh_state_free(st);
    /* a KEXINIT with only 7 name-lists */
    c.n = 0;
    b_str(&c, "SSH-2.0-a\r\n");
    kexinit(&c, KEX_C, 7);
    struct seg s4[1] = {{0, c.b, c.n}};
    st = run(s4, 1, 0, 0, NULL, &r);
    CHECK(has_anom(&r, ANOM_SSH_INVALID_RECORD));
    CHECK(!(ssh_session(st)->client.flags & SSH_SIDE_KEXINIT));
    ssh_state_free(st);
    /* NEWKEYS before KEXINIT ends parsing */
    c.n = 0;
    b_str(&c, "SSH-2.0-a\r\n");
    p.n = 0;
    b_u8(&p, 21);
    packet(&c, &p);
    kexinit(&c, KEX_C, 10);
    struct seg s5[1] = {{0, c.b, c.n}};
    st = run(s5, 1, 0, 0, NULL, &r);
    CHECK(ssh_session(st)->client.flags & SSH_SIDE_NEWKEYS);
    CHECK(!(ssh_session(st)->client.flags & SSH_SIDE_KEXINIT));
    ssh_state_free(st);
    /* every truncation of both streams: no crash */
    static struct bb cs, ss;
    client_stream(&cs);
    server_stream(&ss);
    for (size_t k = 0; k <= cs.n; k++) {
        struct seg t[2] = {{0, cs.b, k}, {1, ss.b, k < ss.n ? k : ss.n}};
        st = run(t, 2, 0, 0, NULL, &r);
        CHECK(st != NULL);
        ssh_state_free(st);
    }
    /* gaps */
    st = ssh_state_new(NULL);
    struct vg_ts ts = {1, 0};
    ssh_parse(st, 0, cs.b, 10, ts, NULL, NULL);
    ssh_gap(st, 0, 5);
    CHECK(ssh_session(st)->client.flags & SSH_SIDE_GAVE_UP);
    CHECK(ssh_parse(st, 0, cs.b + 15, 5, ts, NULL, NULL) == VG_DECLINED);
    CHECK(ssh_gap(st, 3, 1) == VG_ERR_USAGE);
    CHECK(ssh_parse(NULL, 0, NULL, 0, ts, NULL, NULL) == VG_ERR_USAGE);
    ssh_state_free(st);
    ssh_state_free(NULL);
    ssh_flush(NULL, NULL, NULL);
}

static void test_eve(void)
{
    static struct bb c, s;
    client_stream(&c);
    server_stream(&s);
    struct seg segs[2] = {{0, c.b, c.n}, {1, s.b, s.n}};
    static struct result r;
    struct ssh_state *st = run(segs, 2, 0, 0, NULL, &r);
    struct flow fl;
    memset(&fl, 0, sizeof fl);
    fl.src.family = fl.dst.family = 4;
    fl.src.a[0] = 192;
    fl.src.a[3] = 1;
    fl.dst.a[0] = 192;
    fl.dst.a[3] = 2;
    fl.sport = 40000;
    fl.dport = 22;
    fl.proto = 6;
    fl.flow_id = 7;
    struct jw w;
    jw_init(&w);
    eve_ssh(&w, &fl, ssh_session(st));
    const char *want =
        "\"ssh\":{\"client\":{\"proto_version\":\"2.0\",\"software_version\":\"OpenSSH_8.9p1\","
        "\"hassh\":{\"hash\":\"" HASSH_C "\",\"string\":\"" HASSH_C_STR "\"}},"
        "\"server\":{\"proto_version\":\"2.0\",\"software_version\":\"OpenSSH_7.4\","
        "\"hassh\":{\"hash\":\"" HASSH_S "\",\"string\":\"" HASSH_S_STR "\"}}}}";
    CHECK(memmem(w.buf, w.len, want, strlen(want)) != NULL);
    CHECK(memmem(w.buf, w.len, "\"event_type\":\"ssh\"", 18) != NULL);
    char lines[8192];
    size_t n = 0;
    memcpy(lines, w.buf, w.len);
    n = w.len;
    lines[n++] = '\n';
    /* banner only: no hassh */
    ssh_state_free(st);
    const char *b = "SSH-2.0-dropbear_2022.83\r\n";
    struct seg one[1] = {{1, (const uint8_t *)b, strlen(b)}};
    st = run(one, 1, 0, 0, NULL, &r);
    jw_reset(&w);
    eve_ssh(&w, &fl, ssh_session(st));
    const char *want1 = "\"ssh\":{\"server\":{\"proto_version\":\"2.0\","
                        "\"software_version\":\"dropbear_2022.83\"}}";
    CHECK(memmem(w.buf, w.len, want1, strlen(want1)) != NULL);
    memcpy(lines + n, w.buf, w.len);
    n += w.len;
    lines[n++] = '\n';
    lines[n] = 0;
    ssh_state_free(st);
    jw_fini(&w);

    const char *corp = getenv("VIGIL_CORPUS");
    char schema[512];
    snprintf(schema, sizeof schema, "%s/schema/suricata-eve-schema.json",
             corp ? corp : "../shared/corpus");
    FILE *sf = fopen(schema, "r");
    if (!sf) {
        snprintf(schema, sizeof schema, "/work/shared/corpus/schema/suricata-eve-schema.json");
        sf = fopen(schema, "r");
    }
    if (!sf || access("/usr/bin/python3", X_OK) != 0) {
        if (sf) fclose(sf);
        printf("test_eve: schema or python3 not found, schema validation skipped\n");
        return;
    }
    fclose(sf);
    char evp[] = "/tmp/test_ssh_eve_XXXXXX";
    int fd = mkstemp(evp);
    if (fd < 0) return;
    FILE *ef = fdopen(fd, "w");
    fputs(lines, ef);
    fclose(ef);
    char cmd[2048];
    snprintf(cmd, sizeof cmd,
             "/usr/bin/python3 -c '\n"
             "import json, sys\n"
             "try:\n"
             "    import jsonschema\n"
             "except ImportError:\n"
             "    sys.exit(3)\n"
             "s = json.load(open(sys.argv[1]))\n"
             "v = jsonschema.validators.validator_for(s)(s)\n"
             "bad = n = 0\n"
             "for line in open(sys.argv[2]):\n"
             "    n += 1\n"
             "    for err in v.iter_errors(json.loads(line)):\n"
             "        bad += 1\n"
             "        print(\"line\", n, list(err.absolute_path), err.message[:200])\n"
             "sys.exit(1 if bad or n != 2 else 0)\n' '%s' '%s'",
             schema, evp);
    int rc = system(cmd);
    unlink(evp);
    if (rc != -1 && WIFEXITED(rc) && WEXITSTATUS(rc) == 3) {
        printf("test_eve: jsonschema missing, schema validation skipped\n");
        return;
    }
    CHECK(rc != -1 && WIFEXITED(rc) && WEXITSTATUS(rc) == 0);
}

int main(void)
{
    RUN(test_handshake);
    RUN(test_banners);
    RUN(test_packets);
    RUN(test_eve);
    return vg_test_done("ssh");
}
