/* sd-tls-verify.c: the certificate checks (see sd-tls-verify.h).
 *
 * Trust is decided by GnuTLS against the system store plus the CA file,
 * with time checks and weak-algorithm refusals switched off there, so that
 * each of those is reported as its own problem instead of one opaque
 * "not trusted".
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#define G_LOG_DOMAIN "sd-tls-verify"

#include <string.h>
#include <glib/gi18n-lib.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include "sd-tls-verify.h"
#include "sd-finding-codes.h"

#define MAX_PATH 16

static void
problem_free (SdTlsProblem *p)
{
  g_free (p->code);
  g_free (p->message);
  g_free (p->advice);
  g_free (p);
}

GPtrArray *
sd_tls_problems_new (void)
{
  return g_ptr_array_new_with_free_func ((GDestroyNotify) problem_free);
}

void
sd_tls_problems_add (GPtrArray  *problems,
                     const char *code,
                     SdSeverity  severity,
                     char       *message,
                     const char *advice)
{
  SdTlsProblem *p = g_new0 (SdTlsProblem, 1);

  p->code = g_strdup (code);
  p->severity = severity;
  p->message = message;
  p->advice = g_strdup (advice);
  g_ptr_array_add (problems, p);
}

void
sd_tls_verify_result_free (SdTlsVerifyResult *r)
{
  if (r == NULL)
    return;
  g_clear_pointer (&r->checks, json_array_unref);
  g_clear_pointer (&r->path_json, json_array_unref);
  g_ptr_array_unref (r->problems);
  g_ptr_array_unref (r->path);
  g_free (r->anchor);
  g_clear_pointer (&r->anchor_der, g_bytes_unref);
  g_free (r->name_identity);
  g_free (r);
}

const char *
sd_tls_protocol_to_string (GTlsProtocolVersion version)
{
  switch (version)
    {
    case G_TLS_PROTOCOL_VERSION_SSL_3_0: return "SSL 3.0";
    case G_TLS_PROTOCOL_VERSION_TLS_1_0: return "TLS 1.0";
    case G_TLS_PROTOCOL_VERSION_TLS_1_1: return "TLS 1.1";
    case G_TLS_PROTOCOL_VERSION_TLS_1_2: return "TLS 1.2";
    case G_TLS_PROTOCOL_VERSION_TLS_1_3: return "TLS 1.3";
    case G_TLS_PROTOCOL_VERSION_DTLS_1_0: return "DTLS 1.0";
    case G_TLS_PROTOCOL_VERSION_DTLS_1_2: return "DTLS 1.2";
    case G_TLS_PROTOCOL_VERSION_UNKNOWN:
    default: return "unknown";
    }
}

char *
sd_format_duration (gint64 s)
{
  if (s < 0)
    s = -s;
  if (s >= 2 * 86400)
    return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u day", "%u days", (gulong) (s / 86400)),
                            (guint) MIN (s / 86400, G_MAXUINT));
  if (s >= 3600)
    return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u hour", "%u hours", (gulong) (s / 3600)),
                            (guint) (s / 3600));
  if (s >= 60)
    return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u minute", "%u minutes", (gulong) (s / 60)),
                            (guint) (s / 60));
  return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u second", "%u seconds", (gulong) s), (guint) s);
}

static void
add_check (SdTlsVerifyResult *r, const char *id, const char *result, const char *message)
{
  JsonObject *o = json_object_new ();

  json_object_set_string_member (o, "id", id);
  json_object_set_string_member (o, "result", result);
  json_object_set_string_member (o, "message", message);
  json_array_add_object_element (r->checks, o);
}

static void
add_problem (SdTlsVerifyResult *r, const char *code, SdSeverity severity,
             const char *message, const char *advice)
{
  sd_tls_problems_add (r->problems, code, severity, g_strdup (message), advice);
}

static const char *
cert_label (const SdCertInfo *c)
{
  return c->cn != NULL && *c->cn != '\0' ? c->cn : c->subject;
}

static char *
join_names (const SdCertInfo *c)
{
  SdCertNames names;
  g_auto(GStrv) all = NULL;

  sd_cert_info_get_names (c, &names);
  all = sd_tls_all_names (&names);
  if (all[0] == NULL)
    return g_strdup (_("(no name at all)"));
  return g_strjoinv (", ", all);
}

/* The leaf, then each certificate's issuer among those sent, as a client
 * builds the path; certificates sent out of order are still found. */
static void
build_path (SdTlsVerifyResult *r, GPtrArray *chain)
{
  gboolean used[MAX_PATH * 4] = { FALSE };
  guint n = MIN (chain->len, G_N_ELEMENTS (used));
  SdCertInfo *cur = chain->pdata[0];

  g_ptr_array_add (r->path, cur);
  json_array_add_int_element (r->path_json, 0);
  used[0] = TRUE;
  while (r->path->len < MAX_PATH && !cur->self_signed)
    {
      SdCertInfo *next = NULL;
      guint next_i = 0;

      for (guint i = 0; i < n && next == NULL; i++)
        if (!used[i] && sd_cert_info_issued_by (cur, chain->pdata[i]))
          {
            next = chain->pdata[i];
            next_i = i;
          }
      if (next == NULL)
        {
          /* Named as the issuer, but its key did not make the signature (or
           * the signature could not be checked at all): not part of the path. */
          for (guint i = 0; i < n && r->unverified_issuer == NULL; i++)
            if (!used[i] && gnutls_x509_crt_check_issuer (cur->crt, ((SdCertInfo *) chain->pdata[i])->crt))
              r->unverified_issuer = chain->pdata[i];
          if (r->unverified_issuer == NULL && cur->self_issued)
            r->unverified_issuer = cur;
          break;
        }
      used[next_i] = TRUE;
      g_ptr_array_add (r->path, next);
      json_array_add_int_element (r->path_json, next_i);
      cur = next;
    }
}

