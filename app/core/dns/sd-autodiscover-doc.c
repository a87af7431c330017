/* sd-autodiscover-doc.c: the autodiscover documents, JSON or XML.
 *
 * Two JSON shapes are seen in the field: the one that mirrors the XML
 * ({"AccessLocation": …, "Root": {"Links": [{"token", "href"}]}} and the
 * same with "Domain" or "User"), and the hypermedia one of the root that
 * mobile clients read ({"_links": {"self": {"href"}, "user": …,
 * "redirect": …}}). Both are read, into one shape.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#define G_LOG_DOMAIN "sd-autodiscover-doc"

#include <string.h>
#include <glib/gi18n-lib.h>
#include <json-glib/json-glib.h>
#include "sd-autodiscover-doc.h"

G_DEFINE_QUARK (sd-autodiscover-doc-error-quark, sd_autodiscover_doc_error)

static void
link_free (SdAutodiscoverLink *link)
{
  g_free (link->token);
  g_free (link->href);
  g_free (link);
}

void
sd_autodiscover_doc_free (SdAutodiscoverDoc *doc)
{
  if (doc == NULL)
    return;
  g_free (doc->access_location);
  g_clear_pointer (&doc->links, g_ptr_array_unref);
  g_free (doc->sip_client_internal.fqdn);
  g_free (doc->sip_client_external.fqdn);
  g_free (doc->sip_server_internal.fqdn);
  g_free (doc->sip_server_external.fqdn);
  g_free (doc);
}

const char *
sd_autodiscover_doc_kind_to_string (SdAutodiscoverDocKind kind)
{
  switch (kind)
    {
    case SD_AUTODISCOVER_DOC_ROOT: return "root";
    case SD_AUTODISCOVER_DOC_DOMAIN: return "domain";
    case SD_AUTODISCOVER_DOC_USER: return "user";
    default: return "unknown";
    }
}

const char *
sd_autodiscover_doc_find_link (const SdAutodiscoverDoc *doc,
                               const char              *token)
{
  g_return_val_if_fail (doc != NULL && token != NULL, NULL);

  for (guint i = 0; i < doc->links->len; i++)
    {
      const SdAutodiscoverLink *link = doc->links->pdata[i];
      if (g_ascii_strcasecmp (link->token, token) == 0)
        return link->href;
    }
  return NULL;
}

/* ---- checks of what the document says --------------------------------- */

/* A host name a client could look up: letters, digits, '-' and '_' in
 * labels of 1 to 63, at most 253 in all. The field has them padded with
 * spaces (seen in published examples), so those are trimmed. */
static char *
clean_fqdn (const char *text)
{
  g_autofree char *s = g_strstrip (g_strdup (text));
  gsize len = strlen (s);
  gsize label = 0;

  if (len > 0 && s[len - 1] == '.')
    s[--len] = '\0';
  if (len == 0 || len > 253)
    return NULL;
  for (gsize i = 0; i < len; i++)
    {
      char c = s[i];
      if (c == '.')
        {
          if (label == 0)
            return NULL;
          label = 0;
          continue;
        }
      if (!(g_ascii_isalnum (c) || c == '-' || c == '_'))
        return NULL;
      if (++label > 63)
        return NULL;
    }
  return g_ascii_strdown (s, -1);
}

static gboolean
parse_port (const char *text, guint16 *port)
{
  guint64 v;
  g_autofree char *s = g_strstrip (g_strdup (text));

  if (!g_ascii_string_to_unsigned (s, 10, 1, 65535, &v, NULL))
    return FALSE;
  *port = (guint16) v;
  return TRUE;
}

static gboolean
href_ok (const char *href)
{
  g_autoptr(GUri) uri = NULL;
  const char *scheme;

  if (strlen (href) > SD_AUTODISCOVER_DOC_MAX_HREF)
    return FALSE;
  for (const char *p = href; *p != '\0'; p++)
    if ((guchar) *p < 0x20 || *p == 0x7f || *p == ' ')
      return FALSE;
  uri = g_uri_parse (href, G_URI_FLAGS_NONE, NULL);
  if (uri == NULL || g_uri_get_host (uri) == NULL || *g_uri_get_host (uri) == '\0')
    return FALSE;
  scheme = g_uri_get_scheme (uri);
  return g_ascii_strcasecmp (scheme, "https") == 0 || g_ascii_strcasecmp (scheme, "http") == 0;
}

