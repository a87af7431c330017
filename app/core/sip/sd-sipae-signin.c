/* sd-sipae-signin.c: the MS-SIPAE REGISTER exchange ([MS-SIPAE] 3.2, the
 * examples of 4.1 and 4.2) for a mechanism of sd-sign-in-method.h.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#define G_LOG_DOMAIN "sd-sipae-signin"

#include <string.h>
#include <glib/gi18n-lib.h>
#include "sd-sipae-signin.h"
#include "sd-sipae.h"
#include "sd-deadline.h"
#include "sd-random.h"
#include "sd-finding-codes.h"

/* Empty token, CHALLENGE, AUTHENTICATE (or AP-REQ, AP-REP, signed): no
 * exchange needs more requests than this. */
#define MAX_ROUNDS 4
/* A token larger than this is no Kerberos or NTLM token (MS-KILE allows
 * 64 KiB tickets, which do not fit a SIP header anyway). */
#define MAX_TOKEN_BASE64 (48 * 1024)

void
sd_sipae_result_free (SdSipaeResult *r)
{
  if (r == NULL)
    return;
  g_clear_error (&r->error);
  g_clear_pointer (&r->response, sd_sip_message_free);
  g_free (r->realm);
  g_free (r->targetname);
  g_free (r->token_sent);
  g_free (r->token_received);
  g_free (r->server_domain);
  g_free (r);
}

typedef struct {
  SdSipSession         *session;
  const SdSignInMethod *method;
  SdSipaeMech          *mech;
  SdSipaeResult        *result;
  guint                 timeout_ms;
  guint                 rounds;
  gboolean              complete;
  gboolean              unregistering;
  char                 *opaque;
  char                 *crand;
  guint32               cnum;
  GBytes               *token;      /* to send next, or NULL */
} SignIn;

static void
sign_in_free (SignIn *st)
{
  sd_sipae_mech_unref (st->mech);
  sd_sipae_result_free (st->result);
  g_free (st->opaque);
  g_free (st->crand);
  g_clear_pointer (&st->token, g_bytes_unref);
  g_free (st);
}

static void
finish (GTask *task, SdSipaeOutcome outcome, GError *error)
{
  SignIn *st = g_task_get_task_data (task);
  SdSipaeResult *r = g_steal_pointer (&st->result);

  st->session->authorize = NULL;
  st->session->authorize_data = NULL;
  st->session->unregister = FALSE;
  r->outcome = outcome;
  if (error != NULL)
    {
      g_clear_error (&r->error);
      r->error = error;
    }
  g_task_return_pointer (task, r, (GDestroyNotify) sd_sipae_result_free);
  g_object_unref (task);
}

const SdSipChallenge *
sd_sipae_find_offer (SdSipSession *s, const char *scheme)
{
  for (guint i = 0; s->offered != NULL && i < s->offered->len; i++)
    {
      SdSipOffered *o = s->offered->pdata[i];
      if (g_str_equal (o->header, "WWW-Authenticate")
          && g_ascii_strcasecmp (o->challenge->scheme, scheme) == 0
          && sd_sip_challenge_get (o->challenge, "gssapi-data") == NULL)
        return o->challenge;
    }
  return NULL;
}

/* The challenge of our scheme in @response that carries a token, or NULL. */
static const SdSipChallenge *
find_token (GPtrArray *challenges, const char *scheme)
{
  for (guint i = 0; challenges != NULL && i < challenges->len; i++)
    {
      SdSipChallenge *c = challenges->pdata[i];
      if (g_ascii_strcasecmp (c->scheme, scheme) == 0 && sd_sip_challenge_get (c, "gssapi-data") != NULL)
        return c;
    }
  return NULL;
}

static GPtrArray *
challenges_of (const SdSipMessage *response, const char *header)
{
  g_auto(GStrv) values = sd_sip_message_get_headers (response, header);
  GPtrArray *all = g_ptr_array_new_with_free_func ((GDestroyNotify) sd_sip_challenge_free);

  for (guint i = 0; values != NULL && values[i] != NULL; i++)
    {
      g_autoptr(GPtrArray) some = sd_sip_parse_challenges (values[i], NULL);
      for (guint j = 0; some != NULL && j < some->len; j++)
        g_ptr_array_add (all, g_ptr_array_steal_index (some, j--));
    }
  return all;
}

