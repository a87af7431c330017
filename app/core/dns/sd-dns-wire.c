/* sd-dns-wire.c: DNS query builder and response parser.
 *
 * Every byte comes from the network (or from a fuzzer), so every read goes
 * through a cursor that checks the remaining length first. Compression
 * pointers (RFC 1035 4.1.4) must point strictly before the label that holds
 * them: a pointer chain then always moves backwards and ends, which rules
 * out loops without counting hops (a hop limit is kept as well).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#define G_LOG_DOMAIN "sd-dns"

#include <string.h>
#include <glib/gi18n-lib.h>
#include "sd-dns-wire.h"

G_DEFINE_QUARK (sd-dns-error-quark, sd_dns_error)

typedef struct {
  const guint8 *data;
  gsize         len;
  gsize         pos;
} Cursor;

const char *
sd_dns_type_to_string (guint16 type)
{
  switch (type)
    {
    case SD_DNS_TYPE_A:     return "A";
    case SD_DNS_TYPE_CNAME: return "CNAME";
    case SD_DNS_TYPE_SOA:   return "SOA";
    case SD_DNS_TYPE_AAAA:  return "AAAA";
    case SD_DNS_TYPE_SRV:   return "SRV";
    case SD_DNS_TYPE_NAPTR: return "NAPTR";
    default:                return NULL;
    }
}

gboolean
sd_dns_type_from_string (const char *str, guint16 *out)
{
  static const guint16 types[] = { SD_DNS_TYPE_A, SD_DNS_TYPE_CNAME, SD_DNS_TYPE_AAAA,
                                   SD_DNS_TYPE_SRV, SD_DNS_TYPE_NAPTR };

  for (guint i = 0; i < G_N_ELEMENTS (types); i++)
    if (g_ascii_strcasecmp (str, sd_dns_type_to_string (types[i])) == 0)
      {
        *out = types[i];
        return TRUE;
      }
  return FALSE;
}

const char *
sd_dns_rcode_to_string (guint rcode)
{
  static const char *names[] = { "NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED" };
  static const char *others[] = { "RCODE6", "RCODE7", "RCODE8", "RCODE9", "RCODE10",
                                  "RCODE11", "RCODE12", "RCODE13", "RCODE14", "RCODE15" };

  if (rcode < G_N_ELEMENTS (names))
    return names[rcode];
  if (rcode < 16)
    return others[rcode - G_N_ELEMENTS (names)];
  return "RCODE";
}

gboolean
sd_dns_name_equal (const char *a, const char *b)
{
  gsize la, lb;

  if (a == NULL || b == NULL)
    return a == b;
  la = strlen (a);
  lb = strlen (b);
  if (la > 0 && a[la - 1] == '.')
    la--;
  if (lb > 0 && b[lb - 1] == '.')
    lb--;
  return la == lb && g_ascii_strncasecmp (a, b, la) == 0;
}

GBytes *
sd_dns_build_query (guint16      id,
                    const char  *name,
                    guint16      type,
                    GError     **error)
{
  g_autoptr(GByteArray) buf = g_byte_array_sized_new (SD_DNS_HEADER_SIZE + 260);
  guint8 header[SD_DNS_HEADER_SIZE] = { 0 };
  guint8 tail[4];
  const char *p = name;
  gsize wire_len = 1;

  g_return_val_if_fail (name != NULL, NULL);

  header[0] = id >> 8;
  header[1] = id & 0xff;
  header[2] = 0x01;  /* RD */
  header[5] = 1;     /* QDCOUNT */
  g_byte_array_append (buf, header, sizeof header);

  if (*p == '\0' || g_str_equal (p, "."))
    goto bad;

  while (*p != '\0')
    {
      const char *dot = strchr (p, '.');
      gsize label = dot != NULL ? (gsize) (dot - p) : strlen (p);
      guint8 len8;

      if (label == 0 || label > 63)
        goto bad;
      for (gsize i = 0; i < label; i++)
        if ((guchar) p[i] <= ' ' || (guchar) p[i] >= 0x7f)
          goto bad;
      wire_len += label + 1;
      if (wire_len > SD_DNS_MAX_NAME)
        goto bad;
      len8 = (guint8) label;
      g_byte_array_append (buf, &len8, 1);
      g_byte_array_append (buf, (const guint8 *) p, label);
      if (dot == NULL)
        break;
      p = dot + 1;
    }
  {
    guint8 zero = 0;
    g_byte_array_append (buf, &zero, 1);
  }
  tail[0] = type >> 8;
  tail[1] = type & 0xff;
  tail[2] = 0;
  tail[3] = SD_DNS_CLASS_IN;
  g_byte_array_append (buf, tail, sizeof tail);
  return g_byte_array_free_to_bytes (g_steal_pointer (&buf));

