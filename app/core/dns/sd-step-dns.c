/* sd-step-dns.c: the `dns` step: the look-ups a client makes, and the
 * servers it would then try, in order.
 *
 * Every query of a round is sent at once; when all of a round have come
 * back, the step looks at what it knows and asks what is still missing
 * (SRV targets' addresses, the end of a CNAME chain, an SRV name a NAPTR
 * record points to). So the step costs a round trip per level of
 * indirection, not one per query. When nothing is missing, it builds the
 * candidate list and the findings.
 *
 * This file is the step's glue: the rounds, the caps, the report's data.
 * What each client looks up is in sd-dns-profiles.c (one row per client),
 * the order of its SRV names in sd-dns-plan.c, the words of the findings
 * in sd-dns-findings.c, the questions themselves in sd-dns-resolver.c.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#define G_LOG_DOMAIN "sd-step-dns"

#include <string.h>
#include <glib/gi18n-lib.h>
#include "sd-steps.h"
#include "sd-dns-resolver.h"
#include "sd-dns-srv.h"
#include "sd-dns-naming.h"
#include "sd-dns-profiles.h"
#include "sd-dns-plan.h"
#include "sd-dns-findings.h"
#include "sd-step-dns-testing.h"
#include "sd-error.h"

#define MAX_QUERIES   96   /* a hostile zone cannot make us ask forever */
#define MAX_CNAME      8

/* What one zone can make the step produce. A real deployment publishes a
 * few SRV records per service (a pool, a backup site), a few addresses per
 * host, so a client has at most a dozen or two servers to try, and real
 * clients give up long before that. These bounds are several times what any
 * real zone needs, so they never cut a real one, while a hostile or broken
 * zone (thousands of records) still gives a short run and a small report:
 * 64 candidates are 64 connections at most, and MAX_LISTED bounds every list
 * of the report whose length the zone decides. */
#define MAX_SRV_PER_NAME   32
#define MAX_ADDR_PER_HOST  16
#define MAX_CANDIDATES     64
#define MAX_LISTED         32

typedef enum {
  MODE_AUTO,
  MODE_EXPLICIT,
  MODE_IP_LITERAL,
} Mode;

typedef struct {
  SdRun          *run;
  GTask          *task;
  GCancellable   *cancellable;
  SdDnsResolver  *resolver;
  const SdConfig *config;
  const SdDnsProfile *profile;  /* the client's look-up plan */
  Mode            mode;
  char           *domain;
  char           *host;         /* explicit server or IP literal */
  guint16         port;
  GHashTable     *results;      /* "TYPE name" -> SdDnsResult* (NULL while asked) */
  GPtrArray      *order;        /* SdDnsResult* in the order they came back (borrowed) */
  guint           in_flight;
  guint           issued;
  gboolean        cancelled;
  gboolean        concluding;   /* no new query once the answers are being read */
  GRand          *rand;         /* NULL: the global generator */
  GHashTable     *srv_orders;   /* SRV result key -> GPtrArray: its RFC 2782 order, capped, drawn once */
  GHashTable     *cand_keys;    /* candidate_key () of every candidate found, to drop duplicates */
  guint           cand_found;   /* distinct candidates found, kept or not */
  JsonArray      *left_out;     /* data.left_out: what the caps cut (owned by the data) */
  GPtrArray      *cut_summary;  /* one phrase per cut, for the finding */
  GHashTable     *capped_hosts; /* hosts whose addresses were already cut, or left unasked */
  JsonObject     *cands_cut;       /* data.left_out's candidates entry (borrowed), NULL until one is cut */
  JsonObject     *lookups_cut;     /* its look-ups entry (borrowed), NULL until a host goes unasked */
  guint           not_asked_count;
  char           *local_failure; /* set when this computer could not ask: the step fails internally */
  GPtrArray      *filtered;     /* "TCP: SRV _sip._tcp.example.com → host:port": what --transport left out */
  char           *filtered_target; /* the first host left out: the target of the record to add */
  SdTransport     filtered_transport; /* the first transport left out: the one to test with instead */
} DnsStep;

typedef enum {
  HOST_PENDING,
  HOST_RESOLVED,
  HOST_NO_ADDRESS,
  HOST_TIMEOUT,
  HOST_SERVER_ERROR,
  HOST_NOT_ASKED,     /* the step's query budget was spent before this host */
} HostState;

static void advance (DnsStep *step);

/* Set only by tests (sd-step-dns-testing.h): a reproducible SRV draw. */
static gboolean srv_seed_set;
static guint32  srv_seed;

void
sd_step_dns_set_srv_seed_for_testing (guint32 seed)
{
  srv_seed = seed;
  srv_seed_set = TRUE;
}