/* --- the mechanism's step, in a thread, bounded ------------------------- */

typedef struct {
  SdSipaeMech *mech;
  GBytes      *in;
  GBytes      *out;
  gboolean     complete;
} MechJob;

static void
mech_job_free (MechJob *job)
{
  sd_sipae_mech_unref (job->mech);
  g_clear_pointer (&job->in, g_bytes_unref);
  g_clear_pointer (&job->out, g_bytes_unref);
  g_free (job);
}

static void
mech_thread (GTask *task, gpointer source, gpointer data, GCancellable *cancellable)
{
  MechJob *job = data;
  GError *error = NULL;

  if (!job->mech->klass->step (job->mech, job->in, &job->out, &job->complete, &error))
    g_task_return_error (task, error);
  else
    g_task_return_boolean (task, TRUE);
}

static void after_step (GObject *source, GAsyncResult *result, gpointer user_data);

static void
run_step (GTask *task, GBytes *in)
{
  SignIn *st = g_task_get_task_data (task);
  g_autoptr(SdDeadline) deadline = sd_deadline_new (st->timeout_ms, g_task_get_cancellable (task));
  GTask *job_task = g_task_new (NULL, G_CANCELLABLE (deadline), after_step, task);
  MechJob *job = g_new0 (MechJob, 1);

  job->mech = sd_sipae_mech_ref (st->mech);
  job->in = in != NULL ? g_bytes_ref (in) : NULL;
  g_task_set_task_data (job_task, job, (GDestroyNotify) mech_job_free);
  g_object_set_data_full (G_OBJECT (job_task), "deadline", g_object_ref (deadline), g_object_unref);
  /* A KDC that never answers must not hold the run: on the deadline the
   * task returns at once and the thread's late result is dropped (the job
   * keeps its own reference to the mechanism). */
  g_task_set_return_on_cancel (job_task, TRUE);
  g_task_run_in_thread (job_task, mech_thread);
  g_object_unref (job_task);
}

static void send_register (GTask *task, gboolean sign);

static void
after_step (GObject *source, GAsyncResult *result, gpointer user_data)
{
  GTask *task = user_data;
  SignIn *st = g_task_get_task_data (task);
  SdDeadline *deadline = g_object_get_data (G_OBJECT (result), "deadline");
  MechJob *job = g_task_get_task_data (G_TASK (result));
  GError *error = NULL;

  if (!g_task_propagate_boolean (G_TASK (result), &error))
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) && !sd_deadline_expired (deadline))
        {
          g_task_return_error (task, error);
          g_object_unref (task);
          return;
        }
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          g_clear_error (&error);
          g_set_error (&error, SD_SIPAE_ERROR, SD_SIPAE_ERROR_NO_KDC,
                       _("The %s library got no answer within %u seconds (no KDC reachable?)."),
                       st->method->name, st->timeout_ms / 1000);
        }
      /* The one mechanism that fails here is the sign-in attempt: it never
       * reached the server, so no attempt is counted there. */
      finish (task, SD_SIPAE_OUTCOME_MECH_FAILED, error);
      return;
    }
  sd_deadline_stop (deadline);
  if (st->mech->server_domain != NULL && st->result->server_domain == NULL)
    st->result->server_domain = g_strdup (st->mech->server_domain);
  g_clear_pointer (&st->token, g_bytes_unref);
  st->token = g_steal_pointer (&job->out);
  st->complete = job->complete;
  send_register (task, st->complete);
}

/* --- the requests -------------------------------------------------------- */

static char *
base_credentials (SignIn *st, gboolean with_token)
{
  GString *out = g_string_new (st->method->scheme);
  SdSipaeResult *r = st->result;

  g_string_append (out, " qop=\"auth\"");
  if (st->opaque != NULL)
    g_string_append_printf (out, ", opaque=\"%s\"", st->opaque);
  g_string_append_printf (out, ", realm=\"%s\", targetname=\"%s\"", r->realm, r->targetname);
  if (with_token)
    {
      gsize length = 0;
      const guint8 *data = st->token != NULL ? g_bytes_get_data (st->token, &length) : NULL;
      g_autofree char *b64 = length > 0 ? g_base64_encode (data, length) : g_strdup ("");

      g_free (r->token_sent);
      r->token_sent = sd_sipae_shorten_token (b64);
      g_string_append_printf (out, ", gssapi-data=\"%s\"", b64);
      sd_secret_wipe (b64, strlen (b64));
    }
  g_string_append_printf (out, ", version=%u", r->version);
  return g_string_free (out, FALSE);
}

