/* sd-step-auth.c: the `auth` step: sign in with Digest where the tool
 * can, explain NTLM/Kerberos/TLS-DSK, the Kerberos-style name trap of the
 * field guide, clock skew, and never send a credential in clear.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#define G_LOG_DOMAIN "sd-step-auth"

#include <string.h>
#include <libsoup/soup.h>
#include <glib/gi18n-lib.h>
#include "sd-steps.h"
#include "sd-sip-session.h"
#include "sd-sip-probe.h"
#include "sd-sip-kerberos.h"
#include "sd-sipae-signin.h"
#include "sd-sign-in-method.h"

/* Kerberos refuses tickets beyond this skew by default. */
#define MAX_CLOCK_SKEW_S (5 * 60)
/* 401 then 407, and one stale nonce: no more rounds than this. */
#define MAX_AUTH_ROUNDS 4

typedef struct {
  SdRun        *run;
  SdSipSession *session;
  guint         rounds;
  guint         unregister_rounds;
  gboolean      answered_www;
  gboolean      answered_proxy;
  gboolean      has_digest, has_basic, has_ntlm, has_kerberos, has_tlsdsk, has_other;
  guint32       nc;
  char         *cnonce;
  char         *algorithm;
  char         *username;
  char         *realm;     /* of the Digest challenge answered */
  /* the sign-in methods, in the order of sd_sign_in_methods () */
  guint         method_index;
  gboolean      any_tested;    /* a method had a credential judged */
  const char   *methods_result; /* "ok" when one of them signed in, else "rejected" */
  gboolean      guard_done, guard_ok;
  JsonArray    *methods;       /* data.methods */
  SdSipaeResult *kerberos, *ntlm;
  char         *kerberos_user, *ntlm_user;
} AuthStep;

static void
auth_step_free (AuthStep *st)
{
  g_free (st->cnonce);
  g_free (st->algorithm);
  g_free (st->username);
  g_free (st->realm);
  g_clear_pointer (&st->methods, json_array_unref);
  sd_sipae_result_free (st->kerberos);
  sd_sipae_result_free (st->ntlm);
  g_free (st->kerberos_user);
  g_free (st->ntlm_user);
  g_free (st);
}

static JsonObject *
data_of (AuthStep *st)
{
  return sd_run_get_step_data (st->run, SD_STEP_AUTH);
}

static void
done (GTask *task, const char *result_word)
{
  AuthStep *st = g_task_get_task_data (task);

  json_object_set_string_member (data_of (st), "result", result_word);
  sd_run_step_progress (st->run, SD_STEP_AUTH, NULL);
  g_task_return_boolean (task, TRUE);
  g_object_unref (task);
}

static gboolean
is_scheme (const SdSipChallenge *c, const char *name)
{
  return g_ascii_strcasecmp (c->scheme, name) == 0;
}

/* --- clock ------------------------------------------------------------ */

static void
check_clock (AuthStep *st)
{
  SdSipSession *s = st->session;
  JsonObject *data = data_of (st);
  g_autoptr(GDateTime) server = NULL;
  GTimeSpan skew;
  gint64 skew_s;

  json_object_set_null_member (data, "clock_skew_s");
  if (s->date_header == NULL || s->date_received == NULL)
    return;
  server = soup_date_time_new_from_http_string (s->date_header);
  if (server == NULL)
    {
      json_object_set_string_member (data, "server_date", s->date_header);
      return;
    }
  skew = g_date_time_difference (server, s->date_received);
  skew_s = skew / G_TIME_SPAN_SECOND;
  {
    g_autofree char *server_iso = g_date_time_format_iso8601 (server);
    g_autofree char *local_iso = g_date_time_format_iso8601 (s->date_received);

    json_object_set_int_member (data, "clock_skew_s", skew_s);
    json_object_set_string_member (data, "server_date", server_iso);
    json_object_set_string_member (data, "local_date", local_iso);

    if (ABS (skew_s) > MAX_CLOCK_SKEW_S)
      {
        g_autofree char *message = g_strdup_printf (
          _("The clocks differ by %lld minutes: the server says %s, this computer %s."),
          (long long) (ABS (skew_s) / 60), server_iso, local_iso);
        sd_run_report (st->run, SD_STEP_AUTH, SD_FINDING_AUTH_CLOCK_SKEW,
                       st->has_kerberos ? SD_SEVERITY_ERROR : SD_SEVERITY_WARNING, message,
                       _("Set this computer's clock right (turn on automatic time), or ask the "
                         "administrator to fix the server's. Kerberos sign-in fails when clocks "
                         "differ by more than 5 minutes."));
      }
  }
}

/* --- what the server offers ------------------------------------------- */

