/* sd-cli.c: sip-doctor-cli, the engine without a window.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#define G_LOG_DOMAIN "sd-cli"

#include <errno.h>
#include <fcntl.h>
#include <locale.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>
#include <glib/gi18n.h>
#include <glib-unix.h>
#include "sipdoctor.h"

enum {
  EXIT_OK = 0,
  EXIT_PROBLEMS = 1,
  EXIT_USAGE = 2,
  EXIT_INTERNAL = 3,
  EXIT_INTERRUPTED = 130,
};

typedef struct {
  GMainLoop    *loop;
  GCancellable *cancellable;
  SdRun        *run;
  GError       *error;
  gboolean      progress;
} CliState;

static int
usage_error (const char *message)
{
  g_printerr ("sip-doctor-cli: %s\n", message);
  return EXIT_USAGE;
}

/* ASCII for the typographic punctuation of messages and translations, for
 * a terminal whose charset cannot show it (LANG=C): "?" in place of a
 * quote would read as part of the quoted text. */
static const struct {
  gunichar    c;
  const char *ascii;
} ascii_punctuation[] = {
  { 0x201C, "\"" }, { 0x201D, "\"" }, { 0x201E, "\"" }, { 0x201F, "\"" },
  { 0x2018, "'" }, { 0x2019, "'" }, { 0x201A, "'" }, { 0x201B, "'" },
  { 0x00AB, "\"" }, { 0x00BB, "\"" }, { 0x2039, "'" }, { 0x203A, "'" },
  { 0x2014, "-" }, { 0x2013, "-" }, { 0x2010, "-" }, { 0x2011, "-" }, { 0x2212, "-" },
  { 0x2026, "..." }, { 0x2192, "->" }, { 0x2190, "<-" }, { 0x00B7, "-" }, { 0x2022, "*" },
  { 0x00A0, " " }, { 0x202F, " " }, { 0x2009, " " }, { 0x2002, " " }, { 0x2003, " " },
  { 0x00D7, "x" }, { 0x2264, "<=" }, { 0x2265, ">=" }, { 0x2260, "!=" },
};

/* Text for the terminal (standard output and error): as is when the locale's
 * charset is UTF-8; else the punctuation above in ASCII and the rest in the
 * locale's charset, "?" for what it cannot show. */
static char *
terminal_text (const char *utf8)
{
  const char *charset;
  GString *mapped;
  char *out;

  if (g_get_charset (&charset))
    return g_strdup (utf8);

  mapped = g_string_sized_new (strlen (utf8));
  for (const char *p = utf8; *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);
      const char *ascii = NULL;

      if (c < 0x80)
        {
          g_string_append_c (mapped, *p);
          continue;
        }
      for (guint i = 0; i < G_N_ELEMENTS (ascii_punctuation) && ascii == NULL; i++)
        if (ascii_punctuation[i].c == c)
          ascii = ascii_punctuation[i].ascii;
      if (ascii != NULL)
        g_string_append (mapped, ascii);
      else
        g_string_append_len (mapped, p, g_utf8_next_char (p) - p);
    }

  out = g_convert_with_fallback (mapped->str, mapped->len, charset, "UTF-8", "?", NULL, NULL, NULL);
  if (out == NULL)
    {
      /* A charset iconv does not know: plain ASCII is safe on any terminal. */
      GString *ascii = g_string_sized_new (mapped->len);
      for (const char *p = mapped->str; *p != '\0'; p = g_utf8_next_char (p))
        g_string_append_c (ascii, (guchar) *p < 0x80 ? *p : '?');
      out = g_string_free (ascii, FALSE);
    }
  g_string_free (mapped, TRUE);
  return out;
}

static gboolean
on_sigint (gpointer user_data)
{
  CliState *state = user_data;

  g_printerr ("%s\n", _("Interrupted; stopping."));
  g_cancellable_cancel (state->cancellable);
  return G_SOURCE_REMOVE;
}

