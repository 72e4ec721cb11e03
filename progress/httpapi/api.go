// Package httpapi serves Yrkesresan's progress API under /api: municipalities, the catalog, the
// learner directory, reports (JSON and CSV) and rebuilds. Credentials are the LRS's API clients
// (HTTP Basic); what a report covers is the client's organisation (lrs.Client.Org).
package httpapi

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/yrkesresan/lrs/lrs"
	xapihttp "github.com/yrkesresan/lrs/lrs/httpapi"
	"github.com/yrkesresan/lrs/progress"
)

// Path is where the API is mounted.
const Path = "/api"

// Config tunes the API.
type Config struct {
	// MaxBodyBytes bounds a request body (a catalog, a directory file); default 64 MiB.
	MaxBodyBytes int64
	// Middleware runs first on every routed request (metrics).
	Middleware []gin.HandlerFunc
}

// API is the progress API; serve it as an http.Handler.
type API struct {
	cfg     Config
	tracker *progress.Tracker
	places  *progress.Places
	auth    *lrs.Authenticator
	log     *slog.Logger
	engine  *gin.Engine
}

// New returns the API over tracker.
func New(cfg Config, tracker *progress.Tracker, places *progress.Places, auth *lrs.Authenticator, log *slog.Logger) *API {
	if cfg.MaxBodyBytes <= 0 {
		cfg.MaxBodyBytes = 64 << 20
	}
	a := &API{cfg: cfg, tracker: tracker, places: places, auth: auth, log: log}
	a.engine = a.routes()
	return a
}

// ServeHTTP makes API an http.Handler.
func (a *API) ServeHTTP(w http.ResponseWriter, r *http.Request) { a.engine.ServeHTTP(w, r) }

// routes is the whole route table. Reading needs the progress/read scope (or all); changing the
// catalog or the directory, and rebuilding, need all.
func (a *API) routes() *gin.Engine {
	gin.SetMode(gin.ReleaseMode)
	e := gin.New()
	e.HandleMethodNotAllowed = true
	e.Use(a.cfg.Middleware...)
	e.Use(a.requestLog, a.recover, a.limitBody)
	e.NoRoute(func(c *gin.Context) { a.fail(c, fmt.Errorf("%w: no such resource", lrs.ErrNotFound)) })
	e.NoMethod(func(c *gin.Context) { a.fail(c, errNoMethod) })

	read := e.Group(Path, a.authenticate(lrs.ScopeProgressRead))
	read.GET("/municipalities", a.getMunicipalities)
	read.GET("/catalog", a.getCatalog)
	read.GET("/reports", a.getReport)

	admin := e.Group(Path, a.authenticate(lrs.ScopeAll))
	admin.PUT("/catalog", a.putCatalog)
	admin.GET("/directory", a.getDirectory)
	admin.POST("/directory", a.postDirectory)
	admin.POST("/progress/rebuild", a.postRebuild)
	return e
}

var errNoMethod = xapihttp.ErrNoMethod

const keyClient = "client"

// authenticate checks HTTP Basic credentials and the scope.
func (a *API) authenticate(scope lrs.Scope) gin.HandlerFunc {
	return func(c *gin.Context) {
		key, secret, ok := c.Request.BasicAuth()
		if !ok {
			a.fail(c, fmt.Errorf("%w: HTTP Basic credentials are required", lrs.ErrUnauthorized))
			return
		}
		client, err := a.auth.Authenticate(c.Request.Context(), key, secret)
		if err != nil {
			a.fail(c, err)
			return
		}
		if !client.Allows(scope) {
			a.fail(c, fmt.Errorf("%w: the credentials lack the scope %s", lrs.ErrForbidden, scope))
			return
		}
		c.Set(keyClient, client)
		c.Next()
	}
}

// org is the organisation of the request's credentials. Credentials with the all scope and no
// organisation are the operator's, and see the nation.
func (a *API) org(c *gin.Context) (progress.Org, error) {
	client := c.MustGet(keyClient).(lrs.Client)
	org, ok, err := a.places.ParseOrg(client.Org)
	switch {
	case err != nil:
		return org, fmt.Errorf("%w: the credentials' organisation: %v", lrs.ErrForbidden, err)
	case ok:
		return org, nil
	case client.Allows(lrs.ScopeAll):
		return progress.Org{Level: progress.National}, nil
	}
	return org, fmt.Errorf("%w: the credentials belong to no organisation; reports need credentials issued to a "+
		"municipality, a county or the national level (lrs clients create -org)", lrs.ErrForbidden)
}

func (a *API) getMunicipalities(c *gin.Context) {
	if !a.onlyParams(c) {
		return
	}
	c.JSON(http.StatusOK, gin.H{"municipalities": a.places.Municipalities, "counties": a.places.Counties})
}