bad:
  g_set_error (error, SD_DNS_ERROR, SD_DNS_ERROR_INVALID_NAME,
               _("“%s” is not a valid DNS name."), name);
  return NULL;
}

gboolean
sd_dns_peek_header (const guint8 *data,
                    gsize         len,
                    guint16      *id,
                    gboolean     *is_response)
{
  if (data == NULL || len < SD_DNS_HEADER_SIZE)
    return FALSE;
  *id = (guint16) ((data[0] << 8) | data[1]);
  *is_response = (data[2] & 0x80) != 0;
  return TRUE;
}

static gboolean
read_u16 (Cursor *c, guint16 *out)
{
  if (c->len - c->pos < 2)
    return FALSE;
  *out = (guint16) ((c->data[c->pos] << 8) | c->data[c->pos + 1]);
  c->pos += 2;
  return TRUE;
}

static gboolean
read_u32 (Cursor *c, guint32 *out)
{
  if (c->len - c->pos < 4)
    return FALSE;
  *out = ((guint32) c->data[c->pos] << 24) | ((guint32) c->data[c->pos + 1] << 16)
         | ((guint32) c->data[c->pos + 2] << 8) | (guint32) c->data[c->pos + 3];
  c->pos += 4;
  return TRUE;
}

static void
append_label_char (GString *out, guchar ch)
{
  if (ch == '.' || ch == '\\')
    {
      g_string_append_c (out, '\\');
      g_string_append_c (out, (char) ch);
    }
  else if (ch <= ' ' || ch >= 0x7f)
    g_string_append_printf (out, "\\%03u", ch);
  else
    g_string_append_c (out, (char) ch);
}

/* Reads a possibly compressed name at c->pos; on return c->pos is after the
 * name as stored here (after the first pointer, if any). The root name is ".". */
static char *
read_name (Cursor *c, GError **error)
{
  g_autoptr(GString) out = g_string_new (NULL);
  gsize pos = c->pos;
  gsize after = 0;
  gboolean jumped = FALSE;
  gsize wire_len = 1;
  guint hops = 0;

  for (;;)
    {
      guint8 len;

      if (pos >= c->len)
        goto malformed;
      len = c->data[pos];
      if ((len & 0xc0) == 0xc0)
        {
          gsize target;

          if (pos + 1 >= c->len)
            goto malformed;
          target = ((gsize) (len & 0x3f) << 8) | c->data[pos + 1];
          /* Strictly backwards: no loop can exist. */
          if (target >= pos || ++hops > 127)
            goto malformed;
          if (!jumped)
            {
              after = pos + 2;
              jumped = TRUE;
            }
          pos = target;
          continue;
        }
      if ((len & 0xc0) != 0)
        goto malformed;  /* 0x40 / 0x80: extended label types, not used */
      if (len == 0)
        {
          pos++;
          break;
        }
      wire_len += (gsize) len + 1;
      if (wire_len > SD_DNS_MAX_NAME || pos + 1 + len > c->len)
        goto malformed;
      if (out->len > 0)
        g_string_append_c (out, '.');
      for (guint i = 0; i < len; i++)
        append_label_char (out, c->data[pos + 1 + i]);
      pos += 1 + (gsize) len;
    }

  c->pos = jumped ? after : pos;
  if (out->len == 0)
    g_string_assign (out, ".");
  return g_string_free (g_steal_pointer (&out), FALSE);

malformed:
  g_set_error (error, SD_DNS_ERROR, SD_DNS_ERROR_MALFORMED,
               _("a name in the answer is malformed (at byte %lu)"), (gulong) pos);
  return NULL;
}

