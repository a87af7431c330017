/* sd-trace.c: record protocol messages, never a credential.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#define G_LOG_DOMAIN "sd-trace"

#include <string.h>
#include "sd-config.h"
#include <glib/gi18n-lib.h>
#include "sd-trace.h"

#define REDACTED "[redacted]"
#define MIN_SECRET_LENGTH 3

typedef struct {
  SdStepId          step;
  SdTraceDirection  direction;
  gint64            time_us;
  char             *transport;
  char             *peer;
  char             *text;
  gboolean          truncation_note;
} Entry;

struct _SdTrace {
  GObject    parent_instance;
  gint64     start_us;
  GArray    *entries;
  GPtrArray *secrets;
  guint      max_entries;
  gsize      max_bytes;
  gsize      bytes;          /* text kept, redacted */
  guint      dropped;        /* messages not kept once a limit was reached */
  guint64    dropped_bytes;
};

G_DEFINE_FINAL_TYPE (SdTrace, sd_trace, G_TYPE_OBJECT)

enum { MESSAGE_ADDED, N_SIGNALS };
static guint signals[N_SIGNALS];

static void
entry_clear (gpointer data)
{
  Entry *e = data;
  g_free (e->transport);
  g_free (e->peer);
  g_free (e->text);
}

static void
secret_free (gpointer data)
{
  sd_secret_free (data);
}

static void
sd_trace_finalize (GObject *object)
{
  SdTrace *self = SD_TRACE (object);

  g_array_unref (self->entries);
  g_ptr_array_unref (self->secrets);
  G_OBJECT_CLASS (sd_trace_parent_class)->finalize (object);
}

static void
sd_trace_class_init (SdTraceClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = sd_trace_finalize;

  /**
   * SdTrace::message-added:
   * @index: the index of the new entry
   */
  signals[MESSAGE_ADDED] = g_signal_new ("message-added", G_TYPE_FROM_CLASS (klass),
                                         G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                         G_TYPE_NONE, 1, G_TYPE_UINT);
}

static void
sd_trace_init (SdTrace *self)
{
  self->start_us = g_get_monotonic_time ();
  self->entries = g_array_new (FALSE, TRUE, sizeof (Entry));
  g_array_set_clear_func (self->entries, entry_clear);
  self->secrets = g_ptr_array_new_with_free_func (secret_free);
  self->max_entries = SD_TRACE_MAX_ENTRIES;
  self->max_bytes = SD_TRACE_MAX_BYTES;
}

void
sd_trace_set_limits (SdTrace *self, guint max_entries, gsize max_bytes)
{
  g_return_if_fail (SD_IS_TRACE (self));
  self->max_entries = MAX (max_entries, 1);
  self->max_bytes = MAX (max_bytes, 1);
}

guint
sd_trace_get_n_dropped (SdTrace *self)
{
  g_return_val_if_fail (SD_IS_TRACE (self), 0);
  return self->dropped;
}

gboolean
sd_trace_is_truncated (SdTrace *self)
{
  g_return_val_if_fail (SD_IS_TRACE (self), FALSE);
  return self->dropped > 0;
}

SdTrace *
sd_trace_new (void)
{
  return g_object_new (SD_TYPE_TRACE, NULL);
}

void
sd_trace_add_secret (SdTrace *self, const char *secret)
{
  g_return_if_fail (SD_IS_TRACE (self));
  if (secret == NULL || strlen (secret) < MIN_SECRET_LENGTH)
    return;
  g_ptr_array_add (self->secrets, g_strdup (secret));
}

/* Parameters of an Authorization header that carry no secret. */
static gboolean
is_safe_auth_param (const char *name, gsize len)
{
  static const char * const safe[] = {
    "username", "realm", "uri", "algorithm", "qop", "nc", "cnonce", "nonce",
    "opaque", "targetname", "version", "userhash", "snum", "srand", "crand", "cnum",
    "epid", "opaque",
  };
  for (guint i = 0; i < G_N_ELEMENTS (safe); i++)
    if (strlen (safe[i]) == len && g_ascii_strncasecmp (name, safe[i], len) == 0)
      return TRUE;
  return FALSE;
}