static void
classify (AuthStep *st)
{
  JsonArray *schemes = json_array_new ();
  g_autoptr(GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  for (guint i = 0; i < st->session->offered->len; i++)
    {
      SdSipOffered *o = st->session->offered->pdata[i];
      g_autofree char *lower = g_ascii_strdown (o->challenge->scheme, -1);

      if (is_scheme (o->challenge, "Digest"))
        st->has_digest = TRUE;
      else if (is_scheme (o->challenge, "Basic"))
        st->has_basic = TRUE;
      else if (is_scheme (o->challenge, "NTLM"))
        st->has_ntlm = TRUE;
      else if (is_scheme (o->challenge, "Kerberos") || is_scheme (o->challenge, "Negotiate"))
        st->has_kerberos = TRUE;
      else if (is_scheme (o->challenge, "TLS-DSK"))
        st->has_tlsdsk = TRUE;
      else
        st->has_other = TRUE;
      if (!g_hash_table_contains (seen, lower))
        {
          json_array_add_string_element (schemes, o->challenge->scheme);
          g_hash_table_add (seen, g_steal_pointer (&lower));
        }
    }
  json_object_set_array_member (data_of (st), "schemes_offered", schemes);
}

static void
report_microsoft_schemes (AuthStep *st)
{
  GPtrArray *names = g_ptr_array_new ();
  g_autofree char *list = NULL;
  g_autofree char *message = NULL;
  GString *advice = g_string_new (NULL);

  if (!st->has_ntlm && !st->has_kerberos && !st->has_tlsdsk)
    {
      g_ptr_array_unref (names);
      g_string_free (advice, TRUE);
      return;
    }
  if (st->has_ntlm)
    g_ptr_array_add (names, (gpointer) "NTLM");
  if (st->has_kerberos)
    g_ptr_array_add (names, (gpointer) "Kerberos");
  if (st->has_tlsdsk)
    g_ptr_array_add (names, (gpointer) "TLS-DSK");
  g_ptr_array_add (names, NULL);
  list = g_strjoinv (", ", (char **) names->pdata);
  g_ptr_array_unref (names);

  message = g_strdup_printf (_("The server asks for Windows sign-in (%s). The sign-in itself was not "
                               "tried; everything up to it was checked."), list);
  if (st->has_ntlm)
    g_string_append (advice, _("NTLM: the client needs a Windows account name, DOMAIN\\user, and its "
                               "password. "));
  if (st->has_kerberos)
    g_string_append (advice, _("Kerberos: the computer must be joined to the domain (or hold a "
                               "Kerberos ticket), the sign-in name is user@domain, and the clocks "
                               "must agree within 5 minutes. "));
  if (st->has_tlsdsk)
    {
      const char *sts = NULL;
      for (guint i = 0; sts == NULL && i < st->session->offered->len; i++)
        {
          SdSipOffered *o = st->session->offered->pdata[i];
          if (is_scheme (o->challenge, "TLS-DSK"))
            sts = sd_sip_challenge_get (o->challenge, "sts-uri");
        }
      g_string_append (advice, _("TLS-DSK: the client first gets a certificate from the server's web "
                                 "service (Lync 2010 and later clients do this by themselves). "));
      if (sts != NULL)
        {
          g_autofree char *url = sd_text_escape (sts, FALSE);
          /* TRANSLATORS: %s is the certificate provisioning URL the server names */
          g_string_append_printf (advice, _("The server names that service: %s; the client needs "
                                            "a user certificate from it. "), url);
        }
    }
  sd_run_report (st->run, SD_STEP_AUTH, SD_FINDING_AUTH_SCHEME_NOT_SUPPORTED, SD_SEVERITY_INFO, message,
                 g_strchomp (advice->str));
  g_string_free (advice, TRUE);
}

/* --- Digest ----------------------------------------------------------- */

static SdSipChallenge *
best_digest (AuthStep *st, const char *header)
{
  SdSipChallenge *best = NULL;
  int best_strength = 0;

  for (guint i = 0; i < st->session->offered->len; i++)
    {
      SdSipOffered *o = st->session->offered->pdata[i];
      SdDigestAlgorithm alg;
      gboolean bad_qop = FALSE;
      int strength;

      if (!g_str_equal (o->header, header) || !is_scheme (o->challenge, "Digest"))
        continue;
      if (sd_sip_challenge_get (o->challenge, "nonce") == NULL)
        continue;
      alg = sd_digest_algorithm_from_string (sd_sip_challenge_get (o->challenge, "algorithm"));
      sd_digest_choose_qop (sd_sip_challenge_get (o->challenge, "qop"), &bad_qop);
      strength = sd_digest_algorithm_strength (alg);
      if (bad_qop || strength <= best_strength)
        continue;
      best = o->challenge;
      best_strength = strength;
    }
  return best;
}

static char *
answer (AuthStep *st, SdSipChallenge *c)
{
  SdDigestInput in = { 0 };
  const char *qop_options = sd_sip_challenge_get (c, "qop");
  const SdConfig *config = sd_run_get_config (st->run);

  in.algorithm = sd_digest_algorithm_from_string (sd_sip_challenge_get (c, "algorithm"));
  in.username = st->username;
  in.realm = sd_sip_challenge_get (c, "realm") != NULL ? sd_sip_challenge_get (c, "realm") : "";
  in.password = config->password;
  in.method = "REGISTER";
  in.uri = st->session->request_uri;
  in.nonce = sd_sip_challenge_get (c, "nonce");
  in.qop = sd_digest_choose_qop (qop_options, NULL);
  g_free (st->cnonce);
  st->cnonce = sd_sip_random_token (8);
  in.cnonce = st->cnonce;
  in.nc = ++st->nc;

  g_free (st->algorithm);
  st->algorithm = g_strdup (sd_digest_algorithm_to_string (in.algorithm));
  g_free (st->realm);
  st->realm = g_strdup (in.realm);
  return sd_digest_credentials (&in, sd_sip_challenge_get (c, "opaque"));
}

static void digest_cb (GObject *source, GAsyncResult *result, gpointer user_data);

/* Answers the Digest challenges of the last 401/407; FALSE when there is none to answer. */
static gboolean
send_digest (GTask *task)
{
  AuthStep *st = g_task_get_task_data (task);
  SdSipChallenge *www = best_digest (st, "WWW-Authenticate");
  SdSipChallenge *proxy = best_digest (st, "Proxy-Authenticate");
  g_autofree char *www_credentials = NULL;
  g_autofree char *proxy_credentials = NULL;

  if (www == NULL && proxy == NULL)
    return FALSE;
  st->rounds++;
  st->nc = 0;
  if (www != NULL)
    {
      www_credentials = answer (st, www);
      st->answered_www = TRUE;
    }
  if (proxy != NULL)
    {
      proxy_credentials = answer (st, proxy);
      st->answered_proxy = TRUE;
    }
  json_object_set_string_member (data_of (st), "attempted", "Digest");
  json_object_set_string_member (data_of (st), "scheme", "Digest");
  json_object_set_string_member (data_of (st), "algorithm", st->algorithm);
  json_object_set_string_member (data_of (st), "username", st->username);
  sd_run_step_progress (st->run, SD_STEP_AUTH, _("Signing in with Digest…"));
  sd_sip_session_request_async (st->session, "REGISTER",
                                www_credentials, proxy_credentials,
                                g_task_get_cancellable (task), digest_cb, task);
  if (www_credentials != NULL)
    explicit_bzero (www_credentials, strlen (www_credentials));
  if (proxy_credentials != NULL)
    explicit_bzero (proxy_credentials, strlen (proxy_credentials));
  return TRUE;
}

/* What the server said about the failure, in the reason phrase or a Warning. */
static void
report_rejected (AuthStep *st, const SdSipMessage *response)
{
  SdContext *ctx = sd_run_get_context (st->run);
  const char *warning = sd_sip_message_get_header (response, "Warning");
  g_autofree char *said = g_ascii_strdown (response->reason, -1);
  g_autofree char *message = NULL;
  const char *advice;

  if (warning != NULL)
    {
      g_autofree char *w = g_ascii_strdown (warning, -1);
      g_autofree char *both = g_strconcat (said, " ", w, NULL);
      g_free (said);
      said = g_steal_pointer (&both);
    }

  if (strstr (said, "password") != NULL)
    advice = _("The server says the password is wrong. Type it again (mind Caps Lock and the "
               "keyboard layout), or ask your administrator to reset it.");
  else if (strstr (said, "user") != NULL || strstr (said, "not found") != NULL)
    advice = _("The server says it does not know this user name. Use the sign-in name your "
               "administrator gave you (it may differ from your SIP address), in the form they gave it.");
  else if (strstr (said, "realm") != NULL)
    advice = _("The server says the realm (the domain part of your credentials) is wrong. Use the "
               "domain your administrator gave you for signing in.");
  else if (ctx->sign_in != NULL && ctx->sign_in->realm != NULL && st->realm != NULL
           && g_ascii_strcasecmp (ctx->sign_in->realm, st->realm) != 0)
    advice = _("The user name or the password is wrong (the server does not say which). Note that "
               "the domain of your sign-in name differs from the server's realm: check that you "
               "use the account of this server.");
  else
    advice = _("The user name or the password is wrong; the server does not say which. Check both "
               "with your administrator: the sign-in name may differ from the SIP address.");

  message = g_strdup_printf (_("The server did not accept the credentials of %s (Digest %s): %u %s."),
                             st->username, st->algorithm != NULL ? st->algorithm : "MD5",
                             response->status, response->reason);
  sd_run_report (st->run, SD_STEP_AUTH, SD_FINDING_AUTH_REJECTED, SD_SEVERITY_ERROR, message, advice);
}

/* After a successful sign-in, remove the binding again (REGISTER with
 * Expires: 0), so the diagnosis leaves no registration behind that could
 * take the user's calls. Best effort: the result is data, not a finding. */
static void unregister_cb (GObject *source, GAsyncResult *result, gpointer user_data);

static void
unregister (GTask *task, gboolean with_credentials)
{
  AuthStep *st = g_task_get_task_data (task);
  SdSipChallenge *www = with_credentials ? best_digest (st, "WWW-Authenticate") : NULL;
  SdSipChallenge *proxy = with_credentials ? best_digest (st, "Proxy-Authenticate") : NULL;
  g_autofree char *www_credentials = NULL;
  g_autofree char *proxy_credentials = NULL;
  g_autofree char *algorithm = g_strdup (st->algorithm);

  st->unregister_rounds++;
  st->session->unregister = TRUE;
  if (www != NULL)
    www_credentials = answer (st, www);
  if (proxy != NULL)
    proxy_credentials = answer (st, proxy);
  /* answer () records the algorithm used; the sign-in's stays the one reported. */
  g_free (st->algorithm);
  st->algorithm = g_steal_pointer (&algorithm);
  sd_run_step_progress (st->run, SD_STEP_AUTH, _("Removing the test registration…"));
  sd_sip_session_request_async (st->session, "REGISTER",
                                www_credentials, proxy_credentials,
                                g_task_get_cancellable (task), unregister_cb, task);
  if (www_credentials != NULL)
    explicit_bzero (www_credentials, strlen (www_credentials));
  if (proxy_credentials != NULL)
    explicit_bzero (proxy_credentials, strlen (proxy_credentials));
}

static void
unregister_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  GTask *task = user_data;
  AuthStep *st = g_task_get_task_data (task);
  GError *error = NULL;
  g_autoptr(SdSipMessage) response = sd_sip_session_request_finish (st->session, result, &error);

  if (sd_sip_task_return_if_cancelled (task, error))
    return;
  g_clear_error (&error);
  if (response != NULL && (response->status == 401 || response->status == 407)
      && st->unregister_rounds < 2)
    {
      /* A fresh nonce for the removal: answer it once. */
      sd_sip_session_read_challenges (st->session, response, sd_run_get_step_data (st->run, SD_STEP_AUTH), NULL);
      unregister (task, TRUE);
      return;
    }
  st->session->unregister = FALSE;
  json_object_set_boolean_member (data_of (st), "unregistered",
                                  response != NULL && response->status >= 200 && response->status < 300);
  done (task, "ok");
}

