/* test_config.c - the YAML configuration loader (src/config): every kind of key, defaults, the
 * apply functions, and the position and wording of errors for broken files. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config/config.h"
#include "core/vg_alloc.h"
#include "core/vg_status.h"
#include "detect/detect.h"
#include "engine/engine.h"
#include "vg_test.h"

static struct vg_config C;
static struct vg_config_errors E;

/* Loads text (from "t.yaml" in folder /etc/vigil); returns the load status. */
static int load(const char *text)
{
    vg_config_fini(&C);
    return vg_config_load_buffer("t.yaml", "/etc/vigil", text, strlen(text), &C, &E);
}

/* The first error: "LINE:COL: message" into buf. */
static const char *first_err(void)
{
    static char buf[400];
    buf[0] = '\0';
    for (unsigned i = 0; i < E.n; i++)
        if (!E.e[i].warning) {
            snprintf(buf, sizeof buf, "%u:%u: %s", E.e[i].line, E.e[i].col, E.e[i].msg);
            break;
        }
    return buf;
}

static bool err_starts(const char *pos_and_msg)
{
    const char *e = first_err();
    bool ok = strncmp(e, pos_and_msg, strlen(pos_and_msg)) == 0;
    if (!ok) fprintf(stderr, "  got error: '%s'\n  expected:  '%s...'\n", e, pos_and_msg);
    return ok;
}

static void test_defaults(void)
{
    struct engine_config ec;
    engine_config_default(&ec);
    vg_config_init(&C);
    CHECK_EQ_U(C.flow.max_flows, ec.flow.max_flows);
    CHECK_EQ_U(C.flow.timeout_s[FLOW_TC_TCP_EST], 600);
    CHECK_EQ_U(C.stream.memcap, ec.stream.memcap);
    CHECK_EQ_U(C.decode.defrag_memcap, ec.decode.defrag_memcap);
    CHECK_EQ_U(C.tamper.max_flows, 65536);
    CHECK(C.eve_types == ~0u);
    CHECK(C.rule_cache_enabled);
    CHECK(C.beacons_enabled);
    CHECK(!C.evidence_enabled);
    CHECK(!C.redis_enabled);
    /* an empty file and a file with only a comment are the defaults */
    CHECK_EQ_U(load(""), VG_OK);
    CHECK_EQ_U(C.flow.max_flows, ec.flow.max_flows);
    CHECK_EQ_U(load("# nothing\n"), VG_OK);
    CHECK_EQ_U(load("%YAML 1.1\n---\nworkers: 2\n"), VG_OK);
    CHECK_EQ_U(C.workers, 2);
}

static void test_sizes_durations(void)
{
    uint64_t v;
    CHECK(vg_config_parse_size("4096", &v) && v == 4096);
    CHECK(vg_config_parse_size("512kb", &v) && v == 512 * 1024);
    CHECK(vg_config_parse_size("64mb", &v) && v == 64ull << 20);
    CHECK(vg_config_parse_size("64MB", &v) && v == 64ull << 20);
    CHECK(vg_config_parse_size("1gb", &v) && v == 1ull << 30);
    CHECK(vg_config_parse_size("1.5gb", &v) && v == 3ull << 29);
    CHECK(vg_config_parse_size("2 GiB", &v) && v == 2ull << 30);
    CHECK(vg_config_parse_size("100M", &v) && v == 100ull << 20);
    CHECK(!vg_config_parse_size("64zb", &v));
    CHECK(!vg_config_parse_size("-1mb", &v));
    CHECK(!vg_config_parse_size("mb", &v));
    CHECK(!vg_config_parse_size("1.5", &v));
    CHECK(!vg_config_parse_size("99999999999tb", &v));
    CHECK(vg_config_parse_duration("30", &v) && v == 30);
    CHECK(vg_config_parse_duration("30s", &v) && v == 30);
    CHECK(vg_config_parse_duration("5m", &v) && v == 300);
    CHECK(vg_config_parse_duration("1h", &v) && v == 3600);
    CHECK(vg_config_parse_duration("2d", &v) && v == 172800);
    CHECK(!vg_config_parse_duration("1w", &v));
    CHECK(!vg_config_parse_duration("-5", &v));
    CHECK(!vg_config_parse_duration("99999999999", &v));
}

