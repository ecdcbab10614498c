/* report.c - the HTML report (contract in report.h, the page in docs/report.md).
 *
 * Two passes over nothing: the EVE files are read once, line by line; each line is parsed on its
 * own by jansson (JSON_ALLOW_NUL: EVE strings may carry \u0000) and folded into bounded
 * aggregates; the page is rendered from those at the end:
 *   - counts: events by type, findings by class, flows by protocol, time span, the last stats;
 *   - top talkers (bytes per address, from flow events) and top alerts (per signature): Space-
 *     Saving heavy-hitter tables of fixed size (a min-heap on the count plus a hash index), exact
 *     while fewer distinct keys than the table holds, otherwise with the usual error bound;
 *   - the timeline: one mark per finding up to max_timeline;
 *   - findings drawn in full: the max_findings most severe (severity, then confidence), each kept
 *     as its parsed JSON; the rest are counted and the page says how many were left out;
 *   - beacon alerts: the first few, for their interval histograms.
 * Memory is therefore bounded by the caps, whatever the size of the input.
 */
#include "output/report/report.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <openssl/evp.h>

#include "core/vg_alloc.h"
#include "output/report/report_css.h"

#define MAX_TYPES 48
#define MAX_CLASSES 32
#define TALKERS_CAP 2048
#define ALERTS_CAP 1024
#define MAX_BEACONS 12
#define TOP_N 12
#define HEX_SHOW 512 /* payload bytes shown per contestant */

void report_options_default(struct report_options *o)
{
    memset(o, 0, sizeof *o);
    o->title = "vigil report";
    o->link_base = "";
    o->max_findings = 50;
    o->max_timeline = 20000;
}

/* ---- output helpers ---- */

void report_escape(FILE *fp, const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = p[i];
        switch (c) {
        case '&':
            fputs("&amp;", fp);
            continue;
        case '<':
            fputs("&lt;", fp);
            continue;
        case '>':
            fputs("&gt;", fp);
            continue;
        case '"':
            fputs("&quot;", fp);
            continue;
        case '\'':
            fputs("&#39;", fp);
            continue;
        default:
            break;
        }
        if ((c < 0x20 && c != '\n' && c != '\t') || c == 0x7f) {
            fprintf(fp, "\\x%02x", c);
            continue;
        }
        /* U+202A..U+202E, U+2066..U+2069 (bidi embeddings/overrides/isolates): E2 80 AA..AE,
         * E2 81 A6..A9 - shown, never applied ("Trojan Source" display tricks). */
        if (c == 0xe2 && i + 2 < n &&
            ((p[i + 1] == 0x80 && p[i + 2] >= 0xaa && p[i + 2] <= 0xae) ||
             (p[i + 1] == 0x81 && p[i + 2] >= 0xa6 && p[i + 2] <= 0xa9))) {
            unsigned cp = 0x2000u | ((p[i + 1] & 0x3fu) << 6) | (p[i + 2] & 0x3fu);
            fprintf(fp, "\\u{%04x}", cp);
            i += 2;
            continue;
        }
        fputc(c, fp);
    }
}

static void esc(FILE *fp, const char *s)
{
    if (s) report_escape(fp, s, strlen(s));
}

static void fmt_num(char *b, size_t n, uint64_t v)
{
    char t[32];
    int l = snprintf(t, sizeof t, "%llu", (unsigned long long)v);
    size_t o = 0;
    for (int i = 0; i < l && o + 2 < n; i++) {
        if (i && (l - i) % 3 == 0) b[o++] = ',';
        b[o++] = t[i];
    }
    b[o] = '\0';
}

static void fmt_bytes(char *b, size_t n, double v)
{
    static const char *u[] = {"B", "KB", "MB", "GB", "TB"};
    int i = 0;
    while (v >= 1000 && i < 4) {
        v /= 1000;
        i++;
    }
    snprintf(b, n, i ? "%.1f %s" : "%.0f %s", v, u[i]);
}

static void fmt_time(char *b, size_t n, double t, bool ms)
{
    if (!(t > 0)) {
        snprintf(b, n, "-");
        return;
    }
    time_t s = (time_t)floor(t);
    struct tm tm;
    gmtime_r(&s, &tm);
    size_t l = strftime(b, n, "%Y-%m-%d %H:%M:%S", &tm);
    if (ms && l < n) snprintf(b + l, n - l, ".%03d", (int)((t - floor(t)) * 1000));
}

/* "2016-02-13T17:15:34.123456+0000" -> seconds since the epoch; 0 when unparseable. */
static double parse_ts(const char *s)
{
    if (!s) return 0;
    int Y, M, D, h, m, sec;
    if (sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d", &Y, &M, &D, &h, &m, &sec) != 6) return 0;
    struct tm tm = {0};
    tm.tm_year = Y - 1900;
    tm.tm_mon = M - 1;
    tm.tm_mday = D;
    tm.tm_hour = h;
    tm.tm_min = m;
    tm.tm_sec = sec;
    double t = (double)timegm(&tm);
    const char *p = s + 19;
    if (*p == '.') {
        double f = 0.1;
        for (p++; isdigit((unsigned char)*p); p++, f /= 10)
            t += (*p - '0') * f;
    }
    if ((*p == '+' || *p == '-') && isdigit((unsigned char)p[1])) {
        int off = atoi(p + 1);
        int secs = (off / 100) * 3600 + (off % 100) * 60;
        t -= *p == '+' ? secs : -secs;
    }
    return t;
}

/* ---- JSON access ---- */

static json_t *jpath(json_t *o, const char *path)
{
    char key[64];
    while (o && *path) {
        const char *dot = strchr(path, '.');
        size_t l = dot ? (size_t)(dot - path) : strlen(path);
        if (l >= sizeof key) return NULL;
        memcpy(key, path, l);
        key[l] = '\0';
        o = json_is_object(o) ? json_object_get(o, key) : NULL;
        path += l + (dot ? 1 : 0);
    }
    return o;
}

static const char *jstr(json_t *o, const char *path)
{
    json_t *v = jpath(o, path);
    return json_is_string(v) ? json_string_value(v) : NULL;
}

static bool jnum(json_t *o, const char *path, double *out)
{
    json_t *v = jpath(o, path);
    if (!json_is_number(v)) return false;
    *out = json_number_value(v);
    return true;
}

static long long jint(json_t *o, const char *path, long long def)
{
    json_t *v = jpath(o, path);
    if (json_is_integer(v)) return json_integer_value(v);
    if (json_is_real(v)) return (long long)json_real_value(v);
    return def;
}

/* Escapes a JSON value that should be a string or a number; "-" when absent. */
static void esc_val(FILE *fp, json_t *v)
{
    if (json_is_string(v))
        report_escape(fp, json_string_value(v), json_string_length(v));
    else if (json_is_integer(v))
        fprintf(fp, "%lld", (long long)json_integer_value(v));
    else if (json_is_real(v))
        fprintf(fp, "%g", json_real_value(v));
    else if (json_is_true(v))
        fputs("yes", fp);
    else if (json_is_false(v))
        fputs("no", fp);
    else
        fputs("-", fp);
}

/* ---- Space-Saving tables ---- */

struct ss_ent {
    char key[72];
    char label[160];
    uint64_t count;  /* the ranked weight (bytes for talkers, alerts for signatures) */
    uint64_t count2; /* flows for talkers */
    uint64_t err;    /* over-estimate bound inherited at replacement */
    int sev;
    long long sid;
};

struct ss {
    struct ss_ent *e;
    uint32_t n, cap;
    uint32_t *heap, *hpos; /* min-heap of entry numbers by count */
    uint32_t *idx, mask;   /* hash: entry number + 1 */
    bool approx;           /* an entry was replaced: counts are upper bounds */
};

static uint32_t str_hash(const char *s)
{
    uint32_t h = 2166136261u;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 16777619u;
    return h;
}

static bool ss_init(struct ss *t, uint32_t cap)
{
    memset(t, 0, sizeof *t);
    t->cap = cap;
    uint32_t sz = 16;
    while (sz < cap * 2)
        sz <<= 1;
    t->mask = sz - 1;
    t->e = vg_calloc(cap, sizeof *t->e);
    t->heap = vg_calloc(cap, sizeof *t->heap);
    t->hpos = vg_calloc(cap, sizeof *t->hpos);
    t->idx = vg_calloc(sz, sizeof *t->idx);
    return t->e && t->heap && t->hpos && t->idx;
}

static void ss_fini(struct ss *t)
{
    vg_free(t->e);
    vg_free(t->heap);
    vg_free(t->hpos);
    vg_free(t->idx);
}

static void heap_swap(struct ss *t, uint32_t a, uint32_t b)
{
    uint32_t x = t->heap[a];
    t->heap[a] = t->heap[b];
    t->heap[b] = x;
    t->hpos[t->heap[a]] = a;
    t->hpos[t->heap[b]] = b;
}

static void heap_down(struct ss *t, uint32_t i)
{
    for (;;) {
        uint32_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < t->n && t->e[t->heap[l]].count < t->e[t->heap[m]].count) m = l;
        if (r < t->n && t->e[t->heap[r]].count < t->e[t->heap[m]].count) m = r;
        if (m == i) return;
        heap_swap(t, i, m);
        i = m;
    }
}

