package lrs

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/yrkesresan/lrs/lrs/validate"
)

// AttachmentData is the raw data of an attachment sent with its statements: a part of a
// multipart/mixed request (Communication 1.5.2), with what the part's header declared about it.
type AttachmentData struct {
	Data        []byte
	ContentType string // the part's Content-Type; "" when it gave none
	// Sized: the part gave a Content-Length (equal to len(Data)), so the attachment's "length"
	// must match it. Without one, "length" is the sender's word: the spec matches parameters and
	// properties only where both are given.
	Sized bool
}

// checkAttachments matches the attachments of one statement, and of its SubStatement, with the
// data sent along, keyed by lower-case hex SHA-256 (Communication 1.5.2): an attachment without
// fileUrl needs data with its sha2; where a part declared a Content-Type or Content-Length, they
// must agree with the attachment's contentType and length. A signature (Data 2.6) needs its JWS
// in the request even with a fileUrl, since the LRS must verify it. It records in used the sums
// the statement refers to.
func checkAttachments(st map[string]any, data map[string]AttachmentData, used map[string]bool) error {
	var problems []validate.Problem
	check := func(prefix string, atts any) {
		for i, v := range listOf(atts) {
			a := mapOf(v)
			path := fmt.Sprintf("%sattachments[%d]", prefix, i)
			sha2, _ := a["sha2"].(string)
			sum := strings.ToLower(sha2)
			// Only the statement's own signatures: a SubStatement is signed, if at all, as part
			// of the statement.
			signature := prefix == "" && a["usageType"] == UsageSignature
			d, sent := data[sum]
			if !sent {
				_, hasURL := a["fileUrl"]
				switch {
				case signature:
					problems = append(problems, validate.Problem{Path: path + ".sha2",
						Rule: "has no data in the request: a signature's JWS must come in a multipart/mixed part whose X-Experience-API-Hash is its sha2"})
				case !hasURL:
					problems = append(problems, validate.Problem{Path: path + ".sha2",
						Rule: "has no data in the request: an attachment without fileUrl needs a multipart/mixed part whose X-Experience-API-Hash is its sha2"})
				}
				continue
			}
			used[sum] = true
			if signature {
				problems = append(problems, signatureProblems(path, checkSignature(st, d.Data))...)
			}
			if ct, _ := a["contentType"].(string); d.ContentType != "" && MediaType(ct) != MediaType(d.ContentType) {
				problems = append(problems, validate.Problem{Path: path + ".contentType",
					Rule: fmt.Sprintf("must match the Content-Type %q of the part with its data", d.ContentType)})
			}
			if n, _ := a["length"].(json.Number); d.Sized && !sameNumber(n, json.Number(strconv.Itoa(len(d.Data)))) {
				problems = append(problems, validate.Problem{Path: path + ".length",
					Rule: fmt.Sprintf("must match the Content-Length %d of the part with its data", len(d.Data))})
			}
		}
	}
	check("", st["attachments"])
	if obj := mapOf(st["object"]); objectType(obj) == "SubStatement" {
		check("object.", obj["attachments"])
	}
	if len(problems) > 0 {
		return &validate.Error{Problems: problems}
	}
	return nil
}

// signatureProblems turns the outcome of checkSignature into problems of the attachment at path.
func signatureProblems(path string, err error) []validate.Problem {
	var ve *validate.Error
	switch {
	case err == nil:
		return nil
	case errors.As(err, &ve):
		return ve.Problems
	}
	return []validate.Problem{{Path: path, Rule: err.Error()}}
}

// unusedAttachment refuses data no attachment of the request refers to (Communication 1.5.2: each
// part after the first is the data of an attachment).
func unusedAttachment(data map[string]AttachmentData, used map[string]bool) error {
	for _, sum := range slices.Sorted(maps.Keys(data)) {
		if !used[sum] {
			return fmt.Errorf("%w: the part with X-Experience-API-Hash %s is the data of no attachment of the statements", ErrBadRequest, sum)
		}
	}
	return nil
}

// putAttachments stores the data of a request's attachments, before any of its statements, so an
// acknowledged statement never lacks its data. A write refused later leaves them stored: blobs are
// shared by content with other statements, so they cannot be taken back safely.
func (s *Service) putAttachments(ctx context.Context, data map[string]AttachmentData) error {
	for sum, d := range data {
		if err := s.store.PutBlob(ctx, sum, bytes.NewReader(d.Data)); err != nil {
			return fmt.Errorf("store attachment data %s: %w", sum, err)
		}
	}
	return nil
}

// AttachmentRef is the data of attachments of statements being returned, once per sha2.
type AttachmentRef struct {
	SHA2        string // lower-case
	ContentType string // the contentType of the first attachment with this sha2
	// Optional: every attachment with this sha2 has a fileUrl, so the LRS may not hold the data.
	// Data without a fileUrl was stored before its statement was acknowledged.
	Optional bool
}

// attachmentRefs lists the attachment data of the statements, in order of first mention, each
// sha2 once (Communication 1.5.2: one copy of data that several statements share).
func attachmentRefs(recs []StatementRecord) ([]AttachmentRef, error) {
	var refs []AttachmentRef
	index := map[string]int{}
	add := func(atts any) {
		for _, v := range listOf(atts) {
			a := mapOf(v)
			sha2, _ := a["sha2"].(string)
			ct, _ := a["contentType"].(string)
			_, hasURL := a["fileUrl"]
			sum := strings.ToLower(sha2)
			if i, ok := index[sum]; ok {
				refs[i].Optional = refs[i].Optional && hasURL
				continue
			}
			index[sum] = len(refs)
			refs = append(refs, AttachmentRef{SHA2: sum, ContentType: ct, Optional: hasURL})
		}
	}
	for _, r := range recs {
		if !bytes.Contains(r.Statement, []byte(`"attachments"`)) {
			continue // most statements have none: spare decoding them
		}
		st, err := decodeStatement(r.Statement)
		if err != nil {
			return nil, fmt.Errorf("decode stored statement %s: %w", r.ID, err)
		}
		add(st["attachments"])
		if obj := mapOf(st["object"]); objectType(obj) == "SubStatement" {
			add(obj["attachments"])
		}
	}
	return refs, nil
}

// AttachmentData opens the stored data with the lower-case hex SHA-256 sum, or returns an error
// wrapping ErrNotFound.
func (s *Service) AttachmentData(ctx context.Context, sum string) (io.ReadCloser, error) {
	rc, err := s.store.Blob(ctx, sum)
	if err != nil {
		return nil, fmt.Errorf("attachment data %s: %w", sum, err)
	}
	return rc, nil
}