static char *
read_character_string (Cursor *c, gsize end)
{
  guint8 len;
  g_autoptr(GString) out = NULL;

  if (c->pos >= end)
    return NULL;
  len = c->data[c->pos];
  if (end - c->pos - 1 < len)
    return NULL;
  out = g_string_sized_new (len);
  for (guint i = 0; i < len; i++)
    {
      guchar ch = c->data[c->pos + 1 + i];
      if (ch < ' ' || ch >= 0x7f || ch == '\\')
        g_string_append_printf (out, "\\%03u", ch);
      else
        g_string_append_c (out, (char) ch);
    }
  c->pos += 1 + (gsize) len;
  return g_string_free (g_steal_pointer (&out), FALSE);
}

void
sd_dns_record_free (SdDnsRecord *record)
{
  if (record == NULL)
    return;
  g_free (record->name);
  g_clear_object (&record->address);
  g_free (record->target);
  g_free (record->flags);
  g_free (record->service);
  g_free (record->regexp);
  g_free (record);
}

SdDnsRecord *
sd_dns_record_copy (const SdDnsRecord *record)
{
  SdDnsRecord *copy = g_new0 (SdDnsRecord, 1);

  *copy = *record;
  copy->name = g_strdup (record->name);
  copy->address = record->address != NULL ? g_object_ref (record->address) : NULL;
  copy->target = g_strdup (record->target);
  copy->flags = g_strdup (record->flags);
  copy->service = g_strdup (record->service);
  copy->regexp = g_strdup (record->regexp);
  return copy;
}

static SdDnsRecord *
read_record (Cursor *c, GError **error)
{
  g_autoptr(SdDnsRecord) rr = g_new0 (SdDnsRecord, 1);
  guint16 rdlength;
  gsize end;

  rr->name = read_name (c, error);
  if (rr->name == NULL)
    return NULL;
  if (!read_u16 (c, &rr->type) || !read_u16 (c, &rr->klass) || !read_u32 (c, &rr->ttl)
      || !read_u16 (c, &rdlength) || c->len - c->pos < rdlength)
    goto truncated;
  end = c->pos + rdlength;

  switch (rr->type)
    {
    case SD_DNS_TYPE_A:
    case SD_DNS_TYPE_AAAA:
      {
        gsize want = rr->type == SD_DNS_TYPE_A ? 4 : 16;
        if (rdlength != want)
          goto bad_rdata;
        rr->address = g_inet_address_new_from_bytes (c->data + c->pos,
                                                     want == 4 ? G_SOCKET_FAMILY_IPV4
                                                               : G_SOCKET_FAMILY_IPV6);
        break;
      }
    case SD_DNS_TYPE_CNAME:
      rr->target = read_name (c, error);
      if (rr->target == NULL)
        return NULL;
      if (c->pos != end)
        goto bad_rdata;
      break;
    case SD_DNS_TYPE_SRV:
      if (!read_u16 (c, &rr->priority) || !read_u16 (c, &rr->weight) || !read_u16 (c, &rr->port))
        goto truncated;
      if (c->pos > end)
        goto bad_rdata;
      /* The target must not be compressed (RFC 2782), but servers do it;
       * accept it as resolvers do. */
      rr->target = read_name (c, error);
      if (rr->target == NULL)
        return NULL;
      if (c->pos != end)
        goto bad_rdata;
      break;
    case SD_DNS_TYPE_NAPTR:
      if (!read_u16 (c, &rr->order) || !read_u16 (c, &rr->preference) || c->pos > end)
        goto bad_rdata;
      rr->flags = read_character_string (c, end);
      if (rr->flags == NULL)
        goto bad_rdata;
      rr->service = read_character_string (c, end);
      if (rr->service == NULL)
        goto bad_rdata;
      rr->regexp = read_character_string (c, end);
      if (rr->regexp == NULL)
        goto bad_rdata;
      rr->target = read_name (c, error);
      if (rr->target == NULL)
        return NULL;
      if (c->pos != end)
        goto bad_rdata;
      break;
    default:
      break;
    }
  c->pos = end;
  return g_steal_pointer (&rr);

truncated:
  g_set_error (error, SD_DNS_ERROR, SD_DNS_ERROR_MALFORMED,
               _("the answer is cut short (record %s)"), rr->name);
  return NULL;
bad_rdata:
  g_set_error (error, SD_DNS_ERROR, SD_DNS_ERROR_MALFORMED,
               _("the data of a %s record for %s is malformed"),
               sd_dns_type_to_string (rr->type) != NULL ? sd_dns_type_to_string (rr->type) : "?",
               rr->name);
  return NULL;
}

