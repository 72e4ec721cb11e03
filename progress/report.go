package progress

import (
	"cmp"
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strconv"

	"github.com/yrkesresan/lrs/lrs"
)

// Report groupings.
const (
	ByMunicipality = "municipality"
	ByCounty       = "county"
	ByPhase        = "phase"
	ByActivity     = "activity"
	ByMonth        = "month"
)

var groupings = []string{ByMunicipality, ByCounty, ByPhase, ByActivity, ByMonth}

// ReportQuery selects and groups counts. Empty filters select everything the caller may see.
// Rows are always by journey. Counts summed over phases or activities that are not grouped count a
// learner once per phase or activity; within a phase and a month range, each learner counts once
// (a learner starts or completes a phase in one month).
type ReportQuery struct {
	Journeys       []string
	Phases         []string
	Counties       []string
	Municipalities []string
	From, To       string   // months, YYYY-MM, inclusive; "" for no bound
	GroupBy        []string // of groupings
}

// Report is the answer: rows sorted by their group values.
type Report struct {
	GroupBy []string `json:"group_by"`
	// SuppressedBelow is k: counts from 1 to k-1 are left out (null) where the caller is outside
	// the municipality a count is about.
	SuppressedBelow int         `json:"suppressed_below"`
	Rows            []ReportRow `json:"rows"`
}

// ReportRow is one group's counts. Started and Completed are nil where suppressed.
type ReportRow struct {
	Journey          string `json:"journey"`
	Phase            string `json:"phase,omitempty"`
	Activity         string `json:"activity,omitempty"`
	Municipality     string `json:"municipality,omitempty"`
	MunicipalityName string `json:"municipality_name,omitempty"`
	County           string `json:"county,omitempty"`
	CountyName       string `json:"county_name,omitempty"`
	Month            string `json:"month,omitempty"`
	Started          *int64 `json:"started"`
	Completed        *int64 `json:"completed"`
}

var monthPattern = regexp.MustCompile(`^[0-9]{4}-(0[1-9]|1[0-2])$`)

// Report answers q for a caller of organisation org (see Org.covers). A filter outside the
// caller's organisation is refused (lrs.ErrForbidden), a bad one is lrs.ErrBadRequest.
func (t *Tracker) Report(ctx context.Context, org Org, q ReportQuery) (Report, error) {
	ix := t.index()
	f, err := t.counterFilter(ix, org, q)
	if err != nil {
		return Report{}, err
	}
	list, err := t.store.Counters(ctx, f)
	if err != nil {
		return Report{}, err
	}
	group := map[string]bool{}
	for _, g := range q.GroupBy {
		group[g] = true
	}
	type cell struct{ started, completed int64 }
	cells := map[ReportRow]*cell{}
	for _, c := range list {
		d := c.Key.Dims
		row := ReportRow{Journey: d[dimJourney]}
		if group[ByPhase] {
			row.Phase = d[dimPhase]
		}
		if group[ByActivity] {
			row.Activity = d[dimActivity]
		}
		if group[ByMunicipality] {
			row.Municipality = d[dimMunicipality]
		}
		if group[ByCounty] || group[ByMunicipality] {
			row.County = countyOf(d[dimMunicipality])
		}
		if group[ByMonth] {
			row.Month = d[dimMonth]
		}
		ce := cells[row]
		if ce == nil {
			ce = &cell{}
			cells[row] = ce
		}
		switch c.Key.Series {
		case seriesStarted, seriesStartedTotal:
			ce.started += c.Value
		default:
			ce.completed += c.Value
		}
	}
	// Every count a caller outside a municipality sees covers municipalities it is outside of:
	// only a municipality's own credentials see its small counts.
	suppress := org.Level != MunicipalityLevel
	r := Report{GroupBy: slices.Clone(q.GroupBy), SuppressedBelow: t.k, Rows: make([]ReportRow, 0, len(cells))}
	if r.GroupBy == nil {
		r.GroupBy = []string{}
	}
	for row, ce := range cells {
		row.Started, row.Completed = t.shown(ce.started, suppress), t.shown(ce.completed, suppress)
		if m, ok := t.places.Municipality(row.Municipality); ok {
			row.MunicipalityName = m.Name
		}
		if c, ok := t.places.County(row.County); ok {
			row.CountyName = c.Name
		}
		r.Rows = append(r.Rows, row)
	}
	slices.SortFunc(r.Rows, func(a, b ReportRow) int {
		return cmp.Or(cmp.Compare(a.Journey, b.Journey), cmp.Compare(phaseOrder(a.Phase), phaseOrder(b.Phase)),
			cmp.Compare(a.Activity, b.Activity), cmp.Compare(a.County, b.County),
			cmp.Compare(a.Municipality, b.Municipality), cmp.Compare(a.Month, b.Month))
	})
	return r, nil
}

