// Package scormtest builds SCORM packages in code for tests: valid SCORM 1.2 and 2004 courses
// with one or several SCOs whose pages expose the runtime API to a test driver, and zips broken
// in any way a test needs. No third-party package is committed to the repository.
package scormtest

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"fmt"
	"html"
	"io"
	"io/fs"
	"strings"
	"testing"
)

// Entry is one entry of a zip.
type Entry struct {
	Name   string
	Body   []byte
	Mode   fs.FileMode // 0: a regular file; fs.ModeSymlink for a link (Body is its target)
	Method uint16      // zip.Deflate (default) or zip.Store
	Flags  uint16      // raw header flags (bit 0: encrypted)
}

// Zip writes the entries into a zip archive.
func Zip(t testing.TB, entries ...Entry) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, e := range entries {
		h := &zip.FileHeader{Name: e.Name, Method: e.Method, Flags: e.Flags}
		if e.Method == 0 {
			h.Method = zip.Deflate
		}
		switch {
		case e.Mode != 0:
			h.SetMode(e.Mode)
		case strings.HasSuffix(e.Name, "/"):
			h.SetMode(fs.ModeDir | 0o755)
		default:
			h.SetMode(0o644)
		}
		w, err := zw.CreateHeader(h)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write(e.Body); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// SCO is a launchable item of a test course.
type SCO struct {
	ID    string // item identifier
	Title string
	Href  string // launch file (default sco-<ID>/index.html)
	Asset bool   // an asset rather than a SCO
}

// Course describes a test package.
type Course struct {
	Identifier string // manifest identifier
	Title      string
	Version    string // schemaversion: "1.2", "CAM 1.3", "2004 3rd Edition", "2004 4th Edition"
	SCOs       []SCO
	// Flow, for SCORM 2004: the organization's controlMode flow="true" (continue/previous).
	Flow bool
	// Extra files to add (media, and so on).
	Extra []Entry
}

func (c Course) is12() bool { return c.Version == "1.2" }

func (s SCO) href() string {
	if s.Href != "" {
		return s.Href
	}
	return "sco-" + s.ID + "/index.html"
}

// Manifest returns the course's imsmanifest.xml.
func (c Course) Manifest() string {
	var b strings.Builder
	esc := html.EscapeString
	if c.is12() {
		b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>
<manifest identifier="` + esc(c.Identifier) + `" version="1"
  xmlns="http://www.imsproject.org/xsd/imscp_rootv1p1p2"
  xmlns:adlcp="http://www.adlnet.org/xsd/adlcp_rootv1p2">
  <metadata><schema>ADL SCORM</schema><schemaversion>1.2</schemaversion></metadata>
  <organizations default="ORG">
    <organization identifier="ORG"><title>` + esc(c.Title) + `</title>
`)
	} else {
		b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>
<manifest identifier="` + esc(c.Identifier) + `" version="1"
  xmlns="http://www.imsglobal.org/xsd/imscp_v1p1"
  xmlns:adlcp="http://www.adlnet.org/xsd/adlcp_v1p3"
  xmlns:adlseq="http://www.adlnet.org/xsd/adlseq_v1p3"
  xmlns:adlnav="http://www.adlnet.org/xsd/adlnav_v1p3"
  xmlns:imsss="http://www.imsglobal.org/xsd/imsss">
  <metadata><schema>ADL SCORM</schema><schemaversion>` + esc(c.Version) + `</schemaversion></metadata>
  <organizations default="ORG">
    <organization identifier="ORG"><title>` + esc(c.Title) + `</title>
`)
	}
	for _, s := range c.SCOs {
		fmt.Fprintf(&b, "      <item identifier=\"%s\" identifierref=\"RES-%s\"><title>%s</title></item>\n", esc(s.ID), esc(s.ID), esc(s.Title))
	}
	if !c.is12() && c.Flow {
		b.WriteString(`      <imsss:sequencing><imsss:controlMode choice="true" flow="true"/></imsss:sequencing>
`)
	}
	b.WriteString("    </organization>\n  </organizations>\n  <resources>\n")
	for _, s := range c.SCOs {
		typ := "sco"
		if s.Asset {
			typ = "asset"
		}
		attr := "adlcp:scormType"
		if c.is12() {
			attr = "adlcp:scormtype"
		}
		fmt.Fprintf(&b, "    <resource identifier=\"RES-%s\" type=\"webcontent\" %s=\"%s\" href=\"%s\"><file href=\"%s\"/></resource>\n",
			esc(s.ID), attr, typ, esc(s.href()), esc(s.href()))
	}
	b.WriteString("  </resources>\n</manifest>\n")
	return b.String()
}

