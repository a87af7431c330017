/* sd-dns-step-caps.c: what one zone can make the dns step keep, and the
 * record of what the bounds cut (data.left_out and one finding,
 * dns.too-many-records), so that the report never passes a cut list off
 * as the whole of what the zone holds.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#define G_LOG_DOMAIN "sd-step-dns"

#include <string.h>
#include <glib/gi18n-lib.h>
#include "sd-dns-step-private.h"

/* Two candidates are the same when transport, port, address and host name
 * (without case or final dot) are: the host stays part of it because the
 * certificate is checked against it. */
static char *
candidate_key (const char *host, guint16 port, SdTransport transport, GInetAddress *address)
{
  g_autofree char *lower = g_ascii_strdown (host, -1);
  g_autofree char *addr = address != NULL ? g_inet_address_to_string (address) : NULL;
  gsize len = strlen (lower);

  if (len > 0 && lower[len - 1] == '.')
    lower[len - 1] = '\0';
  return g_strdup_printf ("%d %u %s %s", (int) transport, port, addr != NULL ? addr : "-", lower);
}

/* Records one cut in data.left_out and in the finding's summary; the
 * entry is returned for the caller to fill. */
static JsonObject *
note_cut (DnsStep *step, const char *what, const char *name, guint found, guint kept, char *phrase)
{
  JsonObject *o = json_object_new ();

  json_object_set_string_member (o, "what", what);
  if (name != NULL)
    json_object_set_string_member (o, "name", name);
  json_object_set_int_member (o, "limit", kept);
  json_object_set_int_member (o, "found", found);
  json_object_set_int_member (o, "kept", kept);
  json_object_set_int_member (o, "left_out", found - kept);
  json_array_add_object_element (step->left_out, o);
  g_ptr_array_add (step->cut_summary, phrase);
  return o;
}

void
sd_dns_step_add_candidate (DnsStep *step, GPtrArray *out, const char *host, guint16 port, SdTransport transport,
               GInetAddress *address, const char *source)
{
  char *key;

  if (step->config->transport != SD_TRANSPORT_AUTO && step->config->transport != transport)
    {
      /* Kept for the finding: a zone that publishes another transport is
       * not a zone that publishes nothing. */
      g_autofree char *t = g_ascii_strup (sd_transport_to_string (transport), -1);
      g_autofree char *what = g_strdup_printf ("%s: %s → %s:%u", t, source, host, port);
      gboolean dup = FALSE;

      for (guint i = 0; i < step->filtered->len; i++)
        dup = dup || g_str_equal (step->filtered->pdata[i], what);
      if (!dup && step->filtered->len < MAX_LISTED)
        g_ptr_array_add (step->filtered, g_steal_pointer (&what));
      if (step->filtered_target == NULL)
        {
          step->filtered_target = g_strdup (host);
          step->filtered_transport = transport;
        }
      return;
    }
  key = candidate_key (host, port, transport, address);
  if (!g_hash_table_add (step->cand_keys, key))
    return;
  step->cand_found++;
  if (out->len >= MAX_CANDIDATES)
    {
      /* Counted and, up to MAX_LISTED, named in the report; the entry's
       * counts are brought up to date when the step concludes. */
      JsonArray *list;

      if (step->cands_cut == NULL)
        {
          step->cands_cut = json_object_new ();
          json_object_set_string_member (step->cands_cut, "what", "candidates");
          json_object_set_array_member (step->cands_cut, "candidates", json_array_new ());
          json_array_add_object_element (step->left_out, step->cands_cut);
        }
      list = json_object_get_array_member (step->cands_cut, "candidates");
      if (json_array_get_length (list) < MAX_LISTED)
        {
          g_autoptr(SdCandidate) c = sd_candidate_new (host, port, transport, address, source);
          JsonObject *o = sd_candidate_to_json (c);
          json_object_set_string_member (o, "source", source);
          json_array_add_object_element (list, o);
        }
      return;
    }
  g_ptr_array_add (out, sd_candidate_new (host, port, transport, address, source));
}

/* Keeps the first MAX_ADDR_PER_HOST addresses of @host (A before AAAA, in
 * the server's order), noting the cut once per host. */
void
sd_dns_step_cap_addresses (DnsStep *step, const char *host, GPtrArray *addresses)
{
  g_autofree char *key = NULL;
  JsonObject *o;
  JsonArray *list;

  if (addresses->len <= MAX_ADDR_PER_HOST)
    return;
  key = g_ascii_strdown (host, -1);
  if (g_hash_table_add (step->capped_hosts, g_steal_pointer (&key)))
    {
      /* TRANSLATORS: part of a list: "16 of the 250 addresses of sip.example.com" */
      o = note_cut (step, "addresses", host, addresses->len, MAX_ADDR_PER_HOST,
                    g_strdup_printf (_("%u of the %u addresses of %s"), MAX_ADDR_PER_HOST,
                                     addresses->len, host));
      list = json_array_new ();
      for (guint i = MAX_ADDR_PER_HOST; i < addresses->len && i - MAX_ADDR_PER_HOST < MAX_LISTED; i++)
        {
          g_autofree char *addr = g_inet_address_to_string (addresses->pdata[i]);
          json_array_add_string_element (list, addr);
        }
      json_object_set_array_member (o, "addresses", list);
    }
  g_ptr_array_set_size (addresses, MAX_ADDR_PER_HOST);
}

