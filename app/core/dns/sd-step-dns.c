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
 * This file is the step's glue: what each round asks, what the answers
 * make of the candidates, which findings to report. What each client looks
 * up is in sd-dns-profiles.c (one row per client), the order of its SRV
 * names in sd-dns-plan.c, the words of the findings in sd-dns-findings.c,
 * the questions themselves in sd-dns-resolver.c. The step's own state
 * (sd-dns-step-private.h) is kept by three files of its own: the questions
 * asked and their answers in sd-dns-step-rounds.c, the caps and what they
 * cut in sd-dns-step-caps.c, the report's JSON of records in
 * sd-dns-step-json.c.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#define G_LOG_DOMAIN "sd-step-dns"

#include <glib/gi18n-lib.h>
#include "sd-steps.h"
#include "sd-dns-resolver.h"
#include "sd-dns-srv.h"
#include "sd-dns-naming.h"
#include "sd-dns-profiles.h"
#include "sd-dns-plan.h"
#include "sd-dns-findings.h"
#include "sd-step-dns-testing.h"
#include "sd-dns-step-private.h"
#include "sd-autodiscover.h"
#include "sd-error.h"

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
  sd_autodiscover_result_free (step->autodiscover);
  g_free (step);
}

/* ---- the look-up plan ---------------------------------------------------- */

/* SRV names in the client's order, with their transports (sd-dns-plan.h). */
static void
srv_plan (DnsStep *step, GPtrArray *names, GArray *transports, gboolean to_ask)
{
  SdDnsResult *naptr = step->profile->uses_naptr
                        ? sd_dns_step_lookup (step, SD_DNS_TYPE_NAPTR, step->domain, NULL) : NULL;

  sd_dns_plan_srv_names (step->profile, step->domain, naptr != NULL ? naptr->answers : NULL, to_ask,
                         names, transports);
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

void
sd_dns_step_advance (DnsStep *step)
{
  if (step->mode != MODE_AUTO)
    {
      /* An IP address: no DNS at all, as the guide's first test. */
      if (!g_hostname_is_ip_address (step->host))
        sd_dns_step_resolve_host (step, step->host, NULL);
    }
  else if (step->mode == MODE_AUTO)
    {
      const SdDnsProfile *profile = step->profile;
      g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
      g_autoptr(GArray) transports = g_array_new (FALSE, FALSE, sizeof (SdTransport));

      if (profile->uses_naptr)
        sd_dns_step_ask (step, SD_DNS_TYPE_NAPTR, step->domain);
      srv_plan (step, names, transports, TRUE);
      for (guint i = 0; i < names->len; i++)
        {
          SdDnsResult *r;
          GPtrArray *ordered;
          sd_dns_step_ask (step, SD_DNS_TYPE_SRV, names->pdata[i]);
          r = sd_dns_step_lookup (step, SD_DNS_TYPE_SRV, names->pdata[i], NULL);
          if (r == NULL)
            continue;
          /* Only the records kept: a zone of thousands costs no more look-ups. */
          ordered = sd_dns_step_srv_ordered (step, r);
          for (guint k = 0; k < ordered->len; k++)
            {
              const SdDnsRecord *rr = ordered->pdata[k];
              if (!sd_dns_srv_is_unavailable (rr))
                sd_dns_step_resolve_host (step, rr->target, NULL);
            }
        }
      for (guint i = 0; i < profile->n_fallback; i++)
        {
          g_autofree char *n = sd_dns_profile_name (profile->fallback[i].prefix, step->domain);
          sd_dns_step_resolve_host (step, n, NULL);
        }
      /* Nothing at all: whether the domain exists decides between "a typo
       * in the address" and "records to create". Profiles that never ask
       * the domain's own name learn it from its SOA, one more round. */
      if (step->in_flight == 0 && nothing_found (step) && !domain_asked (step))
        sd_dns_step_ask (step, SD_DNS_TYPE_SOA, step->domain);
    }

  if (step->in_flight == 0)
    conclude (step);
}

/* ---- results (the caps and data.left_out: sd-dns-step-caps.c) ------------- */

/* The explicit server, or the IP literal of the address: TLS, TCP, UDP with
 * transport auto, else the transport chosen. */
static void
add_fixed_candidates (DnsStep *step, GPtrArray *out, GPtrArray *addresses, const char *source)
{
  static const SdTransport all[] = { SD_TRANSPORT_TLS, SD_TRANSPORT_TCP, SD_TRANSPORT_UDP };

  for (guint t = 0; t < G_N_ELEMENTS (all); t++)
    {
      guint16 port = step->port != 0 ? step->port : sd_transport_default_port (all[t]);
      sd_dns_step_add_host_candidates (step, out, step->host, port, all[t], addresses, source);
    }
}

/* ---- findings ------------------------------------------------------------ */

/* The run's part of every finding's facts. */
SdDnsFacts
sd_dns_step_facts (DnsStep *step, gboolean have_candidates)
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

void
sd_dns_step_report (DnsStep *step, SdDnsFindingKind kind, const SdDnsFacts *facts)
{
  g_autoptr(SdFinding) finding = sd_dns_finding_build (kind, facts);

  sd_run_add_finding (step->run, finding);
}

static void
report_timeouts (DnsStep *step, gboolean have_candidates)
{
  g_autoptr(GString) names = g_string_new (NULL);
  SdDnsFacts f = sd_dns_step_facts (step, have_candidates);
  const char *server = NULL;
  guint n = 0;

  for (guint i = 0; i < step->order->len; i++)
    {
      SdDnsResult *r = step->order->pdata[i];
      if (r->outcome != SD_DNS_OUTCOME_TIMEOUT)
        continue;
      if (n++ > 0)
        g_string_append (names, ", ");
      g_string_append_printf (names, "%s %s", r->name, sd_dns_step_type_name (r->type));
      server = r->server;
    }
  if (n == 0)
    return;
  /* The system's servers are named as such: a person knows "this computer's", not the list. */
  f.server = sd_dns_resolver_is_system (step->resolver) ? NULL : server;
  f.count = n;
  f.list = names->str;
  sd_dns_step_report (step, SD_DNS_FINDING_TIMEOUT, &f);
}

static void
report_server_errors (DnsStep *step, gboolean have_candidates)
{
  SdDnsFacts f = sd_dns_step_facts (step, have_candidates);

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
      sd_dns_step_report (step, kind, &f);
      return;  /* one is enough: the others say the same */
    }
}

