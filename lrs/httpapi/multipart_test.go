package httpapi

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"maps"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"slices"
	"strings"
	"testing"

	"github.com/yrkesresan/lrs/lrs"
)

func sum(data string) string {
	s := sha256.Sum256([]byte(data))
	return hex.EncodeToString(s[:])
}

// body builds a multipart body with boundary "b" from raw parts (header lines, blank line, data).
func body(parts ...string) string {
	var b strings.Builder
	for _, p := range parts {
		b.WriteString("--b\r\n" + p + "\r\n")
	}
	return b.String() + "--b--\r\n"
}

const statementsPart = "Content-Type: application/json\r\n\r\n{}"

func attachmentPart(data string, header ...string) string {
	h := "Content-Transfer-Encoding: binary\r\nX-Experience-API-Hash: " + sum(data) + "\r\n"
	for _, line := range header {
		h += line + "\r\n"
	}
	return h + "\r\n" + data
}

// What readMixed makes of bodies the HTTP tests do not reach.
func TestReadMixed(t *testing.T) {
	cases := []struct {
		name   string
		params map[string]string
		body   string
		limit  int64
		want   map[string]lrs.AttachmentData // on success
		status int                           // on failure
		msg    string
	}{
		{name: "duplicates merge what they declare", body: body(statementsPart,
			attachmentPart("a", "Content-Type: text/plain"), attachmentPart("a", "Content-Length: 1")),
			want: map[string]lrs.AttachmentData{sum("a"): {Data: []byte("a"), ContentType: "text/plain", Sized: true}}},
		{name: "empty data", body: body(statementsPart, attachmentPart("")),
			want: map[string]lrs.AttachmentData{sum(""): {Data: []byte{}}}},
		{name: "quoted-printable is not decoded", body: body(statementsPart,
			"Content-Transfer-Encoding: quoted-printable\r\nX-Experience-API-Hash: "+sum("a")+"\r\n\r\n=61"),
			status: http.StatusBadRequest, msg: `part 2: Content-Transfer-Encoding "quoted-printable"`},
		{name: "duplicates declare different types", body: body(statementsPart,
			attachmentPart("a", "Content-Type: text/plain"), attachmentPart("a", "Content-Type: image/png")),
			status: http.StatusBadRequest, msg: "part 3: the data with X-Experience-API-Hash"},
		{name: "Content-Length not a number", body: body(statementsPart, attachmentPart("a", "Content-Length: one")),
			status: http.StatusBadRequest, msg: `Content-Length "one"`},
		{name: "Content-Type unparsable", body: body(statementsPart, attachmentPart("a", "Content-Type: /")),
			status: http.StatusBadRequest, msg: "cannot be parsed"},
		{name: "boundary too long", params: map[string]string{"boundary": strings.Repeat("b", 71)}, body: body(statementsPart),
			status: http.StatusBadRequest, msg: "longer than 70"},
		{name: "over the limit", body: body(statementsPart, attachmentPart(strings.Repeat("a", 100))), limit: 100,
			status: http.StatusRequestEntityTooLarge, msg: "the limit is 100 bytes"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if c.params == nil {
				c.params = map[string]string{"boundary": "b"}
			}
			if c.limit == 0 {
				c.limit = 1 << 20
			}
			sts, data, err := readMixed(strings.NewReader(c.body), c.params, c.limit)
			if c.want != nil {
				if err != nil || string(sts) != "{}" || !maps.EqualFunc(data, c.want, sameData) {
					t.Fatalf("got %q, %v, %v; want %v", sts, data, err, c.want)
				}
				return
			}
			if err == nil || Status(err) != c.status || !strings.Contains(err.Error(), c.msg) {
				t.Fatalf("error %v (status %d), want %d saying %q", err, Status(err), c.status, c.msg)
			}
		})
	}
}

func sameData(a, b lrs.AttachmentData) bool {
	return bytes.Equal(a.Data, b.Data) && a.ContentType == b.ContentType && a.Sized == b.Sized
}

// FuzzReadMixed: whatever the body, readMixed answers a client error or data that hash to their
// keys, and what it accepts it reads back the same once written out again. The seed corpus runs
// in every `go test`; `go test -fuzz=FuzzReadMixed ./lrs/httpapi` explores more.
func FuzzReadMixed(f *testing.F) {
	for _, seed := range []string{
		body(statementsPart),
		body(statementsPart, attachmentPart("here is a simple attachment", "Content-Type: text/plain")),
		body(statementsPart, attachmentPart("\x00\r\n--b\r\n", "Content-Type: image/png", "Content-Length: 7"), attachmentPart("x")),
		strings.ReplaceAll(body(statementsPart, attachmentPart("a")), "\r\n", "\n"),
		"preamble\r\n" + body(statementsPart, attachmentPart("a")) + "epilogue",
		body(statementsPart, attachmentPart("a"), attachmentPart("a", "Content-Type: text/plain")),
		body(statementsPart, "Content-Type: application/json\r\n\r\n{}"),
		body(statementsPart, "X-Experience-API-Hash: "+sum("a")+"\r\n\r\na"),
		body("Content-Type: text/plain\r\n\r\n{}"),
		body(statementsPart, attachmentPart("a"))[:40],
		"--b--\r\n", "", "--b\r\n",
	} {
		f.Add([]byte(seed), "b")
	}
	f.Add([]byte(body(statementsPart)), "")
	f.Fuzz(func(t *testing.T, in []byte, boundary string) {
		const limit = 1 << 16
		sts, data, err := readMixed(bytes.NewReader(in), map[string]string{"boundary": boundary}, limit)
		if err != nil {
			if s := Status(err); s != http.StatusBadRequest && s != http.StatusRequestEntityTooLarge {
				t.Fatalf("status %d for %v", s, err)
			}
			return
		}
		for k, d := range data {
			if k != sum(string(d.Data)) {
				t.Fatalf("data under %s hash to %s", k, sum(string(d.Data)))
			}
		}
		// Written out again, the same statements and data come back.
		var out bytes.Buffer
		mw := multipart.NewWriter(&out)
		w, _ := mw.CreatePart(textproto.MIMEHeader{"Content-Type": {"application/json"}})
		w.Write(sts)
		for _, k := range slices.Sorted(maps.Keys(data)) {
			h := textproto.MIMEHeader{encodingHeader: {"binary"}, hashHeader: {k}}
			if data[k].ContentType != "" {
				h.Set("Content-Type", data[k].ContentType)
			}
			w, _ := mw.CreatePart(h)
			w.Write(data[k].Data)
		}
		mw.Close()
		sts2, data2, err := readMixed(&out, map[string]string{"boundary": mw.Boundary()}, limit*2)
		if err != nil {
			t.Fatalf("written out again: %v", err)
		}
		equal := func(a, b lrs.AttachmentData) bool {
			return bytes.Equal(a.Data, b.Data) && a.ContentType == b.ContentType
		}
		if !bytes.Equal(sts, sts2) || !maps.EqualFunc(data, data2, equal) {
			t.Fatalf("read back %q %v, was %q %v", sts2, data2, sts, data)
		}
	})
}
