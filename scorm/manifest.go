package scorm

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"net/url"
	"path"
	"strconv"
	"strings"

	"golang.org/x/net/html/charset"
)

// Version is the SCORM version and edition of a package, as its manifest declares it.
type Version string

// The versions this LRS hosts.
const (
	SCORM12         Version = "1.2"
	SCORM2004Ed2    Version = "2004 2nd Edition"
	SCORM2004Ed3    Version = "2004 3rd Edition"
	SCORM2004Ed4    Version = "2004 4th Edition"
	ManifestFile            = "imsmanifest.xml"
	maxManifestSize         = 8 << 20
)

// Is2004 reports whether v is an edition of SCORM 2004 (runtime API API_1484_11).
func (v Version) Is2004() bool { return v != SCORM12 }

// schemaVersions maps <metadata><schemaversion> values to versions (CAM 2004 4th ed. 3.4.1.5;
// SCORM 1.2 CAM 2.3.2.2; "CAM 1.3" is what 2004 2nd edition packages declare).
var schemaVersions = map[string]Version{
	"1.2":              SCORM12,
	"CAM 1.3":          SCORM2004Ed2,
	"2004 3rd Edition": SCORM2004Ed3,
	"2004 4th Edition": SCORM2004Ed4,
}

// Manifest is what the LRS keeps of a valid imsmanifest.xml: the default organization as a
// flattened tree of items, in document order.
type Manifest struct {
	Identifier   string  `json:"identifier"`
	Version      Version `json:"version"`
	Title        string  `json:"title"`
	Organization string  `json:"organization"` // identifier of the default organization
	Items        []Item  `json:"items"`
	// Organization-level sequencing: the control modes of the organization's own children.
	Controls Controls `json:"controls"`
}

// Item is an item of the default organization. A leaf item is launchable (Launch set); an item
// with children is a cluster whose Controls govern navigation among its children.
type Item struct {
	ID      string `json:"id"`
	Title   string `json:"title"`
	Parent  string `json:"parent,omitempty"` // identifier of the parent item; "" at the top
	Depth   int    `json:"depth"`
	Visible bool   `json:"visible"`
	// Launch is the launch URL relative to the package root, with the item's parameters;
	// "" for clusters. LaunchFile is the file it names in the zip.
	Launch     string `json:"launch,omitempty"`
	LaunchFile string `json:"launchFile,omitempty"`
	// SCO: the resource is a SCO (it talks to the runtime API); otherwise an asset.
	SCO bool `json:"sco,omitempty"`

	// Launch data the LMS provides the SCO (CMI read-only elements), from the manifest.
	MasteryScore        string `json:"masteryScore,omitempty"`        // 1.2 cmi.student_data.mastery_score
	MaxTimeAllowed      string `json:"maxTimeAllowed,omitempty"`      // 1.2 timespan or 2004 duration
	TimeLimitAction     string `json:"timeLimitAction,omitempty"`     // cmi.time_limit_action
	DataFromLMS         string `json:"dataFromLMS,omitempty"`         // cmi.launch_data
	CompletionThreshold string `json:"completionThreshold,omitempty"` // 2004 cmi.completion_threshold
	ScaledPassingScore  string `json:"scaledPassingScore,omitempty"`  // 2004 cmi.scaled_passing_score
	// Objectives are the ids of the activity's objectives (2004 imsss:objectives), which a new
	// attempt starts with in cmi.objectives.
	Objectives []string `json:"objectives,omitempty"`
	// CompletionSetByContent (2004 imsss:deliveryControls, default false): when false, an
	// attempt that ends without the SCO reporting completion counts as completed (IMS SS 3.13).
	CompletionSetByContent bool `json:"completionSetByContent,omitempty"`

	Controls Controls `json:"controls"` // for the item's children (clusters only)
}

