/* sink_redis.c - the Redis output: a bounded spool of event chunks and one sender thread that owns
 * the hiredis connection (contract in sink_redis.h, user guide in docs/outputs.md).
 *
 * Spool: a FIFO of chunks. A chunk holds whole events separated by '\n' (EVE lines never contain
 * a raw newline: the JSON writer escapes control characters). The worker fills its own chunk
 * without locking and appends it to the FIFO under the mutex; the sender thread sends the head
 * chunk with pipelined commands and unlinks it once every event in it was acknowledged. Only the
 * sender touches a chunk after it was queued (its `off` cursor), only the worker before.
 */
#include "output/sink_redis.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <hiredis/hiredis.h>

#include "core/vg_alloc.h"
#include "core/vg_log.h"
#include "core/vg_status.h"

#define CHUNK_SIZE (256u << 10)
#define CHUNK_AGE_MS 100  /* a partly filled chunk is handed over after this long (idle spool) */
#define FREE_CHUNKS_MAX 8 /* standard chunks kept for reuse */
#define PIPELINE_MAX 256  /* commands in flight per round trip */
#define BACKOFF_MIN_MS 100
#define BACKOFF_MAX_MS 5000
#define CONNECT_TIMEOUT_MS 1000
#define COMMAND_TIMEOUT_MS 5000

struct rchunk {
    struct rchunk *next;
    size_t len, cap;
    size_t off;        /* sender: bytes of data already acknowledged */
    uint32_t n_events; /* events in data */
    char data[];
};

struct sink_redis {
    /* configuration (immutable after new) */
    char *host, *key;
    uint16_t port;
    int mode;
    char maxlen[24]; /* "" when no trimming */
    size_t spool_max;
    uint32_t drain_ms;

    /* worker side */
    struct rchunk *cur;
    int64_t cur_since_ms;

    /* shared, under mu */
    pthread_mutex_t mu;
    pthread_cond_t cv;
    pthread_t thread;
    bool thread_started;
    struct rchunk *head, *tail, *free_list;
    unsigned n_free;
    size_t spool_bytes;      /* cap of queued chunks */
    uint64_t spooled_events; /* events in queued chunks not yet acknowledged */
    bool closing;
    int64_t deadline_ms; /* closing: give up at this time */
    bool warned_drop;
    struct eve_sink_stats st;
};

static int64_t mono_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static int64_t coarse_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC_COARSE, &t);
    return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* ---- chunks (worker side allocates, sender side recycles; the free list is under mu) ---- */

static struct rchunk *chunk_get(struct sink_redis *r, size_t need)
{
    struct rchunk *c = NULL;
    if (need <= CHUNK_SIZE) {
        pthread_mutex_lock(&r->mu);
        c = r->free_list;
        if (c) {
            r->free_list = c->next;
            r->n_free--;
        }
        pthread_mutex_unlock(&r->mu);
    }
    if (!c) {
        size_t cap = need > CHUNK_SIZE ? need : CHUNK_SIZE;
        c = vg_malloc(sizeof *c + cap);
        if (!c) return NULL;
        c->cap = cap;
    }
    c->next = NULL;
    c->len = c->off = 0;
    c->n_events = 0;
    return c;
}

/* Called with mu held. */
static void chunk_put_locked(struct sink_redis *r, struct rchunk *c)
{
    if (c->cap == CHUNK_SIZE && r->n_free < FREE_CHUNKS_MAX) {
        c->next = r->free_list;
        r->free_list = c;
        r->n_free++;
    } else {
        vg_free(c);
    }
}

/* Appends the worker's chunk to the spool, or drops its events when the spool is full. */
static void handover(struct sink_redis *r)
{
    struct rchunk *c = r->cur;
    r->cur = NULL;
    if (!c) return;
    pthread_mutex_lock(&r->mu);
    if (c->n_events == 0) {
        chunk_put_locked(r, c);
    } else if (r->spool_bytes + c->cap > r->spool_max) {
        r->st.redis_dropped += c->n_events;
        if (!r->warned_drop) {
            r->warned_drop = true;
            vg_warn("redis %s:%u: spool full (%zu bytes); events are dropped and counted until "
                    "the server catches up",
                    r->host, r->port, r->spool_max);
        }
        chunk_put_locked(r, c);
    } else {
        if (r->tail)
            r->tail->next = c;
        else
            r->head = c;
        r->tail = c;
        r->spool_bytes += c->cap;
        r->spooled_events += c->n_events;
        if (r->spool_bytes > r->st.redis_spool_bytes_max)
            r->st.redis_spool_bytes_max = r->spool_bytes;
        pthread_cond_signal(&r->cv);
    }
    pthread_mutex_unlock(&r->mu);
}

