/* sd-sip-network.c: NAT, SIP ALG, fragmentation and blocked UDP, judged
 * from what a client sent and what came back.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#define G_LOG_DOMAIN "sd-sip-network"

#include <string.h>
#include <gio/gio.h>
#include <glib/gi18n-lib.h>
#include "sd-sip-network.h"
#include "sd-sip-message.h"
#include "sd-config.h"
#include "sd-types.h"

/* --- Via ---------------------------------------------------------------- */

void
sd_sip_via_clear (SdSipVia *via)
{
  g_clear_pointer (&via->protocol, g_free);
  g_clear_pointer (&via->host, g_free);
  g_clear_pointer (&via->received, g_free);
  via->port = 0;
  via->rport = 0;
  via->has_rport = FALSE;
}

static gboolean
parse_port (const char *text, guint16 *port)
{
  guint64 n;

  if (text == NULL || *text == '\0' || !g_ascii_isdigit (*text))
    return FALSE;
  if (!g_ascii_string_to_unsigned (text, 10, 1, 65535, &n, NULL))
    return FALSE;
  *port = (guint16) n;
  return TRUE;
}

gboolean
sd_sip_via_parse (const char *value, SdSipVia *via)
{
  g_auto(GStrv) list = NULL;
  const char *p, *slash, *sent_by, *end;
  g_autofree char *hostport = NULL;
  g_autofree char *rport = NULL;
  g_autoptr(GError) error = NULL;

  memset (via, 0, sizeof *via);
  if (value == NULL)
    return FALSE;
  list = sd_sip_split_list (value);
  if (list == NULL || list[0] == NULL)
    return FALSE;
  p = list[0];
  while (*p == ' ' || *p == '\t')
    p++;
  /* sent-protocol: SIP / 2.0 / transport, with optional spaces around '/' */
  if (g_ascii_strncasecmp (p, "SIP", 3) != 0)
    return FALSE;
  slash = strchr (p, '/');
  if (slash == NULL || (slash = strchr (slash + 1, '/')) == NULL)
    return FALSE;
  p = slash + 1;
  while (*p == ' ' || *p == '\t')
    p++;
  end = p;
  while (*end != '\0' && *end != ' ' && *end != '\t')
    end++;
  if (end == p)
    return FALSE;
  via->protocol = g_utf8_make_valid (p, end - p);
  sent_by = end;
  while (*sent_by == ' ' || *sent_by == '\t')
    sent_by++;
  end = strchr (sent_by, ';');
  hostport = end != NULL ? g_strndup (sent_by, (gsize) (end - sent_by)) : g_strdup (sent_by);
  g_strstrip (hostport);
  if (*hostport == '\0' || !sd_parse_host_port (hostport, &via->host, &via->port, &error))
    {
      sd_sip_via_clear (via);
      return FALSE;
    }
  via->received = sd_sip_header_param (list[0], "received");
  if (via->received != NULL)
    {
      char *valid = g_utf8_make_valid (via->received, -1);
      g_free (via->received);
      via->received = valid;
      /* IPv6 in received may come with brackets (RFC 5118 §4.5) */
      if (via->received[0] == '[')
        {
          char *close = strchr (via->received, ']');
          char *bare = g_strndup (via->received + 1,
                                  close != NULL ? (gsize) (close - via->received - 1) : strlen (via->received + 1));
          g_free (via->received);
          via->received = bare;
        }
    }
  rport = sd_sip_header_param (list[0], "rport");
  if (rport != NULL)
    {
      via->has_rport = TRUE;
      if (!parse_port (rport, &via->rport))
        via->rport = 0;
    }
  return TRUE;
}

/* --- addresses ---------------------------------------------------------- */

gboolean
sd_sip_address_is_private (const char *host)
{
  g_autoptr(GInetAddress) a = host != NULL ? g_inet_address_new_from_string (host) : NULL;
  const guint8 *b;

  if (a == NULL)
    return FALSE;
  if (g_inet_address_get_is_link_local (a) || g_inet_address_get_is_site_local (a))
    return TRUE;   /* GIO: 10/8, 172.16/12, 192.168/16, 169.254/16, fe80::/10, fec0::/10 */
  b = g_inet_address_to_bytes (a);
  if (g_inet_address_get_family (a) == G_SOCKET_FAMILY_IPV4)
    return b[0] == 100 && (b[1] & 0xc0) == 64;    /* 100.64.0.0/10, carrier-grade NAT */
  return (b[0] & 0xfe) == 0xfc;                     /* fc00::/7 */
}

/* Loopback, unspecified, multicast: not a place a server on the Internet
 * lives, so nothing is concluded about NAT towards it. */
static gboolean
address_is_public (const char *host)
{
  g_autoptr(GInetAddress) a = host != NULL ? g_inet_address_new_from_string (host) : NULL;

  if (a == NULL || sd_sip_address_is_private (host))
    return FALSE;
  return !g_inet_address_get_is_loopback (a) && !g_inet_address_get_is_any (a)
         && !g_inet_address_get_is_multicast (a);
}

