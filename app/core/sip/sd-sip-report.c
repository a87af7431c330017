/* sd-sip-report.c: the findings the `sip` and `auth` steps share: a final
 * failure response, and a transaction that got none.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#define G_LOG_DOMAIN "sd-sip-report"

#include <glib/gi18n-lib.h>
#include "sd-sip-report.h"
#include "sd-sip-session.h"

gboolean
sd_sip_report_status (SdRun              *run,
                      SdStepId            step,
                      const SdSipMessage *response,
                      const char         *aor)
{
  SdContext *ctx = sd_run_get_context (run);
  const char *domain = ctx->uri != NULL ? ctx->uri->host : "";
  guint status = response->status;

  if (status == 403)
    {
      g_autofree char *message = g_strdup_printf (
        _("The server refused the sign-in of %s: %u %s."), aor, status, response->reason);
      g_autofree char *advice = g_strdup_printf (
        _("Ask your administrator to check three things: (1) your user is enabled for SIP sign-in "
          "and homed on a server; (2) your SIP address is exactly %s; (3) the domain %s is listed "
          "as a SIP domain the server serves."), aor, domain);
      sd_run_report (run, step, SD_FINDING_SIP_FORBIDDEN, SD_SEVERITY_ERROR, message, advice);
      return TRUE;
    }
  if (status == 404 || status == 604)
    {
      g_autofree char *message = g_strdup_printf (
        _("The server does not know the user %s: %u %s."), aor, status, response->reason);
      g_autofree char *advice = g_strdup_printf (
        _("Check the SIP address for typing errors. If it is right, ask your administrator to give "
          "your user the SIP address %s and to list the domain %s on the server."), aor, domain);
      sd_run_report (run, step, SD_FINDING_SIP_NOT_FOUND, SD_SEVERITY_ERROR, message, advice);
      return TRUE;
    }
  if (status >= 500 && status < 600)
    {
      const char *retry = sd_sip_message_get_header (response, "Retry-After");
      g_autofree char *message = retry != NULL
        ? g_strdup_printf (_("The server failed to handle the sign-in: %u %s (it asks to retry after %s seconds)."),
                           status, response->reason, retry)
        : g_strdup_printf (_("The server failed to handle the sign-in: %u %s."), status, response->reason);
      sd_run_report (run, step, SD_FINDING_SIP_SERVER_ERROR, SD_SEVERITY_ERROR, message,
                     _("The problem is on the server side: try again later, and tell your "
                       "administrator the status code and the time."));
      return TRUE;
    }
  if (status >= 300)
    {
      g_autofree char *message = g_strdup_printf (
        _("The server answered the sign-in with %u %s."), status, response->reason);
      sd_run_report (run, step, SD_FINDING_SIP_UNEXPECTED_RESPONSE, SD_SEVERITY_ERROR, message,
                     _("Tell your administrator this answer; the protocol trace shows the whole "
                       "exchange."));
      return TRUE;
    }
  return FALSE;
}

void
sd_sip_report_error (SdRun        *run,
                     SdStepId      step,
                     const char   *method,
                     SdSipSession *session,
                     const GError *error)
{
  g_autofree char *transport = g_ascii_strup (session->target != NULL ? sd_transport_to_string (session->target->transport) : "", -1);
  g_autofree char *where = session->target != NULL
    ? g_strdup_printf ("%s:%u (%s)", session->target->host, session->target->port, transport)
    : g_strdup ("");
  const SdConfig *config = sd_run_get_config (run);
  SdSipOpenFailure failure = session->connection != NULL
    ? sd_sip_connection_get_open_failure (session->connection) : SD_SIP_OPEN_FAILURE_NONE;

  /* A TLS connection this step opened itself (at a redirect target, or
   * again after the TLS check) failed in its handshake: the same finding
   * the TLS check gives for the first server. */
  if (failure == SD_SIP_OPEN_FAILURE_HANDSHAKE_TIMEOUT)
    {
      g_autofree char *message = g_strdup_printf (
        _("%s accepted the connection but did not complete the TLS handshake within %u seconds "
          "(reason: timeout), so %s could not be sent."), where, config->timeout_s, method);
      sd_run_report (run, step, SD_FINDING_TLS_HANDSHAKE_FAILED, SD_SEVERITY_ERROR, message,
                     _("The server is overloaded, or this port is not a TLS port, or something on "
                       "the way holds the connection open without answering. Check the port (5061 "
                       "for TLS) and the server's TLS settings and logs."));
      return;
    }
  if (failure == SD_SIP_OPEN_FAILURE_HANDSHAKE)
    {
      g_autofree char *message = g_strdup_printf (
        _("The TLS handshake with %s failed, so %s could not be sent: %s"), where, method, error->message);
      sd_run_report (run, step, SD_FINDING_TLS_HANDSHAKE_FAILED, SD_SEVERITY_ERROR, message,
                     _("Check that this is the server's TLS port (normally 5061) and read the server's "
                       "TLS log."));
      return;
    }
  if (g_error_matches (error, SD_SIP_ERROR, SD_SIP_ERROR_MALFORMED))
    {
      g_autofree char *message = g_strdup_printf (
        _("The answer of %s to %s is not a valid SIP message: %s"), where, method, error->message);
      sd_run_report (run, step, SD_FINDING_SIP_MALFORMED_RESPONSE, SD_SEVERITY_ERROR, message,
                     _("Something other than a working SIP server answers on this port, or the "
                       "server is broken. Check the server address, port and transport; the "
                       "protocol trace shows what came back."));
      return;
    }
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT))
    {
      g_autofree char *message = g_strdup_printf (
        _("%s did not answer %s within %u seconds."), where, method, config->timeout_s);
      sd_run_report (run, step, SD_FINDING_SIP_NO_RESPONSE, SD_SEVERITY_ERROR, message,
                     _("Check that the server runs a SIP service on this port and transport and "
                       "that no firewall drops SIP on the way. Over UDP, try TCP or TLS: UDP "
                       "answers are often lost in firewalls and NAT."));
      return;
    }
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CONNECTION_REFUSED))
    {
      /* A closed port is a connection fault, not a silent server: over
       * UDP it first shows here, as the ICMP "port unreachable" that
       * answers the request. */
      g_autofree char *srv = session->target != NULL ? sd_candidate_srv_port_advice (session->target) : NULL;
      g_autofree char *record = session->target != NULL ? sd_candidate_srv_record (session->target) : NULL;
      g_autofree char *message = NULL;

      if (session->target != NULL && session->target->transport == SD_TRANSPORT_UDP)
        message = record != NULL
          ? g_strdup_printf (_("Nothing takes SIP at %s, the server and port the SRV record %s names: "
                               "the port is closed (this computer got \"port unreachable\" in answer "
                               "to the %s)."), where, record, method)
          : g_strdup_printf (_("Nothing takes SIP at %s: the port is closed (this computer got \"port "
                               "unreachable\" in answer to the %s)."), where, method);
      else
        message = record != NULL
          ? g_strdup_printf (_("Nothing takes SIP at %s, the server and port the SRV record %s names: "
                               "the port is closed (the %s was refused)."), where, record, method)
          : g_strdup_printf (_("Nothing takes SIP at %s: the port is closed (the %s was refused)."),
                             where, method);
      sd_run_report (run, step, SD_FINDING_CONNECT_REFUSED, SD_SEVERITY_ERROR, message,
                     srv != NULL ? srv
                     : _("Check the server address, port and transport: the server may not listen "
                         "on this transport, or on another port (usually 5060 for UDP and TCP, "
                         "5061 for TLS)."));
      return;
    }
  {
    g_autofree char *message = g_strdup_printf (
      _("No SIP answer from %s to %s: %s"), where, method, error->message);
    sd_run_report (run, step, SD_FINDING_SIP_NO_RESPONSE, SD_SEVERITY_ERROR, message,
                   _("Check that the server runs a SIP service on this port and transport, and "
                     "that it stays up; the connection check shows whether the port is open."));
  }
}