/* The session calls this with the request built: the signature covers its
 * Call-ID, CSeq, From, To and Expires exactly as they go out. */
static char *
authorize (const SdSipMessage *request, gpointer user_data)
{
  GTask *task = user_data;
  SignIn *st = g_task_get_task_data (task);
  SdSipaeResult *r = st->result;
  /* Holds the AUTHENTICATE, which can be attacked offline: wiped below. */
  char *base = base_credentials (st, st->token != NULL && !st->unregistering);
  g_autofree char *cnum = g_strdup_printf ("%u", ++st->cnum);
  g_autofree char *text = sd_sipae_sign_string (r->version, st->method->scheme, st->crand, cnum,
                                                r->realm, r->targetname, request);
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) mic = st->mech->klass->sign (st->mech, text, &error);
  g_autofree char *hex = NULL;
  gsize length = 0;
  char *out;

  if (mic == NULL)
    {
      g_warning ("%s signature failed: %s", st->method->name, error->message);
      return base;
    }
  hex = sd_sipae_hex (g_bytes_get_data (mic, &length), g_bytes_get_size (mic));
  out = g_strdup_printf ("%s, crand=\"%s\", cnum=\"%s\", response=\"%s\"", base, st->crand, cnum, hex);
  sd_secret_free (base);
  return out;
}

static void register_cb (GObject *source, GAsyncResult *result, gpointer user_data);

static void
send_register (GTask *task, gboolean sign)
{
  SignIn *st = g_task_get_task_data (task);
  g_autofree char *credentials = NULL;

  st->rounds++;
  if (sign)
    {
      st->session->authorize = authorize;
      st->session->authorize_data = task;
      if (!st->unregistering)
        st->result->attempts++;
    }
  else
    {
      st->session->authorize = NULL;
      credentials = base_credentials (st, TRUE);
    }
  sd_run_step_progress (st->session->run, st->session->step,
                        st->unregistering ? _("Removing the test registration…") : NULL);
  sd_sip_session_request_async (st->session, "REGISTER", credentials, NULL,
                                g_task_get_cancellable (task), register_cb, task);
  if (credentials != NULL)
    sd_secret_wipe (credentials, strlen (credentials));
}

static gboolean
check_rspauth (SignIn *st, const SdSipMessage *response, GError **error)
{
  g_autoptr(GPtrArray) infos = challenges_of (response, "Authentication-Info");
  SdSipaeResult *r = st->result;

  for (guint i = 0; i < infos->len; i++)
    {
      SdSipChallenge *c = infos->pdata[i];
      const char *rspauth = sd_sip_challenge_get (c, "rspauth");
      const char *srand = sd_sip_challenge_get (c, "srand");
      const char *snum = sd_sip_challenge_get (c, "snum");
      const char *opaque = sd_sip_challenge_get (c, "opaque");
      g_autofree guint8 *mic = NULL;
      g_autofree char *text = NULL;
      gsize length = 0;

      if (g_ascii_strcasecmp (c->scheme, st->method->scheme) != 0 || rspauth == NULL)
        continue;
      if (opaque != NULL && st->opaque == NULL)
        st->opaque = g_strdup (opaque);
      mic = sd_sipae_unhex (rspauth, 1024, &length);
      if (mic == NULL)
        break;
      text = sd_sipae_sign_string (r->version, c->scheme, srand, snum, r->realm, r->targetname, response);
      return st->mech->klass->verify (st->mech, text, mic, length, error);
    }
  g_set_error_literal (error, SD_SIPAE_ERROR, SD_SIPAE_ERROR_BAD_SIGNATURE,
                       _("The server's 200 OK carries no signature (rspauth) of this scheme."));
  return FALSE;
}