static void
check_trust (SdTlsVerifyResult *r, const SdTlsVerifyInput *in)
{
  const char *ca_file_control = sd_config_control_name (in->config, SD_CONTROL_CA_FILE);
  gnutls_x509_crt_t crts[MAX_PATH];
  g_autoptr(SdTlsTrust) own = NULL;
  SdTlsTrust *trust = in->trust;
  gnutls_x509_trust_list_t tl;
  gnutls_x509_crt_t anchor = NULL;
  unsigned status = 0;
  int n_system, n_file, ret;
  guint n_crl;
  guint n = r->path->len;
  SdCertInfo *leaf = r->path->pdata[0];
  SdCertInfo *top = r->path->pdata[n - 1];
  const unsigned flags = GNUTLS_VERIFY_DISABLE_TIME_CHECKS | GNUTLS_VERIFY_DISABLE_TRUSTED_TIME_CHECKS
                         | GNUTLS_VERIFY_ALLOW_SIGN_WITH_SHA1 | GNUTLS_VERIFY_ALLOW_SIGN_RSA_MD5;
  g_autofree char *where = NULL;

  if (trust == NULL)
    trust = own = sd_tls_trust_load (in->ca_file);
  sd_tls_trust_get_counts (trust, &n_system, &n_file, &n_crl);
  r->n_crl = n_crl;
  for (guint i = 0; i < n; i++)
    crts[i] = ((SdCertInfo *) r->path->pdata[i])->crt;
  tl = sd_tls_trust_acquire_for (trust, crts, n);
  if (tl == NULL)
    {
      sd_tls_trust_release_list (trust, tl);
      add_check (r, "trust", "skip", _("The trust store could not be loaded."));
      return;
    }
  if (in->ca_file != NULL)
    where = g_strdup_printf (_("the system's %d trusted authorities and %d from %s"),
                             MAX (n_system, 0), MAX (n_file, 0), in->ca_file);
  else
    where = g_strdup_printf (_("the system's %d trusted authorities"), MAX (n_system, 0));

  if (in->ca_file != NULL && n_file <= 0)
    add_problem (r, SD_FINDING_TLS_CA_FILE_EMPTY, SD_SEVERITY_WARNING,
                 _("The CA file given holds no certificate this program can read."),
                 _("Give a file with one or more CA certificates in PEM form "
                   "(-----BEGIN CERTIFICATE-----), such as the root certificate your administrator exported."));

  /* Weak keys and signatures are their own findings (check_algorithms), so
   * the flags let SHA-1 and MD5 through: those signatures are still
   * computed and checked. Trusted means GnuTLS verified the whole chain and
   * set no status bit at all; GNUTLS_CERT_INVALID alone means it did not
   * check a signature (an unknown or refused algorithm). */
  ret = gnutls_x509_trust_list_verify_crt2 (tl, crts, n, NULL, 0, flags, &status, NULL);

  if (ret < 0)
    {
      g_autofree char *msg = g_strdup_printf (_("The certificate chain could not be verified: %s"),
                                              gnutls_strerror (ret));
      add_problem (r, SD_FINDING_TLS_CHAIN_INVALID, SD_SEVERITY_ERROR, msg,
                   _("The server's certificates could not be checked, so they are not trusted. Ask the "
                     "server's administrator to install the certificate and chain exactly as the authority "
                     "delivered them."));
      add_check (r, "trust", "fail", msg);
    }
  else if (status == 0)
    {
      g_autofree char *msg = NULL;

      r->trust_ok = TRUE;
      if (gnutls_x509_trust_list_get_issuer (tl, top->crt, &anchor, GNUTLS_TL_GET_COPY) >= 0 && anchor != NULL)
        {
          gnutls_datum_t d = { NULL, 0 };
          if (gnutls_x509_crt_get_dn3 (anchor, &d, 0) >= 0)
            {
              g_autofree char *raw = g_strndup ((const char *) d.data, d.size);
              r->anchor = g_utf8_make_valid (raw, -1);
              gnutls_free (d.data);
            }
          /* Revocation of the path's top is checked against it. */
          if (gnutls_x509_crt_export2 (anchor, GNUTLS_X509_FMT_DER, &d) >= 0)
            {
              r->anchor_der = g_bytes_new (d.data, d.size);
              gnutls_free (d.data);
            }
          /* Verified here only because this computer holds the intermediate:
           * other clients need the server to send it. */
          if (!top->self_signed && !gnutls_x509_crt_check_issuer (anchor, anchor))
            {
              g_autofree char *m = g_strdup_printf (
                _("The server does not send the intermediate certificate “%s”; the chain verified here only "
                  "because this computer has that intermediate installed."), top->issuer);
              add_problem (r, SD_FINDING_TLS_MISSING_INTERMEDIATE, SD_SEVERITY_WARNING, m,
                           _("Configure the server to send its full chain (its certificate followed by the "
                             "intermediate CA certificates), so clients without that intermediate trust it too."));
            }
          gnutls_x509_crt_deinit (anchor);
        }
      else if (top->self_signed)
        r->anchor = g_strdup (top->subject);
      msg = g_strdup_printf (_("Trusted: the chain ends at “%s”, one of %s."),
                             r->anchor != NULL ? r->anchor : top->subject, where);
      add_check (r, "trust", "pass", msg);
      add_check (r, "chain", "pass", _("The server sends every certificate needed to reach a trusted authority."));
    }
  else if ((status & (GNUTLS_CERT_SIGNATURE_FAILURE | GNUTLS_CERT_INSECURE_ALGORITHM))
           || (status & ~GNUTLS_CERT_INVALID) == 0
           || ((status & GNUTLS_CERT_SIGNER_NOT_FOUND) && r->unverified_issuer != NULL))
    {
      /* The certificate that names an authority carries no signature that
       * authority's key made: it may be forged. */
      const char *by = r->unverified_issuer != NULL ? r->unverified_issuer->subject : top->issuer;
      g_autofree char *msg = g_strdup_printf (
        _("The signature of “%s” does not verify as made by “%s”, the authority it names as its issuer "
          "(signature algorithm: %s): the certificate was not issued by that authority, or was changed "
          "since. It may be forged."), cert_label (top), by, top->signature_algorithm);

      add_problem (r, SD_FINDING_TLS_BAD_SIGNATURE, SD_SEVERITY_ERROR, msg,
                   _("Do not sign in through this connection: someone may be impersonating the server. If it "
                     "is your server, install its certificate and chain exactly as the authority delivered "
                     "them, signed with an algorithm such as SHA-256."));
      add_check (r, "trust", "fail", msg);
      add_check (r, "chain", "fail", msg);
    }
  else if (status & (GNUTLS_CERT_SIGNER_NOT_FOUND | GNUTLS_CERT_SIGNER_NOT_CA) && top->self_signed)
    {
      g_autofree char *msg = NULL;
      g_autofree char *adv = NULL;

      if (n == 1)
        {
          msg = g_strdup_printf (_("The server's certificate “%s” is self-signed: no authority vouches for it, "
                                   "and this computer does not trust it."), cert_label (leaf));
          /* TRANSLATORS: %s is the control, e.g. "--ca-file" or "the CA file setting on the Server page". */
          adv = g_strdup_printf (_("Replace it with a certificate issued by your organization's certificate "
                                   "authority (or a public one) for the server's name, or, if this self-signed "
                                   "certificate is intended, install it on every client as a trusted certificate "
                                   "(here: %s)."), ca_file_control);
          add_problem (r, SD_FINDING_TLS_SELF_SIGNED, SD_SEVERITY_ERROR, msg, adv);
          add_check (r, "trust", "fail", msg);
          add_check (r, "chain", "skip", _("A self-signed certificate has no chain."));
        }
      else
        {
          msg = g_strdup_printf (_("The chain ends at the root authority “%s”, which this computer does not "
                                   "trust (checked against %s)."), top->subject, where);
          /* TRANSLATORS: the second %s is the control, e.g. "--ca-file" or "the CA file setting on the
           * Server page". */
          adv = g_strdup_printf (_("Install the root certificate “%s” on the client as a trusted root "
                                   "authority (here: %s), as every client of this server needs it."),
                                 top->subject, ca_file_control);
          add_problem (r, SD_FINDING_TLS_UNTRUSTED_ROOT, SD_SEVERITY_ERROR, msg, adv);
          add_check (r, "trust", "fail", msg);
          add_check (r, "chain", "pass", _("The server sends its whole chain, up to the root."));
        }
    }
  else if (status & (GNUTLS_CERT_SIGNER_NOT_FOUND | GNUTLS_CERT_SIGNER_NOT_CA))
    {
      g_autofree char *msg = NULL;
      g_autofree char *adv = NULL;

      if (!top->is_ca)
        {
          /* Only the leaf arrived, and nothing here issued it. */
          msg = g_strdup_printf (_("The server sent its certificate without the intermediate certificate "
                                   "that issued it: “%s” is neither sent nor trusted on this computer."),
                                 top->issuer);
          if (top->ca_issuers_url != NULL)
            adv = g_strdup_printf (_("Configure the server to send its full chain: its certificate followed by "
                                     "the intermediate “%s” (it can be downloaded from %s). If “%s” is itself "
                                     "a root authority, install it on the client instead."),
                                   top->issuer, top->ca_issuers_url, top->issuer);
          else
            adv = g_strdup_printf (_("Configure the server to send its full chain: its certificate followed by "
                                     "the intermediate “%s”. If “%s” is itself a root authority, install it on "
                                     "the client as a trusted root instead."), top->issuer, top->issuer);
          add_problem (r, SD_FINDING_TLS_MISSING_INTERMEDIATE, SD_SEVERITY_ERROR, msg, adv);
          add_check (r, "chain", "fail", msg);
          add_check (r, "trust", "fail", _("Not trusted: the chain cannot be completed to a trusted authority."));
        }
      else
        {
          msg = g_strdup_printf (_("The chain ends at “%s”, issued by the root authority “%s”, which this computer "
                                   "does not trust (checked against %s)."), top->subject, top->issuer, where);
          /* TRANSLATORS: the second %s is the control, e.g. "--ca-file" or "the CA file setting on the
           * Server page". */
          adv = g_strdup_printf (_("Install the root certificate “%s” on the client as a trusted root authority "
                                   "(here: %s): the client must trust the authority that issued the "
                                   "server's certificate."), top->issuer, ca_file_control);
          add_problem (r, SD_FINDING_TLS_UNTRUSTED_ROOT, SD_SEVERITY_ERROR, msg, adv);
          add_check (r, "trust", "fail", msg);
          add_check (r, "chain", "pass", _("The server sends its certificate and the intermediates."));
        }
    }
  else if (status & GNUTLS_CERT_REVOKED)
    {
      g_autofree char *msg = g_strdup_printf (_("The server's certificate “%s” (serial %s) is revoked: its "
                                                "authority's revocation list in %s names it."),
                                              cert_label (leaf), leaf->serial, in->ca_file);
      add_problem (r, SD_FINDING_TLS_REVOKED, SD_SEVERITY_ERROR, msg,
                   _("The server needs a new certificate: ask its administrator to request one and install "
                     "it; clients that check revocation refuse this one."));
      add_check (r, "trust", "fail", msg);
      r->revoked = TRUE;
    }
  else
    {
      gnutls_datum_t d = { NULL, 0 };
      g_autofree char *why = NULL;
      g_autofree char *msg = NULL;

      if (gnutls_certificate_verification_status_print (status, GNUTLS_CRT_X509, &d, 0) >= 0)
        {
          why = g_strndup ((const char *) d.data, d.size);
          gnutls_free (d.data);
        }
      msg = g_strdup_printf (_("The certificate chain is invalid: %s"), why != NULL ? why : "?");
      add_problem (r, SD_FINDING_TLS_CHAIN_INVALID, SD_SEVERITY_ERROR, msg,
                   _("The server's certificates do not fit together (a signature does not verify, or a "
                     "certificate may not issue others). Ask the server's administrator to install the "
                     "certificate and chain exactly as the authority delivered them."));
      add_check (r, "trust", "fail", msg);
    }
  sd_tls_trust_release_list (trust, tl);
}