static void
on_step_finished (SdRun *run, guint step, gpointer user_data)
{
  CliState *state = user_data;
  const char *raw_reason = sd_run_get_step_reason (run, step);
  g_autofree char *reason = NULL;
  g_autofree char *line = NULL;
  g_autofree char *shown = NULL;

  if (!state->progress)
    return;
  /* A reason can quote a server's words, on a terminal. */
  reason = raw_reason != NULL ? sd_text_escape (raw_reason, FALSE) : NULL;
  line = g_strdup_printf ("  %-8s %-5s %s%s%s\n", sd_step_id_to_string (step),
                          sd_status_to_string (sd_run_get_step_status (run, step)), sd_step_title (step),
                          reason != NULL ? " — " : "", reason != NULL ? reason : "");
  shown = terminal_text (line);
  /* Already in the locale's charset: not through g_printerr, which would
   * convert it again. */
  fputs (shown, stderr);
}

static void
execute_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  CliState *state = user_data;

  sd_run_execute_finish (SD_RUN (source), result, &state->error);
  g_main_loop_quit (state->loop);
}

static gboolean
write_file (const char *path, const char *contents, const char *what)
{
  g_autoptr(GError) error = NULL;

  if (!g_file_set_contents_full (path, contents, -1, G_FILE_SET_CONTENTS_CONSISTENT, 0600, &error))
    {
      g_printerr ("sip-doctor-cli: ");
      g_printerr (_("Cannot write the %s to “%s”: %s."), what, path, error->message);
      g_printerr ("\n");
      return FALSE;
    }
  return TRUE;
}

/* The terminal a password is being typed on, for the signal handlers: they
 * put echo back before the signal takes its usual effect. */
static int prompt_tty = -1;
static struct termios prompt_saved;
static struct termios prompt_quiet;
static const int prompt_signals[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGTSTP };

static void
on_prompt_signal (int sig)
{
  int saved_errno = errno;

  tcsetattr (prompt_tty, TCSAFLUSH, &prompt_saved);
  if (sig != SIGTSTP)
    (void) !write (prompt_tty, "\n", 1);
  /* SA_RESETHAND and SA_NODEFER: this raise() gets the default action at
   * once (end, or stop until SIGCONT). */
  raise (sig);
  /* Continued after a stop: echo off again, and catch the next one. */
  {
    struct sigaction sa = { 0 };
    sa.sa_handler = on_prompt_signal;
    sa.sa_flags = SA_RESETHAND | SA_NODEFER | SA_RESTART;
    sigemptyset (&sa.sa_mask);
    sigaction (sig, &sa, NULL);
  }
  tcsetattr (prompt_tty, TCSAFLUSH, &prompt_quiet);
  errno = saved_errno;
}

/* Asks for the password on the controlling terminal with echo off, so it
 * is neither shown nor kept in the terminal's scrollback. Echo comes back
 * on every way out: return, error, or a signal while at the prompt. */
static char *
prompt_password (const char *name, GError **error)
{
  struct sigaction saved_actions[G_N_ELEMENTS (prompt_signals)];
  struct sigaction sa = { 0 };
  g_autofree char *prompt = NULL;
  char *password;
  int tty;

  tty = open ("/dev/tty", O_RDWR | O_CLOEXEC | O_NOCTTY);
  if (tty < 0 || tcgetattr (tty, &prompt_saved) != 0)
    {
      int saved = errno;
      g_set_error (error, SD_ERROR, SD_ERROR_FILE,
                   _("Cannot ask for the password on the terminal: %s. Put the password in a file "
                     "readable only by you and use --password-file FILE."),
                   g_strerror (saved));
      if (tty >= 0)
        close (tty);
      return NULL;
    }

  prompt_tty = tty;
  prompt_quiet = prompt_saved;
  prompt_quiet.c_lflag &= ~(tcflag_t) (ECHO | ECHOE | ECHOK | ECHONL);
  /* Handlers first: a signal between the two calls finds them in place. */
  sa.sa_handler = on_prompt_signal;
  sa.sa_flags = SA_RESETHAND | SA_NODEFER | SA_RESTART;
  sigemptyset (&sa.sa_mask);
  for (guint i = 0; i < G_N_ELEMENTS (prompt_signals); i++)
    sigaction (prompt_signals[i], &sa, &saved_actions[i]);
  tcsetattr (tty, TCSAFLUSH, &prompt_quiet);

  prompt = g_strdup_printf (_("Password for %s: "), name);
  (void) !write (tty, prompt, strlen (prompt));
  password = sd_read_password_fd (tty, "/dev/tty", error);

  tcsetattr (tty, TCSAFLUSH, &prompt_saved);
  for (guint i = 0; i < G_N_ELEMENTS (prompt_signals); i++)
    sigaction (prompt_signals[i], &saved_actions[i], NULL);
  /* The Enter typed was not echoed either. */
  (void) !write (tty, "\n", 1);
  prompt_tty = -1;
  close (tty);
  return password;
}

