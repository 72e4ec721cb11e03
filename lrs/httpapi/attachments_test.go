package httpapi_test

import (
	"bytes"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"mime"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"slices"
	"strings"
	"testing"

	"github.com/go-jose/go-jose/v4"
	"github.com/google/uuid"
	"github.com/yrkesresan/lrs/lrs"
	"github.com/yrkesresan/lrs/lrs/httpapi"
)

// boundary of the multipart bodies the tests send: RFC 2046 allows these characters, and xAPI's
// own example (Communication 1.5.2) uses them.
const boundary = "abcABC0123'()+_,-./:=?"

const mixedType = `multipart/mixed; boundary="` + boundary + `"`

// part is one part of a multipart/mixed body; headers are written in order, as given.
type part struct {
	header [][2]string
	body   string
}

// mixed builds a multipart/mixed body with CRLF line ends, as RFC 2046 asks.
func mixed(parts ...part) string {
	var b strings.Builder
	for _, p := range parts {
		b.WriteString("--" + boundary + "\r\n")
		for _, h := range p.header {
			b.WriteString(h[0] + ": " + h[1] + "\r\n")
		}
		b.WriteString("\r\n" + p.body + "\r\n")
	}
	b.WriteString("--" + boundary + "--\r\n")
	return b.String()
}

func jsonPart(v any) part {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return part{header: [][2]string{{"Content-Type", "application/json"}}, body: string(b)}
}

// dataPart is the part carrying data as the spec asks: typed, binary, with its SHA-256.
func dataPart(data, contentType string) part {
	return part{header: [][2]string{{"Content-Type", contentType}, {"Content-Transfer-Encoding", "binary"},
		{"X-Experience-API-Hash", sha(data)}}, body: data}
}

func sha(data string) string {
	s := sha256.Sum256([]byte(data))
	return hex.EncodeToString(s[:])
}

// attachment is the metadata of an attachment with the data; no fileUrl.
func attachment(data, contentType string) map[string]any {
	return map[string]any{"usageType": "https://yrkesresan.se/attachments/certificate",
		"display": map[string]any{"sv-SE": "Intyg"}, "contentType": contentType,
		"length": len(data), "sha2": sha(data)}
}

func withFileURL(att map[string]any) map[string]any {
	att["fileUrl"] = "https://files.yrkesresan.se/" + att["sha2"].(string)
	return att
}

func withAttachments(atts ...map[string]any) func(map[string]any) {
	return func(st map[string]any) {
		list := make([]any, len(atts))
		for i, a := range atts {
			list[i] = a
		}
		st["attachments"] = list
	}
}

// postMixed POSTs a multipart/mixed body.
func (e *testEnv) postMixed(body string) resp {
	e.t.Helper()
	return e.do(req{method: http.MethodPost, path: "/xapi/statements", body: body,
		header: map[string]string{"Content-Type": mixedType}})
}

// Binary data with what could confuse a parser: CR, LF, NUL, invalid UTF-8 and a line that looks
// like the boundary without being it.
const binaryData = "\x89PNG\r\n\x1a\n\x00\xff\xfe\r\n--" + boundary + "x\r\n\r\nend"

