/* sd-bench-loop.c: how responsive the main loop stays during a whole run.
 *
 * Runs Check Everything (uri → auth) the way the wizard does, on a GLib
 * main loop that also carries a 1 ms heartbeat. Any gap between two ticks
 * longer than the frame budget is time during which a window could not
 * have redrawn or reacted to a click. Each gap is attributed to what the
 * engine last announced (step-started, step-updated), and the cost of
 * loading the system trust store, the suspected main stall, is measured
 * on its own. A benchmark: it prints numbers and asserts nothing.
 *
 *   sd-bench-loop alice@example.test --dns-server 127.0.0.1:5353 \
 *     --server sip.example.test:5061 -t tls --ca-file root.pem \
 *     --password-file pw [--runs 5]
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#define G_LOG_DOMAIN "sd-bench-loop"

#include <locale.h>
#include <stdlib.h>
#include <string.h>
#include <gio/gio.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include "sipdoctor.h"
#include "sd-tls-trust.h"

#define BUDGET_US 16000

typedef struct {
  gint64  at_us;      /* start of the gap, from the run's start */
  gint64  length_us;
  char   *before;     /* what the engine announced last before the gap */
  char   *during;     /* what it announced while the loop was blocked */
} Stall;

typedef struct {
  GMainLoop *loop;
  gint64     start_us;
  gint64     last_tick_us;
  gint64     longest_us;
  guint      ticks;
  char      *label;      /* the last announcement before the last tick */
  GString   *since_tick; /* announcements since the last tick */
  GArray    *stalls;
  GError    *error;
} Bench;

static void
stall_clear (gpointer data)
{
  Stall *s = data;

  g_free (s->before);
  g_free (s->during);
}

/* Signals emitted while a blocking call ran are only seen together after
 * it: a gap is blamed on the announcement before it and those during it. */
static void
announce (Bench *b, char *label)
{
  if (b->since_tick->len > 0)
    g_string_append (b->since_tick, " | ");
  g_string_append (b->since_tick, label);
  g_free (label);
}

static gboolean
tick_cb (gpointer user_data)
{
  Bench *b = user_data;
  gint64 now = g_get_monotonic_time ();
  gint64 gap = now - b->last_tick_us;

  b->ticks++;
  if (gap > b->longest_us)
    b->longest_us = gap;
  if (gap > BUDGET_US)
    {
      Stall s = { b->last_tick_us - b->start_us, gap, g_strdup (b->label), g_strdup (b->since_tick->str) };

      g_array_append_val (b->stalls, s);
    }
  if (b->since_tick->len > 0)
    {
      const char *last = strrchr (b->since_tick->str, '|');

      g_free (b->label);
      b->label = g_strdup (last != NULL ? last + 2 : b->since_tick->str);
      g_string_truncate (b->since_tick, 0);
    }
  b->last_tick_us = now;
  return G_SOURCE_CONTINUE;
}

static void
step_started_cb (SdRun *run, guint step, Bench *b)
{
  announce (b, g_strdup_printf ("%s: started", sd_step_id_to_string (step)));
}

static void
step_updated_cb (SdRun *run, guint step, const char *message, Bench *b)
{
  announce (b, g_strdup_printf ("%s: %s", sd_step_id_to_string (step), message != NULL ? message : "(update)"));
}

static void
step_finished_cb (SdRun *run, guint step, Bench *b)
{
  announce (b, g_strdup_printf ("%s: finished", sd_step_id_to_string (step)));
}

static void
execute_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Bench *b = user_data;

  sd_run_execute_finish (SD_RUN (source), result, &b->error);
  g_main_loop_quit (b->loop);
}

/* A hang guard: cancel, and the run ends at once (skipped steps). */
static gboolean
guard_cb (gpointer user_data)
{
  g_cancellable_cancel (G_CANCELLABLE (user_data));
  return G_SOURCE_REMOVE;
}