// Controls are the IMS Simple Sequencing control modes the player honours (SCORM 2004 SN
// 3.2.1): choice among the children in the table of contents, flow (continue/previous), and
// forwardOnly (no previous). SCORM 1.2 packages get choice and flow.
type Controls struct {
	Choice      bool `json:"choice"`
	Flow        bool `json:"flow"`
	ForwardOnly bool `json:"forwardOnly"`
}

// ParseManifest parses and checks an imsmanifest.xml. exists reports whether the package holds
// a file (a clean, slash-separated path relative to the package root). It returns every problem
// found; the Manifest is valid only when there are none.
func ParseManifest(data []byte, exists func(string) bool) (Manifest, []Problem) {
	ps := &problems{file: ManifestFile}
	x, err := decodeManifest(data)
	if err != nil {
		ps.add("", "not well-formed XML: %v", err)
		return Manifest{}, ps.list
	}
	c := checker{ps: ps, x: x, exists: exists, resources: map[string]*xmlResource{},
		collections: map[string]*xmlSequencing{}, ids: map[string]string{}}
	m := c.check()
	return m, ps.list
}

func decodeManifest(data []byte) (*xmlManifest, error) {
	if len(data) > maxManifestSize {
		return nil, fmt.Errorf("larger than %d MiB", maxManifestSize>>20)
	}
	d := xml.NewDecoder(bytes.NewReader(data))
	// Manifests come in UTF-8 mostly, but authoring tools also write UTF-16 and Latin-1 with a
	// matching XML declaration.
	d.CharsetReader = charset.NewReaderLabel
	var x xmlManifest
	if err := d.Decode(&x); err != nil {
		return nil, err
	}
	if x.XMLName.Local != "manifest" {
		return nil, fmt.Errorf("the root element is <%s>, not <manifest>", x.XMLName.Local)
	}
	return &x, nil
}

// The XML of a manifest. encoding/xml matches local names whatever the namespace, which is what a
// checker wants: IMS CP 1.1.2 (SCORM 1.2) and 1.1.4 (SCORM 2004) share element names.
type xmlManifest struct {
	XMLName    xml.Name
	Attrs      []xml.Attr `xml:",any,attr"`
	Identifier string     `xml:"identifier,attr"`
	Base       string     `xml:"http://www.w3.org/XML/1998/namespace base,attr"`
	Metadata   struct {
		Schema        string `xml:"schema"`
		SchemaVersion string `xml:"schemaversion"`
	} `xml:"metadata"`
	Organizations struct {
		Default       string            `xml:"default,attr"`
		Organizations []xmlOrganization `xml:"organization"`
	} `xml:"organizations"`
	Resources struct {
		Base      string        `xml:"http://www.w3.org/XML/1998/namespace base,attr"`
		Resources []xmlResource `xml:"resource"`
	} `xml:"resources"`
	SubManifests          []struct{} `xml:"manifest"`
	SequencingCollections []struct {
		Sequencings []xmlSequencing `xml:"sequencing"`
	} `xml:"sequencingCollection"`
}

type xmlOrganization struct {
	Identifier string         `xml:"identifier,attr"`
	Title      string         `xml:"title"`
	Items      []xmlItem      `xml:"item"`
	Sequencing *xmlSequencing `xml:"sequencing"`
}

type xmlItem struct {
	Identifier    string    `xml:"identifier,attr"`
	IdentifierRef string    `xml:"identifierref,attr"`
	Parameters    string    `xml:"parameters,attr"`
	IsVisible     string    `xml:"isvisible,attr"`
	Title         string    `xml:"title"`
	Items         []xmlItem `xml:"item"`
	// SCORM 1.2 (adlcp_rootv1p2) launch data elements.
	MasteryScore    string `xml:"masteryscore"`
	MaxTimeAllowed  string `xml:"maxtimeallowed"`
	TimeLimitAction string `xml:"timelimitaction"`
	DataFromLMS     string `xml:"datafromlms"`
	// SCORM 2004 (adlcp_v1p3) ones.
	TimeLimitAction2004 string `xml:"timeLimitAction"`
	DataFromLMS2004     string `xml:"dataFromLMS"`
	CompletionThreshold *struct {
		Value              string `xml:",chardata"` // 3rd edition: the threshold as text
		CompletedByMeasure string `xml:"completedByMeasure,attr"`
		MinProgressMeasure string `xml:"minProgressMeasure,attr"`
	} `xml:"completionThreshold"`
	Sequencing *xmlSequencing `xml:"sequencing"`
}

