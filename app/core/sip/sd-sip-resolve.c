/* sd-sip-resolve.c: the address of a host a SIP redirect names.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#define G_LOG_DOMAIN "sd-sip-resolve"

#include <glib/gi18n-lib.h>
#include "sd-sip-resolve.h"
#include "sd-dns-resolver.h"

/* The same client, checks and server choice as the dns step (an ID and
 * question check, A and AAAA, CNAME chains, TCP after a truncated answer). */
static void
lookup_host_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;
  g_autoptr(GPtrArray) addresses = sd_dns_resolver_lookup_host_finish (SD_DNS_RESOLVER (source), result, &error);

  if (addresses == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  /* IPv4 first, as the candidates of the dns step. */
  g_task_return_pointer (task, g_object_ref (addresses->pdata[0]), g_object_unref);
}

void
sd_sip_resolve_async (SdRun               *run,
                      const char          *host,
                      GCancellable        *cancellable,
                      GAsyncReadyCallback  callback,
                      gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (NULL, cancellable, callback, user_data);
  const SdConfig *config = sd_run_get_config (run);
  SdContext *ctx = sd_run_get_context (run);
  GInetAddress *literal = g_inet_address_new_from_string (host);

  g_task_set_source_tag (task, sd_sip_resolve_async);
  if (literal != NULL)
    {
      g_task_return_pointer (task, literal, g_object_unref);
      return;
    }
  for (guint i = 0; i < ctx->candidates->len; i++)
    {
      SdCandidate *c = ctx->candidates->pdata[i];
      if (c->address != NULL && g_ascii_strcasecmp (c->host, host) == 0)
        {
          g_task_return_pointer (task, g_object_ref (c->address), g_object_unref);
          return;
        }
    }

  if (ctx->dns_resolver == NULL)
    {
      /* The dns step did not run, so no DNS server was chosen to ask. */
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_NOT_INITIALIZED,
                               _("No DNS server to ask for %s: the DNS check did not run."), host);
      return;
    }
  sd_dns_resolver_lookup_host_async (ctx->dns_resolver, host, config->timeout_s * 1000, cancellable,
                                     lookup_host_cb, g_steal_pointer (&task));
}

GInetAddress *
sd_sip_resolve_finish (GAsyncResult  *result,
                       GError       **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}