// shown is a count as a caller sees it: nil when it is suppressed. Suppression lives here only.
func (t *Tracker) shown(n int64, suppress bool) *int64 {
	if suppress && n > 0 && n < int64(t.k) {
		return nil
	}
	return &n
}

func phaseOrder(p string) int { return slices.Index(phases, p) }

// counterFilter checks q against the catalog, the places and the caller's organisation, and
// returns the counters that answer it.
func (t *Tracker) counterFilter(ix *index, org Org, q ReportQuery) (lrs.CounterFilter, error) {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: "+format, append([]any{lrs.ErrBadRequest}, args...)...)
	}
	var f lrs.CounterFilter
	known := map[string]bool{}
	var all []string
	for _, j := range ix.catalog.Journeys {
		known[j.ID] = true
		all = append(all, j.ID)
	}
	for _, j := range q.Journeys {
		if !known[j] {
			return f, bad("journey %q is not in the catalog (GET /api/catalog lists the journeys)", j)
		}
	}
	f.Dims[dimJourney].In = append([]string{}, all...) // not nil: no catalog, nothing to count
	if len(q.Journeys) > 0 {
		f.Dims[dimJourney].In = q.Journeys
	}
	for _, p := range q.Phases {
		if !slices.Contains(phases, p) {
			return f, bad("phase %q: want one of %v", p, phases)
		}
	}
	// Every phase rather than none: a filter on each leading dimension lets the store seek.
	f.Dims[dimPhase].In = phases
	if len(q.Phases) > 0 {
		f.Dims[dimPhase].In = q.Phases
	}
	for _, g := range q.GroupBy {
		if !slices.Contains(groupings, g) {
			return f, bad("group_by %q: want some of %v", g, groupings)
		}
	}
	f.Dims[dimActivity].In = []string{""}
	if slices.Contains(q.GroupBy, ByActivity) {
		f.Dims[dimActivity] = lrs.DimFilter{From: "\x01"} // every activity, not the phase rows
	}
	for _, m := range []string{q.From, q.To} {
		if m != "" && !monthPattern.MatchString(m) {
			return f, bad("month %q: want YYYY-MM", m)
		}
	}
	if q.From != "" && q.To != "" && q.From > q.To {
		return f, bad("from %s is after to %s", q.From, q.To)
	}
	if q.From == "" && q.To == "" && !slices.Contains(q.GroupBy, ByMonth) {
		f.Series = []string{seriesStartedTotal, seriesCompletedTotal}
	} else {
		f.Series = []string{seriesStarted, seriesCompleted}
		f.Dims[dimMonth] = lrs.DimFilter{From: cmp.Or(q.From, "0000-01"), To: cmp.Or(q.To, "9999-12")}
	}
	munis, err := t.scope(org, q)
	if err != nil {
		return f, err
	}
	f.Dims[dimMunicipality].In = munis
	return f, nil
}

