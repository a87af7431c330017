/* sd-context.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#define G_LOG_DOMAIN "sd-context"

#include "sd-context.h"
#include "sd-dns-resolver.h"
#include "sd-sip-session.h"
#include "sd-tls-trust.h"

SdContext *
sd_context_new (void)
{
  SdContext *self = g_new0 (SdContext, 1);

  self->candidates = g_ptr_array_new_with_free_func ((GDestroyNotify) sd_candidate_unref);
  self->reachable = g_ptr_array_new_with_free_func ((GDestroyNotify) sd_candidate_unref);
  return self;
}

void
sd_context_close_connections (SdContext *self)
{
  g_clear_pointer (&self->sip_session, sd_sip_session_free);
  g_clear_object (&self->tls_stream);
  g_clear_object (&self->connection);
  g_clear_object (&self->http_client);
}

void
sd_context_free (SdContext *self)
{
  if (self == NULL)
    return;
  sd_context_close_connections (self);
  g_clear_pointer (&self->selected, sd_candidate_unref);
  g_clear_pointer (&self->reachable, g_ptr_array_unref);
  g_clear_pointer (&self->candidates, g_ptr_array_unref);
  g_clear_pointer (&self->ms_diagnostics_seen, g_hash_table_unref);
  g_clear_object (&self->dns_resolver);
  g_clear_pointer (&self->trust_loader, sd_tls_trust_loader_unref);
  g_clear_pointer (&self->sign_in, sd_sign_in_free);
  g_clear_pointer (&self->uri, sd_sip_uri_free);
  g_free (self->domain);
  g_free (self);
}
