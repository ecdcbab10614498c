/* hunt.c - `vigil hunt --ioc FILE [--format json|table] EVE.json...`: retro-hunting. Streams past
 * EVE logs (plain or gzip, told apart by the gzip magic 1f 8b) and reports every event whose
 * fields match an indicator:
 *   flow, dns, http, tls and alert events: src_ip, dest_ip;
 *   dns: rrname (queries, answers, v2 records) and rdata / grouped answers (addresses and names);
 *   http: hostname, and hostname + url for URL indicators;
 *   tls: sni, ja3.hash, ja4, fingerprint (the certificate's SHA-1).
 * Output (stdout): one JSON object per match (timestamp, flow_id, event_type, indicator, type,
 * source, matched_on, value, file, line), or an aligned table with --format table. A summary goes
 * to stderr. Exit: 0 ok (matches or not), 1 output error, 2 usage error, 3 no input readable.
 *
 * Why a purpose-made scanner and not a JSON library: a library builds a tree per line (one
 * allocation per value) and then we would walk it; an EVE line is a flat, machine-written object
 * of which we need a dozen string values. The scanner below walks each line once, left to right:
 * it skips string bodies with memchr (SIMD in glibc), tracks only the container depth, whether the
 * next string is a key, the top-level key (the section: "dns", "http", "tls") and the key of the
 * enclosing container, and hands the few interesting string values (pointers into the read
 * buffer, no copy unless they hold escapes) to the indicator set. A line whose event_type is not
 * one of the five is abandoned as soon as event_type is read. Malformed lines are counted and
 * skipped, never fatal.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "cli/cli.h"
#include "core/vg_alloc.h"
#include "core/vg_status.h"
#include "intel/intel.h"
#include "output/json_writer.h"

#define HUNT_BUF (4u << 20)       /* read size */
#define HUNT_LINE_MAX (64u << 20) /* longer lines are skipped */
#define HUNT_DEPTH 32
#define HUNT_CANDS 64

static void hunt_usage(FILE *out)
{
    fputs("usage: vigil hunt --ioc FILE [options] EVE.json...\n"
          "\n"
          "Searches past EVE logs (plain or gzip; '-' reads stdin) for indicators: src_ip and\n"
          "dest_ip of flow, dns, http, tls and alert events, DNS names and answers, HTTP host and\n"
          "URL, TLS SNI, JA3, JA4 and certificate SHA-1. Prints every match.\n"
          "\n"
          "options:\n"
          "      --ioc FILE       indicators (repeatable): plain list, CSV or STIX 2.1\n"
          "      --format FMT     json (one object per match, default) or table\n"
          "  -q, --quiet          no summary on stderr\n"
          "  -h, --help           this help\n"
          "\n"
          "Exit codes: 0 ok, 1 output error, 2 usage error, 3 no input could be read.\n",
          out);
}

/* ---- one line ---- */

enum cand_kind { C_ADDR, C_DOMAIN, C_ADDR_OR_NAME, C_JA3, C_JA4, C_SHA1 };

struct cand {
    const char *v;
    size_t n;
    uint8_t kind;
    const char *where;
};

struct line_info {
    const char *ts, *et;
    size_t ts_n, et_n;
    uint64_t flow_id;
    bool has_flow_id;
    const char *host, *url;
    size_t host_n, url_n;
    struct cand c[HUNT_CANDS];
    unsigned nc;
};

struct hunt {
    const struct ioc_set *set;
    bool table;
    bool want_addr, want_name, want_url, want_ja3, want_ja4, want_sha1;
    FILE *out;
    struct jw jw;
    char *scratch; /* unescaped strings of the current line */
    size_t scratch_len, scratch_cap;
    uint64_t bytes, lines, events, matches, malformed, long_lines;
    bool header_done;
};

