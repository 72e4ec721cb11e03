package httpapi

import (
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/yrkesresan/lrs/lrs"
)

// The alternate request syntax of xAPI 1.0.3 (Communication 1.3) lets browsers that can only
// send a POST without custom headers (and clients whose queries are too long for a URL) make
// any request: POST /xapi/...?method=PUT with an application/x-www-form-urlencoded body whose
// fields carry the headers, the query parameters and the content. xAPI 2.0 removed it.
// ServeHTTP rewrites such a request into the one it stands for before the engine routes it, so
// every resource supports it without knowing.

// altMethods are the methods an alternate request may stand for.
var altMethods = []string{http.MethodGet, http.MethodHead, http.MethodPut, http.MethodPost, http.MethodDelete}

// altHeaders are the headers an alternate request may send as form fields (Communication 1.3).
var altHeaders = []string{"Authorization", "X-Experience-API-Version", "Content-Type", "Content-Length", "If-Match", "If-None-Match"}

// isAlternate reports whether r uses the alternate request syntax. Preflights pass: a browser
// sends them for whatever URL it is about to call, and the cors middleware answers them.
func isAlternate(r *http.Request) bool {
	return strings.HasPrefix(r.URL.Path, XAPIPath+"/") && r.Method != http.MethodOptions &&
		r.URL.Query().Has("method")
}

// serveAlternate serves the request an alternate request stands for, or refuses it.
func (a *API) serveAlternate(w http.ResponseWriter, r *http.Request) {
	alt, version, err := a.rewrite(w, r)
	if err != nil {
		a.refuse(w, r, version, err)
		return
	}
	if alt.Method == http.MethodHead {
		w = headWriter{w}
	}
	a.engine.ServeHTTP(w, alt)
}

