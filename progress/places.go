package progress

import (
	"bytes"
	"cmp"
	_ "embed"
	"encoding/csv"
	"fmt"
	"regexp"
	"slices"
)

// The municipalities and counties with their SCB codes (SCB, "Län och kommuner", CC0), as the
// binary's own copy so that no file is needed at run time.
var (
	//go:embed kommuner.csv
	kommunerCSV []byte
	//go:embed lan.csv
	lanCSV []byte
)

// Municipality is a kommun: its 4-digit SCB code, whose first two digits are its county's.
type Municipality struct {
	Code   string `json:"code"`
	Name   string `json:"name"`
	County string `json:"county"` // county code
}

// County is a län: its 2-digit SCB code.
type County struct {
	Code string `json:"code"`
	Name string `json:"name"`
}

// Places are the municipalities and counties. Read-only once made.
type Places struct {
	Municipalities []Municipality // by code
	Counties       []County       // by code
	muni           map[string]Municipality
	county         map[string]County
}

// LoadPlaces parses the embedded lists and checks them against each other.
func LoadPlaces() (*Places, error) {
	p := &Places{muni: map[string]Municipality{}, county: map[string]County{}}
	lan, err := readCSV(lanCSV, "county_code", "county_name")
	if err != nil {
		return nil, fmt.Errorf("lan.csv: %w", err)
	}
	for _, r := range lan {
		c := County{Code: r[0], Name: r[1]}
		if !countyCode.MatchString(c.Code) || p.county[c.Code].Code != "" {
			return nil, fmt.Errorf("lan.csv: bad or repeated county code %q", c.Code)
		}
		p.county[c.Code] = c
		p.Counties = append(p.Counties, c)
	}
	kommuner, err := readCSV(kommunerCSV, "code", "name", "county_code", "county_name")
	if err != nil {
		return nil, fmt.Errorf("kommuner.csv: %w", err)
	}
	for _, r := range kommuner {
		m := Municipality{Code: r[0], Name: r[1], County: r[2]}
		if !municipalityCode.MatchString(m.Code) || p.muni[m.Code].Code != "" || m.Code[:2] != m.County || p.county[m.County].Name != r[3] {
			return nil, fmt.Errorf("kommuner.csv: bad row %q", r)
		}
		p.muni[m.Code] = m
		p.Municipalities = append(p.Municipalities, m)
	}
	slices.SortFunc(p.Municipalities, func(a, b Municipality) int { return cmp.Compare(a.Code, b.Code) })
	slices.SortFunc(p.Counties, func(a, b County) int { return cmp.Compare(a.Code, b.Code) })
	return p, nil
}

var (
	municipalityCode = regexp.MustCompile(`^[0-9]{4}$`)
	countyCode       = regexp.MustCompile(`^[0-9]{2}$`)
)

// readCSV returns the rows after the header, which must be the given columns.
func readCSV(b []byte, columns ...string) ([][]string, error) {
	r := csv.NewReader(bytes.NewReader(b))
	r.FieldsPerRecord = len(columns)
	rows, err := r.ReadAll()
	if err != nil {
		return nil, err
	}
	if len(rows) == 0 || !slices.Equal(rows[0], columns) {
		return nil, fmt.Errorf("want the header %q", columns)
	}
	return rows[1:], nil
}

// Municipality returns the municipality with the code.
func (p *Places) Municipality(code string) (Municipality, bool) {
	m, ok := p.muni[code]
	return m, ok
}

// County returns the county with the code.
func (p *Places) County(code string) (County, bool) {
	c, ok := p.county[code]
	return c, ok
}

// countyOf returns the county code of a municipality code, "" for "" (unattributed).
func countyOf(muni string) string {
	if len(muni) < 2 {
		return ""
	}
	return muni[:2]
}

// CheckMunicipality returns an error naming the code unless it is one of the municipalities.
func (p *Places) CheckMunicipality(code string) error {
	if _, ok := p.muni[code]; !ok {
		return fmt.Errorf("%q is not a municipality code: want one of the %d four-digit SCB codes (GET /api/municipalities lists them)", code, len(p.muni))
	}
	return nil
}

// Org is the organisation API credentials are issued to (lrs.Client.Org): the national level, a
// county or a municipality. It decides what the credentials' reports cover.
type Org struct {
	Level Level
	Code  string // county or municipality code; "" for national
}

// Level is how much of the country an organisation covers.
type Level string

// The levels.
const (
	National          Level = "national"
	CountyLevel       Level = "county"
	MunicipalityLevel Level = "municipality"
)

// ParseOrg reads an organisation as lrs.Client.Org holds it: "national", a 2-digit county code or
// a 4-digit municipality code. ok is false for "" (credentials of no organisation).
func (p *Places) ParseOrg(s string) (org Org, ok bool, err error) {
	switch {
	case s == "":
		return Org{}, false, nil
	case s == string(National):
		return Org{Level: National}, true, nil
	case countyCode.MatchString(s):
		if _, known := p.county[s]; known {
			return Org{Level: CountyLevel, Code: s}, true, nil
		}
		return Org{}, false, fmt.Errorf("%q is not a county code: want one of the %d two-digit SCB codes", s, len(p.county))
	case municipalityCode.MatchString(s):
		if err := p.CheckMunicipality(s); err != nil {
			return Org{}, false, err
		}
		return Org{Level: MunicipalityLevel, Code: s}, true, nil
	}
	return Org{}, false, fmt.Errorf("organisation %q: want \"national\", a county code (2 digits) or a municipality code (4 digits)", s)
}

// covers reports whether the organisation's reports include the municipality.
func (o Org) covers(muni string) bool {
	switch o.Level {
	case National:
		return true
	case CountyLevel:
		return countyOf(muni) == o.Code
	}
	return muni == o.Code
}