static bool want_event(const char *et, size_t n)
{
    switch (n) {
    case 3:
        return memcmp(et, "dns", 3) == 0 || memcmp(et, "tls", 3) == 0;
    case 4:
        return memcmp(et, "flow", 4) == 0 || memcmp(et, "http", 4) == 0;
    case 5:
        return memcmp(et, "alert", 5) == 0;
    }
    return false;
}

static inline bool key_is(const char *k, size_t n, const char *lit, size_t ln)
{
    return n == ln && memcmp(k, lit, ln) == 0;
}
#define KEY(k, n, lit) key_is(k, n, lit, sizeof(lit) - 1)

/* Unescapes a JSON string body (escapes present) into the line scratch; ASCII results only
 * (\uXXXX above 0x7f becomes '?', which no indicator holds). */
static const char *unescape(struct hunt *h, const char *s, size_t n, size_t *out_n)
{
    if (!h->scratch || h->scratch_len + n + 1 > h->scratch_cap) return NULL; /* skip the value */
    char *o = h->scratch + h->scratch_len, *start = o;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c != '\\' || i + 1 >= n) {
            *o++ = c;
            continue;
        }
        c = s[++i];
        switch (c) {
        case 'b':
            *o++ = '\b';
            break;
        case 'f':
            *o++ = '\f';
            break;
        case 'n':
            *o++ = '\n';
            break;
        case 'r':
            *o++ = '\r';
            break;
        case 't':
            *o++ = '\t';
            break;
        case 'u': {
            unsigned v = 0;
            size_t k;
            for (k = 0; k < 4 && i + 1 + k < n; k++) {
                char d = s[i + 1 + k];
                v = v * 16 + (unsigned)(d >= '0' && d <= '9'   ? d - '0'
                                        : d >= 'a' && d <= 'f' ? d - 'a' + 10
                                        : d >= 'A' && d <= 'F' ? d - 'A' + 10
                                                               : 0);
            }
            i += k;
            *o++ = v < 0x80 ? (char)v : '?';
            break;
        }
        default:
            *o++ = c;
            break; /* \" \\ \/ */
        }
    }
    *out_n = (size_t)(o - start);
    h->scratch_len += *out_n;
    return start;
}

static void add_cand(struct line_info *li, const char *v, size_t n, int kind, const char *where)
{
    if (li->nc < HUNT_CANDS) li->c[li->nc++] = (struct cand){v, n, (uint8_t)kind, where};
}

/* Decides what a string value at this position is. depth: 1 = member of the top object. */
static void on_value(struct hunt *h, struct line_info *li, int depth, const char *sect,
                     size_t sect_n, const char *parent, size_t parent_n, const char *key,
                     size_t key_n, const char *v, size_t n)
{
    if (depth == 1) {
        if (!key) return;
        if (KEY(key, key_n, "src_ip")) {
            if (h->want_addr) add_cand(li, v, n, C_ADDR, "src_ip");
        } else if (KEY(key, key_n, "dest_ip")) {
            if (h->want_addr) add_cand(li, v, n, C_ADDR, "dest_ip");
        } else if (KEY(key, key_n, "timestamp")) {
            li->ts = v;
            li->ts_n = n;
        } else if (KEY(key, key_n, "event_type")) {
            li->et = v;
            li->et_n = n;
        }
        return;
    }
    if (!sect) return;
    if (KEY(sect, sect_n, "dns")) {
        if (key && KEY(key, key_n, "rrname")) {
            if (h->want_name) add_cand(li, v, n, C_DOMAIN, "dns.rrname");
        } else if (key && KEY(key, key_n, "rdata")) {
            add_cand(li, v, n, C_ADDR_OR_NAME, "dns.rdata");
        } else if (!key && parent && depth >= 3) { /* "grouped": {"A": ["1.2.3.4"], ...} */
            if (KEY(parent, parent_n, "A") || KEY(parent, parent_n, "AAAA"))
                add_cand(li, v, n, C_ADDR, "dns.rdata");
            else if (KEY(parent, parent_n, "CNAME") || KEY(parent, parent_n, "DNAME") ||
                     KEY(parent, parent_n, "NS") || KEY(parent, parent_n, "PTR"))
                add_cand(li, v, n, C_DOMAIN, "dns.rdata");
        }
        return;
    }
    if (!key) return;
    if (KEY(sect, sect_n, "http") && depth == 2) {
        if (KEY(key, key_n, "hostname")) {
            li->host = v;
            li->host_n = n;
            if (h->want_name) add_cand(li, v, n, C_DOMAIN, "http.hostname");
        } else if (KEY(key, key_n, "url")) {
            li->url = v;
            li->url_n = n;
        }
        return;
    }
    if (KEY(sect, sect_n, "tls")) {
        if (depth == 2) {
            if (KEY(key, key_n, "sni")) {
                if (h->want_name) add_cand(li, v, n, C_DOMAIN, "tls.sni");
            } else if (KEY(key, key_n, "ja4")) {
                if (h->want_ja4) add_cand(li, v, n, C_JA4, "tls.ja4");
            } else if (KEY(key, key_n, "fingerprint")) {
                if (h->want_sha1) add_cand(li, v, n, C_SHA1, "tls.fingerprint");
            }
        } else if (depth == 3 && parent && KEY(parent, parent_n, "ja3") &&
                   KEY(key, key_n, "hash")) {
            if (h->want_ja3) add_cand(li, v, n, C_JA3, "tls.ja3.hash");
        }
    }
}

