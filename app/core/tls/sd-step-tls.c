/* sd-step-tls.c: the `tls` step: the handshake, the chain, every check.
 *
 * The handshake (GIO over glib-networking) always accepts the certificate,
 * so the chain is captured even when it would fail: connecting by IP
 * address over TLS "will almost always give a certificate error", which
 * proves a TLS server answers and shows who it is. The decision to trust
 * is made afterwards, from GnuTLS's own checks (sd-tls-verify.c) and, as
 * a second opinion, glib-networking's verdict on the same chain (asked in
 * a thread); ctx->tls_outcome and ctx->tls_trusted tell the SIP step what
 * came of it and whether credentials may be sent: only when both say
 * trusted (or the person allowed it).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#define G_LOG_DOMAIN "sd-step-tls"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <glib/gi18n-lib.h>
#include "sd-steps.h"
#include "sd-tls-errors.h"
#include "sd-tls-verify.h"
#include "sd-deadline.h"
#include "sd-tls-revocation.h"
#include "sd-tls-ocsp-staple.h"
#include "sd-http.h"

typedef struct {
  SdRun         *run;
  SdCandidate   *candidate;
  GIOStream     *tls;
  SdDeadline    *deadline;        /* of the operation running, chained to the run */
  GCancellable  *run_cancellable;
  GTlsCertificateFlags backend_flags;
  gint64         start_us;
  SdTlsVerifyResult *verdict;     /* this program's own checks, for the second opinion */
  gboolean       own_trusted;
  GTlsCertificate *peer;
  GPtrArray     *chain;           /* SdCertInfo*: as sent, then the one fetched through AIA */
  gint           aia_index;       /* in @chain, of the certificate fetched through AIA, or -1 */
  SdTlsTrust    *trust;           /* the run's, once loaded; NULL: the checks read their own */
  /* The checks, the second opinion and the stapled OCSP answer are asked
   * at once; the step goes on when all have answered. */
  guint          pending;
  GError        *failure;         /* the run was cancelled meanwhile */
  gboolean       have_backend;
  GTlsCertificateFlags backend_verdict;
  char          *backend_error;
  char          *backend_note;
  gboolean       staple_asked;
  GBytes        *stapled;
} TlsState;

static void
disarm_timeout (TlsState *st)
{
  if (st->deadline != NULL)
    sd_deadline_stop (st->deadline);
}

static void
tls_state_free (TlsState *st)
{
  g_clear_object (&st->deadline);
  g_clear_object (&st->run_cancellable);
  g_clear_object (&st->tls);
  g_clear_pointer (&st->verdict, sd_tls_verify_result_free);
  g_clear_object (&st->peer);
  g_clear_pointer (&st->chain, g_ptr_array_unref);
  g_clear_pointer (&st->trust, sd_tls_trust_unref);
  g_clear_error (&st->failure);
  g_free (st->backend_error);
  g_free (st->backend_note);
  g_clear_pointer (&st->stapled, g_bytes_unref);
  sd_candidate_unref (st->candidate);
  g_free (st);
}

/* A new deadline for the operation starting now (the reconnection, then
 * the handshake: each gets the timeout from its start). */
static GCancellable *
arm_timeout (TlsState *st)
{
  const SdConfig *config = sd_run_get_config (st->run);

  g_clear_object (&st->deadline);
  st->deadline = sd_deadline_new (MAX (config->timeout_s, 1) * 1000, st->run_cancellable);
  return G_CANCELLABLE (st->deadline);
}

static gboolean
timed_out (TlsState *st)
{
  return st->deadline != NULL && sd_deadline_expired (st->deadline);
}

/* When ours was cancelled by the run (not by the timeout), the step ends
 * with G_IO_ERROR_CANCELLED and touches nothing. */
static gboolean
return_if_run_cancelled (GTask *task, TlsState *st, const GError *error)
{
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) && !timed_out (st))
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_CANCELLED, "%s", error->message);
      return TRUE;
    }
  return FALSE;
}

static gboolean
accept_certificate_cb (GTlsConnection       *conn,
                       GTlsCertificate      *peer_cert,
                       GTlsCertificateFlags  errors,
                       gpointer              user_data)
{
  TlsState *st = user_data;

  /* Accept everything here: the checks that matter come after, on the
   * captured chain, and decide whether credentials may be sent. */
  st->backend_flags = errors;
  return TRUE;
}

