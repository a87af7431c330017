/* sd-dns-step-rounds.c: the dns step's questions and their answers. A
 * question is asked once per step (the answers are kept by type and name);
 * all of a round are in flight at once, and the step moves on
 * (sd_dns_step_advance) when the last of them has come back. MAX_QUERIES
 * bounds what a zone can make the step ask, MAX_CNAME how far an alias
 * chain is followed.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#define G_LOG_DOMAIN "sd-step-dns"

#include <string.h>
#include <glib/gi18n-lib.h>
#include "sd-dns-srv.h"
#include "sd-dns-naming.h"
#include "sd-error.h"
#include "sd-dns-step-private.h"

static char *
result_key (guint16 type, const char *name)
{
  g_autofree char *lower = g_ascii_strdown (name, -1);
  gsize len = strlen (lower);

  if (len > 1 && lower[len - 1] == '.')
    lower[len - 1] = '\0';
  return g_strdup_printf ("%u %s", type, lower);
}

/* The result of a query, NULL when not asked yet or still running;
 * @asked says which. */
SdDnsResult *
sd_dns_step_lookup (DnsStep *step, guint16 type, const char *name, gboolean *asked)
{
  g_autofree char *key = result_key (type, name);
  gpointer value = NULL;
  gboolean found = g_hash_table_lookup_extended (step->results, key, NULL, &value);

  if (asked != NULL)
    *asked = found;
  return value;
}

void
sd_dns_step_return (DnsStep *step)
{
  GTask *task = step->task;

  step->task = NULL;
  if (step->cancelled)
    g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_CANCELLED, _("Cancelled"));
  else if (step->local_failure != NULL)
    g_task_return_new_error (task, SD_ERROR, SD_ERROR_INTERNAL, "%s", step->local_failure);
  else
    g_task_return_boolean (task, TRUE);
  g_object_unref (task);
}

static void
query_done_cb (GObject *source, GAsyncResult *res, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;
  SdDnsResult *r = sd_dns_resolver_query_finish (SD_DNS_RESOLVER (source), res, &error);
  DnsStep *step;
  JsonObject *data;
  g_autofree char *key = NULL;
  g_autofree char *msg = NULL;

  if (r == NULL)
    {
      /* Cancelled: touch nothing but the counter, and end once all are in. */
      step = g_task_get_task_data (task);
      step->cancelled = TRUE;
      if (--step->in_flight == 0)
        sd_dns_step_return (step);
      return;
    }

  step = g_task_get_task_data (task);
  key = result_key (r->type, r->name);
  g_hash_table_replace (step->results, g_strdup (key), r);
  g_ptr_array_add (step->order, r);

  data = sd_run_get_step_data (step->run, SD_STEP_DNS);
  json_array_add_object_element (json_object_get_array_member (data, "queries"), sd_dns_step_result_json (r));
  /* TRANSLATORS: progress: "_sip._tls.example.com SRV: NOERROR, 2 answers (1.2 ms)" */
  msg = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%s %s: %s, %u answer (%.1f ms)",
                                      "%s %s: %s, %u answers (%.1f ms)", r->answers->len),
                         r->name, sd_dns_step_type_name (r->type), r->rcode, r->answers->len, r->duration_ms);
  sd_run_step_progress (step->run, SD_STEP_DNS, msg);

  if (--step->in_flight == 0)
    {
      if (step->cancelled)
        sd_dns_step_return (step);
      else
        sd_dns_step_advance (step);
    }
}

/* FALSE when the question is not (and will not be) asked. */
gboolean
sd_dns_step_ask (DnsStep *step, guint16 type, const char *name)
{
  gboolean asked;

  sd_dns_step_lookup (step, type, name, &asked);
  if (asked)
    return TRUE;
  if (step->concluding || step->issued >= MAX_QUERIES)
    return FALSE;
  g_hash_table_insert (step->results, result_key (type, name), NULL);
  step->issued++;
  step->in_flight++;
  g_debug ("Asking %s %s", name, sd_dns_step_type_name (type));
  sd_dns_resolver_query_async (step->resolver, name, type,
                               step->config->timeout_s * 1000, step->cancellable,
                               query_done_cb, g_object_ref (step->task));
  return TRUE;
}

