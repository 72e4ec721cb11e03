package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"os"
	"unicode/utf8"

	"github.com/gin-gonic/gin"
	"github.com/yrkesresan/lrs/lrs"
	"github.com/yrkesresan/lrs/lrs/validate"
)

// postStatements stores one statement or an array of them and answers their ids
// (Communication 2.1.2).
func (a *API) postStatements(c *gin.Context) {
	if !a.require(c, lrs.ScopeStatementsWrite) || !a.onlyParams(c) {
		return
	}
	body, err := a.readStatements(c)
	if err != nil {
		a.fail(c, err)
		return
	}
	ids, err := a.svc.WriteStatements(c.Request.Context(), a.writeRequest(c, body, ""))
	if err != nil {
		a.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, ids)
}

// putStatement stores one statement under the statementId parameter (Communication 2.1.1).
func (a *API) putStatement(c *gin.Context) {
	if !a.require(c, lrs.ScopeStatementsWrite) || !a.onlyParams(c, "statementId") {
		return
	}
	id := c.Query("statementId")
	if id == "" {
		a.fail(c, fmt.Errorf("%w: PUT needs the statementId parameter", lrs.ErrBadRequest))
		return
	}
	if !validate.IsUUID(id) {
		a.fail(c, fmt.Errorf("%w: statementId %q is not a UUID", lrs.ErrBadRequest, id))
		return
	}
	body, err := a.readStatements(c)
	if err != nil {
		a.fail(c, err)
		return
	}
	if body.isArray {
		a.fail(c, fmt.Errorf("%w: PUT takes a single statement object, not an array", lrs.ErrBadRequest))
		return
	}
	if _, err := a.svc.WriteStatements(c.Request.Context(), a.writeRequest(c, body, id)); err != nil {
		a.fail(c, err)
		return
	}
	c.Status(http.StatusNoContent)
}

func (a *API) writeRequest(c *gin.Context, body statementsBody, putID string) lrs.WriteRequest {
	return lrs.WriteRequest{
		Statements:  body.statements,
		Version:     versionOf(c),
		Authority:   clientOf(c).Authority(a.cfg.BaseURL),
		StatementID: putID,
		Client:      clientOf(c),
		Define:      clientOf(c).Allows(lrs.ScopeDefine),
		Attachments: body.attachments,
	}
}

// statementsBody is the decoded body of a POST or PUT of statements.
type statementsBody struct {
	statements  []map[string]any
	isArray     bool                          // PUT refuses arrays, even of one
	attachments map[string]lrs.AttachmentData // multipart/mixed only
}

// readStatements reads the statements of an application/json body, or of the first part of a
// multipart/mixed body with the attachment data in the parts after it (Communication 1.5).
func (a *API) readStatements(c *gin.Context) (statementsBody, error) {
	ct := c.GetHeader("Content-Type")
	mt, params, err := mime.ParseMediaType(ct)
	var out statementsBody
	var body []byte
	switch {
	case ct == "":
		return out, fmt.Errorf("%w: Content-Type application/json (or multipart/mixed, for attachment data) is required", lrs.ErrBadRequest)
	case mt == "multipart/mixed":
		// A malformed parameter leaves params nil: readMixed then asks for the boundary.
		body, out.attachments, err = readMixed(c.Request.Body, params, a.cfg.MaxBodyBytes)
	case err != nil:
		return out, fmt.Errorf("%w: Content-Type %q cannot be parsed", lrs.ErrBadRequest, ct)
	case mt == "application/json":
		body, err = io.ReadAll(c.Request.Body)
		if err != nil {
			err = bodyError(err)
		}
	default:
		return out, fmt.Errorf("%w: Content-Type %s is not accepted; use application/json, or multipart/mixed for attachment data", lrs.ErrBadRequest, mt)
	}
	if err != nil {
		return out, err
	}
	out.statements, out.isArray, err = decodeStatements(body, versionOf(c))
	return out, err
}