static void heap_up(struct ss *t, uint32_t i)
{
    while (i > 0) {
        uint32_t p = (i - 1) / 2;
        if (t->e[t->heap[p]].count <= t->e[t->heap[i]].count) return;
        heap_swap(t, i, p);
        i = p;
    }
}

static void idx_del(struct ss *t, uint32_t entno)
{
    uint32_t i = str_hash(t->e[entno].key) & t->mask;
    while (t->idx[i] != entno + 1)
        i = (i + 1) & t->mask;
    for (uint32_t j = (i + 1) & t->mask;; j = (j + 1) & t->mask) {
        uint32_t v = t->idx[j];
        if (!v) break;
        uint32_t home = str_hash(t->e[v - 1].key) & t->mask;
        bool in = i <= j ? (home > i && home <= j) : (home > i || home <= j);
        if (!in) {
            t->idx[i] = v;
            i = j;
        }
    }
    t->idx[i] = 0;
}

/* Adds w to key's count (inserting it, or replacing the smallest entry when full). */
static struct ss_ent *ss_add(struct ss *t, const char *key, uint64_t w)
{
    char k[sizeof t->e[0].key];
    snprintf(k, sizeof k, "%s", key);
    uint32_t i = str_hash(k) & t->mask;
    for (; t->idx[i]; i = (i + 1) & t->mask) {
        struct ss_ent *e = &t->e[t->idx[i] - 1];
        if (strcmp(e->key, k) == 0) {
            e->count += w;
            heap_down(t, t->hpos[t->idx[i] - 1]);
            return e;
        }
    }
    uint32_t no;
    uint64_t base = 0;
    if (t->n < t->cap) {
        no = t->n;
        t->heap[t->n] = no;
        t->hpos[no] = t->n;
        t->n++;
    } else {
        no = t->heap[0];
        base = t->e[no].count;
        idx_del(t, no);
        t->approx = true;
        i = str_hash(k) & t->mask;
        while (t->idx[i])
            i = (i + 1) & t->mask;
    }
    struct ss_ent *e = &t->e[no];
    memset(e, 0, sizeof *e);
    memcpy(e->key, k, sizeof k);
    e->count = base + w;
    e->err = base;
    t->idx[i] = no + 1;
    heap_up(t, t->hpos[no]);
    heap_down(t, t->hpos[no]);
    return e;
}

static int ent_cmp_desc(const void *a, const void *b)
{
    const struct ss_ent *x = *(struct ss_ent *const *)a, *y = *(struct ss_ent *const *)b;
    if (x->count != y->count) return x->count < y->count ? 1 : -1;
    return strcmp(x->key, y->key);
}

/* The top n entries, largest first, into out (n pointers). Returns how many. */
static size_t ss_top(const struct ss *t, struct ss_ent **out, size_t n)
{
    struct ss_ent **all = vg_malloc((t->n + 1) * sizeof *all);
    if (!all) return 0;
    for (uint32_t i = 0; i < t->n; i++)
        all[i] = &t->e[i];
    qsort(all, t->n, sizeof *all, ent_cmp_desc);
    size_t k = t->n < n ? t->n : n;
    memcpy(out, all, k * sizeof *out);
    vg_free(all);
    return k;
}

/* ---- aggregates ---- */

struct named_count {
    char name[48];
    uint64_t count;
    int sev; /* worst (lowest) severity seen, for classes */
};

struct finding {
    json_t *ev;
    uint64_t seq; /* nth finding of the input */
    int score;
    double t;
};

struct tl_point {
    double t;
    uint64_t seq;
    uint8_t cls, sev;
};

struct agg {
    const struct report_options *o;
    uint64_t lines, bad_lines, events;
    struct named_count types[MAX_TYPES];
    unsigned n_types;
    struct named_count classes[MAX_CLASSES];
    unsigned n_classes;
    double t_min, t_max;
    uint64_t flows, flows_tcp, flows_udp, flows_other, flow_bytes, flow_pkts;
    uint64_t findings;
    int worst_sev;
    double stats_pkts, stats_bytes;
    bool have_stats;
    json_t *stats;
    struct ss talkers, alerts;
    struct finding *kept;
    size_t n_kept;
    struct tl_point *tl;
    size_t n_tl, tl_dropped;
    json_t *beacons[MAX_BEACONS];
    unsigned n_beacons;
    uint64_t beacons_total;
};

static struct named_count *count_name(struct named_count *t, unsigned *n, unsigned cap,
                                      const char *name, const char *overflow)
{
    for (unsigned i = 0; i < *n; i++)
        if (strcmp(t[i].name, name) == 0) return &t[i];
    if (*n + 1 >= cap) { /* keep the last slot for the overflow bucket */
        for (unsigned i = 0; i < *n; i++)
            if (strcmp(t[i].name, overflow) == 0) return &t[i];
        name = overflow;
    }
    struct named_count *c = &t[(*n)++];
    snprintf(c->name, sizeof c->name, "%s", name);
    c->sev = 9;
    return c;
}

/* The class of a finding: the tamper class, "beacon", "ioc", or the alert category. */
static const char *finding_class(json_t *ev)
{
    const char *c = jstr(ev, "tamper.class");
    if (c) return c;
    if (jpath(ev, "beacon")) return "beacon";
    if (jpath(ev, "ioc")) return "ioc";
    c = jstr(ev, "alert.category");
    return c && *c ? c : "rule";
}

static void add_finding(struct agg *a, json_t *ev)
{
    uint64_t seq = a->findings++;
    int sev = (int)jint(ev, "alert.severity", 3);
    if (sev < 1) sev = 1;
    if (sev > 3) sev = 3;
    if (sev < a->worst_sev) a->worst_sev = sev;
    int conf = (int)jint(ev, "tamper.confidence", jpath(ev, "beacon.score") ? 0 : 50);
    double bs;
    if (jnum(ev, "beacon.score", &bs)) conf = (int)(bs * 100);
    const char *cls = finding_class(ev);
    struct named_count *c = count_name(a->classes, &a->n_classes, MAX_CLASSES, cls, "other");
    c->count++;
    if (sev < c->sev) c->sev = sev;
    unsigned cls_no = (unsigned)(c - a->classes);

    /* top alerts by signature */
    char key[96];
    const char *sig = jstr(ev, "alert.signature");
    long long sid = jint(ev, "alert.signature_id", 0);
    snprintf(key, sizeof key, "%lld|%.60s", sid, sig ? sig : "");
    struct ss_ent *e = ss_add(&a->alerts, key, 1);
    if (e && !e->label[0]) {
        snprintf(e->label, sizeof e->label, "%s", sig ? sig : "(no signature)");
        e->sid = sid;
        e->sev = sev;
    }

    double t = parse_ts(jstr(ev, "timestamp"));
    if (a->n_tl < a->o->max_timeline) {
        a->tl[a->n_tl++] = (struct tl_point){t, seq, (uint8_t)cls_no, (uint8_t)sev};
    } else {
        a->tl_dropped++;
    }

    if (jpath(ev, "beacon")) {
        a->beacons_total++;
        if (a->n_beacons < MAX_BEACONS) a->beacons[a->n_beacons++] = json_incref(ev);
    }

    /* keep the most severe: replace the lowest score when full */
    int score = (4 - sev) * 1000 + conf;
    size_t cap = a->o->max_findings;
    if (cap == 0) return;
    if (a->n_kept < cap) {
        a->kept[a->n_kept++] = (struct finding){json_incref(ev), seq, score, t};
        return;
    }
    size_t lo = 0;
    for (size_t i = 1; i < a->n_kept; i++)
        if (a->kept[i].score < a->kept[lo].score ||
            (a->kept[i].score == a->kept[lo].score && a->kept[i].seq > a->kept[lo].seq))
            lo = i;
    if (score > a->kept[lo].score) {
        json_decref(a->kept[lo].ev);
        a->kept[lo] = (struct finding){json_incref(ev), seq, score, t};
    }
}

