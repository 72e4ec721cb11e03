package lrs

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"math/big"
	"os"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/go-jose/go-jose/v4"
	"github.com/yrkesresan/lrs/lrs/validate"
)

// sigFixture holds keys and certificates made once per test binary: RSA key generation is slow.
type sigFixture struct {
	signer, other *rsa.PrivateKey
	selfSigned    []byte // signer's self-signed certificate
	leaf, ca      []byte // signer's certificate, issued by the CA
	otherCA       []byte // a CA that did not issue leaf
	ecdsa         []byte // a self-signed certificate with an ECDSA key
}

var sigFixtureOnce = sync.OnceValues(func() (*sigFixture, error) {
	var keys [4]*rsa.PrivateKey
	for i := range keys {
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			return nil, err
		}
		keys[i] = k
	}
	ecKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	caTmpl := testCertTemplate(1, "Test CA")
	caTmpl.IsCA, caTmpl.BasicConstraintsValid, caTmpl.KeyUsage = true, true, x509.KeyUsageCertSign
	fx := &sigFixture{signer: keys[0], other: keys[1]}
	for _, c := range []struct {
		out          *[]byte
		tmpl, parent *x509.Certificate
		pub, signer  any
	}{
		{&fx.selfSigned, testCertTemplate(2, "Self"), nil, &keys[0].PublicKey, keys[0]},
		{&fx.ca, caTmpl, caTmpl, &keys[2].PublicKey, keys[2]},
		{&fx.leaf, testCertTemplate(3, "Leaf"), caTmpl, &keys[0].PublicKey, keys[2]},
		{&fx.otherCA, caTmpl, caTmpl, &keys[3].PublicKey, keys[3]},
		{&fx.ecdsa, testCertTemplate(4, "EC"), nil, &ecKey.PublicKey, ecKey},
	} {
		parent := c.parent
		if parent == nil {
			parent = c.tmpl
		}
		if *c.out, err = x509.CreateCertificate(rand.Reader, c.tmpl, parent, c.pub, c.signer); err != nil {
			return nil, err
		}
	}
	return fx, nil
})

func testCertTemplate(serial int64, name string) *x509.Certificate {
	return &x509.Certificate{
		SerialNumber: big.NewInt(serial),
		Subject:      pkix.Name{CommonName: name},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
	}
}

func sigKeys(tb testing.TB) *sigFixture {
	tb.Helper()
	fx, err := sigFixtureOnce()
	if err != nil {
		tb.Fatal(err)
	}
	return fx
}

// signJWS returns the compact JWS of payload, with x5c holding chain when it is not empty.
func signJWS(tb testing.TB, alg jose.SignatureAlgorithm, key any, payload string, chain ...[]byte) string {
	tb.Helper()
	opts := &jose.SignerOptions{}
	if len(chain) > 0 {
		var x5c []string
		for _, der := range chain {
			x5c = append(x5c, base64.StdEncoding.EncodeToString(der))
		}
		opts.WithHeader("x5c", x5c)
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: key}, opts)
	if err != nil {
		tb.Fatal(err)
	}
	obj, err := signer.Sign([]byte(payload))
	if err != nil {
		tb.Fatal(err)
	}
	out, err := obj.CompactSerialize()
	if err != nil {
		tb.Fatal(err)
	}
	return out
}

// rawJWS assembles a JWS from its parts without signing, for headers go-jose will not produce.
func rawJWS(header, payload, signature string) string {
	enc := base64.RawURLEncoding.EncodeToString
	return enc([]byte(header)) + "." + enc([]byte(payload)) + "." + enc([]byte(signature))
}

// jwsWithPayload replaces the payload of a compact JWS, keeping header and signature.
func jwsWithPayload(jws, payload string) string {
	parts := strings.Split(jws, ".")
	parts[1] = base64.RawURLEncoding.EncodeToString([]byte(payload))
	return strings.Join(parts, ".")
}

// tamperSignature changes one character inside the signature of a compact JWS.
func tamperSignature(jws string) string {
	i := strings.LastIndexByte(jws, '.') + 10
	c := byte('A')
	if jws[i] == c {
		c = 'B'
	}
	return jws[:i] + string(c) + jws[i+1:]
}

