/* test-autodiscover-doc.c: the autodiscover document parser, one table of
 * documents as the field has them (JSON and XML, root, redirect, Domain)
 * and of what a hostile web server can send instead.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>
#include "sd-autodiscover-doc.h"

#define ROOT_URL "https://lyncdiscover.example.test/Autodiscover/AutodiscoverService.svc/root"

typedef struct {
  const char *what;
  const char *content_type;
  const char *body;
  int         error;          /* -1: parses; else the SdAutodiscoverDocError */
  SdAutodiscoverDocKind kind;
  SdAutodiscoverFormat  format;
  const char *access_location;
  const char *domain_href;    /* the "Domain" link, NULL when none */
  const char *redirect_href;  /* the "Redirect" link */
  guint       n_links;
  guint       dropped;
  const char *client_internal;  /* "fqdn:port" or NULL */
  const char *client_external;
  const char *server_internal;
} DocCase;

static const DocCase cases[] = {
  { "XML root, as Lync Server answers the desktop client", SD_AUTODISCOVER_XML_TYPE "; charset=utf-8",
    "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
    "<AutodiscoverResponse xmlns:xsd=\"http://www.w3.org/2001/XMLSchema\" AccessLocation=\"External\">"
    "<Root><Link token=\"Domain\" href=\"" ROOT_URL "/domain\"/>"
    "<Link token=\"User\" href=\"" ROOT_URL "/user\"/>"
    "<Link token=\"Self\" href=\"" ROOT_URL "?sipuri=alice@example.test\"/>"
    "<Link token=\"OAuth\" href=\"" ROOT_URL "/oauth/user\"/>"
    "<Link token=\"External/XFrame\" href=\"https://lyncdiscover.example.test/Autodiscover/XFrame/XFrame.html\"/>"
    "</Root></AutodiscoverResponse>",
    -1, SD_AUTODISCOVER_DOC_ROOT, SD_AUTODISCOVER_FORMAT_XML, "External", ROOT_URL "/domain", NULL, 5, 0 },
  { "JSON root in the shape of the XML", "application/vnd.microsoft.rtc.autodiscover+json",
    "{\"AccessLocation\":\"Internal\",\"Root\":{\"Links\":["
    "{\"token\":\"Domain\",\"href\":\"" ROOT_URL "/domain\"},"
    "{\"token\":\"User\",\"href\":\"" ROOT_URL "/user\"}]}}",
    -1, SD_AUTODISCOVER_DOC_ROOT, SD_AUTODISCOVER_FORMAT_JSON, "Internal", ROOT_URL "/domain", NULL, 2, 0 },
  { "JSON hypermedia root (mobile clients)", "application/json",
    "{\"_links\":{\"self\":{\"href\":\"" ROOT_URL "?originalDomain=example.test\"},"
    "\"user\":{\"href\":\"" ROOT_URL "/oauth/user?originalDomain=example.test\"},"
    "\"xframe\":{\"href\":\"https://lyncdiscover.example.test/Autodiscover/XFrame/XFrame.html\"}}}",
    -1, SD_AUTODISCOVER_DOC_ROOT, SD_AUTODISCOVER_FORMAT_JSON, NULL, NULL, NULL, 3, 0 },
  { "JSON redirect to Online (hybrid)", "application/json; charset=utf-8",
    "{\"_links\":{\"self\":{\"href\":\"" ROOT_URL "\"},"
    "\"redirect\":{\"href\":\"https://webdir.online.example.test/Autodiscover/AutodiscoverService.svc/root?originalDomain=example.test\"}}}",
    -1, SD_AUTODISCOVER_DOC_ROOT, SD_AUTODISCOVER_FORMAT_JSON, NULL, NULL,
    "https://webdir.online.example.test/Autodiscover/AutodiscoverService.svc/root?originalDomain=example.test", 2, 0 },
  { "XML redirect, lower-case token", "text/xml",
    "<AutodiscoverResponse><Root><Link token=\"redirect\" href=\"http://next.example.test/root\"/></Root>"
    "</AutodiscoverResponse>",
    -1, SD_AUTODISCOVER_DOC_ROOT, SD_AUTODISCOVER_FORMAT_XML, NULL, NULL, "http://next.example.test/root", 1, 0 },
  { "XML Domain with padded names, as published examples have them", NULL,
    "  <AutodiscoverResponse AccessLocation=\"External\"><Domain>"
    "<SipServerInternalAccess fqdn=\"pool01.example.test\" port=\"5061\"/>"
    "<SipClientInternalAccess fqdn=\" pool01.example.test\" port=\"443\"/>"
    "<SipServerExternalAccess fqdn=\"sip.example.test\" port=\"5061\"/>"
    "<SipClientExternalAccess fqdn=\"SIP.example.test. \" port=\" 443 \"/>"
    "<Link token=\"Internal/Autodiscover\" href=\"" ROOT_URL "\"/>"
    "</Domain></AutodiscoverResponse>",
    -1, SD_AUTODISCOVER_DOC_DOMAIN, SD_AUTODISCOVER_FORMAT_XML, "External", NULL, NULL, 1, 0,
    "pool01.example.test:443", "sip.example.test:443", "pool01.example.test:5061" },
  { "JSON Domain, ports as numbers and as strings", "application/json",
    "{\"AccessLocation\":\"External\",\"Domain\":{"
    "\"SipClientInternalAccess\":{\"fqdn\":\"sipinternal.lync.test\",\"port\":5061},"
    "\"SipClientExternalAccess\":{\"fqdn\":\"sipexternal.lync.test\",\"port\":\"5062\"},"
    "\"Links\":[]}}",
    -1, SD_AUTODISCOVER_DOC_DOMAIN, SD_AUTODISCOVER_FORMAT_JSON, "External", NULL, NULL, 0, 0,
    "sipinternal.lync.test:5061", "sipexternal.lync.test:5062", NULL },
  { "JSON Domain, flat", NULL,
    "\xef\xbb\xbf {\"SipClientExternalAccess\":{\"fqdn\":\"sip.lync.test\",\"port\":443}}",
    -1, SD_AUTODISCOVER_DOC_DOMAIN, SD_AUTODISCOVER_FORMAT_JSON, NULL, NULL, NULL, 0, 0,
    NULL, "sip.lync.test:443", NULL },
  { "XML User resource with a namespace prefix", "application/xml",
    "<a:AutodiscoverResponse xmlns:a=\"urn:x\"><a:User>"
    "<a:SipClientExternalAccess fqdn=\"sip.example.test\" port=\"443\"/></a:User></a:AutodiscoverResponse>",
    -1, SD_AUTODISCOVER_DOC_USER, SD_AUTODISCOVER_FORMAT_XML, NULL, NULL, NULL, 0, 0,
    NULL, "sip.example.test:443", NULL },
  { "access points that cannot be used are left out", NULL,
    "<AutodiscoverResponse><Domain>"
    "<SipClientInternalAccess fqdn=\"bad host!\" port=\"5061\"/>"
    "<SipClientExternalAccess fqdn=\"sip.example.test\" port=\"70000\"/>"
    "<SipServerInternalAccess fqdn=\"sip.example.test\"/>"
    "</Domain></AutodiscoverResponse>",
    -1, SD_AUTODISCOVER_DOC_DOMAIN, SD_AUTODISCOVER_FORMAT_XML, NULL, NULL, NULL, 0, 0, NULL, NULL, NULL },
  { "links that are no http(s) URL are dropped and counted", NULL,
    "<AutodiscoverResponse><Root>"
    "<Link token=\"Domain\" href=\"javascript:alert(1)\"/>"
    "<Link token=\"User\" href=\"/relative/user\"/>"
    "<Link token=\"Self\"/>"
    "<Link token=\"Redirect\" href=\"https://ok.example.test/root\"/>"
    "</Root></AutodiscoverResponse>",
    -1, SD_AUTODISCOVER_DOC_ROOT, SD_AUTODISCOVER_FORMAT_XML, NULL, NULL, "https://ok.example.test/root", 1, 3 },
  { "an HTML error page of a reverse proxy", "text/html",
    "<!DOCTYPE html><html><body><h1>403 Forbidden</h1></body></html>",
    SD_AUTODISCOVER_DOC_ERROR_NOT_A_DOCUMENT },
  { "an HTML page sent as XML", "application/xml", "\n<html><body>x</body></html>",
    SD_AUTODISCOVER_DOC_ERROR_NOT_A_DOCUMENT },
  { "plain text", "text/plain", "Service Unavailable", SD_AUTODISCOVER_DOC_ERROR_NOT_A_DOCUMENT },
  { "empty", "application/json", "", SD_AUTODISCOVER_DOC_ERROR_NOT_A_DOCUMENT },
  { "white space only", NULL, " \r\n\t ", SD_AUTODISCOVER_DOC_ERROR_NOT_A_DOCUMENT },
  { "JSON cut short", "application/json", "{\"_links\":{\"self\":{\"href\":\"https://x", SD_AUTODISCOVER_DOC_ERROR_MALFORMED },
  { "XML cut short", NULL, "<AutodiscoverResponse><Root><Link token=\"Domain\"", SD_AUTODISCOVER_DOC_ERROR_MALFORMED },
  /* The parser's message quotes the bytes at the fault; found by fuzzing:
   * a message cutting a replacement character in two. */
  { "XML broken among bytes that are not UTF-8", NULL,
    "<AutodiscoverResponse AccessLocati\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff"
    "on=\"External\"><Domain/></AutodiscoverResponse>", SD_AUTODISCOVER_DOC_ERROR_MALFORMED },
  { "JSON broken among bytes that are not UTF-8", NULL, "{\"a\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\" 1}",
    SD_AUTODISCOVER_DOC_ERROR_MALFORMED },
  { "JSON array at the top", NULL, "[1,2,3]", SD_AUTODISCOVER_DOC_ERROR_UNKNOWN },
  { "JSON without any known member", NULL, "{\"hello\":\"world\"}", SD_AUTODISCOVER_DOC_ERROR_UNKNOWN },
  { "XML of another service (Exchange)", NULL,
    "<Autodiscover><Response><User><DisplayName>x</DisplayName></User></Response></Autodiscover>",
    SD_AUTODISCOVER_DOC_ERROR_UNKNOWN },
  { "JSON strings may hold brackets without nesting", NULL,
    "{\"_links\":{\"self[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[\":{\"href\":\"https://x.example.test/\"}}}",
    -1, SD_AUTODISCOVER_DOC_ROOT, SD_AUTODISCOVER_FORMAT_JSON, NULL, NULL, NULL, 1, 0 },
  { "JSON escaped quote inside a string", NULL,
    "{\"_links\":{\"self\\\"{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{\":{\"href\":\"https://x.example.test/\"}}}",
    -1, SD_AUTODISCOVER_DOC_ROOT, SD_AUTODISCOVER_FORMAT_JSON, NULL, NULL, NULL, 1, 0 },
};

