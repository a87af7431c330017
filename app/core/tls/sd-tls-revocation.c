/* sd-tls-revocation.c: revocation of the verified path, and the AIA
 * intermediate (see sd-tls-revocation.h).
 *
 * Every source of every certificate is asked at once, each fetch bounded
 * by the HTTP client's deadline, so the whole check takes at most one
 * timeout. A certificate's status is `revoked` when any verified source
 * says so, `good` when one says so and none says revoked, `unknown` when
 * no listed source gave a usable answer (what the Lync 2013 Windows Store
 * app refuses), `ldap-only` and `no-info` when nothing can be asked.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#define G_LOG_DOMAIN "sd-revocation"

#include <string.h>
#include <gnutls/gnutls.h>
#include <glib/gi18n-lib.h>
#include "sd-tls-revocation.h"
#include "sd-tls-revocation-parse.h"
#include "sd-finding-codes.h"

/* Sources asked per certificate and kind (the rest are listed, not asked). */
#define MAX_ASKED_PER_KIND 2

typedef enum { SOURCE_CRL, SOURCE_OCSP, SOURCE_STAPLED } SourceKind;

typedef struct {
  SourceKind          kind;
  char               *url;
  GBytes             *request;   /* OCSP */
  GBytes             *nonce;     /* OCSP */
  SdHttpRequest       http;
  SdHttpResponse     *response;
  SdRevocationAnswer  answer;
  gboolean            done;
  guint               cert;      /* index into Check.certs */
} Source;

typedef struct {
  SdCertInfo          *info;     /* borrowed from the input */
  gint                 chain_index;
  gnutls_x509_crt_t    issuer;   /* borrowed, or owned when @own_issuer */
  gboolean             own_issuer;
  char                *issuer_subject;
  SdRevocationPoints  *points;
} CertEntry;

typedef struct {
  GPtrArray   *certs;    /* CertEntry* */
  GPtrArray   *sources;  /* Source* */
  guint        pending;
  gboolean     cancelled;
  gint64       now;
} Check;

void
sd_revocation_result_free (SdRevocationResult *result)
{
  if (result == NULL)
    return;
  g_clear_pointer (&result->json, json_object_unref);
  g_clear_pointer (&result->problems, g_ptr_array_unref);
  g_free (result->check_message);
  g_free (result);
}

static SdRevocationResult *
result_new (void)
{
  SdRevocationResult *r = g_new0 (SdRevocationResult, 1);

  r->json = json_object_new ();
  r->problems = sd_tls_problems_new ();
  return r;
}

static void
source_free (Source *s)
{
  g_free (s->url);
  g_clear_pointer (&s->request, g_bytes_unref);
  g_clear_pointer (&s->nonce, g_bytes_unref);
  g_clear_pointer (&s->response, sd_http_response_free);
  sd_revocation_answer_clear (&s->answer);
  g_free (s);
}

static void
cert_entry_free (CertEntry *e)
{
  if (e->own_issuer && e->issuer != NULL)
    gnutls_x509_crt_deinit (e->issuer);
  g_free (e->issuer_subject);
  sd_revocation_points_free (e->points);
  g_free (e);
}

static void
check_free (Check *c)
{
  g_clear_pointer (&c->certs, g_ptr_array_unref);
  g_clear_pointer (&c->sources, g_ptr_array_unref);
  g_free (c);
}

static const char *
label (const SdCertInfo *info)
{
  return info->cn != NULL ? info->cn : info->subject;
}

/* The index of @info in the chain as sent, -1 when it came from elsewhere. */
static gint
chain_index_of (const SdRevocationInput *in, const SdCertInfo *info)
{
  for (guint i = 0; in->chain != NULL && i < in->chain->len; i++)
    if (in->chain->pdata[i] == info)
      return (gint) i;
  return -1;
}

/* The certificates to check (the path but a self-signed top) with their
 * issuers: the next of the path, else the trusted authority that issued
 * the top (found by the chain's verification: no second trust store). */