// Communication 1.5.2: statements with attachment data, POSTed as multipart/mixed, and every rule
// such a request must satisfy.
func TestPostAttachments(t *testing.T) {
	e := newEnv(t, httpapi.Config{})
	txt, png := "here is a simple attachment", binaryData
	cases := []struct {
		name    string
		body    func(id string) string // id: of the (first) statement
		ctype   string                 // request Content-Type; default mixedType
		status  int
		message string // part of the error message
	}{
		{name: "one attachment", status: http.StatusOK, body: func(id string) string {
			return mixed(jsonPart(statement(withID(id), withAttachments(attachment(txt, "text/plain")))), dataPart(txt, "text/plain"))
		}},
		{name: "several attachments, binary data", status: http.StatusOK, body: func(id string) string {
			st := statement(withID(id), withAttachments(attachment(txt, "text/plain; charset=ascii"), attachment(png, "image/png")))
			return mixed(jsonPart(st), dataPart(png, "image/png"), dataPart(txt, "text/plain"))
		}},
		{name: "a batch sharing one copy of the data", status: http.StatusOK, body: func(id string) string {
			a := statement(withID(id), withAttachments(attachment(txt, "text/plain")))
			b := statement(withAttachments(attachment(txt, "text/plain"), attachment(png, "image/png")))
			return mixed(jsonPart([]any{a, b}), dataPart(txt, "text/plain"), dataPart(png, "image/png"))
		}},
		{name: "the same data twice", status: http.StatusOK, body: func(id string) string {
			st := statement(withID(id), withAttachments(attachment(txt, "text/plain")))
			return mixed(jsonPart(st), dataPart(txt, "text/plain"), dataPart(txt, "text/plain"))
		}},
		{name: "sub-statement attachment", status: http.StatusOK, body: func(id string) string {
			sub := map[string]any{"objectType": "SubStatement", "actor": map[string]any{"mbox": "mailto:a@yrkesresan.se"},
				"verb": map[string]any{"id": "http://adlnet.gov/expapi/verbs/attempted"}, "object": map[string]any{"id": "https://yrkesresan.se/a"},
				"attachments": []any{attachment(png, "image/png")}}
			return mixed(jsonPart(statement(withID(id), withObject(sub))), dataPart(png, "image/png"))
		}},
		{name: "fileUrl attachment without data", status: http.StatusOK, body: func(id string) string {
			return mixed(jsonPart(statement(withID(id), withAttachments(withFileURL(attachment(txt, "text/plain"))))))
		}},
		{name: "fileUrl attachment with data", status: http.StatusOK, body: func(id string) string {
			return mixed(jsonPart(statement(withID(id), withAttachments(withFileURL(attachment(txt, "text/plain"))))), dataPart(txt, "text/plain"))
		}},
		{name: "no attachments", status: http.StatusOK, body: func(id string) string {
			return mixed(jsonPart(statement(withID(id))))
		}},
		{name: "upper-case hashes", status: http.StatusOK, body: func(id string) string {
			att := attachment(txt, "text/plain")
			att["sha2"] = strings.ToUpper(sha(txt))
			p := dataPart(txt, "text/plain")
			p.header[2][1] = strings.ToUpper(sha(txt))
			return mixed(jsonPart(statement(withID(id), withAttachments(att))), p)
		}},
		{name: "part without Content-Type", status: http.StatusOK, body: func(id string) string {
			p := dataPart(txt, "")
			p.header = p.header[1:]
			return mixed(jsonPart(statement(withID(id), withAttachments(attachment(txt, "text/plain")))), p)
		}},
		{name: "matching Content-Length", status: http.StatusOK, body: func(id string) string {
			p := dataPart(txt, "text/plain")
			p.header = append(p.header, [2]string{"Content-Length", fmt.Sprint(len(txt))})
			return mixed(jsonPart(statement(withID(id), withAttachments(attachment(txt, "text/plain")))), p)
		}},
		{name: "LF line ends, preamble and epilogue", status: http.StatusOK, body: func(id string) string {
			b := mixed(jsonPart(statement(withID(id), withAttachments(attachment(txt, "text/plain")))), dataPart(txt, "text/plain"))
			return "preamble\n" + strings.ReplaceAll(b, "\r\n", "\n") + "epilogue"
		}},

		{name: "missing part", status: http.StatusBadRequest, message: "attachments[1].sha2: has no data", body: func(id string) string {
			st := statement(withID(id), withAttachments(attachment(txt, "text/plain"), attachment(png, "image/png")))
			return mixed(jsonPart(st), dataPart(txt, "text/plain"))
		}},
		{name: "missing part in the second statement", status: http.StatusBadRequest, message: `"statement":1`, body: func(id string) string {
			return mixed(jsonPart([]any{statement(withID(id)), statement(withAttachments(attachment(txt, "text/plain")))}))
		}},
		{name: "extra part", status: http.StatusBadRequest, message: "data of no attachment", body: func(id string) string {
			st := statement(withID(id), withAttachments(attachment(txt, "text/plain")))
			return mixed(jsonPart(st), dataPart(txt, "text/plain"), dataPart(png, "image/png"))
		}},
		{name: "hash mismatch", status: http.StatusBadRequest, message: "part 2: the data hash to", body: func(id string) string {
			p := dataPart(txt, "text/plain")
			p.body = "here is another attachment!"
			return mixed(jsonPart(statement(withID(id), withAttachments(attachment(txt, "text/plain")))), p)
		}},
		{name: "no hash header", status: http.StatusBadRequest, message: "no X-Experience-API-Hash header", body: func(id string) string {
			p := dataPart(txt, "text/plain")
			p.header = p.header[:2]
			return mixed(jsonPart(statement(withID(id), withAttachments(attachment(txt, "text/plain")))), p)
		}},
		{name: "hash not SHA-256", status: http.StatusBadRequest, message: "not a SHA-256", body: func(id string) string {
			p := dataPart(txt, "text/plain")
			p.header[2][1] += p.header[2][1]
			return mixed(jsonPart(statement(withID(id), withAttachments(attachment(txt, "text/plain")))), p)
		}},
		{name: "base64 transfer encoding", status: http.StatusBadRequest, message: `Content-Transfer-Encoding \"base64\"`, body: func(id string) string {
			p := dataPart(txt, "text/plain")
			p.header[1][1] = "base64"
			return mixed(jsonPart(statement(withID(id), withAttachments(attachment(txt, "text/plain")))), p)
		}},
		{name: "no transfer encoding", status: http.StatusBadRequest, message: "no Content-Transfer-Encoding header", body: func(id string) string {
			p := dataPart(txt, "text/plain")
			p.header = slices.Delete(p.header, 1, 2)
			return mixed(jsonPart(statement(withID(id), withAttachments(attachment(txt, "text/plain")))), p)
		}},
		{name: "first part not JSON", status: http.StatusBadRequest, message: "first part must have Content-Type application/json", body: func(id string) string {
			p := jsonPart(statement(withID(id), withAttachments(attachment(txt, "text/plain"))))
			p.header[0][1] = "text/plain"
			return mixed(p, dataPart(txt, "text/plain"))
		}},
		{name: "first part untyped", status: http.StatusBadRequest, message: "first part must have Content-Type application/json", body: func(id string) string {
			return mixed(part{body: `{}`})
		}},
		{name: "statements in two parts", status: http.StatusBadRequest, message: "all statements belong in the first part", body: func(id string) string {
			st := statement(withID(id), withAttachments(attachment(txt, "text/plain")))
			return mixed(jsonPart(st), jsonPart(st), dataPart(txt, "text/plain"))
		}},
		{name: "part type differs from contentType", status: http.StatusBadRequest, message: "attachments[0].contentType", body: func(id string) string {
			return mixed(jsonPart(statement(withID(id), withAttachments(attachment(png, "image/png")))), dataPart(png, "image/jpeg"))
		}},
		{name: "Content-Length differs from the data", status: http.StatusBadRequest, message: "the data are 27 bytes", body: func(id string) string {
			p := dataPart(txt, "text/plain")
			p.header = append(p.header, [2]string{"Content-Length", "26"})
			return mixed(jsonPart(statement(withID(id), withAttachments(attachment(txt, "text/plain")))), p)
		}},
		{name: "Content-Length differs from length", status: http.StatusBadRequest, message: "attachments[0].length", body: func(id string) string {
			att := attachment(txt, "text/plain")
			att["length"] = 26
			p := dataPart(txt, "text/plain")
			p.header = append(p.header, [2]string{"Content-Length", fmt.Sprint(len(txt))})
			return mixed(jsonPart(statement(withID(id), withAttachments(att))), p)
		}},
		{name: "signature without its JWS", status: http.StatusBadRequest, message: "a signature's JWS must come", body: func(id string) string {
			att := withFileURL(attachment(txt, "application/octet-stream"))
			att["usageType"] = lrs.UsageSignature
			return mixed(jsonPart(statement(withID(id), withAttachments(att))))
		}},
		{name: "no boundary parameter", ctype: "multipart/mixed;", status: http.StatusBadRequest, message: "needs a boundary parameter", body: func(id string) string {
			return mixed(jsonPart(statement(withID(id))))
		}},
		{name: "boundary missing before a part", status: http.StatusBadRequest, message: "after the JSON value", body: func(id string) string {
			b := mixed(jsonPart(statement(withID(id), withAttachments(attachment(txt, "text/plain")))), dataPart(txt, "text/plain"))
			i := strings.LastIndex(b, "--"+boundary+"\r\n")
			return b[:i] + b[i+len("--"+boundary+"\r\n"):]
		}},
		{name: "no closing boundary", status: http.StatusBadRequest, message: "malformed multipart body", body: func(id string) string {
			b := mixed(jsonPart(statement(withID(id), withAttachments(attachment(txt, "text/plain")))), dataPart(txt, "text/plain"))
			return strings.TrimSuffix(b, "--"+boundary+"--\r\n")
		}},
		{name: "no parts", status: http.StatusBadRequest, message: "no parts", body: func(string) string {
			return "--" + boundary + "--\r\n"
		}},
		{name: "attachment data by application/json", ctype: "application/json", status: http.StatusBadRequest, message: "has no data", body: func(id string) string {
			b, _ := json.Marshal(statement(withID(id), withAttachments(attachment(txt, "text/plain"))))
			return string(b)
		}},
		{name: "multipart/form-data", ctype: `multipart/form-data; boundary="` + boundary + `"`, status: http.StatusBadRequest, message: "not accepted", body: func(id string) string {
			return mixed(jsonPart(statement(withID(id), withAttachments(attachment(txt, "text/plain")))), dataPart(txt, "text/plain"))
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			id := uuid.NewString()
			ct := c.ctype
			if ct == "" {
				ct = mixedType
			}
			r := e.do(req{method: http.MethodPost, path: "/xapi/statements", body: c.body(id), header: map[string]string{"Content-Type": ct}})
			expect(t, r, c.status)
			if !strings.Contains(string(r.body), c.message) {
				t.Errorf("error %s does not say %q", r.body, c.message)
			}
			if c.status != http.StatusOK {
				// Never a half-written record.
				expect(t, e.do(req{path: "/xapi/statements?statementId=" + id}), http.StatusNotFound)
			}
		})
	}
}