const signedStatementJSON = `{
	"id": "6f1d6ee6-9a39-4bb3-a5a3-7e5e2c0d3f10",
	"actor": {"mbox": "mailto:learner@yrkesresan.se", "name": "Learner"},
	"verb": {"id": "http://adlnet.gov/expapi/verbs/completed", "display": {"sv-SE": "slutförde"}},
	"object": {"id": "https://yrkesresan.se/courses/bou-ny-1", "definition": {"name": {"sv-SE": "BoU"}}},
	"result": {"score": {"scaled": 1.0}, "duration": "PT1M2.12S"},
	"timestamp": "2024-05-04T12:00:00Z"
}`

// submittedSigned returns statement as an LRS receives it with the signature jws attached: after a
// file attachment, so that the signature is attachments[1].
func submittedSigned(tb *testing.T, statement, jws, contentType string) map[string]any {
	tb.Helper()
	st := decode(tb, statement)
	sum := sha256.Sum256([]byte(jws))
	st["attachments"] = []any{
		map[string]any{
			"usageType": "https://yrkesresan.se/attachments/certificate", "display": map[string]any{"sv-SE": "Intyg"},
			"contentType": "application/pdf", "length": json.Number("1"), "sha2": strings.Repeat("0", 64),
			"fileUrl": "https://yrkesresan.se/intyg.pdf",
		},
		map[string]any{
			"usageType": UsageSignature, "display": map[string]any{"en-US": "Signature"},
			"contentType": contentType, "length": json.Number("1"), "sha2": hex.EncodeToString(sum[:]),
		},
	}
	return st
}