/* One whole run with the heartbeat; returns the longest gap (µs). */
static gint64
run_once (const SdConfig *config, gboolean verbose)
{
  Bench b = { 0 };
  g_autoptr(SdRun) run = sd_run_new (config);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  guint tick_id, guard_id;
  gint64 total_us;

  b.loop = g_main_loop_new (NULL, FALSE);
  b.stalls = g_array_new (FALSE, TRUE, sizeof (Stall));
  g_array_set_clear_func (b.stalls, stall_clear);
  b.label = g_strdup ("before the run");
  b.since_tick = g_string_new (NULL);
  g_signal_connect (run, "step-started", G_CALLBACK (step_started_cb), &b);
  g_signal_connect (run, "step-updated", G_CALLBACK (step_updated_cb), &b);
  g_signal_connect (run, "step-finished", G_CALLBACK (step_finished_cb), &b);

  tick_id = g_timeout_add (1, tick_cb, &b);
  guard_id = g_timeout_add_seconds (4 * config->timeout_s + 30, guard_cb, cancellable);
  b.start_us = b.last_tick_us = g_get_monotonic_time ();
  sd_run_execute_async (run, SD_STEP_AUTH, cancellable, execute_cb, &b);
  g_main_loop_run (b.loop);
  total_us = g_get_monotonic_time () - b.start_us;
  /* The gap still open when the run ended counts too. */
  tick_cb (&b);
  g_source_remove (tick_id);
  if (!g_cancellable_is_cancelled (cancellable))
    g_source_remove (guard_id);

  g_print ("run: %.1f ms, verdict %s, %u ticks, longest gap %.1f ms, %u gaps over %d ms%s%s\n",
           total_us / 1000.0, sd_verdict_to_string (sd_run_get_verdict (run)), b.ticks,
           b.longest_us / 1000.0, b.stalls->len, BUDGET_US / 1000,
           g_cancellable_is_cancelled (cancellable) ? " (stopped by the hang guard)" : "", b.error != NULL ? b.error->message : "");
  if (verbose)
    for (guint step = SD_STEP_URI; step <= SD_STEP_AUTH; step++)
      g_print ("  step %s: %s, %" G_GINT64_FORMAT " ms\n", sd_step_id_to_string (step),
               sd_status_to_string (sd_run_get_step_status (run, step)), sd_run_get_step_duration_ms (run, step));
  for (guint i = 0; verbose && i < b.stalls->len; i++)
    {
      Stall *s = &g_array_index (b.stalls, Stall, i);
      g_print ("  %7.1f ms gap at %7.1f ms, after \"%s\", during: %s\n", s->length_us / 1000.0,
               s->at_us / 1000.0, s->before, *s->during != '\0' ? s->during : "(nothing announced)");
    }
  g_array_unref (b.stalls);
  g_free (b.label);
  g_string_free (b.since_tick, TRUE);
  g_clear_error (&b.error);
  g_main_loop_unref (b.loop);
  return b.longest_us;
}

/* GnuTLS's own load of its system trust and the CA file, parsed whole:
 * what each certificate check once did on the main thread, and what a
 * build without an indexed store file (-Dsystem_trust_file=) does. */
static gint64
time_trust_store (const char *ca_file, int *n_system)
{
  gnutls_x509_trust_list_t tl = NULL;
  gint64 start = g_get_monotonic_time ();
  gint64 elapsed;

  if (gnutls_x509_trust_list_init (&tl, 0) < 0)
    return -1;
  *n_system = gnutls_x509_trust_list_add_system_trust (tl, 0, 0);
  if (ca_file != NULL)
    gnutls_x509_trust_list_add_trust_file (tl, ca_file, NULL, GNUTLS_X509_FMT_PEM, 0, 0);
  elapsed = g_get_monotonic_time () - start;
  gnutls_x509_trust_list_deinit (tl, 1);
  return elapsed;
}

/* The run's load: the store file indexed by subject (sd-tls-trust.h). */
static gint64
time_trust_index (const char *ca_file, gboolean *indexed)
{
  gint64 start = g_get_monotonic_time ();
  SdTlsTrust *t = sd_tls_trust_load (ca_file);
  gint64 elapsed = g_get_monotonic_time () - start;

  *indexed = sd_tls_trust_is_indexed (t);
  sd_tls_trust_unref (t);
  return elapsed;
}

static int
compare_gint64 (gconstpointer a, gconstpointer b)
{
  gint64 x = *(const gint64 *) a, y = *(const gint64 *) b;

  return x < y ? -1 : x > y;
}