static void
register_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  GTask *task = user_data;
  SignIn *st = g_task_get_task_data (task);
  SdSipaeResult *r = st->result;
  GError *error = NULL;
  SdSipMessage *response = sd_sip_session_request_finish (st->session, result, &error);

  st->session->authorize = NULL;
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      st->session->unregister = FALSE;
      g_task_return_error (task, error);
      g_object_unref (task);
      return;
    }
  if (st->unregistering)
    {
      r->unregistered = response != NULL && response->status >= 200 && response->status < 300;
      g_clear_pointer (&response, sd_sip_message_free);
      g_clear_error (&error);
      finish (task, SD_SIPAE_OUTCOME_OK, NULL);
      return;
    }
  if (response == NULL)
    {
      /* A server that answered the first REGISTER but not the empty token
       * does not speak MS-SIPAE (a plain SIP server that only names the
       * schemes): nothing was tested, and the sip step already showed it
       * answers. */
      finish (task, r->attempts == 0 && !st->complete ? SD_SIPAE_OUTCOME_NOT_CONTINUED
                                                      : SD_SIPAE_OUTCOME_NO_RESPONSE, error);
      return;
    }
  g_clear_pointer (&r->response, sd_sip_message_free);
  r->response = response;

  if (response->status >= 200 && response->status < 300)
    {
      st->session->registered = TRUE;
      if (!check_rspauth (st, response, &error))
        {
          finish (task, SD_SIPAE_OUTCOME_BAD_RSPAUTH, error);
          return;
        }
      r->rspauth_verified = TRUE;
      /* Leave no registration behind that could take the person's calls:
       * remove it with a request signed in the same security association. */
      st->unregistering = TRUE;
      st->session->unregister = TRUE;
      send_register (task, TRUE);
      return;
    }

  if (response->status == 401 && st->rounds < MAX_ROUNDS)
    {
      g_autoptr(GPtrArray) offered = challenges_of (response, "WWW-Authenticate");
      const SdSipChallenge *c = find_token (offered, st->method->scheme);
      const char *b64 = c != NULL ? sd_sip_challenge_get (c, "gssapi-data") : NULL;
      const char *opaque = c != NULL ? sd_sip_challenge_get (c, "opaque") : NULL;

      /* A token for us: the NTLM CHALLENGE, or a Kerberos AP-REP. Only
       * while our context is not complete, so a server cannot make us
       * answer twice with the same password. */
      if (b64 != NULL && opaque != NULL && !st->complete && strlen (b64) <= MAX_TOKEN_BASE64)
        {
          gsize length = 0;
          g_autofree guchar *raw = g_base64_decode (b64, &length);
          g_autoptr(GBytes) in = g_bytes_new_take (g_steal_pointer (&raw), length);

          g_free (r->token_received);
          r->token_received = sd_sipae_shorten_token (b64);
          g_free (st->opaque);
          st->opaque = g_strdup (opaque);
          run_step (task, in);
          return;
        }
    }

  if (response->status == 401 && r->attempts == 0)
    {
      finish (task, SD_SIPAE_OUTCOME_NOT_CONTINUED, NULL);
      return;
    }
  if (response->status == 401 || response->status == 403)
    {
      finish (task, SD_SIPAE_OUTCOME_REJECTED, NULL);
      return;
    }
  finish (task, SD_SIPAE_OUTCOME_OTHER, NULL);
}

