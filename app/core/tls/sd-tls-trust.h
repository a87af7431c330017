/* sd-tls-trust.h: the authorities a run trusts (the system store and the
 * CA file), parsed once per run in a thread and shared by every
 * certificate check of that run.
 *
 * Parsing the system store (about 140 authorities) takes 7-35 ms of PEM
 * and ASN.1 decoding: more than a frame, so never on the main loop, and
 * never once per server.
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

/* The trust list, held until sd_tls_trust_release(): GnuTLS does not say a
 * trust list may be used by two threads at once, so users take turns.
 * NULL when GnuTLS could not make one (release it all the same). */
gnutls_x509_trust_list_t sd_tls_trust_acquire (SdTlsTrust *self);
void        sd_tls_trust_release (SdTlsTrust *self);

/* How many trust stores this process has parsed: the tests and the
 * benchmarks check that a run parses one. */
guint       sd_tls_trust_get_n_loads (void);

/* A run's load, started when the run starts: several parts of the run
 * (the tls step, the run's end) wait for the same load. Lives on the main
 * context that started it. */
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