static void
report_strict_naming (DnsStep *step, GPtrArray *candidates)
{
  g_autoptr(GPtrArray) srv_names = g_ptr_array_new ();   /* borrowed from the candidates */
  SdDnsFacts f = sd_dns_step_facts (step, candidates->len > 0);

  if (step->config->transport != SD_TRANSPORT_AUTO && step->config->transport != SD_TRANSPORT_TLS)
    return;
  /* One finding per SRV record set, naming every target outside the rule. */
  for (guint i = 0; i < candidates->len; i++)
    {
      SdCandidate *c = candidates->pdata[i];
      gboolean dup = FALSE;

      if (c->transport != SD_TRANSPORT_TLS || c->origin != SD_CANDIDATE_FROM_SRV
          || sd_dns_profile_strict_ok (step->profile, step->domain, c->host))
        continue;
      for (guint k = 0; k < srv_names->len; k++)
        dup = dup || g_str_equal (srv_names->pdata[k], c->srv_name);
      if (!dup)
        g_ptr_array_add (srv_names, c->srv_name);
    }

  for (guint k = 0; k < srv_names->len; k++)
    {
      g_autoptr(GString) hosts = g_string_new (NULL);
      g_autoptr(GPtrArray) seen = g_ptr_array_new ();

      for (guint i = 0; i < candidates->len; i++)
        {
          SdCandidate *c = candidates->pdata[i];
          gboolean dup = FALSE;

          if (g_strcmp0 (c->srv_name, srv_names->pdata[k]) != 0 || c->transport != SD_TRANSPORT_TLS
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
      f.name = srv_names->pdata[k];
      f.list = hosts->str;
      sd_dns_step_report (step, SD_DNS_FINDING_STRICT_NAMING, &f);
    }
}

/* ---- autoconfiguration: the candidates, then what to say ----------------- */

/* What building the candidate list noticed, for the findings. */
typedef struct {
  gboolean   srv_found;
  guint      autodiscover_candidates;  /* the first ones of the list come from autodiscover */
  guint      srv_candidates;  /* then these from SRV records */
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
      SdDnsResult *r = sd_dns_step_lookup (step, types[t], rr->target, NULL);
      const char *end = r != NULL ? sd_dns_step_follow_cname (r, rr->target) : rr->target;

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
      SdDnsResult *r = sd_dns_step_lookup (step, SD_DNS_TYPE_SRV, name, NULL);
      GPtrArray *ordered;
      g_autofree char *source = NULL;
      gboolean dup = FALSE;

      for (guint k = 0; k < seen_srv->len; k++)
        dup = dup || sd_dns_name_equal (seen_srv->pdata[k], name);
      if (dup || r == NULL)
        continue;
      g_ptr_array_add (seen_srv, g_strdup (name));
      ordered = sd_dns_step_srv_ordered (step, r);
      if (ordered->len > 0)
        notes->srv_found = TRUE;
      sd_dns_step_note_srv_cut (step, name, r, ordered);
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
          st = sd_dns_step_resolve_host (step, rr->target, addrs);
          if (st == HOST_NOT_ASKED)
            sd_dns_step_note_not_asked (step, rr->target);
          note_alias (step, notes->aliases, name, rr);
          sd_dns_step_cap_addresses (step, rr->target, addrs);
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
          sd_dns_step_add_host_candidates (step, out, rr->target, rr->port, t, addrs, source);
          /* Kept so that a later step can name the whole record to fix. */
          for (guint j = before; j < out->len; j++)
            sd_candidate_set_srv (out->pdata[j], name, rr->priority, rr->weight);
        }
    }
  notes->srv_candidates = out->len - notes->autodiscover_candidates;
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

      if (sd_dns_step_resolve_host (step, n, addrs) == HOST_NOT_ASKED)
        sd_dns_step_note_not_asked (step, n);
      sd_dns_step_cap_addresses (step, n, addrs);
      for (guint t = 0; t < G_N_ELEMENTS (a->transports); t++)
        {
          if (a->transports[t] == SD_TRANSPORT_AUTO)
            continue;
          for (guint k = 0; k < addrs->len; k++)
            {
              GInetAddress *ia = addrs->pdata[k];
              sd_dns_step_add_candidate (step, out, n, a->ports[t], a->transports[t], ia,
                             g_inet_address_get_family (ia) == G_SOCKET_FAMILY_IPV6 ? source6 : source4);
            }
        }
    }
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

      sd_dns_step_cap_addresses (step, s->fqdn, s->addresses);
      for (guint k = 0; k < s->addresses->len; k++)
        sd_dns_step_add_candidate (step, out, s->fqdn, s->port, SD_TRANSPORT_TLS, s->addresses->pdata[k], source);
    }
}

