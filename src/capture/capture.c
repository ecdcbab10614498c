/* capture.c - the capture handle: opening a file (mmap, or read() for pipes), choosing the format
 * backend by the magic number, the byte window the backends read through, messages and stats.
 *
 * Formats: classic pcap (draft-ietf-opsawg-pcap, capture_pcap.c) and pcapng
 * (draft-ietf-opsawg-pcapng, capture_pcapng.c). gzip-compressed captures are recognised and
 * refused.
 *
 * Why mmap: a capture file is read once, front to back; a private read-only mapping with
 * MADV_SEQUENTIAL lets the kernel read ahead and lets frames point into the page cache (zero copy,
 * no syscall per frame). Files that cannot be mapped (pipes, FIFOs, character devices) are read
 * with read() into a bounded, handle-owned window instead (see capture_int.h).
 */
#include "capture/capture_int.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/vg_alloc.h"
#include "core/vg_log.h"
#include "core/vg_status.h"

/* First read() buffer of pipe mode; it grows only for larger records, up to the largest thing a
 * backend holds at once: a pcapng block of CAPTURE_MAX_BLOCK bytes (a pcap record is at most
 * 16 + CAPTURE_MAX_CAPLEN). */
#define CAPTURE_PIPE_BUF (256u * 1024u)
#define CAPTURE_PIPE_MAX ((size_t)CAPTURE_MAX_BLOCK)

int capture__verr(struct capture *c, int status, const char *fmt, va_list ap)
{
    int n = snprintf(c->errmsg, sizeof c->errmsg, "%s: ", c->path);
    if (n < 0 || (size_t)n >= sizeof c->errmsg) return status;
    vsnprintf(c->errmsg + n, sizeof c->errmsg - (size_t)n, fmt, ap);
    return status;
}

int capture__err(struct capture *c, int status, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    capture__verr(c, status, fmt, ap);
    va_end(ap);
    return status;
}

int capture__short(const struct capture *c, uint64_t want, char *buf, size_t len)
{
    if (c->in_limit) {
        snprintf(buf, len, "%" PRIu64 " bytes exceed the limit of %u bytes per block", want,
                 CAPTURE_MAX_BLOCK);
        return VG_ERR_LIMIT;
    }
    if (c->in_nomem) {
        snprintf(buf, len, "out of memory buffering %" PRIu64 " bytes", want);
        return VG_ERR_NOMEM;
    }
    if (c->in_errno) {
        char eb[128];
        snprintf(buf, len, "read error after %zu of %" PRIu64 " bytes: %s", c->avail, want,
                 strerror_r(c->in_errno, eb, sizeof eb));
        return VG_ERR_IO;
    }
    snprintf(buf, len, "only %zu of %" PRIu64 " bytes left in the file", c->avail, want);
    return VG_ERR_TRUNCATED;
}

void capture__snap_over(struct capture *c, uint64_t record_no, uint32_t caplen, uint32_t snaplen)
{
    c->stats.errors++;
    if (c->warned_snap) return;
    c->warned_snap = true;
    vg_warn("%s: packet %" PRIu64 ": captured length %u exceeds the snapshot length %u (frame kept;"
            " further cases in this file are only counted)",
            c->path, record_no, caplen, snaplen);
}

/* capture__fill is the slow half of capture__need: only pipe mode can make more bytes appear. It
 * moves the unconsumed tail to the front of the buffer, grows the buffer if one record needs it,
 * and read()s until n bytes are there or the input ends. */
