/* sd-tls-pem.h: the certificates of a PEM bundle, found without parsing
 * them whole.
 *
 * A trust store of 140 authorities takes GnuTLS 6-30 ms to parse (PEM,
 * then a full ASN.1 tree per certificate, thousands of small allocations).
 * A verification needs only the few authorities whose subject is an
 * issuer the chain names: so the store is read once into DER blocks
 * indexed by their raw subject Name (about a millisecond), and only those
 * few are handed to GnuTLS.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The raw DER subject Name of the X.509 certificate @der (tag, length and
 * contents: the bytes GnuTLS compares when it looks for an issuer), found
 * by walking Certificate → tbsCertificate → subject. Points into @der.
 * FALSE when @der does not have a certificate's outer structure (only
 * definite lengths of up to 4 bytes and one-byte tags, as DER certificates
 * use). Nothing else of the certificate is checked: GnuTLS parses the ones
 * that are used. */
gboolean sd_tls_der_subject (const guint8  *der,
                             gsize          len,
                             const guint8 **subject,
                             gsize         *subject_len);

/* Called with each certificate's DER bytes (a new reference each time). */
typedef void (*SdPemCertFunc) (GBytes   *der,
                               gpointer  user_data);

/* Each "-----BEGIN CERTIFICATE-----" (or "X509 CERTIFICATE") block of
 * @text up to its "-----END " line, base64-decoded (characters outside the
 * alphabet, such as line breaks, are skipped, as GnuTLS does), at most
 * @max of them. Blocks of other kinds (CRLs, keys) are passed over, and a
 * block without an end is not given. Returns how many were given to @func. */
guint    sd_tls_pem_foreach_cert (const char    *text,
                                  gsize          len,
                                  guint          max,
                                  SdPemCertFunc  func,
                                  gpointer       user_data);

G_END_DECLS