static GPtrArray *
collect (const SdRevocationInput *in)
{
  GPtrArray *certs = g_ptr_array_new_with_free_func ((GDestroyNotify) cert_entry_free);

  for (guint i = 0; in->path != NULL && i < in->path->len; i++)
    {
      SdCertInfo *info = in->path->pdata[i];
      CertEntry *e;

      if (info->self_signed)
        break;
      e = g_new0 (CertEntry, 1);
      e->info = info;
      e->chain_index = chain_index_of (in, info);
      e->points = sd_revocation_points_from_crt (info->crt);
      if (i + 1 < in->path->len)
        {
          SdCertInfo *up = in->path->pdata[i + 1];
          e->issuer = up->crt;
          e->issuer_subject = g_strdup (up->subject);
        }
      else if (in->anchor != NULL)
        {
          gnutls_datum_t d = { (unsigned char *) g_bytes_get_data (in->anchor, NULL),
                               (unsigned) g_bytes_get_size (in->anchor) };

          if (gnutls_x509_crt_init (&e->issuer) >= 0 && gnutls_x509_crt_import (e->issuer, &d, GNUTLS_X509_FMT_DER) >= 0)
            {
              gnutls_datum_t dn = { NULL, 0 };

              e->own_issuer = TRUE;
              if (gnutls_x509_crt_get_dn3 (e->issuer, &dn, 0) >= 0)
                {
                  g_autofree char *raw = g_strndup ((const char *) dn.data, dn.size);
                  e->issuer_subject = g_utf8_make_valid (raw, -1);
                  gnutls_free (dn.data);
                }
            }
          else if (e->issuer != NULL)
            {
              gnutls_x509_crt_deinit (e->issuer);
              e->issuer = NULL;
            }
        }
      g_ptr_array_add (certs, e);
    }
  return certs;
}

static JsonObject *
cert_json_base (const CertEntry *e)
{
  JsonObject *o = json_object_new ();

  if (e->chain_index >= 0)
    json_object_set_int_member (o, "index", e->chain_index);
  else
    json_object_set_null_member (o, "index");
  json_object_set_string_member (o, "subject", e->info->subject);
  json_object_set_string_member (o, "serial", e->info->serial);
  if (e->issuer_subject != NULL)
    json_object_set_string_member (o, "issuer", e->issuer_subject);
  else
    json_object_set_null_member (o, "issuer");
  json_object_set_array_member (o, "crl_urls", sd_json_strv_array (e->points->crl_http));
  json_object_set_array_member (o, "ldap_urls", sd_json_strv_array (e->points->crl_ldap));
  json_object_set_array_member (o, "other_urls", sd_json_strv_array (e->points->crl_other));
  json_object_set_array_member (o, "ocsp_urls", sd_json_strv_array (e->points->ocsp));
  json_object_set_array_member (o, "ca_issuers_urls", sd_json_strv_array (e->points->ca_issuers));
  return o;
}

/* Nothing to ask (both when revocation is off, and when the certificate
 * names nowhere): "ldap-only" or "no-info", else NULL. */
static const char *
nothing_to_ask (const CertEntry *e)
{
  if (!sd_revocation_points_none_fetchable (e->points))
    return NULL;
  return e->points->crl_ldap[0] != NULL ? "ldap-only" : "no-info";
}

SdRevocationResult *
sd_revocation_not_checked (const SdRevocationInput *input, const char *why)
{
  SdRevocationResult *r = result_new ();
  g_autoptr(GPtrArray) certs = collect (input);
  JsonArray *list = json_array_new ();

  json_object_set_boolean_member (r->json, "checked", FALSE);
  json_object_set_string_member (r->json, "note", why);
  json_object_set_int_member (r->json, "requests", 0);
  for (guint i = 0; i < certs->len; i++)
    {
      JsonObject *o = cert_json_base (certs->pdata[i]);

      json_object_set_string_member (o, "status", "not-checked");
      json_object_set_array_member (o, "sources", json_array_new ());
      json_object_set_null_member (o, "expires");
      json_array_add_object_element (list, o);
    }
  json_object_set_array_member (r->json, "certificates", list);
  r->check_result = "skip";
  r->check_message = g_strdup (why);
  return r;
}

static const char *
kind_name (SourceKind kind)
{
  switch (kind)
    {
    case SOURCE_CRL: return "crl";
    case SOURCE_OCSP: return "ocsp";
    case SOURCE_STAPLED: return "ocsp-stapled";
    }
  return "?";
}