static char *
access_text (const SdAutodiscoverAccess *a)
{
  return a->fqdn != NULL ? g_strdup_printf ("%s:%u", a->fqdn, a->port) : NULL;
}

static void
test_table (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      const DocCase *c = &cases[i];
      g_autoptr(GError) error = NULL;
      g_autoptr(SdAutodiscoverDoc) doc = NULL;

      g_test_message ("case: %s", c->what);
      doc = sd_autodiscover_doc_parse (c->content_type, (const guint8 *) c->body, strlen (c->body), &error);
      if (c->error >= 0)
        {
          g_assert_null (doc);
          g_assert_error (error, SD_AUTODISCOVER_DOC_ERROR, c->error);
          g_assert_true (g_utf8_validate (error->message, -1, NULL));
          continue;
        }
      g_assert_no_error (error);
      g_assert_nonnull (doc);
      g_assert_cmpint (doc->kind, ==, c->kind);
      g_assert_cmpint (doc->format, ==, c->format);
      g_assert_cmpstr (doc->access_location, ==, c->access_location);
      g_assert_cmpstr (sd_autodiscover_doc_find_link (doc, "domain"), ==, c->domain_href);
      g_assert_cmpstr (sd_autodiscover_doc_find_link (doc, "Redirect"), ==, c->redirect_href);
      g_assert_cmpuint (doc->links->len, ==, c->n_links);
      g_assert_cmpuint (doc->links_dropped, ==, c->dropped);
      {
        g_autofree char *ci = access_text (&doc->sip_client_internal);
        g_autofree char *ce = access_text (&doc->sip_client_external);
        g_autofree char *si = access_text (&doc->sip_server_internal);
        g_assert_cmpstr (ci, ==, c->client_internal);
        g_assert_cmpstr (ce, ==, c->client_external);
        g_assert_cmpstr (si, ==, c->server_internal);
      }
    }
}

