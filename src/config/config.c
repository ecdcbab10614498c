/* config.c - loads vigil's YAML configuration (docs/config.md) with libyaml's event API.
 *
 * Two passes:
 *  1. libyaml events -> a small tree of nodes (scalars, mappings, sequences) with line and column,
 *     built with an explicit stack. Rejected here: aliases and anchors (libyaml leaves them to the
 *     application, and a walker that followed them could be made to visit a node 2^n times), tags,
 *     more than one document, NUL bytes, duplicate keys, non-scalar keys; capped: bytes, depth,
 *     nodes, entries per mapping and per sequence.
 *  2. the tree -> struct vg_config, along a static schema (tables of keys below). Unknown keys,
 *     wrong types and out-of-range values are errors; keys that Suricata has and vigil does not use
 *     are warnings. The walk descends only into keys the schema knows, so its recursion is bounded
 *     by the schema's depth (4), never by the input.
 *
 * YAML 1.1 (libyaml): https://yaml.org/spec/1.1/ ; Suricata's suricata.yaml for the key names
 * (https://docs.suricata.io/en/latest/configuration/suricata-yaml.html); sizes as Suricata's
 * ParseSizeString ("64mb", "1gb", "512kb": multiples of 1024).
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <yaml.h>

#include "config/config.h"
#include "core/vg_alloc.h"
#include "core/vg_status.h"
#include "detect/detect.h"
#include "detect/rule.h"
#include "engine/engine.h"

/* ---- messages ------------------------------------------------------------------------------- */

__attribute__((format(printf, 5, 0))) static void vmsg(struct vg_config_errors *e, bool warning,
                                                       uint32_t line, uint32_t col, const char *fmt,
                                                       va_list ap)
{
    if (warning)
        e->warnings++;
    else
        e->errors++;
    if (e->n >= VG_CONFIG_ERRORS_KEPT) {
        e->dropped++;
        return;
    }
    struct vg_config_error *m = &e->e[e->n++];
    m->line = line;
    m->col = col;
    m->warning = warning;
    vsnprintf(m->msg, sizeof m->msg, fmt, ap);
}

__attribute__((format(printf, 4, 5))) static void add_err(struct vg_config_errors *e, uint32_t line,
                                                          uint32_t col, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vmsg(e, false, line, col, fmt, ap);
    va_end(ap);
}

__attribute__((format(printf, 4, 5))) static void
add_warn(struct vg_config_errors *e, uint32_t line, uint32_t col, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vmsg(e, true, line, col, fmt, ap);
    va_end(ap);
}

void vg_config_errors_print(const struct vg_config_errors *errs, FILE *out)
{
    for (unsigned i = 0; i < errs->n; i++) {
        const struct vg_config_error *m = &errs->e[i];
        const char *kind = m->warning ? "warning" : "error";
        if (m->line)
            fprintf(out, "vigil: %s: %s:%u:%u: %s\n", kind, errs->file, m->line, m->col, m->msg);
        else
            fprintf(out, "vigil: %s: %s: %s\n", kind, errs->file, m->msg);
    }
    if (errs->dropped)
        fprintf(out, "vigil: %s: %u more message(s) not shown\n", errs->file, errs->dropped);
}

/* ---- the tree (pass 1) ---------------------------------------------------------------------- */

#define NONE UINT32_MAX

enum { N_SCALAR, N_MAP, N_SEQ };

struct cnode {
    uint8_t kind;
    bool plain;                 /* an unquoted scalar (only plain "~", "null" and "" are null) */
    uint32_t line, col;         /* 1-based */
    uint32_t first, last, next; /* children (mapping: key, value, key, value...) */
    uint32_t nkids;
    char *s; /* scalar text, NUL-terminated */
    size_t len;
};

struct tree {
    struct cnode *n;
    uint32_t count, cap;
    uint32_t root;
};

static void tree_fini(struct tree *t)
{
    for (uint32_t i = 0; i < t->count; i++)
        vg_free(t->n[i].s);
    vg_free(t->n);
    memset(t, 0, sizeof *t);
}

static uint32_t tree_add(struct tree *t, int kind, const yaml_mark_t *m)
{
    if (t->count == t->cap) {
        uint32_t nc = t->cap ? t->cap * 2 : 64;
        struct cnode *nn = vg_realloc(t->n, (size_t)nc * sizeof *nn);
        if (!nn) return NONE;
        t->n = nn;
        t->cap = nc;
    }
    struct cnode *c = &t->n[t->count];
    memset(c, 0, sizeof *c);
    c->kind = (uint8_t)kind;
    c->line = (uint32_t)m->line + 1;
    c->col = (uint32_t)m->column + 1;
    c->first = c->last = c->next = NONE;
    return t->count++;
}

static const char *kind_name(int kind)
{
    return kind == N_MAP ? "a mapping" : kind == N_SEQ ? "a list" : "a value";
}

/* Reports a libyaml parse error with the clearest position and words we can give. */
static void parser_error(const yaml_parser_t *p, const char *data, size_t len,
                         struct vg_config_errors *errs)
{
    const yaml_mark_t *m = &p->problem_mark;
    size_t idx = m->index;
    if (idx < len && data[idx] == '\t') {
        add_err(errs, (uint32_t)m->line + 1, (uint32_t)m->column + 1,
                "tab character: YAML indents with spaces only");
        return;
    }
    const char *problem = p->problem ? p->problem : "syntax error";
    if (p->context)
        add_err(errs, (uint32_t)m->line + 1, (uint32_t)m->column + 1, "%s %s (from line %u)",
                problem, p->context, (unsigned)p->context_mark.line + 1);
    else
        add_err(errs, (uint32_t)m->line + 1, (uint32_t)m->column + 1, "%s", problem);
}

/* Appends node id to the container on top of the stack (or makes it the root). Returns false
 * with an error added when the structure is not acceptable. */
static bool attach(struct tree *t, const uint32_t *stack, int sp, uint32_t id,
                   struct vg_config_errors *errs)
{
    struct cnode *c = &t->n[id];
    if (sp == 0) {
        if (c->kind != N_MAP) {
            add_err(errs, c->line, c->col, "the top level must be a mapping of keys, not %s",
                    kind_name(c->kind));
            return false;
        }
        t->root = id;
        return true;
    }
    struct cnode *par = &t->n[stack[sp - 1]];
    if (par->kind == N_MAP && par->nkids % 2 == 0) { /* key position */
        if (c->kind != N_SCALAR) {
            add_err(errs, c->line, c->col, "a key must be a plain name, not %s",
                    kind_name(c->kind));
            return false;
        }
        if (par->nkids / 2 >= VG_CONFIG_MAX_MAP_ENTRIES) {
            add_err(errs, c->line, c->col, "more than %u keys in one mapping",
                    VG_CONFIG_MAX_MAP_ENTRIES);
            return false;
        }
        for (uint32_t k = par->first; k != NONE;) {
            const struct cnode *kn = &t->n[k];
            if (kn->len == c->len && memcmp(kn->s, c->s, c->len) == 0) {
                add_err(errs, c->line, c->col, "duplicate key '%s' (first at line %u)", c->s,
                        kn->line);
                return false;
            }
            uint32_t v = kn->next;
            k = v == NONE ? NONE : t->n[v].next;
        }
    } else if (par->kind == N_SEQ && par->nkids >= VG_CONFIG_MAX_LIST) {
        add_err(errs, c->line, c->col, "more than %u entries in one list", VG_CONFIG_MAX_LIST);
        return false;
    }
    if (par->last == NONE)
        par->first = id;
    else
        t->n[par->last].next = id;
    par->last = id;
    par->nkids++;
    return true;
}

static bool check_props(const unsigned char *anchor, const unsigned char *tag, const yaml_mark_t *m,
                        struct vg_config_errors *errs)
{
    if (anchor) {
        add_err(errs, (uint32_t)m->line + 1, (uint32_t)m->column + 1,
                "anchors (&%.60s) and aliases are not supported", (const char *)anchor);
        return false;
    }
    if (tag) {
        add_err(errs, (uint32_t)m->line + 1, (uint32_t)m->column + 1,
                "tags (%.60s) are not supported", (const char *)tag);
        return false;
    }
    return true;
}

