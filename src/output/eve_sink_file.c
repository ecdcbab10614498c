/* eve_sink_file.c - the EVE file sink: one event per line, large stdio buffer. */
#include "output/eve.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "core/vg_alloc.h"
#include "core/vg_status.h"

struct eve_sink {
    FILE *fp;
    char *buf;
    uint64_t events;
};

struct eve_sink *eve_sink_open(const char *path, char *errbuf, size_t errlen)
{
    struct eve_sink *s = vg_calloc(1, sizeof *s);
    if (!s) {
        snprintf(errbuf, errlen, "%s: out of memory", path);
        return NULL;
    }
    s->fp = fopen(path, "w");
    if (!s->fp) {
        snprintf(errbuf, errlen, "%s: %s", path, strerror(errno));
        vg_free(s);
        return NULL;
    }
    s->buf = vg_malloc(1 << 20);
    if (s->buf) setvbuf(s->fp, s->buf, _IOFBF, 1 << 20);
    return s;
}

int eve_sink_write(struct eve_sink *s, const struct jw *w)
{
    if (w->oom || w->len == 0) return VG_ERR_NOMEM;
    if (fwrite(w->buf, 1, w->len, s->fp) != w->len || fputc('\n', s->fp) == EOF) return VG_ERR_IO;
    s->events++;
    return VG_OK;
}

int eve_sink_flush(struct eve_sink *s) { return fflush(s->fp) == 0 ? VG_OK : VG_ERR_IO; }

uint64_t eve_sink_events(const struct eve_sink *s) { return s->events; }

int eve_sink_close(struct eve_sink *s)
{
    if (!s) return VG_OK;
    int rc = fclose(s->fp) == 0 ? VG_OK : VG_ERR_IO;
    vg_free(s->buf);
    vg_free(s);
    return rc;
}