func TestCheckSignature(t *testing.T) {
	fx := sigKeys(t)
	const octet = "application/octet-stream"
	otherVerb := strings.Replace(signedStatementJSON, "verbs/completed", "verbs/attempted", 1)
	otherID := strings.Replace(signedStatementJSON, "6f1d6ee6", "00000000", 1)
	// What an LRS assigns or may reserialise (Data 2.3.1) differs between the signed and the
	// submitted statement; the signed statement also carries an attachment of its own.
	forwarded := `{
		"id": "6F1D6EE6-9A39-4BB3-A5A3-7E5E2C0D3F10",
		"actor": {"mbox": "mailto:learner@YRKESRESAN.SE", "name": "Learner"},
		"verb": {"id": "http://adlnet.gov/expapi/verbs/completed"},
		"object": {"id": "https://yrkesresan.se/courses/bou-ny-1", "objectType": "Activity"},
		"result": {"duration": "PT1M2.1234S", "score": {"scaled": 1}},
		"timestamp": "2024-05-04T14:00:00.000+02:00",
		"stored": "2024-05-04T12:00:01.000Z",
		"authority": {"account": {"homePage": "https://lrs.example", "name": "client"}},
		"version": "1.0.0"
	}`
	withoutID := strings.Replace(signedStatementJSON, `"id": "6f1d6ee6-9a39-4bb3-a5a3-7e5e2c0d3f10",`, "", 1)

	cases := []struct {
		name        string
		jws         string
		statement   string // submitted; signedStatementJSON when empty
		contentType string // octet when empty, none when "-"
		path, rule  string // of the expected problem; none when rule is empty
	}{
		// Data 2.6.s4.b4: "The JWS signature MUST use an algorithm of "RS256", "RS384", or "RS512"."
		{name: "RS256 without x5c", jws: signJWS(t, jose.RS256, fx.signer, signedStatementJSON)},
		{name: "RS384 without x5c", jws: signJWS(t, jose.RS384, fx.signer, signedStatementJSON)},
		{name: "RS512 without x5c", jws: signJWS(t, jose.RS512, fx.signer, signedStatementJSON)},
		{name: "RS256 with self-signed x5c", jws: signJWS(t, jose.RS256, fx.signer, signedStatementJSON, fx.selfSigned)},
		{name: "RS384 with x5c chain", jws: signJWS(t, jose.RS384, fx.signer, signedStatementJSON, fx.leaf, fx.ca)},
		{name: "RS512 with x5c leaf only", jws: signJWS(t, jose.RS512, fx.signer, signedStatementJSON, fx.leaf)},
		{name: "final newline", jws: signJWS(t, jose.RS256, fx.signer, signedStatementJSON, fx.leaf, fx.ca) + "\r\n"},
		{name: "content type with parameter", jws: signJWS(t, jose.RS256, fx.signer, signedStatementJSON), contentType: "Application/Octet-Stream; x=1"},
		// Data 2.6.s5.b3.b2: "Validate that the original Statement is logically equivalent to the
		// received Statement", with the comparison rules of Data 2.3.1.
		{name: "equivalent under Data 2.3.1", jws: signJWS(t, jose.RS256, fx.signer, strings.Replace(signedStatementJSON, `"timestamp"`,
			`"attachments": [{"usageType": "http://example.com/a", "display": {}, "contentType": "text/plain", "length": 1, "sha2": "00"}], "timestamp"`, 1), fx.selfSigned),
			statement: forwarded},
		{name: "signed before an id was assigned", jws: signJWS(t, jose.RS256, fx.signer, withoutID)},
		{name: "submitted without id", jws: signJWS(t, jose.RS256, fx.signer, signedStatementJSON), statement: withoutID},

		// Data 2.6.s4.b1: "... as an Attachment with a usageType of
		// http://adlnet.gov/expapi/attachments/signature and a contentType of application/octet-stream."
		{name: "content type text/plain", jws: signJWS(t, jose.RS256, fx.signer, signedStatementJSON), contentType: "text/plain; charset=ascii",
			path: "attachments[1].contentType", rule: `must be "application/octet-stream", not "text/plain; charset=ascii"`},
		{name: "content type missing", jws: signJWS(t, jose.RS256, fx.signer, signedStatementJSON), contentType: "-",
			path: "attachments[1].contentType", rule: `must be "application/octet-stream"`},

		// Data 2.6.s4.b4 again: any other algorithm, "none" and HMAC included, is refused.
		{name: "HS256", jws: signJWS(t, jose.HS256, bytes.Repeat([]byte("k"), 32), signedStatementJSON),
			path: "attachments[1]", rule: `algorithm "HS256" is not allowed; use RS256, RS384 or RS512`},
		{name: "PS256", jws: signJWS(t, jose.PS256, fx.signer, signedStatementJSON), path: "attachments[1]", rule: `algorithm "PS256" is not allowed`},
		{name: "none", jws: rawJWS(`{"alg":"none"}`, signedStatementJSON, ""), path: "attachments[1]", rule: `algorithm "none" is not allowed`},
		{name: "no alg", jws: rawJWS(`{"typ":"JWS"}`, signedStatementJSON, "sig"), path: "attachments[1]", rule: "has no alg"},

		// Data 2.6.s5.b1: "The LRS MUST reject requests to store Statements that contain malformed
		// signatures, with 400 Bad Request."
		{name: "not a JWS", jws: "not a JWS", path: "attachments[1]", rule: "not a JWS in compact serialisation"},
		{name: "empty", jws: "", path: "attachments[1]", rule: "not a JWS in compact serialisation"},
		{name: "two parts", jws: "eyJhbGciOiJSUzI1NiJ9.e30", path: "attachments[1]", rule: "not a JWS in compact serialisation"},
		{name: "bad base64", jws: "eyJhbGciOiJSUzI1NiJ9.e30=.c2ln", path: "attachments[1]", rule: "not a JWS in compact serialisation"},
		{name: "header not JSON", jws: rawJWS(`{"alg":"RS256"`, signedStatementJSON, "sig"), path: "attachments[1]", rule: "not a JWS in compact serialisation"},
		{name: "JSON serialisation", jws: `{"payload":"e30","protected":"eyJhbGciOiJSUzI1NiJ9","signature":"c2ln"}`,
			path: "attachments[1]", rule: "not a JWS in compact serialisation"},
		{name: "x5c not base64", jws: rawJWS(`{"alg":"RS256","x5c":["not base64"]}`, signedStatementJSON, "sig"),
			path: "attachments[1]", rule: "not a JWS in compact serialisation"},
		{name: "x5c long and not base64", jws: rawJWS(`{"alg":"RS256","x5c":["`+strings.Repeat("é", 5000)+`"]}`, signedStatementJSON, "sig"),
			path: "attachments[1]", rule: "not a JWS in compact serialisation"},
		{name: "x5c not a list", jws: rawJWS(`{"alg":"RS256","x5c":"MIIB"}`, signedStatementJSON, "sig"),
			path: "attachments[1]", rule: "not a JWS in compact serialisation"},

		// Data 2.6.s5.b3.b3: "If the JWS header includes an X.509 certificate, validate the
		// signature against that certificate as defined in JWS."
		{name: "wrong key", jws: signJWS(t, jose.RS256, fx.other, signedStatementJSON, fx.selfSigned),
			path: "attachments[1]", rule: "does not verify with the key of its signing certificate"},
		{name: "tampered payload", jws: jwsWithPayload(signJWS(t, jose.RS256, fx.signer, otherVerb, fx.leaf, fx.ca), signedStatementJSON),
			path: "attachments[1]", rule: "does not verify"},
		{name: "tampered signature", jws: tamperSignature(signJWS(t, jose.RS256, fx.signer, signedStatementJSON, fx.selfSigned)),
			path: "attachments[1]", rule: "does not verify"},
		{name: "x5c chain broken", jws: signJWS(t, jose.RS256, fx.signer, signedStatementJSON, fx.leaf, fx.otherCA),
			path: "attachments[1]", rule: "x5c[0] is not signed by x5c[1]"},
		{name: "x5c chain reversed", jws: signJWS(t, jose.RS256, fx.signer, signedStatementJSON, fx.ca, fx.leaf),
			path: "attachments[1]", rule: "x5c[0] is not signed by x5c[1]"},
		{name: "x5c certificate of another key", jws: signJWS(t, jose.RS256, fx.signer, signedStatementJSON, fx.ca),
			path: "attachments[1]", rule: "does not verify"},
		{name: "x5c ECDSA", jws: signJWS(t, jose.RS256, fx.signer, signedStatementJSON, fx.ecdsa),
			path: "attachments[1]", rule: "does not hold an RSA key"},

		// Data 2.6.s4.b3: "The JWS signature MUST have a payload of a valid JSON serialization of
		// the complete Statement before the signature was added."
		{name: "payload not JSON", jws: signJWS(t, jose.RS256, fx.signer, strings.Replace(signedStatementJSON, `"`, "'", 1)),
			path: "attachments[1]", rule: "payload is not a JSON object"},
		{name: "payload not JSON with x5c", jws: signJWS(t, jose.RS256, fx.signer, "{", fx.selfSigned),
			path: "attachments[1]", rule: "payload is not a JSON object"},
		{name: "payload an array", jws: signJWS(t, jose.RS256, fx.signer, "["+signedStatementJSON+"]"), path: "attachments[1]", rule: "payload is not a JSON object"},
		{name: "payload null", jws: signJWS(t, jose.RS256, fx.signer, "null"), path: "attachments[1]", rule: "payload is not a JSON object"},
		{name: "payload empty", jws: signJWS(t, jose.RS256, fx.signer, ""), path: "attachments[1]", rule: "payload is not a JSON object"},
		{name: "payload with trailing data", jws: signJWS(t, jose.RS256, fx.signer, signedStatementJSON+"{}"), path: "attachments[1]", rule: "payload is not a JSON object"},
		{name: "payload of another verb", jws: signJWS(t, jose.RS256, fx.signer, otherVerb),
			path: "attachments[1]", rule: "is not equivalent to the statement"},
		{name: "payload of another verb with x5c", jws: signJWS(t, jose.RS512, fx.signer, otherVerb, fx.leaf, fx.ca),
			path: "attachments[1]", rule: "is not equivalent to the statement"},
		{name: "payload of another id", jws: signJWS(t, jose.RS256, fx.signer, otherID),
			path: "attachments[1]", rule: "signed statement's id 00000000-9a39-4bb3-a5a3-7e5e2c0d3f10 differs"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			statement, contentType := c.statement, c.contentType
			if statement == "" {
				statement = signedStatementJSON
			}
			if contentType == "" {
				contentType = octet
			}
			st := submittedSigned(t, statement, c.jws, contentType)
			if contentType == "-" {
				delete(mapOf(listOf(st["attachments"])[1]), "contentType")
			}
			assertSignatureProblem(t, checkSignature(st, []byte(c.jws)), c.path, c.rule)
		})
	}
}