static gboolean
has_stale (AuthStep *st)
{
  for (guint i = 0; i < st->session->offered->len; i++)
    {
      SdSipOffered *o = st->session->offered->pdata[i];
      const char *stale = sd_sip_challenge_get (o->challenge, "stale");
      if (is_scheme (o->challenge, "Digest") && stale != NULL && g_ascii_strcasecmp (stale, "true") == 0)
        return TRUE;
    }
  return FALSE;
}

static void
digest_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  GTask *task = user_data;
  AuthStep *st = g_task_get_task_data (task);
  GError *error = NULL;
  g_autoptr(SdSipMessage) response = sd_sip_session_request_finish (st->session, result, &error);

  if (sd_sip_task_return_if_cancelled (task, error))
    return;
  if (response == NULL)
    {
      sd_sip_report_error (st->run, SD_STEP_AUTH, "REGISTER", st->session, error);
      g_error_free (error);
      done (task, "no-response");
      return;
    }

  if (response->status >= 200 && response->status < 300)
    {
      g_autofree char *message = g_strdup_printf (
        _("Signed in: the server accepted %s with Digest %s over %s."), st->username, st->algorithm,
        sd_sip_connection_get_via_transport (st->session->connection));
      st->session->registered = TRUE;
      sd_run_report (st->run, SD_STEP_AUTH, SD_FINDING_AUTH_OK, SD_SEVERITY_INFO, message,
                     _("Nothing to fix: this name and password sign in. If a client still fails, "
                       "compare its server, transport and sign-in name with the ones used here."));
      sd_sip_network_report_registration (st->run, SD_STEP_AUTH, st->session, response);
      unregister (task, TRUE);
      return;
    }

  if (response->status == 401 || response->status == 407)
    {
      gboolean stale;
      gboolean new_kind;

      sd_sip_session_read_challenges (st->session, response, sd_run_get_step_data (st->run, SD_STEP_AUTH), NULL);
      stale = has_stale (st);
      new_kind = (response->status == 407 && !st->answered_proxy)
                 || (response->status == 401 && !st->answered_www);
      if ((stale || new_kind) && st->rounds < MAX_AUTH_ROUNDS && send_digest (task))
        return;
      report_rejected (st, response);
      done (task, "rejected");
      return;
    }

  if (response->status == 403)
    {
      g_autofree char *said = g_ascii_strdown (response->reason, -1);
      if (strstr (said, "password") != NULL || strstr (said, "user") != NULL
          || strstr (said, "realm") != NULL || strstr (said, "auth") != NULL
          || strstr (said, "credential") != NULL)
        {
          report_rejected (st, response);
          done (task, "rejected");
          return;
        }
    }
  sd_sip_report_status (st->run, SD_STEP_AUTH, response, st->session->aor);
  done (task, "rejected");
}