const uint8_t *capture__fill(struct capture *c, size_t n)
{
    c->in_limit = false;
    c->in_nomem = false;
    if (c->fd < 0 || c->in_eof || c->in_errno) return NULL;
    if (n > CAPTURE_PIPE_MAX) {
        c->in_limit = true;
        return NULL;
    }
    if (n > c->buf_cap) {
        size_t cap = c->buf_cap * 2 < CAPTURE_PIPE_MAX ? c->buf_cap * 2 : CAPTURE_PIPE_MAX;
        if (cap < n) cap = n;
        uint8_t *nb = vg_malloc(cap);
        if (!nb) {
            c->in_nomem = true;
            return NULL;
        }
        memcpy(nb, c->cur, c->avail);
        vg_free(c->buf);
        c->buf = nb;
        c->buf_cap = cap;
    } else if (c->cur != c->buf) {
        memmove(c->buf, c->cur, c->avail);
    }
    c->cur = c->buf;
    while (c->avail < n) {
        ssize_t got = read(c->fd, c->buf + c->avail, c->buf_cap - c->avail);
        if (got < 0) {
            if (errno == EINTR) continue;
            c->in_errno = errno;
            return NULL;
        }
        if (got == 0) {
            c->in_eof = true;
            return NULL;
        }
        c->avail += (size_t)got;
    }
    return c->cur;
}

/* capture__skip consumes n bytes without needing them contiguous (pipe mode reads and drops them),
 * so a huge block of a type we do not parse costs no memory. False when the input ends first. */
bool capture__skip(struct capture *c, uint64_t n)
{
    while (n > c->avail) {
        if (c->fd < 0) return false; /* mapped or memory: all there is is already in the window */
        n -= c->avail;
        capture__advance(c, c->avail);
        if (!capture__fill(c, n < c->buf_cap ? (size_t)n : c->buf_cap) && c->avail == 0) {
            return false;
        }
    }
    capture__advance(c, (size_t)n);
    return true;
}

static struct capture *capture_alloc(const char *name)
{
    struct capture *c = vg_calloc(1, sizeof *c);
    if (!c) return NULL;
    c->path = vg_strdup(name ? name : "(memory)");
    if (!c->path) {
        vg_free(c);
        return NULL;
    }
    c->fd = -1;
    return c;
}

static void set_errbuf(char *errbuf, size_t errlen, const char *msg)
{
    if (errbuf && errlen) snprintf(errbuf, errlen, "%s", msg);
}

/* capture_start reads the magic number, picks the backend and lets it parse the file header. On
 * failure it closes c and copies the message out. */
static int capture_start(struct capture *c, struct capture **out, char *errbuf, size_t errlen)
{
    int st;
    const uint8_t *m = capture__need(c, 4);
    if (!m) {
        if (c->avail == 0 && !c->in_errno) {
            st = capture__err(c, VG_ERR_FORMAT, "empty file");
        } else {
            char why[160];
            st = capture__short(c, 4, why, sizeof why);
            st = capture__err(c, st, "truncated file header: %s", why);
        }
        goto fail;
    }
    struct vg_reader r;
    uint32_t magic = 0;
    vg_rd_init(&r, m, 4);
    vg_rd_be32(&r, &magic);
    switch (magic) {
    case 0xa1b2c3d4u:
    case 0xd4c3b2a1u:
    case 0xa1b23c4du:
    case 0x4d3cb2a1u:
        c->ops = &capture__pcap_ops;
        break;
    case 0x0a0d0d0au:
        c->ops = &capture__pcapng_ops;
        break;
    default:
        if ((magic >> 16) == 0x1f8bu) {
            st = capture__err(c, VG_ERR_UNSUPPORTED,
                              "gzip-compressed (magic 0x%08x): decompress it first", magic);
        } else if (magic == 0xa1b2cd34u || magic == 0x34cdb2a1u) {
            st = capture__err(c, VG_ERR_UNSUPPORTED,
                              "modified (Kuznetzov) pcap, magic 0x%08x: not supported", magic);
        } else {
            st = capture__err(c, VG_ERR_FORMAT, "bad magic 0x%08x: not a pcap or pcapng file",
                              magic);
        }
        goto fail;
    }
    st = c->ops->open(c);
    if (st != VG_OK) goto fail;
    c->errmsg[0] = '\0';
    *out = c;
    return VG_OK;
fail:
    set_errbuf(errbuf, errlen, c->errmsg);
    capture_close(c);
    return st;
}

