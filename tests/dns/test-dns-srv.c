/* test-dns-srv.c: RFC 2782 ordering and the strict DNS naming rule.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "sd-dns-srv.h"
#include "sd-dns-naming.h"

typedef struct { guint16 priority, weight; const char *target; } Srv;

static GPtrArray *
make (const Srv *srv, guint n)
{
  GPtrArray *records = g_ptr_array_new_with_free_func ((GDestroyNotify) sd_dns_record_free);

  for (guint i = 0; i < n; i++)
    {
      SdDnsRecord *rr = g_new0 (SdDnsRecord, 1);
      rr->type = SD_DNS_TYPE_SRV;
      rr->name = g_strdup ("_sip._tls.example.com");
      rr->priority = srv[i].priority;
      rr->weight = srv[i].weight;
      rr->port = 5061;
      rr->target = g_strdup (srv[i].target);
      g_ptr_array_add (records, rr);
    }
  return records;
}

static const char *
target_at (GPtrArray *ordered, guint i)
{
  return ((SdDnsRecord *) ordered->pdata[i])->target;
}

/* How often each target comes first, over @runs draws. */
static GHashTable *
first_counts (const Srv *srv, guint n, guint runs, guint32 seed)
{
  g_autoptr(GPtrArray) records = make (srv, n);
  GHashTable *counts = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  GRand *rand = g_rand_new_with_seed (seed);

  for (guint r = 0; r < runs; r++)
    {
      g_autoptr(GPtrArray) ordered = sd_dns_srv_order (records, rand);
      const char *first = target_at (ordered, 0);
      g_assert_cmpuint (ordered->len, ==, n);
      g_hash_table_replace (counts, g_strdup (first),
                           GUINT_TO_POINTER (GPOINTER_TO_UINT (g_hash_table_lookup (counts, first)) + 1));
    }
  g_rand_free (rand);
  return counts;
}

static guint
count (GHashTable *counts, const char *target)
{
  return GPOINTER_TO_UINT (g_hash_table_lookup (counts, target));
}

typedef struct {
  const char *what;
  Srv         srv[6];
  guint       n;
  const char *order[6];   /* the only possible order (deterministic cases) */
} OrderCase;

static const OrderCase order_cases[] = {
  { "priorities, lowest first", { { 20, 5, "b" }, { 10, 5, "a" }, { 30, 5, "c" } }, 3, { "a", "b", "c" } },
  { "all weights 0 keep the server's order", { { 0, 0, "x" }, { 0, 0, "y" }, { 0, 0, "z" } }, 3, { "x", "y", "z" } },
  { "one record", { { 7, 0, "only" } }, 1, { "only" } },
  { "priority 65535 last", { { 65535, 0, "last" }, { 0, 65535, "first" } }, 2, { "first", "last" } },
  { "weight 0 within each priority", { { 20, 0, "p20" }, { 10, 0, "p10" } }, 2, { "p10", "p20" } },
};

static void
test_order_table (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (order_cases); i++)
    {
      const OrderCase *c = &order_cases[i];
      g_autoptr(GPtrArray) records = make (c->srv, c->n);
      GRand *rand = g_rand_new_with_seed (42 + i);

      g_test_message ("case %u: %s", i, c->what);
      for (guint run = 0; run < 50; run++)
        {
          g_autoptr(GPtrArray) ordered = sd_dns_srv_order (records, rand);
          g_assert_cmpuint (ordered->len, ==, c->n);
          for (guint k = 0; k < c->n; k++)
            g_assert_cmpstr (target_at (ordered, k), ==, c->order[k]);
        }
      g_rand_free (rand);
    }
}

static void
test_priority_groups_never_mix (void)
{
  static const Srv srv[] = { { 20, 0, "p20a" }, { 10, 10, "p10a" }, { 10, 60, "p10b" },
                             { 20, 0, "p20b" }, { 10, 0, "p10c" }, { 10, 30, "p10d" } };
  g_autoptr(GPtrArray) records = make (srv, G_N_ELEMENTS (srv));
  GRand *rand = g_rand_new_with_seed (7);

  for (guint run = 0; run < 500; run++)
    {
      g_autoptr(GPtrArray) ordered = sd_dns_srv_order (records, rand);
      for (guint k = 0; k < ordered->len; k++)
        g_assert_cmpuint (((SdDnsRecord *) ordered->pdata[k])->priority, ==, k < 4 ? 10 : 20);
    }
  g_rand_free (rand);
}

