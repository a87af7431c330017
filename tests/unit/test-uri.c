/* test-uri.c: table-driven tests of SIP address and sign-in name parsing.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>
#include "sipdoctor.h"

typedef struct {
  const char *input;
  const char *canonical;  /* NULL: must be rejected */
  const char *user;
  const char *host;
  guint16     port;
  gboolean    is_ip;
} UriCase;

static const UriCase uri_cases[] = {
  /* what people type */
  { "alice@example.com", "sip:alice@example.com", "alice", "example.com", 0, FALSE },
  { "sip:alice@example.com", "sip:alice@example.com", "alice", "example.com", 0, FALSE },
  { "SIP:alice@EXAMPLE.COM", "sip:alice@example.com", "alice", "example.com", 0, FALSE },
  { "sips:alice@example.com", "sips:alice@example.com", "alice", "example.com", 0, FALSE },
  { "  alice@example.com \t", "sip:alice@example.com", "alice", "example.com", 0, FALSE },
  { "Alice@Example.Com", "sip:Alice@example.com", "Alice", "example.com", 0, FALSE },
  { "alice@example.com.", "sip:alice@example.com", "alice", "example.com", 0, FALSE },
  { "alice@example.com:5061", "sip:alice@example.com:5061", "alice", "example.com", 5061, FALSE },
  { "sip:alice@example.com;transport=tls", "sip:alice@example.com;transport=tls", "alice", "example.com", 0, FALSE },
  { "sip:alice@example.com:5060;transport=TCP;lr", "sip:alice@example.com:5060;transport=TCP;lr", "alice", "example.com", 5060, FALSE },
  { "sip:alice@192.0.2.10", "sip:alice@192.0.2.10", "alice", "192.0.2.10", 0, TRUE },
  { "alice@192.0.2.10:5061", "sip:alice@192.0.2.10:5061", "alice", "192.0.2.10", 5061, TRUE },
  { "sip:alice@[2001:db8::1]", "sip:alice@[2001:db8::1]", "alice", "2001:db8::1", 0, TRUE },
  { "sip:alice@[2001:DB8::1]:5061", "sip:alice@[2001:db8::1]:5061", "alice", "2001:db8::1", 5061, TRUE },
  { "sip:al%69ce@example.com", "sip:alice@example.com", "alice", "example.com", 0, FALSE },
  { "sip:first%20last@example.com", "sip:first%20last@example.com", "first last", "example.com", 0, FALSE },
  { "sip:first.last+tag@example.com", "sip:first.last+tag@example.com", "first.last+tag", "example.com", 0, FALSE },
  { "<sip:alice@example.com>", "sip:alice@example.com", "alice", "example.com", 0, FALSE },
  { "\"Alice Smith\" <sip:alice@example.com>", "sip:alice@example.com", "alice", "example.com", 0, FALSE },
  { "Alice <alice@example.com>", "sip:alice@example.com", "alice", "example.com", 0, FALSE },
  { "toml@fuzzybunny.local", "sip:toml@fuzzybunny.local", "toml", "fuzzybunny.local", 0, FALSE },
  { "alice@sip-1.sub.example.co.uk", "sip:alice@sip-1.sub.example.co.uk", "alice", "sip-1.sub.example.co.uk", 0, FALSE },
  { "+15551234567@example.com", "sip:+15551234567@example.com", "+15551234567", "example.com", 0, FALSE },
  { "alice@localhost", "sip:alice@localhost", "alice", "localhost", 0, FALSE },
  /* found by fuzzing: a decoded parameter must be escaped again when printed */
  { "sip:a@b.c;x=%40;y", "sip:a@b.c;x=%40;y", "a", "b.c", 0, FALSE },
  { "sip:a@b.c;x=%3b%3D", "sip:a@b.c;x=%3B%3D", "a", "b.c", 0, FALSE },
  /* what must be refused, with advice */
  { "", NULL }, { "   ", NULL }, { "alice", NULL }, { "example.com", NULL }, { "@example.com", NULL },
  { "alice@", NULL }, { "sip:", NULL }, { "sip:@example.com", NULL }, { "alice@@example.com", NULL },
  { "alice@example.com@other.com", NULL }, { "alice smith@example.com", NULL },
  { "alice@exa mple.com", NULL }, { "tel:+15551234567", NULL }, { "mailto:alice@example.com", NULL },
  { "https://example.com", NULL }, { "alice:secret@example.com", NULL },
  { "sip:alice:secret@example.com", NULL }, { "alice@example.com:0", NULL },
  { "alice@example.com:65536", NULL }, { "alice@example.com:port", NULL }, { "alice@example.com:", NULL },
  { "alice@-example.com", NULL }, { "alice@example-.com", NULL }, { "alice@exa_mple.com", NULL },
  { "alice@example..com", NULL }, { "alice@example.123", NULL }, { "alice@999.1.1.1", NULL },
  { "alice@2001:db8::1", NULL }, { "alice@[2001:db8::1", NULL }, { "alice@[192.0.2.1]", NULL },
  { "alice@[nothing]", NULL }, { "sip:al%6@example.com", NULL }, { "sip:al%zzce@example.com", NULL },
  { "sip:al%00ce@example.com", NULL }, { "sip:al%ffce@example.com", NULL }, { "alice@example.com;", NULL },
  { "alice@example.com;=x", NULL }, { "alice@example.com;transport=", NULL },
  { "sip:alice@example.com?subject=hi", NULL }, { "<sip:alice@example.com", NULL },
  { "sip:alice@example.com>", NULL }, { "<sip:alice@example.com> trailing", NULL },
  { "ali<ce@example.com", NULL }, { "alice\"@example.com", NULL }, { "alice@exam\x01ple.com", NULL },
  { "sip:alice@example.com;transport=t@ls", NULL }, { "\xff\xfe@example.com", NULL },
};

