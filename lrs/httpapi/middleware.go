package httpapi

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/yrkesresan/lrs/lrs"
)

// Context keys set by the middleware.
const (
	keyRequestID = "request_id"
	keyClient    = "client"
	keyVersion   = "xapi_version"
)

// requestLog gives the request an id (X-Request-Id, taken from the client when it sent a sane
// one) and logs one line when the request ends.
func (a *API) requestLog(c *gin.Context) {
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
	a.log.LogAttrs(c.Request.Context(), slog.LevelInfo, "request",
		slog.String("request_id", id),
		slog.String("method", c.Request.Method),
		slog.String("route", c.FullPath()),
		slog.Int("status", c.Writer.Status()),
		slog.Duration("duration", time.Since(start)),
		slog.String("client", clientOf(c).Key),
	)
}

func requestID(c *gin.Context) string { return c.GetString(keyRequestID) }

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

// limitBody bounds the size of the request body and the time to receive it.
func (a *API) limitBody(c *gin.Context) {
	c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, a.cfg.MaxBodyBytes)
	// Not every ResponseWriter supports deadlines (httptest's does not); then the server-wide
	// read timeout is the only bound.
	_ = http.NewResponseController(c.Writer).SetReadDeadline(time.Now().Add(a.cfg.BodyTimeout))
	c.Next()
}

// cors lets content on other origins call the xAPI resources with its own credentials
// (Authorization header); no cookies are involved, so no origin gains ambient authority. It
// answers preflight requests itself, for every xAPI path.
func (a *API) cors(c *gin.Context) {
	if !isXAPI(c) {
		return
	}
	h := c.Writer.Header()
	allowOrigin(h, c.GetHeader("Origin"))
	if c.Request.Method == http.MethodOptions {
		h.Set("Access-Control-Allow-Methods", "GET, HEAD, POST, PUT, DELETE, OPTIONS")
		h.Set("Access-Control-Allow-Headers", "Authorization, Content-Type, X-Experience-API-Version, If-Match, If-None-Match, Accept-Language, X-Request-Id")
		h.Set("Access-Control-Max-Age", "600")
		c.AbortWithStatus(http.StatusNoContent)
	}
}

// allowOrigin lets the page at origin read the response.
func allowOrigin(h http.Header, origin string) {
	if origin == "" {
		return
	}
	h.Set("Access-Control-Allow-Origin", origin)
	h.Add("Vary", "Origin")
	h.Set("Access-Control-Expose-Headers", "ETag, Last-Modified, X-Experience-API-Consistent-Through, X-Experience-API-Version, X-Request-Id")
}

// version negotiates the xAPI version of the request and states it in the response.
func (a *API) version(c *gin.Context) {
	v, err := a.stateVersion(c)
	if err != nil {
		a.fail(c, err)
		return
	}
	c.Set(keyVersion, v)
	c.Next()
}

// stateVersion negotiates the request's version and states it in the response header: the one
// negotiated, or the configured default when the request named none that is supported (the error).
func (a *API) stateVersion(c *gin.Context) (string, error) {
	v, err := lrs.NegotiateVersion(c.GetHeader("X-Experience-API-Version"))
	if err != nil {
		v = a.cfg.DefaultVersion
	}
	c.Header("X-Experience-API-Version", v)
	return v, err
}

func versionOf(c *gin.Context) string { return c.GetString(keyVersion) }

// authenticate checks HTTP Basic credentials against the stored clients.
func (a *API) authenticate(c *gin.Context) {
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
	c.Set(keyClient, client)
	c.Next()
}

func clientOf(c *gin.Context) lrs.Client {
	cl, _ := c.Get(keyClient)
	client, _ := cl.(lrs.Client)
	return client
}

// require fails the request unless the client has one of the scopes.
func (a *API) require(c *gin.Context, scopes ...lrs.Scope) bool {
	client := clientOf(c)
	for _, s := range scopes {
		if client.Allows(s) {
			return true
		}
	}
	a.fail(c, fmt.Errorf("%w: the credentials lack the scope %s", lrs.ErrForbidden, scopes[0]))
	return false
}
