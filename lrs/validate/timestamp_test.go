package validate

import (
	"testing"
	"time"
)

func TestTimestamp(t *testing.T) {
	utc := func(s string) time.Time {
		tt, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			t.Fatal(err)
		}
		return tt.UTC()
	}
	tests := []struct {
		in       string
		v1, v2   bool   // accepted under 1.0.3, 2.0.0
		wantTime string // RFC 3339 in UTC, when accepted
	}{
		{"2024-05-06T07:08:09.123Z", true, true, "2024-05-06T07:08:09.123Z"},
		{"2024-05-06T09:08:09.123456789+02:00", true, true, "2024-05-06T07:08:09.123456789Z"},
		{"2024-05-06T07:08:09.1234567891234Z", true, true, "2024-05-06T07:08:09.123456789Z"},
		{"2024-05-06T02:08:09-05:00", true, true, "2024-05-06T07:08:09Z"},
		{"2008-09-15 15:53:00.601+00:00", true, true, "2008-09-15T15:53:00.601Z"},
		{"2024-02-29T23:59:60Z", true, true, "2024-03-01T00:00:00Z"},
		{"2024-05-06t07:08:09z", false, true, "2024-05-06T07:08:09Z"},
		{"2024-05-06T07:08:09", true, false, "2024-05-06T07:08:09Z"},
		{"2024-05-06T07:08Z", true, false, "2024-05-06T07:08:00Z"},
		{"2024-05-06T07:08:09,5Z", true, false, "2024-05-06T07:08:09.5Z"},
		{"20240506T070809Z", true, false, "2024-05-06T07:08:09Z"},
		{"20240506T0708+0100", true, false, "2024-05-06T06:08:00Z"},
		{"2024-05-06T09:08:09+02", true, false, "2024-05-06T07:08:09Z"},
		{"2024-05-06T09:08:09+0200", true, false, "2024-05-06T07:08:09Z"},
		{"2008-09-15T15:53:00.601-00", false, false, ""},
		{"2008-09-15T15:53:00.601-0000", false, false, ""},
		{"2008-09-15T15:53:00.601-00:00", false, false, ""},
		{"2008-09-15T15:53:00.601+00:00", true, true, "2008-09-15T15:53:00.601Z"},
		{"", false, false, ""},
		{"should fail", false, false, ""},
		{"01/011/2015", false, false, ""},
		{"2015-11-18", false, false, ""},
		{"2015-11-18T12", false, false, ""},
		{"2023-02-29T10:00:00Z", false, false, ""},
		{"2024-13-01T10:00:00Z", false, false, ""},
		{"2024-12-01T24:00:00Z", false, false, ""},
		{"2024-12-01T10:60:00Z", false, false, ""},
		{"2024-12-01T10:00:61Z", false, false, ""},
		{"2024-12-01T10:00:00+24:00", false, false, ""},
		{"2024-12-01T10:00:00.Z", false, false, ""},
		{"2024-12-01T10:00:00ZZ", false, false, ""},
		{"2024-1201T10:00:00Z", false, false, ""},
		{"20241201T10:00:00Z", false, false, ""},
		{"+2024-12-01T10:00:00Z", false, false, ""},
		{"2024-12-01X10:00:00Z", false, false, ""},
	}
	for _, tc := range tests {
		for _, v := range []struct {
			version string
			ok      bool
		}{{"1.0.3", tc.v1}, {"2.0.0", tc.v2}} {
			t.Run(v.version+"/"+tc.in, func(t *testing.T) {
				got, err := Timestamp(tc.in, v.version)
				switch {
				case v.ok && err != nil:
					t.Fatalf("refused: %v", err)
				case !v.ok && err == nil:
					t.Fatalf("accepted as %v", got)
				case !v.ok && err.Error() == "":
					t.Fatal("error without a reason")
				case v.ok && !got.Equal(utc(tc.wantTime)):
					t.Fatalf("got %v, want %v", got, tc.wantTime)
				case v.ok && got.Location() != time.UTC:
					t.Fatalf("got location %v, want UTC", got.Location())
				}
			})
		}
	}
	if _, err := Timestamp("2024-05-06T07:08:09Z", "0.95"); err == nil {
		t.Fatal("unsupported version accepted")
	}
}