/* An answer came (fetched with status 200, or stapled): its meaning is in
 * @answer. */
static gboolean
answered (const Source *s)
{
  if (s->kind == SOURCE_STAPLED)
    return TRUE;
  return s->response != NULL && s->response->error == NULL && s->response->status == 200;
}

static JsonObject *
source_json (const Source *s)
{
  JsonObject *o = json_object_new ();

  json_object_set_string_member (o, "kind", kind_name (s->kind));
  if (s->url != NULL)
    json_object_set_string_member (o, "url", s->url);
  else
    json_object_set_null_member (o, "url");
  if (!answered (s))
    {
      json_object_set_string_member (o, "result", "unreachable");
      if (s->response != NULL && s->response->error != NULL)
        json_object_set_string_member (o, "error", s->response->error->message);
      else if (s->response != NULL)
        {
          g_autofree char *e = g_strdup_printf (_("HTTP status %u %s"), s->response->status,
                                                s->response->reason != NULL ? s->response->reason : "");
          json_object_set_string_member (o, "error", g_strstrip (e));
        }
    }
  else
    {
      json_object_set_string_member (o, "result", sd_revocation_status_to_string (s->answer.status));
      if (s->answer.problem != NULL)
        json_object_set_string_member (o, "error", s->answer.problem);
      sd_json_set_time (o, "this_update", s->answer.this_update);
      sd_json_set_time (o, "next_update", s->answer.next_update);
      if (s->answer.status == SD_REVOCATION_REVOKED)
        {
          sd_json_set_time (o, "revoked_at", s->answer.revoked_at);
          if (s->answer.reason != NULL)
            json_object_set_string_member (o, "reason", s->answer.reason);
        }
      if (s->answer.signer != NULL)
        json_object_set_string_member (o, "signer", s->answer.signer);
    }
  if (s->response != NULL)
    json_object_set_object_member (o, "fetch", sd_http_response_to_json (&s->http, s->response));
  return o;
}

/* "CRL http://…: no answer within 5000 ms" */
static char *
source_failure (const Source *s)
{
  const char *kind = s->kind == SOURCE_CRL ? "CRL" : "OCSP";

  if (s->kind == SOURCE_STAPLED)
    return g_strdup_printf (_("the OCSP answer the server stapled: %s"),
                            s->answer.problem != NULL ? s->answer.problem : "?");
  if (s->response != NULL && s->response->error != NULL)
    return g_strdup_printf ("%s %s: %s", kind, s->url, s->response->error->message);
  if (s->response != NULL && s->response->status != 200)
    return g_strdup_printf (_("%s %s: HTTP status %u"), kind, s->url, s->response->status);
  return g_strdup_printf ("%s %s: %s", kind, s->url, s->answer.problem != NULL ? s->answer.problem : "?");
}

/* No certificate of the path names anything to ask. */
static gboolean
no_info_only (Check *c)
{
  for (guint i = 0; i < c->certs->len; i++)
    if (g_strcmp0 (nothing_to_ask (c->certs->pdata[i]), "no-info") != 0)
      return FALSE;
  return TRUE;
}