static void
test_uri_table (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (uri_cases); i++)
    {
      const UriCase *c = &uri_cases[i];
      g_autoptr(GError) error = NULL;
      g_autoptr(SdSipUri) uri = sd_sip_uri_parse (c->input, &error);

      {
        /* TAP output must stay UTF-8 even for the invalid inputs. */
        g_autofree char *shown = g_strescape (c->input, NULL);
        g_test_message ("case %u: «%s»", i, shown);
      }
      if (c->canonical == NULL)
        {
          g_assert_null (uri);
          g_assert_error (error, SD_ERROR, SD_ERROR_INVALID_INPUT);
          /* Every refusal shows what to type instead. */
          g_assert_true (strstr (error->message, "alice@") != NULL
                         || strstr (error->message, "65535") != NULL);
        }
      else
        {
          g_autofree char *canonical = NULL;
          g_assert_no_error (error);
          g_assert_nonnull (uri);
          canonical = sd_sip_uri_to_string (uri);
          g_assert_cmpstr (canonical, ==, c->canonical);
          g_assert_cmpstr (uri->user, ==, c->user);
          g_assert_cmpstr (uri->host, ==, c->host);
          g_assert_cmpuint (uri->port, ==, c->port);
          g_assert_cmpint (uri->host_is_ip, ==, c->is_ip);
        }
    }
}

static void
test_uri_params (void)
{
  g_autoptr(SdSipUri) uri = sd_sip_uri_parse ("sip:alice@example.com;Transport=tls;lr;maddr=192.0.2.1", NULL);
  g_autoptr(SdSipUri) copy = NULL;
  g_autofree char *aor = NULL;

  g_assert_nonnull (uri);
  g_assert_cmpstr (sd_sip_uri_get_param (uri, "transport"), ==, "tls");
  g_assert_cmpstr (sd_sip_uri_get_param (uri, "lr"), ==, "");
  g_assert_cmpstr (sd_sip_uri_get_param (uri, "maddr"), ==, "192.0.2.1");
  g_assert_null (sd_sip_uri_get_param (uri, "user"));
  copy = sd_sip_uri_copy (uri);
  g_assert_cmpstr (sd_sip_uri_get_param (copy, "maddr"), ==, "192.0.2.1");
  aor = sd_sip_uri_to_aor (copy);
  g_assert_cmpstr (aor, ==, "alice@example.com");
}