int
main (int argc, char **argv)
{
  g_autofree char *server = NULL, *transport = NULL, *ca_file = NULL, *dns_server = NULL;
  g_autofree char *password_file = NULL;
  int runs = 5;
  gboolean quiet = FALSE;
  GOptionEntry entries[] = {
    { "server", 's', 0, G_OPTION_ARG_STRING, &server, "Server HOST[:PORT]", "HOST[:PORT]" },
    { "transport", 't', 0, G_OPTION_ARG_STRING, &transport, "auto, tls, tcp or udp", "T" },
    { "ca-file", 0, 0, G_OPTION_ARG_FILENAME, &ca_file, "Extra trusted CAs (PEM)", "FILE" },
    { "dns-server", 0, 0, G_OPTION_ARG_STRING, &dns_server, "DNS server IP[:PORT]", "IP[:PORT]" },
    { "password-file", 0, 0, G_OPTION_ARG_FILENAME, &password_file, "Password file", "FILE" },
    { "runs", 'n', 0, G_OPTION_ARG_INT, &runs, "Whole runs to make (1-100)", "N" },
    { "quiet", 'q', 0, G_OPTION_ARG_NONE, &quiet, "Do not list each gap", NULL },
    { NULL }
  };
  g_autoptr(GOptionContext) context = g_option_context_new ("ADDRESS");
  g_autoptr(SdConfig) config = sd_config_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GArray) longest = g_array_new (FALSE, FALSE, sizeof (gint64));
  g_autoptr(GArray) trust = g_array_new (FALSE, FALSE, sizeof (gint64));
  g_autoptr(GArray) index = g_array_new (FALSE, FALSE, sizeof (gint64));
  int n_system = 0;
  gboolean indexed = FALSE;
  guint loads_before;

  setlocale (LC_ALL, "");
  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error) || argc != 2)
    {
      g_printerr ("%s\n", error != NULL ? error->message : "Give one SIP address.");
      return 2;
    }
  runs = CLAMP (runs, 1, 100);
  config->address = g_strdup (argv[1]);
  config->server = g_strdup (server);
  config->dns_server = g_strdup (dns_server);
  if (ca_file != NULL)
    config->ca_file = g_canonicalize_filename (ca_file, NULL);
  if (transport != NULL && !sd_transport_from_string (transport, &config->transport))
    {
      g_printerr ("Unknown transport %s\n", transport);
      return 2;
    }
  if (!sd_config_validate (config, &error))
    {
      g_printerr ("%s\n", error->message);
      return 2;
    }
  if (password_file != NULL)
    {
      char *password = sd_read_password_file (password_file, NULL, &error);

      if (password == NULL)
        {
          g_printerr ("%s\n", error->message);
          return 2;
        }
      sd_config_set_password (config, password);
      sd_secret_free (password);
    }

  loads_before = sd_tls_trust_get_n_loads ();
  for (int i = 0; i < runs; i++)
    {
      gint64 l = run_once (config, !quiet);
      g_array_append_val (longest, l);
    }
  /* Read before the trust store is timed alone below, which parses it too. */
  g_print ("trust stores parsed by the runs: %u in %d runs\n", sd_tls_trust_get_n_loads () - loads_before, runs);
  for (int i = 0; i < runs; i++)
    {
      gint64 t = time_trust_store (config->ca_file, &n_system);
      gint64 x = time_trust_index (config->ca_file, &indexed);
      g_array_append_val (trust, t);
      g_array_append_val (index, x);
    }
  g_array_sort (longest, compare_gint64);
  g_array_sort (trust, compare_gint64);
  g_array_sort (index, compare_gint64);
  g_print ("longest main-loop gap over %d runs: median %.1f ms, worst %.1f ms (budget %d ms)\n", runs,
           g_array_index (longest, gint64, runs / 2) / 1000.0, g_array_index (longest, gint64, runs - 1) / 1000.0,
           BUDGET_US / 1000);
  g_print ("GnuTLS parsing its system trust (%d authorities) and the CA file whole: median %.1f ms, min %.1f ms\n",
           n_system, g_array_index (trust, gint64, runs / 2) / 1000.0, g_array_index (trust, gint64, 0) / 1000.0);
  g_print ("the run's load (%s) of the same: median %.1f ms, min %.1f ms\n",
           indexed ? "the store file indexed by subject" : "not indexed: GnuTLS parses it whole",
           g_array_index (index, gint64, runs / 2) / 1000.0, g_array_index (index, gint64, 0) / 1000.0);
  return 0;
}