static void
report_handshake_failure (TlsState *st, const GError *error)
{
  const SdConfig *config = sd_run_get_config (st->run);
  JsonObject *data = sd_run_get_step_data (st->run, SD_STEP_TLS);
  g_autofree char *desc = sd_candidate_describe (st->candidate);
  g_autofree char *message = NULL;
  SdTlsFailure failure = timed_out (st) ? SD_TLS_FAILURE_TIMEOUT : sd_tls_classify_handshake_error (error);
  const char *advice;

  switch (failure)
    {
    case SD_TLS_FAILURE_TIMEOUT:
      message = g_strdup_printf (_("%s accepted the connection but did not answer the TLS handshake within "
                                   "%u seconds."), desc, config->timeout_s);
      advice = _("This port is probably not a TLS port (a plain TCP SIP port waits for the client to speak "
                 "first), or the server is overloaded. SIP over TLS normally uses port 5061; check the port "
                 "and that TLS is enabled on the server for it.");
      break;
    case SD_TLS_FAILURE_CERTIFICATE_REQUIRED:
      message = g_strdup_printf (_("%s requires a client certificate: %s"), desc, error->message);
      advice = _("This server signs clients in with a certificate (mutual TLS); ask the administrator how to "
                 "obtain and install yours.");
      break;
    case SD_TLS_FAILURE_RESET:
      message = g_strdup_printf (_("%s reset the connection during the TLS handshake: %s"), desc, error->message);
      advice = _("The server tore the connection down instead of answering: it is probably not a TLS port, "
                 "or it refuses every TLS version and cipher this computer offers (an old server may need "
                 "TLS 1.2 enabled), or a firewall resets TLS. Check the port (5061 for TLS) and the server's "
                 "TLS settings and logs.");
      break;
    case SD_TLS_FAILURE_CLOSED:
      message = g_strdup_printf (_("%s closed the connection during the TLS handshake: %s"), desc, error->message);
      advice = _("The server hung up instead of answering: it is probably not a TLS port, or it refuses every "
                 "TLS version and cipher this computer offers (an old server may need TLS 1.2 enabled). "
                 "Check the port (5061 for TLS) and the server's TLS settings and logs.");
      break;
    case SD_TLS_FAILURE_ALERT:
      message = g_strdup_printf (_("%s refused the TLS handshake with an alert: %s"), desc, error->message);
      advice = _("The server and this computer have no TLS version or cipher in common, or the server "
                 "rejected something the client sent. Enable TLS 1.2 or 1.3 with current ciphers on the "
                 "server, and read its TLS log for the reason.");
      break;
    case SD_TLS_FAILURE_NOT_TLS:
      message = g_strdup_printf (_("%s answered, but not with TLS: this port speaks something else."), desc);
      advice = _("Use the server's TLS port (normally 5061), or choose TCP as the transport if this port is "
                 "meant for SIP over TCP (normally 5060).");
      break;
    case SD_TLS_FAILURE_ERROR:
    case SD_TLS_FAILURE_CONNECT:
    default:
      message = g_strdup_printf (_("The TLS handshake with %s failed: %s"), desc, error->message);
      advice = _("Check that this is the server's TLS port (normally 5061) and read the server's TLS log.");
      break;
    }

  json_object_set_string_member (data, "handshake", "failed");
  sd_run_get_context (st->run)->tls_outcome = SD_TLS_OUTCOME_HANDSHAKE_FAILED;
  json_object_set_string_member (data, "failure", sd_tls_failure_to_string (failure));
  json_object_set_string_member (data, "error", failure == SD_TLS_FAILURE_TIMEOUT ? message : error->message);
  sd_run_report (st->run, SD_STEP_TLS, SD_FINDING_TLS_HANDSHAKE_FAILED, SD_SEVERITY_ERROR, message, advice);
}

/* Clients differ in the name they check: Microsoft clients the server's
 * own name; a standard SIP client the SIP domain when it found the server
 * through DNS (RFC 5922), the name it was given when it was given one. */
static SdTlsNameRule
name_rule_for (const SdConfig *config)
{
  if (config->client != SD_CLIENT_GENERIC)
    return SD_TLS_NAME_RULE_SERVER_FQDN;
  if (config->server != NULL)
    return SD_TLS_NAME_RULE_CONFIGURED_SERVER;
  return SD_TLS_NAME_RULE_RFC5922_DOMAIN;
}

/* The chain as the server sent it (at most 16), readable ones only. */
static void
collect_chain (TlsState *st)
{
  GTlsConnection *conn = G_TLS_CONNECTION (st->tls);

  st->chain = sd_cert_info_chain_from_tls (g_tls_connection_get_peer_certificate (conn), 16, "the server");
  st->aia_index = -1;
}

/* The server's chain with the intermediate fetched through AIA, for the
 * second opinion: glib-networking judges the path this program judged. */
