/* tls_int.h - what the files of src/app/tls share and nobody else uses. */
#ifndef VG_TLS_INT_H
#define VG_TLS_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "app/tls/tls.h"

/* tls__cert_decode decodes one DER certificate with OpenSSL (d2i_X509) into *out (overwritten):
 * subject, issuer, serial, SHA-1 fingerprint, validity and subjectAltName dNSNames in Suricata's
 * text forms (tls.h). Returns true on success; false when OpenSSL rejects the DER (out is then
 * zeroed apart from der_len). Leaves no error on OpenSSL's error queue. */
bool tls__cert_decode(const uint8_t *der, size_t len, struct tls_cert *out);

/* Lowercase hex of the MD5 / first 12 hex digits of the SHA-256 of buf (EVP_Digest). On an
 * OpenSSL failure the output is "" and false is returned. */
bool tls__md5_hex(const void *buf, size_t len, char hex[TLS_HASH_HEX]);
bool tls__sha256_12(const void *buf, size_t len, char hex[13]);

#endif
