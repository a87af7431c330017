/* test-config.c: reading a password file, and the wipe helper.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <glib/gstdio.h>
#include "sipdoctor.h"

typedef struct {
  const char *name;
  const char *content;
  gssize      length;    /* -1: strlen */
  guint       mode;
  const char *password;  /* NULL: an error */
} PasswordCase;

static const PasswordCase cases[] = {
  { "newline", "s3cret\n", -1, 0600, "s3cret" },
  { "crlf", "s3cret\r\n", -1, 0600, "s3cret" },
  { "no-newline", "s3cret", -1, 0600, "s3cret" },
  { "spaces-kept", " s3 cret \n", -1, 0600, " s3 cret " },
  { "only-first-line", "s3cret\nsecond line\n", -1, 0600, "s3cret" },
  { "lone-cr-kept", "s3\rcret\n", -1, 0600, "s3\rcret" },
  { "utf8", "pässwörd\n", -1, 0600, "pässwörd" },
  { "group-readable", "s3cret\n", -1, 0640, "s3cret" },
  { "empty", "", -1, 0600, NULL },
  { "only-newline", "\n", -1, 0600, NULL },
  { "only-crlf", "\r\n", -1, 0600, NULL },
  { "nul-byte", "s3\0cret\n", 8, 0600, NULL },
  { "not-utf8", "s3\xff\xfe\n", -1, 0600, NULL },
};

static char *
write_file (const char *content, gssize length, guint mode)
{
  g_autoptr(GError) error = NULL;
  char *path = NULL;
  int fd = g_file_open_tmp ("sd-test-password-XXXXXX", &path, &error);

  g_assert_no_error (error);
  g_assert_cmpint (fd, >=, 0);
  close (fd);
  g_file_set_contents (path, content, length, &error);
  g_assert_no_error (error);
  g_assert_cmpint (g_chmod (path, (int) mode), ==, 0);
  return path;
}

static void
test_password_file (gconstpointer data)
{
  const PasswordCase *c = data;
  g_autofree char *path = write_file (c->content, c->length, c->mode);
  g_autoptr(GError) error = NULL;
  guint mode = 12345;
  char *password = sd_read_password_file (path, &mode, &error);

  if (c->password != NULL)
    {
      g_assert_no_error (error);
      g_assert_cmpstr (password, ==, c->password);
      g_assert_cmpuint (mode, ==, c->mode);
    }
  else
    {
      g_assert_null (password);
      g_assert_error (error, SD_ERROR, SD_ERROR_FILE);
      /* The message names the file, never its content. */
      g_assert_nonnull (strstr (error->message, path));
      g_assert_null (strstr (error->message, "s3"));
    }
  sd_secret_free (password);
  g_unlink (path);
}

static void
test_size_limit (void)
{
  g_autoptr(GError) error = NULL;
  /* The largest password that fits, with and without a line end. */
  g_autofree char *longest = g_strnfill (SD_PASSWORD_MAX - 1, 'x');
  g_autofree char *with_newline = g_strconcat (longest, "\n", NULL);
  g_autofree char *too_long = g_strnfill (SD_PASSWORD_MAX, 'x');
  g_autofree char *megabytes = g_strnfill (3 * 1024 * 1024, 'x');
  const char *ok[] = { longest, with_newline };
  const char *bad[] = { too_long, megabytes };

  for (guint i = 0; i < G_N_ELEMENTS (ok); i++)
    {
      g_autofree char *path = write_file (ok[i], -1, 0600);
      char *password = sd_read_password_file (path, NULL, &error);
      g_assert_no_error (error);
      g_assert_cmpstr (password, ==, longest);
      sd_secret_free (password);
      g_unlink (path);
    }
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autofree char *path = write_file (bad[i], -1, 0600);
      char *password = sd_read_password_file (path, NULL, &error);
      g_assert_null (password);
      g_assert_error (error, SD_ERROR, SD_ERROR_FILE);
      g_assert_nonnull (strstr (error->message, "too large"));
      g_clear_error (&error);
      g_unlink (path);
    }
  /* A short first line does not excuse megabytes after it. */
  {
    g_autofree char *tail = g_strconcat ("s3cret\n", megabytes, NULL);
    g_autofree char *path = write_file (tail, -1, 0600);
    g_assert_null (sd_read_password_file (path, NULL, &error));
    g_assert_error (error, SD_ERROR, SD_ERROR_FILE);
    g_clear_error (&error);
    g_unlink (path);
  }
}

static void
test_not_a_file (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("sd-test-XXXXXX", &error);
  g_autofree char *missing = g_build_filename (dir, "missing", NULL);

  g_assert_no_error (error);
  g_assert_null (sd_read_password_file (dir, NULL, &error));
  g_assert_error (error, SD_ERROR, SD_ERROR_FILE);
  g_assert_nonnull (strstr (error->message, "not a regular file"));
  g_clear_error (&error);
  g_assert_null (sd_read_password_file (missing, NULL, &error));
  g_assert_error (error, SD_ERROR, SD_ERROR_FILE);
  g_assert_nonnull (strstr (error->message, "Cannot open"));
  g_clear_error (&error);
  g_rmdir (dir);
}