static void
add_link (SdAutodiscoverDoc *doc, const char *token, const char *href)
{
  SdAutodiscoverLink *link;
  g_autofree char *h = NULL;

  if (token == NULL || href == NULL || *token == '\0')
    {
      doc->links_dropped++;
      return;
    }
  h = g_strstrip (g_strdup (href));
  if (doc->links->len >= SD_AUTODISCOVER_DOC_MAX_LINKS || strlen (token) > 128 || !href_ok (h))
    {
      doc->links_dropped++;
      return;
    }
  link = g_new0 (SdAutodiscoverLink, 1);
  link->token = g_strdup (token);
  link->href = g_steal_pointer (&h);
  g_ptr_array_add (doc->links, link);
}

/* The access point named @name ("SipClientInternalAccess"), or NULL. */
static SdAutodiscoverAccess *
access_slot (SdAutodiscoverDoc *doc, const char *name)
{
  if (g_ascii_strcasecmp (name, "SipClientInternalAccess") == 0)
    return &doc->sip_client_internal;
  if (g_ascii_strcasecmp (name, "SipClientExternalAccess") == 0)
    return &doc->sip_client_external;
  if (g_ascii_strcasecmp (name, "SipServerInternalAccess") == 0)
    return &doc->sip_server_internal;
  if (g_ascii_strcasecmp (name, "SipServerExternalAccess") == 0)
    return &doc->sip_server_external;
  return NULL;
}

/* An access point counts only with both a host name and a port: a client
 * that has one without the other cannot connect. */
static void
set_access (SdAutodiscoverAccess *slot, const char *fqdn, const char *port)
{
  g_autofree char *host = NULL;
  guint16 p;

  if (fqdn == NULL || port == NULL || slot->fqdn != NULL)
    return;
  host = clean_fqdn (fqdn);
  if (host == NULL || !parse_port (port, &p))
    return;
  slot->fqdn = g_steal_pointer (&host);
  slot->port = p;
}

static gboolean
kind_from_name (const char *name, SdAutodiscoverDocKind *kind)
{
  if (g_ascii_strcasecmp (name, "Root") == 0)
    *kind = SD_AUTODISCOVER_DOC_ROOT;
  else if (g_ascii_strcasecmp (name, "Domain") == 0)
    *kind = SD_AUTODISCOVER_DOC_DOMAIN;
  else if (g_ascii_strcasecmp (name, "User") == 0)
    *kind = SD_AUTODISCOVER_DOC_USER;
  else
    return FALSE;
  return TRUE;
}

static SdAutodiscoverDoc *
doc_new (SdAutodiscoverFormat format)
{
  SdAutodiscoverDoc *doc = g_new0 (SdAutodiscoverDoc, 1);

  doc->format = format;
  doc->links = g_ptr_array_new_with_free_func ((GDestroyNotify) link_free);
  return doc;
}

/* ---- JSON ------------------------------------------------------------- */

/* json-glib's parser recurses once per level: a body of 64 KiB of '['
 * would use the stack up. Counted first, outside strings. */
static gboolean
json_depth_ok (const char *text, gsize len)
{
  guint depth = 0;
  gboolean in_string = FALSE;

  for (gsize i = 0; i < len; i++)
    {
      char c = text[i];
      if (in_string)
        {
          if (c == '\\')
            i++;
          else if (c == '"')
            in_string = FALSE;
          continue;
        }
      if (c == '"')
        in_string = TRUE;
      else if (c == '{' || c == '[')
        {
          if (++depth > SD_AUTODISCOVER_DOC_MAX_DEPTH)
            return FALSE;
        }
      else if ((c == '}' || c == ']') && depth > 0)
        depth--;
    }
  return TRUE;
}

static JsonNode *
member_ci (JsonObject *o, const char *name)
{
  JsonObjectIter iter;
  const char *key;
  JsonNode *value;

  json_object_iter_init (&iter, o);
  while (json_object_iter_next (&iter, &key, &value))
    if (g_ascii_strcasecmp (key, name) == 0)
      return value;
  return NULL;
}

/* A string or a number as text (ports come either way); NULL otherwise. */
static char *
scalar_text (JsonNode *node)
{
  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node))
    return NULL;
  switch (json_node_get_value_type (node))
    {
    case G_TYPE_STRING:
      return g_strdup (json_node_get_string (node));
    case G_TYPE_INT64:
      return g_strdup_printf ("%" G_GINT64_FORMAT, json_node_get_int (node));
    default:
      return NULL;
    }
}