/* Pass 1. Returns VG_OK, VG_ERR_FORMAT (errors added) or VG_ERR_NOMEM. */
static int build_tree(struct tree *t, const char *data, size_t len, struct vg_config_errors *errs)
{
    memset(t, 0, sizeof *t);
    t->root = NONE;
    /* NUL bytes: libyaml stops reading at none of them, but no text config holds one. */
    const char *nul = memchr(data, '\0', len);
    if (nul) {
        uint32_t line = 1, col = 1;
        for (const char *q = data; q < nul; q++) {
            if (*q == '\n')
                line++, col = 1;
            else
                col++;
        }
        add_err(errs, line, col, "NUL byte: not a text file");
        return VG_ERR_FORMAT;
    }
    yaml_parser_t p;
    if (!yaml_parser_initialize(&p)) return VG_ERR_NOMEM;
    yaml_parser_set_input_string(&p, (const unsigned char *)data, len);
    uint32_t stack[VG_CONFIG_MAX_DEPTH];
    int sp = 0, docs = 0, rc = VG_OK;
    bool done = false;
    while (!done && rc == VG_OK) {
        yaml_event_t ev;
        if (!yaml_parser_parse(&p, &ev)) {
            if (p.error == YAML_MEMORY_ERROR) {
                rc = VG_ERR_NOMEM;
            } else {
                parser_error(&p, data, len, errs);
                rc = VG_ERR_FORMAT;
            }
            break;
        }
        const yaml_mark_t *m = &ev.start_mark;
        uint32_t id;
        switch (ev.type) {
        case YAML_STREAM_END_EVENT:
            done = true;
            break;
        case YAML_DOCUMENT_START_EVENT:
            if (++docs > 1) {
                add_err(errs, (uint32_t)m->line + 1, (uint32_t)m->column + 1,
                        "more than one YAML document in the file");
                rc = VG_ERR_FORMAT;
            }
            break;
        case YAML_ALIAS_EVENT:
            add_err(errs, (uint32_t)m->line + 1, (uint32_t)m->column + 1,
                    "aliases (*%.60s) and anchors are not supported",
                    (const char *)ev.data.alias.anchor);
            rc = VG_ERR_FORMAT;
            break;
        case YAML_SCALAR_EVENT:
            if (!check_props(ev.data.scalar.anchor,
                             ev.data.scalar.plain_implicit || ev.data.scalar.quoted_implicit
                                 ? NULL
                                 : ev.data.scalar.tag,
                             m, errs)) {
                rc = VG_ERR_FORMAT;
                break;
            }
            if (ev.data.scalar.length > VG_CONFIG_MAX_SCALAR) {
                add_err(errs, (uint32_t)m->line + 1, (uint32_t)m->column + 1,
                        "value longer than %u bytes", VG_CONFIG_MAX_SCALAR);
                rc = VG_ERR_FORMAT;
                break;
            }
            if (memchr(ev.data.scalar.value, '\0', ev.data.scalar.length)) {
                add_err(errs, (uint32_t)m->line + 1, (uint32_t)m->column + 1,
                        "NUL byte in a value");
                rc = VG_ERR_FORMAT;
                break;
            }
            if (t->count >= VG_CONFIG_MAX_NODES) goto too_many;
            id = tree_add(t, N_SCALAR, m);
            if (id == NONE) {
                rc = VG_ERR_NOMEM;
                break;
            }
            t->n[id].s = vg_malloc(ev.data.scalar.length + 1);
            if (!t->n[id].s) {
                rc = VG_ERR_NOMEM;
                break;
            }
            memcpy(t->n[id].s, ev.data.scalar.value, ev.data.scalar.length);
            t->n[id].s[ev.data.scalar.length] = '\0';
            t->n[id].len = ev.data.scalar.length;
            t->n[id].plain = ev.data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
            if (!attach(t, stack, sp, id, errs)) rc = VG_ERR_FORMAT;
            break;
        case YAML_MAPPING_START_EVENT:
        case YAML_SEQUENCE_START_EVENT: {
            bool map = ev.type == YAML_MAPPING_START_EVENT;
            const unsigned char *anchor =
                map ? ev.data.mapping_start.anchor : ev.data.sequence_start.anchor;
            const unsigned char *tag =
                map ? (ev.data.mapping_start.implicit ? NULL : ev.data.mapping_start.tag)
                    : (ev.data.sequence_start.implicit ? NULL : ev.data.sequence_start.tag);
            if (!check_props(anchor, tag, m, errs)) {
                rc = VG_ERR_FORMAT;
                break;
            }
            if (sp >= VG_CONFIG_MAX_DEPTH) {
                add_err(errs, (uint32_t)m->line + 1, (uint32_t)m->column + 1,
                        "nested deeper than %d levels", VG_CONFIG_MAX_DEPTH);
                rc = VG_ERR_FORMAT;
                break;
            }
            if (t->count >= VG_CONFIG_MAX_NODES) goto too_many;
            id = tree_add(t, map ? N_MAP : N_SEQ, m);
            if (id == NONE) {
                rc = VG_ERR_NOMEM;
                break;
            }
            if (!attach(t, stack, sp, id, errs)) {
                rc = VG_ERR_FORMAT;
                break;
            }
            stack[sp++] = id;
            break;
        }
        case YAML_MAPPING_END_EVENT:
        case YAML_SEQUENCE_END_EVENT:
            if (sp > 0) sp--;
            break;
        default:
            break;
        }
        yaml_event_delete(&ev);
        continue;
    too_many:
        add_err(errs, (uint32_t)m->line + 1, (uint32_t)m->column + 1,
                "more than %u entries in the file", VG_CONFIG_MAX_NODES);
        rc = VG_ERR_FORMAT;
        yaml_event_delete(&ev);
    }
    yaml_parser_delete(&p);
    return rc;
}

/* ---- scalar conversions ------------------------------------------------------------------- */

static bool is_null(const struct cnode *n)
{
    return n->kind == N_SCALAR && n->plain &&
           (n->len == 0 || strcmp(n->s, "~") == 0 || strcasecmp(n->s, "null") == 0);
}

/* yes/no/true/false/on/off/1/0, as Suricata's ConfValIsTrue/False. */
static bool parse_bool(const char *s, bool *out)
{
    static const char *const t[] = {"yes", "true", "on", "1"}, *const f[] = {"no", "false", "off",
                                                                             "0"};
    for (int i = 0; i < 4; i++) {
        if (strcasecmp(s, t[i]) == 0) return *out = true, true;
        if (strcasecmp(s, f[i]) == 0) return *out = false, true;
    }
    return false;
}

static bool parse_uint(const char *s, uint64_t *out)
{
    if (!isdigit((unsigned char)s[0])) return false;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end) return false;
    *out = v;
    return true;
}

/* "64mb", "1gb", "512kb", "1.5 GiB", "4096": bytes, multiples of 1024 (Suricata's
 * ParseSizeString). */
bool vg_config_parse_size(const char *s, uint64_t *out)
{
    const char *p = s;
    while (*p == ' ')
        p++;
    if (!isdigit((unsigned char)*p)) return false;
    char *end;
    errno = 0;
    double v = strtod(p, &end);
    if (errno || end == p || !(v >= 0)) return false;
    while (*end == ' ')
        end++;
    char unit[8];
    size_t ul = 0;
    while (ul < sizeof unit - 1 && isalpha((unsigned char)end[ul])) {
        unit[ul] = (char)tolower((unsigned char)end[ul]);
        ul++;
    }
    unit[ul] = '\0';
    end += ul;
    while (*end == ' ')
        end++;
    if (*end) return false;
    double mul;
    if (ul == 0 || strcmp(unit, "b") == 0)
        mul = 1;
    else if (!strcmp(unit, "k") || !strcmp(unit, "kb") || !strcmp(unit, "kib"))
        mul = 1024.0;
    else if (!strcmp(unit, "m") || !strcmp(unit, "mb") || !strcmp(unit, "mib"))
        mul = 1024.0 * 1024;
    else if (!strcmp(unit, "g") || !strcmp(unit, "gb") || !strcmp(unit, "gib"))
        mul = 1024.0 * 1024 * 1024;
    else if (!strcmp(unit, "t") || !strcmp(unit, "tb") || !strcmp(unit, "tib"))
        mul = 1024.0 * 1024 * 1024 * 1024;
    else
        return false;
    double r = v * mul;
    if (r >= 18446744073709549568.0) return false; /* largest double below 2^64 */
    if (ul == 0 && v != floor(v)) return false;    /* "1.5" bytes */
    *out = (uint64_t)r;
    return true;
}