static void
dns_step_free (DnsStep *step)
{
  g_clear_object (&step->resolver);
  g_clear_object (&step->cancellable);
  g_free (step->domain);
  g_free (step->host);
  g_clear_pointer (&step->results, g_hash_table_unref);
  g_clear_pointer (&step->order, g_ptr_array_unref);
  g_clear_pointer (&step->rand, g_rand_free);
  g_clear_pointer (&step->srv_orders, g_hash_table_unref);
  g_clear_pointer (&step->cand_keys, g_hash_table_unref);
  g_clear_pointer (&step->cut_summary, g_ptr_array_unref);
  g_clear_pointer (&step->capped_hosts, g_hash_table_unref);
  g_free (step->local_failure);
  g_clear_pointer (&step->filtered, g_ptr_array_unref);
  g_free (step->filtered_target);
  g_free (step);
}

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
static SdDnsResult *
lookup (DnsStep *step, guint16 type, const char *name, gboolean *asked)
{
  g_autofree char *key = result_key (type, name);
  gpointer value = NULL;
  gboolean found = g_hash_table_lookup_extended (step->results, key, NULL, &value);

  if (asked != NULL)
    *asked = found;
  return value;
}

static const char *
type_name (guint16 type)
{
  const char *s = sd_dns_type_to_string (type);
  return s != NULL ? s : "?";
}

static JsonObject *
record_to_json (const SdDnsRecord *rr)
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

static JsonObject *
result_to_json (const SdDnsResult *r)
{
  JsonObject *o = json_object_new ();
  JsonArray *answers = json_array_new ();

  json_object_set_string_member (o, "name", r->name);
  json_object_set_string_member (o, "type", type_name (r->type));
  json_object_set_string_member (o, "server", r->server);
  json_object_set_string_member (o, "rcode", r->rcode);
  for (guint i = 0; i < r->answers->len && i < MAX_LISTED; i++)
    json_array_add_object_element (answers, record_to_json (r->answers->pdata[i]));
  json_object_set_array_member (o, "answers", answers);
  if (r->answers->len > MAX_LISTED)
    json_object_set_int_member (o, "answers_not_listed", r->answers->len - MAX_LISTED);
  json_object_set_double_member (o, "duration_ms", r->duration_ms);
  json_object_set_string_member (o, "protocol", r->used_tcp ? "tcp" : "udp");
  if (r->error != NULL)
    json_object_set_string_member (o, "error", r->error);
  return o;
}

static void
return_from_step (DnsStep *step)
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
        return_from_step (step);
      return;
    }

  step = g_task_get_task_data (task);
  key = result_key (r->type, r->name);
  g_hash_table_replace (step->results, g_strdup (key), r);
  g_ptr_array_add (step->order, r);

  data = sd_run_get_step_data (step->run, SD_STEP_DNS);
  json_array_add_object_element (json_object_get_array_member (data, "queries"), result_to_json (r));
  /* TRANSLATORS: progress: "_sip._tls.example.com SRV: NOERROR, 2 answers (1.2 ms)" */
  msg = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%s %s: %s, %u answer (%.1f ms)",
                                      "%s %s: %s, %u answers (%.1f ms)", r->answers->len),
                         r->name, type_name (r->type), r->rcode, r->answers->len, r->duration_ms);
  sd_run_step_progress (step->run, SD_STEP_DNS, msg);

  if (--step->in_flight == 0)
    {
      if (step->cancelled)
        return_from_step (step);
      else
        advance (step);
    }
}

/* FALSE when the question is not (and will not be) asked. */
static gboolean
ask (DnsStep *step, guint16 type, const char *name)
{
  gboolean asked;

  lookup (step, type, name, &asked);
  if (asked)
    return TRUE;
  if (step->concluding || step->issued >= MAX_QUERIES)
    return FALSE;
  g_hash_table_insert (step->results, result_key (type, name), NULL);
  step->issued++;
  step->in_flight++;
  g_debug ("Asking %s %s", name, type_name (type));
  sd_dns_resolver_query_async (step->resolver, name, type,
                               step->config->timeout_s * 1000, step->cancellable,
                               query_done_cb, g_object_ref (step->task));
  return TRUE;
}

