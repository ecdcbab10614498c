/* ioc_bench.c - lookups per second against an indicator file (bench/intel.sh): loads FILE with the
 * intel module's loader, then times ioc_match_addr on random IPv4 and IPv6 addresses and
 * ioc_match_domain on random host names (three labels), N lookups each, and prints ns per lookup.
 *
 *   cc -O2 -D_GNU_SOURCE -Isrc bench/tools/ioc_bench.c build/libvigil_lib.a $(libs) -o ioc_bench
 *   ioc_bench FILE [N]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "intel/intel.h"

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + t.tv_nsec / 1e9;
}

static uint64_t rnd(uint64_t *x)
{
    *x ^= *x << 13;
    *x ^= *x >> 7;
    *x ^= *x << 17;
    return *x;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: ioc_bench FILE [N]\n");
        return 2;
    }
    long n = argc > 2 ? strtol(argv[2], NULL, 10) : 2000000;
    struct ioc_set *s = ioc_set_new();
    double t0 = now();
    if (!s || ioc_load_file(s, argv[1], IOC_FMT_AUTO, 0, NULL, NULL, NULL) != 0 ||
        ioc_set_build(s) != 0) {
        fprintf(stderr, "ioc_bench: cannot load %s\n", argv[1]);
        return 1;
    }
    double t_load = now() - t0;
    uint64_t x = 0x9E3779B97F4A7C15ull, hits = 0;
    struct vg_addr *a4 = malloc((size_t)n * sizeof *a4), *a6 = malloc((size_t)n * sizeof *a6);
    char(*names)[40] = malloc((size_t)n * sizeof *names);
    if (!a4 || !a6 || !names) return 1;
    static const char *tld[] = {"com", "net", "org", "info", "ru",
                                "cn",  "xyz", "top", "io",   "example"};
    for (long i = 0; i < n; i++) {
        uint64_t r = rnd(&x);
        memset(&a4[i], 0, sizeof a4[i]);
        a4[i].family = 4;
        memcpy(a4[i].a, &r, 4);
        memset(&a6[i], 0, sizeof a6[i]);
        a6[i].family = 6;
        a6[i].a[0] = 0x20;
        a6[i].a[1] = 0x01;
        a6[i].a[2] = 0x0d;
        a6[i].a[3] = 0xb8;
        uint64_t r2 = rnd(&x);
        memcpy(a6[i].a + 4, &r2, 8);
        snprintf(names[i], sizeof names[i], "www.h%llx.%s",
                 (unsigned long long)(r >> 20) & 0xffffff, tld[r % 10]);
    }
    t0 = now();
    for (long i = 0; i < n; i++)
        hits += ioc_match_addr(s, &a4[i]) != IOC_NONE;
    double t4 = now() - t0;
    t0 = now();
    for (long i = 0; i < n; i++)
        hits += ioc_match_addr(s, &a6[i]) != IOC_NONE;
    double t6 = now() - t0;
    t0 = now();
    for (long i = 0; i < n; i++)
        hits += ioc_match_domain(s, names[i], strlen(names[i])) != IOC_NONE;
    double td = now() - t0;
    printf("ioc_bench: %zu indicators loaded in %.2f s (%.1f MB); %ld lookups each: IPv4 %.0f ns, "
           "IPv6 %.0f ns, domain (3 labels) %.0f ns; %llu hits\n",
           ioc_set_count(s), t_load, ioc_set_memory(s) / 1e6, n, t4 * 1e9 / n, t6 * 1e9 / n,
           td * 1e9 / n, (unsigned long long)hits);
    ioc_set_free(s);
    free(a4);
    free(a6);
    free(names);
    return 0;
}