static GTlsCertificate *
peer_with_aia (TlsState *st)
{
  g_autoptr(GString) pem = g_string_new (NULL);
  g_autoptr(GError) error = NULL;
  GTlsCertificate *peer;

  for (guint i = 0; i < st->chain->len; i++)
    g_string_append (pem, ((SdCertInfo *) st->chain->pdata[i])->pem);
  peer = g_tls_certificate_new_from_pem (pem->str, pem->len, &error);
  if (peer == NULL)
    g_debug ("The chain with the AIA certificate does not load: %s", error->message);
  return peer;
}

static void
report_intermediate_via_aia (TlsState *st, const SdTlsVerifyResult *result)
{
  SdCertInfo *fetched = st->chain->pdata[st->aia_index];
  JsonObject *data = sd_run_get_step_data (st->run, SD_STEP_TLS);
  JsonObject *aia = json_object_get_object_member (data, "aia");
  const char *url = aia != NULL && json_object_has_member (aia, "url") ? json_object_get_string_member (aia, "url")
                                                                      : "?";
  gboolean used = FALSE;
  g_autofree char *msg = NULL;

  for (guint i = 0; i < result->path->len; i++)
    used |= result->path->pdata[i] == fetched;
  if (!used)
    return;
  msg = g_strdup_printf (_("The server does not send the intermediate certificate “%s”. It was fetched from "
                           "%s (the certificate's Authority Information Access), as Windows clients do, and "
                           "the chain then verifies; phones, Macs, Linux clients and many SIP phones do not "
                           "fetch it and refuse the server."), fetched->subject, url);
  for (guint i = 0; i < json_array_get_length (result->checks); i++)
    {
      JsonObject *check = json_array_get_object_element (result->checks, i);

      if (g_strcmp0 (json_object_get_string_member_with_default (check, "id", NULL), "chain") == 0)
        {
          json_object_set_string_member (check, "result", "warn");
          json_object_set_string_member (check, "message",
                                         _("The server does not send every certificate needed: an intermediate "
                                           "was fetched through AIA."));
        }
    }
  sd_run_report (st->run, SD_STEP_TLS, SD_FINDING_TLS_INTERMEDIATE_VIA_AIA, SD_SEVERITY_WARNING, msg,
                 _("Configure the server to send its full chain: its certificate followed by the intermediate "
                   "certificates. It works on Windows only because Windows downloads what is missing."));
}

/* What the checks found, into the step's data, findings and the context. */
static void
analyse (TlsState *st, SdTlsVerifyResult *verified)
{
  SdRun *run = st->run;
  SdContext *ctx = sd_run_get_context (run);
  JsonObject *data = sd_run_get_step_data (run, SD_STEP_TLS);
  GTlsConnection *conn = G_TLS_CONNECTION (st->tls);
  GTlsProtocolVersion version = g_tls_connection_get_protocol_version (conn);
  g_autofree char *cipher = g_tls_connection_get_ciphersuite_name (conn);
  GPtrArray *chain = st->chain;
  JsonArray *chain_json = json_array_new ();
  g_autoptr(SdTlsVerifyResult) result = verified;

  json_object_set_string_member (data, "handshake", "ok");
  json_object_set_string_member (data, "protocol", sd_tls_protocol_to_string (version));
  if (cipher != NULL)
    json_object_set_string_member (data, "cipher", cipher);
  else
    json_object_set_null_member (data, "cipher");
  json_object_set_array_member (data, "backend_errors", sd_tls_flags_to_json (st->backend_flags));

  for (guint i = 0; i < chain->len; i++)
    {
      JsonObject *o = sd_cert_info_to_json (chain->pdata[i]);

      if ((gint) i == st->aia_index)
        json_object_set_boolean_member (o, "via_aia", TRUE);
      json_array_add_object_element (chain_json, o);
    }
  json_object_set_array_member (data, "chain", chain_json);

  json_object_set_string_member (data, "name_rule", sd_tls_name_rule_to_string (result->name_rule));
  json_object_set_string_member (data, "name_identity", result->name_identity);
  json_object_set_array_member (data, "checks", json_array_ref (result->checks));
  json_object_set_array_member (data, "path", json_array_ref (result->path_json));
  if (result->anchor != NULL)
    json_object_set_string_member (data, "anchor", result->anchor);
  else
    json_object_set_null_member (data, "anchor");

  for (guint i = 0; i < result->problems->len; i++)
    {
      SdTlsProblem *p = result->problems->pdata[i];
      sd_run_report (run, SD_STEP_TLS, p->code, p->severity, p->message, p->advice);
    }

  if (st->aia_index >= 0 && result->trust_ok)
    report_intermediate_via_aia (st, result);

  st->own_trusted = chain->len > 0 && result->trust_ok && result->name_ok && result->validity_ok;
  st->verdict = g_steal_pointer (&result);

  g_signal_handlers_disconnect_by_func (st->tls, accept_certificate_cb, st);
  g_clear_object (&ctx->tls_stream);
  ctx->tls_stream = G_IO_STREAM (g_steal_pointer (&st->tls));
  ctx->tls_trusted = FALSE;
  ctx->tls_outcome = SD_TLS_OUTCOME_UNTRUSTED;
}

