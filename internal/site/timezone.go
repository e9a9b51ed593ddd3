package site

import (
	"sync"
	"time"

	// The zone database is built in: a minimal machine or container often has no
	// /usr/share/zoneinfo, and days counted in UTC there would be wrong without a word.
	_ "time/tzdata"
)

// DefaultTimezone is the zone of a site that names none.
const DefaultTimezone = "Asia/Seoul"

// zones caches loaded locations by name: loading parses the zone's rules every time.
var zones sync.Map // string → *time.Location

// LoadTimezone returns the location of an IANA zone name ("" is DefaultTimezone).
func LoadTimezone(name string) (*time.Location, error) {
	if name == "" {
		name = DefaultTimezone
	}
	if l, ok := zones.Load(name); ok {
		return l.(*time.Location), nil
	}
	l, err := time.LoadLocation(name)
	if err != nil {
		return nil, err
	}
	zones.Store(name, l)
	return l, nil
}

// Location is the zone the site counts its days in. A name that does not load (provisioning
// refuses one, so only a hand-edited store could hold it) falls back to the default zone.
func (s *Site) Location() *time.Location {
	name := ""
	if s != nil {
		name = s.Timezone
	}
	if l, err := LoadTimezone(name); err == nil {
		return l
	}
	l, _ := LoadTimezone(DefaultTimezone)
	return l
}
