/* vg_status.h - the one status vocabulary of vigil.
 *
 * Every function that can fail returns an int from enum vg_status: 0 is success, negative values
 * are errors, VG_AGAIN means "need more bytes", VG_DECLINED means "not mine". The messages live in
 * the same X-macro table as the codes (libuv's habit) so that they can never drift apart.
 */
#ifndef VG_STATUS_H
#define VG_STATUS_H

#define VG_STATUS_MAP(X)                                                                           \
    X(VG_OK, 0, "ok")                                                                              \
    X(VG_AGAIN, 1, "need more data")                                                               \
    X(VG_DECLINED, 2, "not handled here")                                                          \
    X(VG_EOF, 3, "end of input")                                                                   \
    X(VG_ERR_NOMEM, -1, "out of memory")                                                           \
    X(VG_ERR_IO, -2, "input/output error")                                                         \
    X(VG_ERR_FORMAT, -3, "malformed input")                                                        \
    X(VG_ERR_TRUNCATED, -4, "truncated input")                                                     \
    X(VG_ERR_UNSUPPORTED, -5, "unsupported")                                                       \
    X(VG_ERR_LIMIT, -6, "limit reached")                                                           \
    X(VG_ERR_USAGE, -7, "invalid argument")                                                        \
    X(VG_ERR_INVALID, -8, "invalid packet")

enum vg_status {
#define VG_STATUS_ENUM(name, value, msg) name = value,
    VG_STATUS_MAP(VG_STATUS_ENUM)
#undef VG_STATUS_ENUM
};

/* vg_strstatus returns a static message for a status code; unknown codes give "unknown status". */
const char *vg_strstatus(int status);

#endif
