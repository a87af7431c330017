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
#include "sd-autodiscover.h"
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
  const char *prefix;     /* "_sip._tls" */
  SdTransport transport;
} SrvService;

typedef struct {
  const char *prefix;     /* "sip" (the name is prefix.domain), or NULL for the domain itself */
  SdTransport transports[3];
  guint16     ports[3];
} ANameSpec;

typedef struct {
  SdRun          *run;
  GTask          *task;
  GCancellable   *cancellable;
  SdDnsResolver  *resolver;
  const SdConfig *config;
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
  SdAutodiscoverResult *autodiscover; /* lync: what the autodiscover web service said */
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
  sd_autodiscover_result_free (step->autodiscover);
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
          if (g_str_equal (r->rcode, "TIMEOUT"))
            {
              timeout = TRUE;
              break;
            }
          if (!g_str_equal (r->rcode, "NOERROR") && !g_str_equal (r->rcode, "NXDOMAIN"))
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

/* ---- client profiles ----------------------------------------------------- */

static const SrvService generic_srv[] = {
  { "_sips._tcp", SD_TRANSPORT_TLS }, { "_sip._tls", SD_TRANSPORT_TLS },
  { "_sip._tcp", SD_TRANSPORT_TCP }, { "_sip._udp", SD_TRANSPORT_UDP }, { NULL, 0 } };
static const SrvService wm5_srv[] = {
  { "_sip._tcp", SD_TRANSPORT_TCP }, { "_sip._tls", SD_TRANSPORT_TLS }, { NULL, 0 } };
static const SrvService ocs_srv[] = {
  { "_sipinternaltls._tcp", SD_TRANSPORT_TLS }, { "_sipinternal._tcp", SD_TRANSPORT_TCP },
  { "_sip._tls", SD_TRANSPORT_TLS }, { NULL, 0 } };

/* Without SRV: RFC 3263 falls back to the domain itself; Windows Messenger
 * to sip.<domain> (TLS 5061, TCP 5060); Office Communicator and Lync to
 * sipinternal.<domain> and sip.<domain> (TLS 5061, TCP 5060) and
 * sipexternal.<domain> (TLS 443, the Edge server's port). */
static const ANameSpec generic_a[] = {
  { NULL, { SD_TRANSPORT_TLS, SD_TRANSPORT_TCP, SD_TRANSPORT_UDP }, { 5061, 5060, 5060 } },
  { (const char *) -1, { 0 }, { 0 } } };
static const ANameSpec wm5_a[] = {
  { "sip", { SD_TRANSPORT_TLS, SD_TRANSPORT_TCP, SD_TRANSPORT_AUTO }, { 5061, 5060, 0 } },
  { (const char *) -1, { 0 }, { 0 } } };
static const ANameSpec ocs_a[] = {
  { "sipinternal", { SD_TRANSPORT_TLS, SD_TRANSPORT_TCP, SD_TRANSPORT_AUTO }, { 5061, 5060, 0 } },
  { "sip", { SD_TRANSPORT_TLS, SD_TRANSPORT_TCP, SD_TRANSPORT_AUTO }, { 5061, 5060, 0 } },
  { "sipexternal", { SD_TRANSPORT_TLS, SD_TRANSPORT_AUTO, SD_TRANSPORT_AUTO }, { 443, 0, 0 } },
  { (const char *) -1, { 0 }, { 0 } } };

static const SrvService *
profile_srv (SdClientProfile p)
{
  switch (p)
    {
    case SD_CLIENT_WM5:  return wm5_srv;
    case SD_CLIENT_OCS:
    case SD_CLIENT_LYNC: return ocs_srv;
    case SD_CLIENT_GENERIC:
    default:             return generic_srv;
    }
}

static const ANameSpec *
profile_a (SdClientProfile p)
{
  switch (p)
    {
    case SD_CLIENT_WM5:  return wm5_a;
    case SD_CLIENT_OCS:
    case SD_CLIENT_LYNC: return ocs_a;
    case SD_CLIENT_GENERIC:
    default:             return generic_a;
    }
}

static char *
a_name (const ANameSpec *spec, const char *domain)
{
  return spec->prefix == NULL ? g_strdup (domain) : g_strconcat (spec->prefix, ".", domain, NULL);
}

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

/* SRV names in the client's order, with their transports. For `generic`,
 * NAPTR records (RFC 3263 4.1) choose and order them when present: then a
 * client uses only those (@to_ask FALSE), though the step still asks the
 * fixed list (@to_ask TRUE) to show what else is published. */
static void
srv_plan (DnsStep *step, GPtrArray *names, GArray *transports, gboolean to_ask)
{
  const SrvService *srv = profile_srv (step->config->client);

  if (step->config->client == SD_CLIENT_GENERIC)
    {
      SdDnsResult *naptr = lookup (step, SD_DNS_TYPE_NAPTR, step->domain, NULL);
      g_autoptr(GPtrArray) sorted = g_ptr_array_new ();

      for (guint i = 0; naptr != NULL && i < naptr->answers->len; i++)
        {
          SdTransport t;
          if (naptr_service_transport (naptr->answers->pdata[i], &t))
            g_ptr_array_add (sorted, naptr->answers->pdata[i]);
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
  /* The client's fixed list (after the NAPTR-chosen ones, duplicates dropped later). */
  for (guint i = 0; srv[i].prefix != NULL; i++)
    {
      g_ptr_array_add (names, g_strconcat (srv[i].prefix, ".", step->domain, NULL));
      g_array_append_val (transports, srv[i].transport);
    }
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
          || !(g_str_equal (r->rcode, "NOERROR") || g_str_equal (r->rcode, "NXDOMAIN")))
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
      if (!g_str_equal (r->rcode, "NXDOMAIN"))
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
      const ANameSpec *a = profile_a (step->config->client);
      g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
      g_autoptr(GArray) transports = g_array_new (FALSE, FALSE, sizeof (SdTransport));

      if (step->config->client == SD_CLIENT_GENERIC)
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
      for (guint i = 0; a[i].prefix != (const char *) -1; i++)
        {
          g_autofree char *n = a_name (&a[i], step->domain);
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

static void
report_timeouts (DnsStep *step, gboolean have_candidates)
{
  g_autoptr(GString) names = g_string_new (NULL);
  const char *server = NULL;
  guint n = 0;

  for (guint i = 0; i < step->order->len; i++)
    {
      SdDnsResult *r = step->order->pdata[i];
      if (!g_str_equal (r->rcode, "TIMEOUT"))
        continue;
      if (n++ > 0)
        g_string_append (names, ", ");
      g_string_append_printf (names, "%s %s", r->name, type_name (r->type));
      server = r->server;
    }
  if (n == 0)
    return;
  {
    g_autofree char *message = NULL;
    g_autofree char *advice = NULL;
    const char *who = g_str_equal (sd_dns_resolver_get_description (step->resolver), "system")
                      ? _("the DNS servers of this computer") : server;

    message = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                            "No answer from %s within %u s for %u look-up (%s).",
                                            "No answer from %s within %u s for %u look-ups (%s).", n),
                               who, step->config->timeout_s, n, names->str);
    if (server == who)
      advice = g_strdup_printf (_("The DNS server %s does not answer. Check that it is the right address, "
                                  "that it is running, and that a firewall lets DNS (UDP and TCP port 53, "
                                  "or the port given) through. Compare with another DNS server using "
                                  "the DNS server option."), who);
    else
      advice = g_strdup (_("The DNS servers of this computer do not answer. Check the network connection "
                           "and this computer's DNS settings, and that a firewall lets DNS (UDP and TCP "
                           "port 53) through. Compare with another DNS server using the DNS server option."));
    sd_run_report (step->run, SD_STEP_DNS, SD_FINDING_DNS_SERVER_TIMEOUT,
                   have_candidates ? SD_SEVERITY_WARNING : SD_SEVERITY_ERROR, message, advice);
  }
}

static void
report_server_errors (DnsStep *step, gboolean have_candidates)
{
  const char *dns_server_control = sd_config_control_name (step->config, SD_CONTROL_DNS_SERVER);

  for (guint i = 0; i < step->order->len; i++)
    {
      SdDnsResult *r = step->order->pdata[i];
      g_autofree char *advice = NULL;

      if (g_str_equal (r->rcode, "NOERROR") || g_str_equal (r->rcode, "NXDOMAIN")
          || g_str_equal (r->rcode, "TIMEOUT") || g_str_equal (r->rcode, "LOCAL"))
        continue;
      if (g_str_equal (r->rcode, "REFUSED"))
        /* TRANSLATORS: the last %s is the control, e.g. "--dns-server" or "the DNS server field". */
        advice = g_strdup_printf (_("The DNS server %s refuses to answer questions about %s: it does not "
                                    "hold that zone and will not look it up for this computer. Use the "
                                    "DNS server your network gives (leave out %s), "
                                    "or ask its administrator to allow look-ups from here."),
                                  r->server, step->domain, dns_server_control);
      else if (g_str_equal (r->rcode, "ERROR") && r->answers->len == 0 && r->error != NULL
               && strstr (r->error, "ICMP") != NULL)
        /* TRANSLATORS: the second %s is the control, e.g. "--dns-server" or "the DNS server field". */
        advice = g_strdup_printf (_("No DNS server runs at %s. Check the address and port of the DNS "
                                    "server, or leave out %s to use this computer's."),
                                  r->server, dns_server_control);
      else
        /* TRANSLATORS: the last %s is the control, e.g. "--dns-server" or "the DNS server field". */
        advice = g_strdup_printf (_("The DNS server %s could not answer for %s. Ask the DNS administrator "
                                    "to check that server and the zone, or compare with another DNS "
                                    "server given in %s."), r->server, step->domain, dns_server_control);
      sd_run_report (step->run, SD_STEP_DNS, SD_FINDING_DNS_SERVER_ERROR,
                     have_candidates ? SD_SEVERITY_WARNING : SD_SEVERITY_ERROR,
                     r->error != NULL ? r->error : r->rcode, advice);
      return;  /* one is enough: the others say the same */
    }
}

static char *
zone_example (DnsStep *step)
{
  const char *d = step->domain;

  switch (step->config->client)
    {
    case SD_CLIENT_WM5:
      return g_strdup_printf ("_sip._tls.%s. 3600 IN SRV 0 0 5061 sip.%s.\n"
                              "_sip._tcp.%s. 3600 IN SRV 0 0 5060 sip.%s.\n"
                              "sip.%s. 3600 IN A 192.0.2.10", d, d, d, d, d);
    case SD_CLIENT_OCS:
    case SD_CLIENT_LYNC:
      return g_strdup_printf ("_sipinternaltls._tcp.%s. 3600 IN SRV 0 0 5061 sip.%s.\n"
                              "_sip._tls.%s. 3600 IN SRV 0 0 443 sip.%s.\n"
                              "sip.%s. 3600 IN A 192.0.2.10", d, d, d, d, d);
    case SD_CLIENT_GENERIC:
    default:
      return g_strdup_printf ("%s. 3600 IN NAPTR 10 0 \"s\" \"SIPS+D2T\" \"\" _sips._tcp.%s.\n"
                              "_sips._tcp.%s. 3600 IN SRV 0 0 5061 sip.%s.\n"
                              "_sip._tls.%s. 3600 IN SRV 0 0 5061 sip.%s.\n"
                              "_sip._tcp.%s. 3600 IN SRV 0 0 5060 sip.%s.\n"
                              "sip.%s. 3600 IN A 192.0.2.10", d, d, d, d, d, d, d, d, d);
    }
}

/* Windows Messenger (the guide) accepts exactly <domain> or sip.<domain>;
 * Office Communicator and Lync accept any host inside the SIP domain
 * (pool.<domain>, sipinternal.<domain>), which their own fallback names need. */
static gboolean
strict_ok (DnsStep *step, const char *host)
{
  if (step->config->client == SD_CLIENT_OCS || step->config->client == SD_CLIENT_LYNC)
    return sd_dns_name_in_domain (step->domain, host);
  return sd_dns_strict_name_ok (step->domain, host);
}

static void
report_strict_naming (DnsStep *step, GPtrArray *candidates)
{
  g_autoptr(GPtrArray) srv_names = g_ptr_array_new ();   /* borrowed from the candidates */

  if (step->config->transport != SD_TRANSPORT_AUTO && step->config->transport != SD_TRANSPORT_TLS)
    return;
  /* One finding per SRV record set, naming every target outside the rule. */
  for (guint i = 0; i < candidates->len; i++)
    {
      SdCandidate *c = candidates->pdata[i];
      gboolean dup = FALSE;

      if (c->transport != SD_TRANSPORT_TLS || !g_str_has_prefix (c->source, "SRV ")
          || strict_ok (step, c->host))
        continue;
      for (guint k = 0; k < srv_names->len; k++)
        dup = dup || g_str_equal (srv_names->pdata[k], c->source);
      if (!dup)
        g_ptr_array_add (srv_names, c->source);
    }

  for (guint k = 0; k < srv_names->len; k++)
    {
      const char *srv_name = (const char *) srv_names->pdata[k] + 4;
      g_autoptr(GString) hosts = g_string_new (NULL);
      g_autoptr(GPtrArray) seen = g_ptr_array_new ();
      g_autofree char *message = NULL;
      g_autofree char *advice = NULL;

      for (guint i = 0; i < candidates->len; i++)
        {
          SdCandidate *c = candidates->pdata[i];
          gboolean dup = FALSE;

          if (!g_str_equal (c->source, srv_names->pdata[k]) || c->transport != SD_TRANSPORT_TLS
              || strict_ok (step, c->host))
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

      if (step->config->client == SD_CLIENT_OCS || step->config->client == SD_CLIENT_LYNC)
        message = g_strdup_printf (_("The SRV record %s points to %s, which is outside the SIP domain %s. "
                                     "With strict DNS naming a client accepts only a server inside the "
                                     "SIP domain when it finds it automatically, so it will not sign in."),
                                   srv_name, hosts->str, step->domain);
      else
        message = g_strdup_printf (_("The SRV record %s points to %s, which is neither %s nor sip.%s. "
                                     "With strict DNS naming (High Security Mode) a client accepts only "
                                     "those two names for a TLS server found automatically, so it will "
                                     "not sign in."),
                                   srv_name, hosts->str, step->domain, step->domain);
      advice = g_strdup_printf (_("Best fix: give the server a name inside the SIP domain, such as "
                                  "sip.%s (an A record), get it a certificate for that name, and point "
                                  "%s at it. Workaround on each client computer: enable the Group "
                                  "Policy \"Allow Additional DNS Names\" (rtclient.adm), or create the "
                                  "registry value DisableStrictDNSNaming (DWORD) = 1 under "
                                  "HKLM\\Software\\Policies\\Microsoft\\Messenger\\Client\\"
                                  "{83D4679F-B6D7-11D2-BF36-00C04FB90A03}\\_Default, then sign out and "
                                  "exit the client. That makes the client ignore the server name, which "
                                  "weakens its protection: prefer the fix."),
                                step->domain, srv_name);
      sd_run_report (step->run, SD_STEP_DNS, SD_FINDING_DNS_STRICT_NAMING,
                     step->config->strict_dns_naming ? SD_SEVERITY_ERROR : SD_SEVERITY_WARNING,
                     message, advice);
    }
}

/* An SRV target that is a CNAME, once per SRV name and target; @aliases
 * gets the SRV name, the target, the real name and the record to publish. */
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

/* Records exist, but none for the transport asked: say what is there and
 * the one record to add. */
static void
report_other_transports (DnsStep *step)
{
  SdTransport want = step->config->transport;
  const SrvService *srv = profile_srv (step->config->client);
  const char *service = NULL;
  g_autoptr(GString) have = g_string_new (NULL);
  g_autofree char *want_name = g_ascii_strup (sd_transport_to_string (want), -1);
  g_autofree char *message = NULL;
  g_autofree char *advice = NULL;
  const char *other = sd_transport_to_string (step->filtered_transport);

  for (guint i = 0; i < step->filtered->len; i++)
    {
      if (i > 0)
        g_string_append (have, "; ");
      g_string_append (have, step->filtered->pdata[i]);
    }
  for (guint i = 0; srv[i].prefix != NULL && service == NULL; i++)
    if (srv[i].transport == want)
      service = srv[i].prefix;

  message = g_strdup_printf (_("%s publishes no record for SIP over %s, the transport asked for, that a "
                               "client (profile: %s) looks up. It publishes other transports: %s."),
                             step->domain, want_name, sd_client_profile_title (step->config->client),
                             have->str);
  if (service != NULL)
    {
      const char *target = step->filtered_target;
      advice = g_strdup_printf (_("If the server takes SIP over %s, ask the DNS administrator of %s to add "
                                  "this record (with the port the server listens on):\n"
                                  "%s.%s. 3600 IN SRV 0 0 %u %s%s\n"
                                  "Otherwise test with a transport that is published (transport %s)."),
                                want_name, step->domain, service, step->domain,
                                sd_transport_default_port (want), target,
                                g_str_has_suffix (target, ".") ? "" : ".", other);
    }
  else
    advice = g_strdup_printf (_("This client (profile: %s) never looks for SIP over %s through DNS. Test "
                                "with a transport that is published (transport %s)."),
                              sd_client_profile_title (step->config->client), want_name, other);
  sd_run_report (step->run, SD_STEP_DNS, SD_FINDING_DNS_NO_RECORDS_FOR_TRANSPORT, SD_SEVERITY_ERROR, message, advice);
}

/* The servers the autodiscover Domain resource names come first, as the
 * client tries them before any SRV record; Lync signs in over TLS only. */
static void
add_autodiscover_candidates (DnsStep *step, GPtrArray *out)
{
  for (guint i = 0; step->autodiscover != NULL && i < step->autodiscover->servers->len; i++)
    {
      SdAutodiscoverServer *s = step->autodiscover->servers->pdata[i];
      g_autofree char *source = g_strdup_printf ("autodiscover %s", s->access);

      cap_addresses (step, s->fqdn, s->addresses);
      for (guint k = 0; k < s->addresses->len; k++)
        add_candidate (step, out, s->fqdn, s->port, SD_TRANSPORT_TLS, s->addresses->pdata[k], source);
    }
}

static void
conclude_auto (DnsStep *step, GPtrArray *out)
{
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GArray) transports = g_array_new (FALSE, FALSE, sizeof (SdTransport));
  g_autoptr(GPtrArray) unresolvable = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) unavailable = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) seen_srv = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) aliases = g_ptr_array_new_with_free_func (g_free);  /* SRV name, target, real name, record */
  gboolean srv_found = FALSE;
  gboolean any_timeout = FALSE, any_server_error = FALSE;
  guint srv_candidates, autodiscover_candidates;
  const ANameSpec *a = profile_a (step->config->client);

  add_autodiscover_candidates (step, out);
  autodiscover_candidates = out->len;
  srv_plan (step, names, transports, FALSE);
  for (guint i = 0; i < names->len; i++)
    {
      const char *name = names->pdata[i];
      SdTransport t = g_array_index (transports, SdTransport, i);
      SdDnsResult *r = lookup (step, SD_DNS_TYPE_SRV, name, NULL);
      GPtrArray *ordered;
      g_autofree char *source = NULL;
      gboolean dup = FALSE;
      guint n_srv = 0;

      for (guint k = 0; k < seen_srv->len; k++)
        dup = dup || sd_dns_name_equal (seen_srv->pdata[k], name);
      if (dup || r == NULL)
        continue;
      g_ptr_array_add (seen_srv, g_strdup (name));
      ordered = srv_ordered (step, r);
      if (ordered->len > 0)
        srv_found = TRUE;
      for (guint k = 0; k < r->answers->len; k++)
        n_srv += ((SdDnsRecord *) r->answers->pdata[k])->type == SD_DNS_TYPE_SRV;
      if (n_srv > ordered->len)
        {
          /* TRANSLATORS: part of a list: "32 of the 60 SRV records of _sip._tls.example.com" */
          JsonObject *o = note_cut (step, "srv-records", name, n_srv, ordered->len,
                                    g_strdup_printf (_("%u of the %u SRV records of %s"),
                                                     ordered->len, n_srv, name));
          JsonArray *list = json_array_new ();

          for (guint k = 0; k < r->answers->len && json_array_get_length (list) < MAX_LISTED; k++)
            {
              const SdDnsRecord *rr = r->answers->pdata[k];
              if (rr->type == SD_DNS_TYPE_SRV && !g_ptr_array_find (ordered, rr, NULL))
                json_array_add_object_element (list, record_to_json (rr));
            }
          json_object_set_array_member (o, "records", list);
        }
      source = g_strdup_printf ("SRV %s", name);
      for (guint k = 0; k < ordered->len; k++)
        {
          const SdDnsRecord *rr = ordered->pdata[k];
          g_autoptr(GPtrArray) addrs = g_ptr_array_new_with_free_func (g_object_unref);
          HostState st;

          if (sd_dns_srv_is_unavailable (rr))
            {
              g_ptr_array_add (unavailable, g_strdup (name));
              continue;
            }
          st = resolve_host (step, rr->target, addrs);
          if (st == HOST_NOT_ASKED)
            note_not_asked (step, rr->target);
          note_alias (step, aliases, name, rr);
          cap_addresses (step, rr->target, addrs);
          if (st == HOST_NO_ADDRESS)
            {
              gboolean dup2 = FALSE;
              for (guint j = 0; j < unresolvable->len; j += 2)
                dup2 = dup2 || sd_dns_name_equal (unresolvable->pdata[j], rr->target);
              if (!dup2)
                {
                  g_ptr_array_add (unresolvable, g_strdup (rr->target));
                  g_ptr_array_add (unresolvable, g_strdup (name));
                }
            }
          {
            guint before = out->len;

            add_host_candidates (step, out, rr->target, rr->port, t, addrs, source);
            /* Kept so that a later step can name the whole record to fix. */
            for (guint j = before; j < out->len; j++)
              {
                ((SdCandidate *) out->pdata[j])->srv_priority = rr->priority;
                ((SdCandidate *) out->pdata[j])->srv_weight = rr->weight;
              }
          }
        }
    }
  srv_candidates = out->len - autodiscover_candidates;

  /* RFC 3263 falls back to A/AAAA only when there is no SRV at all; the
   * Microsoft clients always go on to their fixed names. */
  if (!srv_found || step->config->client != SD_CLIENT_GENERIC)
    for (guint i = 0; a[i].prefix != (const char *) -1; i++)
      {
        g_autofree char *n = a_name (&a[i], step->domain);
        g_autoptr(GPtrArray) addrs = g_ptr_array_new_with_free_func (g_object_unref);
        g_autofree char *source4 = g_strdup_printf ("A %s", n);
        g_autofree char *source6 = g_strdup_printf ("AAAA %s", n);

        if (resolve_host (step, n, addrs) == HOST_NOT_ASKED)
          note_not_asked (step, n);
        cap_addresses (step, n, addrs);
        for (guint t = 0; t < G_N_ELEMENTS (a[i].transports); t++)
          {
            if (a[i].transports[t] == SD_TRANSPORT_AUTO)
              continue;
            for (guint k = 0; k < addrs->len; k++)
              {
                GInetAddress *ia = addrs->pdata[k];
                add_candidate (step, out, n, a[i].ports[t], a[i].transports[t], ia,
                               g_inet_address_get_family (ia) == G_SOCKET_FAMILY_IPV6 ? source6 : source4);
              }
          }
      }

  for (guint i = 0; i < step->order->len; i++)
    {
      SdDnsResult *r = step->order->pdata[i];
      any_timeout = any_timeout || g_str_equal (r->rcode, "TIMEOUT");
      any_server_error = any_server_error
                         || !(g_str_equal (r->rcode, "NOERROR") || g_str_equal (r->rcode, "NXDOMAIN")
                              || g_str_equal (r->rcode, "TIMEOUT"));
    }

  report_timeouts (step, out->len > 0);
  report_server_errors (step, out->len > 0);

  for (guint i = 0; i < unavailable->len; i++)
    {
      g_autofree char *message = g_strdup_printf (_("The SRV record %s says the service is not available "
                                                    "in this domain (its target is \".\")."),
                                                  (char *) unavailable->pdata[i]);
      g_autofree char *advice = g_strdup_printf (_("The DNS administrator of %s has marked this service as "
                                                   "switched off. If SIP should work here, replace that "
                                                   "record with one naming the SIP server, such as:\n%s. "
                                                   "3600 IN SRV 0 0 5061 sip.%s."),
                                                 step->domain, (char *) unavailable->pdata[i], step->domain);
      sd_run_report (step->run, SD_STEP_DNS, SD_FINDING_DNS_SERVICE_UNAVAILABLE,
                     out->len > 0 ? SD_SEVERITY_INFO : SD_SEVERITY_ERROR, message, advice);
    }

  for (guint i = 0; i + 1 < unresolvable->len; i += 2)
    {
      const char *target = unresolvable->pdata[i];
      const char *srv_name = unresolvable->pdata[i + 1];
      g_autofree char *message = g_strdup_printf (_("The SRV record %s points to %s, but %s has no "
                                                    "address (no A or AAAA record)."),
                                                  srv_name, target, target);
      g_autofree char *advice = g_strdup_printf (_("Create an A record for %s with the SIP server's "
                                                   "address (for example \"%s. 3600 IN A 192.0.2.10\"), "
                                                   "or change the SRV record %s to name a host that has one."),
                                                 target, target, srv_name);
      sd_run_report (step->run, SD_STEP_DNS, SD_FINDING_DNS_SRV_TARGET_UNRESOLVABLE,
                     out->len > 0 ? SD_SEVERITY_WARNING : SD_SEVERITY_ERROR, message, advice);
    }

  /* Servers autodiscover named are no fallback by luck of a name. */
  if (!srv_found && out->len > autodiscover_candidates)
    {
      g_autofree char *message = g_strdup_printf (_("%s has no SIP SRV records; a client finds the server "
                                                    "only through the fallback name %s."),
                                                  step->domain,
                                                  ((SdCandidate *) out->pdata[autodiscover_candidates])->host);
      g_autofree char *zone = zone_example (step);
      g_autofree char *advice = g_strdup_printf (_("Automatic configuration works here only by luck of "
                                                   "the host name, and some clients do not try it. Publish "
                                                   "SRV records for %s, for example:\n%s"),
                                                 step->domain, zone);
      sd_run_report (step->run, SD_STEP_DNS, SD_FINDING_DNS_NO_SRV, SD_SEVERITY_WARNING, message, advice);
    }

  for (guint i = 0; i + 3 < aliases->len; i += 4)
    {
      const char *srv_name = aliases->pdata[i];
      const char *target = aliases->pdata[i + 1];
      const char *real = aliases->pdata[i + 2];
      g_autofree char *message = g_strdup_printf (_("The SRV record %s points to %s, which is an alias (a "
                                                    "CNAME record for %s). RFC 2782 forbids this: the "
                                                    "target of an SRV record must not be an alias."),
                                                  srv_name, target, real);
      g_autofree char *advice = g_strdup_printf (_("Clients that follow the alias work, but others (and "
                                                   "some DNS servers, which leave the alias's addresses "
                                                   "out of their answers) find no server. Point the SRV "
                                                   "record at the real name instead:\n%s"),
                                                 (char *) aliases->pdata[i + 3]);
      sd_run_report (step->run, SD_STEP_DNS, SD_FINDING_DNS_SRV_TARGET_CNAME, SD_SEVERITY_WARNING, message, advice);
    }

  if (out->len == 0 && !any_timeout && unavailable->len == 0 && unresolvable->len == 0 && !any_server_error
      && step->filtered->len > 0)
    report_other_transports (step);
  else if (out->len == 0 && !any_timeout && unavailable->len == 0 && unresolvable->len == 0
           && !any_server_error && domain_missing (step))
    {
      g_autofree char *message = g_strdup_printf (_("The domain %s does not exist in DNS: the DNS server "
                                                    "answers \"no such name\" (NXDOMAIN) for the domain "
                                                    "itself and for every SIP look-up."), step->domain);
      /* TRANSLATORS: the second %s is the control, e.g. "--server" or "the Server field". */
      g_autofree char *advice = g_strdup_printf (_("Check the SIP address for a typo in the part after "
                                                   "the @ (%s): a client looks up exactly that domain. If "
                                                   "it is right, the domain is not registered or not "
                                                   "published in DNS; ask its DNS administrator, or give "
                                                   "the server's name or address in %s, "
                                                   "which skips automatic configuration."), step->domain,
                                                 sd_config_control_name (step->config, SD_CONTROL_SERVER));
      sd_run_report (step->run, SD_STEP_DNS, SD_FINDING_DNS_DOMAIN_NOT_FOUND, SD_SEVERITY_ERROR, message, advice);
    }
  else if (out->len == 0 && !any_timeout && unavailable->len == 0 && unresolvable->len == 0 && !any_server_error)
    {
      g_autofree char *zone = zone_example (step);
      g_autofree char *message = g_strdup_printf (_("The domain %s exists, but no DNS record tells a client "
                                                    "(profile: %s) where its SIP server is: every SIP "
                                                    "look-up came back empty."),
                                                  step->domain,
                                                  sd_client_profile_title (step->config->client));
      /* TRANSLATORS: the last %s is the control, e.g. "--server" or "the Server field". */
      g_autofree char *advice = g_strdup_printf (_("Either ask the DNS administrator of %s to create the "
                                                   "records clients look for, such as these (with your "
                                                   "server's name and address):\n%s\nor give the server's "
                                                   "name or address in %s, which skips "
                                                   "automatic configuration."),
                                                 step->domain, zone,
                                                 sd_config_control_name (step->config, SD_CONTROL_SERVER));
      sd_run_report (step->run, SD_STEP_DNS, SD_FINDING_DNS_NO_RECORDS, SD_SEVERITY_ERROR, message, advice);
    }

  /* High Security Mode is a Microsoft client's rule: a standard client
   * (RFC 3263 and 5922) follows an SRV record anywhere and checks the
   * certificate against the SIP domain, which the TLS step does. */
  if (srv_candidates > 0
      && (step->config->client != SD_CLIENT_GENERIC || step->config->strict_dns_naming))
    report_strict_naming (step, out);
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
        g_autofree char *message = g_strdup_printf (_("The server name %s does not resolve: there is "
                                                      "no A or AAAA record for it."), step->host);
        g_autofree char *advice = g_strdup_printf (_("Check the spelling of the server name. If it is "
                                                     "right, ask the DNS administrator to create an A "
                                                     "record for it (for example \"%s. 3600 IN A "
                                                     "192.0.2.10\"), or type the server's IP address "
                                                     "instead to test without DNS."), step->host);
        sd_run_report (step->run, SD_STEP_DNS, SD_FINDING_DNS_NO_RECORDS, SD_SEVERITY_ERROR, message, advice);
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
  g_autofree char *message = NULL;
  g_autofree char *advice = NULL;
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
  message = g_strdup_printf (_("The DNS records of %s name far more servers than a client would try, so "
                               "this check kept only the first ones in the client's order: %s."),
                             zone, what->str);
  advice = g_strdup_printf (_("A SIP service needs a few SRV records per service and a few addresses per "
                              "server. Ask the DNS administrator of %s to look for records created by "
                              "mistake (a script run twice, a wildcard) and remove them: a client that must "
                              "work through so many servers signs in slowly or gives up."), zone);
  sd_run_report (step->run, SD_STEP_DNS, SD_FINDING_DNS_TOO_MANY_RECORDS, SD_SEVERITY_WARNING, message, advice);
}