/* Scans one line (no newline). Returns false when the line is not a JSON object we could walk. */
static bool scan_line(struct hunt *h, const char *p, const char *end, struct line_info *li)
{
    struct {
        const char *key; /* key of this container in its parent (NULL in arrays, top) */
        size_t key_n;
        bool obj;
    } st[HUNT_DEPTH];
    int depth = 0; /* containers open */
    bool expect_key = false;
    const char *key = NULL; /* the current member's key */
    size_t key_n = 0;
    const char *sect = NULL;
    size_t sect_n = 0;
    while (p < end && (*p == ' ' || *p == '\t' || *p == '\r'))
        p++;
    if (p >= end || *p != '{') return false;
    while (p < end) {
        char c = *p;
        switch (c) {
        case '"': {
            const char *s = ++p;
            bool esc = false;
            for (;;) {
                const char *q = memchr(p, '"', (size_t)(end - p));
                if (!q) return false;
                /* an escaped quote has an odd run of backslashes before it */
                const char *b = q;
                while (b > s && b[-1] == '\\')
                    b--;
                if ((q - b) % 2 == 0) {
                    esc = esc || memchr(s, '\\', (size_t)(q - s)) != NULL;
                    p = q + 1;
                    break;
                }
                esc = true;
                p = q + 1;
            }
            const char *v = s;
            size_t n = (size_t)(p - 1 - s);
            if (expect_key) {
                key = v; /* keys are plain ASCII in EVE: no unescaping */
                key_n = n;
                expect_key = false;
                if (depth == 1) {
                    sect = key;
                    sect_n = key_n;
                }
                break;
            }
            bool in_obj = depth > 0 && st[depth - 1].obj;
            const char *k = in_obj ? key : NULL;
            size_t kn = in_obj ? key_n : 0;
            const char *parent = st[depth - 1].key;
            size_t parent_n = st[depth - 1].key_n;
            if (esc) {
                v = unescape(h, s, n, &n);
                if (!v) break;
            }
            const char *sct = depth >= 2 ? sect : NULL;
            on_value(h, li, depth, sct, sect_n, parent, parent_n, k, kn, v, n);
            if (depth == 1 && li->et && v == li->et && !want_event(li->et, li->et_n))
                return true; /* not an event type we look at: stop here */
            break;
        }
        case '{':
        case '[': {
            if (depth >= HUNT_DEPTH) return false;
            bool in_obj = depth > 0 && st[depth - 1].obj;
            /* a container in an array inherits the array's key: dns.answers[i].rrname */
            st[depth].key = in_obj ? key : (depth > 0 ? st[depth - 1].key : NULL);
            st[depth].key_n = in_obj ? key_n : (depth > 0 ? st[depth - 1].key_n : 0);
            st[depth].obj = c == '{';
            depth++;
            expect_key = c == '{';
            p++;
            break;
        }
        case '}':
        case ']':
            if (depth == 0) return false;
            depth--;
            p++;
            if (depth == 0) return true;
            expect_key = false;
            break;
        case ',':
            expect_key = depth > 0 && st[depth - 1].obj;
            p++;
            break;
        case ':':
            p++;
            break;
        default:
            if (depth == 1 && !expect_key && key && KEY(key, key_n, "flow_id") && c >= '0' &&
                c <= '9') {
                uint64_t x = 0;
                while (p < end && *p >= '0' && *p <= '9')
                    x = x * 10 + (uint64_t)(*p++ - '0');
                li->flow_id = x;
                li->has_flow_id = true;
                break;
            }
            p++; /* numbers, literals, whitespace */
            break;
        }
    }
    return depth == 0;
}