/* A sign-in that was not tried is a skip, never a pass; but a warning or
 * error the step found on the way (such as a Basic-only server) keeps
 * the status those give. */
static void
skip_unless_found (AuthStep *st, const char *reason)
{
  g_autoptr(GPtrArray) found = sd_run_dup_step_findings (st->run, SD_STEP_AUTH);

  for (guint i = 0; i < found->len; i++)
    {
      SdFinding *f = found->pdata[i];
      if (f->severity == SD_SEVERITY_WARNING || f->severity == SD_SEVERITY_ERROR)
        return;
    }
  sd_run_set_step_status (st->run, SD_STEP_AUTH, SD_STATUS_SKIP, reason);
}

/* The password, or anything derived from it that can be attacked offline
 * (a Digest or NTLMv2 response), goes only where the person may trust it.
 * Checked once for every method; the finding is reported once. */
static gboolean
may_send_credentials (AuthStep *st)
{
  const SdConfig *config = sd_run_get_config (st->run);
  SdSipConnection *connection = st->session->connection;
  SdTransport transport = sd_sip_connection_get_transport (connection);

  if (st->guard_done)
    return st->guard_ok;
  st->guard_done = TRUE;
  st->guard_ok = TRUE;
  if (transport == SD_TRANSPORT_TLS
      && (!sd_sip_connection_get_tls_trusted (connection) || st->session->tls_step_distrusts)
      && !config->allow_untrusted)
    {
      const char *problem = sd_sip_connection_get_tls_problem (connection);
      g_autofree char *message = g_strdup_printf (
        _("The password was not sent: the server's certificate is not trusted%s%s. Whether the "
          "sign-in name and password are accepted was not checked."),
        problem != NULL ? ": " : "", problem != NULL ? problem : "");
      g_autofree char *advice = g_strdup_printf (
        /* TRANSLATORS: %s is the control to turn on, e.g. "--allow-untrusted" or
         * "“Sign in despite certificate problems” on the Server page". */
        _("Fix the certificate problem the TLS check shows (or name the server as its "
          "certificate does). To try anyway on a network you trust, turn on %s."),
        sd_config_control_name (config, SD_CONTROL_ALLOW_UNTRUSTED));
      sd_run_report (st->run, SD_STEP_AUTH, SD_FINDING_AUTH_UNTRUSTED_NOT_SENT, SD_SEVERITY_ERROR, message, advice);
      return st->guard_ok = FALSE;
    }

  /* The sip step follows no redirect off TLS without the person's consent;
   * this holds whatever path led here. (A transport the person chose
   * for a sips: address is the uri step's warning, not this.) */
  if (transport != SD_TRANSPORT_TLS && st->session->secure_origin && !config->allow_untrusted
      && g_strcmp0 (st->session->target->source, "redirect") == 0)
    {
      g_autofree char *message = g_strdup_printf (
        _("The password was not sent: the sign-in started over TLS, but the server to answer now "
          "is reached over %s."), sd_sip_connection_get_via_transport (connection));
      sd_run_report (st->run, SD_STEP_AUTH, SD_FINDING_AUTH_UNTRUSTED_NOT_SENT, SD_SEVERITY_ERROR, message,
                     _("Sign in over TLS: ask the administrator to redirect only to TLS addresses, "
                       "or name the home server with the Server setting and choose TLS."));
      return st->guard_ok = FALSE;
    }

  return TRUE;
}