static gboolean
same_address (const char *a, const char *b)
{
  g_autoptr(GInetAddress) ia = NULL;
  g_autoptr(GInetAddress) ib = NULL;

  if (a == NULL || b == NULL)
    return FALSE;
  ia = g_inet_address_new_from_string (a);
  ib = g_inet_address_new_from_string (b);
  if (ia != NULL && ib != NULL)
    return g_inet_address_equal (ia, ib);
  return g_ascii_strcasecmp (a, b) == 0;
}

static char *
host_port_text (const char *host, guint16 port)
{
  g_autofree char *escaped = sd_text_escape (host, FALSE);

  if (strchr (host, ':') != NULL)
    return port != 0 ? g_strdup_printf ("[%s]:%u", escaped, port) : g_strdup_printf ("[%s]", escaped);
  return port != 0 ? g_strdup_printf ("%s:%u", escaped, port) : g_strdup (escaped);
}

/* The host and port of a Contact's URI ("<sip:alice@h:p;transport=udp>"). */
static gboolean
contact_host_port (const char *contact, char **host, guint16 *port)
{
  g_autofree char *uri = sd_sip_header_uri (contact);
  g_autofree char *hostport = NULL;
  g_autoptr(GError) error = NULL;
  const char *p, *at, *params;

  if (uri == NULL)
    return FALSE;
  p = uri;
  if (g_ascii_strncasecmp (p, "sips:", 5) == 0)
    p += 5;
  else if (g_ascii_strncasecmp (p, "sip:", 4) == 0)
    p += 4;
  else
    return FALSE;
  params = strpbrk (p, ";?");
  at = strchr (p, '@');
  if (at != NULL && (params == NULL || at < params))
    p = at + 1;
  params = strpbrk (p, ";?");
  hostport = params != NULL ? g_strndup (p, (gsize) (params - p)) : g_strdup (p);
  return *hostport != '\0' && sd_parse_host_port (hostport, host, port, &error);
}

/* --- the verdict -------------------------------------------------------- */

void
sd_sip_network_verdict_free (SdSipNetworkVerdict *v)
{
  if (v == NULL)
    return;
  g_free (v->public_host);
  g_ptr_array_unref (v->evidence);
  g_free (v);
}

static void
check_contacts (const SdSipNetworkInput *in, SdSipNetworkVerdict *v)
{
  g_auto(GStrv) contacts = sd_sip_split_list (in->response_contact);
  g_autofree char *only = NULL;
  guint16 only_port = 0;
  guint n = 0;

  for (guint i = 0; contacts != NULL && contacts[i] != NULL && n < 64; i++)
    {
      g_autofree char *host = NULL;
      guint16 port = 0;

      if (!contact_host_port (contacts[i], &host, &port))
        continue;
      if (port == 0)
        port = 5060;
      /* Ours unchanged; or the address the server saw, as registrars
       * that fix NATed contacts (nathelper) write it: NAT explains both. */
      if (same_address (host, in->local_host) && port == in->local_port)
        return;
      if (v->public_host != NULL && same_address (host, v->public_host) && port == v->public_port)
        return;
      n++;
      g_free (only);
      only = g_steal_pointer (&host);
      only_port = port;
    }
  /* Other devices of the same user may be registered too: only a single
   * binding that is none of those is ours, changed. */
  if (n == 1)
    {
      g_autofree char *seen = host_port_text (only, only_port);
      g_autofree char *sent = host_port_text (in->local_host, in->local_port);
      g_autofree char *from = v->public_host != NULL ? host_port_text (v->public_host, v->public_port)
                                                     : g_strdup (sent);

      v->alg |= SD_SIP_ALG_CONTACT_REWRITTEN;
      g_ptr_array_add (v->evidence,
                       g_strdup_printf (_("The server registered the contact address %s, but this "
                                          "computer sent %s and the server saw it come from %s."),
                                        seen, sent, from));
    }
}