/* Rewrites the value of one Authorization header: the scheme stays, safe
 * parameters stay, everything else becomes [redacted]. */
static void
redact_credentials (GString *out, const char *value, gsize len)
{
  const char *p = value, *end = value + len;
  const char *scheme_end;

  while (p < end && (*p == ' ' || *p == '\t'))
    g_string_append_c (out, *p++);
  scheme_end = p;
  while (scheme_end < end && *scheme_end != ' ' && *scheme_end != '\t')
    scheme_end++;
  g_string_append_len (out, p, scheme_end - p);
  p = scheme_end;

  /* Token68 credentials (Basic, Bearer, Negotiate): no name=value pairs. */
  {
    const char *q = p;
    while (q < end && (*q == ' ' || *q == '\t'))
      q++;
    const char *eq = memchr (q, '=', (gsize) (end - q));
    const char *comma = memchr (q, ',', (gsize) (end - q));
    const char *name_end = q;
    while (name_end < end && (g_ascii_isalnum (*name_end) || *name_end == '-' || *name_end == '_'))
      name_end++;
    if (q < end && (eq == NULL || name_end != eq || (comma != NULL && comma < eq)))
      {
        g_string_append (out, " " REDACTED);
        return;
      }
  }

  while (p < end)
    {
      const char *name, *name_end, *val, *val_end;
      gboolean quoted = FALSE;

      while (p < end && (*p == ' ' || *p == '\t' || *p == ','))
        g_string_append_c (out, *p++);
      if (p >= end)
        break;
      name = p;
      while (p < end && *p != '=' && *p != ',' && *p != ' ' && *p != '\t')
        p++;
      name_end = p;
      g_string_append_len (out, name, name_end - name);
      while (p < end && (*p == ' ' || *p == '\t'))
        p++;
      if (p >= end || *p != '=')
        continue;
      g_string_append_c (out, '=');
      p++;
      while (p < end && (*p == ' ' || *p == '\t'))
        p++;
      val = p;
      if (p < end && *p == '"')
        {
          quoted = TRUE;
          p++;
          while (p < end && *p != '"')
            {
              if (*p == '\\' && p + 1 < end)
                p++;
              p++;
            }
          if (p < end)
            p++;
        }
      else
        while (p < end && *p != ',')
          p++;
      val_end = p;
      if (is_safe_auth_param (name, (gsize) (name_end - name)))
        g_string_append_len (out, val, val_end - val);
      else if (quoted && (gsize) (name_end - name) == strlen ("gssapi-data")
               && g_ascii_strncasecmp (name, "gssapi-data", name_end - name) == 0)
        {
          /* An MS-SIPAE token (NTLM AUTHENTICATE, Kerberos AP-REQ): its
           * kind and size help, its content could be attacked offline.
           * The first 12 base64 characters are the message header. */
          gsize n = val_end - val >= 2 ? (gsize) (val_end - val) - 2 : 0;
          gsize shown = MIN (n, 12);
          g_string_append_c (out, '"');
          g_string_append_len (out, val + 1, shown);
          if (n > shown)
            g_string_append_printf (out, "… (%" G_GSIZE_FORMAT " base64 characters)", n);
          g_string_append_c (out, '"');
        }
      else
        g_string_append (out, quoted ? "\"" REDACTED "\"" : REDACTED);
    }
}

static gboolean
header_is (const char *line, gsize len, const char *name)
{
  gsize n = strlen (name);
  gsize i = n;

  if (len < n || g_ascii_strncasecmp (line, name, n) != 0)
    return FALSE;
  while (i < len && (line[i] == ' ' || line[i] == '\t'))
    i++;
  return i < len && line[i] == ':';
}