static void
try_digest (GTask *task)
{
  AuthStep *st = g_task_get_task_data (task);
  const SdConfig *config = sd_run_get_config (st->run);
  SdSipConnection *connection = st->session->connection;
  SdTransport transport = sd_sip_connection_get_transport (connection);

  if (st->has_basic)
    {
      sd_run_report (st->run, SD_STEP_AUTH, SD_FINDING_AUTH_CLEARTEXT_REFUSED,
                     st->has_digest ? SD_SEVERITY_WARNING : SD_SEVERITY_ERROR,
                     st->has_digest
                       ? _("The server also offers Basic sign-in, which sends the password in clear; this tool used Digest instead.")
                       : _("The server asks for Basic sign-in, which sends the password in clear; this tool refuses to send it."),
                     _("Ask the administrator to turn off Basic authentication and offer Digest "
                       "(or a Windows scheme), and to use TLS."));
    }

  if (!st->has_digest)
    {
      skip_unless_found (st, _("Not tried: the server asks only for sign-in methods this tool does not "
                               "perform."));
      done (task, st->has_ntlm || st->has_kerberos || st->has_tlsdsk ? "not-supported"
                  : st->has_basic ? "refused" : "not-supported");
      return;
    }

  if (config->password == NULL || config->password[0] == '\0')
    {
      sd_run_report (st->run, SD_STEP_AUTH, SD_FINDING_AUTH_NO_PASSWORD, SD_SEVERITY_INFO,
                     _("No password was given, so the sign-in itself was not tried. Checked: the "
                       "server answers, knows the SIP address and asks for Digest. Not checked: "
                       "whether the sign-in name and password are accepted."),
                     _("Give the password (it is never stored or shown) and run the check again "
                       "to try the sign-in."));
      skip_unless_found (st, _("Not tried: no password."));
      done (task, "not-attempted");
      return;
    }

  if (!may_send_credentials (st))
    {
      done (task, "not-attempted");
      return;
    }

  if (transport != SD_TRANSPORT_TLS)
    {
      g_autofree char *message = g_strdup_printf (
        _("Digest sign-in over %s: the password itself is not sent, but the exchange is not "
          "encrypted."), sd_sip_connection_get_via_transport (connection));
      sd_run_report (st->run, SD_STEP_AUTH, SD_FINDING_AUTH_DIGEST_WITHOUT_TLS, SD_SEVERITY_INFO, message,
                     _("Prefer TLS where the server offers it, so the sign-in and calls are "
                       "encrypted."));
    }

  if (!send_digest (task))
    {
      sd_run_report (st->run, SD_STEP_AUTH, SD_FINDING_AUTH_SCHEME_NOT_SUPPORTED, SD_SEVERITY_INFO,
                     _("The server's Digest challenge uses an algorithm or protection this tool "
                       "does not support."),
                     _("Clients need Digest with MD5, SHA-256 or SHA-512-256 and qop=auth; ask "
                       "the administrator which the server requires."));
      skip_unless_found (st, _("Not tried: the server asks only for sign-in methods this tool does not "
                               "perform."));
      done (task, "not-supported");
    }
}