type xmlResource struct {
	Identifier   string `xml:"identifier,attr"`
	Type         string `xml:"type,attr"`
	Href         string `xml:"href,attr"`
	Base         string `xml:"http://www.w3.org/XML/1998/namespace base,attr"`
	ScormType12  string `xml:"scormtype,attr"`
	ScormType    string `xml:"scormType,attr"`
	Dependencies []struct {
		IdentifierRef string `xml:"identifierref,attr"`
	} `xml:"dependency"`
}

type xmlSequencing struct {
	ID          string `xml:"ID,attr"`
	IDRef       string `xml:"IDRef,attr"`
	ControlMode *struct {
		Choice      string `xml:"choice,attr"`
		Flow        string `xml:"flow,attr"`
		ForwardOnly string `xml:"forwardOnly,attr"`
	} `xml:"controlMode"`
	Objectives *struct {
		Primary *struct {
			ObjectiveID          string `xml:"objectiveID,attr"`
			SatisfiedByMeasure   string `xml:"satisfiedByMeasure,attr"`
			MinNormalizedMeasure string `xml:"minNormalizedMeasure"`
		} `xml:"primaryObjective"`
		Others []struct {
			ObjectiveID string `xml:"objectiveID,attr"`
		} `xml:"objective"`
	} `xml:"objectives"`
	DeliveryControls *struct {
		CompletionSetByContent string `xml:"completionSetByContent,attr"`
	} `xml:"deliveryControls"`
}

// checker validates a decoded manifest and builds the Manifest.
type checker struct {
	ps          *problems
	x           *xmlManifest
	exists      func(string) bool
	version     Version
	resources   map[string]*xmlResource
	collections map[string]*xmlSequencing
	ids         map[string]string // identifier -> element that declared it (IDs are unique per manifest)
	items       []Item
}

func (c *checker) check() Manifest {
	x := c.x
	m := Manifest{Identifier: strings.TrimSpace(x.Identifier)}
	if m.Identifier == "" {
		c.ps.add("manifest", "the identifier attribute is missing; it names the package, and importing a manifest with the same identifier again makes a new version of it")
	}
	c.version = c.detectVersion()
	m.Version = c.version
	if len(x.SubManifests) > 0 {
		c.ps.add("manifest/manifest", "sub-manifests are not supported; put every resource in the top-level manifest")
	}
	c.indexResources()
	for _, coll := range x.SequencingCollections {
		for i := range coll.Sequencings {
			if s := &coll.Sequencings[i]; s.ID != "" {
				c.collections[s.ID] = s
			}
		}
	}
	org := c.defaultOrganization()
	if org == nil {
		return m
	}
	m.Organization = org.Identifier
	m.Title = strings.TrimSpace(org.Title)
	if m.Title == "" {
		m.Title = org.Identifier
	}
	el := fmt.Sprintf("organization[%s]", org.Identifier)
	m.Controls = c.controls(org.Sequencing, el)
	if len(org.Items) == 0 {
		c.ps.add(el, "the default organization has no items; add an <item> for each SCO or asset to launch")
	}
	c.walk(org.Items, "", 0, el)
	m.Items = c.items
	return m
}