const char *
sd_tls_name_rule_to_string (SdTlsNameRule rule)
{
  switch (rule)
    {
    case SD_TLS_NAME_RULE_RFC5922_DOMAIN:    return "rfc5922-domain";
    case SD_TLS_NAME_RULE_CONFIGURED_SERVER: return "configured-server";
    case SD_TLS_NAME_RULE_SERVER_FQDN:
    default:                                 return "server-fqdn";
    }
}

static SdTlsNameRule
effective_rule (const SdTlsVerifyInput *in)
{
  if (in->name_rule == SD_TLS_NAME_RULE_RFC5922_DOMAIN && (in->domain == NULL || *in->domain == '\0'))
    return SD_TLS_NAME_RULE_CONFIGURED_SERVER;
  return in->name_rule;
}

const char *
sd_tls_name_identity (const SdTlsVerifyInput *in)
{
  return effective_rule (in) == SD_TLS_NAME_RULE_RFC5922_DOMAIN ? in->domain : in->server_name;
}

/* Which identity the client checks and why, in words, for the name check. */
static char *
describe_rule (SdTlsNameRule rule, const SdTlsVerifyInput *in)
{
  switch (rule)
    {
    case SD_TLS_NAME_RULE_RFC5922_DOMAIN:
      return g_strdup_printf (_("Rule applied: a standard SIP client (RFC 3263 and RFC 5922, as Linphone, Zoiper, "
                                "Bria and most phones) that found the server %s through DNS checks the "
                                "certificate against the SIP domain of the address, %s, not against the "
                                "server's name."), in->server_name, in->domain);
    case SD_TLS_NAME_RULE_CONFIGURED_SERVER:
      return g_strdup_printf (_("Rule applied: a standard SIP client configured with the server %s (an outbound "
                                "proxy, not found through DNS) checks the certificate against that name."),
                              in->server_name);
    case SD_TLS_NAME_RULE_SERVER_FQDN:
    default:
      return g_strdup_printf (_("Rule applied: Microsoft clients (Windows Messenger, Office Communicator, Lync) "
                                "check the certificate against the name of the server they connect to, %s, "
                                "as found in DNS or typed."), in->server_name);
    }
}

