/* capture.h - where frames come from: pcap and pcapng files (memory-mapped, zero copy), later live
 * interfaces. An opaque handle with an ops table, one backend per file (libpcap's pcap-int.h habit).
 *
 * Ownership: a frame's data points into the handle's mapping (or a handle-owned buffer) and is valid
 * until the next capture_next() or capture_close() on the same handle.
 */
#ifndef VG_CAPTURE_H
#define VG_CAPTURE_H

#include <stddef.h>
#include <stdint.h>

#include "core/vg_time.h"

struct capture;

struct capture_frame {
    const uint8_t *data;
    uint32_t caplen;
    uint32_t wirelen;
    struct vg_ts ts;    /* pcapng SPBs carry none: they get the previous frame's (0 if first) */
    int linktype;       /* LINKTYPE_* of the frame's interface */
    uint32_t iface;     /* pcapng interface id within its section (SHB); 0 for pcap */
    uint64_t record_no; /* 1-based number of this packet record within the file; malformed records
                         * that were skipped keep their number, so it is the position in the file
                         * (Wireshark's frame number while the file is well formed and has no
                         * pcapng custom blocks, which Wireshark also lists as frames) */
};

struct capture_stats {
    uint64_t frames;       /* frames returned */
    uint64_t bytes;        /* sum of caplen */
    uint64_t errors;       /* malformed records met: each one also returned as an error with a
                            * message, except caplen > snaplen (frame returned, logged once) */
    uint64_t skipped_blocks; /* pcapng blocks of types that carry no packets, or unknown ones */
};

/* capture_open_file opens a pcap or pcapng file (format from the magic number; gzip is not read).
 * On failure returns a negative status, *out is NULL, and errbuf (errlen bytes) holds a message
 * that names the file and what was wrong ("x.pcap: bad magic 0x12345678: not a pcap or pcapng
 * file"). An empty file is VG_ERR_FORMAT with "empty file". */
int capture_open_file(const char *path, struct capture **out, char *errbuf, size_t errlen);

/* capture_open_mem reads a capture held in memory (tests and fuzzers); `name` is used in messages.
 * The bytes are not copied and must outlive the handle. Same results as capture_open_file. */
int capture_open_mem(const void *buf, size_t len, const char *name, struct capture **out,
                     char *errbuf, size_t errlen);

/* capture_next returns the next frame:
 *   VG_OK         frame filled in;
 *   VG_EOF        no more frames;
 *   negative      a malformed record: capture_errmsg() says what, naming the file and the record
 *                 number. The caller may call capture_next() again: the reader goes on where it can
 *                 (e.g. skips an unknown pcapng block) and returns VG_EOF where it cannot (a
 *                 truncated record at the end, a record length that cannot be trusted).
 * A record with caplen > snaplen whose bytes are present is still returned (VG_OK): it is counted
 * in stats.errors and logged once per file with vg_warn (file and record number). */
int capture_next(struct capture *c, struct capture_frame *frame);

const char *capture_errmsg(const struct capture *c);
const char *capture_path(const struct capture *c);
const struct capture_stats *capture_stats(const struct capture *c);

/* Bytes of the file consumed so far and the file size, for progress reporting. The size is 0 when
 * it is not known (a pipe or FIFO, read with read() rather than mapped). */
uint64_t capture_offset(const struct capture *c);
uint64_t capture_size(const struct capture *c);

/* The file format, "pcap" or "pcapng" (static string). */
const char *capture_format(const struct capture *c);

void capture_close(struct capture *c); /* NULL is a no-op */

#endif
