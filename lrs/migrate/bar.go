package migrate

import (
	"fmt"
	"io"
	"strings"
	"time"
)

// Bar returns a Progress func that draws a progress bar per stage on w (a terminal's stderr):
// the line is redrawn at most every redraw, and ends when its stage does.
//
//	statements [##########----------]  50%  50000/100000  copied 49500  12000/s
func Bar(w io.Writer) func(Progress) {
	const width, redraw = 30, 200 * time.Millisecond
	var last time.Time
	var began time.Time
	stage := ""
	return func(p Progress) {
		now := time.Now()
		if p.Stage != stage {
			stage, began = p.Stage, now
		}
		if !p.Last && now.Sub(last) < redraw {
			return
		}
		last = now
		frac := 1.0
		if p.Total > 0 {
			frac = min(1, float64(p.Done)/float64(p.Total))
		}
		filled := int(frac * width)
		rate := ""
		if secs := now.Sub(began).Seconds(); secs > 0.5 {
			rate = fmt.Sprintf("  %.0f/s", float64(p.Done)/secs)
		}
		fmt.Fprintf(w, "\r%-10s [%s%s] %3.0f%%  %d/%d  copied %d%s\x1b[K",
			p.Stage, strings.Repeat("#", filled), strings.Repeat("-", width-filled), frac*100, p.Done, p.Total, p.Copied, rate)
		if p.Last {
			fmt.Fprintln(w)
		}
	}
}