/* json-glib recurses per level: deep nesting must be refused before it. */
static void
test_deep_nesting (void)
{
  const char *opens[] = { "[", "{\"a\":" };

  for (guint k = 0; k < G_N_ELEMENTS (opens); k++)
    {
      g_autoptr(GString) s = g_string_new (NULL);
      g_autoptr(GError) error = NULL;
      g_autoptr(SdAutodiscoverDoc) doc = NULL;

      for (guint i = 0; i < 100000; i++)
        g_string_append (s, opens[k]);
      doc = sd_autodiscover_doc_parse ("application/json", (const guint8 *) s->str, s->len, &error);
      g_assert_null (doc);
      g_assert_error (error, SD_AUTODISCOVER_DOC_ERROR, SD_AUTODISCOVER_DOC_ERROR_MALFORMED);
    }
  {
    g_autoptr(GString) s = g_string_new (NULL);
    g_autoptr(GError) error = NULL;
    g_autoptr(SdAutodiscoverDoc) doc = NULL;

    for (guint i = 0; i < 5000; i++)
      g_string_append (s, "<a>");
    doc = sd_autodiscover_doc_parse (NULL, (const guint8 *) s->str, s->len, &error);
    g_assert_null (doc);
    g_assert_error (error, SD_AUTODISCOVER_DOC_ERROR, SD_AUTODISCOVER_DOC_ERROR_MALFORMED);
  }
}

