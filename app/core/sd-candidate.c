/* sd-candidate.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#define G_LOG_DOMAIN "sd-candidate"

#include <string.h>
#include <glib/gi18n-lib.h>
#include "sd-candidate.h"

G_DEFINE_BOXED_TYPE (SdCandidate, sd_candidate, sd_candidate_ref, sd_candidate_unref)

SdCandidate *
sd_candidate_new (const char   *host,
                  guint16       port,
                  SdTransport   transport,
                  GInetAddress *address,
                  const char   *source)
{
  SdCandidate *self;

  g_return_val_if_fail (host != NULL, NULL);
  g_return_val_if_fail (transport != SD_TRANSPORT_AUTO, NULL);

  self = g_new0 (SdCandidate, 1);
  g_ref_count_init (&self->ref_count);
  self->host = g_strdup (host);
  self->port = port;
  self->transport = transport;
  self->address = address != NULL ? g_object_ref (address) : NULL;
  self->source = g_strdup (source != NULL ? source : "");
  return self;
}

void
sd_candidate_set_srv (SdCandidate *self,
                      const char  *srv_name,
                      guint16      priority,
                      guint16      weight)
{
  g_return_if_fail (self != NULL);
  g_return_if_fail (srv_name != NULL);

  self->origin = SD_CANDIDATE_FROM_SRV;
  g_free (self->srv_name);
  self->srv_name = g_strdup (srv_name);
  self->srv_priority = priority;
  self->srv_weight = weight;
}

SdCandidate *
sd_candidate_ref (SdCandidate *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  g_ref_count_inc (&self->ref_count);
  return self;
}

void
sd_candidate_unref (SdCandidate *self)
{
  g_return_if_fail (self != NULL);
  if (!g_ref_count_dec (&self->ref_count))
    return;
  g_free (self->host);
  g_clear_object (&self->address);
  g_free (self->source);
  g_free (self->srv_name);
  g_free (self);
}

char *
sd_candidate_describe (const SdCandidate *self)
{
  g_autofree char *transport = g_ascii_strup (sd_transport_to_string (self->transport), -1);
  gboolean v6 = self->address != NULL
                && g_inet_address_get_family (self->address) == G_SOCKET_FAMILY_IPV6;

  if (self->address != NULL)
    {
      g_autofree char *addr = g_inet_address_to_string (self->address);
      if (g_strcmp0 (addr, self->host) == 0)
        return g_strdup_printf (v6 ? "[%s]:%u (%s)" : "%s:%u (%s)", addr, self->port, transport);
      /* TRANSLATORS: "sip.example.com:5061 (TLS) at 192.0.2.1" */
      return g_strdup_printf (_("%s:%u (%s) at %s"), self->host, self->port, transport, addr);
    }
  return g_strdup_printf ("%s:%u (%s)", self->host, self->port, transport);
}

JsonObject *
sd_candidate_to_json (const SdCandidate *self)
{
  JsonObject *o = json_object_new ();

  json_object_set_string_member (o, "host", self->host);
  json_object_set_int_member (o, "port", self->port);
  json_object_set_string_member (o, "transport", sd_transport_to_string (self->transport));
  if (self->address != NULL)
    {
      g_autofree char *addr = g_inet_address_to_string (self->address);
      json_object_set_string_member (o, "address", addr);
    }
  else
    json_object_set_null_member (o, "address");
  return o;
}

char *
sd_candidate_srv_record (const SdCandidate *self)
{
  gsize len;

  g_return_val_if_fail (self != NULL, NULL);
  if (self->origin != SD_CANDIDATE_FROM_SRV)
    return NULL;
  len = strlen (self->host);
  return g_strdup_printf ("%s SRV %u %u %u %s%s", self->srv_name, self->srv_priority, self->srv_weight,
                          self->port, self->host, len > 0 && self->host[len - 1] == '.' ? "" : ".");
}

char *
sd_candidate_srv_port_advice (const SdCandidate *self)
{
  g_autofree char *record = sd_candidate_srv_record (self);

  if (record == NULL)
    return NULL;
  /* The port is the zone's word, not the person's: the record is what to fix. */
  return g_strdup_printf (_("The port %u comes from the DNS record %s. If the SIP server listens on "
                            "another port (usually 5060 for UDP and TCP, 5061 for TLS), ask the DNS "
                            "administrator to correct that record; if %u is right, start the SIP "
                            "service on it."), self->port, record, self->port);
}