/* A question this computer could not even send (no socket, no memory)
 * tells nothing about the DNS server or the zone: said as this computer's
 * problem, and the run ends as an internal failure. */
static void
report_local (DnsStep *step)
{
  const char *why = NULL;
  guint n = 0;

  for (guint i = 0; i < step->order->len; i++)
    {
      SdDnsResult *r = step->order->pdata[i];
      if (!g_str_equal (r->rcode, "LOCAL"))
        continue;
      if (why == NULL)
        why = r->error;
      n++;
    }
  if (n == 0)
    return;
  step->local_failure = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                                      "This computer ran out of resources, so %u DNS look-up "
                                                      "could not be made (%s). This says nothing about the DNS "
                                                      "server or the zone.",
                                                      "This computer ran out of resources, so %u DNS look-ups "
                                                      "could not be made (%s). This says nothing about the DNS "
                                                      "server or the zone.", n),
                                         n, why);
  sd_run_report (step->run, SD_STEP_DNS, SD_FINDING_DNS_LOCAL_RESOURCES, SD_SEVERITY_ERROR, step->local_failure,
                 _("Close programs that are not needed, or raise this computer's limit of open files "
                   "(for example \"ulimit -n 4096\" in the shell that starts the check), then run the "
                   "check again."));
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

static void
autodiscover_progress (const char *message, gpointer user_data)
{
  sd_run_step_progress (user_data, SD_STEP_DNS, message);
}