static void
test_weights_proportional (void)
{
  /* Weights 60/30/10/0: running sums 0,60,90,100 with the weight-0 record
   * first; a draw in [0,100] picks w0 only for 0, so 1/101 of the time. */
  static const Srv srv[] = { { 10, 60, "w60" }, { 10, 30, "w30" }, { 10, 10, "w10" }, { 10, 0, "w0" } };
  const guint runs = 20000;
  g_autoptr(GHashTable) c = first_counts (srv, G_N_ELEMENTS (srv), runs, 1234);

  g_assert_cmpfloat_with_epsilon ((double) count (c, "w60") / runs, 60.0 / 101, 0.02);
  g_assert_cmpfloat_with_epsilon ((double) count (c, "w30") / runs, 30.0 / 101, 0.02);
  g_assert_cmpfloat_with_epsilon ((double) count (c, "w10") / runs, 10.0 / 101, 0.015);
  /* weight 0: rarely, but it can be chosen first (RFC 2782) */
  g_assert_cmpuint (count (c, "w0"), >, 0);
  g_assert_cmpfloat ((double) count (c, "w0") / runs, <, 0.03);
}

static void
test_weight_zero_against_one_heavy (void)
{
  static const Srv srv[] = { { 0, 0, "zero" }, { 0, 100, "heavy" } };
  const guint runs = 20000;
  g_autoptr(GHashTable) c = first_counts (srv, G_N_ELEMENTS (srv), runs, 99);

  g_assert_cmpuint (count (c, "zero") + count (c, "heavy"), ==, runs);
  g_assert_cmpuint (count (c, "zero"), >, 0);
  g_assert_cmpfloat ((double) count (c, "zero") / runs, <, 0.03);
}

static void
test_equal_weights_uniform (void)
{
  static const Srv srv[] = { { 5, 10, "a" }, { 5, 10, "b" }, { 5, 10, "c" } };
  const guint runs = 30000;
  g_autoptr(GHashTable) c = first_counts (srv, G_N_ELEMENTS (srv), runs, 5);

  /* RFC 2782 draws from [0, 30] inclusive with running sums 10, 20, 30, so
   * the first record takes 0..10 (11 of 31) and the others 10 of 31 each:
   * the RFC's own small bias, kept as written. */
  g_assert_cmpfloat_with_epsilon ((double) count (c, "a") / runs, 11.0 / 31, 0.015);
  g_assert_cmpfloat_with_epsilon ((double) count (c, "b") / runs, 10.0 / 31, 0.015);
  g_assert_cmpfloat_with_epsilon ((double) count (c, "c") / runs, 10.0 / 31, 0.015);
}

static void
test_seeded_is_reproducible (void)
{
  static const Srv srv[] = { { 1, 10, "a" }, { 1, 20, "b" }, { 1, 30, "c" }, { 1, 40, "d" } };
  g_autoptr(GPtrArray) records = make (srv, G_N_ELEMENTS (srv));
  GRand *r1 = g_rand_new_with_seed (2024);
  GRand *r2 = g_rand_new_with_seed (2024);

  for (guint run = 0; run < 20; run++)
    {
      g_autoptr(GPtrArray) o1 = sd_dns_srv_order (records, r1);
      g_autoptr(GPtrArray) o2 = sd_dns_srv_order (records, r2);
      for (guint k = 0; k < o1->len; k++)
        g_assert_true (o1->pdata[k] == o2->pdata[k]);
    }
  g_rand_free (r1);
  g_rand_free (r2);
}

/* The capped order is the head of the full one, draw for draw, and costs
 * no more than it keeps: a set of thousands gives exactly @max. */
static void
test_order_max_is_prefix (void)
{
  g_autoptr(GPtrArray) records = g_ptr_array_new_with_free_func ((GDestroyNotify) sd_dns_record_free);

  for (guint i = 0; i < 3000; i++)
    {
      g_autofree char *target = g_strdup_printf ("h%u", i);
      Srv one = { (guint16) (i % 3), (guint16) (i % 11), target };
      g_autoptr(GPtrArray) single = make (&one, 1);
      g_ptr_array_add (records, g_ptr_array_steal_index (single, 0));
    }
  for (guint32 seed = 1; seed <= 5; seed++)
    {
      GRand *r1 = g_rand_new_with_seed (seed);
      GRand *r2 = g_rand_new_with_seed (seed);
      g_autoptr(GPtrArray) full = sd_dns_srv_order (records, r1);
      g_autoptr(GPtrArray) head = sd_dns_srv_order_max (records, r2, 32);

      g_assert_cmpuint (full->len, ==, 3000);
      g_assert_cmpuint (head->len, ==, 32);
      for (guint k = 0; k < head->len; k++)
        g_assert_true (head->pdata[k] == full->pdata[k]);
      /* All from the lowest priority: the cap never skips ahead of a group. */
      for (guint k = 0; k < head->len; k++)
        g_assert_cmpuint (((SdDnsRecord *) head->pdata[k])->priority, ==, 0);
      g_rand_free (r1);
      g_rand_free (r2);
    }
  {
    g_autoptr(GPtrArray) none = sd_dns_srv_order_max (records, NULL, 0);
    g_autoptr(GPtrArray) few = make ((const Srv[]) { { 0, 0, "a" }, { 1, 0, "b" } }, 2);
    g_autoptr(GPtrArray) all = sd_dns_srv_order_max (few, NULL, 32);
    g_assert_cmpuint (none->len, ==, 0);
    g_assert_cmpuint (all->len, ==, 2);
  }
}