char *
sd_trace_redact (const char *text, gsize length, const char * const *secrets)
{
  GString *out = g_string_sized_new (length + 16);
  const char *p = text, *end = text + length;
  gboolean in_sensitive = FALSE;

  while (p < end)
    {
      const char *eol = memchr (p, '\n', (gsize) (end - p));
      const char *line_end = eol != NULL ? eol : end;
      gsize len = (gsize) (line_end - p);
      gsize content_len = len;

      if (content_len > 0 && p[content_len - 1] == '\r')
        content_len--;

      if (content_len > 0 && (p[0] == ' ' || p[0] == '\t'))
        {
          /* A folded continuation belongs to the header above it. */
          if (in_sensitive)
            g_string_append (out, " " REDACTED);
          else
            g_string_append_len (out, p, content_len);
        }
      else if (header_is (p, content_len, "Authorization")
               || header_is (p, content_len, "Proxy-Authorization"))
        {
          const char *colon = memchr (p, ':', content_len);
          g_string_append_len (out, p, colon + 1 - p);
          redact_credentials (out, colon + 1, content_len - (gsize) (colon + 1 - p));
          in_sensitive = TRUE;
        }
      else
        {
          g_string_append_len (out, p, content_len);
          in_sensitive = FALSE;
        }
      g_string_append_len (out, p + content_len, len - content_len);
      if (eol != NULL)
        g_string_append_c (out, '\n');
      p = eol != NULL ? eol + 1 : end;
    }

  for (guint i = 0; secrets != NULL && secrets[i] != NULL; i++)
    {
      gsize slen = strlen (secrets[i]);
      char *hit;
      if (slen < MIN_SECRET_LENGTH)
        continue;
      while ((hit = strstr (out->str, secrets[i])) != NULL)
        {
          gssize pos = hit - out->str;
          explicit_bzero (hit, slen);
          g_string_erase (out, pos, (gssize) slen);
          g_string_insert (out, pos, REDACTED);
        }
    }

  /* What crossed the wire may be any bytes; the trace holds UTF-8 text. */
  if (!g_utf8_validate (out->str, (gssize) out->len, NULL))
    {
      char *valid = g_utf8_make_valid (out->str, (gssize) out->len);
      g_string_free (out, TRUE);
      return valid;
    }
  return g_string_free (out, FALSE);
}

/* The text of the note that ends a truncated trace, with the counts as
 * they are when the trace is read. */
static char *
truncation_text (SdTrace *self)
{
  g_autofree char *limit = g_format_size (self->max_bytes);
  g_autofree char *size = g_format_size (self->dropped_bytes);

  return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                       "The trace is truncated: it holds at most %u messages and %s; "
                                       "%u more message (%s) was not recorded.",
                                       "The trace is truncated: it holds at most %u messages and %s; "
                                       "%u more messages (%s) were not recorded.", self->dropped),
                          self->max_entries, limit, self->dropped, size);
}

void
sd_trace_add (SdTrace          *self,
              SdStepId          step,
              SdTraceDirection  direction,
              const char       *transport,
              const char       *peer,
              const char       *text,
              gsize             length)
{
  Entry e = { 0 };

  g_return_if_fail (SD_IS_TRACE (self));
  g_return_if_fail (text != NULL || length == 0);

  /* A peer that streams messages must not grow the trace (and the
   * report) without end: past either limit, messages are only counted,
   * and one note says so. Checked before redacting: a flood costs no more
   * than counting. */
  if (self->dropped > 0 || self->entries->len >= self->max_entries
      || self->bytes + length > self->max_bytes)
    {
      self->dropped++;
      self->dropped_bytes += length;
      if (self->dropped == 1)
        {
          e.step = step;
          e.direction = SD_TRACE_NOTE;
          e.time_us = g_get_monotonic_time () - self->start_us;
          e.transport = g_strdup ("");
          e.peer = g_strdup ("");
          e.text = g_strdup ("");
          e.truncation_note = TRUE;
          g_array_append_val (self->entries, e);
          g_signal_emit (self, signals[MESSAGE_ADDED], 0, self->entries->len - 1);
        }
      return;
    }

  g_ptr_array_add (self->secrets, NULL);
  e.text = sd_trace_redact (text != NULL ? text : "", length,
                            (const char * const *) self->secrets->pdata);
  g_ptr_array_remove_index (self->secrets, self->secrets->len - 1);
  self->bytes += strlen (e.text);
  e.step = step;
  e.direction = direction;
  e.time_us = g_get_monotonic_time () - self->start_us;
  e.transport = g_strdup (transport != NULL ? transport : "");
  e.peer = g_strdup (peer != NULL ? peer : "");
  g_array_append_val (self->entries, e);
  g_signal_emit (self, signals[MESSAGE_ADDED], 0, self->entries->len - 1);
}