/* Follows CNAMEs inside one answer, from @name. */
const char *
sd_dns_step_follow_cname (const SdDnsResult *r, const char *name)
{
  const char *cur = name;

  for (guint depth = 0; depth < MAX_CNAME; depth++)
    {
      const char *next = NULL;
      for (guint i = 0; i < r->answers->len; i++)
        {
          const SdDnsRecord *rr = r->answers->pdata[i];
          if (rr->type == SD_DNS_TYPE_CNAME && sd_dns_name_equal (rr->name, cur))
            {
              next = rr->target;
              break;
            }
        }
      if (next == NULL)
        break;
      cur = next;
    }
  return cur;
}

/* The addresses of @host (A, then AAAA), asking what is missing. */
HostState
sd_dns_step_resolve_host (DnsStep *step, const char *host, GPtrArray *addresses)
{
  static const guint16 types[] = { SD_DNS_TYPE_A, SD_DNS_TYPE_AAAA };
  gboolean pending = FALSE, timeout = FALSE, server_error = FALSE, not_asked = FALSE;

  for (guint t = 0; t < G_N_ELEMENTS (types); t++)
    {
      const char *name = host;

      for (guint depth = 0; depth < MAX_CNAME; depth++)
        {
          gboolean asked;
          SdDnsResult *r = sd_dns_step_lookup (step, types[t], name, &asked);
          const char *end;
          gboolean found = FALSE;

          if (!asked && !sd_dns_step_ask (step, types[t], name))
            {
              not_asked = TRUE;
              break;
            }
          if (r == NULL)
            {
              pending = pending || step->in_flight > 0;
              break;
            }
          if (r->outcome == SD_DNS_OUTCOME_TIMEOUT)
            {
              timeout = TRUE;
              break;
            }
          if (!sd_dns_result_is_answer (r))
            {
              server_error = TRUE;
              break;
            }
          end = sd_dns_step_follow_cname (r, name);
          for (guint i = 0; i < r->answers->len; i++)
            {
              const SdDnsRecord *rr = r->answers->pdata[i];
              if (rr->type == types[t] && rr->address != NULL && sd_dns_name_equal (rr->name, end))
                {
                  if (addresses != NULL)
                    g_ptr_array_add (addresses, g_object_ref (rr->address));
                  found = TRUE;
                }
            }
          if (found || sd_dns_name_equal (end, name))
            break;
          /* The chain ends without an address: ask for its last name. */
          name = end;
        }
    }

  if (pending)
    return HOST_PENDING;
  if (addresses == NULL || addresses->len > 0)
    return HOST_RESOLVED;
  if (timeout)
    return HOST_TIMEOUT;
  if (server_error)
    return HOST_SERVER_ERROR;
  /* Not "no address": nobody asked. */
  if (not_asked)
    return HOST_NOT_ASKED;
  return HOST_NO_ADDRESS;
}

/* The SRV records of @r in the order a client tries them, at most
 * MAX_SRV_PER_NAME: drawn once per name, so the targets the step looks up
 * are exactly those it later lists. */
GPtrArray *
sd_dns_step_srv_ordered (DnsStep *step, SdDnsResult *r)
{
  g_autofree char *key = result_key (SD_DNS_TYPE_SRV, r->name);
  GPtrArray *ordered = g_hash_table_lookup (step->srv_orders, key);

  if (ordered == NULL)
    {
      ordered = sd_dns_srv_order_max (r->answers, step->rand, MAX_SRV_PER_NAME);
      g_hash_table_insert (step->srv_orders, g_steal_pointer (&key), ordered);
    }
  return ordered;
}
