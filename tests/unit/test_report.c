/* test_report.c - unit tests of src/output/report: every EVE string is HTML-escaped (hostile
 * signatures, addresses, payloads, evidence paths, bidi overrides, NUL), the page has no script and
 * links only to evidence files, the SVG is well formed (every <svg> closed, coordinates finite and
 * inside the view box), unreadable lines are counted, and a large input is capped (bounded memory,
 * "left out" said). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "output/report/report.h"
#include "vg_test.h"

static char *escape_str(const char *s, size_t n)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *fp = open_memstream(&buf, &len);
    report_escape(fp, s, n);
    fclose(fp);
    return buf;
}

static void test_escape(void)
{
    char *e = escape_str("<script>alert('x')</script>&\"", 29);
    CHECK_STR(e, "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&amp;&quot;");
    free(e);
    e = escape_str("a\x01z\x7f", 4);
    CHECK_STR(e, "a\\x01z\\x7f");
    free(e);
    e = escape_str("a\0b", 3);
    CHECK_STR(e, "a\\x00b");
    free(e);
    /* U+202E RIGHT-TO-LEFT OVERRIDE and U+2066 LRI are shown, not applied */
    e = escape_str("evil\xe2\x80\xaegpj.exe \xe2\x81\xa6x", 19);
    CHECK_STR(e, "evil\\u{202e}gpj.exe \\u{2066}x");
    free(e);
    /* ordinary UTF-8 passes */
    e = escape_str("caf\xc3\xa9 \xe2\x82\xac", 9);
    CHECK_STR(e, "caf\xc3\xa9 \xe2\x82\xac");
    free(e);
}

static size_t count(const char *hay, const char *needle)
{
    size_t n = 0;
    for (const char *p = hay; (p = strstr(p, needle)) != NULL; p++)
        n++;
    return n;
}

static bool contains_ci(const char *hay, const char *needle)
{
    return strcasestr(hay, needle) != NULL;
}

/* Every number in cx="..", cy="..", x="..", y="..", width/height inside <svg> elements is finite
 * and within [-1, 2000]. */
static bool svg_coords_sane(const char *html, size_t *n_svg)
{
    *n_svg = 0;
    const char *p = html;
    while ((p = strstr(p, "<svg")) != NULL) {
        const char *end = strstr(p, "</svg>");
        if (!end) return false;
        (*n_svg)++;
        CHECK(strstr(p, "viewBox=\"0 0 ") != NULL && strstr(p, "viewBox=\"0 0 ") < end);
        static const char *const attrs[] = {" cx=\"", " cy=\"",    " x=\"",      " y=\"", " x1=\"",
                                            " y2=\"", " width=\"", " height=\"", " r=\""};
        for (size_t k = 0; k < sizeof attrs / sizeof attrs[0]; k++) {
            for (const char *q = p; (q = strstr(q, attrs[k])) != NULL && q < end; q++) {
                const char *v = q + strlen(attrs[k]);
                if (strncmp(v, "100%", 4) == 0) continue;
                char *e;
                double d = strtod(v, &e);
                if (e == v || *e != '"' || !isfinite(d) || d < -1 || d > 2000) {
                    fprintf(stderr, "bad svg attribute: %.40s\n", q);
                    return false;
                }
            }
        }
        p = end;
    }
    return true;
}

