/* vg_alloc.h - allocation wrappers. All of vigil allocates through these so that tests can inject
 * failures (SQLite's habit): vg_alloc_fail_after(n) makes the (n+1)-th allocation from now fail. */
#ifndef VG_ALLOC_H
#define VG_ALLOC_H

#include <stddef.h>

void *vg_malloc(size_t n);
void *vg_calloc(size_t count, size_t size);
void *vg_realloc(void *p, size_t n);
void vg_free(void *p);
char *vg_strdup(const char *s);

/* Testing: fail the allocation after n successful ones; a negative n disables injection. */
void vg_alloc_fail_after(long n);

#endif