static SdRevocationResult *
conclude (Check *c)
{
  SdRevocationResult *r = result_new ();
  JsonArray *list = json_array_new ();
  g_autoptr(GString) unreachable = g_string_new (NULL);
  g_autoptr(GString) ldap_only = g_string_new (NULL);
  g_autoptr(GString) no_info = g_string_new (NULL);
  guint n_no_info = 0;
  guint n_requests = 0;

  for (guint i = 0; i < c->certs->len; i++)
    {
      CertEntry *e = c->certs->pdata[i];
      JsonObject *o = cert_json_base (e);
      JsonArray *sources = json_array_new ();
      const Source *revoked_by = NULL;
      gboolean good = FALSE;
      gint64 expires = G_MAXINT64;
      g_autoptr(GString) failures = g_string_new (NULL);
      const char *status;

      for (guint j = 0; j < c->sources->len; j++)
        {
          Source *s = c->sources->pdata[j];
          gboolean got = answered (s);

          if (s->cert != i)
            continue;
          if (s->response != NULL)
            n_requests += s->response->hops->len;
          json_array_add_object_element (sources, source_json (s));
          if (got && s->answer.status == SD_REVOCATION_REVOKED && revoked_by == NULL)
            revoked_by = s;
          else if (got && s->answer.status == SD_REVOCATION_GOOD)
            {
              good = TRUE;
              if (s->answer.next_update >= 0)
                expires = MIN (expires, s->answer.next_update);
            }
          else if (!got || s->answer.status == SD_REVOCATION_INVALID)
            {
              g_autofree char *f = source_failure (s);
              if (failures->len > 0)
                g_string_append (failures, "; ");
              g_string_append (failures, f);
            }
        }

      status = nothing_to_ask (e);
      if (revoked_by != NULL)
        {
          g_autofree char *when = revoked_by->answer.revoked_at >= 0
                                  ? sd_format_time_iso (revoked_by->answer.revoked_at) : g_strdup ("?");
          g_autofree char *msg = g_strdup_printf (
            _("The certificate “%s” (serial %s) is revoked: %s at %s says so (revoked at %s%s%s)."),
            label (e->info), e->info->serial, revoked_by->kind == SOURCE_CRL ? _("the revocation list")
            : revoked_by->kind == SOURCE_STAPLED ? _("the OCSP answer the server itself sends (stapled), from")
            : _("the OCSP responder"), revoked_by->url != NULL ? revoked_by->url : "?", when,
            revoked_by->answer.reason != NULL ? ", " : "",
            revoked_by->answer.reason != NULL ? revoked_by->answer.reason : "");

          status = "revoked";
          r->revoked = TRUE;
          sd_tls_problems_add (r->problems, SD_FINDING_TLS_REVOKED, SD_SEVERITY_ERROR, g_steal_pointer (&msg),
                               _("Clients that check revocation (every Windows client) refuse this server. The server "
                                 "needs a new certificate: ask its administrator to request one and install it. No "
                                 "credentials are sent to a server whose certificate is revoked."));
        }
      else if (good)
        status = "good";
      else if (status == NULL)
        {
          status = "unknown";
          if (unreachable->len > 0)
            g_string_append (unreachable, "; ");
          g_string_append_printf (unreachable, "“%s”: %s", label (e->info), failures->str);
        }
      else if (g_str_equal (status, "ldap-only"))
        {
          if (ldap_only->len > 0)
            g_string_append (ldap_only, "; ");
          g_string_append_printf (ldap_only, "“%s” (%s)", label (e->info), e->points->crl_ldap[0]);
        }
      else
        {
          if (no_info->len > 0)
            g_string_append (no_info, ", ");
          g_string_append_printf (no_info, "“%s”", label (e->info));
          n_no_info++;
        }
      json_object_set_string_member (o, "status", status);
      json_object_set_array_member (o, "sources", sources);
      sd_json_set_time (o, "expires", good && revoked_by == NULL && expires != G_MAXINT64 ? expires : -1);
      json_array_add_object_element (list, o);
    }

  if (unreachable->len > 0)
    sd_tls_problems_add (r->problems, SD_FINDING_TLS_REVOCATION_UNREACHABLE, SD_SEVERITY_WARNING,
                         g_strdup_printf (_("The revocation status could not be checked from here: %s."), unreachable->str),
                         _("The Lync 2013 app from the Windows Store refuses a server whose revocation it cannot check; "
                           "the desktop Lync and Skype for Business clients go on. Publish the CRL and the OCSP "
                           "responder named in the certificate where every client reaches them (over HTTP, from "
                           "outside the network too), or issue the certificate from an authority whose CRL is "
                           "published so."));
  if (ldap_only->len > 0)
    sd_tls_problems_add (r->problems, SD_FINDING_TLS_REVOCATION_LDAP_ONLY, SD_SEVERITY_WARNING,
                         g_strdup_printf (_("The revocation list is published over LDAP only: %s. Computers outside the "
                                            "Windows domain cannot read it."), ldap_only->str),
                         _("Add an HTTP CRL distribution point (and an OCSP responder) to the certificate authority's "
                           "extensions and issue the server a new certificate, so clients outside the domain can check "
                           "revocation."));
  if (no_info->len > 0)
    sd_tls_problems_add (r->problems, SD_FINDING_TLS_NO_REVOCATION_INFO, SD_SEVERITY_INFO,
                         g_strdup_printf (ngettext ("The certificate %s names no CRL distribution point and no OCSP "
                                                    "responder: clients cannot check whether it was revoked.",
                                                    "The certificates %s name no CRL distribution point and no OCSP "
                                                    "responder: clients cannot check whether they were revoked.",
                                                    n_no_info), no_info->str),
                         _("Nothing to do for clients. A certificate authority for servers usually names where its "
                           "revocation list is published; an internal one may be configured to."));

  if (r->revoked)
    {
      r->check_result = "fail";
      r->check_message = g_strdup (_("Revoked: a revocation list or OCSP responder named in the chain says so."));
    }
  else if (unreachable->len > 0 || ldap_only->len > 0)
    {
      r->check_result = "warn";
      r->check_message = g_strdup (_("Revocation could not be checked for every certificate from here (see the "
                                     "findings)."));
    }
  else if (no_info->len > 0 && no_info_only (c))
    {
      r->check_result = "skip";
      r->check_message = g_strdup (_("Not checked: the certificates name no revocation list and no OCSP "
                                     "responder."));
    }
  else
    {
      r->check_result = "pass";
      r->check_message = g_strdup (_("Not revoked: the revocation lists and OCSP responders named in the chain, "
                                     "asked now, say so."));
    }
  json_object_set_boolean_member (r->json, "checked", TRUE);
  json_object_set_int_member (r->json, "requests", n_requests);
  json_object_set_array_member (r->json, "certificates", list);
  return r;
}

