package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/gin-gonic/gin"
	"github.com/yrkesresan/lrs/lrs"
	"github.com/yrkesresan/lrs/scorm"
)

// scormAgainFile is the scorm-again build the player loads (both APIs, minified).
const scormAgainFile = "scorm-again.min.js"

// launch: GET /scorm/launch/:token. It starts a player session and redirects to the player,
// whose URL carries the session token.
func (h *Handler) launch(c *gin.Context) {
	tok, err := h.svc.StartSession(c.Request.Context(), c.Param("token"))
	if err != nil {
		h.page(c, err)
		return
	}
	c.Header("Cache-Control", "no-store")
	c.Redirect(http.StatusSeeOther, "/scorm/s/"+tok+"/")
}

// asset: GET /scorm/assets/:file, the player's own files and scorm-again.
func (h *Handler) asset(c *gin.Context) {
	name := c.Param("file")
	c.Header("Cache-Control", "no-cache")
	if name == scormAgainFile {
		f, err := os.Open(filepath.Join(h.cfg.WebDir, scormAgainFile))
		if err != nil {
			h.fail(c, errRuntimeMissing(h.cfg.WebDir))
			return
		}
		defer f.Close()
		st, err := f.Stat()
		if err != nil {
			h.fail(c, err)
			return
		}
		c.Header("Content-Type", "text/javascript; charset=utf-8")
		http.ServeContent(c.Writer, c.Request, name, st.ModTime(), f)
		return
	}
	if name != "player.js" && name != "player.css" {
		h.fail(c, errNoRoute)
		return
	}
	c.FileFromFS(name, h.cfg.Player)
}

// errRuntimeMissing explains a player that cannot run.
func errRuntimeMissing(dir string) error {
	return fmt.Errorf("%w: the SCORM runtime (scorm-again) is not installed: %s is missing. Run npm ci --prefix web, or point -scorm-web-dir (LRS_SCORM_WEB_DIR) at scorm-again's dist directory",
		lrs.ErrUnavailable, filepath.Join(dir, scormAgainFile))
}

// player: GET /scorm/s/:session/, the player page.
func (h *Handler) player(c *gin.Context) {
	if _, err := h.svc.OpenSession(c.Request.Context(), c.Param("session")); err != nil {
		h.page(c, err)
		return
	}
	if _, err := os.Stat(filepath.Join(h.cfg.WebDir, scormAgainFile)); err != nil {
		h.log.ErrorContext(c.Request.Context(), "scorm player unavailable", "err", errRuntimeMissing(h.cfg.WebDir))
		h.page(c, errRuntimeMissing(h.cfg.WebDir))
		return
	}
	f, err := h.cfg.Player.Open("index.html")
	if err != nil {
		h.fail(c, err)
		return
	}
	defer f.Close()
	c.Header("Cache-Control", "no-store")
	c.Header("Content-Type", "text/html; charset=utf-8")
	// The player runs only its own scripts; the content it frames has its own document and policy.
	c.Header("Content-Security-Policy", "default-src 'self'; frame-src *; img-src * data:; object-src 'none'; base-uri 'none'")
	c.Status(http.StatusOK)
	_, _ = io.Copy(c.Writer, f)
}

var pageTemplate = template.Must(template.New("page").Parse(`<!doctype html>
<html lang="en"><meta charset="utf-8"><title>Course unavailable</title>
<body style="font-family:sans-serif;max-width:40em;margin:3em auto"><h1>The course cannot be opened</h1><p>{{.}}</p></body></html>`))

// page answers a learner's browser with an HTML page: the error, in words.
func (h *Handler) page(c *gin.Context, err error) {
	code := status(err)
	msg := err.Error()
	switch {
	case code == http.StatusServiceUnavailable && strings.Contains(msg, "scorm-again"):
		msg = "The course player is not installed on this server. Please tell the administrator. (" + msg + ")"
	case code >= 500:
		h.log.ErrorContext(c.Request.Context(), "request failed", "request_id", c.GetString(keyRequestID), "err", err)
		msg = "Something went wrong on the server (request id " + c.GetString(keyRequestID) + "). Please try again later."
	}
	var b bytes.Buffer
	_ = pageTemplate.Execute(&b, msg)
	c.Header("Cache-Control", "no-store")
	c.Data(code, "text/html; charset=utf-8", b.Bytes())
	c.Abort()
}

// sessionView is what the player shows: the course, its items and where to start.
type sessionView struct {
	Title        string         `json:"title"`
	SCORM        scorm.Version  `json:"scorm"`
	Registration string         `json:"registration"`
	Controls     scorm.Controls `json:"controls"` // of the organization's own children
	Items        []scorm.Item   `json:"items"`
	Start        string         `json:"start"`
	Completed    []string       `json:"completed"` // SCOs completed in some attempt
}