/* The decision to let credentials go: this program's checks and
 * glib-networking's own verdict (@have_backend) must both say trusted. */
static void
conclude (TlsState *st, gboolean have_backend, GTlsCertificateFlags backend, const char *error, const char *note)
{
  SdRun *run = st->run;
  const SdConfig *config = sd_run_get_config (run);
  SdContext *ctx = sd_run_get_context (run);
  JsonObject *data = sd_run_get_step_data (run, SD_STEP_TLS);
  GTlsCertificateFlags unexplained = G_TLS_CERTIFICATE_GENERIC_ERROR;
  gboolean trusted;

  if (have_backend)
    {
      JsonObject *verdict = json_object_new ();

      unexplained = sd_tls_verify_unexplained (st->verdict, backend);
      json_object_set_array_member (verdict, "errors", sd_tls_flags_to_json (backend));
      json_object_set_boolean_member (verdict, "agrees", st->own_trusted ? unexplained == 0 : backend != 0);
      if (error != NULL)
        json_object_set_string_member (verdict, "error", error);
      if (note != NULL)
        json_object_set_string_member (verdict, "note", note);
      json_object_set_object_member (data, "backend_verdict", verdict);
      if (st->own_trusted && unexplained != 0)
        {
          g_autofree char *why = error != NULL ? g_strdup (error) : sd_tls_flags_describe (unexplained);
          g_autofree char *message = g_strdup_printf (
            _("The system's TLS library (GnuTLS through glib-networking) does not accept the server's "
              "certificate: %s. This program's own checks passed; where the two disagree, no credentials "
              "are sent."), why);
          sd_run_report (run, SD_STEP_TLS, SD_FINDING_TLS_BACKEND_REJECTED, SD_SEVERITY_ERROR, message,
                         _("Ask the server's administrator for a certificate that names the server in a DNS "
                           "name (subjectAltName) and is issued by a trusted authority with a current "
                           "algorithm; other clients on this system judge it as the system's TLS library does."));
        }
    }

  trusted = st->own_trusted && have_backend && unexplained == 0;
  json_object_set_boolean_member (data, "trusted", trusted);
  json_object_set_boolean_member (data, "credentials_allowed", trusted || config->allow_untrusted);
  if (!trusted && config->allow_untrusted)
    json_object_set_string_member (data, "note",
                                   _("The certificate failed verification, but sending credentials over this "
                                     "connection was explicitly allowed."));
  else if (!trusted)
    json_object_set_string_member (data, "note",
                                   _("The certificate failed verification: the sign-in check will not send "
                                     "credentials over this connection."));
  ctx->tls_trusted = trusted || config->allow_untrusted;
  ctx->tls_outcome = trusted ? SD_TLS_OUTCOME_TRUSTED : SD_TLS_OUTCOME_UNTRUSTED;
}

/* Revocation decides too: no credentials go to a revoked server, as to
 * an untrusted one. */
static void
apply_revocation (TlsState *st, SdRevocationResult *result)
{
  SdRun *run = st->run;
  const SdConfig *config = sd_run_get_config (run);
  JsonObject *data = sd_run_get_step_data (run, SD_STEP_TLS);

  json_object_set_object_member (data, "revocation", json_object_ref (result->json));
  /* The `revocation` check spoke of CRLs in the CA file; without one, it
   * says what the network said. */
  if (st->verdict->n_crl == 0)
    {
      JsonArray *checks = json_object_get_array_member (data, "checks");

      for (guint i = 0; checks != NULL && i < json_array_get_length (checks); i++)
        {
          JsonObject *check = json_array_get_object_element (checks, i);

          if (g_strcmp0 (json_object_get_string_member_with_default (check, "id", NULL), "revocation") == 0)
            {
              json_object_set_string_member (check, "result", result->check_result);
              json_object_set_string_member (check, "message", result->check_message);
            }
        }
    }
  for (guint i = 0; i < result->problems->len; i++)
    {
      SdTlsProblem *p = result->problems->pdata[i];
      sd_run_report (run, SD_STEP_TLS, p->code, p->severity, p->message, p->advice);
    }
  if (result->revoked)
    {
      SdContext *ctx = sd_run_get_context (run);

      json_object_set_boolean_member (data, "trusted", FALSE);
      json_object_set_boolean_member (data, "credentials_allowed", config->allow_untrusted);
      json_object_set_string_member (data, "note", config->allow_untrusted
                                     ? _("The certificate is revoked, but sending credentials over this "
                                         "connection was explicitly allowed.")
                                     : _("The certificate is revoked: the sign-in check will not send "
                                         "credentials over this connection."));
      ctx->tls_trusted = config->allow_untrusted;
      ctx->tls_outcome = SD_TLS_OUTCOME_UNTRUSTED;
    }
}