/* What the command line says: the options as given, before they are
 * checked and turned into an SdConfig. */
typedef struct {
  char           *server;
  char           *transport;
  char           *client;
  char           *sign_in;
  char           *password_file;
  char           *ca_file;
  char           *dns_server;
  char           *timeout;
  char           *report;
  char           *trace;
  char           *until;
  char           *auth;
  char          **rest;
  gboolean        strict;
  gboolean        json;
  gboolean        version;
  gboolean        allow_untrusted;
  gboolean        no_revocation;
  gboolean        verbose;
  gboolean        list_steps;
  SdStepId        last_step;
  SdReportFormat  report_format;
} CliOptions;

static void
cli_options_clear (CliOptions *opts)
{
  g_free (opts->server);
  g_free (opts->transport);
  g_free (opts->client);
  g_free (opts->sign_in);
  g_free (opts->password_file);
  g_free (opts->ca_file);
  g_free (opts->dns_server);
  g_free (opts->timeout);
  g_free (opts->report);
  g_free (opts->trace);
  g_free (opts->until);
  g_free (opts->auth);
  g_strfreev (opts->rest);
}

/* Parses the command line into @opts. Returns -1 to go on, else the exit
 * status (usage errors are printed). */
static int
parse_options (int *argc, char ***argv, CliOptions *opts)
{
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *step_choices = sd_step_dup_id_choices ();
  /* Translators: %s is the list of checks, "uri, dns, connect, tls, sip or auth", then the last one */
  g_autofree char *until_help = g_strdup_printf (_("Stop after this check: %s (default %s)"), step_choices,
                                                 sd_step_id_to_string (SD_N_STEPS - 1));
  const GOptionEntry entries[] = {
    { "server", 's', 0, G_OPTION_ARG_STRING, &opts->server,
      N_("Connect to this server (name or IP); skips autoconfiguration"), N_("HOST[:PORT]") },
    { "transport", 't', 0, G_OPTION_ARG_STRING, &opts->transport,
      N_("Transport: auto, tls, tcp or udp (default auto)"), N_("TRANSPORT") },
    { "client", 'c', 0, G_OPTION_ARG_STRING, &opts->client,
      N_("Client profile for autoconfiguration: generic, wm5, ocs or lync (default generic)"), N_("PROFILE") },
    { "sign-in", 'u', 0, G_OPTION_ARG_STRING, &opts->sign_in,
      N_("Sign-in name: DOMAIN\\user or user@realm (default: the SIP address)"), N_("NAME") },
    { "password-file", 0, 0, G_OPTION_ARG_FILENAME, &opts->password_file,
      N_("Read the password from FILE ('-' for standard input)"), N_("FILE") },
    { "ca-file", 0, 0, G_OPTION_ARG_FILENAME, &opts->ca_file,
      N_("Also trust the CA certificates in this PEM file"), N_("FILE") },
    { "strict-dns-naming", 0, 0, G_OPTION_ARG_NONE, &opts->strict,
      N_("High Security Mode: only <domain> and sip.<domain> are acceptable"), NULL },
    { "dns-server", 0, 0, G_OPTION_ARG_STRING, &opts->dns_server,
      N_("Ask this DNS server instead of the system resolver"), N_("IP[:PORT]") },
    { "timeout", 0, 0, G_OPTION_ARG_STRING, &opts->timeout,
      N_("Per-operation timeout (default 5)"), N_("SECONDS") },
    { "json", 0, 0, G_OPTION_ARG_NONE, &opts->json,
      N_("Print the report as JSON on standard output"), NULL },
    { "verbose", 'v', 0, G_OPTION_ARG_NONE, &opts->verbose,
      N_("Also print the input, each check's data (certificates, DNS answers) and the protocol trace"), NULL },
    { "report", 0, 0, G_OPTION_ARG_FILENAME, &opts->report,
      N_("Write the report; .html, .json or .txt by extension"), N_("FILE") },
    { "trace", 0, 0, G_OPTION_ARG_FILENAME, &opts->trace,
      N_("Write the protocol trace (credentials redacted)"), N_("FILE") },
    { "allow-untrusted", 0, 0, G_OPTION_ARG_NONE, &opts->allow_untrusted,
      N_("Send credentials even when the server's certificate fails verification, or a redirect "
         "leaves TLS or goes to a server the certificate does not vouch for"), NULL },
    { "no-revocation", 0, 0, G_OPTION_ARG_NONE, &opts->no_revocation,
      N_("Do not fetch CRLs or ask OCSP responders (offline use)"), NULL },
    { "auth", 0, 0, G_OPTION_ARG_STRING, &opts->auth,
      N_("Sign-in method(s) to test: auto, digest, ntlm or kerberos (default auto: every method the "
         "server offers that this tool can perform, in the order Windows clients try them)"),
      N_("METHOD") },
    { "until", 0, 0, G_OPTION_ARG_STRING, &opts->until,
      until_help, N_("STEP") },
    { "list-steps", 0, 0, G_OPTION_ARG_NONE, &opts->list_steps,
      N_("List the checks in the order they run, one per line: its id, a tab, its title; then exit"), NULL },
    { "version", 0, 0, G_OPTION_ARG_NONE, &opts->version, N_("Show the version and exit"), NULL },
    { G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_STRING_ARRAY, &opts->rest, NULL, NULL },
    { NULL }
  };

  opts->last_step = SD_N_STEPS - 1;
  opts->report_format = SD_REPORT_TEXT;

  /* A password on the command line would be seen by every user of the
   * machine (ps, shell history): refuse it before anything else. */
  for (int i = 1; i < *argc; i++)
    if (g_str_equal ((*argv)[i], "--password") || g_str_has_prefix ((*argv)[i], "--password=")
        || g_str_equal ((*argv)[i], "-p"))
      return usage_error (_("Passwords are never taken on the command line. "
                            "Use --password-file FILE, or --password-file - to read it from standard input."));

  context = g_option_context_new (_("SIP-ADDRESS — find out why a SIP client cannot sign in"));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  g_option_context_set_translation_domain (context, GETTEXT_PACKAGE);
  g_option_context_set_description (context,
    _("Exit status: 0 no errors found, 1 errors found, 2 bad input or usage, 3 internal failure."));
  if (!g_option_context_parse (context, argc, argv, &error))
    {
      g_autofree char *msg = g_strdup_printf (_("%s. Run “sip-doctor-cli --help” to see the options."),
                                              error->message);
      return usage_error (msg);
    }

  if (opts->version)
    {
      g_print ("sip-doctor-cli %s\n", PACKAGE_VERSION);
      return EXIT_OK;
    }

  if (opts->list_steps)
    {
      for (SdStepId s = 0; s < SD_N_STEPS; s++)
        {
          g_autofree char *line = g_strdup_printf ("%s\t%s\n", sd_step_id_to_string (s), sd_step_title (s));
          g_autofree char *shown = terminal_text (line);
          fputs (shown, stdout);
        }
      return EXIT_OK;
    }

  if (opts->rest == NULL || opts->rest[0] == NULL)
    return usage_error (_("No SIP address given. Usage: sip-doctor-cli [OPTION…] alice@example.com"));
  if (opts->rest[1] != NULL)
    return usage_error (_("Give one SIP address only. Put options before or after it; "
                          "quote a sign-in name that has a backslash: -u 'EXAMPLE\\alice'."));
  if (opts->until != NULL && !sd_step_id_from_string (opts->until, &opts->last_step))
    {
      /* Translators: the second %s is the list of checks, "uri, dns, connect, tls, sip or auth" */
      g_autofree char *msg = g_strdup_printf (_("Unknown check “%s”. Use %s."), opts->until, step_choices);
      return usage_error (msg);
    }
  return -1;
}

