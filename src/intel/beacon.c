/* beacon.c - beacon scoring: a host that calls home on a rhythm.
 *
 * Method: RITA's beacon analyzer, version 5 (activecm/rita, analysis/beacons.go: getBeaconScore,
 * getTimestampScore, getDataSizeScore, calculateStatisticalScore, calculateBowleySkewness,
 * calculateMedianAbsoluteDeviation, getHistogramScore, createHistogram, getFrequencyCounts,
 * calculateCoefficientOfVariationScore, calculateBimodalFitScore, getDurationScore; the pair
 * selection of analysis/uconns.sql; defaults of default_config.hjson). RITA v4 kept the same
 * statistics in pkg/beacon (Bowley skewness and MAD of intervals and sizes); v5 added the
 * histogram and duration subscores that this file follows. Followed exactly:
 *   - interval score: the deltas between consecutive connection starts (whole seconds, sorted,
 *     zero deltas dropped; at least 4 starts and 3 non-zero deltas), score = round3((bowley +
 *     mad) / 2) with bowley = 1 - |(Q1 + Q3 - 2 Q2) / (Q3 - Q1)| (skew 0 when Q3 - Q1 < 10 or Q2
 *     equals Q1 or Q3; quartiles as montanaflynn/stats.Quartile) and mad = (median - MAD) / median
 *     clamped at 0 (1 when the median is below 1);
 *   - size score: the same over the bytes of each connection (client to server), mad default 0;
 *   - histogram score: connection starts counted into 24 equal bins over the dataset span,
 *     max(coefficient-of-variation score round3(1 - sd/mean) (0 when cv > 1), bimodal fit: the two
 *     most common bar heights (bucketed by ceil(5 % of the tallest bar)) over the non-empty bars
 *     minus 1 outlier, only with 11+ non-empty bars);
 *   - duration score: with 6+ non-empty bars, max(ceil3(pair span / dataset span),
 *     ceil3(longest run of non-empty bars, wrapping / 12)), each capped at 1;
 *   - score = round3(sum of weight x subscore), weights 0.25 each;
 *   - pairs need 4 distinct start seconds and fewer than 86400 connections; connections of a
 *     (client, server name) pair that qualifies are left out of its (client, address) pair.
 * Where vigil differs (the issue asks for it): RITA scores the last 24 hours of its logs; vigil
 * scores the whole capture, so the 24 bins span the capture (hour bins for a day-long capture);
 * RITA's server names come from Zeek's ssl/http logs, vigil's from the HTTP Host and TLS SNI; bytes
 * are captured frame bytes client → server (Suricata's bytes_toserver), RITA's orig_ip_bytes.
 *
 * Memory: pairs in one open-addressing table, connections in a growable array per pair (16 bytes
 * each), bounded by max_pairs, max_per_pair and max_records; what does not fit is counted. Nothing
 * is allocated per packet: a record is appended when a flow ends.
 */
#include "intel/intel.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "core/vg_alloc.h"
#include "core/vg_status.h"

void beacon_config_default(struct beacon_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->w_interval = cfg->w_size = cfg->w_duration = cfg->w_histogram = 0.25;
    cfg->threshold = 0.8;
    cfg->min_connections = 4;
    cfg->max_connections = 86400;
    cfg->max_pairs = 200000;
    cfg->max_per_pair = 86400;
    cfg->max_records = 4000000;
    cfg->hist_bins = 24;
    cfg->hist_mode_sensitivity = 0.05;
    cfg->hist_bimodal_outliers = 1;
    cfg->hist_bimodal_min_bins = 11;
    cfg->dur_min_bins = 6;
    cfg->dur_ideal_bins = 12;
}

int beacon_config_check(const struct beacon_config *cfg, char *err, size_t errlen)
{
    const double w[4] = {cfg->w_interval, cfg->w_size, cfg->w_duration, cfg->w_histogram};
    double sum = 0;
    for (int i = 0; i < 4; i++) {
        if (!(w[i] >= 0 && w[i] <= 1)) {
            snprintf(err, errlen, "beacon weights must each be between 0 and 1");
            return VG_ERR_USAGE;
        }
        sum += w[i];
    }
    if (fabs(sum - 1.0) > 1e-6) {
        snprintf(err, errlen, "beacon weights must sum to 1 (they sum to %g)", sum);
        return VG_ERR_USAGE;
    }
    if (!(cfg->threshold >= 0 && cfg->threshold <= 1)) {
        snprintf(err, errlen, "beacon threshold must be between 0 and 1");
        return VG_ERR_USAGE;
    }
    if (cfg->hist_bins == 0 || cfg->dur_ideal_bins == 0 || cfg->min_connections < 4 ||
        cfg->max_per_pair == 0 || cfg->max_pairs == 0) {
        snprintf(err, errlen, "beacon limits must be positive (min_connections at least 4)");
        return VG_ERR_USAGE;
    }
    return VG_OK;
}

