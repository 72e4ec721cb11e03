package httpapi

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"
	"github.com/yrkesresan/lrs/lrs"
	"github.com/yrkesresan/lrs/lrs/validate"
)

// docResource describes one of the three document resources (Communication 2.3, 2.6, 2.7):
// which parameters identify a document and which scope grants access.
type docResource struct {
	kind     lrs.DocumentKind
	idParam  string // stateId or profileId
	activity bool   // identified by activityId
	agent    bool   // identified by agent
	scope    lrs.Scope
}

var (
	stateResource           = docResource{kind: lrs.DocState, idParam: "stateId", activity: true, agent: true, scope: lrs.ScopeState}
	activityProfileResource = docResource{kind: lrs.DocActivityProfile, idParam: "profileId", activity: true, scope: lrs.ScopeProfile}
	agentProfileResource    = docResource{kind: lrs.DocAgentProfile, idParam: "profileId", agent: true, scope: lrs.ScopeProfile}
)

// params lists the parameters the resource recognises.
func (r docResource) params() []string {
	p := []string{r.idParam, "since"}
	if r.activity {
		p = append(p, "activityId")
	}
	if r.agent {
		p = append(p, "agent")
	}
	if r.kind == lrs.DocState {
		p = append(p, "registration")
	}
	return p
}

// key parses the parameters that identify the document (or, without the id, the set of them).
func (r docResource) key(c *gin.Context) (lrs.DocumentKey, error) {
	p := parser{values: c.Request.URL.Query()}
	k := lrs.DocumentKey{Kind: r.kind, ID: p.values.Get(r.idParam)}
	if r.activity {
		k.Activity = p.values.Get("activityId")
		p.check(k.Activity != "", "the activityId parameter is required")
		p.check(k.Activity == "" || validate.IsIRI(k.Activity), "activityId must be an IRI")
	}
	if r.agent {
		p.check(p.values.Get("agent") != "", "the agent parameter is required")
		if agent := p.agent(versionOf(c)); agent != nil {
			var ok bool
			k.Agent, ok = lrs.AgentKey(agent)
			p.check(ok, "agent must identify an Agent (mbox, mbox_sha1sum, openid or account)")
		}
	}
	if r.kind == lrs.DocState {
		// UUIDs are case-insensitive on input (RFC 4122), as for the statements' registration.
		k.Registration = strings.ToLower(p.values.Get("registration"))
		p.check(k.Registration == "" || validate.IsUUID(k.Registration), "registration must be a UUID")
	}
	return k, p.err
}

// routeDocuments registers the resource's handlers on path.
func (a *API) routeDocuments(g *gin.RouterGroup, path string, r docResource) {
	g.GET(path, a.getDocument(r))
	g.HEAD(path, a.getDocument(r))
	g.PUT(path, a.writeDocument(r, a.svc.PutDocument))
	g.POST(path, a.writeDocument(r, a.svc.PostDocument))
	g.DELETE(path, a.deleteDocument(r))
}

// getDocument answers one document, or the ids of the documents in scope when the id parameter
// is absent.
func (a *API) getDocument(r docResource) gin.HandlerFunc {
	return func(c *gin.Context) {
		if !a.require(c, r.scope, lrs.ScopeAllRead) || !a.onlyParams(c, r.params()...) {
			return
		}
		key, err := r.key(c)
		if err != nil {
			a.fail(c, err)
			return
		}
		if key.ID == "" {
			a.documentIDs(c, key)
			return
		}
		if c.Query("since") != "" {
			a.fail(c, fmt.Errorf("%w: since applies to the list of ids, not to a single document", lrs.ErrBadRequest))
			return
		}
		doc, err := a.svc.Document(c.Request.Context(), key)
		if err != nil {
			a.fail(c, err)
			return
		}
		c.Header("ETag", `"`+doc.ETag+`"`)
		c.Header("Last-Modified", doc.Updated.UTC().Format(http.TimeFormat))
		c.Data(http.StatusOK, doc.ContentType, doc.Content)
	}
}

func (a *API) documentIDs(c *gin.Context, key lrs.DocumentKey) {
	p := parser{values: c.Request.URL.Query()}
	since := p.timestamp("since", versionOf(c))
	if p.err != nil {
		a.fail(c, p.err)
		return
	}
	ids, err := a.svc.DocumentIDs(c.Request.Context(), key, since)
	if err != nil {
		a.fail(c, err)
		return
	}
	body, err := json.Marshal(ids)
	if err != nil {
		a.fail(c, err)
		return
	}
	replyWithETag(c, body)
}

// writeDocument handles PUT and POST of one document.
func (a *API) writeDocument(r docResource, write func(context.Context, lrs.DocumentWrite) error) gin.HandlerFunc {
	return func(c *gin.Context) {
		w, ok := a.documentWrite(c, r)
		if !ok {
			return
		}
		if w.Key.ID == "" {
			a.fail(c, fmt.Errorf("%w: the %s parameter is required", lrs.ErrBadRequest, r.idParam))
			return
		}
		content, err := io.ReadAll(c.Request.Body)
		if err != nil {
			a.fail(c, bodyError(err))
			return
		}
		w.Content, w.ContentType = content, c.GetHeader("Content-Type")
		if _, _, err := mime.ParseMediaType(w.ContentType); w.ContentType != "" && err != nil {
			a.fail(c, fmt.Errorf("%w: Content-Type %q is not a media type: %v", lrs.ErrBadRequest, w.ContentType, err))
			return
		}
		if err := write(c.Request.Context(), w); err != nil {
			a.fail(c, err)
			return
		}
		c.Status(http.StatusNoContent)
	}
}

// deleteDocument deletes one document, or for State without stateId, every document in scope.
func (a *API) deleteDocument(r docResource) gin.HandlerFunc {
	return func(c *gin.Context) {
		w, ok := a.documentWrite(c, r)
		if !ok {
			return
		}
		var err error
		switch {
		case w.Key.ID != "":
			err = a.svc.DeleteDocument(c.Request.Context(), w)
		case w.IfMatch != "" || w.IfNoneMatch != "":
			err = fmt.Errorf("%w: If-Match and If-None-Match apply to a single document; give %s", lrs.ErrBadRequest, r.idParam)
		case r.kind == lrs.DocState:
			err = a.svc.DeleteDocuments(c.Request.Context(), w.Key)
		default:
			err = fmt.Errorf("%w: the %s parameter is required", lrs.ErrBadRequest, r.idParam)
		}
		if err != nil {
			a.fail(c, err)
			return
		}
		c.Status(http.StatusNoContent)
	}
}

// documentWrite checks scope and parameters of a write and collects its conditions.
func (a *API) documentWrite(c *gin.Context, r docResource) (lrs.DocumentWrite, bool) {
	if !a.require(c, r.scope) || !a.onlyParams(c, r.params()...) {
		return lrs.DocumentWrite{}, false
	}
	if c.Query("since") != "" {
		a.fail(c, fmt.Errorf("%w: since applies to GET only", lrs.ErrBadRequest))
		return lrs.DocumentWrite{}, false
	}
	key, err := r.key(c)
	if err != nil {
		a.fail(c, err)
		return lrs.DocumentWrite{}, false
	}
	return lrs.DocumentWrite{
		Key:         key,
		Version:     versionOf(c),
		IfMatch:     c.GetHeader("If-Match"),
		IfNoneMatch: c.GetHeader("If-None-Match"),
	}, true
}
