/* report.h - the HTML report: one self-contained page (inline CSS and SVG, no script, no external
 * resource) that a responder reads first. docs/report.md describes the page.
 *
 * report_write streams one or more EVE files line by line (jansson parses each line on its own),
 * keeps aggregates of bounded size (event and finding counts, top talkers and top alerts as
 * Space-Saving heavy-hitter tables, the timeline's points up to a cap, the most severe findings
 * up to a cap) and renders the page at the end. Every string that comes from EVE is HTML-escaped
 * (it is attacker-influenced: payloads, host names, URIs); links are only made from evidence paths
 * of the form evidence/<name>.pcap.
 */
#ifndef VG_REPORT_H
#define VG_REPORT_H

#include <stddef.h>
#include <stdio.h>

struct report_options {
    const char *title;           /* default "vigil report" */
    const char *const *captures; /* capture files of the run (may be NULL: not in EVE) */
    size_t n_captures;
    const char *link_base; /* prefix of evidence links ("" = relative to the page) */
    size_t max_findings;   /* findings drawn in full (most severe kept); default 50 */
    size_t max_timeline;   /* finding marks on the timeline; default 20000 */
};

void report_options_default(struct report_options *o);

/* report_write reads the EVE files eve_paths[0..n) and writes the page to html_path. Lines that
 * are not JSON are counted and skipped. Returns 0, or -1 with errbuf filled when a file cannot
 * be read or the page cannot be written. */
int report_write(const char *const *eve_paths, size_t n, const char *html_path,
                 const struct report_options *o, char *errbuf, size_t errlen);

/* The same, writing to an open stream (tests). */
int report_write_fp(const char *const *eve_paths, size_t n, FILE *out,
                    const struct report_options *o, char *errbuf, size_t errlen);

/* report_escape writes s (n bytes) HTML-escaped to fp: & < > " ' become entities, control
 * characters and Unicode bidirectional overrides become visible \xNN / \u{NNNN} text. */
void report_escape(FILE *fp, const char *s, size_t n);

#endif