// Communication 2.1.1: PUT takes the same multipart/mixed bodies, for one statement.
func TestPutAttachments(t *testing.T) {
	e := newEnv(t, httpapi.Config{})
	put := func(id, body string) resp {
		return e.do(req{method: http.MethodPut, path: "/xapi/statements?statementId=" + id, body: body,
			header: map[string]string{"Content-Type": mixedType}})
	}
	id := uuid.NewString()
	st := statement(withAttachments(attachment(binaryData, "image/png")))
	expect(t, put(id, mixed(jsonPart(st), dataPart(binaryData, "image/png"))), http.StatusNoContent)
	if got := e.attachmentsOf("statementId=" + id); len(got) != 1 || got[sha(binaryData)].body != binaryData {
		t.Errorf("GET answered parts %v", got)
	}
	// Again, equivalent: accepted without change.
	expect(t, put(id, mixed(jsonPart(st), dataPart(binaryData, "image/png"))), http.StatusNoContent)
	r := put(uuid.NewString(), mixed(jsonPart([]any{st}), dataPart(binaryData, "image/png")))
	expect(t, r, http.StatusBadRequest)
	r = put(uuid.NewString(), mixed(jsonPart(st)))
	expect(t, r, http.StatusBadRequest)
}

// received is a part of a multipart/mixed response.
type received struct {
	header textproto.MIMEHeader
	body   string
}