func (a *API) getCatalog(c *gin.Context) {
	if !a.onlyParams(c) {
		return
	}
	c.JSON(http.StatusOK, a.tracker.Catalog())
}

// putCatalog replaces the catalog (YAML or JSON) and rebuilds the roll-ups under it.
func (a *API) putCatalog(c *gin.Context) {
	if !a.onlyParams(c) {
		return
	}
	body, err := a.body(c)
	if err != nil {
		a.fail(c, err)
		return
	}
	cat, err := progress.ParseCatalog(body)
	if err != nil {
		a.fail(c, err)
		return
	}
	stats, err := a.tracker.ApplyCatalog(c.Request.Context(), cat)
	if err != nil {
		a.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"rebuild": stats})
}

// postDirectory imports learner directory entries: text/csv (see progress.ParseDirectoryCSV) or
// a JSON array of {"agent": {...}, "municipality": "0180"}.
func (a *API) postDirectory(c *gin.Context) {
	if !a.onlyParams(c) {
		return
	}
	body, err := a.body(c)
	if err != nil {
		a.fail(c, err)
		return
	}
	var entries []progress.DirectoryEntry
	var lines []int
	switch mediaType(c) {
	case "text/csv":
		entries, lines, err = progress.ParseDirectoryCSV(bytes.NewReader(body))
	case "application/json":
		v, derr := lrs.DecodeJSON(body)
		if err = derr; err == nil {
			entries, err = directoryJSON(v)
		}
	default:
		err = fmt.Errorf("%w: send the directory as text/csv or application/json", lrs.ErrBadRequest)
	}
	if err != nil {
		a.fail(c, badRequest(err))
		return
	}
	n, err := a.tracker.ImportDirectory(c.Request.Context(), entries, lines)
	if err != nil {
		a.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"entries": len(entries), "changed": n})
}

// directoryJSON reads a decoded JSON array of directory entries.
func directoryJSON(v any) ([]progress.DirectoryEntry, error) {
	list, ok := v.([]any)
	if !ok {
		return nil, errors.New("want a JSON array of {\"agent\": {...}, \"municipality\": \"0180\"}")
	}
	out := make([]progress.DirectoryEntry, len(list))
	for i, item := range list {
		m, _ := item.(map[string]any)
		agent, _ := m["agent"].(map[string]any)
		muni, isString := m["municipality"].(string)
		if agent == nil || !isString || len(m) != 2 {
			return nil, fmt.Errorf("entry %d: want exactly {\"agent\": {...}, \"municipality\": \"0180\"}", i)
		}
		out[i] = progress.DirectoryEntry{Agent: agent, Municipality: muni}
	}
	return out, nil
}

// badRequest marks an error of the request's content as a bad request, unless it already is
// one of the core's errors.
func badRequest(err error) error {
	var de *progress.DirectoryError
	if errors.As(err, &de) || errors.Is(err, lrs.ErrBadRequest) {
		return err
	}
	return fmt.Errorf("%w: %v", lrs.ErrBadRequest, err)
}

func (a *API) getDirectory(c *gin.Context) {
	if !a.onlyParams(c, "after", "limit") {
		return
	}
	limit := 1000
	if s := c.Query("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > 10000 {
			a.fail(c, fmt.Errorf("%w: limit %q: want 1 to 10000", lrs.ErrBadRequest, s))
			return
		}
		limit = n
	}
	page, err := a.tracker.Directory(c.Request.Context(), c.Query("after"), limit)
	if err != nil {
		a.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, page)
}

func (a *API) postRebuild(c *gin.Context) {
	if !a.onlyParams(c) {
		return
	}
	stats, err := a.tracker.Rebuild(c.Request.Context())
	if err != nil {
		a.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"rebuild": stats})
}

// reportParams are the parameters of GET /api/reports; list parameters take repeats or commas.
var reportParams = []string{"journey", "phase", "county", "municipality", "from", "to", "group_by", "format"}

