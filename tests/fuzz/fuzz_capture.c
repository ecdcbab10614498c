/* fuzz_capture.c - libFuzzer harness for src/capture (pcap and pcapng readers).
 *
 * Opens the input with capture_open_mem and reads every frame, touching every byte so that ASan
 * sees any read past the record. It also checks the reader's progress contract: every call either
 * consumes bytes or is followed by VG_EOF, so a file of n bytes can never take more than about
 * n / 12 calls (the smallest pcapng block); more means the reader is looping.
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE -Isrc src/core/(*).c \
 *       src/capture/(*).c tests/fuzz/fuzz_capture.c -o /tmp/fuzz_capture
 *   /tmp/fuzz_capture -max_total_time=120 tests/fuzz/seeds/capture
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "capture/capture.h"
#include "core/vg_log.h"
#include "core/vg_status.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int quiet;
    if (!quiet) {
        vg_log_set_level(VG_LOG_ERROR); /* caplen > snaplen warnings would flood the output */
        quiet = 1;
    }
    struct capture *c = NULL;
    char eb[256];
    if (capture_open_mem(data, size, "fuzz", &c, eb, sizeof eb) != VG_OK) {
        if (c != NULL || memchr(eb, '\0', sizeof eb) == NULL) __builtin_trap();
        return 0;
    }
    struct capture_frame f;
    uint64_t calls = 0, max_calls = size / 12 + 4, last = capture_offset(c);
    volatile uint8_t sink = 0;
    int st;
    while ((st = capture_next(c, &f)) != VG_EOF) {
        if (++calls > max_calls) __builtin_trap(); /* not making progress */
        if (st == VG_OK) {
            for (uint32_t i = 0; i < f.caplen; i++)
                sink ^= f.data[i];
            if (f.ts.nsec >= 1000000000u) __builtin_trap();
            if (f.record_no == 0) __builtin_trap();
        } else if (capture_errmsg(c)[0] == '\0') {
            __builtin_trap(); /* every error has a message */
        }
        if (capture_offset(c) < last || capture_offset(c) > size) __builtin_trap();
        last = capture_offset(c);
    }
    const struct capture_stats *s = capture_stats(c);
    if (s->bytes > size) __builtin_trap();
    (void)sink;
    capture_close(c);
    return 0;
}