static char *
object_text (JsonObject *o, const char *name)
{
  return scalar_text (member_ci (o, name));
}

/* {"Links": [{"token": "Domain", "href": "…"}, …]} */
static void
json_read_links_array (SdAutodiscoverDoc *doc, JsonNode *node)
{
  JsonArray *a;

  if (node == NULL || !JSON_NODE_HOLDS_ARRAY (node))
    return;
  a = json_node_get_array (node);
  for (guint i = 0; i < json_array_get_length (a); i++)
    {
      JsonNode *e = json_array_get_element (a, i);
      g_autofree char *token = NULL;
      g_autofree char *href = NULL;

      if (!JSON_NODE_HOLDS_OBJECT (e))
        {
          doc->links_dropped++;
          continue;
        }
      token = object_text (json_node_get_object (e), "token");
      href = object_text (json_node_get_object (e), "href");
      add_link (doc, token, href);
    }
}

/* {"_links": {"self": {"href": "…"}, "redirect": {"href": "…"}}} */
static void
json_read_hal_links (SdAutodiscoverDoc *doc, JsonNode *node)
{
  JsonObjectIter iter;
  const char *key;
  JsonNode *value;

  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    return;
  json_object_iter_init (&iter, json_node_get_object (node));
  while (json_object_iter_next (&iter, &key, &value))
    {
      g_autofree char *href = NULL;

      if (JSON_NODE_HOLDS_OBJECT (value))
        href = object_text (json_node_get_object (value), "href");
      add_link (doc, key, href);
    }
}

static gboolean
json_read_access (SdAutodiscoverDoc *doc, JsonObject *o)
{
  JsonObjectIter iter;
  const char *key;
  JsonNode *value;
  gboolean any = FALSE;

  json_object_iter_init (&iter, o);
  while (json_object_iter_next (&iter, &key, &value))
    {
      SdAutodiscoverAccess *slot = access_slot (doc, key);
      g_autofree char *fqdn = NULL;
      g_autofree char *port = NULL;

      if (slot == NULL)
        continue;
      any = TRUE;
      if (!JSON_NODE_HOLDS_OBJECT (value))
        continue;
      fqdn = object_text (json_node_get_object (value), "fqdn");
      port = object_text (json_node_get_object (value), "port");
      set_access (slot, fqdn, port);
    }
  return any;
}

static SdAutodiscoverDoc *
parse_json (const char *text, gsize len, GError **error)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) local = NULL;
  g_autoptr(SdAutodiscoverDoc) doc = doc_new (SD_AUTODISCOVER_FORMAT_JSON);
  JsonObject *top;
  JsonNode *root, *node;
  gboolean found = FALSE;

  if (!json_depth_ok (text, len))
    {
      g_set_error (error, SD_AUTODISCOVER_DOC_ERROR, SD_AUTODISCOVER_DOC_ERROR_MALFORMED,
                   _("The JSON document nests deeper than %u levels."), SD_AUTODISCOVER_DOC_MAX_DEPTH);
      return NULL;
    }
  if (!json_parser_load_from_data (parser, text, (gssize) len, &local))
    {
      /* Parsers quote the bytes around the fault, and may cut a character
       * in two: the report takes only valid UTF-8. */
      g_autofree char *why = g_utf8_make_valid (local->message, -1);
      g_set_error (error, SD_AUTODISCOVER_DOC_ERROR, SD_AUTODISCOVER_DOC_ERROR_MALFORMED,
                   _("The JSON document is not well formed (%s)."), why);
      return NULL;
    }
  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    {
      g_set_error_literal (error, SD_AUTODISCOVER_DOC_ERROR, SD_AUTODISCOVER_DOC_ERROR_UNKNOWN,
                           _("The JSON document is not an autodiscover document (no object at its top)."));
      return NULL;
    }
  top = json_node_get_object (root);

  {
    g_autofree char *where = object_text (top, "AccessLocation");
    if (where != NULL && strlen (where) <= 64)
      doc->access_location = g_steal_pointer (&where);
  }

  /* The XML-like shape: one member names the resource. */
  {
    static const char * const kinds[] = { "Root", "Domain", "User" };
    for (guint i = 0; i < G_N_ELEMENTS (kinds) && !found; i++)
      {
        node = member_ci (top, kinds[i]);
        if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
          continue;
        kind_from_name (kinds[i], &doc->kind);
        json_read_access (doc, json_node_get_object (node));
        json_read_links_array (doc, member_ci (json_node_get_object (node), "Links"));
        json_read_hal_links (doc, member_ci (json_node_get_object (node), "_links"));
        found = TRUE;
      }
  }
  /* A flat Domain document: the access points at the top. */
  if (!found && json_read_access (doc, top))
    {
      doc->kind = SD_AUTODISCOVER_DOC_DOMAIN;
      json_read_links_array (doc, member_ci (top, "Links"));
      found = TRUE;
    }
  /* The hypermedia root. */
  if (!found && (node = member_ci (top, "_links")) != NULL && JSON_NODE_HOLDS_OBJECT (node))
    {
      doc->kind = SD_AUTODISCOVER_DOC_ROOT;
      json_read_hal_links (doc, node);
      found = TRUE;
    }
  if (!found)
    {
      g_set_error_literal (error, SD_AUTODISCOVER_DOC_ERROR, SD_AUTODISCOVER_DOC_ERROR_UNKNOWN,
                           _("The JSON document is not an autodiscover document (no Root, Domain, User "
                             "or _links member)."));
      return NULL;
    }
  return g_steal_pointer (&doc);
}