// scope returns the municipalities a report may count (nil: all, unattributed included): those
// the filters name, within the caller's organisation.
func (t *Tracker) scope(org Org, q ReportQuery) ([]string, error) {
	for _, c := range q.Counties {
		if _, ok := t.places.County(c); !ok {
			return nil, fmt.Errorf("%w: %q is not a county code", lrs.ErrBadRequest, c)
		}
		if org.Level == MunicipalityLevel || org.Level == CountyLevel && c != org.Code {
			return nil, fmt.Errorf("%w: county %s is outside the credentials' organisation", lrs.ErrForbidden, c)
		}
	}
	for _, m := range q.Municipalities {
		if err := t.places.CheckMunicipality(m); err != nil {
			return nil, fmt.Errorf("%w: %v", lrs.ErrBadRequest, err)
		}
		if !org.covers(m) {
			return nil, fmt.Errorf("%w: municipality %s is outside the credentials' organisation", lrs.ErrForbidden, m)
		}
	}
	if len(q.Counties) == 0 && len(q.Municipalities) == 0 && org.Level == National {
		return nil, nil
	}
	var out []string
	for _, m := range t.places.Municipalities {
		inFilter := len(q.Counties) == 0 && len(q.Municipalities) == 0 ||
			slices.Contains(q.Counties, m.County) || slices.Contains(q.Municipalities, m.Code)
		if inFilter && org.covers(m.Code) {
			out = append(out, m.Code)
		}
	}
	return out, nil
}

// WriteCSV writes the report as CSV: a header, then one line per row; a suppressed count is an
// empty field.
func (r Report) WriteCSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	header := []string{"journey"}
	for _, g := range groupings {
		if !slices.Contains(r.GroupBy, g) {
			continue
		}
		switch g {
		case ByMunicipality:
			header = append(header, "municipality", "municipality_name")
		case ByCounty:
			header = append(header, "county", "county_name")
		default:
			header = append(header, g)
		}
	}
	header = append(header, "started", "completed")
	if err := cw.Write(header); err != nil {
		return err
	}
	count := func(n *int64) string {
		if n == nil {
			return ""
		}
		return strconv.FormatInt(*n, 10)
	}
	for _, row := range r.Rows {
		line := []string{row.Journey}
		for _, g := range groupings {
			if !slices.Contains(r.GroupBy, g) {
				continue
			}
			switch g {
			case ByMunicipality:
				line = append(line, row.Municipality, row.MunicipalityName)
			case ByCounty:
				line = append(line, row.County, row.CountyName)
			case ByPhase:
				line = append(line, row.Phase)
			case ByActivity:
				line = append(line, row.Activity)
			case ByMonth:
				line = append(line, row.Month)
			}
		}
		if err := cw.Write(append(line, count(row.Started), count(row.Completed))); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// PhaseTotal is how many learners started and completed a phase in a municipality, ever.
type PhaseTotal struct {
	Journey, Phase, Municipality, County string
	Started, Completed                   int64
}

// PhaseTotals returns every non-zero phase total (for the Prometheus gauges): a few rows per
// journey, phase and municipality, read from the total counters.
func (t *Tracker) PhaseTotals(ctx context.Context) ([]PhaseTotal, error) {
	var f lrs.CounterFilter
	f.Series = []string{seriesStartedTotal, seriesCompletedTotal}
	// A value for each leading dimension, so that the store seeks the phase rows only.
	f.Dims[dimJourney].In = []string{}
	for _, j := range t.index().catalog.Journeys {
		f.Dims[dimJourney].In = append(f.Dims[dimJourney].In, j.ID)
	}
	f.Dims[dimPhase].In = phases
	f.Dims[dimActivity].In = []string{""}
	list, err := t.store.Counters(ctx, f)
	if err != nil {
		return nil, err
	}
	type key struct{ j, p, m string }
	sums := map[key]*PhaseTotal{}
	for _, c := range list {
		d := c.Key.Dims
		k := key{d[dimJourney], d[dimPhase], d[dimMunicipality]}
		pt := sums[k]
		if pt == nil {
			pt = &PhaseTotal{Journey: k.j, Phase: k.p, Municipality: k.m, County: countyOf(k.m)}
			sums[k] = pt
		}
		if c.Key.Series == seriesStartedTotal {
			pt.Started += c.Value
		} else {
			pt.Completed += c.Value
		}
	}
	out := make([]PhaseTotal, 0, len(sums))
	for _, pt := range sums {
		out = append(out, *pt)
	}
	return out, nil
}