// mixedResponse splits a multipart/mixed response into its parts.
func mixedResponse(t testing.TB, r resp) []received {
	t.Helper()
	mt, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/mixed" {
		t.Fatalf("Content-Type %q", r.Header.Get("Content-Type"))
	}
	mr := multipart.NewReader(bytes.NewReader(r.body), params["boundary"])
	var parts []received
	for {
		p, err := mr.NextRawPart()
		if err == io.EOF {
			return parts
		}
		if err != nil {
			t.Fatalf("response %q: %v", r.body, err)
		}
		b, err := io.ReadAll(p)
		if err != nil {
			t.Fatal(err)
		}
		parts = append(parts, received{header: p.Header, body: string(b)})
	}
}

// attachmentsOf GETs statements with attachments=true and returns the parts after the first, by
// hash, failing on a part that comes twice or whose header is not as the spec asks.
func (e *testEnv) attachmentsOf(params string) map[string]received {
	t := e.t
	t.Helper()
	r := e.do(req{path: "/xapi/statements?attachments=true&" + params})
	expect(t, r, http.StatusOK)
	parts := mixedResponse(t, r)
	if len(parts) == 0 || parts[0].header.Get("Content-Type") != "application/json" || !json.Valid([]byte(parts[0].body)) {
		t.Fatalf("first part %+v", parts)
	}
	out := map[string]received{}
	for _, p := range parts[1:] {
		h := p.header.Get("X-Experience-API-Hash")
		if _, dup := out[h]; dup {
			t.Errorf("data %s sent twice", h)
		}
		if p.header.Get("Content-Transfer-Encoding") != "binary" || h != sha(p.body) {
			t.Errorf("part header %v for data hashing to %s", p.header, sha(p.body))
		}
		// Header names are case-insensitive, but clients match this one as the spec spells it.
		if !bytes.Contains(r.body, []byte("\r\nX-Experience-API-Hash: "+h+"\r\n")) {
			t.Errorf("X-Experience-API-Hash of %s not spelled as in the spec", h)
		}
		out[h] = p
	}
	return out
}