/* Follows CNAMEs inside one answer, from @name. */
static const char *
follow_cname (const SdDnsResult *r, const char *name)
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
static HostState
resolve_host (DnsStep *step, const char *host, GPtrArray *addresses)
{
  static const guint16 types[] = { SD_DNS_TYPE_A, SD_DNS_TYPE_AAAA };
  gboolean pending = FALSE, timeout = FALSE, server_error = FALSE, not_asked = FALSE;

  for (guint t = 0; t < G_N_ELEMENTS (types); t++)
    {
      const char *name = host;

      for (guint depth = 0; depth < MAX_CNAME; depth++)
        {
          gboolean asked;
          SdDnsResult *r = lookup (step, types[t], name, &asked);
          const char *end;
          gboolean found = FALSE;

          if (!asked && !ask (step, types[t], name))
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
          end = follow_cname (r, name);
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

/* ---- the look-up plan ---------------------------------------------------- */

/* SRV names in the client's order, with their transports (sd-dns-plan.h). */
static void
srv_plan (DnsStep *step, GPtrArray *names, GArray *transports, gboolean to_ask)
{
  SdDnsResult *naptr = step->profile->uses_naptr ? lookup (step, SD_DNS_TYPE_NAPTR, step->domain, NULL) : NULL;

  sd_dns_plan_srv_names (step->profile, step->domain, naptr != NULL ? naptr->answers : NULL, to_ask,
                         names, transports);
}

/* The SRV records of @r in the order a client tries them, at most
 * MAX_SRV_PER_NAME: drawn once per name, so the targets the step looks up
 * are exactly those it later lists. */
static GPtrArray *
srv_ordered (DnsStep *step, SdDnsResult *r)
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

/* ---- rounds -------------------------------------------------------------- */

static void conclude (DnsStep *step);

/* TRUE when every answer so far is empty and none is an error. */
static gboolean
nothing_found (DnsStep *step)
{
  for (guint i = 0; i < step->order->len; i++)
    {
      SdDnsResult *r = step->order->pdata[i];
      if (r->answers->len > 0
          || !sd_dns_result_is_answer (r))
        return FALSE;
    }
  return TRUE;
}

static gboolean
domain_asked (DnsStep *step)
{
  for (guint i = 0; i < step->order->len; i++)
    if (sd_dns_name_equal (((SdDnsResult *) step->order->pdata[i])->name, step->domain))
      return TRUE;
  return FALSE;
}

/* The domain does not exist when every answer about its own name says
 * NXDOMAIN (an empty non-terminal, such as a domain that holds only
 * _sip._tcp records, answers NOERROR). */
static gboolean
domain_missing (DnsStep *step)
{
  guint nx = 0;

  for (guint i = 0; i < step->order->len; i++)
    {
      SdDnsResult *r = step->order->pdata[i];
      if (!sd_dns_name_equal (r->name, step->domain))
        continue;
      if (r->outcome != SD_DNS_OUTCOME_ANSWER || r->rcode_value != SD_DNS_RCODE_NXDOMAIN)
        return FALSE;
      nx++;
    }
  return nx > 0;
}

static void
advance (DnsStep *step)
{
  if (step->mode != MODE_AUTO)
    {
      /* An IP address: no DNS at all, as the guide's first test. */
      if (!g_hostname_is_ip_address (step->host))
        resolve_host (step, step->host, NULL);
    }
  else if (step->mode == MODE_AUTO)
    {
      const SdDnsProfile *profile = step->profile;
      g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
      g_autoptr(GArray) transports = g_array_new (FALSE, FALSE, sizeof (SdTransport));

      if (profile->uses_naptr)
        ask (step, SD_DNS_TYPE_NAPTR, step->domain);
      srv_plan (step, names, transports, TRUE);
      for (guint i = 0; i < names->len; i++)
        {
          SdDnsResult *r;
          GPtrArray *ordered;
          ask (step, SD_DNS_TYPE_SRV, names->pdata[i]);
          r = lookup (step, SD_DNS_TYPE_SRV, names->pdata[i], NULL);
          if (r == NULL)
            continue;
          /* Only the records kept: a zone of thousands costs no more look-ups. */
          ordered = srv_ordered (step, r);
          for (guint k = 0; k < ordered->len; k++)
            {
              const SdDnsRecord *rr = ordered->pdata[k];
              if (!sd_dns_srv_is_unavailable (rr))
                resolve_host (step, rr->target, NULL);
            }
        }
      for (guint i = 0; i < profile->n_fallback; i++)
        {
          g_autofree char *n = sd_dns_profile_name (profile->fallback[i].prefix, step->domain);
          resolve_host (step, n, NULL);
        }
      /* Nothing at all: whether the domain exists decides between "a typo
       * in the address" and "records to create". Profiles that never ask
       * the domain's own name learn it from its SOA, one more round. */
      if (step->in_flight == 0 && nothing_found (step) && !domain_asked (step))
        ask (step, SD_DNS_TYPE_SOA, step->domain);
    }

  if (step->in_flight == 0)
    conclude (step);
}

/* ---- results ------------------------------------------------------------- */

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

static void
add_candidate (DnsStep *step, GPtrArray *out, const char *host, guint16 port, SdTransport transport,
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
static void
cap_addresses (DnsStep *step, const char *host, GPtrArray *addresses)
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
static void
note_not_asked (DnsStep *step, const char *host)
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

static void
add_host_candidates (DnsStep *step, GPtrArray *out, const char *host, guint16 port,
                     SdTransport transport, GPtrArray *addresses, const char *source)
{
  for (guint i = 0; i < addresses->len; i++)
    add_candidate (step, out, host, port, transport, addresses->pdata[i], source);
}

/* The explicit server, or the IP literal of the address: TLS, TCP, UDP with
 * transport auto, else the transport chosen. */
static void
add_fixed_candidates (DnsStep *step, GPtrArray *out, GPtrArray *addresses, const char *source)
{
  static const SdTransport all[] = { SD_TRANSPORT_TLS, SD_TRANSPORT_TCP, SD_TRANSPORT_UDP };

  for (guint t = 0; t < G_N_ELEMENTS (all); t++)
    {
      guint16 port = step->port != 0 ? step->port : sd_transport_default_port (all[t]);
      add_host_candidates (step, out, step->host, port, all[t], addresses, source);
    }
}

static JsonObject *
candidate_to_json (const SdCandidate *c)
{
  JsonObject *o = sd_candidate_to_json (c);

  json_object_set_string_member (o, "source", c->source);
  return o;
}

/* ---- findings ------------------------------------------------------------ */

/* The run's part of every finding's facts. */
static SdDnsFacts
step_facts (DnsStep *step, gboolean have_candidates)
{
  SdDnsFacts f = {
    .domain = step->domain,
    .client = step->config->client,
    .transport = step->config->transport,
    .strict_dns_naming = step->config->strict_dns_naming,
    .timeout_s = step->config->timeout_s,
    .server_control = sd_config_control_name (step->config, SD_CONTROL_SERVER),
    .dns_server_control = sd_config_control_name (step->config, SD_CONTROL_DNS_SERVER),
    .have_candidates = have_candidates,
  };

  return f;
}

static void
report (DnsStep *step, SdDnsFindingKind kind, const SdDnsFacts *facts)
{
  g_autoptr(SdFinding) finding = sd_dns_finding_build (kind, facts);

  sd_run_add_finding (step->run, finding);
}

static void
report_timeouts (DnsStep *step, gboolean have_candidates)
{
  g_autoptr(GString) names = g_string_new (NULL);
  SdDnsFacts f = step_facts (step, have_candidates);
  const char *server = NULL;
  guint n = 0;

  for (guint i = 0; i < step->order->len; i++)
    {
      SdDnsResult *r = step->order->pdata[i];
      if (r->outcome != SD_DNS_OUTCOME_TIMEOUT)
        continue;
      if (n++ > 0)
        g_string_append (names, ", ");
      g_string_append_printf (names, "%s %s", r->name, type_name (r->type));
      server = r->server;
    }
  if (n == 0)
    return;
  /* The system's servers are named as such: a person knows "this computer's", not the list. */
  f.server = g_str_equal (sd_dns_resolver_get_description (step->resolver), "system") ? NULL : server;
  f.count = n;
  f.list = names->str;
  report (step, SD_DNS_FINDING_TIMEOUT, &f);
}

static void
report_server_errors (DnsStep *step, gboolean have_candidates)
{
  SdDnsFacts f = step_facts (step, have_candidates);

  for (guint i = 0; i < step->order->len; i++)
    {
      SdDnsResult *r = step->order->pdata[i];
      SdDnsFindingKind kind = SD_DNS_FINDING_SERVER_ERROR;

      if (sd_dns_result_is_answer (r) || r->outcome == SD_DNS_OUTCOME_TIMEOUT
          || r->outcome == SD_DNS_OUTCOME_LOCAL)
        continue;
      if (r->outcome == SD_DNS_OUTCOME_ANSWER && r->rcode_value == SD_DNS_RCODE_REFUSED)
        kind = SD_DNS_FINDING_SERVER_REFUSED;
      else if (r->outcome == SD_DNS_OUTCOME_UNREACHABLE)
        kind = SD_DNS_FINDING_SERVER_UNREACHABLE;
      f.server = r->server;
      f.error = r->error != NULL ? r->error : r->rcode;
      report (step, kind, &f);
      return;  /* one is enough: the others say the same */
    }
}

static void
report_strict_naming (DnsStep *step, GPtrArray *candidates)
{
  g_autoptr(GPtrArray) srv_names = g_ptr_array_new ();   /* borrowed from the candidates */
  SdDnsFacts f = step_facts (step, candidates->len > 0);

  if (step->config->transport != SD_TRANSPORT_AUTO && step->config->transport != SD_TRANSPORT_TLS)
    return;
  /* One finding per SRV record set, naming every target outside the rule. */
  for (guint i = 0; i < candidates->len; i++)
    {
      SdCandidate *c = candidates->pdata[i];
      gboolean dup = FALSE;

      if (c->transport != SD_TRANSPORT_TLS || !g_str_has_prefix (c->source, "SRV ")
          || sd_dns_profile_strict_ok (step->profile, step->domain, c->host))
        continue;
      for (guint k = 0; k < srv_names->len; k++)
        dup = dup || g_str_equal (srv_names->pdata[k], c->source);
      if (!dup)
        g_ptr_array_add (srv_names, c->source);
    }

  for (guint k = 0; k < srv_names->len; k++)
    {
      g_autoptr(GString) hosts = g_string_new (NULL);
      g_autoptr(GPtrArray) seen = g_ptr_array_new ();

      for (guint i = 0; i < candidates->len; i++)
        {
          SdCandidate *c = candidates->pdata[i];
          gboolean dup = FALSE;

          if (!g_str_equal (c->source, srv_names->pdata[k]) || c->transport != SD_TRANSPORT_TLS
              || sd_dns_profile_strict_ok (step->profile, step->domain, c->host))
            continue;
          for (guint j = 0; j < seen->len; j++)
            dup = dup || sd_dns_name_equal (seen->pdata[j], c->host);
          if (dup)
            continue;
          g_ptr_array_add (seen, c->host);
          if (hosts->len > 0)
            g_string_append (hosts, ", ");
          g_string_append (hosts, c->host);
        }
      f.name = (const char *) srv_names->pdata[k] + strlen ("SRV ");
      f.list = hosts->str;
      report (step, SD_DNS_FINDING_STRICT_NAMING, &f);
    }
}

/* ---- autoconfiguration: the candidates, then what to say ----------------- */

/* What building the candidate list noticed, for the findings. */
typedef struct {
  gboolean   srv_found;
  guint      srv_candidates;  /* the first ones of the list come from SRV records */
  GPtrArray *unresolvable;    /* target, SRV name, … */
  GPtrArray *unavailable;     /* SRV names whose target is "." */
  GPtrArray *aliases;         /* SRV name, target, real name, record to publish, … */
} AutoNotes;

static void
auto_notes_clear (AutoNotes *notes)
{
  g_clear_pointer (&notes->unresolvable, g_ptr_array_unref);
  g_clear_pointer (&notes->unavailable, g_ptr_array_unref);
  g_clear_pointer (&notes->aliases, g_ptr_array_unref);
}

/* An SRV target that is a CNAME, once per SRV name and target. */
static void
note_alias (DnsStep *step, GPtrArray *aliases, const char *srv_name, const SdDnsRecord *rr)
{
  static const guint16 types[] = { SD_DNS_TYPE_A, SD_DNS_TYPE_AAAA };
  const char *real = NULL;

  for (guint t = 0; t < G_N_ELEMENTS (types) && real == NULL; t++)
    {
      SdDnsResult *r = lookup (step, types[t], rr->target, NULL);
      const char *end = r != NULL ? follow_cname (r, rr->target) : rr->target;

      if (!sd_dns_name_equal (end, rr->target))
        real = end;
    }
  if (real == NULL)
    return;
  for (guint i = 0; i + 3 < aliases->len; i += 4)
    if (sd_dns_name_equal (aliases->pdata[i], srv_name) && sd_dns_name_equal (aliases->pdata[i + 1], rr->target))
      return;
  if (aliases->len / 4 >= MAX_LISTED)
    return;
  g_ptr_array_add (aliases, g_strdup (srv_name));
  g_ptr_array_add (aliases, g_strdup (rr->target));
  g_ptr_array_add (aliases, g_strdup (real));
  g_ptr_array_add (aliases, g_strdup_printf ("%s. 3600 IN SRV %u %u %u %s%s", srv_name, rr->priority,
                                             rr->weight, rr->port, real,
                                             g_str_has_suffix (real, ".") ? "" : "."));
}

/* Notes in data.left_out the SRV records of @name that the cap cut. */
static void
note_srv_cut (DnsStep *step, const char *name, SdDnsResult *r, GPtrArray *ordered)
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
        json_array_add_object_element (list, record_to_json (rr));
    }
  json_object_set_array_member (o, "records", list);
}

/* The servers the SRV records name, in the client's order. */
static void
add_srv_candidates (DnsStep *step, GPtrArray *out, AutoNotes *notes)
{
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GArray) transports = g_array_new (FALSE, FALSE, sizeof (SdTransport));
  g_autoptr(GPtrArray) seen_srv = g_ptr_array_new_with_free_func (g_free);

  srv_plan (step, names, transports, FALSE);
  for (guint i = 0; i < names->len; i++)
    {
      const char *name = names->pdata[i];
      SdTransport t = g_array_index (transports, SdTransport, i);
      SdDnsResult *r = lookup (step, SD_DNS_TYPE_SRV, name, NULL);
      GPtrArray *ordered;
      g_autofree char *source = NULL;
      gboolean dup = FALSE;

      for (guint k = 0; k < seen_srv->len; k++)
        dup = dup || sd_dns_name_equal (seen_srv->pdata[k], name);
      if (dup || r == NULL)
        continue;
      g_ptr_array_add (seen_srv, g_strdup (name));
      ordered = srv_ordered (step, r);
      if (ordered->len > 0)
        notes->srv_found = TRUE;
      note_srv_cut (step, name, r, ordered);
      source = g_strdup_printf ("SRV %s", name);
      for (guint k = 0; k < ordered->len; k++)
        {
          const SdDnsRecord *rr = ordered->pdata[k];
          g_autoptr(GPtrArray) addrs = g_ptr_array_new_with_free_func (g_object_unref);
          HostState st;
          guint before = out->len;

          if (sd_dns_srv_is_unavailable (rr))
            {
              g_ptr_array_add (notes->unavailable, g_strdup (name));
              continue;
            }
          st = resolve_host (step, rr->target, addrs);
          if (st == HOST_NOT_ASKED)
            note_not_asked (step, rr->target);
          note_alias (step, notes->aliases, name, rr);
          cap_addresses (step, rr->target, addrs);
          if (st == HOST_NO_ADDRESS)
            {
              gboolean dup2 = FALSE;
              for (guint j = 0; j < notes->unresolvable->len; j += 2)
                dup2 = dup2 || sd_dns_name_equal (notes->unresolvable->pdata[j], rr->target);
              if (!dup2)
                {
                  g_ptr_array_add (notes->unresolvable, g_strdup (rr->target));
                  g_ptr_array_add (notes->unresolvable, g_strdup (name));
                }
            }
          add_host_candidates (step, out, rr->target, rr->port, t, addrs, source);
          /* Kept so that a later step can name the whole record to fix. */
          for (guint j = before; j < out->len; j++)
            {
              ((SdCandidate *) out->pdata[j])->srv_priority = rr->priority;
              ((SdCandidate *) out->pdata[j])->srv_weight = rr->weight;
            }
        }
    }
  notes->srv_candidates = out->len;
}

/* The profile's fixed names, after the SRV ones. */
static void
add_fallback_candidates (DnsStep *step, GPtrArray *out)
{
  const SdDnsProfile *profile = step->profile;

  for (guint i = 0; i < profile->n_fallback; i++)
    {
      const SdDnsFallbackName *a = &profile->fallback[i];
      g_autofree char *n = sd_dns_profile_name (a->prefix, step->domain);
      g_autoptr(GPtrArray) addrs = g_ptr_array_new_with_free_func (g_object_unref);
      g_autofree char *source4 = g_strdup_printf ("A %s", n);
      g_autofree char *source6 = g_strdup_printf ("AAAA %s", n);

      if (resolve_host (step, n, addrs) == HOST_NOT_ASKED)
        note_not_asked (step, n);
      cap_addresses (step, n, addrs);
      for (guint t = 0; t < G_N_ELEMENTS (a->transports); t++)
        {
          if (a->transports[t] == SD_TRANSPORT_AUTO)
            continue;
          for (guint k = 0; k < addrs->len; k++)
            {
              GInetAddress *ia = addrs->pdata[k];
              add_candidate (step, out, n, a->ports[t], a->transports[t], ia,
                             g_inet_address_get_family (ia) == G_SOCKET_FAMILY_IPV6 ? source6 : source4);
            }
        }
    }
}

static void
build_auto_candidates (DnsStep *step, GPtrArray *out, AutoNotes *notes)
{
  add_srv_candidates (step, out, notes);
  /* RFC 3263 falls back to A/AAAA only when there is no SRV at all; the
   * Microsoft clients always go on to their fixed names. */
  if (!notes->srv_found || !step->profile->fallback_only_without_srv)
    add_fallback_candidates (step, out);
}

static void
report_auto (DnsStep *step, GPtrArray *out, const AutoNotes *notes)
{
  SdDnsFacts f = step_facts (step, out->len > 0);
  gboolean any_timeout = FALSE, any_server_error = FALSE;
  gboolean nothing_explains;

  for (guint i = 0; i < step->order->len; i++)
    {
      SdDnsResult *r = step->order->pdata[i];
      any_timeout = any_timeout || r->outcome == SD_DNS_OUTCOME_TIMEOUT;
      any_server_error = any_server_error
                         || !(sd_dns_result_is_answer (r) || r->outcome == SD_DNS_OUTCOME_TIMEOUT);
    }

  report_timeouts (step, out->len > 0);
  report_server_errors (step, out->len > 0);

  for (guint i = 0; i < notes->unavailable->len; i++)
    {
      SdDnsFacts u = f;
      u.name = notes->unavailable->pdata[i];
      report (step, SD_DNS_FINDING_SERVICE_UNAVAILABLE, &u);
    }

  for (guint i = 0; i + 1 < notes->unresolvable->len; i += 2)
    {
      SdDnsFacts u = f;
      u.target = notes->unresolvable->pdata[i];
      u.name = notes->unresolvable->pdata[i + 1];
      report (step, SD_DNS_FINDING_SRV_TARGET_UNRESOLVABLE, &u);
    }

  if (!notes->srv_found && out->len > 0)
    {
      SdDnsFacts u = f;
      u.target = ((SdCandidate *) out->pdata[0])->host;
      report (step, SD_DNS_FINDING_NO_SRV, &u);
    }

  for (guint i = 0; i + 3 < notes->aliases->len; i += 4)
    {
      SdDnsFacts u = f;
      u.name = notes->aliases->pdata[i];
      u.target = notes->aliases->pdata[i + 1];
      u.real_name = notes->aliases->pdata[i + 2];
      u.record = notes->aliases->pdata[i + 3];
      report (step, SD_DNS_FINDING_SRV_TARGET_CNAME, &u);
    }

  /* No server, and none of the above says why: what the zone holds does. */
  nothing_explains = out->len == 0 && !any_timeout && notes->unavailable->len == 0
                     && notes->unresolvable->len == 0 && !any_server_error;
  if (nothing_explains && step->filtered->len > 0)
    {
      g_autoptr(GString) have = g_string_new (NULL);
      SdDnsFacts u = f;

      for (guint i = 0; i < step->filtered->len; i++)
        {
          if (i > 0)
            g_string_append (have, "; ");
          g_string_append (have, step->filtered->pdata[i]);
        }
      u.list = have->str;
      u.target = step->filtered_target;
      u.other_transport = step->filtered_transport;
      report (step, SD_DNS_FINDING_OTHER_TRANSPORTS, &u);
    }
  else if (nothing_explains && domain_missing (step))
    report (step, SD_DNS_FINDING_DOMAIN_NOT_FOUND, &f);
  else if (nothing_explains)
    report (step, SD_DNS_FINDING_NO_RECORDS, &f);

  /* High Security Mode is a Microsoft client's rule: a standard client
   * (RFC 3263 and 5922) follows an SRV record anywhere and checks the
   * certificate against the SIP domain, which the TLS step does. */
  if (notes->srv_candidates > 0
      && (step->profile->strict_naming_always || step->config->strict_dns_naming))
    report_strict_naming (step, out);
}

static void
conclude_auto (DnsStep *step, GPtrArray *out)
{
  AutoNotes notes = {
    .unresolvable = g_ptr_array_new_with_free_func (g_free),
    .unavailable = g_ptr_array_new_with_free_func (g_free),
    .aliases = g_ptr_array_new_with_free_func (g_free),
  };

  build_auto_candidates (step, out, &notes);
  report_auto (step, out, &notes);
  auto_notes_clear (&notes);
}

static void
conclude_fixed (DnsStep *step, GPtrArray *out)
{
  g_autoptr(GPtrArray) addrs = g_ptr_array_new_with_free_func (g_object_unref);
  const char *source = step->mode == MODE_IP_LITERAL && step->config->server == NULL
                       ? "SIP address" : "--server";

  if (g_hostname_is_ip_address (step->host))
    {
      g_ptr_array_add (addrs, g_inet_address_new_from_string (step->host));
      add_fixed_candidates (step, out, addrs, source);
      return;
    }

  switch (resolve_host (step, step->host, addrs))
    {
    case HOST_RESOLVED:
      cap_addresses (step, step->host, addrs);
      add_fixed_candidates (step, out, addrs, source);
      break;
    case HOST_TIMEOUT:
      report_timeouts (step, FALSE);
      break;
    case HOST_SERVER_ERROR:
      report_server_errors (step, FALSE);
      break;
    case HOST_NO_ADDRESS:
    case HOST_PENDING:
    case HOST_NOT_ASKED:   /* two look-ups only: cannot happen */
    default:
      {
        SdDnsFacts f = step_facts (step, FALSE);
        f.target = step->host;
        report (step, SD_DNS_FINDING_HOST_UNRESOLVABLE, &f);
        break;
      }
    }
}

/* One warning for everything the caps cut: a zone that names more servers
 * than any client would try is a fault of its own, and the report says the
 * list it shows is not the whole of what the zone holds. */
static void
report_left_out (DnsStep *step, GPtrArray *out)
{
  g_autoptr(GString) what = g_string_new (NULL);
  SdDnsFacts f = step_facts (step, out->len > 0);
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
  report (step, SD_DNS_FINDING_TOO_MANY_RECORDS, &f);
}

/* A question this computer could not even send (no socket, no memory)
 * tells nothing about the DNS server or the zone: said as this computer's
 * problem, and the run ends as an internal failure. */
static void
report_local (DnsStep *step)
{
  g_autoptr(SdFinding) finding = NULL;
  SdDnsFacts f = step_facts (step, FALSE);
  const char *why = NULL;
  guint n = 0;

  for (guint i = 0; i < step->order->len; i++)
    {
      SdDnsResult *r = step->order->pdata[i];
      if (r->outcome != SD_DNS_OUTCOME_LOCAL)
        continue;
      if (why == NULL)
        why = r->error;
      n++;
    }
  if (n == 0)
    return;
  f.count = n;
  f.error = why;
  finding = sd_dns_finding_build (SD_DNS_FINDING_LOCAL_RESOURCES, &f);
  /* The same words end the run as an internal failure. */
  step->local_failure = g_strdup (finding->message);
  sd_run_add_finding (step->run, finding);
}

static void
conclude (DnsStep *step)
{
  SdContext *ctx = sd_run_get_context (step->run);
  JsonObject *data = sd_run_get_step_data (step->run, SD_STEP_DNS);
  JsonArray *cands = json_array_new ();
  g_autoptr(GPtrArray) out = g_ptr_array_new_with_free_func ((GDestroyNotify) sd_candidate_unref);

  step->concluding = TRUE;
  step->left_out = json_array_new ();
  json_object_set_array_member (data, "left_out", step->left_out);
  if (step->mode == MODE_AUTO)
    conclude_auto (step, out);
  else
    conclude_fixed (step, out);
  report_left_out (step, out);
  report_local (step);

  g_ptr_array_set_size (ctx->candidates, 0);
  for (guint i = 0; i < out->len; i++)
    {
      json_array_add_object_element (cands, candidate_to_json (out->pdata[i]));
      g_ptr_array_add (ctx->candidates, sd_candidate_ref (out->pdata[i]));
    }
  json_object_set_array_member (data, "candidates", cands);
  sd_run_step_progress (step->run, SD_STEP_DNS, NULL);
  return_from_step (step);
}

void
sd_step_dns_run_async (SdRun               *run,
                       GCancellable        *cancellable,
                       GAsyncReadyCallback  callback,
                       gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (run, cancellable, callback, user_data);
  const SdConfig *config = sd_run_get_config (run);
  SdContext *ctx = sd_run_get_context (run);
  JsonObject *data = sd_run_get_step_data (run, SD_STEP_DNS);
  g_autoptr(GError) error = NULL;
  DnsStep *step;

  g_task_set_source_tag (task, sd_step_dns_run_async);

  if (ctx->domain == NULL)
    {
      sd_run_set_step_status (run, SD_STEP_DNS, SD_STATUS_SKIP,
                              _("The SIP address could not be read, so there is no domain to look up."));
      g_task_return_boolean (task, TRUE);
      return;
    }

  step = g_new0 (DnsStep, 1);
  step->run = run;
  step->task = g_object_ref (task);
  step->cancellable = cancellable != NULL ? g_object_ref (cancellable) : NULL;
  step->config = config;
  step->profile = sd_dns_profile_get (config->client);
  step->domain = g_strdup (ctx->domain);
  step->results = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                         (GDestroyNotify) sd_dns_result_free);
  step->order = g_ptr_array_new ();
  step->srv_orders = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                            (GDestroyNotify) g_ptr_array_unref);
  step->cand_keys = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  step->capped_hosts = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  step->cut_summary = g_ptr_array_new_with_free_func (g_free);
  step->filtered = g_ptr_array_new_with_free_func (g_free);
  if (srv_seed_set)
    step->rand = g_rand_new_with_seed (srv_seed);
  g_task_set_task_data (task, step, (GDestroyNotify) dns_step_free);

  if (config->dns_server != NULL)
    step->resolver = sd_dns_resolver_new_for_server (config->dns_server, &error);
  else
    step->resolver = sd_dns_resolver_new_system (&error);
  if (step->resolver == NULL)
    {
      g_clear_object (&step->task);
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  g_set_object (&ctx->dns_resolver, step->resolver);

  json_object_set_string_member (data, "resolver", sd_dns_resolver_get_description (step->resolver));
  {
    JsonArray *servers = json_array_new ();
    const char * const *s = sd_dns_resolver_get_servers (step->resolver);
    for (guint i = 0; s[i] != NULL; i++)
      json_array_add_string_element (servers, s[i]);
    json_object_set_array_member (data, "servers", servers);
  }
  json_object_set_string_member (data, "profile", sd_client_profile_to_string (config->client));
  json_object_set_string_member (data, "domain", step->domain);
  json_object_set_array_member (data, "queries", json_array_new ());
  json_object_set_array_member (data, "candidates", json_array_new ());

  if (config->server != NULL)
    {
      if (!sd_parse_host_port (config->server, &step->host, &step->port, &error))
        {
          g_clear_object (&step->task);
          g_task_return_error (task, g_steal_pointer (&error));
          return;
        }
      step->mode = MODE_EXPLICIT;
    }
  else if (ctx->uri != NULL && ctx->uri->host_is_ip)
    {
      step->host = g_strdup (ctx->uri->host);
      step->port = ctx->uri->port;
      step->mode = MODE_IP_LITERAL;
    }
  else
    step->mode = MODE_AUTO;

  json_object_set_string_member (data, "mode",
                                 step->mode == MODE_AUTO ? "autoconfiguration"
                                 : step->mode == MODE_EXPLICIT ? "explicit-server" : "ip-literal");
  if (step->mode != MODE_AUTO)
    {
      JsonObject *server = json_object_new ();
      json_object_set_string_member (server, "host", step->host);
      if (step->port != 0)
        json_object_set_int_member (server, "port", step->port);
      else
        json_object_set_null_member (server, "port");
      json_object_set_boolean_member (server, "is_ip", g_hostname_is_ip_address (step->host));
      json_object_set_object_member (data, "server", server);
    }
  /* Where the autodiscover sub-check will run, for the clients that ask it first. */
  if (step->mode == MODE_AUTO && step->profile->autodiscover_first)
    json_object_set_string_member (data, "autodiscover",
                                   "not-run: the lyncdiscover web look-up is not part of this check");

  sd_run_step_progress (run, SD_STEP_DNS,
                        step->mode == MODE_AUTO ? _("Looking up the SIP records of the domain…") : NULL);
  advance (step);
}

gboolean
sd_step_dns_run_finish (SdRun         *run,
                        GAsyncResult  *result,
                        GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, run), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}