static void
build_auto_candidates (DnsStep *step, GPtrArray *out, AutoNotes *notes)
{
  add_autodiscover_candidates (step, out);
  notes->autodiscover_candidates = out->len;
  add_srv_candidates (step, out, notes);
  /* RFC 3263 falls back to A/AAAA only when there is no SRV at all; the
   * Microsoft clients always go on to their fixed names. */
  if (!notes->srv_found || !step->profile->fallback_only_without_srv)
    add_fallback_candidates (step, out);
}

static void
report_auto (DnsStep *step, GPtrArray *out, const AutoNotes *notes)
{
  SdDnsFacts f = sd_dns_step_facts (step, out->len > 0);
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
      sd_dns_step_report (step, SD_DNS_FINDING_SERVICE_UNAVAILABLE, &u);
    }

  for (guint i = 0; i + 1 < notes->unresolvable->len; i += 2)
    {
      SdDnsFacts u = f;
      u.target = notes->unresolvable->pdata[i];
      u.name = notes->unresolvable->pdata[i + 1];
      sd_dns_step_report (step, SD_DNS_FINDING_SRV_TARGET_UNRESOLVABLE, &u);
    }

  /* Servers autodiscover named are no fallback by luck of a name. */
  if (!notes->srv_found && out->len > notes->autodiscover_candidates)
    {
      SdDnsFacts u = f;
      u.target = ((SdCandidate *) out->pdata[notes->autodiscover_candidates])->host;
      sd_dns_step_report (step, SD_DNS_FINDING_NO_SRV, &u);
    }

  for (guint i = 0; i + 3 < notes->aliases->len; i += 4)
    {
      SdDnsFacts u = f;
      u.name = notes->aliases->pdata[i];
      u.target = notes->aliases->pdata[i + 1];
      u.real_name = notes->aliases->pdata[i + 2];
      u.record = notes->aliases->pdata[i + 3];
      sd_dns_step_report (step, SD_DNS_FINDING_SRV_TARGET_CNAME, &u);
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
      sd_dns_step_report (step, SD_DNS_FINDING_OTHER_TRANSPORTS, &u);
    }
  else if (nothing_explains && domain_missing (step))
    sd_dns_step_report (step, SD_DNS_FINDING_DOMAIN_NOT_FOUND, &f);
  else if (nothing_explains)
    sd_dns_step_report (step, SD_DNS_FINDING_NO_RECORDS, &f);

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

  switch (sd_dns_step_resolve_host (step, step->host, addrs))
    {
    case HOST_RESOLVED:
      sd_dns_step_cap_addresses (step, step->host, addrs);
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
        SdDnsFacts f = sd_dns_step_facts (step, FALSE);
        f.target = step->host;
        sd_dns_step_report (step, SD_DNS_FINDING_HOST_UNRESOLVABLE, &f);
        break;
      }
    }
}