static void
revocation_cb (GObject      *source,
               GAsyncResult *res,
               gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  TlsState *st = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  g_autoptr(SdRevocationResult) result = sd_revocation_check_finish (res, &error);

  if (result == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  apply_revocation (st, result);
  sd_run_step_progress (st->run, SD_STEP_TLS, _("Certificate chain checked"));
  g_task_return_boolean (task, TRUE);
}

static void join (GTask *task);

/* The first of the three answers to fail the step (the run cancelled, or
 * the checks could not run) is what the step returns. */
static void
keep_failure (TlsState *st, GError **error)
{
  if (st->failure == NULL)
    st->failure = g_steal_pointer (error);
}

static void
staple_cb (GObject      *source,
           GAsyncResult *res,
           gpointer      user_data)
{
  GTask *task = user_data;
  TlsState *st = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;

  st->stapled = sd_ocsp_staple_fetch_finish (res, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    keep_failure (st, &error);
  else if (error != NULL)
    g_debug ("No stapled OCSP answer: %s", error->message);
  join (task);
}

static void
check_revocation (GTask *task_)
{
  g_autoptr(GTask) task = task_;
  TlsState *st = g_task_get_task_data (task);
  const SdConfig *config = sd_run_get_config (st->run);
  SdRevocationInput input = { 0 };

  input.path = st->verdict->path;
  input.chain = st->chain;
  input.anchor = st->verdict->anchor_der;
  input.config = config;
  input.now = g_get_real_time () / G_USEC_PER_SEC;
  if (config->no_revocation || !st->verdict->trust_ok)
    {
      g_autoptr(SdRevocationResult) result = NULL;
      g_autofree char *why = NULL;

      if (config->no_revocation)
        why = g_strdup_printf (_("Revocation was not checked (%s): no CRL was fetched and no OCSP responder "
                                 "asked."), "--no-revocation");
      else
        why = g_strdup (_("Revocation was not checked: the chain does not reach a trusted authority."));
      result = sd_revocation_not_checked (&input, why);
      apply_revocation (st, result);
      sd_run_step_progress (st->run, SD_STEP_TLS, _("Certificate chain checked"));
      g_task_return_boolean (task, TRUE);
      return;
    }
  sd_run_step_progress (st->run, SD_STEP_TLS, _("Checking revocation (CRL, OCSP)…"));
  if (st->staple_asked)
    json_object_set_boolean_member (sd_run_get_step_data (st->run, SD_STEP_TLS), "ocsp_stapled", st->stapled != NULL);
  input.stapled = st->stapled;
  sd_revocation_check_async (sd_http_client_get_for_run (st->run), &input, st->run_cancellable, revocation_cb,
                             g_steal_pointer (&task));
}

/* One of the three answered: the last one goes on. */
static void
join (GTask *task)
{
  TlsState *st = g_task_get_task_data (task);

  g_assert (st->pending > 0);
  if (--st->pending > 0)
    {
      g_object_unref (task);
      return;
    }
  if (st->failure != NULL)
    {
      g_task_return_error (task, g_steal_pointer (&st->failure));
      g_object_unref (task);
      return;
    }
  conclude (st, st->have_backend, st->backend_verdict, st->backend_error, st->backend_note);
  if (st->peer == NULL)
    {
      /* The server sent no certificate: nothing to check for revocation. */
      sd_run_step_progress (st->run, SD_STEP_TLS, _("Certificate chain checked"));
      g_task_return_boolean (task, TRUE);
      g_object_unref (task);
      return;
    }
  check_revocation (task);
}

static void
backend_verify_cb (GObject      *source,
                   GAsyncResult *res,
                   gpointer      user_data)
{
  GTask *task = user_data;
  TlsState *st = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;

  st->backend_verdict = sd_tls_backend_verify_finish (res, &st->backend_note, &error);
  st->have_backend = TRUE;
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) && !timed_out (st))
    keep_failure (st, &error);
  else if (error != NULL)
    st->backend_error = g_strdup (error->message);
  join (task);
}

static void verify_chain (GTask *task);
static void trust_ready (GTask *task);
static void trust_ready_cb (GObject *source, GAsyncResult *res, gpointer user_data);
static void start_verify (GTask *task);
static void verify_cb (GObject *source, GAsyncResult *res, gpointer user_data);