static void test_keys(void)
{
    const char *y = "vars:\n"
                    "  address-groups:\n"
                    "    HOME_NET: \"[10.0.0.0/8]\"\n"
                    "    EXTERNAL_NET: \"!$HOME_NET\"\n"
                    "  port-groups:\n"
                    "    HTTP_PORTS: 8080\n"
                    "default-rule-path: rules\n"
                    "rule-files:\n"
                    "  - a.rules\n"
                    "  - /abs/b.rules\n"
                    "classification-file: /etc/suricata/classification.config\n"
                    "default-log-dir: /var/log/vigil\n"
                    "rule-cache:\n"
                    "  enabled: no\n"
                    "  dir: cache\n"
                    "outputs:\n"
                    "  - eve-log:\n"
                    "      enabled: yes\n"
                    "      filetype: redis\n"
                    "      filename: events.json\n"
                    "      types: [alert, dns, {http: {extended: yes}}]\n"
                    "      rotate-size: 100mb\n"
                    "      rotate-interval: hour\n"
                    "      split-types: true\n"
                    "      redis:\n"
                    "        server: redis.local\n"
                    "        port: 6380\n"
                    "        mode: rpush\n"
                    "        key: eve\n"
                    "        stream-maxlen: 5000\n"
                    "        spool-size: 8mb\n"
                    "        drain-timeout: 5\n"
                    "evidence:\n"
                    "  enabled: yes\n"
                    "  first-packets: 10\n"
                    "  last-packets: 20\n"
                    "  memcap: 16mb\n"
                    "report: {enabled: on}\n"
                    "flow:\n"
                    "  max-flows: 1000\n"
                    "flow-timeouts:\n"
                    "  tcp: {new: 10, established: 1h, closed: 5}\n"
                    "  udp: {new: 7, established: 8}\n"
                    "  icmp: {established: 9}\n"
                    "  default: {established: 11}\n"
                    "stream:\n"
                    "  memcap: 64mb\n"
                    "  reassembly: {memcap: 32mb}\n"
                    "  midstream: no\n"
                    "  flow-memcap: 2mb\n"
                    "  retain-bytes: 1000\n"
                    "  max-queued-segments: 64\n"
                    "defrag: {memcap: 8mb, trackers: 100, timeout: 30}\n"
                    "intel:\n"
                    "  ioc-files: iocs.txt\n"
                    "  allowlist-files: [allow.txt, /x/allow2.txt]\n"
                    "  beacons:\n"
                    "    enabled: no\n"
                    "    threshold: 0.7\n"
                    "    weights: {interval: 0.4, size: 0.2, duration: 0.2, histogram: 0.2}\n"
                    "tamper:\n"
                    "  min-confidence: 60\n"
                    "  max-flows: 1024\n"
                    "  race-window-ms: 500\n"
                    "workers: 4\n"
                    "stats-interval: 1m\n"
                    "capture:\n"
                    "  interfaces: [eth0, eth1]\n"
                    "  method: pcap\n"
                    "  snaplen: 1518\n"
                    "  bpf: \"not port 22\"\n"
                    "  promisc: no\n"
                    "  user: vigil\n";
    int rc = load(y);
    CHECK_EQ_U(rc, VG_OK);
    if (rc != VG_OK) vg_config_errors_print(&E, stderr);
    CHECK_EQ_U(E.errors, 0);
    CHECK_EQ_U(C.n_vars, 3);
    CHECK_STR(C.vars[0].name, "HOME_NET");
    CHECK_STR(C.vars[0].value, "[10.0.0.0/8]");
    CHECK_EQ_U(C.vars[0].line, 3);
    CHECK_EQ_U(C.vars[0].col, 15);
    CHECK(!C.vars[0].port);
    CHECK_STR(C.vars[2].name, "HTTP_PORTS");
    CHECK_STR(C.vars[2].value, "8080");
    CHECK(C.vars[2].port);
    CHECK_EQ_U(C.rule_files.n, 2);
    CHECK_STR(C.rule_files.v[0].s, "/etc/vigil/rules/a.rules");
    CHECK_EQ_U(C.rule_files.v[0].line, 9);
    CHECK_STR(C.rule_files.v[1].s, "/abs/b.rules");
    CHECK_STR(C.classification_file.s, "/etc/suricata/classification.config");
    CHECK_STR(C.log_dir, "/var/log/vigil");
    CHECK(!C.rule_cache_enabled);
    CHECK_STR(C.rule_cache_dir, "/etc/vigil/cache");
    CHECK(C.redis_enabled);
    CHECK_STR(C.eve_filename, "events.json");
    CHECK_EQ_U(C.eve_types, (1u << ENG_EV_ALERT) | (1u << ENG_EV_DNS) | (1u << ENG_EV_HTTP));
    CHECK_EQ_U(E.warnings, 1); /* http's options */
    CHECK_EQ_U(C.eve.rotate_size, 100ull << 20);
    CHECK_EQ_U(C.eve.rotate_interval_s, 3600);
    CHECK(C.eve.split_types);
    CHECK_STR(C.redis_server, "redis.local");
    CHECK_EQ_U(C.eve.redis_port, 6380);
    CHECK_EQ_U(C.eve.redis_mode, EVE_REDIS_LIST);
    CHECK_STR(C.redis_key, "eve");
    CHECK_EQ_U(C.eve.redis_maxlen, 5000);
    CHECK_EQ_U(C.eve.redis_spool, 8u << 20);
    CHECK_EQ_U(C.eve.redis_drain_ms, 5000);
    CHECK(C.evidence_enabled);
    CHECK_EQ_U(C.evidence.first_n, 10);
    CHECK_EQ_U(C.evidence.last_m, 20);
    CHECK_EQ_U(C.evidence.memcap, 16u << 20);
    CHECK(C.report_enabled);
    CHECK_EQ_U(C.flow.max_flows, 1000);
    CHECK_EQ_U(C.flow.timeout_s[FLOW_TC_TCP_NEW], 10);
    CHECK_EQ_U(C.flow.timeout_s[FLOW_TC_TCP_EST], 3600);
    CHECK_EQ_U(C.flow.timeout_s[FLOW_TC_TCP_CLOSED], 5);
    CHECK_EQ_U(C.flow.timeout_s[FLOW_TC_UDP_NEW], 7);
    CHECK_EQ_U(C.flow.timeout_s[FLOW_TC_UDP_EST], 8);
    CHECK_EQ_U(C.flow.timeout_s[FLOW_TC_ICMP], 9);
    CHECK_EQ_U(C.flow.timeout_s[FLOW_TC_OTHER], 11);
    CHECK_EQ_U(C.stream.memcap, 96u << 20); /* stream.memcap + reassembly.memcap */
    CHECK(!C.stream.midstream);
    CHECK_EQ_U(C.stream.flow_memcap, 2u << 20);
    CHECK_EQ_U(C.stream.retain_bytes, 1000);
    CHECK_EQ_U(C.stream.max_queued_segs, 64);
    CHECK_EQ_U(C.decode.defrag_memcap, 8u << 20);
    CHECK_EQ_U(C.decode.defrag_max_trackers, 100);
    CHECK_EQ_U(C.decode.defrag_timeout_s, 30);
    CHECK_EQ_U(C.ioc_files.n, 1);
    CHECK_STR(C.ioc_files.v[0].s, "/etc/vigil/iocs.txt");
    CHECK_EQ_U(C.allowlist_files.n, 2);
    CHECK_STR(C.allowlist_files.v[1].s, "/x/allow2.txt");
    CHECK(!C.beacons_enabled);
    CHECK(C.beacon.threshold == 0.7);
    CHECK(C.beacon.w_interval == 0.4);
    CHECK(C.tamper_min_confidence == 60);
    CHECK_EQ_U(C.tamper.max_flows, 1024);
    CHECK_EQ_U(C.tamper.race_window_ms, 500);
    CHECK_EQ_U(C.workers, 4);
    CHECK_EQ_U(C.stats_interval_s, 60);
    CHECK_EQ_U(C.interfaces.n, 2);
    CHECK_STR(C.interfaces.v[1].s, "eth1");
    CHECK_EQ_U(C.capture_method, VG_CAPTURE_PCAP);
    CHECK_EQ_U(C.snaplen, 1518);
    CHECK_STR(C.bpf, "not port 22");
    CHECK(!C.promisc);
    CHECK_STR(C.user, "vigil");

    /* flow.memcap: flows = memcap / (flow record + two index slots) */
    CHECK_EQ_U(load("flow:\n  memcap: 64mb\n"), VG_OK);
    CHECK_EQ_U(C.flow.max_flows, (64u << 20) / (sizeof(struct flow) + 8));
    /* rule files without default-rule-path: relative to the config file's folder */
    CHECK_EQ_U(load("rule-files: local.rules\n"), VG_OK);
    CHECK_STR(C.rule_files.v[0].s, "/etc/vigil/local.rules");
    /* a quoted "null" is a string; a plain one unsets */
    CHECK_EQ_U(load("capture:\n  bpf: \"null\"\n"), VG_OK);
    CHECK_STR(C.bpf, "null");
    CHECK_EQ_U(load("capture:\n  bpf:\n"), VG_OK);
    CHECK(C.bpf == NULL);
    /* an empty section keeps the defaults */
    CHECK_EQ_U(load("flow:\nstream:\n"), VG_OK);
    CHECK_EQ_U(C.flow.max_flows, 262144);
}