typedef struct {
  GTask  *task;
  Source *source;
} Pending;

static void
fetched_cb (GObject      *object,
            GAsyncResult *res,
            gpointer      user_data)
{
  Pending *p = user_data;
  g_autoptr(GTask) task = p->task;
  Source *s = p->source;
  Check *c = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;

  g_free (p);
  s->response = sd_http_client_fetch_finish (SD_HTTP_CLIENT (object), res, &error);
  s->done = TRUE;
  if (s->response == NULL)
    c->cancelled = TRUE;
  else if (s->response->error == NULL && s->response->status == 200 && s->response->body != NULL)
    {
      CertEntry *e = c->certs->pdata[s->cert];
      gsize len = 0;
      const guint8 *data = g_bytes_get_data (s->response->body, &len);

      if (s->kind == SOURCE_CRL)
        sd_revocation_check_crl (data, len, e->info->crt, e->issuer, c->now, &s->answer);
      else
        sd_revocation_check_ocsp (data, len, e->info->crt, e->issuer, s->nonce, c->now, &s->answer);
    }

  if (--c->pending > 0)
    return;
  if (c->cancelled)
    g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_CANCELLED, "%s", _("Cancelled"));
  else
    g_task_return_pointer (task, conclude (c), (GDestroyNotify) sd_revocation_result_free);
}