func assertSignatureProblem(t *testing.T, err error, path, rule string) {
	t.Helper()
	if rule == "" {
		if err != nil {
			t.Fatalf("checkSignature: %v; want no error", err)
		}
		return
	}
	if err == nil {
		t.Fatalf("checkSignature accepted the signature; want %s: %s", path, rule)
	}
	if !errors.Is(err, ErrBadRequest) {
		t.Errorf("error %v is not a bad request", err)
	}
	var ve *validate.Error
	if !errors.As(err, &ve) || len(ve.Problems) != 1 {
		t.Fatalf("error %v does not carry one validate.Problem", err)
	}
	if p := ve.Problems[0]; p.Path != path || !strings.Contains(p.Rule, rule) {
		t.Errorf("problem %s: %q; want %s: ...%q...", p.Path, p.Rule, path, rule)
	}
	if r := ve.Problems[0].Rule; len(r) > 400 || !utf8.ValidString(r) {
		t.Errorf("problem rule of %d bytes, valid UTF-8 %v; want a short message", len(r), utf8.ValidString(r))
	}
}

func TestCheckSignatureMatchesAttachmentBySha2(t *testing.T) {
	fx := sigKeys(t)
	jws := signJWS(t, jose.RS256, fx.signer, signedStatementJSON)
	st := submittedSigned(t, signedStatementJSON, jws, "application/octet-stream")
	assertSignatureProblem(t, checkSignature(st, []byte(jws+" ")), "attachments", "no attachment with usageType")
	mapOf(listOf(st["attachments"])[1])["usageType"] = "http://example.com/not-a-signature"
	assertSignatureProblem(t, checkSignature(st, []byte(jws)), "attachments", "no attachment with usageType")
}

