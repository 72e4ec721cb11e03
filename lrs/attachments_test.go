package lrs

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/yrkesresan/lrs/lrs/validate"
)

func sha256Hex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// attachmentJSON is an attachment of data; extra is JSON members to add, such as a fileUrl.
func attachmentJSON(data, contentType, extra string) string {
	return fmt.Sprintf(`{"usageType":"http://a.se/u","display":{"en":"x"},"contentType":%q,"length":%d,"sha2":%q%s}`,
		contentType, len(data), sha256Hex(data), extra)
}

func withAttachmentsJSON(atts ...string) string {
	return `{"actor":{"mbox":"mailto:a@b.se"},"verb":{"id":"http://v.se/x"},"object":{"id":"http://a.se/1"},
		"attachments":[` + strings.Join(atts, ",") + `]}`
}

// Communication 1.5.2: how the attachments of a statement are matched with the data sent along.
func TestCheckAttachments(t *testing.T) {
	const fileURL = `,"fileUrl":"https://a.se/f"`
	data := func(ds ...AttachmentData) map[string]AttachmentData {
		m := map[string]AttachmentData{}
		for _, d := range ds {
			m[sha256Hex(string(d.Data))] = d
		}
		return m
	}
	txt := AttachmentData{Data: []byte("text"), ContentType: "text/plain"}
	cases := []struct {
		name     string
		st       string
		data     map[string]AttachmentData
		used     []string // sums the statement refers to
		problems []string // "path: part of rule"
	}{
		{name: "data sent", st: withAttachmentsJSON(attachmentJSON("text", "text/plain; charset=utf-8", "")),
			data: data(txt), used: []string{sha256Hex("text")}},
		{name: "fileUrl, no data", st: withAttachmentsJSON(attachmentJSON("text", "text/plain", fileURL))},
		{name: "fileUrl and data", st: withAttachmentsJSON(attachmentJSON("text", "text/plain", fileURL)),
			data: data(txt), used: []string{sha256Hex("text")}},
		{name: "upper-case sha2", st: withAttachmentsJSON(strings.Replace(attachmentJSON("text", "text/plain", ""), sha256Hex("text"), strings.ToUpper(sha256Hex("text")), 1)),
			data: data(txt), used: []string{sha256Hex("text")}},
		{name: "untyped part", st: withAttachmentsJSON(attachmentJSON("text", "image/png", "")),
			data: data(AttachmentData{Data: []byte("text")}), used: []string{sha256Hex("text")}},
		{name: "no data", st: withAttachmentsJSON(attachmentJSON("a", "text/plain", fileURL), attachmentJSON("b", "text/plain", "")),
			problems: []string{"attachments[1].sha2: has no data"}},
		{name: "no data for a sub-statement", st: `{"actor":{"mbox":"mailto:a@b.se"},"verb":{"id":"http://v.se/x"},
			"object":{"objectType":"SubStatement","actor":{"mbox":"mailto:a@b.se"},"verb":{"id":"http://v.se/x"},"object":{"id":"http://a.se/1"},
			"attachments":[` + attachmentJSON("b", "text/plain", "") + `]}}`,
			problems: []string{"object.attachments[0].sha2: has no data"}},
		{name: "types differ", st: withAttachmentsJSON(attachmentJSON("text", "image/png", "")),
			data: data(txt), used: []string{sha256Hex("text")}, problems: []string{"attachments[0].contentType: must match"}},
		{name: "declared length differs", st: withAttachmentsJSON(strings.Replace(attachmentJSON("text", "text/plain", ""), `"length":4`, `"length":5`, 1)),
			data: data(AttachmentData{Data: []byte("text"), Sized: true}), used: []string{sha256Hex("text")},
			problems: []string{"attachments[0].length: must match the Content-Length 4"}},
		{name: "undeclared length is the sender's word", st: withAttachmentsJSON(strings.Replace(attachmentJSON("text", "text/plain", ""), `"length":4`, `"length":5`, 1)),
			data: data(txt), used: []string{sha256Hex("text")}},
		{name: "length written otherwise", st: withAttachmentsJSON(strings.Replace(attachmentJSON("text", "text/plain", ""), `"length":4`, `"length":4.0`, 1)),
			data: data(AttachmentData{Data: []byte("text"), Sized: true}), used: []string{sha256Hex("text")}},
		{name: "signature by fileUrl", st: withAttachmentsJSON(strings.Replace(attachmentJSON("jws", "application/octet-stream", fileURL), "http://a.se/u", UsageSignature, 1)),
			problems: []string{"attachments[0].sha2: has no data in the request: a signature"}},
		{name: "malformed signature", st: withAttachmentsJSON(strings.Replace(attachmentJSON("jws", "application/octet-stream", ""), "http://a.se/u", UsageSignature, 1)),
			data: data(AttachmentData{Data: []byte("jws")}), used: []string{sha256Hex("jws")}, problems: []string{"attachments[0]: "}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			used := map[string]bool{}
			err := checkAttachments(decode(t, c.st), c.data, used)
			var got []string
			var ve *validate.Error
			if errors.As(err, &ve) {
				for _, p := range ve.Problems {
					got = append(got, p.Path+": "+p.Rule)
				}
			} else if err != nil {
				t.Fatalf("error %v is no list of problems", err)
			}
			if len(got) != len(c.problems) {
				t.Fatalf("problems %q, want %q", got, c.problems)
			}
			for i, want := range c.problems {
				if !strings.HasPrefix(got[i], want) {
					t.Errorf("problem %q, want %q...", got[i], want)
				}
			}
			var usedSums []string
			for s := range used {
				usedSums = append(usedSums, s)
			}
			if !slices.Equal(usedSums, c.used) {
				t.Errorf("used %v, want %v", usedSums, c.used)
			}
		})
	}
}

