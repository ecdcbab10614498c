/* config_apply.c - applies a loaded configuration (config.c) to the pipeline's configuration
 * structs, the rule loader and the EVE sink. The CLI (analyze today, run tomorrow) calls these
 * first and then lets its flags overwrite what they name: flags win over the file. */
#include <stdio.h>
#include <string.h>

#include "config/config.h"
#include "core/vg_status.h"
#include "detect/detect.h"
#include "engine/engine.h"

/* err->msg = msg, cut to fit. */
static void copy_msg(struct rule_error *err, const char *msg)
{
    size_t n = strlen(msg);
    if (n >= sizeof err->msg) n = sizeof err->msg - 1;
    memcpy(err->msg, msg, n);
    err->msg[n] = '\0';
}

void vg_config_apply_engine(const struct vg_config *c, struct engine_config *ec)
{
    ec->decode = c->decode;
    ec->flow = c->flow;
    ec->stream = c->stream;
    ec->tamper = c->tamper;
    if (c->tamper_min_confidence >= 0) /* the EVE confidence scale, 0..100 */
        ec->tamper.min_confidence = (uint8_t)(c->tamper_min_confidence + 0.5);
    ec->eve_types = c->eve_types;
}

int vg_config_apply_rules(const struct vg_config *c, struct rule_loader *ld, struct rule_error *err)
{
    for (size_t i = 0; i < c->n_vars; i++) {
        const struct vg_config_var *v = &c->vars[i];
        int rc = rule_loader_set_var(ld, v->name, v->value, err);
        if (rc != VG_OK) {
            char msg[1024];
            snprintf(msg, sizeof msg, "%s:%u:%u: variable %s: %s", c->path ? c->path : "config",
                     v->line, v->col, v->name, err->msg);
            copy_msg(err, msg);
            return rc;
        }
    }
    if (c->classification_file.s) {
        int rc = rule_loader_load_classification(ld, c->classification_file.s, err);
        if (rc != VG_OK) {
            char msg[1024];
            snprintf(msg, sizeof msg, "%s:%u:%u: classification-file %s: %s",
                     c->path ? c->path : "config", c->classification_file.line,
                     c->classification_file.col, c->classification_file.s, err->msg);
            copy_msg(err, msg);
            return rc;
        }
    }
    return VG_OK;
}

void vg_config_apply_eve(const struct vg_config *c, struct eve_sink_config *sc)
{
    sc->split_types = c->eve.split_types;
    sc->rotate_size = c->eve.rotate_size;
    sc->rotate_interval_s = c->eve.rotate_interval_s;
    sc->redis_maxlen = c->eve.redis_maxlen;
    sc->redis_spool = c->eve.redis_spool;
    sc->redis_drain_ms = c->eve.redis_drain_ms;
    if (c->redis_enabled) {
        sc->redis_mode = c->eve.redis_mode ? c->eve.redis_mode : EVE_REDIS_STREAM;
        sc->redis_host = c->redis_server ? c->redis_server : "127.0.0.1";
        sc->redis_port = c->eve.redis_port ? c->eve.redis_port : 6379;
        sc->redis_key = c->redis_key ? c->redis_key : "vigil:eve";
    }
}

int vg_config_apply_intel(const struct vg_config *c, struct intel_ctx *ctx, ioc_error_fn on_err,
                          void *ud, struct ioc_load_stats *st, const struct vg_config_str **failed)
{
    struct ioc_load_stats local;
    if (!st) {
        memset(&local, 0, sizeof local);
        st = &local;
    }
    if (failed) *failed = NULL;
    ctx->beacon = c->beacon;
    ctx->beacon_enabled = c->beacons_enabled;
    for (int allow = 0; allow < 2; allow++) {
        const struct vg_config_list *l = allow ? &c->allowlist_files : &c->ioc_files;
        for (size_t i = 0; i < l->n; i++) {
            int rc = allow ? intel_ctx_load_allowlist(ctx, l->v[i].s, on_err, ud, st)
                           : intel_ctx_load_ioc(ctx, l->v[i].s, on_err, ud, st);
            if (rc == VG_ERR_IO || rc == VG_ERR_NOMEM) {
                if (failed) *failed = &l->v[i];
                return rc;
            }
        }
    }
    return VG_OK;
}
