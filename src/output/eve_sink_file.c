/* eve_sink_file.c - the EVE file sink: one event per line, appended to a 4 MiB buffer that is
 * written with write(2) when full (no stdio: its per-call locking showed in profiles). A line is
 * never split across two write calls' boundaries in a way a reader could see half of it: the
 * buffer is flushed before an event that does not fit, and an event larger than the buffer is
 * written on its own. */
#include "output/eve.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "core/vg_alloc.h"
#include "core/vg_status.h"

#define SINK_BUF (4u << 20)

struct eve_sink {
    int fd;
    char *buf;
    size_t len;
    uint64_t events;
    bool failed;
};

struct eve_sink *eve_sink_open(const char *path, char *errbuf, size_t errlen)
{
    struct eve_sink *s = vg_calloc(1, sizeof *s);
    char *buf = vg_malloc(SINK_BUF);
    if (!s || !buf) {
        snprintf(errbuf, errlen, "%s: out of memory", path);
        vg_free(s);
        vg_free(buf);
        return NULL;
    }
    s->fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (s->fd < 0) {
        snprintf(errbuf, errlen, "%s: %s", path, strerror(errno));
        vg_free(s);
        vg_free(buf);
        return NULL;
    }
    s->buf = buf;
    return s;
}

static int write_all(struct eve_sink *s, const char *p, size_t n)
{
    while (n) {
        ssize_t k = write(s->fd, p, n);
        if (k < 0) {
            if (errno == EINTR) continue;
            s->failed = true;
            return VG_ERR_IO;
        }
        p += k;
        n -= (size_t)k;
    }
    return VG_OK;
}

int eve_sink_flush(struct eve_sink *s)
{
    if (s->failed) return VG_ERR_IO;
    int rc = write_all(s, s->buf, s->len);
    s->len = 0;
    return rc;
}

int eve_sink_write(struct eve_sink *s, const struct jw *w)
{
    if (w->oom || w->len == 0) return VG_ERR_NOMEM;
    if (s->failed) return VG_ERR_IO;
    if (s->len + w->len + 1 > SINK_BUF && eve_sink_flush(s) != VG_OK) return VG_ERR_IO;
    if (w->len + 1 > SINK_BUF) { /* a huge event: written on its own */
        if (write_all(s, w->buf, w->len) != VG_OK || write_all(s, "\n", 1) != VG_OK)
            return VG_ERR_IO;
    } else {
        memcpy(s->buf + s->len, w->buf, w->len);
        s->buf[s->len + w->len] = '\n';
        s->len += w->len + 1;
    }
    s->events++;
    return VG_OK;
}

uint64_t eve_sink_events(const struct eve_sink *s) { return s->events; }

int eve_sink_close(struct eve_sink *s)
{
    if (!s) return VG_OK;
    int rc = eve_sink_flush(s);
    if (close(s->fd) != 0) rc = VG_ERR_IO;
    vg_free(s->buf);
    vg_free(s);
    return rc;
}
