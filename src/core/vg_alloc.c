/* vg_alloc.c - allocation wrappers with failure injection for tests. */
#include "core/vg_alloc.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

/* Atomic: workers on several threads allocate (vigil analyze --workers N). Off (-1), the check is
 * one relaxed load, a plain load on x86 and arm64. */
static _Atomic long g_fail_after = -1;

static int should_fail(void)
{
    long n = atomic_load_explicit(&g_fail_after, memory_order_relaxed);
    if (n < 0) return 0;
    for (;;) {
        if (n == 0) return 1;
        if (n < 0) return 0;
        if (atomic_compare_exchange_weak_explicit(&g_fail_after, &n, n - 1, memory_order_relaxed,
                                                  memory_order_relaxed))
            return 0;
    }
}

void vg_alloc_fail_after(long n) { atomic_store(&g_fail_after, n); }

void *vg_malloc(size_t n) { return should_fail() ? NULL : malloc(n ? n : 1); }
void *vg_calloc(size_t count, size_t size)
{
    return should_fail() ? NULL : calloc(count ? count : 1, size ? size : 1);
}
void *vg_realloc(void *p, size_t n) { return should_fail() ? NULL : realloc(p, n ? n : 1); }
void vg_free(void *p) { free(p); }

char *vg_strdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = vg_malloc(n);
    if (d) memcpy(d, s, n);
    return d;
}
