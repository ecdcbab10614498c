/* sink_redis.h - EVE events to Redis (XADD to a stream, or RPUSH to a list), through a bounded
 * spool and a sender thread, so that a slow or absent server never stalls the packet path and an
 * outage loses nothing until the spool is full.
 *
 * Threads: the worker calls sink_redis_write/flush/close; one sender thread owns the hiredis
 * connection. The worker fills a private chunk (no lock per event) and hands whole chunks to the
 * spool under a mutex: when the chunk is full, when it is older than 100 ms, and on flush.
 *
 * Delivery: at least once. A chunk leaves the spool only after Redis acknowledged every event in
 * it; after a lost connection the unacknowledged events of the chunk being sent are sent again,
 * so an event that Redis applied just before the connection broke can arrive twice. Reconnection
 * uses exponential backoff (100 ms doubling to 5 s, reset by a successful connection). When
 * handing a chunk over would take the spool past its limit, that chunk's events are dropped and
 * counted (the spool keeps the oldest events: a contiguous history up to the outage).
 * Commands: XADD KEY MAXLEN ~ N * event JSON (no MAXLEN when N is 0), or RPUSH KEY JSON.
 */
#ifndef VG_SINK_REDIS_H
#define VG_SINK_REDIS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "output/eve.h"

struct sink_redis;

/* sink_redis_new starts the sender thread (which connects in the background) for cfg's redis_*
 * fields. Returns NULL and fills errbuf on a bad configuration or out of memory. */
struct sink_redis *sink_redis_new(const struct eve_sink_config *cfg, char *errbuf, size_t errlen);

/* sink_redis_write queues one event (n bytes of JSON, no newline). Never blocks on the network.
 * Returns VG_OK, or VG_ERR_LIMIT when the event was dropped (spool full; counted). */
int sink_redis_write(struct sink_redis *r, const char *line, size_t n);

/* sink_redis_flush hands the events written so far to the sender thread. */
void sink_redis_flush(struct sink_redis *r);

/* sink_redis_stats fills the redis_* fields of st. */
void sink_redis_stats(struct sink_redis *r, struct eve_sink_stats *st);

/* sink_redis_free flushes, waits up to the configured drain time for the spool to be delivered
 * (events still spooled then are counted as dropped), stops the thread and frees everything.
 * The final counters go to st (may be NULL). NULL is a no-op. */
void sink_redis_free(struct sink_redis *r, struct eve_sink_stats *st);

#endif