int sink_redis_write(struct sink_redis *r, const char *line, size_t n)
{
    if (r->cur && r->cur->len + n + 1 > r->cur->cap) handover(r);
    if (!r->cur) {
        r->cur = chunk_get(r, n + 1);
        if (!r->cur) {
            pthread_mutex_lock(&r->mu);
            r->st.redis_dropped++;
            pthread_mutex_unlock(&r->mu);
            return VG_ERR_LIMIT;
        }
        r->cur_since_ms = coarse_ms();
    }
    memcpy(r->cur->data + r->cur->len, line, n);
    r->cur->data[r->cur->len + n] = '\n';
    r->cur->len += n + 1;
    r->cur->n_events++;
    /* Latency bound for a live sensor: hand a partly filled chunk over when it is old, but only
     * while the spool is empty (the sender keeps up); during an outage chunks fill up first, so
     * that the spool's bytes hold events rather than half-empty chunks. */
    if ((r->cur->n_events & 63) == 1 && coarse_ms() - r->cur_since_ms >= CHUNK_AGE_MS) {
        pthread_mutex_lock(&r->mu);
        bool idle = r->head == NULL;
        pthread_mutex_unlock(&r->mu);
        if (idle) handover(r);
    }
    return VG_OK;
}

void sink_redis_flush(struct sink_redis *r)
{
    handover(r);
}

/* ---- sender thread ---- */

static redisContext *redis_connect(struct sink_redis *r)
{
    struct timeval tv = {CONNECT_TIMEOUT_MS / 1000, (CONNECT_TIMEOUT_MS % 1000) * 1000};
    redisContext *c = redisConnectWithTimeout(r->host, r->port, tv);
    if (!c || c->err) {
        if (c) {
            vg_info("redis %s:%u: %s", r->host, r->port, c->errstr);
            redisFree(c);
        }
        return NULL;
    }
    struct timeval ct = {COMMAND_TIMEOUT_MS / 1000, (COMMAND_TIMEOUT_MS % 1000) * 1000};
    redisSetTimeout(c, ct);
    return c;
}

/* Error replies that say "not now" rather than "never": the event is sent again later. */
static bool transient_error(const char *str, size_t len)
{
    static const char *const pfx[] = {"LOADING", "BUSY", "TRYAGAIN", "MASTERDOWN", "CLUSTERDOWN"};
    for (size_t i = 0; i < sizeof pfx / sizeof pfx[0]; i++) {
        size_t n = strlen(pfx[i]);
        if (str && len >= n && memcmp(str, pfx[i], n) == 0) return true;
    }
    return false;
}

/* Sends the chunk's unacknowledged events. Returns 0 when all were acknowledged (or answered with
 * an error), -1 when the connection broke (ch->off then points at the first event to resend). */