static void
check_name (SdTlsVerifyResult *r, const SdTlsVerifyInput *in)
{
  SdCertInfo *leaf = r->path->pdata[0];
  SdCertNames names;
  SdNameMatch match;
  g_autofree char *held = join_names (leaf);
  g_autofree char *msg = NULL;
  g_autofree char *rule_text = NULL;
  const char *identity;
  gboolean is_ip;
  gboolean hsm_applies = in->strict_dns_naming || in->microsoft;

  identity = r->name_identity;
  rule_text = describe_rule (r->name_rule, in);
  is_ip = g_hostname_is_ip_address (identity);

  sd_cert_info_get_names (leaf, &names);
  /* Standard SIP clients ignore the CN once there is any subjectAltName;
   * the Microsoft rule stays as it was. */
  match = r->name_rule == SD_TLS_NAME_RULE_SERVER_FQDN ? sd_tls_match_host (&names, identity)
                                                       : sd_tls_match_sip_host (&names, identity);
  r->name_match = match;

  if (leaf->invalid_names != NULL && leaf->invalid_names[0] != NULL)
    {
      g_autofree char *bad = g_strjoinv (", ", leaf->invalid_names);
      g_autofree char *m = g_strdup_printf (
        _("The certificate holds a name with a NUL or another control character in it: %s (shown with "
          "\\x escapes). No valid name holds one, so this name matches nothing; such names are made to "
          "trick clients that read only up to the NUL."), bad);
      add_problem (r, SD_FINDING_TLS_INVALID_NAME, SD_SEVERITY_ERROR, m,
                   _("Do not sign in through this connection: someone may be impersonating the server. If it "
                     "is your server, request a certificate whose names are plain host names."));
    }

  switch (match)
    {
    case SD_NAME_MATCH_DNS:
    case SD_NAME_MATCH_IP:
    case SD_NAME_MATCH_WILDCARD:
    case SD_NAME_MATCH_CN:
      {
        g_autofree char *verdict = g_strdup_printf (
          match == SD_NAME_MATCH_WILDCARD
            ? _("The certificate is valid for %s through a wildcard name.")
            : match == SD_NAME_MATCH_CN
            ? _("The certificate is valid for %s (through its common name: it has no DNS name).")
            : _("The certificate is valid for %s."),
          identity);
        r->name_ok = TRUE;
        msg = g_strjoin (" ", verdict, rule_text, NULL);
        add_check (r, "name", "pass", msg);
      }
      break;
    case SD_NAME_MATCH_SIP_URI:
      {
        g_autofree char *verdict = g_strdup_printf (
          _("The certificate names %s only as a SIP domain (a URI:sip: name) and holds no DNS name for it: SIP "
            "clients that follow RFC 5922 to the letter accept it; clients that check DNS names only, as "
            "Linphone and web browsers do, refuse it. Names it holds: %s."), identity, held);
        r->name_ok = TRUE;
        msg = g_strjoin (" ", verdict, rule_text, NULL);
        add_problem (r, SD_FINDING_TLS_NAME_MISMATCH, SD_SEVERITY_WARNING, msg,
                     r->name_rule == SD_TLS_NAME_RULE_RFC5922_DOMAIN
                       ? _("Ask for a certificate that also holds the SIP domain as a DNS name "
                           "(subjectAltName DNS), next to the URI:sip: names.")
                       : _("Ask for a certificate that also holds the server's name as a DNS name "
                           "(subjectAltName DNS), next to the URI:sip: names."));
        add_check (r, "name", "warn", msg);
      }
      break;
    case SD_NAME_MATCH_NONE:
    default:
      if (is_ip)
        {
          g_autofree char *verdict = g_strdup_printf (
            _("You connected by IP address (%s); the certificate does not hold that address, it holds: %s. "
              "As expected: this certificate error proves that a TLS server answers at that address, and "
              "shows which names it serves."), identity, held);
          msg = g_strjoin (" ", verdict, rule_text, NULL);
          add_problem (r, SD_FINDING_TLS_NAME_MISMATCH, SD_SEVERITY_ERROR, msg,
                       _("Configure the client with one of the names the certificate holds (the name must be "
                         "the same as the name on the certificate), not the IP address; the name must "
                         "resolve to this server."));
        }
      else if (r->name_rule == SD_TLS_NAME_RULE_RFC5922_DOMAIN)
        {
          gboolean names_server = sd_tls_match_sip_host (&names, in->server_name) != SD_NAME_MATCH_NONE;
          g_autofree char *verdict = g_strdup_printf (
            _("The certificate does not name the SIP domain %s, so standard SIP clients refuse it "
              "(a name mismatch). It holds: %s."), identity, held);
          g_autofree char *server_note = names_server
            ? g_strdup_printf (_("It names the server %s, the target of the DNS record: only Microsoft clients, "
                                 "and clients configured with %s as their server, check that name."),
                               in->server_name, in->server_name)
            : NULL;
          g_autofree char *advice = g_strdup_printf (
            _("The certificate must name the SIP domain: add DNS:%s or URI:sip:%s to the certificate that %s "
              "presents (keeping the names it has) and install it on the server. Otherwise every phone must be "
              "configured with %s as its server (outbound proxy), the name it then checks."),
            identity, identity, in->server_name, in->server_name);
          msg = g_strjoin (" ", verdict, rule_text, server_note, NULL);
          add_problem (r, SD_FINDING_TLS_NAME_MISMATCH, SD_SEVERITY_ERROR, msg, advice);
        }
      else
        {
          g_autofree char *verdict = g_strdup_printf (
            _("The certificate is not valid for the name the client checks, %s. It holds: %s."), identity, held);
          msg = g_strjoin (" ", verdict, rule_text, NULL);
          add_problem (r, SD_FINDING_TLS_NAME_MISMATCH, SD_SEVERITY_ERROR, msg,
                       _("Configure the client with one of the names the certificate holds, or request a "
                         "certificate for this server's name (the name must be the same as the name on the "
                         "certificate) and install it on the server."));
        }
      add_check (r, "name", "fail", msg);
      break;
    }

  /* RFC 5922 and Microsoft strict DNS naming (High Security Mode), which is
   * a Microsoft client's rule: said only for those profiles or the option. */
  {
    g_autofree char *strict = in->domain != NULL ? sd_tls_strict_name_match (&names, in->domain) : NULL;
    gboolean wildcard = match == SD_NAME_MATCH_WILDCARD;

    if (in->domain == NULL)
      add_check (r, "strict-name", "skip", _("No SIP domain to check against."));
    else if (in->strict_dns_naming && strict == NULL)
      {
        g_autofree char *m = g_strdup_printf (
          _("With strict DNS naming (High Security Mode) the client accepts only a certificate for %s or sip.%s "
            "(no wildcard); this one holds: %s."), in->domain, in->domain, held);
        add_problem (r, SD_FINDING_TLS_STRICT_NAME, SD_SEVERITY_ERROR, m,
                     _("Request a certificate for sip.<your SIP domain> (or the domain itself) and install it on "
                       "the server the client reaches, or turn strict DNS naming off on the client (the policy "
                       "“Allow Additional DNS Names”, registry value DisableStrictDNSNaming = 1)."));
        add_check (r, "strict-name", "fail", m);
      }
    else if (wildcard)
      {
        g_autofree char *m = g_strdup_printf (
          _("The certificate matches %s only through a wildcard name; RFC 5922 forbids wildcards for SIP "
            "domain certificates, so strict SIP clients refuse it."), identity);
        add_problem (r, SD_FINDING_TLS_STRICT_NAME, SD_SEVERITY_WARNING, m,
                     _("Request a certificate that names the server (and sip.<your SIP domain>) explicitly, "
                       "without a wildcard."));
        add_check (r, "strict-name", "warn", m);
      }
    else if (!hsm_applies)
      {
        if (sd_tls_sip_domain_matches (&names, in->domain))
          {
            g_autofree char *m = g_strdup_printf (_("Valid as a SIP domain certificate for %s (RFC 5922)."),
                                                  in->domain);
            add_check (r, "strict-name", "pass", m);
          }
        else
          {
            /* TRANSLATORS: %s is the control, e.g. "--strict-dns-naming" or "“Strict DNS naming” on
             * the Server page". */
            g_autofree char *m = g_strdup_printf (
              _("Not checked: strict DNS naming (High Security Mode: a certificate for <domain> or "
                "sip.<domain> only) is a rule of Microsoft clients (profiles wm5, ocs, lync) or of %s."),
              sd_config_control_name (in->config, SD_CONTROL_STRICT_DNS_NAMING));
            add_check (r, "strict-name", "skip", m);
          }
      }
    else if (strict == NULL)
      {
        g_autofree char *m = g_strdup_printf (
          _("A client with strict DNS naming (High Security Mode) would refuse this certificate: it holds "
            "neither %s nor sip.%s as a SIP domain name."), in->domain, in->domain);
        add_problem (r, SD_FINDING_TLS_STRICT_NAME, SD_SEVERITY_INFO, m,
                     _("Nothing to do unless clients use High Security Mode; then request a certificate for "
                       "sip.<your SIP domain>."));
        add_check (r, "strict-name", "warn", m);
      }
    else
      {
        g_autofree char *m = g_strdup_printf (_("Valid as a SIP domain certificate for %s (RFC 5922, strict DNS "
                                                "naming)."), strict);
        add_check (r, "strict-name", "pass", m);
      }
  }
}

