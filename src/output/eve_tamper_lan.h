/* eve_tamper_lan.h - the EVE alert of a LAN spoofing finding (arp_spoof, nd_spoof).
 *
 * These findings have no flow: the event carries src_ip (the contested address), dest_ip (the
 * poisoned host when the claim was addressed to one), Suricata's `ether` and (ARP) `arp` objects of
 * the challenger's frame, the `alert` object, and vigil's `tamper` object with `tamper.lan`
 * (docs/eve.md, docs/tamper.md). When ev is not NULL the two contestant frames are written to
 * DIR/evidence/lan-<pcap_cnt>-<sid>.pcap first and the event names it under `evidence`. */
#ifndef VG_EVE_TAMPER_LAN_H
#define VG_EVE_TAMPER_LAN_H

#include "output/json_writer.h"
#include "tamper/tamper.h"

struct evidence_ctx;
void eve_tamper_lan_alert(struct jw *w, const struct tamper_lan_finding *fd,
                          struct evidence_ctx *ev);

#endif
