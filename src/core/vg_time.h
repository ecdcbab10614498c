/* vg_time.h - packet timestamps (seconds + nanoseconds since the epoch) and their EVE format. */
#ifndef VG_TIME_H
#define VG_TIME_H

#include <stddef.h>
#include <stdint.h>

struct vg_ts {
    int64_t sec;
    uint32_t nsec; /* 0 .. 999,999,999 */
};

static inline int vg_ts_cmp(struct vg_ts a, struct vg_ts b)
{
    if (a.sec != b.sec) return a.sec < b.sec ? -1 : 1;
    if (a.nsec != b.nsec) return a.nsec < b.nsec ? -1 : 1;
    return 0;
}

/* Difference a - b in microseconds (may be negative). */
static inline int64_t vg_ts_diff_us(struct vg_ts a, struct vg_ts b)
{
    return (a.sec - b.sec) * 1000000 + ((int64_t)a.nsec - (int64_t)b.nsec) / 1000;
}

/* vg_ts_format writes Suricata's EVE timestamp, "2016-02-13T17:15:34.123456+0000" (UTC, microsecond
 * precision) into buf (at least VG_TS_BUFLEN bytes) and returns its length. */
#define VG_TS_BUFLEN 40
size_t vg_ts_format(struct vg_ts ts, char *buf);

#endif
