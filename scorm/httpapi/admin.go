package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/yrkesresan/lrs/lrs"
	"github.com/yrkesresan/lrs/scorm"
)

// packageView is a package version as the admin API shows it.
type packageView struct {
	ID         string        `json:"id"`
	Identifier string        `json:"identifier"`
	Title      string        `json:"title"`
	SCORM      scorm.Version `json:"scorm"`
	Version    int           `json:"version"`
	CourseIRI  string        `json:"courseIri"`
	Created    time.Time     `json:"created"`
	ZipSHA256  string        `json:"zipSha256"`
	ZipSize    int64         `json:"zipSize"`
	Files      int           `json:"files"`
	Items      []itemView    `json:"items"`
}

type itemView struct {
	ID      string `json:"id"`
	Title   string `json:"title"`
	Parent  string `json:"parent,omitempty"`
	Depth   int    `json:"depth"`
	Launch  string `json:"launch,omitempty"`
	SCO     bool   `json:"sco"`
	IRI     string `json:"iri,omitempty"` // SCOs: the activity IRI of their statements
	Visible bool   `json:"visible"`
}

func viewOf(p scorm.Package, pv *scorm.PackageVersion) packageView {
	v := packageView{ID: p.ID, Identifier: p.Identifier, Title: pv.Manifest.Title, SCORM: pv.Manifest.Version,
		Version: pv.Version, CourseIRI: pv.CourseIRI, Created: pv.Created, ZipSHA256: pv.ZipSHA256,
		ZipSize: pv.ZipSize, Files: len(pv.Files)}
	for _, it := range pv.Manifest.Items {
		iv := itemView{ID: it.ID, Title: it.Title, Parent: it.Parent, Depth: it.Depth, Launch: it.Launch, SCO: it.SCO, Visible: it.Visible}
		if it.SCO {
			iv.IRI = pv.SCOIRI(it.ID)
		}
		v.Items = append(v.Items, iv)
	}
	return v
}

// importPackage: POST /scorm/packages with the zip as the body (Content-Type application/zip).
// 201 with the new version; 200 when the latest version is this very zip.
func (h *Handler) importPackage(c *gin.Context) {
	switch lrs.MediaType(c.GetHeader("Content-Type")) {
	case "application/zip", "application/x-zip-compressed", "application/octet-stream":
	default:
		// A cross-site form cannot send these types, so the import cannot be forged.
		h.fail(c, fmt.Errorf("%w: send the package zip as the body with Content-Type application/zip", errMediaType))
		return
	}
	max := h.svc.Config().Limits.MaxUploadBytes
	if c.Request.ContentLength > max {
		h.fail(c, fmt.Errorf("%w (%d MiB)", scorm.ErrTooLarge, max>>20))
		return
	}
	_ = http.NewResponseController(c.Writer).SetReadDeadline(time.Now().Add(importTimeout))
	body := http.MaxBytesReader(c.Writer, c.Request.Body, max)
	res, err := h.svc.Import(c.Request.Context(), body, nil)
	if err != nil {
		h.fail(c, err)
		return
	}
	code := http.StatusCreated
	if !res.Created {
		code = http.StatusOK
	}
	c.JSON(code, viewOf(res.Package, res.Version))
}

// listPackages: GET /scorm/packages, the latest version of each.
func (h *Handler) listPackages(c *gin.Context) {
	ids, err := h.svc.Packages(c.Request.Context())
	if err != nil {
		h.fail(c, err)
		return
	}
	out := []packageView{}
	for _, id := range ids {
		p, pv, err := h.svc.Package(c.Request.Context(), id, 0)
		if err == nil {
			out = append(out, viewOf(p, pv))
		} else if !isNotFound(err) { // a package whose first import stopped half-way has no version
			h.fail(c, err)
			return
		}
	}
	c.JSON(http.StatusOK, gin.H{"packages": out})
}

// getPackage: GET /scorm/packages/:id[?version=N].
func (h *Handler) getPackage(c *gin.Context) {
	v := 0
	if s := c.Query("version"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			h.fail(c, fmt.Errorf("%w: version must be a positive number", lrs.ErrBadRequest))
			return
		}
		v = n
	}
	p, pv, err := h.svc.Package(c.Request.Context(), c.Param("id"), v)
	if err != nil {
		h.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, viewOf(p, pv))
}

