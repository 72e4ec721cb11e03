package progress_test

import (
	"strings"
	"testing"

	"github.com/yrkesresan/lrs/progress"
)

func TestPlaces(t *testing.T) {
	p, err := progress.LoadPlaces()
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Municipalities) != 290 || len(p.Counties) != 21 {
		t.Fatalf("%d municipalities and %d counties, want 290 and 21", len(p.Municipalities), len(p.Counties))
	}
	if m, ok := p.Municipality("2584"); !ok || m.Name != "Kiruna" || m.County != "25" {
		t.Errorf("Municipality(2584) = %+v, %v", m, ok)
	}
	cases := []struct {
		in    string
		org   progress.Org
		ok    bool
		error string
	}{
		{"", progress.Org{}, false, ""},
		{"national", progress.Org{Level: progress.National}, true, ""},
		{"01", progress.Org{Level: progress.CountyLevel, Code: "01"}, true, ""},
		{"0180", progress.Org{Level: progress.MunicipalityLevel, Code: "0180"}, true, ""},
		{"02", progress.Org{}, false, `"02" is not a county code`},
		{"0100", progress.Org{}, false, `"0100" is not a municipality code`},
		{"Stockholm", progress.Org{}, false, `want "national", a county code`},
	}
	for _, c := range cases {
		org, ok, err := p.ParseOrg(c.in)
		if org != c.org || ok != c.ok || (err == nil) != (c.error == "") || err != nil && !strings.Contains(err.Error(), c.error) {
			t.Errorf("ParseOrg(%q) = %+v, %v, %v; want %+v, %v, %q", c.in, org, ok, err, c.org, c.ok, c.error)
		}
	}
}