// detectVersion reads the SCORM version from <schemaversion>, or, where it is missing, from the
// ADL namespaces the manifest declares.
func (c *checker) detectVersion() Version {
	sv := strings.TrimSpace(c.x.Metadata.SchemaVersion)
	if sv != "" {
		if v, ok := schemaVersions[sv]; ok {
			return v
		}
		c.ps.add("manifest/metadata/schemaversion", "unknown SCORM version %q; expected 1.2, CAM 1.3, 2004 3rd Edition or 2004 4th Edition", sv)
		return SCORM12
	}
	var v12, v2004 bool
	for _, a := range c.x.Attrs {
		switch strings.ToLower(a.Value) {
		case "http://www.adlnet.org/xsd/adlcp_rootv1p2", "http://www.imsproject.org/xsd/imscp_rootv1p1p2":
			v12 = true
		case "http://www.adlnet.org/xsd/adlcp_v1p3", "http://www.imsglobal.org/xsd/imsss", "http://www.adlnet.org/xsd/adlseq_v1p3":
			v2004 = true
		}
	}
	switch ns := c.x.XMLName.Space; {
	case v2004 || ns == "http://www.imsglobal.org/xsd/imscp_v1p1":
		// Without a schemaversion the edition cannot be told; 3rd edition's runtime is the common
		// ground of 2nd to 4th.
		return SCORM2004Ed3
	case v12 || ns == "http://www.imsproject.org/xsd/imscp_rootv1p1p2":
		return SCORM12
	}
	c.ps.add("manifest/metadata", "the SCORM version cannot be told: add <metadata><schema>ADL SCORM</schema><schemaversion>1.2</schemaversion></metadata> (or 2004 3rd Edition, 2004 4th Edition, CAM 1.3)")
	return SCORM12
}

func (c *checker) declare(id, element string) {
	if prev, dup := c.ids[id]; dup {
		c.ps.add(element, "identifier %q is already used by %s; identifiers must be unique in the manifest", id, prev)
		return
	}
	c.ids[id] = element
}

func (c *checker) indexResources() {
	if len(c.x.Resources.Resources) == 0 {
		c.ps.add("manifest/resources", "there are no resources; every launchable item needs a <resource> with an href")
	}
	for i := range c.x.Resources.Resources {
		r := &c.x.Resources.Resources[i]
		el := fmt.Sprintf("resource[%s]", r.Identifier)
		if r.Identifier == "" {
			c.ps.add(fmt.Sprintf("resource #%d", i+1), "the identifier attribute is missing")
			continue
		}
		c.declare(r.Identifier, el)
		c.resources[r.Identifier] = r
	}
	for _, r := range c.x.Resources.Resources {
		for _, d := range r.Dependencies {
			if _, ok := c.resources[d.IdentifierRef]; !ok {
				c.ps.add(fmt.Sprintf("resource[%s]/dependency", r.Identifier), "identifierref %q names no resource of the manifest", d.IdentifierRef)
			}
		}
	}
}

func (c *checker) defaultOrganization() *xmlOrganization {
	orgs := c.x.Organizations.Organizations
	for i := range orgs {
		if orgs[i].Identifier == "" {
			c.ps.add(fmt.Sprintf("organization #%d", i+1), "the identifier attribute is missing")
			continue
		}
		c.declare(orgs[i].Identifier, fmt.Sprintf("organization[%s]", orgs[i].Identifier))
	}
	if len(orgs) == 0 {
		c.ps.add("manifest/organizations", "there is no <organization>; the course structure (items) must be in one")
		return nil
	}
	def := c.x.Organizations.Default
	if def == "" {
		c.ps.add("manifest/organizations", "the default attribute is missing; set it to the identifier of the organization to launch (%q?)", orgs[0].Identifier)
		return nil
	}
	for i := range orgs {
		if orgs[i].Identifier == def {
			return &orgs[i]
		}
	}
	c.ps.add("manifest/organizations", "default %q names no <organization> of the manifest", def)
	return nil
}

// maxDepth bounds item nesting: real courses have a few levels, and each level lengthens the
// element paths problems are reported with.
const maxDepth = 32