/* Turns @opts into the run's configuration (and @opts->report_format),
 * reading the password last. Returns NULL after printing a usage error. */
static SdConfig *
config_from_options (CliOptions *opts)
{
  g_autoptr(SdConfig) config = sd_config_new ();
  g_autoptr(GError) error = NULL;

  config->address = g_strdup (opts->rest[0]);
  config->sign_in = g_strdup (opts->sign_in);
  config->server = g_strdup (opts->server);
  config->dns_server = g_strdup (opts->dns_server);
  config->strict_dns_naming = opts->strict;
  config->allow_untrusted = opts->allow_untrusted;
  config->no_revocation = opts->no_revocation;

  if (opts->transport != NULL && !sd_transport_from_string (opts->transport, &config->transport))
    {
      g_autofree char *msg = g_strdup_printf (_("Unknown transport “%s”. Use auto, tls, tcp or udp."),
                                              opts->transport);
      usage_error (msg);
      return NULL;
    }
  if (opts->auth != NULL && !sd_auth_choice_from_string (opts->auth, &config->auth))
    {
      g_autofree char *msg = g_strdup_printf (_("Unknown sign-in method “%s”. Use auto, digest, ntlm or "
                                                "kerberos."), opts->auth);
      usage_error (msg);
      return NULL;
    }
  if (opts->client != NULL && !sd_client_profile_from_string (opts->client, &config->client))
    {
      g_autofree char *msg = g_strdup_printf (_("Unknown client profile “%s”. Use generic, wm5, ocs or lync."),
                                              opts->client);
      usage_error (msg);
      return NULL;
    }
  if (opts->timeout != NULL)
    {
      guint64 value;
      g_autofree char *stripped = g_strstrip (g_strdup (opts->timeout));
      if (!g_ascii_string_to_unsigned (stripped, 10, 1, SD_MAX_TIMEOUT_S, &value, NULL))
        {
          g_autofree char *msg = g_strdup_printf (_("The timeout “%s” is not valid. Give a whole number of "
                                                    "seconds from 1 to %d, such as --timeout 5."),
                                                  opts->timeout, SD_MAX_TIMEOUT_S);
          usage_error (msg);
          return NULL;
        }
      config->timeout_s = (guint) value;
    }
  if (opts->ca_file != NULL)
    {
      /* The TLS database needs an absolute path. */
      config->ca_file = g_canonicalize_filename (opts->ca_file, NULL);
    }
  if (opts->report != NULL && !sd_report_format_for_path (opts->report, &opts->report_format))
    {
      g_autofree char *msg = g_strdup_printf (_("Cannot tell the report format of “%s”. "
                                                "End the file name with .html, .json or .txt."), opts->report);
      usage_error (msg);
      return NULL;
    }

  if (!sd_config_validate (config, &error))
    {
      usage_error (error->message);
      return NULL;
    }

  if (opts->password_file != NULL)
    {
      char *password;
      guint mode = 0;

      if (g_str_equal (opts->password_file, "-") && isatty (STDIN_FILENO))
        password = prompt_password (opts->sign_in != NULL ? opts->sign_in : config->address, &error);
      else
        password = sd_read_password_file (opts->password_file, &mode, &error);
      if (password == NULL)
        {
          usage_error (error->message);
          return NULL;
        }
      /* As ssh does for a private key, but a warning: the run goes on. */
      if ((mode & 077) != 0)
        {
          g_autofree char *quoted = g_shell_quote (opts->password_file);
          g_printerr ("sip-doctor-cli: ");
          g_printerr (_("Warning: the password file “%s” is open to other users (mode %04o). "
                        "Make it private: chmod 600 %s"), opts->password_file, mode, quoted);
          g_printerr ("\n");
        }
      sd_config_set_password (config, password);
      sd_secret_free (password);
    }
  return g_steal_pointer (&config);
}

