/* sd-tls-ocsp-staple.c: a handshake of its own, to read the stapled OCSP
 * answer (see sd-tls-ocsp-staple.h).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#define G_LOG_DOMAIN "sd-revocation"

#include <fcntl.h>
#include <string.h>
#include <gnutls/gnutls.h>
#include <gnutls/ocsp.h>
#include <glib/gi18n-lib.h>
#include "sd-tls-ocsp-staple.h"
#include "sd-deadline.h"

typedef struct {
  GInetAddress *address;
  guint16       port;
  char         *server_name;
  SdDeadline   *deadline;
} Probe;

static void
probe_free (Probe *p)
{
  g_clear_object (&p->address);
  g_free (p->server_name);
  if (p->deadline != NULL)
    sd_deadline_stop (p->deadline);
  g_clear_object (&p->deadline);
  g_free (p);
}

static void
probe_thread (GTask        *task,
              gpointer      source,
              gpointer      task_data,
              GCancellable *cancellable)
{
  Probe *p = task_data;
  g_autoptr(GSocketClient) client = g_socket_client_new ();
  g_autoptr(GSocketAddress) sa = g_inet_socket_address_new (p->address, p->port);
  g_autoptr(GSocketConnection) conn = NULL;
  g_autoptr(GError) error = NULL;
  gnutls_certificate_credentials_t creds = NULL;
  gnutls_session_t session = NULL;
  gnutls_datum_t resp = { NULL, 0 };
  GBytes *out = NULL;
  guint left;
  int ret;

  g_socket_client_set_enable_proxy (client, FALSE);
  conn = g_socket_client_connect (client, G_SOCKET_CONNECTABLE (sa), G_CANCELLABLE (p->deadline), &error);
  if (conn == NULL)
    {
      sd_deadline_translate_error (p->deadline, &error, _("No connection within the timeout."));
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  left = sd_deadline_remaining_ms (p->deadline);
  if (left == 0 || gnutls_certificate_allocate_credentials (&creds) < 0
      || gnutls_init (&session, GNUTLS_CLIENT) < 0)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_TIMED_OUT, "%s", _("No time left to ask."));
      goto out;
    }
  /* Nothing is judged here: the certificate was judged on the step's own
   * connection; this one only reads the staple and sends nothing after. */
  gnutls_set_default_priority (session);
  gnutls_credentials_set (session, GNUTLS_CRD_CERTIFICATE, creds);
  if (p->server_name != NULL && g_hostname_is_ip_address (p->server_name) == FALSE)
    gnutls_server_name_set (session, GNUTLS_NAME_DNS, p->server_name, strlen (p->server_name));
  gnutls_ocsp_status_request_enable_client (session, NULL, 0, NULL);
  {
    int fd = g_socket_get_fd (g_socket_connection_get_socket (conn));

    /* GSocket keeps its descriptor non-blocking; GnuTLS here waits itself. */
    fcntl (fd, F_SETFL, fcntl (fd, F_GETFL) & ~O_NONBLOCK);
    gnutls_transport_set_int (session, fd);
  }
  /* GnuTLS counts this from the handshake's start (not per read), so a
   * server that trickles bytes is bounded too. */
  gnutls_handshake_set_timeout (session, left);
  do
    ret = gnutls_handshake (session);
  while (ret < 0 && gnutls_error_is_fatal (ret) == 0 && !g_cancellable_is_cancelled (G_CANCELLABLE (p->deadline)));
  if (ret < 0)
    {
      if (g_cancellable_is_cancelled (G_CANCELLABLE (p->deadline)) && !sd_deadline_expired (p->deadline))
        g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_CANCELLED, "%s", _("Cancelled"));
      else
        g_task_return_new_error (task, G_IO_ERROR, ret == GNUTLS_E_TIMEDOUT ? G_IO_ERROR_TIMED_OUT : G_IO_ERROR_FAILED,
                                 _("The handshake to read a stapled OCSP answer failed: %s"), gnutls_strerror (ret));
      goto out;
    }
  if (gnutls_ocsp_status_request_get (session, &resp) >= 0 && resp.size > 0 && resp.size <= SD_OCSP_STAPLE_MAX_BYTES)
    out = g_bytes_new (resp.data, resp.size);
  g_task_return_pointer (task, out, (GDestroyNotify) g_bytes_unref);

out:
  if (session != NULL)
    gnutls_deinit (session);
  if (creds != NULL)
    gnutls_certificate_free_credentials (creds);
  g_io_stream_close (G_IO_STREAM (conn), NULL, NULL);
}

void
sd_ocsp_staple_fetch_async (GInetAddress        *address,
                            guint16              port,
                            const char          *server_name,
                            guint                timeout_ms,
                            GCancellable        *cancellable,
                            GAsyncReadyCallback  callback,
                            gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (NULL, cancellable, callback, user_data);
  Probe *p = g_new0 (Probe, 1);

  g_task_set_source_tag (task, sd_ocsp_staple_fetch_async);
  p->address = g_object_ref (address);
  p->port = port;
  p->server_name = g_strdup (server_name);
  p->deadline = sd_deadline_new (timeout_ms, cancellable);
  g_task_set_task_data (task, p, (GDestroyNotify) probe_free);
  /* The person's cancel ends the wait at once; the thread ends with its
   * deadline. */
  g_task_set_return_on_cancel (task, TRUE);
  g_task_run_in_thread (task, probe_thread);
}

GBytes *
sd_ocsp_staple_fetch_finish (GAsyncResult  *result,
                             GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == sd_ocsp_staple_fetch_async, NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}
