package lrs

import (
	"bytes"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/go-jose/go-jose/v4"
	"github.com/yrkesresan/lrs/lrs/validate"
)

// UsageSignature is the attachment usageType of a statement signature.
const UsageSignature = "http://adlnet.gov/expapi/attachments/signature"

// signatureAlgorithms: "The JWS signature MUST use an algorithm of "RS256", "RS384", or "RS512""
// (Data 2.6.s4.b4).
var signatureAlgorithms = []jose.SignatureAlgorithm{jose.RS256, jose.RS384, jose.RS512}

// checkSignature verifies the JWS (compact serialisation, the raw bytes of the signature attachment part)
// against the statement st as submitted (decoded with json.Decoder.UseNumber into map[string]any).
//
// It applies the LRS requirements of Data 2.6 (the same in xAPI 1.0.3 and 2.0): the attachment
// the JWS belongs to (the signature attachment whose sha2 is the JWS's) must have contentType
// application/octet-stream; the JWS must be well formed and use RS256, RS384 or RS512; if its
// header carries an x5c certificate chain, the signature must verify with the first certificate
// and each certificate must be signed by the next; the payload must be a statement equivalent to
// st under the comparison rules of Data 2.3.1. Any failure is a bad request naming the attachment.
//
// Only the compact serialisation is accepted: Data 2.6.s4.b2 says it SHOULD* be used and that the
// JSON serialisation "will be forbidden in a future version".
func checkSignature(st map[string]any, jws []byte) error {
	at, att := signatureAttachment(st, jws)
	if att == nil {
		return signatureProblem("attachments", "no attachment with usageType "+UsageSignature+" has the sha2 of the signature")
	}
	if ct, _ := att["contentType"].(string); !isOctetStream(ct) {
		return signatureProblem(at+".contentType", fmt.Sprintf(`a signature's contentType must be "application/octet-stream", not %q`, ct))
	}
	// Surrounding white space (a final newline in a file) is not part of the compact form.
	if err := verifySignature(st, string(bytes.TrimSpace(jws))); err != nil {
		return signatureProblem(at, err.Error())
	}
	return nil
}

// signatureAttachment returns the path and the metadata of the signature attachment whose sha2 is
// the hash of jws, the one the part was matched to (Communication 1.5.2).
func signatureAttachment(st map[string]any, jws []byte) (string, map[string]any) {
	sum := sha256.Sum256(jws)
	hash := hex.EncodeToString(sum[:])
	for i, a := range listOf(st["attachments"]) {
		m := mapOf(a)
		if sha2, _ := m["sha2"].(string); m["usageType"] == UsageSignature && strings.EqualFold(sha2, hash) {
			return fmt.Sprintf("attachments[%d]", i), m
		}
	}
	return "", nil
}

// isOctetStream accepts media type parameters, which do not change the type (Data 2.6.s4.b1 asks
// for "a contentType of application/octet-stream").
func isOctetStream(contentType string) bool {
	return MediaType(contentType) == "application/octet-stream"
}

func signatureProblem(path, rule string) error {
	return fmt.Errorf("%w: %w", ErrBadRequest, &validate.Error{Problems: []validate.Problem{{Path: path, Rule: rule}}})
}

// verifySignature applies the steps of Data 2.6.s5.b3 to a compact JWS.
func verifySignature(st map[string]any, compact string) error {
	sig, err := jose.ParseSignedCompact(compact, signatureAlgorithms)
	if alg := (*jose.ErrUnexpectedSignatureAlgorithm)(nil); errors.As(err, &alg) {
		if alg.Got == "" {
			return errors.New("the signature's JWS header has no alg; use RS256, RS384 or RS512")
		}
		return fmt.Errorf("the signature's algorithm %q is not allowed; use RS256, RS384 or RS512", alg.Got)
	}
	if err != nil {
		return fmt.Errorf("the signature is not a JWS in compact serialisation: %s", jwsDetail(err))
	}
	certs, err := x5cChain(compact)
	if err != nil {
		return fmt.Errorf("the signature's x5c header is malformed: %s", jwsDetail(err))
	}
	var payload []byte
	if len(certs) == 0 {
		// Data 2.6.s5.b3.b3 asks for cryptographic validation only "if the JWS header includes an
		// X.509 certificate": without one the LRS has no key to check with (it fetches no x5u and
		// trusts no embedded jwk, which anyone can make). The algorithm and the payload are still
		// checked, which is what catches the mistakes the spec's note is about.
		payload = sig.UnsafePayloadWithoutVerification()
	} else {
		if err := checkX5cChain(certs); err != nil {
			return err
		}
		if payload, err = sig.Verify(certs[0].PublicKey); err != nil {
			return errors.New("the signature does not verify with the key of its signing certificate (x5c[0])")
		}
	}
	return checkSignedStatement(st, payload)
}