func TestCheckSignatureLeavesStatementAlone(t *testing.T) {
	fx := sigKeys(t)
	jws := signJWS(t, jose.RS256, fx.signer, signedStatementJSON, fx.leaf, fx.ca)
	st := submittedSigned(t, strings.Replace(signedStatementJSON, `"result"`, `"context": {"team": {"objectType": "Group", "member": [
		{"mbox": "mailto:b@example.com"}, {"mbox": "mailto:a@example.com"}]}}, "result"`, 1), jws, "application/octet-stream")
	before, _ := json.Marshal(st)
	_ = checkSignature(st, []byte(jws))
	if after, _ := json.Marshal(st); !bytes.Equal(before, after) {
		t.Errorf("checkSignature changed the statement:\n%s\n%s", before, after)
	}
}

// The example of Data Appendix D: x5c holds a 1024-bit key in a chain signed with SHA-1, with
// certificates expired since 2014 and 2023. It must be accepted, and caught when altered.
func TestCheckSignatureAppendixD(t *testing.T) {
	jws, err := os.ReadFile("testdata/signature/appendix-d.jws")
	if err != nil {
		t.Fatal(err)
	}
	statement, err := os.ReadFile("testdata/signature/appendix-d-statement.json")
	if err != nil {
		t.Fatal(err)
	}
	st := decode(t, string(statement))
	if err := checkSignature(st, jws); err != nil {
		t.Fatalf("the example of Appendix D: %v", err)
	}

	altered := bytes.Replace(jws, []byte(".FWuw"), []byte(".FWuv"), 1)
	st = decode(t, string(statement))
	sum := sha256.Sum256(altered)
	mapOf(listOf(st["attachments"])[0])["sha2"] = hex.EncodeToString(sum[:])
	assertSignatureProblem(t, checkSignature(st, altered), "attachments[0]", "does not verify")
}

func FuzzCheckSignature(f *testing.F) {
	fx := sigKeys(f)
	appendixD, err := os.ReadFile("testdata/signature/appendix-d.jws")
	if err != nil {
		f.Fatal(err)
	}
	for _, seed := range []struct{ jws, payload string }{
		{signJWS(f, jose.RS256, fx.signer, signedStatementJSON), signedStatementJSON},
		{signJWS(f, jose.RS384, fx.signer, signedStatementJSON, fx.leaf, fx.ca), `{"actor":5,"object":{"objectType":"SubStatement","actor":[]}}`},
		{signJWS(f, jose.HS256, bytes.Repeat([]byte("k"), 32), signedStatementJSON), `[]`},
		{rawJWS(`{"alg":"none"}`, signedStatementJSON, ""), `{"result":{"duration":"PT1.123456789S"},"timestamp":"x"}`},
		{rawJWS(`{"alg":"RS256","x5c":["MIIB"]}`, "{}", "sig"), `{"context":{"contextActivities":{"parent":{}},"contextAgents":[1]}}`},
		{string(appendixD), `{"actor":{"objectType":"Group","member":[null,{"mbox":1}]},"object":{"objectType":"StatementRef","id":1}}`},
	} {
		f.Add([]byte(seed.jws), []byte(seed.payload))
	}
	f.Fuzz(func(t *testing.T, jws, payload []byte) {
		_ = checkSignature(submittedSigned(t, signedStatementJSON, string(jws), "application/octet-stream"), jws)
		// Without x5c the signature is not verified, so any payload reaches the comparison.
		unsigned := rawJWS(`{"alg":"RS256"}`, string(payload), "sig")
		_ = checkSignature(submittedSigned(t, signedStatementJSON, unsigned, "application/octet-stream"), []byte(unsigned))
	})
}
