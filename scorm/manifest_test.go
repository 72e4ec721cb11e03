package scorm

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func existsAll(string) bool { return true }

const manifest2004 = `<?xml version="1.0" encoding="UTF-8"?>
<manifest identifier="M" xmlns="http://www.imsglobal.org/xsd/imscp_v1p1" xmlns:adlcp="http://www.adlnet.org/xsd/adlcp_v1p3"
  xmlns:imsss="http://www.imsglobal.org/xsd/imsss" xml:base="course/">
  <metadata><schema>ADL SCORM</schema><schemaversion>2004 4th Edition</schemaversion></metadata>
  <organizations default="O">
    <organization identifier="O"><title>Course</title>
      <item identifier="M1" isvisible="true"><title>Module 1</title>
        <item identifier="S1" identifierref="R1" parameters="?lang=sv"><title>SCO 1</title>
          <adlcp:completionThreshold completedByMeasure="true" minProgressMeasure="0.8"/>
          <adlcp:dataFromLMS>hello</adlcp:dataFromLMS>
          <imsss:sequencing><imsss:objectives><imsss:primaryObjective objectiveID="p" satisfiedByMeasure="true"><imsss:minNormalizedMeasure>0.6</imsss:minNormalizedMeasure></imsss:primaryObjective></imsss:objectives></imsss:sequencing>
        </item>
        <item identifier="S2" identifierref="R2" isvisible="false"><title>SCO 2</title></item>
        <imsss:sequencing IDRef="linear"/>
      </item>
    </organization>
  </organizations>
  <resources xml:base="res/">
    <resource identifier="R1" type="webcontent" adlcp:scormType="sco" href="a%20b.html?x=1#top"/>
    <resource identifier="R2" type="webcontent" adlcp:scormType="asset" xml:base="two/" href="index.html"/>
  </resources>
  <imsss:sequencingCollection><imsss:sequencing ID="linear"><imsss:controlMode choice="false" flow="true" forwardOnly="true"/></imsss:sequencing></imsss:sequencingCollection>
</manifest>`

func TestParseManifest2004(t *testing.T) {
	files := map[string]bool{"course/res/a b.html": true, "course/res/two/index.html": true}
	m, probs := ParseManifest([]byte(manifest2004), func(p string) bool { return files[p] })
	if len(probs) > 0 {
		t.Fatalf("problems: %v", probs)
	}
	if m.Version != SCORM2004Ed4 || m.Identifier != "M" || m.Title != "Course" || len(m.Items) != 3 {
		t.Fatalf("manifest: %+v", m)
	}
	mod, s1, s2 := m.Items[0], m.Items[1], m.Items[2]
	if mod.Launch != "" || mod.Controls != (Controls{Choice: false, Flow: true, ForwardOnly: true}) {
		t.Errorf("cluster: %+v", mod)
	}
	if s1.Parent != "M1" || s1.Depth != 1 || !s1.SCO || s1.LaunchFile != "course/res/a b.html" || s1.Launch != "course/res/a%20b.html?x=1&lang=sv#top" {
		t.Errorf("SCO 1: %+v", s1)
	}
	if s1.CompletionThreshold != "0.8" || s1.DataFromLMS != "hello" || s1.ScaledPassingScore != "0.6" {
		t.Errorf("SCO 1 launch data: %+v", s1)
	}
	if s2.SCO || s2.Visible || s2.Launch != "course/res/two/index.html" {
		t.Errorf("asset: %+v", s2)
	}
}

func TestParseManifestVersions(t *testing.T) {
	for _, c := range []struct {
		name, manifest string
		want           Version
	}{
		{"1.2 schemaversion", `<manifest identifier="x"><metadata><schemaversion>1.2</schemaversion></metadata>`, SCORM12},
		{"2004 2nd", `<manifest identifier="x"><metadata><schemaversion>CAM 1.3</schemaversion></metadata>`, SCORM2004Ed2},
		{"2004 3rd", `<manifest identifier="x"><metadata><schemaversion>2004 3rd Edition</schemaversion></metadata>`, SCORM2004Ed3},
		{"1.2 by namespace", `<manifest identifier="x" xmlns="http://www.imsproject.org/xsd/imscp_rootv1p1p2" xmlns:adlcp="http://www.adlnet.org/xsd/adlcp_rootv1p2">`, SCORM12},
		{"2004 by namespace", `<manifest identifier="x" xmlns="http://www.imsglobal.org/xsd/imscp_v1p1" xmlns:adlcp="http://www.adlnet.org/xsd/adlcp_v1p3">`, SCORM2004Ed3},
	} {
		t.Run(c.name, func(t *testing.T) {
			doc := c.manifest + `<organizations default="O"><organization identifier="O"><title>T</title>
				<item identifier="I" identifierref="R"><title>I</title></item></organization></organizations>
				<resources><resource identifier="R" type="webcontent" adlcp:scormtype="sco" adlcp:scormType="sco" href="i.html"/></resources></manifest>`
			m, probs := ParseManifest([]byte(doc), existsAll)
			if len(probs) > 0 || m.Version != c.want {
				t.Fatalf("version %q, problems %v", m.Version, probs)
			}
		})
	}
	_, probs := ParseManifest([]byte(`<manifest identifier="x"><organizations/><resources/></manifest>`), existsAll)
	if !strings.Contains(Problems(probs), "the SCORM version cannot be told") {
		t.Errorf("no version: %v", probs)
	}
}