static void
test_uri_too_long (void)
{
  g_autofree char *user = g_strnfill (2000, 'a');
  g_autofree char *text = g_strconcat (user, "@example.com", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(SdSipUri) uri = sd_sip_uri_parse (text, &error);

  g_assert_null (uri);
  g_assert_error (error, SD_ERROR, SD_ERROR_INVALID_INPUT);
}

typedef struct {
  const char   *input;
  gboolean      ok;
  SdSignInStyle style;
  const char   *user;
  const char   *domain;
  const char   *realm;
} SignInCase;

static const SignInCase sign_in_cases[] = {
  { NULL, TRUE, SD_SIGN_IN_ADDRESS, "alice", NULL, "example.com" },
  { "", TRUE, SD_SIGN_IN_ADDRESS, "alice", NULL, "example.com" },
  { "   ", TRUE, SD_SIGN_IN_ADDRESS, "alice", NULL, "example.com" },
  { "EXAMPLE\\alice", TRUE, SD_SIGN_IN_NTLM, "alice", "EXAMPLE", NULL },
  { " corp\\toml ", TRUE, SD_SIGN_IN_NTLM, "toml", "corp", NULL },
  { "alice@example.com", TRUE, SD_SIGN_IN_KERBEROS, "alice", NULL, "example.com" },
  { "toml@CORP.EXAMPLE.COM", TRUE, SD_SIGN_IN_KERBEROS, "toml", NULL, "CORP.EXAMPLE.COM" },
  { "alice", TRUE, SD_SIGN_IN_PLAIN, "alice", NULL, NULL },
  { "alice.smith-2", TRUE, SD_SIGN_IN_PLAIN, "alice.smith-2", NULL, NULL },
  { "EXAMPLE\\", FALSE }, { "\\alice", FALSE }, { "EXAMPLE\\al\\ice", FALSE },
  { "EXAMPLE\\alice@example.com", FALSE }, { "@example.com", FALSE }, { "alice@", FALSE },
  { "alice@@example.com", FALSE }, { "alice smith", FALSE }, { "EXAMPLE\\alice smith", FALSE },
  { "alice@exa mple.com", FALSE }, { "ali\"ce", FALSE }, { "alice\t", TRUE, SD_SIGN_IN_PLAIN, "alice", NULL, NULL },
  { "al\x01ice", FALSE }, { "alice@-bad-.com", FALSE },
};

static void
test_sign_in_table (void)
{
  g_autoptr(SdSipUri) uri = sd_sip_uri_parse ("alice@example.com", NULL);

  for (guint i = 0; i < G_N_ELEMENTS (sign_in_cases); i++)
    {
      const SignInCase *c = &sign_in_cases[i];
      g_autoptr(GError) error = NULL;
      g_autoptr(SdSignIn) s = sd_sign_in_parse (c->input, uri, &error);

      g_test_message ("case %u: «%s»", i, c->input != NULL ? c->input : "(null)");
      if (!c->ok)
        {
          g_assert_null (s);
          g_assert_error (error, SD_ERROR, SD_ERROR_INVALID_INPUT);
          g_assert_nonnull (strstr (error->message, "DOMAIN\\user"));
          continue;
        }
      g_assert_no_error (error);
      g_assert_nonnull (s);
      g_assert_cmpint (s->style, ==, c->style);
      g_assert_cmpstr (s->user, ==, c->user);
      g_assert_cmpstr (s->domain, ==, c->domain);
      g_assert_cmpstr (s->realm, ==, c->realm);
      g_assert_cmpint (sd_sign_in_is_kerberos_style (s), ==,
                       c->style == SD_SIGN_IN_KERBEROS || c->style == SD_SIGN_IN_ADDRESS);
    }
}

typedef struct {
  const char *input;
  const char *host;  /* NULL: rejected */
  guint16     port;
} HostPortCase;

static const HostPortCase host_port_cases[] = {
  { "sip.example.com", "sip.example.com", 0 },
  { "SIP.Example.com:5061", "sip.example.com", 5061 },
  { "192.0.2.10", "192.0.2.10", 0 },
  { "192.0.2.10:5060", "192.0.2.10", 5060 },
  { "[2001:db8::1]:5061", "2001:db8::1", 5061 },
  { "[::1]", "::1", 0 },
  { "2001:db8::1", "2001:db8::1", 0 },
  { " lcs1 ", "lcs1", 0 },
  { "", NULL }, { ":5060", NULL }, { "host:", NULL }, { "host:0", NULL }, { "host:70000", NULL },
  { "host:abc", NULL }, { "[::1", NULL }, { "[::1]x", NULL }, { "[host]:5060", NULL },
  { "bad host", NULL }, { "-bad.com", NULL }, { "a..b", NULL }, { "[192.0.2.1]", NULL },
};

static void
test_host_port_table (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (host_port_cases); i++)
    {
      const HostPortCase *c = &host_port_cases[i];
      g_autoptr(GError) error = NULL;
      g_autofree char *host = NULL;
      guint16 port = 1;
      gboolean ok = sd_parse_host_port (c->input, &host, &port, &error);

      g_test_message ("case %u: «%s»", i, c->input);
      if (c->host == NULL)
        {
          g_assert_false (ok);
          g_assert_error (error, SD_ERROR, SD_ERROR_INVALID_INPUT);
          continue;
        }
      g_assert_no_error (error);
      g_assert_true (ok);
      g_assert_cmpstr (host, ==, c->host);
      g_assert_cmpuint (port, ==, c->port);
    }
}