/* "30", "30s", "5m", "1h", "2d": seconds. */
bool vg_config_parse_duration(const char *s, uint64_t *out)
{
    if (!isdigit((unsigned char)s[0])) return false;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno) return false;
    uint64_t mul = 1;
    if (*end == 's')
        end++;
    else if (*end == 'm')
        mul = 60, end++;
    else if (*end == 'h')
        mul = 3600, end++;
    else if (*end == 'd')
        mul = 86400, end++;
    if (*end || v > UINT32_MAX / mul) return false;
    *out = v * mul;
    return true;
}

/* ---- the schema (pass 2) ------------------------------------------------------------------ */

enum kt {
    KT_MAP,     /* a mapping of sub-keys */
    KT_BOOL,    /* bool */
    KT_U16,     /* uint16_t */
    KT_U32,     /* uint32_t */
    KT_U64,     /* uint64_t */
    KT_SIZE,    /* size_t, from a size string */
    KT_SIZE64,  /* uint64_t, from a size string */
    KT_DUR,     /* uint32_t seconds, from a duration */
    KT_DUR_MS,  /* uint32_t milliseconds, from a duration in seconds */
    KT_DOUBLE,  /* double */
    KT_STR,     /* char * (owned) */
    KT_PATH,    /* char * (owned), resolved against the config file's folder */
    KT_FN,      /* a handler */
    KT_IGNORED, /* a Suricata key vigil does not use: a warning */
};

struct walk;
struct key;
typedef void (*key_fn)(struct walk *w, const struct key *k, const struct cnode *key,
                       const struct cnode *val);

struct key {
    const char *name;
    uint8_t type;
    size_t off;            /* into struct vg_config */
    double min, max;       /* numeric range (min == max == 0: any) */
    const struct key *sub; /* KT_MAP */
    key_fn fn;             /* KT_FN */
    const char *note;      /* KT_IGNORED: why */
};

struct walk {
    struct vg_config *c;
    struct vg_config_errors *errs;
    const struct tree *t;
    int rc; /* VG_ERR_NOMEM sticks */
    const struct cnode *beacon_node, *flow_memcap_node, *flow_max_node, *eve_node, *evidence_node;
    bool eve_seen;
    struct vg_config_list raw_rule_files; /* as written; resolved after the walk */
};

#define OFF(f) offsetof(struct vg_config, f)

static char *dup_str(struct walk *w, const char *s)
{
    char *d = vg_strdup(s);
    if (!d) w->rc = VG_ERR_NOMEM;
    return d;
}

/* dir + "/" + s, unless s is absolute or dir is NULL. */
static char *join_path(struct walk *w, const char *dir, const char *s)
{
    if (s[0] == '/' || !dir || !dir[0]) return dup_str(w, s);
    size_t a = strlen(dir), b = strlen(s);
    char *r = vg_malloc(a + b + 2);
    if (!r) {
        w->rc = VG_ERR_NOMEM;
        return NULL;
    }
    memcpy(r, dir, a);
    r[a] = '/';
    memcpy(r + a + 1, s, b + 1);
    return r;
}

static bool want_scalar(struct walk *w, const struct cnode *key, const struct cnode *val,
                        const char *what)
{
    if (val->kind == N_SCALAR && !is_null(val)) return true;
    add_err(w->errs, val->line, val->col, "%s: expected %s, not %s", key->s, what,
            is_null(val) ? "nothing" : kind_name(val->kind));
    return false;
}

static bool in_range(struct walk *w, const struct key *k, const struct cnode *key,
                     const struct cnode *val, double v, const char *unit)
{
    if (k->min == 0 && k->max == 0) return true;
    if (v >= k->min && v <= k->max) return true;
    if (unit[0])
        add_err(w->errs, val->line, val->col, "%s: %s is out of range (%.0f to %.0f %s)", key->s,
                val->s, k->min, k->max, unit);
    else
        add_err(w->errs, val->line, val->col, "%s: %s is out of range (%g to %g)", key->s, val->s,
                k->min, k->max);
    return false;
}

static void add_list(struct walk *w, struct vg_config_list *l, const struct cnode *n, char *s)
{
    if (!s) return;
    struct vg_config_str *nv = vg_realloc(l->v, (l->n + 1) * sizeof *nv);
    if (!nv) {
        vg_free(s);
        w->rc = VG_ERR_NOMEM;
        return;
    }
    l->v = nv;
    l->v[l->n].s = s;
    l->v[l->n].line = n->line;
    l->v[l->n].col = n->col;
    l->n++;
}

static void walk_map(struct walk *w, const struct cnode *map, const struct key *keys,
                     const char *section);

static void walk_value(struct walk *w, const struct key *k, const struct cnode *key,
                       const struct cnode *val)
{
    char *base = (char *)w->c + k->off;
    uint64_t u;
    bool b;
    switch (k->type) {
    case KT_MAP:
        if (is_null(val)) return; /* "flow:" with nothing under it: defaults */
        if (val->kind != N_MAP) {
            add_err(w->errs, val->line, val->col, "%s: expected a mapping of keys, not %s", key->s,
                    kind_name(val->kind));
            return;
        }
        walk_map(w, val, k->sub, key->s);
        return;
    case KT_BOOL:
        if (!want_scalar(w, key, val, "yes or no")) return;
        if (!parse_bool(val->s, &b)) {
            add_err(w->errs, val->line, val->col, "%s: expected yes or no, not '%s'", key->s,
                    val->s);
            return;
        }
        *(bool *)base = b;
        return;
    case KT_U16:
    case KT_U32:
    case KT_U64:
        if (!want_scalar(w, key, val, "a number")) return;
        if (!parse_uint(val->s, &u)) {
            add_err(w->errs, val->line, val->col, "%s: expected a whole number, not '%s'", key->s,
                    val->s);
            return;
        }
        if (!in_range(w, k, key, val, (double)u, "")) return;
        if (k->type == KT_U16 && u > UINT16_MAX) u = UINT16_MAX;
        if (k->type == KT_U32 && u > UINT32_MAX) {
            add_err(w->errs, val->line, val->col, "%s: %s is too large", key->s, val->s);
            return;
        }
        if (k->type == KT_U16)
            *(uint16_t *)base = (uint16_t)u;
        else if (k->type == KT_U32)
            *(uint32_t *)base = (uint32_t)u;
        else
            *(uint64_t *)base = u;
        return;
    case KT_SIZE:
    case KT_SIZE64:
        if (!want_scalar(w, key, val, "a size")) return;
        if (!vg_config_parse_size(val->s, &u)) {
            add_err(w->errs, val->line, val->col,
                    "%s: expected a size such as 4096, 512kb, 64mb or 1gb, not '%s'", key->s,
                    val->s);
            return;
        }
        if (!in_range(w, k, key, val, (double)u, "bytes")) return;
        if (k->type == KT_SIZE)
            *(size_t *)base = (size_t)u;
        else
            *(uint64_t *)base = u;
        return;
    case KT_DUR:
    case KT_DUR_MS:
        if (!want_scalar(w, key, val, "a duration")) return;
        if (!vg_config_parse_duration(val->s, &u)) {
            add_err(w->errs, val->line, val->col,
                    "%s: expected a duration in seconds such as 30, 30s, 5m, 1h, not '%s'", key->s,
                    val->s);
            return;
        }
        if (!in_range(w, k, key, val, (double)u, "seconds")) return;
        *(uint32_t *)base = (uint32_t)(k->type == KT_DUR_MS ? u * 1000 : u);
        return;
    case KT_DOUBLE: {
        if (!want_scalar(w, key, val, "a number")) return;
        char *end;
        errno = 0;
        double d = strtod(val->s, &end);
        if (errno || end == val->s || *end || !isfinite(d)) {
            add_err(w->errs, val->line, val->col, "%s: expected a number, not '%s'", key->s,
                    val->s);
            return;
        }
        if (!in_range(w, k, key, val, d, "")) return;
        *(double *)base = d;
        return;
    }
    case KT_STR:
    case KT_PATH: {
        char **dst = (char **)base;
        if (is_null(val)) { /* "bpf:" with nothing: unset */
            vg_free(*dst);
            *dst = NULL;
            return;
        }
        if (!want_scalar(w, key, val, "a string")) return;
        char *s = k->type == KT_PATH ? join_path(w, w->c->dir, val->s) : dup_str(w, val->s);
        if (!s) return;
        vg_free(*dst);
        *dst = s;
        return;
    }
    case KT_FN:
        k->fn(w, k, key, val);
        return;
    case KT_IGNORED:
        add_warn(w->errs, key->line, key->col, "%s: not used by vigil%s%s (ignored)", key->s,
                 k->note ? ": " : "", k->note ? k->note : "");
        return;
    }
}

