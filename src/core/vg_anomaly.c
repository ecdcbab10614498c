/* vg_anomaly.c - names of the anomaly ids, generated from the X-macro table. */
#include "core/vg_anomaly.h"

struct anomaly_desc {
    const char *type;
    const char *name;
    int known;
};

static const struct anomaly_desc g_anomalies[VG_ANOMALY_COUNT] = {
#define VG_ANOMALY_DESC(id, type, name, known) [id] = {type, name, known},
    VG_ANOMALY_MAP(VG_ANOMALY_DESC)
#undef VG_ANOMALY_DESC
};

const char *vg_anomaly_type(int id)
{
    return id >= 0 && id < VG_ANOMALY_COUNT ? g_anomalies[id].type : 0;
}
const char *vg_anomaly_name(int id)
{
    return id >= 0 && id < VG_ANOMALY_COUNT ? g_anomalies[id].name : 0;
}
int vg_anomaly_suricata_known(int id)
{
    return id >= 0 && id < VG_ANOMALY_COUNT ? g_anomalies[id].known : 0;
}