static void
check_validity (SdTlsVerifyResult *r, const SdTlsVerifyInput *in)
{
  gboolean ok = TRUE;

  for (guint i = 0; i < r->path->len; i++)
    {
      SdCertInfo *c = r->path->pdata[i];
      const char *which = i == 0 ? _("The server's certificate") : _("The authority certificate");

      if (c->not_after >= 0 && in->now > c->not_after)
        {
          g_autofree char *ago = sd_format_duration (in->now - c->not_after);
          g_autofree char *when = sd_format_time_iso (c->not_after);
          /* TRANSLATORS: "The server's certificate “sip.example.com” expired 35 days ago, on 2026-…" */
          g_autofree char *m = g_strdup_printf (_("%s “%s” expired %s ago, on %s."), which, cert_label (c), ago, when);
          add_problem (r, SD_FINDING_TLS_EXPIRED, SD_SEVERITY_ERROR, m,
                       _("Renew the certificate and install the new one on the server. If the date looks wrong, "
                         "check this computer's clock."));
          add_check (r, "validity", "fail", m);
          ok = FALSE;
        }
      else if (c->not_before >= 0 && in->now < c->not_before)
        {
          g_autofree char *until = sd_format_duration (c->not_before - in->now);
          g_autofree char *when = sd_format_time_iso (c->not_before);
          g_autofree char *m = g_strdup_printf (_("%s “%s” is not valid yet: it becomes valid on %s, in %s."),
                                                which, cert_label (c), when, until);
          add_problem (r, SD_FINDING_TLS_NOT_YET_VALID, SD_SEVERITY_ERROR, m,
                       _("Check this computer's date and time first (a wrong clock is the usual cause); if they "
                         "are right, install a certificate that is valid now on the server."));
          add_check (r, "validity", "fail", m);
          ok = FALSE;
        }
    }
  if (ok)
    {
      SdCertInfo *leaf = r->path->pdata[0];
      g_autofree char *left = sd_format_duration (leaf->not_after - in->now);
      g_autofree char *m = g_strdup_printf (_("Valid now; the server's certificate expires in %s."), left);
      add_check (r, "validity", "pass", m);
    }
  r->validity_ok = ok;
}