/* Edit distance, for "did you mean" on unknown keys (short names only). */
static unsigned edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > 40 || lb > 40) return 99;
    unsigned d[41][41];
    for (size_t i = 0; i <= la; i++)
        d[i][0] = (unsigned)i;
    for (size_t j = 0; j <= lb; j++)
        d[0][j] = (unsigned)j;
    for (size_t i = 1; i <= la; i++)
        for (size_t j = 1; j <= lb; j++) {
            unsigned c = d[i - 1][j - 1] + (a[i - 1] != b[j - 1]);
            if (d[i - 1][j] + 1 < c) c = d[i - 1][j] + 1;
            if (d[i][j - 1] + 1 < c) c = d[i][j - 1] + 1;
            d[i][j] = c;
        }
    return d[la][lb];
}

static void walk_map(struct walk *w, const struct cnode *map, const struct key *keys,
                     const char *section)
{
    const struct tree *t = w->t;
    for (uint32_t ki = map->first; ki != NONE && w->rc == VG_OK;) {
        const struct cnode *key = &t->n[ki];
        uint32_t vi = key->next;
        if (vi == NONE) break; /* libyaml always pairs them */
        const struct cnode *val = &t->n[vi];
        ki = val->next;
        const struct key *k = NULL;
        for (const struct key *q = keys; q->name; q++)
            if (strcmp(q->name, key->s) == 0) {
                k = q;
                break;
            }
        if (!k) {
            const char *best = NULL;
            unsigned bd = 3;
            /* the suggestion only matters for a message that is kept (bounded work on a file of
             * thousands of unknown keys) */
            for (const struct key *q = keys; q->name && w->errs->n < VG_CONFIG_ERRORS_KEPT; q++) {
                unsigned d = edit_distance(q->name, key->s);
                if (d < bd) bd = d, best = q->name;
            }
            if (best)
                add_err(w->errs, key->line, key->col,
                        "unknown key '%.80s' in %s (did you mean '%s'?)", key->s, section, best);
            else
                add_err(w->errs, key->line, key->col, "unknown key '%.80s' in %s", key->s, section);
            continue;
        }
        walk_value(w, k, key, val);
    }
}

/* ---- handlers ------------------------------------------------------------------------------- */

/* A list of strings: a sequence of scalars, or one scalar. */
static void fn_list(struct walk *w, const struct cnode *key, const struct cnode *val,
                    struct vg_config_list *l, bool path)
{
    if (is_null(val)) return;
    if (val->kind == N_SCALAR) {
        add_list(w, l, val, path ? join_path(w, w->c->dir, val->s) : dup_str(w, val->s));
        return;
    }
    if (val->kind != N_SEQ) {
        add_err(w->errs, val->line, val->col, "%s: expected a list, not %s", key->s,
                kind_name(val->kind));
        return;
    }
    for (uint32_t i = val->first; i != NONE && w->rc == VG_OK; i = w->t->n[i].next) {
        const struct cnode *it = &w->t->n[i];
        if (it->kind != N_SCALAR || is_null(it)) {
            add_err(w->errs, it->line, it->col, "%s: each entry must be a name, not %s", key->s,
                    is_null(it) ? "nothing" : kind_name(it->kind));
            continue;
        }
        add_list(w, l, it, path ? join_path(w, w->c->dir, it->s) : dup_str(w, it->s));
    }
}

static void fn_rule_files(struct walk *w, const struct key *k, const struct cnode *key,
                          const struct cnode *val)
{
    fn_list(w, key, val, &w->raw_rule_files, false); /* resolved after default-rule-path */
}

static void fn_path_list(struct walk *w, const struct key *k, const struct cnode *key,
                         const struct cnode *val)
{
    fn_list(w, key, val, (struct vg_config_list *)((char *)w->c + k->off), true);
}

static void fn_name_list(struct walk *w, const struct key *k, const struct cnode *key,
                         const struct cnode *val)
{
    fn_list(w, key, val, (struct vg_config_list *)((char *)w->c + k->off), false);
}

static void fn_classification(struct walk *w, const struct key *k, const struct cnode *key,
                              const struct cnode *val)
{
    if (!want_scalar(w, key, val, "a file name")) return;
    char *s = join_path(w, w->c->dir, val->s);
    if (!s) return;
    vg_free(w->c->classification_file.s);
    w->c->classification_file.s = s;
    w->c->classification_file.line = val->line;
    w->c->classification_file.col = val->col;
}

static void vars_group(struct walk *w, const struct cnode *key, const struct cnode *val, bool port)
{
    if (is_null(val)) return;
    if (val->kind != N_MAP) {
        add_err(w->errs, val->line, val->col, "%s: expected a mapping of NAME: value, not %s",
                key->s, kind_name(val->kind));
        return;
    }
    for (uint32_t ki = val->first; ki != NONE && w->rc == VG_OK;) {
        const struct cnode *name = &w->t->n[ki];
        const struct cnode *v = &w->t->n[name->next];
        ki = v->next;
        if (v->kind != N_SCALAR || is_null(v)) {
            add_err(w->errs, v->line, v->col, "%s: expected %s such as %s, not %s", name->s,
                    port ? "a port group" : "an address group",
                    port ? "\"[80,8080]\"" : "\"[10.0.0.0/8]\"",
                    is_null(v) ? "nothing" : kind_name(v->kind));
            continue;
        }
        const char *nm = name->s[0] == '$' ? name->s + 1 : name->s;
        /* The other group may set the same name: the later one wins, as in Suricata's table. */
        struct vg_config_var *nv = vg_realloc(w->c->vars, (w->c->n_vars + 1) * sizeof *nv);
        if (!nv) {
            w->rc = VG_ERR_NOMEM;
            return;
        }
        w->c->vars = nv;
        struct vg_config_var *cv = &nv[w->c->n_vars];
        memset(cv, 0, sizeof *cv);
        cv->name = dup_str(w, nm);
        cv->value = dup_str(w, v->s);
        cv->port = port;
        cv->line = v->line;
        cv->col = v->col;
        w->c->n_vars++;
    }
}

static void fn_addr_groups(struct walk *w, const struct key *k, const struct cnode *key,
                           const struct cnode *val)
{
    vars_group(w, key, val, false);
}

static void fn_port_groups(struct walk *w, const struct key *k, const struct cnode *key,
                           const struct cnode *val)
{
    vars_group(w, key, val, true);
}

static void fn_flow_memcap(struct walk *w, const struct key *k, const struct cnode *key,
                           const struct cnode *val)
{
    uint64_t v;
    if (!want_scalar(w, key, val, "a size")) return;
    if (!vg_config_parse_size(val->s, &v) || v < (1u << 20)) {
        add_err(w->errs, val->line, val->col, "%s: expected a size of at least 1mb, not '%s'",
                key->s, val->s);
        return;
    }
    w->c->flow_memcap = v;
    w->flow_memcap_node = val;
}

static void fn_flow_max(struct walk *w, const struct key *k, const struct cnode *key,
                        const struct cnode *val)
{
    uint64_t v;
    if (!want_scalar(w, key, val, "a number")) return;
    if (!parse_uint(val->s, &v) || v < 16 || v > (1u << 30)) {
        add_err(w->errs, val->line, val->col,
                "%s: expected a number of flows from 16 to %u, not '%s'", key->s, 1u << 30, val->s);
        return;
    }
    w->c->flow.max_flows = (uint32_t)v;
    w->flow_max_node = val;
}

static void fn_beacons(struct walk *w, const struct key *k, const struct cnode *key,
                       const struct cnode *val);