/* Runs the checks up to @last_step, with progress on a terminal and Ctrl+C
 * as Cancel. Returns the exit status the run alone gives. */
static int
run_checks (CliState *state, const SdConfig *config, SdStepId last_step, gboolean json)
{
  int status;

  state->loop = g_main_loop_new (NULL, FALSE);
  state->cancellable = g_cancellable_new ();
  state->progress = !json && isatty (STDERR_FILENO);
  state->run = sd_run_new (config);
  g_signal_connect (state->run, "step-finished", G_CALLBACK (on_step_finished), state);
  g_unix_signal_add (SIGINT, on_sigint, state);
  g_unix_signal_add (SIGTERM, on_sigint, state);

  sd_run_execute_async (state->run, last_step, state->cancellable, execute_cb, state);
  g_main_loop_run (state->loop);

  if (state->error != NULL && !g_error_matches (state->error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      g_autofree char *message = sd_text_escape (state->error->message, FALSE);
      g_printerr ("sip-doctor-cli: %s\n", message);
      status = EXIT_INTERNAL;
    }
  else if (state->error != NULL)
    status = EXIT_INTERRUPTED;
  else
    status = sd_run_get_verdict (state->run) == SD_VERDICT_FAIL ? EXIT_PROBLEMS : EXIT_OK;
  return status;
}

/* Standard output, then --report and --trace. Returns @status, or
 * EXIT_INTERNAL when a file cannot be written and nothing worse happened. */
static int
write_outputs (SdRun *run, const CliOptions *opts, int status)
{
  if (opts->json)
    {
      g_autofree char *out = sd_report_render (run, SD_REPORT_JSON);
      fputs (out, stdout);
    }
  else
    {
      /* One screen by default, so the verdict does not scroll away; the
       * report file (--report) keeps everything. */
      g_autofree char *text = sd_report_to_text_with_flags (run, opts->verbose ? SD_REPORT_TEXT_FULL
                                                                               : SD_REPORT_TEXT_BRIEF);
      g_autofree char *out = NULL;
      if (!opts->verbose)
        {
          char *with_hint = g_strdup_printf ("%s\n%s\n", text,
                                             _("Run with --verbose (or write a report with --report FILE) "
                                               "for the certificates, the DNS answers and the protocol trace."));
          g_free (text);
          text = with_hint;
        }
      out = terminal_text (text);
      fputs (out, stdout);
    }
  fflush (stdout);

  if (opts->report != NULL)
    {
      g_autofree char *out = sd_report_render (run, opts->report_format);
      if (!write_file (opts->report, out, _("report")) && status < EXIT_USAGE)
        status = EXIT_INTERNAL;
    }
  if (opts->trace != NULL)
    {
      SdReportFormat trace_format;
      g_autofree char *out = NULL;
      if (sd_report_format_for_path (opts->trace, &trace_format) && trace_format == SD_REPORT_JSON)
        {
          g_autoptr(JsonNode) node = sd_trace_to_json (sd_run_get_trace (run));
          out = json_to_string (node, TRUE);
        }
      else
        out = sd_trace_to_text (sd_run_get_trace (run));
      if (!write_file (opts->trace, out, _("trace")) && status < EXIT_USAGE)
        status = EXIT_INTERNAL;
    }
  return status;
}

int
main (int argc, char *argv[])
{
  CliOptions opts = { 0 };
  g_autoptr(SdConfig) config = NULL;
  CliState state = { 0 };
  int status;

  sd_program_init ();

  status = parse_options (&argc, &argv, &opts);
  if (status < 0)
    {
      config = config_from_options (&opts);
      if (config == NULL)
        status = EXIT_USAGE;
    }
  if (status < 0)
    {
      status = run_checks (&state, config, opts.last_step, opts.json);
      status = write_outputs (state.run, &opts, status);

      g_clear_error (&state.error);
      g_object_unref (state.run);
      g_object_unref (state.cancellable);
      g_main_loop_unref (state.loop);
    }
  cli_options_clear (&opts);
  return status;
}