// Communication 2.1.3 and 1.5.2: attachments=true returns each attachment's data once, after the
// statements; attachments given by fileUrl alone have no part.
func TestGetAttachments(t *testing.T) {
	e := newEnv(t, httpapi.Config{})
	shared, own, byURL, sent := "shared certificate", binaryData, "only a link", "link and data"
	activity := "https://yrkesresan.se/courses/" + uuid.NewString()
	onActivity := withObject(map[string]any{"id": activity})
	a := statement(onActivity, withAttachments(attachment(shared, "application/pdf"), withFileURL(attachment(byURL, "text/plain"))))
	b := statement(onActivity, withAttachments(attachment(shared, "application/pdf"), attachment(own, "image/png"),
		withFileURL(attachment(sent, "text/plain; charset=utf-8"))))
	r := e.postMixed(mixed(jsonPart([]any{a, b}), dataPart(shared, "application/pdf"), dataPart(own, "image/png"), dataPart(sent, "text/plain")))
	expect(t, r, http.StatusOK)
	var ids []string
	r.json(t, &ids)
	// A later statement shares data with a stored one and sends it again.
	c := statement(onActivity, withAttachments(attachment(shared, "application/pdf")))
	expect(t, e.postMixed(mixed(jsonPart(c), dataPart(shared, "application/pdf"))), http.StatusOK)
	plain := statement(onActivity)
	e.post(plain)

	want := func(data ...string) []string {
		out := make([]string, len(data))
		for i, d := range data {
			out[i] = sha(d)
		}
		slices.Sort(out)
		return out
	}
	cases := []struct {
		name   string
		params string
		want   []string
	}{
		{"query", "activity=" + activity, want(shared, own, sent)},
		{"query, ids format", "format=ids&activity=" + activity, want(shared, own, sent)},
		{"statementId", "statementId=" + ids[0], want(shared)},
		{"statementId, data sent with a fileUrl", "statementId=" + ids[1], want(shared, own, sent)},
		{"page without attachments", "limit=1&activity=" + activity, want()},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e.t = t
			got := e.attachmentsOf(c.params)
			if keys := slices.Sorted(maps.Keys(got)); !slices.Equal(keys, c.want) {
				t.Errorf("parts %v, want %v", keys, c.want)
			}
		})
	}
	e.t = t
	got := e.attachmentsOf("statementId=" + ids[1])
	for data, ct := range map[string]string{shared: "application/pdf", own: "image/png", sent: "text/plain; charset=utf-8"} {
		if p := got[sha(data)]; p.body != data || p.header.Get("Content-Type") != ct {
			t.Errorf("part %s: Content-Type %q, body %q; want %q, %q", sha(data), p.header.Get("Content-Type"), p.body, ct, data)
		}
	}

	t.Run("voidedStatementId", func(t *testing.T) {
		e.t = t
		e.post(voiding(ids[0]))
		if got := e.attachmentsOf("voidedStatementId=" + ids[0]); len(got) != 1 || got[sha(shared)].body != shared {
			t.Errorf("parts %v", got)
		}
	})
	t.Run("attachments=false", func(t *testing.T) {
		e.t = t
		r := e.do(req{path: "/xapi/statements?attachments=false&statementId=" + ids[1]})
		expect(t, r, http.StatusOK)
		if ct := r.Header.Get("Content-Type"); ct != "application/json" {
			t.Errorf("Content-Type %q", ct)
		}
	})
	t.Run("HEAD", func(t *testing.T) {
		e.t = t
		r := e.do(req{method: http.MethodHead, path: "/xapi/statements?attachments=true&statementId=" + ids[1]})
		expect(t, r, http.StatusOK)
		if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "multipart/mixed" || len(r.body) != 0 {
			t.Errorf("Content-Type %q, body %q", r.Header.Get("Content-Type"), r.body)
		}
	})
	t.Run("data lost from the store", func(t *testing.T) {
		e.t = t
		if err := e.store.DeleteBlob(t.Context(), sha(own)); err != nil {
			t.Fatal(err)
		}
		r := e.do(req{path: "/xapi/statements?attachments=true&statementId=" + ids[1]})
		expect(t, r, http.StatusInternalServerError)
	})
}