/* ---- XML -------------------------------------------------------------- */

typedef struct {
  SdAutodiscoverDoc *doc;
  guint              depth;
  guint              kind_depth;   /* depth of the Root/Domain/User element, 0 outside */
  gboolean           found;
} XmlState;

static const char *
local_name (const char *name)
{
  const char *colon = strrchr (name, ':');
  return colon != NULL ? colon + 1 : name;
}

static const char *
attribute (const char **names, const char **values, const char *want)
{
  for (guint i = 0; names[i] != NULL; i++)
    if (g_ascii_strcasecmp (local_name (names[i]), want) == 0)
      return values[i];
  return NULL;
}

static void
xml_start (GMarkupParseContext *context,
           const char          *element,
           const char         **names,
           const char         **values,
           gpointer             user_data,
           GError             **error)
{
  XmlState *st = user_data;
  const char *name = local_name (element);
  SdAutodiscoverDocKind kind;

  if (++st->depth > SD_AUTODISCOVER_DOC_MAX_DEPTH)
    {
      g_set_error (error, SD_AUTODISCOVER_DOC_ERROR, SD_AUTODISCOVER_DOC_ERROR_MALFORMED,
                   _("The XML document nests deeper than %u levels."), SD_AUTODISCOVER_DOC_MAX_DEPTH);
      return;
    }
  if (st->depth == 1)
    {
      const char *where = attribute (names, values, "AccessLocation");
      if (g_ascii_strcasecmp (name, "AutodiscoverResponse") == 0 && where != NULL && strlen (where) <= 64)
        st->doc->access_location = g_strdup (where);
      return;
    }
  if (st->depth == 2 && !st->found && kind_from_name (name, &kind))
    {
      st->doc->kind = kind;
      st->kind_depth = st->depth;
      st->found = TRUE;
      return;
    }
  if (st->kind_depth == 0 || st->depth != st->kind_depth + 1)
    return;
  if (g_ascii_strcasecmp (name, "Link") == 0)
    add_link (st->doc, attribute (names, values, "token"), attribute (names, values, "href"));
  else
    {
      SdAutodiscoverAccess *slot = access_slot (st->doc, name);
      if (slot != NULL)
        set_access (slot, attribute (names, values, "fqdn"), attribute (names, values, "port"));
    }
}

static void
xml_end (GMarkupParseContext *context,
         const char          *element,
         gpointer             user_data,
         GError             **error)
{
  XmlState *st = user_data;

  if (st->depth == st->kind_depth)
    st->kind_depth = 0;
  st->depth--;
}