static void
check_algorithms (SdTlsVerifyResult *r, const SdTlsVerifyInput *in)
{
  gboolean key_ok = TRUE, sig_ok = TRUE;

  for (guint i = 0; i < r->path->len; i++)
    {
      SdCertInfo *c = r->path->pdata[i];
      gboolean rsa_like = g_str_has_prefix (c->key_type, "RSA") || g_str_equal (c->key_type, "DSA");

      if ((rsa_like && c->key_bits < 2048) || (g_str_equal (c->key_type, "EC") && c->key_bits < 224))
        {
          g_autofree char *m = g_strdup_printf (_("“%s” has a %u-bit %s key, too short to be safe; current "
                                                  "clients and servers refuse keys this short."),
                                                cert_label (c), c->key_bits, c->key_type);
          add_problem (r, SD_FINDING_TLS_WEAK_KEY, SD_SEVERITY_WARNING, m,
                       _("Request a new certificate with an RSA key of at least 2048 bits (or an EC key) and "
                         "install it on the server."));
          add_check (r, "key", "warn", m);
          key_ok = FALSE;
          r->weak_algorithm = TRUE;
        }
      /* A root's signature on itself is never checked, so it does not matter. */
      if (c->weak_signature && !c->self_signed)
        {
          g_autofree char *m = g_strdup_printf (_("“%s” is signed with %s, a broken hash: current clients "
                                                  "refuse such signatures."), cert_label (c),
                                                c->signature_algorithm);
          add_problem (r, SD_FINDING_TLS_WEAK_SIGNATURE, SD_SEVERITY_WARNING, m,
                       _("Ask the certificate authority to reissue the certificate signed with SHA-256 and "
                         "install it on the server."));
          add_check (r, "signature", "warn", m);
          sig_ok = FALSE;
          r->weak_algorithm = TRUE;
        }
    }
  if (key_ok)
    add_check (r, "key", "pass", _("Every key in the chain is long enough."));
  if (sig_ok)
    add_check (r, "signature", "pass", _("Every signature in the chain uses a safe hash."));

  if (in->protocol == G_TLS_PROTOCOL_VERSION_SSL_3_0 || in->protocol == G_TLS_PROTOCOL_VERSION_TLS_1_0
      || in->protocol == G_TLS_PROTOCOL_VERSION_TLS_1_1)
    {
      /* Not "every client": many still connect, so the note names those
       * that refuse, which a support engineer can match to the phone. */
      g_autofree char *m = g_strdup_printf (_("The server speaks only %s, an outdated version of TLS. Many "
                                              "clients still connect, but a growing number refuse it: "
                                              "programs built on OpenSSL 3 with its default settings or on "
                                              "Mbed TLS 3 (which removed TLS 1.0 and 1.1), and Windows "
                                              "releases that turn these versions off by default (starting "
                                              "with the Windows 11 previews of September 2023)."),
                                            sd_tls_protocol_to_string (in->protocol));
      add_problem (r, SD_FINDING_TLS_OLD_PROTOCOL, SD_SEVERITY_WARNING, m,
                   _("Enable TLS 1.2 (and 1.3) on the server; on old Windows servers install the updates that "
                     "add TLS 1.2 and turn it on."));
      add_check (r, "protocol", "warn", m);
    }
  else if (in->protocol != G_TLS_PROTOCOL_VERSION_UNKNOWN)
    {
      g_autofree char *m = g_strdup_printf (_("%s was negotiated."), sd_tls_protocol_to_string (in->protocol));
      add_check (r, "protocol", "pass", m);
    }
  else
    add_check (r, "protocol", "skip", _("The protocol version is not known."));
}