void
sd_sipae_sign_in_async (SdSipSession         *session,
                        const SdSignInMethod *method,
                        const SdSipaeInput   *input,
                        guint                 timeout_ms,
                        GCancellable         *cancellable,
                        GAsyncReadyCallback   callback,
                        gpointer              user_data)
{
  GTask *task = g_task_new (NULL, cancellable, callback, user_data);
  SignIn *st = g_new0 (SignIn, 1);
  const SdSipChallenge *offer = sd_sipae_find_offer (session, method->scheme);
  const char *version = offer != NULL ? sd_sip_challenge_get (offer, "version") : NULL;
  SdSipaeInput in = *input;

  g_task_set_source_tag (task, sd_sipae_sign_in_async);
  g_task_set_task_data (task, st, (GDestroyNotify) sign_in_free);
  st->session = session;
  st->method = method;
  st->timeout_ms = MAX (timeout_ms, 1000);
  st->result = g_new0 (SdSipaeResult, 1);
  st->crand = sd_random_hex (4);

  if (offer == NULL || method->new_mech == NULL)
    {
      finish (task, SD_SIPAE_OUTCOME_MECH_FAILED,
              g_error_new (SD_SIPAE_ERROR, SD_SIPAE_ERROR_MALFORMED,
                           _("The server offers no %s challenge to answer."), method->name));
      return;
    }
  st->result->realm = g_strdup (sd_sip_challenge_get (offer, "realm") != NULL
                                ? sd_sip_challenge_get (offer, "realm") : "");
  st->result->targetname = g_strdup (sd_sip_challenge_get (offer, "targetname") != NULL
                                     ? sd_sip_challenge_get (offer, "targetname") : "");
  /* Version 1 and 2 are OCS 2007's; 3 and 4 sign more fields. */
  st->result->version = version != NULL ? (guint) g_ascii_strtoull (version, NULL, 10) : 2;
  if (st->result->version == 0 || st->result->version > 4)
    st->result->version = 4;
  in.targetname = st->result->targetname;
  st->mech = method->new_mech (&in);
  run_step (task, NULL);
}

