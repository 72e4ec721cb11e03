package httpapi

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"
	"github.com/yrkesresan/lrs/lrs"
)

// Headers of the attachment parts of a multipart/mixed statements body (Communication 1.5.2).
const (
	hashHeader     = "X-Experience-API-Hash"
	encodingHeader = "Content-Transfer-Encoding"
)

// readMixed reads a multipart/mixed statements request (Communication 1.5.2) of at most limit
// bytes: params are those of its Content-Type. It returns the first part, which holds the
// statements, and the data of the parts after it by lower-case hex SHA-256. It checks what the
// body alone can tell: the first part is application/json; every later part has
// Content-Transfer-Encoding binary, and an X-Experience-API-Hash that is the SHA-256 of its data;
// a declared Content-Length is the data's. Matching the data with the statements' attachments is
// the core's (lrs.WriteRequest).
func readMixed(r io.Reader, params map[string]string, limit int64) (_ []byte, _ map[string]lrs.AttachmentData, err error) {
	boundary := params["boundary"]
	if boundary == "" {
		return nil, nil, badRequest("Content-Type multipart/mixed needs a boundary parameter")
	}
	if len(boundary) > 70 { // RFC 2046 5.1.1
		return nil, nil, badRequest("the multipart boundary is longer than 70 characters")
	}
	cr := &cappedReader{r: r, left: limit, limit: limit}
	defer func() {
		// A body cut short (too large, too slow) can look malformed before the parser reports
		// the reader's error: the reader's error is the one to answer.
		if err != nil && cr.err != nil {
			err = bodyError(cr.err)
		}
	}()
	mr := multipart.NewReader(cr, boundary)
	// NextRawPart, not NextPart: NextPart would decode quoted-printable behind our back and drop
	// the Content-Transfer-Encoding header that tells us it was sent.
	first, err := mr.NextRawPart()
	if errors.Is(err, io.EOF) {
		return nil, nil, badRequest("the multipart body has no parts: the first part must hold the statements")
	}
	if err != nil {
		return nil, nil, malformed(err)
	}
	if ct := first.Header.Get("Content-Type"); lrs.MediaType(ct) != "application/json" {
		return nil, nil, badRequest(fmt.Sprintf("the first part must have Content-Type application/json (it holds the statements), not %q", ct))
	}
	statements, err := io.ReadAll(first)
	if err != nil {
		return nil, nil, malformed(err)
	}
	data := map[string]lrs.AttachmentData{}
	for n := 2; ; n++ {
		p, err := mr.NextRawPart()
		if errors.Is(err, io.EOF) {
			return statements, data, nil
		}
		if err != nil {
			return nil, nil, malformed(err)
		}
		sum, d, err := readAttachmentPart(n, p.Header, p)
		if err != nil {
			return nil, nil, err
		}
		if prev, dup := data[sum]; dup {
			// The same data twice (a client need not send one copy only): its declarations must agree.
			if d.ContentType != "" && prev.ContentType != "" && lrs.MediaType(d.ContentType) != lrs.MediaType(prev.ContentType) {
				return nil, nil, badRequest(fmt.Sprintf("part %d: the data with X-Experience-API-Hash %s came before as %q, now as %q",
					n, sum, prev.ContentType, d.ContentType))
			}
			d.Sized = d.Sized || prev.Sized
			if d.ContentType == "" {
				d.ContentType = prev.ContentType
			}
		}
		data[sum] = d
	}
}

// readAttachmentPart reads part n, one after the statements, and checks its header against its
// data.
func readAttachmentPart(n int, h textproto.MIMEHeader, body io.Reader) (string, lrs.AttachmentData, error) {
	var d lrs.AttachmentData
	bad := func(msg string) error { return badRequest(fmt.Sprintf("part %d: %s", n, msg)) }
	hash := strings.ToLower(h.Get(hashHeader))
	ct := h.Get("Content-Type")
	switch enc := h.Get(encodingHeader); {
	case hash == "" && lrs.MediaType(ct) == "application/json":
		return "", d, bad("an application/json part without " + hashHeader + ": all statements belong in the first part; the parts after it are attachment data")
	case hash == "":
		return "", d, bad("no " + hashHeader + " header: each part after the statements must name the SHA-256 of its data")
	case !isSHA256(hash):
		return "", d, bad(fmt.Sprintf("%s %q is not a SHA-256 (64 hex digits); this LRS takes attachment data identified by SHA-256", hashHeader, hash))
	case enc == "":
		return "", d, bad("no " + encodingHeader + " header: attachment data must be sent, and declared, binary")
	case !strings.EqualFold(enc, "binary"):
		return "", d, bad(fmt.Sprintf("%s %q: attachment data must be sent binary", encodingHeader, enc))
	case ct != "" && lrs.MediaType(ct) == "":
		return "", d, bad(fmt.Sprintf("Content-Type %q cannot be parsed", ct))
	}
	b, err := io.ReadAll(body)
	if err != nil {
		return "", d, malformed(err)
	}
	sum := sha256.Sum256(b)
	if got := hex.EncodeToString(sum[:]); got != hash {
		return "", d, bad(fmt.Sprintf("the data hash to %s, not to its %s %s", got, hashHeader, hash))
	}
	if cl := h.Get("Content-Length"); cl != "" {
		if declared, err := strconv.ParseInt(cl, 10, 64); err != nil || declared != int64(len(b)) {
			return "", d, bad(fmt.Sprintf("Content-Length %q, but the data are %d bytes", cl, len(b)))
		}
		d.Sized = true
	}
	d.Data, d.ContentType = b, ct
	return hash, d, nil
}