/* A question this computer could not even send (no socket, no memory)
 * tells nothing about the DNS server or the zone: said as this computer's
 * problem, and the run ends as an internal failure. */
static void
report_local (DnsStep *step)
{
  g_autoptr(SdFinding) finding = NULL;
  SdDnsFacts f = sd_dns_step_facts (step, FALSE);
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
  sd_dns_step_report_left_out (step, out);
  report_local (step);

  g_ptr_array_set_size (ctx->candidates, 0);
  for (guint i = 0; i < out->len; i++)
    {
      json_array_add_object_element (cands, sd_dns_step_candidate_json (out->pdata[i]));
      g_ptr_array_add (ctx->candidates, sd_candidate_ref (out->pdata[i]));
    }
  json_object_set_array_member (data, "candidates", cands);
  sd_run_step_progress (step->run, SD_STEP_DNS, NULL);
  sd_dns_step_return (step);
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
      sd_dns_step_return (step);
      return;
    }
  json_object_set_string_member (data, "autodiscover",
                                 sd_autodiscover_outcome_to_string (step->autodiscover->outcome));
  for (guint i = 0; i < step->autodiscover->findings->len; i++)
    sd_run_add_finding (step->run, step->autodiscover->findings->pdata[i]);
  sd_run_step_progress (step->run, SD_STEP_DNS, _("Looking up the SIP records of the domain…"));
  sd_dns_step_advance (step);
}

/* Lync asks its autodiscover web service before any SRV record; the
 * sub-check (sd-autodiscover.h) fills data.lyncdiscover as it goes, with
 * the run's one HTTP client and the step's own resolver. */
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
  /* The clients that ask their autodiscover web service first. */
  if (step->mode == MODE_AUTO && step->profile->autodiscover_first && ctx->uri != NULL)
    {
      start_autodiscover (step, data);
      return;
    }

  sd_run_step_progress (run, SD_STEP_DNS,
                        step->mode == MODE_AUTO ? _("Looking up the SIP records of the domain…") : NULL);
  sd_dns_step_advance (step);
}

gboolean
sd_step_dns_run_finish (SdRun         *run,
                        GAsyncResult  *result,
                        GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, run), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}