// session: GET /scorm/s/:session/session.
func (h *Handler) session(c *gin.Context) {
	sess, err := h.svc.OpenSession(c.Request.Context(), c.Param("session"))
	if err != nil {
		h.fail(c, err)
		return
	}
	st, err := h.svc.Status(c.Request.Context(), sess.Registration)
	if err != nil {
		h.fail(c, err)
		return
	}
	m := sess.Version.Manifest
	v := sessionView{Title: m.Title, SCORM: m.Version, Registration: sess.Registration.ID, Controls: m.Controls,
		Items: m.Items, Completed: []string{}}
	// Start where the learner suspended, else at the first SCO not completed, else at the first
	// launchable item.
	suspended, open := "", ""
	for _, s := range st {
		if s.Completed {
			v.Completed = append(v.Completed, s.Item)
		}
		if s.Suspended && s.LastUpdate > suspended {
			v.Start, suspended = s.Item, s.LastUpdate
		}
		if !s.Completed && open == "" {
			open = s.Item
		}
	}
	if v.Start == "" {
		v.Start = open
	}
	if v.Start == "" {
		for _, it := range m.Items {
			if it.Launch != "" {
				v.Start = it.ID
				break
			}
		}
	}
	c.Header("Cache-Control", "no-store")
	c.JSON(http.StatusOK, v)
}

// sco: GET /scorm/s/:session/sco/:item, the launch of an item.
func (h *Handler) sco(c *gin.Context) {
	sess, err := h.svc.OpenSession(c.Request.Context(), c.Param("session"))
	if err != nil {
		h.fail(c, err)
		return
	}
	l, err := h.svc.Launch(c.Request.Context(), sess, c.Param("item"))
	if err != nil {
		h.fail(c, err)
		return
	}
	c.Header("Cache-Control", "no-store")
	c.JSON(http.StatusOK, l)
}

// runtime: POST /scorm/s/:session/sco/:item/runtime, an event of the SCO's runtime. The player
// sends application/json from XMLHttpRequest, and text/plain from navigator.sendBeacon for the
// final commit (a beacon cannot set headers or send JSON without a preflight). The answer is what
// scorm-again expects: {"result": true, "errorCode": 0}, with "dropped" listing the elements whose
// values were not taken (the rest of the commit is applied).
func (h *Handler) runtime(c *gin.Context) {
	switch lrs.MediaType(c.GetHeader("Content-Type")) {
	case "application/json", "text/plain", "":
	default:
		h.fail(c, fmt.Errorf("%w: send the runtime event as JSON (application/json or text/plain)", errMediaType))
		return
	}
	sess, err := h.svc.OpenSession(c.Request.Context(), c.Param("session"))
	if err != nil {
		h.fail(c, err)
		return
	}
	b, err := io.ReadAll(http.MaxBytesReader(c.Writer, c.Request.Body, maxRuntimeBody))
	if err != nil {
		h.fail(c, err)
		return
	}
	var ev scorm.RuntimeEvent
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&ev); err != nil {
		h.fail(c, fmt.Errorf("%w: the body is not a runtime event: %v", lrs.ErrBadRequest, err))
		return
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		h.fail(c, fmt.Errorf("%w: data after the JSON object", lrs.ErrBadRequest))
		return
	}
	dropped, err := h.svc.RuntimeReport(c.Request.Context(), sess, c.Param("item"), ev)
	if err != nil {
		h.fail(c, err)
		return
	}
	// Elements the server could not take do not fail the commit (the SCO was told they were set;
	// refusing would lose the rest of its data): they are listed, and logged by the service.
	body := gin.H{"result": true, "errorCode": 0}
	if len(dropped) > 0 {
		body["dropped"] = dropped
	}
	c.JSON(http.StatusOK, body)
}

// content: GET/HEAD /scorm/s/:session/content/*path, a file of the registration's package
// version, with Range support (media seeking) and a strong ETag (the file's SHA-256).
func (h *Handler) content(c *gin.Context) {
	sess, err := h.svc.OpenSession(c.Request.Context(), c.Param("session"))
	if err != nil {
		h.fail(c, err)
		return
	}
	p := path.Clean(strings.TrimPrefix(c.Param("path"), "/"))
	f, ok := sess.Version.Files[p]
	if !ok {
		h.fail(c, fmt.Errorf("%w: the package has no file %s", lrs.ErrNotFound, p))
		return
	}
	rs := newBlobSeeker(c.Request.Context(), h.svc, f)
	defer rs.Close()
	hd := c.Writer.Header()
	hd.Set("Content-Type", f.Type)
	hd.Set("ETag", `"`+f.SHA256+`"`)
	// Private: the URL holds the learner's session.
	hd.Set("Cache-Control", "private, max-age=3600")
	http.ServeContent(c.Writer, c.Request, "", sess.Version.Created, rs)
	if rs.err != nil && !errors.Is(rs.err, io.EOF) {
		h.log.ErrorContext(c.Request.Context(), "content not served", "request_id", c.GetString(keyRequestID), "err", rs.err)
	}
}
