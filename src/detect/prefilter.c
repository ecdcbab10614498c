/* prefilter.c - the Vectorscan (Hyperscan API) side of the rule engine: compiling the fast
 * patterns of a rule group into one block-mode database, scanning a buffer with it, and the
 * on-disk cache of serialised databases.
 *
 * Patterns are literals: every byte is written as \xNN, so no byte of a content can be read as
 * regex syntax; `nocase` becomes HS_FLAG_CASELESS; every pattern carries HS_FLAG_SINGLEMATCH
 * (a candidate rule needs to be reported once per scan, not at every occurrence).
 *
 * Cache file (one per key, written atomically through a temporary file and rename(2)):
 *     "VIGILHS1" | key[32] | sha256(payload)[32] | u32 ndb | payload
 *     payload = for each database: u32 length (0: no database) | hs_serialize_database bytes
 * Everything is checked before use: magic, key, payload digest, the count, each length, and
 * hs_deserialize_database's own verdict. Any failure rejects the whole file.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <hs/hs.h>
#include <openssl/evp.h>

#include "core/vg_alloc.h"
#include "core/vg_status.h"
#include "detect/detect_int.h"

#define CACHE_MAGIC "VIGILHS1"
#define CACHE_HDR (8 + 32 + 32 + 4)

const char *prefilter__version(void)
{
    return hs_version();
}

int prefilter__compile(const struct pf_pattern *pats, uint32_t n, struct hs_database **db,
                       char *err, size_t errlen)
{
    *db = NULL;
    if (n == 0) return VG_OK;
    char **expr = vg_calloc(n, sizeof *expr);
    unsigned *flags = vg_calloc(n, sizeof *flags);
    unsigned *ids = vg_calloc(n, sizeof *ids);
    int rc = VG_OK;
    if (!expr || !flags || !ids) {
        rc = VG_ERR_NOMEM;
        goto out;
    }
    static const char hex[] = "0123456789abcdef";
    for (uint32_t i = 0; i < n; i++) {
        char *e = vg_malloc((size_t)pats[i].len * 4 + 1);
        if (!e) {
            rc = VG_ERR_NOMEM;
            goto out;
        }
        for (uint32_t k = 0; k < pats[i].len; k++) {
            e[k * 4] = '\\';
            e[k * 4 + 1] = 'x';
            e[k * 4 + 2] = hex[pats[i].p[k] >> 4];
            e[k * 4 + 3] = hex[pats[i].p[k] & 15];
        }
        e[(size_t)pats[i].len * 4] = '\0';
        expr[i] = e;
        flags[i] = HS_FLAG_SINGLEMATCH | (pats[i].nocase ? HS_FLAG_CASELESS : 0);
        ids[i] = i;
    }
    hs_compile_error_t *ce = NULL;
    hs_database_t *d = NULL;
    if (hs_compile_multi((const char *const *)expr, flags, ids, n, HS_MODE_BLOCK, NULL, &d, &ce) !=
        HS_SUCCESS) {
        snprintf(err, errlen, "vectorscan: %s (pattern %d)", ce && ce->message ? ce->message : "?",
                 ce ? ce->expression : -1);
        hs_free_compile_error(ce);
        rc = VG_ERR_FORMAT;
        goto out;
    }
    *db = (struct hs_database *)d;
out:
    if (expr)
        for (uint32_t i = 0; i < n; i++)
            vg_free(expr[i]);
    vg_free(expr);
    vg_free(flags);
    vg_free(ids);
    if (rc == VG_ERR_NOMEM) snprintf(err, errlen, "out of memory");
    return rc;
}

void prefilter__db_free(struct hs_database *db)
{
    if (db) hs_free_database((hs_database_t *)db);
}

int prefilter__scratch_for(struct hs_scratch **scratch, const struct hs_database *db)
{
    if (!db) return VG_OK;
    hs_scratch_t *s = (hs_scratch_t *)*scratch;
    if (hs_alloc_scratch((const hs_database_t *)db, &s) != HS_SUCCESS) return VG_ERR_NOMEM;
    *scratch = (struct hs_scratch *)s;
    return VG_OK;
}

void prefilter__scratch_free(struct hs_scratch *scratch)
{
    if (scratch) hs_free_scratch((hs_scratch_t *)scratch);
}

struct scan_ctx {
    prefilter_match_fn fn;
    void *ctx;
};

static int on_hs_match(unsigned int id, unsigned long long from, unsigned long long to,
                       unsigned int flags, void *ud)
{
    (void)from, (void)to, (void)flags;
    struct scan_ctx *sc = ud;
    sc->fn(sc->ctx, id);
    return 0;
}

int prefilter__scan(const struct hs_database *db, struct hs_scratch *scratch, const uint8_t *buf,
                    uint32_t len, prefilter_match_fn on_match, void *ctx)
{
    if (!db || !len) return VG_OK;
    struct scan_ctx sc = {on_match, ctx};
    hs_error_t e = hs_scan((const hs_database_t *)db, (const char *)buf, len, 0,
                           (hs_scratch_t *)scratch, on_hs_match, &sc);
    return e == HS_SUCCESS ? VG_OK : VG_ERR_FORMAT;
}

/* ---- cache ------------------------------------------------------------------------------------
 */

static void put_u32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

static uint32_t get_u32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static bool sha256(const uint8_t *p, size_t n, uint8_t out[32])
{
    unsigned int ol = 0;
    return EVP_Digest(p, n, out, &ol, EVP_sha256(), NULL) == 1 && ol == 32;
}