func isSHA256(s string) bool {
	if len(s) != sha256.Size*2 {
		return false
	}
	_, err := hex.DecodeString(s)
	return err == nil
}

// malformed is a failure of the multipart parser; readMixed replaces it with the reader's own
// error where there is one.
func malformed(err error) error { return badRequest("malformed multipart body: " + err.Error()) }

// cappedReader delivers at most left bytes and fails if there are more, so readMixed bounds its
// memory without relying on its caller. It keeps the first error of the underlying reader.
type cappedReader struct {
	r           io.Reader
	left, limit int64
	err         error
}

func (c *cappedReader) Read(p []byte) (int, error) {
	if c.left <= 0 {
		var probe [1]byte
		n, err := c.r.Read(probe[:])
		if n > 0 {
			err = &http.MaxBytesError{Limit: c.limit}
		}
		return 0, c.keep(err)
	}
	if int64(len(p)) > c.left {
		p = p[:c.left]
	}
	n, err := c.r.Read(p)
	c.left -= int64(n)
	return n, c.keep(err)
}

func (c *cappedReader) keep(err error) error {
	if err != nil && err != io.EOF && c.err == nil {
		c.err = err
	}
	return err
}

// writeMixed answers attachments=true (Communication 2.1.3): multipart/mixed with the statements
// first, then the data of each attachment once (Communication 1.5.2), streamed from the store.
func (a *API) writeMixed(c *gin.Context, statements []byte, refs []lrs.AttachmentRef) {
	ctx := c.Request.Context()
	head := c.Request.Method == http.MethodHead
	var held []lrs.AttachmentRef
	if !head {
		var err error
		if held, err = a.heldAttachments(ctx, refs); err != nil {
			a.fail(c, err)
			return
		}
	}
	mw := multipart.NewWriter(c.Writer)
	c.Header("Content-Type", "multipart/mixed; boundary="+mw.Boundary())
	c.Status(http.StatusOK)
	if head {
		return
	}
	err := writePart(mw, textproto.MIMEHeader{"Content-Type": {"application/json"}}, bytes.NewReader(statements))
	for _, ref := range held {
		if err != nil {
			break
		}
		err = a.writeAttachmentPart(ctx, mw, ref)
	}
	if err == nil {
		err = mw.Close()
	}
	if err != nil {
		// The status is sent: cutting the response short is the only way left to tell the
		// client it is incomplete.
		a.log.WarnContext(ctx, "attachments response cut short", "request_id", requestID(c), "err", err)
		panic(http.ErrAbortHandler)
	}
}

// heldAttachments returns the refs whose data the store holds. It checks before anything is sent,
// so that missing data is an error status rather than a response cut short; data of fileUrl
// attachments that never reached the LRS is simply left out.
func (a *API) heldAttachments(ctx context.Context, refs []lrs.AttachmentRef) ([]lrs.AttachmentRef, error) {
	var held []lrs.AttachmentRef
	for _, ref := range refs {
		rc, err := a.svc.AttachmentData(ctx, ref.SHA2)
		switch {
		case err == nil:
			rc.Close()
			held = append(held, ref)
		case errors.Is(err, lrs.ErrNotFound) && ref.Optional:
		case errors.Is(err, lrs.ErrNotFound):
			// %v: data lost is the server's fault (500), not a 404 for the client.
			return nil, fmt.Errorf("the data of attachment %s is missing from the store: %v", ref.SHA2, err)
		default:
			return nil, err
		}
	}
	return held, nil
}

// writeAttachmentPart streams the data of one attachment as a part of the response.
func (a *API) writeAttachmentPart(ctx context.Context, mw *multipart.Writer, ref lrs.AttachmentRef) error {
	rc, err := a.svc.AttachmentData(ctx, ref.SHA2)
	if err != nil {
		return err
	}
	defer rc.Close()
	return writePart(mw, textproto.MIMEHeader{
		"Content-Type": {partContentType(ref.ContentType)},
		encodingHeader: {"binary"},
		hashHeader:     {ref.SHA2},
	}, rc)
}

func writePart(mw *multipart.Writer, h textproto.MIMEHeader, r io.Reader) error {
	w, err := mw.CreatePart(h)
	if err != nil {
		return err
	}
	_, err = io.Copy(w, r)
	return err
}

// partContentType is the attachment's contentType re-encoded, so that whatever a statement holds
// cannot add lines to the part's header; application/octet-stream when it is no media type.
func partContentType(ct string) string {
	mt, params, err := mime.ParseMediaType(ct)
	if err != nil {
		return "application/octet-stream"
	}
	if f := mime.FormatMediaType(mt, params); f != "" {
		return f
	}
	return "application/octet-stream"
}
