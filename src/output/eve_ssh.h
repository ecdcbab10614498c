/* eve_ssh.h - the EVE `ssh` event (Suricata's field names, etc/schema.json properties.ssh) from
 * the SSH session of app/ssh/ssh.h. */
#ifndef VG_EVE_SSH_H
#define VG_EVE_SSH_H

#include "app/ssh/ssh.h"
#include "flow/flow.h"
#include "output/json_writer.h"

/* eve_ssh writes one complete ssh event: timestamp (latest parsed bytes), flow_id, event_type
 * "ssh", vlan, the flow's tuple oriented client → server, proto "TCP" and the `ssh` object. */
void eve_ssh(struct jw *w, const struct flow *f, const struct ssh_session *s);

/* eve_ssh_fields writes only the "ssh": {"client": {...}, "server": {...}} member (for alerts):
 * per side seen, proto_version, software_version and hassh {hash, string} once its KEXINIT was
 * parsed. The writer must be inside an object. */
void eve_ssh_fields(struct jw *w, const struct ssh_session *s);

#endif
