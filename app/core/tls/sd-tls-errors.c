/* sd-tls-errors.c: the one place that reads glib-networking's handshake
 * errors.
 *
 * glib-networking folds most handshake failures into G_TLS_ERROR_MISC and
 * says which in the message, built from strerror() and gnutls_strerror():
 * compare with those same (equally translated) strings. Its wording can
 * change with a release; tests/tls/test-tls-errors.c pins it, also against
 * real handshakes on loopback.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#define G_LOG_DOMAIN "sd-tls-errors"

#include <errno.h>
#include <string.h>
#include <gnutls/gnutls.h>
#include "sd-tls-errors.h"

static gboolean
message_has (const GError *error, const char *text)
{
  return text != NULL && *text != '\0' && strstr (error->message, text) != NULL;
}

/* glib-networking's own wording for an alert from the peer, in its
 * translation, up to the alert's name. */
static gboolean
message_has_peer_alert (const GError *error)
{
  const char *fmt = g_dgettext ("glib-networking", "Peer sent fatal TLS alert: %s");
  const char *cut = strstr (fmt, "%s");
  g_autofree char *prefix = g_strndup (fmt, cut != NULL ? (gsize) (cut - fmt) : strlen (fmt));

  return message_has (error, prefix);
}

SdTlsFailure
sd_tls_classify_handshake_error (const GError *error)
{
  g_return_val_if_fail (error != NULL, SD_TLS_FAILURE_ERROR);

  if (g_error_matches (error, G_TLS_ERROR, G_TLS_ERROR_CERTIFICATE_REQUIRED))
    return SD_TLS_FAILURE_CERTIFICATE_REQUIRED;
  if (message_has (error, g_strerror (ECONNRESET)))
    return SD_TLS_FAILURE_RESET;
  if (g_error_matches (error, G_TLS_ERROR, G_TLS_ERROR_EOF)
      || g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED)
      || g_error_matches (error, G_IO_ERROR, G_IO_ERROR_BROKEN_PIPE)
      || message_has (error, gnutls_strerror (GNUTLS_E_PREMATURE_TERMINATION)))
    return SD_TLS_FAILURE_CLOSED;
  if (message_has_peer_alert (error)
      || message_has (error, gnutls_strerror (GNUTLS_E_FATAL_ALERT_RECEIVED))
      || message_has (error, gnutls_strerror (GNUTLS_E_WARNING_ALERT_RECEIVED))
      || g_error_matches (error, G_TLS_ERROR, G_TLS_ERROR_INAPPROPRIATE_FALLBACK))
    return SD_TLS_FAILURE_ALERT;
  if (g_error_matches (error, G_TLS_ERROR, G_TLS_ERROR_NOT_TLS)
      || message_has (error, gnutls_strerror (GNUTLS_E_UNEXPECTED_PACKET))
      || message_has (error, gnutls_strerror (GNUTLS_E_UNEXPECTED_PACKET_LENGTH))
      || message_has (error, gnutls_strerror (GNUTLS_E_UNSUPPORTED_VERSION_PACKET)))
    return SD_TLS_FAILURE_NOT_TLS;
  return SD_TLS_FAILURE_ERROR;
}

const char *
sd_tls_failure_to_string (SdTlsFailure failure)
{
  switch (failure)
    {
    case SD_TLS_FAILURE_TIMEOUT: return "timeout";
    case SD_TLS_FAILURE_CERTIFICATE_REQUIRED: return "certificate-required";
    case SD_TLS_FAILURE_RESET: return "reset";
    case SD_TLS_FAILURE_CLOSED: return "closed";
    case SD_TLS_FAILURE_ALERT: return "alert";
    case SD_TLS_FAILURE_NOT_TLS: return "not-tls";
    case SD_TLS_FAILURE_CONNECT: return "connect";
    case SD_TLS_FAILURE_ERROR:
    default: return "error";
    }
}
