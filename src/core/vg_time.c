/* vg_time.c - EVE timestamp formatting, without locale or time-zone look-ups on the hot path. */
#include "core/vg_time.h"

#include <stdio.h>

/* Civil-from-days (Howard Hinnant's public-domain algorithm): days since 1970-01-01 to Y-M-D. */
static void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
    z += 719468;
    const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    const unsigned doe = (unsigned)(z - era * 146097);
    const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const unsigned mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = (int64_t)yoe + era * 400 + (*m <= 2);
}

size_t vg_ts_format(struct vg_ts ts, char *buf)
{
    int64_t days = ts.sec / 86400, rem = ts.sec % 86400;
    if (rem < 0) {
        rem += 86400;
        days--;
    }
    int64_t y;
    unsigned m, d;
    civil_from_days(days, &y, &m, &d);
    int n = snprintf(buf, VG_TS_BUFLEN, "%04lld-%02u-%02uT%02u:%02u:%02u.%06u+0000", (long long)y, m,
                     d, (unsigned)(rem / 3600), (unsigned)(rem / 60 % 60), (unsigned)(rem % 60),
                     ts.nsec / 1000);
    return n < 0 ? 0 : (size_t)n;
}