static int send_chunk(struct sink_redis *r, redisContext *c, struct rchunk *ch)
{
    while (ch->off < ch->len) {
        size_t ends[PIPELINE_MAX];
        unsigned n = 0;
        size_t pos = ch->off;
        while (n < PIPELINE_MAX && pos < ch->len) {
            char *nl = memchr(ch->data + pos, '\n', ch->len - pos);
            size_t end = nl ? (size_t)(nl - ch->data) : ch->len;
            const char *argv[8];
            size_t argl[8];
            int argc = 0;
            if (r->mode == EVE_REDIS_STREAM) {
                argv[argc] = "XADD", argl[argc++] = 4;
                argv[argc] = r->key, argl[argc++] = strlen(r->key);
                if (r->maxlen[0]) {
                    argv[argc] = "MAXLEN", argl[argc++] = 6;
                    argv[argc] = "~", argl[argc++] = 1;
                    argv[argc] = r->maxlen, argl[argc++] = strlen(r->maxlen);
                }
                argv[argc] = "*", argl[argc++] = 1;
                argv[argc] = "event", argl[argc++] = 5;
            } else {
                argv[argc] = "RPUSH", argl[argc++] = 5;
                argv[argc] = r->key, argl[argc++] = strlen(r->key);
            }
            argv[argc] = ch->data + pos, argl[argc++] = end - pos;
            if (redisAppendCommandArgv(c, argc, argv, argl) != REDIS_OK) return -1;
            ends[n] = end + 1;
            n++;
            pos = end + 1;
        }
        uint64_t ok = 0, err = 0;
        int rc = 0;
        for (unsigned i = 0; i < n; i++) {
            redisReply *rep = NULL;
            if (redisGetReply(c, (void **)&rep) != REDIS_OK || !rep) {
                rc = -1;
                break;
            }
            if (rep->type == REDIS_REPLY_ERROR && transient_error(rep->str, rep->len)) {
                /* the server is not ready (loading its data after a restart, busy, failing
                 * over): the event is not lost but sent again after a reconnect with backoff */
                freeReplyObject(rep);
                rc = -1;
                break;
            }
            if (rep->type == REDIS_REPLY_ERROR) {
                if (err == 0 && r->st.redis_errors == 0)
                    vg_warn("redis %s:%u: %s %s: %.*s", r->host, r->port,
                            r->mode == EVE_REDIS_STREAM ? "XADD" : "RPUSH", r->key, (int)rep->len,
                            rep->str);
                err++;
            } else {
                ok++;
            }
            freeReplyObject(rep);
            ch->off = ends[i];
        }
        pthread_mutex_lock(&r->mu);
        r->st.redis_sent += ok;
        r->st.redis_errors += err;
        r->spooled_events -= ok + err;
        pthread_mutex_unlock(&r->mu);
        if (rc < 0) return -1;
    }
    return 0;
}

static void timed_wait_locked(struct sink_redis *r, int64_t until_ms)
{
    struct timespec ts;
    ts.tv_sec = until_ms / 1000;
    ts.tv_nsec = (long)(until_ms % 1000) * 1000000L;
    pthread_cond_timedwait(&r->cv, &r->mu, &ts);
}

static void *sender_main(void *arg)
{
    struct sink_redis *r = arg;
    redisContext *c = NULL;
    int64_t backoff = BACKOFF_MIN_MS, next_try = 0;
    bool warned_down = false;
    for (;;) {
        pthread_mutex_lock(&r->mu);
        while (!r->head && !r->closing)
            pthread_cond_wait(&r->cv, &r->mu);
        if (!r->head) { /* closing and everything delivered */
            pthread_mutex_unlock(&r->mu);
            break;
        }
        if (r->closing && !c && mono_ms() >= r->deadline_ms) { /* unreachable: give up */
            r->st.redis_dropped += r->spooled_events;
            if (r->spooled_events)
                vg_warn("redis %s:%u: %llu event(s) could not be delivered before the drain "
                        "timeout",
                        r->host, r->port, (unsigned long long)r->spooled_events);
            r->spooled_events = 0;
            while (r->head) {
                struct rchunk *x = r->head;
                r->head = x->next;
                vg_free(x);
            }
            r->tail = NULL;
            r->spool_bytes = 0;
            pthread_mutex_unlock(&r->mu);
            break;
        }
        struct rchunk *ch = r->head;
        if (!c && mono_ms() < next_try) { /* backing off; wake early on close */
            int64_t until = next_try;
            if (r->closing && r->deadline_ms < until) until = r->deadline_ms;
            timed_wait_locked(r, until);
            pthread_mutex_unlock(&r->mu);
            continue;
        }
        pthread_mutex_unlock(&r->mu);

        if (!c) {
            c = redis_connect(r);
            pthread_mutex_lock(&r->mu);
            if (c) {
                r->st.redis_connects++;
                r->st.redis_connected = true;
            } else {
                r->st.redis_connect_failures++;
            }
            pthread_mutex_unlock(&r->mu);
            if (!c) {
                if (!warned_down) {
                    warned_down = true;
                    vg_warn("redis %s:%u: cannot connect; events are spooled (up to %zu bytes) "
                            "and sent when it is reachable",
                            r->host, r->port, r->spool_max);
                }
                next_try = mono_ms() + backoff;
                backoff = backoff * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : backoff * 2;
                continue;
            }
            if (warned_down) vg_info("redis %s:%u: connected again", r->host, r->port);
            warned_down = false;
            backoff = BACKOFF_MIN_MS;
        }
        if (send_chunk(r, c, ch) != 0) {
            vg_info("redis %s:%u: connection lost (%s); resending from the spool", r->host, r->port,
                    c->errstr[0] ? c->errstr : "closed");
            redisFree(c);
            c = NULL;
            pthread_mutex_lock(&r->mu);
            r->st.redis_connected = false;
            pthread_mutex_unlock(&r->mu);
            next_try = mono_ms() + backoff;
            backoff = backoff * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : backoff * 2;
            continue;
        }
        pthread_mutex_lock(&r->mu);
        r->head = ch->next;
        if (!r->head) r->tail = NULL;
        r->spool_bytes -= ch->cap;
        chunk_put_locked(r, ch);
        pthread_mutex_unlock(&r->mu);
    }
    if (c) redisFree(c);
    pthread_mutex_lock(&r->mu);
    r->st.redis_connected = false;
    pthread_mutex_unlock(&r->mu);
    return NULL;
}