// Entries returns the course's files: the manifest, a page per SCO, and the extra files.
func (c Course) Entries() []Entry {
	es := []Entry{{Name: "imsmanifest.xml", Body: []byte(c.Manifest())}}
	for _, s := range c.SCOs {
		es = append(es, Entry{Name: s.href(), Body: []byte(SCOPage(s.Title))})
	}
	return append(es, c.Extra...)
}

// Zip returns the course as a package zip.
func (c Course) Zip(t testing.TB) []byte {
	t.Helper()
	return Zip(t, c.Entries()...)
}

// SCOPage is a SCO's page. It finds the runtime API the way SCOs do (SCORM 1.2 RTE 3.3.6.1,
// SCORM 2004 RTE 3.3.6: window.API / window.API_1484_11 on this window or a parent) and exposes
// it to a test driver as window.sco.
func SCOPage(title string) string {
	return `<!doctype html>
<html><head><meta charset="utf-8"><title>` + html.EscapeString(title) + `</title>
<script>
function findAPI(w, name) {
  for (var i = 0; i < 10 && w; i++) {
    if (w[name]) return w[name];
    if (w.parent === w) break;
    w = w.parent;
  }
  return null;
}
var api04 = findAPI(window, 'API_1484_11'), api12 = api04 ? null : findAPI(window, 'API');
window.sco = {
  version: api04 ? '2004' : (api12 ? '1.2' : 'none'),
  init: function () { return api04 ? api04.Initialize('') : api12.LMSInitialize(''); },
  get: function (k) { return api04 ? api04.GetValue(k) : api12.LMSGetValue(k); },
  set: function (k, v) { return api04 ? api04.SetValue(k, v) : api12.LMSSetValue(k, v); },
  commit: function () { return api04 ? api04.Commit('') : api12.LMSCommit(''); },
  finish: function () { return api04 ? api04.Terminate('') : api12.LMSFinish(''); },
  error: function () { return String(api04 ? api04.GetLastError() : api12.LMSGetLastError()); }
};
</script></head>
<body><h1>` + html.EscapeString(title) + `</h1></body></html>
`
}

// WriteLargeCourse writes a single-SCO SCORM 2004 package with mediaMiB MiB of incompressible
// "video" (stored, as authoring tools store media) and 200 small pages, streaming, so that
// benchmarks can build packages of hundreds of MiB without holding them in memory.
func WriteLargeCourse(w io.Writer, mediaMiB int) error {
	c := Course{Identifier: "bench.large", Title: "Large course", Version: "2004 4th Edition", SCOs: []SCO{{ID: "S", Title: "Video lesson"}}}
	zw := zip.NewWriter(w)
	for _, e := range c.Entries() {
		f, err := zw.Create(e.Name)
		if err != nil {
			return err
		}
		if _, err := f.Write(e.Body); err != nil {
			return err
		}
	}
	for i := range 200 {
		f, err := zw.Create(fmt.Sprintf("pages/page-%03d.html", i))
		if err != nil {
			return err
		}
		if _, err := f.Write([]byte(strings.Repeat("<p>Kunskap för socialtjänsten.</p>\n", 200))); err != nil {
			return err
		}
	}
	chunk := make([]byte, 1<<20)
	x := uint64(88172645463325252)
	for v := 0; v*64 < mediaMiB || v == 0; v++ {
		f, err := zw.CreateHeader(&zip.FileHeader{Name: fmt.Sprintf("media/video-%02d.mp4", v), Method: zip.Store})
		if err != nil {
			return err
		}
		for range min(64, mediaMiB-v*64) {
			for i := 0; i < len(chunk); i += 8 {
				x ^= x << 13
				x ^= x >> 7
				x ^= x << 17
				binary.LittleEndian.PutUint64(chunk[i:], x)
			}
			if _, err := f.Write(chunk); err != nil {
				return err
			}
		}
	}
	return zw.Close()
}