static void
autodiscover_done (GObject *source, GAsyncResult *res, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  DnsStep *step = g_task_get_task_data (task);
  JsonObject *data = sd_run_get_step_data (step->run, SD_STEP_DNS);
  g_autoptr(GError) error = NULL;

  step->autodiscover = sd_autodiscover_run_finish (res, &error);
  if (step->autodiscover == NULL)
    {
      step->cancelled = TRUE;
      return_from_step (step);
      return;
    }
  json_object_set_string_member (data, "autodiscover",
                                 sd_autodiscover_outcome_to_string (step->autodiscover->outcome));
  for (guint i = 0; i < step->autodiscover->findings->len; i++)
    sd_run_add_finding (step->run, step->autodiscover->findings->pdata[i]);
  sd_run_step_progress (step->run, SD_STEP_DNS, _("Looking up the SIP records of the domain…"));
  advance (step);
}

/* Lync asks its autodiscover web service before any SRV record; the
 * sub-check (sd-autodiscover.h) fills data.lyncdiscover as it goes. */
static void
start_autodiscover (DnsStep *step, JsonObject *data)
{
  SdContext *ctx = sd_run_get_context (step->run);
  g_autofree char *address = sd_sip_uri_to_aor (ctx->uri);
  JsonObject *web = json_object_new ();
  SdAutodiscoverInput input = {
    .http = sd_http_client_get_for_run (step->run),
    .resolver = step->resolver,
    .domain = step->domain,
    .sip_address = address,
    .timeout_ms = step->config->timeout_s * 1000,
    .config = step->config,
    .data = web,
    .progress = autodiscover_progress,
    .progress_data = step->run,
  };

  json_object_set_string_member (data, "autodiscover", "running");
  json_object_set_object_member (data, "lyncdiscover", web);
  sd_autodiscover_run_async (&input, step->cancellable, autodiscover_done, g_object_ref (step->task));
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
  /* Only for tests that want a reproducible draw among equal weights. */
  if (g_getenv ("SD_DNS_SRV_SEED") != NULL)
    step->rand = g_rand_new_with_seed ((guint32) g_ascii_strtoull (g_getenv ("SD_DNS_SRV_SEED"), NULL, 10));
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
  if (step->mode == MODE_AUTO && config->client == SD_CLIENT_LYNC && ctx->uri != NULL)
    {
      start_autodiscover (step, data);
      return;
    }

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
