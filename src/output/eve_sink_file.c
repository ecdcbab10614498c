/* eve_sink_file.c - the EVE sink: one event per line to the EVE file(s), optionally rotated by size
 * and time and split into one file per event type, fanned out to Redis (sink_redis.c).
 *
 * Files: each file appends to its own buffer (4 MiB for the single file, 1 MiB per type file) that
 * is written with write(2) when full (no stdio: its per-call locking showed in profiles). A line is
 * never split: the buffer is flushed before an event that does not fit, and an event larger than
 * the buffer is written on its own.
 *
 * Rotation (docs/outputs.md): before an event is added, a file that is not empty is rotated when
 * the event would take it past rotate_size, or when it has been open for rotate_interval_s. Its
 * buffer is flushed, the file is closed and renamed to NAME.<n> (n = 1, 2, 3 ... in order; a run
 * continues after the highest number already in the folder, so nothing earlier is overwritten), and
 * NAME is created again. So every line is in exactly one file, whole, and `cat NAME.1 NAME.2 ...
 * NAME` is the output of the run in order.
 *
 * Threads: several workers may share one sink (vigil analyze --workers N, vigil run). One mutex
 * covers each event (file buffer, rotation, Redis hand-over, counters), so a line is always added
 * whole and rotation sees one writer at a time. An event is built in the worker's own struct jw
 * first, so the lock is held only for the copy into the buffer. A full buffer is swapped for the
 * file's spare one under the lock and written with write(2) AFTER the lock is released, under the
 * file's own io mutex (taken before the sink mutex is let go, so writes keep their order; the next
 * swap, a flush or a rotation waits for it). The other workers go on filling the spare buffer
 * meanwhile: with one lock around write(2), a 4 MiB write stalled every other worker.
 */
#include "output/eve.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/vg_alloc.h"
#include "core/vg_status.h"
#include "output/sink_redis.h"

#define SINK_BUF (4u << 20)
#define SPLIT_BUF (1u << 20)
#define MAX_OUTS 32 /* event types with a file of their own; the rest share eve.other.json */

struct fout {
    char *path;    /* the live file */
    char type[32]; /* event type of a split file; "" for the single file */
    int fd;
    char *buf;
    size_t len, cap;
    uint64_t bytes;    /* bytes of the current file: written plus buffered */
    int64_t opened_ms; /* monotonic time the current file was created */
    unsigned next_n;   /* number of the next rotated file */
    _Atomic bool failed; /* set by a write outside the sink mutex too */
    char *spare;         /* the other buffer (cap bytes): written while this one fills */
    pthread_mutex_t io;  /* held from a buffer swap until its write(2) is done */
};

/* A buffer handed over for writing after the sink mutex is released (eve_sink_write). */
struct pending {
    struct fout *o;
    int fd;
    const char *p;
    size_t n;
};

struct eve_sink {
    struct eve_sink_config cfg; /* strings are not used after open */
    char *base;                 /* cfg.path */
    struct fout *outs[MAX_OUTS + 1];
    unsigned n_outs;
    struct sink_redis *redis;
    char **rotated; /* paths of rotated files, in rotation order */
    size_t n_rotated, cap_rotated;
    struct eve_sink_stats st;
    char errbuf[256];
    pthread_mutex_t mu; /* one event at a time (writers on several threads) */
};

void eve_sink_config_default(struct eve_sink_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->redis_maxlen = 1000000;
    cfg->redis_spool = 64u << 20;
    cfg->redis_drain_ms = 30000;
}

static int64_t mono_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC_COARSE, &t);
    return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* The highest n of an existing "<path>.<n>" in path's folder, 0 when there is none. */
static unsigned highest_rotated(const char *path)
{
    const char *slash = strrchr(path, '/');
    char dir[4096];
    const char *name = path;
    if (slash) {
        size_t dl = (size_t)(slash - path);
        if (dl >= sizeof dir) return 0;
        memcpy(dir, path, dl);
        dir[dl] = '\0';
        if (dl == 0) strcpy(dir, "/");
        name = slash + 1;
    } else {
        strcpy(dir, ".");
    }
    size_t nl = strlen(name);
    DIR *d = opendir(dir);
    if (!d) return 0;
    unsigned best = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (strncmp(e->d_name, name, nl) != 0 || e->d_name[nl] != '.') continue;
        const char *num = e->d_name + nl + 1;
        if (*num < '1' || *num > '9') continue;
        char *end;
        unsigned long v = strtoul(num, &end, 10);
        if (*end == '\0' && v > best && v < 100000000ul) best = (unsigned)v;
    }
    closedir(d);
    return best;
}