static void
kerberos_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  GTask *task = user_data;
  AuthStep *st;
  GError *error = NULL;
  g_autoptr(SdKerberosTicket) ticket = sd_kerberos_check_finish (result, &error);
  JsonObject *kt;
  SdContext *ctx;

  if (g_task_return_error_if_cancelled (task))
    {
      g_clear_error (&error);
      g_object_unref (task);
      return;
    }
  st = g_task_get_task_data (task);
  ctx = sd_run_get_context (st->run);
  kt = json_object_new ();
  json_object_set_boolean_member (kt, "checked", ticket != NULL && ticket->checked);
  json_object_set_boolean_member (kt, "present", ticket != NULL && ticket->present);
  json_object_set_boolean_member (kt, "realm_matches", ticket != NULL && ticket->realm_matches);
  json_object_set_boolean_member (kt, "tgt", ticket != NULL && ticket->has_tgt);
  if (ticket != NULL && ticket->principal != NULL)
    json_object_set_string_member (kt, "principal", ticket->principal);
  else
    json_object_set_null_member (kt, "principal");
  if (ticket != NULL && ticket->cache != NULL)
    json_object_set_string_member (kt, "cache", ticket->cache);
  json_object_set_string_member (kt, "library", HAVE_KRB5 ? "MIT krb5 (krb5_cc_default, krb5_cc_get_principal)" : "none");
  json_object_set_object_member (data_of (st), "kerberos_ticket", kt);

  if (ticket != NULL && ticket->checked && !ticket->has_tgt)
    {
      const char *realm = ctx->sign_in->realm != NULL ? ctx->sign_in->realm : ctx->uri->host;
      g_autofree char *upper = g_ascii_strup (realm, -1);
      g_autofree char *domain_guess = NULL;
      g_autofree char *message = NULL;
      g_autofree char *other = ticket->principal != NULL
        ? g_strdup_printf (_(" (its Kerberos cache holds %s)"), ticket->principal) : g_strdup ("");
      g_autofree char *advice = NULL;

      {
        g_auto(GStrv) parts = g_strsplit (realm, ".", 2);
        domain_guess = g_ascii_strup (parts[0], -1);
      }
      message = g_strdup_printf (
        _("The sign-in name %s has the Kerberos form (user@domain), the server offers both Kerberos "
          "and NTLM, and this computer has no Kerberos ticket for %s%s. A Windows client then tries "
          "Kerberos, fails (as on a computer in a workgroup), and does not fall back to NTLM."),
        ctx->sign_in->given, upper, other);
      advice = g_strdup_printf (
        _("Sign in with the NTLM form of the name instead: DOMAIN\\user (for example %s\\%s, with "
          "your Windows domain's short name). Or join this computer to the domain."),
        domain_guess, ctx->sign_in->user);
      sd_run_report (st->run, SD_STEP_AUTH, SD_FINDING_AUTH_KERBEROS_STYLE_NAME, SD_SEVERITY_ERROR, message, advice);
    }
  g_clear_error (&error);
  try_digest (task);
}

/* --- the sign-in methods ------------------------------------------------ */

static gboolean
offers (AuthStep *st, const SdSignInMethod *m)
{
  if (m->id == SD_SIGN_IN_METHOD_DIGEST)
    return st->has_digest;
  return sd_sipae_find_offer (st->session, m->scheme) != NULL;
}

static JsonObject *
untried (const SdSignInMethod *m, const char *why)
{
  JsonObject *entry = json_object_new ();

  json_object_set_string_member (entry, "scheme", m->name);
  json_object_set_string_member (entry, "result", "not-tried");
  json_object_set_string_member (entry, "reason", why);
  return entry;
}

/* The field guide's workgroup trap, now from real results: Kerberos with
 * user@domain failed here while NTLM with the same password signed in. */
static void
report_workgroup_trap (AuthStep *st)
{
  SdContext *ctx = sd_run_get_context (st->run);
  g_autofree char *domain = NULL;
  g_autofree char *why = NULL;
  g_autofree char *message = NULL;
  g_autofree char *advice = NULL;
  g_autofree char *given = NULL;

  if (st->kerberos == NULL || st->ntlm == NULL || st->kerberos->outcome == SD_SIPAE_OUTCOME_OK
      || st->ntlm->outcome != SD_SIPAE_OUTCOME_OK || ctx->sign_in == NULL
      || !sd_sign_in_is_kerberos_style (ctx->sign_in))
    return;
  if (st->ntlm->server_domain != NULL && st->ntlm->server_domain[0] != '\0')
    domain = sd_text_escape (st->ntlm->server_domain, FALSE);
  else
    {
      g_auto(GStrv) parts = g_strsplit (ctx->sign_in->realm != NULL ? ctx->sign_in->realm : "", ".", 2);
      domain = g_ascii_strup (parts[0] != NULL ? parts[0] : "DOMAIN", -1);
    }
  why = st->kerberos->error != NULL ? sd_text_escape (st->kerberos->error->message, FALSE)
                                    : g_strdup_printf ("%u", st->kerberos->response != NULL
                                                             ? st->kerberos->response->status : 0);
  given = sd_text_escape (ctx->sign_in->given, FALSE);
  message = g_strdup_printf (
    _("Kerberos with %s failed here (%s), while NTLM with the same password signed in. A Windows "
      "client given a name of the form user@domain tries Kerberos first and does not fall back "
      "to NTLM, as on a computer outside the domain."), given, why);
  advice = g_strdup_printf (_("Sign in with the NTLM form of the name: %s\\%s (the server's Windows "
                              "domain). Or fix Kerberos as the other findings say."),
                            domain, ctx->sign_in->user);
  sd_run_report (st->run, SD_STEP_AUTH, SD_FINDING_AUTH_KERBEROS_STYLE_NAME, SD_SEVERITY_ERROR, message, advice);
}

