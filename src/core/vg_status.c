/* vg_status.c - messages for enum vg_status, generated from the X-macro table. */
#include "core/vg_status.h"

const char *vg_strstatus(int status)
{
    switch (status) {
#define VG_STATUS_CASE(name, value, msg)                                                           \
    case value:                                                                                    \
        return msg;
        VG_STATUS_MAP(VG_STATUS_CASE)
#undef VG_STATUS_CASE
    }
    return "unknown status";
}
