/* vg_addr.c - address formatting through inet_ntop (RFC 5952 compression for IPv6). */
#include "core/vg_addr.h"

#include <arpa/inet.h>

const char *vg_addr_str(const struct vg_addr *x, char *buf)
{
    if (x->family == 4) { /* by hand: inet_ntop's printf machinery showed in profiles */
        char *o = buf;
        for (int i = 0; i < 4; i++) {
            unsigned v = x->a[i];
            if (v >= 100) *o++ = (char)('0' + v / 100);
            if (v >= 10) *o++ = (char)('0' + v / 10 % 10);
            *o++ = (char)('0' + v % 10);
            *o++ = i < 3 ? '.' : '\0';
        }
    } else if (x->family == 6) {
        if (!inet_ntop(AF_INET6, x->a, buf, VG_ADDR_STRLEN)) buf[0] = '\0';
    } else {
        buf[0] = '\0';
    }
    return buf;
}
