/* sd-dns-srv.c: RFC 2782 ordering of SRV records.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#define G_LOG_DOMAIN "sd-dns"

#include "sd-dns-srv.h"

static gint
by_priority (gconstpointer a, gconstpointer b)
{
  const SdDnsRecord *ra = *(SdDnsRecord * const *) a;
  const SdDnsRecord *rb = *(SdDnsRecord * const *) b;

  if (ra->priority != rb->priority)
    return ra->priority < rb->priority ? -1 : 1;
  /* "all those with weight 0 are placed at the beginning of the list" */
  if ((ra->weight == 0) != (rb->weight == 0))
    return ra->weight == 0 ? -1 : 1;
  return 0;
}

gboolean
sd_dns_srv_is_unavailable (const SdDnsRecord *record)
{
  return record->type == SD_DNS_TYPE_SRV
         && (record->target == NULL || g_str_equal (record->target, "."));
}

GPtrArray *
sd_dns_srv_order (GPtrArray *records, GRand *rand)
{
  return sd_dns_srv_order_max (records, rand, G_MAXUINT);
}

GPtrArray *
sd_dns_srv_order_max (GPtrArray *records, GRand *rand, guint max)
{
  g_autoptr(GPtrArray) srv = g_ptr_array_new ();
  GPtrArray *out = g_ptr_array_new ();
  guint i = 0;

  for (guint k = 0; records != NULL && k < records->len; k++)
    {
      SdDnsRecord *rr = records->pdata[k];
      if (rr->type == SD_DNS_TYPE_SRV)
        g_ptr_array_add (srv, rr);
    }
  /* g_ptr_array_sort is stable (since GLib 2.32), so equal records keep the server's order before the draw. */
  g_ptr_array_sort (srv, by_priority);

  while (i < srv->len && out->len < max)
    {
      guint16 prio = ((SdDnsRecord *) srv->pdata[i])->priority;
      guint end = i;
      g_autoptr(GPtrArray) group = g_ptr_array_new ();

      while (end < srv->len && ((SdDnsRecord *) srv->pdata[end])->priority == prio)
        g_ptr_array_add (group, srv->pdata[end++]);

      /* Stopping once @max are drawn keeps the first picks exactly those of a
       * full ordering, and a group of thousands costs @max passes, not n. */
      while (group->len > 0 && out->len < max)
        {
          guint64 total = 0, pick, sum = 0;
          guint chosen = group->len - 1;

          for (guint k = 0; k < group->len; k++)
            total += ((SdDnsRecord *) group->pdata[k])->weight;
          /* A uniform number in [0, total], inclusive. */
          if (total == 0)
            pick = 0;
          else if (rand != NULL)
            pick = (guint64) g_rand_double_range (rand, 0, (double) total + 1);
          else
            pick = (guint64) g_random_double_range (0, (double) total + 1);
          pick = MIN (pick, total);
          for (guint k = 0; k < group->len; k++)
            {
              sum += ((SdDnsRecord *) group->pdata[k])->weight;
              if (sum >= pick)
                {
                  chosen = k;
                  break;
                }
            }
          g_ptr_array_add (out, group->pdata[chosen]);
          g_ptr_array_remove_index (group, chosen);  /* keeps the order: weight 0 stays first */
        }
      i = end;
    }
  return out;
}