// getReport answers a report as JSON, or as CSV for format=csv or an Accept of text/csv.
func (a *API) getReport(c *gin.Context) {
	if !a.onlyParams(c, reportParams...) {
		return
	}
	org, err := a.org(c)
	if err != nil {
		a.fail(c, err)
		return
	}
	for _, p := range []string{"from", "to", "format"} {
		if len(c.QueryArray(p)) > 1 {
			a.fail(c, fmt.Errorf("%w: parameter %s given more than once", lrs.ErrBadRequest, p))
			return
		}
	}
	format := c.Query("format")
	if format == "" && strings.Contains(c.GetHeader("Accept"), "text/csv") {
		format = "csv"
	}
	if format != "" && format != "csv" && format != "json" {
		a.fail(c, fmt.Errorf("%w: format %q: want json or csv", lrs.ErrBadRequest, format))
		return
	}
	q := progress.ReportQuery{
		Journeys: list(c, "journey"), Phases: list(c, "phase"), Counties: list(c, "county"),
		Municipalities: list(c, "municipality"), From: c.Query("from"), To: c.Query("to"), GroupBy: list(c, "group_by"),
	}
	r, err := a.tracker.Report(c.Request.Context(), org, q)
	if err != nil {
		a.fail(c, err)
		return
	}
	if format != "csv" {
		c.JSON(http.StatusOK, r)
		return
	}
	c.Header("Content-Type", "text/csv; charset=utf-8")
	c.Header("Content-Disposition", `attachment; filename="yrkesresan-report.csv"`)
	c.Status(http.StatusOK)
	if err := r.WriteCSV(c.Writer); err != nil {
		a.log.WarnContext(c.Request.Context(), "report CSV cut short", "err", err)
	}
}

// list reads a list parameter: repeated, comma-separated, or both; empty items are dropped.
func list(c *gin.Context, name string) []string {
	var out []string
	for _, v := range c.QueryArray(name) {
		for _, item := range strings.Split(v, ",") {
			if item = strings.TrimSpace(item); item != "" {
				out = append(out, item)
			}
		}
	}
	return out
}

// onlyParams fails the request if it has a query parameter not in allowed.
func (a *API) onlyParams(c *gin.Context, allowed ...string) bool {
	for name := range c.Request.URL.Query() {
		if !slices.Contains(allowed, name) {
			a.fail(c, fmt.Errorf("%w: unknown parameter %q (allowed: %s)", lrs.ErrBadRequest, name, strings.Join(allowed, ", ")))
			return false
		}
	}
	return true
}

// body reads the request body within the size limit.
func (a *API) body(c *gin.Context) ([]byte, error) {
	b, err := io.ReadAll(c.Request.Body)
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		return nil, fmt.Errorf("%w: the body is larger than %d bytes", errTooLarge, a.cfg.MaxBodyBytes)
	}
	if err != nil {
		return nil, fmt.Errorf("%w: reading the body: %v", lrs.ErrBadRequest, err)
	}
	return b, nil
}

var errTooLarge = xapihttp.ErrTooLarge

func mediaType(c *gin.Context) string { return lrs.MediaType(c.GetHeader("Content-Type")) }

func (a *API) limitBody(c *gin.Context) {
	c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, a.cfg.MaxBodyBytes)
	c.Next()
}

func (a *API) requestLog(c *gin.Context) {
	c.Next()
	client, _ := c.Get(keyClient)
	key := ""
	if cl, ok := client.(lrs.Client); ok {
		key = cl.Key
	}
	a.log.InfoContext(c.Request.Context(), "request", "method", c.Request.Method, "route", c.FullPath(),
		"status", c.Writer.Status(), "client", key)
}

// recover turns a panic in a handler into a logged 500; the process keeps serving.
func (a *API) recover(c *gin.Context) {
	defer func() {
		if p := recover(); p != nil {
			if p == http.ErrAbortHandler {
				panic(p)
			}
			a.fail(c, fmt.Errorf("panic: %v", p))
		}
	}()
	c.Next()
}

// errorBody is every error response; problems list what is wrong with a catalog or directory.
type errorBody struct {
	Status   int    `json:"status"`
	Error    string `json:"error"`
	Problems any    `json:"problems,omitempty"`
}

// fail replies with the error; server errors are logged and answered without their detail.
func (a *API) fail(c *gin.Context, err error) {
	_ = c.Error(err)
	code := xapihttp.Status(err)
	body := errorBody{Status: code, Error: err.Error()}
	var ce *progress.CatalogError
	var de *progress.DirectoryError
	switch {
	case errors.As(err, &ce):
		body.Error, body.Problems = "invalid catalog", ce.Problems
	case errors.As(err, &de):
		body.Error, body.Problems = "invalid directory entries", de.Problems
	case code == http.StatusServiceUnavailable:
		c.Header("Retry-After", "5")
		a.log.WarnContext(c.Request.Context(), "unavailable", "err", err)
		body.Error = "the store is unavailable; retry later"
	case code >= 500:
		a.log.ErrorContext(c.Request.Context(), "request failed", "err", err)
		body.Error = "internal error"
	}
	if code == http.StatusUnauthorized {
		c.Header("WWW-Authenticate", `Basic realm="Yrkesresan"`)
	}
	c.AbortWithStatusJSON(code, body)
}
