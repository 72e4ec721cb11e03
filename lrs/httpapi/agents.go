package httpapi

import (
	"encoding/json"
	"fmt"

	"github.com/gin-gonic/gin"
	"github.com/yrkesresan/lrs/lrs"
)

// getAgents answers the Person object for the agent parameter (Communication 2.4). Any client
// may ask: the answer holds nothing the request did not (see lrs.PersonOf).
func (a *API) getAgents(c *gin.Context) {
	if !a.onlyParams(c, "agent") {
		return
	}
	param := c.Query("agent")
	if param == "" {
		a.fail(c, fmt.Errorf("%w: the agent parameter is required", lrs.ErrBadRequest))
		return
	}
	agent, err := lrs.DecodeJSON([]byte(param))
	if err != nil {
		a.fail(c, fmt.Errorf("%w: the agent parameter is not valid JSON: %v", lrs.ErrBadRequest, err))
		return
	}
	person, err := lrs.PersonOf(agent, versionOf(c))
	if err != nil {
		a.fail(c, err)
		return
	}
	body, err := json.Marshal(person)
	if err != nil {
		a.fail(c, err)
		return
	}
	replyWithETag(c, body)
}