// Data 2.6: a signed statement comes as multipart/mixed with its JWS; the LRS verifies it and
// returns the JWS with the statement.
func TestSignedStatement(t *testing.T) {
	e := newEnv(t, httpapi.Config{})
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: key}, nil)
	if err != nil {
		t.Fatal(err)
	}
	signed := func(st map[string]any) (map[string]any, string) {
		payload, _ := json.Marshal(st)
		obj, err := signer.Sign(payload)
		if err != nil {
			t.Fatal(err)
		}
		jws, _ := obj.CompactSerialize()
		sig := attachment(jws, "application/octet-stream")
		sig["usageType"] = lrs.UsageSignature
		out := maps.Clone(st)
		out["attachments"] = []any{sig}
		return out, jws
	}
	id := uuid.NewString()
	st, jws := signed(statement(withID(id)))
	expect(t, e.postMixed(mixed(jsonPart(st), dataPart(jws, "application/octet-stream"))), http.StatusOK)
	if got := e.attachmentsOf("statementId=" + id); got[sha(jws)].body != jws {
		t.Errorf("JWS not returned: %v", got)
	}

	st, jws = signed(statement())
	st["verb"] = map[string]any{"id": "http://adlnet.gov/expapi/verbs/failed"}
	r := e.postMixed(mixed(jsonPart(st), dataPart(jws, "application/octet-stream")))
	expect(t, r, http.StatusBadRequest)
	if !strings.Contains(string(r.body), "attachments[0]") {
		t.Errorf("error does not name the signature: %s", r.body)
	}
}

// Communication 1.5.2 asks nothing of the size; the LRS bounds the whole body.
func TestAttachmentsTooLarge(t *testing.T) {
	e := newEnv(t, httpapi.Config{MaxBodyBytes: 4096})
	data := strings.Repeat("x", 5000)
	r := e.postMixed(mixed(jsonPart(statement(withAttachments(attachment(data, "text/plain")))), dataPart(data, "text/plain")))
	expect(t, r, http.StatusRequestEntityTooLarge)
}