static void test_warnings(void)
{
    CHECK_EQ_U(
        load("flow:\n  hash-size: 65536\nflow-timeouts:\n  tcp:\n    emergency-new: 10\n"
             "outputs:\n  - eve-log:\n      types: [alert, smtp]\n      community-id: yes\n"),
        VG_OK);
    CHECK_EQ_U(E.errors, 0);
    CHECK_EQ_U(E.warnings, 4);
    CHECK_EQ_U(E.e[0].line, 2);
    CHECK(E.e[0].warning && strstr(E.e[0].msg, "hash-size: not used by vigil"));
    CHECK(strstr(E.e[2].msg, "'smtp'") != NULL);
}

static void test_errors(void)
{
    /* wrong type */
    CHECK_EQ_U(load("workers: lots\n"), VG_ERR_FORMAT);
    CHECK(err_starts("1:10: workers: expected a whole number, not 'lots'"));
    CHECK_EQ_U(load("stream:\n  midstream: maybe\n"), VG_ERR_FORMAT);
    CHECK(err_starts("2:14: midstream: expected yes or no"));
    CHECK_EQ_U(load("flow: 12\n"), VG_ERR_FORMAT);
    CHECK(err_starts("1:7: flow: expected a mapping of keys, not a value"));
    CHECK_EQ_U(load("rule-files:\n  a: b\n"), VG_ERR_FORMAT);
    CHECK(err_starts("2:3: rule-files: expected a list, not a mapping"));
    /* unknown key, with a suggestion; nested */
    CHECK_EQ_U(load("flow:\n  memcapp: 64mb\n"), VG_ERR_FORMAT);
    CHECK(err_starts("2:3: unknown key 'memcapp' in flow (did you mean 'memcap'?)"));
    CHECK_EQ_U(load("outputs:\n  - eve-log:\n      redis:\n        sever: x\n"), VG_ERR_FORMAT);
    CHECK(err_starts("4:9: unknown key 'sever' in redis (did you mean 'server'?)"));
    CHECK_EQ_U(load("include: other.yaml\n"), VG_ERR_FORMAT);
    CHECK(err_starts("1:1: unknown key 'include' in the top level"));
    CHECK_EQ_U(load("outputs:\n  - fast:\n      enabled: yes\n"), VG_ERR_FORMAT);
    CHECK(err_starts("2:5: unknown output 'fast'"));
    /* bad size, out of range */
    CHECK_EQ_U(load("stream:\n  memcap: 64zb\n"), VG_ERR_FORMAT);
    CHECK(err_starts("2:11: memcap: expected a size such as"));
    CHECK_EQ_U(load("defrag:\n  memcap: 10\n"), VG_ERR_FORMAT);
    CHECK(err_starts("2:11: memcap: 10 is out of range"));
    CHECK_EQ_U(load("intel:\n  beacons:\n    threshold: 1.5\n"), VG_ERR_FORMAT);
    CHECK(err_starts("3:16: threshold: 1.5 is out of range (0 to 1)"));
    CHECK_EQ_U(load("outputs:\n  - eve-log:\n      redis: {port: 70000}\n"), VG_ERR_FORMAT);
    CHECK(err_starts("3:21: port: 70000 is out of range"));
    /* alias and anchor */
    CHECK_EQ_U(load("a: &x 1\n"), VG_ERR_FORMAT);
    CHECK(err_starts("1:4: anchors (&x) and aliases are not supported"));
    CHECK_EQ_U(load("workers: *x\n"), VG_ERR_FORMAT);
    CHECK(err_starts("1:10: aliases (*x) and anchors are not supported"));
    /* duplicate key */
    CHECK_EQ_U(load("flow:\n  max-flows: 100\nworkers: 1\nflow:\n  max-flows: 200\n"),
               VG_ERR_FORMAT);
    CHECK(err_starts("4:1: duplicate key 'flow' (first at line 1)"));
    CHECK_EQ_U(load("vars:\n  address-groups:\n    HOME_NET: 1.2.3.4\n    HOME_NET: 5.6.7.8\n"),
               VG_ERR_FORMAT);
    CHECK(err_starts("4:5: duplicate key 'HOME_NET'"));
    /* tabs */
    CHECK_EQ_U(load("flow:\n\tmax-flows: 100\n"), VG_ERR_FORMAT);
    CHECK(err_starts("2:1: tab character: YAML indents with spaces only"));
    /* truncated file */
    CHECK_EQ_U(load("outputs:\n  - eve-log:\n      filename: \"abc"), VG_ERR_FORMAT);
    CHECK(err_starts("3:") && strstr(first_err(), "end of stream"));
    CHECK_EQ_U(load("flow: {max-flows: 100"), VG_ERR_FORMAT);
    CHECK(strstr(first_err(), "flow mapping") != NULL);
    /* binary garbage */
    static const char bin[] = "\x7f"
                              "ELF\x02\x01\x01\xff\xfe\x80\x81 garbage";
    CHECK_EQ_U(vg_config_load_buffer("t.yaml", NULL, bin, sizeof bin - 1, &C, &E), VG_ERR_FORMAT);
    CHECK(E.errors >= 1 && E.e[0].line == 1);
    static const char nul[] = "workers: 1\nab\0cd: 2\n";
    CHECK_EQ_U(vg_config_load_buffer("t.yaml", NULL, nul, sizeof nul - 1, &C, &E), VG_ERR_FORMAT);
    CHECK(err_starts("2:3: NUL byte"));
    /* deep nesting */
    char deep[400];
    size_t n = 0;
    n += (size_t)snprintf(deep, sizeof deep, "a: ");
    for (int i = 0; i < 100; i++)
        deep[n++] = '[';
    for (int i = 0; i < 100; i++)
        deep[n++] = ']';
    deep[n++] = '\n';
    deep[n] = '\0';
    CHECK_EQ_U(load(deep), VG_ERR_FORMAT);
    CHECK(err_starts("1:35: nested deeper than 32 levels"));
    /* bad variable values: the parser of rule headers says why */
    CHECK_EQ_U(load("vars:\n  address-groups:\n    HOME_NET: \"[10.0.0.0/33]\"\n"
                    "  port-groups:\n    HTTP_PORTS: \"[80,abc]\"\n"),
               VG_ERR_FORMAT);
    CHECK_EQ_U(E.errors, 2);
    CHECK(err_starts("3:15: address group 'HOME_NET'"));
    CHECK(E.e[1].line == 5 && strstr(E.e[1].msg, "port group 'HTTP_PORTS'"));
    CHECK_EQ_U(load("vars:\n  address-groups:\n    \"BAD NAME\": 1.2.3.4\n"), VG_ERR_FORMAT);
    CHECK(err_starts("3:17: variable 'BAD NAME': not a valid name"));
    CHECK_EQ_U(load("vars:\n  address-groups:\n    X: 1.2.3.4\n  port-groups:\n    X: 80\n"),
               VG_ERR_FORMAT);
    CHECK(err_starts("5:8: variable 'X' is set in both address-groups and port-groups"));
    /* the top level, documents, tags */
    CHECK_EQ_U(load("- a\n- b\n"), VG_ERR_FORMAT);
    CHECK(err_starts("1:1: the top level must be a mapping"));
    CHECK_EQ_U(load("workers: 1\n---\nworkers: 2\n"), VG_ERR_FORMAT);
    CHECK(err_starts("2:1: more than one YAML document"));
    CHECK_EQ_U(load("workers: !!int 1\n"), VG_ERR_FORMAT);
    CHECK(err_starts("1:10: tags"));
    CHECK_EQ_U(load("? [a, b]\n: 1\n"), VG_ERR_FORMAT);
    CHECK(err_starts("1:3: a key must be a plain name"));
    /* semantic checks after the walk */
    CHECK_EQ_U(load("flow:\n  memcap: 64mb\n  max-flows: 100\n"), VG_ERR_FORMAT);
    CHECK(err_starts("3:14: flow.memcap and flow.max-flows are both set"));
    CHECK_EQ_U(load("intel:\n  beacons:\n    weights: {interval: 0.5}\n"), VG_ERR_FORMAT);
    CHECK(err_starts("2:3: intel.beacons:"));
    CHECK_EQ_U(load("outputs:\n  - eve-log:\n      enabled: no\n"), VG_ERR_FORMAT);
    CHECK(err_starts("3:16: eve-log cannot be disabled"));
    CHECK_EQ_U(load("outputs:\n  - eve-log:\n      redis: {mode: lpush}\n"), VG_ERR_FORMAT);
    CHECK(err_starts("3:21: mode: vigil appends to lists with RPUSH"));
    CHECK_EQ_U(load("outputs:\n  - eve-log:\n      types: [alert, bogus]\n"), VG_ERR_FORMAT);
    CHECK(err_starts("3:22: unknown event type 'bogus'"));
    /* several errors are all reported */
    CHECK_EQ_U(load("workers: x\nstats-interval: y\nflow: {max-flows: 1}\n"), VG_ERR_FORMAT);
    CHECK_EQ_U(E.errors, 3);
    /* the file itself */
    CHECK_EQ_U(vg_config_load("/nonexistent/vigil.yaml", &C, &E), VG_ERR_IO);
    CHECK(strstr(E.e[0].msg, "cannot open") != NULL);
}