// walk checks items depth-first and appends them in document order.
func (c *checker) walk(items []xmlItem, parent string, depth int, parentEl string) {
	if depth >= maxDepth && len(items) > 0 {
		c.ps.add(parentEl, "items are nested more than %d levels deep", maxDepth)
		return
	}
	for i := range items {
		it := &items[i]
		el := fmt.Sprintf("%s/item[%s]", parentEl, it.Identifier)
		if it.Identifier == "" {
			el = fmt.Sprintf("%s/item #%d", parentEl, i+1)
			c.ps.add(el, "the identifier attribute is missing")
		} else {
			c.declare(it.Identifier, el)
		}
		item := Item{ID: it.Identifier, Title: strings.TrimSpace(it.Title), Parent: parent, Depth: depth, Visible: it.IsVisible != "false"}
		if item.Title == "" {
			item.Title = it.Identifier
		}
		switch {
		case len(it.Items) > 0 && it.IdentifierRef != "" && c.version.Is2004():
			c.ps.add(el, "an item with child items cannot reference a resource in SCORM 2004 (identifierref %q); only leaf items launch", it.IdentifierRef)
		case len(it.Items) == 0 && it.IdentifierRef == "":
			c.ps.add(el, "a leaf item must reference a resource (identifierref) to launch")
		case it.IdentifierRef != "":
			c.launch(&item, it, el)
		}
		c.launchData(&item, it, el)
		item.Controls = c.controls(it.Sequencing, el)
		c.items = append(c.items, item)
		c.walk(it.Items, it.Identifier, depth+1, el)
	}
}

// launch resolves an item's resource to a launch URL that must name a file of the package.
func (c *checker) launch(item *Item, it *xmlItem, el string) {
	r, ok := c.resources[it.IdentifierRef]
	if !ok {
		c.ps.add(el, "identifierref %q names no resource of the manifest", it.IdentifierRef)
		return
	}
	rel := fmt.Sprintf("resource[%s]", r.Identifier)
	if r.Href == "" {
		c.ps.add(rel, "the resource launched by item %q has no href", it.Identifier)
		return
	}
	// adlcp:scormtype in 1.2, adlcp:scormType in 2004; tools mix them up, so either is read.
	scormType := r.ScormType
	if scormType == "" {
		scormType = r.ScormType12
	}
	scormType = strings.ToLower(strings.TrimSpace(scormType))
	switch scormType {
	case "sco":
		item.SCO = true
	case "asset":
	case "":
		c.ps.add(rel, "the adlcp:scormtype attribute is missing; it must be sco or asset")
	default:
		c.ps.add(rel, "adlcp:scormtype is %q; it must be sco or asset", scormType)
	}
	file, query, err := resolveHref(r.Href, c.x.Base, c.x.Resources.Base, r.Base)
	if err != nil {
		c.ps.add(rel, "href %q: %v", r.Href, err)
		return
	}
	found := ""
	for _, cand := range []string{file, unescapePath(file)} {
		if cand != "" && c.exists(cand) {
			found = cand
			break
		}
	}
	if found == "" {
		c.ps.add(rel, "href %q: the package has no file %s", r.Href, file)
		return
	}
	item.LaunchFile = found
	item.Launch = escapePath(found) + withParameters(query, it.Parameters)
}

// resolveHref joins an href to its xml:base chain and returns the clean file path inside the
// package and the query/fragment part. Absolute URLs and paths leaving the package are errors.
func resolveHref(href string, bases ...string) (file, rest string, err error) {
	p := href
	if i := strings.IndexAny(p, "?#"); i >= 0 {
		p, rest = p[:i], p[i:]
	}
	full := ""
	for _, b := range append(bases, p) {
		if b == "" {
			continue
		}
		if u, err := url.Parse(b); err == nil && (u.Scheme != "" || u.Host != "") {
			return "", "", fmt.Errorf("absolute URLs are not supported: the content must be inside the package")
		}
		if strings.HasPrefix(b, "/") {
			return "", "", fmt.Errorf("an absolute path cannot be inside the package")
		}
		if full != "" && !strings.HasSuffix(full, "/") {
			full += "/"
		}
		full += b
	}
	clean := path.Clean(full)
	if clean == ".." || strings.HasPrefix(clean, "../") || clean == "." || strings.HasSuffix(full, "/") {
		return "", "", fmt.Errorf("it does not name a file inside the package")
	}
	return clean, rest, nil
}

