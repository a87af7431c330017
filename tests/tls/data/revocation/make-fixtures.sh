#!/bin/sh
# Makes the fixtures of test-revocation-parse.c: a small PKI with
# certtool, CRLs, and OCSP answers from OpenSSL's responder in file mode
# (no network). The keys are thrown away; `created` holds the Unix time the
# answers were made, from which the test takes its "now".
set -eu
cd "$(dirname "$0")"
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
key() { certtool --generate-privkey --key-type=ecdsa --curve=secp256r1 --no-text --outfile "$W/$1.key" 2>/dev/null; }
cert() { # name template-lines ca(optional: name of CA)
  name=$1; tmpl=$2; ca=${3:-}
  key "$name"
  printf '%s\n' "$tmpl" > "$W/$name.tmpl"
  if [ -z "$ca" ]; then
    certtool --generate-self-signed --load-privkey "$W/$name.key" --template "$W/$name.tmpl" --outfile "$W/$name.pem" --no-text 2>/dev/null
  else
    certtool --generate-certificate --load-privkey "$W/$name.key" --load-ca-certificate "$W/$ca.pem" \
      --load-ca-privkey "$W/$ca.key" --template "$W/$name.tmpl" --outfile "$W/$name.pem" --no-text 2>/dev/null
  fi
}
CA='ca
cert_signing_key
crl_signing_key
expiration_days = 3650'
cert root "cn = \"Fixture Root CA\"
$CA"
cert inter "cn = \"Fixture Intermediate CA\"
serial = 16
$CA" root
# Same name as the intermediate, another key: what a forger would sign with.
cert impostor "cn = \"Fixture Intermediate CA\"
serial = 17
$CA"
cert ocsp-signer 'cn = "Fixture OCSP Responder"
signing_key
ocsp_signing_key
expiration_days = 3650
serial = 18' inter
LEAF='signing_key
tls_www_server
expiration_days = 3650
dns_name = "sip.fixture.test"
cn = "sip.fixture.test"'
cert leaf-good "$LEAF
serial = 4096
crl_dist_points = \"http://crl.fixture.test/inter.crl\"
crl_dist_points = \"ldap://ldap.fixture.test/CN=CDP\"
ocsp_uri = \"http://ocsp.fixture.test/\"
ca_issuers_uri = \"http://crl.fixture.test/inter.der\"" inter
cert leaf-revoked "$LEAF
serial = 4097
crl_dist_points = \"http://crl.fixture.test/inter.crl\"
ocsp_uri = \"http://ocsp.fixture.test/\"" inter
cert leaf-noinfo "$LEAF
serial = 4098" inter
cert leaf-ldap "$LEAF
serial = 4099
crl_dist_points = \"ldap://ldap.fixture.test/CN=CDP,DC=fixture?certificateRevocationList\"
ocsp_uri = \"ldap://ldap.fixture.test/ocsp\"" inter
MANY=""
for i in 1 2 3 4 5 6 7 8 9 10; do MANY="$MANY
crl_dist_points = \"https://crl$i.fixture.test/inter.crl\""; done
cert leaf-many "$LEAF
serial = 4100$MANY" inter
cert leaf-other "$LEAF
serial = 4101" impostor

printf 'crl_next_update = 3650\ncrl_number = 1\n' > "$W/crl.tmpl"
certtool --generate-crl --load-ca-privkey "$W/inter.key" --load-ca-certificate "$W/inter.pem" \
  --load-certificate "$W/leaf-revoked.pem" --template "$W/crl.tmpl" --outfile inter.crl.der --outder 2>/dev/null
certtool --crl-info --infile inter.crl.der --inder --outfile inter.crl.pem --no-text 2>/dev/null
certtool --generate-crl --load-ca-privkey "$W/impostor.key" --load-ca-certificate "$W/impostor.pem" \
  --template "$W/crl.tmpl" --outfile forged.crl.der --outder 2>/dev/null
certtool --generate-crl --load-ca-privkey "$W/root.key" --load-ca-certificate "$W/root.pem" \
  --template "$W/crl.tmpl" --outfile root.crl.der --outder 2>/dev/null

: > "$W/index.txt"
EXP=$(date -u -d '+3600 days' +%y%m%d%H%M%SZ)
REV=$(date -u -d '-1 hour' +%y%m%d%H%M%SZ)
printf 'V\t%s\t\t1000\tunknown\t/CN=sip.fixture.test\n' "$EXP" >> "$W/index.txt"
printf 'R\t%s\t%s,keyCompromise\t1001\tunknown\t/CN=sip.fixture.test\n' "$EXP" "$REV" >> "$W/index.txt"
printf 'unique_subject = no\n' > "$W/index.txt.attr"
ocsp() { # leaf out [request options]
  leaf=$1; out=$2; shift 2
  openssl ocsp -issuer "$W/inter.pem" -cert "$W/$leaf.pem" -reqout "$W/$out.req" "$@" >/dev/null 2>&1
  openssl ocsp -index "$W/index.txt" -rsigner "$W/ocsp-signer.pem" -rkey "$W/ocsp-signer.key" \
    -CA "$W/inter.pem" -reqin "$W/$out.req" -respout "$out.der" -ndays 3650 >/dev/null 2>&1
}
ocsp leaf-good ocsp-good -no_nonce
ocsp leaf-revoked ocsp-revoked -no_nonce
ocsp leaf-good ocsp-good-nonce
cp "$W/ocsp-good-nonce.req" ocsp-good-nonce.req.der
# Signed by the issuer's own key (no delegated responder).
openssl ocsp -index "$W/index.txt" -rsigner "$W/inter.pem" -rkey "$W/inter.key" \
  -CA "$W/inter.pem" -reqin "$W/ocsp-good.req" -respout ocsp-good-by-issuer.der -ndays 3650 >/dev/null 2>&1
# Signed by the impostor (same name as the issuer, another key).
openssl ocsp -index "$W/index.txt" -rsigner "$W/impostor.pem" -rkey "$W/impostor.key" \
  -CA "$W/inter.pem" -reqin "$W/ocsp-good.req" -respout ocsp-forged.der -ndays 3650 >/dev/null 2>&1
# A request for a certificate of another CA: the responder refuses (unauthorized).
openssl ocsp -issuer "$W/impostor.pem" -cert "$W/leaf-other.pem" -reqout "$W/other.req" -no_nonce >/dev/null 2>&1
openssl ocsp -index "$W/index.txt" -rsigner "$W/ocsp-signer.pem" -rkey "$W/ocsp-signer.key" \
  -CA "$W/inter.pem" -reqin "$W/other.req" -respout ocsp-unauthorized.der -ndays 3650 >/dev/null 2>&1

for c in root inter ocsp-signer impostor leaf-good leaf-revoked leaf-noinfo leaf-ldap leaf-many leaf-other; do
  cp "$W/$c.pem" "$c.pem"
done
certtool --certificate-info --infile inter.pem --outder --outfile inter.der 2>/dev/null
certtool --p7-generate --load-certificate root.pem --load-certificate inter.pem --outder --outfile bundle.p7c 2>/dev/null || \
  certtool --p7-generate --load-certificate inter.pem --outder --outfile bundle.p7c
cat root.pem impostor.pem inter.pem > bundle.pem
date -u +%s > created