void
sd_revocation_check_async (SdHttpClient            *client,
                           const SdRevocationInput *input,
                           GCancellable            *cancellable,
                           GAsyncReadyCallback      callback,
                           gpointer                 user_data)
{
  g_autoptr(GTask) task = g_task_new (NULL, cancellable, callback, user_data);
  Check *c = g_new0 (Check, 1);

  g_task_set_source_tag (task, sd_revocation_check_async);
  g_task_set_task_data (task, c, (GDestroyNotify) check_free);
  c->now = input->now;
  c->certs = collect (input);
  c->sources = g_ptr_array_new_with_free_func ((GDestroyNotify) source_free);

  for (guint i = 0; i < c->certs->len; i++)
    {
      CertEntry *e = c->certs->pdata[i];

      if (i == 0 && input->stapled != NULL)
        {
          Source *s = g_new0 (Source, 1);
          gsize len = 0;
          const guint8 *data = g_bytes_get_data (input->stapled, &len);

          s->kind = SOURCE_STAPLED;
          s->cert = i;
          s->done = TRUE;
          s->url = e->points->ocsp[0] != NULL ? g_strdup (e->points->ocsp[0]) : NULL;
          /* No nonce: the server asked its responder, not us. */
          sd_revocation_check_ocsp (data, len, e->info->crt, e->issuer, NULL, c->now, &s->answer);
          g_ptr_array_add (c->sources, s);
          /* A usable staple is the leaf's answer, as for Windows: nothing
           * more is fetched for it. */
          if (s->answer.status == SD_REVOCATION_GOOD || s->answer.status == SD_REVOCATION_REVOKED)
            continue;
        }
      for (guint j = 0; e->points->ocsp[j] != NULL && j < MAX_ASKED_PER_KIND; j++)
        {
          Source *s = g_new0 (Source, 1);

          s->kind = SOURCE_OCSP;
          s->cert = i;
          s->url = g_strdup (e->points->ocsp[j]);
          s->request = sd_revocation_ocsp_request (e->info->crt, e->issuer, &s->nonce);
          if (s->request == NULL)
            {
              /* No issuer, no request: the answer could not be checked anyway. */
              s->done = TRUE;
              s->answer.status = SD_REVOCATION_INVALID;
              s->answer.problem = g_strdup (_("No OCSP request can be made without the issuer's certificate."));
              s->answer.this_update = s->answer.next_update = s->answer.revoked_at = -1;
            }
          g_ptr_array_add (c->sources, s);
        }
      for (guint j = 0; e->points->crl_http[j] != NULL && j < MAX_ASKED_PER_KIND; j++)
        {
          Source *s = g_new0 (Source, 1);

          s->kind = SOURCE_CRL;
          s->cert = i;
          s->url = g_strdup (e->points->crl_http[j]);
          g_ptr_array_add (c->sources, s);
        }
    }

  for (guint i = 0; i < c->sources->len; i++)
    {
      Source *s = c->sources->pdata[i];
      Pending *p;

      if (s->done)
        continue;
      s->http.url = s->url;
      if (s->kind == SOURCE_OCSP)
        {
          s->http.method = "POST";
          s->http.content_type = "application/ocsp-request";
          s->http.accept = "application/ocsp-response";
          s->http.body = s->request;
          s->http.max_body = SD_REVOCATION_MAX_OCSP_BYTES;
        }
      else
        s->http.max_body = SD_REVOCATION_MAX_CRL_BYTES;
      p = g_new0 (Pending, 1);
      p->task = g_object_ref (task);
      p->source = s;
      c->pending++;
      sd_http_client_fetch_async (client, &s->http, cancellable, fetched_cb, p);
    }
  if (c->pending == 0)
    g_task_return_pointer (task, conclude (c), (GDestroyNotify) sd_revocation_result_free);
}