// rewrite builds the request an alternate request stands for. On error it also returns the
// version to state in the refusal: the request's if it names a supported one, else the default.
func (a *API) rewrite(w http.ResponseWriter, r *http.Request) (*http.Request, string, error) {
	version, _ := a.statedVersion(r.Header.Get("X-Experience-API-Version"))
	query, err := url.ParseQuery(r.URL.RawQuery)
	method := query.Get("method")
	switch {
	case r.Method != http.MethodPost:
		return nil, version, badRequest("a request with the method parameter (alternate request syntax) must be a POST")
	case err != nil || len(query) != 1 || len(query["method"]) != 1:
		return nil, version, badRequest("an alternate request (method parameter) takes no other query parameter; send them as form fields")
	case !slices.Contains(altMethods, method):
		return nil, version, badRequest(fmt.Sprintf("method %q is not one of %s", method, strings.Join(altMethods, ", ")))
	}
	// The spec asks for application/x-www-form-urlencoded (SHOULD*), but IE's XDomainRequest,
	// which the syntax exists for, sends text/plain or no Content-Type; the body is a form anyway.
	if ct := r.Header.Get("Content-Type"); ct != "" {
		if mt, _, _ := mime.ParseMediaType(ct); mt != "application/x-www-form-urlencoded" && mt != "text/plain" {
			return nil, version, badRequest("an alternate request (method parameter) must have Content-Type application/x-www-form-urlencoded, text/plain or none")
		}
	}
	// As limitBody does for every other request, which this one only reaches after being read.
	_ = http.NewResponseController(w).SetReadDeadline(time.Now().Add(a.cfg.BodyTimeout))
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, a.cfg.MaxBodyBytes))
	if err != nil {
		return nil, version, bodyError(err)
	}
	form, err := url.ParseQuery(string(body))
	if err != nil {
		return nil, version, badRequest(fmt.Sprintf("the body is not a valid form: %v", err))
	}

	// Header fields override the HTTP headers of the same name; the rest of the form (but
	// content) is the query.
	headers := http.Header{}
	for name, vals := range form {
		i := slices.IndexFunc(altHeaders, func(h string) bool { return strings.EqualFold(h, name) })
		if i < 0 {
			continue
		}
		if len(vals) > 1 || headers[altHeaders[i]] != nil {
			return nil, version, badRequest(fmt.Sprintf("form field %s is given more than once", altHeaders[i]))
		}
		headers[altHeaders[i]] = vals
		delete(form, name)
	}
	named := r.Header.Get("X-Experience-API-Version")
	if v, ok := headers["X-Experience-API-Version"]; ok {
		named = v[0]
	}
	// A missing or unsupported version is left to the engine, which refuses it as for any request.
	version, supported := a.statedVersion(named)
	if supported && version == lrs.Version200 {
		return nil, version, badRequest("the alternate request syntax (method parameter) was removed in xAPI 2.0")
	}
	// Any page can make a browser send this form POST cross-site without a preflight, and the
	// browser adds the Basic credentials it has cached for the LRS to the Authorization header.
	// A browser marks such a request with Origin; from a page, then, the credentials must be in
	// the form, which only their holder can put there. The browser clients the syntax exists for
	// cannot set headers anyway; other clients (no Origin) may use the header, as the spec allows.
	if r.Header.Get("Origin") != "" && headers.Get("Authorization") == "" {
		return nil, version, fmt.Errorf("%w: an alternate request (method parameter) from a web page must carry its credentials in the Authorization form field; the HTTP Authorization header is not used for it", lrs.ErrUnauthorized)
	}
	content, hasContent := form["content"]
	delete(form, "content")
	var c string
	if hasContent {
		c = content[0]
	}
	switch {
	case !hasContent && (method == http.MethodPut || method == http.MethodPost):
		return nil, version, badRequest(fmt.Sprintf("an alternate %s needs its content in the form field content", method))
	case len(content) > 1:
		return nil, version, badRequest("form field content is given more than once")
	case !utf8.ValidString(c):
		return nil, version, badRequest("form field content is not valid UTF-8")
	case headers["Content-Length"] != nil && headers["Content-Length"][0] != strconv.Itoa(len(c)):
		return nil, version, badRequest(fmt.Sprintf("form field Content-Length is %q but the content has %d bytes", headers["Content-Length"][0], len(c)))
	}

	alt := r.Clone(r.Context())
	alt.Method = method
	alt.URL.RawQuery = form.Encode()
	alt.RequestURI = alt.URL.RequestURI()
	// The HTTP Content-Type and Content-Length describe the form, not the content.
	alt.Header.Del("Content-Type")
	alt.Header.Del("Content-Length")
	for name, vals := range headers {
		alt.Header[http.CanonicalHeaderKey(name)] = vals
	}
	alt.Body, alt.ContentLength, alt.TransferEncoding = http.NoBody, 0, nil
	if hasContent {
		alt.Body, alt.ContentLength = io.NopCloser(strings.NewReader(c)), int64(len(c))
		alt.Header.Set("Content-Length", strconv.Itoa(len(c)))
		// The Content-Type field SHOULD name the content's type; clients commonly leave it out
		// for statements, which can only be JSON here (attachment data would need multipart).
		// Documents without it stay untyped, as they would in the usual syntax.
		if alt.Header.Get("Content-Type") == "" && alt.URL.Path == XAPIPath+"/statements" {
			alt.Header.Set("Content-Type", "application/json")
		}
	}
	return alt, version, nil
}

// statedVersion is the version a header names and true, or the configured default and false
// when it names no supported one.
func (a *API) statedVersion(header string) (string, bool) {
	if v, err := lrs.NegotiateVersion(header); err == nil {
		return v, true
	}
	return a.cfg.DefaultVersion, false
}

func badRequest(msg string) error { return fmt.Errorf("%w: %s", lrs.ErrBadRequest, msg) }

// refuse answers an alternate request that never reaches the engine with the API's error body,
// stating the version as the version middleware does on every xAPI response. A 401 here has no
// Basic challenge: a browser would answer it with the header, which this syntax does not use,
// and a page on another site could make it prompt the user for the LRS's credentials.
func (a *API) refuse(w http.ResponseWriter, r *http.Request, version string, err error) {
	code := Status(err)
	a.log.InfoContext(r.Context(), "alternate request refused", "status", code, "err", err)
	allowOrigin(w.Header(), r.Header.Get("Origin")) // browsers are this syntax's main users
	w.Header().Set("X-Experience-API-Version", version)
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(errorBody{Status: code, Error: err.Error()})
}

// headWriter drops the body of a HEAD that came as a POST: net/http drops it for real HEADs only.
// On the wire the response answers a POST, so a Content-Length must describe what is sent.
type headWriter struct{ http.ResponseWriter }

func (w headWriter) WriteHeader(code int) {
	w.Header().Del("Content-Length")
	w.ResponseWriter.WriteHeader(code)
}

func (w headWriter) Write(p []byte) (int, error) { return len(p), nil }

// Unwrap lets http.ResponseController reach the connection (the body read deadline).
func (w headWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