static void fn_outputs(struct walk *w, const struct key *k, const struct cnode *key,
                       const struct cnode *val);
static void fn_eve_types(struct walk *w, const struct key *k, const struct cnode *key,
                         const struct cnode *val);
static void fn_filetype(struct walk *w, const struct key *k, const struct cnode *key,
                        const struct cnode *val);
static void fn_redis_mode(struct walk *w, const struct key *k, const struct cnode *key,
                          const struct cnode *val);
static void fn_rotate_interval(struct walk *w, const struct key *k, const struct cnode *key,
                               const struct cnode *val);
static void fn_eve_enabled(struct walk *w, const struct key *k, const struct cnode *key,
                           const struct cnode *val);
static void fn_capture_method(struct walk *w, const struct key *k, const struct cnode *key,
                              const struct cnode *val);
static void fn_evidence(struct walk *w, const struct key *k, const struct cnode *key,
                        const struct cnode *val);

#define END                                                                                        \
    {                                                                                              \
        NULL, 0, 0, 0, 0, NULL, NULL, NULL                                                         \
    }
#define IGN(n, why)                                                                                \
    {                                                                                              \
        n, KT_IGNORED, 0, 0, 0, NULL, NULL, why                                                    \
    }
#define FN(n, f, o)                                                                                \
    {                                                                                              \
        n, KT_FN, o, 0, 0, NULL, f, NULL                                                           \
    }
#define MAP(n, s)                                                                                  \
    {                                                                                              \
        n, KT_MAP, 0, 0, 0, s, NULL, NULL                                                          \
    }
#define VAL(n, t, o, lo, hi)                                                                       \
    {                                                                                              \
        n, t, o, lo, hi, NULL, NULL, NULL                                                          \
    }

static const struct key k_vars[] = {
    FN("address-groups", fn_addr_groups, 0),
    FN("port-groups", fn_port_groups, 0),
    END,
};

static const struct key k_redis[] = {
    VAL("enabled", KT_BOOL, OFF(redis_enabled), 0, 0),
    VAL("server", KT_STR, OFF(redis_server), 0, 0),
    VAL("port", KT_U16, OFF(eve.redis_port), 1, 65535),
    FN("mode", fn_redis_mode, 0),
    VAL("key", KT_STR, OFF(redis_key), 0, 0),
    VAL("stream-maxlen", KT_U64, OFF(eve.redis_maxlen), 0, 0),
    VAL("spool-size", KT_SIZE, OFF(eve.redis_spool), 1 << 20, 1ull << 40),
    VAL("drain-timeout", KT_DUR_MS, OFF(eve.redis_drain_ms), 0, 86400),
    IGN("async", "the Redis output is always asynchronous"),
    IGN("pipelining", "events are pipelined as the spool allows"),
    IGN("stream-trim-exact", "trimming is always approximate (MAXLEN ~)"),
    END,
};

static const struct key k_eve[] = {
    FN("enabled", fn_eve_enabled, 0),
    FN("filetype", fn_filetype, 0),
    VAL("filename", KT_STR, OFF(eve_filename), 0, 0),
    FN("types", fn_eve_types, 0),
    VAL("rotate-size", KT_SIZE64, OFF(eve.rotate_size), 4096, 1ull << 50),
    FN("rotate-interval", fn_rotate_interval, 0),
    VAL("split-types", KT_BOOL, OFF(eve.split_types), 0, 0),
    MAP("redis", k_redis),
    IGN("pcap-file", NULL),
    IGN("community-id", NULL),
    IGN("community-id-seed", NULL),
    IGN("xff", NULL),
    IGN("ethernet", NULL),
    IGN("metadata", NULL),
    IGN("threaded", NULL),
    IGN("buffer-size", NULL),
    END,
};

static const struct key k_evidence[] = {
    VAL("enabled", KT_BOOL, OFF(evidence_enabled), 0, 0),
    VAL("first-packets", KT_U32, OFF(evidence.first_n), 0, 100000),
    VAL("last-packets", KT_U32, OFF(evidence.last_m), 0, 100000),
    VAL("memcap", KT_SIZE, OFF(evidence.memcap), 1 << 20, 1ull << 40),
    VAL("max-flows", KT_U32, OFF(evidence.max_flows), 1, 1 << 24),
    END,
};

static const struct key k_report[] = {
    VAL("enabled", KT_BOOL, OFF(report_enabled), 0, 0),
    END,
};

static const struct key k_flow[] = {
    FN("memcap", fn_flow_memcap, 0),
    FN("max-flows", fn_flow_max, 0),
    IGN("hash-size", "the index is sized from the flow count (twice as many slots)"),
    IGN("prealloc", "the flow pool is allocated whole at start"),
    IGN("emergency-recovery", NULL),
    IGN("managers", NULL),
    IGN("recyclers", NULL),
    END,
};

#define TO(cls) OFF(flow.timeout_s[cls])
static const struct key k_to_tcp[] = {
    VAL("new", KT_DUR, TO(FLOW_TC_TCP_NEW), 1, 86400 * 7),
    VAL("established", KT_DUR, TO(FLOW_TC_TCP_EST), 1, 86400 * 7),
    VAL("closed", KT_DUR, TO(FLOW_TC_TCP_CLOSED), 0, 86400 * 7),
    IGN("bypassed", NULL),
    IGN("emergency-new", "no emergency mode: the oldest flow is evicted"),
    IGN("emergency-established", "no emergency mode: the oldest flow is evicted"),
    IGN("emergency-closed", "no emergency mode: the oldest flow is evicted"),
    IGN("emergency-bypassed", NULL),
    END,
};
static const struct key k_to_udp[] = {
    VAL("new", KT_DUR, TO(FLOW_TC_UDP_NEW), 1, 86400 * 7),
    VAL("established", KT_DUR, TO(FLOW_TC_UDP_EST), 1, 86400 * 7),
    IGN("bypassed", NULL),
    IGN("emergency-new", "no emergency mode: the oldest flow is evicted"),
    IGN("emergency-established", "no emergency mode: the oldest flow is evicted"),
    IGN("emergency-bypassed", NULL),
    END,
};
static const struct key k_to_icmp[] = {
    VAL("established", KT_DUR, TO(FLOW_TC_ICMP), 1, 86400 * 7),
    IGN("new", "vigil has one ICMP timeout: icmp.established"),
    IGN("bypassed", NULL),
    IGN("emergency-new", "no emergency mode: the oldest flow is evicted"),
    IGN("emergency-established", "no emergency mode: the oldest flow is evicted"),
    IGN("emergency-bypassed", NULL),
    END,
};
static const struct key k_to_default[] = {
    VAL("established", KT_DUR, TO(FLOW_TC_OTHER), 1, 86400 * 7),
    IGN("new", "vigil has one timeout for other protocols: default.established"),
    IGN("closed", "vigil has one timeout for other protocols: default.established"),
    IGN("bypassed", NULL),
    IGN("emergency-new", "no emergency mode: the oldest flow is evicted"),
    IGN("emergency-established", "no emergency mode: the oldest flow is evicted"),
    IGN("emergency-closed", "no emergency mode: the oldest flow is evicted"),
    IGN("emergency-bypassed", NULL),
    END,
};
static const struct key k_timeouts[] = {
    MAP("tcp", k_to_tcp),
    MAP("udp", k_to_udp),
    MAP("icmp", k_to_icmp),
    MAP("default", k_to_default),
    END,
};

static const struct key k_reassembly[] = {
    VAL("memcap", KT_SIZE64, OFF(stream_memcap_reasm), 1 << 20, 1ull << 44),
    IGN("depth", "reassembly goes on for the whole flow, within stream.flow-memcap"),
    IGN("toserver-chunk-size", NULL),
    IGN("toclient-chunk-size", NULL),
    IGN("randomize-chunk-size", NULL),
    IGN("segment-prealloc", NULL),
    IGN("check-overlap-different-data", "overlaps with different data are always checked"),
    END,
};