static void add_flow(struct agg *a, json_t *ev)
{
    a->flows++;
    const char *proto = jstr(ev, "proto");
    if (proto && strcmp(proto, "TCP") == 0)
        a->flows_tcp++;
    else if (proto && strcmp(proto, "UDP") == 0)
        a->flows_udp++;
    else
        a->flows_other++;
    uint64_t b =
        (uint64_t)jint(ev, "flow.bytes_toserver", 0) + (uint64_t)jint(ev, "flow.bytes_toclient", 0);
    a->flow_bytes += b;
    a->flow_pkts +=
        (uint64_t)jint(ev, "flow.pkts_toserver", 0) + (uint64_t)jint(ev, "flow.pkts_toclient", 0);
    const char *ips[2] = {jstr(ev, "src_ip"), jstr(ev, "dest_ip")};
    for (int i = 0; i < 2; i++) {
        if (!ips[i]) continue;
        struct ss_ent *e = ss_add(&a->talkers, ips[i], b);
        if (e) e->count2++;
    }
}

static void add_event(struct agg *a, json_t *ev)
{
    a->events++;
    const char *type = jstr(ev, "event_type");
    if (!type) type = "(none)";
    count_name(a->types, &a->n_types, MAX_TYPES, type, "other")->count++;
    double t = parse_ts(jstr(ev, "timestamp"));
    if (t > 0 && strcmp(type, "stats") != 0) {
        if (a->t_min == 0 || t < a->t_min) a->t_min = t;
        if (t > a->t_max) a->t_max = t;
    }
    if (strcmp(type, "alert") == 0) {
        add_finding(a, ev);
    } else if (strcmp(type, "flow") == 0) {
        add_flow(a, ev);
    } else if (strcmp(type, "stats") == 0) {
        double p = 0, b = 0;
        if (jnum(ev, "stats.decoder.pkts", &p) && p >= a->stats_pkts) {
            a->stats_pkts = p;
            jnum(ev, "stats.decoder.bytes", &b);
            a->stats_bytes = b;
            a->have_stats = true;
            if (a->stats) json_decref(a->stats);
            a->stats = json_incref(ev);
        }
    }
}

/* ---- fast path: most events are only counted ----
 * Parsing every line into a jansson tree cost ~17 us a line (10 s for 600k events). Events that
 * are only counted (http, dns, anomaly, ...) need their type and timestamp, flow events a few
 * scalars: those are read straight from the line. Anything unexpected (a missing key, an escape
 * inside a value) falls back to the full parse. */

/* The string value of "key":"..." (first occurrence) into out; false when absent or escaped. */
static bool raw_str(const char *line, size_t n, const char *key, char *out, size_t outlen)
{
    char pat[40];
    int pl = snprintf(pat, sizeof pat, "\"%s\":\"", key);
    const char *k = memmem(line, n, pat, (size_t)pl);
    if (!k) return false;
    const char *v = k + pl, *end = line + n;
    size_t l = 0;
    while (v + l < end && v[l] != '"') {
        if (v[l] == '\\' || l + 1 >= outlen) return false;
        l++;
    }
    if (v + l >= end) return false;
    memcpy(out, v, l);
    out[l] = '\0';
    return true;
}

static bool raw_uint(const char *line, size_t n, const char *key, uint64_t *out)
{
    char pat[40];
    int pl = snprintf(pat, sizeof pat, "\"%s\":", key);
    const char *k = memmem(line, n, pat, (size_t)pl);
    if (!k) return false;
    const char *v = k + pl, *end = line + n;
    if (v >= end || !isdigit((unsigned char)*v)) return false;
    uint64_t x = 0;
    for (; v < end && isdigit((unsigned char)*v); v++)
        x = x * 10 + (uint64_t)(*v - '0');
    *out = x;
    return true;
}

static bool fast_event(struct agg *a, const char *line, size_t n)
{
    char type[48], ts[48];
    if (!raw_str(line, n, "event_type", type, sizeof type) ||
        !raw_str(line, n, "timestamp", ts, sizeof ts))
        return false;
    if (line[0] != '{' || line[n - 1] != '}') return false;
    if (strcmp(type, "alert") == 0 || strcmp(type, "stats") == 0) return false;
    bool flow = strcmp(type, "flow") == 0;
    char src[64], dst[64], proto[16];
    uint64_t bts = 0, btc = 0, pts = 0, ptc = 0;
    if (flow &&
        !(raw_str(line, n, "src_ip", src, sizeof src) &&
          raw_str(line, n, "dest_ip", dst, sizeof dst) &&
          raw_uint(line, n, "bytes_toserver", &bts) && raw_uint(line, n, "bytes_toclient", &btc) &&
          raw_uint(line, n, "pkts_toserver", &pts) && raw_uint(line, n, "pkts_toclient", &ptc)))
        return false;
    if (flow && !raw_str(line, n, "proto", proto, sizeof proto)) proto[0] = '\0';
    a->events++;
    count_name(a->types, &a->n_types, MAX_TYPES, type, "other")->count++;
    double t = parse_ts(ts);
    if (t > 0) {
        if (a->t_min == 0 || t < a->t_min) a->t_min = t;
        if (t > a->t_max) a->t_max = t;
    }
    if (!flow) return true;
    a->flows++;
    if (strcmp(proto, "TCP") == 0)
        a->flows_tcp++;
    else if (strcmp(proto, "UDP") == 0)
        a->flows_udp++;
    else
        a->flows_other++;
    a->flow_bytes += bts + btc;
    a->flow_pkts += pts + ptc;
    struct ss_ent *e = ss_add(&a->talkers, src, bts + btc);
    if (e) e->count2++;
    e = ss_add(&a->talkers, dst, bts + btc);
    if (e) e->count2++;
    return true;
}

