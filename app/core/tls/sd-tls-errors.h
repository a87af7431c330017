/* sd-tls-errors.h: why a TLS handshake failed, from glib-networking's error.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* Each value is one word of the tls step's data.failure. */
typedef enum {
  SD_TLS_FAILURE_ERROR,                /* "error": none of the others */
  SD_TLS_FAILURE_TIMEOUT,              /* "timeout": no answer in time (the caller's deadline says so) */
  SD_TLS_FAILURE_CERTIFICATE_REQUIRED, /* "certificate-required": the server wants a client certificate */
  SD_TLS_FAILURE_RESET,                /* "reset": the server reset the connection */
  SD_TLS_FAILURE_CLOSED,               /* "closed": the server hung up */
  SD_TLS_FAILURE_ALERT,                /* "alert": the server sent a TLS alert */
  SD_TLS_FAILURE_NOT_TLS,              /* "not-tls": the port speaks something else */
  SD_TLS_FAILURE_CONNECT,              /* "connect": connecting again for the handshake failed */
} SdTlsFailure;

/* Which failure a handshake's @error is. Never SD_TLS_FAILURE_TIMEOUT or
 * SD_TLS_FAILURE_CONNECT: only the caller knows those. */
SdTlsFailure  sd_tls_classify_handshake_error (const GError *error);
/* The report's word for @failure. */
const char   *sd_tls_failure_to_string (SdTlsFailure failure);

G_END_DECLS
