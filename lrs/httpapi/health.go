package httpapi

import (
	"context"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/yrkesresan/lrs/lrs"
)

// healthz says the process is up.
func (a *API) healthz(c *gin.Context) {
	c.JSON(http.StatusOK, gin.H{"status": "ok"})
}

// readyz says whether the store answers, for load balancers and orchestrators.
func (a *API) readyz(c *gin.Context) {
	ctx, cancel := context.WithTimeout(c.Request.Context(), 2*time.Second)
	defer cancel()
	if err := a.svc.Ready(ctx); err != nil {
		a.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"status": "ready"})
}

// about lists the xAPI versions served (Communication 2.8); it needs neither credentials nor a
// version header.
func (a *API) about(c *gin.Context) {
	_, _ = a.stateVersion(c) // any version, or none, may ask what this LRS supports
	c.JSON(http.StatusOK, gin.H{
		"version":    []string{lrs.Version103, lrs.Version200},
		"extensions": gin.H{},
	})
}