func TestUnusedAttachment(t *testing.T) {
	data := map[string]AttachmentData{sha256Hex("a"): {}, sha256Hex("b"): {}}
	if err := unusedAttachment(data, map[string]bool{sha256Hex("a"): true, sha256Hex("b"): true}); err != nil {
		t.Errorf("all used: %v", err)
	}
	err := unusedAttachment(data, map[string]bool{sha256Hex("a"): true})
	if !errors.Is(err, ErrBadRequest) || !strings.Contains(err.Error(), sha256Hex("b")) {
		t.Errorf("b unused: %v", err)
	}
}

// The data a page of statements refers to: each sha2 once, in order of first mention, optional
// only where every attachment with it has a fileUrl.
func TestAttachmentRefs(t *testing.T) {
	const fileURL = `,"fileUrl":"https://a.se/f"`
	upper := strings.Replace(attachmentJSON("a", "text/plain", ""), sha256Hex("a"), strings.ToUpper(sha256Hex("a")), 1)
	recs := []StatementRecord{
		{ID: "1", Statement: []byte(withAttachmentsJSON(attachmentJSON("a", "text/plain", fileURL), attachmentJSON("b", "image/png", fileURL)))},
		{ID: "2", Statement: []byte(`{"actor":{"mbox":"mailto:a@b.se"}}`)},
		{ID: "3", Statement: []byte(withAttachmentsJSON(upper, attachmentJSON("c", "image/png", "")))},
		{ID: "4", Statement: []byte(`{"object":{"objectType":"SubStatement","attachments":[` + attachmentJSON("d", "text/plain", "") + `]}}`)},
	}
	got, err := attachmentRefs(recs)
	if err != nil {
		t.Fatal(err)
	}
	want := []AttachmentRef{
		{SHA2: sha256Hex("a"), ContentType: "text/plain"},
		{SHA2: sha256Hex("b"), ContentType: "image/png", Optional: true},
		{SHA2: sha256Hex("c"), ContentType: "image/png"},
		{SHA2: sha256Hex("d"), ContentType: "text/plain"},
	}
	if !slices.Equal(got, want) {
		t.Errorf("refs %+v\nwant %+v", got, want)
	}
}