/* A host the step had no query left for: said as such, never as "no address". */
void
sd_dns_step_note_not_asked (DnsStep *step, const char *host)
{
  g_autofree char *key = g_strconcat ("?", host, NULL);
  char *lower = g_ascii_strdown (key, -1);
  JsonArray *list;

  if (!g_hash_table_add (step->capped_hosts, lower))
    return;
  if (step->lookups_cut == NULL)
    {
      step->lookups_cut = json_object_new ();
      json_object_set_string_member (step->lookups_cut, "what", "look-ups");
      json_object_set_int_member (step->lookups_cut, "limit", MAX_QUERIES);
      json_object_set_array_member (step->lookups_cut, "hosts", json_array_new ());
      json_array_add_object_element (step->left_out, step->lookups_cut);
    }
  step->not_asked_count++;
  list = json_object_get_array_member (step->lookups_cut, "hosts");
  if (json_array_get_length (list) < MAX_LISTED)
    json_array_add_string_element (list, host);
}

void
sd_dns_step_add_host_candidates (DnsStep *step, GPtrArray *out, const char *host, guint16 port,
                     SdTransport transport, GPtrArray *addresses, const char *source)
{
  for (guint i = 0; i < addresses->len; i++)
    sd_dns_step_add_candidate (step, out, host, port, transport, addresses->pdata[i], source);
}

/* Notes in data.left_out the SRV records of @name that the cap cut. */
void
sd_dns_step_note_srv_cut (DnsStep *step, const char *name, SdDnsResult *r, GPtrArray *ordered)
{
  guint n_srv = 0;
  JsonObject *o;
  JsonArray *list;

  for (guint k = 0; k < r->answers->len; k++)
    n_srv += ((SdDnsRecord *) r->answers->pdata[k])->type == SD_DNS_TYPE_SRV;
  if (n_srv <= ordered->len)
    return;
  /* TRANSLATORS: part of a list: "32 of the 60 SRV records of _sip._tls.example.com" */
  o = note_cut (step, "srv-records", name, n_srv, ordered->len,
                g_strdup_printf (_("%u of the %u SRV records of %s"), ordered->len, n_srv, name));
  list = json_array_new ();
  for (guint k = 0; k < r->answers->len && json_array_get_length (list) < MAX_LISTED; k++)
    {
      const SdDnsRecord *rr = r->answers->pdata[k];
      if (rr->type == SD_DNS_TYPE_SRV && !g_ptr_array_find (ordered, rr, NULL))
        json_array_add_object_element (list, sd_dns_step_record_json (rr));
    }
  json_object_set_array_member (o, "records", list);
}

/* One warning for everything the caps cut: a zone that names more servers
 * than any client would try is a fault of its own, and the report says the
 * list it shows is not the whole of what the zone holds. */
void
sd_dns_step_report_left_out (DnsStep *step, GPtrArray *out)
{
  g_autoptr(GString) what = g_string_new (NULL);
  SdDnsFacts f = sd_dns_step_facts (step, out->len > 0);
  const char *zone = step->mode == MODE_AUTO ? step->domain : step->host;

  if (step->cands_cut != NULL)
    {
      JsonObject *o = step->cands_cut;

      json_object_set_int_member (o, "limit", MAX_CANDIDATES);
      json_object_set_int_member (o, "found", step->cand_found);
      json_object_set_int_member (o, "kept", out->len);
      json_object_set_int_member (o, "left_out", step->cand_found - out->len);
      /* The whole picture first: the message shows only the first few cuts. */
      /* TRANSLATORS: part of a list: "64 of the 1000 servers to try (address, port and transport)" */
      g_ptr_array_insert (step->cut_summary, 0,
                          g_strdup_printf (_("%u of the %u servers to try (address, port and transport)"),
                                           out->len, step->cand_found));
    }
  if (step->lookups_cut != NULL)
    {
      json_object_set_int_member (step->lookups_cut, "left_out", step->not_asked_count);
      g_ptr_array_insert (step->cut_summary, step->cands_cut != NULL ? 1 : 0,
                          g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                                        "%u host not looked up (the check asks at most %u questions)",
                                                        "%u hosts not looked up (the check asks at most %u questions)",
                                                        step->not_asked_count),
                                           step->not_asked_count, MAX_QUERIES));
    }
  if (step->cut_summary->len == 0)
    return;

  /* The message names the first few cuts; data.left_out has them all. */
  for (guint i = 0; i < step->cut_summary->len && i < 4; i++)
    {
      if (i > 0)
        g_string_append (what, "; ");
      g_string_append (what, step->cut_summary->pdata[i]);
    }
  if (step->cut_summary->len > 4)
    {
      guint more = step->cut_summary->len - 4;
      g_string_append (what, "; ");
      g_string_append_printf (what, g_dngettext (GETTEXT_PACKAGE, "and %u more cut", "and %u more cuts", more),
                              more);
    }
  f.name = zone;
  f.list = what->str;
  sd_dns_step_report (step, SD_DNS_FINDING_TOO_MANY_RECORDS, &f);
}
