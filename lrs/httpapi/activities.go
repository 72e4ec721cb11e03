package httpapi

import (
	"fmt"
	"net/http"

	"github.com/gin-gonic/gin"
	"github.com/yrkesresan/lrs/lrs"
)

// getActivity answers the Activity object with the LRS's canonical definition (Communication
// 2.5). Definitions come from statements, so reading them takes statements/read (or all/read,
// all); define also does, for the clients that shape them. statements/read/mine does not: a
// definition merges what every client sent.
func (a *API) getActivity(c *gin.Context) {
	if !a.require(c, lrs.ScopeStatementsRead, lrs.ScopeDefine) || !a.onlyParams(c, "activityId") {
		return
	}
	id := c.Query("activityId")
	if id == "" {
		a.fail(c, fmt.Errorf("%w: the activityId parameter is required", lrs.ErrBadRequest))
		return
	}
	body, err := a.svc.Activity(c.Request.Context(), id)
	if err != nil {
		a.fail(c, err)
		return
	}
	replyWithETag(c, body)
}

// replyWithETag answers 200 with a JSON body and its ETag: the resource has concurrency controls
// (Communication 2.4, 2.5), and a GET answer carries the quoted hex SHA-1 of its content (3.1).
func replyWithETag(c *gin.Context, body []byte) {
	c.Header("ETag", `"`+lrs.ETag(body)+`"`)
	c.Data(http.StatusOK, "application/json", body)
}