static const char *hostile_eve =
    /* a flow whose addresses are markup */
    "{\"timestamp\":\"2015-04-21T02:19:00.617471+0000\",\"flow_id\":1,\"event_type\":\"flow\","
    "\"src_ip\":\"\\\"><img src=x onerror=alert(1)>\",\"src_port\":1,\"dest_ip\":\"10.0.0.1\","
    "\"dest_port\":80,\"proto\":\"TCP\",\"flow\":{\"pkts_toserver\":3,\"pkts_toclient\":2,"
    "\"bytes_toserver\":300,\"bytes_toclient\":200}}\n"
    "this line is not JSON <script>alert(2)</script>\n"
    /* a tamper alert with hostile text everywhere, a javascript: evidence path and a series */
    "{\"timestamp\":\"2015-04-21T02:19:01.005912+0000\",\"flow_id\":2,\"pcap_cnt\":19,"
    "\"event_type\":\"alert\",\"src_ip\":\"216.34.181.45\",\"src_port\":80,\"dest_ip\":"
    "\"10.0.1.4\",\"dest_port\":51482,\"proto\":\"TCP\",\"alert\":{\"signature_id\":8800003,"
    "\"signature\":\"<script>alert(3)</script> \\u202egnp.exe\",\"category\":\"Traffic tampering\","
    "\"severity\":1},\"tamper\":{\"class\":\"tcp_injection_race\",\"subtype\":\"<b>x</b>\","
    "\"confidence\":95,\"reasons\":[\"<iframe src=//evil>\",\"nul\\u0000here\"],"
    "\"contestants\":[{\"verdict\":\"forged\",\"pcap_cnt\":5,\"seq\":100,\"len\":20,\"ttl\":64,"
    "\"ip_id\":1,\"window\":8192,\"tcp_options\":\"\",\"departs\":[\"ttl\"],"
    /* "<svg onload=alert(4)>" base64 */
    "\"payload\":\"PHN2ZyBvbmxvYWQ9YWxlcnQoNCk+\",\"http_location\":\"javascript:alert(5)\"},"
    "{\"verdict\":\"genuine\",\"pcap_cnt\":19,\"seq\":100,\"len\":20,\"ttl\":241,\"ip_id\":17728,"
    "\"window\":147,\"tcp_options\":\"NOP,NOP,TS\",\"departs\":[],"
    "\"payload\":\"SFRUUC8xLjEgMjAwIE9LDQo=\"}],"
    "\"baseline\":{\"ttl\":[241],\"window\":147},\"count\":1,"
    "\"series\":{\"direction\":\"to_client\",\"pcap_cnt\":[2,5,19],\"t_us\":[0,200000,388000],"
    "\"ttl\":[241,64,241],\"ip_id\":[100,1,17728],\"window\":[147,8192,147],\"len\":[0,20,20]}},"
    "\"evidence\":{\"pcap\":\"javascript:alert(6)//.pcap\",\"packets\":[5,9]}}\n"
    /* a benign alert with a proper evidence path */
    "{\"timestamp\":\"2015-04-21T02:19:02.000000+0000\",\"flow_id\":3,\"event_type\":\"alert\","
    "\"src_ip\":\"10.0.0.2\",\"src_port\":53,\"dest_ip\":\"10.0.0.3\",\"dest_port\":5353,"
    "\"proto\":\"UDP\",\"alert\":{\"signature_id\":1,\"signature\":\"local rule\",\"severity\":2},"
    "\"evidence\":{\"pcap\":\"evidence/3.pcap\",\"packets\":[1]}}\n"
    /* a beacon with intervals */
    "{\"timestamp\":\"2015-04-21T02:19:03.000000+0000\",\"flow_id\":4,\"event_type\":\"alert\","
    "\"src_ip\":\"10.0.0.5\",\"dest_ip\":\"198.51.100.7\",\"dest_port\":443,\"proto\":\"TCP\","
    "\"alert\":{\"signature_id\":8800100,\"signature\":\"VIGIL beacon\",\"severity\":2},"
    "\"beacon\":{\"score\":0.93,\"period_s\":60.1,\"jitter_pct\":4.8,\"connections\":5,"
    "\"server_name\":\"<c2>.example\",\"intervals\":[59.0,60.2,61.0,60.1,59.8]}}\n"
    "{\"timestamp\":\"2015-04-21T02:19:04.438386+0000\",\"event_type\":\"stats\",\"stats\":"
    "{\"decoder\":{\"pkts\":1313,\"bytes\":1400000}}}\n";

static char *write_tmp(const char *text)
{
    static char path[64];
    snprintf(path, sizeof path, "/tmp/vigil-test-report-XXXXXX");
    int fd = mkstemp(path);
    if (fd < 0) return NULL;
    size_t n = strlen(text);
    if (write(fd, text, n) != (ssize_t)n) {
        close(fd);
        return NULL;
    }
    close(fd);
    return path;
}

static char *render(const char *path, size_t max_findings)
{
    struct report_options o;
    report_options_default(&o);
    o.max_findings = max_findings;
    char *buf = NULL;
    size_t len = 0;
    FILE *fp = open_memstream(&buf, &len);
    char err[256];
    const char *paths[1] = {path};
    int rc = report_write_fp(paths, 1, fp, &o, err, sizeof err);
    fclose(fp);
    CHECK_EQ_U(rc, 0);
    return buf;
}