/* ---- RITA's statistics ---- */

static double round3(double x)
{
    return round(x * 1000.0) / 1000.0;
}
static double ceil3(double x)
{
    return ceil(x * 1000.0) / 1000.0;
}

double beacon_median(const double *v, size_t n)
{
    if (n == 0) return 0;
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2.0;
}

/* montanaflynn/stats.Quartile: Q1/Q3 are the medians of the lower/upper halves, the median itself
 * excluded from both halves when n is odd. */
static void quartiles(const double *v, size_t n, double *q1, double *q2, double *q3)
{
    size_t c1, c2;
    if (n % 2 == 0) {
        c1 = n / 2;
        c2 = n / 2;
    } else {
        c1 = (n - 1) / 2;
        c2 = c1 + 1;
    }
    *q1 = beacon_median(v, c1);
    *q2 = beacon_median(v, n);
    *q3 = beacon_median(v + c2, n - c2);
}

double beacon_bowley_score(const double *v, size_t n, double *skew_out)
{
    double q1, q2, q3, skew = 0;
    quartiles(v, n, &q1, &q2, &q3);
    double num = q1 + q3 - 2 * q2, den = q3 - q1;
    if (den >= 10 && q2 != q1 && q2 != q3) skew = num / den;
    if (skew_out) *skew_out = skew;
    return 1.0 - fabs(skew);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

double beacon_mad_score(const double *v, size_t n, double default_score, double *mad_out)
{
    double med = beacon_median(v, n);
    /* MAD: the median of |x - median| (montanaflynn MedianAbsoluteDeviationPopulation) */
    double stackbuf[256];
    double *dev = n <= 256 ? stackbuf : vg_malloc(n * sizeof *dev);
    double mad = 0;
    if (dev) {
        for (size_t i = 0; i < n; i++)
            dev[i] = fabs(v[i] - med);
        qsort(dev, n, sizeof *dev, cmp_double);
        mad = beacon_median(dev, n);
        if (dev != stackbuf) vg_free(dev);
    }
    if (mad_out) *mad_out = mad;
    double score = default_score;
    if (med >= 1) score = (med - mad) / med;
    if (score < 0 || isnan(score)) score = 0;
    return score;
}

double beacon_stat_score(const double *v, size_t n, double default_mad_score)
{
    if (n < 3) return 0;
    double b = beacon_bowley_score(v, n, NULL);
    double m = beacon_mad_score(v, n, default_mad_score, NULL);
    return round3((b + m) / 2.0);
}

int beacon_histogram_score(const struct beacon_config *cfg, int64_t dmin, int64_t dmax,
                           const int64_t *ts, size_t n, double *score, int *total_bars,
                           int *longest_run)
{
    unsigned bins = cfg->hist_bins;
    if (n == 0 || dmax <= dmin || bins == 0 || bins > 4096) return VG_ERR_USAGE;
    double edges[4097];
    double step = (double)(dmax - dmin) / (double)bins;
    edges[0] = (double)dmin;
    for (unsigned i = 1; i < bins; i++)
        edges[i] = (double)dmin + (double)i * step;
    edges[bins] = (double)dmax;
    int hist[4096];
    memset(hist, 0, bins * sizeof hist[0]);
    unsigned cur = 0;
    double next = edges[1];
    for (size_t k = 0; k < n; k++) { /* createHistogram */
        double t = (double)ts[k];
        if (t < next) {
            hist[cur]++;
            continue;
        }
        for (unsigned j = cur + 1; j < bins; j++) {
            cur = j;
            next = edges[j + 1];
            if (t < edges[j + 1]) break;
        }
        hist[cur]++;
    }
    /* getFrequencyCounts */
    int bars = 0, largest = 0;
    for (unsigned i = 0; i < bins; i++) {
        if (hist[i] > 0) bars++;
        if (hist[i] > largest) largest = hist[i];
    }
    double bin_size = ceil((double)largest * cfg->hist_mode_sensitivity);
    if (bin_size < 1) bin_size = 1;
    int run = 0, best = 0;
    int fvals[4096], fcnt[4096], nf = 0;
    for (unsigned i = 0; i < bins * 2; i++) {
        int fr = hist[i % bins];
        if (fr > 0) {
            run++;
        } else {
            if (run > best) best = run;
            run = 0;
        }
        if (i < bins && fr > 0) {
            int b = (int)(floor((double)fr / bin_size) * bin_size);
            int j = 0;
            while (j < nf && fvals[j] != b)
                j++;
            if (j == nf) {
                fvals[nf] = b;
                fcnt[nf++] = 0;
            }
            fcnt[j]++;
        }
    }
    if (run > best) best = run;
    if (best > (int)bins) best = (int)bins;
    /* calculateCoefficientOfVariationScore (population standard deviation) */
    double total = (double)n, mean = total / bins, sd = 0;
    for (unsigned i = 0; i < bins; i++)
        sd += ((double)hist[i] - mean) * ((double)hist[i] - mean);
    sd = sqrt(sd / bins);
    double cv = sd / fabs(mean);
    double cv_score = cv > 1.0 ? 0.0 : round3(1.0 - cv);
    if (cv_score > 1.0) cv_score = 1.0;
    /* calculateBimodalFitScore */
    unsigned min_bins = cfg->hist_bimodal_min_bins < 6 ? 11 : cfg->hist_bimodal_min_bins;
    double fit = 0;
    if (bars >= (int)min_bins) {
        int l = 0, s2 = 0;
        for (int j = 0; j < nf; j++) {
            if (fcnt[j] > l) {
                s2 = l;
                l = fcnt[j];
            } else if (fcnt[j] > s2) {
                s2 = fcnt[j];
            }
        }
        double adj = (double)bars - (double)cfg->hist_bimodal_outliers;
        if (adj < 1) adj = 1;
        fit = (double)(l + s2) / adj;
    }
    double fit_score = round3(fit);
    if (fit_score > 1.0) fit_score = 1.0;
    *score = cv_score > fit_score ? cv_score : fit_score;
    if (total_bars) *total_bars = bars;
    if (longest_run) *longest_run = best;
    return VG_OK;
}

double beacon_duration_score(const struct beacon_config *cfg, int64_t dmin, int64_t dmax,
                             int64_t first, int64_t last, int total_bars, int longest_run)
{
    if (dmax <= dmin || last <= first || total_bars < (int)cfg->dur_min_bins) return 0;
    double coverage = ceil3((double)(last - first) / (double)(dmax - dmin));
    if (coverage > 1.0) coverage = 1.0;
    double consistency = ceil3((double)longest_run / (double)cfg->dur_ideal_bins);
    if (consistency > 1.0) consistency = 1.0;
    return coverage > consistency ? coverage : consistency;
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

int beacon_score_series(const struct beacon_config *cfg, int64_t dmin, int64_t dmax,
                        const int64_t *ts_us, const uint32_t *bytes, size_t n,
                        struct beacon_scores *out)
{
    memset(out, 0, sizeof *out);
    if (n < 4 || dmax <= dmin) return VG_DECLINED;
    int64_t *us = vg_malloc(n * sizeof *us);
    int64_t *sec = vg_malloc(n * sizeof *sec);
    double *d = vg_malloc(n * sizeof *d);
    double *b = vg_malloc(n * sizeof *b);
    int rc = VG_DECLINED;
    if (!us || !sec || !d || !b) {
        rc = VG_ERR_NOMEM;
        goto done;
    }
    memcpy(us, ts_us, n * sizeof *us);
    qsort(us, n, sizeof *us, cmp_i64);
    for (size_t i = 0; i < n; i++)
        sec[i] = floor_div(us[i], 1000000);
    size_t uniq = 1;
    for (size_t i = 1; i < n; i++)
        uniq += sec[i] != sec[i - 1];
    if (uniq < cfg->min_connections) goto done;

    /* interval score: non-zero deltas of whole seconds, sorted */
    size_t nd = 0;
    for (size_t i = 0; i + 1 < n; i++)
        if (sec[i + 1] - sec[i] > 0) d[nd++] = (double)(sec[i + 1] - sec[i]);
    if (nd < 3) goto done;
    qsort(d, nd, sizeof *d, cmp_double);
    out->interval = beacon_stat_score(d, nd, 1);

    /* size score */
    for (size_t i = 0; i < n; i++)
        b[i] = (double)bytes[i];
    qsort(b, n, sizeof *b, cmp_double);
    out->size = beacon_stat_score(b, n, 0);
    out->bytes_median = (uint64_t)llround(beacon_median(b, n));

    /* histogram and duration */
    int bars = 0, run = 0;
    if (beacon_histogram_score(cfg, dmin, dmax, sec, n, &out->histogram, &bars, &run) != VG_OK)
        goto done;
    out->duration = beacon_duration_score(cfg, dmin, dmax, sec[0], sec[n - 1], bars, run);

    out->score = round3(out->interval * cfg->w_interval + out->size * cfg->w_size +
                        out->duration * cfg->w_duration + out->histogram * cfg->w_histogram);
    out->connections = (uint32_t)n;

    /* period and jitter for the reader: the same intervals as the interval score (between starts
     * in different seconds), measured in microseconds */
    nd = 0;
    for (size_t i = 0; i + 1 < n; i++)
        if (sec[i + 1] > sec[i]) d[nd++] = (double)(us[i + 1] - us[i]) / 1e6;
    qsort(d, nd, sizeof *d, cmp_double);
    double q1, q2, q3;
    quartiles(d, nd, &q1, &q2, &q3);
    out->period_s = q2;
    out->jitter_pct = q2 > 0 ? 100.0 * (q3 - q1) / q2 : 0;
    rc = VG_OK;
done:
    vg_free(us);
    vg_free(sec);
    vg_free(d);
    vg_free(b);
    return rc;
}

/* ---- the table of pairs ---- */

struct beacon_rec {
    int64_t ts_us;     /* connection start */
    uint32_t bytes;    /* client → server, saturated */
    uint32_t name_ref; /* the (client, name) pair this connection also belongs to, or IOC_NONE */
};

struct beacon_pair {
    struct vg_addr client, server; /* name pairs: server of the latest connection */
    uint32_t name_off;             /* name pairs: offset of the name in t->names */
    uint16_t name_len;
    bool by_name;
    bool qualified; /* name pair: scored (its connections leave the address pair) */
    bool capped;
    uint8_t proto;
    uint16_t dport;
    uint64_t flow_id; /* latest connection */
    int64_t last_us;  /* start of the latest connection */
    uint64_t total;   /* connections seen, kept or not */
    struct beacon_rec *rec;
    uint32_t n, cap;
};

struct beacon_table {
    struct beacon_config cfg;
    const struct ioc_set *allow;
    struct beacon_pair *pairs;
    size_t n_pairs, cap_pairs;
    uint32_t *slots; /* pair index + 1; 0 empty */
    size_t n_slots;
    char *names;
    size_t names_len, names_cap;
    uint64_t records;
    bool have_span;
    int64_t dmin, dmax; /* seconds */
    bool scored;
    struct beacon_counters c;
};

struct beacon_table *beacon_table_new(const struct beacon_config *cfg, const struct ioc_set *allow)
{
    struct beacon_table *t = vg_calloc(1, sizeof *t);
    if (!t) return NULL;
    if (cfg)
        t->cfg = *cfg;
    else
        beacon_config_default(&t->cfg);
    t->allow = allow;
    t->n_slots = 1024;
    t->slots = vg_calloc(t->n_slots, sizeof *t->slots);
    if (!t->slots) {
        vg_free(t);
        return NULL;
    }
    return t;
}

void beacon_table_free(struct beacon_table *t)
{
    if (!t) return;
    for (size_t i = 0; i < t->n_pairs; i++)
        vg_free(t->pairs[i].rec);
    vg_free(t->pairs);
    vg_free(t->slots);
    vg_free(t->names);
    vg_free(t);
}

const struct beacon_counters *beacon_counters(const struct beacon_table *t)
{
    return t ? &t->c : NULL;
}

static uint64_t pair_hash(bool by_name, const struct vg_addr *client, const struct vg_addr *server,
                          const char *name, size_t nlen)
{
    uint8_t key[17 + 17 + 256];
    size_t k = 0;
    key[k++] = by_name;
    key[k++] = client->family;
    memcpy(key + k, client->a, 16);
    k += 16;
    if (by_name) {
        memcpy(key + k, name, nlen);
        k += nlen;
    } else {
        key[k++] = server->family;
        memcpy(key + k, server->a, 16);
        k += 16;
    }
    return XXH3_64bits(key, k);
}

static bool pair_eq(const struct beacon_table *t, const struct beacon_pair *p, bool by_name,
                    const struct vg_addr *client, const struct vg_addr *server, const char *name,
                    size_t nlen)
{
    if (p->by_name != by_name || !vg_addr_eq(&p->client, client)) return false;
    if (by_name) return p->name_len == nlen && memcmp(t->names + p->name_off, name, nlen) == 0;
    return vg_addr_eq(&p->server, server);
}

static int grow_pair_slots(struct beacon_table *t)
{
    size_t ns = t->n_slots * 2;
    uint32_t *nt = vg_calloc(ns, sizeof *nt);
    if (!nt) return VG_ERR_NOMEM;
    for (size_t i = 0; i < t->n_pairs; i++) {
        const struct beacon_pair *p = &t->pairs[i];
        uint64_t h =
            pair_hash(p->by_name, &p->client, &p->server, t->names + p->name_off, p->name_len);
        size_t j = (size_t)h & (ns - 1);
        while (nt[j])
            j = (j + 1) & (ns - 1);
        nt[j] = (uint32_t)i + 1;
    }
    vg_free(t->slots);
    t->slots = nt;
    t->n_slots = ns;
    return VG_OK;
}

/* Finds or creates a pair; IOC_NONE when the table is full (counted by the caller). */
static uint32_t pair_get(struct beacon_table *t, bool by_name, const struct vg_addr *client,
                         const struct vg_addr *server, const char *name, size_t nlen)
{
    uint64_t h = pair_hash(by_name, client, server, name, nlen);
    size_t mask = t->n_slots - 1, i = (size_t)h & mask;
    while (t->slots[i]) {
        uint32_t idx = t->slots[i] - 1;
        if (pair_eq(t, &t->pairs[idx], by_name, client, server, name, nlen)) return idx;
        i = (i + 1) & mask;
    }
    if (t->n_pairs >= t->cfg.max_pairs) return IOC_NONE;
    if (t->n_pairs == t->cap_pairs) {
        size_t nc = t->cap_pairs ? t->cap_pairs * 2 : 256;
        struct beacon_pair *np = vg_realloc(t->pairs, nc * sizeof *np);
        if (!np) return IOC_NONE;
        t->pairs = np;
        t->cap_pairs = nc;
    }
    uint32_t off = 0;
    if (by_name) {
        if (t->names_len + nlen + 1 > t->names_cap) {
            size_t nc = t->names_cap ? t->names_cap * 2 : 4096;
            while (nc < t->names_len + nlen + 1)
                nc *= 2;
            char *nn = vg_realloc(t->names, nc);
            if (!nn) return IOC_NONE;
            t->names = nn;
            t->names_cap = nc;
        }
        off = (uint32_t)t->names_len;
        memcpy(t->names + off, name, nlen);
        t->names[off + nlen] = '\0';
        t->names_len += nlen + 1;
    }
    struct beacon_pair *p = &t->pairs[t->n_pairs];
    memset(p, 0, sizeof *p);
    p->client = *client;
    if (server) p->server = *server;
    p->by_name = by_name;
    p->name_off = off;
    p->name_len = (uint16_t)nlen;
    t->slots[i] = (uint32_t)t->n_pairs + 1;
    uint32_t idx = (uint32_t)t->n_pairs++;
    t->c.pairs++;
    if (t->n_pairs * 2 > t->n_slots) grow_pair_slots(t); /* on failure the table only slows */
    return idx;
}

uint32_t beacon_name_ref(struct beacon_table *t, const struct vg_addr *client, const char *name,
                         size_t len)
{
    if (!t || !name) return IOC_NONE;
    while (len && name[len - 1] == '.')
        len--;
    if (len == 0 || len > 253) return IOC_NONE;
    char buf[256];
    bool letter = false;
    for (size_t i = 0; i < len; i++) {
        char c = name[i];
        if (c >= 'A' && c <= 'Z') c = (char)(c - 'A' + 'a');
        if (c >= 'a' && c <= 'z') letter = true;
        buf[i] = c;
    }
    /* an address written as a host name ("10.0.0.1", "[::1]") names nothing new */
    bool colon = memchr(buf, ':', len) != NULL;
    if (!letter || colon) return IOC_NONE;
    if (t->allow && ioc_match_domain(t->allow, buf, len) != IOC_NONE) {
        t->c.allowlisted++;
        return IOC_NONE;
    }
    uint32_t r = pair_get(t, true, client, NULL, buf, len);
    if (r == IOC_NONE) t->c.pairs_dropped++;
    return r;
}

void beacon_table_time(struct beacon_table *t, struct vg_ts ts)
{
    if (!t) return;
    if (!t->have_span) {
        t->dmin = t->dmax = ts.sec;
        t->have_span = true;
        return;
    }
    if (ts.sec < t->dmin) t->dmin = ts.sec;
    if (ts.sec > t->dmax) t->dmax = ts.sec;
}

static void append(struct beacon_table *t, struct beacon_pair *p, const struct beacon_rec *r)
{
    p->total++;
    if (p->n >= t->cfg.max_per_pair) {
        p->capped = true;
        t->c.capped_per_pair++;
        return;
    }
    if (t->records >= t->cfg.max_records) {
        p->capped = true;
        t->c.capped_total++;
        return;
    }
    if (p->n == p->cap) {
        uint32_t nc = p->cap ? p->cap * 2 : 8;
        if (nc > t->cfg.max_per_pair) nc = t->cfg.max_per_pair;
        struct beacon_rec *nr = vg_realloc(p->rec, nc * sizeof *nr);
        if (!nr) {
            p->capped = true;
            t->c.capped_total++;
            return;
        }
        p->rec = nr;
        p->cap = nc;
    }
    p->rec[p->n++] = *r;
    t->records++;
}

static void note_latest(struct beacon_pair *p, const struct flow *f, int64_t us)
{
    if (p->total == 0 || us >= p->last_us) {
        p->last_us = us;
        p->flow_id = f->flow_id;
        p->proto = f->proto;
        p->dport = f->dport;
        p->server = f->dst;
    }
}

void beacon_table_add(struct beacon_table *t, const struct flow *f, uint32_t name_ref)
{
    if (!t || !f) return;
    beacon_table_time(t, f->start);
    beacon_table_time(t, f->last);
    if (f->proto != 6 && f->proto != 17) return;
    bool ok;
    if (f->proto == 6) {
        /* a completed handshake: SYN from the client, SYN+ACK from the server */
        ok = (f->tcp_flags[FLOW_TOSERVER] & VG_TCP_SYN) &&
             (f->tcp_flags[FLOW_TOCLIENT] & (VG_TCP_SYN | VG_TCP_ACK)) == (VG_TCP_SYN | VG_TCP_ACK);
    } else {
        ok = f->pkts[FLOW_TOCLIENT] > 0; /* UDP: a reply */
    }
    if (!ok) {
        t->c.failed++;
        return;
    }
    if (t->allow && (ioc_match_addr(t->allow, &f->src) != IOC_NONE ||
                     ioc_match_addr(t->allow, &f->dst) != IOC_NONE)) {
        t->c.allowlisted++;
        return;
    }
    t->c.connections++;
    int64_t us = f->start.sec * 1000000 + f->start.nsec / 1000;
    uint64_t by = f->bytes[FLOW_TOSERVER];
    struct beacon_rec r = {us, by > UINT32_MAX ? UINT32_MAX : (uint32_t)by,
                           name_ref < t->n_pairs ? name_ref : IOC_NONE};
    uint32_t ip = pair_get(t, false, &f->src, &f->dst, NULL, 0);
    if (ip == IOC_NONE) {
        t->c.pairs_dropped++;
    } else {
        struct beacon_pair *p = &t->pairs[ip];
        note_latest(p, f, us);
        append(t, p, &r);
    }
    if (r.name_ref != IOC_NONE) {
        struct beacon_pair *p = &t->pairs[r.name_ref];
        note_latest(p, f, us);
        append(t, p, &r);
    }
}

struct found {
    uint32_t pair;
    struct beacon_scores s;
};

static int cmp_found(const void *a, const void *b)
{
    const struct found *x = a, *y = b;
    if (x->s.score != y->s.score) return x->s.score > y->s.score ? -1 : 1;
    return x->pair < y->pair ? -1 : x->pair > y->pair;
}

static bool qualifies(const struct beacon_table *t, const struct beacon_pair *p, uint64_t total)
{
    (void)p;
    return total < t->cfg.max_connections;
}

unsigned beacon_table_score(struct beacon_table *t, beacon_finding_fn fn, void *ud)
{
    if (!t || t->scored) return 0;
    t->scored = true;
    if (!t->have_span || t->dmax <= t->dmin) return 0;
    struct found *found = NULL;
    size_t nfound = 0, capfound = 0;
    int64_t *ts = NULL;
    uint32_t *by = NULL;
    size_t scratch = 0;
    /* pass 0: name pairs; pass 1: address pairs minus the connections of qualified name pairs */
    for (int pass = 0; pass < 2; pass++) {
        for (size_t i = 0; i < t->n_pairs; i++) {
            struct beacon_pair *p = &t->pairs[i];
            if (p->by_name != (pass == 0)) continue;
            if (p->n > scratch) {
                size_t ns = p->n;
                int64_t *nts = vg_realloc(ts, ns * sizeof *ts);
                if (nts) ts = nts;
                uint32_t *nb = vg_realloc(by, ns * sizeof *by);
                if (nb) by = nb;
                if (!nts || !nb) continue;
                scratch = ns;
            }
            size_t n = 0;
            uint64_t dropped = 0;
            for (uint32_t k = 0; k < p->n; k++) {
                const struct beacon_rec *r = &p->rec[k];
                if (pass == 1 && r->name_ref != IOC_NONE && t->pairs[r->name_ref].qualified) {
                    dropped++;
                    continue;
                }
                ts[n] = r->ts_us;
                by[n] = r->bytes;
                n++;
            }
            if (n == 0) continue;
            if (!qualifies(t, p, p->total - dropped)) {
                t->c.too_many++;
                continue;
            }
            struct beacon_scores s;
            int rc = beacon_score_series(&t->cfg, t->dmin, t->dmax, ts, by, n, &s);
            if (rc != VG_OK) {
                t->c.too_few++;
                continue;
            }
            t->c.scored++;
            if (pass == 0) p->qualified = true;
            if (s.score + 1e-9 < t->cfg.threshold) continue;
            if (nfound == capfound) {
                size_t nc = capfound ? capfound * 2 : 16;
                struct found *nf = vg_realloc(found, nc * sizeof *nf);
                if (!nf) continue;
                found = nf;
                capfound = nc;
            }
            found[nfound].pair = (uint32_t)i;
            found[nfound].s = s;
            nfound++;
        }
    }
    vg_free(ts);
    vg_free(by);
    if (nfound) qsort(found, nfound, sizeof *found, cmp_found);
    for (size_t k = 0; k < nfound; k++) {
        const struct beacon_pair *p = &t->pairs[found[k].pair];
        struct beacon_finding b;
        memset(&b, 0, sizeof b);
        b.by_name = p->by_name;
        b.client = p->client;
        b.server = p->server;
        b.server_name = p->by_name ? t->names + p->name_off : NULL;
        b.proto = p->proto;
        b.dport = p->dport;
        b.flow_id = p->flow_id;
        b.capped = p->capped;
        b.s = found[k].s;
        /* first and latest starts */
        int64_t lo = INT64_MAX, hi = INT64_MIN;
        for (uint32_t r = 0; r < p->n; r++) {
            if (p->rec[r].ts_us < lo) lo = p->rec[r].ts_us;
            if (p->rec[r].ts_us > hi) hi = p->rec[r].ts_us;
        }
        b.first_seen.sec = floor_div(lo, 1000000);
        b.first_seen.nsec = (uint32_t)((lo - b.first_seen.sec * 1000000) * 1000);
        b.last_seen.sec = floor_div(hi, 1000000);
        b.last_seen.nsec = (uint32_t)((hi - b.last_seen.sec * 1000000) * 1000);
        t->c.findings++;
        if (fn) fn(ud, &b);
    }
    vg_free(found);
    return (unsigned)nfound;
}