/* A pipe stands for standard input: read up to the first line end only. */
static void
test_fd (void)
{
  g_autoptr(GError) error = NULL;
  int fds[2];
  char rest[16];
  char *password;

  g_assert_cmpint (pipe (fds), ==, 0);
  g_assert_cmpint (write (fds[1], "s3cret\r\n", 8), ==, 8);
  password = sd_read_password_fd (fds[0], "-", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (password, ==, "s3cret");
  sd_secret_free (password);
  close (fds[1]);
  g_assert_cmpint (read (fds[0], rest, sizeof rest), ==, 0);
  close (fds[0]);
}

static void
test_wipe (void)
{
  char buf[] = "s3cret";

  sd_secret_wipe (buf, sizeof buf);
  for (guint i = 0; i < sizeof buf; i++)
    g_assert_cmpint (buf[i], ==, 0);
  sd_secret_wipe (NULL, 4);
  sd_secret_free (NULL);
}

static void
test_protect_process (void)
{
  struct rlimit limit;

  g_assert_cmpint (prctl (PR_GET_DUMPABLE, 0, 0, 0, 0), ==, 1);
  sd_secret_protect_process ();
  g_assert_cmpint (getrlimit (RLIMIT_CORE, &limit), ==, 0);
  g_assert_cmpuint (limit.rlim_cur, ==, 0);
  g_assert_cmpuint (limit.rlim_max, ==, 0);
  g_assert_cmpint (prctl (PR_GET_DUMPABLE, 0, 0, 0, 0), ==, 0);
}

/* Every control has a name in both faces; the CLI's is its option where
 * one exists, the wizard's never an option. */
static void
test_control_names (void)
{
  g_autoptr(SdConfig) gui = sd_config_new ();
  g_autoptr(SdConfig) cli = sd_config_new ();

  g_assert_cmpint (cli->face, ==, SD_FACE_CLI);
  gui->face = SD_FACE_GUI;
  for (guint c = 0; c < SD_N_CONTROLS; c++)
    {
      const char *g = sd_config_control_name (gui, c);
      const char *o = sd_config_control_name (cli, c);

      g_assert_nonnull (g);
      g_assert_nonnull (o);
      g_assert_cmpstr (g, !=, "");
      g_assert_cmpstr (sd_config_control_name (NULL, c), ==, o);
      g_assert_null (strstr (g, "--"));
      if (c == SD_CONTROL_ADDRESS)   /* an argument: no option */
        g_assert_false (g_str_has_prefix (o, "--"));
      else
        g_assert_true (g_str_has_prefix (o, "--"));
      g_assert_cmpstr (g, !=, o);
    }
  g_assert_cmpstr (sd_config_control_name (cli, SD_CONTROL_SERVER), ==, "--server");
  g_assert_cmpstr (sd_config_control_name (gui, SD_CONTROL_SERVER), ==, "the Server field");
  g_assert_cmpstr (sd_config_control_name (cli, SD_CONTROL_ALLOW_UNTRUSTED), ==, "--allow-untrusted");
  g_assert_nonnull (strstr (sd_config_control_name (gui, SD_CONTROL_ALLOW_UNTRUSTED),
                            "Sign in despite certificate problems"));
}

/* The one parser of a DNS server (--dns-server, the DNS server field). */
static void
test_dns_server (void)
{
  static const struct {
    const char *text;
    const char *host;
    guint16     port;
  } good[] = {
    { "192.0.2.53", "192.0.2.53", 0 },
    { "127.0.0.1:5353", "127.0.0.1", 5353 },
    { "[::1]:5353", "::1", 5353 },
    { "::1", "::1", 0 },
  };
  static const char * const bad[] = {
    "dns.example.com", "dns.example.com:53", "127.0.0.1:99999", "127.0.0.1:0", "", "[::1",
  };

  for (guint i = 0; i < G_N_ELEMENTS (good); i++)
    {
      g_autofree char *host = NULL;
      g_autoptr(GError) error = NULL;
      guint16 port = 1;

      g_assert_true (sd_parse_dns_server (good[i].text, &host, &port, &error));
      g_assert_no_error (error);
      g_assert_cmpstr (host, ==, good[i].host);
      g_assert_cmpuint (port, ==, good[i].port);
    }
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autofree char *host = NULL;
      g_autoptr(GError) error = NULL;
      g_autoptr(SdConfig) config = sd_config_new ();

      g_assert_false (sd_parse_dns_server (bad[i], &host, NULL, &error));
      g_assert_error (error, SD_ERROR, SD_ERROR_INVALID_INPUT);
      g_assert_null (host);
      /* sd_config_validate gives the same answer. */
      g_clear_error (&error);
      config->address = g_strdup ("alice@example.com");
      config->dns_server = g_strdup (bad[i]);
      g_assert_false (sd_config_validate (config, &error));
      g_assert_error (error, SD_ERROR, SD_ERROR_INVALID_INPUT);
    }
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *name = g_strdup_printf ("/config/password-file/%s", cases[i].name);
      g_test_add_data_func (name, &cases[i], test_password_file);
    }
  g_test_add_func ("/config/password-file/size-limit", test_size_limit);
  g_test_add_func ("/config/password-file/not-a-file", test_not_a_file);
  g_test_add_func ("/config/password-fd", test_fd);
  g_test_add_func ("/config/secret-wipe", test_wipe);
  g_test_add_func ("/config/control-names", test_control_names);
  g_test_add_func ("/config/dns-server", test_dns_server);
  /* Last: it makes this process undumpable for good. */
  g_test_add_func ("/config/protect-process", test_protect_process);
  return g_test_run ();
}