static void
test_link_cap (void)
{
  g_autoptr(GString) s = g_string_new ("<AutodiscoverResponse><Root>");
  g_autoptr(GError) error = NULL;
  g_autoptr(SdAutodiscoverDoc) doc = NULL;

  for (guint i = 0; i < 1000; i++)
    g_string_append_printf (s, "<Link token=\"t%u\" href=\"https://h%u.example.test/\"/>", i, i);
  g_string_append (s, "</Root></AutodiscoverResponse>");
  doc = sd_autodiscover_doc_parse (NULL, (const guint8 *) s->str, s->len, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (doc->links->len, ==, SD_AUTODISCOVER_DOC_MAX_LINKS);
  g_assert_cmpuint (doc->links_dropped, ==, 1000 - SD_AUTODISCOVER_DOC_MAX_LINKS);
}

/* Bytes that are not UTF-8 never reach a string handed out; a NUL ends
 * nothing silently. */
static void
test_hostile_bytes (void)
{
  static const char latin1[] = "<AutodiscoverResponse AccessLocation=\"Ext\xe9" "rieur\"><Root>"
                               "<Link token=\"R\xe9" "direct\" href=\"https://a.example.test/\"/>"
                               "</Root></AutodiscoverResponse>";
  static const char nul[] = "{\"_links\":{}}\0<garbage>";
  g_autoptr(GError) error = NULL;
  g_autoptr(SdAutodiscoverDoc) doc = NULL;

  doc = sd_autodiscover_doc_parse (NULL, (const guint8 *) latin1, strlen (latin1), &error);
  g_assert_no_error (error);
  g_assert_true (g_utf8_validate (doc->access_location, -1, NULL));
  g_assert_cmpstr (doc->access_location, ==, "Ext\xef\xbf\xbd" "rieur");
  g_assert_true (g_utf8_validate (((SdAutodiscoverLink *) doc->links->pdata[0])->token, -1, NULL));
  g_clear_pointer (&doc, sd_autodiscover_doc_free);

  doc = sd_autodiscover_doc_parse (NULL, (const guint8 *) nul, sizeof nul - 1, &error);
  g_assert_null (doc);
  g_assert_error (error, SD_AUTODISCOVER_DOC_ERROR, SD_AUTODISCOVER_DOC_ERROR_NOT_A_DOCUMENT);
  g_clear_error (&error);

  {
    gsize big = SD_AUTODISCOVER_DOC_MAX_BYTES + 1;
    g_autofree char *s = g_malloc (big);
    memset (s, ' ', big);
    s[0] = '{';
    doc = sd_autodiscover_doc_parse (NULL, (const guint8 *) s, big, &error);
    g_assert_null (doc);
    g_assert_error (error, SD_AUTODISCOVER_DOC_ERROR, SD_AUTODISCOVER_DOC_ERROR_MALFORMED);
  }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/autodiscover-doc/table", test_table);
  g_test_add_func ("/autodiscover-doc/deep-nesting", test_deep_nesting);
  g_test_add_func ("/autodiscover-doc/link-cap", test_link_cap);
  g_test_add_func ("/autodiscover-doc/hostile-bytes", test_hostile_bytes);
  return g_test_run ();
}