// jwsDetail shortens an error of the JWS library, which may quote a whole header of certificates.
func jwsDetail(err error) string {
	const limit = 200
	s := err.Error()
	if len(s) > limit {
		s = strings.ToValidUTF8(s[:limit], "") + "..."
	}
	return s
}

// x5cChain decodes the x5c header of a compact JWS that go-jose has accepted. go-jose parses the
// chain itself but hands it out only after verifying it up to trusted roots, which the LRS does
// not have.
func x5cChain(compact string) ([]*x509.Certificate, error) {
	protected, _, _ := strings.Cut(compact, ".")
	raw, err := base64.RawURLEncoding.DecodeString(protected)
	if err != nil {
		return nil, err
	}
	// A map, not a struct: header parameter names are case-sensitive (RFC 7515 4).
	var header map[string]json.RawMessage
	if err := json.Unmarshal(raw, &header); err != nil {
		return nil, err
	}
	var chain []string
	if v, ok := header["x5c"]; ok {
		if err := json.Unmarshal(v, &chain); err != nil {
			return nil, err
		}
	}
	certs := make([]*x509.Certificate, len(chain))
	for i, c := range chain {
		der, err := base64.StdEncoding.DecodeString(c)
		if err != nil {
			return nil, err
		}
		if certs[i], err = x509.ParseCertificate(der); err != nil {
			return nil, err
		}
	}
	return certs, nil
}

// checkX5cChain checks that the signing certificate holds an RSA key and that each certificate of
// the chain is signed by the next (RFC 7515 4.1.6). The chain is not validated up to a trusted root,
// nor are validity periods checked: the LRS has no trust store, and Data 2.6 says validation
// against the certificate is "intended as a way to catch mistakes in the signature, not as a
// security measure". For the same reason links signed with SHA-1 are accepted (as in the spec's
// own Appendix D): a forged link gains nothing over a chain of one's own making.
func checkX5cChain(certs []*x509.Certificate) error {
	for i, c := range certs {
		// The cap go-jose puts on RSA keys it parses: bigger keys only make verification slow.
		if pub, ok := c.PublicKey.(*rsa.PublicKey); ok && pub.N.BitLen() > jose.MaxRSAModulusBits {
			return fmt.Errorf("the RSA key of x5c[%d] has more than %d bits", i, jose.MaxRSAModulusBits)
		}
	}
	if _, ok := certs[0].PublicKey.(*rsa.PublicKey); !ok {
		return errors.New("the signing certificate (x5c[0]) does not hold an RSA key, which RS256, RS384 and RS512 need")
	}
	for i := 1; i < len(certs); i++ {
		child := certs[i-1]
		if err := certs[i].CheckSignature(child.SignatureAlgorithm, child.RawTBSCertificate, child.Signature); err != nil {
			return fmt.Errorf("x5c[%d] is not signed by x5c[%d], the next certificate of the chain: %v", i-1, i, err)
		}
	}
	return nil
}

// checkSignedStatement checks that the payload is "a valid JSON serialization of the complete
// Statement before the signature was added" (Data 2.6.s4.b3) and "logically equivalent to the
// received Statement" (Data 2.6.s5.b3.b2). Equivalent works on copies and ignores attachments (the
// signature attachment is added after signing) and what an LRS assigns, so a statement signed
// before an LRS gave it an id, stored and authority still matches when it is passed on. An id
// signed and an id submitted must agree, though: an LRS never changes an id.
func checkSignedStatement(st map[string]any, payload []byte) error {
	v, err := DecodeJSON(payload)
	signed, isObject := v.(map[string]any)
	if err != nil || !isObject {
		return errors.New("the signature's payload is not a JSON object, the signed statement")
	}
	signedID, _ := signed["id"].(string)
	id, _ := st["id"].(string)
	if signedID != "" && id != "" && !strings.EqualFold(signedID, id) {
		return fmt.Errorf("the signed statement's id %s differs from the statement's id %s", signedID, id)
	}
	if !Equivalent(signed, st) {
		return errors.New("the signed statement (the signature's payload) is not equivalent to the statement")
	}
	return nil
}