SdSipaeResult *
sd_sipae_sign_in_finish (GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

/* --- ms-diagnostics ------------------------------------------------------ */

void
sd_sipae_report_ms_diagnostics (SdRun *run, SdStepId step, const SdSipMessage *response)
{
  static const char * const headers[] = { "ms-diagnostics", "ms-diagnostics-public" };
  SdContext *ctx = sd_run_get_context (run);
  GHashTable *seen;

  if (ctx->ms_diagnostics_seen == NULL)
    ctx->ms_diagnostics_seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  seen = ctx->ms_diagnostics_seen;
  for (guint h = 0; h < G_N_ELEMENTS (headers); h++)
    {
      g_auto(GStrv) values = sd_sip_message_get_headers (response, headers[h]);

      /* Bounded by the message's header count (SD_SIP_MAX_HEADERS), and
       * each distinct diagnostic is reported once a run. */
      for (guint i = 0; values != NULL && values[i] != NULL && g_hash_table_size (seen) < 16; i++)
        {
          g_autoptr(SdMsDiagnostic) d = sd_ms_diagnostic_parse (values[i], NULL);
          g_autofree char *key = NULL;
          g_autofree char *reason = NULL;
          g_autofree char *source = NULL;
          g_autofree char *message = NULL;
          g_autofree char *advice = NULL;

          if (d == NULL)
            continue;
          key = g_strdup_printf ("%u;%s", d->code, d->reason != NULL ? d->reason : "");
          if (g_hash_table_contains (seen, key))
            continue;
          g_hash_table_add (seen, g_steal_pointer (&key));
          reason = sd_text_escape (d->reason != NULL ? d->reason : "", FALSE);
          source = d->source != NULL ? sd_text_escape (d->source, FALSE) : NULL;
          message = g_strdup_printf (
            /* TRANSLATORS: %u is the server's diagnostic code, then its reason, the server
             * that added it, the status, and the meaning in words. */
            _("The server's diagnostic code %u (\"%s\"%s%s, in a %u %s response): %s."),
            d->code, reason, source != NULL ? _(", from ") : "", source != NULL ? source : "",
            response->status, response->reason, sd_ms_diagnostic_meaning_text (d->meaning));
          switch (d->meaning)
            {
            case SD_MS_DIAG_NOT_ENABLED:
              advice = g_strdup (_("Ask the administrator to enable this account for Lync/Skype for "
                                   "Business (Enable-CsUser) and to check that the SIP address is the "
                                   "account's; replication can take a while after a change."));
              break;
            case SD_MS_DIAG_NOT_HOMED:
            case SD_MS_DIAG_DISABLED:
            case SD_MS_DIAG_CREDENTIALS:
              advice = g_strdup (_("Give the administrator this code and reason: the account itself "
                                   "needs a change on the server's side."));
              break;
            case SD_MS_DIAG_FEDERATION:
            case SD_MS_DIAG_HOP:
              advice = g_strdup (_("The failure lies beyond the server that answered; give the "
                                   "administrator this code and the server named in it."));
              break;
            case SD_MS_DIAG_GENERIC:
            case SD_MS_DIAG_OTHER:
            default:
              advice = g_strdup (_("Give the administrator this code and reason: Microsoft's servers "
                                   "log the same code, which names the cause."));
              break;
            }
          sd_run_report (run, step, SD_FINDING_SIP_MS_DIAGNOSTICS, sd_ms_diagnostic_severity (d->meaning),
                         message, advice);
        }
    }
}

/* --- findings ------------------------------------------------------------ */

static const char *
outcome_word (SdSipaeOutcome outcome)
{
  switch (outcome)
    {
    case SD_SIPAE_OUTCOME_OK: return "ok";
    case SD_SIPAE_OUTCOME_REJECTED: return "rejected";
    case SD_SIPAE_OUTCOME_MECH_FAILED: return "failed";
    case SD_SIPAE_OUTCOME_BAD_RSPAUTH: return "bad-rspauth";
    case SD_SIPAE_OUTCOME_NO_RESPONSE: return "no-response";
    case SD_SIPAE_OUTCOME_NOT_CONTINUED: return "not-continued";
    case SD_SIPAE_OUTCOME_OTHER:
    default: return "other";
    }
}

/* The host of a targetname: "sip/pool.example.com" → "pool.example.com". */
static const char *
target_host (const char *targetname)
{
  return g_str_has_prefix (targetname, "sip/") ? targetname + 4 : targetname;
}

static void
report_mech_failure (SdRun *run, const SdSignInMethod *m, SdSipSession *session,
                     const SdSipaeResult *r, const char *username)
{
  g_autofree char *why = sd_text_escape (r->error->message, FALSE);
  g_autofree char *user = sd_text_escape (username, FALSE);
  g_autofree char *host = sd_text_escape (target_host (r->targetname), FALSE);
  g_autofree char *message = NULL;
  g_autofree char *advice = NULL;
  const char *realm_at = strchr (username, '@');
  g_autofree char *realm = sd_text_escape (realm_at != NULL ? realm_at + 1 : _("the default realm"), FALSE);

  switch (g_error_matches (r->error, SD_SIPAE_ERROR, r->error->code) ? r->error->code : SD_SIPAE_ERROR_FAILED)
    {
    case SD_SIPAE_ERROR_NO_KDC:
      message = g_strdup_printf (_("Kerberos: no KDC (domain controller) for %s can be found or reached "
                                   "from this computer: %s."), realm, why);
      advice = g_strdup_printf (_("Connect to the company network or its VPN, then try again. From "
                                  "outside, Kerberos cannot work: sign in with the NTLM form of the "
                                  "name, DOMAIN\\user. If this computer is inside, ask the "
                                  "administrator to check the DNS records _kerberos._tcp.%s and "
                                  "_kerberos._udp.%s."), realm, realm);
      sd_run_report (run, SD_STEP_AUTH, SD_FINDING_AUTH_KERBEROS_NO_KDC, SD_SEVERITY_ERROR, message, advice);
      return;
    case SD_SIPAE_ERROR_SPN_MISSING:
      message = g_strdup_printf (_("Kerberos: the KDC does not know the server's principal sip/%s, so "
                                   "no client can get a ticket for it: %s."), host, why);
      advice = g_strdup_printf (_("The administrator registers the name on the account the pool's "
                                  "services run as, for example: setspn -S sip/%s DOMAIN\\account "
                                  "(the account of the Front End pool). Until then clients fall back "
                                  "to NTLM only if they are allowed to."), host);
      sd_run_report (run, SD_STEP_AUTH, SD_FINDING_AUTH_KERBEROS_SPN_MISSING, SD_SEVERITY_ERROR, message, advice);
      return;
    case SD_SIPAE_ERROR_CLOCK_SKEW:
      {
        g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
        g_autofree char *local = g_date_time_format_iso8601 (now);
        g_autofree char *server = session->date_header != NULL
          ? sd_text_escape (session->date_header, FALSE) : g_strdup (_("unknown"));
        message = g_strdup_printf (_("Kerberos: the KDC refused the request because the clocks differ "
                                     "too much (%s). The SIP server's clock says %s, this computer's %s."),
                                   why, server, local);
        sd_run_report (run, SD_STEP_AUTH, SD_FINDING_AUTH_CLOCK_SKEW, SD_SEVERITY_ERROR, message,
                       _("Set this computer's clock right (turn on automatic time), or ask the "
                         "administrator to fix the domain controllers' time. Kerberos allows 5 "
                         "minutes."));
        return;
      }
    case SD_SIPAE_ERROR_BAD_PASSWORD:
    case SD_SIPAE_ERROR_UNKNOWN_USER:
      message = g_strdup_printf (r->error->code == SD_SIPAE_ERROR_BAD_PASSWORD
                                   ? _("Kerberos: the KDC did not accept the password of %s: %s.")
                                   : _("Kerberos: the KDC does not know the user %s: %s."),
                                 user, why);
      sd_run_report (run, SD_STEP_AUTH, SD_FINDING_AUTH_REJECTED, SD_SEVERITY_ERROR, message,
                     _("Check the name and the password (mind Caps Lock and the keyboard layout). "
                       "This tool tried each sign-in method once only, so a wrong password cannot "
                       "lock the account."));
      return;
    case SD_SIPAE_ERROR_UNAVAILABLE:
      message = g_strdup_printf (_("%s sign-in cannot be done on this computer: %s"), m->name, why);
      sd_run_report (run, SD_STEP_AUTH,
                     m->id == SD_SIGN_IN_METHOD_NTLM ? SD_FINDING_AUTH_NTLM_UNAVAILABLE
                                                    : SD_FINDING_AUTH_KERBEROS_FAILED,
                     SD_SEVERITY_WARNING, message,
                     m->id == SD_SIGN_IN_METHOD_NTLM
                       ? _("Install a build of this tool made with nettle (the distribution's "
                           "package is), or test NTLM from a Windows computer.")
                       : _("Install a build of this tool made with MIT Kerberos (krb5), or test "
                           "Kerberos from a computer of the domain."));
      return;
    case SD_SIPAE_ERROR_NO_CREDENTIALS:
      /* Nothing was tested: no password and no ticket. The step says so. */
      return;
    case SD_SIPAE_ERROR_MALFORMED:
    case SD_SIPAE_ERROR_BAD_SIGNATURE:
    case SD_SIPAE_ERROR_FAILED:
    default:
      message = g_strdup_printf (_("%s sign-in failed on this computer before the server could judge "
                                   "it: %s."), m->name, why);
      sd_run_report (run, SD_STEP_AUTH,
                     m->id == SD_SIGN_IN_METHOD_KERBEROS ? SD_FINDING_AUTH_KERBEROS_FAILED
                                                        : SD_FINDING_SIP_MALFORMED_RESPONSE,
                     SD_SEVERITY_ERROR, message,
                     _("Give the administrator this message; with Kerberos, check that the "
                       "sign-in name's realm is the domain's (user@DOMAIN)."));
      return;
    }
}

JsonObject *
sd_sipae_report (SdRun                *run,
                 const SdSignInMethod *m,
                 SdSipSession         *session,
                 const SdSipaeResult  *r,
                 const char           *username,
                 gboolean             *tested)
{
  JsonObject *entry = json_object_new ();
  g_autofree char *user = sd_text_escape (username, FALSE);
  const char *via = sd_sip_connection_get_via_transport (session->connection);

  *tested = FALSE;
  json_object_set_string_member (entry, "scheme", m->name);
  json_object_set_string_member (entry, "result", outcome_word (r->outcome));
  json_object_set_string_member (entry, "username", username);
  json_object_set_int_member (entry, "version", r->version);
  json_object_set_string_member (entry, "targetname", r->targetname != NULL ? r->targetname : "");
  json_object_set_int_member (entry, "attempts", r->attempts);
  json_object_set_boolean_member (entry, "rspauth_verified", r->rspauth_verified);
  json_object_set_boolean_member (entry, "unregistered", r->unregistered);
  if (r->token_sent != NULL)
    json_object_set_string_member (entry, "gssapi_data_sent", r->token_sent);
  if (r->token_received != NULL)
    json_object_set_string_member (entry, "gssapi_data_received", r->token_received);
  if (r->server_domain != NULL)
    json_object_set_string_member (entry, "server_domain", r->server_domain);
  if (r->error != NULL)
    json_object_set_string_member (entry, "error", r->error->message);
  if (r->response != NULL)
    json_object_set_int_member (entry, "status", r->response->status);

  switch (r->outcome)
    {
    case SD_SIPAE_OUTCOME_OK:
      {
        g_autofree char *message = g_strdup_printf (
          _("Signed in: the server accepted %s with %s over %s, and its own signature (rspauth) "
            "proves it holds the same session key."), user, m->name, via);
        sd_run_report (run, SD_STEP_AUTH, SD_FINDING_AUTH_OK, SD_SEVERITY_INFO, message,
                       _("Nothing to fix for this method: this name and password sign in. If a "
                         "client still fails, compare its server, transport and sign-in name with "
                         "the ones used here."));
        *tested = TRUE;
        break;
      }
    case SD_SIPAE_OUTCOME_REJECTED:
      {
        g_autofree char *message = g_strdup_printf (
          _("The server did not accept the credentials of %s (%s): %u %s."), user, m->name,
          r->response->status, r->response->reason);
        sd_run_report (run, SD_STEP_AUTH, SD_FINDING_AUTH_REJECTED, SD_SEVERITY_ERROR, message,
                       m->id == SD_SIGN_IN_METHOD_NTLM
                         ? _("The user name, its domain or the password is wrong; the server does "
                             "not say which. Use DOMAIN\\user with the Windows domain's short name. "
                             "This tool tried each sign-in method once only, so a wrong password "
                             "cannot lock the account.")
                         : _("The server refused the ticket or its signature. Check the sign-in "
                             "name (user@DOMAIN) with the administrator. This tool tried each "
                             "sign-in method once only, so a wrong password cannot lock the "
                             "account."));
        *tested = TRUE;
        break;
      }
    case SD_SIPAE_OUTCOME_BAD_RSPAUTH:
      {
        g_autofree char *why = sd_text_escape (r->error->message, FALSE);
        g_autofree char *message = g_strdup_printf (
          _("The server accepted %s with %s, but its answer is not signed with the session key: %s"),
          user, m->name, why);
        sd_run_report (run, SD_STEP_AUTH, SD_FINDING_AUTH_RSPAUTH_INVALID, SD_SEVERITY_ERROR, message,
                       _("Something between this computer and the server answers in the server's "
                         "name, or the server is misconfigured: clients that check the signature "
                         "(all Microsoft clients) refuse this sign-in. Give the administrator this "
                         "report."));
        *tested = TRUE;
        break;
      }
    case SD_SIPAE_OUTCOME_MECH_FAILED:
      report_mech_failure (run, m, session, r, username);
      /* The KDC judged the password: that is a test of the credential. */
      *tested = g_error_matches (r->error, SD_SIPAE_ERROR, SD_SIPAE_ERROR_BAD_PASSWORD)
                || g_error_matches (r->error, SD_SIPAE_ERROR, SD_SIPAE_ERROR_UNKNOWN_USER);
      break;
    case SD_SIPAE_OUTCOME_NO_RESPONSE:
      sd_sip_report_error (run, SD_STEP_AUTH, "REGISTER", session, r->error);
      break;
    case SD_SIPAE_OUTCOME_OTHER:
      if (r->response != NULL && !sd_sip_report_status (run, SD_STEP_AUTH, r->response, session->aor))
        {
          g_autofree char *reason = sd_text_escape (r->response->reason, FALSE);
          g_autofree char *message = g_strdup_printf (
            _("The server answered the %s sign-in of %s with %u %s."), m->name, user,
            r->response->status, reason);
          sd_run_report (run, SD_STEP_AUTH, SD_FINDING_SIP_UNEXPECTED_RESPONSE, SD_SEVERITY_WARNING,
                         message, _("Give the administrator this status: the server neither "
                                    "accepted nor refused the credentials."));
        }
      break;
    case SD_SIPAE_OUTCOME_NOT_CONTINUED:
    default:
      break;
    }
  return entry;
}