int capture_open_mem(const void *buf, size_t len, const char *name, struct capture **out,
                     char *errbuf, size_t errlen)
{
    if (!out) return VG_ERR_USAGE;
    *out = NULL;
    if (!buf && len) {
        set_errbuf(errbuf, errlen, "capture_open_mem: NULL buffer");
        return VG_ERR_USAGE;
    }
    struct capture *c = capture_alloc(name);
    if (!c) {
        set_errbuf(errbuf, errlen, "out of memory");
        return VG_ERR_NOMEM;
    }
    c->cur = buf;
    c->avail = len;
    c->size = len;
    return capture_start(c, out, errbuf, errlen);
}

int capture_open_file(const char *path, struct capture **out, char *errbuf, size_t errlen)
{
    if (!out) return VG_ERR_USAGE;
    *out = NULL;
    if (!path) {
        set_errbuf(errbuf, errlen, "capture_open_file: NULL path");
        return VG_ERR_USAGE;
    }
    struct capture *c = capture_alloc(path);
    if (!c) {
        set_errbuf(errbuf, errlen, "out of memory");
        return VG_ERR_NOMEM;
    }
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    int status;
    if (fd < 0 || fstat(fd, &st) != 0) {
        char eb[128];
        status = capture__err(c, VG_ERR_IO, "%s", strerror_r(errno, eb, sizeof eb));
        if (fd >= 0) close(fd);
        set_errbuf(errbuf, errlen, c->errmsg);
        capture_close(c);
        return status;
    }
    if (S_ISDIR(st.st_mode)) {
        close(fd);
        status = capture__err(c, VG_ERR_IO, "is a directory");
        set_errbuf(errbuf, errlen, c->errmsg);
        capture_close(c);
        return status;
    }
    if (S_ISREG(st.st_mode) && st.st_size > 0 && (uint64_t)st.st_size <= SIZE_MAX) {
        void *p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
        if (p != MAP_FAILED) {
            /* Advice only: a failure changes speed, not results. */
            (void)madvise(p, (size_t)st.st_size, MADV_SEQUENTIAL);
            close(fd);
            c->map = p;
            c->map_len = (size_t)st.st_size;
            c->cur = p;
            c->avail = (size_t)st.st_size;
            c->size = (uint64_t)st.st_size;
            return capture_start(c, out, errbuf, errlen);
        }
    }
    /* Pipe mode (also a regular file that could not be mapped, and the empty file, which mmap
     * refuses and read() reports as end of input at once). */
    c->buf = vg_malloc(CAPTURE_PIPE_BUF);
    if (!c->buf) {
        close(fd);
        status = capture__err(c, VG_ERR_NOMEM, "out of memory");
        set_errbuf(errbuf, errlen, c->errmsg);
        capture_close(c);
        return status;
    }
    c->buf_cap = CAPTURE_PIPE_BUF;
    c->cur = c->buf;
    c->fd = fd;
    c->size = S_ISREG(st.st_mode) && st.st_size > 0 ? (uint64_t)st.st_size : 0;
    return capture_start(c, out, errbuf, errlen);
}

int capture_next(struct capture *c, struct capture_frame *frame)
{
    if (!c || !frame) return VG_ERR_USAGE;
    if (c->done) return VG_EOF;
    return c->ops->next(c, frame);
}

const char *capture_errmsg(const struct capture *c)
{
    return c ? c->errmsg : "";
}
const char *capture_path(const struct capture *c)
{
    return c ? c->path : "";
}
const char *capture_format(const struct capture *c)
{
    return c ? c->ops->name : "";
}
const struct capture_stats *capture_stats(const struct capture *c)
{
    static const struct capture_stats none;
    return c ? &c->stats : &none;
}
uint64_t capture_offset(const struct capture *c)
{
    return c ? c->off : 0;
}
uint64_t capture_size(const struct capture *c)
{
    return c ? c->size : 0;
}

void capture_close(struct capture *c)
{
    if (!c) return;
    if (c->ops && c->ops->fini) c->ops->fini(c);
    if (c->map) munmap(c->map, c->map_len);
    if (c->fd >= 0) close(c->fd);
    vg_free(c->buf);
    vg_free(c->path);
    vg_free(c);
}
