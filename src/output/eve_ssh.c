/* eve_ssh.c - the EVE `ssh` event. Field names follow Suricata's rust/src/ssh/logger.rs and
 * etc/schema.json (properties.ssh). */
#include "output/eve_ssh.h"

#include <string.h>

#include "core/vg_addr.h"
#include "core/vg_time.h"

_Static_assert((int)SSH_DIR_TOSERVER == (int)FLOW_TOSERVER &&
                   (int)SSH_DIR_TOCLIENT == (int)FLOW_TOCLIENT,
               "ssh and flow direction values must agree");

static void side_object(struct jw *w, const char *key, const struct ssh_side *sd)
{
    if (!(sd->flags & SSH_SIDE_BANNER)) return;
    jw_obj_open(w, key);
    jw_str(w, "proto_version", sd->proto_version);
    jw_str(w, "software_version", sd->software_version);
    if ((sd->flags & SSH_SIDE_KEXINIT) && sd->hassh[0]) {
        jw_obj_open(w, "hassh");
        jw_str(w, "hash", sd->hassh);
        jw_strn(w, "string", sd->hassh_str, strlen(sd->hassh_str));
        jw_obj_close(w);
    }
    jw_obj_close(w);
}

void eve_ssh_fields(struct jw *w, const struct ssh_session *s)
{
    jw_obj_open(w, "ssh");
    side_object(w, "client", &s->client);
    side_object(w, "server", &s->server);
    jw_obj_close(w);
}

void eve_ssh(struct jw *w, const struct flow *f, const struct ssh_session *s)
{
    char a[VG_ADDR_STRLEN], b[VG_TS_BUFLEN];
    jw_obj_open(w, NULL);
    struct vg_ts ts = (s->ts_last.sec || s->ts_last.nsec) ? s->ts_last : f->last;
    size_t n = vg_ts_format(ts, b);
    jw_strn(w, "timestamp", b, n);
    jw_uint(w, "flow_id", f->flow_id);
    jw_str(w, "event_type", "ssh");
    if (f->vlan_cnt) {
        jw_arr_open(w, "vlan");
        for (unsigned i = 0; i < f->vlan_cnt && i < 2; i++)
            jw_uint(w, NULL, f->vlan[i]);
        jw_arr_close(w);
    }
    jw_str(w, "src_ip", vg_addr_str(&f->src, a));
    jw_uint(w, "src_port", f->sport);
    jw_str(w, "dest_ip", vg_addr_str(&f->dst, a));
    jw_uint(w, "dest_port", f->dport);
    jw_str(w, "proto", "TCP");
    eve_ssh_fields(w, s);
    jw_obj_close(w);
}