// decodeStatements decodes JSON holding a statement object or an array of them; isArray tells
// which.
func decodeStatements(body []byte, version string) (sts []map[string]any, isArray bool, err error) {
	// encoding/json would silently replace invalid UTF-8, storing other text than was sent.
	if !utf8.Valid(body) {
		return nil, false, fmt.Errorf("%w: the statements are not valid UTF-8", lrs.ErrBadRequest)
	}
	if version == lrs.Version200 {
		if err := validate.UniqueKeys(body); err != nil {
			return nil, false, fmt.Errorf("%w: %v", lrs.ErrBadRequest, err)
		}
	}
	v, err := lrs.DecodeJSON(body)
	if err != nil {
		return nil, false, fmt.Errorf("%w: the statements are not valid JSON: %v", lrs.ErrBadRequest, err)
	}
	switch v := v.(type) {
	case map[string]any:
		return []map[string]any{v}, false, nil
	case []any:
		sts := make([]map[string]any, len(v))
		for i, el := range v {
			st, ok := el.(map[string]any)
			if !ok {
				return nil, true, fmt.Errorf("%w: element %d of the array is not a statement object", lrs.ErrBadRequest, i)
			}
			sts[i] = st
		}
		return sts, true, nil
	}
	return nil, false, fmt.Errorf("%w: the body must be a statement object or an array of statements", lrs.ErrBadRequest)
}

// bodyError classifies a failure to read the request body.
func bodyError(err error) error {
	var tooLarge *http.MaxBytesError
	switch {
	case errors.As(err, &tooLarge):
		return fmt.Errorf("%w: the limit is %d bytes", ErrTooLarge, tooLarge.Limit)
	case errors.Is(err, os.ErrDeadlineExceeded):
		return errTimeout
	}
	return fmt.Errorf("%w: reading the body: %v", lrs.ErrBadRequest, err)
}

// getStatements answers a single statement or a page of a query (Communication 2.1.3).
func (a *API) getStatements(c *gin.Context) {
	if !a.require(c, lrs.ScopeStatementsRead, lrs.ScopeStatementsReadMine) || !a.onlyParams(c, getParams...) {
		return
	}
	q, attachments, err := parseQuery(c.Request.URL.Query(), versionOf(c))
	if err != nil {
		a.fail(c, err)
		return
	}
	q.Languages = lrs.ParseAcceptLanguage(c.GetHeader("Accept-Language"))
	q.Attachments = attachments
	client := clientOf(c)
	if !client.Allows(lrs.ScopeStatementsRead) {
		q.Authority, _ = lrs.AgentKey(client.Authority(a.cfg.BaseURL))
	}
	single := q.StatementID != "" || q.VoidedStatementID != ""
	var res lrs.Result
	if single {
		res, err = a.svc.GetStatement(c.Request.Context(), q)
	} else {
		res, err = a.svc.QueryStatements(c.Request.Context(), q)
	}
	if err != nil {
		a.fail(c, err)
		return
	}
	if !res.LastModified.IsZero() {
		c.Header("Last-Modified", res.LastModified.UTC().Format(http.TimeFormat))
	}
	var body []byte
	if single {
		body = res.Statements[0]
	} else {
		body = a.statementResult(c, res)
	}
	if attachments {
		a.writeMixed(c, body, res.Attachments)
		return
	}
	c.Data(http.StatusOK, "application/json", body)
}

// consistentThrough sets X-Experience-API-Consistent-Through on every response of the statements
// resource, errors (400, 401, 404, 405) included. It is taken before the request runs: all stored
// up to then is visible to it.
func (a *API) consistentThrough(c *gin.Context) {
	if c.Request.URL.Path == XAPIPath+"/statements" {
		c.Header("X-Experience-API-Consistent-Through", lrs.FormatTime(a.svc.ConsistentThrough()))
	}
}

// statementResult encodes a StatementResult from the statements as they are, without decoding.
func (a *API) statementResult(c *gin.Context, res lrs.Result) []byte {
	var buf bytes.Buffer
	buf.WriteString(`{"statements":[`)
	for i, st := range res.Statements {
		if i > 0 {
			buf.WriteByte(',')
		}
		buf.Write(st)
	}
	buf.WriteString(`],"more":`)
	more, _ := json.Marshal(a.moreLink(c, res.Cursor))
	buf.Write(more)
	buf.WriteByte('}')
	return buf.Bytes()
}

// moreLink is the absolute path (with the base path) that continues the query, or "".
func (a *API) moreLink(c *gin.Context, cursor string) string {
	if cursor == "" {
		return ""
	}
	params := c.Request.URL.Query()
	params.Set(cursorParam, cursor)
	return a.basePath + "/statements?" + params.Encode()
}