static SdAutodiscoverDoc *
parse_xml (const char *text, gsize len, GError **error)
{
  static const GMarkupParser parser = { xml_start, xml_end, NULL, NULL, NULL };
  g_autoptr(SdAutodiscoverDoc) doc = doc_new (SD_AUTODISCOVER_FORMAT_XML);
  g_autoptr(GError) local = NULL;
  XmlState st = { doc, 0, 0, FALSE };
  GMarkupParseContext *ctx = g_markup_parse_context_new (&parser, G_MARKUP_PREFIX_ERROR_POSITION, &st, NULL);
  gboolean ok = g_markup_parse_context_parse (ctx, text, (gssize) len, &local)
                && g_markup_parse_context_end_parse (ctx, &local);

  g_markup_parse_context_free (ctx);
  if (!ok)
    {
      if (g_error_matches (local, SD_AUTODISCOVER_DOC_ERROR, SD_AUTODISCOVER_DOC_ERROR_MALFORMED))
        g_propagate_error (error, g_steal_pointer (&local));
      else
        {
          g_autofree char *why = g_utf8_make_valid (local->message, -1);
          g_set_error (error, SD_AUTODISCOVER_DOC_ERROR, SD_AUTODISCOVER_DOC_ERROR_MALFORMED,
                       _("The XML document is not well formed (%s)."), why);
        }
      return NULL;
    }
  if (!st.found)
    {
      g_set_error_literal (error, SD_AUTODISCOVER_DOC_ERROR, SD_AUTODISCOVER_DOC_ERROR_UNKNOWN,
                           _("The XML document is not an autodiscover document (no AutodiscoverResponse "
                             "with a Root, Domain or User element)."));
      return NULL;
    }
  return g_steal_pointer (&doc);
}

/* ---- entry ------------------------------------------------------------ */

static gboolean
type_has (const char *content_type, const char *word)
{
  g_autofree char *lower = NULL;
  char *semi;

  if (content_type == NULL)
    return FALSE;
  lower = g_ascii_strdown (content_type, -1);
  semi = strchr (lower, ';');
  if (semi != NULL)
    *semi = '\0';
  return strstr (lower, word) != NULL;
}

SdAutodiscoverDoc *
sd_autodiscover_doc_parse (const char    *content_type,
                           const guint8  *body,
                           gsize          len,
                           GError       **error)
{
  g_autofree char *text = NULL;
  gsize i = 0;
  gboolean json;

  g_return_val_if_fail (body != NULL || len == 0, NULL);

  if (len > SD_AUTODISCOVER_DOC_MAX_BYTES)
    {
      g_set_error (error, SD_AUTODISCOVER_DOC_ERROR, SD_AUTODISCOVER_DOC_ERROR_MALFORMED,
                   _("The document is larger than %u KiB."), SD_AUTODISCOVER_DOC_MAX_BYTES / 1024);
      return NULL;
    }
  /* Neither JSON nor XML may hold a NUL byte; past one, nothing reads on. */
  if (len == 0 || memchr (body, '\0', len) != NULL)
    {
      g_set_error_literal (error, SD_AUTODISCOVER_DOC_ERROR, SD_AUTODISCOVER_DOC_ERROR_NOT_A_DOCUMENT,
                           len == 0 ? _("The answer is empty.")
                                    : _("The answer holds binary data, not a JSON or XML document."));
      return NULL;
    }
  text = g_utf8_make_valid ((const char *) body, (gssize) len);
  len = strlen (text);

  /* A byte order mark, then white space, then the first real character. */
  if (len >= 3 && memcmp (text, "\xef\xbb\xbf", 3) == 0)
    i = 3;
  while (i < len && g_ascii_isspace (text[i]))
    i++;

  if (type_has (content_type, "json"))
    json = TRUE;
  else if (type_has (content_type, "xml"))
    json = FALSE;
  else if (i < len && (text[i] == '{' || text[i] == '['))
    json = TRUE;
  else if (i < len && text[i] == '<')
    json = FALSE;
  else
    {
      g_set_error_literal (error, SD_AUTODISCOVER_DOC_ERROR, SD_AUTODISCOVER_DOC_ERROR_NOT_A_DOCUMENT,
                           _("The answer is neither JSON nor XML."));
      return NULL;
    }
  /* An HTML error page of a reverse proxy is "XML-like" but no document. */
  if (!json && i + 5 <= len && (g_ascii_strncasecmp (text + i, "<html", 5) == 0
                               || g_ascii_strncasecmp (text + i, "<!doc", 5) == 0))
    {
      g_set_error_literal (error, SD_AUTODISCOVER_DOC_ERROR, SD_AUTODISCOVER_DOC_ERROR_NOT_A_DOCUMENT,
                           _("The answer is a web page (HTML), not an autodiscover document."));
      return NULL;
    }
  return json ? parse_json (text + i, len - i, error) : parse_xml (text + i, len - i, error);
}
