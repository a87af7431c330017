/* fuzz-dns-wire.c: the DNS response parser on any bytes (what a DNS server,
 * or anyone spoofing one, can send), and the query builder on any name.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>
#include "sd-dns-wire.h"
#include "sd-dns-srv.h"
#include "sd-dns-naming.h"

int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);

/* Every string the parser hands out is valid UTF-8 (it reaches JSON). */
static void
assert_text (const char *s)
{
  if (s != NULL)
    g_assert_true (g_utf8_validate (s, -1, NULL));
}

int
LLVMFuzzerTestOneInput (const guint8 *data, size_t size)
{
  g_autoptr(SdDnsMessage) msg = sd_dns_message_parse (data, size, NULL);
  g_autofree char *name = NULL;
  g_autoptr(GBytes) query = NULL;

  if (msg != NULL)
    {
      g_autoptr(GRand) rand = g_rand_new_with_seed (size);
      g_autoptr(GPtrArray) ordered = sd_dns_srv_order (msg->answers, rand);
      guint n_srv = 0;

      assert_text (msg->qname);

      for (guint i = 0; i < msg->answers->len; i++)
        {
          const SdDnsRecord *rr = msg->answers->pdata[i];
          g_assert_nonnull (rr->name);
          g_assert_true (g_utf8_validate (rr->name, -1, NULL));
          g_assert_cmpuint (strlen (rr->name), <, SD_DNS_MAX_NAME_TEXT);
          assert_text (rr->target);
          assert_text (rr->flags);
          assert_text (rr->service);
          assert_text (rr->regexp);
          if (rr->type == SD_DNS_TYPE_SRV)
            {
              n_srv++;
              g_assert_nonnull (rr->target);
              sd_dns_strict_name_ok (rr->name, rr->target);
              sd_dns_name_in_domain (rr->name, rr->target);
            }
          if (rr->type == SD_DNS_TYPE_A || rr->type == SD_DNS_TYPE_AAAA)
            g_assert_nonnull (rr->address);
          if (rr->type == SD_DNS_TYPE_NAPTR)
            g_assert_true (rr->flags != NULL && rr->service != NULL && rr->regexp != NULL
                           && rr->target != NULL);
          {
            g_autoptr(SdDnsRecord) copy = sd_dns_record_copy (rr);
            g_assert_cmpstr (copy->name, ==, rr->name);
          }
        }
      /* Ordering keeps every SRV record, once, priorities non-decreasing. */
      g_assert_cmpuint (ordered->len, ==, n_srv);
      for (guint i = 1; i < ordered->len; i++)
        g_assert_cmpuint (((SdDnsRecord *) ordered->pdata[i - 1])->priority, <=,
                          ((SdDnsRecord *) ordered->pdata[i])->priority);
    }

  /* The same bytes as a name to ask for: what we build, we read back. */
  name = g_strndup ((const char *) data, MIN (size, 300));
  query = sd_dns_build_query (0x4242, name, SD_DNS_TYPE_SRV, NULL);
  if (query != NULL)
    {
      gsize len;
      const guint8 *q = g_bytes_get_data (query, &len);
      g_autoptr(SdDnsMessage) back = sd_dns_message_parse (q, len, NULL);

      g_assert_nonnull (back);
      g_assert_cmpuint (back->id, ==, 0x4242);
      g_assert_cmpuint (back->qtype, ==, SD_DNS_TYPE_SRV);
      if (strchr (name, '\\') == NULL)
        g_assert_true (sd_dns_name_equal (back->qname, name));
    }
  return 0;
}