/* ---- matching and output ---- */

struct match {
    uint32_t id;
    const char *where;
};

static void put_table_row(struct hunt *h, const struct line_info *li, uint32_t id,
                          const char *where, const char *v, size_t n, const char *src)
{
    if (!h->header_done) {
        fprintf(h->out, "%-32s %-6s %-17s %-16s %-40s %-10s %s\n", "timestamp", "event", "flow_id",
                "matched_on", "value", "type", "indicator (source)");
        h->header_done = true;
    }
    char fid[24] = "-";
    if (li->has_flow_id) snprintf(fid, sizeof fid, "%llu", (unsigned long long)li->flow_id);
    fprintf(h->out, "%-32.*s %-6.*s %-17s %-16s %-40.*s %-10s %s (%s)\n", (int)li->ts_n,
            li->ts ? li->ts : "", (int)li->et_n, li->et ? li->et : "", fid, where, (int)n, v,
            ioc_type_name(ioc_entry_type(h->set, id)), ioc_entry_text(h->set, id), src);
}

static void report(struct hunt *h, const struct line_info *li, struct match *seen, unsigned *nseen,
                   uint32_t id, const char *where, const char *v, size_t n, const char *file,
                   uint64_t lineno)
{
    if (id == IOC_NONE) return;
    for (unsigned i = 0; i < *nseen; i++)
        if (seen[i].id == id && strcmp(seen[i].where, where) == 0) return;
    if (*nseen < HUNT_CANDS) seen[(*nseen)++] = (struct match){id, where};
    h->matches++;
    char src[300];
    ioc_entry_source(h->set, id, src, sizeof src);
    if (h->table) {
        put_table_row(h, li, id, where, v, n, src);
        return;
    }
    struct jw *w = &h->jw;
    jw_reset(w);
    jw_obj_open(w, NULL);
    if (li->ts) jw_strn(w, "timestamp", li->ts, li->ts_n);
    if (li->has_flow_id) jw_uint(w, "flow_id", li->flow_id);
    if (li->et) jw_strn(w, "event_type", li->et, li->et_n);
    jw_str(w, "indicator", ioc_entry_text(h->set, id));
    jw_str(w, "type", ioc_type_name(ioc_entry_type(h->set, id)));
    jw_str(w, "source", src);
    jw_str(w, "matched_on", where);
    jw_strn(w, "value", v, n);
    jw_str(w, "file", file);
    jw_uint(w, "line", lineno);
    jw_obj_close(w);
    if (!w->oom) {
        fwrite(w->buf, 1, w->len, h->out);
        fputc('\n', h->out);
    }
}