static void
test_non_srv_ignored_and_unavailable (void)
{
  static const Srv srv[] = { { 0, 0, "." } };
  g_autoptr(GPtrArray) records = make (srv, 1);
  SdDnsRecord *a = g_new0 (SdDnsRecord, 1);
  g_autoptr(GPtrArray) ordered = NULL;

  a->type = SD_DNS_TYPE_A;
  a->name = g_strdup ("x");
  g_ptr_array_add (records, a);
  ordered = sd_dns_srv_order (records, NULL);
  g_assert_cmpuint (ordered->len, ==, 1);
  g_assert_true (sd_dns_srv_is_unavailable (ordered->pdata[0]));
  g_assert_false (sd_dns_srv_is_unavailable (a));
  g_clear_pointer (&ordered, g_ptr_array_unref);
  ordered = sd_dns_srv_order (NULL, NULL);
  g_assert_cmpuint (ordered->len, ==, 0);
}

typedef struct {
  const char *domain, *host;
  gboolean    strict_ok;   /* <domain> or sip.<domain> (the guide's High Security Mode) */
  gboolean    in_domain;   /* what DisableStrictDNSNaming / OCS accept */
} NameCase;

static const NameCase name_cases[] = {
  { "example.com", "example.com", TRUE, TRUE },
  { "example.com", "sip.example.com", TRUE, TRUE },
  { "example.com", "SIP.Example.COM.", TRUE, TRUE },
  { "example.com.", "sip.example.com", TRUE, TRUE },
  { "example.com", "lcs.example.com", FALSE, TRUE },
  { "example.com", "bogus.sales.example.com", FALSE, TRUE },   /* the guide's child-domain remark */
  { "example.com", "sip.sip.example.com", FALSE, TRUE },
  { "example.com", "sipexample.com", FALSE, FALSE },
  { "example.com", "notexample.com", FALSE, FALSE },
  { "example.com", "sip.example.com.evil.org", FALSE, FALSE },
  { "example.com", "example.co", FALSE, FALSE },
  { "example.com", "sip.example.co", FALSE, FALSE },
  { "fuzzybunny.local", "lcsserver1.microsoft.com", FALSE, FALSE },   /* the guide's example */
  { "example.com", "", FALSE, FALSE },
  { "", "example.com", FALSE, FALSE },
  { "example.com", ".", FALSE, FALSE },
};

static void
test_strict_naming_table (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (name_cases); i++)
    {
      const NameCase *c = &name_cases[i];
      g_test_message ("case %u: %s in %s", i, c->host, c->domain);
      g_assert_cmpint (sd_dns_strict_name_ok (c->domain, c->host), ==, c->strict_ok);
      g_assert_cmpint (sd_dns_name_in_domain (c->domain, c->host), ==, c->in_domain);
    }
  g_assert_false (sd_dns_strict_name_ok (NULL, "x"));
  g_assert_false (sd_dns_name_in_domain ("x", NULL));
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/dns/srv/order-table", test_order_table);
  g_test_add_func ("/dns/srv/priority-groups", test_priority_groups_never_mix);
  g_test_add_func ("/dns/srv/weights-proportional", test_weights_proportional);
  g_test_add_func ("/dns/srv/weight-zero", test_weight_zero_against_one_heavy);
  g_test_add_func ("/dns/srv/equal-weights", test_equal_weights_uniform);
  g_test_add_func ("/dns/srv/seeded", test_seeded_is_reproducible);
  g_test_add_func ("/dns/srv/unavailable", test_non_srv_ignored_and_unavailable);
  g_test_add_func ("/dns/srv/order-max", test_order_max_is_prefix);
  g_test_add_func ("/dns/naming/strict", test_strict_naming_table);
  return g_test_run ();
}