static void test_caps(void)
{
    /* more keys in one mapping than the cap */
    size_t cap = (size_t)VG_CONFIG_MAX_MAP_ENTRIES + 10;
    size_t bsz = cap * 24 + 64;
    char *big = vg_malloc(bsz);
    size_t n = (size_t)snprintf(big, bsz, "vars:\n  address-groups:\n");
    for (size_t i = 0; i < cap; i++)
        n += (size_t)snprintf(big + n, bsz - n, "    V%zu: 1.2.3.4\n", i);
    CHECK_EQ_U(load(big), VG_ERR_FORMAT);
    CHECK(strstr(first_err(), "more than 2048 keys in one mapping") != NULL);
    vg_free(big);
    /* larger than the file cap */
    size_t sz = VG_CONFIG_MAX_BYTES + 1;
    char *huge = vg_malloc(sz + 1);
    memset(huge, '#', sz);
    huge[sz] = '\0';
    CHECK_EQ_U(vg_config_load_buffer("t.yaml", NULL, huge, sz, &C, &E), VG_ERR_FORMAT);
    CHECK(strstr(E.e[0].msg, "larger than") != NULL);
    vg_free(huge);
    /* errors beyond the kept ones are counted */
    char *many = vg_malloc(200 * 20);
    n = 0;
    for (int i = 0; i < 200; i++)
        n += (size_t)snprintf(many + n, 200 * 20 - n, "bad%d: 1\n", i);
    CHECK_EQ_U(load(many), VG_ERR_FORMAT);
    CHECK_EQ_U(E.errors, 200);
    CHECK_EQ_U(E.n, VG_CONFIG_ERRORS_KEPT);
    CHECK_EQ_U(E.dropped, 200 - VG_CONFIG_ERRORS_KEPT);
    vg_free(many);
}

