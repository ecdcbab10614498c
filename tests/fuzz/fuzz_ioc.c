/* fuzz_ioc.c - libFuzzer harness for src/intel's indicator loaders (plain list, CSV, STIX 2.1 via
 * jansson and the pattern reader) and the indicator set: the first input byte picks the format
 * (auto, list, CSV, STIX) and whether the allowlist type mask applies; the rest is the file. The
 * set is then built and queried with slices of the input as addresses, names, URLs and
 * fingerprints, and every entry's text and source are read whole.
 *
 * Build: make build-fuzz (CMake, clang -fsanitize=fuzzer,address,undefined); run:
 * build-fuzz/fuzz_ioc -max_total_time=60 tests/fuzz/seeds/ioc
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "intel/intel.h"

static volatile size_t sink;

static void touch(const char *s)
{
    size_t h = 0;
    for (; *s; s++)
        h = h * 31 + (unsigned char)*s;
    sink += h;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) return 0;
    int fmt = data[0] & 3; /* IOC_FMT_AUTO .. IOC_FMT_STIX */
    unsigned allowed = (data[0] & 4) ? (1u << IOC_IPV4) | (1u << IOC_IPV6) | (1u << IOC_DOMAIN) : 0;
    const char *text = (const char *)data + 1;
    size_t len = size - 1;
    struct ioc_set *s = ioc_set_new();
    if (!s) return 0;
    struct ioc_load_stats st;
    memset(&st, 0, sizeof st);
    ioc_load_buffer(s, "fuzz", text, len, fmt, allowed, NULL, NULL, &st);
    if (ioc_set_build(s) != 0) {
        ioc_set_free(s);
        return 0;
    }
    char src[300];
    for (uint32_t id = 0; id < ioc_set_count(s); id++) {
        touch(ioc_entry_text(s, id));
        touch(ioc_entry_source(s, id, src, sizeof src));
        sink += (size_t)ioc_entry_type(s, id);
    }
    /* queries: slices of the input between separators */
    size_t start = 0;
    for (size_t i = 0; i <= len && i < 4096; i++) {
        if (i < len && text[i] != '\n' && text[i] != ',' && text[i] != ' ' && text[i] != '\'')
            continue;
        const char *q = text + start;
        size_t qn = i - start;
        start = i + 1;
        if (qn == 0 || qn > 300) continue;
        sink += ioc_match_addr_text(s, q, qn);
        sink += ioc_match_domain(s, q, qn);
        sink += ioc_match_url(s, q, qn > 20 ? 20 : qn, q, qn);
        sink += ioc_match_hash(s, IOC_JA3, q, qn);
        sink += ioc_match_hash(s, IOC_JA4, q, qn);
        sink += ioc_match_hash(s, IOC_CERT_SHA1, q, qn);
        char err[160];
        sink += (size_t)(ioc_classify(IOC_TYPE_GUESS, q, qn, err, sizeof err) + 1);
    }
    /* every address of a few bytes' worth */
    struct vg_addr a;
    memset(&a, 0, sizeof a);
    for (size_t i = 0; i + 16 <= len && i < 256; i += 16) {
        a.family = (text[i] & 1) ? 6 : 4;
        memcpy(a.a, text + i, a.family == 4 ? 4 : 16);
        sink += ioc_match_addr(s, &a);
    }
    ioc_set_free(s);
    return 0;
}