static const struct key k_stream[] = {
    VAL("memcap", KT_SIZE64, OFF(stream_memcap_session), 1 << 20, 1ull << 44),
    VAL("midstream", KT_BOOL, OFF(stream.midstream), 0, 0),
    VAL("flow-memcap", KT_SIZE, OFF(stream.flow_memcap), 4096, 1ull << 34),
    VAL("retain-bytes", KT_U32, OFF(stream.retain_bytes), 0, 1u << 30),
    VAL("max-queued-segments", KT_U32, OFF(stream.max_queued_segs), 1, 1u << 20),
    MAP("reassembly", k_reassembly),
    IGN("checksum-validation", NULL),
    IGN("async-oneside", NULL),
    IGN("inline", NULL),
    IGN("bypass", NULL),
    IGN("prealloc-sessions", NULL),
    END,
};

static const struct key k_defrag[] = {
    VAL("memcap", KT_SIZE, OFF(decode.defrag_memcap), 1 << 16, 1ull << 40),
    VAL("trackers", KT_U32, OFF(decode.defrag_max_trackers), 1, 1u << 24),
    VAL("timeout", KT_DUR, OFF(decode.defrag_timeout_s), 1, 3600),
    IGN("max-frags", "bounded by defrag.memcap"),
    IGN("prealloc", NULL),
    IGN("hash-size", NULL),
    END,
};

static const struct key k_weights[] = {
    VAL("interval", KT_DOUBLE, OFF(beacon.w_interval), 0, 1),
    VAL("size", KT_DOUBLE, OFF(beacon.w_size), 0, 1),
    VAL("duration", KT_DOUBLE, OFF(beacon.w_duration), 0, 1),
    VAL("histogram", KT_DOUBLE, OFF(beacon.w_histogram), 0, 1),
    END,
};

static const struct key k_beacons[] = {
    VAL("enabled", KT_BOOL, OFF(beacons_enabled), 0, 0),
    VAL("threshold", KT_DOUBLE, OFF(beacon.threshold), 0, 1),
    MAP("weights", k_weights),
    VAL("min-connections", KT_U32, OFF(beacon.min_connections), 4, 1u << 24),
    VAL("max-connections", KT_U32, OFF(beacon.max_connections), 4, UINT32_MAX),
    VAL("max-pairs", KT_U32, OFF(beacon.max_pairs), 1, 1u << 26),
    VAL("max-per-pair", KT_U32, OFF(beacon.max_per_pair), 4, 1u << 26),
    VAL("max-records", KT_U64, OFF(beacon.max_records), 16, 1ull << 32),
    END,
};

static const struct key k_intel[] = {
    FN("ioc-files", fn_path_list, OFF(ioc_files)),
    FN("allowlist-files", fn_path_list, OFF(allowlist_files)),
    FN("beacons", fn_beacons, 0),
    END,
};

static const struct key k_tamper[] = {
    VAL("min-confidence", KT_DOUBLE, OFF(tamper_min_confidence), 0, 100),
    VAL("max-flows", KT_U32, OFF(tamper.max_flows), 16, 1u << 24),
    VAL("max-findings", KT_U32, OFF(tamper.max_findings), 16, 1u << 24),
    VAL("max-dns-flows", KT_U32, OFF(tamper.max_dns_flows), 0, 1u << 24),
    VAL("race-window-ms", KT_U32, OFF(tamper.race_window_ms), 1, 600000),
    VAL("reorder-ms", KT_U32, OFF(tamper.reorder_ms), 0, 600000),
    END,
};

static const struct key k_capture[] = {
    FN("interfaces", fn_name_list, OFF(interfaces)),
    FN("method", fn_capture_method, 0),
    VAL("snaplen", KT_U32, OFF(snaplen), 64, 262144),
    VAL("bpf", KT_STR, OFF(bpf), 0, 0),
    VAL("promisc", KT_BOOL, OFF(promisc), 0, 0),
    VAL("user", KT_STR, OFF(user), 0, 0),
    END,
};

static const struct key k_rule_cache[] = {
    VAL("enabled", KT_BOOL, OFF(rule_cache_enabled), 0, 0),
    VAL("dir", KT_PATH, OFF(rule_cache_dir), 0, 0),
    END,
};

static const struct key k_top[] = {
    MAP("vars", k_vars),
    VAL("default-rule-path", KT_PATH, OFF(default_rule_path), 0, 0),
    FN("rule-files", fn_rule_files, 0),
    FN("classification-file", fn_classification, 0),
    IGN("reference-config-file", NULL),
    IGN("threshold-file", "thresholds come from the rules' threshold keywords"),
    MAP("rule-cache", k_rule_cache),
    VAL("default-log-dir", KT_PATH, OFF(log_dir), 0, 0),
    FN("outputs", fn_outputs, 0),
    FN("evidence", fn_evidence, 0),
    MAP("report", k_report),
    MAP("flow", k_flow),
    MAP("flow-timeouts", k_timeouts),
    MAP("stream", k_stream),
    MAP("defrag", k_defrag),
    MAP("intel", k_intel),
    MAP("tamper", k_tamper),
    VAL("workers", KT_U32, OFF(workers), 0, 64), /* = ENGINE_MAX_WORKERS */
    MAP("capture", k_capture),
    VAL("stats-interval", KT_DUR, OFF(stats_interval_s), 0, 86400),
    END,
};

static void fn_beacons(struct walk *w, const struct key *k, const struct cnode *key,
                       const struct cnode *val)
{
    w->beacon_node = key;
    static const struct key wrap = MAP("beacons", k_beacons);
    walk_value(w, &wrap, key, val);
}

static void fn_evidence(struct walk *w, const struct key *k, const struct cnode *key,
                        const struct cnode *val)
{
    w->evidence_node = key;
    static const struct key wrap = MAP("evidence", k_evidence);
    walk_value(w, &wrap, key, val);
}

static void fn_eve_enabled(struct walk *w, const struct key *k, const struct cnode *key,
                           const struct cnode *val)
{
    bool b;
    if (!want_scalar(w, key, val, "yes")) return;
    if (!parse_bool(val->s, &b)) {
        add_err(w->errs, val->line, val->col, "%s: expected yes or no, not '%s'", key->s, val->s);
        return;
    }
    if (!b)
        add_err(w->errs, val->line, val->col,
                "eve-log cannot be disabled: vigil always writes its EVE file");
}

static void fn_filetype(struct walk *w, const struct key *k, const struct cnode *key,
                        const struct cnode *val)
{
    if (!want_scalar(w, key, val, "regular or redis")) return;
    if (strcmp(val->s, "regular") == 0) return;
    if (strcmp(val->s, "redis") == 0) {
        w->c->redis_enabled = true; /* the file is still written: see docs/config.md */
        return;
    }
    add_err(w->errs, val->line, val->col, "%s: expected regular or redis, not '%s'", key->s,
            val->s);
}

static void fn_redis_mode(struct walk *w, const struct key *k, const struct cnode *key,
                          const struct cnode *val)
{
    if (!want_scalar(w, key, val, "xadd or rpush")) return;
    if (strcmp(val->s, "xadd") == 0 || strcmp(val->s, "stream") == 0)
        w->c->eve.redis_mode = EVE_REDIS_STREAM;
    else if (strcmp(val->s, "rpush") == 0)
        w->c->eve.redis_mode = EVE_REDIS_LIST;
    else if (!strcmp(val->s, "list") || !strcmp(val->s, "lpush"))
        add_err(w->errs, val->line, val->col,
                "%s: vigil appends to lists with RPUSH: write 'rpush' (not '%s')", key->s, val->s);
    else
        add_err(w->errs, val->line, val->col, "%s: expected xadd (stream) or rpush, not '%s'",
                key->s, val->s);
}

static void fn_rotate_interval(struct walk *w, const struct key *k, const struct cnode *key,
                               const struct cnode *val)
{
    if (!want_scalar(w, key, val, "a duration")) return;
    uint64_t v = 0;
    if (strcmp(val->s, "minute") == 0)
        v = 60;
    else if (strcmp(val->s, "hour") == 0)
        v = 3600;
    else if (strcmp(val->s, "day") == 0)
        v = 86400;
    else if (!vg_config_parse_duration(val->s, &v) || v == 0) {
        add_err(w->errs, val->line, val->col,
                "%s: expected a duration (30s, 15m, 1h, minute, hour, day), not '%s'", key->s,
                val->s);
        return;
    }
    w->c->eve.rotate_interval_s = (uint32_t)v;
}

