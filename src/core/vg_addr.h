/* vg_addr.h - IPv4/IPv6 addresses as decoded from packets. */
#ifndef VG_ADDR_H
#define VG_ADDR_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

struct vg_addr {
    uint8_t family; /* 4 or 6; 0 when unset */
    uint8_t a[16];  /* network order; IPv4 uses a[0..3], the rest stays zero */
};

#define VG_ADDR_STRLEN 46

static inline bool vg_addr_eq(const struct vg_addr *x, const struct vg_addr *y)
{
    return x->family == y->family && memcmp(x->a, y->a, 16) == 0;
}

/* Total order (family first) used to normalise flow keys. */
static inline int vg_addr_cmp(const struct vg_addr *x, const struct vg_addr *y)
{
    if (x->family != y->family) return x->family < y->family ? -1 : 1;
    return memcmp(x->a, y->a, 16);
}

/* Formats as inet_ntop does (RFC 5952 for IPv6); returns buf. buf holds VG_ADDR_STRLEN bytes. */
const char *vg_addr_str(const struct vg_addr *x, char *buf);

#endif