static void test_hostile_page(void)
{
    char *path = write_tmp(hostile_eve);
    CHECK(path != NULL);
    if (!path) return;
    char *html = render(path, 50);
    unlink(path);
    CHECK(html != NULL);
    if (!html) return;
    /* no markup from the input survives */
    CHECK(!contains_ci(html, "<script"));
    CHECK(!contains_ci(html, "<img"));
    CHECK(!contains_ci(html, "<iframe"));
    CHECK(!contains_ci(html, "<b>x</b>"));
    CHECK(!contains_ci(html, "<svg onload"));
    CHECK(!contains_ci(html, "href=\"javascript"));
    CHECK(strstr(html, "&lt;script&gt;alert(3)&lt;/script&gt;") != NULL);
    CHECK(strstr(html, "&quot;&gt;&lt;img src=x onerror=alert(1)&gt;") != NULL);
    CHECK(strstr(html, "\\u{202e}gnp.exe") != NULL);
    CHECK(strstr(html, "nul\\x00here") != NULL);
    CHECK(strstr(html, "&lt;c2&gt;.example") != NULL);
    /* the payload's bytes appear as hex and escaped printable text */
    CHECK(strstr(html, "3c 73 76 67") != NULL || strstr(html, "<b>3c</b> <b>73</b>") != NULL);
    CHECK(strstr(html, "&lt;svg onload=alert(4)&gt;") != NULL || strstr(html, "&lt;") != NULL);
    /* only the well-formed evidence path is a link */
    CHECK(strstr(html, "href=\"evidence/3.pcap\"") != NULL);
    CHECK_EQ_U(count(html, "href=\""), count(html, "href=\"evidence/") + count(html, "href=\"#f"));
    /* no external resources at all */
    CHECK(!contains_ci(html, "src=\"http"));
    CHECK(!contains_ci(html, "<link"));
    CHECK(!contains_ci(html, "@import"));
    /* sections and counts */
    CHECK(strstr(html, "id=\"summary\"") != NULL);
    CHECK(strstr(html, "id=\"timeline\"") != NULL);
    CHECK(strstr(html, "id=\"findings\"") != NULL);
    CHECK(strstr(html, "id=\"beacons\"") != NULL);
    CHECK(strstr(html, "id=\"talkers\"") != NULL);
    CHECK(strstr(html, "1 line(s) of the input were not JSON") != NULL);
    CHECK(strstr(html, "1,313") != NULL); /* packets from the stats event */
    CHECK(strstr(html, "First contestant") != NULL && strstr(html, "Second contestant") != NULL);
    /* SVG: timeline, three series plots, one beacon histogram; all closed and sane */
    size_t n_svg = 0;
    CHECK(svg_coords_sane(html, &n_svg));
    CHECK_EQ_U(n_svg, 5);
    CHECK_EQ_U(count(html, "<svg"), count(html, "</svg>"));
    CHECK(!contains_ci(html, "nan\"") && !contains_ci(html, "inf\""));
    /* the forged contestant is marked on the plots */
    CHECK(count(html, "fill=\"#c62828\" stroke=\"#fff\" stroke-width=\"1.5\"") == 3);
    free(html);
}

static void test_bounded(void)
{
    /* 3000 alerts, at most 7 drawn; the most severe ones are kept */
    char *buf = NULL;
    size_t len = 0;
    FILE *fp = open_memstream(&buf, &len);
    for (int i = 0; i < 3000; i++)
        fprintf(fp,
                "{\"timestamp\":\"2020-01-01T00:%02d:%02d.000000+0000\",\"event_type\":\"alert\","
                "\"src_ip\":\"10.%d.%d.1\",\"dest_ip\":\"10.0.0.1\",\"proto\":\"TCP\",\"alert\":"
                "{\"signature_id\":%d,\"signature\":\"rule %d\",\"severity\":%d}}\n",
                (i / 60) % 60, i % 60, i / 256, i % 256, i % 40, i % 40, i == 1234 ? 1 : 3);
    fclose(fp);
    char *path = write_tmp(buf);
    free(buf);
    char *html = render(path, 7);
    unlink(path);
    CHECK(html != NULL);
    if (!html) return;
    CHECK(strstr(html, "the 7 most severe of 3000; 2993 left out") != NULL);
    CHECK_EQ_U(count(html, "<article class=\"finding"), 7);
    CHECK(strstr(html, "id=\"f1234\"") != NULL); /* the one severity-1 alert is among them */
    size_t n_svg = 0;
    CHECK(svg_coords_sane(html, &n_svg));
    free(html);
}

static void test_empty(void)
{
    char *path = write_tmp("");
    char *html = render(path, 50);
    unlink(path);
    CHECK(html && strstr(html, "No findings") != NULL);
    CHECK(html && strstr(html, "</html>") != NULL);
    free(html);
}

int main(void)
{
    RUN(test_escape);
    RUN(test_hostile_page);
    RUN(test_bounded);
    RUN(test_empty);
    return vg_test_done("report");
}
