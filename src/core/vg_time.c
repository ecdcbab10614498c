/* vg_time.c - EVE timestamp formatting, without locale or time-zone look-ups on the hot path. */
#include "core/vg_time.h"

#include <string.h>

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

/* Writes n decimal digits of v, zero-padded, and returns the end. */
static char *put_digits(char *o, uint64_t v, int n)
{
    for (int i = n - 1; i >= 0; i--) {
        o[i] = (char)('0' + v % 10);
        v /= 10;
    }
    return o + n;
}

/* "00" .. "99" for the time of day and the microseconds: one table look-up per two digits. */
static const char pairs[201] = "00010203040506070809101112131415161718192021222324"
                               "25262728293031323334353637383940414243444546474849"
                               "50515253545556575859606162636465666768697071727374"
                               "75767778798081828384858687888990919293949596979899";

static char *put2(char *o, unsigned v)
{
    memcpy(o, pairs + 2 * v, 2);
    return o + 2;
}

/* Hand-formatted: snprintf was the top entry of the profile when writing flow events (three
 * timestamps per flow event). */
size_t vg_ts_format(struct vg_ts ts, char *buf)
{
    int64_t days = ts.sec / 86400, rem = ts.sec % 86400;
    if (rem < 0) {
        rem += 86400;
        days--;
    }
    /* The date part changes once a day: keep the last one (per thread). */
    static _Thread_local int64_t cached_days = INT64_MIN;
    static _Thread_local char cached_date[11];
    if (days != cached_days) {
        int64_t y;
        unsigned m, d;
        civil_from_days(days, &y, &m, &d);
        if (y < 0 || y > 9999) { /* not representable in 4 digits: clamp, never overflow buf */
            y = y < 0 ? 0 : 9999;
        }
        char *c = cached_date;
        c = put_digits(c, (uint64_t)y, 4);
        *c++ = '-';
        c = put_digits(c, m, 2);
        *c++ = '-';
        c = put_digits(c, d, 2);
        *c = 'T';
        cached_days = days;
    }
    char *o = buf;
    memcpy(o, cached_date, 11);
    o += 11;
    unsigned r = (unsigned)rem, us = ts.nsec / 1000 % 1000000;
    o = put2(o, r / 3600);
    *o++ = ':';
    o = put2(o, r / 60 % 60);
    *o++ = ':';
    o = put2(o, r % 60);
    *o++ = '.';
    o = put2(o, us / 10000);
    o = put2(o, us / 100 % 100);
    o = put2(o, us % 100);
    memcpy(o, "+0000", 6);
    return (size_t)(o + 5 - buf);
}
