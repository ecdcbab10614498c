/* vg_reader.h - bounds-checked cursor over untrusted bytes (tcpdump's extract.h habit, without
 * longjmp). Every read of packet, file or rule bytes goes through these helpers: each returns
 * false, and leaves the cursor where it was, when the bytes are not there.
 *
 *     struct vg_reader r;
 *     vg_rd_init(&r, buf, len);
 *     if (!vg_rd_be16(&r, &sport) || !vg_rd_be16(&r, &dport)) return VG_ERR_TRUNCATED;
 */
#ifndef VG_READER_H
#define VG_READER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct vg_reader {
    const uint8_t *p; /* first byte; not owned */
    size_t len;       /* bytes available from p */
    size_t off;       /* current position, always <= len */
};

static inline void vg_rd_init(struct vg_reader *r, const void *p, size_t len)
{
    r->p = (const uint8_t *)p;
    r->len = len;
    r->off = 0;
}

static inline size_t vg_rd_left(const struct vg_reader *r) { return r->len - r->off; }
static inline const uint8_t *vg_rd_ptr(const struct vg_reader *r) { return r->p + r->off; }
static inline bool vg_rd_has(const struct vg_reader *r, size_t n) { return r->len - r->off >= n; }

static inline bool vg_rd_skip(struct vg_reader *r, size_t n)
{
    if (!vg_rd_has(r, n)) return false;
    r->off += n;
    return true;
}

/* vg_rd_bytes points *out at the next n bytes (no copy) and advances. */
static inline bool vg_rd_bytes(struct vg_reader *r, size_t n, const uint8_t **out)
{
    if (!vg_rd_has(r, n)) return false;
    *out = r->p + r->off;
    r->off += n;
    return true;
}

static inline bool vg_rd_u8(struct vg_reader *r, uint8_t *v)
{
    if (!vg_rd_has(r, 1)) return false;
    *v = r->p[r->off++];
    return true;
}

static inline bool vg_rd_be16(struct vg_reader *r, uint16_t *v)
{
    if (!vg_rd_has(r, 2)) return false;
    const uint8_t *b = r->p + r->off;
    *v = (uint16_t)((b[0] << 8) | b[1]);
    r->off += 2;
    return true;
}

static inline bool vg_rd_be32(struct vg_reader *r, uint32_t *v)
{
    if (!vg_rd_has(r, 4)) return false;
    const uint8_t *b = r->p + r->off;
    *v = ((uint32_t)b[0] << 24) | ((uint32_t)b[1] << 16) | ((uint32_t)b[2] << 8) | b[3];
    r->off += 4;
    return true;
}

static inline bool vg_rd_le16(struct vg_reader *r, uint16_t *v)
{
    if (!vg_rd_has(r, 2)) return false;
    const uint8_t *b = r->p + r->off;
    *v = (uint16_t)(b[0] | (b[1] << 8));
    r->off += 2;
    return true;
}

static inline bool vg_rd_le32(struct vg_reader *r, uint32_t *v)
{
    if (!vg_rd_has(r, 4)) return false;
    const uint8_t *b = r->p + r->off;
    *v = (uint32_t)b[0] | ((uint32_t)b[1] << 8) | ((uint32_t)b[2] << 16) | ((uint32_t)b[3] << 24);
    r->off += 4;
    return true;
}

/* Unchecked big-endian loads for callers that have already proven the length. */
static inline uint16_t vg_load_be16(const uint8_t *b) { return (uint16_t)((b[0] << 8) | b[1]); }
static inline uint32_t vg_load_be32(const uint8_t *b)
{
    return ((uint32_t)b[0] << 24) | ((uint32_t)b[1] << 16) | ((uint32_t)b[2] << 8) | b[3];
}

#endif
