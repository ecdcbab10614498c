/* test_core.c - core helpers: bounds-checked reader, status messages, anomaly table, address
 * text, allocation failure injection. */
#include <string.h>

#include "core/vg_addr.h"
#include "core/vg_alloc.h"
#include "core/vg_anomaly.h"
#include "core/vg_reader.h"
#include "core/vg_status.h"
#include "vg_test.h"

static void test_reader(void)
{
    const uint8_t b[] = {0x12, 0x34, 0x56, 0x78, 0x9a};
    struct vg_reader r;
    vg_rd_init(&r, b, sizeof b);
    uint16_t v16;
    uint32_t v32;
    uint8_t v8;
    CHECK(vg_rd_be16(&r, &v16) && v16 == 0x1234);
    CHECK(!vg_rd_be32(&r, &v32)); /* only 3 left: fails and does not move */
    CHECK_EQ_U(r.off, 2);
    CHECK(vg_rd_le16(&r, &v16) && v16 == 0x7856);
    CHECK(vg_rd_u8(&r, &v8) && v8 == 0x9a);
    CHECK(!vg_rd_u8(&r, &v8));
    CHECK_EQ_U(vg_rd_left(&r), 0);
    vg_rd_init(&r, b, sizeof b);
    CHECK(vg_rd_be32(&r, &v32) && v32 == 0x12345678);
    const uint8_t *p;
    CHECK(!vg_rd_bytes(&r, 2, &p));
    CHECK(vg_rd_bytes(&r, 1, &p) && p == b + 4);
    CHECK(!vg_rd_skip(&r, 1));
    vg_rd_init(&r, b, sizeof b);
    CHECK(vg_rd_le32(&r, &v32) && v32 == 0x78563412);
    CHECK(!vg_rd_skip(&r, (size_t)-1)); /* no wrap-around on huge lengths */
    CHECK(vg_rd_skip(&r, 1) && vg_rd_left(&r) == 0);
}

static void test_status(void)
{
    CHECK_STR(vg_strstatus(VG_OK), "ok");
    CHECK_STR(vg_strstatus(VG_ERR_TRUNCATED), "truncated input");
    CHECK_STR(vg_strstatus(12345), "unknown status");
}

static void test_anomaly_table(void)
{
    /* Every id has a type and a unique name of the form <layer>.<event>. */
    for (int i = 0; i < VG_ANOMALY_COUNT; i++) {
        const char *t = vg_anomaly_type(i), *n = vg_anomaly_name(i);
        CHECK(t && n && strchr(n, '.') != NULL);
        CHECK(strcmp(t, "decode") == 0 || strcmp(t, "stream") == 0 || strcmp(t, "applayer") == 0);
        for (int j = 0; j < i; j++)
            if (strcmp(vg_anomaly_name(j), n) == 0) CHECK(!"duplicate anomaly name");
        /* Suricata-known counters must be decoder events (stats.decoder.event.<layer>.<name>). */
        if (vg_anomaly_suricata_known(i)) CHECK(strncmp(n, "decoder.", 8) == 0);
    }
    CHECK(vg_anomaly_name(-1) == NULL);
    CHECK(vg_anomaly_name(VG_ANOMALY_COUNT) == NULL);
}

static void test_addr(void)
{
    char buf[VG_ADDR_STRLEN];
    struct vg_addr a = {4, {0}};
    CHECK_STR(vg_addr_str(&a, buf), "0.0.0.0");
    a.a[0] = 255, a.a[1] = 10, a.a[2] = 100, a.a[3] = 9;
    CHECK_STR(vg_addr_str(&a, buf), "255.10.100.9");
    struct vg_addr b = {6, {0x20, 0x01, 0x0d, 0xb8, [15] = 1}};
    CHECK_STR(vg_addr_str(&b, buf), "2001:db8::1");
    struct vg_addr c = {0, {0}};
    CHECK_STR(vg_addr_str(&c, buf), "");
    CHECK(vg_addr_cmp(&a, &b) < 0);
    CHECK(!vg_addr_eq(&a, &b));
}

static void test_alloc_injection(void)
{
    vg_alloc_fail_after(1);
    void *p1 = vg_malloc(8);
    void *p2 = vg_malloc(8);
    CHECK(p1 != NULL);
    CHECK(p2 == NULL);
    vg_alloc_fail_after(-1);
    void *p3 = vg_calloc(2, 4);
    CHECK(p3 != NULL);
    char *s = vg_strdup("vigil");
    CHECK_STR(s, "vigil");
    vg_free(p1);
    vg_free(p3);
    vg_free(s);
    vg_free(NULL);
}

int main(void)
{
    RUN(test_reader);
    RUN(test_status);
    RUN(test_anomaly_table);
    RUN(test_addr);
    RUN(test_alloc_injection);
    return vg_test_done("core");
}