const char *
sd_trace_direction_to_string (SdTraceDirection direction)
{
  switch (direction)
    {
    case SD_TRACE_SENT: return "sent";
    case SD_TRACE_RECEIVED: return "received";
    case SD_TRACE_NOTE: return "note";
    default: break;
    }
  g_return_val_if_reached (NULL);
}

guint
sd_trace_get_n_entries (SdTrace *self)
{
  g_return_val_if_fail (SD_IS_TRACE (self), 0);
  return self->entries->len;
}

JsonNode *
sd_trace_to_json (SdTrace *self)
{
  JsonArray *array = json_array_new ();
  JsonNode *node = json_node_new (JSON_NODE_ARRAY);

  for (guint i = 0; i < self->entries->len; i++)
    {
      Entry *e = &g_array_index (self->entries, Entry, i);
      JsonObject *o = json_object_new ();
      json_object_set_string_member (o, "step", sd_step_id_to_string (e->step));
      json_object_set_string_member (o, "direction", sd_trace_direction_to_string (e->direction));
      json_object_set_double_member (o, "time_ms", (double) e->time_us / 1000.0);
      json_object_set_string_member (o, "transport", e->transport);
      json_object_set_string_member (o, "peer", e->peer);
      if (e->truncation_note)
        {
          g_autofree char *note = truncation_text (self);

          json_object_set_string_member (o, "text", note);
          json_object_set_boolean_member (o, "truncated", TRUE);
          json_object_set_int_member (o, "dropped_messages", self->dropped);
          json_object_set_int_member (o, "dropped_bytes", (gint64) self->dropped_bytes);
        }
      else
        json_object_set_string_member (o, "text", e->text);
      json_array_add_object_element (array, o);
    }
  json_node_take_array (node, array);
  return node;
}

char *
sd_trace_to_text (SdTrace *self)
{
  GString *out = g_string_new (NULL);

  for (guint i = 0; i < self->entries->len; i++)
    {
      Entry *e = &g_array_index (self->entries, Entry, i);
      const char *arrow = e->direction == SD_TRACE_SENT ? "-->"
                          : e->direction == SD_TRACE_RECEIVED ? "<--" : "---";
      g_autofree char *peer = sd_text_escape (e->peer, FALSE);
      g_string_append_printf (out, "%s [%9.3f ms] %s %s %s\n", arrow, (double) e->time_us / 1000.0,
                              sd_step_id_to_string (e->step), e->transport, peer);
      if (e->truncation_note)
        {
          g_autofree char *note = truncation_text (self);
          g_string_append (out, note);
        }
      else
        /* Text for a terminal: the message's own lines stay lines, but no
         * control sequence the peer sent reaches the terminal. */
        sd_text_append_escaped (out, e->text, TRUE);
      if (out->len > 0 && out->str[out->len - 1] != '\n')
        g_string_append_c (out, '\n');
      g_string_append_c (out, '\n');
    }
  return g_string_free (out, FALSE);
}