static void
aia_cb (GObject      *source,
        GAsyncResult *res,
        gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  TlsState *st = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) record = NULL;
  SdCertInfo *issuer = sd_revocation_fetch_issuer_finish (res, &record, &error);

  if (error != NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  if (record != NULL)
    json_object_set_object_member (sd_run_get_step_data (st->run, SD_STEP_TLS), "aia", g_steal_pointer (&record));
  if (issuer != NULL)
    {
      st->aia_index = (gint) st->chain->len;
      g_ptr_array_add (st->chain, issuer);
    }
  start_verify (g_steal_pointer (&task));
}

static void
handshake_cb (GObject      *source,
              GAsyncResult *res,
              gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  TlsState *st = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;

  if (!g_tls_connection_handshake_finish (G_TLS_CONNECTION (source), res, &error))
    {
      if (return_if_run_cancelled (task, st, error))
        return;
      disarm_timeout (st);
      report_handshake_failure (st, error);
      json_object_set_double_member (sd_run_get_step_data (st->run, SD_STEP_TLS), "handshake_ms",
                                     (g_get_monotonic_time () - st->start_us) / 1000.0);
      g_task_return_boolean (task, TRUE);
      return;
    }
  disarm_timeout (st);
  json_object_set_double_member (sd_run_get_step_data (st->run, SD_STEP_TLS), "handshake_ms",
                                 (g_get_monotonic_time () - st->start_us) / 1000.0);
  collect_chain (st);
  verify_chain (g_steal_pointer (&task));
}

/* With the trust store at hand: a chain that stops short at the server's
 * certificate is completed first, as Windows does, from the last
 * certificate's AIA caIssuers URL. */
static void
trust_ready (GTask *task_)
{
  g_autoptr(GTask) task = task_;
  TlsState *st = g_task_get_task_data (task);
  const SdConfig *config = sd_run_get_config (st->run);

  if (!config->no_revocation && sd_revocation_chain_incomplete (st->chain, st->trust, config->ca_file))
    {
      sd_run_step_progress (st->run, SD_STEP_TLS, _("Fetching the missing intermediate certificate…"));
      sd_revocation_fetch_issuer_async (sd_http_client_get_for_run (st->run), st->chain->pdata[st->chain->len - 1],
                                        st->run_cancellable, aia_cb, g_steal_pointer (&task));
      return;
    }
  start_verify (g_steal_pointer (&task));
}

static void
verify_chain (GTask *task_)
{
  g_autoptr(GTask) task = task_;
  TlsState *st = g_task_get_task_data (task);
  SdTlsTrustLoader *loader = sd_run_get_context (st->run)->trust_loader;

  /* The run started parsing the trust store when it started; it is seldom
   * still at it by now. */
  if (loader != NULL && !sd_tls_trust_loader_is_done (loader))
    {
      sd_tls_trust_loader_wait_async (loader, NULL, trust_ready_cb, g_steal_pointer (&task));
      return;
    }
  if (loader != NULL && sd_tls_trust_loader_peek (loader) != NULL)
    st->trust = sd_tls_trust_ref (sd_tls_trust_loader_peek (loader));
  trust_ready (g_steal_pointer (&task));
}

static void
trust_ready_cb (GObject      *source,
                GAsyncResult *res,
                gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  TlsState *st = g_task_get_task_data (task);
  g_autoptr(SdTlsTrust) trust = sd_tls_trust_loader_wait_finish (res);
  GError *error = NULL;

  if (g_cancellable_set_error_if_cancelled (st->run_cancellable, &error))
    {
      g_task_return_error (task, error);
      return;
    }
  st->trust = g_steal_pointer (&trust);
  trust_ready (g_steal_pointer (&task));
}

/* The checks run in a thread, so no certificate work is on the main loop;
 * without the run's trust (a load cancelled earlier), the thread parses
 * its own. */
static void
start_verify (GTask *task)
{
  TlsState *st = g_task_get_task_data (task);
  const SdConfig *config = sd_run_get_config (st->run);
  SdTlsVerifyInput input = { 0 };

  input.chain = st->chain;
  input.server_name = st->candidate->host;
  input.domain = sd_run_get_context (st->run)->domain;
  input.name_rule = name_rule_for (config);
  input.microsoft = config->client != SD_CLIENT_GENERIC;
  input.ca_file = config->ca_file;
  input.trust = st->trust;
  input.strict_dns_naming = config->strict_dns_naming;
  input.now = g_get_real_time () / G_USEC_PER_SEC;
  input.protocol = g_tls_connection_get_protocol_version (G_TLS_CONNECTION (st->tls));
  input.config = config;

  /* The second opinion judges the chain this program judges (with the
   * intermediate fetched through AIA), for the same identity, at the same
   * time in its own thread. */
  if (st->chain->len > 0)
    st->peer = st->aia_index >= 0 ? peer_with_aia (st) : NULL;
  if (st->chain->len > 0 && st->peer == NULL)
    st->peer = g_object_ref (g_tls_connection_get_peer_certificate (G_TLS_CONNECTION (st->tls)));
  st->pending = 1;
  if (st->peer != NULL)
    {
      g_autoptr(GSocketConnectable) identity = g_network_address_new (sd_tls_name_identity (&input),
                                                                      st->candidate->port);
      st->pending++;
      sd_tls_backend_verify_async (st->peer, identity, config->ca_file, arm_timeout (st), backend_verify_cb,
                                   g_object_ref (task));
    }
  sd_tls_verify_async (&input, st->run_cancellable, verify_cb, task);
}

