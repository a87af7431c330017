/* sd-tls-ocsp-staple.h: the OCSP answer a server staples to its handshake.
 *
 * glib-networking neither asks for nor hands over a stapled OCSP answer
 * (status_request), so it is asked in a handshake of its own with GnuTLS,
 * as a Windows client's: one more connection to the same server, which
 * sends nothing after the handshake. Bounded by one deadline from the
 * first byte (the connection, then GnuTLS's own handshake timeout, which
 * counts from the handshake's start, not per read).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* The most bytes of a stapled answer kept. */
#define SD_OCSP_STAPLE_MAX_BYTES (64 * 1024)

void    sd_ocsp_staple_fetch_async  (GInetAddress        *address,
                                     guint16              port,
                                     const char          *server_name,
                                     guint                timeout_ms,
                                     GCancellable        *cancellable,
                                     GAsyncReadyCallback  callback,
                                     gpointer             user_data);
/* The DER answer stapled, or NULL without error when the server staples
 * none (or could not be asked: @error then says why, unless cancelled by
 * the person, which is G_IO_ERROR_CANCELLED). */
GBytes *sd_ocsp_staple_fetch_finish (GAsyncResult  *result,
                                     GError       **error);

G_END_DECLS