static void match_line(struct hunt *h, const struct line_info *li, const char *file,
                       uint64_t lineno)
{
    struct match seen[HUNT_CANDS];
    unsigned nseen = 0;
    const struct ioc_set *s = h->set;
    for (unsigned i = 0; i < li->nc; i++) {
        const struct cand *c = &li->c[i];
        uint32_t id = IOC_NONE;
        switch (c->kind) {
        case C_ADDR:
            id = ioc_match_addr_text(s, c->v, c->n);
            break;
        case C_DOMAIN:
            id = ioc_match_domain(s, c->v, c->n);
            break;
        case C_ADDR_OR_NAME:
            if (h->want_addr) id = ioc_match_addr_text(s, c->v, c->n);
            if (id == IOC_NONE && h->want_name) id = ioc_match_domain(s, c->v, c->n);
            break;
        case C_JA3:
            id = ioc_match_hash(s, IOC_JA3, c->v, c->n);
            break;
        case C_JA4:
            id = ioc_match_hash(s, IOC_JA4, c->v, c->n);
            break;
        case C_SHA1:
            id = ioc_match_hash(s, IOC_CERT_SHA1, c->v, c->n);
            break;
        }
        report(h, li, seen, &nseen, id, c->where, c->v, c->n, file, lineno);
    }
    if (h->want_url && li->host && li->url) {
        uint32_t id = ioc_match_url(s, li->host, li->host_n, li->url, li->url_n);
        report(h, li, seen, &nseen, id, "http.url", li->url, li->url_n, file, lineno);
    }
}

static void process_line(struct hunt *h, const char *p, size_t n, const char *file, uint64_t lineno)
{
    struct line_info li;
    li.ts = li.et = li.host = li.url = NULL;
    li.ts_n = li.et_n = li.host_n = li.url_n = 0;
    li.has_flow_id = false;
    li.nc = 0;
    h->scratch_len = 0;
    h->lines++;
    if (n == 0) return;
    if (!scan_line(h, p, p + n, &li)) {
        h->malformed++;
        return;
    }
    if (!li.et || !want_event(li.et, li.et_n)) return;
    h->events++;
    if (li.nc || li.url) match_line(h, &li, file, lineno);
}

/* ---- input ---- */

/* Reads one file (plain or gzip) line by line. Returns 0, or -1 when it could not be opened. */
static int hunt_file(struct hunt *h, const char *path, char **bufp, size_t *capp)
{
    int fd = strcmp(path, "-") == 0 ? dup(0) : open(path, O_RDONLY);
    if (fd < 0) {
        fprintf(stderr, "vigil: error: %s: %s\n", path, strerror(errno));
        return -1;
    }
    unsigned char magic[2];
    ssize_t m = pread(fd, magic, 2, 0);
    bool gz = m == 2 && magic[0] == 0x1f && magic[1] == 0x8b;
    gzFile gzf = NULL;
    if (gz || (m < 0 && errno == ESPIPE)) { /* stdin pipe: zlib reads plain data through too */
        gzf = gzdopen(fd, "rb");
        if (!gzf) {
            close(fd);
            fprintf(stderr, "vigil: error: %s: cannot open gzip stream\n", path);
            return -1;
        }
        gzbuffer(gzf, 1u << 20);
    }
    posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
    char *buf = *bufp;
    size_t cap = *capp, have = 0;
    uint64_t lineno = 0;
    bool eof = false, skipping = false;
    const char *name = strcmp(path, "-") == 0 ? "(stdin)" : path;
    while (!eof) {
        if (cap - have < HUNT_BUF) {
            if (cap >= HUNT_LINE_MAX + HUNT_BUF) { /* a line longer than the cap: drop it */
                skipping = true;
                h->long_lines++;
                have = 0;
            } else {
                size_t nc = cap ? cap * 2 : 2 * HUNT_BUF;
                char *nb = vg_realloc(buf, nc);
                if (!nb) {
                    fprintf(stderr, "vigil: error: out of memory\n");
                    break;
                }
                buf = nb;
                cap = nc;
            }
        }
        ssize_t r;
        if (gzf) {
            int gr = gzread(gzf, buf + have,
                            (unsigned)(cap - have > (1u << 30) ? (1u << 30) : cap - have));
            r = gr;
            if (gr < 0) {
                int errnum;
                fprintf(stderr, "vigil: error: %s: %s\n", name, gzerror(gzf, &errnum));
                r = 0;
            }
        } else {
            r = read(fd, buf + have, cap - have);
            if (r < 0 && errno == EINTR) continue;
            if (r < 0) {
                fprintf(stderr, "vigil: error: %s: %s\n", name, strerror(errno));
                r = 0;
            }
        }
        if (r == 0) eof = true;
        h->bytes += (uint64_t)r;
        have += (size_t)r;
        /* every complete line; the tail moves to the front */
        char *p = buf, *end = buf + have;
        for (;;) {
            char *nl = memchr(p, '\n', (size_t)(end - p));
            if (!nl) break;
            lineno++;
            if (skipping)
                skipping = false;
            else
                process_line(h, p, (size_t)(nl - p), name, lineno);
            p = nl + 1;
        }
        if (eof && p < end && !skipping) { /* a last line without a newline */
            lineno++;
            process_line(h, p, (size_t)(end - p), name, lineno);
            p = end;
        }
        have = (size_t)(end - p);
        if (have && p != buf) memmove(buf, p, have);
    }
    if (gzf)
        gzclose(gzf); /* closes fd */
    else
        close(fd);
    *bufp = buf;
    *capp = cap;
    return 0;
}