static void fn_capture_method(struct walk *w, const struct key *k, const struct cnode *key,
                              const struct cnode *val)
{
    if (!want_scalar(w, key, val, "afpacket or pcap")) return;
    if (strcmp(val->s, "afpacket") == 0 || strcmp(val->s, "af-packet") == 0)
        w->c->capture_method = VG_CAPTURE_AFPACKET;
    else if (strcmp(val->s, "pcap") == 0)
        w->c->capture_method = VG_CAPTURE_PCAP;
    else if (strcmp(val->s, "auto") == 0)
        w->c->capture_method = VG_CAPTURE_AUTO;
    else
        add_err(w->errs, val->line, val->col, "%s: expected afpacket, pcap or auto, not '%s'",
                key->s, val->s);
}

/* Suricata's eve-log types vigil does not write: a warning, so that a suricata.yaml list can be
 * carried over. */
static const char *const suricata_only_types[] = {
    "files", "drop",  "smtp",   "ftp",  "ftp-data",  "nfs",     "smb",   "tftp",
    "ikev2", "ike",   "dcerpc", "krb5", "snmp",      "rfb",     "sip",   "dhcp",
    "mqtt",  "http2", "pgsql",  "quic", "rdp",       "netflow", "frame", "bittorrent-dht",
    "arp",   "dnp3",  "modbus", "enip", "websocket", "ldap",    "doh2",  "pop3",
    "llmnr", "email", NULL};

static void fn_eve_types(struct walk *w, const struct key *k, const struct cnode *key,
                         const struct cnode *val)
{
    static const struct {
        const char *name;
        int type;
    } names[] = {{"flow", ENG_EV_FLOW},   {"anomaly", ENG_EV_ANOMALY}, {"http", ENG_EV_HTTP},
                 {"dns", ENG_EV_DNS},     {"tls", ENG_EV_TLS},         {"ssh", ENG_EV_SSH},
                 {"alert", ENG_EV_ALERT}, {"stats", ENG_EV_STATS}};
    if (val->kind != N_SEQ) {
        add_err(w->errs, val->line, val->col, "%s: expected a list of event types, not %s", key->s,
                is_null(val) ? "nothing" : kind_name(val->kind));
        return;
    }
    unsigned mask = 0;
    for (uint32_t i = val->first; i != NONE; i = w->t->n[i].next) {
        const struct cnode *it = &w->t->n[i];
        const struct cnode *nm = it;
        if (it->kind == N_MAP && it->nkids == 2) { /* "- http: {extended: yes}" */
            nm = &w->t->n[it->first];
            const struct cnode *opts = &w->t->n[nm->next];
            if (!is_null(opts))
                add_warn(w->errs, opts->line, opts->col,
                         "options of event type '%s' are not used by vigil (ignored)", nm->s);
        } else if (it->kind != N_SCALAR || is_null(it)) {
            add_err(w->errs, it->line, it->col, "%s: each entry must be an event type name",
                    key->s);
            continue;
        }
        bool found = false;
        for (size_t j = 0; j < sizeof names / sizeof names[0]; j++)
            if (strcmp(nm->s, names[j].name) == 0) {
                mask |= 1u << names[j].type;
                found = true;
            }
        if (found) continue;
        bool suri = false;
        for (int j = 0; suricata_only_types[j]; j++)
            if (strcmp(nm->s, suricata_only_types[j]) == 0) suri = true;
        if (suri)
            add_warn(w->errs, nm->line, nm->col, "vigil writes no '%s' events (ignored)", nm->s);
        else
            add_err(w->errs, nm->line, nm->col,
                    "unknown event type '%.80s' (flow, anomaly, http, dns, tls, ssh, alert, stats)",
                    nm->s);
    }
    w->c->eve_types = mask;
}

static void fn_outputs(struct walk *w, const struct key *k, const struct cnode *key,
                       const struct cnode *val)
{
    if (is_null(val)) return;
    if (val->kind != N_SEQ) {
        add_err(w->errs, val->line, val->col,
                "%s: expected a list of outputs (\"- eve-log: ...\"), not %s", key->s,
                kind_name(val->kind));
        return;
    }
    for (uint32_t i = val->first; i != NONE && w->rc == VG_OK; i = w->t->n[i].next) {
        const struct cnode *it = &w->t->n[i];
        if (it->kind != N_MAP || it->nkids != 2) {
            add_err(w->errs, it->line, it->col,
                    "%s: each entry must be one output name with its settings (\"- eve-log:\")",
                    key->s);
            continue;
        }
        const struct cnode *nm = &w->t->n[it->first];
        const struct cnode *body = &w->t->n[nm->next];
        if (strcmp(nm->s, "eve-log") != 0) {
            add_err(w->errs, nm->line, nm->col,
                    "unknown output '%.80s': vigil writes eve-log only (see docs/config.md)",
                    nm->s);
            continue;
        }
        if (w->eve_seen) {
            add_err(w->errs, nm->line, nm->col, "a second eve-log output: vigil writes one");
            continue;
        }
        w->eve_seen = true;
        w->eve_node = nm;
        static const struct key wrap = MAP("eve-log", k_eve);
        walk_value(w, &wrap, nm, body);
    }
}

/* ---- after the walk ------------------------------------------------------------------------- */

/* Checks each variable's value by parsing a rule that uses it, with every variable of the file
 * set (so that $HOME_NET inside EXTERNAL_NET resolves to the file's HOME_NET). */
static void check_vars(struct walk *w)
{
    struct vg_config *c = w->c;
    if (!c->n_vars) return;
    struct rule_vars *rv = rule_vars_new();
    if (!rv) {
        w->rc = VG_ERR_NOMEM;
        return;
    }
    for (size_t i = 0; i < c->n_vars; i++) {
        const struct vg_config_var *v = &c->vars[i];
        if (!v->name || !v->value) continue;
        /* one namespace for both groups (as the rule parser has): a name in both is a mistake */
        bool twice = false;
        for (size_t j = 0; j < i && !twice; j++)
            twice = c->vars[j].name && c->vars[j].port != v->port &&
                    strcmp(c->vars[j].name, v->name) == 0;
        if (twice) {
            add_err(w->errs, v->line, v->col,
                    "variable '%.64s' is set in both address-groups and port-groups", v->name);
            continue;
        }
        int rc = rule_vars_set(rv, v->name, v->value);
        if (rc == VG_ERR_NOMEM) {
            w->rc = rc;
            break;
        }
        if (rc != VG_OK)
            add_err(w->errs, v->line, v->col, "variable '%.64s': %s", v->name,
                    rc == VG_ERR_LIMIT ? "too many variables or value too long"
                                       : "not a valid name (letters, digits, _ - .)");
    }
    for (size_t i = 0; i < c->n_vars && w->rc == VG_OK; i++) {
        const struct vg_config_var *v = &c->vars[i];
        if (!v->name || !rule_vars_get(rv, v->name)) continue;
        char text[200];
        if (v->port)
            snprintf(text, sizeof text, "alert tcp any $%.64s -> any any (sid:1;)", v->name);
        else
            snprintf(text, sizeof text, "alert ip $%.64s any -> any any (sid:1;)", v->name);
        struct rule_parse_cfg pc;
        memset(&pc, 0, sizeof pc);
        pc.vars = rv;
        struct rule *r = NULL;
        struct rule_error re;
        memset(&re, 0, sizeof re);
        int rc = rule_parser_parse(text, strlen(text), &pc, &r, &re);
        if (r) rule_free(r);
        if (rc == VG_ERR_NOMEM) {
            w->rc = rc;
            break;
        }
        if (rc != VG_OK)
            add_err(w->errs, v->line, v->col, "%s group '%.64s': %s", v->port ? "port" : "address",
                    v->name, re.msg);
    }
    rule_vars_free(rv);
}

