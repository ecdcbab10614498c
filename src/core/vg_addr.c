/* vg_addr.c - address formatting through inet_ntop (RFC 5952 compression for IPv6). */
#include "core/vg_addr.h"

#include <arpa/inet.h>

const char *vg_addr_str(const struct vg_addr *x, char *buf)
{
    if (x->family == 4) {
        if (!inet_ntop(AF_INET, x->a, buf, VG_ADDR_STRLEN)) buf[0] = '\0';
    } else if (x->family == 6) {
        if (!inet_ntop(AF_INET6, x->a, buf, VG_ADDR_STRLEN)) buf[0] = '\0';
    } else {
        buf[0] = '\0';
    }
    return buf;
}