SdRevocationResult *
sd_revocation_check_finish (GAsyncResult  *result,
                            GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == sd_revocation_check_async, NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

gboolean
sd_revocation_chain_incomplete (GPtrArray *chain, SdTlsTrust *trust, const char *ca_file)
{
  g_autoptr(SdTlsTrust) own = NULL;
  gnutls_x509_trust_list_t tl = NULL;
  gnutls_x509_crt_t issuer = NULL;
  SdCertInfo *last;
  gboolean found;

  if (chain == NULL || chain->len == 0)
    return FALSE;
  last = chain->pdata[chain->len - 1];
  /* A chain that ends at a CA certificate is the usual one (its root in
   * the store): only a server certificate sent alone, or with unrelated
   * ones, needs the store asked. */
  if (last->self_signed || last->self_issued || last->is_ca)
    return FALSE;
  for (guint i = 0; i < chain->len; i++)
    if (chain->pdata[i] != last && sd_cert_info_issued_by (last, chain->pdata[i]))
      return FALSE;
  if (trust == NULL)
    trust = own = sd_tls_trust_load (ca_file);
  tl = sd_tls_trust_acquire_for (trust, &last->crt, 1);
  found = tl != NULL && gnutls_x509_trust_list_get_issuer (tl, last->crt, &issuer, GNUTLS_TL_GET_COPY) >= 0
          && issuer != NULL;
  if (issuer != NULL)
    gnutls_x509_crt_deinit (issuer);
  sd_tls_trust_release_list (trust, tl);
  return !found;
}

/* The AIA fetch. */

typedef struct {
  SdHttpRequest  http;
  char          *url;
  gnutls_x509_crt_t crt;   /* copy of the certificate whose issuer is fetched */
} AiaFetch;

static void
aia_free (AiaFetch *a)
{
  g_free (a->url);
  if (a->crt != NULL)
    gnutls_x509_crt_deinit (a->crt);
  g_free (a);
}

typedef struct {
  SdCertInfo *issuer;
  JsonObject *record;
} AiaResult;

static void
aia_result_free (AiaResult *r)
{
  g_clear_pointer (&r->issuer, sd_cert_info_free);
  g_clear_pointer (&r->record, json_object_unref);
  g_free (r);
}

static void
aia_fetched_cb (GObject      *object,
                GAsyncResult *res,
                gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  AiaFetch *a = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  g_autoptr(SdHttpResponse) response = sd_http_client_fetch_finish (SD_HTTP_CLIENT (object), res, &error);
  AiaResult *r;

  if (response == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  r = g_new0 (AiaResult, 1);
  r->record = json_object_new ();
  json_object_set_string_member (r->record, "url", a->url);
  if (response->error == NULL && response->status == 200 && response->body != NULL)
    {
      gsize len = 0;
      const guint8 *data = g_bytes_get_data (response->body, &len);
      g_autoptr(GBytes) der = sd_revocation_find_issuer (data, len, a->crt);

      if (der != NULL)
        r->issuer = sd_cert_info_new_from_der (g_bytes_get_data (der, NULL), g_bytes_get_size (der), NULL);
      if (r->issuer == NULL)
        json_object_set_string_member (r->record, "error",
                                       _("The answer holds no certificate that issued the server's."));
    }
  else if (response->error != NULL)
    json_object_set_string_member (r->record, "error", response->error->message);
  else
    {
      g_autofree char *e = g_strdup_printf (_("HTTP status %u"), response->status);
      json_object_set_string_member (r->record, "error", e);
    }
  json_object_set_boolean_member (r->record, "fetched", r->issuer != NULL);
  if (r->issuer != NULL)
    json_object_set_string_member (r->record, "subject", r->issuer->subject);
  json_object_set_object_member (r->record, "fetch", sd_http_response_to_json (&a->http, response));
  g_task_return_pointer (task, r, (GDestroyNotify) aia_result_free);
}

void
sd_revocation_fetch_issuer_async (SdHttpClient        *client,
                                  const SdCertInfo    *cert,
                                  GCancellable        *cancellable,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (NULL, cancellable, callback, user_data);
  g_autoptr(SdRevocationPoints) points = NULL;
  AiaFetch *a = g_new0 (AiaFetch, 1);
  gnutls_datum_t der = { (unsigned char *) g_bytes_get_data (cert->der, NULL), (unsigned) g_bytes_get_size (cert->der) };

  g_task_set_source_tag (task, sd_revocation_fetch_issuer_async);
  g_task_set_task_data (task, a, (GDestroyNotify) aia_free);
  points = sd_revocation_points_from_crt (cert->crt);
  if (gnutls_x509_crt_init (&a->crt) < 0 || gnutls_x509_crt_import (a->crt, &der, GNUTLS_X509_FMT_DER) < 0
      || points->ca_issuers[0] == NULL)
    {
      AiaResult *r = g_new0 (AiaResult, 1);

      r->record = json_object_new ();
      json_object_set_boolean_member (r->record, "fetched", FALSE);
      json_object_set_string_member (r->record, "error", _("The certificate names no caIssuers URL over HTTP."));
      g_task_return_pointer (task, r, (GDestroyNotify) aia_result_free);
      return;
    }
  a->url = g_strdup (points->ca_issuers[0]);
  a->http.url = a->url;
  a->http.max_body = SD_REVOCATION_MAX_AIA_BYTES;
  sd_http_client_fetch_async (client, &a->http, cancellable, aia_fetched_cb, g_steal_pointer (&task));
}

SdCertInfo *
sd_revocation_fetch_issuer_finish (GAsyncResult  *result,
                                   JsonObject   **record,
                                   GError       **error)
{
  AiaResult *r;
  SdCertInfo *issuer;

  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == sd_revocation_fetch_issuer_async, NULL);
  r = g_task_propagate_pointer (G_TASK (result), error);
  if (record != NULL)
    *record = NULL;
  if (r == NULL)
    return NULL;
  if (record != NULL)
    *record = g_steal_pointer (&r->record);
  issuer = g_steal_pointer (&r->issuer);
  aia_result_free (r);
  return issuer;
}