static void
methods_done (GTask *task)
{
  AuthStep *st = g_task_get_task_data (task);
  SdContext *ctx = sd_run_get_context (st->run);
  const SdConfig *config = sd_run_get_config (st->run);
  const SdSignInMethod *digest = sd_sign_in_method_get (SD_SIGN_IN_METHOD_DIGEST);

  json_object_set_array_member (data_of (st), "methods", json_array_ref (st->methods));
  report_workgroup_trap (st);

  if (config->auth != SD_AUTH_AUTO)
    {
      guint n;
      const SdSignInMethod *all = sd_sign_in_methods (&n);
      for (guint i = 0; i < n; i++)
        if (sd_auth_choice_allows (config->auth, all[i].id) && !offers (st, &all[i]))
          {
            g_autofree char *message = g_strdup_printf (
              _("The server does not offer %s sign-in, the method asked for."), all[i].name);
            sd_run_report (st->run, SD_STEP_AUTH, SD_FINDING_AUTH_SCHEME_NOT_SUPPORTED, SD_SEVERITY_INFO,
                           message, _("Test the methods the server offers (--auth auto), or ask the "
                                      "administrator which one clients must use."));
          }
    }

  if (!sd_auth_choice_allows (config->auth, digest->id) || (st->any_tested && !st->has_digest))
    {
      if (!st->any_tested)
        skip_unless_found (st, _("Not tried: the server asks only for sign-in methods this tool does not "
                                 "perform."));
      done (task, !st->any_tested ? "not-attempted" : st->methods_result);
      return;
    }
  if (st->any_tested)
    {
      try_digest (task);
      return;
    }

  /* No credential was judged: explain the Windows schemes as before. */
  report_microsoft_schemes (st);
  if (st->has_kerberos && st->has_ntlm && ctx->sign_in != NULL && sd_sign_in_is_kerberos_style (ctx->sign_in))
    {
      const char *realm = ctx->sign_in->realm != NULL ? ctx->sign_in->realm : ctx->uri->host;
      sd_run_step_progress (st->run, SD_STEP_AUTH, _("Looking for a Kerberos ticket…"));
      sd_kerberos_check_async (realm, g_task_get_cancellable (task), kerberos_cb, task);
      return;
    }
  try_digest (task);
}

static void next_method (GTask *task);

static void
sipae_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  GTask *task = user_data;
  AuthStep *st = g_task_get_task_data (task);
  GError *error = NULL;
  SdSipaeResult *r = sd_sipae_sign_in_finish (result, &error);
  guint n;
  const SdSignInMethod *m = &sd_sign_in_methods (&n)[st->method_index];
  gboolean tested = FALSE;
  gboolean kerberos = m->id == SD_SIGN_IN_METHOD_KERBEROS;

  if (r == NULL)
    {
      /* Only a cancellation ends the exchange without a result. */
      g_task_return_error (task, error);
      g_object_unref (task);
      return;
    }
  json_array_add_object_element (st->methods,
                                 sd_sipae_report (st->run, m, st->session, r,
                                                  kerberos ? st->kerberos_user : st->ntlm_user, &tested));
  if (tested)
    {
      st->any_tested = TRUE;
      json_object_set_string_member (data_of (st), "scheme", m->name);
      json_object_set_string_member (data_of (st), "attempted", m->name);
      json_object_set_string_member (data_of (st), "username", kerberos ? st->kerberos_user : st->ntlm_user);
      if (r->outcome == SD_SIPAE_OUTCOME_OK)
        {
          st->methods_result = "ok";
          json_object_set_boolean_member (data_of (st), "unregistered", r->unregistered);
        }
      else if (st->methods_result == NULL)
        st->methods_result = "rejected";
    }
  if (kerberos)
    st->kerberos = r;
  else
    st->ntlm = r;
  st->method_index++;
  if (r->outcome == SD_SIPAE_OUTCOME_NO_RESPONSE)
    {
      json_object_set_array_member (data_of (st), "methods", json_array_ref (st->methods));
      done (task, "no-response");
      return;
    }
  next_method (task);
}

/* Each method the server offers and --auth allows, once, in the order a
 * Windows client tries them; Digest (the last) runs its own exchange. */