static int fout_create(struct fout *o, char *errbuf, size_t errlen)
{
    o->fd = open(o->path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (o->fd < 0) {
        snprintf(errbuf, errlen, "%s: %s", o->path, strerror(errno));
        return VG_ERR_IO;
    }
    o->bytes = 0;
    o->opened_ms = mono_ms();
    return VG_OK;
}

static struct fout *fout_new(struct eve_sink *s, const char *path, const char *type, size_t cap)
{
    struct fout *o = vg_calloc(1, sizeof *o);
    if (!o) return NULL;
    o->path = vg_strdup(path);
    o->buf = vg_malloc(cap);
    o->spare = vg_malloc(cap);
    o->cap = cap;
    o->fd = -1;
    pthread_mutex_init(&o->io, NULL);
    snprintf(o->type, sizeof o->type, "%s", type);
    if (!o->path || !o->buf || !o->spare) {
        snprintf(s->errbuf, sizeof s->errbuf, "%s: out of memory", path);
        goto fail;
    }
    if (s->cfg.rotate_size || s->cfg.rotate_interval_s) o->next_n = highest_rotated(path) + 1;
    if (fout_create(o, s->errbuf, sizeof s->errbuf) != VG_OK) goto fail;
    s->st.files_opened++;
    return o;
fail:
    vg_free(o->path);
    vg_free(o->buf);
    vg_free(o->spare);
    pthread_mutex_destroy(&o->io);
    vg_free(o);
    return NULL;
}

static int write_fd(struct fout *o, int fd, const char *p, size_t n)
{
    while (n) {
        ssize_t k = write(fd, p, n);
        if (k < 0) {
            if (errno == EINTR) continue;
            o->failed = true;
            return VG_ERR_IO;
        }
        p += k;
        n -= (size_t)k;
    }
    return VG_OK;
}

static int write_all(struct fout *o, const char *p, size_t n) { return write_fd(o, o->fd, p, n); }

/* Synchronous: waits for a write in progress (io), then writes the buffer. Sink mutex held. */
static int fout_flush(struct fout *o)
{
    pthread_mutex_lock(&o->io);
    int rc = VG_ERR_IO;
    if (!o->failed) rc = write_all(o, o->buf, o->len);
    o->len = 0;
    pthread_mutex_unlock(&o->io);
    return rc;
}

/* The full buffer becomes a pending write (done by the caller once the sink mutex is released,
 * then io is unlocked); the spare buffer takes its place. Sink mutex held. */
static void fout_swap(struct fout *o, struct pending *pw)
{
    pthread_mutex_lock(&o->io); /* the previous pending write of this file is done */
    char *full = o->buf;
    pw->o = o;
    pw->fd = o->fd;
    pw->p = full;
    pw->n = o->len;
    o->buf = o->spare;
    o->spare = full;
    o->len = 0;
}

static void pending_write(struct pending *pw)
{
    if (!pw->o) return;
    if (!pw->o->failed) (void)write_fd(pw->o, pw->fd, pw->p, pw->n);
    pthread_mutex_unlock(&pw->o->io);
    pw->o = NULL;
}

static int fout_close(struct fout *o)
{
    if (!o) return VG_OK;
    int rc = o->fd >= 0 ? fout_flush(o) : VG_OK;
    if (o->fd >= 0 && close(o->fd) != 0) rc = VG_ERR_IO;
    vg_free(o->path);
    vg_free(o->buf);
    vg_free(o->spare);
    pthread_mutex_destroy(&o->io);
    vg_free(o);
    return rc;
}

static int fout_rotate(struct eve_sink *s, struct fout *o)
{
    if (fout_flush(o) != VG_OK) return VG_ERR_IO;
    if (close(o->fd) != 0) {
        o->fd = -1;
        o->failed = true;
        return VG_ERR_IO;
    }
    o->fd = -1;
    size_t pl = strlen(o->path) + 16;
    char *to = vg_malloc(pl);
    if (s->n_rotated == s->cap_rotated) {
        size_t nc = s->cap_rotated ? s->cap_rotated * 2 : 16;
        char **nr = vg_realloc(s->rotated, nc * sizeof *nr);
        if (nr) {
            s->rotated = nr;
            s->cap_rotated = nc;
        }
    }
    if (!to || s->n_rotated == s->cap_rotated) {
        vg_free(to);
        o->failed = true;
        return VG_ERR_NOMEM;
    }
    snprintf(to, pl, "%s.%u", o->path, o->next_n++);
    if (rename(o->path, to) != 0) {
        vg_free(to);
        o->failed = true;
        return VG_ERR_IO;
    }
    s->rotated[s->n_rotated++] = to;
    if (fout_create(o, s->errbuf, sizeof s->errbuf) != VG_OK) {
        o->failed = true;
        return VG_ERR_IO;
    }
    s->st.rotations++;
    s->st.files_opened++;
    return VG_OK;
}

static int fout_write(struct eve_sink *s, struct fout *o, const char *line, size_t n,
                      struct pending *pw)
{
    if (o->failed) return VG_ERR_IO;
    if (o->bytes > 0) {
        bool rot = (s->cfg.rotate_size && o->bytes + n + 1 > s->cfg.rotate_size) ||
                   (s->cfg.rotate_interval_s &&
                    mono_ms() - o->opened_ms >= (int64_t)s->cfg.rotate_interval_s * 1000);
        if (rot && fout_rotate(s, o) != VG_OK) return VG_ERR_IO;
    }
    if (n + 1 > o->cap) { /* a huge event: written on its own, after what is buffered */
        if (fout_flush(o) != VG_OK) return VG_ERR_IO;
        if (write_all(o, line, n) != VG_OK || write_all(o, "\n", 1) != VG_OK) return VG_ERR_IO;
    } else {
        if (o->len + n + 1 > o->cap) fout_swap(o, pw);
        memcpy(o->buf + o->len, line, n);
        o->buf[o->len + n] = '\n';
        o->len += n + 1;
    }
    o->bytes += n + 1;
    return VG_OK;
}

/* The split file for an event's type ("event_type" is among the first keys of every event).
 * Type names are vigil's own, but only [a-z0-9_] is used in a file name. */
static struct fout *split_out(struct eve_sink *s, const char *line, size_t n)
{
    static const char key[] = "\"event_type\":\"";
    char type[32] = "other";
    const char *k = memmem(line, n, key, sizeof key - 1);
    if (k) {
        const char *t = k + sizeof key - 1, *end = line + n;
        size_t tl = 0;
        while (t + tl < end && t[tl] != '"' && tl < sizeof type - 1)
            tl++;
        bool ok = tl > 0 && t + tl < end && t[tl] == '"';
        for (size_t i = 0; ok && i < tl; i++)
            ok = (t[i] >= 'a' && t[i] <= 'z') || (t[i] >= '0' && t[i] <= '9') || t[i] == '_';
        if (ok) {
            memcpy(type, t, tl);
            type[tl] = '\0';
        }
    }
    for (unsigned i = 0; i < s->n_outs; i++)
        if (strcmp(s->outs[i]->type, type) == 0) return s->outs[i];
    if (s->n_outs >= MAX_OUTS) { /* too many types: the rest go to eve.other.json */
        for (unsigned i = 0; i < s->n_outs; i++)
            if (strcmp(s->outs[i]->type, "other") == 0) return s->outs[i];
        if (s->n_outs > MAX_OUTS) return NULL;
        strcpy(type, "other");
    }
    /* DIR/eve.json -> DIR/eve.<type>.json */
    size_t bl = strlen(s->base);
    char path[4400];
    if (bl > 5 && strcmp(s->base + bl - 5, ".json") == 0)
        snprintf(path, sizeof path, "%.*s.%s.json", (int)(bl - 5), s->base, type);
    else
        snprintf(path, sizeof path, "%s.%s", s->base, type);
    struct fout *o = fout_new(s, path, type, SPLIT_BUF);
    if (!o) return NULL;
    s->outs[s->n_outs++] = o;
    return o;
}

struct eve_sink *eve_sink_open_cfg(const struct eve_sink_config *cfg, char *errbuf, size_t errlen)
{
    struct eve_sink *s = vg_calloc(1, sizeof *s);
    if (!s || !cfg->path) {
        snprintf(errbuf, errlen, "%s: %s", cfg->path ? cfg->path : "eve", "out of memory");
        vg_free(s);
        return NULL;
    }
    s->cfg = *cfg;
    pthread_mutex_init(&s->mu, NULL);
    s->base = vg_strdup(cfg->path);
    if (!s->base) {
        snprintf(errbuf, errlen, "%s: out of memory", cfg->path);
        vg_free(s);
        return NULL;
    }
    s->cfg.path = s->base;
    s->cfg.redis_host = s->cfg.redis_key = NULL; /* copied by sink_redis_new */
    if (!cfg->split_types) {
        struct fout *o = fout_new(s, s->base, "", SINK_BUF);
        if (!o) {
            snprintf(errbuf, errlen, "%s", s->errbuf);
            vg_free(s->base);
            vg_free(s);
            return NULL;
        }
        s->outs[s->n_outs++] = o;
    } else {
        /* Created on first use; a leftover single file of an earlier run would mislead. */
        unlink(s->base);
    }
    if (cfg->redis_mode != EVE_REDIS_OFF) {
        s->redis = sink_redis_new(cfg, errbuf, errlen);
        if (!s->redis) {
            eve_sink_close(s);
            return NULL;
        }
    }
    return s;
}

struct eve_sink *eve_sink_open(const char *path, char *errbuf, size_t errlen)
{
    struct eve_sink_config cfg;
    eve_sink_config_default(&cfg);
    cfg.path = path;
    return eve_sink_open_cfg(&cfg, errbuf, errlen);
}

int eve_sink_flush(struct eve_sink *s)
{
    int rc = VG_OK;
    pthread_mutex_lock(&s->mu);
    for (unsigned i = 0; i < s->n_outs; i++)
        if (fout_flush(s->outs[i]) != VG_OK) rc = VG_ERR_IO;
    if (s->redis) sink_redis_flush(s->redis);
    pthread_mutex_unlock(&s->mu);
    return rc;
}

int eve_sink_write(struct eve_sink *s, const struct jw *w)
{
    if (w->oom || w->len == 0) return VG_ERR_NOMEM;
    struct pending pw = {NULL, -1, NULL, 0};
    pthread_mutex_lock(&s->mu);
    struct fout *o = s->cfg.split_types ? split_out(s, w->buf, w->len) : s->outs[0];
    int rc = o ? fout_write(s, o, w->buf, w->len, &pw) : VG_ERR_IO;
    /* Redis gets the event even when a file failed: outputs are independent. A full spool is
     * counted in the Redis stats, not an error of the event. */
    if (s->redis) sink_redis_write(s->redis, w->buf, w->len);
    if (rc == VG_OK) s->st.events++;
    pthread_mutex_unlock(&s->mu);
    pending_write(&pw); /* a full buffer: written outside the sink mutex (io still held) */
    return rc;
}

uint64_t eve_sink_events(const struct eve_sink *s)
{
    pthread_mutex_lock((pthread_mutex_t *)&s->mu);
    uint64_t n = s->st.events;
    pthread_mutex_unlock((pthread_mutex_t *)&s->mu);
    return n;
}

void eve_sink_get_stats(const struct eve_sink *s, struct eve_sink_stats *st)
{
    /* The lock is not const; the sink's state is not changed. */
    pthread_mutex_lock((pthread_mutex_t *)&s->mu);
    *st = s->st;
    if (s->redis) sink_redis_stats(s->redis, st);
    pthread_mutex_unlock((pthread_mutex_t *)&s->mu);
}

size_t eve_sink_file_count(const struct eve_sink *s)
{
    return s->n_rotated + s->n_outs;
}

const char *eve_sink_file_path(const struct eve_sink *s, size_t i)
{
    if (i < s->n_rotated) return s->rotated[i];
    i -= s->n_rotated;
    return i < s->n_outs ? s->outs[i]->path : NULL;
}

int eve_sink_close_stats(struct eve_sink *s, struct eve_sink_stats *st)
{
    if (!s) return VG_OK;
    int rc = VG_OK;
    if (s->redis) {
        struct eve_sink_stats rs;
        memset(&rs, 0, sizeof rs);
        sink_redis_free(s->redis, &rs);
        s->redis = NULL;
        s->st.redis = true;
        s->st.redis_connected = rs.redis_connected;
        s->st.redis_sent = rs.redis_sent;
        s->st.redis_dropped = rs.redis_dropped;
        s->st.redis_errors = rs.redis_errors;
        s->st.redis_connects = rs.redis_connects;
        s->st.redis_connect_failures = rs.redis_connect_failures;
        s->st.redis_spooled = rs.redis_spooled;
        s->st.redis_spool_bytes_max = rs.redis_spool_bytes_max;
    }
    for (unsigned i = 0; i < s->n_outs; i++)
        if (fout_close(s->outs[i]) != VG_OK) rc = VG_ERR_IO;
    if (st) *st = s->st;
    for (size_t i = 0; i < s->n_rotated; i++)
        vg_free(s->rotated[i]);
    vg_free(s->rotated);
    vg_free(s->base);
    pthread_mutex_destroy(&s->mu);
    vg_free(s);
    return rc;
}

int eve_sink_close(struct eve_sink *s)
{
    return eve_sink_close_stats(s, NULL);
}