void
sd_dns_message_free (SdDnsMessage *message)
{
  if (message == NULL)
    return;
  g_free (message->qname);
  g_clear_pointer (&message->answers, g_ptr_array_unref);
  g_free (message);
}

SdDnsMessage *
sd_dns_message_parse (const guint8  *data,
                      gsize          len,
                      GError       **error)
{
  g_autoptr(SdDnsMessage) msg = g_new0 (SdDnsMessage, 1);
  Cursor c = { data, len, 0 };
  guint16 qd, an, ns, ar;

  msg->answers = g_ptr_array_new_with_free_func ((GDestroyNotify) sd_dns_record_free);

  if (data == NULL || len < SD_DNS_HEADER_SIZE)
    {
      g_set_error (error, SD_DNS_ERROR, SD_DNS_ERROR_MALFORMED,
                   _("the answer is shorter than a DNS header (%lu bytes)"), (gulong) len);
      return NULL;
    }
  read_u16 (&c, &msg->id);
  read_u16 (&c, &msg->flags);
  read_u16 (&c, &qd);
  read_u16 (&c, &an);
  read_u16 (&c, &ns);
  read_u16 (&c, &ar);
  msg->is_response = (msg->flags & 0x8000) != 0;
  msg->truncated = (msg->flags & 0x0200) != 0;
  msg->rcode = msg->flags & 0x000f;
  msg->qdcount = qd;

  /* A question takes at least 5 bytes and a record 11: a count the message
   * cannot hold is refused before any work. */
  if ((gsize) qd * 5 + (gsize) an * 11 > len - SD_DNS_HEADER_SIZE)
    {
      /* A truncated (TC) answer may legitimately lack records. */
      if (!msg->truncated)
        {
          g_set_error (error, SD_DNS_ERROR, SD_DNS_ERROR_MALFORMED,
                       _("the answer claims %u questions and %u records but has only %lu bytes"),
                       qd, an, (gulong) len);
          return NULL;
        }
    }

  for (guint i = 0; i < qd; i++)
    {
      g_autofree char *qname = read_name (&c, error);
      guint16 qtype, qclass;

      if (qname == NULL)
        {
          if (msg->truncated && i > 0)
            return g_steal_pointer (&msg);
          return NULL;
        }
      if (!read_u16 (&c, &qtype) || !read_u16 (&c, &qclass))
        {
          g_set_error (error, SD_DNS_ERROR, SD_DNS_ERROR_MALFORMED, _("the question is cut short"));
          return NULL;
        }
      if (i == 0)
        {
          msg->qname = g_steal_pointer (&qname);
          msg->qtype = qtype;
          msg->qclass = qclass;
        }
    }

  for (guint i = 0; i < an; i++)
    {
      SdDnsRecord *rr;

      if (msg->truncated && c.pos >= len)
        break;  /* TC: the rest is to be fetched over TCP */
      rr = read_record (&c, error);
      if (rr == NULL)
        {
          if (msg->truncated)
            {
              g_clear_error (error);
              break;
            }
          return NULL;
        }
      g_ptr_array_add (msg->answers, rr);
    }

  /* Authority and additional sections are not used. */
  return g_steal_pointer (&msg);
}