static void finish(struct walk *w)
{
    struct vg_config *c = w->c;
    /* rule files: relative to default-rule-path (itself relative to the file), else the file */
    const char *base = c->default_rule_path ? c->default_rule_path : c->dir;
    for (size_t i = 0; i < w->raw_rule_files.n && w->rc == VG_OK; i++) {
        struct vg_config_str *r = &w->raw_rule_files.v[i];
        add_list(w, &c->rule_files, &(struct cnode){.line = r->line, .col = r->col},
                 join_path(w, base, r->s));
    }
    if (w->flow_memcap_node && w->flow_max_node) {
        const struct cnode *n = w->flow_max_node->line > w->flow_memcap_node->line
                                    ? w->flow_max_node
                                    : w->flow_memcap_node;
        add_err(w->errs, n->line, n->col, "flow.memcap and flow.max-flows are both set: use one");
    } else if (w->flow_memcap_node) {
        /* per flow: the flow record and two index slots (flow_table.c) */
        uint64_t per = sizeof(struct flow) + 2 * sizeof(uint32_t);
        uint64_t n = c->flow_memcap / per;
        if (n < 16) n = 16;
        if (n > (1u << 30)) n = 1u << 30;
        c->flow.max_flows = (uint32_t)n;
    }
    if (c->stream_memcap_session || c->stream_memcap_reasm)
        c->stream.memcap = (size_t)(c->stream_memcap_session + c->stream_memcap_reasm);
    char why[200];
    if (beacon_config_check(&c->beacon, why, sizeof why) != VG_OK) {
        const struct cnode *n = w->beacon_node;
        add_err(w->errs, n ? n->line : 0, n ? n->col : 0, "intel.beacons: %s", why);
    }
    if (c->evidence.first_n + (uint64_t)c->evidence.last_m == 0) {
        const struct cnode *n = w->evidence_node;
        add_err(w->errs, n ? n->line : 0, n ? n->col : 0,
                "evidence: first-packets and last-packets are both 0: no packet would be kept");
    }
    if (c->redis_enabled && c->eve.redis_mode == EVE_REDIS_OFF)
        c->eve.redis_mode = EVE_REDIS_STREAM;
    check_vars(w);
}

/* ---- entry points ------------------------------------------------------------------------- */

void vg_config_init(struct vg_config *c)
{
    memset(c, 0, sizeof *c);
    c->rule_cache_enabled = true;
    c->eve_types = ~0u;
    eve_sink_config_default(&c->eve);
    c->eve.redis_port = 6379;
    evidence_config_default(&c->evidence);
    decode_config_default(&c->decode);
    flow_config_default(&c->flow);
    stream_config_default(&c->stream);
    tamper_config_default(&c->tamper);
    c->tamper_min_confidence = -1;
    beacon_config_default(&c->beacon);
    c->beacons_enabled = true;
    c->promisc = true;
}

static void list_fini(struct vg_config_list *l)
{
    for (size_t i = 0; i < l->n; i++)
        vg_free(l->v[i].s);
    vg_free(l->v);
    l->v = NULL;
    l->n = 0;
}

void vg_config_fini(struct vg_config *c)
{
    vg_free(c->path);
    vg_free(c->dir);
    for (size_t i = 0; i < c->n_vars; i++) {
        vg_free(c->vars[i].name);
        vg_free(c->vars[i].value);
    }
    vg_free(c->vars);
    vg_free(c->default_rule_path);
    list_fini(&c->rule_files);
    vg_free(c->classification_file.s);
    vg_free(c->rule_cache_dir);
    vg_free(c->log_dir);
    vg_free(c->eve_filename);
    vg_free(c->redis_server);
    vg_free(c->redis_key);
    list_fini(&c->ioc_files);
    list_fini(&c->allowlist_files);
    list_fini(&c->interfaces);
    vg_free(c->bpf);
    vg_free(c->user);
    vg_config_init(c);
}

static void errs_reset(struct vg_config_errors *errs, const char *name)
{
    memset(errs, 0, sizeof *errs);
    snprintf(errs->file, sizeof errs->file, "%s", name ? name : "config");
}

int vg_config_load_buffer(const char *name, const char *dir, const char *data, size_t len,
                          struct vg_config *c, struct vg_config_errors *errs)
{
    errs_reset(errs, name);
    if (len > VG_CONFIG_MAX_BYTES) {
        add_err(errs, 0, 0, "larger than %u bytes", VG_CONFIG_MAX_BYTES);
        return VG_ERR_FORMAT;
    }
    vg_free(c->path);
    vg_free(c->dir);
    c->path = vg_strdup(name ? name : "config");
    c->dir = vg_strdup(dir && dir[0] ? dir : ".");
    if (!c->path || !c->dir) return VG_ERR_NOMEM;
    struct tree t;
    int rc = build_tree(&t, data, len, errs);
    if (rc == VG_OK && t.root != NONE) {
        struct walk w;
        memset(&w, 0, sizeof w);
        w.c = c;
        w.errs = errs;
        w.t = &t;
        w.rc = VG_OK;
        walk_map(&w, &t.n[t.root], k_top, "the top level");
        if (w.rc == VG_OK) finish(&w);
        list_fini(&w.raw_rule_files);
        rc = w.rc;
    }
    tree_fini(&t);
    if (rc == VG_OK && errs->errors) rc = VG_ERR_FORMAT;
    return rc;
}

int vg_config_load(const char *path, struct vg_config *c, struct vg_config_errors *errs)
{
    errs_reset(errs, path);
    FILE *f = fopen(path, "rb");
    if (!f) {
        add_err(errs, 0, 0, "cannot open: %s", strerror(errno));
        return VG_ERR_IO;
    }
    char *buf = vg_malloc(VG_CONFIG_MAX_BYTES + 1);
    if (!buf) {
        fclose(f);
        return VG_ERR_NOMEM;
    }
    size_t n = fread(buf, 1, VG_CONFIG_MAX_BYTES + 1, f);
    bool rerr = ferror(f);
    int saved = errno;
    fclose(f);
    if (rerr) {
        add_err(errs, 0, 0, "cannot read: %s", strerror(saved));
        vg_free(buf);
        return VG_ERR_IO;
    }
    if (n > VG_CONFIG_MAX_BYTES) {
        add_err(errs, 0, 0, "larger than %u bytes: not a configuration file", VG_CONFIG_MAX_BYTES);
        vg_free(buf);
        return VG_ERR_FORMAT;
    }
    /* the folder of the file: relative paths inside are relative to it */
    char dir[4096];
    const char *slash = strrchr(path, '/');
    if (!slash)
        snprintf(dir, sizeof dir, ".");
    else if (slash == path)
        snprintf(dir, sizeof dir, "/");
    else
        snprintf(dir, sizeof dir, "%.*s", (int)(slash - path), path);
    int rc = vg_config_load_buffer(path, dir, buf, n, c, errs);
    vg_free(buf);
    return rc;
}

unsigned vg_config_check_files(const struct vg_config *c, struct vg_config_errors *errs)
{
    unsigned bad = 0;
    const struct {
        const struct vg_config_list *l;
        const char *what;
    } lists[] = {{&c->rule_files, "rule file"},
                 {&c->ioc_files, "indicator file"},
                 {&c->allowlist_files, "allowlist file"}};
    for (size_t j = 0; j < sizeof lists / sizeof lists[0]; j++)
        for (size_t i = 0; i < lists[j].l->n; i++) {
            const struct vg_config_str *s = &lists[j].l->v[i];
            if (access(s->s, R_OK) == 0) continue;
            add_warn(errs, s->line, s->col, "%s %s: %s", lists[j].what, s->s, strerror(errno));
            bad++;
        }
    if (c->classification_file.s && access(c->classification_file.s, R_OK) != 0) {
        add_warn(errs, c->classification_file.line, c->classification_file.col,
                 "classification file %s: %s", c->classification_file.s, strerror(errno));
        bad++;
    }
    return bad;
}

void vg_config_summary(const struct vg_config *c, char *buf, size_t len)
{
    size_t ports = 0;
    for (size_t i = 0; i < c->n_vars; i++)
        ports += c->vars[i].port;
    char redis[300] = "";
    if (c->redis_enabled)
        snprintf(redis, sizeof redis, ", redis %s:%u",
                 c->redis_server ? c->redis_server : "127.0.0.1", c->eve.redis_port);
    snprintf(buf, len,
             "%zu address and %zu port variable(s), %zu rule file(s), %zu indicator file(s), "
             "eve-log %s%s%s, %u flows max, %u worker(s)%s",
             c->n_vars - ports, ports, c->rule_files.n, c->ioc_files.n,
             c->eve_filename ? c->eve_filename : "eve.json", c->eve.split_types ? " (split)" : "",
             redis, c->flow.max_flows, c->workers, c->workers ? "" : " (auto)");
}