static void
verify_cb (GObject      *source,
           GAsyncResult *res,
           gpointer      user_data)
{
  GTask *task = user_data;
  TlsState *st = g_task_get_task_data (task);
  const SdConfig *config = sd_run_get_config (st->run);
  g_autoptr(GError) error = NULL;
  SdTlsVerifyResult *result = sd_tls_verify_finish (res, &error);

  if (result == NULL)
    {
      keep_failure (st, &error);
      join (task);
      return;
    }
  analyse (st, result);
  /* Revocation is checked only for a chain the checks trust: its stapled
   * OCSP answer is read now, while the second opinion still works. */
  if (!config->no_revocation && st->verdict->trust_ok && st->candidate->address != NULL)
    {
      st->staple_asked = TRUE;
      st->pending++;
      sd_ocsp_staple_fetch_async (st->candidate->address, st->candidate->port, st->candidate->host,
                                  MAX (config->timeout_s, 1) * 1000, st->run_cancellable, staple_cb,
                                  g_object_ref (task));
    }
  join (task);
}

static void
start_handshake (GTask *task, GSocketConnection *base)
{
  TlsState *st = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  g_autoptr(GSocketConnectable) identity = g_network_address_new (st->candidate->host, st->candidate->port);
  GIOStream *tls;

  /* glib-networking looks up the socket's peer while it sets up a client
   * connection and unrefs NULL when the peer has already reset it (a
   * critical, then a crash under G_DEBUG=fatal-criticals). A server that
   * resets at once is common enough on a wrong port: report it here. */
  {
    g_autoptr(GSocketAddress) peer = g_socket_connection_get_remote_address (base, NULL);
    if (peer == NULL)
      {
        g_autoptr(GError) gone = g_error_new_literal (G_IO_ERROR, g_io_error_from_errno (ECONNRESET),
                                                      g_strerror (ECONNRESET));
        report_handshake_failure (st, gone);
        g_task_return_boolean (task, TRUE);
        g_object_unref (task);
        return;
      }
  }

  /* The client's last handshake flight is written in two pieces
   * (ChangeCipherSpec, then Finished once the certificate is accepted), and
   * the first SIP request follows: with Nagle's algorithm each small write
   * waits for the server's delayed ACK of the one before (up to 40 ms on
   * Linux), which held the first request's answer back by 16-40 ms. */
  g_socket_set_option (g_socket_connection_get_socket (base), IPPROTO_TCP, TCP_NODELAY, 1, NULL);

  /* No GTlsDatabase: this step judges trust itself with GnuTLS (system
   * store + the CA file), and glib-networking's default database would parse
   * the whole system store a second time — over half of the step's work.
   * The handshake accepts any certificate anyway (accept-certificate). */
  tls = G_IO_STREAM (g_initable_new (g_tls_backend_get_client_connection_type (g_tls_backend_get_default ()),
                                     NULL, &error,
                                     "base-io-stream", base,
                                     "server-identity", identity,
                                     "database", NULL,
                                     NULL));
  if (tls == NULL)
    {
      /* No TLS backend at all: glib-networking is missing. */
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                               _("TLS is not available (is glib-networking installed?): %s"), error->message);
      g_object_unref (task);
      return;
    }
  st->tls = tls;
  g_signal_connect (tls, "accept-certificate", G_CALLBACK (accept_certificate_cb), st);
  {
    g_autofree char *desc = sd_candidate_describe (st->candidate);
    g_autofree char *line = g_strdup_printf (_("TLS handshake with %s…"), desc);
    sd_run_step_progress (st->run, SD_STEP_TLS, line);
  }
  st->start_us = g_get_monotonic_time ();
  g_tls_connection_handshake_async (G_TLS_CONNECTION (tls), G_PRIORITY_DEFAULT, arm_timeout (st),
                                    handshake_cb, task);
}

