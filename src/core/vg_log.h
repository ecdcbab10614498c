/* vg_log.h - diagnostics on stderr. Messages about input name the file and the packet number. */
#ifndef VG_LOG_H
#define VG_LOG_H

enum vg_log_level { VG_LOG_ERROR = 0, VG_LOG_WARN = 1, VG_LOG_INFO = 2, VG_LOG_DEBUG = 3 };

/* Messages above this level are dropped; the CLI sets it from -q / -v. Default VG_LOG_WARN. */
void vg_log_set_level(enum vg_log_level level);
enum vg_log_level vg_log_get_level(void);

/* vg_log_mute_thread: while on, this thread's messages are dropped (a worker thread that reads
 * the same capture file as worker 0 mutes the reader's messages, which worker 0 prints once). */
void vg_log_mute_thread(int on);

void vg_log(enum vg_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define vg_err(...) vg_log(VG_LOG_ERROR, __VA_ARGS__)
#define vg_warn(...) vg_log(VG_LOG_WARN, __VA_ARGS__)
#define vg_info(...) vg_log(VG_LOG_INFO, __VA_ARGS__)

#endif