int prefilter__cache_load(const char *path, const uint8_t key[32], struct hs_database **dbs,
                          uint32_t ndb, char *why, size_t whylen)
{
    for (uint32_t i = 0; i < ndb; i++)
        dbs[i] = NULL;
    FILE *fp = fopen(path, "rb");
    if (!fp) {
        snprintf(why, whylen, "%s", errno == ENOENT ? "no cache file yet" : strerror(errno));
        return VG_ERR_IO;
    }
    uint8_t *buf = NULL;
    int rc = VG_ERR_FORMAT;
    if (fseek(fp, 0, SEEK_END) != 0) goto io;
    long sz = ftell(fp);
    if (sz < CACHE_HDR || sz > (1L << 31)) {
        snprintf(why, whylen, "cache file has a bad size");
        goto out;
    }
    rewind(fp);
    buf = vg_malloc((size_t)sz);
    if (!buf) {
        snprintf(why, whylen, "out of memory");
        rc = VG_ERR_NOMEM;
        goto out;
    }
    if (fread(buf, 1, (size_t)sz, fp) != (size_t)sz) goto io;
    uint8_t dg[32];
    if (memcmp(buf, CACHE_MAGIC, 8) != 0) {
        snprintf(why, whylen, "not a vigil cache file");
        goto out;
    }
    if (memcmp(buf + 8, key, 32) != 0) {
        snprintf(why, whylen, "cache file made for other rules or versions");
        goto out;
    }
    if (!sha256(buf + CACHE_HDR, (size_t)sz - CACHE_HDR, dg) || memcmp(dg, buf + 40, 32) != 0) {
        snprintf(why, whylen, "cache file is corrupt (digest mismatch)");
        goto out;
    }
    if (get_u32(buf + 72) != ndb) {
        snprintf(why, whylen, "cache file holds another number of databases");
        goto out;
    }
    size_t off = CACHE_HDR;
    for (uint32_t i = 0; i < ndb; i++) {
        if ((size_t)sz - off < 4) goto corrupt;
        uint32_t l = get_u32(buf + off);
        off += 4;
        if (l > (size_t)sz - off) goto corrupt;
        if (l) {
            hs_database_t *d = NULL;
            if (hs_deserialize_database((const char *)buf + off, l, &d) != HS_SUCCESS) {
                snprintf(why, whylen, "cache database %u does not deserialise", i);
                goto fail;
            }
            dbs[i] = (struct hs_database *)d;
        }
        off += l;
    }
    if (off != (size_t)sz) goto corrupt;
    rc = VG_OK;
    goto out;
io:
    snprintf(why, whylen, "cannot read the cache file: %s", strerror(errno));
    rc = VG_ERR_IO;
    goto fail;
corrupt:
    snprintf(why, whylen, "cache file is corrupt (bad lengths)");
fail:
    for (uint32_t i = 0; i < ndb; i++) {
        prefilter__db_free(dbs[i]);
        dbs[i] = NULL;
    }
out:
    if (rc != VG_OK && rc != VG_ERR_IO && rc != VG_ERR_NOMEM)
        for (uint32_t i = 0; i < ndb; i++) {
            prefilter__db_free(dbs[i]);
            dbs[i] = NULL;
        }
    vg_free(buf);
    fclose(fp);
    return rc;
}

int prefilter__cache_store(const char *path, const uint8_t key[32], struct hs_database *const *dbs,
                           uint32_t ndb, char *why, size_t whylen)
{
    char **ser = vg_calloc(ndb ? ndb : 1, sizeof *ser);
    size_t *len = vg_calloc(ndb ? ndb : 1, sizeof *len);
    uint8_t *img = NULL;
    int rc = VG_ERR_NOMEM;
    if (!ser || !len) goto out;
    size_t total = CACHE_HDR;
    for (uint32_t i = 0; i < ndb; i++) {
        if (dbs[i] &&
            hs_serialize_database((const hs_database_t *)dbs[i], &ser[i], &len[i]) != HS_SUCCESS) {
            snprintf(why, whylen, "cannot serialise database %u", i);
            rc = VG_ERR_FORMAT;
            goto out;
        }
        total += 4 + len[i];
    }
    img = vg_malloc(total);
    if (!img) goto out;
    memcpy(img, CACHE_MAGIC, 8);
    memcpy(img + 8, key, 32);
    put_u32(img + 72, ndb);
    size_t off = CACHE_HDR;
    for (uint32_t i = 0; i < ndb; i++) {
        put_u32(img + off, (uint32_t)len[i]);
        off += 4;
        if (len[i]) memcpy(img + off, ser[i], len[i]);
        off += len[i];
    }
    if (!sha256(img + CACHE_HDR, total - CACHE_HDR, img + 40)) {
        snprintf(why, whylen, "sha256 failed");
        rc = VG_ERR_FORMAT;
        goto out;
    }
    char tmp[4200];
    if ((size_t)snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid()) >= sizeof tmp) {
        snprintf(why, whylen, "cache path too long");
        rc = VG_ERR_USAGE;
        goto out;
    }
    FILE *fp = fopen(tmp, "wb");
    if (!fp) {
        snprintf(why, whylen, "cannot write %s: %s", tmp, strerror(errno));
        rc = VG_ERR_IO;
        goto out;
    }
    bool ok = fwrite(img, 1, total, fp) == total;
    ok = fclose(fp) == 0 && ok;
    if (!ok || rename(tmp, path) != 0) {
        snprintf(why, whylen, "cannot write %s: %s", path, strerror(errno));
        unlink(tmp);
        rc = VG_ERR_IO;
        goto out;
    }
    rc = VG_OK;
out:
    if (rc == VG_ERR_NOMEM) snprintf(why, whylen, "out of memory");
    if (ser)
        for (uint32_t i = 0; i < ndb; i++)
            free(ser[i]); /* allocated by Vectorscan's misc allocator (malloc) */
    vg_free(ser);
    vg_free(len);
    vg_free(img);
    return rc;
}