static void on_load_error(void *ud, const struct ioc_error *e)
{
    unsigned *shown = ud;
    if ((*shown)++ >= 50) return;
    if (e->line)
        fprintf(stderr, "vigil: %s: %s:%u: %s\n", e->warning ? "warning" : "error", e->file,
                e->line, e->msg);
    else
        fprintf(stderr, "vigil: %s: %s: %s\n", e->warning ? "warning" : "error", e->file, e->msg);
}

static double mono_now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + t.tv_nsec / 1e9;
}

int cli_hunt(int argc, char **argv)
{
    enum { OPT_IOC = 256, OPT_FORMAT };
    static const struct option opts[] = {{"ioc", required_argument, NULL, OPT_IOC},
                                         {"format", required_argument, NULL, OPT_FORMAT},
                                         {"quiet", no_argument, NULL, 'q'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    bool table = false, quiet = false;
    struct ioc_set *set = ioc_set_new();
    if (!set) return CLI_EXIT_RUNTIME;
    int n_ioc = 0, rc = CLI_EXIT_OK;
    struct ioc_load_stats st;
    memset(&st, 0, sizeof st);
    double t_load = mono_now();
    optind = 1;
    int c;
    while ((c = getopt_long(argc, argv, "qh", opts, NULL)) != -1) {
        switch (c) {
        case OPT_IOC: {
            unsigned shown = 0;
            int lrc = ioc_load_file(set, optarg, IOC_FMT_AUTO, 0, on_load_error, &shown, &st);
            if (shown > 50)
                fprintf(stderr, "vigil: error: %s: %u more not shown\n", optarg, shown - 50);
            if (lrc == VG_ERR_IO) {
                ioc_set_free(set);
                return CLI_EXIT_USAGE;
            }
            if (lrc == VG_ERR_NOMEM) {
                fprintf(stderr, "vigil: error: out of memory loading %s\n", optarg);
                ioc_set_free(set);
                return CLI_EXIT_RUNTIME;
            }
            n_ioc++;
            break;
        }
        case OPT_FORMAT:
            if (strcmp(optarg, "json") == 0)
                table = false;
            else if (strcmp(optarg, "table") == 0)
                table = true;
            else {
                fprintf(stderr, "vigil: error: --format: expected json or table, not '%s'\n",
                        optarg);
                ioc_set_free(set);
                return CLI_EXIT_USAGE;
            }
            break;
        case 'q':
            quiet = true;
            break;
        case 'h':
            hunt_usage(stdout);
            ioc_set_free(set);
            return CLI_EXIT_OK;
        default:
            hunt_usage(stderr);
            ioc_set_free(set);
            return CLI_EXIT_USAGE;
        }
    }
    if (n_ioc == 0 || optind >= argc) {
        fprintf(stderr, "vigil: error: hunt needs --ioc FILE and at least one EVE file\n");
        hunt_usage(stderr);
        ioc_set_free(set);
        return CLI_EXIT_USAGE;
    }
    if (ioc_set_build(set) != VG_OK) {
        fprintf(stderr, "vigil: error: out of memory building the indicator set\n");
        ioc_set_free(set);
        return CLI_EXIT_RUNTIME;
    }
    t_load = mono_now() - t_load;
    if (!quiet)
        fprintf(stderr,
                "vigil hunt: %zu indicator(s) loaded in %.2f s, %.1f MB (%llu duplicate(s), %llu "
                "malformed)\n",
                ioc_set_count(set), t_load, ioc_set_memory(set) / 1e6,
                (unsigned long long)st.duplicates, (unsigned long long)st.errors);

    struct hunt h;
    memset(&h, 0, sizeof h);
    h.set = set;
    h.table = table;
    h.out = stdout;
    h.want_addr = ioc_set_count_type(set, IOC_IPV4) || ioc_set_count_type(set, IOC_IPV6);
    h.want_name = ioc_set_count_type(set, IOC_DOMAIN) > 0;
    h.want_url = ioc_set_count_type(set, IOC_URL) > 0;
    h.want_ja3 = ioc_set_count_type(set, IOC_JA3) > 0;
    h.want_ja4 = ioc_set_count_type(set, IOC_JA4) > 0;
    h.want_sha1 = ioc_set_count_type(set, IOC_CERT_SHA1) > 0;
    jw_init(&h.jw);
    h.scratch_cap = 1u << 16;
    h.scratch = vg_malloc(h.scratch_cap);
    static char outbuf[1 << 16];
    setvbuf(stdout, outbuf, _IOFBF, sizeof outbuf);

    char *buf = NULL;
    size_t cap = 0;
    int ok = 0, failed = 0;
    double t0 = mono_now();
    for (int i = optind; i < argc; i++) {
        if (hunt_file(&h, argv[i], &buf, &cap) == 0)
            ok++;
        else
            failed++;
    }
    double secs = mono_now() - t0;
    if (fflush(stdout) != 0 || ferror(stdout)) {
        fprintf(stderr, "vigil: error: writing the matches: %s\n", strerror(errno));
        rc = CLI_EXIT_RUNTIME;
    } else if (ok == 0) {
        rc = CLI_EXIT_NO_INPUT;
    }
    if (!quiet) {
        fprintf(
            stderr,
            "vigil hunt: %llu match(es) in %llu event(s) (%llu line(s)) of %d file(s), %.1f MB in "
            "%.2f s (%.0f MB/s)",
            (unsigned long long)h.matches, (unsigned long long)h.events,
            (unsigned long long)h.lines, ok, h.bytes / 1e6, secs,
            secs > 0 ? h.bytes / 1e6 / secs : 0.0);
        if (h.malformed)
            fprintf(stderr, ", %llu malformed line(s)", (unsigned long long)h.malformed);
        if (h.long_lines)
            fprintf(stderr, ", %llu over-long line(s) skipped", (unsigned long long)h.long_lines);
        if (failed) fprintf(stderr, ", %d file(s) unreadable", failed);
        fprintf(stderr, "\n");
    }
    vg_free(buf);
    vg_free(h.scratch);
    jw_fini(&h.jw);
    ioc_set_free(set);
    return rc;
}