static void test_apply(void)
{
    CHECK_EQ_U(load("flow: {max-flows: 5000}\ntamper: {max-flows: 300}\n"
                    "defrag: {timeout: 12}\nstream: {midstream: no}\n"
                    "outputs:\n  - eve-log:\n      types: [dns]\n      rotate-size: 1mb\n"
                    "      redis: {enabled: yes}\n"),
               VG_OK);
    struct engine_config ec;
    engine_config_default(&ec);
    vg_config_apply_engine(&C, &ec);
    CHECK_EQ_U(ec.flow.max_flows, 5000);
    CHECK_EQ_U(ec.tamper.max_flows, 300);
    CHECK_EQ_U(ec.decode.defrag_timeout_s, 12);
    CHECK(!ec.stream.midstream);
    CHECK_EQ_U(ec.eve_types, 1u << ENG_EV_DNS);
    struct eve_sink_config sc;
    eve_sink_config_default(&sc);
    vg_config_apply_eve(&C, &sc);
    CHECK_EQ_U(sc.rotate_size, 1u << 20);
    CHECK_EQ_U(sc.redis_mode, EVE_REDIS_STREAM);
    CHECK_STR(sc.redis_host, "127.0.0.1");
    CHECK_EQ_U(sc.redis_port, 6379);
    CHECK_STR(sc.redis_key, "vigil:eve");

    /* variables reach the rule parser: $MY_NET exists only in the file */
    static const char rule[] = "alert ip $MY_NET any -> any any (msg:\"x\"; sid:1;)\n";
    struct rule_loader *ld = rule_loader_new(NULL);
    rule_loader_load_buffer(ld, "r", rule, sizeof rule - 1);
    CHECK_EQ_U(rule_loader_stats(ld)->loaded, 0);
    rule_loader_free(ld);
    CHECK_EQ_U(load("vars:\n  address-groups:\n    MY_NET: \"[10.1.0.0/16]\"\n"), VG_OK);
    ld = rule_loader_new(NULL);
    struct rule_error re;
    CHECK_EQ_U(vg_config_apply_rules(&C, ld, &re), VG_OK);
    rule_loader_load_buffer(ld, "r", rule, sizeof rule - 1);
    CHECK_EQ_U(rule_loader_stats(ld)->loaded, 1);
    rule_loader_free(ld);
    /* a classification file that cannot be read names the config position */
    CHECK_EQ_U(load("classification-file: /nonexistent/classification.config\n"), VG_OK);
    CHECK_EQ_U(vg_config_check_files(&C, &E), 1);
    CHECK(E.e[E.n - 1].warning && E.e[E.n - 1].line == 1);
    ld = rule_loader_new(NULL);
    CHECK(vg_config_apply_rules(&C, ld, &re) != VG_OK);
    CHECK(strstr(re.msg, "t.yaml:1:22: classification-file") != NULL);
    rule_loader_free(ld);
}