static void
test_config_validate (void)
{
  g_autoptr(SdConfig) config = sd_config_new ();
  g_autoptr(GError) error = NULL;

  g_assert_false (sd_config_validate (config, &error));
  g_assert_error (error, SD_ERROR, SD_ERROR_INVALID_INPUT);
  g_clear_error (&error);

  config->address = g_strdup ("alice@example.com");
  g_assert_true (sd_config_validate (config, &error));
  g_assert_no_error (error);

  config->dns_server = g_strdup ("dns.example.com");
  g_assert_false (sd_config_validate (config, &error));
  g_assert_error (error, SD_ERROR, SD_ERROR_INVALID_INPUT);
  g_clear_error (&error);
  g_free (config->dns_server);
  config->dns_server = g_strdup ("127.0.0.1:5353");
  g_assert_true (sd_config_validate (config, NULL));

  config->ca_file = g_strdup ("/nonexistent/ca.pem");
  g_assert_false (sd_config_validate (config, &error));
  g_assert_error (error, SD_ERROR, SD_ERROR_FILE);
  g_clear_error (&error);
  g_clear_pointer (&config->ca_file, g_free);

  config->timeout_s = 0;
  g_assert_false (sd_config_validate (config, &error));
  g_assert_error (error, SD_ERROR, SD_ERROR_INVALID_INPUT);
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/uri/table", test_uri_table);
  g_test_add_func ("/uri/params", test_uri_params);
  g_test_add_func ("/uri/too-long", test_uri_too_long);
  g_test_add_func ("/uri/sign-in-table", test_sign_in_table);
  g_test_add_func ("/uri/host-port-table", test_host_port_table);
  g_test_add_func ("/uri/config-validate", test_config_validate);
  return g_test_run ();
}