SdTlsVerifyResult *
sd_tls_verify (const SdTlsVerifyInput *in)
{
  SdTlsVerifyResult *r = g_new0 (SdTlsVerifyResult, 1);

  r->checks = json_array_new ();
  r->path_json = json_array_new ();
  r->problems = sd_tls_problems_new ();
  r->path = g_ptr_array_new ();
  r->name_rule = effective_rule (in);
  r->name_identity = g_strdup (sd_tls_name_identity (in));

  if (in->chain == NULL || in->chain->len == 0)
    {
      add_check (r, "trust", "fail", _("The server sent no certificate."));
      add_problem (r, SD_FINDING_TLS_HANDSHAKE_FAILED, SD_SEVERITY_ERROR, _("The server sent no certificate."),
                   _("Configure a certificate for the server's TLS port."));
      return r;
    }
  build_path (r, in->chain);
  check_trust (r, in);
  check_name (r, in);
  check_validity (r, in);
  check_algorithms (r, in);
  if (r->n_crl == 0)
    add_check (r, "revocation", "skip",
               _("Revocation is not checked: this program does not fetch revocation lists (CRL) or ask OCSP; "
                 "put the authority's CRL in the CA file to check it."));
  else if (r->revoked)
    add_check (r, "revocation", "fail", _("Revoked, according to the revocation list in the CA file."));
  else if (r->trust_ok)
    add_check (r, "revocation", "pass", _("Not revoked, according to the revocation lists in the CA file."));
  else
    add_check (r, "revocation", "skip", _("Not checked: the chain is not trusted."));
  return r;
}

/* The one reader of GTlsCertificateFlags: the report's id and the words of
 * each flag, in the order both are listed. */
static const struct {
  GTlsCertificateFlags flag;
  const char          *id;
  const char          *words;
} tls_flags[] = {
  { G_TLS_CERTIFICATE_UNKNOWN_CA, "unknown-ca", N_("it is not signed by a trusted certificate authority") },
  { G_TLS_CERTIFICATE_BAD_IDENTITY, "bad-identity", N_("it does not name the server that was contacted") },
  { G_TLS_CERTIFICATE_NOT_ACTIVATED, "not-activated", N_("it is not valid yet") },
  { G_TLS_CERTIFICATE_EXPIRED, "expired", N_("it has expired") },
  { G_TLS_CERTIFICATE_REVOKED, "revoked", N_("it has been revoked") },
  { G_TLS_CERTIFICATE_INSECURE, "insecure", N_("it uses an insecure algorithm") },
  { G_TLS_CERTIFICATE_GENERIC_ERROR, "generic-error", N_("it could not be verified") },
};
/* The input as the thread sees it: its own copies, so the caller's may go. */
typedef struct {
  SdTlsVerifyInput in;
  char *server_name;
  char *domain;
  char *ca_file;
} VerifyJob;

static void
verify_job_free (VerifyJob *job)
{
  g_clear_pointer (&job->in.chain, g_ptr_array_unref);
  g_clear_pointer (&job->in.trust, sd_tls_trust_unref);
  g_free (job->server_name);
  g_free (job->domain);
  g_free (job->ca_file);
  g_free (job);
}

static void
verify_thread (GTask        *task,
               gpointer      source_object,
               gpointer      task_data,
               GCancellable *cancellable)
{
  VerifyJob *job = task_data;

  g_task_return_pointer (task, sd_tls_verify (&job->in), (GDestroyNotify) sd_tls_verify_result_free);
}

void
sd_tls_verify_async (const SdTlsVerifyInput *input,
                     GCancellable           *cancellable,
                     GAsyncReadyCallback     callback,
                     gpointer                user_data)
{
  g_autoptr(GTask) task = g_task_new (NULL, cancellable, callback, user_data);
  VerifyJob *job = g_new0 (VerifyJob, 1);

  g_task_set_source_tag (task, sd_tls_verify_async);
  job->in = *input;
  /* The result borrows the chain's certificates (path): the caller keeps
   * its own reference to the chain for as long as it keeps the result. */
  job->in.chain = input->chain != NULL ? g_ptr_array_ref (input->chain) : NULL;
  job->in.trust = input->trust != NULL ? sd_tls_trust_ref (input->trust) : NULL;
  job->in.server_name = job->server_name = g_strdup (input->server_name);
  job->in.domain = job->domain = g_strdup (input->domain);
  job->in.ca_file = job->ca_file = g_strdup (input->ca_file);
  g_task_set_task_data (task, job, (GDestroyNotify) verify_job_free);
  /* Not return-on-cancel: the result comes only once the thread is done. */
  g_task_run_in_thread (task, verify_thread);
}

SdTlsVerifyResult *
sd_tls_verify_finish (GAsyncResult  *result,
                      GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == sd_tls_verify_async, NULL);
  /* GTask checks the cancellable: cancelled, the result is dropped here. */
  return g_task_propagate_pointer (G_TASK (result), error);
}

