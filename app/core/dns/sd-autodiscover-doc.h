/* sd-autodiscover-doc.h: the documents of the Lync / Skype for Business
 * autodiscover web service ([MS-OCDISCWS]): the root, a redirect, the
 * Domain (and User) resource, in JSON or in XML.
 *
 * Every byte comes from a web server anyone may run: the parser takes a
 * bounded body, refuses deep nesting before json-glib recurses into it,
 * keeps at most SD_AUTODISCOVER_DOC_MAX_LINKS links, and hands out only
 * valid UTF-8, host names that are host names and http(s) URLs.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Far above any real document (a root is a few hundred bytes, a User
 * resource a few KiB); the HTTP client caps the body before this. */
#define SD_AUTODISCOVER_DOC_MAX_BYTES  (256 * 1024)
#define SD_AUTODISCOVER_DOC_MAX_DEPTH  32
#define SD_AUTODISCOVER_DOC_MAX_LINKS  32
#define SD_AUTODISCOVER_DOC_MAX_HREF   2048

/* The Accept type for the XML form; without it the service answers JSON. */
#define SD_AUTODISCOVER_XML_TYPE   "application/vnd.microsoft.rtc.autodiscover+xml"
#define SD_AUTODISCOVER_JSON_TYPE  "application/vnd.microsoft.rtc.autodiscover+json"

#define SD_AUTODISCOVER_DOC_ERROR (sd_autodiscover_doc_error_quark ())
GQuark sd_autodiscover_doc_error_quark (void);

typedef enum {
  SD_AUTODISCOVER_DOC_ERROR_NOT_A_DOCUMENT,  /* neither JSON nor XML (an HTML page, garbage) */
  SD_AUTODISCOVER_DOC_ERROR_MALFORMED,       /* JSON or XML, but broken, too deep or too large */
  SD_AUTODISCOVER_DOC_ERROR_UNKNOWN,         /* well formed, but no autodiscover document */
} SdAutodiscoverDocError;

typedef enum {
  SD_AUTODISCOVER_DOC_ROOT,     /* links only: Domain, User, Redirect, Self, OAuth, XFrame */
  SD_AUTODISCOVER_DOC_DOMAIN,   /* the SIP access points, no credentials needed */
  SD_AUTODISCOVER_DOC_USER,     /* the same, after sign-in (OAuth / web ticket) */
} SdAutodiscoverDocKind;

typedef enum {
  SD_AUTODISCOVER_FORMAT_JSON,
  SD_AUTODISCOVER_FORMAT_XML,
} SdAutodiscoverFormat;

typedef struct {
  char *token;   /* as the document spells it: "Domain", "redirect", "External/XFrame" */
  char *href;    /* an absolute http or https URL */
} SdAutodiscoverLink;

/* One SIP access point; fqdn is NULL when the document has none. */
typedef struct {
  char    *fqdn;
  guint16  port;
} SdAutodiscoverAccess;

typedef struct {
  SdAutodiscoverDocKind kind;
  SdAutodiscoverFormat  format;
  char                 *access_location;   /* "Internal", "External", or NULL */
  GPtrArray            *links;             /* SdAutodiscoverLink*, in document order, capped */
  guint                 links_dropped;     /* links past the cap, or not http(s) URLs */
  SdAutodiscoverAccess  sip_client_internal;
  SdAutodiscoverAccess  sip_client_external;
  SdAutodiscoverAccess  sip_server_internal;
  SdAutodiscoverAccess  sip_server_external;
} SdAutodiscoverDoc;

/* Parses @body (@len bytes, need not end in NUL). @content_type (may be
 * NULL) picks the form when it names JSON or XML; otherwise the first byte
 * that is not white space does ('{' or '['  JSON, '<' XML), since reverse
 * proxies often send text/plain or nothing. */
SdAutodiscoverDoc *sd_autodiscover_doc_parse (const char    *content_type,
                                              const guint8  *body,
                                              gsize          len,
                                              GError       **error);
void               sd_autodiscover_doc_free (SdAutodiscoverDoc *doc);

/* The href of the first link whose token is @token, compared without case
 * and, for tokens like "External/Autodiscover", on the whole token. NULL
 * when there is none. */
const char        *sd_autodiscover_doc_find_link (const SdAutodiscoverDoc *doc,
                                                  const char              *token);

/* "root", "domain", "user" (the report's words). */
const char        *sd_autodiscover_doc_kind_to_string (SdAutodiscoverDocKind kind);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SdAutodiscoverDoc, sd_autodiscover_doc_free)

G_END_DECLS
