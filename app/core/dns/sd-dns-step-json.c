/* sd-dns-step-json.c: the dns step's records, answers and candidates as
 * the report's data shows them (docs/report-data.md). Each list whose
 * length a zone decides is cut at MAX_LISTED, and says how much it left
 * out.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#define G_LOG_DOMAIN "sd-step-dns"

#include "sd-dns-step-private.h"

const char *
sd_dns_step_type_name (guint16 type)
{
  const char *s = sd_dns_type_to_string (type);
  return s != NULL ? s : "?";
}

JsonObject *
sd_dns_step_record_json (const SdDnsRecord *rr)
{
  JsonObject *o = json_object_new ();
  const char *t = sd_dns_type_to_string (rr->type);

  if (t != NULL)
    json_object_set_string_member (o, "type", t);
  else
    {
      g_autofree char *tt = g_strdup_printf ("TYPE%u", rr->type);
      json_object_set_string_member (o, "type", tt);
    }
  json_object_set_string_member (o, "name", rr->name);
  switch (rr->type)
    {
    case SD_DNS_TYPE_A:
    case SD_DNS_TYPE_AAAA:
      {
        g_autofree char *addr = g_inet_address_to_string (rr->address);
        json_object_set_string_member (o, "address", addr);
        break;
      }
    case SD_DNS_TYPE_CNAME:
      json_object_set_string_member (o, "target", rr->target);
      break;
    case SD_DNS_TYPE_SRV:
      json_object_set_int_member (o, "priority", rr->priority);
      json_object_set_int_member (o, "weight", rr->weight);
      json_object_set_int_member (o, "port", rr->port);
      json_object_set_string_member (o, "target", rr->target);
      break;
    case SD_DNS_TYPE_NAPTR:
      json_object_set_int_member (o, "order", rr->order);
      json_object_set_int_member (o, "preference", rr->preference);
      json_object_set_string_member (o, "flags", rr->flags);
      json_object_set_string_member (o, "service", rr->service);
      json_object_set_string_member (o, "regexp", rr->regexp);
      json_object_set_string_member (o, "replacement", rr->target);
      break;
    default:
      break;
    }
  json_object_set_int_member (o, "ttl", rr->ttl);
  return o;
}

JsonObject *
sd_dns_step_result_json (const SdDnsResult *r)
{
  JsonObject *o = json_object_new ();
  JsonArray *answers = json_array_new ();

  json_object_set_string_member (o, "name", r->name);
  json_object_set_string_member (o, "type", sd_dns_step_type_name (r->type));
  json_object_set_string_member (o, "server", r->server);
  json_object_set_string_member (o, "rcode", r->rcode);
  for (guint i = 0; i < r->answers->len && i < MAX_LISTED; i++)
    json_array_add_object_element (answers, sd_dns_step_record_json (r->answers->pdata[i]));
  json_object_set_array_member (o, "answers", answers);
  if (r->answers->len > MAX_LISTED)
    json_object_set_int_member (o, "answers_not_listed", r->answers->len - MAX_LISTED);
  json_object_set_double_member (o, "duration_ms", r->duration_ms);
  json_object_set_string_member (o, "protocol", r->used_tcp ? "tcp" : "udp");
  if (r->error != NULL)
    json_object_set_string_member (o, "error", r->error);
  return o;
}

JsonObject *
sd_dns_step_candidate_json (const SdCandidate *c)
{
  JsonObject *o = sd_candidate_to_json (c);

  json_object_set_string_member (o, "source", c->source);
  return o;
}