static void
next_method (GTask *task)
{
  AuthStep *st = g_task_get_task_data (task);
  SdContext *ctx = sd_run_get_context (st->run);
  const SdConfig *config = sd_run_get_config (st->run);
  gboolean password = config->password != NULL && config->password[0] != '\0';
  guint n;
  const SdSignInMethod *all = sd_sign_in_methods (&n);

  for (; st->method_index < n; st->method_index++)
    {
      const SdSignInMethod *m = &all[st->method_index];
      g_autoptr(GError) error = NULL;
      g_autofree char *user = NULL;
      g_autofree char *domain = NULL;
      SdSipaeInput input = { 0 };

      if (m->id == SD_SIGN_IN_METHOD_DIGEST)
        break;
      if (!sd_auth_choice_allows (config->auth, m->id) || !offers (st, m))
        continue;
      if (!m->can_perform (&error))
        {
          SdSipaeResult r = { .outcome = SD_SIPAE_OUTCOME_MECH_FAILED, .error = error, .targetname = (char *) "" };
          gboolean tested;
          json_array_add_object_element (st->methods, sd_sipae_report (st->run, m, st->session, &r, "", &tested));
          continue;
        }
      if (ctx->sign_in == NULL)
        continue;
      if (m->id == SD_SIGN_IN_METHOD_KERBEROS && ctx->sign_in->style == SD_SIGN_IN_NTLM)
        {
          /* DOMAIN\user names no realm: a Windows client in the domain
           * maps it; this computer cannot. */
          json_array_add_object_element (st->methods, untried (m, "ntlm-style-name"));
          continue;
        }
      if (m->id == SD_SIGN_IN_METHOD_NTLM && !password)
        {
          json_array_add_object_element (st->methods, untried (m, "no-password"));
          continue;
        }
      if (!may_send_credentials (st))
        {
          json_object_set_array_member (data_of (st), "methods", json_array_ref (st->methods));
          done (task, "not-attempted");
          return;
        }
      sd_sign_in_method_names (m->id, ctx->sign_in, &user, &domain);
      input.user = user;
      input.domain = domain;
      input.password = config->password;
      if (m->id == SD_SIGN_IN_METHOD_KERBEROS)
        {
          g_free (st->kerberos_user);
          st->kerberos_user = g_strdup (user);
        }
      else
        {
          g_free (st->ntlm_user);
          st->ntlm_user = domain != NULL && domain[0] != '\0' ? g_strdup_printf ("%s\\%s", domain, user)
                                                               : g_strdup (user);
        }
      {
        g_autofree char *progress = g_strdup_printf (_("Signing in with %s…"), m->name);
        sd_run_step_progress (st->run, SD_STEP_AUTH, progress);
      }
      sd_sipae_sign_in_async (st->session, m, &input, config->timeout_s * 1000,
                              g_task_get_cancellable (task), sipae_cb, task);
      return;
    }
  methods_done (task);
}

void
sd_step_auth_run_async (SdRun               *run,
                        GCancellable        *cancellable,
                        GAsyncReadyCallback  callback,
                        gpointer             user_data)
{
  GTask *task = g_task_new (run, cancellable, callback, user_data);
  SdContext *ctx = sd_run_get_context (run);
  const SdConfig *config = sd_run_get_config (run);
  JsonObject *data = sd_run_get_step_data (run, SD_STEP_AUTH);
  SdSipSession *s = ctx->sip_session;
  AuthStep *st;

  g_task_set_source_tag (task, sd_step_auth_run_async);

  json_object_set_boolean_member (data, "password_given", config->password != NULL && config->password[0] != '\0');
  json_object_set_null_member (data, "attempted");
  json_object_set_null_member (data, "algorithm");

  if (ctx->uri != NULL && g_ascii_strcasecmp (ctx->uri->scheme, "sips") == 0
      && ((config->transport != SD_TRANSPORT_AUTO && config->transport != SD_TRANSPORT_TLS)
          || ctx->sip_sips_not_tls))
    {
      /* The sip step sent nothing (uri.sips-needs-tls, sip.sips-not-tls);
       * say why here too. */
      json_object_set_string_member (data, "result", "not-attempted");
      sd_run_set_step_status (run, SD_STEP_AUTH, SD_STATUS_SKIP,
                              _("Not tried: a sips: address signs in only over TLS."));
      g_task_return_boolean (task, TRUE);
      g_object_unref (task);
      return;
    }

  if (s == NULL || !s->reached)
    {
      json_object_set_string_member (data, "result", "not-attempted");
      sd_run_set_step_status (run, SD_STEP_AUTH, SD_STATUS_SKIP,
                              s != NULL && s->redirect_refused
                                ? _("Not run: the server redirected the sign-in to a server that cannot be "
                                    "trusted with the password (see the SIP check).")
                                : _("Not run: the SIP check got no answer that asks for a sign-in."));
      g_task_return_boolean (task, TRUE);
      g_object_unref (task);
      return;
    }

  st = g_new0 (AuthStep, 1);
  st->run = run;
  st->session = s;
  st->username = g_strdup (ctx->sign_in != NULL ? ctx->sign_in->user : ctx->uri->user);
  g_task_set_task_data (task, st, (GDestroyNotify) auth_step_free);
  s->step = SD_STEP_AUTH;

  classify (st);
  check_clock (st);

  if (s->registered)
    {
      sd_run_report (run, SD_STEP_AUTH, SD_FINDING_AUTH_OK, SD_SEVERITY_INFO,
                     _("Signed in: the server accepted the registration without asking for credentials."),
                     _("Nothing to fix for signing in. Note that this server lets anyone register "
                       "this address; its administrator may want to require a password."));
      unregister (task, FALSE);
      return;
    }

  st->methods = json_array_new ();
  next_method (task);
}

gboolean
sd_step_auth_run_finish (SdRun         *run,
                         GAsyncResult  *result,
                         GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, run), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}
