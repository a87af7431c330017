/* sd-dns-plan.c: the SRV names a client asks for.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#define G_LOG_DOMAIN "sd-dns"

#include "sd-dns-plan.h"

static gboolean
naptr_service_transport (const SdDnsRecord *rr, SdTransport *transport)
{
  if (rr->type != SD_DNS_TYPE_NAPTR || rr->flags == NULL || g_ascii_strcasecmp (rr->flags, "s") != 0
      || rr->target == NULL || g_str_equal (rr->target, "."))
    return FALSE;
  if (g_ascii_strcasecmp (rr->service, "SIPS+D2T") == 0)
    *transport = SD_TRANSPORT_TLS;
  else if (g_ascii_strcasecmp (rr->service, "SIP+D2T") == 0)
    *transport = SD_TRANSPORT_TCP;
  else if (g_ascii_strcasecmp (rr->service, "SIP+D2U") == 0)
    *transport = SD_TRANSPORT_UDP;
  else
    return FALSE;
  return TRUE;
}

static gint
naptr_cmp (gconstpointer a, gconstpointer b)
{
  const SdDnsRecord *ra = *(SdDnsRecord * const *) a;
  const SdDnsRecord *rb = *(SdDnsRecord * const *) b;

  if (ra->order != rb->order)
    return ra->order < rb->order ? -1 : 1;
  if (ra->preference != rb->preference)
    return ra->preference < rb->preference ? -1 : 1;
  return 0;
}

void
sd_dns_plan_srv_names (const SdDnsProfile *profile,
                       const char         *domain,
                       GPtrArray          *naptr_answers,
                       gboolean            to_ask,
                       GPtrArray          *names,
                       GArray             *transports)
{
  if (profile->uses_naptr && naptr_answers != NULL)
    {
      g_autoptr(GPtrArray) sorted = g_ptr_array_new ();

      for (guint i = 0; i < naptr_answers->len; i++)
        {
          SdTransport t;
          if (naptr_service_transport (naptr_answers->pdata[i], &t))
            g_ptr_array_add (sorted, naptr_answers->pdata[i]);
        }
      g_ptr_array_sort (sorted, naptr_cmp);
      for (guint i = 0; i < sorted->len; i++)
        {
          const SdDnsRecord *rr = sorted->pdata[i];
          SdTransport t = SD_TRANSPORT_TCP;
          naptr_service_transport (rr, &t);
          g_ptr_array_add (names, g_strdup (rr->target));
          g_array_append_val (transports, t);
        }
    }

  if (names->len > 0 && !to_ask)
    return;
  /* The client's fixed list (after the NAPTR-chosen ones). */
  for (guint i = 0; i < profile->n_srv; i++)
    {
      g_ptr_array_add (names, sd_dns_profile_name (profile->srv[i].prefix, domain));
      g_array_append_val (transports, profile->srv[i].transport);
    }
}