func unescapePath(p string) string {
	u, err := url.PathUnescape(p)
	if err != nil {
		return ""
	}
	return u
}

// escapePath escapes each segment of a package path for use in a URL.
func escapePath(p string) string {
	segs := strings.Split(p, "/")
	for i, s := range segs {
		segs[i] = url.PathEscape(s)
	}
	return strings.Join(segs, "/")
}

// withParameters appends an item's parameters to the resource href's query/fragment, as IMS CP
// and SCORM CAM 3.4.1.13 describe: a leading ? or & is dropped, and they join an existing query
// with &.
func withParameters(rest, params string) string {
	params = strings.TrimLeft(strings.TrimSpace(params), "?&")
	if params == "" {
		return rest
	}
	query, frag := rest, ""
	if i := strings.IndexByte(rest, '#'); i >= 0 {
		query, frag = rest[:i], rest[i:]
	}
	if strings.HasPrefix(params, "#") {
		if frag != "" {
			return rest
		}
		return query + params
	}
	if query == "" {
		return "?" + params + frag
	}
	return query + "&" + params + frag
}

// launchData checks and keeps the launch data elements of an item.
func (c *checker) launchData(item *Item, it *xmlItem, el string) {
	if c.version == SCORM12 {
		if s := strings.TrimSpace(it.MasteryScore); s != "" {
			if f, err := strconv.ParseFloat(s, 64); err != nil || f < 0 || f > 100 {
				c.ps.add(el+"/adlcp:masteryscore", "%q is not a number from 0 to 100", s)
			} else {
				item.MasteryScore = s
			}
		}
		if s := strings.TrimSpace(it.MaxTimeAllowed); s != "" {
			if !isTimespan12(s) {
				c.ps.add(el+"/adlcp:maxtimeallowed", "%q is not a SCORM 1.2 timespan (HHHH:MM:SS.SS)", s)
			} else {
				item.MaxTimeAllowed = s
			}
		}
		item.TimeLimitAction = c.timeLimitAction(it.TimeLimitAction, el+"/adlcp:timelimitaction")
		item.DataFromLMS = c.dataFromLMS(it.DataFromLMS, 4096, el+"/adlcp:datafromlms")
		return
	}
	item.TimeLimitAction = c.timeLimitAction(it.TimeLimitAction2004, el+"/adlcp:timeLimitAction")
	item.DataFromLMS = c.dataFromLMS(it.DataFromLMS2004, 4000, el+"/adlcp:dataFromLMS")
	if ct := it.CompletionThreshold; ct != nil {
		// 4th edition: an attribute set whose threshold applies only when completedByMeasure;
		// 3rd edition: the threshold as element text.
		v := strings.TrimSpace(ct.Value)
		if c.version == SCORM2004Ed4 || ct.CompletedByMeasure != "" || ct.MinProgressMeasure != "" {
			v = ""
			if ct.CompletedByMeasure == "true" {
				v = strings.TrimSpace(ct.MinProgressMeasure)
				if v == "" {
					v = "1.0"
				}
			}
		}
		if v != "" {
			if f, err := strconv.ParseFloat(v, 64); err != nil || f < 0 || f > 1 {
				c.ps.add(el+"/adlcp:completionThreshold", "%q is not a number from 0 to 1", v)
			} else {
				item.CompletionThreshold = v
			}
		}
	}
	s := c.sequencing(it.Sequencing)
	if s != nil && s.DeliveryControls != nil {
		item.CompletionSetByContent = c.boolAttr(s.DeliveryControls.CompletionSetByContent, false, el+"/imsss:deliveryControls@completionSetByContent")
	}
	if s != nil && s.Objectives != nil {
		// The SCO finds the objectives of its activity in cmi.objectives (RTE 4.2.17.1).
		if p := s.Objectives.Primary; p != nil && p.ObjectiveID != "" {
			item.Objectives = append(item.Objectives, p.ObjectiveID)
		}
		for _, o := range s.Objectives.Others {
			if o.ObjectiveID != "" {
				item.Objectives = append(item.Objectives, o.ObjectiveID)
			}
		}
	}
	if s != nil && s.Objectives != nil && s.Objectives.Primary != nil {
		p := s.Objectives.Primary
		if p.SatisfiedByMeasure == "true" {
			v := strings.TrimSpace(p.MinNormalizedMeasure)
			if v == "" {
				v = "1.0"
			}
			if f, err := strconv.ParseFloat(v, 64); err != nil || f < -1 || f > 1 {
				c.ps.add(el+"/imsss:minNormalizedMeasure", "%q is not a number from -1 to 1", v)
			} else {
				item.ScaledPassingScore = v
			}
		}
	}
}