static void
reconnect_cb (GObject      *source,
              GAsyncResult *res,
              gpointer      user_data)
{
  GTask *task = user_data;
  TlsState *st = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  g_autoptr(GSocketConnection) conn = g_socket_client_connect_finish (G_SOCKET_CLIENT (source), res, &error);

  disarm_timeout (st);
  if (conn == NULL)
    {
      g_autofree char *desc = NULL;
      g_autofree char *msg = NULL;

      if (return_if_run_cancelled (task, st, error))
        {
          g_object_unref (task);
          return;
        }
      desc = sd_candidate_describe (st->candidate);
      msg = g_strdup_printf (_("Could not connect again to %s: %s"), desc,
                             timed_out (st) ? _("no answer") : error->message);
      json_object_set_string_member (sd_run_get_step_data (st->run, SD_STEP_TLS), "handshake", "failed");
      sd_run_get_context (st->run)->tls_outcome = SD_TLS_OUTCOME_HANDSHAKE_FAILED;
      json_object_set_string_member (sd_run_get_step_data (st->run, SD_STEP_TLS), "failure",
                                     sd_tls_failure_to_string (SD_TLS_FAILURE_CONNECT));
      json_object_set_string_member (sd_run_get_step_data (st->run, SD_STEP_TLS), "error", msg);
      sd_run_report (st->run, SD_STEP_TLS, SD_FINDING_TLS_HANDSHAKE_FAILED, SD_SEVERITY_ERROR, msg,
                     _("The server accepted a connection a moment ago and now does not: it may be overloaded "
                       "or restarting. Run the check again."));
      g_task_return_boolean (task, TRUE);
      g_object_unref (task);
      return;
    }
  start_handshake (task, conn);
}

void
sd_step_tls_run_async (SdRun               *run,
                       GCancellable        *cancellable,
                       GAsyncReadyCallback  callback,
                       gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (run, cancellable, callback, user_data);
  SdContext *ctx = sd_run_get_context (run);
  JsonObject *data = sd_run_get_step_data (run, SD_STEP_TLS);
  SdCandidate *sel = ctx->selected;
  g_autoptr(GSocketConnection) conn = NULL;
  TlsState *st;

  g_task_set_source_tag (task, sd_step_tls_run_async);
  ctx->tls_trusted = FALSE;
  ctx->tls_outcome = SD_TLS_OUTCOME_NONE;
  g_clear_object (&ctx->tls_stream);

  if (sel == NULL)
    {
      sd_run_set_step_status (run, SD_STEP_TLS, SD_STATUS_SKIP,
                              _("No server accepted a connection: there is no certificate to check."));
      g_task_return_boolean (task, TRUE);
      return;
    }
  if (sel->transport != SD_TRANSPORT_TLS)
    {
      g_autofree char *upper = g_ascii_strup (sd_transport_to_string (sel->transport), -1);
      g_autofree char *reason = g_strdup_printf (_("The chosen transport is %s: no certificate to check."), upper);
      sd_run_set_step_status (run, SD_STEP_TLS, SD_STATUS_SKIP, reason);
      g_task_return_boolean (task, TRUE);
      return;
    }

  json_object_set_string_member (data, "server_name", sel->host);
  if (sel->address != NULL)
    {
      g_autofree char *addr = g_inet_address_to_string (sel->address);
      json_object_set_string_member (data, "address", addr);
    }
  json_object_set_int_member (data, "port", sel->port);
  json_object_set_array_member (data, "chain", json_array_new ());
  json_object_set_array_member (data, "checks", json_array_new ());
  json_object_set_boolean_member (data, "trusted", FALSE);

  st = g_new0 (TlsState, 1);
  st->run = run;
  st->candidate = sd_candidate_ref (sel);
  g_task_set_task_data (task, st, (GDestroyNotify) tls_state_free);
  if (cancellable != NULL)
    st->run_cancellable = g_object_ref (cancellable);

  /* The connect step's connection is to @sel itself (it is what it selected). */
  conn = g_steal_pointer (&ctx->connection);
  json_object_set_boolean_member (data, "reused_connection", conn != NULL);
  if (conn != NULL)
    {
      start_handshake (g_steal_pointer (&task), conn);
      return;
    }
  if (sel->address == NULL)
    {
      sd_run_set_step_status (run, SD_STEP_TLS, SD_STATUS_SKIP, _("The server's name has no address."));
      g_task_return_boolean (task, TRUE);
      return;
    }
  {
    g_autoptr(GSocketClient) client = g_socket_client_new ();
    g_autoptr(GSocketAddress) sa = g_inet_socket_address_new (sel->address, sel->port);

    g_socket_client_set_enable_proxy (client, FALSE);
    g_socket_client_connect_async (client, G_SOCKET_CONNECTABLE (sa), arm_timeout (st), reconnect_cb,
                                   g_steal_pointer (&task));
  }
}

gboolean
sd_step_tls_run_finish (SdRun         *run,
                        GAsyncResult  *result,
                        GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, run), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == sd_step_tls_run_async, FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}