static int read_file(struct agg *a, const char *path, char *errbuf, size_t errlen)
{
    FILE *fp = fopen(path, "r");
    if (!fp) {
        snprintf(errbuf, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    while ((n = getline(&line, &cap, fp)) > 0) {
        while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
            n--;
        if (n == 0) continue;
        a->lines++;
        if (fast_event(a, line, (size_t)n)) continue;
        json_error_t jerr;
        json_t *ev = json_loadb(line, (size_t)n, JSON_ALLOW_NUL | JSON_DISABLE_EOF_CHECK, &jerr);
        if (!json_is_object(ev)) {
            a->bad_lines++;
            if (ev) json_decref(ev);
            continue;
        }
        add_event(a, ev);
        json_decref(ev);
    }
    free(line);
    bool err = ferror(fp);
    fclose(fp);
    if (err) {
        snprintf(errbuf, errlen, "%s: read error", path);
        return -1;
    }
    return 0;
}

/* ---- rendering: pieces ---- */

static const char *sev_word(int sev)
{
    return sev == 1 ? "high" : sev == 2 ? "medium" : "low";
}

static const char *sev_color(int sev)
{
    return sev == 1 ? "#c62828" : sev == 2 ? "#e07b00" : "#b59b00";
}

/* An evidence path is linked only when it looks like one vigil writes: evidence/<name>.pcap with
 * [A-Za-z0-9._-] in the name (no scheme, no absolute path, no ".."). */
static bool safe_evidence_path(const char *p)
{
    if (!p || strncmp(p, "evidence/", 9) != 0) return false;
    const char *n = p + 9;
    size_t l = strlen(n);
    if (l < 6 || l > 200 || strcmp(n + l - 5, ".pcap") != 0 || n[0] == '.') return false;
    for (size_t i = 0; i < l; i++)
        if (!isalnum((unsigned char)n[i]) && n[i] != '.' && n[i] != '_' && n[i] != '-')
            return false;
    return strstr(n, "..") == NULL;
}

static void endpoint(FILE *fp, json_t *ev, const char *ip, const char *port)
{
    const char *a = jstr(ev, ip);
    long long p = jint(ev, port, -1);
    bool v6 = a && strchr(a, ':');
    if (v6 && p >= 0) fputc('[', fp);
    esc(fp, a ? a : "?");
    if (v6 && p >= 0) fputc(']', fp);
    if (p >= 0) fprintf(fp, ":%lld", p);
}

/* Decodes a base64 payload; returns the length (0 on none/bad). *out is vg_malloc'd. */
static size_t b64_decode(const char *s, unsigned char **out)
{
    *out = NULL;
    if (!s) return 0;
    size_t l = strlen(s);
    if (l == 0 || l % 4 != 0 || l > (1u << 24)) return 0;
    unsigned char *b = vg_malloc(l / 4 * 3 + 1);
    if (!b) return 0;
    int n = EVP_DecodeBlock(b, (const unsigned char *)s, (int)l);
    if (n < 0) {
        vg_free(b);
        return 0;
    }
    if (l >= 1 && s[l - 1] == '=') n--;
    if (l >= 2 && s[l - 2] == '=') n--;
    *out = b;
    return (size_t)n;
}

struct side {
    unsigned char *b;
    size_t n;
    int64_t base; /* sequence number of b[0], relative to the other side's */
};

/* One contestant's bytes as a hex + printable dump from offset `from`, up to HEX_SHOW bytes; a
 * byte that differs from the other side's byte at the same sequence number is marked. */
static void hexdump(FILE *fp, const struct side *me, const struct side *other, size_t from)
{
    fputs("<pre class=\"hex\">", fp);
    if (me->n == 0) {
        fputs("<span class=\"o\">(no payload)</span></pre>", fp);
        return;
    }
    size_t to = me->n < from + HEX_SHOW ? me->n : from + HEX_SHOW;
    /* past the other contestant's last byte only a little context: the rest is not contested */
    int64_t other_end = (int64_t)other->n + other->base - me->base;
    if (other->n && other_end > 0 && (uint64_t)other_end + 32 < to) {
        size_t lim = ((size_t)other_end + 32 + 15) & ~(size_t)15;
        if (lim > from && lim < to) to = lim;
    }
    for (size_t row = from; row < to; row += 16) {
        fprintf(fp, "<span class=\"o\">%04zx</span>  ", row);
        char asc[16 * 24];
        size_t al = 0;
        for (size_t i = row; i < row + 16; i++) {
            if (i >= to) {
                fputs("   ", fp);
                continue;
            }
            int64_t j = (int64_t)i + me->base - other->base;
            bool in_other = j >= 0 && (uint64_t)j < other->n;
            bool diff = in_other && other->b[j] != me->b[i];
            unsigned char c = me->b[i];
            fprintf(fp, "%s%02x%s ",
                    diff       ? "<b>"
                    : in_other ? ""
                               : "<span class=\"x\">",
                    c,
                    diff       ? "</b>"
                    : in_other ? ""
                               : "</span>");
            const char *ch;
            char one[2] = {(char)c, 0};
            switch (c) {
            case '&':
                ch = "&amp;";
                break;
            case '<':
                ch = "&lt;";
                break;
            case '>':
                ch = "&gt;";
                break;
            case '"':
                ch = "&quot;";
                break;
            default:
                ch = (c >= 0x20 && c < 0x7f) ? one : ".";
                break;
            }
            al += (size_t)snprintf(asc + al, sizeof asc - al, "%s%s%s", diff ? "<b>" : "", ch,
                                   diff ? "</b>" : "");
        }
        fprintf(fp, " %s\n", asc);
    }
    if (to < me->n) fprintf(fp, "<span class=\"o\">... %zu more byte(s)</span>\n", me->n - to);
    if (from > 0)
        fprintf(fp, "<span class=\"o\">(from offset %zu: the first difference)</span>\n", from);
    fputs("</pre>", fp);
}

static bool departs_has(json_t *c, const char *field)
{
    json_t *d = json_object_get(c, "departs");
    size_t i;
    json_t *v;
    json_array_foreach(d, i, v) if (json_is_string(v) &&
                                    strcmp(json_string_value(v), field) == 0) return true;
    return false;
}

static void kv_row(FILE *fp, json_t *c, const char *label, const char *key, const char *dep)
{
    json_t *v = json_object_get(c, key);
    if (!v) return;
    bool d = dep && departs_has(c, dep);
    fprintf(fp, "<tr><td>%s</td><td class=\"mono\">%s", label, d ? "<span class=\"dep\">" : "");
    esc_val(fp, v);
    if (json_is_string(v) && json_string_length(v) == 0) fputs("(none)", fp);
    fprintf(fp, "%s</td></tr>", d ? "</span> departs" : "");
}

/* ---- SVG charts ---- */

struct axis {
    double lo, hi;
};

static void nice_axis(struct axis *ax)
{
    if (!(ax->hi > ax->lo)) {
        ax->lo -= 1;
        ax->hi += 1;
    }
    double pad = (ax->hi - ax->lo) * 0.08;
    ax->lo -= pad;
    ax->hi += pad;
}

static double sx(const struct axis *a, double v, double x0, double w)
{
    return x0 + (v - a->lo) / (a->hi - a->lo) * w;
}

static double sy(const struct axis *a, double v, double y0, double h)
{
    return y0 + h - (v - a->lo) / (a->hi - a->lo) * h;
}

/* One small scatter plot of a series field over time, contestants marked. */
static void series_chart(FILE *fp, json_t *series, const char *field, const char *caption,
                         json_t *contestants, double baseline, bool have_baseline)
{
    json_t *ys = json_object_get(series, field), *ts = json_object_get(series, "t_us"),
           *pc = json_object_get(series, "pcap_cnt");
    size_t n = json_array_size(ys);
    if (n == 0 || json_array_size(ts) != n || json_array_size(pc) != n) return;
    const double W = 360, H = 150, X0 = 46, Y0 = 10, PW = 300, PH = 110;
    struct axis ax = {1e300, -1e300}, ay = {1e300, -1e300};
    for (size_t i = 0; i < n; i++) {
        double t = json_number_value(json_array_get(ts, i)) / 1000.0,
               y = json_number_value(json_array_get(ys, i));
        if (t < ax.lo) ax.lo = t;
        if (t > ax.hi) ax.hi = t;
        if (y < ay.lo) ay.lo = y;
        if (y > ay.hi) ay.hi = y;
    }
    if (have_baseline) {
        if (baseline < ay.lo) ay.lo = baseline;
        if (baseline > ay.hi) ay.hi = baseline;
    }
    bool ypos = ay.lo >= 0;
    nice_axis(&ax);
    nice_axis(&ay);
    if (ypos && ay.lo < 0) ay.lo = 0; /* TTLs, IDs and windows are never negative */
    fprintf(fp,
            "<figure><figcaption>%s</figcaption><svg viewBox=\"0 0 %.0f %.0f\" width=\"100%%\" "
            "role=\"img\" aria-label=\"%s over time\">",
            caption, W, H, caption);
    fprintf(fp,
            "<rect x=\"%.0f\" y=\"%.0f\" width=\"%.0f\" height=\"%.0f\" fill=\"#fafbfc\" "
            "stroke=\"#e3e7ed\"/>",
            X0, Y0, PW, PH);
    for (int k = 0; k <= 2; k++) {
        double v = ay.lo + (ay.hi - ay.lo) * k / 2.0, y = sy(&ay, v, Y0, PH);
        fprintf(fp,
                "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#eef1f5\"/>"
                "<text x=\"%.1f\" y=\"%.1f\" font-size=\"10\" text-anchor=\"end\" "
                "fill=\"#6b7480\">%.0f</text>",
                X0, X0 + PW, y, y, X0 - 4, y + 3, v);
        double xv = ax.lo + (ax.hi - ax.lo) * k / 2.0;
        fprintf(fp,
                "<text x=\"%.1f\" y=\"%.1f\" font-size=\"10\" text-anchor=\"%s\" "
                "fill=\"#6b7480\">%.1f ms</text>",
                sx(&ax, xv, X0, PW), Y0 + PH + 13,
                k == 0   ? "start"
                : k == 2 ? "end"
                         : "middle",
                xv);
    }
    if (have_baseline) {
        double y = sy(&ay, baseline, Y0, PH);
        fprintf(fp,
                "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#2e7d32\" "
                "stroke-dasharray=\"4 3\"/><text x=\"%.1f\" y=\"%.1f\" font-size=\"9.5\" "
                "fill=\"#2e7d32\" text-anchor=\"end\">baseline</text>",
                X0, X0 + PW, y, y, X0 + PW - 2, y - 3);
    }
    for (size_t i = 0; i < n; i++) {
        double t = json_number_value(json_array_get(ts, i)) / 1000.0,
               y = json_number_value(json_array_get(ys, i));
        long long cnt = (long long)json_number_value(json_array_get(pc, i));
        const char *verdict = NULL;
        size_t ci;
        json_t *c;
        json_array_foreach(contestants, ci, c) if (jint(c, "pcap_cnt", -1) == cnt) verdict =
            jstr(c, "verdict");
        double cx = sx(&ax, t, X0, PW), cy = sy(&ay, y, Y0, PH);
        if (verdict && strcmp(verdict, "forged") == 0)
            fprintf(fp,
                    "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"6.5\" fill=\"#c62828\" stroke=\"#fff\" "
                    "stroke-width=\"1.5\">",
                    cx, cy);
        else if (verdict && strcmp(verdict, "genuine") == 0)
            fprintf(fp,
                    "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"5.5\" fill=\"#fff\" stroke=\"#2e7d32\" "
                    "stroke-width=\"2.5\">",
                    cx, cy);
        else if (verdict)
            fprintf(fp,
                    "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"5.5\" fill=\"#fff\" stroke=\"#6b7480\" "
                    "stroke-width=\"2.5\">",
                    cx, cy);
        else
            fprintf(
                fp,
                "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3\" fill=\"#1f5fbf\" fill-opacity=\".75\">",
                cx, cy);
        fprintf(fp, "<title>packet %lld: %s %.0f at %.3f ms%s%s</title></circle>", cnt, field, y, t,
                verdict ? " - " : "",
                verdict ? (strcmp(verdict, "forged") == 0    ? "forged"
                           : strcmp(verdict, "genuine") == 0 ? "genuine"
                                                             : "contestant")
                        : "");
    }
    fputs("</svg></figure>", fp);
}

/* ---- rendering: sections ---- */

static void render_finding(FILE *fp, const struct agg *a, const struct finding *fd)
{
    json_t *ev = fd->ev;
    int sev = (int)jint(ev, "alert.severity", 3);
    if (sev < 1 || sev > 3) sev = 3;
    fprintf(fp,
            "<article class=\"finding sv%d\" id=\"f%llu\"><h3><span class=\"sev s%d\">%s</span>",
            sev, (unsigned long long)fd->seq, sev, sev_word(sev));
    esc(fp,
        jstr(ev, "alert.signature") ? jstr(ev, "alert.signature") : "(alert without signature)");
    fputs("</h3><div class=\"fmeta\">", fp);
    endpoint(fp, ev, "src_ip", "src_port");
    fputs(" &rarr; ", fp);
    endpoint(fp, ev, "dest_ip", "dest_port");
    fputs(" &middot; ", fp);
    esc(fp, jstr(ev, "proto"));
    char tb[64];
    fmt_time(tb, sizeof tb, fd->t, true);
    fprintf(fp, " &middot; %s UTC &middot; flow %lld", tb, jint(ev, "flow_id", 0));
    const char *cls = jstr(ev, "tamper.class");
    if (cls) {
        fputs(" &middot; <code>", fp);
        esc(fp, cls);
        fputc('/', fp);
        esc(fp, jstr(ev, "tamper.subtype"));
        fputs("</code>", fp);
    }
    long long conf = jint(ev, "tamper.confidence", -1);
    if (conf >= 0 && conf <= 100)
        fprintf(
            fp,
            " &middot; confidence <span class=\"conf\"><i style=\"width:%lld%%\"></i></span>%lld",
            conf, conf);
    long long count = jint(ev, "tamper.count", 1);
    if (count > 1) fprintf(fp, " &middot; seen %lld times in the flow", count);
    const char *pcap = jstr(ev, "evidence.pcap");
    if (safe_evidence_path(pcap)) {
        fputs(" &middot; evidence <a href=\"", fp);
        esc(fp, a->o->link_base);
        esc(fp, pcap);
        fputs("\">", fp);
        esc(fp, pcap);
        fputs("</a>", fp);
    }
    fputs("</div>", fp);

    json_t *reasons = jpath(ev, "tamper.reasons");
    if (json_array_size(reasons)) {
        fputs("<ul class=\"reasons\">", fp);
        size_t i;
        json_t *r;
        json_array_foreach(reasons, i, r)
        {
            fputs("<li>", fp);
            esc_val(fp, r);
            fputs("</li>", fp);
        }
        fputs("</ul>", fp);
    }

    json_t *cs = jpath(ev, "tamper.contestants");
    json_t *evp = jpath(ev, "evidence.packets");
    if (json_array_size(cs) >= 2) {
        json_t *c0 = json_array_get(cs, 0), *c1 = json_array_get(cs, 1);
        struct side s[2];
        for (int k = 0; k < 2; k++) {
            json_t *c = k ? c1 : c0;
            s[k].n = b64_decode(jstr(c, "payload"), &s[k].b);
            long long base = jint(c, "payload_seq", jint(c, "seq", 0));
            s[k].base = base;
        }
        /* relative bases (sequence numbers wrap at 2^32) */
        int64_t rel = (int32_t)(uint32_t)(s[1].base - s[0].base);
        s[0].base = 0;
        s[1].base = rel;
        /* the first difference, to start both dumps there */
        size_t first = 0;
        bool found = false;
        for (size_t i = 0; i < s[0].n && !found; i++) {
            int64_t j = (int64_t)i - rel;
            if (j >= 0 && (uint64_t)j < s[1].n && s[0].b[i] != s[1].b[j]) {
                first = i;
                found = true;
            }
        }
        size_t from0 = found && first > 32 ? (first - 32) & ~(size_t)15 : 0;
        int64_t f1 = (int64_t)from0 - rel;
        size_t from1 = f1 > 0 && (uint64_t)f1 < s[1].n ? (size_t)f1 : 0;
        if (found && first > 32 && from1 == 0 && s[1].n > 0) {
            int64_t j = (int64_t)first - rel;
            from1 = j > 32 ? (size_t)((j - 32) & ~(int64_t)15) : 0;
        }
        fputs("<div class=\"duel\">", fp);
        for (int k = 0; k < 2; k++) {
            json_t *c = k ? c1 : c0;
            const char *vd = jstr(c, "verdict");
            const char *vclass =
                vd && (strcmp(vd, "forged") == 0 || strcmp(vd, "genuine") == 0) ? vd : "unknown";
            fprintf(fp, "<div class=\"cont %s\"><h4>%s contestant &middot; <span class=\"vd %s\">",
                    vclass, k ? "Second" : "First", vclass);
            esc(fp, vd ? vd : "unknown");
            fputs("</span></h4><table class=\"kv\">", fp);
            fprintf(fp, "<tr><td>packet (run)</td><td class=\"mono\">%lld</td></tr>",
                    jint(c, "pcap_cnt", 0));
            json_t *en = json_array_get(evp, (size_t)k);
            if (json_is_integer(en) && safe_evidence_path(pcap)) {
                fprintf(fp, "<tr><td>packet in evidence</td><td class=\"mono\">#%lld in ",
                        (long long)json_integer_value(en));
                esc(fp, pcap);
                fputs("</td></tr>", fp);
            }
            kv_row(fp, c, "time", "timestamp", NULL);
            kv_row(fp, c, "delay", "delay_ms", NULL);
            kv_row(fp, c, "seq", "seq", NULL);
            kv_row(fp, c, "length", "len", NULL);
            kv_row(fp, c, "TCP flags (hex)", "tcp_flags", NULL);
            kv_row(fp, c, "TTL", "ttl", "ttl");
            kv_row(fp, c, "IP ID", "ip_id", "ip_id");
            kv_row(fp, c, "DF", "df", "df");
            kv_row(fp, c, "window", "window", "window");
            kv_row(fp, c, "TCP options", "tcp_options", "tcp_options");
            kv_row(fp, c, "TS value", "tsval", "ts");
            kv_row(fp, c, "HTTP status", "http_status", NULL);
            kv_row(fp, c, "Location", "http_location", NULL);
            kv_row(fp, c, "DNS rcode", "rcode", NULL);
            kv_row(fp, c, "DNS answers", "dns_answers", NULL);
            fputs("</table>", fp);
            if (json_object_get(c, "payload")) hexdump(fp, &s[k], &s[1 - k], k ? from1 : from0);
            fputs("</div>", fp);
        }
        fputs("</div>", fp);
        if (found)
            fputs(
                "<p class=\"note\">Highlighted: bytes that differ from the other contestant at the "
                "same sequence number; grey: bytes only this contestant carries.</p>",
                fp);
        vg_free(s[0].b);
        vg_free(s[1].b);

        json_t *series = jpath(ev, "tamper.series");
        if (series) {
            double bttl = 0;
            bool hb = false;
            json_t *bt = jpath(ev, "tamper.baseline.ttl");
            if (json_array_size(bt)) {
                bttl = json_number_value(json_array_get(bt, 0));
                hb = true;
            }
            double bwin = 0;
            bool hw = jnum(ev, "tamper.baseline.window", &bwin);
            fputs("<div class=\"plots\">", fp);
            series_chart(fp, series, "ttl", "TTL of the sender's packets", cs, bttl, hb);
            series_chart(fp, series, "ip_id", "IP ID", cs, 0, false);
            series_chart(fp, series, "window", "TCP window (raw)", cs, bwin, hw);
            fputs("</div><div class=\"legend note\"><span><i class=\"dot\" "
                  "style=\"background:#1f5fbf\"></i>"
                  "packet of the sender (evidence file)</span><span><i class=\"dot\" "
                  "style=\"background:#c62828\"></i>forged contestant</span><span><i class=\"dot\" "
                  "style=\"border:2px solid #2e7d32\"></i>genuine contestant</span></div>",
                  fp);
        } else {
            fputs("<p class=\"note\">No per-packet series in this event (run vigil analyze with "
                  "--evidence to plot TTL, IP ID and window over time).</p>",
                  fp);
        }
    } else {
        /* a rule, intel or beacon alert: the fields a responder looks at */
        fputs("<table class=\"kv\">", fp);
        fprintf(fp, "<tr><td>signature id</td><td class=\"mono\">%lld:%lld:%lld</td></tr>",
                jint(ev, "alert.gid", 1), jint(ev, "alert.signature_id", 0),
                jint(ev, "alert.rev", 0));
        const char *cat = jstr(ev, "alert.category");
        if (cat) {
            fputs("<tr><td>category</td><td>", fp);
            esc(fp, cat);
            fputs("</td></tr>", fp);
        }
        static const char *const extra[][2] = {{"ioc.indicator", "indicator"},
                                               {"ioc.type", "indicator type"},
                                               {"ioc.source", "source"},
                                               {"ioc.matched_on", "matched on"},
                                               {"app_proto", "protocol"},
                                               {"http.hostname", "HTTP host"},
                                               {"http.url", "URL"},
                                               {"dns.query.0.rrname", "DNS name"},
                                               {"tls.sni", "TLS SNI"},
                                               {"payload_printable", "payload"}};
        for (size_t i = 0; i < sizeof extra / sizeof extra[0]; i++) {
            json_t *v = jpath(ev, extra[i][0]);
            if (!v || json_is_object(v) || json_is_array(v)) continue;
            fprintf(fp, "<tr><td>%s</td><td class=\"mono\">", extra[i][1]);
            esc_val(fp, v);
            fputs("</td></tr>", fp);
        }
        fputs("</table>", fp);
    }
    fputs("</article>\n", fp);
}

static int finding_cmp(const void *x, const void *y)
{
    const struct finding *a = x, *b = y;
    if (a->score != b->score) return a->score < b->score ? 1 : -1;
    return a->seq < b->seq ? -1 : a->seq > b->seq;
}

static int seq_cmp(const void *x, const void *y)
{
    uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;
    return a < b ? -1 : a > b;
}

static void render_timeline(FILE *fp, const struct agg *a, const uint64_t *shown, size_t n_shown)
{
    fputs("<section id=\"timeline\"><h2>Timeline of findings", fp);
    if (a->tl_dropped)
        fprintf(fp, "<small>the first %zu of %llu findings</small>", a->n_tl,
                (unsigned long long)(a->n_tl + a->tl_dropped));
    fputs("</h2><div class=\"panel\">", fp);
    if (a->n_tl == 0) {
        fputs("<p class=\"note\">No findings to place on a timeline.</p></div></section>", fp);
        return;
    }
    double lo = 1e300, hi = -1e300;
    for (size_t i = 0; i < a->n_tl; i++) {
        if (a->tl[i].t <= 0) continue;
        if (a->tl[i].t < lo) lo = a->tl[i].t;
        if (a->tl[i].t > hi) hi = a->tl[i].t;
    }
    if (a->t_min > 0 && a->t_min < lo) lo = a->t_min;
    if (a->t_max > hi) hi = a->t_max;
    if (!(hi > lo)) {
        lo -= 1;
        hi += 1;
    }
    const double W = 1180, LW = 210, PW = W - LW - 20, RH = 30, TOP = 8;
    double H = TOP + RH * a->n_classes + 34;
    fprintf(fp,
            "<svg viewBox=\"0 0 %.0f %.0f\" width=\"100%%\" role=\"img\" aria-label=\"findings "
            "over time\">",
            W, H);
    for (unsigned c = 0; c < a->n_classes; c++) {
        double y = TOP + RH * c;
        fprintf(fp, "<rect x=\"%.0f\" y=\"%.1f\" width=\"%.0f\" height=\"%.0f\" fill=\"%s\"/>", LW,
                y, PW, RH, c % 2 ? "#fbfcfd" : "#f3f5f8");
        fprintf(
            fp,
            "<text x=\"%.0f\" y=\"%.1f\" font-size=\"12.5\" text-anchor=\"end\" fill=\"#1b1f24\">",
            LW - 10, y + RH / 2 + 4);
        esc(fp, a->classes[c].name);
        fprintf(fp, " (%llu)</text>", (unsigned long long)a->classes[c].count);
    }
    double yb = TOP + RH * a->n_classes;
    fprintf(fp, "<line x1=\"%.0f\" x2=\"%.0f\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#8893a2\"/>", LW,
            LW + PW, yb, yb);
    double span = hi - lo;
    for (int k = 0; k <= 5; k++) {
        double t = lo + span * k / 5, x = LW + PW * k / 5;
        char tb[64];
        if (span < 120) {
            fmt_time(tb, sizeof tb, t, true);
            memmove(tb, tb + 11, strlen(tb + 11) + 1); /* HH:MM:SS.mmm */
        } else if (span < 86400) {
            fmt_time(tb, sizeof tb, t, false);
            memmove(tb, tb + 11, strlen(tb + 11) + 1);
        } else {
            fmt_time(tb, sizeof tb, t, false);
            tb[16] = '\0';
        }
        fprintf(fp,
                "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#8893a2\"/>"
                "<text x=\"%.1f\" y=\"%.1f\" font-size=\"11\" text-anchor=\"%s\" "
                "fill=\"#5b6470\">%s</text>",
                x, x, yb, yb + 4, x, yb + 17,
                k == 0   ? "start"
                : k == 5 ? "end"
                         : "middle",
                tb);
    }
    for (size_t i = 0; i < a->n_tl; i++) {
        const struct tl_point *p = &a->tl[i];
        double x = LW + PW * ((p->t > 0 ? p->t : lo) - lo) / span;
        double y = TOP + RH * p->cls + RH / 2;
        bool linked = bsearch(&p->seq, shown, n_shown, sizeof *shown, seq_cmp) != NULL;
        if (linked) fprintf(fp, "<a href=\"#f%llu\">", (unsigned long long)p->seq);
        fprintf(fp,
                "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"%s\" fill=\"%s\" fill-opacity=\".85\" "
                "stroke=\"#fff\">"
                "<title>",
                x, y, p->sev == 1 ? "7" : "6", sev_color(p->sev));
        char tb[64];
        fmt_time(tb, sizeof tb, p->t, true);
        fprintf(fp, "%s UTC, severity %d%s</title></circle>", tb, p->sev,
                linked ? " (click for details)" : "");
        if (linked) fputs("</a>", fp);
    }
    char a1[64], a2[64];
    fmt_time(a1, sizeof a1, lo, true);
    fmt_time(a2, sizeof a2, hi, true);
    fprintf(fp,
            "</svg><div class=\"legend note\"><span><i class=\"dot\" "
            "style=\"background:#c62828\"></i>high"
            "</span><span><i class=\"dot\" style=\"background:#e07b00\"></i>medium</span><span><i "
            "class=\"dot\" style=\"background:#b59b00\"></i>low</span><span>%s &ndash; %s UTC; "
            "each mark links to its finding below</span></div></div></section>\n",
            a1, a2);
}

static void render_beacons(FILE *fp, const struct agg *a)
{
    if (a->n_beacons == 0) return;
    fprintf(fp,
            "<section id=\"beacons\"><h2>Beacons<small>%llu beacon finding(s)</small></h2><div "
            "class=\"cols\">",
            (unsigned long long)a->beacons_total);
    for (unsigned b = 0; b < a->n_beacons; b++) {
        json_t *ev = a->beacons[b];
        fputs("<div class=\"panel\"><h3>", fp);
        endpoint(fp, ev, "src_ip", "src_port");
        fputs(" &rarr; ", fp);
        endpoint(fp, ev, "dest_ip", "dest_port");
        fputs("</h3><p class=\"note\">", fp);
        double period = 0, jitter = 0, score = 0;
        jnum(ev, "beacon.period_s", &period);
        jnum(ev, "beacon.jitter_pct", &jitter);
        jnum(ev, "beacon.score", &score);
        fprintf(fp, "period %.1f s &plusmn; %.1f%% &middot; %lld connections &middot; score %.2f",
                period, jitter, jint(ev, "beacon.connections", 0), score);
        const char *sn = jstr(ev, "beacon.server_name");
        if (sn) {
            fputs(" &middot; ", fp);
            esc(fp, sn);
        }
        fputs("</p>", fp);
        /* histogram of the intervals, when the alert carries them (beacon.intervals, seconds) */
        json_t *iv = jpath(ev, "beacon.intervals");
        size_t n = json_array_size(iv);
        enum { BINS = 24 };
        double cnt[BINS] = {0}, lo = 1e300, hi = -1e300;
        for (size_t i = 0; i < n; i++) {
            double v = json_number_value(json_array_get(iv, i));
            if (v < lo) lo = v;
            if (v > hi) hi = v;
        }
        if (n >= 2) {
            if (!(hi > lo)) {
                lo -= 0.5;
                hi += 0.5;
            }
            double mx = 0;
            for (size_t i = 0; i < n; i++) {
                int k = (int)((json_number_value(json_array_get(iv, i)) - lo) / (hi - lo) * BINS);
                if (k >= BINS) k = BINS - 1;
                if (k < 0) k = 0;
                if (++cnt[k] > mx) mx = cnt[k];
            }
            fputs("<svg viewBox=\"0 0 520 150\" width=\"100%\" role=\"img\" aria-label=\"interval "
                  "histogram\">",
                  fp);
            for (int k = 0; k < BINS; k++) {
                double h = cnt[k] / mx * 110;
                fprintf(fp,
                        "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" "
                        "fill=\"#1f5fbf\"><title>%.1f-%.1f s: %.0f</title></rect>",
                        20 + k * 20.0, 120 - h, 18.0, h, lo + (hi - lo) * k / BINS,
                        lo + (hi - lo) * (k + 1) / BINS, cnt[k]);
            }
            fprintf(fp,
                    "<line x1=\"20\" x2=\"500\" y1=\"120\" y2=\"120\" stroke=\"#8893a2\"/>"
                    "<text x=\"20\" y=\"136\" font-size=\"11\" fill=\"#5b6470\">%.1f s</text>"
                    "<text x=\"500\" y=\"136\" font-size=\"11\" text-anchor=\"end\" "
                    "fill=\"#5b6470\">%.1f s</text>"
                    "<text x=\"260\" y=\"148\" font-size=\"11\" text-anchor=\"middle\" "
                    "fill=\"#5b6470\">"
                    "interval between connections</text></svg>",
                    lo, hi);
        } else {
            /* no intervals in the event: the score components */
            static const char *const comp[] = {"interval", "size", "duration", "histogram"};
            fputs("<table>", fp);
            for (int k = 0; k < 4; k++) {
                char path[48];
                snprintf(path, sizeof path, "beacon.scores.%s", comp[k]);
                double v = 0;
                if (!jnum(ev, path, &v)) continue;
                if (v < 0) v = 0;
                if (v > 1) v = 1;
                fprintf(fp,
                        "<tr><td>%s score</td><td class=\"n\">%.2f</td><td><span class=\"bar\" "
                        "style=\"width:%.0fpx\"></span></td></tr>",
                        comp[k], v, v * 200);
            }
            fputs("</table><p class=\"note\">The alert carries no interval list "
                  "(beacon.intervals); the score components are shown.</p>",
                  fp);
        }
        fputs("</div>", fp);
    }
    fputs("</div></section>\n", fp);
}

static void render_tables(FILE *fp, const struct agg *a)
{
    struct ss_ent *top[TOP_N];
    char nb[32], bb[32];
    fputs("<section id=\"talkers-alerts\" class=\"cols\"><div class=\"panel\" "
          "id=\"talkers\"><h3>Top talkers "
          "<small class=\"note\">bytes in flows, both directions</small></h3>",
          fp);
    size_t n = ss_top(&a->talkers, top, TOP_N);
    if (n == 0)
        fputs("<p class=\"note\">No flow events.</p>", fp);
    else {
        fputs("<table><tr><th>address</th><th class=\"n\">flows</th><th "
              "class=\"n\">bytes</th><th></th></tr>",
              fp);
        double mx = (double)top[0]->count;
        for (size_t i = 0; i < n; i++) {
            fmt_num(nb, sizeof nb, top[i]->count2);
            fmt_bytes(bb, sizeof bb, (double)top[i]->count);
            fputs("<tr><td class=\"mono\">", fp);
            esc(fp, top[i]->key);
            fprintf(fp,
                    "</td><td class=\"n\">%s</td><td class=\"n\">%s</td><td><span class=\"bar\" "
                    "style=\"width:%.0fpx\"></span></td></tr>",
                    nb, bb, mx > 0 ? 4 + 110.0 * (double)top[i]->count / mx : 4);
        }
        fputs("</table>", fp);
        if (a->talkers.approx)
            fputs("<p class=\"note\">More addresses than the table holds: counts are upper bounds "
                  "(Space-Saving).</p>",
                  fp);
    }
    fputs("</div><div class=\"panel\" id=\"alerts\"><h3>Top alerts</h3>", fp);
    n = ss_top(&a->alerts, top, TOP_N);
    if (n == 0)
        fputs("<p class=\"note\">No alerts.</p>", fp);
    else {
        fputs(
            "<table><tr><th>signature</th><th class=\"n\">sid</th><th class=\"n\">count</th></tr>",
            fp);
        for (size_t i = 0; i < n; i++) {
            int sev = top[i]->sev >= 1 && top[i]->sev <= 3 ? top[i]->sev : 3;
            fmt_num(nb, sizeof nb, top[i]->count);
            fprintf(fp, "<tr><td><span class=\"sev s%d\">%d</span>", sev, sev);
            esc(fp, top[i]->label);
            fprintf(fp, "</td><td class=\"n mono\">%lld</td><td class=\"n\">%s</td></tr>",
                    top[i]->sid, nb);
        }
        fputs("</table>", fp);
    }
    fputs("</div></section>\n", fp);
}

static int named_cmp(const void *x, const void *y)
{
    const struct named_count *a = x, *b = y;
    if (a->count != b->count) return a->count < b->count ? 1 : -1;
    return strcmp(a->name, b->name);
}

static void render(FILE *fp, struct agg *a, const char *const *eve_paths, size_t n_eve)
{
    const struct report_options *o = a->o;
    char b1[64], b2[64], b3[64];
    fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
          "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">"
          "<meta name=\"generator\" content=\"vigil " VIGIL_VERSION "\"><title>",
          fp);
    esc(fp, o->title);
    fputs("</title><style>", fp);
    fputs(report_css, fp);
    fputs("</style></head><body><header class=\"top\"><h1>", fp);
    esc(fp, o->title);
    fputs(" <span>&middot; network evidence</span></h1><div class=\"meta\">", fp);
    if (o->n_captures) {
        fputs("capture: ", fp);
        for (size_t i = 0; i < o->n_captures && i < 8; i++) {
            if (i) fputs(", ", fp);
            const char *c = o->captures[i], *sl = strrchr(c, '/');
            esc(fp, sl ? sl + 1 : c);
        }
        if (o->n_captures > 8) fprintf(fp, " and %zu more", o->n_captures - 8);
        fputs(" &middot; ", fp);
    }
    fputs("EVE: ", fp);
    for (size_t i = 0; i < n_eve && i < 4; i++) {
        if (i) fputs(", ", fp);
        const char *sl = strrchr(eve_paths[i], '/');
        esc(fp, sl ? sl + 1 : eve_paths[i]);
    }
    if (n_eve > 4) fprintf(fp, " and %zu more", n_eve - 4);
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(b1, sizeof b1, "%Y-%m-%d %H:%M UTC", &tm);
    fprintf(fp, " &middot; generated %s by vigil %s</div></header><main>\n", b1, VIGIL_VERSION);

    /* verdict first: what a responder needs to know in one line */
    qsort(a->kept, a->n_kept, sizeof a->kept[0], finding_cmp);
    /* (classes are sorted by count already: remap_classes) */
    int vs = a->findings ? a->worst_sev : 0;
    fprintf(fp,
            "<section id=\"verdict\"><div class=\"verdict "
            "v%d\"><div><b>%llu</b><br>finding%s</div><div>",
            vs, (unsigned long long)a->findings, a->findings == 1 ? "" : "s");
    if (a->findings == 0) {
        fputs("No findings: no tampering, beacon, indicator or rule alert in this input.", fp);
    } else {
        fprintf(fp, "Worst severity: <strong>%s</strong>. By class:<ul>", sev_word(vs));
        for (unsigned i = 0; i < a->n_classes && i < 6; i++) {
            fmt_num(b1, sizeof b1, a->classes[i].count);
            fputs("<li>", fp);
            esc(fp, a->classes[i].name);
            fprintf(fp, ": %s</li>", b1);
        }
        fputs("</ul>", fp);
    }
    fputs("</div>", fp);
    if (a->n_kept) { /* the most severe finding, in one line */
        json_t *ev = a->kept[0].ev;
        fputs("<div style=\"margin-left:auto;max-width:55%\">Most severe: <a style=\"color:#fff\" "
              "href=\"#f",
              fp);
        fprintf(fp, "%llu\">", (unsigned long long)a->kept[0].seq);
        esc(fp, jstr(ev, "alert.signature"));
        fputs("</a><br>", fp);
        endpoint(fp, ev, "src_ip", "src_port");
        fputs(" &rarr; ", fp);
        endpoint(fp, ev, "dest_ip", "dest_port");
        json_t *cs = jpath(ev, "tamper.contestants");
        size_t i;
        json_t *c;
        json_array_foreach(cs, i, c)
        {
            const char *vd = jstr(c, "verdict");
            if (vd && strcmp(vd, "forged") == 0)
                fprintf(fp, " &middot; forged packet %lld", jint(c, "pcap_cnt", 0));
        }
        fputs("</div>", fp);
    }
    fputs("</div></section>\n", fp);

    /* summary */
    fputs("<section id=\"summary\"><h2>Summary</h2><div class=\"cards\">", fp);
    fmt_time(b1, sizeof b1, a->t_min, false);
    fmt_time(b2, sizeof b2, a->t_max, false);
    double span = a->t_max > a->t_min ? a->t_max - a->t_min : 0;
    if (span >= 86400)
        snprintf(b3, sizeof b3, "%.1f days", span / 86400);
    else if (span >= 3600)
        snprintf(b3, sizeof b3, "%.1f hours", span / 3600);
    else if (span >= 60)
        snprintf(b3, sizeof b3, "%.1f minutes", span / 60);
    else
        snprintf(b3, sizeof b3, "%.3f s", span);
    fprintf(fp,
            "<div class=\"card\"><div class=\"k\">Time span</div><div class=\"v\">%s</div><div "
            "class=\"s\">%s"
            "<br>%s UTC</div></div>",
            b3, b1, b2);
    fmt_num(b1, sizeof b1, a->have_stats ? (uint64_t)a->stats_pkts : a->flow_pkts);
    fmt_bytes(b2, sizeof b2, a->have_stats ? a->stats_bytes : (double)a->flow_bytes);
    fprintf(fp,
            "<div class=\"card\"><div class=\"k\">Packets</div><div class=\"v\">%s</div><div "
            "class=\"s\">%s%s</div></div>",
            b1, b2, a->have_stats ? "" : " (in flows; no stats event)");
    fmt_num(b1, sizeof b1, a->flows);
    fprintf(fp,
            "<div class=\"card\"><div class=\"k\">Flows</div><div class=\"v\">%s</div><div "
            "class=\"s\">TCP %llu &middot; "
            "UDP %llu &middot; other %llu</div></div>",
            b1, (unsigned long long)a->flows_tcp, (unsigned long long)a->flows_udp,
            (unsigned long long)a->flows_other);
    fmt_num(b1, sizeof b1, a->events);
    fprintf(fp,
            "<div class=\"card\"><div class=\"k\">Events</div><div class=\"v\">%s</div><div "
            "class=\"s\">%u type(s)%s</div></div>",
            b1, a->n_types, a->bad_lines ? ", some lines unreadable" : "");
    fmt_num(b1, sizeof b1, a->findings);
    fprintf(fp,
            "<div class=\"card\"><div class=\"k\">Findings</div><div class=\"v\" "
            "style=\"color:%s\">%s</div>"
            "<div class=\"s\">%u class(es)</div></div></div>",
            a->findings ? sev_color(vs) : "#2e7d32", b1, a->n_classes);
    fputs("<div class=\"cols\"><div class=\"panel\"><h3>Events by type</h3><table>", fp);
    qsort(a->types, a->n_types, sizeof a->types[0], named_cmp);
    uint64_t tmax = a->n_types ? a->types[0].count : 1;
    for (unsigned i = 0; i < a->n_types; i++) {
        fmt_num(b1, sizeof b1, a->types[i].count);
        fputs("<tr><td class=\"mono\">", fp);
        esc(fp, a->types[i].name);
        fprintf(fp,
                "</td><td class=\"n\">%s</td><td><span class=\"bar\" "
                "style=\"width:%.0fpx\"></span></td></tr>",
                b1, 4 + 150.0 * (double)a->types[i].count / (double)tmax);
    }
    fputs("</table></div><div class=\"panel\"><h3>Findings by class</h3>", fp);
    if (a->n_classes == 0)
        fputs("<p class=\"note\">None.</p>", fp);
    else {
        fputs("<table><tr><th>class</th><th>worst</th><th class=\"n\">count</th></tr>", fp);
        for (unsigned i = 0; i < a->n_classes; i++) {
            int sev = a->classes[i].sev >= 1 && a->classes[i].sev <= 3 ? a->classes[i].sev : 3;
            fmt_num(b1, sizeof b1, a->classes[i].count);
            fputs("<tr><td class=\"mono\">", fp);
            esc(fp, a->classes[i].name);
            fprintf(fp,
                    "</td><td><span class=\"sev s%d\">%s</span></td><td class=\"n\">%s</td></tr>",
                    sev, sev_word(sev), b1);
        }
        fputs("</table>", fp);
    }
    if (a->bad_lines)
        fprintf(fp,
                "<p class=\"note\">%llu line(s) of the input were not JSON objects and were "
                "skipped.</p>",
                (unsigned long long)a->bad_lines);
    fputs("</div></div></section>\n", fp);

    /* findings drawn in full, most severe first (sorted above) */
    uint64_t *shown = vg_malloc((a->n_kept + 1) * sizeof *shown);
    for (size_t i = 0; shown && i < a->n_kept; i++)
        shown[i] = a->kept[i].seq;
    if (shown) qsort(shown, a->n_kept, sizeof *shown, seq_cmp);
    render_timeline(fp, a, shown ? shown : (uint64_t[]){0}, shown ? a->n_kept : 0);
    vg_free(shown);

    fputs("<section id=\"findings\"><h2>Findings", fp);
    if (a->findings > a->n_kept)
        fprintf(fp,
                "<small>the %zu most severe of %llu; %llu left out (every finding is an alert in "
                "the EVE file)</small>",
                a->n_kept, (unsigned long long)a->findings,
                (unsigned long long)(a->findings - a->n_kept));
    else if (a->findings)
        fputs("<small>most severe first</small>", fp);
    fputs("</h2>\n", fp);
    if (a->n_kept == 0) fputs("<p class=\"note\">None.</p>", fp);
    for (size_t i = 0; i < a->n_kept; i++)
        render_finding(fp, a, &a->kept[i]);
    fputs("</section>\n", fp);

    render_beacons(fp, a);
    render_tables(fp, a);
    fputs(
        "</main><footer>vigil report &middot; self-contained page: no scripts, fonts or images are "
        "loaded &middot; every value shown was read from the EVE file and "
        "escaped</footer></body></html>\n",
        fp);
}

/* Class numbers of timeline points were assigned before the classes were sorted: remap. */
static void remap_classes(struct agg *a)
{
    struct named_count before[MAX_CLASSES];
    memcpy(before, a->classes, sizeof before);
    qsort(a->classes, a->n_classes, sizeof a->classes[0], named_cmp);
    uint8_t map[MAX_CLASSES];
    for (unsigned i = 0; i < a->n_classes; i++)
        for (unsigned j = 0; j < a->n_classes; j++)
            if (strcmp(before[i].name, a->classes[j].name) == 0) map[i] = (uint8_t)j;
    for (size_t i = 0; i < a->n_tl; i++)
        a->tl[i].cls = map[a->tl[i].cls];
}

int report_write_fp(const char *const *eve_paths, size_t n, FILE *out,
                    const struct report_options *o, char *errbuf, size_t errlen)
{
    struct report_options def;
    if (!o) {
        report_options_default(&def);
        o = &def;
    }
    struct agg *a = vg_calloc(1, sizeof *a);
    if (!a) {
        snprintf(errbuf, errlen, "out of memory");
        return -1;
    }
    a->o = o;
    a->worst_sev = 9;
    a->kept = vg_calloc(o->max_findings + 1, sizeof *a->kept);
    a->tl = vg_calloc(o->max_timeline + 1, sizeof *a->tl);
    int rc = 0;
    if (!a->kept || !a->tl || !ss_init(&a->talkers, TALKERS_CAP) ||
        !ss_init(&a->alerts, ALERTS_CAP)) {
        snprintf(errbuf, errlen, "out of memory");
        rc = -1;
    }
    for (size_t i = 0; rc == 0 && i < n; i++)
        rc = read_file(a, eve_paths[i], errbuf, errlen);
    if (rc == 0) {
        remap_classes(a);
        render(out, a, eve_paths, n);
        if (fflush(out) != 0 || ferror(out)) {
            snprintf(errbuf, errlen, "write error: %s", strerror(errno));
            rc = -1;
        }
    }
    for (size_t i = 0; i < a->n_kept; i++)
        json_decref(a->kept[i].ev);
    for (unsigned i = 0; i < a->n_beacons; i++)
        json_decref(a->beacons[i]);
    if (a->stats) json_decref(a->stats);
    ss_fini(&a->talkers);
    ss_fini(&a->alerts);
    vg_free(a->kept);
    vg_free(a->tl);
    vg_free(a);
    return rc;
}

int report_write(const char *const *eve_paths, size_t n, const char *html_path,
                 const struct report_options *o, char *errbuf, size_t errlen)
{
    /* written to a temporary name and renamed: a reader never sees half a page */
    char tmp[4400];
    snprintf(tmp, sizeof tmp, "%s.tmp", html_path);
    FILE *fp = fopen(tmp, "w");
    if (!fp) {
        snprintf(errbuf, errlen, "%s: %s", tmp, strerror(errno));
        return -1;
    }
    int rc = report_write_fp(eve_paths, n, fp, o, errbuf, errlen);
    if (fclose(fp) != 0 && rc == 0) {
        snprintf(errbuf, errlen, "%s: %s", tmp, strerror(errno));
        rc = -1;
    }
    if (rc == 0 && rename(tmp, html_path) != 0) {
        snprintf(errbuf, errlen, "%s: %s", html_path, strerror(errno));
        rc = -1;
    }
    if (rc != 0) remove(tmp);
    return rc;
}
