// Package httpapi serves the xAPI HTTP interface of the LRS (and its health endpoints) on gin:
// routing, version negotiation, authentication, CORS, limits, and the mapping of core errors to
// HTTP statuses. Handlers parse, call lrs.Service, and reply; the xAPI rules live in package lrs.
package httpapi

import (
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/yrkesresan/lrs/lrs"
)

// Config is what the HTTP layer needs to know about its deployment.
type Config struct {
	// BaseURL is the public URL of the server (scheme, host, optional path prefix), e.g.
	// "http://localhost:8080". It names the authority of statements and prefixes "more" links.
	BaseURL string
	// MaxBodyBytes bounds a request body; larger ones get 413 (default 16 MiB).
	MaxBodyBytes int64
	// BodyTimeout bounds reading a request body; slower ones get 408 (default 30 s).
	BodyTimeout time.Duration
	// DefaultVersion is the X-Experience-API-Version stated on the error answering a request that
	// named no (or no supported) version: lrs.Version200 (default) or lrs.Version103.
	DefaultVersion string
	// Middleware runs first on every routed request (metrics); a failed request's error is in
	// the gin.Context's Errors.
	Middleware []gin.HandlerFunc
}

// XAPIPath is where the xAPI resources are mounted, below the base URL's path.
const XAPIPath = "/xapi"

// API is the HTTP interface: build one with New and serve it as an http.Handler.
type API struct {
	cfg      Config
	svc      *lrs.Service
	auth     *lrs.Authenticator
	log      *slog.Logger
	basePath string // path prefix of every xAPI URL the LRS hands out, e.g. "/xapi"
	engine   *gin.Engine
}

// New returns the HTTP interface over svc.
func New(cfg Config, svc *lrs.Service, auth *lrs.Authenticator, log *slog.Logger) *API {
	if cfg.MaxBodyBytes <= 0 {
		cfg.MaxBodyBytes = 16 << 20
	}
	if cfg.BodyTimeout <= 0 {
		cfg.BodyTimeout = 30 * time.Second
	}
	if cfg.DefaultVersion == "" {
		cfg.DefaultVersion = lrs.Version200
	}
	a := &API{cfg: cfg, svc: svc, auth: auth, log: log, basePath: basePath(cfg.BaseURL)}
	a.engine = a.routes()
	return a
}

func basePath(baseURL string) string {
	u, err := url.Parse(baseURL)
	if err != nil {
		return XAPIPath
	}
	return strings.TrimRight(u.Path, "/") + XAPIPath
}

// ServeHTTP makes API an http.Handler.
func (a *API) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if isAlternate(r) {
		a.serveAlternate(w, r)
		return
	}
	a.engine.ServeHTTP(w, r)
}

// routes is the whole route table.
func (a *API) routes() *gin.Engine {
	gin.SetMode(gin.ReleaseMode)
	e := gin.New()
	e.HandleMethodNotAllowed = true
	e.Use(a.cfg.Middleware...)
	e.Use(a.requestLog, a.recover, a.cors, a.consistentThrough, a.limitBody)
	e.NoRoute(a.unrouted(ErrNoRoute))
	e.NoMethod(a.unrouted(ErrNoMethod))

	e.GET("/healthz", a.healthz)
	e.GET("/readyz", a.readyz)

	x := e.Group(XAPIPath)
	x.GET("/about", a.about)
	x.HEAD("/about", a.about)

	st := x.Group("/statements", a.version, a.authenticate)
	st.GET("", a.getStatements)
	st.HEAD("", a.getStatements)
	st.PUT("", a.putStatement)
	st.POST("", a.postStatements)

	x.GET("/activities", a.version, a.authenticate, a.getActivity)
	x.HEAD("/activities", a.version, a.authenticate, a.getActivity)
	x.GET("/agents", a.version, a.authenticate, a.getAgents)
	x.HEAD("/agents", a.version, a.authenticate, a.getAgents)

	docs := x.Group("", a.version, a.authenticate)
	a.routeDocuments(docs, "/activities/state", stateResource)
	a.routeDocuments(docs, "/activities/profile", activityProfileResource)
	a.routeDocuments(docs, "/agents/profile", agentProfileResource)
	return e
}

// unrouted answers unknown paths and methods; below the xAPI path the version is checked first,
// as on every xAPI resource, so a client without the header learns that before anything else.
func (a *API) unrouted(err error) gin.HandlerFunc {
	return func(c *gin.Context) {
		if isXAPI(c) {
			a.version(c)
			if c.IsAborted() {
				return
			}
		}
		a.fail(c, err)
	}
}

func isXAPI(c *gin.Context) bool {
	return strings.HasPrefix(c.Request.URL.Path, XAPIPath+"/")
}
