// Package httpapi serves SCORM hosting over HTTP on gin: the admin API (package import,
// registrations, launch links; HTTP Basic with the all scope), and the learner side (launch, the
// player, package content, runtime commits; authorised by signed tokens in the URL, never by
// credentials or cookies). Handlers parse, call scorm.Service, and reply.
package httpapi

import (
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/yrkesresan/lrs/lrs"
	"github.com/yrkesresan/lrs/scorm"
)

// Config is what the HTTP layer needs beyond the service.
type Config struct {
	// WebDir holds scorm-again's dist files (scorm-again.min.js), served to the player. A missing
	// file makes the player answer 503 with what to do.
	WebDir string
	// Player holds the player page and script (package web's embedded files).
	Player http.FileSystem
}

// Handler is the SCORM HTTP interface.
type Handler struct {
	cfg         Config
	svc         *scorm.Service
	auth        *lrs.Authenticator
	log         *slog.Logger
	contentHost string // host of the content origin when it differs from the LRS's
	engine      *gin.Engine
}

// New returns the SCORM HTTP interface.
func New(cfg Config, svc *scorm.Service, auth *lrs.Authenticator, log *slog.Logger) *Handler {
	h := &Handler{cfg: cfg, svc: svc, auth: auth, log: log}
	sc := svc.Config()
	if sc.ContentURL != sc.BaseURL {
		if u, err := url.Parse(sc.ContentURL); err == nil {
			h.contentHost = u.Host
		}
	}
	h.engine = h.routes()
	return h
}

// Prefix is where SCORM is mounted.
const Prefix = "/scorm/"

// Mount returns a handler serving SCORM below Prefix and everything else with next (the xAPI
// API). Requests for a separate content origin reach only the learner side: the xAPI API and the
// admin API are not served there, so package scripts cannot reach them even with credentials a
// browser has cached.
func (h *Handler) Mount(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if h.onContentOrigin(r) || strings.HasPrefix(r.URL.Path, Prefix) {
			h.engine.ServeHTTP(w, r)
			return
		}
		next.ServeHTTP(w, r)
	})
}

func (h *Handler) onContentOrigin(r *http.Request) bool {
	return h.contentHost != "" && strings.EqualFold(r.Host, h.contentHost)
}

// Body limits: runtime commits are the data model as JSON (2004 suspend_data alone may be 64,000
// characters); registration requests are small.
const (
	maxRuntimeBody = 1 << 20
	maxJSONBody    = 64 << 10
	importTimeout  = 30 * time.Minute
)

// routes is the whole route table.
func (h *Handler) routes() *gin.Engine {
	gin.SetMode(gin.ReleaseMode)
	e := gin.New()
	e.HandleMethodNotAllowed = true
	e.Use(h.requestLog, h.recover)
	e.NoRoute(func(c *gin.Context) { h.fail(c, errNoRoute) })
	e.NoMethod(func(c *gin.Context) { h.fail(c, errNoMethod) })

	admin := e.Group("/scorm", h.adminOrigin, h.noStore, h.authenticate)
	admin.POST("/packages", h.importPackage)
	admin.GET("/packages", h.listPackages)
	admin.GET("/packages/:id", h.getPackage)
	admin.POST("/registrations", h.createRegistration)
	admin.GET("/registrations/:id", h.getRegistration)
	admin.POST("/registrations/:id/launch", h.newLaunch)

	learner := e.Group("/scorm", h.learnerOrigin, h.learnerHeaders)
	learner.GET("/launch/:token", h.launch)
	learner.GET("/assets/:file", h.asset)
	s := learner.Group("/s/:session")
	s.GET("/", h.player)
	s.GET("/session", h.session)
	s.GET("/sco/:item", h.sco)
	s.POST("/sco/:item/runtime", h.runtime)
	s.GET("/content/*path", h.content)
	s.HEAD("/content/*path", h.content)
	return e
}

// adminOrigin keeps the admin API off the content origin.
func (h *Handler) adminOrigin(c *gin.Context) {
	if h.onContentOrigin(c.Request) {
		h.fail(c, errNoRoute)
	}
}

// learnerOrigin serves the learner side only on the content origin, when one is configured.
func (h *Handler) learnerOrigin(c *gin.Context) {
	if h.contentHost != "" && !h.onContentOrigin(c.Request) {
		h.fail(c, errNoRoute)
	}
}

func (h *Handler) noStore(c *gin.Context) { c.Header("Cache-Control", "no-store") }

// learnerHeaders: the session token is in every URL of the player, so no URL may leak to another
// origin through Referer; nothing is sniffed; other sites cannot embed the content's resources.
func (h *Handler) learnerHeaders(c *gin.Context) {
	hd := c.Writer.Header()
	hd.Set("Referrer-Policy", "same-origin")
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Cross-Origin-Resource-Policy", "same-origin")
}

// requestLog gives the request an id and logs one line when it ends. Token path segments are
// not logged: the route pattern is.
func (h *Handler) requestLog(c *gin.Context) {
	id := c.GetHeader("X-Request-Id")
	if len(id) == 0 || len(id) > 64 {
		b := make([]byte, 8)
		_, _ = rand.Read(b)
		id = hex.EncodeToString(b)
	}
	c.Set(keyRequestID, id)
	c.Header("X-Request-Id", id)
	start := time.Now()
	c.Next()
	h.log.LogAttrs(c.Request.Context(), slog.LevelInfo, "request",
		slog.String("request_id", id),
		slog.String("method", c.Request.Method),
		slog.String("route", c.FullPath()),
		slog.Int("status", c.Writer.Status()),
		slog.Duration("duration", time.Since(start)),
	)
}

const keyRequestID = "request_id"

// recover turns a panic in a handler into a logged 500; the process keeps serving.
func (h *Handler) recover(c *gin.Context) {
	defer func() {
		if p := recover(); p != nil {
			if p == http.ErrAbortHandler {
				panic(p)
			}
			h.fail(c, errPanic(p))
		}
	}()
	c.Next()
}

// authenticate checks HTTP Basic credentials and requires the all scope: the admin API imports
// content and hands out launch links for any learner.
func (h *Handler) authenticate(c *gin.Context) {
	key, secret, ok := c.Request.BasicAuth()
	if !ok {
		h.fail(c, errCredentials)
		return
	}
	client, err := h.auth.Authenticate(c.Request.Context(), key, secret)
	if err != nil {
		h.fail(c, err)
		return
	}
	if !client.Allows(lrs.ScopeAll) {
		h.fail(c, errScope)
		return
	}
	c.Next()
}