func (c *checker) timeLimitAction(s, el string) string {
	s = strings.TrimSpace(s)
	switch s {
	case "", "exit,message", "exit,no message", "continue,message", "continue,no message":
		return s
	}
	c.ps.add(el, "%q must be one of exit,message / exit,no message / continue,message / continue,no message", s)
	return ""
}

func (c *checker) dataFromLMS(s string, max int, el string) string {
	if n := len([]rune(s)); n > max {
		c.ps.add(el, "launch data is %d characters; at most %d are allowed", n, max)
		return ""
	}
	return s
}

// sequencing resolves a <sequencing IDRef> to the sequencingCollection entry it refers to; the
// item's own control mode, when it has one, wins.
func (c *checker) sequencing(s *xmlSequencing) *xmlSequencing {
	if s == nil || s.IDRef == "" {
		return s
	}
	ref, ok := c.collections[s.IDRef]
	if !ok {
		return s
	}
	merged := *ref
	if s.ControlMode != nil {
		merged.ControlMode = s.ControlMode
	}
	if s.Objectives != nil {
		merged.Objectives = s.Objectives
	}
	if s.DeliveryControls != nil {
		merged.DeliveryControls = s.DeliveryControls
	}
	return &merged
}

// controls reads a cluster's control modes. SCORM 1.2 has no sequencing: the player offers
// choice and flow. SCORM 2004 defaults (IMS SS 5.1): choice true, flow false, forwardOnly false.
func (c *checker) controls(s *xmlSequencing, el string) Controls {
	if c.version == SCORM12 {
		return Controls{Choice: true, Flow: true}
	}
	ctl := Controls{Choice: true}
	if s != nil && s.IDRef != "" {
		if _, ok := c.collections[s.IDRef]; !ok {
			c.ps.add(el+"/imsss:sequencing", "IDRef %q names no sequencing of the sequencingCollection", s.IDRef)
		}
	}
	s = c.sequencing(s)
	if s == nil || s.ControlMode == nil {
		return ctl
	}
	cm := s.ControlMode
	ctl.Choice = c.boolAttr(cm.Choice, true, el+"/imsss:controlMode@choice")
	ctl.Flow = c.boolAttr(cm.Flow, false, el+"/imsss:controlMode@flow")
	ctl.ForwardOnly = c.boolAttr(cm.ForwardOnly, false, el+"/imsss:controlMode@forwardOnly")
	return ctl
}

func (c *checker) boolAttr(s string, def bool, el string) bool {
	switch strings.TrimSpace(s) {
	case "":
		return def
	case "true", "1":
		return true
	case "false", "0":
		return false
	}
	c.ps.add(el, "%q is not a boolean (true or false)", s)
	return def
}