// registrationView is a registration with its course IRI and, when asked for, a launch link.
type registrationView struct {
	scorm.Registration
	CourseIRI     string            `json:"courseIri"`
	LaunchURL     string            `json:"launchUrl,omitempty"`
	LaunchExpires *time.Time        `json:"launchExpires,omitempty"`
	SCOs          []scorm.SCOStatus `json:"scos,omitempty"`
}

type launchRequest struct {
	// TTL is how long the launch link stays valid, in seconds (default 3600).
	TTL int64 `json:"launchTtl"`
}

// createRegistration: POST /scorm/registrations {"package", "agent", "registration"?,
// "version"?, "launchTtl"?}. 201 with a launch link; 200 for a registration that exists.
func (h *Handler) createRegistration(c *gin.Context) {
	var req struct {
		scorm.RegistrationRequest
		launchRequest
	}
	if err := decodeJSON(c, &req); err != nil {
		h.fail(c, err)
		return
	}
	reg, created, err := h.svc.CreateRegistration(c.Request.Context(), req.RegistrationRequest)
	if err != nil {
		h.fail(c, err)
		return
	}
	view, err := h.withLaunch(c, reg, req.TTL)
	if err != nil {
		h.fail(c, err)
		return
	}
	code := http.StatusCreated
	if !created {
		code = http.StatusOK
	}
	c.JSON(code, view)
}

func (h *Handler) withLaunch(c *gin.Context, reg scorm.Registration, ttl int64) (registrationView, error) {
	pv, err := h.svc.Version(c.Request.Context(), reg.Package, reg.Version)
	if err != nil {
		return registrationView{}, err
	}
	u, exp, err := h.svc.LaunchURL(reg.ID, time.Duration(ttl)*time.Second)
	if err != nil {
		return registrationView{}, err
	}
	return registrationView{Registration: reg, CourseIRI: pv.CourseIRI, LaunchURL: u, LaunchExpires: &exp}, nil
}

// getRegistration: GET /scorm/registrations/:id, with the learner's progress per SCO.
func (h *Handler) getRegistration(c *gin.Context) {
	reg, err := h.svc.Registration(c.Request.Context(), c.Param("id"))
	if err != nil {
		h.fail(c, err)
		return
	}
	pv, err := h.svc.Version(c.Request.Context(), reg.Package, reg.Version)
	if err != nil {
		h.fail(c, err)
		return
	}
	scos, err := h.svc.Status(c.Request.Context(), reg)
	if err != nil {
		h.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, registrationView{Registration: reg, CourseIRI: pv.CourseIRI, SCOs: scos})
}

// newLaunch: POST /scorm/registrations/:id/launch [{"launchTtl": seconds}], a fresh launch link.
func (h *Handler) newLaunch(c *gin.Context) {
	var req launchRequest
	if c.Request.ContentLength != 0 {
		if err := decodeJSON(c, &req); err != nil {
			h.fail(c, err)
			return
		}
	}
	reg, err := h.svc.Registration(c.Request.Context(), c.Param("id"))
	if err != nil {
		h.fail(c, err)
		return
	}
	view, err := h.withLaunch(c, reg, req.TTL)
	if err != nil {
		h.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"launchUrl": view.LaunchURL, "launchExpires": view.LaunchExpires})
}

// decodeJSON reads an application/json body strictly: one object, known fields only.
func decodeJSON(c *gin.Context, v any) error {
	if lrs.MediaType(c.GetHeader("Content-Type")) != "application/json" {
		// Only JSON: a cross-site form cannot send it, so these requests cannot be forged.
		return fmt.Errorf("%w: send a JSON body with Content-Type application/json", errMediaType)
	}
	b, err := io.ReadAll(http.MaxBytesReader(c.Writer, c.Request.Body, maxJSONBody))
	if err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("%w: the body is not the expected JSON: %v", lrs.ErrBadRequest, err)
	}
	// Decoder.More would let a stray '}' through: only the end of the input may follow.
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return fmt.Errorf("%w: data after the JSON object", lrs.ErrBadRequest)
	}
	return nil
}

func isNotFound(err error) bool { return errors.Is(err, lrs.ErrNotFound) }
