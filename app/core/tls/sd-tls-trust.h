/* sd-tls-trust.h: the authorities a run trusts (the system store and the
 * CA file), read once per run in a thread and shared by every
 * certificate check of that run.
 *
 * GnuTLS parses the system store (about 140 authorities) in 6-30 ms of PEM
 * and ASN.1 decoding, and keeps megabytes of it. So the store's file is
 * only indexed by subject (about a millisecond, sd-tls-pem.h), and each
 * verification parses the few authorities its chain names. Where there is
 * no such file (a build that sets no SD_SYSTEM_TRUST_FILE: GnuTLS may use
 * PKCS #11 there), GnuTLS parses its system trust whole, never on the main
 * loop and never once per server.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>
#include <gnutls/x509.h>

G_BEGIN_DECLS

/* Loaded and then never changed; reference-counted, usable from any thread. */
typedef struct _SdTlsTrust SdTlsTrust;

/* Loads in the calling thread (blocks: not on the main loop). */
SdTlsTrust *sd_tls_trust_load (const char *ca_file);
/* The same in a GTask thread. Not interruptible once started (GnuTLS
 * parses the store in one call); cancelled before it starts, it loads
 * nothing. The task returns only when the thread has finished with GnuTLS. */
void        sd_tls_trust_load_async (const char          *ca_file,
                                     GCancellable        *cancellable,
                                     GAsyncReadyCallback  callback,
                                     gpointer             user_data);
SdTlsTrust *sd_tls_trust_load_finish (GAsyncResult  *result,
                                      GError       **error);

SdTlsTrust *sd_tls_trust_ref (SdTlsTrust *self);
void        sd_tls_trust_unref (SdTlsTrust *self);

const char *sd_tls_trust_get_ca_file (SdTlsTrust *self);
/* GnuTLS's counts (negative on error) and the CRLs found in the CA file. */
void        sd_tls_trust_get_counts (SdTlsTrust *self, int *n_system, int *n_file, guint *n_crl);

/* A trust list for verifying @crts (n of them): every authority of the
 * store and the CA file whose subject is the issuer or the subject of one
 * of them, parsed now (a few certificates, not the store). Give it back
 * with sd_tls_trust_release_list(); one user at a time per list (when the
 * store is not indexed, the list is the one GnuTLS parsed whole, and users
 * take turns). NULL when GnuTLS could not make one (release it all the
 * same). */
gnutls_x509_trust_list_t sd_tls_trust_acquire_for (SdTlsTrust              *self,
                                                   const gnutls_x509_crt_t *crts,
                                                   guint                    n);
void        sd_tls_trust_release_list (SdTlsTrust               *self,
                                       gnutls_x509_trust_list_t  list);
/* Whether the system store was indexed by subject (SD_SYSTEM_TRUST_FILE
 * read), rather than parsed whole by GnuTLS. */
gboolean    sd_tls_trust_is_indexed (SdTlsTrust *self);
/* Every indexed certificate (GBytes of DER), for the tests. */
GPtrArray  *sd_tls_trust_dup_indexed (SdTlsTrust *self);

/* How many trust stores this process has parsed: the tests and the
 * benchmarks check that a run parses one. */
guint       sd_tls_trust_get_n_loads (void);

/* A run's load, started when the run starts: several parts of the run
 * (the tls step, the run's end) wait for the same load. Its thread also
 * loads glib-networking's TLS backend first, so the run's first handshake
 * does not load it on the main loop. Lives on the main context that
 * started it. */
typedef struct _SdTlsTrustLoader SdTlsTrustLoader;

/* Cancelled before its thread starts, it loads nothing (the waiters get
 * NULL); once started, it finishes. */
SdTlsTrustLoader *sd_tls_trust_loader_new (const char *ca_file, GCancellable *cancellable);
SdTlsTrustLoader *sd_tls_trust_loader_ref (SdTlsTrustLoader *self);
void              sd_tls_trust_loader_unref (SdTlsTrustLoader *self);
const char       *sd_tls_trust_loader_get_ca_file (SdTlsTrustLoader *self);
/* The loaded trust (borrowed), or NULL while the thread still parses (or
 * when the load was cancelled). */
gboolean          sd_tls_trust_loader_is_done (SdTlsTrustLoader *self);
SdTlsTrust       *sd_tls_trust_loader_peek (SdTlsTrustLoader *self);
/* Returns once the thread has finished (at once when it has); not
 * cancellable, since callers wait for the thread to end before they do:
 * the wait is one load at most. */
void              sd_tls_trust_loader_wait_async (SdTlsTrustLoader    *self,
                                                  gpointer             source_object,
                                                  GAsyncReadyCallback  callback,
                                                  gpointer             user_data);
/* A new reference, or NULL when the load was cancelled. */
SdTlsTrust       *sd_tls_trust_loader_wait_finish (GAsyncResult *result);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SdTlsTrust, sd_tls_trust_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SdTlsTrustLoader, sd_tls_trust_loader_unref)

G_END_DECLS
