/* vg_log.c - stderr logging with a level filter. */
#include "core/vg_log.h"

#include <stdarg.h>
#include <stdio.h>

/* Set before threads start (CLI options), read by every thread. */
static enum vg_log_level g_level = VG_LOG_WARN;
static _Thread_local int t_muted;

void vg_log_mute_thread(int on) { t_muted = on; }

void vg_log_set_level(enum vg_log_level level) { g_level = level; }
enum vg_log_level vg_log_get_level(void) { return g_level; }

void vg_log(enum vg_log_level level, const char *fmt, ...)
{
    static const char *const names[] = {"error", "warning", "info", "debug"};
    if (level > g_level || t_muted) return;
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    fprintf(stderr, "vigil: %s: %s\n", names[level], line);
}