static void test_apply_intel(void)
{
    char dir[] = "/tmp/vigil-config-test-XXXXXX";
    if (!mkdtemp(dir)) {
        CHECK(!"mkdtemp");
        return;
    }
    char p1[128], p2[128];
    snprintf(p1, sizeof p1, "%s/iocs.txt", dir);
    snprintf(p2, sizeof p2, "%s/allow.txt", dir);
    FILE *f = fopen(p1, "w");
    fputs("198.51.100.7\nevil.example\n", f);
    fclose(f);
    f = fopen(p2, "w");
    fputs("10.0.0.0/8\n", f);
    fclose(f);
    const char *y = "intel:\n  ioc-files: [iocs.txt]\n  allowlist-files: [allow.txt]\n"
                    "  beacons: {enabled: no, threshold: 0.5}\n";
    vg_config_fini(&C);
    CHECK_EQ_U(vg_config_load_buffer("t.yaml", dir, y, strlen(y), &C, &E), VG_OK);
    struct intel_ctx *ic = intel_ctx_new();
    struct ioc_load_stats st;
    memset(&st, 0, sizeof st);
    const struct vg_config_str *failed = NULL;
    CHECK_EQ_U(vg_config_apply_intel(&C, ic, NULL, NULL, &st, &failed), VG_OK);
    CHECK_EQ_U(st.added, 3);
    CHECK(!ic->beacon_enabled);
    CHECK(ic->beacon.threshold == 0.5);
    intel_ctx_free(ic);
    /* a missing file: the entry is named */
    y = "intel:\n  ioc-files: [iocs.txt, gone.txt]\n";
    vg_config_fini(&C);
    CHECK_EQ_U(vg_config_load_buffer("t.yaml", dir, y, strlen(y), &C, &E), VG_OK);
    ic = intel_ctx_new();
    CHECK_EQ_U(vg_config_apply_intel(&C, ic, NULL, NULL, NULL, &failed), VG_ERR_IO);
    CHECK(failed && failed->line == 2 && failed->col == 25 && strstr(failed->s, "gone.txt"));
    intel_ctx_free(ic);
    remove(p1);
    remove(p2);
    rmdir(dir);
}