char *
sd_tls_flags_describe (GTlsCertificateFlags flags)
{
  g_autoptr(GPtrArray) words = g_ptr_array_new ();

  for (guint i = 0; i < G_N_ELEMENTS (tls_flags); i++)
    if (flags & tls_flags[i].flag)
      g_ptr_array_add (words, (gpointer) _(tls_flags[i].words));
  g_ptr_array_add (words, NULL);
  return g_strjoinv ("; ", (char **) words->pdata);
}

JsonArray *
sd_tls_flags_to_json (GTlsCertificateFlags flags)
{
  JsonArray *a = json_array_new ();

  for (guint i = 0; i < G_N_ELEMENTS (tls_flags); i++)
    if (flags & tls_flags[i].flag)
      json_array_add_string_element (a, tls_flags[i].id);
  return a;
}

GTlsCertificateFlags
sd_tls_verify_unexplained (const SdTlsVerifyResult *r, GTlsCertificateFlags backend)
{
  GTlsCertificateFlags left = backend;

  /* SHA-1, MD5 and short keys: glib-networking refuses what this program
   * reports as a warning of its own (tls.weak-signature, tls.weak-key). */
  if (r->weak_algorithm)
    left &= ~G_TLS_CERTIFICATE_INSECURE;
  /* RFC 5922: a URI:sip: name vouches for the SIP domain (reported as a
   * tls.name-mismatch warning); glib-networking knows DNS names only. */
  if (r->name_match == SD_NAME_MATCH_SIP_URI)
    left &= ~G_TLS_CERTIFICATE_BAD_IDENTITY;
  return left;
}

typedef struct {
  GTlsCertificate    *chain;
  GSocketConnectable *identity;
  char               *ca_file;
  char               *note;
} BackendJob;

static void
backend_job_free (BackendJob *job)
{
  g_clear_object (&job->chain);
  g_clear_object (&job->identity);
  g_free (job->ca_file);
  g_free (job->note);
  g_free (job);
}

static void
backend_verify_thread (GTask        *task,
                       gpointer      source_object,
                       gpointer      task_data,
                       GCancellable *cancellable)
{
  BackendJob *job = task_data;
  GTlsCertificateFlags flags = 0;
  gboolean decided = FALSE;
  GError *error = NULL;

  /* The CA file first: it is small, and when it vouches for the chain the
   * system store (costly to load) is not needed. */
  if (job->ca_file != NULL)
    {
      g_autofree char *path = g_canonicalize_filename (job->ca_file, NULL);
      g_autoptr(GError) load_error = NULL;
      g_autoptr(GTlsDatabase) file_db = g_tls_file_database_new (path, &load_error);

      if (file_db == NULL)
        job->note = g_strdup (load_error->message);
      else
        {
          flags = g_tls_database_verify_chain (file_db, job->chain, G_TLS_DATABASE_PURPOSE_AUTHENTICATE_SERVER,
                                               job->identity, NULL, G_TLS_DATABASE_VERIFY_NONE, cancellable,
                                               &error);
          if (error != NULL)
            {
              g_task_return_error (task, error);
              return;
            }
          decided = !(flags & G_TLS_CERTIFICATE_UNKNOWN_CA);
        }
    }
  if (!decided)
    {
      g_autoptr(GTlsDatabase) system_db = g_tls_backend_get_default_database (g_tls_backend_get_default ());
      GTlsCertificateFlags system_flags;

      if (system_db == NULL)
        {
          g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                                   _("The system's certificate store could not be opened (is glib-networking "
                                     "installed?)."));
          return;
        }
      system_flags = g_tls_database_verify_chain (system_db, job->chain, G_TLS_DATABASE_PURPOSE_AUTHENTICATE_SERVER,
                                                  job->identity, NULL, G_TLS_DATABASE_VERIFY_NONE, cancellable,
                                                  &error);
      if (error != NULL)
        {
          g_task_return_error (task, error);
          return;
        }
      /* Unknown to both: the CA file's verdict, which names the rest. */
      if (job->ca_file == NULL || job->note != NULL || !(system_flags & G_TLS_CERTIFICATE_UNKNOWN_CA))
        flags = system_flags;
    }
  g_task_return_int (task, (gssize) flags);
}

void
sd_tls_backend_verify_async (GTlsCertificate     *chain,
                             GSocketConnectable  *identity,
                             const char          *ca_file,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (NULL, cancellable, callback, user_data);
  BackendJob *job = g_new0 (BackendJob, 1);

  g_return_if_fail (G_IS_TLS_CERTIFICATE (chain));

  g_task_set_source_tag (task, sd_tls_backend_verify_async);
  job->chain = g_object_ref (chain);
  job->identity = identity != NULL ? g_object_ref (identity) : NULL;
  job->ca_file = g_strdup (ca_file);
  g_task_set_task_data (task, job, (GDestroyNotify) backend_job_free);
  /* Loading the system store and verifying cost real work: off the main
   * loop; a cancel returns at once (the thread only touches @job, which
   * the task keeps alive until it ends). */
  g_task_set_return_on_cancel (task, TRUE);
  g_task_run_in_thread (task, backend_verify_thread);
}

GTlsCertificateFlags
sd_tls_backend_verify_finish (GAsyncResult  *result,
                              char         **note,
                              GError       **error)
{
  GTask *task = G_TASK (result);
  gssize flags;

  g_return_val_if_fail (g_task_is_valid (result, NULL), G_TLS_CERTIFICATE_GENERIC_ERROR);
  g_return_val_if_fail (g_task_get_source_tag (task) == sd_tls_backend_verify_async, G_TLS_CERTIFICATE_GENERIC_ERROR);

  flags = g_task_propagate_int (task, error);
  if (note != NULL)
    *note = g_strdup (((BackendJob *) g_task_get_task_data (task))->note);
  if (flags < 0)
    return G_TLS_CERTIFICATE_GENERIC_ERROR;
  return (GTlsCertificateFlags) flags;
}
