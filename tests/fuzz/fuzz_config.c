/* fuzz_config.c - libFuzzer harness for src/config: the input is a YAML configuration file. It is
 * loaded (libyaml events -> tree -> schema walk -> variable checks), the files it names are
 * checked, the summary and every message are formatted, and the result is applied to an engine
 * and an EVE sink configuration.
 *
 * Build: make build-fuzz (CMake, clang -fsanitize=fuzzer,address,undefined); run:
 * build-fuzz/fuzz_config -max_total_time=60 tests/fuzz/seeds/config
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "config/config.h"
#include "engine/engine.h"

static volatile size_t sink;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct vg_config c;
    struct vg_config_errors errs;
    vg_config_init(&c);
    int rc =
        vg_config_load_buffer("fuzz.yaml", "/nonexistent", (const char *)data, size, &c, &errs);
    for (unsigned i = 0; i < errs.n; i++)
        sink += strlen(errs.e[i].msg) + errs.e[i].line;
    if (rc == 0) {
        vg_config_check_files(&c, &errs);
        char buf[600];
        vg_config_summary(&c, buf, sizeof buf);
        sink += strlen(buf);
        struct engine_config ec;
        engine_config_default(&ec);
        vg_config_apply_engine(&c, &ec);
        struct eve_sink_config sc;
        eve_sink_config_default(&sc);
        vg_config_apply_eve(&c, &sc);
        sink += ec.flow.max_flows + sc.rotate_size;
        for (size_t i = 0; i < c.n_vars; i++)
            sink += strlen(c.vars[i].value);
    }
    vg_config_fini(&c);
    return 0;
}
