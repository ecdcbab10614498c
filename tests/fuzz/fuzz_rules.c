/* fuzz_rules.c - libFuzzer harness for src/detect's rule language: the input is a rules file.
 *
 * Runs: (1) the first line (up to 512 bytes) is set as variable $FUZZ, then the whole input is
 * loaded as a rules file with default limits and again with tiny limits (short lines, few
 * options, rules and skips, shallow nesting), so every cap is reached; (2) each of the first
 * lines is parsed on its own with rule_parser_parse. Every loaded rule is walked field by field
 * and every skip reason and group read in full, so ASan sees any bad pointer; every error must
 * carry a message and a position inside the input.
 *
 * Bounded: inputs over 64 KiB are cut (the loader's own line cap is 64 KiB).
 *
 * Build: clang -g -O1 -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE -Isrc with every .c of
 * src/core, src/detect and src/detect/keywords plus this file, -lpcre2-8; run:
 * fuzz_rules -max_total_time=180 tests/fuzz/seeds/rules
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/vg_status.h"
#include "detect/detect.h"

#define MAX_INPUT 65536

static volatile size_t g_sink;

static void touch(const void *p, size_t n)
{
    const unsigned char *b = p;
    size_t h = 0;
    for (size_t i = 0; i < n; i++)
        h = h * 31 + b[i];
    g_sink += h;
}

static void touch_str(const char *s)
{
    if (s) touch(s, strlen(s) + 1);
}

static void touch_rule(const struct rule *r)
{
    touch_str(r->msg);
    touch_str(r->classtype);
    touch_str(r->class_desc);
    touch_str(r->file);
    touch(r->src.v4, r->src.n4 * sizeof *r->src.v4);
    touch(r->src.v6, r->src.n6 * sizeof *r->src.v6);
    touch(r->dst.v4, r->dst.n4 * sizeof *r->dst.v4);
    touch(r->dst.v6, r->dst.n6 * sizeof *r->dst.v6);
    touch(r->sport.r, r->sport.n * sizeof *r->sport.r);
    touch(r->dport.r, r->dport.n * sizeof *r->dport.r);
    for (uint32_t i = 0; i < r->sport.n; i++) {
        if (r->sport.r[i].lo > r->sport.r[i].hi) abort();
        if (i && r->sport.r[i].lo <= r->sport.r[i - 1].hi) abort(); /* sorted, disjoint */
    }
    for (uint32_t i = 0; i < r->src.n4; i++) {
        if (r->src.v4[i].lo > r->src.v4[i].hi) abort();
        if (i && r->src.v4[i].lo <= r->src.v4[i - 1].hi) abort();
    }
    for (uint32_t i = 0; i < r->nref; i++) {
        touch_str(r->ref[i].type);
        touch_str(r->ref[i].value);
    }
    for (uint32_t i = 0; i < r->nmeta; i++) {
        touch_str(r->meta[i].key);
        touch_str(r->meta[i].value);
    }
    for (uint32_t b = 0; b < r->nbuf; b++) {
        const struct rule_buffer *rb = &r->buf[b];
        if (!rule_buf_info(rb->id) || rb->ntx > RULE_MAX_TX || rb->n == 0) abort();
        for (uint32_t i = 0; i < rb->n; i++) {
            const struct rule_match *m = &rb->m[i];
            if (m->buf != rb->id || m->list != b) abort();
            if (m->kind == RULE_M_CONTENT) {
                touch(m->u.content.pat, m->u.content.len + 1);
                if (m->u.content.len == 0) abort();
            } else if (m->kind == RULE_M_PCRE) {
                touch_str(m->u.pcre.src);
                touch_str(m->u.pcre.flags_str);
                if (!m->u.pcre.code) abort();
            } else {
                touch(&m->u, sizeof m->u);
            }
        }
    }
    if (r->fp_buf >= 0 &&
        ((uint32_t)r->fp_buf >= r->nbuf || (uint32_t)r->fp_idx >= r->buf[r->fp_buf].n))
        abort();
    touch(r->pm, r->npm * sizeof *r->pm);
    for (uint32_t i = 0; i < r->nflowbits; i++) {
        for (uint32_t k = 0; k < r->flowbits[i].n; k++)
            touch_str(r->flowbits[i].names[k]);
    }
    for (uint32_t i = 0; i < r->nev; i++) {
        touch_str(r->ev[i].tclass);
        touch_str(r->ev[i].tsubtype);
    }
    for (uint32_t i = 0; i < r->nvars; i++)
        touch_str(r->vars[i]);
}

static void run_loader(const char *data, size_t len, const struct rule_limits *lim, const char *var)
{
    struct rule_loader_cfg cfg = {lim};
    struct rule_loader *ld = rule_loader_new(&cfg);
    if (!ld) return;
    struct rule_error err;
    if (var) rule_loader_set_var(ld, "FUZZ", var, &err);
    touch_str(err.msg);
    rule_loader_load_buffer(ld, "fuzz.rules", data, len);
    size_t n;
    struct rule *const *rules = rule_loader_rules(ld, &n);
    for (size_t i = 0; i < n; i++)
        touch_rule(rules[i]);
    const struct rule_skip *sk = rule_loader_skips(ld, &n);
    for (size_t i = 0; i < n; i++) {
        touch_str(sk[i].reason);
        touch_str(sk[i].file);
        if (!sk[i].reason[0] || sk[i].line == 0) abort();
    }
    const struct rule_skip_group *g;
    size_t ng = rule_loader_skip_groups(ld, &g);
    uint64_t total = 0;
    for (size_t i = 0; i < ng; i++) {
        touch_str(g[i].reason);
        total += g[i].count;
    }
    const struct rule_loader_stats *st = rule_loader_stats(ld);
    if (total != st->skipped) abort();
    rule_loader_free(ld);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > MAX_INPUT) size = MAX_INPUT;
    const char *text = (const char *)data;

    /* the first line becomes $FUZZ */
    char var[513];
    size_t vl = 0;
    while (vl < size && vl < sizeof var - 1 && text[vl] != '\n') {
        var[vl] = text[vl] ? text[vl] : ' ';
        vl++;
    }
    var[vl] = '\0';

    struct rule_limits lim;
    rule_limits_default(&lim);
    run_loader(text, size, &lim, var);

    struct rule_limits tiny = {200, 8, 4, 3, 3, 2};
    run_loader(text, size, &tiny, NULL);

    /* single lines through the one-rule API */
    size_t off = 0;
    for (int k = 0; k < 8 && off < size; k++) {
        const char *nl = memchr(text + off, '\n', size - off);
        size_t n = nl ? (size_t)(nl - (text + off)) : size - off;
        struct rule *r = NULL;
        struct rule_error e;
        struct rule_parse_cfg cfg = {0};
        cfg.file = "line";
        int rc = rule_parser_parse(text + off, n, &cfg, &r, &e);
        if (rc == VG_OK) {
            if (!r) abort();
            touch_rule(r);
            rule_free(r);
        } else {
            if (r || !e.msg[0] || e.line != 1 || e.col == 0 || e.col > n + 1) abort();
        }
        off += n + 1;
    }
    return 0;
}