/* ---- lifecycle ---- */

struct sink_redis *sink_redis_new(const struct eve_sink_config *cfg, char *errbuf, size_t errlen)
{
    if (!cfg->redis_host || !cfg->redis_host[0] || !cfg->redis_port || !cfg->redis_key ||
        !cfg->redis_key[0]) {
        snprintf(errbuf, errlen, "redis: host, port and a stream or list name are needed");
        return NULL;
    }
    struct sink_redis *r = vg_calloc(1, sizeof *r);
    if (!r) goto oom;
    r->host = vg_strdup(cfg->redis_host);
    r->key = vg_strdup(cfg->redis_key);
    if (!r->host || !r->key) goto oom;
    r->port = cfg->redis_port;
    r->mode = cfg->redis_mode;
    if (cfg->redis_maxlen)
        snprintf(r->maxlen, sizeof r->maxlen, "%llu", (unsigned long long)cfg->redis_maxlen);
    r->spool_max = cfg->redis_spool ? cfg->redis_spool : (64u << 20);
    r->drain_ms = cfg->redis_drain_ms;
    r->st.redis = true;
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&r->cv, &ca);
    pthread_condattr_destroy(&ca);
    pthread_mutex_init(&r->mu, NULL);
    int e = pthread_create(&r->thread, NULL, sender_main, r);
    if (e != 0) {
        snprintf(errbuf, errlen, "redis: cannot start the sender thread: %s", strerror(e));
        pthread_cond_destroy(&r->cv);
        pthread_mutex_destroy(&r->mu);
        vg_free(r->host);
        vg_free(r->key);
        vg_free(r);
        return NULL;
    }
    r->thread_started = true;
    return r;
oom:
    snprintf(errbuf, errlen, "redis: out of memory");
    if (r) {
        vg_free(r->host);
        vg_free(r->key);
    }
    vg_free(r);
    return NULL;
}

void sink_redis_stats(struct sink_redis *r, struct eve_sink_stats *st)
{
    pthread_mutex_lock(&r->mu);
    st->redis = true;
    st->redis_connected = r->st.redis_connected;
    st->redis_sent = r->st.redis_sent;
    st->redis_dropped = r->st.redis_dropped;
    st->redis_errors = r->st.redis_errors;
    st->redis_connects = r->st.redis_connects;
    st->redis_connect_failures = r->st.redis_connect_failures;
    st->redis_spooled = r->spooled_events + (r->cur ? r->cur->n_events : 0);
    st->redis_spool_bytes_max = r->st.redis_spool_bytes_max;
    pthread_mutex_unlock(&r->mu);
}

void sink_redis_free(struct sink_redis *r, struct eve_sink_stats *st)
{
    if (!r) return;
    handover(r);
    pthread_mutex_lock(&r->mu);
    r->closing = true;
    r->deadline_ms = mono_ms() + r->drain_ms;
    pthread_cond_broadcast(&r->cv);
    pthread_mutex_unlock(&r->mu);
    if (r->thread_started) pthread_join(r->thread, NULL);
    if (st) sink_redis_stats(r, st);
    while (r->free_list) {
        struct rchunk *x = r->free_list;
        r->free_list = x->next;
        vg_free(x);
    }
    pthread_cond_destroy(&r->cv);
    pthread_mutex_destroy(&r->mu);
    vg_free(r->host);
    vg_free(r->key);
    vg_free(r);
}
