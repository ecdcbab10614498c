/* fuzz_ssh.c - libFuzzer harness for the SSH parser (src/app/ssh) and the EVE ssh writer.
 *
 * Input: [ctrl][client bytes]["\xff\xfe"][server bytes]. The control byte seeds the schedule
 * (direction of each piece, piece sizes 1 / a few / packet-sized / segment-sized, gaps) and a small
 * packet limit (ssh.long_kex_record). Every string of the session is read in full and its NUL
 * checked; the HASSH is recomputed from its string when the string was not cut.
 * Differential check (schedules without gaps): consecutive pieces of one direction merged into one
 * call must give the same events and session.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "app/ssh/ssh.h"
#include "core/vg_anomaly.h"
#include "output/eve_ssh.h"
#include "output/json_writer.h"

static volatile uint32_t g_sink;

static size_t cstr(const char *s, size_t cap)
{
    size_t n = strnlen(s, cap);
    if (n == cap) __builtin_trap();
    for (size_t i = 0; i < n; i++)
        g_sink += (uint8_t)s[i];
    return n;
}

struct run {
    uint64_t h;
    uint32_t nev;
    uint8_t anom[VG_ANOMALY_COUNT];
};

static void mix(struct run *r, const void *p, size_t n)
{
    const uint8_t *b = p;
    for (size_t i = 0; i < n; i++)
        r->h = (r->h ^ b[i]) * 0x100000001b3ull;
}

static void check_side(struct run *r, const struct ssh_side *sd)
{
    mix(r, sd->banner, cstr(sd->banner, sizeof sd->banner));
    if (strlen(sd->banner) > sd->banner_len) __builtin_trap();
    mix(r, sd->proto_version, cstr(sd->proto_version, sizeof sd->proto_version));
    mix(r, sd->software_version, cstr(sd->software_version, sizeof sd->software_version));
    mix(r, sd->comments, cstr(sd->comments, sizeof sd->comments));
    mix(r, sd->hassh, cstr(sd->hassh, sizeof sd->hassh));
    size_t hl = cstr(sd->hassh_str, sizeof sd->hassh_str);
    mix(r, sd->hassh_str, hl);
    if ((sd->flags & SSH_SIDE_KEXINIT) && !(sd->flags & SSH_SIDE_HASSH_CUT) &&
        hl == sd->hassh_len) {
        unsigned char md[EVP_MAX_MD_SIZE];
        unsigned int ml = 0;
        char hex[33];
        if (EVP_Digest(sd->hassh_str, hl, md, &ml, EVP_md5(), NULL) && ml == 16) {
            for (int i = 0; i < 16; i++) {
                hex[2 * i] = "0123456789abcdef"[md[i] >> 4];
                hex[2 * i + 1] = "0123456789abcdef"[md[i] & 15];
            }
            hex[32] = 0;
            if (strcmp(hex, sd->hassh) != 0) __builtin_trap();
        }
    }
    mix(r, &sd->flags, sizeof sd->flags);
    mix(r, &sd->packets, sizeof sd->packets);
}

static void on_ev(void *ud, const struct ssh_session *s, const struct ssh_event *ev)
{
    struct run *r = ud;
    r->nev++;
    mix(r, ev, sizeof *ev);
    check_side(r, &s->client);
    check_side(r, &s->server);
    if (ev->kind == SSH_EV_LOG) {
        struct flow f;
        memset(&f, 0, sizeof f);
        f.src.family = f.dst.family = 4;
        struct jw w;
        jw_init(&w);
        eve_ssh(&w, &f, s);
        for (size_t i = 0; i < w.len; i++)
            g_sink += (uint8_t)w.buf[i];
        jw_fini(&w);
    }
}

static uint32_t rng_next(uint32_t *s)
{
    uint32_t x = *s;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    return *s = x;
}

struct piece {
    uint8_t dir, gap;
    size_t off, len;
};

static void replay(const struct ssh_config *cfg, const uint8_t *const stream[2],
                   const struct piece *pc, size_t npc, int merge, struct run *r,
                   struct ssh_counters *c)
{
    memset(r, 0, sizeof *r);
    r->h = 0xcbf29ce484222325ull;
    struct ssh_state *st = ssh_state_new(cfg);
    if (!st) __builtin_trap();
    struct vg_ts ts = {1700000000, 0};
    uint16_t a[8];
    unsigned n;
    for (size_t i = 0; i < npc; i++) {
        const struct piece *p = &pc[i];
        if (p->gap) {
            ssh_gap(st, p->dir, p->len);
        } else {
            size_t len = p->len;
            while (merge && i + 1 < npc && !pc[i + 1].gap && pc[i + 1].dir == p->dir)
                len += pc[++i].len;
            (void)ssh_parse(st, p->dir, stream[p->dir] + p->off, len, ts, on_ev, r);
        }
        while ((n = ssh_take_anomalies(st, a, 8)) > 0)
            for (unsigned k = 0; k < n; k++) {
                if (a[k] >= VG_ANOMALY_COUNT) __builtin_trap();
                r->anom[a[k]] = 1;
            }
    }
    ssh_flush(st, on_ev, r);
    while ((n = ssh_take_anomalies(st, a, 8)) > 0)
        for (unsigned k = 0; k < n; k++)
            r->anom[a[k]] = 1;
    check_side(r, &ssh_session(st)->client);
    check_side(r, &ssh_session(st)->server);
    *c = *ssh_counters(st);
    ssh_state_free(st);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) return 0;
    uint8_t ctrl = data[0];
    const uint8_t *rest = data + 1;
    size_t rn = size - 1;
    const uint8_t *stream[2] = {rest, rest + rn};
    size_t len[2] = {rn, 0};
    for (size_t i = 0; i + 1 < rn; i++) {
        if (rest[i] == 0xff && rest[i + 1] == 0xfe) {
            len[0] = i;
            stream[1] = rest + i + 2;
            len[1] = rn - i - 2;
            break;
        }
    }
    (void)ssh_probe(stream[0], len[0], SSH_DIR_TOSERVER);
    (void)ssh_probe(stream[1], len[1], SSH_DIR_TOCLIENT);

    struct ssh_config cfg;
    ssh_config_default(&cfg);
    if (ctrl & 0x80) cfg.packet_max = 200;
    static const size_t maxpiece[4] = {1, 7, 200, 1460};
    size_t maxp = maxpiece[ctrl & 3];
    bool gaps = (ctrl & 0x40) != 0;
    uint32_t seed = 0x9e3779b9u ^ ((uint32_t)ctrl * 2654435761u);
    size_t off[2] = {0, 0}, npc = 0;
    struct piece *pc = malloc((rn + 1) * sizeof *pc);
    if (!pc) return 0;
    while (off[0] < len[0] || off[1] < len[1]) {
        uint32_t x = rng_next(&seed);
        int dir = (int)(x & 1);
        if ((ctrl & 0x20) == 0) dir = (int)((x >> 1) % 3 == 0);
        if (off[dir] >= len[dir]) dir ^= 1;
        size_t piece = 1 + (size_t)(rng_next(&seed) % maxp);
        if (piece > len[dir] - off[dir]) piece = len[dir] - off[dir];
        pc[npc].dir = (uint8_t)dir;
        pc[npc].gap = gaps && rng_next(&seed) % 17 == 0;
        pc[npc].off = off[dir];
        pc[npc].len = piece;
        npc++;
        off[dir] += piece;
    }
    static struct run a, b;
    static struct ssh_counters ca, cb;
    replay(&cfg, stream, pc, npc, 0, &a, &ca);
    if (!gaps) {
        replay(&cfg, stream, pc, npc, 1, &b, &cb);
        if (a.h != b.h || a.nev != b.nev || memcmp(a.anom, b.anom, sizeof a.anom) != 0 ||
            memcmp(&ca, &cb, sizeof ca) != 0)
            __builtin_trap();
    }
    free(pc);
    g_sink += a.nev;
    return 0;
}