SdSipNetworkVerdict *
sd_sip_network_analyse (const SdSipNetworkInput *in)
{
  SdSipNetworkVerdict *v = g_new0 (SdSipNetworkVerdict, 1);
  SdSipVia via;

  v->evidence = g_ptr_array_new_with_free_func (g_free);
  v->local_private = sd_sip_address_is_private (in->local_host);
  v->server_public = address_is_public (in->server_host);
  if (in->local_host == NULL || !sd_sip_via_parse (in->response_via, &via))
    return v;
  v->answered = TRUE;

  v->public_host = g_strdup (via.received != NULL ? via.received : in->local_host);
  v->public_port = via.rport != 0 ? via.rport : in->local_port;
  v->nat = !same_address (v->public_host, in->local_host) || v->public_port != in->local_port;

  /* A private address cannot cross the Internet: a public server that saw
   * ours can only have been told it by a router that rewrote the answer
   * back (RFC 3581 asks the server to add received= even when it equals
   * the sent-by). */
  if (via.received != NULL && v->local_private && v->server_public
      && same_address (via.received, in->local_host))
    {
      g_autofree char *server = sd_text_escape (in->server_host, FALSE);
      g_autofree char *mine = sd_text_escape (in->local_host, FALSE);

      v->alg |= SD_SIP_ALG_RECEIVED_PRIVATE;
      g_ptr_array_add (v->evidence,
                       g_strdup_printf (_("The server %s is on the Internet, yet its answer says it "
                                          "received the request from %s, this computer's private "
                                          "address (received=%s): something on the way rewrote "
                                          "the answer."), server, mine, mine));
    }

  /* A server copies the Via it got; the one that comes back is ours, or
   * someone changed it twice (out and back) in different ways. */
  if (!same_address (via.host, in->local_host) || (via.port != 0 ? via.port : 5060) != in->local_port
      || (in->transport != NULL && g_ascii_strcasecmp (via.protocol, in->transport) != 0))
    {
      g_autofree char *seen = host_port_text (via.host, via.port);
      g_autofree char *proto = sd_text_escape (via.protocol, FALSE);
      g_autofree char *sent = host_port_text (in->local_host, in->local_port);
      g_autofree char *sent_proto = g_ascii_strup (in->transport != NULL ? in->transport : "", -1);

      v->alg |= SD_SIP_ALG_VIA_REWRITTEN;
      g_ptr_array_add (v->evidence,
                       g_strdup_printf (_("The answer's Via header says %s %s, but this computer "
                                          "sent %s %s."), proto, seen, sent_proto, sent));
    }

  if (in->response_contact != NULL)
    check_contacts (in, v);

  sd_sip_via_clear (&via);
  return v;
}

/* --- transports and sizes ----------------------------------------------- */

gboolean
sd_sip_network_udp_blocked (SdSipProbeOutcome udp,
                            SdSipProbeOutcome tcp,
                            SdSipProbeOutcome tls)
{
  return udp == SD_SIP_PROBE_NO_ANSWER
         && (tcp == SD_SIP_PROBE_ANSWERED || tls == SD_SIP_PROBE_ANSWERED);
}

gboolean
sd_sip_network_stream_blocked (SdSipProbeOutcome udp,
                               SdSipProbeOutcome tcp,
                               SdSipProbeOutcome tls)
{
  /* Refused (FAILED) is a closed port, not a filter: only silence counts,
   * as for UDP. */
  return udp == SD_SIP_PROBE_ANSWERED
         && (tcp == SD_SIP_PROBE_NO_ANSWER || tls == SD_SIP_PROBE_NO_ANSWER)
         && tcp != SD_SIP_PROBE_ANSWERED && tls != SD_SIP_PROBE_ANSWERED;
}

gsize
sd_sip_network_fragmentation (const gsize             *sizes,
                              const SdSipProbeOutcome *outcomes,
                              guint                    n)
{
  gsize answered = 0;

  for (guint i = 0; i < n; i++)
    if (outcomes[i] == SD_SIP_PROBE_ANSWERED && sizes[i] > answered)
      answered = sizes[i];
  if (answered == 0)
    return 0;
  for (guint i = 0; i < n; i++)
    if (outcomes[i] == SD_SIP_PROBE_NO_ANSWER && sizes[i] > answered)
      return sizes[i];
  return 0;
}

gboolean
sd_sip_network_binding_outlived (gboolean udp,
                                 guint    expires_s,
                                 guint    flow_timer_s)
{
  guint interval = flow_timer_s != 0 ? flow_timer_s : expires_s;

  if (interval == 0)
    return FALSE;
  return interval > (udp ? SD_SIP_NAT_UDP_TIMEOUT_S : SD_SIP_NAT_TCP_TIMEOUT_S);
}

guint
sd_sip_network_registered_expires (const char *contacts,
                                   const char *expires_header,
                                   const char *local_host,
                                   guint16     local_port)
{
  g_auto(GStrv) list = contacts != NULL ? sd_sip_split_list (contacts) : NULL;
  guint64 n;

  for (guint i = 0; list != NULL && list[i] != NULL && i < 64; i++)
    {
      g_autofree char *host = NULL;
      g_autofree char *expires = NULL;
      guint16 port = 0;

      if (!contact_host_port (list[i], &host, &port))
        continue;
      if (port == 0)
        port = 5060;
      if (!same_address (host, local_host) || port != local_port)
        continue;
      expires = sd_sip_header_param (list[i], "expires");
      if (expires != NULL && g_ascii_string_to_unsigned (expires, 10, 0, G_MAXUINT32, &n, NULL))
        return (guint) n;
    }
  if (expires_header != NULL)
    {
      g_autofree char *copy = g_strstrip (g_strdup (expires_header));
      if (g_ascii_string_to_unsigned (copy, 10, 0, G_MAXUINT32, &n, NULL))
        return (guint) n;
    }
  return 0;
}