func TestParseManifestCharset(t *testing.T) {
	// Latin-1, as some authoring tools write it: "Kurs för socialtjänsten".
	doc := "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><manifest identifier=\"x\"><metadata><schemaversion>1.2</schemaversion></metadata>" +
		"<organizations default=\"O\"><organization identifier=\"O\"><title>Kurs f\xf6r socialtj\xe4nsten</title>" +
		"<item identifier=\"I\" identifierref=\"R\"><title>I</title></item></organization></organizations>" +
		"<resources><resource identifier=\"R\" type=\"webcontent\" adlcp:scormtype=\"sco\" href=\"i.html\"/></resources></manifest>"
	m, probs := ParseManifest([]byte(doc), existsAll)
	if len(probs) > 0 || m.Title != "Kurs för socialtjänsten" {
		t.Fatalf("title %q, problems %v", m.Title, probs)
	}
}

func TestWithParameters(t *testing.T) {
	for _, c := range []struct{ rest, params, want string }{
		{"", "", ""},
		{"", "?a=1", "?a=1"},
		{"?x=1", "&a=1", "?x=1&a=1"},
		{"#f", "a=1", "?a=1#f"},
		{"", "#frag", "#frag"},
		{"#f", "#g", "#f"},
	} {
		if got := withParameters(c.rest, c.params); got != c.want {
			t.Errorf("withParameters(%q, %q) = %q, want %q", c.rest, c.params, got, c.want)
		}
	}
}

// Problems joins problems for assertions.
func Problems(ps []Problem) string {
	var b strings.Builder
	for _, p := range ps {
		b.WriteString(p.String() + "\n")
	}
	return b.String()
}

// FuzzParseManifest: any bytes give a manifest or problems, never a panic; a manifest without
// problems is usable (its items launch files and have ids), and problems are printable text.
func FuzzParseManifest(f *testing.F) {
	f.Add([]byte(manifest2004))
	f.Add([]byte(`<manifest identifier="x"><metadata><schemaversion>1.2</schemaversion></metadata><organizations default="O"><organization identifier="O"><item identifier="I" identifierref="R" parameters="#a"/></organization></organizations><resources><resource identifier="R" adlcp:scormtype="asset" href="../a"/></resources></manifest>`))
	f.Add([]byte(`<manifest identifier="x"><organizations default="O"><organization identifier="O"><item identifier="O"><item identifier="I"/></item></organization></organizations><resources><resource identifier="R"><dependency identifierref="Q"/></resource></resources><manifest/></manifest>`))
	f.Add([]byte(`<?xml version="1.0" encoding="UTF-16"?><manifest/>`))
	f.Add([]byte("<manifest identifier=\"\xff\"><![CDATA[x]]></manifest>"))
	f.Add([]byte(`<!DOCTYPE manifest [<!ENTITY a "aaaa">]><manifest identifier="&a;"/>`))
	f.Add([]byte(``))
	f.Fuzz(func(t *testing.T, data []byte) {
		files := map[string]bool{"index.html": true, "a b/c.html": true}
		m, probs := ParseManifest(data, func(p string) bool { return files[p] })
		for _, p := range probs {
			if p.Reason == "" || !utf8.ValidString(p.String()) && utf8.Valid(data) {
				t.Fatalf("unusable problem %+v", p)
			}
		}
		if len(probs) > 0 {
			return
		}
		if m.Identifier == "" || len(m.Items) == 0 {
			t.Fatalf("a manifest without problems lacks identifier or items: %+v", m)
		}
		for _, it := range m.Items {
			if it.Launch != "" && !files[it.LaunchFile] {
				t.Fatalf("item %s launches %q, not a file of the package", it.ID, it.LaunchFile)
			}
		}
	})
}