/* Allocation failures at every step of a load: no crash, no leak (ASan), an error status. */
static void test_alloc_failures(void)
{
    const char *y = "vars:\n  address-groups:\n    HOME_NET: \"[10.0.0.0/8]\"\n"
                    "rule-files: [a.rules, b.rules]\noutputs:\n  - eve-log:\n      types: [dns]\n"
                    "capture: {interfaces: [eth0], bpf: x}\n";
    int ok = 0, failed = 0;
    for (long i = 0; i < 400; i++) {
        vg_config_fini(&C);
        vg_alloc_fail_after(i);
        int rc = vg_config_load_buffer("t.yaml", "/d", y, strlen(y), &C, &E);
        vg_alloc_fail_after(-1);
        if (rc == VG_OK)
            ok++;
        else if (rc == VG_ERR_NOMEM)
            failed++;
    }
    CHECK(failed > 0);
    CHECK(ok > 0);
    vg_config_fini(&C);
}

int main(void)
{
    vg_config_init(&C);
    RUN(test_defaults);
    RUN(test_sizes_durations);
    RUN(test_keys);
    RUN(test_warnings);
    RUN(test_errors);
    RUN(test_caps);
    RUN(test_apply);
    RUN(test_apply_intel);
    RUN(test_alloc_failures);
    vg_config_fini(&C);
    return vg_test_done("config");
}
